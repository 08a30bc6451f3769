/*
 * hashlist.c - one line of the hash-list text format (doc/formats.md): a
 * 256-bit hash as 64 hex digits, optionally whitespace and an id; blank
 * and '#' lines carry nothing.
 */
#include "../common/common.h"

static int is_space(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\v' || c == '\f'; }

tamis_status tamis_hashlist_parse_line(const char *line, size_t len, tamis_pdq *code,
                                       const char **id, size_t *idlen, const char **why) {
    static const char *dummy;
    if (!why)
        why = &dummy;
    *why = NULL;
    if (!code || !id || !idlen || (!line && len)) {
        *why = "NULL argument";
        return TAMIS_ERR_INVALID;
    }
    size_t i = 0;
    while (i < len && is_space(line[i]))
        i++;
    if (i == len || line[i] == '#')
        return TAMIS_DONE;
    size_t h = i;
    while (i < len && !is_space(line[i]))
        i++;
    size_t hlen = i - h;
    for (size_t k = h; k < i; k++)
        if (tamis__hex_digit((unsigned char)line[k]) < 0 || line[k] == '\0') {
            *why = "not a hex digit in the hash";
            return TAMIS_ERR_INVALID;
        }
    if (hlen != TAMIS_PDQ_HEX_LEN) {
        *why = hlen < TAMIS_PDQ_HEX_LEN ? "hash too short (want 64 hex digits)"
                                        : "hash too long (want 64 hex digits)";
        return TAMIS_ERR_INVALID;
    }
    tamis_pdq_from_hex(line + h, hlen, code);
    while (i < len && is_space(line[i]))
        i++;
    size_t end = len;
    while (end > i && is_space(line[end - 1]))
        end--;
    *id = line + i;
    *idlen = end - i;
    return TAMIS_OK;
}
