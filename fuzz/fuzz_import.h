/*
 * fuzz_import.h - the checks shared by the import-reader fuzz targets
 * (fuzz_import_*.c, one per format in lib/formats/). Each input is read
 * three times through a FILE:
 *
 *   1. to the end, checking every promise of formats.h: records have an op,
 *      a position from 1 that never goes back (rejects included), a tamis
 *      signal type and a value that passes tamis__check_value (or, for a
 *      tombstone, neither but an external_id), strings in valid UTF-8,
 *      labels a JSON array of strings and metadata a JSON object; rejects
 *      have a short printable reason; an error has a message;
 *   2. stopping at the first record, which must give TAMIS_DONE and the
 *      same first record;
 *   3. with the n-th allocation failing (n from the first byte), which must
 *      give the first run's status or TAMIS_ERR_NOMEM, and leak nothing.
 *
 * The format sniffer runs on every input too.
 */
#ifndef TAMIS_FUZZ_IMPORT_H
#define TAMIS_FUZZ_IMPORT_H

#include <jansson.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../lib/formats/formats.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

typedef struct fuzz_run {
    uint64_t last;      /* the last position seen */
    size_t records;
    size_t stop_after;  /* 0: read to the end */
    char first[512];    /* a digest of the first record */
} fuzz_run;

static void check_string(const char *s) {
    if (s && !tamis__utf8_valid(s, strlen(s)))
        abort();
}

static void check_json(const char *s, int want_array) {
    if (!s)
        return;
    json_error_t e;
    json_t *j = json_loads(s, 0, &e);
    if (!j)
        abort();
    if (want_array) {
        size_t i;
        json_t *v;
        if (!json_is_array(j))
            abort();
        json_array_foreach(j, i, v) if (!json_is_string(v)) abort();
    } else if (!json_is_object(j)) {
        abort();
    }
    json_decref(j);
}

static void check_position(fuzz_run *run, uint64_t pos) {
    if (pos == 0 || pos < run->last)
        abort();
    run->last = pos;
}

static int fuzz_record(void *ctx, const tamis__record *r) {
    fuzz_run *run = ctx;
    check_position(run, r->position);
    if (r->op != TAMIS__REC_ADD && r->op != TAMIS__REC_DELETE)
        abort();
    if (r->type) {
        if (tamis__signal_type(r->type) == NULL || strcmp(tamis__signal_type(r->type), r->type))
            abort();
        if (!r->value || tamis__check_value(r->type, r->value))
            abort();
    } else if (r->op != TAMIS__REC_DELETE || r->value || !r->external_id || !*r->external_id) {
        abort();
    }
    check_string(r->value);
    check_string(r->external_id);
    check_json(r->labels, 1);
    check_json(r->metadata, 0);
    if (run->records++ == 0)
        snprintf(run->first, sizeof run->first, "%llu %d %s %.100s %.100s %.60s %.60s %lld",
                 (unsigned long long)r->position, (int)r->op, r->type ? r->type : "-",
                 r->value ? r->value : "-", r->external_id ? r->external_id : "-",
                 r->labels ? r->labels : "-", r->metadata ? r->metadata : "-",
                 (long long)r->created);
    return run->stop_after && run->records >= run->stop_after;
}

static void fuzz_reject(void *ctx, uint64_t pos, const char *why) {
    fuzz_run *run = ctx;
    check_position(run, pos);
    size_t n = strlen(why);
    if (n == 0 || n >= 200)
        abort();
    for (size_t i = 0; i < n; i++)
        if (why[i] < 0x20 || why[i] > 0x7E)
            abort();
}

static FILE *open_input(const uint8_t *data, size_t size) {
    return size ? fmemopen((void *)data, size, "rb") : fopen("/dev/null", "rb");
}

static tamis_status run_once(tamis__reader_fn fn, const uint8_t *data, size_t size,
                             fuzz_run *run) {
    tamis__reader_cb cb = {fuzz_record, fuzz_reject, run};
    tamis__err err = {{0}};
    FILE *f = open_input(data, size);
    if (!f)
        return TAMIS_ERR_IO;
    tamis_status st = fn(f, &cb, &err);
    fclose(f);
    if (st < 0 && !err.msg[0])
        abort();
    return st;
}

static int fuzz_import(tamis__reader_fn fn, const uint8_t *data, size_t size) {
    tamis_import_format f = tamis__sniff_import((const char *)data, size < 4096 ? size : 4096);
    if (f < TAMIS_IMPORT_AUTO || f > TAMIS_IMPORT_TEXT_LINES)
        abort();

    fuzz_run all = {0};
    tamis_status st = run_once(fn, data, size, &all);
    if (st != TAMIS_OK && (st >= 0 || st < TAMIS_ERR_DB))
        abort();
    if (st == TAMIS_ERR_IO) /* fmemopen cannot fail a read */
        abort();

    if (all.records) {
        fuzz_run one = {0};
        one.stop_after = 1;
        if (run_once(fn, data, size, &one) != TAMIS_DONE || one.records != 1 ||
            strcmp(one.first, all.first) != 0)
            abort();
    }

    fuzz_run starved = {0};
    tamis__alloc_fail_at(1 + (size ? data[0] % 8 : 0));
    tamis_status st3 = run_once(fn, data, size, &starved);
    tamis__alloc_fail_at(0);
    if (st3 != st && st3 != TAMIS_ERR_NOMEM)
        abort();
    return 0;
}

#endif
