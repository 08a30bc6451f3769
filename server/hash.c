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
    if (st != TAMIS_OK) {
        int code = st == TAMIS_ERR_NOMEM ? 500 : st == TAMIS_ERR_TOO_LARGE ? 413 : 400;
        reply_error(r, code, "cannot hash the upload: %s", tamis_hasher_errmsg(h));
        return -1;
    }
    return 0;
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
    if (hash_upload(r, 0, &h) != 0)
        return;
    json_t *j = hashes_json(&h);
    /* The quality, so that callers can tell hashes too weak to match. */
    json_object_set_new(j, "pdq_quality", json_integer(h.quality));
    reply_json(r, 200, j);
}
