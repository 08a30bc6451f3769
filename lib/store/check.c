/*
 * check.c - what may be stored: bank names, text, JSON fields and signal
 * values, checked before anything reaches a backend, so that both backends
 * accept and refuse exactly the same input (PostgreSQL would reject bad
 * UTF-8 that SQLite keeps; neither knows JSON or hex).
 */
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "store.h"

#define BANK_NAME_MAX 100
#define SIGNAL_TYPE_MAX 32

/* The rule of Meta's HMA, so that bank names move between the two. */
int tamis__bank_name_ok(const char *name) {
    if (!name || !*name || strlen(name) > BANK_NAME_MAX)
        return 0;
    if (!((name[0] >= 'A' && name[0] <= 'Z') || name[0] == '_'))
        return 0;
    for (const char *p = name; *p; p++)
        if (!((*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') || *p == '_'))
            return 0;
    return 1;
}

/* Strict UTF-8 (RFC 3629): no overlong forms, no surrogates, at most
 * U+10FFFF. */
static int utf8_ok(const unsigned char *s) {
    while (*s) {
        unsigned c = *s;
        int n;
        unsigned min;
        if (c < 0x80) {
            s++;
            continue;
        } else if ((c & 0xE0) == 0xC0) {
            n = 1, min = 0x80, c &= 0x1F;
        } else if ((c & 0xF0) == 0xE0) {
            n = 2, min = 0x800, c &= 0x0F;
        } else if ((c & 0xF8) == 0xF0) {
            n = 3, min = 0x10000, c &= 0x07;
        } else {
            return 0;
        }
        for (int i = 1; i <= n; i++) {
            if ((s[i] & 0xC0) != 0x80)
                return 0;
            c = (c << 6) | (s[i] & 0x3F);
        }
        if (c < min || c > 0x10FFFF || (c >= 0xD800 && c <= 0xDFFF))
            return 0;
        s += n + 1;
    }
    return 1;
}

tamis_status tamis__check_text(tamis__err *e, const char *what, const char *s) {
    if (s && !utf8_ok((const unsigned char *)s))
        return tamis__fail(e, TAMIS_ERR_INVALID, "%s is not valid UTF-8", what);
    return TAMIS_OK;
}

typedef enum { KIND_LABELS, KIND_THRESHOLDS, KIND_OBJECT } json_kind;

/* NULL is always allowed: the field is absent. */
static tamis_status check_json(tamis__err *e, const char *what, const char *text,
                               json_kind kind) {
    if (!text)
        return TAMIS_OK;
    json_error_t je;
    json_t *j = json_loads(text, JSON_REJECT_DUPLICATES, &je);
    if (!j && json_error_code(&je) == json_error_out_of_memory)
        return tamis__fail(e, TAMIS_ERR_NOMEM, "out of memory checking %s", what);
    if (!j)
        return tamis__fail(e, TAMIS_ERR_INVALID, "%s is not JSON: %s (column %d)",
                           what, je.text, je.column);
    tamis_status st = TAMIS_OK;
    switch (kind) {
    case KIND_LABELS: {
        size_t i;
        json_t *v;
        if (!json_is_array(j)) {
            st = tamis__fail(e, TAMIS_ERR_INVALID, "%s must be a JSON array of strings", what);
            break;
        }
        json_array_foreach(j, i, v) {
            if (!json_is_string(v)) {
                st = tamis__fail(e, TAMIS_ERR_INVALID,
                                 "%s must be a JSON array of strings (item %zu is not)",
                                 what, i);
                break;
            }
        }
        break;
    }
    case KIND_THRESHOLDS: {
        const char *k;
        json_t *v;
        if (!json_is_object(j)) {
            st = tamis__fail(e, TAMIS_ERR_INVALID,
                             "%s must be a JSON object of signal type to distance", what);
            break;
        }
        json_object_foreach(j, k, v) {
            if (!json_is_integer(v) || json_integer_value(v) < 0) {
                st = tamis__fail(e, TAMIS_ERR_INVALID,
                                 "%s: the value of \"%s\" must be a non-negative integer",
                                 what, k);
                break;
            }
        }
        break;
    }
    case KIND_OBJECT:
        if (!json_is_object(j))
            st = tamis__fail(e, TAMIS_ERR_INVALID, "%s must be a JSON object", what);
        break;
    }
    json_decref(j);
    return st;
}

tamis_status tamis__check_bank(tamis__err *e, const tamis_bank *b) {
    tamis_status st;
    if (!tamis__bank_name_ok(b->name))
        return tamis__fail(e, TAMIS_ERR_INVALID,
                           "bad bank name \"%.120s\": it must match [A-Z_][A-Z0-9_]* "
                           "and have at most %d characters",
                           b->name ? b->name : "", BANK_NAME_MAX);
    if (!(b->enabled_ratio >= 0 && b->enabled_ratio <= 1)) /* NaN fails too */
        return tamis__fail(e, TAMIS_ERR_INVALID,
                           "enabled_ratio must be between 0 and 1");
    if ((st = tamis__check_text(e, "description", b->description)) ||
        (st = check_json(e, "labels", b->labels, KIND_LABELS)) ||
        (st = check_json(e, "thresholds", b->thresholds, KIND_THRESHOLDS)) ||
        (st = check_json(e, "policy", b->policy, KIND_OBJECT)))
        return st;
    return TAMIS_OK;
}

tamis_status tamis__check_content(tamis__err *e, const tamis_content *c) {
    tamis_status st;
    if (c->disabled_until < 0)
        return tamis__fail(e, TAMIS_ERR_INVALID, "disabled_until must not be negative");
    if ((st = check_json(e, "labels", c->labels, KIND_LABELS)) ||
        (st = tamis__check_text(e, "source", c->source)) ||
        (st = tamis__check_text(e, "note", c->note)) ||
        (st = check_json(e, "metadata", c->metadata, KIND_OBJECT)))
        return st;
    return TAMIS_OK;
}

/* Hash types and the number of hex digits of their values. */
static const struct {
    const char *type;
    size_t hex_len;
} hex_types[] = {{"pdq", 64}, {"md5", 32}, {"sha256", 64}, {"text_exact", 64}};

tamis_status tamis__signal_normalise(tamis__err *e, const tamis_signal *s, char *buf,
                                     tamis_signal *out) {
    if (!s || !s->type || !s->value)
        return tamis__fail(e, TAMIS_ERR_INVALID, "a signal needs a type and a value");
    size_t tl = strlen(s->type);
    if (tl == 0 || tl > SIGNAL_TYPE_MAX)
        return tamis__fail(e, TAMIS_ERR_INVALID,
                           "bad signal type \"%.40s\": 1 to %d characters of [a-z0-9_]",
                           s->type, SIGNAL_TYPE_MAX);
    for (const char *p = s->type; *p; p++)
        if (!((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || *p == '_'))
            return tamis__fail(e, TAMIS_ERR_INVALID,
                               "bad signal type \"%.40s\": 1 to %d characters of [a-z0-9_]",
                               s->type, SIGNAL_TYPE_MAX);
    out->type = s->type;
    for (size_t i = 0; i < sizeof hex_types / sizeof hex_types[0]; i++) {
        if (strcmp(s->type, hex_types[i].type) != 0)
            continue;
        size_t n = hex_types[i].hex_len;
        if (strlen(s->value) != n)
            return tamis__fail(e, TAMIS_ERR_INVALID,
                               "a %s value has %zu hex digits, not %zu", s->type, n,
                               strlen(s->value));
        for (size_t k = 0; k < n; k++) {
            int d = tamis__hex_digit((unsigned char)s->value[k]);
            if (d < 0)
                return tamis__fail(e, TAMIS_ERR_INVALID,
                                   "a %s value must be hex (character %zu is not)",
                                   s->type, k + 1);
            buf[k] = "0123456789abcdef"[d];
        }
        buf[n] = '\0';
        out->value = buf;
        return TAMIS_OK;
    }
    if (!*s->value)
        return tamis__fail(e, TAMIS_ERR_INVALID, "empty %s value", s->type);
    tamis_status st = tamis__check_text(e, "signal value", s->value);
    if (st)
        return st;
    /* Hashes, not media: raw text is hashed before it reaches a bank. */
    if (strcmp(s->type, "text") == 0)
        return tamis__fail(e, TAMIS_ERR_INVALID,
                           "raw text is not stored: give its text_exact, text_near and "
                           "text_tlsh signals (tamis_text_hash_compute)");
    /* Other signals are read as the matcher will read them. */
    if (strcmp(s->type, "text_near") == 0) {
        double sim;
        if (tamis_text_near_similarity(s->value, s->value, &sim) != TAMIS_OK)
            return tamis__fail(e, TAMIS_ERR_INVALID,
                               "a text_near value is \"tn1:\" and 256 hex digits");
    } else if (strcmp(s->type, "text_tlsh") == 0) {
        int d;
        if (tamis_tlsh_distance(s->value, s->value, 0, &d) != TAMIS_OK)
            return tamis__fail(e, TAMIS_ERR_INVALID,
                               "a text_tlsh value is \"T1\" and 70 hex digits");
    } else if (strcmp(s->type, "url") == 0) {
        char *canon = NULL, why[256] = "";
        st = tamis_url_canonicalize_alloc(s->value, strlen(s->value), &canon, why, sizeof why);
        free(canon);
        if (st != TAMIS_OK)
            return tamis__fail(e, st == TAMIS_ERR_NOMEM ? st : TAMIS_ERR_INVALID,
                               "bad url value: %s", why);
    } else if (strcmp(s->type, "vpdq") == 0) {
        tamis_vpdq *v;
        if ((st = tamis_vpdq_create(&v)) != TAMIS_OK)
            return tamis__fail(e, st, "out of memory checking a vpdq value");
        st = tamis_vpdq_from_signal(v, s->value);
        if (st != TAMIS_OK && st != TAMIS_ERR_NOMEM)
            st = tamis__fail(e, TAMIS_ERR_INVALID,
                             "a vpdq value is HMA's JSON array of \"hash,quality,timestamp\": %s",
                             tamis_vpdq_errmsg(v));
        tamis_vpdq_free(v);
        if (st)
            return st;
    } else if (strcmp(s->type, "tmk") == 0) {
        tamis_tmk *t;
        char why[256] = "";
        st = tamis_tmk_read_base64(s->value, &t, why, sizeof why);
        tamis_tmk_free(t);
        if (st != TAMIS_OK)
            return tamis__fail(e, st == TAMIS_ERR_NOMEM ? st : TAMIS_ERR_INVALID, "bad tmk value: %s",
                               why);
    }
    out->value = s->value;
    return TAMIS_OK;
}
