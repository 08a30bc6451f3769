/*
 * main.c - runs the registered tests, each in a forked child with a
 * timeout, and ends with the summary line "N passed, N failed, N skipped".
 * Arguments filter tests by substring of "file:name".
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "tamis.h"
#include "test.h"

#ifdef __SANITIZE_ADDRESS__
#include <sanitizer/lsan_interface.h>
#endif

#define MAX_TESTS 1024
#define TIMEOUT_SECONDS 120
#define EXIT_SKIP 77

static struct {
    const char *file, *name;
    test_fn fn;
} tests[MAX_TESTS];
static int ntests;

void test_register(const char *file, const char *name, test_fn fn) {
    if (ntests < MAX_TESTS) {
        tests[ntests].file = file;
        tests[ntests].name = name;
        tests[ntests].fn = fn;
        ntests++;
    }
}

void test_fail(const char *file, int line, const char *f, ...) {
    va_list ap;
    fprintf(stderr, "    %s:%d: ", file, line);
    va_start(ap, f);
    vfprintf(stderr, f, ap);
    va_end(ap);
    fputc('\n', stderr);
    fflush(stderr);
    _exit(1);
}

void test_skip(const char *f, ...) {
    va_list ap;
    fprintf(stderr, "    skipped: ");
    va_start(ap, f);
    vfprintf(stderr, f, ap);
    va_end(ap);
    fputc('\n', stderr);
    fflush(stderr);
    _exit(EXIT_SKIP);
}

const char *fmt(const char *f, ...) {
    static char bufs[8][4096];
    static int i;
    char *b = bufs[i++ % 8];
    va_list ap;
    va_start(ap, f);
    vsnprintf(b, sizeof bufs[0], f, ap);
    va_end(ap);
    return b;
}

static char root[4096];

const char *repo_dir(void) { return root; }

const char *build_dir(void) {
    const char *b = getenv("TAMIS_BUILD");
    return fmt("%s/%s", root, b && *b ? b : "build");
}

const char *shared_dir(void) {
    const char *e = getenv("TAMIS_TESTDATA");
    struct stat sb;
    if (e && *e)
        return stat(e, &sb) == 0 ? e : NULL;
    const char *p = fmt("%s/../shared", root);
    return stat(fmt("%s/vectors", p), &sb) == 0 ? p : NULL;
}

const char *shared_dir_or_skip(void) {
    const char *s = shared_dir();
    if (!s)
        test_skip("needs ../shared or TAMIS_TESTDATA (reference data not present)");
    return s;
}

unsigned char *read_file(const char *path, size_t *len) {
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    size_t cap = 1 << 16, n = 0;
    unsigned char *b = malloc(cap);
    size_t k;
    while (b && (k = fread(b + n, 1, cap - n, f)) > 0) {
        n += k;
        if (n == cap) {
            unsigned char *nb = realloc(b, cap *= 2);
            if (!nb) {
                free(b);
                b = NULL;
            }
            b = nb;
        }
    }
    fclose(f);
    if (len)
        *len = n;
    return b;
}

static char *slurp_fd(int fd) {
    size_t cap = 4096, n = 0;
    char *b = malloc(cap);
    ssize_t k;
    while ((k = read(fd, b + n, cap - n - 1)) > 0) {
        n += (size_t)k;
        if (n + 1 == cap)
            b = realloc(b, cap *= 2);
    }
    b[n] = '\0';
    return b;
}

int run_cmd(const char *cmd, char **out, char **err) {
    const char *d = tmp_dir();
    const char *o = fmt("%s/.out", d), *e = fmt("%s/.err", d);
    int st = system(fmt("(%s) >'%s' 2>'%s'", cmd, o, e));
    int fo = open(o, O_RDONLY), fe = open(e, O_RDONLY);
    char *so = fo >= 0 ? slurp_fd(fo) : NULL, *se = fe >= 0 ? slurp_fd(fe) : NULL;
    if (fo >= 0)
        close(fo);
    if (fe >= 0)
        close(fe);
    /* A sanitizer build's report fails the test, whatever status the
     * test expected (tests/run.sh also makes it exit 86). */
    if (se && (strstr(se, "ERROR: AddressSanitizer") || strstr(se, "ERROR: LeakSanitizer") ||
               strstr(se, "runtime error: ")))
        test_fail(__FILE__, __LINE__, "sanitizer report from: %s\n%s", cmd, se);
    if (out)
        *out = so;
    else
        free(so);
    if (err)
        *err = se;
    else
        free(se);
    if (st == -1 || !WIFEXITED(st))
        return -1;
    return WEXITSTATUS(st);
}

static char tmpdir[256];
const char *tmp_dir(void) {
    if (!tmpdir[0]) {
        snprintf(tmpdir, sizeof tmpdir, "/tmp/tamis-test-XXXXXX");
        if (!mkdtemp(tmpdir))
            test_fail(__FILE__, __LINE__, "mkdtemp: %s", strerror(errno));
    }
    return tmpdir;
}

static void find_root(const char *argv0) {
    /* The runner lives in <root>/<build>/tests/run. */
    char path[4096];
    if (!realpath(argv0, path))
        snprintf(path, sizeof path, "%s", argv0);
    for (int up = 0; up < 3; up++) {
        char *s = strrchr(path, '/');
        if (s)
            *s = '\0';
    }
    snprintf(root, sizeof root, "%s", path);
}

int main(int argc, char **argv) {
    find_root(argv[0]);
    int passed = 0, failed = 0, skipped = 0;
    setvbuf(stdout, NULL, _IONBF, 0);
    for (int i = 0; i < ntests; i++) {
        const char *file = strrchr(tests[i].file, '/');
        file = file ? file + 1 : tests[i].file;
        char id[512];
        snprintf(id, sizeof id, "%s:%s", file, tests[i].name);
        int selected = argc < 2;
        for (int a = 1; a < argc; a++)
            if (strstr(id, argv[a]))
                selected = 1;
        if (!selected)
            continue;
        fflush(stderr);
        pid_t pid = fork();
        if (pid == 0) {
            alarm(TIMEOUT_SECONDS);
            tests[i].fn();
#ifdef __SANITIZE_ADDRESS__
            /* Children end with _exit, which skips LeakSanitizer's check
             * at exit: run it here, so a leak fails the test. */
            if (__lsan_do_recoverable_leak_check())
                _exit(1);
#endif
            if (tmpdir[0])
                system(fmt("rm -rf '%s'", tmpdir));
            _exit(0);
        }
        int st = 0;
        waitpid(pid, &st, 0);
        if (WIFEXITED(st) && WEXITSTATUS(st) == 0) {
            passed++;
            printf("ok      %s\n", id);
        } else if (WIFEXITED(st) && WEXITSTATUS(st) == EXIT_SKIP) {
            skipped++;
            printf("skip    %s\n", id);
        } else {
            failed++;
            if (WIFSIGNALED(st))
                printf("FAILED  %s (signal %d%s)\n", id, WTERMSIG(st),
                       WTERMSIG(st) == SIGALRM ? ": timeout" : "");
            else
                printf("FAILED  %s\n", id);
        }
    }
    printf("%d passed, %d failed, %d skipped\n", passed, failed, skipped);
    return failed ? 1 : 0;
}
