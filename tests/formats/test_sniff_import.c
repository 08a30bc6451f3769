/* test_sniff_import.c - lib/formats/sniff.c: guessing an import's format
 * from its first bytes, and the reader of each format. */
#include "../test.h"
#include "collect.h"

static tamis_import_format sniff_file(const char *name) {
    size_t len;
    unsigned char *d = read_file(fmt("%s/tests/formats/data/%s", repo_dir(), name), &len);
    ASSERT(d);
    tamis_import_format f = tamis__sniff_import((const char *)d, len < 4096 ? len : 4096);
    free(d);
    return f;
}

#define SNIFF(s) tamis__sniff_import(s, strlen(s))

TEST(sniff_import_sample_files) {
    ASSERT_EQ(sniff_file("hma_local.txt"), TAMIS_IMPORT_HMA_LOCAL);
    ASSERT_EQ(sniff_file("hashlist.txt"), TAMIS_IMPORT_HASHLIST);
    ASSERT_EQ(sniff_file("pytx_header.csv"), TAMIS_IMPORT_PYTX_CSV);
    ASSERT_EQ(sniff_file("pytx_noheader.csv"), TAMIS_IMPORT_PYTX_CSV);
    ASSERT_EQ(sniff_file("tcap.json"), TAMIS_IMPORT_TCAP_JSON);
    ASSERT_EQ(sniff_file("stopncii.json"), TAMIS_IMPORT_STOPNCII_JSON);
    ASSERT_EQ(sniff_file("ncmec.xml"), TAMIS_IMPORT_NCMEC_XML);
}

TEST(sniff_import_first_line_that_says_something) {
    ASSERT_EQ(SNIFF("\xEF\xBB\xBF\n\n  # comment\n\tvideo_md5 3d4a"), TAMIS_IMPORT_HMA_LOCAL);
    ASSERT_EQ(SNIFF("# comment\nf8f8f0cee0f4a84f06370a22038f63f0b36e2ed596621e1d33e6b39c4e9c9b22"),
              TAMIS_IMPORT_HASHLIST);
    ASSERT_EQ(SNIFF("\"3d4a0e8c1b5f27a9e6c2d8b0f1a3c5e7\",1,2,x,"), TAMIS_IMPORT_PYTX_CSV);
    ASSERT_EQ(SNIFF("INDICATOR,labels\n"), TAMIS_IMPORT_PYTX_CSV);
    ASSERT_EQ(SNIFF("[{\"hashRecords\": []}]"), TAMIS_IMPORT_STOPNCII_JSON);
    ASSERT_EQ(SNIFF("[{\"algorithm\": \"PDQ\"}]"), TAMIS_IMPORT_TCAP_JSON);
}

TEST(sniff_import_says_when_it_cannot_tell) {
    ASSERT_EQ(tamis__sniff_import(NULL, 0), TAMIS_IMPORT_AUTO);
    ASSERT_EQ(SNIFF(""), TAMIS_IMPORT_AUTO);
    ASSERT_EQ(SNIFF(" \n# only a comment\n"), TAMIS_IMPORT_AUTO);
    ASSERT_EQ(SNIFF("{\"x\": 1}"), TAMIS_IMPORT_AUTO);
    ASSERT_EQ(SNIFF("sha1 a1a1"), TAMIS_IMPORT_AUTO);
    ASSERT_EQ(SNIFF("f8f8f0ce short"), TAMIS_IMPORT_AUTO);
}

TEST(reader_for_each_format) {
    ASSERT(tamis__reader_for(TAMIS_IMPORT_HMA_LOCAL) == tamis__read_hma_local);
    ASSERT(tamis__reader_for(TAMIS_IMPORT_HASHLIST) == tamis__read_hashlist);
    ASSERT(tamis__reader_for(TAMIS_IMPORT_PYTX_CSV) == tamis__read_pytx_csv);
    ASSERT(tamis__reader_for(TAMIS_IMPORT_TCAP_JSON) == tamis__read_tcap_json);
    ASSERT(tamis__reader_for(TAMIS_IMPORT_NCMEC_XML) == tamis__read_ncmec_xml);
    ASSERT(tamis__reader_for(TAMIS_IMPORT_STOPNCII_JSON) == tamis__read_stopncii_json);
    ASSERT(tamis__reader_for(TAMIS_IMPORT_AUTO) == NULL);
    ASSERT(tamis__reader_for((tamis_import_format)99) == NULL);
}
