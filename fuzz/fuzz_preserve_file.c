/*
 * fuzz_preserve_file.c - libFuzzer target for the reader of preservation
 * containers (tamis__pv_parse and tamis__pv_open, lib/act/preserve.c),
 * which must refuse any file not sealed under its key, whatever its header
 * claims, before allocating what the header announces beyond the file.
 *
 * The first byte is the mode, the rest the file, opened under a fixed key.
 * Few random inputs pass the GCM tag, so with bit 0 of the mode the target
 * also seals a container from the header it parsed (the bytes after it as
 * the payload, cut at the sizes announced) and checks that it opens to
 * the same fields and bytes: the code behind the tag runs too.
 *
 * The seeds are made by this file itself:
 *   cc -DFUZZ_PRESERVE_GEN_SEEDS -D_GNU_SOURCE -Iinclude -o /tmp/gen fuzz/fuzz_preserve_file.c \
 *      build/libtamis.a $(pkg-config --libs libcrypto jansson) -lpthread -lm
 *   /tmp/gen fuzz/corpus/fuzz_preserve_file
 * (nonces are random, so the files differ from one run to the next).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../lib/act/preserve.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const uint8_t KEY[32] = {0,  1,  2,  3,  4,  5,  6,  7,  8,  9,  10, 11, 12, 13, 14, 15,
                                16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31};

static void check_open(const uint8_t *buf, size_t len, int must_open) {
    tamis__pv_header h;
    uint8_t *plain = (uint8_t *)1;
    tamis__err e;
    e.msg[0] = '\0';
    tamis_status st = tamis__pv_open(KEY, buf, len, &h, &plain, &e);
    if (st == TAMIS_OK) {
        tamis__pv_header p;
        if (tamis__pv_parse(buf, len, 1, &p, NULL) != TAMIS_OK || p.expires < p.created ||
            p.header_len + p.meta_len + p.note_len + p.content_len + TAMIS__PV_TAG != len)
            abort();
        tamis__free(plain);
        return;
    }
    if (must_open && st != TAMIS_ERR_NOMEM)
        abort();
    if ((st != TAMIS_ERR_CORRUPT && st != TAMIS_ERR_NOMEM) || plain != NULL || e.msg[0] == '\0')
        abort(); /* an error gives a reason and no buffer */
}

static void reseal(const uint8_t *buf, size_t len) {
    tamis__pv_header h;
    if (tamis__pv_parse(buf, len, 0, &h, NULL) != TAMIS_OK)
        return;
    const uint8_t *p = buf + h.header_len, *end = buf + len;
    size_t left = (size_t)(end - p);
    uint32_t ml = h.meta_len < left ? h.meta_len : (uint32_t)left;
    left -= ml;
    uint32_t nl = h.note_len < left ? h.note_len : (uint32_t)left;
    left -= nl;
    uint64_t cl = h.content_len < left ? h.content_len : left;
    tamis__pv_header s = h;
    uint8_t *out;
    size_t outlen;
    if (tamis__pv_seal(KEY, &s, p, ml, p + ml, nl, p + ml + nl, cl, &out, &outlen, NULL) != TAMIS_OK)
        abort(); /* whatever parsed can be sealed */
    check_open(out, outlen, 1);
    tamis__pv_header g;
    uint8_t *plain;
    if (tamis__pv_open(KEY, out, outlen, &g, &plain, NULL) == TAMIS_OK) {
        if (g.flags != h.flags || g.created != h.created || g.expires != h.expires ||
            g.hold_changed != h.hold_changed || g.id_len != h.id_len ||
            memcmp(g.id, h.id, h.id_len) != 0 || g.ctype_len != h.ctype_len ||
            memcmp(g.ctype, h.ctype, h.ctype_len) != 0 || g.meta_len != ml || g.note_len != nl ||
            g.content_len != cl || memcmp(plain, p, (size_t)ml + nl + (size_t)cl) != 0)
            abort();
        tamis__free(plain);
        /* Any one flipped bit of what was sealed is refused. */
        size_t at = (size_t)(h.created ^ h.expires) % outlen;
        out[at] ^= 0x10;
        if (tamis__pv_open(KEY, out, outlen, &g, &plain, NULL) == TAMIS_OK)
            abort();
    }
    tamis__free(out);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (size < 1)
        return 0;
    uint8_t mode = data[0];
    check_open(data + 1, size - 1, 0);
    if (mode & 1)
        reseal(data + 1, size - 1);
    return 0;
}

#ifdef FUZZ_PRESERVE_GEN_SEEDS
static void save(const char *dir, const char *name, uint8_t mode, const uint8_t *b, size_t n) {
    char path[1024];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "wb");
    if (!f || fwrite(&mode, 1, 1, f) != 1 || fwrite(b, 1, n, f) != n || fclose(f) != 0) {
        perror(path);
        exit(1);
    }
}

int main(int argc, char **argv) {
    if (argc != 2)
        return fprintf(stderr, "usage: gen DIR\n"), 2;
    tamis__pv_header h;
    memset(&h, 0, sizeof h);
    h.id = "upload-1";
    h.id_len = 8;
    h.ctype = "image/jpeg";
    h.ctype_len = 10;
    h.created = 1767225600;
    h.expires = h.created + 183 * 86400;
    uint8_t *b;
    size_t n;
    const char *meta = "{\"bank\":\"TCAP\",\"order\":\"FR-1\"}";
    if (tamis__pv_seal(KEY, &h, (const uint8_t *)meta, (uint32_t)strlen(meta), NULL, 0,
                       (const uint8_t *)"\xff\xd8\xff\xe0 jpeg", 9, &b, &n, NULL) != TAMIS_OK)
        return 1;
    save(argv[1], "valid.tpv", 0, b, n);
    save(argv[1], "valid_reseal.tpv", 1, b, n);
    save(argv[1], "truncated.tpv", 1, b, n - 7);
    b[n - 1] ^= 1;
    save(argv[1], "bad_tag.tpv", 0, b, n);
    b[0] = 'X';
    save(argv[1], "bad_magic.tpv", 0, b, n);
    tamis__free(b);
    h.flags = TAMIS__PV_FLAG_HOLD;
    h.hold_changed = h.created + 86400;
    if (tamis__pv_seal(KEY, &h, NULL, 0, (const uint8_t *)"court order 7", 13, NULL, 0, &b, &n,
                       NULL) != TAMIS_OK)
        return 1;
    save(argv[1], "held_empty.tpv", 0, b, n);
    /* A header announcing far more than the file holds. */
    b[68 + 3] = 0x3f;
    save(argv[1], "huge_content_len.tpv", 1, b, n);
    tamis__free(b);
    return 0;
}
#endif
