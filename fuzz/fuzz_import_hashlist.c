/*
 * fuzz_import_hashlist.c - libFuzzer target for the hash-list import
 * reader (lib/formats/hashlist_import.c). The checks are in fuzz_import.h.
 */
#include "fuzz_import.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    return fuzz_import(tamis__read_hashlist, data, size);
}
