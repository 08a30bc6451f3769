/*
 * ncmec_xml.c - NCMEC's hash-sharing XML (the v2 API's /entries answer,
 * as python-threatexchange's NCMEC client reads it), streamed with
 * libxml2's xmlTextReader: one entry is held at a time, never the tree.
 *
 * What is accepted (doc/formats.md has it with an example):
 *   <queryResult xmlns="https://hashsharing.ncmec.org/hashsharing/v2">
 *     <images count=".." maxTimestamp="..">
 *       <image>
 *         <member id="42">Example Member</member>
 *         <timestamp>2017-10-24T15:00:00Z</timestamp>
 *         <id>image1</id>
 *         <classification>A1</classification>
 *         <fingerprints><md5>..</md5><sha1>..</sha1><pdq>..</pdq></fingerprints>
 *         <feedback>..</feedback>
 *       </image>
 *       <deletedImage><member id="43">..</member><id>image4</id>..</deletedImage>
 *     </images>
 *     <videos> <video>..</video> <deletedVideo>..</deletedVideo> </videos>
 *   </queryResult>
 * Entries are the image, video, deletedImage and deletedVideo elements
 * whose parent is an images or videos element, at any depth (so a file may
 * wrap several answers in one root); names are compared without their
 * namespace. An entry gives one record per fingerprint tamis matches on
 * (md5, pdq, sha256, tmk_pdqf...; sha1, pdna and the others are skipped),
 * all with the entry's position and id; a deleted entry gives one
 * tombstone per such fingerprint, or, having none (as NCMEC sends them),
 * one naming the entry by id alone. An entry without an id, without a
 * fingerprint tamis matches on, with a bad hash, a repeated field or over
 * TAMIS__IMPORT_RECORD_MAX bytes of text is rejected.
 *
 * Safety: a DOCTYPE anywhere in the input ends the read before the parser
 * sees it (so no entity is ever declared: no billion laughs, no external
 * entities). For that check to see the bytes the parser reads, the parser
 * reads UTF-8 only, whatever the document declares (XML_PARSE_IGNORE_ENC:
 * a declared UTF-7 could spell "<!DOCTYPE" as "+ADw-!DOCTYPE"), and input
 * that does not start with '<' or holds a NUL byte (UTF-16, UCS-4) is
 * refused. The parser runs with XML_PARSE_NONET, without XML_PARSE_NOENT,
 * DTD loading or XML_PARSE_HUGE (libxml2's own limits on depth and text
 * stay on). libxml2's errors, including those it sends to its per-thread
 * generic channel, come to us during the read, never to stderr.
 */
#include <jansson.h>
#include <libxml/parser.h>
#include <libxml/xmlreader.h>
#include <string.h>

#include "formats.h"

#define MAX_FINGERPRINTS 16
#define MAX_DEPTH 1024

/* The input, as the parser pulls it. */
typedef struct source {
    FILE *in;
    uint64_t bytes;
    int started;   /* the first byte past blanks and a BOM was '<' */
    int matched;   /* bytes of "<!DOCTYPE" matched so far */
    int io_error, doctype, not_xml;
} source;

static int source_read(void *ctx, char *buf, int len) {
    static const char doctype[] = "<!DOCTYPE";
    source *s = ctx;
    size_t n = fread(buf, 1, (size_t)len, s->in);
    if (n == 0 && ferror(s->in)) {
        s->io_error = 1;
        return -1;
    }
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)buf[i];
        if (c == 0) { /* never in UTF-8 XML; always in UTF-16 and UCS-4 */
            s->not_xml = 1;
            return -1;
        }
        if (!s->started) {
            if (strchr(" \t\r\n\xEF\xBB\xBF", c))
                continue;
            if (c != '<') {
                s->not_xml = 1;
                return -1;
            }
            s->started = 1;
        }
        if (c == (unsigned char)doctype[s->matched]) {
            if (++s->matched == (int)sizeof doctype - 1) {
                s->doctype = 1;
                return -1;
            }
        } else {
            s->matched = c == '<';
        }
    }
    s->bytes += n;
    return (int)n;
}

enum { F_NONE, F_ID, F_MEMBER, F_TIMESTAMP, F_CLASSIFICATION, F_FINGERPRINT };

/* The entry being read. Its text lives in one arena of fixed size;
 * fields are offsets into it, -1 when absent. */
typedef struct entry {
    int active, depth, deleted;
    const char *media;          /* "image" or "video" */
    uint64_t position;
    char *text;
    size_t used;
    int overflow, too_many;
    const char *repeated;       /* the name of a field given twice */
    long id, member, member_id, timestamp, classification;
    size_t nfp;
    long fp_name[MAX_FINGERPRINTS], fp_value[MAX_FINGERPRINTS];
    int in_fingerprints;
    int field, field_depth;     /* the field whose text is being read */
    long field_start;
} entry;

typedef struct reader {
    xmlTextReaderPtr xr;
    const tamis__reader_cb *cb;
    entry e;
    uint64_t entries;
    int seen_container;
    char container[MAX_DEPTH]; /* the element open at each depth is images or videos */
    char errmsg[200];
    int errline;
} reader;

static void on_error(void *arg, xmlErrorPtr error) {
    reader *rd = arg;
    if (rd->errmsg[0] || !error || error->level < XML_ERR_ERROR)
        return;
    /* libxml2's message, in printable ASCII, without its closing newline */
    const char *m = error->message ? error->message : "error";
    size_t n = 0;
    for (; m[n] && n < sizeof rd->errmsg - 1; n++)
        rd->errmsg[n] = (m[n] >= 0x20 && m[n] < 0x7F) ? m[n] : ' ';
    while (n && rd->errmsg[n - 1] == ' ')
        n--;
    rd->errmsg[n] = '\0';
    rd->errline = error->line;
}

/* For the messages libxml2 sends to its generic channel (those of its I/O
 * and encoding layers, which have no parser context): ours go through the
 * structured channel instead, so these are dropped. */
static void quiet(void *ctx, const char *msg, ...) {
    (void)ctx;
    (void)msg;
}

/* Appends n bytes to the arena; returns the offset where they start. */
static long put(entry *e, const char *s, size_t n) {
    if (e->overflow || TAMIS__IMPORT_RECORD_MAX - e->used < n + 1) {
        e->overflow = 1;
        return -1;
    }
    memcpy(e->text + e->used, s, n);
    long at = (long)e->used;
    e->used += n;
    e->text[e->used++] = '\0';
    return at;
}

static const char *str(const entry *e, long off) { return off >= 0 ? e->text + off : NULL; }

static void begin_field(entry *e, int field, int depth) {
    e->field = field;
    e->field_depth = depth;
    e->field_start = (long)e->used;
}

/* Ends the field: its text, trimmed, NUL-terminated. */
static long end_field(entry *e) {
    e->field = F_NONE;
    if (e->overflow || e->used == TAMIS__IMPORT_RECORD_MAX) {
        e->overflow = 1;
        return -1;
    }
    char *s = e->text + e->field_start, *end = e->text + e->used;
    while (end > s && strchr(" \t\r\n", end[-1]))
        end--;
    while (s < end && strchr(" \t\r\n", *s))
        s++;
    *end = '\0';
    e->used = (size_t)(end - e->text) + 1;
    return (long)(s - e->text);
}

static void set_once(entry *e, long *slot, long value, const char *name) {
    if (*slot >= 0 && !e->repeated)
        e->repeated = name;
    *slot = value;
}

static void end_child(entry *e) {
    int field = e->field;
    long v = end_field(e);
    switch (field) {
    case F_ID: set_once(e, &e->id, v, "id"); break;
    case F_MEMBER: set_once(e, &e->member, v, "member"); break;
    case F_TIMESTAMP: set_once(e, &e->timestamp, v, "timestamp"); break;
    case F_CLASSIFICATION: set_once(e, &e->classification, v, "classification"); break;
    case F_FINGERPRINT: e->fp_value[e->nfp - 1] = v; break;
    }
}

/* An element inside the current entry. */
static void entry_element(reader *rd, const char *name, int depth, int empty) {
    entry *e = &rd->e;
    if (depth == e->depth + 1) {
        e->in_fingerprints = 0;
        int field = !strcmp(name, "id")               ? F_ID
                    : !strcmp(name, "member")         ? F_MEMBER
                    : !strcmp(name, "timestamp")      ? F_TIMESTAMP
                    : !strcmp(name, "classification") ? F_CLASSIFICATION
                                                      : F_NONE;
        if (field == F_MEMBER) {
            xmlChar *mid = xmlTextReaderGetAttribute(rd->xr, (const xmlChar *)"id");
            if (mid)
                set_once(e, &e->member_id, put(e, (const char *)mid, strlen((char *)mid)),
                         "member");
            xmlFree(mid);
        }
        if (!strcmp(name, "fingerprints"))
            e->in_fingerprints = !empty;
        else if (field != F_NONE) {
            begin_field(e, field, depth);
            if (empty)
                end_child(e);
        }
    } else if (depth == e->depth + 2 && e->in_fingerprints) {
        if (e->nfp == MAX_FINGERPRINTS) {
            e->too_many = 1;
            return;
        }
        e->fp_name[e->nfp] = put(e, name, strlen(name));
        e->fp_value[e->nfp] = -1;
        e->nfp++;
        begin_field(e, F_FINGERPRINT, depth);
        if (empty)
            end_child(e);
    }
}

static int add_string(json_t *o, const char *key, const char *value) {
    return value && *value ? json_object_set_new(o, key, json_string(value)) : 0;
}

/* Hands on the entry just read; returns 0 to go on, 1 to stop, or an
 * error status. */
static int emit(reader *rd) {
    entry *e = &rd->e;
    const tamis__reader_cb *cb = rd->cb;
    uint64_t pos = e->position;
    char q[48];
    if (e->overflow) {
        tamis__reject(cb, pos, "entry longer than %d bytes", TAMIS__IMPORT_RECORD_MAX);
        return 0;
    }
    if (e->too_many) {
        tamis__reject(cb, pos, "more than %d fingerprints", MAX_FINGERPRINTS);
        return 0;
    }
    if (e->repeated) {
        tamis__reject(cb, pos, "more than one <%s>", e->repeated);
        return 0;
    }
    const char *id = str(e, e->id);
    if (!id || !*id) {
        tamis__reject(cb, pos, "no <id>");
        return 0;
    }
    /* Which fingerprints tamis matches on, and are they well formed? */
    const char *types[MAX_FINGERPRINTS];
    size_t usable = 0;
    char skipped[64] = "";
    for (size_t i = 0; i < e->nfp; i++) {
        const char *name = str(e, e->fp_name[i]), *value = str(e, e->fp_value[i]);
        if (!(types[i] = tamis__signal_type(name))) {
            size_t n = strlen(skipped);
            tamis__quote(q, name);
            snprintf(skipped + n, sizeof skipped - n, "%s%s", n ? ", " : "", q);
            continue;
        }
        const char *why = tamis__check_value(types[i], value ? value : "");
        if (why) {
            tamis__reject(cb, pos, "<%s>: %s", name, why);
            return 0;
        }
        usable++;
    }
    if (!usable && !e->deleted) {
        if (e->nfp)
            tamis__reject(cb, pos, "no fingerprint tamis matches on (has %s)", skipped);
        else
            tamis__reject(cb, pos, "no fingerprints");
        return 0;
    }

    int64_t created = 0;
    const char *ts = str(e, e->timestamp), *cls = str(e, e->classification);
    int has_time = ts && *ts && tamis__parse_time(ts, &created) == 0;
    json_t *meta = json_object(), *labels = json_array();
    char *meta_text = NULL, *labels_text = NULL;
    int fail = !meta || !labels;
    if (!fail) {
        fail |= add_string(meta, "media", e->media);
        fail |= add_string(meta, "member_id", str(e, e->member_id));
        fail |= add_string(meta, "member", str(e, e->member));
        if (!has_time)
            fail |= add_string(meta, "timestamp", ts);
        if (cls && *cls)
            fail |= json_array_append_new(labels, json_string(cls));
    }
    if (!fail && !(meta_text = tamis__json_dump(meta)))
        fail = 1;
    if (!fail && json_array_size(labels) && !(labels_text = tamis__json_dump(labels)))
        fail = 1;
    json_decref(meta);
    json_decref(labels);
    int rc = 0;
    if (fail) {
        rc = TAMIS_ERR_NOMEM;
    } else {
        tamis__record r = {e->deleted ? TAMIS__REC_DELETE : TAMIS__REC_ADD, pos, NULL, NULL,
                           id, labels_text, meta_text, created};
        if (!usable) /* a tombstone naming the entry by id alone */
            rc = cb->record(cb->ctx, &r) != 0;
        for (size_t i = 0; i < e->nfp && !rc; i++) {
            if (!types[i])
                continue;
            r.type = types[i];
            r.value = str(e, e->fp_value[i]);
            rc = cb->record(cb->ctx, &r) != 0;
        }
    }
    tamis__free(meta_text);
    tamis__free(labels_text);
    return rc;
}

static int entry_kind(const char *name, int *deleted, const char **media) {
    static const struct {
        const char *name, *media;
        int deleted;
    } kinds[] = {{"image", "image", 0},
                 {"video", "video", 0},
                 {"deletedImage", "image", 1},
                 {"deletedVideo", "video", 1}};
    for (size_t i = 0; i < sizeof kinds / sizeof kinds[0]; i++)
        if (!strcmp(name, kinds[i].name)) {
            *deleted = kinds[i].deleted;
            *media = kinds[i].media;
            return 1;
        }
    return 0;
}

/* One node of the document; returns 0 to go on, 1 to stop, or an error. */
static int node(reader *rd) {
    entry *e = &rd->e;
    int type = xmlTextReaderNodeType(rd->xr), depth = xmlTextReaderDepth(rd->xr);
    if (depth < 0)
        return 0;
    if (type == XML_READER_TYPE_ELEMENT) {
        const char *name = (const char *)xmlTextReaderConstLocalName(rd->xr);
        int empty = xmlTextReaderIsEmptyElement(rd->xr) == 1;
        if (!name)
            return TAMIS_ERR_NOMEM;
        if (e->active) {
            entry_element(rd, name, depth, empty);
            return 0;
        }
        int is_container = !strcmp(name, "images") || !strcmp(name, "videos");
        rd->seen_container |= is_container;
        if (depth < MAX_DEPTH)
            rd->container[depth] = (char)(is_container && !empty);
        if (depth >= 1 && depth - 1 < MAX_DEPTH && rd->container[depth - 1] &&
            entry_kind(name, &e->deleted, &e->media)) {
            e->active = 1;
            e->depth = depth;
            e->position = ++rd->entries;
            e->used = 0;
            e->overflow = e->too_many = e->in_fingerprints = 0;
            e->repeated = NULL;
            e->id = e->member = e->member_id = e->timestamp = e->classification = -1;
            e->nfp = 0;
            e->field = F_NONE;
            if (empty) {
                e->active = 0;
                return emit(rd);
            }
        }
    } else if (type == XML_READER_TYPE_TEXT || type == XML_READER_TYPE_CDATA ||
               type == XML_READER_TYPE_WHITESPACE ||
               type == XML_READER_TYPE_SIGNIFICANT_WHITESPACE) {
        if (e->active && e->field != F_NONE && depth == e->field_depth + 1) {
            const char *v = (const char *)xmlTextReaderConstValue(rd->xr);
            size_t n = v ? strlen(v) : 0;
            if (e->overflow || TAMIS__IMPORT_RECORD_MAX - e->used < n + 1)
                e->overflow = 1;
            else if (n) {
                memcpy(e->text + e->used, v, n);
                e->used += n;
            }
        }
    } else if (type == XML_READER_TYPE_END_ELEMENT && e->active) {
        if (e->field != F_NONE && depth == e->field_depth) {
            end_child(e);
        } else if (depth == e->depth + 1) {
            e->in_fingerprints = 0;
        } else if (depth == e->depth) {
            e->active = 0;
            return emit(rd);
        }
    }
    return 0;
}

tamis_status tamis__read_ncmec_xml(FILE *in, const tamis__reader_cb *cb, tamis__err *err) {
    source src = {in, 0, 0, 0, 0, 0, 0};
    reader *rd = tamis__calloc(1, sizeof *rd);
    if (!rd)
        return tamis__fail(err, TAMIS_ERR_NOMEM, "out of memory");
    rd->cb = cb;
    if (!(rd->e.text = tamis__malloc(TAMIS__IMPORT_RECORD_MAX))) {
        tamis__free(rd);
        return tamis__fail(err, TAMIS_ERR_NOMEM, "out of memory");
    }
    xmlInitParser();
    /* libxml2's error channels are per thread: take them for this read */
    xmlGenericErrorFunc old_generic = xmlGenericError;
    void *old_generic_ctx = xmlGenericErrorContext;
    xmlStructuredErrorFunc old_structured = xmlStructuredError;
    void *old_structured_ctx = xmlStructuredErrorContext;
    xmlSetGenericErrorFunc(NULL, quiet);
    xmlSetStructuredErrorFunc(rd, on_error);
    rd->xr = xmlReaderForIO(source_read, NULL, &src, NULL, "UTF-8",
                            XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING |
                                XML_PARSE_IGNORE_ENC);
    int ret = -1, rc = 0, created = rd->xr != NULL;
    if (created) {
        xmlTextReaderSetStructuredErrorHandler(rd->xr, on_error, rd);
        while ((ret = xmlTextReaderRead(rd->xr)) == 1)
            if ((rc = node(rd)) != 0)
                break;
        xmlFreeTextReader(rd->xr);
    }
    xmlSetGenericErrorFunc(old_generic_ctx, old_generic);
    xmlSetStructuredErrorFunc(old_structured_ctx, old_structured);
    tamis_status st = TAMIS_OK;
    if (rc > 0)
        st = TAMIS_DONE;
    else if (rc < 0)
        st = tamis__fail(err, rc, "out of memory");
    else if (src.doctype)
        st = tamis__fail(err, TAMIS_ERR_UNSUPPORTED,
                         "XML with a DOCTYPE is not accepted (no DTDs or entities)");
    else if (src.not_xml)
        st = tamis__fail(err, TAMIS_ERR_UNSUPPORTED,
                         "not UTF-8 XML: it does not start with '<', or holds a NUL byte");
    else if (src.io_error)
        st = tamis__fail(err, TAMIS_ERR_IO, "read error after byte %llu",
                         (unsigned long long)src.bytes);
    else if (ret != 0 && src.bytes == 0)
        st = tamis__fail(err, TAMIS_ERR_EMPTY, "the input is empty");
    else if (ret != 0 && rd->errmsg[0])
        st = tamis__fail(err, TAMIS_ERR_CORRUPT, "not well-formed XML (line %d): %s",
                         rd->errline, rd->errmsg);
    else if (ret != 0)
        st = tamis__fail(err, created ? TAMIS_ERR_CORRUPT : TAMIS_ERR_NOMEM,
                         "the XML parser failed");
    else if (!rd->seen_container)
        st = tamis__fail(err, TAMIS_ERR_UNSUPPORTED,
                         "no <images> or <videos>: not NCMEC hash-sharing XML");
    tamis__free(rd->e.text);
    tamis__free(rd);
    return st;
}
