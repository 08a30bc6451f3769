/*
 * scan.c - `tamis scan`: checks what a host already stores. Walks
 * directories, hashes every regular file (images, videos, and texts with
 * --text; the digests of any other file), matches the hashes against
 * --bank files and --db banks, and writes one report line per file.
 *
 * Threads: this one walks (nftw, FTW_PHYS: symbolic links are reported,
 * never followed) and queues regular files in a bounded queue; N workers
 * read and hash them (cli/scan_hash.c) and format the lines; one writer
 * writes the lines in the order they complete, flushing in batches and
 * syncing the report once a second; a ticker shows progress and notices
 * Ctrl-C. A counter walks the same trees ahead, without reading files, so
 * that progress can give an ETA. Memory stays bounded: the queues are
 * bounded, nftw keeps at most 64 directories open, and the bytes of the
 * files held at once are under a budget. Only --resume's set of finished
 * paths grows with the tree (cli/scan_report.c).
 *
 * doc/scan.md is the manual: the report's fields, resuming, exit
 * statuses, limits.
 */
#include <fcntl.h>
#include <ftw.h>
#include <getopt.h>
#include <math.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "scan.h"

enum { EXIT_MATCHES = 1, EXIT_FILE_ERRORS = 3, EXIT_STOPPED = 4 };

/* ---- Shared state ---------------------------------------------------------
 * One scan per process: the nftw callbacks reach the state through these
 * globals (nftw passes no context). */

typedef struct {
    scan_result r;
    struct stat st;
} work_item;

typedef struct {
    char *json, *csv;
    size_t json_len, csv_len;
    int status, type;
    size_t nm;
    long long size;
} out_item;

typedef struct {
    unsigned long long files, bytes, ok, skipped, errors, matches, files_matched;
    unsigned long long images, videos, texts, others;
} tally;

static struct {
    pthread_mutex_t mu;
    pthread_cond_t cv_work, cv_space, cv_out, cv_out_space, cv_budget, cv_tick;
    work_item *work;
    size_t work_cap, work_head, work_n;
    out_item *out;
    size_t out_cap, out_head, out_n;
    int walk_done;      /* no more work will be queued */
    int workers_left;   /* workers still running */
    int stop;           /* interrupted or a fatal error: finish what is in hand */
    int fatal;          /* the report cannot be written */
    int finished;       /* the writer is done: the ticker stops */
    tally t;            /* lines written */
    unsigned long long resumed;   /* files skipped as already in the report */
    unsigned long long total_files, total_bytes; /* from the counter */
    int counted;        /* the counter finished */
    size_t budget_free, budget_total;
    scan_config cfg;
    pathset done;       /* paths in the report when resuming */
    scan_prior prior;   /* what those lines hold */
    int resuming;
    int one_fs;
    dev_t report_dev[2]; /* the reports themselves, never scanned */
    ino_t report_ino[2];
} S = {.mu = PTHREAD_MUTEX_INITIALIZER,
       .cv_work = PTHREAD_COND_INITIALIZER,
       .cv_space = PTHREAD_COND_INITIALIZER,
       .cv_out = PTHREAD_COND_INITIALIZER,
       .cv_out_space = PTHREAD_COND_INITIALIZER,
       .cv_budget = PTHREAD_COND_INITIALIZER,
       .cv_tick = PTHREAD_COND_INITIALIZER};

static volatile sig_atomic_t interrupted;

/* Installed with SA_RESETHAND: a second Ctrl-C ends the process at once;
 * the report stays valid to resume from (a torn last line is cut then). */
static void on_signal(int sig) {
    interrupted = sig;
}

/* Flags read outside the lock. */
#define FLAG_GET(f) __atomic_load_n(&(f), __ATOMIC_ACQUIRE)
#define FLAG_SET(f) __atomic_store_n(&(f), 1, __ATOMIC_RELEASE)

static int stopping(void) {
    return interrupted || FLAG_GET(S.stop);
}

/* ---- The byte budget -------------------------------------------------- */

size_t scan_budget_take(size_t n) {
    pthread_mutex_lock(&S.mu);
    size_t want = n < S.budget_total ? n : S.budget_total;
    while (S.budget_free < want)
        pthread_cond_wait(&S.cv_budget, &S.mu);
    S.budget_free -= want;
    pthread_mutex_unlock(&S.mu);
    return want;
}

void scan_budget_give(size_t taken) {
    pthread_mutex_lock(&S.mu);
    S.budget_free += taken;
    pthread_cond_broadcast(&S.cv_budget);
    pthread_mutex_unlock(&S.mu);
}

/* ---- Queues ------------------------------------------------------------ */

/* Formats r's lines and hands them to the writer (waiting for room);
 * clears r. */
static void emit(scan_result *r, int want_json, int want_csv) {
    out_item o;
    memset(&o, 0, sizeof o);
    if (want_json)
        o.json = scan_json_line(r, &o.json_len);
    if (want_csv)
        o.csv = scan_csv_line(r, &o.csv_len);
    o.status = r->status;
    o.type = r->type;
    o.nm = r->nm;
    o.size = r->size;
    scan_result_clear(r);
    pthread_mutex_lock(&S.mu);
    if ((want_json && !o.json) || (want_csv && !o.csv)) {
        FLAG_SET(S.stop), FLAG_SET(S.fatal); /* out of memory: stop cleanly */
        free(o.json);
        free(o.csv);
        pthread_cond_broadcast(&S.cv_out);
        pthread_mutex_unlock(&S.mu);
        return;
    }
    while (S.out_n == S.out_cap && !FLAG_GET(S.fatal))
        pthread_cond_wait(&S.cv_out_space, &S.mu);
    if (FLAG_GET(S.fatal)) { /* the writer is gone */
        pthread_mutex_unlock(&S.mu);
        free(o.json);
        free(o.csv);
        return;
    }
    S.out[(S.out_head + S.out_n++) % S.out_cap] = o;
    pthread_cond_signal(&S.cv_out);
    pthread_mutex_unlock(&S.mu);
}

static int want_json_, want_csv_;

/* A line that needs no worker: a skipped entry or an error of the walk. */
static void emit_now(const char *path, const char *kind, const struct stat *st, int status,
                     const char *reason) {
    if (S.resuming && pathset_has(&S.done, path, strlen(path))) {
        pthread_mutex_lock(&S.mu);
        S.resumed++;
        pthread_mutex_unlock(&S.mu);
        return;
    }
    scan_result r;
    memset(&r, 0, sizeof r);
    if (!(r.path = strdup(path))) {
        FLAG_SET(S.stop), FLAG_SET(S.fatal);
        return;
    }
    r.kind = kind;
    if (st) {
        r.size = (long long)st->st_size;
        r.mtime = st->st_mtim;
    }
    r.status = status;
    snprintf(r.reason, sizeof r.reason, "%s", reason);
    emit(&r, want_json_, want_csv_);
}

static void queue_file(const char *path, const struct stat *st) {
    if (S.resuming && pathset_has(&S.done, path, strlen(path))) {
        pthread_mutex_lock(&S.mu);
        S.resumed++;
        pthread_mutex_unlock(&S.mu);
        return;
    }
    char *p = strdup(path);
    pthread_mutex_lock(&S.mu);
    if (!p) {
        FLAG_SET(S.stop), FLAG_SET(S.fatal);
        pthread_mutex_unlock(&S.mu);
        return;
    }
    while (S.work_n == S.work_cap && !stopping())
        pthread_cond_wait(&S.cv_space, &S.mu);
    if (stopping()) {
        pthread_mutex_unlock(&S.mu);
        free(p);
        return;
    }
    work_item *w = &S.work[(S.work_head + S.work_n++) % S.work_cap];
    memset(w, 0, sizeof *w);
    w->r.path = p;
    w->r.kind = "file";
    w->r.size = (long long)st->st_size;
    w->r.mtime = st->st_mtim;
    w->st = *st;
    pthread_cond_signal(&S.cv_work);
    pthread_mutex_unlock(&S.mu);
}

/* ---- Workers ------------------------------------------------------------ */

static void *worker_main(void *arg) {
    (void)arg;
    scan_worker w;
    int ok = scan_worker_init(&w, &S.cfg) == 0;
    for (;;) {
        pthread_mutex_lock(&S.mu);
        while (S.work_n == 0 && !S.walk_done && !stopping())
            pthread_cond_wait(&S.cv_work, &S.mu);
        if (S.work_n == 0 || stopping()) {
            /* Interrupted: what is still queued is left for --resume. */
            while (S.work_n > 0) {
                free(S.work[S.work_head].r.path);
                S.work_head = (S.work_head + 1) % S.work_cap;
                S.work_n--;
            }
            pthread_cond_broadcast(&S.cv_space);
            break;
        }
        work_item it = S.work[S.work_head];
        S.work_head = (S.work_head + 1) % S.work_cap;
        S.work_n--;
        pthread_cond_signal(&S.cv_space);
        pthread_mutex_unlock(&S.mu);
        if (ok) {
            scan_file(&S.cfg, &w, &it.r, &it.st);
        } else {
            it.r.status = SCAN_ERROR;
            snprintf(it.r.reason, sizeof it.r.reason, "out of memory creating the hashers");
        }
        emit(&it.r, want_json_, want_csv_);
    }
    S.workers_left--;
    pthread_cond_broadcast(&S.cv_out);
    pthread_mutex_unlock(&S.mu);
    scan_worker_free(&w);
    return NULL;
}

/* ---- The writer ---------------------------------------------------------- */

typedef struct {
    int fd;
    const char *name;
    int sync;    /* a regular file: fdatasync once a second */
    char *buf;
    size_t n, cap;
} sink;

static int sink_flush(sink *s) {
    size_t off = 0;
    while (off < s->n) {
        ssize_t k = write(s->fd, s->buf + off, s->n - off);
        if (k < 0 && errno == EINTR)
            continue;
        if (k <= 0) {
            fprintf(stderr, "tamis scan: cannot write %s: %s\n", s->name,
                    k < 0 ? strerror(errno) : "short write");
            return -1;
        }
        off += (size_t)k;
    }
    s->n = 0;
    return 0;
}

static int sink_put(sink *s, const char *data, size_t len) {
    if (s->fd < 0)
        return 0;
    if (s->n + len > s->cap && sink_flush(s))
        return -1;
    if (len > s->cap) { /* a long line (a long video's vPDQ): written as is */
        sink tmp = *s;
        tmp.buf = (char *)data, tmp.n = len;
        return sink_flush(&tmp);
    }
    memcpy(s->buf + s->n, data, len);
    s->n += len;
    return 0;
}

static double now_s(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static sink sinks[2]; /* JSON Lines, CSV */

static void *writer_main(void *arg) {
    (void)arg;
    double last_sync = now_s();
    int failed = 0;
    for (;;) {
        pthread_mutex_lock(&S.mu);
        while (S.out_n == 0 && !(S.walk_done && S.workers_left == 0) && !FLAG_GET(S.fatal)) {
            /* Idle: what is buffered goes to the file now. */
            if (sinks[0].n || sinks[1].n) {
                pthread_mutex_unlock(&S.mu);
                for (int i = 0; i < 2 && !failed; i++)
                    if (sinks[i].fd >= 0 && sink_flush(&sinks[i]))
                        failed = 1;
                pthread_mutex_lock(&S.mu);
                if (failed)
                    break;
                continue;
            }
            pthread_cond_wait(&S.cv_out, &S.mu);
        }
        if (failed || FLAG_GET(S.fatal) || (S.out_n == 0 && S.walk_done && S.workers_left == 0)) {
            if (failed) {
                FLAG_SET(S.stop), FLAG_SET(S.fatal);
                pthread_cond_broadcast(&S.cv_space);
                pthread_cond_broadcast(&S.cv_work);
            }
            pthread_mutex_unlock(&S.mu);
            break;
        }
        out_item o = S.out[S.out_head];
        S.out_head = (S.out_head + 1) % S.out_cap;
        S.out_n--;
        pthread_cond_signal(&S.cv_out_space);
        pthread_mutex_unlock(&S.mu);
        if (!failed && ((o.json && sink_put(&sinks[0], o.json, o.json_len)) ||
                        (o.csv && sink_put(&sinks[1], o.csv, o.csv_len))))
            failed = 1;
        free(o.json);
        free(o.csv);
        pthread_mutex_lock(&S.mu);
        if (!failed) {
            tally *t = &S.t;
            t->files++;
            t->bytes += o.status != SCAN_SKIPPED ? (unsigned long long)o.size : 0;
            t->ok += o.status == SCAN_OK;
            t->skipped += o.status == SCAN_SKIPPED;
            t->errors += o.status == SCAN_ERROR;
            t->matches += o.nm;
            t->files_matched += o.nm > 0;
            if (o.status == SCAN_OK) {
                t->images += o.type == SCAN_IMAGE;
                t->videos += o.type == SCAN_VIDEO;
                t->texts += o.type == SCAN_TEXT;
                t->others += o.type == SCAN_NONE;
            }
        }
        pthread_mutex_unlock(&S.mu);
        double t = now_s();
        if (!failed && t - last_sync >= 1.0) {
            for (int i = 0; i < 2 && !failed; i++)
                if (sinks[i].fd >= 0 && (sink_flush(&sinks[i]) ||
                                         (sinks[i].sync && fdatasync(sinks[i].fd) != 0)))
                    failed = 1;
            last_sync = t;
        }
    }
    for (int i = 0; i < 2; i++)
        if (!failed && sinks[i].fd >= 0 &&
            (sink_flush(&sinks[i]) || (sinks[i].sync && fdatasync(sinks[i].fd) != 0))) {
            fprintf(stderr, "tamis scan: cannot write %s: %s\n", sinks[i].name,
                    strerror(errno));
            failed = 1;
        }
    pthread_mutex_lock(&S.mu);
    if (failed)
        FLAG_SET(S.stop), FLAG_SET(S.fatal);
    FLAG_SET(S.finished);
    pthread_cond_broadcast(&S.cv_out_space);
    pthread_cond_broadcast(&S.cv_tick);
    pthread_cond_broadcast(&S.cv_space);
    pthread_cond_broadcast(&S.cv_work);
    pthread_mutex_unlock(&S.mu);
    return NULL;
}

/* ---- Walking ---------------------------------------------------------------
 * nftw with FTW_PHYS reports symbolic links instead of following them, so
 * a link cannot make a loop; a bind mount still can, so each directory is
 * checked against its ancestors. */

#define MAX_DEPTH_TRACKED 4096
static __thread struct {
    dev_t dev[MAX_DEPTH_TRACKED];
    ino_t ino[MAX_DEPTH_TRACKED];
    dev_t root_dev;
    int counting; /* the counter's walk: count, report nothing */
    unsigned long long files, bytes;
} W;

static const char *kind_of_mode(mode_t m) {
    return S_ISDIR(m) ? "directory" : S_ISLNK(m) ? "symlink" : S_ISFIFO(m) ? "fifo"
           : S_ISSOCK(m)                         ? "socket"
           : S_ISREG(m)                          ? "file"
                                                 : "device";
}

static int walk_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw) {
    if (W.counting ? interrupted || FLAG_GET(S.finished) : stopping())
        return FTW_STOP;
    char why[600];
    int level = ftw->level;
    if (flag == FTW_D) {
        if (level == 0)
            W.root_dev = st->st_dev;
        if (S.one_fs && level > 0 && st->st_dev != W.root_dev) {
            if (!W.counting)
                emit_now(path, "directory", st, SCAN_SKIPPED,
                         "on another file system (--one-file-system)");
            return FTW_SKIP_SUBTREE;
        }
        if (level < MAX_DEPTH_TRACKED) {
            for (int i = 0; i < level; i++)
                if (W.dev[i] == st->st_dev && W.ino[i] == st->st_ino) {
                    if (!W.counting)
                        emit_now(path, "directory", st, SCAN_SKIPPED,
                                 "directory loop: the same directory as one of its parents "
                                 "(a bind mount?)");
                    return FTW_SKIP_SUBTREE;
                }
            W.dev[level] = st->st_dev;
            W.ino[level] = st->st_ino;
        }
        return FTW_CONTINUE;
    }
    for (int i = 0; i < 2; i++)
        if (flag == FTW_F && S.report_ino[i] && st->st_ino == S.report_ino[i] &&
            st->st_dev == S.report_dev[i])
            return FTW_CONTINUE; /* the report, inside the tree scanned */
    if (W.counting) { /* every entry that will get a line */
        if (!(S.resuming && pathset_has(&S.done, path, strlen(path)))) {
            W.files++;
            if (flag == FTW_F && S_ISREG(st->st_mode) &&
                (unsigned long long)st->st_size <= S.cfg.max_size)
                W.bytes += (unsigned long long)st->st_size;
        }
        return FTW_CONTINUE;
    }
    switch (flag) {
    case FTW_F:
        if (S_ISREG(st->st_mode)) {
            queue_file(path, st);
        } else {
            snprintf(why, sizeof why, "not a regular file (%s): never opened",
                     kind_of_mode(st->st_mode));
            emit_now(path, kind_of_mode(st->st_mode), st, SCAN_SKIPPED, why);
        }
        break;
    case FTW_SL:
    case FTW_SLN: {
        char target[256];
        ssize_t n = readlink(path, target, sizeof target - 1);
        if (n >= 0) {
            target[n] = '\0';
            snprintf(why, sizeof why, "symbolic link to '%s%s' (not followed)", target,
                     (size_t)n == sizeof target - 1 ? "..." : "");
        } else {
            snprintf(why, sizeof why, "symbolic link (not followed)");
        }
        emit_now(path, "symlink", st, SCAN_SKIPPED, why);
        break;
    }
    case FTW_DNR: {
        /* nftw does not keep errno: ask again for the reason. */
        int fd = open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        int e = fd < 0 ? errno : EACCES;
        if (fd >= 0)
            close(fd);
        snprintf(why, sizeof why, "cannot read the directory: %s", strerror(e));
        emit_now(path, "directory", st, SCAN_ERROR, why);
        break;
    }
    case FTW_NS:
    default: {
        struct stat sb;
        int e = lstat(path, &sb) != 0 ? errno : EIO;
        snprintf(why, sizeof why, "cannot stat: %s", strerror(e));
        emit_now(path, "unknown", NULL, SCAN_ERROR, why);
        break;
    }
    }
    return stopping() ? FTW_STOP : FTW_CONTINUE;
}

/* Walks one PATH: a directory's tree, or a single file. A symbolic link
 * given as PATH is followed and reported under the path it resolves to. */
static void walk_root(const char *path) {
    struct stat sb;
    if (lstat(path, &sb) != 0) {
        if (!W.counting) {
            char why[600];
            snprintf(why, sizeof why, "cannot stat: %s", strerror(errno));
            emit_now(path, "unknown", NULL, SCAN_ERROR, why);
        }
        return;
    }
    char *real = NULL;
    if (S_ISLNK(sb.st_mode) && (real = realpath(path, NULL)) != NULL)
        path = real;
    if (nftw(path, walk_entry, 64, FTW_PHYS | FTW_ACTIONRETVAL) != 0 && !stopping() &&
        !W.counting) {
        char why[600];
        snprintf(why, sizeof why, "cannot walk: %s", strerror(errno));
        emit_now(path, "unknown", NULL, SCAN_ERROR, why);
    }
    free(real);
}

/* ---- Counting ahead, for the ETA ----------------------------------------- */

typedef struct {
    char **roots;
    int n;
} roots;

static void *counter_main(void *arg) {
    roots *r = arg;
    W.counting = 1;
    for (int i = 0; i < r->n && !interrupted && !FLAG_GET(S.finished); i++)
        walk_root(r->roots[i]);
    pthread_mutex_lock(&S.mu);
    if (!interrupted && !FLAG_GET(S.finished)) {
        S.total_files = W.files;
        S.total_bytes = W.bytes;
        S.counted = 1;
    }
    pthread_mutex_unlock(&S.mu);
    return NULL;
}

/* ---- Progress ------------------------------------------------------------- */

enum { PROGRESS_OFF, PROGRESS_TTY, PROGRESS_JSON };

static void human_bytes(double b, char *out, size_t cap) {
    const char *u[] = {"B", "KB", "MB", "GB", "TB", "PB"};
    int i = 0;
    while (b >= 1000 && i < 5)
        b /= 1000, i++;
    snprintf(out, cap, i ? "%.1f %s" : "%.0f %s", b, u[i]);
}

static void human_time(double s, char *out, size_t cap) {
    if (!isfinite(s) || s < 0)
        snprintf(out, cap, "?");
    else if (s < 60)
        snprintf(out, cap, "%.0fs", s);
    else if (s < 3600)
        snprintf(out, cap, "%dm%02ds", (int)s / 60, (int)s % 60);
    else
        snprintf(out, cap, "%dh%02dm", (int)(s / 3600), (int)s / 60 % 60);
}

typedef struct {
    int mode;
    double start;
} ticker_arg;

/* Prints one progress report; `final` for the last. Called with S.mu held. */
static void progress_print(int mode, double start, int final) {
    double el = now_s() - start;
    const tally *t = &S.t;
    double fps = el > 0 ? (double)t->files / el : 0, bps = el > 0 ? (double)t->bytes / el : 0;
    double eta = NAN;
    if (S.counted && !final) {
        double left_b = S.total_bytes > t->bytes ? (double)(S.total_bytes - t->bytes) : 0;
        double left_f = S.total_files > t->files ? (double)(S.total_files - t->files) : 0;
        eta = bps > 0 && S.total_bytes ? left_b / bps : fps > 0 ? left_f / fps : NAN;
    }
    if (mode == PROGRESS_JSON) {
        char tot[96] = "\"total_files\":null,\"total_bytes\":null";
        if (S.counted)
            snprintf(tot, sizeof tot, "\"total_files\":%llu,\"total_bytes\":%llu",
                     S.total_files, S.total_bytes);
        char etas[32] = "null";
        if (isfinite(eta))
            snprintf(etas, sizeof etas, "%.0f", eta);
        fprintf(stderr,
                "{\"elapsed\":%.1f,\"files\":%llu,\"bytes\":%llu,%s,\"resumed\":%llu,"
                "\"files_per_s\":%.1f,\"bytes_per_s\":%.0f,\"images\":%llu,\"videos\":%llu,"
                "\"texts\":%llu,\"others\":%llu,\"skipped\":%llu,\"errors\":%llu,"
                "\"matches\":%llu,\"files_matched\":%llu,\"eta_s\":%s,\"done\":%s}\n",
                el, t->files, t->bytes, tot, S.resumed, fps, bps, t->images, t->videos,
                t->texts, t->others, t->skipped, t->errors, t->matches, t->files_matched, etas,
                final ? "true" : "false");
        fflush(stderr);
        return;
    }
    char b[32], r[32], e[32], tb[32] = "";
    human_bytes((double)t->bytes, b, sizeof b);
    human_bytes(bps, r, sizeof r);
    human_time(eta, e, sizeof e);
    if (S.counted)
        human_bytes((double)S.total_bytes, tb, sizeof tb);
    char line[512];
    if (final)
        snprintf(line, sizeof line,
                 "tamis scan: %llu files (%s hashed) in %.1fs, %.1f files/s, %s/s; %llu "
                 "images, %llu videos, %llu texts, %llu others; %llu skipped, %llu errors; "
                 "%llu matches in %llu files",
                 t->files, b, el, fps, r, t->images, t->videos, t->texts, t->others,
                 t->skipped, t->errors, t->matches, t->files_matched);
    else if (S.counted)
        snprintf(line, sizeof line,
                 "%llu/%llu files, %s/%s, %.1f files/s, %s/s, %llu matches, %llu errors, "
                 "ETA %s",
                 t->files, S.total_files, b, tb, fps, r, t->matches, t->errors, e);
    else
        snprintf(line, sizeof line,
                 "%llu files, %s, %.1f files/s, %s/s, %llu matches, %llu errors (counting...)",
                 t->files, b, fps, r, t->matches, t->errors);
    if (mode == PROGRESS_TTY && !final)
        fprintf(stderr, "\r\033[K%s", line);
    else if (mode == PROGRESS_TTY)
        fprintf(stderr, "\r\033[K%s\n", line);
    else
        fprintf(stderr, "%s\n", line);
    if (final && S.prior.lines)
        fprintf(stderr,
                "tamis scan: and %llu lines already in the report (--resume): %llu skipped, "
                "%llu errors, %llu matches in %llu files\n",
                S.prior.lines, S.prior.skipped, S.prior.errors, S.prior.matches,
                S.prior.files_matched);
    fflush(stderr);
}

static void *ticker_main(void *arg) {
    ticker_arg *a = arg;
    double period = a->mode == PROGRESS_JSON ? 1.0 : 0.5;
    pthread_mutex_lock(&S.mu);
    while (!FLAG_GET(S.finished)) {
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        /* Wake often enough to notice Ctrl-C quickly. */
        long step = 100 * 1000000L;
        ts.tv_nsec += step;
        if (ts.tv_nsec >= 1000000000L)
            ts.tv_sec++, ts.tv_nsec -= 1000000000L;
        pthread_cond_timedwait(&S.cv_tick, &S.mu, &ts);
        if (interrupted && !FLAG_GET(S.stop)) {
            FLAG_SET(S.stop);
            pthread_cond_broadcast(&S.cv_work);
            pthread_cond_broadcast(&S.cv_space);
            pthread_cond_broadcast(&S.cv_out);
        }
        static double last;
        double t = now_s();
        if (a->mode != PROGRESS_OFF && !FLAG_GET(S.finished) && t - last >= period) {
            last = t;
            progress_print(a->mode, a->start, 0);
        }
    }
    pthread_mutex_unlock(&S.mu);
    return NULL;
}

/* ---- Options and setup ------------------------------------------------------ */

static void scan_usage(FILE *f) {
    fprintf(f,
            "usage: tamis scan [options] PATH... | -\n"
            "\n"
            "Walks each PATH (a directory or a file; '-' reads paths from stdin, one a\n"
            "line), hashes every regular file - images (PDQ), videos (vPDQ), texts with\n"
            "--text, and the MD5 and SHA-256 of every file - matches them against the\n"
            "banks, and writes one line per file to the report (JSON Lines; stdout\n"
            "without --report). Symbolic links are reported, not followed; FIFOs,\n"
            "sockets and devices are reported, never opened. doc/scan.md has the details.\n"
            "\n"
            "banks:\n"
            "  --bank FILE        a hash list (or a 'tamis index' file) of PDQ hashes; the\n"
            "                     bank is named after the file, without its extension;\n"
            "                     may be repeated\n"
            "  --db URL           every bank of the database (pdq, md5, sha256, vpdq,\n"
            "                     text signals), as 'tamis serve' matches them\n"
            "  --radius R         PDQ match distance (default 31 for --bank files, each\n"
            "                     bank's threshold for --db)\n"
            "report:\n"
            "  --report FILE      JSON Lines, one object per file\n"
            "  --report-csv FILE  the same as CSV (with a header line)\n"
            "  --resume           continue an interrupted scan: files already in the\n"
            "                     report are not read again\n"
            "  --overwrite        start the report again even if it is not empty\n"
            "what to hash:\n"
            "  --text             also hash UTF-8 text files (text_exact, text_near, TLSH)\n"
            "  --max-size N       skip files over N bytes (K, M, G suffixes; default 1G)\n"
            "  --max-pixels N     refuse images and video frames of more pixels\n"
            "                     (default 100000000)\n"
            "  --fps F            vPDQ: hash F frames a second (default 1, as HMA)\n"
            "  --one-file-system  do not enter directories on other file systems\n"
            "running:\n"
            "  -j, --jobs N       hash N files at a time (default: all cores)\n"
            "  --no-progress      no progress line (the default when stderr is not a\n"
            "                     terminal)\n"
            "  --progress=json    a JSON object of counts on stderr every second\n"
            "  --no-count         do not count the files ahead (no ETA)\n"
            "\n"
            "Exit status: 0 no match and no file in error, 1 at least one match, 2 usage\n"
            "error, 3 no match but some files could not be hashed, 4 the scan could not\n"
            "run or stopped (a bank, the database or the report failed), 130 interrupted\n"
            "(the report is valid: run again with --resume).\n");
}

static int parse_size(const char *s, unsigned long long *out) {
    char *end;
    errno = 0;
    if (!s || !*s || *s == '-')
        return -1;
    unsigned long long v = strtoull(s, &end, 10);
    if (errno || end == s)
        return -1;
    unsigned long long mul = 1;
    if (*end) {
        switch (*end) {
        case 'k': case 'K': mul = 1ull << 10; break;
        case 'm': case 'M': mul = 1ull << 20; break;
        case 'g': case 'G': mul = 1ull << 30; break;
        case 't': case 'T': mul = 1ull << 40; break;
        default: return -1;
        }
        if (end[1] && strcmp(end + 1, "iB") != 0 && strcmp(end + 1, "B") != 0)
            return -1;
    }
    if (v == 0 || v > ~0ull / mul)
        return -1;
    *out = v * mul;
    return 0;
}

/* The bank name of a --bank file: its name without directory and
 * extension. */
static char *bank_name(const char *path) {
    const char *b = strrchr(path, '/');
    b = b ? b + 1 : path;
    const char *dot = strrchr(b, '.');
    size_t n = dot && dot != b ? (size_t)(dot - b) : strlen(b);
    return strndup(b, n);
}

/* Opens a report for writing: appended to when resuming (after
 * scan_resume_load cut it), else created; a report that is not empty
 * is only started again with --overwrite. */
static int open_report(const char *path, int resume, int overwrite, int csv) {
    struct stat sb;
    if (!resume && !overwrite && stat(path, &sb) == 0 && S_ISREG(sb.st_mode) && sb.st_size > 0) {
        fprintf(stderr,
                "tamis scan: %s is not empty: --resume continues that scan, --overwrite "
                "starts again\n",
                path);
        return -2;
    }
    int fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC | (resume ? 0 : O_TRUNC),
                  0644);
    if (fd < 0) {
        fprintf(stderr, "tamis scan: cannot open %s: %s\n", path, strerror(errno));
        return -1;
    }
    if (csv && lseek(fd, 0, SEEK_END) == 0) {
        size_t n = strlen(scan_csv_header);
        if (write(fd, scan_csv_header, n) != (ssize_t)n) {
            fprintf(stderr, "tamis scan: cannot write %s: %s\n", path, strerror(errno));
            close(fd);
            return -1;
        }
    }
    return fd;
}

/* Removes roots inside another root (or given twice), so that no file is
 * reported twice; says so on stderr. */
static int drop_nested_roots(char **v, int n) {
    char **real = calloc((size_t)n, sizeof *real);
    if (!real)
        return n;
    for (int i = 0; i < n; i++)
        real[i] = realpath(v[i], NULL);
    int k = 0;
    for (int i = 0; i < n; i++) {
        int inside = -1;
        for (int j = 0; j < n && inside < 0 && real[i]; j++) {
            if (j == i || !real[j])
                continue;
            size_t lj = strlen(real[j]);
            int same = strcmp(real[i], real[j]) == 0;
            int under = strncmp(real[i], real[j], lj) == 0 &&
                        (real[i][lj] == '/' || (lj == 1 && real[j][0] == '/'));
            if ((same && j < i) || (!same && under))
                inside = j;
        }
        if (inside >= 0)
            fprintf(stderr, "tamis scan: %s is %s %s: scanned once\n", v[i],
                    strcmp(real[i], real[inside]) == 0 ? "the same as" : "inside", v[inside]);
        else
            v[k++] = v[i];
    }
    for (int i = 0; i < n; i++)
        free(real[i]);
    free(real);
    return k;
}

int cmd_scan(int argc, char **argv) {
    enum { OPT_BANK = 256, OPT_DB, OPT_RADIUS, OPT_REPORT, OPT_CSV, OPT_RESUME, OPT_OVERWRITE,
           OPT_TEXT, OPT_MAXSIZE, OPT_MAXPIX, OPT_FPS, OPT_ONEFS, OPT_NOPROG, OPT_PROG,
           OPT_NOCOUNT };
    static const struct option lo[] = {{"bank", required_argument, NULL, OPT_BANK},
                                       {"db", required_argument, NULL, OPT_DB},
                                       {"radius", required_argument, NULL, OPT_RADIUS},
                                       {"report", required_argument, NULL, OPT_REPORT},
                                       {"report-csv", required_argument, NULL, OPT_CSV},
                                       {"resume", no_argument, NULL, OPT_RESUME},
                                       {"overwrite", no_argument, NULL, OPT_OVERWRITE},
                                       {"text", no_argument, NULL, OPT_TEXT},
                                       {"max-size", required_argument, NULL, OPT_MAXSIZE},
                                       {"max-pixels", required_argument, NULL, OPT_MAXPIX},
                                       {"fps", required_argument, NULL, OPT_FPS},
                                       {"one-file-system", no_argument, NULL, OPT_ONEFS},
                                       {"no-progress", no_argument, NULL, OPT_NOPROG},
                                       {"progress", required_argument, NULL, OPT_PROG},
                                       {"no-count", no_argument, NULL, OPT_NOCOUNT},
                                       {"jobs", required_argument, NULL, 'j'},
                                       {"help", no_argument, NULL, 'h'},
                                       {NULL, 0, NULL, 0}};
    const char *banks[64], *db = NULL, *report = NULL, *report_csv = NULL;
    int nbanks = 0, resume = 0, overwrite = 0, progress = -1, count = 1, c;
    unsigned long long jobs = (unsigned long long)cpu_count(), v;
    scan_config *cf = &S.cfg;
    memset(cf, 0, sizeof *cf);
    cf->radius = -1;
    cf->max_size = 1ull << 30;
    cf->max_text = TAMIS_TEXT_DEFAULT_MAX_BYTES;
    cf->vo.seconds_per_hash = 1.0;
    optind = 1;
    while ((c = getopt_long(argc, argv, "j:h", lo, NULL)) != -1) {
        switch (c) {
        case OPT_BANK:
            if (nbanks == 64) {
                fprintf(stderr, "tamis scan: at most 64 --bank files\n");
                return EXIT_USAGE;
            }
            banks[nbanks++] = optarg;
            break;
        case OPT_DB: db = optarg; break;
        case OPT_RADIUS: {
            char *end;
            long r = strtol(optarg, &end, 10);
            if (*end || end == optarg || r < 0 || r > 256) {
                fprintf(stderr, "tamis scan: --radius needs 0..256, not '%s'\n", optarg);
                return EXIT_USAGE;
            }
            cf->radius = (int)r;
            break;
        }
        case OPT_REPORT: report = optarg; break;
        case OPT_CSV: report_csv = optarg; break;
        case OPT_RESUME: resume = 1; break;
        case OPT_OVERWRITE: overwrite = 1; break;
        case OPT_TEXT: cf->text = 1; break;
        case OPT_MAXSIZE:
            if (parse_size(optarg, &cf->max_size)) {
                fprintf(stderr, "tamis scan: --max-size needs a size such as 500M, not '%s'\n",
                        optarg);
                return EXIT_USAGE;
            }
            break;
        case OPT_MAXPIX:
            if (parse_count(optarg, &v)) {
                fprintf(stderr, "tamis scan: --max-pixels needs a positive number, not '%s'\n",
                        optarg);
                return EXIT_USAGE;
            }
            cf->ho.max_pixels = cf->vo.max_pixels = v;
            break;
        case OPT_FPS:
            if (parse_fps(optarg, &cf->vo.seconds_per_hash)) {
                fprintf(stderr, "tamis scan: --fps needs a positive number, not '%s'\n", optarg);
                return EXIT_USAGE;
            }
            break;
        case OPT_ONEFS: S.one_fs = 1; break;
        case OPT_NOPROG: progress = PROGRESS_OFF; break;
        case OPT_PROG:
            if (strcmp(optarg, "json") == 0)
                progress = PROGRESS_JSON;
            else if (strcmp(optarg, "tty") == 0)
                progress = PROGRESS_TTY;
            else if (strcmp(optarg, "none") == 0)
                progress = PROGRESS_OFF;
            else {
                fprintf(stderr, "tamis scan: --progress is json, tty or none, not '%s'\n",
                        optarg);
                return EXIT_USAGE;
            }
            break;
        case OPT_NOCOUNT: count = 0; break;
        case 'j':
            if (parse_count(optarg, &v) || v > 1024) {
                fprintf(stderr, "tamis scan: -j needs a number from 1 to 1024, not '%s'\n",
                        optarg);
                return EXIT_USAGE;
            }
            jobs = v;
            break;
        case 'h': scan_usage(stdout); return EXIT_OK;
        default: scan_usage(stderr); return EXIT_USAGE;
        }
    }
    if (optind >= argc) {
        fprintf(stderr, "tamis scan: no PATH given (use '-' to read paths from stdin)\n");
        scan_usage(stderr);
        return EXIT_USAGE;
    }
    if (resume && !report && !report_csv) {
        fprintf(stderr, "tamis scan: --resume needs the --report (or --report-csv) to resume\n");
        return EXIT_USAGE;
    }
    if (resume && overwrite) {
        fprintf(stderr, "tamis scan: --resume and --overwrite contradict each other\n");
        return EXIT_USAGE;
    }
    int from_stdin = argc - optind == 1 && strcmp(argv[optind], "-") == 0;
    if (progress < 0)
        progress = isatty(2) ? PROGRESS_TTY : PROGRESS_OFF;
    const char *delay = getenv("TAMIS_SCAN_TEST_DELAY_MS"); /* for the tests only */
    if (delay && *delay)
        cf->delay_ms = (unsigned)strtoul(delay, NULL, 10);
    /* A video hashes its frames on several threads: share the cores. */
    cf->vo.threads = cpu_count() / (int)jobs > 1 ? cpu_count() / (int)jobs : 1;

    int rc = EXIT_STOPPED;
    /* The banks. */
    scan_bank *bk = calloc((size_t)nbanks + 1, sizeof *bk);
    if (!bk) {
        fprintf(stderr, "tamis scan: out of memory\n");
        return EXIT_STOPPED;
    }
    cf->banks = bk;
    for (int i = 0; i < nbanks; i++) {
        if (!(bk[i].name = bank_name(banks[i])) ||
            bank_open(banks[i], 0, &bk[i].ix, &bk[i].ids) != 0)
            goto out_banks;
        cf->nbanks++;
    }
    if (db) {
        char err[512];
        if (tamis_matcher_create(db, &cf->matcher, err, sizeof err) != TAMIS_OK) {
            fprintf(stderr, "tamis scan: %s: %s\n", db, err);
            goto out_banks;
        }
    }
    /* The report: cut after its last complete line when resuming. */
    pathset_init(&S.done);
    if (resume) {
        char err[600];
        if (scan_resume_load(report, report_csv, &S.done, &S.prior, err, sizeof err) != 0) {
            fprintf(stderr, "tamis scan: %s\n", err);
            goto out_banks;
        }
        S.resuming = S.done.n > 0;
    }
    want_json_ = report != NULL || report_csv == NULL;
    want_csv_ = report_csv != NULL;
    sinks[0] = (sink){-1, report ? report : "stdout", 0, NULL, 0, 0};
    sinks[1] = (sink){-1, report_csv, 0, NULL, 0, 0};
    if (want_json_) {
        sinks[0].fd = report ? open_report(report, resume, overwrite, 0) : 1;
        sinks[0].sync = report != NULL;
    }
    if (want_csv_) {
        sinks[1].fd = open_report(report_csv, resume, overwrite, 1);
        sinks[1].sync = 1;
    }
    if ((want_json_ && sinks[0].fd < 0) || (want_csv_ && sinks[1].fd < 0)) {
        rc = sinks[0].fd == -2 || sinks[1].fd == -2 ? EXIT_USAGE : EXIT_STOPPED;
        goto out_sinks;
    }
    for (int i = 0; i < 2; i++) {
        struct stat rs;
        if (sinks[i].fd > 2 && fstat(sinks[i].fd, &rs) == 0)
            S.report_dev[i] = rs.st_dev, S.report_ino[i] = rs.st_ino;
        sinks[i].cap = 1 << 16;
        if (!(sinks[i].buf = malloc(sinks[i].cap))) {
            fprintf(stderr, "tamis scan: out of memory\n");
            goto out_sinks;
        }
    }

    int nroots = argc - optind;
    char **rootv = argv + optind;
    if (!from_stdin)
        nroots = drop_nested_roots(rootv, nroots);

    /* Queues, budget, threads. */
    S.work_cap = (size_t)jobs * 4 + 16;
    S.out_cap = (size_t)jobs * 4 + 64;
    S.work = calloc(S.work_cap, sizeof *S.work);
    S.out = calloc(S.out_cap, sizeof *S.out);
    unsigned long long budget = 64ull << 20;
    budget *= jobs;
    if (budget < cf->max_size)
        budget = cf->max_size;
    S.budget_total = S.budget_free = (size_t)budget;
    pthread_t *th = calloc((size_t)jobs, sizeof *th);
    if (!S.work || !S.out || !th) {
        fprintf(stderr, "tamis scan: out of memory\n");
        free(th);
        goto out_sinks;
    }
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sa.sa_flags = SA_RESETHAND;
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    signal(SIGPIPE, SIG_IGN); /* a closed stdout is a write error, reported */

    double start = now_s();
    pthread_t writer, ticker, counter;
    ticker_arg ta = {progress, start};
    roots rs = {rootv, nroots};
    int have_counter = 0;
    S.workers_left = 0;
    for (unsigned long long i = 0; i < jobs; i++) {
        if (pthread_create(&th[i], NULL, worker_main, NULL) != 0)
            break;
        pthread_mutex_lock(&S.mu);
        S.workers_left++;
        pthread_mutex_unlock(&S.mu);
    }
    int nworkers = S.workers_left;
    if (nworkers == 0 || pthread_create(&writer, NULL, writer_main, NULL) != 0) {
        fprintf(stderr, "tamis scan: cannot start threads\n");
        exit(EXIT_STOPPED);
    }
    pthread_create(&ticker, NULL, ticker_main, &ta);
    if (count && !from_stdin && progress != PROGRESS_OFF)
        have_counter = pthread_create(&counter, NULL, counter_main, &rs) == 0;

    /* Walk. */
    if (from_stdin) {
        char *line = NULL;
        size_t cap = 0;
        ssize_t n;
        while (!stopping() && (n = getline(&line, &cap, stdin)) >= 0) {
            while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r'))
                line[--n] = '\0';
            if (n > 0)
                walk_root(line);
        }
        free(line);
    } else {
        for (int i = 0; i < nroots && !stopping(); i++)
            walk_root(rootv[i]);
    }
    pthread_mutex_lock(&S.mu);
    S.walk_done = 1;
    pthread_cond_broadcast(&S.cv_work);
    pthread_cond_broadcast(&S.cv_out);
    pthread_mutex_unlock(&S.mu);
    for (int i = 0; i < nworkers; i++)
        pthread_join(th[i], NULL);
    free(th);
    pthread_join(writer, NULL);
    pthread_join(ticker, NULL);
    if (have_counter)
        pthread_join(counter, NULL);

    pthread_mutex_lock(&S.mu);
    progress_print(progress, start, 1);
    if (S.fatal)
        rc = EXIT_STOPPED;
    else if (interrupted) {
        fprintf(stderr, "tamis scan: interrupted; run again with --resume to go on\n");
        rc = 128 + interrupted;
    } else if (S.t.files_matched + S.prior.files_matched)
        rc = EXIT_MATCHES; /* the whole report's, with the lines resumed from */
    else if (S.t.errors + S.prior.errors)
        rc = EXIT_FILE_ERRORS;
    else
        rc = EXIT_OK;
    pthread_mutex_unlock(&S.mu);
    free(S.work);
    free(S.out);

out_sinks:
    for (int i = 0; i < 2; i++) {
        if (sinks[i].fd > 2)
            close(sinks[i].fd);
        free(sinks[i].buf);
    }
    pathset_free(&S.done);
out_banks:
    for (size_t i = 0; i < (size_t)nbanks; i++) {
        free(bk[i].name);
        tamis_index_free(bk[i].ix);
        hashlist_free(&bk[i].ids);
    }
    free(bk);
    tamis_matcher_free(cf->matcher);
    return rc;
}
