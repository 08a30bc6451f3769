/* version.c - the runtime version, to compare with TAMIS_VERSION_STRING. */
#include "common.h"

const char *tamis_version(void) { return TAMIS_VERSION_STRING; }
