/*
 * hash.c - /h/hash: hashes an uploaded file (multipart/form-data, one
 * file, any field name, as HMA) and answers {signal type: hash}; GET
 * /h/hash?url= fetches the media first, where the server allows it
 * (fetch.c).
 */
#include <string.h>

#include "server.h"

/* Hashes r's upload; on failure replies and returns -1. */
int hash_upload(req *r, int variants, tamis_image_hash *out);

int hash_upload(req *r, int variants, tamis_image_hash *out) {
    const char *url = arg(r, "url");
    if ((!r->upload || r->upload_len == 0) && url && fetch_into_upload(r, url) != 0)
        return -1;
    if (!r->upload || r->upload_len == 0) {
        reply_error(r, 400, "Missing multipart/form-data file upload");
        return -1;
    }
    tamis_hasher *h = srv_hasher(r, variants);
    if (!h) {
        reply_error(r, 500, "out of memory");
        return -1;
    }
    tamis_status st = tamis_hash_image_mem(h, r->upload, r->upload_len, out);
    if (st == TAMIS_ERR_UNSUPPORTED)
        return 1; /* not an image: the caller may try it as a video */
    if (st != TAMIS_OK) {
        int code = st == TAMIS_ERR_NOMEM ? 500 : st == TAMIS_ERR_TOO_LARGE ? 413 : 400;
        reply_error(r, code, "cannot hash the upload: %s", tamis_hasher_errmsg(h));
        return -1;
    }
    return 0;
}

int hash_media(req *r, int variants, int with_tmk, tamis_image_hash *img, video_hash *vid) {
    int k = hash_upload(r, variants, img);
    if (k != 1)
        return k;
    /* Images are tried first: FFmpeg would read a JPEG as a one-frame video. */
    tamis_hasher *h = srv_hasher(r, variants);
    char why[256];
    snprintf(why, sizeof why, "%s", h ? tamis_hasher_errmsg(h) : "");
    if (hash_video_upload(r, with_tmk, vid) != 0) {
        if (r->status == 400 && strstr(why, "looks like")) { /* say what it looked like */
            json_decref(r->json);
            r->json = NULL;
            reply_error(r, 400, "cannot hash the upload: not an image or a video tamis reads (%s)",
                        why);
        }
        return -1;
    }
    return 1;
}

json_t *hashes_json(const tamis_image_hash *h);

json_t *hashes_json(const tamis_image_hash *h) {
    char pdq[TAMIS_PDQ_HEX_LEN + 1], md5[33], sha[65];
    tamis_pdq_to_hex(&h->pdq, pdq);
    tamis_hex_encode(h->digests.md5, TAMIS_MD5_BYTES, md5);
    tamis_hex_encode(h->digests.sha256, TAMIS_SHA256_BYTES, sha);
    return json_pack("{s:s,s:s,s:s}", "pdq", pdq, "md5", md5, "sha256", sha);
}

void h_hash(req *r) {
    if (strcmp(r->method, "GET") == 0 && !arg(r, "url")) {
        reply_error(r, 422, "url is required"); /* as HMA's validation */
        return;
    }
    tamis_image_hash h;
    video_hash vh;
    int k = hash_media(r, 0, arg(r, "tmk") != NULL, &h, &vh);
    if (k < 0)
        return;
    if (k == 1) { /* HMA names a video's MD5 video_md5 */
        json_t *j = json_pack("{s:s,s:s,s:s,s:s,s:I}", "video_md5", vh.md5, "md5", vh.md5,
                              "sha256", vh.sha256, "vpdq", vh.vpdq, "vpdq_frames",
                              (json_int_t)vh.frames);
        if (vh.tmk)
            json_object_set_new(j, "tmk", json_string(vh.tmk));
        video_hash_free(&vh);
        reply_json(r, 200, j);
        return;
    }
    json_t *j = hashes_json(&h);
    /* The quality, so that callers can tell hashes too weak to match. */
    json_object_set_new(j, "pdq_quality", json_integer(h.quality));
    reply_json(r, 200, j);
}
