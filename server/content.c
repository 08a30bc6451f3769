/*
 * content.c - /c/bank/<name>/content and /signal: add an item from an
 * upload (hashed here) or from given signals, read, update, delete it.
 * Answers as HMA's: {"id", "signals": {type: value}}.
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "server.h"

json_t *bank_json(const tamis_bank *b);

/* HMA's disable_until_ts: 1 = enabled, 0 = disabled, else disabled until
 * that time. tamis's disabled_until: 0 = enabled, else until that time
 * (INT64_MAX: for good). */
static json_int_t to_hma_disable(int64_t d) {
    return d == 0 ? 1 : d == INT64_MAX ? 0 : (json_int_t)d;
}
static int64_t from_hma_disable(json_int_t v) {
    return v == 1 ? 0 : v == 0 ? INT64_MAX : (int64_t)v;
}

static int parse_id(req *r, const char *s, int64_t *id) {
    char *end;
    long long v = strtoll(s, &end, 10);
    if (*end || end == s || v <= 0) {
        reply_error(r, 404, "content '%s' not found", s);
        return -1;
    }
    *id = v;
    return 0;
}

/* Adds an item with the signals given, from the request's note/metadata. */
static void add_item(req *r, tamis_signal *sig, size_t n, json_t *body) {
    tamis_content c;
    memset(&c, 0, sizeof c);
    c.bank = (char *)r->params[0];
    c.signals = sig;
    c.n_signals = n;
    char *meta = NULL;
    if (body) {
        json_t *v = json_object_get(body, "note");
        if (v && (!json_is_string(v) || strlen(json_string_value(v)) > 255)) {
            reply_error(r, 400, "note should be a string of at most 255 characters");
            return;
        }
        c.note = v ? (char *)json_string_value(v) : NULL;
        v = json_object_get(body, "metadata");
        if (v && !json_is_object(v)) {
            reply_error(r, 400, "metadata should be a json object");
            return;
        }
        if (v)
            c.metadata = meta = json_dumps(v, JSON_COMPACT);
    }
    tamis_db *db = srv_db(r);
    int64_t id = 0;
    tamis_status st = db ? tamis_db_content_add(db, &c, &id) : TAMIS_ERR_DB;
    free(meta);
    if (st == TAMIS_ERR_NOT_FOUND) {
        reply_error(r, 404, "bank '%s' not found", r->params[0]);
        return;
    }
    if (st == TAMIS_ERR_INVALID) {
        reply_error(r, 400, "%s", tamis_db_errmsg(db));
        return;
    }
    if (st != TAMIS_OK) {
        reply_status(r, st, "content");
        return;
    }
    json_t *sigs = json_object();
    for (size_t i = 0; i < n; i++)
        json_object_set_new(sigs, sig[i].type, json_string(sig[i].value));
    reply_json(r, 200, json_pack("{s:I,s:o}", "id", (json_int_t)id, "signals", sigs));
}

void h_content_add(req *r) {
    tamis_image_hash h;
    video_hash vh;
    int k = hash_media(r, 0, 1, &h, &vh);
    if (k < 0)
        return;
    if (k == 1) { /* a video: all four of its signals */
        tamis_signal vs[4] = {{"md5", vh.md5}, {"sha256", vh.sha256}, {"vpdq", vh.vpdq},
                              {"tmk", vh.tmk}};
        add_item(r, vs, 4, NULL);
        video_hash_free(&vh);
        return;
    }
    char pdq[TAMIS_PDQ_HEX_LEN + 1], md5[33], sha[65];
    tamis_pdq_to_hex(&h.pdq, pdq);
    tamis_hex_encode(h.digests.md5, TAMIS_MD5_BYTES, md5);
    tamis_hex_encode(h.digests.sha256, TAMIS_SHA256_BYTES, sha);
    tamis_signal sig[3] = {{"pdq", pdq}, {"md5", md5}, {"sha256", sha}};
    /* A PDQ hash too weak to match would only produce false matches. */
    size_t first = h.quality < TAMIS_PDQ_MIN_QUALITY ? 1 : 0;
    /* note and metadata come as form fields in an upload; not kept by
     * the upload parser yet, so an upload's item has none. */
    add_item(r, sig + first, 3 - first, NULL);
}

void h_signal_add(req *r) {
    json_t *body = body_json(r);
    if (!body)
        return;
    tamis_signal sig[8];
    size_t n = 0;
    const char *type;
    json_t *v;
    json_object_foreach(body, type, v) {
        if (strcmp(type, "note") == 0 || strcmp(type, "metadata") == 0)
            continue;
        if (!json_is_string(v)) {
            reply_error(r, 400, "Invalid %s signal: not a string", type);
            json_decref(body);
            return;
        }
        if (n == 8) {
            reply_error(r, 400, "too many signals");
            json_decref(body);
            return;
        }
        sig[n].type = strcmp(type, "video_md5") == 0 ? (char *)"md5" : (char *)type;
        sig[n++].value = (char *)json_string_value(v);
    }
    /* Raw text: its three hashes are stored, never the text. */
    tamis_text_hash th;
    for (size_t i = 0; i < n; i++) {
        if (strcmp(sig[i].type, "text") != 0)
            continue;
        tamis_text *t = NULL;
        tamis_status st = tamis_text_create(NULL, &t);
        if (st == TAMIS_OK)
            st = tamis_text_hash_compute(t, sig[i].value, strlen(sig[i].value), &th);
        if (st != TAMIS_OK) {
            reply_error(r, st == TAMIS_ERR_NOMEM ? 500 : 400, "Invalid text signal: %s",
                        t ? tamis_text_errmsg(t) : "out of memory");
            tamis_text_free(t);
            json_decref(body);
            return;
        }
        tamis_text_free(t);
        sig[i] = (tamis_signal){"text_exact", th.exact};
        if (th.near[0] && n < 8)
            sig[n++] = (tamis_signal){"text_near", th.near};
        if (th.tlsh[0] && n < 8)
            sig[n++] = (tamis_signal){"text_tlsh", th.tlsh};
        break; /* one text an item */
    }
    if (n == 0)
        reply_error(r, 400, "No signals given");
    else
        add_item(r, sig, n, body);
    json_decref(body);
}

static json_t *content_json(const tamis_content *c, int with_signals) {
    json_t *j = json_pack("{s:I,s:I,s:n}", "id", (json_int_t)c->id, "disable_until_ts",
                          to_hma_disable(c->disabled_until), "original_media_uri");
    tamis_bank b;
    memset(&b, 0, sizeof b);
    b.name = c->bank;
    b.enabled_ratio = 1.0;
    json_object_set_new(j, "bank", json_pack("{s:s}", "name", c->bank));
    if (with_signals) {
        json_t *s = json_object();
        for (size_t i = 0; i < c->n_signals; i++)
            json_object_set_new(s, c->signals[i].type, json_string(c->signals[i].value));
        json_object_set_new(j, "signals", s);
    }
    if (c->note)
        json_object_set_new(j, "note", json_string(c->note));
    if (c->source)
        json_object_set_new(j, "source", json_string(c->source));
    json_object_set_new(j, "added_at", json_integer(c->added_at));
    if (c->metadata) {
        json_t *m = json_loads(c->metadata, 0, NULL);
        if (m)
            json_object_set_new(j, "metadata", m);
    }
    if (c->labels) {
        json_t *l = json_loads(c->labels, 0, NULL);
        if (l)
            json_object_set_new(j, "labels", l);
    }
    return j;
}

/* Loads item r->params[1] of bank r->params[0]; replies and returns -1
 * when it is not there. */
static int load_item(req *r, tamis_content *c) {
    int64_t id;
    if (parse_id(r, r->params[1], &id) != 0)
        return -1;
    tamis_db *db = srv_db(r);
    memset(c, 0, sizeof *c);
    /* As HMA: the bank in the path must exist; the item is found by id. */
    tamis_bank b;
    memset(&b, 0, sizeof b);
    tamis_status st = db ? tamis_db_bank_get(db, r->params[0], &b) : TAMIS_ERR_DB;
    tamis_bank_clear(&b);
    if (st == TAMIS_ERR_NOT_FOUND) {
        reply_error(r, 404, "bank '%s' not found", r->params[0]);
        return -1;
    }
    if (st == TAMIS_OK)
        st = tamis_db_content_get(db, id, c);
    if (st != TAMIS_OK) {
        tamis_content_clear(c);
        if (st == TAMIS_ERR_NOT_FOUND)
            reply_error(r, 404, "content '%s' not found", r->params[1]);
        else
            reply_status(r, st, "content");
        return -1;
    }
    return 0;
}

void h_content_get(req *r) {
    tamis_content c;
    if (load_item(r, &c) != 0)
        return;
    const char *s = arg(r, "include_signals");
    reply_json(r, 200, content_json(&c, s && strcmp(s, "true") == 0));
    tamis_content_clear(&c);
}

void h_content_update(req *r) {
    json_t *body = body_json(r);
    if (!body)
        return;
    tamis_content c;
    if (load_item(r, &c) != 0) {
        json_decref(body);
        return;
    }
    json_t *v;
    char *meta = NULL, *labels = NULL, *note = NULL;
    if ((v = json_object_get(body, "disable_until_ts"))) {
        if (!json_is_integer(v)) {
            reply_error(r, 400, "Invalid int: 'disable_until_ts'");
            goto out;
        }
        json_int_t t = json_integer_value(v);
        if (t < 0) {
            reply_error(r, 400, "disable_until_ts must be a non-negative integer");
            goto out;
        }
        if (t > (json_int_t)time(NULL) + 5LL * 365 * 86400) {
            reply_error(r, 400, "disable_until_ts must be less than 5 years in the future");
            goto out;
        }
        c.disabled_until = from_hma_disable(t);
    }
    if ((v = json_object_get(body, "note"))) {
        if ((!json_is_string(v) && !json_is_null(v)) ||
            (json_is_string(v) && strlen(json_string_value(v)) > 255)) {
            reply_error(r, 400, "note should be a string of at most 255 characters");
            goto out;
        }
        free(c.note);
        /* "" or null clears it */
        c.note = note = json_is_null(v) || !*json_string_value(v) ? NULL
                                                                  : strdup(json_string_value(v));
    }
    if ((v = json_object_get(body, "metadata"))) {
        free(c.metadata);
        c.metadata = meta = json_dumps(v, JSON_COMPACT);
    }
    if ((v = json_object_get(body, "labels"))) {
        free(c.labels);
        c.labels = labels = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
    }
    tamis_db *db = srv_db(r);
    tamis_status st = tamis_db_content_update(db, &c);
    if (st == TAMIS_OK) {
        /* HMA answers a PUT with its stored record, not the GET shape. */
        json_t *um = c.metadata ? json_loads(c.metadata, 0, NULL) : NULL;
        reply_json(r, 200,
                   json_pack("{s:{s:s,s:f},s:{},s:I,s:I,s:o,s:n,s:o}", "bank", "name", c.bank,
                             "matching_enabled_ratio", 1.0, "collab_metadata",
                             "disable_until_ts", to_hma_disable(c.disabled_until), "id",
                             (json_int_t)c.id, "note",
                             c.note ? json_string(c.note) : json_null(), "original_media_uri",
                             "user_metadata", um ? um : json_null()));
    }
    else if (st == TAMIS_ERR_INVALID)
        reply_error(r, 400, "%s", tamis_db_errmsg(db));
    else
        reply_status(r, st, "content");
out:
    /* c's fields now own note/meta/labels: content_clear frees them */
    (void)meta, (void)labels, (void)note;
    tamis_content_clear(&c);
    json_decref(body);
}

void h_content_delete(req *r) {
    /* As HMA: the bank must exist; {"deleted": 1}, or 0 for no such id. */
    int64_t id;
    tamis_db *db = srv_db(r);
    tamis_bank b;
    memset(&b, 0, sizeof b);
    tamis_status st = db ? tamis_db_bank_get(db, r->params[0], &b) : TAMIS_ERR_DB;
    tamis_bank_clear(&b);
    if (st == TAMIS_ERR_NOT_FOUND) {
        reply_error(r, 404, "bank '%s' not found", r->params[0]);
        return;
    }
    if (st != TAMIS_OK) {
        reply_status(r, st, "bank");
        return;
    }
    char *end;
    long long v = strtoll(r->params[1], &end, 10);
    if (*end || v <= 0) {
        reply_json(r, 200, json_pack("{s:i}", "deleted", 0));
        return;
    }
    id = v;
    st = tamis_db_content_delete(db, id);
    if (st == TAMIS_OK || st == TAMIS_ERR_NOT_FOUND)
        reply_json(r, 200, json_pack("{s:i}", "deleted", st == TAMIS_OK));
    else
        reply_status(r, st, "content");
}

typedef struct {
    json_t *items;
    int64_t last;
} item_page;

static int add_listed(void *ctx, const tamis_content *c) {
    item_page *p = ctx;
    json_array_append_new(p->items, content_json(c, 1));
    p->last = c->id;
    return 0;
}

/* A page of a bank's items, by id, for browsing (the web UI). */
void h_content_list(req *r) {
    long limit = arg_count(r, "limit", 100, 500);
    int64_t after = limit > 0 ? arg_id(r, "after") : -1;
    if (limit < 0 || after < 0)
        return;
    tamis_db *db = srv_db(r);
    if (!db) {
        reply_error(r, 503, "database unavailable");
        return;
    }
    item_page p = {json_array(), 0};
    tamis_status st = tamis_db_content_list(db, r->params[0], (int64_t)after, (size_t)limit + 1,
                                            add_listed, &p);
    if (st != TAMIS_OK && st != TAMIS_DONE) {
        json_decref(p.items);
        if (st == TAMIS_ERR_NOT_FOUND)
            reply_error(r, 404, "bank '%s' not found", r->params[0]);
        else
            reply_status(r, st, "content");
        return;
    }
    /* one more than asked tells whether there is a next page */
    json_t *next = json_null();
    if (json_array_size(p.items) > (size_t)limit) {
        json_array_remove(p.items, (size_t)limit);
        next = json_object_get(json_array_get(p.items, (size_t)limit - 1), "id");
        json_incref(next);
    }
    reply_json(r, 200, json_pack("{s:o,s:o}", "items", p.items, "next", next));
}
