/*
 * import.c - tamis_db_import and tamis_db_export: hash lists in the
 * formats banks are shared in (lib/formats/ reads them) to and from bank
 * items. A row becomes an item with one signal; a tombstone removes the
 * bank's items with that signal; a row whose signal the bank already has
 * is skipped, so that importing a list again (or its next version) adds
 * only what is new. A malformed row is reported and skipped.
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../common/common.h"
#include "../formats/formats.h"
#include "store.h"

static const struct {
    tamis_import_format f;
    const char *name;
} names[] = {
    {TAMIS_IMPORT_AUTO, "auto"},           {TAMIS_IMPORT_HMA_LOCAL, "hma"},
    {TAMIS_IMPORT_HASHLIST, "hashlist"},   {TAMIS_IMPORT_PYTX_CSV, "pytx-csv"},
    {TAMIS_IMPORT_TCAP_JSON, "tcap-json"}, {TAMIS_IMPORT_NCMEC_XML, "ncmec-xml"},
    {TAMIS_IMPORT_STOPNCII_JSON, "stopncii-json"}, {TAMIS_IMPORT_VPDQ, "vpdq"},
    {TAMIS_IMPORT_TMK, "tmk"},             {TAMIS_IMPORT_URL_LIST, "url-list"},
    {TAMIS_IMPORT_TEXT_LINES, "text-lines"},
};

const char *tamis_import_format_name(tamis_import_format f) {
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        if (names[i].f == f)
            return names[i].name;
    return NULL;
}

tamis_import_format tamis_import_format_from_name(const char *name) {
    for (size_t i = 0; name && i < sizeof names / sizeof names[0]; i++)
        if (strcmp(names[i].name, name) == 0)
            return names[i].f;
    return TAMIS_IMPORT_AUTO;
}

/* ---- Reading the first bytes twice --------------------------------------
 * The format is sniffed from the first bytes; the reader then needs them
 * again, from a FILE. A cookie stream serves the sniffed bytes, then the
 * rest of the input. */

typedef struct {
    char head[4096];
    size_t len, pos;
    FILE *rest;
} replay;

static ssize_t replay_read(void *c, char *buf, size_t n) {
    replay *r = c;
    if (r->pos < r->len) {
        size_t k = r->len - r->pos < n ? r->len - r->pos : n;
        memcpy(buf, r->head + r->pos, k);
        r->pos += k;
        return (ssize_t)k;
    }
    size_t k = fread(buf, 1, n, r->rest);
    return k == 0 && ferror(r->rest) ? -1 : (ssize_t)k;
}

/* ---- Rows to items ----------------------------------------------------- */

typedef struct {
    tamis_db *db;
    const char *bank, *source;
    tamis_import_reject_cb reject;
    void *ctx;
    tamis_import_report *rep;
    tamis_status fatal;
    unsigned in_batch; /* rows written in the current transaction */
    tamis_text *text;  /* hashes raw text rows, made on first use */
} importer;

/* Rows are written in transactions of TAMIS_IMPORT_BATCH_ROWS by default:
 * one commit a row would cost a disk sync each, and on SQLite each commit
 * rewrites the touched index pages into the WAL (100K rows: 9.6 s in
 * batches of 1000, 5.4 s of 10000). Other writers wait for a batch: about
 * half a second on SQLite, much longer on PostgreSQL (a round trip a
 * statement), hence tamis_db_set_import_batch.
 *
 * Every record the reader hands over counts, whether it adds an item, is
 * skipped as already there or is refused, so that the batches of a file
 * are the same rows on every run: a run stopped anywhere leaves the
 * effect of the first k batches, and running the same file again skips
 * them and writes the rest (tests/server/test_crash.c kills imports to
 * check it). */
tamis_status tamis_db_set_import_batch(tamis_db *db, unsigned rows) {
    if (!db)
        return TAMIS_ERR_INVALID;
    db->import_batch = rows;
    return TAMIS_OK;
}

/* Called before each record: commits once `batch` records are in the
 * transaction, so that the record goes into the next one. */
static int batch_tick(importer *im) {
    unsigned batch = im->db->import_batch ? im->db->import_batch : TAMIS_IMPORT_BATCH_ROWS;
    if (im->in_batch++ < batch)
        return 0;
    im->in_batch = 1;
    tamis_status st = tamis__db_end(im->db, TAMIS_OK);
    if (st == TAMIS_OK)
        st = tamis__db_begin(im->db);
    if (st != TAMIS_OK) {
        im->fatal = st;
        return 1;
    }
    return 0;
}

static void on_reject(void *ctx, uint64_t pos, const char *why) {
    importer *im = ctx;
    im->rep->read++;
    im->rep->skipped++;
    if (im->reject)
        im->reject(im->ctx, pos, why);
}

typedef struct {
    tamis_db *db;
    size_t found;
    int64_t ids[64]; /* the items of a tombstone, deleted after the search */
    tamis_status st;
} finder;

static int note_found(void *ctx, const tamis_content *c) {
    (void)c;
    ((finder *)ctx)->found++;
    return 1; /* one is enough to know */
}

static int collect_found(void *ctx, const tamis_content *c) {
    finder *f = ctx;
    f->ids[f->found++] = c->id;
    return f->found == 64; /* more are taken on the next round */
}

static int on_record(void *ctx, const tamis__record *r) {
    importer *im = ctx;
    char why[160];
    if (batch_tick(im))
        return 1;
    if (!r->type || !r->value) {
        on_reject(im, r->position, "no signal type or value");
        return 0;
    }
    tamis_signal sig = {(char *)r->type, (char *)r->value};
    /* Raw text (pytx TEXT_STRING, HMA raw_text, StopNCII Text): its
     * hashes are stored, not the text. */
    tamis_signal tsig[3];
    size_t nsig = 1;
    tamis_text_hash th;
    if (strcmp(r->type, "text") == 0) {
        tamis_status tst = im->text ? TAMIS_OK : tamis_text_create(NULL, &im->text);
        if (tst == TAMIS_OK)
            tst = tamis_text_hash_compute(im->text, r->value, strlen(r->value), &th);
        if (tst == TAMIS_ERR_NOMEM) {
            im->fatal = tst;
            return 1;
        }
        if (tst != TAMIS_OK) {
            snprintf(why, sizeof why, "text: %s", tamis_text_errmsg(im->text));
            on_reject(im, r->position, why);
            return 0;
        }
        nsig = 0;
        tsig[nsig++] = (tamis_signal){"text_exact", th.exact};
        if (th.near[0])
            tsig[nsig++] = (tamis_signal){"text_near", th.near};
        if (th.tlsh[0])
            tsig[nsig++] = (tamis_signal){"text_tlsh", th.tlsh};
        sig = tsig[0]; /* found again by its exact hash */
    }
    if (r->op == TAMIS__REC_DELETE) {
        /* Find (up to 64 at a time), then delete: no deleting while the
         * store iterates. */
        im->rep->read++;
        for (;;) {
            finder f = {im->db, 0, {0}, TAMIS_OK};
            tamis_status st = tamis_db_content_find(im->db, im->bank, &sig, collect_found, &f);
            if (st == TAMIS_ERR_INVALID) {
                im->rep->skipped++;
                if (im->reject)
                    im->reject(im->ctx, r->position, "invalid signal in tombstone");
                return 0;
            }
            if (st != TAMIS_OK && st != TAMIS_DONE) {
                im->fatal = st;
                return 1;
            }
            for (size_t k = 0; k < f.found; k++) {
                st = tamis_db_content_delete(im->db, f.ids[k]);
                if (st == TAMIS_OK)
                    im->rep->removed++;
                else if (st != TAMIS_ERR_NOT_FOUND) {
                    im->fatal = st;
                    return 1;
                }
            }
            if (f.found < 64)
                return 0;
        }
    }
    /* Already in the bank: skipped, so that importing again adds nothing. */
    finder f = {im->db, 0, {0}, TAMIS_OK};
    tamis_status st = tamis_db_content_find(im->db, im->bank, &sig, note_found, &f);
    if (st == TAMIS_ERR_INVALID) {
        snprintf(why, sizeof why, "invalid %s value", r->type);
        on_reject(im, r->position, why);
        return 0;
    }
    if (st != TAMIS_OK && st != TAMIS_DONE) {
        im->fatal = st;
        return 1;
    }
    im->rep->read++;
    if (f.found) {
        im->rep->skipped++;
        return 0;
    }
    tamis_content c;
    memset(&c, 0, sizeof c);
    c.bank = (char *)im->bank;
    c.labels = (char *)r->labels;
    c.source = (char *)im->source;
    c.note = (char *)r->external_id;
    c.metadata = (char *)r->metadata;
    c.signals = nsig > 1 ? tsig : &sig;
    c.n_signals = nsig;
    int64_t id;
    st = tamis_db_content_add(im->db, &c, &id);
    if (st == TAMIS_OK) {
        im->rep->added++;
    } else if (st == TAMIS_ERR_INVALID) {
        im->rep->skipped++;
        if (im->reject) {
            snprintf(why, sizeof why, "%s", tamis_db_errmsg(im->db));
            im->reject(im->ctx, r->position, why);
        }
    } else {
        im->fatal = st;
        return 1;
    }
    return 0;
}

/* Gives a failure that has no message yet one, for tamis_db_errmsg. */
static tamis_status import_failed(tamis_db *db, tamis_status st) {
    if (st < 0 && !db->err.msg[0])
        tamis__fail(&db->err, st, "import: %s", tamis_strerror(st));
    return st;
}

tamis_status tamis_db_import(tamis_db *db, const char *bank, FILE *in,
                             tamis_import_format format, const char *source,
                             tamis_import_reject_cb reject, void *ctx,
                             tamis_import_report *report) {
    tamis_import_report local;
    if (!report)
        report = &local;
    memset(report, 0, sizeof *report);
    if (!db || !bank || !in)
        return TAMIS_ERR_INVALID;
    /* The bank, created (enabled) if missing. */
    tamis_bank b;
    memset(&b, 0, sizeof b);
    tamis_status st = tamis_db_bank_get(db, bank, &b);
    tamis_bank_clear(&b);
    if (st == TAMIS_ERR_NOT_FOUND) {
        tamis_bank nb;
        memset(&nb, 0, sizeof nb);
        nb.name = (char *)bank;
        nb.enabled_ratio = 1.0;
        st = tamis_db_bank_create(db, &nb);
    }
    if (st != TAMIS_OK)
        return import_failed(db, st);
    tamis__err_clear(&db->err);

    replay rp;
    rp.len = fread(rp.head, 1, sizeof rp.head, in);
    rp.pos = 0;
    rp.rest = in;
    if (ferror(in))
        return import_failed(db, TAMIS_ERR_IO);
    if (format == TAMIS_IMPORT_AUTO)
        format = tamis__sniff_import(rp.head, rp.len);
    tamis__reader_fn rd = tamis__reader_for(format);
    if (!rd)
        return import_failed(db, TAMIS_ERR_UNSUPPORTED);
    cookie_io_functions_t io = {replay_read, NULL, NULL, NULL};
    FILE *f = fopencookie(&rp, "r", io);
    if (!f)
        return import_failed(db, TAMIS_ERR_NOMEM);
    importer im = {db, bank, source, reject, ctx, report, TAMIS_OK, 0, NULL};
    tamis__reader_cb cb = {on_record, on_reject, &im};
    tamis__err err;
    tamis__err_clear(&err);
    st = tamis__db_begin(db);
    if (st == TAMIS_OK) {
        st = rd(f, &cb, &err);
        if (im.fatal != TAMIS_OK)
            st = im.fatal;
        if (st == TAMIS_DONE)
            st = TAMIS_OK;
        st = tamis__db_end(db, st);
    }
    fclose(f);
    tamis_text_free(im.text);
    if (im.fatal != TAMIS_OK)
        return import_failed(db, im.fatal);
    if (st == TAMIS_DONE)
        st = TAMIS_OK;
    if (st != TAMIS_OK && err.msg[0]) /* the reader's reason, for tamis_db_errmsg */
        tamis__fail(&db->err, st, "%s", err.msg);
    return import_failed(db, st);
}

/* ---- Export ------------------------------------------------------------ */

typedef struct {
    FILE *out;
    tamis_import_format f;
    uint64_t rows;
} exporter;

static void csv_field(FILE *out, const char *s) {
    if (!s)
        return;
    if (!strpbrk(s, ",\"\r\n")) {
        fputs(s, out);
        return;
    }
    fputc('"', out);
    for (; *s; s++) {
        if (*s == '"')
            fputc('"', out);
        fputc(*s, out);
    }
    fputc('"', out);
}

static int export_item(void *ctx, const tamis_content *c) {
    exporter *e = ctx;
    for (size_t i = 0; i < c->n_signals; i++) {
        const tamis_signal *s = &c->signals[i];
        switch (e->f) {
        case TAMIS_IMPORT_HMA_LOCAL:
            fprintf(e->out, "%s %s\n", s->type, s->value);
            break;
        case TAMIS_IMPORT_HASHLIST:
            if (strcmp(s->type, "pdq") != 0)
                continue; /* the hash list holds PDQ hashes only */
            fprintf(e->out, "%s %lld\n", s->value, (long long)c->id);
            break;
        default: { /* pytx CSV */
            char date[32] = "";
            time_t t = (time_t)c->added_at;
            struct tm tm;
            if (gmtime_r(&t, &tm))
                strftime(date, sizeof date, "%Y-%m-%dT%H:%M:%S+0000", &tm);
            fputs(s->value, e->out);
            fprintf(e->out, ",%lld,,%s,", (long long)c->id, date);
            csv_field(e->out, c->labels);
            fputc('\n', e->out);
        }
        }
        e->rows++;
    }
    return ferror(e->out) != 0;
}

tamis_status tamis_db_export(tamis_db *db, const char *bank, FILE *out,
                             tamis_import_format format, uint64_t *rows) {
    if (rows)
        *rows = 0;
    if (!db || !bank || !out)
        return TAMIS_ERR_INVALID;
    if (format != TAMIS_IMPORT_HMA_LOCAL && format != TAMIS_IMPORT_HASHLIST &&
        format != TAMIS_IMPORT_PYTX_CSV)
        return TAMIS_ERR_UNSUPPORTED;
    tamis_bank b;
    memset(&b, 0, sizeof b);
    tamis_status st = tamis_db_bank_get(db, bank, &b);
    tamis_bank_clear(&b);
    if (st != TAMIS_OK)
        return st;
    exporter e = {out, format, 0};
    if (format == TAMIS_IMPORT_PYTX_CSV)
        fputs("indicator,indicator_id,first_descriptor_id,added_on,labels\n", out);
    st = tamis_db_content_list(db, bank, 0, 0, export_item, &e);
    if (st == TAMIS_DONE || (st == TAMIS_OK && ferror(out)))
        st = TAMIS_ERR_IO;
    if (rows)
        *rows = e.rows;
    return st;
}
