/*
 * test_digest.c - lib/hash/digest.c: MD5 and SHA-256 against the standard
 * test vectors (RFC 1321, FIPS 180-2) and OpenSSL's one-shot functions.
 */
#define OPENSSL_SUPPRESS_DEPRECATED /* MD5() is deprecated in OpenSSL 3 */
#include <openssl/md5.h>
#include <openssl/sha.h>

#include "tamis.h"
#include "../test.h"

static void check_vector(const char *msg, const char *md5, const char *sha) {
    tamis_digests d;
    char hex[65];
    ASSERT_OK(tamis_digests_compute(msg, strlen(msg), &d));
    tamis_hex_encode(d.md5, TAMIS_MD5_BYTES, hex);
    ASSERT_STR_EQ(hex, md5);
    tamis_hex_encode(d.sha256, TAMIS_SHA256_BYTES, hex);
    ASSERT_STR_EQ(hex, sha);
}

TEST(digests_of_empty_string) {
    check_vector("", "d41d8cd98f00b204e9800998ecf8427e",
                 "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
}

TEST(digests_of_abc) {
    check_vector("abc", "900150983cd24fb0d6963f7d28e17f72",
                 "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

TEST(digests_of_two_block_message) {
    /* FIPS 180-2 appendix B.2 and RFC 1321's last test. */
    tamis_digests d;
    char hex[65];
    const char *m = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
    ASSERT_OK(tamis_digests_compute(m, strlen(m), &d));
    tamis_hex_encode(d.sha256, TAMIS_SHA256_BYTES, hex);
    ASSERT_STR_EQ(hex, "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
    m = "12345678901234567890123456789012345678901234567890123456789012345678901234567890";
    ASSERT_OK(tamis_digests_compute(m, strlen(m), &d));
    tamis_hex_encode(d.md5, TAMIS_MD5_BYTES, hex);
    ASSERT_STR_EQ(hex, "57edf4a22be3c955ac49da2e2107b67a");
}

TEST(digests_of_sample_file_match_openssl) {
    size_t len;
    unsigned char *data =
        read_file(fmt("%s/samples/palapeli-data-002.jpg", repo_dir()), &len);
    ASSERT(data != NULL);
    ASSERT_GT(len, 100000);
    tamis_digests d;
    ASSERT_OK(tamis_digests_compute(data, len, &d));
    unsigned char md5[MD5_DIGEST_LENGTH], sha[SHA256_DIGEST_LENGTH];
    MD5(data, len, md5);
    SHA256(data, len, sha);
    ASSERT_EQ(memcmp(d.md5, md5, sizeof md5), 0);
    ASSERT_EQ(memcmp(d.sha256, sha, sizeof sha), 0);
    free(data);
}

TEST(digests_null_data_with_zero_length) {
    tamis_digests d;
    char hex[65];
    ASSERT_OK(tamis_digests_compute(NULL, 0, &d));
    tamis_hex_encode(d.md5, TAMIS_MD5_BYTES, hex);
    ASSERT_STR_EQ(hex, "d41d8cd98f00b204e9800998ecf8427e");
}

TEST(digests_reject_bad_arguments) {
    tamis_digests d;
    ASSERT_EQ(tamis_digests_compute(NULL, 5, &d), TAMIS_ERR_INVALID);
    ASSERT_EQ(tamis_digests_compute("abc", 3, NULL), TAMIS_ERR_INVALID);
}
