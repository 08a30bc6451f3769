/* A user program of the installed library: tests/cli/test_install.c builds
 * it against `make install` with pkg-config only. */
#include <stdio.h>
#include <tamis.h>
int main(int argc, char **argv) {
    if (argc < 2) return 2;
    tamis_hasher *h; tamis_image_hash r; char hex[TAMIS_PDQ_HEX_LEN + 1];
    if (tamis_hasher_create(NULL, &h) != TAMIS_OK) return 1;
    if (tamis_hash_image_file(h, argv[1], &r) != TAMIS_OK) { fprintf(stderr, "%s\n", tamis_hasher_errmsg(h)); return 1; }
    tamis_pdq_to_hex(&r.pdq, hex); printf("%s %d\n", hex, r.quality); tamis_hasher_free(h); return 0;
}
