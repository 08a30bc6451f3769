/*
 * fields.c - what the import readers share about the values they read:
 * the table from each format's signal-type names to tamis's, the checks a
 * hash value must pass, UTF-8, ISO 8601 times, and the wording of rejects.
 * Keeping them here keeps the six formats consistent with each other.
 */
#include <stdarg.h>
#include <string.h>

#include "formats.h"

/* Every spelling found in the formats tamis reads, once lower-cased and
 * stripped of '-', '_', '+' and spaces: HMA's signal names (pdq,
 * video_md5, vpdq, raw_text, url), ThreatExchange indicator types
 * (HASH_PDQ, HASH_VIDEO_MD5, TEXT_STRING, URI), TCAP algorithms (PDQ, MD5),
 * StopNCII signal types (ImagePDQ, VideoMD5, VideoTMK, Text, URL) and
 * NCMEC fingerprint names (md5, pdq, tmk_pdqf). */
static const struct {
    const char *name, *type;
} type_names[] = {
    {"pdq", "pdq"},          {"hashpdq", "pdq"},       {"imagepdq", "pdq"},
    {"photopdq", "pdq"},
    {"md5", "md5"},          {"hashmd5", "md5"},       {"videomd5", "md5"},
    {"hashvideomd5", "md5"}, {"imagemd5", "md5"},      {"photomd5", "md5"},
    {"sha256", "sha256"},    {"hashsha256", "sha256"}, {"videosha256", "sha256"},
    {"hashvideosha256", "sha256"}, {"imagesha256", "sha256"},
    {"vpdq", "vpdq"},        {"hashvpdq", "vpdq"},     {"videovpdq", "vpdq"},
    {"tmk", "tmk"},          {"tmkpdqf", "tmk"},       {"hashtmk", "tmk"},
    {"videotmk", "tmk"},     {"videotmkpdqf", "tmk"},
    {"text", "text"},        {"rawtext", "text"},      {"textstring", "text"},
    {"url", "url"},          {"uri", "url"},           {"rawuri", "url"},
    {"textexact", "text_exact"}, {"textnear", "text_near"}, {"texttlsh", "text_tlsh"},
    {"tlsh", "text_tlsh"},   {"hashtlsh", "text_tlsh"}, {"domain", "url"},
};

const char *tamis__signal_type(const char *name) {
    char key[32];
    size_t n = 0;
    if (!name)
        return NULL;
    for (const char *p = name; *p; p++) {
        char c = *p;
        if (c == '-' || c == '_' || c == '+' || c == ' ')
            continue;
        if (n + 1 == sizeof key)
            return NULL;
        key[n++] = (c >= 'A' && c <= 'Z') ? (char)(c - 'A' + 'a') : c;
    }
    key[n] = '\0';
    for (size_t i = 0; i < sizeof type_names / sizeof type_names[0]; i++)
        if (strcmp(key, type_names[i].name) == 0)
            return type_names[i].type;
    return NULL;
}

static int all_hex(const char *s, size_t n) {
    for (size_t i = 0; i < n; i++)
        if (tamis__hex_digit((unsigned char)s[i]) < 0)
            return 0;
    return 1;
}

const char *tamis__check_value(const char *type, const char *value) {
    if (!value || !*value)
        return "empty value";
    size_t n = strlen(value), want = 0;
    const char *why = NULL;
    if (strcmp(type, "pdq") == 0) {
        want = 64;
        why = "pdq hash is not 64 hex digits";
    } else if (strcmp(type, "md5") == 0) {
        want = 32;
        why = "md5 hash is not 32 hex digits";
    } else if (strcmp(type, "sha256") == 0 || strcmp(type, "text_exact") == 0) {
        want = 64;
        why = type[0] == 's' ? "sha256 hash is not 64 hex digits"
                             : "text_exact hash is not 64 hex digits";
    } else if (strcmp(type, "text_tlsh") == 0) {
        /* "T1" and 70 hex digits, or the 70 digits alone (older TLSH) */
        const char *h = n == 72 && (value[0] == 'T' || value[0] == 't') && value[1] == '1'
                            ? value + 2
                            : value;
        if (strlen(h) != 70 || !all_hex(h, 70))
            return "text_tlsh digest is not T1 and 70 hex digits";
    }
    if (want && (n != want || !all_hex(value, n)))
        return why;
    return NULL;
}

int tamis__utf8_valid(const char *str, size_t len) {
    const unsigned char *s = (const unsigned char *)str;
    size_t i = 0;
    while (i < len) {
        unsigned c = s[i];
        if (c == 0)
            return 0;
        if (c < 0x80) {
            i++;
            continue;
        }
        size_t n;
        unsigned cp, min;
        if (c >= 0xC2 && c <= 0xDF) {
            n = 1, cp = c & 0x1F, min = 0x80;
        } else if (c >= 0xE0 && c <= 0xEF) {
            n = 2, cp = c & 0x0F, min = 0x800;
        } else if (c >= 0xF0 && c <= 0xF4) {
            n = 3, cp = c & 0x07, min = 0x10000;
        } else {
            return 0;
        }
        if (len - i <= n)
            return 0;
        for (size_t k = 1; k <= n; k++) {
            if ((s[i + k] & 0xC0) != 0x80)
                return 0;
            cp = cp << 6 | (s[i + k] & 0x3F);
        }
        /* overlong forms, UTF-16 surrogates, past U+10FFFF */
        if (cp < min || (cp >= 0xD800 && cp <= 0xDFFF) || cp > 0x10FFFF)
            return 0;
        i += n + 1;
    }
    return 1;
}

/* Reads exactly n digits at *p into *v. */
static int digits(const char **p, int n, int *v) {
    int x = 0;
    for (int i = 0; i < n; i++) {
        char c = (*p)[i];
        if (c < '0' || c > '9')
            return -1;
        x = x * 10 + (c - '0');
    }
    *p += n;
    *v = x;
    return 0;
}

/* Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant,
 * "chrono-Compatible Low-Level Date Algorithms", days_from_civil). */
static int64_t days_from_civil(int64_t y, int m, int d) {
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    int64_t yoe = y - era * 400;
    int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

int tamis__parse_time(const char *s, int64_t *out) {
    static const int mdays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    int y, mo, d, h = 0, mi = 0, sec = 0;
    const char *p = s;
    if (!s || digits(&p, 4, &y) || *p++ != '-' || digits(&p, 2, &mo) || *p++ != '-' ||
        digits(&p, 2, &d))
        return -1;
    if (mo < 1 || mo > 12 || d < 1)
        return -1;
    int leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    if (d > mdays[mo - 1] + (mo == 2 && leap))
        return -1;
    int64_t offset = 0;
    if (*p == 'T' || *p == 't' || *p == ' ') {
        p++;
        if (digits(&p, 2, &h) || *p++ != ':' || digits(&p, 2, &mi))
            return -1;
        if (*p == ':') {
            p++;
            if (digits(&p, 2, &sec))
                return -1;
            if (*p == '.' || *p == ',') { /* fractions of a second are dropped */
                p++;
                if (*p < '0' || *p > '9')
                    return -1;
                while (*p >= '0' && *p <= '9')
                    p++;
            }
        }
        if (h > 23 || mi > 59 || sec > 60)
            return -1;
        if (*p == 'Z' || *p == 'z') {
            p++;
        } else if (*p == '+' || *p == '-') {
            int sign = *p++ == '-' ? -1 : 1, oh, om = 0;
            if (digits(&p, 2, &oh))
                return -1;
            if (*p == ':')
                p++;
            if (*p >= '0' && *p <= '9' && digits(&p, 2, &om))
                return -1;
            if (oh > 23 || om > 59)
                return -1;
            offset = sign * (int64_t)(oh * 3600 + om * 60);
        }
    }
    if (*p)
        return -1;
    *out = days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + sec - offset;
    return 0;
}

void tamis__quote(char out[48], const char *s) {
    size_t n = 0;
    for (; s && s[n] && n < 40; n++) {
        unsigned char c = (unsigned char)s[n];
        out[n] = (c >= 0x20 && c < 0x7F) ? (char)c : '?';
    }
    if (s && s[n]) {
        memcpy(out + n, "...", 3);
        n += 3;
    }
    out[n] = '\0';
}

void tamis__reject(const tamis__reader_cb *cb, uint64_t position, const char *fmt, ...) {
    char why[200];
    va_list ap;
    if (!cb->reject)
        return;
    va_start(ap, fmt);
    vsnprintf(why, sizeof why, fmt, ap);
    va_end(ap);
    cb->reject(cb->ctx, position, why);
}
