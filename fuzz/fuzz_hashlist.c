/*
 * fuzz_hashlist.c - libFuzzer target for the hash-list line parser
 * (tamis_hashlist_parse_line, lib/index/hashlist.c). Each input is split
 * into lines as the CLI splits them; every line must parse to OK (then
 * the id lies inside the line and the hash prints back to the line's
 * 64 digits, case aside), DONE, or INVALID with a reason.
 */
#include <ctype.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tamis.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    size_t start = 0;
    while (start <= size) {
        size_t end = start;
        while (end < size && data[end] != '\n')
            end++;
        size_t len = end - start;
        /* An exact-size copy, so ASan sees any read past the line. */
        char *line = malloc(len ? len : 1);
        if (!line)
            return 0;
        memcpy(line, data + start, len);
        tamis_pdq code;
        const char *id = NULL, *why = NULL;
        size_t idlen = 0;
        tamis_status st = tamis_hashlist_parse_line(line, len, &code, &id, &idlen, &why);
        if (st == TAMIS_OK) {
            if (id < line || id + idlen > line + len)
                abort();
            /* the 64 hex digits are in the line, in order */
            char hex[65];
            tamis_pdq_to_hex(&code, hex);
            size_t h = 0;
            while (h < len && isspace((unsigned char)line[h]))
                h++;
            if (len - h < 64)
                abort();
            for (int k = 0; k < 64; k++)
                if (tolower((unsigned char)line[h + (size_t)k]) != hex[k])
                    abort();
        } else if (st == TAMIS_ERR_INVALID) {
            if (!why || !*why)
                abort();
        } else if (st != TAMIS_DONE) {
            abort();
        }
        free(line);
        start = end + 1;
    }
    return 0;
}
