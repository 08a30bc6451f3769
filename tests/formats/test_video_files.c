/*
 * test_video_files.c - importing one video's reference hash file: the
 * vPDQ text of vpdq-hash-video and the .tmk of tmk-hash-video, sniffed
 * from their first bytes, stored in the banks' forms and matched again.
 */
#include "../test.h"
#include "../video/gen_video.h"
#include "tamis.h"

static int count_match(void *ctx, const tamis_match *m) {
    (void)m;
    ++*(int *)ctx;
    return 0;
}

TEST(import_vpdq_and_tmk_files_then_match) {
    char video[4096], vtxt[4096], tmkf[4096], url[4096], err[256];
    snprintf(video, sizeof video, "%s/a.mkv", tmp_dir());
    snprintf(vtxt, sizeof vtxt, "%s/a.txt", tmp_dir());
    snprintf(tmkf, sizeof tmkf, "%s/a.tmk", tmp_dir());
    snprintf(url, sizeof url, "%s/v.db", tmp_dir());
    gen_video_spec spec = {"matroska", "ffv1", 128, 96, 10, 40, 0};
    ASSERT_EQ(gen_video_file(&spec, video), 0);
    /* the two files, as the reference tools write them */
    tamis_vpdq *v;
    ASSERT_OK(tamis_vpdq_create(&v));
    ASSERT_OK(tamis_vpdq_hash_file(v, video, NULL));
    size_t n = tamis_vpdq_to_text(v, NULL, 0);
    char *text = malloc(n + 1);
    tamis_vpdq_to_text(v, text, n + 1);
    FILE *f = fopen(vtxt, "w");
    fputs(text, f);
    fclose(f);
    tamis_tmk *t;
    ASSERT_OK(tamis_tmk_hash_file(video, NULL, &t, err, sizeof err));
    ASSERT_OK(tamis_tmk_write_file(t, tmkf, err, sizeof err));
    tamis_db *db;
    ASSERT_OK(tamis_db_open(url, &db, err, sizeof err));
    const char *files[2] = {vtxt, tmkf};
    for (int i = 0; i < 2; i++) {
        f = fopen(files[i], "rb");
        tamis_import_report rep;
        ASSERT_OK(tamis_db_import(db, "VIDEOS", f, TAMIS_IMPORT_AUTO, files[i], NULL, NULL, &rep));
        fclose(f);
        ASSERT_EQ(rep.added, 1);
        /* again: already there */
        f = fopen(files[i], "rb");
        ASSERT_OK(tamis_db_import(db, "VIDEOS", f, TAMIS_IMPORT_AUTO, files[i], NULL, NULL, &rep));
        fclose(f);
        ASSERT_EQ(rep.added, 0);
        ASSERT_EQ(rep.skipped, 1);
    }
    tamis_matcher *m;
    ASSERT_OK(tamis_matcher_create(url, &m, err, sizeof err));
    n = tamis_vpdq_to_signal(v, NULL, 0);
    char *sig = malloc(n + 1);
    tamis_vpdq_to_signal(v, sig, n + 1);
    int hits = 0;
    tamis_status st = tamis_matcher_lookup(m, "vpdq", sig, -1, count_match, &hits);
    ASSERT(st == TAMIS_OK || st == TAMIS_DONE);
    ASSERT_EQ(hits, 1);
    n = tamis_tmk_to_base64(t, NULL, 0);
    char *b64 = malloc(n + 1);
    tamis_tmk_to_base64(t, b64, n + 1);
    hits = 0;
    st = tamis_matcher_lookup(m, "tmk", b64, -1, count_match, &hits);
    ASSERT(st == TAMIS_OK || st == TAMIS_DONE);
    ASSERT_EQ(hits, 1);
    /* a file that is not what it is said to be fails the whole import */
    f = fopen(vtxt, "rb");
    ASSERT_EQ(tamis_db_import(db, "VIDEOS", f, TAMIS_IMPORT_TMK, vtxt, NULL, NULL, NULL),
              TAMIS_ERR_INVALID);
    fclose(f);
    f = fopen(tmkf, "rb");
    ASSERT_EQ(tamis_db_import(db, "VIDEOS", f, TAMIS_IMPORT_VPDQ, tmkf, NULL, NULL, NULL),
              TAMIS_ERR_INVALID);
    fclose(f);
    ASSERT_STR_EQ(tamis_import_format_name(TAMIS_IMPORT_TMK), "tmk");
    ASSERT_EQ(tamis_import_format_from_name("vpdq"), TAMIS_IMPORT_VPDQ);
    free(sig), free(b64), free(text);
    tamis_matcher_free(m);
    tamis_db_close(db);
    tamis_tmk_free(t);
    tamis_vpdq_free(v);
}
