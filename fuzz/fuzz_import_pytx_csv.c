/*
 * fuzz_import_pytx_csv.c - libFuzzer target for the pytx CSV reader and
 * the CSV lexer under it (lib/formats/pytx_csv.c, csv.c). The checks are
 * in fuzz_import.h.
 */
#include "fuzz_import.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    return fuzz_import(tamis__read_pytx_csv, data, size);
}
