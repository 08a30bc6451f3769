/*
 * test_demo.c - the README's first command ends in scripts/demo: it must
 * start the service with the demo bank and print a token and a curl
 * command that finds a match. Run as a newcomer would, then followed.
 */
#include <signal.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "../server/client.h"
#include "../test.h"

TEST(demo_serves_the_sample_bank_and_its_curl_finds_a_match) {
    const char *out = fmt("%s/demo.out", tmp_dir());
    int port = 20000 + (int)(getpid() % 20000);
    pid_t pid = fork();
    if (pid == 0) {
        char cmd[8192];
        snprintf(cmd, sizeof cmd,
                 "cd '%s' && TAMIS_DEMO_PORT=%d TAMIS_DEMO_DB='%s/demo.db' TAMIS_BUILD='%s' "
                 "exec sh scripts/demo > '%s' 2>&1",
                 repo_dir(), port, tmp_dir(), build_dir(), out);
        execl("/bin/sh", "sh", "-c", cmd, (char *)NULL);
        _exit(127);
    }
    /* wait for the curl line and for the service */
    char *text = NULL, token[128] = "";
    int up = 0;
    for (int i = 0; i < 300 && !up; i++) {
        free(text);
        text = (char *)read_file(out, NULL);
        const char *t = text ? strstr(text, "admin token: ") : NULL;
        if (t)
            sscanf(t + 13, "%127s", token);
        http_resp r;
        if (token[0] && strstr(text, "/m/match") &&
            http_do(port, "GET", "/status/live", NULL, NULL, NULL, 0, &r) == 0) {
            up = r.status == 200;
            free(r.body);
        }
        if (!up) {
            struct timespec ts = {0, 100 * 1000 * 1000};
            nanosleep(&ts, NULL);
        }
    }
    if (!up) {
        kill(pid, SIGKILL);
        waitpid(pid, NULL, 0);
        FAIL("the demo did not come up; it printed:\n%s", text ? text : "(nothing)");
    }
    /* what the printed curl -F photo=@samples/palapeli-data-002.jpg does */
    ASSERT(strstr(text, "-F photo=@samples/palapeli-data-002.jpg") != NULL);
    size_t len, blen;
    unsigned char *img = read_file(fmt("%s/samples/palapeli-data-002.jpg", repo_dir()), &len);
    char ct[128];
    char *body = multipart("photo", "palapeli-data-002.jpg", img, len, &blen, ct, sizeof ct);
    http_resp r;
    ASSERT_EQ(http_do(port, "POST", "/m/match", token, ct, body, blen, &r), 0);
    ASSERT_EQ(r.status, 200);
    json_t *j = json_loads(r.body, 0, NULL);
    ASSERT(j != NULL);
    json_t *m = json_array_get(json_object_get(j, "matches"), 0);
    ASSERT(m != NULL);
    ASSERT_STR_EQ(json_string_value(json_object_get(m, "bank")), "DEMO");
    ASSERT_EQ(json_integer_value(json_object_get(m, "distance")), 0);
    json_decref(j);
    free(r.body);
    /* the printed ?puid= line queues it for review, which the UI shows */
    ASSERT(strstr(text, "/m/match?puid=demo-1") != NULL);
    ASSERT_EQ(http_do(port, "POST", "/m/match?puid=demo-1", token, ct, body, blen, &r), 0);
    ASSERT_EQ(r.status, 200);
    ASSERT(strstr(r.body, "\"action\":\"review\"") != NULL);
    free(r.body);
    ASSERT_EQ(http_do(port, "GET", "/a/review", token, NULL, NULL, 0, &r), 0);
    ASSERT(strstr(r.body, "\"puid\":\"demo-1\"") != NULL);
    free(r.body);
    char ui[64];
    snprintf(ui, sizeof ui, "http://127.0.0.1:%d/ui/", port);
    ASSERT(strstr(text, ui) != NULL);
    ASSERT_EQ(http_do(port, "GET", "/ui/", NULL, NULL, NULL, 0, &r), 0);
    ASSERT_EQ(r.status, 200);
    ASSERT(strstr(r.body, "<script") != NULL);
    free(r.body), free(body), free(img), free(text);
    kill(pid, SIGTERM);
    int st;
    waitpid(pid, &st, 0);
    ASSERT(WIFEXITED(st) && WEXITSTATUS(st) == 0);
}
