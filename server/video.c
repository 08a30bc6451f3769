/*
 * video.c - an upload that is a video (the image decoders refused it as
 * not an image): its MD5 and SHA-256, its vPDQ as HMA's JSON (one hash a
 * second, as HMA hashes videos) and, when asked, its TMK+PDQF in base64,
 * the forms banks store them in.
 */
#include <stdlib.h>
#include <string.h>

#include "server.h"

void video_hash_free(video_hash *v) {
    free(v->vpdq);
    free(v->tmk);
    memset(v, 0, sizeof *v);
}

int hash_video_upload(req *r, int with_tmk, video_hash *out) {
    memset(out, 0, sizeof *out);
    tamis_digests d;
    tamis_digests_compute(r->upload, r->upload_len, &d);
    tamis_hex_encode(d.md5, TAMIS_MD5_BYTES, out->md5);
    tamis_hex_encode(d.sha256, TAMIS_SHA256_BYTES, out->sha256);
    tamis_vpdq *v;
    if (tamis_vpdq_create(&v) != TAMIS_OK) {
        reply_error(r, 500, "out of memory");
        return -1;
    }
    /* One thread: the request threads are the parallelism. A video's
     * length is its cost: hashing one frame a second, the decoder stops
     * once more frames than the longest video allowed has seconds are
     * hashed, whatever the stream says its length is. */
    uint64_t secs = srv_cfg(r)->max_video_seconds;
    tamis_vpdq_options o = {.seconds_per_hash = 1.0, .threads = 1, .max_frames = secs + 1};
    tamis_status st = tamis_vpdq_hash_mem(v, r->upload, r->upload_len, &o);
    if (st != TAMIS_OK) {
        int code = st == TAMIS_ERR_NOMEM ? 500 : st == TAMIS_ERR_TOO_LARGE ? 413 : 400;
        /* the decoder's frame count, not a frame's size ("WxH frames are over ...") */
        if (st == TAMIS_ERR_TOO_LARGE && strncmp(tamis_vpdq_errmsg(v), "more than ", 10) == 0)
            reply_error(r, 413, "cannot hash the video: longer than --max-video-seconds %llu "
                                "(%s; hash it with tamis hash and add its signals)",
                        (unsigned long long)secs, tamis_vpdq_errmsg(v));
        else
            reply_error(r, code, "cannot hash the video: %s", tamis_vpdq_errmsg(v));
        tamis_vpdq_free(v);
        return -1;
    }
    /* an honest stream's length is its last frame's time */
    size_t nf = tamis_vpdq_count(v);
    double last = nf ? tamis_vpdq_frames(v)[nf - 1].timestamp : 0;
    if (last > (double)secs) {
        reply_error(r, 413,
                    "cannot hash the video: longer than --max-video-seconds %llu (%.0f s; hash "
                    "it with tamis hash and add its signals)",
                    (unsigned long long)secs, last);
        tamis_vpdq_free(v);
        return -1;
    }
    out->frames = nf;
    size_t n = tamis_vpdq_to_signal(v, NULL, 0);
    out->vpdq = malloc(n + 1);
    if (out->vpdq)
        tamis_vpdq_to_signal(v, out->vpdq, n + 1);
    tamis_vpdq_free(v);
    if (!out->vpdq) {
        reply_error(r, 500, "out of memory");
        return -1;
    }
    if (with_tmk) {
        tamis_tmk *t;
        char err[256];
        tamis_tmk_options to = {.threads = 1, .max_frames = secs * TAMIS_TMK_FPS};
        st = tamis_tmk_hash_mem(r->upload, r->upload_len, &to, &t, err, sizeof err);
        if (st != TAMIS_OK) {
            reply_error(r,
                        st == TAMIS_ERR_NOMEM       ? 500
                        : st == TAMIS_ERR_TOO_LARGE ? 413
                                                    : 400,
                        "cannot hash the video (TMK): %s", err);
            video_hash_free(out);
            return -1;
        }
        n = tamis_tmk_to_base64(t, NULL, 0);
        out->tmk = malloc(n + 1);
        if (out->tmk && tamis_tmk_to_base64(t, out->tmk, n + 1) != n)
            out->tmk[0] = '\0';
        tamis_tmk_free(t);
        if (!out->tmk || !out->tmk[0]) {
            reply_error(r, 500, "out of memory");
            video_hash_free(out);
            return -1;
        }
    }
    return 0;
}
