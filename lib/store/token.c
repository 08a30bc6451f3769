/*
 * token.c - API tokens for the service: 32 bytes from OpenSSL's CSPRNG,
 * given once to the caller as unpadded base64url (43 characters), and
 * stored only as their SHA-256, so that reading the database does not give
 * anyone a usable token. Checking hashes the presented token, looks the
 * hash up and compares it with CRYPTO_memcmp: the lookup's timing depends
 * only on a hash the attacker cannot steer.
 */
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <string.h>
#include <time.h>

#include "store.h"

#define TOKEN_BYTES 32
#define ROLE_MAX 32

static const char *const roles[] = {"matcher", "reviewer", "curator", "admin"};

static int role_ok(const char *role) {
    for (size_t i = 0; role && i < sizeof roles / sizeof roles[0]; i++)
        if (strcmp(role, roles[i]) == 0)
            return 1;
    return 0;
}

static const char b64url[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

/* RFC 4648 section 5, without padding: 32 bytes give 43 characters. */
static void base64url(const uint8_t *in, size_t n, char *out) {
    size_t i = 0, o = 0;
    for (; i + 3 <= n; i += 3) {
        uint32_t v = (uint32_t)in[i] << 16 | (uint32_t)in[i + 1] << 8 | in[i + 2];
        out[o++] = b64url[v >> 18 & 63];
        out[o++] = b64url[v >> 12 & 63];
        out[o++] = b64url[v >> 6 & 63];
        out[o++] = b64url[v & 63];
    }
    if (n - i == 1) {
        uint32_t v = (uint32_t)in[i] << 16;
        out[o++] = b64url[v >> 18 & 63];
        out[o++] = b64url[v >> 12 & 63];
    } else if (n - i == 2) {
        uint32_t v = (uint32_t)in[i] << 16 | (uint32_t)in[i + 1] << 8;
        out[o++] = b64url[v >> 18 & 63];
        out[o++] = b64url[v >> 12 & 63];
        out[o++] = b64url[v >> 6 & 63];
    }
    out[o] = '\0';
}

/* The hex SHA-256 of the token's text, as stored. */
static int token_hash(const char *token, char hex[2 * TAMIS_SHA256_BYTES + 1]) {
    uint8_t md[TAMIS_SHA256_BYTES];
    unsigned n = 0;
    if (!EVP_Digest(token, strlen(token), md, &n, EVP_sha256(), NULL) ||
        n != TAMIS_SHA256_BYTES)
        return 0;
    tamis_hex_encode(md, sizeof md, hex);
    return 1;
}

tamis_status tamis_db_token_create(tamis_db *db, const char *role, const char *label,
                                   char *token) {
    tamis_status st = tamis__db_enter(db, 1);
    if (st != TAMIS_OK)
        return st;
    if (!token)
        return tamis__fail(&db->err, TAMIS_ERR_INVALID, "no buffer for the token");
    token[0] = '\0';
    if (!role_ok(role))
        return tamis__fail(&db->err, TAMIS_ERR_INVALID,
                           "bad role \"%.40s\": matcher, curator or admin",
                           role ? role : "(null)");
    if ((st = tamis__check_text(&db->err, "label", label)) != TAMIS_OK)
        return st;

    uint8_t raw[TOKEN_BYTES];
    char text[TAMIS_TOKEN_LEN + 1], hash[2 * TAMIS_SHA256_BYTES + 1];
    if (RAND_bytes(raw, sizeof raw) != 1)
        return tamis__fail(&db->err, TAMIS_ERR_INTERNAL, "no random bytes from OpenSSL");
    base64url(raw, sizeof raw, text);
    OPENSSL_cleanse(raw, sizeof raw);
    if (!token_hash(text, hash)) {
        OPENSSL_cleanse(text, sizeof text);
        return tamis__fail(&db->err, TAMIS_ERR_INTERNAL, "SHA-256 failed");
    }
    if ((st = tamis__db_begin(db)) == TAMIS_OK)
        st = tamis__db_end(db, db->ops->token_insert(db, hash, role, label,
                                                     (int64_t)time(NULL)));
    if (st == TAMIS_OK)
        memcpy(token, text, sizeof text);
    OPENSSL_cleanse(text, sizeof text);
    return st;
}

tamis_status tamis_db_token_check(tamis_db *db, const char *token, char *role) {
    tamis_status st = tamis__db_enter(db, 0);
    if (st != TAMIS_OK)
        return st;
    if (!token || !role)
        return tamis__fail(&db->err, TAMIS_ERR_INVALID, "no token or no role buffer");
    role[0] = '\0';
    /* Anything not shaped like a token cannot be one. */
    size_t n = strlen(token);
    if (n != TAMIS_TOKEN_LEN || strspn(token, b64url) != n)
        return tamis__fail(&db->err, TAMIS_ERR_NOT_FOUND, "unknown token");
    char hash[2 * TAMIS_SHA256_BYTES + 1], stored[2 * TAMIS_SHA256_BYTES + 1] = {0};
    char r[ROLE_MAX] = {0};
    if (!token_hash(token, hash))
        return tamis__fail(&db->err, TAMIS_ERR_INTERNAL, "SHA-256 failed");
    st = db->ops->token_select(db, hash, stored, r);
    if (st == TAMIS_ERR_NOT_FOUND ||
        (st == TAMIS_OK && CRYPTO_memcmp(stored, hash, sizeof hash) != 0))
        return tamis__fail(&db->err, TAMIS_ERR_NOT_FOUND, "unknown token");
    if (st != TAMIS_OK)
        return st;
    memcpy(role, r, ROLE_MAX);
    return TAMIS_OK;
}
