/*
 * json_records.c - reads files of JSON pages (TCAP, StopNCII) a record at
 * a time. Parsing a whole page with jansson would hold the page in memory
 * (a TCAP export can be one page of the whole list) and would lose the
 * page to one bad record; instead this scanner follows the page's
 * structure byte by byte (strings, brackets, the page object's member
 * names) and copies out one record's text at a time, which jansson then
 * parses. So memory is bounded by TAMIS__IMPORT_RECORD_MAX, and a record
 * that is not valid JSON is one reject: the scanner only needs its
 * brackets to balance to find where the next one starts.
 */
#include <jansson.h>
#include <string.h>

#include "formats.h"

#define NONE (-2)

typedef struct scan {
    FILE *in;
    uint64_t offset;   /* bytes consumed */
    int peeked;        /* the next byte (or EOF), read ahead; NONE if not */
    int io_error;
    char *buf;         /* the text of the record being copied out */
    size_t len;
    int capture, overflow;
    uint64_t records;  /* records numbered so far */
    const char *const *page_keys;
    const tamis__reader_cb *cb;
    tamis__json_record_fn fn;
    void *ctx;
    tamis__err *err;
} scan;

char *tamis__json_dump(const json_t *j) {
    size_t n = json_dumpb(j, NULL, 0, JSON_COMPACT);
    if (n == 0)
        return NULL;
    char *out = tamis__malloc(n + 1);
    if (!out)
        return NULL;
    if (json_dumpb(j, out, n, JSON_COMPACT) != n) {
        tamis__free(out);
        return NULL;
    }
    out[n] = '\0';
    return out;
}

int tamis__json_time(const json_t *v, int64_t *out) {
    if (json_is_integer(v)) {
        *out = (int64_t)json_integer_value(v);
        return 0;
    }
    /* Reals: seconds with a fraction (TCAP's updated_on), within the
     * years 0..9999 so that the conversion is defined. */
    if (json_is_real(v) && json_real_value(v) > -62167219200.0 &&
        json_real_value(v) < 253402300800.0) {
        *out = (int64_t)json_real_value(v);
        return 0;
    }
    return json_is_string(v) ? tamis__parse_time(json_string_value(v), out) : -1;
}

char *tamis__json_meta(const json_t *o, const char *const *skip, int *nomem) {
    const char *key;
    json_t *v, *meta = json_object();
    char *out = NULL;
    *nomem = 1;
    if (!meta)
        return NULL;
    json_object_foreach((json_t *)o, key, v) {
        const char *const *k = skip;
        while (*k && strcmp(*k, key) != 0)
            k++;
        if (!*k && json_object_set(meta, key, v) != 0)
            goto done;
    }
    *nomem = 0;
    if (json_object_size(meta) && !(out = tamis__json_dump(meta)))
        *nomem = 1;
done:
    json_decref(meta);
    return out;
}

static int peek(scan *s) {
    if (s->peeked == NONE) {
        s->peeked = getc_unlocked(s->in);
        if (s->peeked == EOF && ferror(s->in))
            s->io_error = 1;
    }
    return s->peeked;
}

static int next(scan *s) {
    int c = peek(s);
    s->peeked = NONE;
    if (c == EOF)
        return EOF;
    s->offset++;
    if (s->capture) {
        if (s->len < TAMIS__IMPORT_RECORD_MAX)
            s->buf[s->len++] = (char)c;
        else
            s->overflow = 1;
    }
    return c;
}

static int is_ws(int c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

static void skip_ws(scan *s) {
    while (is_ws(peek(s)))
        next(s);
}

static tamis_status truncated(scan *s) {
    if (s->io_error)
        return tamis__fail(s->err, TAMIS_ERR_IO, "read error at byte %llu",
                           (unsigned long long)s->offset);
    return tamis__fail(s->err, TAMIS_ERR_CORRUPT,
                       "the input ends inside a JSON value (byte %llu)",
                       (unsigned long long)s->offset);
}

static tamis_status unexpected(scan *s, const char *wanted) {
    if (peek(s) == EOF)
        return truncated(s);
    return tamis__fail(s->err, TAMIS_ERR_CORRUPT, "expected %s at byte %llu of the JSON",
                       wanted, (unsigned long long)s->offset + 1);
}

/* Reads a string, its opening quote next. If key is given, it gets the
 * string's raw text when shorter than keymax bytes, else "". */
static tamis_status read_string(scan *s, char *key, size_t keymax) {
    size_t n = 0;
    int c;
    next(s);
    while ((c = next(s)) != '"') {
        if (c == EOF)
            return truncated(s);
        if (key && n < keymax)
            key[n++] = (char)c;
        if (c == '\\') {
            if ((c = next(s)) == EOF)
                return truncated(s);
            if (key && n < keymax)
                key[n++] = (char)c;
        }
    }
    if (key)
        key[n < keymax ? n : 0] = '\0';
    return TAMIS_OK;
}

/* Reads on to the end of a value whose opening bracket `open` has been
 * read. Bracket types are followed (up to 256 levels; deeper ones are only
 * counted), so that a record with a mismatched bracket ends where its
 * writer meant it to: a closer that matches nothing open in this value
 * belongs to an enclosing level and is left for it. */
static tamis_status skip_nested(scan *s, int open) {
    char stack[256];
    size_t depth = 1, untyped = 0;
    stack[0] = (char)open;
    while (depth + untyped > 0) {
        int c = peek(s);
        if (c == EOF)
            return truncated(s);
        if (c == '"') {
            tamis_status st = read_string(s, NULL, 0);
            if (st != TAMIS_OK)
                return st;
            continue;
        }
        if (c == '{' || c == '[') {
            if (untyped || depth == sizeof stack)
                untyped++;
            else
                stack[depth++] = (char)c;
        } else if ((c == '}' || c == ']') && untyped) {
            untyped--;
        } else if (c == '}' || c == ']') {
            size_t k = depth;
            while (k > 0 && stack[k - 1] != (c == '}' ? '{' : '['))
                k--;
            if (k == 0)
                return TAMIS_OK;
            depth = k - 1;
        }
        next(s);
    }
    return TAMIS_OK;
}

/* Skips one value without checking it (jansson checks records). Returns
 * TAMIS_DONE if there is no value here (the next byte ends one). */
static tamis_status skip_value(scan *s) {
    int c = peek(s);
    if (c == '"')
        return read_string(s, NULL, 0);
    if (c == '{' || c == '[') {
        next(s);
        return skip_nested(s, c);
    }
    if (c == EOF)
        return truncated(s);
    size_t n = 0;
    while ((c = peek(s)) != EOF && !is_ws(c) && !strchr(",:[]{}\"", c)) {
        next(s);
        n++;
    }
    return n ? TAMIS_OK : TAMIS_DONE;
}

static void start_capture(scan *s) {
    s->capture = 1;
    s->len = 0;
    s->overflow = 0;
}

/* Parses the record copied out and hands it on. */
static tamis_status handle_record(scan *s, uint64_t pos) {
    char q[48];
    json_error_t je;
    if (s->overflow) {
        tamis__reject(s->cb, pos, "record longer than %d bytes", TAMIS__IMPORT_RECORD_MAX);
        return TAMIS_OK;
    }
    json_t *j = json_loadb(s->buf, s->len, JSON_REJECT_DUPLICATES | JSON_DECODE_ANY, &je);
    if (!j) {
        if (json_error_code(&je) == json_error_out_of_memory)
            return tamis__fail(s->err, TAMIS_ERR_NOMEM, "out of memory");
        tamis__quote(q, je.text);
        tamis__reject(s->cb, pos, "not valid JSON: %s", q);
        return TAMIS_OK;
    }
    if (!json_is_object(j)) {
        json_decref(j);
        tamis__reject(s->cb, pos, "record is not a JSON object");
        return TAMIS_OK;
    }
    int rc = s->fn(s->ctx, pos, j);
    json_decref(j);
    if (rc < 0)
        return tamis__fail(s->err, rc, "out of memory");
    return rc ? TAMIS_DONE : TAMIS_OK;
}

/* One element of a records array. */
static tamis_status read_element(scan *s) {
    start_capture(s);
    tamis_status st = skip_value(s);
    s->capture = 0;
    if (st < 0)
        return st;
    uint64_t pos = ++s->records;
    if (st == TAMIS_DONE) {
        tamis__reject(s->cb, pos, "empty record");
        return TAMIS_OK;
    }
    return handle_record(s, pos);
}

static int is_page_key(scan *s, const char *key) {
    for (const char *const *k = s->page_keys; *k; k++)
        if (strcmp(key, *k) == 0)
            return 1;
    return 0;
}

static tamis_status read_object(scan *s);

/* An array of records; at the top level, its elements may be pages. */
static tamis_status read_array(scan *s, int top) {
    tamis_status st;
    next(s);
    skip_ws(s);
    if (peek(s) == ']') {
        next(s);
        return TAMIS_OK;
    }
    for (;;) {
        skip_ws(s);
        if (top && peek(s) == '{')
            st = read_object(s);
        else if (top && peek(s) == '[')
            st = read_array(s, 0);
        else
            st = read_element(s);
        if (st != TAMIS_OK)
            return st;
        skip_ws(s);
        if (peek(s) == ']') {
            next(s);
            return TAMIS_OK;
        }
        if (peek(s) != ',')
            return unexpected(s, "',' or ']'");
        next(s);
    }
}

/* An object at the top level: a page if it has a records array under one
 * of the page keys, else a record, copied out as it is read in case. */
static tamis_status read_object(scan *s) {
    tamis_status st;
    int page = 0, bad = 0;
    start_capture(s);
    next(s);
    skip_ws(s);
    if (peek(s) == '}') {
        next(s);
    } else {
        for (;;) {
            char key[32];
            skip_ws(s);
            if (peek(s) != '"') {
                bad = 1;
                break;
            }
            if ((st = read_string(s, key, sizeof key)) != TAMIS_OK)
                return st;
            skip_ws(s);
            if (peek(s) != ':') {
                bad = 1;
                break;
            }
            next(s);
            skip_ws(s);
            if (is_page_key(s, key) && peek(s) == '[') {
                page = 1;
                s->capture = 0;
                if ((st = read_array(s, 0)) != TAMIS_OK)
                    return st;
            } else if ((st = skip_value(s)) != TAMIS_OK) {
                if (st < 0)
                    return st;
                bad = 1;
                break;
            }
            skip_ws(s);
            if (peek(s) == '}') {
                next(s);
                break;
            }
            if (peek(s) != ',') {
                bad = 1;
                break;
            }
            next(s);
        }
    }
    if (bad && page) /* the page itself is broken: nothing to resume from */
        return unexpected(s, "',' or '}' in a page object");
    if (bad) {
        /* A broken record: read to its end, then go on with the next. */
        if ((st = skip_nested(s, '{')) != TAMIS_OK)
            return st;
        s->capture = 0;
        tamis__reject(s->cb, ++s->records, "not valid JSON");
        return TAMIS_OK;
    }
    s->capture = 0;
    return page ? TAMIS_OK : handle_record(s, ++s->records);
}

tamis_status tamis__json_records(FILE *in, const char *const *page_keys,
                                 const tamis__reader_cb *cb, tamis__json_record_fn fn,
                                 void *ctx, tamis__err *err) {
    scan s;
    memset(&s, 0, sizeof s);
    s.in = in;
    s.peeked = NONE;
    s.page_keys = page_keys;
    s.cb = cb;
    s.fn = fn;
    s.ctx = ctx;
    s.err = err;
    if (!(s.buf = tamis__malloc(TAMIS__IMPORT_RECORD_MAX)))
        return tamis__fail(err, TAMIS_ERR_NOMEM, "out of memory");
    if (peek(&s) == 0xEF) { /* a UTF-8 byte-order mark */
        next(&s);
        if (next(&s) != 0xBB || next(&s) != 0xBF) {
            tamis__free(s.buf);
            return tamis__fail(err, TAMIS_ERR_UNSUPPORTED, "not JSON");
        }
    }
    tamis_status st = TAMIS_OK;
    uint64_t pages = 0;
    for (;;) {
        skip_ws(&s);
        int c = peek(&s);
        if (c == EOF) {
            if (s.io_error)
                st = truncated(&s);
            else if (!pages)
                st = tamis__fail(err, TAMIS_ERR_EMPTY, "no JSON in the input");
            break;
        }
        if (c == '[') {
            st = read_array(&s, 1);
        } else if (c == '{') {
            st = read_object(&s);
        } else if (!pages) {
            st = tamis__fail(err, TAMIS_ERR_UNSUPPORTED,
                             "not JSON pages: the input does not start with '[' or '{'");
        } else {
            st = tamis__fail(err, TAMIS_ERR_CORRUPT,
                             "expected '[' or '{' at byte %llu, after page %llu",
                             (unsigned long long)s.offset + 1, (unsigned long long)pages);
        }
        if (st != TAMIS_OK)
            break;
        pages++;
    }
    tamis__free(s.buf);
    return st;
}
