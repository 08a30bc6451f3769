/* scan.h - pieces of `tamis scan` shared by cli/scan.c (walking, workers,
 * progress), cli/scan_report.c (report lines, resume) and cli/scan_hash.c
 * (what is done to one file). */
#ifndef TAMIS_CLI_SCAN_H
#define TAMIS_CLI_SCAN_H

#include <stdint.h>
#include <sys/stat.h>

#include "cli.h"

/* What became of a file. */
enum { SCAN_OK = 0, SCAN_SKIPPED = 1, SCAN_ERROR = 2 };
/* What it was found to hold. */
enum { SCAN_NONE = 0, SCAN_IMAGE, SCAN_VIDEO, SCAN_TEXT };

typedef struct scan_match {
    char *bank;         /* owned */
    char *id;           /* owned */
    const char *signal; /* static: "pdq", "md5", "sha256", "vpdq", "text_exact"... */
    int distance;
    int frame;          /* video frame that matched a PDQ bank hash, or -1 */
    double timestamp;   /* of that frame */
    double score[2];    /* vpdq: query and target share (%); text_near: similarity */
    int nscore;         /* how many of score are meaningful */
} scan_match;

/* One file's line of the report. */
typedef struct scan_result {
    char *path;           /* owned */
    const char *kind;     /* "file", "directory", "symlink", "fifo", "socket", "device" */
    long long size;       /* bytes, from the walk's lstat */
    struct timespec mtime;
    int status;           /* SCAN_OK, SCAN_SKIPPED, SCAN_ERROR */
    char reason[512];     /* why skipped or in error */
    int type;             /* SCAN_NONE, SCAN_IMAGE, SCAN_VIDEO, SCAN_TEXT */
    tamis_image_hash img; /* SCAN_IMAGE */
    tamis_video_info vinfo;
    size_t frames;        /* SCAN_VIDEO: frames hashed */
    int frames_quality;   /* of them, how many of quality >= 50 */
    char *vpdq;           /* SCAN_VIDEO: HMA's JSON form (owned) */
    tamis_text_hash text; /* SCAN_TEXT */
    int has_digests;
    tamis_digests digests;
    scan_match *m;
    size_t nm, capm;
} scan_result;

void scan_result_clear(scan_result *r);
/* Appends a match (bank and id are copied); returns 0 or -1 (no memory). */
int scan_result_add_match(scan_result *r, const char *bank, const char *id, const char *signal,
                          int distance, int frame, double timestamp, const double *score,
                          int nscore);
/* Sorts the matches (bank, distance, id, signal, frame), so that a line is
 * the same whatever the order the lookups ran in, and keeps for each
 * (bank, id, signal) only the nearest. */
void scan_result_sort_matches(scan_result *r);

/* The line of r in the JSON Lines report and in the CSV report (each ends
 * in '\n'; malloc'd, caller frees). NULL when out of memory. */
char *scan_json_line(const scan_result *r, size_t *len);
char *scan_csv_line(const scan_result *r, size_t *len);
/* The CSV report's first line. */
extern const char scan_csv_header[];

/* ---- Hashing and matching one file (cli/scan_hash.c) ---------------------- */

/* A --bank file: a hash list or a saved index, named after the file. */
typedef struct scan_bank {
    char *name;
    tamis_index *ix;
    hashlist ids; /* text ids of a hash list; empty for a saved index */
} scan_bank;

/* What every worker reads; set before they start. */
typedef struct scan_config {
    tamis_hash_options ho;
    tamis_vpdq_options vo;
    int text;                     /* --text: hash UTF-8 text files */
    unsigned long long max_size;  /* bytes; larger files are skipped */
    size_t max_text;              /* larger text files get digests only */
    int radius;                   /* PDQ radius; -1: 31 for --bank, the bank's for --db */
    scan_bank *banks;
    size_t nbanks;
    tamis_matcher *matcher;       /* --db, or NULL */
    unsigned delay_ms;            /* TAMIS_SCAN_TEST_DELAY_MS, for the tests only */
} scan_config;

/* A worker's own hashers, reused from file to file. */
typedef struct scan_worker {
    tamis_hasher *h;
    tamis_vpdq *v;
    tamis_text *t;
} scan_worker;

int scan_worker_init(scan_worker *w, const scan_config *c);
void scan_worker_free(scan_worker *w);

/* Reads, hashes and matches the regular file r->path, which the walk saw
 * as `walked`; fills r (status, reason, signals, matches). */
void scan_file(const scan_config *c, scan_worker *w, scan_result *r, const struct stat *walked);

/* The budget of file bytes held in memory at once (cli/scan.c): take
 * blocks until `n` bytes are free (a request over the whole budget waits
 * for it to be entirely free, then takes it all). */
size_t scan_budget_take(size_t n);
void scan_budget_give(size_t taken);

/* ---- The set of paths already in a report (--resume) ---------------------
 * 128-bit keyed hashes of the paths, in an open-addressed table: 16 bytes a
 * slot, at most 3/4 full, so 21 to 43 bytes of memory per path. The key is
 * random per run, so file names cannot be chosen to collide. */
typedef struct pathset {
    uint64_t *slots; /* 2 words a slot; {0, 0} is empty */
    size_t cap, n;   /* cap: slots, a power of two */
    uint64_t key[4];
} pathset;

int pathset_init(pathset *s);
void pathset_free(pathset *s);
/* Returns 1 if added, 0 if already there, -1 when out of memory. */
int pathset_add(pathset *s, const char *path, size_t len);
int pathset_has(const pathset *s, const char *path, size_t len);

/* Reads the existing reports for --resume: each is cut after its last
 * complete line (a line torn by a crash is removed), and when both are
 * given the longer is cut to the lines the other has too (the writer
 * writes each file's line to both, in the same order). Adds the path of
 * every complete line to `done`. A missing report is an empty one.
 * Returns 0, or -1 with the reason in err. */
typedef struct scan_prior {
    unsigned long long lines, errors, skipped, matches, files_matched;
} scan_prior;
int scan_resume_load(const char *json_path, const char *csv_path, pathset *done,
                     scan_prior *prior, char *err, size_t errlen);

#endif
