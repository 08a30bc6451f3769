/* test_ncmec_xml.c - lib/formats/ncmec_xml.c: NCMEC hash-sharing XML, and
 * its defences (no DTDs, so no XXE and no entity expansion). */
#include <fcntl.h>
#include <unistd.h>

#include "../test.h"
#include "collect.h"

#define META1 "meta={\"media\":\"image\",\"member_id\":\"42\",\"member\":\"Example Member\"}"
#define META7 "meta={\"media\":\"video\",\"member_id\":\"44\",\"member\":\"Tom & Co\",\"timestamp\":\"yesterday\"}"

TEST(ncmec_xml_sample_file) {
    collected c = {0};
    ASSERT_OK(collect_file(tamis__read_ncmec_xml, "ncmec.xml", &c));
    EXPECT_LINES(&c,
        "1 add md5 a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1 id=image1 labels=[\"A1\"] " META1
        " created=1508857200",
        "1 add pdq f8f8f0cee0f4a84f06370a22038f63f0b36e2ed596621e1d33e6b39c4e9c9b22 id=image1 "
        "labels=[\"A1\"] " META1 " created=1508857200",
        "2 delete - - id=image4 meta={\"media\":\"image\",\"member_id\":\"43\","
        "\"member\":\"Example Member2\"} created=1508857800",
        "3 reject: no fingerprint tamis matches on (has sha1, pdna)",
        "4 reject: no <id>",
        "5 reject: <md5>: md5 hash is not 32 hex digits",
        "6 reject: more than one <id>",
        "7 add md5 B1B1B1B1B1B1B1B1B1B1B1B1B1B1B1B1 id=video1 labels=[\"B1\"] " META7,
        "7 add tmk dG1rLXBkcWYtYmluYXJ5 id=video1 labels=[\"B1\"] " META7,
        "8 delete - - id=video4 meta={\"media\":\"video\",\"member_id\":\"42\","
        "\"member\":\"Example Member\"} created=1508858400");
    collected_free(&c);
}

TEST(ncmec_xml_external_entity_is_refused) {
    collected c = {0};
    ASSERT_EQ(collect_file(tamis__read_ncmec_xml, "ncmec_xxe.xml", &c), TAMIS_ERR_UNSUPPORTED);
    ASSERT_STR_EQ(c.err.msg, "XML with a DOCTYPE is not accepted (no DTDs or entities)");
    ASSERT_EQ(c.n, 0);
    collected_free(&c);
}

TEST(ncmec_xml_billion_laughs_is_refused) {
    collected c = {0};
    ASSERT_EQ(collect_file(tamis__read_ncmec_xml, "ncmec_laughs.xml", &c), TAMIS_ERR_UNSUPPORTED);
    ASSERT_STR_EQ(c.err.msg, "XML with a DOCTYPE is not accepted (no DTDs or entities)");
    ASSERT_EQ(c.n, 0);
    collected_free(&c);
}

TEST(ncmec_xml_doctype_after_a_long_prolog_is_refused) {
    /* far enough in that the parser's reads split it */
    char in[20000];
    size_t n = (size_t)sprintf(in, "<?xml version=\"1.0\"?>\n<!--");
    memset(in + n, 'x', 9000);
    n += 9000;
    sprintf(in + n, "-->\n<!DOCTYPE q [<!ENTITY e \"x\">]><queryResult><images/></queryResult>");
    collected c = {0};
    ASSERT_EQ(collect_str(tamis__read_ncmec_xml, in, &c), TAMIS_ERR_UNSUPPORTED);
    ASSERT_EQ(c.n, 0);
    collected_free(&c);
}

TEST(ncmec_xml_declared_encoding_cannot_hide_a_doctype) {
    /* In UTF-7, "+ADw-" is '<': were the declaration obeyed, this would
     * declare an entity. It is read as UTF-8, where it is not well-formed. */
    collected c = {0};
    ASSERT_EQ(collect_str(tamis__read_ncmec_xml,
                          "<?xml version=\"1.0\" encoding=\"UTF-7\"?>"
                          "+ADw-!DOCTYPE q +AFs-+ADw-!ENTITY e +ACI-x+ACI-+AD4-+AF0-+AD4-"
                          "<queryResult><images><image><id>+ACY-e+ADs-</id>"
                          "<fingerprints><md5>a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1</md5>"
                          "</fingerprints></image></images></queryResult>", &c),
              TAMIS_ERR_CORRUPT);
    ASSERT_EQ(c.n, 0);
    collected_free(&c);
    /* and a declaration naming an encoding libxml2 does not know is ignored */
    ASSERT_OK(collect_str(tamis__read_ncmec_xml,
                          "<?xml version=\"1.0\" encoding=\"x-no-such\"?>"
                          "<queryResult><images><image><id>i</id><fingerprints>"
                          "<md5>a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1</md5></fingerprints></image>"
                          "</images></queryResult>", &c));
    EXPECT_LINES(&c, "1 add md5 a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1 id=i meta={\"media\":\"image\"}");
    collected_free(&c);
}

TEST(ncmec_xml_not_well_formed_ends_the_read_quietly) {
    collected c = {0};
    /* libxml2 must not print: stderr goes to a file that must stay empty */
    const char *path = fmt("%s/stderr", tmp_dir());
    int saved = dup(2), fd = open(path, O_CREAT | O_TRUNC | O_WRONLY, 0600);
    ASSERT(saved >= 0 && fd >= 0);
    dup2(fd, 2);
    tamis_status st = collect_file(tamis__read_ncmec_xml, "ncmec_broken.xml", &c);
    /* and the other ways a read fails, which must be as quiet */
    collected q = {0};
    collect_file(tamis__read_ncmec_xml, "ncmec_xxe.xml", &q);
    collect_str(tamis__read_ncmec_xml, "<queryResult>\xff\xfe</queryResult>", &q);
    collect_str(tamis__read_ncmec_xml, "<?xml version=\"1.0\" encoding=\"UCS-4\"?><q/>", &q);
    collect_mem(tamis__read_ncmec_xml, "<a>\0</a>", 8, &q);
    collect_str(tamis__read_ncmec_xml, "<queryResult><images>", &q);
    collected_free(&q);
    fflush(stderr);
    dup2(saved, 2);
    close(fd);
    close(saved);
    ASSERT_EQ(st, TAMIS_ERR_CORRUPT);
    ASSERT_STR_EQ(c.err.msg, "not well-formed XML (line 11): Opening and ending tag mismatch: "
                             "image line 8 and images");
    /* image1 comes before the damage but in the same 512-byte chunk of the
     * parser, which hands out no node of a chunk with a fatal error */
    ASSERT_EQ(c.n, 0);
    size_t len = 99;
    free(read_file(path, &len));
    ASSERT_EQ(len, 0);
    collected_free(&c);
}

TEST(ncmec_xml_whole_file_failures) {
    collected c = {0};
    ASSERT_EQ(collect_str(tamis__read_ncmec_xml, "", &c), TAMIS_ERR_EMPTY);
    collected_free(&c);
    ASSERT_EQ(collect_str(tamis__read_ncmec_xml, "pdq f8f8", &c), TAMIS_ERR_UNSUPPORTED);
    ASSERT_STR_EQ(c.err.msg, "not UTF-8 XML: it does not start with '<', or holds a NUL byte");
    collected_free(&c);
    /* UTF-16, with or without a byte-order mark, would hide a DOCTYPE from
     * the byte check: refused */
    ASSERT_EQ(collect_mem(tamis__read_ncmec_xml, "\xFF\xFE<\0q\0/\0>\0", 10, &c),
              TAMIS_ERR_UNSUPPORTED);
    collected_free(&c);
    ASSERT_EQ(collect_mem(tamis__read_ncmec_xml, "<\0q\0/\0>\0", 8, &c), TAMIS_ERR_UNSUPPORTED);
    collected_free(&c);
    ASSERT_EQ(collect_str(tamis__read_ncmec_xml, "<?xml version=\"1.0\"?><other><a/></other>", &c),
              TAMIS_ERR_UNSUPPORTED);
    ASSERT_STR_EQ(c.err.msg, "no <images> or <videos>: not NCMEC hash-sharing XML");
    collected_free(&c);
    ASSERT_EQ(collect_str(tamis__read_ncmec_xml, "<queryResult><images>", &c), TAMIS_ERR_CORRUPT);
    collected_free(&c);
}

TEST(ncmec_xml_wrapped_answers_empty_elements_and_no_namespace) {
    collected c = {0};
    ASSERT_OK(collect_str(tamis__read_ncmec_xml,
        "<all><queryResult><images count=\"0\"/></queryResult>"
        "<queryResult><videos><video/><video><id/></video>"
        "<video><id>v</id><fingerprints><vpdq/></fingerprints></video>"
        "<video><id>w</id><fingerprints/></video>"
        "<deletedVideo><id>x</id><fingerprints><md5>e1e1e1e1e1e1e1e1e1e1e1e1e1e1e1e1</md5>"
        "<sha1>00</sha1></fingerprints></deletedVideo>"
        "<other><video><id>not an entry: its parent is not videos</id></video></other>"
        "</videos></queryResult></all>", &c));
    EXPECT_LINES(&c,
        "1 reject: no <id>",
        "2 reject: no <id>",
        "3 reject: <vpdq>: empty value",
        "4 reject: no fingerprints",
        "5 delete md5 e1e1e1e1e1e1e1e1e1e1e1e1e1e1e1e1 id=x meta={\"media\":\"video\"}");
    collected_free(&c);
}

TEST(ncmec_xml_entry_limits) {
    size_t big = TAMIS__IMPORT_RECORD_MAX + 10;
    char *in = malloc(big + 4096);
    size_t n = (size_t)sprintf(in, "<queryResult><images><image><id>");
    memset(in + n, 'i', big);
    n += big;
    n += (size_t)sprintf(in + n, "</id><fingerprints><md5>a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1</md5>"
                                 "</fingerprints></image><image><id>many</id><fingerprints>");
    for (int i = 0; i < 17; i++)
        n += (size_t)sprintf(in + n, "<sha1>00</sha1>");
    sprintf(in + n, "</fingerprints></image><image><id>ok</id><fingerprints>"
                    "<md5>a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1</md5></fingerprints></image>"
                    "</images></queryResult>");
    collected c = {0};
    ASSERT_OK(collect_str(tamis__read_ncmec_xml, in, &c));
    EXPECT_LINES(&c,
        "1 reject: entry longer than 262144 bytes",
        "2 reject: more than 16 fingerprints",
        "3 add md5 a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1 id=ok meta={\"media\":\"image\"}");
    collected_free(&c);
    free(in);
}

TEST(ncmec_xml_callback_stops_the_read) {
    collected c = {0};
    c.stop_after = 1;
    ASSERT_EQ(collect_file(tamis__read_ncmec_xml, "ncmec.xml", &c), TAMIS_DONE);
    ASSERT_EQ(c.n, 1);
    collected_free(&c);
}

TEST(ncmec_xml_out_of_memory) {
    collected c = {0};
    tamis__alloc_fail_at(0);
    ASSERT_OK(collect_file(tamis__read_ncmec_xml, "ncmec.xml", &c));
    long n = tamis__alloc_fail_at(0);
    collected_free(&c);
    for (long i = 1; i <= n; i++) {
        tamis__alloc_fail_at(i);
        tamis_status st = collect_file(tamis__read_ncmec_xml, "ncmec.xml", &c);
        tamis__alloc_fail_at(0);
        ASSERT_EQ(st, TAMIS_ERR_NOMEM);
        collected_free(&c);
    }
}
