/*
 * fuzz_import_hma_local.c - libFuzzer target for the HMA local_file reader
 * (lib/formats/hma_local.c). The checks are in fuzz_import.h.
 */
#include "fuzz_import.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    return fuzz_import(tamis__read_hma_local, data, size);
}
