/* test_csv.c - lib/formats/csv.c: the RFC 4180 lexer under the CSV
 * readers. */
#include "../test.h"
#include "collect.h"

/* Renders every row of `in` as "line: [f1][f2]..." or "line: !reason". */
static char *rows(const char *in, size_t len, size_t max) {
    FILE *f = fmemopen((void *)in, len, "rb");
    tamis__csv c;
    char *out = calloc(1, 1 << 16);
    size_t n = 0;
    const char *why;
    tamis_status st;
    ASSERT(f);
    ASSERT_OK(tamis__csv_init(&c, f, max));
    while ((st = tamis__csv_next(&c, &why)) != TAMIS_DONE) {
        n += (size_t)sprintf(out + n, "%llu: ", (unsigned long long)c.row_line);
        if (st != TAMIS_OK) {
            n += (size_t)sprintf(out + n, "!%s\n", why);
            continue;
        }
        for (size_t i = 0; i < c.nfields; i++)
            n += (size_t)sprintf(out + n, "[%s]", c.field[i]);
        n += (size_t)sprintf(out + n, "\n");
    }
    tamis__csv_free(&c);
    fclose(f);
    return out;
}

#define ROWS(in, max) rows(in, sizeof in - 1, max)

TEST(csv_quotes_commas_newlines_and_crlf) {
    static const char in[] = "a,\"b,c\",\"d\"\"e\"\r\n\"multi\nline\",x\n\n,\n\"\"\nlast";
    char *got = ROWS(in, 1000);
    ASSERT_STR_EQ(got, "1: [a][b,c][d\"e]\n"
                       "2: [multi\nline][x]\n"
                       "5: [][]\n"
                       "6: []\n"
                       "7: [last]\n");
    free(got);
}

TEST(csv_lone_cr_is_text_and_crlf_in_quotes_kept) {
    static const char in[] = "a\rb,c\r\n\"x\r\ny\"\r\n";
    char *got = ROWS(in, 1000);
    ASSERT_STR_EQ(got, "1: [a\rb][c]\n2: [x\r\ny]\n");
    free(got);
}

TEST(csv_bad_quoting_rejects_only_its_row) {
    static const char in[] = "a\"b,c\n\"a\"b,c\nok\n\"never closed,\nstill inside";
    char *got = ROWS(in, 1000);
    ASSERT_STR_EQ(got, "1: !quote inside an unquoted field\n"
                       "2: !text after a closing quote\n"
                       "3: [ok]\n"
                       "4: !quoted field not closed at the end of the input\n");
    free(got);
}

TEST(csv_limits_reject_a_row_and_read_on) {
    static const char in[] = "0123456789,0123456789\n\"0123456789,0123456789x\"\nshort\na\0b\n";
    char *got = ROWS(in, 20);
    ASSERT_STR_EQ(got, "1: [0123456789][0123456789]\n"
                       "2: !row too long\n"
                       "3: [short]\n"
                       "4: !NUL byte in a field\n");
    free(got);
    char many[256] = "";
    for (int i = 0; i < TAMIS__CSV_MAX_FIELDS + 1; i++)
        strcat(many, i ? ",x" : "x");
    strcat(many, "\nnext\n");
    FILE *f = fmemopen(many, strlen(many), "rb");
    tamis__csv c;
    const char *why;
    ASSERT_OK(tamis__csv_init(&c, f, 1000));
    ASSERT_EQ(tamis__csv_next(&c, &why), TAMIS_ERR_TOO_LARGE);
    ASSERT_STR_EQ(why, "too many fields");
    ASSERT_OK(tamis__csv_next(&c, &why));
    ASSERT_STR_EQ(c.field[0], "next");
    ASSERT_EQ(tamis__csv_next(&c, &why), TAMIS_DONE);
    tamis__csv_free(&c);
    fclose(f);
}

TEST(csv_exactly_max_fields_is_fine) {
    char many[256] = "";
    for (int i = 0; i < TAMIS__CSV_MAX_FIELDS; i++)
        strcat(many, i ? ",y" : "y");
    FILE *f = fmemopen(many, strlen(many), "rb");
    tamis__csv c;
    const char *why;
    ASSERT_OK(tamis__csv_init(&c, f, 1000));
    ASSERT_OK(tamis__csv_next(&c, &why));
    ASSERT_EQ(c.nfields, TAMIS__CSV_MAX_FIELDS);
    ASSERT_STR_EQ(c.field[TAMIS__CSV_MAX_FIELDS - 1], "y");
    tamis__csv_free(&c);
    fclose(f);
}
