/* cli.h - shared pieces of the tamis command-line program. The program uses
 * only the public API of libtamis (include/tamis.h). */
#ifndef TAMIS_CLI_H
#define TAMIS_CLI_H

#include <stdio.h>

#include "tamis.h"

/* Exit statuses shared by every subcommand. */
enum { EXIT_OK = 0, EXIT_SOME_FAILED = 1, EXIT_USAGE = 2 };

int cmd_hash(int argc, char **argv);

/* Writes `s` as a JSON string (with quotes). Bytes that are not valid
 * UTF-8 are written as \u00XX escapes of the byte. */
void json_write_string(FILE *f, const char *s);

/* Parses a positive integer option value; returns 0 on success. */
int parse_count(const char *s, unsigned long long *out);

/* Number of online CPUs (at least 1). */
int cpu_count(void);

#endif
