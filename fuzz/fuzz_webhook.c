/*
 * fuzz_webhook.c - libFuzzer target for what lib/act/webhook.c reads that
 * it did not just write: the outbox's record files
 * (tamis__webhook_record_parse), which a crash, a full disk or a hand can
 * damage, and a receiver's Tamis-Timestamp and Tamis-Signature headers
 * (tamis_webhook_verify). A record that parses must format back to a
 * record that parses to the same fields; verify must give OK or INVALID
 * with a reason, and OK only for the signature tamis_webhook_sign makes.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../lib/act/webhook.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_record(const uint8_t *data, size_t size) {
    /* an exact-size copy, so ASan sees any read past the end */
    char *buf = malloc(size ? size : 1);
    if (!buf)
        return;
    memcpy(buf, data, size);
    tamis__webhook_record r, q;
    const char *why = NULL;
    tamis_status st = tamis__webhook_record_parse(buf, size, &r, &why);
    if (st == TAMIS_OK) {
        if (r.body < buf || r.body + r.body_len != buf + size || !r.body_len)
            abort();
        char *out;
        size_t len;
        if (tamis__webhook_record_format(&r, &out, &len) != TAMIS_OK)
            abort();
        if (tamis__webhook_record_parse(out, len, &q, &why) != TAMIS_OK)
            abort();
        if (strcmp(q.id, r.id) || strcmp(q.type, r.type) || q.state != r.state ||
            q.attempts != r.attempts || q.created_us != r.created_us || q.next_us != r.next_us ||
            q.last_attempt_us != r.last_attempt_us || q.delivered_us != r.delivered_us ||
            q.last_status != r.last_status || strcmp(q.last_error, r.last_error) ||
            strcmp(q.target, r.target) || q.body_len != r.body_len ||
            memcmp(q.body, r.body, r.body_len))
            abort();
        tamis__free(out);
    } else if (st != TAMIS_ERR_CORRUPT || !why || !*why) {
        abort();
    }
    free(buf);
}

/* The input as "timestamp\nsignature\nbody". */
static void check_verify(const uint8_t *data, size_t size) {
    char *s = malloc(size + 1);
    if (!s)
        return;
    memcpy(s, data, size);
    s[size] = 0;
    char *ts = s, *sig = memchr(s, '\n', size);
    if (sig) {
        *sig++ = 0;
        char *body = strchr(sig, '\n');
        size_t blen = 0;
        if (body) {
            *body++ = 0;
            blen = size - (size_t)(body - s);
        } else {
            body = sig + strlen(sig);
        }
        const char *why = NULL;
        tamis_status st = tamis_webhook_verify("k", 1, ts, sig, body, blen, 1700000000, 300, &why);
        if (st == TAMIS_OK) {
            char good[TAMIS_WEBHOOK_SIGNATURE_LEN + 1];
            if (tamis_webhook_sign("k", 1, atoll(ts), body, blen, good) != TAMIS_OK ||
                !strcasestr(sig, good + 7))
                abort();
        } else if (st != TAMIS_ERR_INVALID || !why) {
            abort();
        }
    }
    free(s);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    check_record(data, size);
    check_verify(data, size);
    return 0;
}
