/*
 * test_text_url_cli.c - cli/hash_signals.c and cli/export.c run as a
 * program: `tamis hash --text` (plain and JSON lines against the
 * library's signals, edits that keep text_exact, invalid UTF-8 replaced
 * or refused, --lines, --max-bytes), `tamis hash --url` (Safe Browsing's
 * documented canonical forms and expressions, bad URLs in a batch), and
 * `tamis export --format rpz|hosts` from banks made with the storage API.
 */
#include <unistd.h>

#include "../test.h"
#include "tamis.h"

/* fmt() rotates through a few static buffers and run_cmd() uses them too,
 * so strings kept across calls are copied; the copies stay reachable until
 * the test's process ends (not a leak for LeakSanitizer). */
static const char *keep(const char *s) {
    static char *kept[256];
    static int nkept;
    if (nkept == 256)
        FAIL("keep(): too many kept strings");
    return kept[nkept++] = strdup(s);
}

/* Runs `tamis ARGS`; returns the exit status. */
static int tamis(const char *args, char **out, char **err) {
    return run_cmd(fmt("'%s/tamis' %s", build_dir(), args), out, err);
}

/* Splits text into lines in place; returns the count. */
static int lines(char *text, char **v, int max) {
    int n = 0;
    for (char *p = text; *p && n < max;) {
        char *e = strchr(p, '\n');
        v[n++] = p;
        if (!e)
            break;
        *e = '\0';
        p = e + 1;
    }
    return n;
}

static int split_tabs(char *line, char **f, int max) {
    int n = 0;
    for (char *p = line; n < max;) {
        f[n++] = p;
        char *t = strchr(p, '\t');
        if (!t)
            break;
        *t = '\0';
        p = t + 1;
    }
    return n;
}

/* Writes `len` bytes to a file of the test's directory; returns its path. */
static const char *write_tmp(const char *name, const char *data, size_t len) {
    const char *path = keep(fmt("%s/%s", tmp_dir(), name));
    FILE *f = fopen(path, "wb");
    ASSERT(f != NULL);
    ASSERT_EQ(fwrite(data, 1, len, f), len);
    ASSERT_EQ(fclose(f), 0);
    return path;
}

static const char *write_text(const char *name, const char *text) {
    return write_tmp(name, text, strlen(text));
}

/* The library's signals of a text, to hold the CLI's output against. */
static tamis_text_hash lib_hash(const char *text, size_t len) {
    tamis_text *t;
    tamis_text_hash th;
    ASSERT_OK(tamis_text_create(NULL, &t));
    ASSERT_OK(tamis_text_hash_compute(t, text, len, &th));
    tamis_text_free(t);
    return th;
}

/* Texts of more than 50 bytes (so they have a TLSH), each with a copy
 * edited in case, spacing and accents only, which must keep text_exact. */
static const struct {
    const char *name, *text, *edited;
} texts[] = {
    {"en", "Join the fight today. Share this message with every brother you know,\n"
           "before they take it down.",
     "JOIN  the FIGHT today.   share this message with every brother you know, "
     "before they take it DOWN."},
    {"fr", "Rejoignez la résistance dès aujourd’hui. Partagez ce message avant "
           "qu’il soit supprimé.",
     "REJOIGNEZ la resistance des   aujourd’hui.\tPartagez ce MESSAGE avant "
     "qu’il soit SUPPRIME."},
    {"ar", "إِنَّ الدَّعْوَةَ إلى الجِهَادِ فَرْضٌ عَلَى كُلِّ مُسْلِمٍ، فانشروا هذه الرسالة",
     "ان   الدعـــوة الى الجهاد فرض على كل مسلم،  فانشروا هذه الرسالة"},
};
#define NTEXTS (sizeof texts / sizeof texts[0])

/* ---- --text ------------------------------------------------------------ */

TEST(text_plain_lines_match_library) {
    char args[8192] = "hash --text";
    const char *paths[NTEXTS];
    for (size_t i = 0; i < NTEXTS; i++) {
        paths[i] = write_text(fmt("%s.txt", texts[i].name), texts[i].text);
        size_t k = strlen(args);
        snprintf(args + k, sizeof args - k, " '%s'", paths[i]);
    }
    char *out, *err, *v[8], *f[8];
    ASSERT_EQ(tamis(args, &out, &err), 0);
    ASSERT_STR_EQ(err, "");
    ASSERT_EQ(lines(out, v, 8), (int)NTEXTS);
    for (size_t i = 0; i < NTEXTS; i++) {
        tamis_text_hash th = lib_hash(texts[i].text, strlen(texts[i].text));
        ASSERT_EQ(split_tabs(v[i], f, 8), 4);
        ASSERT_STR_EQ(f[0], th.exact);
        ASSERT_STR_EQ(f[1], th.near);
        ASSERT_STR_EQ(f[2], th.tlsh);
        ASSERT_EQ(strncmp(f[2], "T1", 2), 0);
        ASSERT_STR_EQ(f[3], paths[i]);
    }
    free(out);
    free(err);
}

TEST(text_exact_survives_case_spacing_and_accent_edits) {
    for (size_t i = 0; i < NTEXTS; i++) {
        const char *a = write_text(fmt("%s-a.txt", texts[i].name), texts[i].text);
        const char *b = write_text(fmt("%s-b.txt", texts[i].name), texts[i].edited);
        char *out, *err, *v[4], *fa[8], *fb[8];
        ASSERT_EQ(tamis(fmt("hash --text '%s' '%s'", a, b), &out, &err), 0);
        ASSERT_EQ(lines(out, v, 4), 2);
        ASSERT_EQ(split_tabs(v[0], fa, 8), 4);
        ASSERT_EQ(split_tabs(v[1], fb, 8), 4);
        if (strcmp(fa[0], fb[0]) != 0)
            FAIL("%s: text_exact differs after edits: %s vs %s", texts[i].name, fa[0], fb[0]);
        ASSERT_STR_EQ(fa[1], fb[1]); /* the same normalised text, the same words */
        /* TLSH is of the bytes as given: the edits change it. */
        ASSERT(strcmp(fa[2], fb[2]) != 0);
        free(out);
        free(err);
    }
    /* Other words, another text_exact. */
    const char *c = write_text("other.txt", "Join the march today. Share this message with "
                                            "every sister you know, before they take it down.");
    const char *a = write_text("en-again.txt", texts[0].text);
    char *out, *err, *v[4], *fa[8], *fc[8];
    ASSERT_EQ(tamis(fmt("hash --text '%s' '%s'", a, c), &out, &err), 0);
    ASSERT_EQ(lines(out, v, 4), 2);
    split_tabs(v[0], fa, 8);
    split_tabs(v[1], fc, 8);
    ASSERT(strcmp(fa[0], fc[0]) != 0);
    free(out);
    free(err);
}

TEST(text_short_has_no_tlsh) {
    const char *p = write_text("short.txt", "Partagez avant suppression !");
    char *out, *err, *v[4], *f[8];
    ASSERT_EQ(tamis(fmt("hash --text '%s'", p), &out, &err), 0);
    ASSERT_EQ(lines(out, v, 4), 1);
    ASSERT_EQ(split_tabs(v[0], f, 8), 4);
    ASSERT_STR_EQ(f[2], "-");
    ASSERT_EQ(strncmp(f[1], "tn1:", 4), 0);
    free(out);
    free(err);
    /* Nothing but punctuation: no word, so no text_near either. */
    p = write_text("punct.txt", "!!! ... ???");
    ASSERT_EQ(tamis(fmt("hash --text '%s'", p), &out, &err), 0);
    ASSERT_EQ(lines(out, v, 4), 1);
    ASSERT_EQ(split_tabs(v[0], f, 8), 4);
    ASSERT_STR_EQ(f[0], lib_hash("", 0).exact);
    ASSERT_STR_EQ(f[1], "-");
    ASSERT_STR_EQ(f[2], "-");
    free(out);
    free(err);
}

TEST(text_json_fields) {
    const char *p = write_text("ar.txt", texts[2].text);
    const char *s = write_text("s.txt", "Bonjour à tous");
    tamis_text_hash th = lib_hash(texts[2].text, strlen(texts[2].text));
    tamis_text_hash ts = lib_hash("Bonjour à tous", strlen("Bonjour à tous"));
    char *out, *err, *v[4];
    ASSERT_EQ(tamis(fmt("hash --text --json '%s' '%s'", p, s), &out, &err), 0);
    ASSERT_EQ(lines(out, v, 4), 2);
    ASSERT_STR_EQ(v[0], fmt("{\"file\":\"%s\",\"text_exact\":\"%s\",\"text_near\":\"%s\","
                            "\"text_tlsh\":\"%s\",\"normalised_bytes\":%zu}",
                            p, th.exact, th.near, th.tlsh, th.normalised_len));
    ASSERT_STR_EQ(v[1], fmt("{\"file\":\"%s\",\"text_exact\":\"%s\",\"text_near\":\"%s\","
                            "\"text_tlsh\":null,\"normalised_bytes\":%zu}",
                            s, ts.exact, ts.near, ts.normalised_len));
    ASSERT_EQ(ts.normalised_len, strlen("bonjour a tous"));
    free(out);
    free(err);
}

TEST(text_dash_reads_stdin_as_one_text) {
    const char *p = write_text("en.txt", texts[0].text);
    char *out1, *err1, *out2, *err2, *v[4], *f[8];
    ASSERT_EQ(tamis(fmt("hash --text - < '%s'", p), &out1, &err1), 0);
    ASSERT_EQ(tamis(fmt("hash --text '%s'", p), &out2, &err2), 0);
    ASSERT_EQ(lines(out1, v, 4), 1); /* the newline inside does not split it */
    ASSERT_EQ(split_tabs(v[0], f, 8), 4);
    ASSERT_STR_EQ(f[3], "-");
    ASSERT(strncmp(out1, out2, 64) == 0);
    free(out1);
    free(err1);
    free(out2);
    free(err2);
}

TEST(text_invalid_utf8_replaced_or_refused_with_offset) {
    /* "Salut " then a lone continuation byte at offset 6. */
    const char bad[] = "Salut \x80 tout le monde, voici un message assez long pour TLSH.";
    const char *p = write_tmp("bad.txt", bad, sizeof bad - 1);
    const char *good = write_text("good.txt", texts[1].text);
    char *out, *err, *v[4], *f[8];
    /* Replaced (the default): hashed as the library does. */
    ASSERT_EQ(tamis(fmt("hash --text '%s'", p), &out, &err), 0);
    ASSERT_STR_EQ(err, "");
    ASSERT_EQ(lines(out, v, 4), 1);
    ASSERT_EQ(split_tabs(v[0], f, 8), 4);
    ASSERT_STR_EQ(f[0], lib_hash(bad, sizeof bad - 1).exact);
    free(out);
    free(err);
    ASSERT_EQ(tamis(fmt("hash --text --invalid-utf8 replace '%s'", p), &out, &err), 0);
    free(out);
    free(err);
    /* Refused: one stderr line with the file and the offset; the next file
     * is still hashed; exit 1. */
    ASSERT_EQ(tamis(fmt("hash --text --invalid-utf8 refuse '%s' '%s'", p, good), &out, &err),
              1);
    ASSERT_EQ(lines(out, v, 4), 1);
    ASSERT_EQ(split_tabs(v[0], f, 8), 4);
    ASSERT_STR_EQ(f[3], good);
    char *ev[4];
    ASSERT_EQ(lines(err, ev, 4), 1);
    if (!strstr(ev[0], p) || !strstr(ev[0], "invalid UTF-8") || !strstr(ev[0], "byte offset 6"))
        FAIL("stderr: %s", ev[0]);
    free(out);
    free(err);
}

TEST(text_lines_one_text_per_line) {
    /* Line 3 is empty (skipped), line 4 ends in CRLF, line 5 has a bad
     * byte at offset 2 of the line. */
    const char *l1 = "Première publication : rejoignez-nous.";
    const char *l2 = "SECOND post, same call, other words entirely here";
    const char *l4 = "troisième message";
    const char data[] = "Première publication : rejoignez-nous.\n"
                        "SECOND post, same call, other words entirely here\n"
                        "\n"
                        "troisième message\r\n"
                        "ab\xff" "cd\n";
    const char *p = write_tmp("posts.txt", data, sizeof data - 1);
    char *out, *err, *v[8], *f[8];
    ASSERT_EQ(tamis(fmt("hash --text --lines '%s'", p), &out, &err), 0);
    ASSERT_EQ(lines(out, v, 8), 4);
    const char *want[] = {l1, l2, l4, "ab\xff" "cd"};
    const char *num[] = {"1", "2", "4", "5"};
    for (int i = 0; i < 4; i++) {
        ASSERT_EQ(split_tabs(v[i], f, 8), 4);
        ASSERT_STR_EQ(f[0], lib_hash(want[i], strlen(want[i])).exact);
        ASSERT_STR_EQ(f[3], num[i]);
    }
    free(out);
    free(err);
    /* Refusing invalid UTF-8: the bad line is named with its offsets, the
     * others are printed. */
    ASSERT_EQ(tamis(fmt("hash --text --lines --invalid-utf8 refuse '%s'", p), &out, &err), 1);
    ASSERT_EQ(lines(out, v, 8), 3);
    const char *at = fmt("%s:5: invalid UTF-8 at byte offset 2 of the line (%zu of the file)", p,
                         sizeof data - 1 - 6 + 2);
    if (!strstr(err, at))
        FAIL("stderr: %s\nwant: %s", err, at);
    free(out);
    free(err);
    /* JSON: file and line; several inputs name lines FILE:LINE. */
    ASSERT_EQ(tamis(fmt("hash --text --lines --json - < '%s'", p), &out, &err), 0);
    ASSERT_EQ(lines(out, v, 8), 4);
    const char *head = "{\"file\":\"-\",\"line\":4,\"text_exact\":";
    ASSERT_EQ(strncmp(v[2], head, strlen(head)), 0);
    free(out);
    free(err);
    ASSERT_EQ(tamis(fmt("hash --text --lines '%s' '%s'", p, p), &out, &err), 0);
    ASSERT_EQ(lines(out, v, 10), 8);
    ASSERT_EQ(split_tabs(v[6], f, 8), 4);
    ASSERT_STR_EQ(f[3], fmt("%s:4", p));
    free(out);
    free(err);
}

TEST(text_max_bytes_refuses_with_clear_message) {
    const char *big = write_text("big.txt", texts[0].text);
    const char *small = write_text("small.txt", "ok");
    char *out, *err, *v[4];
    ASSERT_EQ(tamis(fmt("hash --text --max-bytes 50 '%s' '%s'", big, small), &out, &err), 1);
    ASSERT_EQ(lines(out, v, 4), 1);
    ASSERT(strstr(v[0], small) != NULL);
    if (!strstr(err, big) || !strstr(err, "over the limit of 50"))
        FAIL("stderr: %s", err);
    free(out);
    free(err);
    /* From stdin the size is not known beforehand: read up to the limit. */
    ASSERT_EQ(tamis(fmt("hash --text --max-bytes 50 - < '%s'", big), &out, &err), 1);
    ASSERT_STR_EQ(out, "");
    if (!strstr(err, "-: more than 50 bytes"))
        FAIL("stderr: %s", err);
    free(out);
    free(err);
    ASSERT_EQ(tamis(fmt("hash --text --max-bytes %zu - < '%s'", strlen(texts[0].text), big),
                    &out, &err), 0);
    free(out);
    free(err);
    /* One byte over, from stdin and from a file. */
    ASSERT_EQ(tamis(fmt("hash --text --max-bytes %zu - < '%s'", strlen(texts[0].text) - 1, big),
                    &out, &err), 1);
    if (!strstr(err, fmt("-: more than %zu bytes", strlen(texts[0].text) - 1)))
        FAIL("stderr: %s", err);
    free(out);
    free(err);
    ASSERT_EQ(tamis(fmt("hash --text --max-bytes %zu '%s'", strlen(texts[0].text) - 1, big),
                    &out, &err), 1);
    if (!strstr(err, fmt("%s: %zu bytes, over the limit of %zu", big, strlen(texts[0].text),
                         strlen(texts[0].text) - 1)))
        FAIL("stderr: %s", err);
    free(out);
    free(err);
}

TEST(text_unreadable_inputs_reported) {
    const char *good = write_text("good.txt", "un texte");
    const char *missing = keep(fmt("%s/missing.txt", tmp_dir()));
    char *out, *err, *v[4], *ev[4];
    ASSERT_EQ(tamis(fmt("hash --text '%s' '%s' '%s'", missing, tmp_dir(), good), &out, &err), 1);
    ASSERT_EQ(lines(out, v, 4), 1);
    ASSERT_EQ(lines(err, ev, 4), 2);
    ASSERT(strstr(ev[0], missing) && strstr(ev[0], "No such file"));
    ASSERT(strstr(ev[1], tmp_dir()) && strstr(ev[1], "directory"));
    free(out);
    free(err);
}

TEST(text_and_url_usage_errors_exit_2) {
    static const char *cases[] = {
        "hash --text", "hash --url", "hash --text --url x", "hash --text --fast x",
        "hash --text --invalid-utf8 drop x", "hash --text --max-bytes 0 x",
        "hash --url --lines x", "hash --url --max-bytes 5 x"};
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char *out, *err;
        int st = tamis(cases[i], &out, &err);
        if (st != 2)
            FAIL("'tamis %s' exits %d, want 2", cases[i], st);
        if (strlen(err) == 0)
            FAIL("'tamis %s' says nothing on stderr", cases[i]);
        ASSERT_STR_EQ(out, "");
        free(out);
        free(err);
    }
    char *out, *err;
    ASSERT_EQ(tamis("hash --text --help", &out, &err), 0);
    ASSERT(strstr(out, "usage: tamis hash --text") != NULL);
    free(out);
    free(err);
}

/* ---- --url ------------------------------------------------------------- */

TEST(url_canonical_forms_of_safe_browsing_examples) {
    /* From the Safe Browsing API v4 documentation, "URLs and Hashing",
     * section Canonicalization. */
    static const struct {
        const char *in, *canon;
    } ex[] = {
        {"http://host/%25%32%35", "http://host/%25"},
        {"http://host/%25%32%35%25%32%35", "http://host/%25%25"},
        {"http://host/%2525252525252525", "http://host/%25"},
        {"http://www.google.com/blah/..", "http://www.google.com/"},
        {"http://3279880203/blah", "http://195.127.0.11/blah"},
        {"http://www.GOOgle.com/", "http://www.google.com/"},
        {"http://www.google.com.../", "http://www.google.com/"},
        {"http://host.com//twoslashes?more//slashes", "http://host.com/twoslashes?more//slashes"},
        {"http://www.google.com/foo\tbar\rbaz\n2", "http://www.google.com/foobarbaz2"},
        {"www.google.com", "http://www.google.com/"},
    };
    size_t n = sizeof ex / sizeof ex[0];
    /* As arguments, then as lines of stdin (but the one with CR and LF). */
    char args[8192] = "hash --url";
    for (size_t i = 0; i < n; i++) {
        size_t k = strlen(args);
        snprintf(args + k, sizeof args - k, " '%s'", ex[i].in);
    }
    char *out, *err, *v[16], *f[4];
    ASSERT_EQ(tamis(args, &out, &err), 0);
    ASSERT_STR_EQ(err, "");
    ASSERT_EQ(lines(out, v, 16), (int)n);
    for (size_t i = 0; i < n; i++) {
        ASSERT_EQ(split_tabs(v[i], f, 4), 2);
        ASSERT_STR_EQ(f[0], ex[i].canon);
        /* The input column shows control bytes %-escaped. */
        ASSERT_STR_EQ(f[1], strchr(ex[i].in, '\t') ? "http://www.google.com/foo%09bar%0Dbaz%0A2"
                                                   : ex[i].in);
    }
    free(out);
    free(err);
    char list[4096] = "";
    for (size_t i = 0; i < n; i++)
        if (!strchr(ex[i].in, '\n')) {
            size_t k = strlen(list);
            snprintf(list + k, sizeof list - k, "%s\n", ex[i].in);
        }
    const char *p = write_text("urls.txt", list);
    ASSERT_EQ(tamis(fmt("hash --url - < '%s'", p), &out, &err), 0);
    ASSERT_EQ(lines(out, v, 16), (int)n - 1);
    ASSERT_EQ(split_tabs(v[0], f, 4), 2);
    ASSERT_STR_EQ(f[0], "http://host/%25");
    free(out);
    free(err);
}

TEST(url_json_expressions_as_documented) {
    /* Safe Browsing's example of suffix/prefix expressions, in the order
     * tamis_url_expression gives them: host by host, the full host first. */
    char *out, *err, *v[4];
    ASSERT_EQ(tamis("hash --url --json 'http://a.b.c/1/2.html?param=1'", &out, &err), 0);
    ASSERT_EQ(lines(out, v, 4), 1);
    ASSERT_STR_EQ(v[0], "{\"input\":\"http://a.b.c/1/2.html?param=1\","
                        "\"url\":\"http://a.b.c/1/2.html?param=1\",\"expressions\":["
                        "\"a.b.c/1/2.html?param=1\",\"a.b.c/1/2.html\",\"a.b.c/\",\"a.b.c/1/\","
                        "\"b.c/1/2.html?param=1\",\"b.c/1/2.html\",\"b.c/\",\"b.c/1/\"]}");
    free(out);
    free(err);
    /* An IP address is never cut into suffixes. */
    ASSERT_EQ(tamis("hash --url --json 'http://1.2.3.4/1/'", &out, &err), 0);
    ASSERT_STR_EQ(out, "{\"input\":\"http://1.2.3.4/1/\",\"url\":\"http://1.2.3.4/1/\","
                       "\"expressions\":[\"1.2.3.4/1/\",\"1.2.3.4/\"]}\n");
    free(out);
    free(err);
}

TEST(url_bad_ones_reported_batch_goes_on) {
    char *out, *err, *v[8], *ev[8];
    ASSERT_EQ(tamis("hash --url 'http://ok.example/' 'http://' 'http://[::1/x' "
                    "'https://Second.example/a'", &out, &err), 1);
    ASSERT_EQ(lines(out, v, 8), 2);
    ASSERT_EQ(strncmp(v[0], "http://ok.example/\t", 19), 0);
    ASSERT_EQ(strncmp(v[1], "https://second.example/a\t", 25), 0);
    ASSERT_EQ(lines(err, ev, 8), 2);
    if (!strstr(ev[0], "tamis hash: http://: ") || !strstr(ev[0], "host"))
        FAIL("stderr line 1: %s", ev[0]);
    if (!strstr(ev[1], "http://[::1/x: ") || !strstr(ev[1], "IPv6"))
        FAIL("stderr line 2: %s", ev[1]);
    free(out);
    free(err);
    /* From stdin the error names the line; blank lines are skipped. */
    const char *p = write_text("urls.txt", "a.example\n\nhttp://:80/\r\nb.example\n");
    ASSERT_EQ(tamis(fmt("hash --url --json - < '%s'", p), &out, &err), 1);
    ASSERT_EQ(lines(out, v, 8), 2);
    ASSERT(strstr(v[1], "\"url\":\"http://b.example/\"") != NULL);
    if (!strstr(err, "tamis hash: -:3: http://:80/: "))
        FAIL("stderr: %s", err);
    free(out);
    free(err);
}

/* ---- export rpz and hosts ---------------------------------------------- */

static void add_item(tamis_db *db, const char *bank, const char *type, const char *value,
                     int64_t disabled_until) {
    tamis_signal sig = {(char *)type, (char *)value};
    tamis_content c;
    memset(&c, 0, sizeof c);
    c.bank = (char *)bank;
    c.signals = &sig;
    c.n_signals = 1;
    c.disabled_until = disabled_until;
    int64_t id;
    ASSERT_OK(tamis_db_content_add(db, &c, &id));
    if (disabled_until) {
        /* disabled_until is set by an update, not by the add. */
        tamis_content u;
        ASSERT_OK(tamis_db_content_get(db, id, &u));
        u.disabled_until = disabled_until;
        ASSERT_OK(tamis_db_content_update(db, &u));
        tamis_content_clear(&u);
    }
}

/* A database with two banks of url signals; returns its path. */
static const char *url_db(void) {
    const char *path = keep(fmt("%s/urls.db", tmp_dir()));
    char err[512];
    tamis_db *db;
    ASSERT_OK(tamis_db_open(path, &db, err, sizeof err));
    tamis_bank b;
    memset(&b, 0, sizeof b);
    b.enabled_ratio = 1;
    b.name = "SITES";
    ASSERT_OK(tamis_db_bank_create(db, &b));
    b.name = "MORE";
    ASSERT_OK(tamis_db_bank_create(db, &b));
    add_item(db, "SITES", "url", "example.org", 0);
    add_item(db, "SITES", "url", "www.example.org", 0);        /* under example.org */
    add_item(db, "SITES", "url", "example.com/videos/", 0);    /* an expression */
    add_item(db, "SITES", "url", "http://files.example.net/x", 0);
    add_item(db, "SITES", "url", "10.1.2.3", 0);               /* no DNS name */
    add_item(db, "SITES", "url", "disabled.example", 4102444800LL); /* until 2100 */
    add_item(db, "SITES", "md5", "0123456789abcdef0123456789abcdef", 0);
    add_item(db, "MORE", "url", "Other.Example.NET", 0);
    tamis_db_close(db);
    return path;
}

TEST(export_rpz_from_domains_of_a_bank) {
    const char *db = url_db();
    char *out, *err;
    ASSERT_EQ(tamis(fmt("export --db '%s' --bank SITES --format rpz --zone rpz.test "
                        "--serial 2026010101", db), &out, &err), 0);
    if (!strstr(out, "\nexample.org CNAME .\n*.example.org CNAME .\n"))
        FAIL("zone: %s", out);
    ASSERT(strstr(out, "SOA localhost. hostmaster.localhost. 2026010101 ") != NULL);
    ASSERT(strstr(out, "www.example.org") == NULL);  /* covered by the wildcard */
    ASSERT(strstr(out, "example.com") == NULL);      /* an expression */
    ASSERT(strstr(out, "files.example.net") == NULL);
    ASSERT(strstr(out, "10.1.2.3") == NULL);
    ASSERT(strstr(out, "disabled.example") == NULL);
    ASSERT(strstr(out, "other.example.net") == NULL); /* the other bank */
    if (!strstr(err, "1 names written, 1 skipped") || !strstr(err, "2 expressions") ||
        !strstr(err, "1 disabled"))
        FAIL("stderr: %s", err);
    if (system("command -v named-checkzone >/dev/null 2>&1") == 0) {
        const char *zone = write_text("rpz.zone", out);
        char *cout, *cerr;
        int rc = run_cmd(fmt("named-checkzone rpz.test '%s'", zone), &cout, &cerr);
        if (rc != 0 || !strstr(cout, "OK"))
            FAIL("named-checkzone exits %d: %s %s\n%s", rc, cout, cerr, out);
        free(cout);
        free(cerr);
    }
    free(out);
    free(err);
}

TEST(export_hosts_from_several_banks) {
    const char *db = url_db();
    char *out, *err;
    ASSERT_EQ(tamis(fmt("export --db '%s' --bank SITES,MORE --format hosts", db), &out, &err), 0);
    /* A hosts file has no wildcards: www.example.org is listed too. */
    ASSERT(strstr(out, "\n0.0.0.0 example.org\n") != NULL);
    ASSERT(strstr(out, "\n0.0.0.0 www.example.org\n") != NULL);
    ASSERT(strstr(out, "\n0.0.0.0 other.example.net\n") != NULL);
    ASSERT(strstr(out, "example.com") == NULL);
    if (!strstr(err, "3 names written"))
        FAIL("stderr: %s", err);
    free(out);
    free(err);
    ASSERT_EQ(tamis(fmt("export --db '%s' --bank MORE --format hosts --address ::", db), &out,
                    &err), 0);
    ASSERT(strstr(out, "\n:: other.example.net\n") != NULL);
    free(out);
    free(err);
}

TEST(export_domains_errors) {
    const char *db = url_db();
    char *out, *err;
    /* A bank that does not exist: no zone at all rather than one that
     * lacks its names. */
    ASSERT_EQ(tamis(fmt("export --db '%s' --bank SITES,NOPE --format rpz", db), &out, &err), 1);
    ASSERT_STR_EQ(out, "");
    ASSERT(strstr(err, "NOPE: no such bank") != NULL);
    free(out);
    free(err);
    ASSERT_EQ(tamis(fmt("export --db '%s' --bank SITES --format rpz --zone 'bad zone'", db),
                    &out, &err), 1);
    ASSERT(strstr(err, "--zone") != NULL);
    free(out);
    free(err);
    ASSERT_EQ(tamis(fmt("export --db '%s' --bank SITES --format hosts --address nowhere", db),
                    &out, &err), 1);
    ASSERT(strstr(err, "--address") != NULL);
    free(out);
    free(err);
    static const char *usage[] = {"--bank SITES --format bind", "--format rpz",
                                  "--bank SITES --format hosts --zone z.test",
                                  "--bank SITES --format rpz --address 1.2.3.4",
                                  "--bank SITES,MORE --format hma",
                                  "--bank SITES --format rpz --serial 0"};
    for (size_t i = 0; i < sizeof usage / sizeof usage[0]; i++) {
        int st = tamis(fmt("export --db '%s' %s", db, usage[i]), &out, &err);
        if (st != 2)
            FAIL("'tamis export %s' exits %d, want 2", usage[i], st);
        ASSERT(strlen(err) > 0);
        free(out);
        free(err);
    }
}

TEST(export_hash_list_formats_still_work) {
    const char *db = url_db();
    char *out, *err;
    ASSERT_EQ(tamis(fmt("export --db '%s' --bank SITES", db), &out, &err), 0);
    ASSERT(strstr(out, "0123456789abcdef0123456789abcdef") != NULL);
    free(out);
    free(err);
    ASSERT_EQ(tamis(fmt("export --db '%s' --bank NOPE", db), &out, &err), 1);
    ASSERT(strstr(err, "no such bank") != NULL);
    free(out);
    free(err);
}
