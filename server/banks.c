/*
 * banks.c - /c/banks and /c/bank/<name>: list, create, read, update,
 * delete banks, and import or export a bank's hashes. A bank answers as
 * HMA's ({"name", "matching_enabled_ratio"}) plus tamis's own fields.
 */
#include <stdlib.h>
#include <string.h>

#include "server.h"

json_t *bank_json(const tamis_bank *b);

json_t *bank_json(const tamis_bank *b) {
    json_t *j = json_pack("{s:s,s:f}", "name", b->name, "matching_enabled_ratio", b->enabled_ratio);
    if (b->description)
        json_object_set_new(j, "description", json_string(b->description));
    const char *fields[3] = {"labels", "thresholds", "policy"};
    const char *vals[3] = {b->labels, b->thresholds, b->policy};
    for (int i = 0; i < 3; i++)
        if (vals[i]) {
            json_t *v = json_loads(vals[i], 0, NULL);
            if (v)
                json_object_set_new(j, fields[i], v);
        }
    return j;
}

static int add_bank(void *ctx, const tamis_bank *b) {
    json_array_append_new(ctx, bank_json(b));
    return 0;
}

void h_banks_list(req *r) {
    json_t *list = json_array();
    tamis_db *db = srv_db(r);
    tamis_status st = db ? tamis_db_bank_list(db, add_bank, list) : TAMIS_ERR_DB;
    if (st != TAMIS_OK) {
        json_decref(list);
        reply_status(r, st, "bank list");
        return;
    }
    reply_json(r, 200, list);
}

/* Fills b's optional fields from a request body; returns -1 (replied) on
 * a bad one. Strings point into body (valid while it lives); JSON fields
 * are dumped (free them). */
static int bank_from_json(req *r, json_t *body, tamis_bank *b, char **dumps) {
    json_t *v;
    if ((v = json_object_get(body, "name")) && !json_is_string(v)) {
        reply_error(r, 400, "name must be a string");
        return -1;
    }
    if (v)
        b->name = (char *)json_string_value(v);
    if ((v = json_object_get(body, "description")))
        b->description = (char *)json_string_value(v);
    if ((v = json_object_get(body, "enabled"))) {
        if (!json_is_boolean(v)) {
            reply_error(r, 400, "enabled must be true or false");
            return -1;
        }
        b->enabled_ratio = json_is_true(v) ? 1.0 : 0.0;
    }
    if ((v = json_object_get(body, "enabled_ratio"))) {
        if (!json_is_number(v) || json_number_value(v) < 0 || json_number_value(v) > 1) {
            reply_error(r, 400, "enabled_ratio must be a number from 0 to 1");
            return -1;
        }
        b->enabled_ratio = json_number_value(v);
    }
    const char *fields[3] = {"labels", "thresholds", "policy"};
    char **slots[3] = {&b->labels, &b->thresholds, &b->policy};
    for (int i = 0; i < 3; i++)
        if ((v = json_object_get(body, fields[i]))) {
            dumps[i] = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
            *slots[i] = dumps[i];
        }
    return 0;
}

void h_bank_create(req *r) {
    json_t *body = body_json(r);
    if (!body)
        return;
    tamis_bank b;
    memset(&b, 0, sizeof b);
    b.enabled_ratio = 1.0;
    char *dumps[3] = {0};
    if (bank_from_json(r, body, &b, dumps) == 0) {
        if (!b.name) {
            reply_error(r, 422, "name is required");
        } else {
            tamis_db *db = srv_db(r);
            tamis_status st = db ? tamis_db_bank_create(db, &b) : TAMIS_ERR_DB;
            if (st == TAMIS_OK)
                reply_json(r, 201, bank_json(&b));
            else if (st == TAMIS_ERR_EXISTS)
                reply_error(r, 403, "Bank already exists");
            else if (st == TAMIS_ERR_INVALID)
                reply_error(r, 400, "%s", tamis_db_errmsg(db));
            else
                reply_status(r, st, "bank");
        }
    }
    for (int i = 0; i < 3; i++)
        free(dumps[i]);
    json_decref(body);
}

void h_bank_get(req *r) {
    tamis_bank b;
    memset(&b, 0, sizeof b);
    tamis_db *db = srv_db(r);
    tamis_status st = db ? tamis_db_bank_get(db, r->params[0], &b) : TAMIS_ERR_DB;
    if (st == TAMIS_OK)
        reply_json(r, 200, bank_json(&b));
    else if (st == TAMIS_ERR_NOT_FOUND)
        reply_error(r, 404, "bank '%s' not found", r->params[0]);
    else
        reply_status(r, st, "bank");
    tamis_bank_clear(&b);
}

void h_bank_update(req *r) {
    json_t *body = body_json(r);
    if (!body)
        return;
    tamis_db *db = srv_db(r);
    tamis_bank cur;
    memset(&cur, 0, sizeof cur);
    tamis_status st = db ? tamis_db_bank_get(db, r->params[0], &cur) : TAMIS_ERR_DB;
    if (st == TAMIS_ERR_NOT_FOUND) {
        reply_error(r, 404, "Bank not found");
    } else if (st != TAMIS_OK) {
        reply_status(r, st, "bank");
    } else {
        /* Fields not given keep their values. */
        tamis_bank b = cur;
        char *dumps[3] = {0};
        if (bank_from_json(r, body, &b, dumps) == 0) {
            st = tamis_db_bank_update(db, r->params[0], &b);
            if (st == TAMIS_OK)
                reply_json(r, 200, bank_json(&b));
            else if (st == TAMIS_ERR_EXISTS)
                reply_error(r, 403, "Bank name already exists");
            else if (st == TAMIS_ERR_INVALID)
                reply_error(r, 400, "%s", tamis_db_errmsg(db));
            else
                reply_status(r, st, "bank");
        }
        for (int i = 0; i < 3; i++)
            free(dumps[i]);
    }
    tamis_bank_clear(&cur);
    json_decref(body);
}

void h_bank_delete(req *r) {
    tamis_db *db = srv_db(r);
    tamis_status st = db ? tamis_db_bank_delete(db, r->params[0]) : TAMIS_ERR_DB;
    /* HMA answers the same whether the bank existed or not. */
    if (st == TAMIS_OK || st == TAMIS_ERR_NOT_FOUND)
        reply_json(r, 200, json_pack("{s:s}", "message", "Done"));
    else
        reply_status(r, st, "bank");
}

/* ---- Import and export ------------------------------------------------- */

typedef struct {
    json_t *rejects;
} rejects;

static void on_reject(void *ctx, uint64_t pos, const char *why) {
    rejects *rj = ctx;
    if (json_array_size(rj->rejects) < 100)
        json_array_append_new(rj->rejects, json_pack("{s:I,s:s}", "position", (json_int_t)pos,
                                                     "reason", why));
}

void h_bank_import(req *r) {
    const uint8_t *data = r->upload ? r->upload : r->body;
    size_t len = r->upload ? r->upload_len : r->body_len;
    if (!data || !len) {
        reply_error(r, 400, "send the file as the request body or a multipart upload");
        return;
    }
    const char *fname = arg(r, "format");
    tamis_import_format f = fname ? tamis_import_format_from_name(fname) : TAMIS_IMPORT_AUTO;
    if (fname && f == TAMIS_IMPORT_AUTO && strcmp(fname, "auto") != 0) {
        reply_error(r, 400, "unknown format '%s'", fname);
        return;
    }
    FILE *in = fmemopen((void *)data, len, "r");
    if (!in) {
        reply_error(r, 500, "out of memory");
        return;
    }
    rejects rj = {json_array()};
    tamis_import_report rep;
    memset(&rep, 0, sizeof rep);
    tamis_db *db = srv_db(r);
    tamis_status st = db ? tamis_db_import(db, r->params[0], in, f, arg(r, "source"), on_reject,
                                           &rj, &rep)
                         : TAMIS_ERR_DB;
    fclose(in);
    if (st != TAMIS_OK) {
        json_decref(rj.rejects);
        reply_error(r, st == TAMIS_ERR_INVALID || st == TAMIS_ERR_UNSUPPORTED ||
                               st == TAMIS_ERR_CORRUPT
                           ? 400
                           : 500,
                    "import failed: %s", db ? tamis_db_errmsg(db) : tamis_strerror(st));
        return;
    }
    reply_json(r, 200,
               json_pack("{s:I,s:I,s:I,s:I,s:o}", "read", (json_int_t)rep.read, "added",
                         (json_int_t)rep.added, "removed", (json_int_t)rep.removed, "skipped",
                         (json_int_t)rep.skipped, "rejects", rj.rejects));
}

void h_bank_export(req *r) {
    const char *fname = arg(r, "format");
    tamis_import_format f = fname ? tamis_import_format_from_name(fname) : TAMIS_IMPORT_HMA_LOCAL;
    if (f == TAMIS_IMPORT_AUTO) {
        reply_error(r, 400, "unknown format '%s'", fname);
        return;
    }
    char *buf = NULL;
    size_t len = 0;
    FILE *out = open_memstream(&buf, &len);
    if (!out) {
        reply_error(r, 500, "out of memory");
        return;
    }
    uint64_t rows = 0;
    tamis_db *db = srv_db(r);
    tamis_status st = db ? tamis_db_export(db, r->params[0], out, f, &rows) : TAMIS_ERR_DB;
    fclose(out);
    if (st != TAMIS_OK) {
        free(buf);
        reply_status(r, st, "bank");
        return;
    }
    reply_text(r, 200, f == TAMIS_IMPORT_PYTX_CSV ? "text/csv" : "text/plain", buf, len);
}
