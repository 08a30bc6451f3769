/*
 * fuzz_import_tcap_json.c - libFuzzer target for the TCAP JSON reader and
 * the JSON record scanner under it (lib/formats/tcap_json.c,
 * json_records.c). The checks are in fuzz_import.h.
 */
#include "fuzz_import.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    return fuzz_import(tamis__read_tcap_json, data, size);
}
