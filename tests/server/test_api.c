/*
 * test_api.c - the service (server/) over real HTTP on loopback, against
 * SQLite and, when TAMIS_TEST_PG is set, PostgreSQL: every endpoint, every
 * role, bad input, limits, concurrent writes and lookups, replicas, drain.
 * Shapes follow HMA's (doc/hma-api.md).
 */
#include <pthread.h>
#include <signal.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "../test.h"
#include "client.h"
#include "../video/gen_video.h"
#include "tamis.h"

static const char *H1 = "f8f8f0cee0f4a84f06370a22038f63f0b36e2ed596621e1d33e6b39c4e9c9b22";
/* H1 with its last 3 bits flipped (...22 -> ...25: 0x22 ^ 0x07) */
static const char *H1_3 = "f8f8f0cee0f4a84f06370a22038f63f0b36e2ed596621e1d33e6b39c4e9c9b25";
static const char *FAR = "5555555555555555555555555555555555555555555555555555555555555555";

typedef struct {
    server_proc srv;
    char *admin, *curator, *matcher;
    char bank[64];
} fixture;

static void up(fixture *f, const char *db, const char *extra) {
    memset(f, 0, sizeof *f);
    /* tokens first: the CLI creates the database */
    f->admin = make_token(db, "admin");
    f->curator = make_token(db, "curator");
    f->matcher = make_token(db, "matcher");
    server_start(&f->srv, db, extra);
    /* bank names unique per run, as the PostgreSQL database is shared */
    snprintf(f->bank, sizeof f->bank, "T%d_%ld", (int)getpid(), (long)(rand() % 100000));
}

static void down(fixture *f) {
    ASSERT_EQ(server_stop(&f->srv), 0); /* drained and exited cleanly */
    free(f->admin), free(f->curator), free(f->matcher);
}

static int req(fixture *f, const char *method, const char *path, const char *tok,
               const char *json, http_resp *r) {
    ASSERT_EQ(http_do(f->srv.port, method, path, tok, json ? "application/json" : NULL, json,
                      json ? strlen(json) : 0, r),
              0);
    return r->status;
}

static json_t *parse(const http_resp *r) {
    json_error_t e;
    json_t *j = json_loadb(r->body, r->len, JSON_DECODE_ANY, &e);
    if (!j)
        FAIL("not JSON (status %d): %s", r->status, r->body);
    return j;
}

static void create_bank(fixture *f) {
    http_resp r;
    char body[256];
    snprintf(body, sizeof body, "{\"name\":\"%s\"}", f->bank);
    ASSERT_EQ(req(f, "POST", "/c/banks", f->curator, body, &r), 201);
    free(r.body);
}

/* Adds a PDQ signal as an item; returns its id. */
static long long add_pdq(fixture *f, const char *hex) {
    http_resp r;
    char path[256], body[256];
    snprintf(path, sizeof path, "/c/bank/%s/signal", f->bank);
    snprintf(body, sizeof body, "{\"pdq\":\"%s\"}", hex);
    ASSERT_EQ(req(f, "POST", path, f->curator, body, &r), 200);
    json_t *j = parse(&r);
    long long id = json_integer_value(json_object_get(j, "id"));
    ASSERT_GT(id, 0);
    ASSERT_STR_EQ(json_string_value(json_object_get(json_object_get(j, "signals"), "pdq")), hex);
    json_decref(j);
    free(r.body);
    return id;
}

/* The lookup answer for hex, polled until `want` matches of the bank are
 * there (a write is matchable within a second) or 3 s pass. */
static json_t *lookup_until(fixture *f, const char *hex, size_t want) {
    char path[512];
    snprintf(path, sizeof path, "/m/lookup?signal_type=pdq&signal=%s", hex);
    for (int i = 0; i < 30; i++) {
        http_resp r;
        ASSERT_EQ(req(f, "GET", path, f->matcher, NULL, &r), 200);
        json_t *j = parse(&r);
        free(r.body);
        if (json_array_size(json_object_get(j, f->bank)) == want || i == 29)
            return j;
        json_decref(j);
        struct timespec ts = {0, 100 * 1000 * 1000};
        nanosleep(&ts, NULL);
    }
    return NULL;
}

#define EACH_BACKEND(body)                                                                     \
    do {                                                                                       \
        char urls_[2][4096];                                                                   \
        int nb_ = backends(urls_);                                                             \
        for (int b_ = 0; b_ < nb_; b_++) {                                                     \
            const char *db = urls_[b_];                                                        \
            body;                                                                              \
        }                                                                                      \
    } while (0)

static void t_status_and_roles(const char *db) {
    fixture f;
    up(&f, db, NULL);
    http_resp r;
    ASSERT_EQ(req(&f, "GET", "/status/live", NULL, NULL, &r), 200);
    ASSERT_STR_EQ(r.body, "I-AM-ALIVE");
    free(r.body);
    ASSERT_EQ(req(&f, "GET", "/status", NULL, NULL, &r), 401); /* token needed */
    free(r.body);
    ASSERT_EQ(req(&f, "GET", "/status", "not-a-token", NULL, &r), 401);
    free(r.body);
    ASSERT_EQ(req(&f, "GET", "/status", f.matcher, NULL, &r), 200);
    ASSERT_STR_EQ(r.body, "I-AM-ALIVE");
    free(r.body);
    ASSERT_EQ(req(&f, "GET", "/status/info", f.matcher, NULL, &r), 200);
    json_t *j = parse(&r);
    ASSERT(json_object_get(j, "signals") != NULL);
    json_decref(j), free(r.body);
    /* matcher may not create banks; curator and admin may */
    char body[128];
    snprintf(body, sizeof body, "{\"name\":\"%s\"}", f.bank);
    ASSERT_EQ(req(&f, "POST", "/c/banks", f.matcher, body, &r), 403);
    free(r.body);
    ASSERT_EQ(req(&f, "POST", "/c/banks", f.admin, body, &r), 201);
    free(r.body);
    ASSERT_EQ(req(&f, "GET", "/metrics", f.matcher, NULL, &r), 200);
    ASSERT(strstr(r.body, "tamis_requests_total") != NULL);
    ASSERT(strstr(r.body, "tamis_index_signals{signal_type=\"pdq\"}") != NULL);
    free(r.body);
    down(&f);
}
TEST(api_status_and_roles) { EACH_BACKEND(t_status_and_roles(db)); }

static void t_banks(const char *db) {
    fixture f;
    up(&f, db, NULL);
    http_resp r;
    char body[256], path[256];
    snprintf(body, sizeof body, "{\"name\":\"%s\"}", f.bank);
    ASSERT_EQ(req(&f, "POST", "/c/banks", f.curator, body, &r), 201);
    json_t *j = parse(&r);
    ASSERT_STR_EQ(json_string_value(json_object_get(j, "name")), f.bank);
    ASSERT_NEAR(json_number_value(json_object_get(j, "matching_enabled_ratio")), 1.0, 1e-9);
    json_decref(j), free(r.body);
    ASSERT_EQ(req(&f, "POST", "/c/banks", f.curator, body, &r), 403); /* exists */
    free(r.body);
    ASSERT_EQ(req(&f, "POST", "/c/banks", f.curator, "{\"name\":\"lower-case\"}", &r), 400);
    free(r.body);
    ASSERT_EQ(req(&f, "POST", "/c/banks", f.curator, "{}", &r), 422);
    free(r.body);
    ASSERT_EQ(req(&f, "POST", "/c/banks", f.curator, "{not json", &r), 400);
    j = parse(&r); /* errors are JSON {"message": ...} */
    ASSERT(json_is_string(json_object_get(j, "message")));
    json_decref(j), free(r.body);
    snprintf(path, sizeof path, "/c/bank/%s", f.bank);
    ASSERT_EQ(req(&f, "GET", path, f.matcher, NULL, &r), 200);
    free(r.body);
    ASSERT_EQ(req(&f, "PUT", path, f.curator, "{\"enabled\":false}", &r), 200);
    j = parse(&r);
    ASSERT_NEAR(json_number_value(json_object_get(j, "matching_enabled_ratio")), 0.0, 1e-9);
    json_decref(j), free(r.body);
    ASSERT_EQ(req(&f, "GET", "/c/banks", f.matcher, NULL, &r), 200);
    j = parse(&r);
    ASSERT(json_is_array(j));
    int seen = 0;
    for (size_t i = 0; i < json_array_size(j); i++)
        seen |= strcmp(json_string_value(json_object_get(json_array_get(j, i), "name")), f.bank) == 0;
    ASSERT(seen);
    json_decref(j), free(r.body);
    ASSERT_EQ(req(&f, "DELETE", path, f.curator, NULL, &r), 200);
    ASSERT(strstr(r.body, "Done") != NULL);
    free(r.body);
    ASSERT_EQ(req(&f, "GET", path, f.matcher, NULL, &r), 404);
    free(r.body);
    ASSERT_EQ(req(&f, "GET", "/c/nowhere", f.matcher, NULL, &r), 404);
    free(r.body);
    ASSERT_EQ(req(&f, "PATCH", "/c/banks", f.admin, NULL, &r), 405);
    free(r.body);
    down(&f);
}
TEST(api_banks) { EACH_BACKEND(t_banks(db)); }

static void t_signal_lookup_disable_delete(const char *db) {
    fixture f;
    up(&f, db, NULL);
    create_bank(&f);
    long long id = add_pdq(&f, H1);
    /* matchable within a second, at distance 3 */
    json_t *j = lookup_until(&f, H1_3, 1);
    json_t *m = json_array_get(json_object_get(j, f.bank), 0);
    ASSERT_EQ(json_integer_value(json_object_get(m, "bank_content_id")), id);
    ASSERT_STR_EQ(json_string_value(json_object_get(m, "distance")), "3");
    json_decref(j);
    j = lookup_until(&f, FAR, 0);
    ASSERT_EQ(json_object_size(j), 0);
    json_decref(j);
    /* raw lookup, compare, index status */
    http_resp r;
    char path[512];
    snprintf(path, sizeof path, "/m/raw_lookup?signal_type=pdq&signal=%s&include_distance=true", H1);
    ASSERT_EQ(req(&f, "GET", path, f.matcher, NULL, &r), 200);
    ASSERT(strstr(r.body, "\"matches\"") != NULL);
    free(r.body);
    ASSERT_EQ(req(&f, "GET", "/m/raw_lookup?signal_type=pdq", f.matcher, NULL, &r), 422);
    free(r.body);
    char body[512];
    snprintf(body, sizeof body, "{\"pdq\":[\"%s\",\"%s\"]}", H1, H1_3);
    ASSERT_EQ(req(&f, "POST", "/m/compare", f.matcher, body, &r), 200);
    j = parse(&r);
    json_t *pair = json_object_get(j, "pdq");
    ASSERT(json_is_true(json_array_get(pair, 0)));
    ASSERT_EQ(json_integer_value(json_object_get(json_array_get(pair, 1), "distance")), 3);
    json_decref(j), free(r.body);
    ASSERT_EQ(req(&f, "GET", "/m/index/status", f.matcher, NULL, &r), 200);
    j = parse(&r);
    ASSERT_GE(json_integer_value(json_object_get(json_object_get(j, "pdq"), "size")), 1);
    json_decref(j), free(r.body);
    ASSERT_EQ(req(&f, "GET", "/m/lookup?signal_type=pdq&signal=xyz", f.matcher, NULL, &r), 400);
    free(r.body);
    ASSERT_EQ(req(&f, "GET", "/m/lookup?signal_type=nope&signal=ab", f.matcher, NULL, &r), 400);
    free(r.body);
    /* disabled until tomorrow: no longer matches */
    snprintf(path, sizeof path, "/c/bank/%s/content/%lld", f.bank, id);
    snprintf(body, sizeof body, "{\"disable_until_ts\":%lld}", (long long)time(NULL) + 86400);
    ASSERT_EQ(req(&f, "PUT", path, f.curator, body, &r), 200);
    free(r.body);
    j = lookup_until(&f, H1, 0);
    ASSERT_EQ(json_array_size(json_object_get(j, f.bank)), 0);
    json_decref(j);
    ASSERT_EQ(req(&f, "PUT", path, f.curator, "{\"disable_until_ts\":1}", &r), 200); /* enabled */
    free(r.body);
    j = lookup_until(&f, H1, 1);
    ASSERT_EQ(json_array_size(json_object_get(j, f.bank)), 1);
    json_decref(j);
    ASSERT_EQ(req(&f, "GET", path, f.matcher, NULL, &r), 200);
    j = parse(&r);
    ASSERT_EQ(json_integer_value(json_object_get(j, "id")), id);
    ASSERT_EQ(json_integer_value(json_object_get(j, "disable_until_ts")), 1);
    json_decref(j), free(r.body);
    /* deleted: stops matching */
    ASSERT_EQ(req(&f, "DELETE", path, f.curator, NULL, &r), 200);
    ASSERT(strstr(r.body, "\"deleted\":1") != NULL);
    free(r.body);
    j = lookup_until(&f, H1, 0);
    ASSERT_EQ(json_array_size(json_object_get(j, f.bank)), 0);
    json_decref(j);
    ASSERT_EQ(req(&f, "GET", path, f.matcher, NULL, &r), 404);
    free(r.body);
    down(&f);
}
TEST(api_signal_lookup_disable_delete) { EACH_BACKEND(t_signal_lookup_disable_delete(db)); }

static void t_upload_hash_and_match(const char *db) {
    fixture f;
    up(&f, db, "--variants");
    create_bank(&f);
    size_t len;
    unsigned char *img = read_file(fmt("%s/samples/palapeli-data-002.jpg", repo_dir()), &len);
    ASSERT(img != NULL);
    char ct[128];
    size_t blen;
    char *body = multipart("photo", "p.jpg", img, len, &blen, ct, sizeof ct);
    http_resp r;
    ASSERT_EQ(http_do(f.srv.port, "POST", "/h/hash", f.matcher, ct, body, blen, &r), 0);
    ASSERT_EQ(r.status, 200);
    json_t *j = parse(&r);
    /* samples/REFERENCE-PDQ.csv */
    ASSERT_STR_EQ(json_string_value(json_object_get(j, "pdq")),
                  "f8110d4425fa063b8c759efa81036da9985387cd0ce663e5f31e6de28a9837cf");
    json_decref(j), free(r.body);
    char path[256];
    snprintf(path, sizeof path, "/c/bank/%s/content", f.bank);
    ASSERT_EQ(http_do(f.srv.port, "POST", path, f.curator, ct, body, blen, &r), 0);
    ASSERT_EQ(r.status, 200);
    j = parse(&r);
    long long id = json_integer_value(json_object_get(j, "id"));
    json_decref(j), free(r.body);
    /* one call: hash the upload and match it (PDQ with variants, digests) */
    int found_pdq = 0, found_md5 = 0;
    for (int i = 0; i < 30 && !(found_pdq && found_md5); i++) {
        ASSERT_EQ(http_do(f.srv.port, "POST", "/m/match", f.matcher, ct, body, blen, &r), 0);
        ASSERT_EQ(r.status, 200);
        j = parse(&r);
        json_t *ms = json_object_get(j, "matches");
        for (size_t k = 0; k < json_array_size(ms); k++) {
            json_t *m = json_array_get(ms, k);
            if (json_integer_value(json_object_get(m, "bank_content_id")) != id)
                continue;
            const char *st = json_string_value(json_object_get(m, "signal_type"));
            if (strcmp(st, "pdq") == 0 &&
                strcmp(json_string_value(json_object_get(m, "variant")), "original") == 0)
                found_pdq = json_integer_value(json_object_get(m, "distance")) == 0;
            if (strcmp(st, "md5") == 0)
                found_md5 = 1;
        }
        json_decref(j), free(r.body);
        usleep(100000);
    }
    ASSERT(found_pdq && found_md5);
    /* HMA's POST /m/lookup: by signal type, then bank */
    ASSERT_EQ(http_do(f.srv.port, "POST", "/m/lookup?bypass_coinflip=true", f.matcher, ct, body,
                      blen, &r),
              0);
    ASSERT_EQ(r.status, 200);
    j = parse(&r);
    ASSERT_EQ(json_array_size(json_object_get(json_object_get(j, "pdq"), f.bank)), 1);
    json_decref(j), free(r.body);
    /* not an image */
    char *bad = multipart("photo", "x.txt", "hello", 5, &blen, ct, sizeof ct);
    ASSERT_EQ(http_do(f.srv.port, "POST", "/h/hash", f.matcher, ct, bad, blen, &r), 0);
    ASSERT_EQ(r.status, 400);
    free(r.body), free(bad);
    /* no file */
    ASSERT_EQ(req(&f, "POST", "/h/hash", f.matcher, NULL, &r), 400);
    free(r.body);
    free(body);
    free(img);
    down(&f);
}
TEST(api_upload_hash_and_match) { EACH_BACKEND(t_upload_hash_and_match(db)); }

/* Videos: hashed as HMA hashes them (MD5 as video_md5, vPDQ one frame a
 * second), added to a bank with all four signals, and found again by
 * upload, by an excerpt, and not by another video. */
static char *video_body(int scene, int frames, size_t *blen, char *ct) {
    char path[4096];
    snprintf(path, sizeof path, "%s/api_v%d_%d.mkv", tmp_dir(), scene, frames);
    gen_video_spec spec = {"matroska", "ffv1", 128, 96, 10, frames, scene};
    ASSERT_EQ(gen_video_file(&spec, path), 0);
    size_t len;
    unsigned char *data = read_file(path, &len);
    ASSERT(data != NULL);
    char *body = multipart("video", "v.mkv", data, len, blen, ct, 128);
    free(data);
    return body;
}

static void t_video(const char *db) {
    fixture f;
    up(&f, db, NULL);
    create_bank(&f);
    char ct[128], ct2[128], ct3[128], path[256];
    size_t blen, blen2, blen3;
    char *a = video_body(0, 80, &blen, ct);   /* 8 s */
    char *part = video_body(0, 60, &blen2, ct2); /* its first 6 s */
    char *other = video_body(1, 80, &blen3, ct3);
    http_resp r;
    ASSERT_EQ(http_do(f.srv.port, "POST", "/h/hash", f.matcher, ct, a, blen, &r), 0);
    ASSERT_EQ(r.status, 200);
    json_t *j = parse(&r);
    ASSERT_EQ(strlen(json_string_value(json_object_get(j, "video_md5"))), 32);
    ASSERT_EQ(json_integer_value(json_object_get(j, "vpdq_frames")), 8); /* one a second */
    const char *vp = json_string_value(json_object_get(j, "vpdq"));
    ASSERT(vp && vp[0] == '[');
    json_decref(j), free(r.body);
    snprintf(path, sizeof path, "/c/bank/%s/content", f.bank);
    ASSERT_EQ(http_do(f.srv.port, "POST", path, f.curator, ct, a, blen, &r), 0);
    ASSERT_EQ(r.status, 200);
    j = parse(&r);
    long long id = json_integer_value(json_object_get(j, "id"));
    json_t *sigs = json_object_get(j, "signals");
    ASSERT(json_object_get(sigs, "vpdq") && json_object_get(sigs, "tmk"));
    json_decref(j), free(r.body);
    /* the excerpt: by vPDQ (all its seconds are in the bank's video) and TMK */
    int vpdq = 0, tmk = 0;
    for (int i = 0; i < 30 && !vpdq; i++) {
        ASSERT_EQ(http_do(f.srv.port, "POST", "/m/match", f.matcher, ct2, part, blen2, &r), 0);
        ASSERT_EQ(r.status, 200);
        j = parse(&r);
        json_t *ms = json_object_get(j, "matches");
        for (size_t k = 0; k < json_array_size(ms); k++) {
            json_t *m = json_array_get(ms, k);
            const char *t = json_string_value(json_object_get(m, "signal_type"));
            if (json_integer_value(json_object_get(m, "bank_content_id")) != id)
                continue;
            if (strcmp(t, "vpdq") == 0) {
                vpdq = 1;
                ASSERT_GE(json_real_value(json_object_get(m, "query_match_percent")), 80.0);
            }
            if (strcmp(t, "tmk") == 0)
                tmk = 1;
        }
        json_decref(j), free(r.body);
        if (!vpdq)
            usleep(100000);
    }
    ASSERT(vpdq);
    (void)tmk; /* an excerpt may or may not pass TMK's level 2: not asserted */
    /* HMA's POST /m/lookup: by signal type, video_md5 among them */
    ASSERT_EQ(http_do(f.srv.port, "POST", "/m/lookup?bypass_coinflip=true", f.matcher, ct, a, blen,
                      &r),
              0);
    ASSERT_EQ(r.status, 200);
    j = parse(&r);
    ASSERT_EQ(json_array_size(json_object_get(json_object_get(j, "video_md5"), f.bank)), 1);
    ASSERT_EQ(json_array_size(json_object_get(json_object_get(j, "vpdq"), f.bank)), 1);
    ASSERT_EQ(json_array_size(json_object_get(json_object_get(j, "tmk"), f.bank)), 1);
    json_decref(j), free(r.body);
    /* another video matches nothing */
    ASSERT_EQ(http_do(f.srv.port, "POST", "/m/match", f.matcher, ct3, other, blen3, &r), 0);
    ASSERT_EQ(r.status, 200);
    j = parse(&r);
    ASSERT_EQ(json_array_size(json_object_get(j, "matches")), 0);
    json_decref(j), free(r.body);
    /* neither an image nor a video */
    char *pdf = multipart("video", "x.pdf", "%PDF-1.4\n%%EOF\n", 15, &blen3, ct3, sizeof ct3);
    ASSERT_EQ(http_do(f.srv.port, "POST", "/h/hash", f.matcher, ct3, pdf, blen3, &r), 0);
    ASSERT_EQ(r.status, 400);
    ASSERT(strstr(r.body, "not an image or a video") != NULL);
    free(r.body), free(pdf);
    free(a), free(part), free(other);
    down(&f);
}
TEST(api_video_upload_hash_add_and_match) { EACH_BACKEND(t_video(db)); }

/* A video's length is its cost on a request thread: over
 * --max-video-seconds it is refused (413), not hashed. */
TEST(api_video_longer_than_the_limit_is_refused) {
    char db[8300];
    snprintf(db, sizeof db, "%s/vlimit.db", tmp_dir());
    fixture f;
    up(&f, db, "--max-video-seconds 5");
    char ct[128], ct2[128];
    size_t blen, blen2;
    char *longer = video_body(2, 80, &blen, ct);   /* 8 s at 10 frames a second */
    char *shorter = video_body(2, 50, &blen2, ct2); /* 5 s */
    http_resp r;
    ASSERT_EQ(http_do(f.srv.port, "POST", "/h/hash", f.matcher, ct, longer, blen, &r), 0);
    ASSERT_EQ(r.status, 413);
    ASSERT(strstr(r.body, "longer than --max-video-seconds 5") != NULL);
    free(r.body);
    ASSERT_EQ(http_do(f.srv.port, "POST", "/h/hash", f.matcher, ct2, shorter, blen2, &r), 0);
    ASSERT_EQ(r.status, 200);
    free(r.body);
    down(&f);
    /* at 1 s the decoder stops at the third hashed frame (one a second) */
    snprintf(db, sizeof db, "%s/vlimit1.db", tmp_dir());
    up(&f, db, "--max-video-seconds 1");
    ASSERT_EQ(http_do(f.srv.port, "POST", "/h/hash", f.matcher, ct, longer, blen, &r), 0);
    ASSERT_EQ(r.status, 413);
    if (!strstr(r.body, "longer than --max-video-seconds 1 (more than 2 frames"))
        FAIL("%s", r.body);
    free(r.body);
    free(longer), free(shorter);
    down(&f);
}

/* Text and URLs: raw text is stored as its hashes; lookups by URL and by
 * raw text (an edited copy found by its near signal). */
static char *qenc(const char *s) {
    char *o = malloc(3 * strlen(s) + 1), *p = o;
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
            strchr("-_.~", c))
            *p++ = (char)c;
        else
            p += sprintf(p, "%%%02X", c);
    }
    *p = 0;
    return o;
}

static void t_text_url(const char *db) {
    fixture f;
    up(&f, db, NULL);
    create_bank(&f);
    static const char *post =
        "The meeting of the committee will take place on Thursday in the old town hall, "
        "where members will discuss the budget, the new library and the repairs to the bridge "
        "over the river that were promised last spring by the mayor and the council.";
    static const char *edited =
        "THE MEETING of the committee will take place on Friday in the old town hall,  "
        "where members will discuss the budget, the new museum and the repairs to the bridge "
        "over the river that were promised last spring by the mayor and the council!";
    http_resp r;
    char path[2048], body[2048];
    snprintf(path, sizeof path, "/c/bank/%s/signal", f.bank);
    snprintf(body, sizeof body, "{\"text\":\"%s\"}", post);
    ASSERT_EQ(req(&f, "POST", path, f.curator, body, &r), 200);
    json_t *j = parse(&r);
    json_t *sigs = json_object_get(j, "signals");
    ASSERT(json_object_get(sigs, "text_exact") && json_object_get(sigs, "text_near") &&
           json_object_get(sigs, "text_tlsh"));
    ASSERT(json_object_get(sigs, "text") == NULL); /* hashes, not the text */
    json_decref(j), free(r.body);
    ASSERT_EQ(req(&f, "POST", path, f.curator, "{\"url\":\"example.com/videos/\"}", &r), 200);
    free(r.body);
    ASSERT_EQ(req(&f, "POST", path, f.curator, "{\"url\":\"http://\"}", &r), 400);
    free(r.body);
    char *u = qenc("https://www.example.com/videos/x?y=1");
    char *t = qenc(edited);
    int url_ok = 0, text_ok = 0;
    for (int i = 0; i < 30 && !(url_ok && text_ok); i++) {
        snprintf(path, sizeof path, "/m/lookup?signal_type=url&signal=%s", u);
        ASSERT_EQ(req(&f, "GET", path, f.matcher, NULL, &r), 200);
        j = parse(&r);
        json_t *m = json_array_get(json_object_get(j, f.bank), 0);
        url_ok = m && strcmp(json_string_value(json_object_get(m, "matched")),
                             "example.com/videos/") == 0;
        json_decref(j), free(r.body);
        snprintf(path, sizeof path, "/m/lookup?signal_type=text&signal=%s", t);
        ASSERT_EQ(req(&f, "GET", path, f.matcher, NULL, &r), 200);
        j = parse(&r);
        m = json_array_get(json_object_get(j, f.bank), 0);
        text_ok = m && strcmp(json_string_value(json_object_get(m, "signal_type")), "text_near") == 0 &&
                  json_real_value(json_object_get(m, "similarity")) >= 0.4;
        json_decref(j), free(r.body);
        if (!(url_ok && text_ok))
            usleep(100000);
    }
    ASSERT(url_ok);
    ASSERT(text_ok);
    ASSERT_EQ(req(&f, "GET", "/m/lookup?signal_type=url&signal=http%3A%2F%2F", f.matcher, NULL, &r),
              400);
    free(r.body);
    free(u), free(t);
    down(&f);
}
TEST(api_text_and_url_signals) { EACH_BACKEND(t_text_url(db)); }

static void t_limits(const char *db) {
    fixture f;
    up(&f, db, "--max-body 1000 --max-upload 2000");
    http_resp r;
    char *big = malloc(5000);
    memset(big, ' ', 5000);
    big[0] = '{', big[4999] = '}';
    ASSERT_EQ(http_do(f.srv.port, "POST", "/c/banks", f.curator, "application/json", big, 5000, &r),
              0);
    ASSERT_EQ(r.status, 413);
    free(r.body), free(big);
    /* headers over the connection's 16 KiB buffer: refused by libmicrohttpd */
    char *tok = malloc(20001);
    memset(tok, 'a', 20000);
    tok[20000] = 0;
    ASSERT_EQ(http_do(f.srv.port, "GET", "/c/banks", tok, NULL, NULL, 0, &r), 0);
    ASSERT_EQ(r.status, 431);
    free(r.body), free(tok);
    down(&f);
}
TEST(api_body_limits) { EACH_BACKEND(t_limits(db)); }

/* GET /h/hash?url= and the other url= forms: off by default, then only
 * allowlisted hosts, no internal addresses unless allowed, no redirects,
 * a size limit. The far end is a small server on loopback. */
static int get_status(fixture *f, const char *path, const char *tok, char *body_out, size_t cap) {
    http_resp r;
    int st = req(f, "GET", path, tok, NULL, &r);
    if (body_out)
        snprintf(body_out, cap, "%s", r.body);
    free(r.body);
    return st;
}

TEST(api_fetch_by_url) {
    char db[4096], path[1024], body[2048];
    snprintf(db, sizeof db, "%s/fetch.db", tmp_dir());
    size_t len;
    unsigned char *img = read_file(fmt("%s/samples/palapeli-data-002.jpg", repo_dir()), &len);
    ASSERT(img != NULL);
    media_server ms;
    media_server_start(&ms, 200, "Content-Type: image/jpeg\r\n", img, len);
    /* off by default */
    fixture f;
    up(&f, db, NULL);
    snprintf(path, sizeof path, "/h/hash?url=http://127.0.0.1:%d/a.jpg", ms.port);
    ASSERT_EQ(get_status(&f, path, f.matcher, body, sizeof body), 403);
    ASSERT(strstr(body, "disabled") != NULL);
    ASSERT_EQ(get_status(&f, "/h/hash", f.matcher, NULL, 0), 422);
    down(&f);
    ASSERT_EQ(ms.served, 0);
    /* allowed host, but loopback is internal: refused before connecting */
    up(&f, db, "--fetch-allow 127.0.0.1");
    ASSERT_EQ(get_status(&f, path, f.matcher, body, sizeof body), 400);
    ASSERT(strstr(body, "internal address") != NULL);
    ASSERT_EQ(ms.served, 0);
    down(&f);
    /* loopback allowed for this test, 200 KB at most */
    up(&f, db, "--fetch-allow 127.0.0.1 --fetch-private --fetch-max-bytes 200000");
    create_bank(&f);
    http_resp r;
    ASSERT_EQ(req(&f, "GET", path, f.matcher, NULL, &r), 200);
    json_t *j = parse(&r);
    ASSERT_STR_EQ(json_string_value(json_object_get(j, "pdq")), /* samples/REFERENCE-PDQ.csv */
                  "f8110d4425fa063b8c759efa81036da9985387cd0ce663e5f31e6de28a9837cf");
    json_decref(j), free(r.body);
    ASSERT_EQ(ms.served, 1);
    /* added to a bank by URL, then looked up by URL */
    snprintf(path, sizeof path, "/c/bank/%s/content?url=http://127.0.0.1:%d/a.jpg", f.bank,
             ms.port);
    ASSERT_EQ(http_do(f.srv.port, "POST", path, f.curator, NULL, NULL, 0, &r), 0);
    ASSERT_EQ(r.status, 200);
    free(r.body);
    int found = 0;
    for (int i = 0; i < 30 && !found; i++) {
        snprintf(path, sizeof path, "/m/lookup?url=http://127.0.0.1:%d/a.jpg", ms.port);
        ASSERT_EQ(req(&f, "GET", path, f.matcher, NULL, &r), 200);
        j = parse(&r);
        found = json_array_size(json_object_get(json_object_get(j, "md5"), f.bank)) == 1 &&
                json_array_size(json_object_get(json_object_get(j, "pdq"), f.bank)) == 1;
        json_decref(j), free(r.body);
        if (!found)
            usleep(100000);
    }
    ASSERT(found);
    /* with signal_type, that type's bank map alone (HMA's URL mode) */
    snprintf(path, sizeof path, "/m/lookup?url=http://127.0.0.1:%d/a.jpg&signal_type=pdq", ms.port);
    ASSERT_EQ(req(&f, "GET", path, f.matcher, NULL, &r), 200);
    j = parse(&r);
    ASSERT_EQ(json_array_size(json_object_get(j, f.bank)), 1);
    json_decref(j), free(r.body);
    /* a host not on the list, another scheme, no host */
    snprintf(path, sizeof path, "/h/hash?url=http://localhost:%d/a.jpg", ms.port);
    ASSERT_EQ(get_status(&f, path, f.matcher, body, sizeof body), 400);
    ASSERT(strstr(body, "fetch-allow") != NULL);
    ASSERT_EQ(get_status(&f, "/h/hash?url=file:///etc/passwd", f.matcher, NULL, 0), 400);
    ASSERT_EQ(get_status(&f, "/h/hash?url=gopher://127.0.0.1/x", f.matcher, NULL, 0), 400);
    ASSERT_EQ(get_status(&f, "/h/hash?url=http://", f.matcher, NULL, 0), 400);
    unsigned long long before = ms.served;
    media_server_stop(&ms);
    /* a redirect is not followed */
    media_server_start(&ms, 302, "Location: http://169.254.169.254/latest/meta-data\r\n", "", 0);
    snprintf(path, sizeof path, "/h/hash?url=http://127.0.0.1:%d/a.jpg", ms.port);
    ASSERT_EQ(get_status(&f, path, f.matcher, body, sizeof body), 400);
    ASSERT(strstr(body, "redirect") != NULL);
    media_server_stop(&ms);
    /* an error status */
    media_server_start(&ms, 404, NULL, "no", 2);
    snprintf(path, sizeof path, "/h/hash?url=http://127.0.0.1:%d/a.jpg", ms.port);
    ASSERT_EQ(get_status(&f, path, f.matcher, body, sizeof body), 400);
    ASSERT(strstr(body, "404") != NULL);
    media_server_stop(&ms);
    /* over the size limit */
    unsigned char *big = calloc(1, 300000);
    media_server_start(&ms, 200, NULL, big, 300000);
    snprintf(path, sizeof path, "/h/hash?url=http://127.0.0.1:%d/a.jpg", ms.port);
    ASSERT_EQ(get_status(&f, path, f.matcher, body, sizeof body), 413);
    media_server_stop(&ms);
    ASSERT_GT(before, 1);
    /* the matcher role suffices to hash; none does not */
    ASSERT_EQ(get_status(&f, path, NULL, NULL, 0), 401);
    down(&f);
    free(big);
    free(img);
}

static void t_import(const char *db) {
    fixture f;
    up(&f, db, NULL);
    create_bank(&f);
    char path[256];
    snprintf(path, sizeof path, "/c/bank/%s/import?format=hashlist", f.bank);
    char body[512];
    snprintf(body, sizeof body, "%s item-one\nnot a hash\n", H1);
    http_resp r;
    ASSERT_EQ(http_do(f.srv.port, "POST", path, f.curator, "text/plain", body, strlen(body), &r), 0);
    ASSERT_EQ(r.status, 200);
    json_t *j = parse(&r);
    ASSERT_EQ(json_integer_value(json_object_get(j, "added")), 1);
    ASSERT_EQ(json_integer_value(json_object_get(j, "skipped")), 1);
    ASSERT_EQ(json_array_size(json_object_get(j, "rejects")), 1);
    json_decref(j), free(r.body);
    j = lookup_until(&f, H1, 1);
    ASSERT_EQ(json_array_size(json_object_get(j, f.bank)), 1);
    json_decref(j);
    snprintf(path, sizeof path, "/c/bank/%s/export?format=hashlist", f.bank);
    ASSERT_EQ(req(&f, "GET", path, f.curator, NULL, &r), 200);
    ASSERT(strstr(r.body, H1) != NULL);
    free(r.body);
    down(&f);
}
TEST(api_import_export) { EACH_BACKEND(t_import(db)); }

/* Writers and readers at once: every write succeeds and is matchable. */
typedef struct {
    fixture *f;
    int base, n, failures;
} worker_arg;

static void *writer(void *p) {
    worker_arg *a = p;
    for (int i = 0; i < a->n; i++) {
        char hex[65], path[256], body[256];
        snprintf(hex, sizeof hex, "%08x%056x", a->base + i, 0);
        snprintf(path, sizeof path, "/c/bank/%s/signal", a->f->bank);
        snprintf(body, sizeof body, "{\"pdq\":\"%s\"}", hex);
        http_resp r;
        if (http_do(a->f->srv.port, "POST", path, a->f->curator, "application/json", body,
                    strlen(body), &r) != 0 ||
            r.status != 200)
            a->failures++;
        free(r.body);
    }
    return NULL;
}

static void *reader(void *p) {
    worker_arg *a = p;
    for (int i = 0; i < a->n; i++) {
        char path[256];
        snprintf(path, sizeof path, "/m/lookup?signal_type=pdq&signal=%s", H1);
        http_resp r;
        if (http_do(a->f->srv.port, "GET", path, a->f->matcher, NULL, NULL, 0, &r) != 0 ||
            r.status != 200)
            a->failures++;
        free(r.body);
    }
    return NULL;
}

static void t_concurrent(const char *db) {
    fixture f;
    up(&f, db, NULL);
    create_bank(&f);
    pthread_t th[4];
    worker_arg a[4] = {{&f, 0x10000000, 40, 0}, {&f, 0x20000000, 40, 0}, {&f, 0, 80, 0},
                       {&f, 0, 80, 0}};
    pthread_create(&th[0], NULL, writer, &a[0]);
    pthread_create(&th[1], NULL, writer, &a[1]);
    pthread_create(&th[2], NULL, reader, &a[2]);
    pthread_create(&th[3], NULL, reader, &a[3]);
    for (int i = 0; i < 4; i++)
        pthread_join(th[i], NULL);
    for (int i = 0; i < 4; i++)
        ASSERT_EQ(a[i].failures, 0);
    /* every written hash matchable */
    char hex[65];
    snprintf(hex, sizeof hex, "%08x%056x", 0x20000000 + 39, 0);
    json_t *j = lookup_until(&f, hex, 1);
    ASSERT_GE(json_array_size(json_object_get(j, f.bank)), 1);
    json_decref(j);
    down(&f);
}
TEST(api_concurrent_writes_and_lookups) { EACH_BACKEND(t_concurrent(db)); }

TEST(api_replicas_share_postgresql) {
    const char *pg = getenv("TAMIS_TEST_PG");
    if (!pg || !*pg)
        SKIP("needs TAMIS_TEST_PG (tests/run.sh starts a PostgreSQL)");
    fixture a, b;
    up(&a, pg, NULL);
    server_start(&b.srv, pg, NULL);
    b.admin = strdup(a.admin), b.curator = strdup(a.curator), b.matcher = strdup(a.matcher);
    snprintf(b.bank, sizeof b.bank, "%s", a.bank);
    create_bank(&a);
    long long id = add_pdq(&a, H1_3);
    /* written through A, matchable through B within a second */
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    json_t *j = lookup_until(&b, H1_3, 1);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    json_t *m = json_array_get(json_object_get(j, b.bank), 0);
    ASSERT_EQ(json_integer_value(json_object_get(m, "bank_content_id")), id);
    json_decref(j);
    double s = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) * 1e-9;
    if (s > 1.0)
        FAIL("replica saw the write after %.2f s (more than 1 s)", s);
    down(&b);
    down(&a);
}
