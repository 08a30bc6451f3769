/*
 * fuzz_import_text_lines.c - libFuzzer target for the text-lines reader
 * (lib/formats/lists.c). The checks are in fuzz_import.h.
 */
#include "fuzz_import.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    return fuzz_import(tamis__read_text_lines, data, size);
}
