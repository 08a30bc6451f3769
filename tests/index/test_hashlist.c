/* test_hashlist.c - lib/index/hashlist.c: one line of the hash-list text
 * format. */
#include "../test.h"
#include "tamis.h"

static const char *H = "f8f8f0cee0f4a84f06370a22038f63f0b36e2ed596621e1d33e6b39c4e9c9b22";

static tamis_status parse(const char *line, tamis_pdq *c, char *id, const char **why) {
    const char *ip;
    size_t il;
    tamis_status st = tamis_hashlist_parse_line(line, strlen(line), c, &ip, &il, why);
    if (st == TAMIS_OK) {
        memcpy(id, ip, il);
        id[il] = '\0';
    }
    return st;
}

TEST(hash_alone_has_no_id) {
    tamis_pdq c, want;
    char id[256];
    const char *why;
    ASSERT_OK(parse(H, &c, id, &why));
    ASSERT_STR_EQ(id, "");
    ASSERT_OK(tamis_pdq_from_hex(H, 64, &want));
    ASSERT_EQ(memcmp(&c, &want, sizeof c), 0);
}

TEST(hash_then_id_trimmed) {
    tamis_pdq c;
    char id[256], line[256];
    const char *why;
    snprintf(line, sizeof line, "  %s \t item 42  \r", H);
    ASSERT_OK(parse(line, &c, id, &why));
    ASSERT_STR_EQ(id, "item 42");
}

TEST(upper_case_hex_accepted) {
    tamis_pdq a, b;
    char id[256], up[65];
    const char *why;
    for (int i = 0; i < 64; i++)
        up[i] = (char)(H[i] >= 'a' ? H[i] - 32 : H[i]);
    up[64] = 0;
    ASSERT_OK(parse(up, &a, id, &why));
    ASSERT_OK(parse(H, &b, id, &why));
    ASSERT_EQ(memcmp(&a, &b, sizeof a), 0);
}

TEST(blank_and_comment_lines_carry_nothing) {
    tamis_pdq c;
    char id[256];
    const char *why;
    ASSERT_EQ(parse("", &c, id, &why), TAMIS_DONE);
    ASSERT_EQ(parse("   \t", &c, id, &why), TAMIS_DONE);
    ASSERT_EQ(parse("# a comment", &c, id, &why), TAMIS_DONE);
    ASSERT_EQ(parse("  # indented", &c, id, &why), TAMIS_DONE);
}

TEST(malformed_lines_give_reasons) {
    tamis_pdq c;
    char id[256], line[256];
    const char *why;
    ASSERT_EQ(parse("abc", &c, id, &why), TAMIS_ERR_INVALID);
    ASSERT(strstr(why, "too short"));
    snprintf(line, sizeof line, "%s0", H);
    ASSERT_EQ(parse(line, &c, id, &why), TAMIS_ERR_INVALID);
    ASSERT(strstr(why, "too long"));
    snprintf(line, sizeof line, "%s", H);
    line[10] = 'g';
    ASSERT_EQ(parse(line, &c, id, &why), TAMIS_ERR_INVALID);
    ASSERT(strstr(why, "hex"));
    /* an embedded NUL inside the given length */
    char nul[70];
    memcpy(nul, H, 64);
    nul[5] = '\0';
    const char *ip;
    size_t il;
    ASSERT_EQ(tamis_hashlist_parse_line(nul, 64, &c, &ip, &il, &why), TAMIS_ERR_INVALID);
}
