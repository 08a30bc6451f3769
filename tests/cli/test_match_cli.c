/*
 * test_match_cli.c - cli/match.c and cli/index.c: `tamis match` output,
 * ids, radius, malformed lines, and banks saved by `tamis index`.
 */
#include "../test.h"
#include "tamis.h"

static const char *A = "f8f8f0cee0f4a84f06370a22038f63f0b36e2ed596621e1d33e6b39c4e9c9b22";
/* A with its last hex digit 2 -> 3 (1 bit) and B far from both */
static const char *A1 = "f8f8f0cee0f4a84f06370a22038f63f0b36e2ed596621e1d33e6b39c4e9c9b23";
static const char *B = "0000000000000000000000000000000000000000000000000000000000000000";

static char *write_tmp(const char *name, const char *text) {
    static char paths[8][4096];
    static int k;
    char *p = paths[k++ % 8];
    snprintf(p, 4096, "%s/%s", tmp_dir(), name);
    FILE *f = fopen(p, "w");
    ASSERT(f != NULL);
    fputs(text, f);
    fclose(f);
    return p;
}

static int tamis(const char *args, char **out, char **err) {
    char cmd[16384];
    snprintf(cmd, sizeof cmd, "'%s/tamis' %s", build_dir(), args);
    return run_cmd(cmd, out, err);
}

TEST(match_prints_query_bank_distance) {
    char bank[1024], q[1024], args[8192];
    snprintf(bank, sizeof bank, "# a bank\n%s item-a\n\n%s\n", A, B);
    snprintf(q, sizeof q, "%s\n%s q2\n", A1, B);
    char *bp = write_tmp("bank.txt", bank), *qp = write_tmp("q.txt", q);
    snprintf(args, sizeof args, "match --bank '%s' '%s'", bp, qp);
    char *out, *err;
    ASSERT_EQ(tamis(args, &out, &err), 0);
    /* ids: text after the hash, else the 1-based line number */
    ASSERT_STR_EQ(out, "1\titem-a\t1\nq2\t4\t0\n");
    free(out);
    free(err);
}

TEST(match_radius_option) {
    char bank[1024], args[8192];
    snprintf(bank, sizeof bank, "%s\n", A);
    char *bp = write_tmp("bank.txt", bank);
    char *qp = write_tmp("q.txt", A1);
    char *out, *err;
    snprintf(args, sizeof args, "match --bank '%s' --radius 0 '%s'", bp, qp);
    ASSERT_EQ(tamis(args, &out, &err), 0);
    ASSERT_STR_EQ(out, "");
    free(out), free(err);
    snprintf(args, sizeof args, "match --bank '%s' --radius 1 - < '%s'", bp, qp);
    ASSERT_EQ(tamis(args, &out, &err), 0);
    ASSERT_STR_EQ(out, "1\t1\t1\n");
    free(out), free(err);
    snprintf(args, sizeof args, "match --bank '%s' --radius 300 '%s'", bp, qp);
    ASSERT_EQ(tamis(args, &out, &err), 2);
    free(out), free(err);
}

TEST(match_malformed_line_fails_naming_file_and_line) {
    char bank[1024], args[8192];
    snprintf(bank, sizeof bank, "%s\nnot-a-hash\n%s\n", A, B);
    char *bp = write_tmp("bad.txt", bank);
    char *qp = write_tmp("q.txt", A);
    char *out, *err;
    snprintf(args, sizeof args, "match --bank '%s' '%s'", bp, qp);
    ASSERT_EQ(tamis(args, &out, &err), 1);
    ASSERT(strstr(err, "bad.txt:2:") != NULL);
    free(out), free(err);
    snprintf(args, sizeof args, "match --bank '%s' --skip-bad '%s'", bp, qp);
    ASSERT_EQ(tamis(args, &out, &err), 0);
    ASSERT(strstr(err, "skipped 1 malformed line") != NULL);
    ASSERT_STR_EQ(out, "1\t1\t0\n");
    free(out), free(err);
}

TEST(match_against_saved_index) {
    char bank[1024], args[8192];
    snprintf(bank, sizeof bank, "%s\n%s\n", B, A);
    char *bp = write_tmp("bank.txt", bank);
    char *qp = write_tmp("q.txt", A1);
    char ip[4096];
    snprintf(ip, sizeof ip, "%s/bank.tamisidx", tmp_dir());
    char *out, *err;
    snprintf(args, sizeof args, "index '%s' -o '%s'", bp, ip);
    ASSERT_EQ(tamis(args, &out, &err), 0);
    free(out), free(err);
    snprintf(args, sizeof args, "match --bank '%s' '%s'", ip, qp);
    ASSERT_EQ(tamis(args, &out, &err), 0);
    /* a saved index knows ids as positions in the original list */
    ASSERT_STR_EQ(out, "1\t1\t1\n");
    free(out), free(err);
}

TEST(match_usage_errors) {
    char *out, *err;
    ASSERT_EQ(tamis("match", &out, &err), 2);
    free(out), free(err);
    ASSERT_EQ(tamis("match --bank /nonexistent/bank.txt /dev/null", &out, &err), 1);
    ASSERT(strstr(err, "/nonexistent/bank.txt") != NULL);
    free(out), free(err);
}
