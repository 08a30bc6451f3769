/*
 * fuzz_import_stopncii_json.c - libFuzzer target for the StopNCII JSON
 * reader (lib/formats/stopncii_json.c, json_records.c). The checks are in
 * fuzz_import.h.
 */
#include "fuzz_import.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    return fuzz_import(tamis__read_stopncii_json, data, size);
}
