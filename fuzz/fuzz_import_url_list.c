/*
 * fuzz_import_url_list.c - libFuzzer target for the url-list reader
 * (lib/formats/lists.c). The checks are in fuzz_import.h.
 */
#include "fuzz_import.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    return fuzz_import(tamis__read_url_list, data, size);
}
