/*
 * match.c - /m: lookups by signal or by upload, raw lookups, comparison
 * of two hashes, index status, and /m/match, which hashes an upload
 * (with its variants) and matches it in one call.
 *
 * Answers follow HMA: a lookup is {"BANK": [{"bank_content_id": id,
 * "distance": d}]}, grouped by bank; banks with a matching_enabled_ratio
 * under 1 match when the ratio is at least a coin flip made once per
 * lookup (seeded by ?seed=, skipped with ?bypass_coinflip=true);
 * ?banks=A,B restricts the banks.
 */
#include <stdlib.h>
#include <string.h>

#include "server.h"

json_t *hashes_json(const tamis_image_hash *h);

typedef struct {
    json_t *by_bank;   /* {"BANK": [...]} */
    json_t *flat;      /* or a list, for raw_lookup and /m/match */
    double coin;       /* banks with ratio < coin are skipped */
    const char *banks; /* comma-separated filter, or NULL */
    const char *variant;
    int with_distance;
    const char *type_asked; /* raw "text" finds text_exact, text_near... */
} collector;

static int bank_allowed(const char *list, const char *bank) {
    if (!list)
        return 1;
    size_t n = strlen(bank);
    for (const char *p = list; *p;) {
        const char *e = strchr(p, ',');
        size_t len = e ? (size_t)(e - p) : strlen(p);
        if (len == n && strncmp(p, bank, n) == 0)
            return 1;
        if (!e)
            break;
        p = e + 1;
    }
    return 0;
}

static int collect(void *ctx, const tamis_match *m) {
    collector *c = ctx;
    if (m->enabled_ratio < c->coin || !bank_allowed(c->banks, m->bank))
        return 0;
    metrics_match(m->bank, m->signal_type);
    json_t *item;
    if (c->flat && !c->with_distance) {
        item = json_integer(m->content_id);
    } else if (!c->variant) {
        /* HMA gives distances as strings ("distance": "0"). */
        char d[16];
        snprintf(d, sizeof d, "%d", m->distance);
        item = json_pack("{s:I,s:s}", "bank_content_id", (json_int_t)m->content_id, "distance", d);
    } else {
        item = json_pack("{s:I,s:i}", "bank_content_id", (json_int_t)m->content_id, "distance",
                         m->distance);
        if (c->flat && c->variant) {
            json_object_set_new(item, "bank", json_string(m->bank));
            json_object_set_new(item, "signal_type", json_string(m->signal_type));
            json_object_set_new(item, "variant", json_string(c->variant));
        }
    }
    /* A video match is two scores, not a distance. */
    if (json_is_object(item) && strcmp(m->signal_type, "vpdq") == 0) {
        json_object_set_new(item, "query_match_percent", json_real(m->score[0]));
        json_object_set_new(item, "compared_match_percent", json_real(m->score[1]));
    } else if (json_is_object(item) && strcmp(m->signal_type, "tmk") == 0) {
        json_object_set_new(item, "level1", json_real(m->score[0]));
        json_object_set_new(item, "level2", json_real(m->score[1]));
    } else if (json_is_object(item) && strcmp(m->signal_type, "text_near") == 0) {
        json_object_set_new(item, "similarity", json_real(m->score[0]));
    }
    if (json_is_object(item) && m->matched)
        json_object_set_new(item, "matched", json_string(m->matched));
    if (json_is_object(item) && c->by_bank && c->type_asked &&
        strcmp(c->type_asked, m->signal_type) != 0)
        json_object_set_new(item, "signal_type", json_string(m->signal_type));
    if (c->flat) {
        json_array_append_new(c->flat, item);
    } else {
        json_t *list = json_object_get(c->by_bank, m->bank);
        if (!list) {
            list = json_array();
            json_object_set_new(c->by_bank, m->bank, list);
        }
        json_array_append_new(list, item);
    }
    return 0;
}

static double coin_flip(req *r) {
    const char *b = arg(r, "bypass_coinflip");
    if (b && strcmp(b, "true") == 0)
        return 0.0;
    const char *seed = arg(r, "seed");
    unsigned s = seed ? (unsigned)strtoul(seed, NULL, 10) : (unsigned)rand();
    /* xorshift of the seed: a value in [0, 1) */
    s ^= s << 13, s ^= s >> 17, s ^= s << 5;
    return (double)(s % 1000000u) / 1000000.0;
}

static int lookup_into(req *r, const char *type, const char *value, collector *c) {
    if (strcmp(type, "video_md5") == 0) /* HMA's name for a file's MD5 */
        type = "md5";
    c->type_asked = type;
    tamis_status st = tamis_matcher_lookup(srv_matcher(r), type, value, -1, collect, c);
    if (st == TAMIS_ERR_UNSUPPORTED) {
        reply_error(r, 400, "No such SignalType '%s'", type);
        return -1;
    }
    if (st == TAMIS_ERR_INVALID) {
        reply_error(r, 400, "invalid signal: not a %s hash", type);
        return -1;
    }
    if (st != TAMIS_OK && st != TAMIS_DONE) {
        reply_status(r, st, "lookup");
        return -1;
    }
    return 0;
}

void h_lookup(req *r) {
    const char *type = arg(r, "signal_type"), *value = arg(r, "signal");
    if (arg(r, "url")) {
        /* URL mode: fetched, hashed and looked up as an upload */
        h_match_upload(r);
        return;
    }
    if (!type || !value) {
        reply_error(r, 400, "Either url or both signal and signal_type are required");
        return;
    }
    collector c = {json_object(), NULL, coin_flip(r), arg(r, "banks"), NULL, 1, NULL};
    if (lookup_into(r, type, value, &c) == 0)
        reply_json(r, 200, c.by_bank);
    else
        json_decref(c.by_bank);
}

void h_raw_lookup(req *r) {
    const char *type = arg(r, "signal_type"), *value = arg(r, "signal");
    if (!type || !value) {
        /* HMA's request validation answers 422 */
        reply_error(r, 422, "signal_type and signal are required");
        return;
    }
    const char *wd = arg(r, "include_distance");
    int with_d = wd && (strcmp(wd, "true") == 0 || strcmp(wd, "1") == 0 || strcmp(wd, "yes") == 0);
    collector c = {NULL, json_array(), 0.0, arg(r, "banks"), NULL, with_d, NULL};
    if (lookup_into(r, type, value, &c) == 0)
        reply_json(r, 200, json_pack("{s:o}", "matches", c.flat));
    else
        json_decref(c.flat);
}

/* An uploaded video: its MD5, SHA-256, vPDQ and (if asked) TMK looked
 * up; answered as h_match_upload answers an image. */
static void match_video(req *r, int ours, const video_hash *vh) {
    const char *types[4] = {"md5", "sha256", "vpdq", "tmk"};
    const char *vals[4] = {vh->md5, vh->sha256, vh->vpdq, vh->tmk};
    double coin = coin_flip(r);
    json_t *out = ours ? NULL : json_object(), *matches = ours ? json_array() : NULL;
    for (int i = 0; i < 4; i++) {
        if (!vals[i])
            continue;
        collector c = {ours ? NULL : json_object(), matches, coin, arg(r, "banks"),
                       ours ? "exact" : NULL, 1, NULL};
        if (i >= 2 && ours)
            c.variant = "video";
        if (lookup_into(r, types[i], vals[i], &c) != 0) {
            json_decref(c.by_bank);
            json_decref(out);
            json_decref(matches);
            return;
        }
        if (!ours)
            json_object_set_new(out, types[i], c.by_bank);
    }
    if (!ours) {
        /* HMA's names: video_md5 for a video's MD5 */
        json_object_set(out, "video_md5", json_object_get(out, "md5"));
        const char *only = arg(r, "url") ? arg(r, "signal_type") : NULL;
        if (only) {
            json_t *one = json_object_get(out, only);
            one = one ? json_incref(one) : json_object();
            json_decref(out);
            out = one;
        }
        reply_json(r, 200, out);
        return;
    }
    if (arg(r, "puid"))
        act_on_matches(r, arg(r, "puid"), matches);
    json_t *hashes = json_pack("{s:s,s:s,s:I}", "md5", vh->md5, "sha256", vh->sha256,
                               "vpdq_frames", (json_int_t)vh->frames);
    reply_json(r, 200, json_pack("{s:o,s:o}", "hashes", hashes, "matches", matches));
}

/* POST /m/lookup (HMA: hash an upload, answer by signal type) and
 * POST /m/match (tamis: the hashes, and every match with the variant of
 * the query that found it). */
void h_match_upload(req *r) {
    int ours = strcmp(r->route, "/m/match") == 0;
    int variants = ours && srv_cfg(r)->use_variants;
    const char *v = arg(r, "variants");
    if (ours && v)
        variants = strcmp(v, "true") == 0;
    tamis_image_hash h;
    video_hash vh;
    /* TMK only when some bank holds TMK videos: it decodes the video again */
    int k = hash_media(r, variants, tamis_matcher_count(srv_matcher(r), "tmk") > 0, &h, &vh);
    if (k < 0)
        return;
    if (k == 1) {
        match_video(r, ours, &vh);
        video_hash_free(&vh);
        return;
    }
    char pdq[TAMIS_PDQ_HEX_LEN + 1], md5[33], sha[65];
    tamis_pdq_to_hex(&h.pdq, pdq);
    tamis_hex_encode(h.digests.md5, TAMIS_MD5_BYTES, md5);
    tamis_hex_encode(h.digests.sha256, TAMIS_SHA256_BYTES, sha);
    double coin = coin_flip(r);
    if (!ours) {
        json_t *out = json_object();
        const char *types[3] = {"pdq", "md5", "sha256"}, *vals[3] = {pdq, md5, sha};
        for (int i = 0; i < 3; i++) {
            collector c = {json_object(), NULL, coin, arg(r, "banks"), NULL, 1, NULL};
            if (lookup_into(r, types[i], vals[i], &c) != 0) {
                json_decref(c.by_bank);
                json_decref(out);
                return;
            }
            json_object_set_new(out, types[i], c.by_bank);
        }
        /* HMA's URL mode with signal_type: that type's bank map alone */
        const char *only = arg(r, "url") ? arg(r, "signal_type") : NULL;
        if (only) {
            json_t *one = json_object_get(out, strcmp(only, "video_md5") == 0 ? "md5" : only);
            one = one ? json_incref(one) : json_object();
            json_decref(out);
            out = one;
        }
        reply_json(r, 200, out);
        return;
    }
    json_t *matches = json_array();
    collector c = {NULL, matches, coin, arg(r, "banks"), "original", 1, NULL};
    if (h.quality >= TAMIS_PDQ_MIN_QUALITY) {
        if (!variants) {
            tamis_matcher_lookup_pdq(srv_matcher(r), &h.pdq, -1, collect, &c);
        } else {
            for (int i = 0; i < h.n_variants; i++) {
                c.variant = tamis_pdq_variant_name(h.variant_kind[i]);
                tamis_matcher_lookup_pdq(srv_matcher(r), &h.variants[i], -1, collect, &c);
            }
        }
    }
    c.variant = "exact";
    tamis_matcher_lookup(srv_matcher(r), "md5", md5, -1, collect, &c);
    tamis_matcher_lookup(srv_matcher(r), "sha256", sha, -1, collect, &c);
    /* ?puid=: the platform asks tamis to decide under the banks' policies */
    const char *puid = arg(r, "puid");
    if (puid)
        act_on_matches(r, puid, matches);
    json_t *hashes = hashes_json(&h);
    json_object_set_new(hashes, "pdq_quality", json_integer(h.quality));
    reply_json(r, 200,
               json_pack("{s:o,s:o,s:b}", "hashes", hashes, "matches", matches,
                         "pdq_matched", h.quality >= TAMIS_PDQ_MIN_QUALITY));
}

void h_compare(req *r) {
    json_t *body = body_json(r);
    if (!body)
        return;
    json_t *out = json_object();
    const char *type;
    json_t *pair;
    json_object_foreach(body, type, pair) {
        if (!json_is_array(pair) || json_array_size(pair) != 2) {
            reply_error(r, 400, "Comparison hash list length must be exactly 2");
            goto bad;
        }
        const char *a = json_string_value(json_array_get(pair, 0)),
                   *b = json_string_value(json_array_get(pair, 1));
        if (strcmp(type, "pdq") == 0) {
            tamis_pdq x, y;
            if (!a || !b || tamis_pdq_from_hex(a, strlen(a), &x) != TAMIS_OK ||
                tamis_pdq_from_hex(b, strlen(b), &y) != TAMIS_OK) {
                reply_error(r, 400, "Invalid pdq hash");
                goto bad;
            }
            int d = tamis_pdq_distance(&x, &y);
            json_object_set_new(out, type,
                                json_pack("[b,{s:i}]", d <= TAMIS_PDQ_MATCH_DISTANCE, "distance", d));
        } else if (strcmp(type, "md5") == 0 || strcmp(type, "sha256") == 0) {
            if (!a || !b) {
                reply_error(r, 400, "Invalid %s hash", type);
                goto bad;
            }
            int same = strcasecmp(a, b) == 0;
            json_object_set_new(out, type, json_pack("[b,{s:i}]", same, "distance", same ? 0 : 1));
        } else {
            reply_error(r, 400, "No such SignalType '%s'", type);
            goto bad;
        }
    }
    json_decref(body);
    reply_json(r, 200, out);
    return;
bad:
    json_decref(body);
    json_decref(out);
}

void h_index_status(req *r) {
    tamis_matcher *m = srv_matcher(r);
    const char *only = arg(r, "signal_type");
    static const char *types[] = {"pdq",       "md5",       "sha256",    "vpdq", "tmk",
                                  "text_exact", "text_near", "text_tlsh", "url"};
    json_t *out = json_object();
    int known = 0;
    for (int i = 0; i < (int)(sizeof types / sizeof types[0]); i++) {
        if (only && strcmp(only, types[i]) != 0)
            continue;
        known = 1;
        /* built_to: the change-log position applied (HMA gives a time) */
        json_object_set_new(out, types[i],
                            json_pack("{s:b,s:I,s:I}", "present", 1, "built_to",
                                      (json_int_t)tamis_matcher_seq(m), "size",
                                      (json_int_t)tamis_matcher_count(m, types[i])));
    }
    if (only && !known) {
        json_decref(out);
        reply_error(r, 400, "No such signal type '%s'", only);
        return;
    }
    reply_json(r, 200, out);
}
