/*
 * content.c - /c/bank/<name>/content and /signal: add an item from an
 * upload (hashed here) or from given signals, read, update, delete it.
 * Answers as HMA's: {"id", "signals": {type: value}}.
 */
#include <stdlib.h>
#include <string.h>

#include "server.h"

int hash_upload(req *r, int variants, tamis_image_hash *out);
json_t *bank_json(const tamis_bank *b);

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
    if (arg(r, "url")) {
        reply_error(r, 403, "fetching content by URL is disabled on this server: upload it");
        return;
    }
    tamis_image_hash h;
    if (hash_upload(r, 0, &h) != 0)
        return;
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
        sig[n].type = (char *)type;
        sig[n++].value = (char *)json_string_value(v);
    }
    if (n == 0)
        reply_error(r, 400, "No signals given");
    else
        add_item(r, sig, n, body);
    json_decref(body);
}

static json_t *content_json(const tamis_content *c, int with_signals) {
    json_t *j = json_pack("{s:I,s:I,s:n}", "id", (json_int_t)c->id, "disable_until_ts",
                          (json_int_t)c->disabled_until, "original_media_uri");
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
    tamis_status st = db ? tamis_db_content_get(db, id, c) : TAMIS_ERR_DB;
    if (st == TAMIS_OK && strcmp(c->bank, r->params[0]) != 0)
        st = TAMIS_ERR_NOT_FOUND; /* an item of another bank */
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
            reply_error(r, 400, "disable_until_ts must be an integer");
            goto out;
        }
        c.disabled_until = (int64_t)json_integer_value(v);
    }
    if ((v = json_object_get(body, "note"))) {
        if (!json_is_string(v) && !json_is_null(v)) {
            reply_error(r, 400, "note should be a string");
            goto out;
        }
        free(c.note);
        c.note = note = json_is_null(v) ? NULL : strdup(json_string_value(v));
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
    if (st == TAMIS_OK)
        reply_json(r, 200, content_json(&c, 0));
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
    tamis_content c;
    if (load_item(r, &c) != 0)
        return;
    tamis_status st = tamis_db_content_delete(srv_db(r), c.id);
    tamis_content_clear(&c);
    if (st == TAMIS_OK)
        reply_json(r, 200, json_pack("{s:s}", "message", "Done"));
    else
        reply_status(r, st, "content");
}
