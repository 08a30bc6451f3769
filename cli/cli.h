/* cli.h - shared pieces of the tamis command-line program. The program uses
 * only the public API of libtamis (include/tamis.h). */
#ifndef TAMIS_CLI_H
#define TAMIS_CLI_H

#include <errno.h>
#include <stdio.h>

#include "tamis.h"

/* Exit statuses shared by every subcommand. */
enum { EXIT_OK = 0, EXIT_SOME_FAILED = 1, EXIT_USAGE = 2 };

int cmd_hash(int argc, char **argv);
/* `tamis hash --text` and `--url` (cli/hash_signals.c); cmd_hash passes
 * its arguments on when it sees either option. */
int cmd_hash_signals(int argc, char **argv);
int cmd_match(int argc, char **argv);
int cmd_index(int argc, char **argv);
int cmd_serve(int argc, char **argv);
int cmd_token(int argc, char **argv);
int cmd_import(int argc, char **argv);
int cmd_export(int argc, char **argv);
int cmd_compare(int argc, char **argv);
int cmd_audit(int argc, char **argv);
int cmd_preserve(int argc, char **argv);
int cmd_order(int argc, char **argv);
int cmd_review(int argc, char **argv);
int cmd_notice(int argc, char **argv);
int cmd_complaint(int argc, char **argv);
int cmd_report(int argc, char **argv);
int cmd_scan(int argc, char **argv);

/* Hash lists read by the CLI: codes with their ids as text. */
typedef struct {
    tamis_pdq *codes;
    char **ids;
    size_t n, cap;
} hashlist;

/* Appends up to `max` entries (0 = all) of the hash list f (named `name`
 * in messages) to h. A malformed line is an error "name:line: reason"
 * unless skip_bad, which counts it in *bad. Returns 0 or -1. */
int hashlist_read(FILE *f, const char *name, int skip_bad, size_t max, hashlist *h,
                  unsigned long long *lineno, size_t *bad);
void hashlist_free(hashlist *h);

/* Opens a bank (a hash list, or an index saved by `tamis index`): on
 * success *ix is the index and, for a hash list, names->ids[i] the text id
 * of index id i. Prints the reason and returns -1 on failure, having
 * released what it made (*ix NULL, names empty). */
int bank_open(const char *path, int skip_bad, tamis_index **ix, hashlist *names);

/* Writes `s` as a JSON string (with quotes). Bytes that are not valid
 * UTF-8 are written as \u00XX escapes of the byte. */
void json_write_string(FILE *f, const char *s);
/* The same for `len` bytes, which may hold NUL bytes (written \u0000). */
void json_write_mem(FILE *f, const char *s, size_t len);

/* Parses a positive integer option value; returns 0 on success. */
int parse_count(const char *s, unsigned long long *out);

/* Parses a number of frames a second (finite, > 0) into seconds per
 * hash, 1/F; returns 0 on success. */
int parse_fps(const char *s, double *seconds_per_hash);

/* Parses "library" or "ffmpeg" into TAMIS_VPDQ_CONVERT_*; returns 0 on
 * success. */
int parse_vpdq_convert(const char *s, int *convert);

/* Parses a finite number within [min, max]; returns 0 on success. */
int parse_number(const char *s, double min, double max, double *out);

/* Maps a whole file read-only (a regular file; 0 bytes give *data NULL).
 * Returns 0, or -1 with errno set (EISDIR for a directory). Release with
 * file_unmap. */
int file_map(const char *path, const void **data, size_t *len);
void file_unmap(const void *data, size_t len);

/* Number of online CPUs (at least 1). */
int cpu_count(void);

#endif
