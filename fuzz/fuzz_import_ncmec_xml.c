/*
 * fuzz_import_ncmec_xml.c - libFuzzer target for the NCMEC XML reader
 * (lib/formats/ncmec_xml.c) over libxml2's xmlTextReader, DOCTYPE refusal
 * included. The checks are in fuzz_import.h.
 */
#include "fuzz_import.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    return fuzz_import(tamis__read_ncmec_xml, data, size);
}
