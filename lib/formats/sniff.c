/*
 * sniff.c - which import format a file is in, from its first bytes, and
 * the reader of each format. The formats differ from their first byte or
 * first line: '<' is NCMEC XML; '{' or '[' is JSON, TCAP or StopNCII by
 * the member names it uses first; otherwise the first line that is not
 * blank or a '#' comment tells a pytx CSV (a header starting "indicator",
 * or a hash then a comma), a hash list (64 hex digits, then a blank or the
 * end), an HMA local_file (a signal type name, then a blank) and a vPDQ
 * file (frame,quality,hash,...). A .tmk file starts with its magics.
 */
#include <string.h>
#include <strings.h>

#include "formats.h"

static int contains(const char *p, const char *end, const char *needle) {
    size_t n = strlen(needle);
    for (; (size_t)(end - p) >= n; p++)
        if (memcmp(p, needle, n) == 0)
            return 1;
    return 0;
}

static int is_blank(char c) { return c == ' ' || c == '\t' || c == '\r'; }

static tamis_import_format sniff_line(const char *p, const char *eol) {
    size_t len = (size_t)(eol - p);
    if (len >= 9 && strncasecmp(p, "indicator", 9) == 0 && (len == 9 || p[9] == ',' ||
                                                             is_blank(p[9])))
        return TAMIS_IMPORT_PYTX_CSV;
    const char *q = p;
    if (q < eol && *q == '"') /* a quoted first CSV field */
        q++;
    const char *t = q;
    while (q < eol && tamis__hex_digit((unsigned char)*q) >= 0)
        q++;
    size_t hex = (size_t)(q - t);
    if (q < eol && *q == '"')
        q++;
    if ((hex == 64 || hex == 32) && q < eol && *q == ',')
        return TAMIS_IMPORT_PYTX_CSV;
    /* vPDQ: frame,quality,hash,... */
    const char *d = p;
    int commas = 0;
    while (d < eol && ((*d >= '0' && *d <= '9') || (*d == ',' && ++commas <= 2)))
        d++;
    if (commas == 2 && d[-1] == ',') {
        const char *h = d;
        while (d < eol && tamis__hex_digit((unsigned char)*d) >= 0)
            d++;
        if (d - h == 64 && d < eol && *d == ',')
            return TAMIS_IMPORT_VPDQ;
    }
    if (hex == 64 && t == p && (q == eol || is_blank(*q)))
        return TAMIS_IMPORT_HASHLIST;
    char name[32];
    size_t n = 0;
    while (p + n < eol && !is_blank(p[n]) && n < sizeof name - 1) {
        name[n] = p[n];
        n++;
    }
    name[n] = '\0';
    if (p + n < eol && is_blank(p[n]) && tamis__signal_type(name))
        return TAMIS_IMPORT_HMA_LOCAL;
    return TAMIS_IMPORT_AUTO;
}

tamis_import_format tamis__sniff_import(const char *head, size_t len) {
    const char *p = head, *end = head + len;
    if (!head)
        return TAMIS_IMPORT_AUTO;
    if (len >= 8 && memcmp(p, "TMK1FVEC", 8) == 0) /* tmk-hash-video's magics */
        return TAMIS_IMPORT_TMK;
    if (len >= 3 && memcmp(p, "\xEF\xBB\xBF", 3) == 0)
        p += 3;
    while (p < end && (is_blank(*p) || *p == '\n'))
        p++;
    if (p == end)
        return TAMIS_IMPORT_AUTO;
    if (*p == '<')
        return TAMIS_IMPORT_NCMEC_XML;
    if (*p == '{' || *p == '[') {
        if (contains(p, end, "\"hashValue\"") || contains(p, end, "\"hashRecords\"") ||
            contains(p, end, "\"signalType\""))
            return TAMIS_IMPORT_STOPNCII_JSON;
        if (contains(p, end, "\"hash_digest\"") || contains(p, end, "\"algorithm\""))
            return TAMIS_IMPORT_TCAP_JSON;
        return TAMIS_IMPORT_AUTO;
    }
    while (p < end) {
        const char *eol = memchr(p, '\n', (size_t)(end - p));
        if (!eol)
            eol = end;
        const char *s = p;
        while (s < eol && is_blank(*s))
            s++;
        if (s < eol && *s != '#')
            return sniff_line(s, eol);
        p = eol + 1;
    }
    return TAMIS_IMPORT_AUTO;
}

tamis__reader_fn tamis__reader_for(tamis_import_format f) {
    switch (f) {
    case TAMIS_IMPORT_HMA_LOCAL: return tamis__read_hma_local;
    case TAMIS_IMPORT_HASHLIST: return tamis__read_hashlist;
    case TAMIS_IMPORT_PYTX_CSV: return tamis__read_pytx_csv;
    case TAMIS_IMPORT_TCAP_JSON: return tamis__read_tcap_json;
    case TAMIS_IMPORT_NCMEC_XML: return tamis__read_ncmec_xml;
    case TAMIS_IMPORT_STOPNCII_JSON: return tamis__read_stopncii_json;
    case TAMIS_IMPORT_VPDQ: return tamis__read_vpdq_text;
    case TAMIS_IMPORT_TMK: return tamis__read_tmk;
    case TAMIS_IMPORT_URL_LIST: return tamis__read_url_list;
    case TAMIS_IMPORT_TEXT_LINES: return tamis__read_text_lines;
    case TAMIS_IMPORT_AUTO: break;
    }
    return NULL;
}
