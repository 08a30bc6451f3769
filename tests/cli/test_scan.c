/*
 * test_scan.c - cli/scan*.c: `tamis scan` run as a program on trees built
 * in the test: nested folders, duplicate images, a corrupt JPEG, a
 * decompression bomb, a symbolic-link loop, a FIFO, an empty file, text,
 * a video, odd file names. The JSON Lines and CSV reports are checked
 * field by field; expected hashes come from samples/REFERENCE-PDQ.csv and
 * expected digests from OpenSSL. A scan killed with SIGKILL then resumed
 * must give the same lines as one uninterrupted scan.
 */
#define OPENSSL_SUPPRESS_DEPRECATED /* MD5() is deprecated in OpenSSL 3 */
#include <jansson.h>
#include <openssl/md5.h>
#include <openssl/sha.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../media/gen.h"
#include "../test.h"
#include "../video/gen_video.h"
#include "tamis.h"

/* fmt() rotates through a few static buffers and run_cmd() uses them too,
 * so strings kept across calls are copied; the copies stay reachable until
 * the test's process ends. */
static const char *keep(const char *s) {
    static char *kept[256];
    static int nkept;
    if (nkept == 256)
        FAIL("keep(): too many kept strings");
    return kept[nkept++] = strdup(s);
}

static int tamis(const char *args, char **out, char **err) {
    return run_cmd(fmt("'%s/tamis' %s", build_dir(), args), out, err);
}

static void sh(const char *cmd) {
    char *out, *err;
    int st = run_cmd(cmd, &out, &err);
    if (st != 0)
        FAIL("'%s' failed (%d): %s", cmd, st, err);
    free(out);
    free(err);
}

static void write_bytes(const char *path, const void *data, size_t len) {
    FILE *f = fopen(path, "wb");
    if (!f || fwrite(data, 1, len, f) != len || fclose(f) != 0)
        FAIL("cannot write %s", path);
}

/* The reference PDQ hash of a sample. */
static const char *reference_pdq(const char *name) {
    FILE *f = fopen(fmt("%s/samples/REFERENCE-PDQ.csv", repo_dir()), "r");
    ASSERT(f != NULL);
    char line[512], pdq[65], file[128];
    int q;
    while (fgets(line, sizeof line, f))
        if (sscanf(line, "%64[0-9a-f],%d,%127[^,]", pdq, &q, file) == 3 &&
            strcmp(file, name) == 0) {
            fclose(f);
            return keep(pdq);
        }
    fclose(f);
    FAIL("%s is not in REFERENCE-PDQ.csv", name);
}

static void digests_of(const char *path, char md5[33], char sha[65]) {
    size_t len;
    unsigned char *d = read_file(path, &len), m[16], s[32];
    ASSERT(d != NULL);
    MD5(d, len, m);
    SHA256(d, len, s);
    tamis_hex_encode(m, 16, md5);
    tamis_hex_encode(s, 32, sha);
    free(d);
}

/* The tree every test scans:
 *   tree/a/palapeli-data-002.jpg   the bank's image
 *   tree/a/b/c/copy.jpg           a duplicate of it, three levels down
 *   tree/a/b/python3-skimage-002.png
 *   tree/corrupt.jpg              a JPEG cut short
 *   tree/bomb.png                 declares 60000 x 60000 pixels
 *   tree/a/b/loop -> ..           a symbolic-link loop
 *   tree/fifo                     a FIFO (opening it would block)
 *   tree/empty                    0 bytes
 *   tree/notes.txt                UTF-8 text */
static const char *make_tree(void) {
    const char *t = keep(fmt("%s/tree", tmp_dir()));
    const char *s = keep(fmt("%s/samples", repo_dir()));
    sh(fmt("mkdir -p '%s/a/b/c'", t));
    sh(fmt("cp '%s/palapeli-data-002.jpg' '%s/a/'", s, t));
    sh(fmt("cp '%s/palapeli-data-002.jpg' '%s/a/b/c/copy.jpg'", s, t));
    sh(fmt("cp '%s/python3-skimage-002.png' '%s/a/b/'", s, t));
    sh(fmt("head -c 6000 '%s/palapeli-data-003.jpg' > '%s/corrupt.jpg'", s, t));
    size_t n;
    uint8_t *bomb = gen_png_header_only(60000, 60000, &n);
    write_bytes(fmt("%s/bomb.png", t), bomb, n);
    free(bomb);
    sh(fmt("ln -s .. '%s/a/b/loop'", t));
    sh(fmt("mkfifo '%s/fifo'", t));
    sh(fmt(": > '%s/empty'", t));
    const char *text = "Les sanglots longs des violons de l'automne blessent mon coeur "
                       "d'une langueur monotone.\n";
    write_bytes(fmt("%s/notes.txt", t), text, strlen(text));
    return t;
}

/* A hash list holding one sample's reference hash, id "item-7". */
static const char *make_bank(const char *name, const char *sample) {
    const char *p = keep(fmt("%s/%s", tmp_dir(), name));
    const char *line = fmt("# test bank\n%s item-7\n", reference_pdq(sample));
    write_bytes(p, line, strlen(line));
    return p;
}

/* Reads a JSON Lines report: one object per line, keyed by path. */
static json_t *read_report(const char *path, size_t *nlines) {
    size_t len;
    char *text = (char *)read_file(path, &len);
    if (!text)
        FAIL("cannot read %s", path);
    json_t *by_path = json_object();
    *nlines = 0;
    for (char *p = text, *e; p < text + len; p = e + 1) {
        e = memchr(p, '\n', (size_t)(text + len - p));
        if (!e)
            FAIL("%s: the last line has no newline", path);
        json_error_t je;
        json_t *j = json_loadb(p, (size_t)(e - p), 0, &je);
        if (!j)
            FAIL("%s: line %zu is not JSON: %s", path, *nlines + 1, je.text);
        const char *k = json_string_value(json_object_get(j, "path"));
        if (!k)
            FAIL("%s: line %zu has no path", path, *nlines + 1);
        if (json_object_get(by_path, k))
            FAIL("%s: %s appears twice", path, k);
        json_object_set_new(by_path, k, j);
        ++*nlines;
    }
    free(text);
    return by_path;
}

static json_t *line_of(json_t *rep, const char *path) {
    json_t *j = json_object_get(rep, path);
    if (!j)
        FAIL("no line for %s", path);
    return j;
}

static const char *str(json_t *j, const char *key) {
    const char *s = json_string_value(json_object_get(j, key));
    if (!s)
        FAIL("no string field \"%s\"", key);
    return s;
}

static long long num(json_t *j, const char *key) {
    json_t *v = json_object_get(j, key);
    if (!json_is_integer(v))
        FAIL("no integer field \"%s\"", key);
    return json_integer_value(v);
}

static void check_image(json_t *rep, const char *path, const char *sample) {
    json_t *j = line_of(rep, path);
    char md5[33], sha[65];
    digests_of(path, md5, sha);
    struct stat sb;
    ASSERT_EQ(stat(path, &sb), 0);
    ASSERT_STR_EQ(str(j, "kind"), "file");
    ASSERT_EQ(num(j, "size"), sb.st_size);
    ASSERT_STR_EQ(str(j, "status"), "ok");
    ASSERT_STR_EQ(str(j, "type"), "image");
    ASSERT_STR_EQ(str(j, "pdq"), reference_pdq(sample));
    ASSERT_EQ(num(j, "quality"), 100);
    ASSERT_STR_EQ(str(j, "md5"), md5);
    ASSERT_STR_EQ(str(j, "sha256"), sha);
    ASSERT(json_object_get(j, "error") == NULL);
}

static void check_match(json_t *rep, const char *path, const char *bank) {
    json_t *m = json_object_get(line_of(rep, path), "matches");
    if (json_array_size(m) != 1)
        FAIL("%s: %zu matches, expected 1", path, json_array_size(m));
    json_t *x = json_array_get(m, 0);
    ASSERT_STR_EQ(str(x, "bank"), bank);
    ASSERT_STR_EQ(str(x, "id"), "item-7");
    ASSERT_STR_EQ(str(x, "signal"), "pdq");
    ASSERT_EQ(num(x, "distance"), 0);
}

static void check_status(json_t *rep, const char *path, const char *kind, const char *status,
                         const char *why_part) {
    json_t *j = line_of(rep, path);
    ASSERT_STR_EQ(str(j, "kind"), kind);
    ASSERT_STR_EQ(str(j, "status"), status);
    const char *why = str(j, strcmp(status, "error") == 0 ? "error" : "skipped");
    if (!strstr(why, why_part))
        FAIL("%s: reason \"%s\" lacks \"%s\"", path, why, why_part);
    ASSERT_EQ(json_array_size(json_object_get(j, "matches")), 0);
    ASSERT(json_object_get(j, "pdq") == NULL);
}

/* ---- The report ---------------------------------------------------------- */

TEST(scan_tree_jsonl_report_field_by_field) {
    const char *t = make_tree();
    const char *bank = make_bank("known-photos.txt", "palapeli-data-002.jpg");
    const char *rp = keep(fmt("%s/report.jsonl", tmp_dir()));
    char *out, *err;
    int st = tamis(fmt("scan -j 2 --bank '%s' --report '%s' '%s'", bank, rp, t), &out, &err);
    /* matches found: 1 (as clamscan), whatever else failed */
    if (st != 1)
        FAIL("exit status %d, stderr: %s", st, err);
    ASSERT_STR_EQ(out, "");
    ASSERT(strstr(err, "2 matches in 2 files") != NULL);
    size_t n;
    json_t *rep = read_report(rp, &n);
    /* every entry but the directories, once */
    ASSERT_EQ(n, 9);
    check_image(rep, fmt("%s/a/palapeli-data-002.jpg", t), "palapeli-data-002.jpg");
    check_image(rep, fmt("%s/a/b/c/copy.jpg", t), "palapeli-data-002.jpg");
    check_image(rep, fmt("%s/a/b/python3-skimage-002.png", t), "python3-skimage-002.png");
    json_t *png = line_of(rep, fmt("%s/a/b/python3-skimage-002.png", t));
    ASSERT_STR_EQ(str(png, "format"), "png");
    ASSERT_EQ(num(png, "width"), 512);
    ASSERT_EQ(num(png, "height"), 512);
    ASSERT_EQ(json_array_size(json_object_get(png, "matches")), 0);
    /* the bank is named after its file, without the extension */
    check_match(rep, fmt("%s/a/palapeli-data-002.jpg", t), "known-photos");
    check_match(rep, fmt("%s/a/b/c/copy.jpg", t), "known-photos");
    check_status(rep, fmt("%s/corrupt.jpg", t), "file", "error", "JPEG");
    check_status(rep, fmt("%s/bomb.png", t), "file", "error", "over the limit");
    check_status(rep, fmt("%s/a/b/loop", t), "symlink", "skipped", "not followed");
    check_status(rep, fmt("%s/fifo", t), "fifo", "skipped", "never opened");
    check_status(rep, fmt("%s/empty", t), "file", "skipped", "empty");
    /* without --text a text file gets its digests only */
    json_t *txt = line_of(rep, fmt("%s/notes.txt", t));
    ASSERT_STR_EQ(str(txt, "type"), "other");
    char md5[33], sha[65];
    digests_of(fmt("%s/notes.txt", t), md5, sha);
    ASSERT_STR_EQ(str(txt, "md5"), md5);
    ASSERT(json_object_get(txt, "text_exact") == NULL);
    json_decref(rep);
    free(out);
    free(err);
}

/* Splits a CSV text into records and fields (RFC 4180 quoting). Returns
 * the number of records; fields[r][f] are malloc'd. */
static int parse_csv(const char *s, char *fields[][32], int maxrec, int *nf) {
    int r = 0, f = 0, inq = 0;
    char buf[8192];
    size_t k = 0;
    for (; *s && r < maxrec; s++) {
        if (inq) {
            if (*s == '"' && s[1] == '"')
                buf[k++] = *s++;
            else if (*s == '"')
                inq = 0;
            else
                buf[k++] = *s;
        } else if (*s == '"') {
            inq = 1;
        } else if (*s == ',' || *s == '\n') {
            buf[k] = '\0';
            if (f < 32)
                fields[r][f++] = strdup(buf);
            k = 0;
            if (*s == '\n')
                nf[r++] = f, f = 0;
        } else {
            buf[k++] = *s;
        }
        if (k >= sizeof buf - 1)
            FAIL("CSV field too long");
    }
    return r;
}

TEST(scan_csv_report_field_by_field_and_odd_names) {
    const char *t = make_tree();
    /* a name with a comma, a quote and a newline; one that is not UTF-8 */
    const char *odd = keep(fmt("%s/a/we\"ird, na\nme.jpg", t));
    size_t ilen;
    unsigned char *img = read_file(fmt("%s/samples/palapeli-data-004.jpg", repo_dir()), &ilen);
    ASSERT(img != NULL);
    write_bytes(odd, img, ilen);
    write_bytes(fmt("%s/a/caf\xe9.jpg", t), img, ilen);
    free(img);
    const char *bank = make_bank("bank.txt", "palapeli-data-002.jpg");
    const char *rj = keep(fmt("%s/r.jsonl", tmp_dir())), *rc = keep(fmt("%s/r.csv", tmp_dir()));
    char *out, *err;
    int st = tamis(fmt("scan --no-progress --bank '%s' --report '%s' --report-csv '%s' '%s'", bank,
                       rj, rc, t),
                   &out, &err);
    ASSERT_EQ(st, 1);
    size_t n;
    json_t *rep = read_report(rj, &n);
    ASSERT_EQ(n, 11);
    check_image(rep, odd, "palapeli-data-004.jpg");
    /* not UTF-8: the JSON string has \u00e9 for the byte, path_hex the bytes */
    json_t *cafe = NULL;
    const char *k;
    json_t *v;
    json_object_foreach(rep, k, v) if (json_object_get(v, "path_hex")) cafe = v;
    ASSERT(cafe != NULL);
    const char *hex = str(cafe, "path_hex");
    ASSERT(strstr(hex, "636166e92e6a7067") != NULL); /* "caf\xe9.jpg" */
    json_decref(rep);

    size_t len;
    char *csv = (char *)read_file(rc, &len);
    ASSERT(csv != NULL);
    static char *f[16][32];
    int nf[16];
    int nr = parse_csv(csv, f, 16, nf);
    ASSERT_EQ(nr, 12); /* header + 11 */
    const char *header[] = {"path", "kind", "size", "mtime", "status", "reason", "type",
                            "format", "width", "height", "quality", "pdq", "md5", "sha256",
                            "frames", "duration", "text_exact", "text_near", "text_tlsh",
                            "match_count", "matches"};
    ASSERT_EQ(nf[0], 21);
    for (int i = 0; i < 21; i++)
        ASSERT_STR_EQ(f[0][i], header[i]);
    int seen_odd = 0, seen_match = 0, seen_corrupt = 0;
    for (int r = 1; r < nr; r++) {
        if (nf[r] != 21)
            FAIL("CSV record %d has %d fields", r, nf[r]);
        if (strcmp(f[r][0], odd) == 0) {
            char md5[33], sha[65];
            digests_of(odd, md5, sha);
            ASSERT_STR_EQ(f[r][1], "file");
            ASSERT_STR_EQ(f[r][4], "ok");
            ASSERT_STR_EQ(f[r][6], "image");
            ASSERT_STR_EQ(f[r][7], "jpeg");
            ASSERT_STR_EQ(f[r][10], "100");
            ASSERT_STR_EQ(f[r][11], reference_pdq("palapeli-data-004.jpg"));
            ASSERT_STR_EQ(f[r][12], md5);
            ASSERT_STR_EQ(f[r][13], sha);
            ASSERT_STR_EQ(f[r][19], "0");
            seen_odd = 1;
        }
        if (strstr(f[r][0], "copy.jpg")) {
            ASSERT_STR_EQ(f[r][19], "1");
            ASSERT_STR_EQ(f[r][20],
                          "[{\"bank\":\"bank\",\"id\":\"item-7\",\"signal\":\"pdq\",\"distance\":0}]");
            seen_match = 1;
        }
        if (strstr(f[r][0], "corrupt.jpg")) {
            ASSERT_STR_EQ(f[r][4], "error");
            ASSERT(strstr(f[r][5], "JPEG") != NULL);
            seen_corrupt = 1;
        }
    }
    ASSERT(seen_odd && seen_match && seen_corrupt);
    free(csv);
    free(out);
    free(err);
}

/* ---- Resuming ------------------------------------------------------------- */

/* Sorted lines of a file, as one string. */
static char *sorted(const char *path) {
    char *out;
    ASSERT_EQ(run_cmd(fmt("LC_ALL=C sort '%s'", path), &out, NULL), 0);
    return out;
}

static int count_lines(const char *path) {
    size_t len;
    char *t = (char *)read_file(path, &len);
    int n = 0;
    for (size_t i = 0; t && i < len; i++)
        n += t[i] == '\n';
    free(t);
    return n;
}

TEST(scan_kill_9_then_resume_gives_the_same_report) {
    const char *t = make_tree();
    /* 8 more folders of images: 3 + 16 images, enough to kill in the middle */
    for (int i = 0; i < 8; i++)
        sh(fmt("mkdir -p '%s/more/%d' && cp '%s/samples/palapeli-data-003.jpg' "
               "'%s/samples/python3-skimage-002.png' '%s/more/%d/'",
               t, i, repo_dir(), repo_dir(), t, i));
    const char *bank = make_bank("bank.txt", "palapeli-data-002.jpg");
    const char *full = keep(fmt("%s/full.jsonl", tmp_dir()));
    const char *fullc = keep(fmt("%s/full.csv", tmp_dir()));
    const char *part = keep(fmt("%s/part.jsonl", tmp_dir()));
    const char *partc = keep(fmt("%s/part.csv", tmp_dir()));
    const char *args = keep(fmt("scan -j 2 --no-progress --bank '%s' '%s'", bank, t));
    char *out, *err;
    ASSERT_EQ(tamis(fmt("%s --report '%s' --report-csv '%s'", args, full, fullc), &out, &err), 1);
    free(out), free(err);
    int total = count_lines(full);
    ASSERT_EQ(total, 9 + 16);
    /* Each file takes 150 ms more: kill -9 once 5 lines are written. */
    const char *cmd = fmt("TAMIS_SCAN_TEST_DELAY_MS=150 '%s/tamis' %s --report '%s' "
                          "--report-csv '%s' & pid=$!; i=0; "
                          "while [ \"$(cat '%s' 2>/dev/null | wc -l)\" -lt 5 ] && [ $i -lt 400 ]; "
                          "do sleep 0.05; i=$((i+1)); done; kill -9 $pid; wait $pid; exit 0",
                          build_dir(), args, part, partc, part);
    ASSERT_EQ(run_cmd(cmd, &out, &err), 0);
    free(out), free(err);
    int done = count_lines(part);
    if (done < 5 || done >= total)
        FAIL("killed after %d of %d lines: not in the middle", done, total);
    /* A line torn by the crash: cut on resume. */
    FILE *f = fopen(part, "a");
    fputs("{\"path\":\"torn", f);
    fclose(f);
    /* Without --resume the report is not overwritten. */
    ASSERT_EQ(tamis(fmt("%s --report '%s'", args, part), &out, &err), 2);
    ASSERT(strstr(err, "--resume") != NULL);
    free(out), free(err);
    ASSERT_EQ(tamis(fmt("%s --report '%s' --report-csv '%s' --resume", args, part, partc), &out,
                    &err),
              1);
    if (!strstr(err, "already in the report"))
        FAIL("stderr: %s", err);
    free(out), free(err);
    char *a = sorted(full), *b = sorted(part);
    ASSERT_STR_EQ(b, a);
    free(a), free(b);
    a = sorted(fullc), b = sorted(partc);
    ASSERT_STR_EQ(b, a);
    free(a), free(b);
    /* Resuming a finished scan does nothing more. */
    ASSERT_EQ(tamis(fmt("%s --report '%s' --resume", args, part), &out, &err), 1);
    ASSERT(strstr(err, "tamis scan: 0 files") != NULL);
    ASSERT(strstr(err, "and 25 lines already in the report") != NULL);
    ASSERT_EQ(count_lines(part), total);
    free(out), free(err);
}

/* ---- Robustness ------------------------------------------------------------ */

TEST(scan_unreadable_file_and_directory_named_with_reason) {
    /* Permissions do not stop root: as root, the scan runs as nobody
     * (setpriv), or the test is skipped. */
    const char *as = "";
    if (geteuid() == 0) {
        if (run_cmd("setpriv --reuid=65534 --regid=65534 --clear-groups true", NULL, NULL) != 0)
            SKIP("running as root without setpriv: nothing is unreadable to root");
        as = "setpriv --reuid=65534 --regid=65534 --clear-groups ";
        sh(fmt("chmod 755 '%s'", tmp_dir()));
    }
    const char *t = keep(fmt("%s/perm", tmp_dir()));
    sh(fmt("mkdir -p '%s/closed' '%s/out' && chmod 777 '%s/out' && "
           "cp '%s/samples/palapeli-data-002.jpg' '%s/secret.jpg' && "
           "cp '%s/samples/palapeli-data-002.jpg' '%s/closed/inside.jpg' && "
           "chmod 000 '%s/secret.jpg' '%s/closed'",
           t, t, t, repo_dir(), t, repo_dir(), t, t, t));
    const char *rp = keep(fmt("%s/out/r.jsonl", t));
    char *out, *err;
    int st = run_cmd(fmt("%s'%s/tamis' scan --report '%s' '%s'", as, build_dir(), rp, t), &out,
                     &err);
    sh(fmt("chmod 755 '%s/closed'", t));
    if (st != 3) /* no match, some files in error */
        FAIL("exit %d: %s", st, err);
    size_t n;
    json_t *rep = read_report(rp, &n);
    ASSERT_EQ(n, 2);
    check_status(rep, fmt("%s/secret.jpg", t), "file", "error", "Permission denied");
    check_status(rep, fmt("%s/closed", t), "directory", "error", "Permission denied");
    json_decref(rep);
    free(out), free(err);
}

TEST(scan_file_changed_while_hashed_is_an_error) {
    const char *t = keep(fmt("%s/changing", tmp_dir()));
    sh(fmt("mkdir -p '%s' && cp '%s/samples/palapeli-data-002.jpg' '%s/x.jpg'", t, repo_dir(),
           t));
    const char *rp = keep(fmt("%s/r.jsonl", tmp_dir()));
    /* The scan holds the file 1.5 s after reading it; it is appended to
     * meanwhile. */
    char *out, *err;
    int st = run_cmd(fmt("TAMIS_SCAN_TEST_DELAY_MS=1500 '%s/tamis' scan --report '%s' '%s' & "
                         "pid=$!; sleep 0.5; echo more >> '%s/x.jpg'; wait $pid",
                         build_dir(), rp, t, t),
                     &out, &err);
    ASSERT_EQ(st, 3);
    size_t n;
    json_t *rep = read_report(rp, &n);
    check_status(rep, fmt("%s/x.jpg", t), "file", "error", "changed during the scan");
    json_decref(rep);
    free(out), free(err);
}

TEST(scan_max_size_skips_large_files) {
    const char *t = make_tree();
    const char *rp = keep(fmt("%s/r.jsonl", tmp_dir()));
    char *out, *err;
    ASSERT_EQ(tamis(fmt("scan --max-size 100K --report '%s' '%s'", rp, t), &out, &err), 3);
    size_t n;
    json_t *rep = read_report(rp, &n);
    check_status(rep, fmt("%s/a/palapeli-data-002.jpg", t), "file", "skipped", "--max-size");
    json_decref(rep);
    free(out), free(err);
}

/* ---- Signals: text, video, --db --------------------------------------------- */

TEST(scan_text_files_with_text_option) {
    const char *t = make_tree();
    char *out, *err;
    int st = tamis(fmt("scan --text '%s'", t), &out, &err);
    ASSERT_EQ(st, 3); /* the corrupt JPEG and the bomb */
    /* no --report: JSON Lines on stdout */
    const char *rp = keep(fmt("%s/stdout.jsonl", tmp_dir()));
    write_bytes(rp, out, strlen(out));
    size_t n;
    json_t *rep = read_report(rp, &n);
    json_t *txt = line_of(rep, fmt("%s/notes.txt", t));
    ASSERT_STR_EQ(str(txt, "type"), "text");
    /* the same signals as `tamis hash --text` */
    char *hout, *herr;
    ASSERT_EQ(tamis(fmt("hash --text '%s/notes.txt'", t), &hout, &herr), 0);
    char exact[65], near[300], tlsh[80];
    ASSERT_EQ(sscanf(hout, "%64s %299s %79s", exact, near, tlsh), 3);
    ASSERT_STR_EQ(str(txt, "text_exact"), exact);
    ASSERT_STR_EQ(str(txt, "text_near"), near);
    ASSERT_STR_EQ(str(txt, "text_tlsh"), tlsh);
    json_decref(rep);
    free(out), free(err), free(hout), free(herr);
}

TEST(scan_video_frames_match_a_pdq_bank) {
    const char *t = keep(fmt("%s/videos", tmp_dir()));
    sh(fmt("mkdir -p '%s'", t));
    const char *vp = keep(fmt("%s/clip.mp4", t));
    gen_video_spec s = {"mp4", "mpeg4", 128, 96, 10, 30, 0};
    if (gen_video_file(&s, vp) != 0)
        FAIL("cannot make the video");
    /* The bank holds the hash of the frame at 1 s. */
    tamis_vpdq *v;
    ASSERT_OK(tamis_vpdq_create(&v));
    tamis_vpdq_options o = {.seconds_per_hash = 1.0};
    ASSERT_OK(tamis_vpdq_hash_file(v, vp, &o));
    ASSERT_EQ(tamis_vpdq_count(v), 3);
    const tamis_vpdq_frame *fr = tamis_vpdq_frames(v);
    char hex[65];
    tamis_pdq_to_hex(&fr[1].pdq, hex);
    tamis_vpdq_free(v);
    const char *bank = keep(fmt("%s/frames.txt", tmp_dir()));
    const char *line = fmt("%s frame-10\n", hex);
    write_bytes(bank, line, strlen(line));
    const char *rp = keep(fmt("%s/r.jsonl", tmp_dir()));
    char *out, *err;
    ASSERT_EQ(tamis(fmt("scan --bank '%s' --report '%s' '%s'", bank, rp, t), &out, &err), 1);
    size_t n;
    json_t *rep = read_report(rp, &n);
    json_t *j = line_of(rep, vp);
    ASSERT_STR_EQ(str(j, "type"), "video");
    ASSERT_EQ(num(j, "frames"), 3);
    ASSERT_EQ(json_array_size(json_object_get(j, "vpdq")), 3);
    json_t *m = json_array_get(json_object_get(j, "matches"), 0);
    ASSERT(m != NULL);
    ASSERT_STR_EQ(str(m, "bank"), "frames");
    ASSERT_STR_EQ(str(m, "id"), "frame-10");
    ASSERT_EQ(num(m, "distance"), 0);
    ASSERT_EQ(num(m, "frame"), 10);
    json_decref(rep);
    free(out), free(err);
}

TEST(scan_db_banks_match_pdq_and_md5) {
    const char *t = make_tree();
    const char *db = keep(fmt("%s/t.db", tmp_dir()));
    const char *list = make_bank("list.txt", "palapeli-data-002.jpg");
    char *out, *err;
    ASSERT_EQ(tamis(fmt("import --db '%s' --bank KNOWN '%s'", db, list), &out, &err), 0);
    free(out), free(err);
    /* an MD5 list holding the text file's digest */
    char md5[33], sha[65];
    digests_of(fmt("%s/notes.txt", t), md5, sha);
    const char *hma = keep(fmt("%s/md5.txt", tmp_dir()));
    const char *l = fmt("md5 %s\n", md5);
    write_bytes(hma, l, strlen(l));
    ASSERT_EQ(tamis(fmt("import --db '%s' --bank FILES --format hma '%s'", db, hma), &out, &err),
              0);
    free(out), free(err);
    const char *rp = keep(fmt("%s/r.jsonl", tmp_dir()));
    int st = tamis(fmt("scan --db '%s' --report '%s' '%s'", db, rp, t), &out, &err);
    if (st != 1)
        FAIL("exit %d: %s", st, err);
    size_t n;
    json_t *rep = read_report(rp, &n);
    json_t *m = json_object_get(line_of(rep, fmt("%s/a/b/c/copy.jpg", t)), "matches");
    /* the PDQ hash, and the same file's MD5 and SHA-256 are not in a bank */
    ASSERT_EQ(json_array_size(m), 1);
    ASSERT_STR_EQ(str(json_array_get(m, 0), "bank"), "KNOWN");
    ASSERT_STR_EQ(str(json_array_get(m, 0), "signal"), "pdq");
    m = json_object_get(line_of(rep, fmt("%s/notes.txt", t)), "matches");
    ASSERT_EQ(json_array_size(m), 1);
    ASSERT_STR_EQ(str(json_array_get(m, 0), "bank"), "FILES");
    ASSERT_STR_EQ(str(json_array_get(m, 0), "signal"), "md5");
    json_decref(rep);
    free(out), free(err);
}

/* ---- Progress, paths from stdin, usage ---------------------------------------- */

TEST(scan_progress_json_and_stdin_list) {
    const char *t = make_tree();
    char *out, *err;
    int st = run_cmd(fmt("printf '%%s\\n%%s\\n' '%s/a' '%s/corrupt.jpg' | '%s/tamis' scan "
                         "--progress=json -",
                         t, t, build_dir()),
                     &out, &err);
    ASSERT_EQ(st, 3);
    /* 4 lines: the two images, the loop, and the corrupt JPEG */
    int n = 0;
    for (char *p = out; (p = strchr(p, '\n')); p++)
        n++;
    ASSERT_EQ(n, 5);
    /* each stderr line is a JSON object; the last says done */
    json_t *last = NULL;
    for (char *p = err, *e; *p; p = e + 1) {
        e = strchr(p, '\n');
        ASSERT(e != NULL);
        json_error_t je;
        json_t *j = json_loadb(p, (size_t)(e - p), 0, &je);
        if (!j)
            FAIL("progress line is not JSON: %.*s", (int)(e - p), p);
        json_decref(last);
        last = j;
    }
    ASSERT(last != NULL);
    ASSERT(json_is_true(json_object_get(last, "done")));
    ASSERT_EQ(num(last, "files"), 5);
    ASSERT_EQ(num(last, "errors"), 1);
    ASSERT_EQ(num(last, "images"), 3);
    json_decref(last);
    free(out), free(err);
}

TEST(scan_nested_roots_are_scanned_once) {
    const char *t = make_tree();
    char *out, *err;
    ASSERT_EQ(tamis(fmt("scan '%s' '%s/a' '%s'", t, t, t), &out, &err), 3);
    int n = 0;
    for (char *p = out; (p = strchr(p, '\n')); p++)
        n++;
    ASSERT_EQ(n, 9);
    ASSERT(strstr(err, "scanned once") != NULL);
    free(out), free(err);
}

TEST(scan_usage_errors) {
    char *out, *err;
    ASSERT_EQ(tamis("scan", &out, &err), 2);
    free(out), free(err);
    ASSERT_EQ(tamis("scan --resume /tmp", &out, &err), 2);
    free(out), free(err);
    ASSERT_EQ(tamis("scan --max-size 0 /tmp", &out, &err), 2);
    free(out), free(err);
    ASSERT_EQ(tamis("scan --progress=fancy /tmp", &out, &err), 2);
    free(out), free(err);
    /* a bank that cannot be read stops the scan before it starts */
    ASSERT_EQ(tamis("scan --bank /nonexistent/b.txt /tmp", &out, &err), 4);
    ASSERT(strstr(err, "/nonexistent/b.txt") != NULL);
    free(out), free(err);
}
