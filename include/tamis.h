/*
 * tamis.h - the public interface of libtamis.
 *
 * libtamis finds known content the way the hash-sharing programmes of the
 * trust-and-safety industry do: it computes perceptual and exact hashes of
 * uploads and compares them with lists of hashes of known items.
 *
 * This header is the contract and the manual. It starts with the simplest
 * calls and goes on to the advanced ones; anything not declared here is not
 * API and may change.
 *
 * Conventions
 *   - Every fallible function returns a tamis_status: TAMIS_OK (0) or a
 *     negative error code. Results come back through out-parameters, which
 *     are left untouched or zeroed on error, never half-written.
 *   - State lives in opaque handles created by tamis_X_create() and released
 *     by tamis_X_free(); tamis_X_free(NULL) does nothing.
 *   - A handle keeps a message about its last error (tamis_hasher_errmsg);
 *     tamis_strerror() gives the fixed text of a code.
 *   - The library never prints, never exits and never aborts on bad input.
 *   - Plain values (a 256-bit hash, a digest) are structs the caller owns.
 *   - A handle may be used by one thread at a time; distinct handles may be
 *     used by distinct threads concurrently.
 *
 * A first example: hash a file.
 *
 *     tamis_hasher *h;
 *     tamis_image_hash r;
 *     char hex[TAMIS_PDQ_HEX_LEN + 1];
 *     if (tamis_hasher_create(NULL, &h) != TAMIS_OK) return 1;
 *     if (tamis_hash_image_file(h, "photo.jpg", &r) == TAMIS_OK) {
 *         tamis_pdq_to_hex(&r.pdq, hex);
 *         printf("%s %d\n", hex, r.quality);
 *     } else {
 *         fprintf(stderr, "photo.jpg: %s\n", tamis_hasher_errmsg(h));
 *     }
 *     tamis_hasher_free(h);
 */
#ifndef TAMIS_H
#define TAMIS_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#ifdef __cplusplus
extern "C" {
#endif

#if defined(__GNUC__) && defined(TAMIS_BUILDING)
#define TAMIS_API __attribute__((visibility("default")))
#else
#define TAMIS_API
#endif

/* ------------------------------------------------------------------------
 * Version
 * ------------------------------------------------------------------------ */

#define TAMIS_VERSION_MAJOR 0
#define TAMIS_VERSION_MINOR 1
#define TAMIS_VERSION_PATCH 0
#define TAMIS_VERSION_STRING "0.1.0"
#define TAMIS_VERSION_NUMBER                                                   \
    (TAMIS_VERSION_MAJOR * 10000 + TAMIS_VERSION_MINOR * 100 + TAMIS_VERSION_PATCH)

/* Returns the version of the library actually linked, e.g. "0.1.0". */
TAMIS_API const char *tamis_version(void);

/* ------------------------------------------------------------------------
 * Errors
 * ------------------------------------------------------------------------ */

/* Status codes. Values are stable: they are never renumbered. */
typedef enum tamis_status {
    TAMIS_DONE = 1,             /* not an error: nothing (more) to return */
    TAMIS_OK = 0,
    TAMIS_ERR_NOMEM = -1,       /* an allocation failed */
    TAMIS_ERR_INVALID = -2,     /* a bad argument (NULL handle, bad hex...) */
    TAMIS_ERR_IO = -3,          /* the file could not be opened or read */
    TAMIS_ERR_EMPTY = -4,       /* the input has zero bytes */
    TAMIS_ERR_UNSUPPORTED = -5, /* not a format tamis decodes */
    TAMIS_ERR_CORRUPT = -6,     /* truncated or corrupt data */
    TAMIS_ERR_TOO_LARGE = -7,   /* over a configured limit (e.g. pixels) */
    TAMIS_ERR_INTERNAL = -8,    /* a library it depends on failed */
    TAMIS_ERR_NOT_FOUND = -9,   /* no such item */
    TAMIS_ERR_EXISTS = -10,     /* already exists (a bank name) */
    TAMIS_ERR_DB = -11          /* the database failed (message says how) */
} tamis_status;

/* Returns a fixed, static description of `code`. Never NULL. */
TAMIS_API const char *tamis_strerror(tamis_status code);

/* ------------------------------------------------------------------------
 * PDQ hashes
 *
 * PDQ is Meta's 256-bit perceptual image hash. Two images are considered
 * the same picture when their hashes differ in at most 31 bits
 * (TAMIS_PDQ_MATCH_DISTANCE) and both have quality >= 50.
 *
 * The bytes are stored in the order of the usual hex form: bytes[0] holds
 * the first two hex digits. Bit k of the hash (k = 16*row + col of the
 * DCT coefficient) is bit k%8 of bytes[31 - k/8].
 * ------------------------------------------------------------------------ */

#define TAMIS_PDQ_BYTES 32
#define TAMIS_PDQ_HEX_LEN 64
#define TAMIS_PDQ_MATCH_DISTANCE 31
#define TAMIS_PDQ_MIN_QUALITY 50

typedef struct tamis_pdq {
    uint8_t bytes[TAMIS_PDQ_BYTES];
} tamis_pdq;

/* Writes the 64 lower-case hex digits of `h` and a NUL to `out`, which
 * must hold TAMIS_PDQ_HEX_LEN + 1 chars. */
TAMIS_API void tamis_pdq_to_hex(const tamis_pdq *h, char *out);

/* Parses exactly `len` chars of hex (either case) into `h`. Returns
 * TAMIS_ERR_INVALID unless len == 64 and every char is a hex digit. */
TAMIS_API tamis_status tamis_pdq_from_hex(const char *hex, size_t len,
                                          tamis_pdq *h);

/* Returns the number of differing bits, 0..256. */
TAMIS_API int tamis_pdq_distance(const tamis_pdq *a, const tamis_pdq *b);

/* ------------------------------------------------------------------------
 * Digests of the file bytes
 * ------------------------------------------------------------------------ */

#define TAMIS_MD5_BYTES 16
#define TAMIS_SHA256_BYTES 32

typedef struct tamis_digests {
    uint8_t md5[TAMIS_MD5_BYTES];
    uint8_t sha256[TAMIS_SHA256_BYTES];
} tamis_digests;

/* Computes MD5 and SHA-256 of `len` bytes at `data` (NULL allowed when
 * len is 0). */
TAMIS_API tamis_status tamis_digests_compute(const void *data, size_t len,
                                             tamis_digests *out);

/* Writes the 2*n lower-case hex digits of `n` bytes and a NUL to `out`. */
TAMIS_API void tamis_hex_encode(const uint8_t *bytes, size_t n, char *out);

/* ------------------------------------------------------------------------
 * Hashing images
 *
 * A tamis_hasher decodes an image (JPEG, PNG, WebP, first frame of GIF;
 * the format is detected from the content, never from a file name) and
 * computes its PDQ hash, quality and digests. It keeps its work buffers
 * between calls, so reuse one per thread.
 *
 * Pixel conversions (doc/image-conversions.md has the details):
 *   - RGB becomes luma Y = 0.299 R + 0.587 G + 0.114 B, in float, as the
 *     reference does; grayscale images are used as they are.
 *   - alpha is dropped (the colour values are used as stored);
 *   - palette images are expanded to their RGB colours;
 *   - 16-bit samples keep their low byte, as the reference (whose CImg
 *     loader casts each 16-bit value to 8 bits) and so the banks do;
 *   - 1, 2 and 4-bit grayscale is scaled to 0..255;
 *   - CMYK and YCCK JPEGs are converted to RGB (inverted Adobe CMYK);
 *   - EXIF orientation is ignored unless TAMIS_HASH_EXIF_ORIENT is set.
 * ------------------------------------------------------------------------ */

typedef struct tamis_hasher tamis_hasher;

typedef enum tamis_image_format {
    TAMIS_FORMAT_UNKNOWN = 0,
    TAMIS_FORMAT_JPEG = 1,
    TAMIS_FORMAT_PNG = 2,
    TAMIS_FORMAT_WEBP = 3,
    TAMIS_FORMAT_GIF = 4
} tamis_image_format;

/* Returns "jpeg", "png", "webp", "gif" or "unknown". */
TAMIS_API const char *tamis_image_format_name(tamis_image_format f);

/* Sniffs the format from the first bytes of a file (12 are enough). */
TAMIS_API tamis_image_format tamis_image_format_detect(const void *data,
                                                       size_t len);

/* Flags for tamis_hash_options.flags. */
enum {
    /* Decode large JPEGs at a reduced size in the DCT domain (1/2, 1/4 or
     * 1/8, keeping at least two reduced pixels in PDQ's box-filter window;
     * progressive files at 1/8 from their DC scans alone) and emulate the
     * full-resolution filter on the result. The hash may then differ from
     * the exact one by a few bits; doc/fast-mode.md gives the measured
     * distances. Images under 385 pixels on a side are never reduced. */
    TAMIS_HASH_FAST = 1u << 0,
    /* Before hashing, squash any image wider or taller than 512 pixels to
     * 512x512 by nearest neighbour, as the reference command-line tool
     * pdq-photo-hasher does. Off by default: the default is the
     * full-resolution convention of HMA and the Python bindings. */
    TAMIS_HASH_RESIZE512 = 1u << 1,
    /* Also compute query-side variant hashes (see tamis_pdq_variant). */
    TAMIS_HASH_VARIANTS = 1u << 2,
    /* Apply the EXIF orientation of JPEGs before hashing. */
    TAMIS_HASH_EXIF_ORIENT = 1u << 3,
    /* Skip the MD5 and SHA-256 digests. */
    TAMIS_HASH_NO_DIGESTS = 1u << 4
};

#define TAMIS_DEFAULT_MAX_PIXELS 100000000ull

typedef struct tamis_hash_options {
    unsigned flags;      /* TAMIS_HASH_* */
    uint64_t max_pixels; /* refuse images declaring more; 0 = default */
} tamis_hash_options;

/* The variant hashes: the 8 dihedral transforms of the image (the hash of
 * the image as if it had been rotated or mirrored before hashing) and the
 * hash of the image with its uniform borders trimmed. They are for queries
 * only; a bank keeps the plain hash. Names follow the reference:
 * ROTATE90 turns the picture a quarter-turn anticlockwise, FLIPX mirrors
 * it about the x axis (top-bottom), FLIPY about the y axis (left-right),
 * FLIPPLUS1 transposes it (mirror about
 * the main diagonal) and FLIPMINUS1 mirrors it about the other diagonal. */
typedef enum tamis_pdq_variant {
    TAMIS_VARIANT_ORIGINAL = 0,
    TAMIS_VARIANT_ROTATE90 = 1,
    TAMIS_VARIANT_ROTATE180 = 2,
    TAMIS_VARIANT_ROTATE270 = 3,
    TAMIS_VARIANT_FLIPX = 4,
    TAMIS_VARIANT_FLIPY = 5,
    TAMIS_VARIANT_FLIPPLUS1 = 6,
    TAMIS_VARIANT_FLIPMINUS1 = 7,
    TAMIS_VARIANT_TRIMMED = 8
} tamis_pdq_variant;

#define TAMIS_MAX_VARIANTS 9

/* Returns "original", "rotate90", ..., "trimmed". */
TAMIS_API const char *tamis_pdq_variant_name(tamis_pdq_variant v);

typedef struct tamis_image_hash {
    tamis_pdq pdq;      /* the PDQ hash */
    int quality;        /* 0..100; below TAMIS_PDQ_MIN_QUALITY: do not match */
    int width, height;  /* of the image as stored in the file */
    tamis_image_format format;
    int has_digests;    /* 0 when TAMIS_HASH_NO_DIGESTS or hashing pixels */
    tamis_digests digests;
    /* With TAMIS_HASH_VARIANTS: n_variants hashes, variant_kind[i] naming
     * each. The 8 dihedral ones always come first; TRIMMED is present only
     * when the image had a uniform border to trim. */
    int n_variants;
    tamis_pdq variants[TAMIS_MAX_VARIANTS];
    tamis_pdq_variant variant_kind[TAMIS_MAX_VARIANTS];
} tamis_image_hash;

/* Creates a hasher. `opts` may be NULL for the defaults (exact PDQ at full
 * resolution, digests, no variants, 100-megapixel limit). */
TAMIS_API tamis_status tamis_hasher_create(const tamis_hash_options *opts,
                                           tamis_hasher **out);

/* Frees a hasher; NULL is accepted. */
TAMIS_API void tamis_hasher_free(tamis_hasher *h);

/* Returns the message of the hasher's last error, or "" after a success.
 * The string belongs to the hasher and lives until its next call. */
TAMIS_API const char *tamis_hasher_errmsg(const tamis_hasher *h);

/* Hashes the image in the file at `path`. */
TAMIS_API tamis_status tamis_hash_image_file(tamis_hasher *h, const char *path,
                                             tamis_image_hash *out);

/* Hashes an encoded image held in memory. */
TAMIS_API tamis_status tamis_hash_image_mem(tamis_hasher *h, const void *data,
                                            size_t len, tamis_image_hash *out);

/* Pixel layouts for tamis_hash_pixels. */
typedef enum tamis_pixel_format {
    TAMIS_PIXEL_GRAY8 = 1, /* 1 byte per pixel */
    TAMIS_PIXEL_RGB8 = 3,  /* R, G, B */
    TAMIS_PIXEL_RGBA8 = 4  /* R, G, B, A; alpha is ignored */
} tamis_pixel_format;

/* Hashes decoded pixels: `height` rows of `width` pixels, rows `stride`
 * bytes apart. Used for video frames; no digests are computed. */
TAMIS_API tamis_status tamis_hash_pixels(tamis_hasher *h, const uint8_t *pixels,
                                         int width, int height, size_t stride,
                                         tamis_pixel_format fmt,
                                         tamis_image_hash *out);

/* ------------------------------------------------------------------------
 * Hashing videos (vPDQ)
 *
 * vPDQ is Meta's video hash (ThreatExchange's vpdq, used by HMA): the PDQ
 * hash and quality of every frame, or of one frame every so many seconds,
 * each with its frame number and timestamp. A tamis_vpdq holds that list
 * of frames; it is filled by hashing a video or by reading the reference's
 * text format, and two of them are compared by the share of frames of each
 * found in the other.
 *
 * Decoding uses FFmpeg (any container and codec it reads; the format is
 * detected from the content), then converts each frame as the reference
 * does: swscale with SWS_AREA to packed RGB24 at the stream's coded size
 * (or squashed to N x N with `downsample`), luma Y = 0.299 R + 0.587 G +
 * 0.114 B in float, PDQ at full resolution. doc/video.md has the details
 * and the measured agreement with the reference's files.
 *
 * FFmpeg's log is process-wide: while hashing a video the library installs
 * a log callback that prints nothing (FFmpeg's error lines go into the
 * handle's message instead). A program that wants FFmpeg's log for its own
 * use of FFmpeg sets its callback again afterwards.
 *
 * Example: hash a video, write the reference's text format, compare.
 *
 *     tamis_vpdq *a, *b;
 *     tamis_vpdq_result r;
 *     tamis_vpdq_create(&a);
 *     tamis_vpdq_create(&b);
 *     if (tamis_vpdq_hash_file(a, "upload.mp4", NULL) != TAMIS_OK)
 *         fprintf(stderr, "upload.mp4: %s\n", tamis_vpdq_errmsg(a));
 *     size_t n = tamis_vpdq_to_text(a, NULL, 0);   // the size, then the text
 *     char *text = malloc(n + 1);
 *     tamis_vpdq_to_text(a, text, n + 1);
 *     ... read a bank's file into b with tamis_vpdq_from_text ...
 *     tamis_vpdq_compare(a, b, NULL, &r);
 *     printf("%.2f %.2f %s\n", r.query_share, r.target_share,
 *            r.match ? "match" : "no match");
 * ------------------------------------------------------------------------ */

typedef struct tamis_vpdq tamis_vpdq;

/* One hashed frame, as in a line of the reference's text format. */
typedef struct tamis_vpdq_frame {
    int frame;        /* the decoder's frame number, from 0 */
    int quality;      /* 0..100; frames under TAMIS_PDQ_MIN_QUALITY are not
                         compared */
    tamis_pdq pdq;
    double timestamp; /* seconds: frame / frame rate, in float as the
                         reference computes it */
} tamis_vpdq_frame;

/* Refuse videos that would give more frames than this by default. */
#define TAMIS_VPDQ_DEFAULT_MAX_FRAMES 10000000ull

typedef struct tamis_vpdq_options {
    /* 0: hash every frame. Otherwise hash frame numbers that are multiples
     * of (int)(seconds_per_hash * frame rate), as the reference does (its
     * -r option; HMA uses 1 second). */
    double seconds_per_hash;
    /* 0: frames at the stream's size. N > 0: squashed to N x N before
     * hashing (the reference's -s option; its "-128x128" sample files use
     * 128). */
    int downsample;
    /* Threads hashing frames beside the decoder (0: one per core). The
     * result does not depend on it. */
    int threads;
    uint64_t max_pixels; /* frame size limit; 0: TAMIS_DEFAULT_MAX_PIXELS */
    uint64_t max_frames; /* 0: TAMIS_VPDQ_DEFAULT_MAX_FRAMES */
    /* How frames become RGB: TAMIS_VPDQ_CONVERT_LIBRARY (0), as the vPDQ
     * library converts them since 2024 (and so HMA and the Python
     * bindings), or TAMIS_VPDQ_CONVERT_FFMPEG_CLI, as the ffmpeg program
     * it piped frames from before did (its sample files of 2022-2023 were
     * made so). The two differ by about a bit per frame, more on dark or
     * flat frames; doc/video.md has the figures. */
    int convert;
} tamis_vpdq_options;

enum { TAMIS_VPDQ_CONVERT_LIBRARY = 0, TAMIS_VPDQ_CONVERT_FFMPEG_CLI = 1 };

/* What the decoder found (zeros and NULLs for a hash read from text). */
typedef struct tamis_video_info {
    int width, height;      /* of the stream, before any downsampling */
    double frame_rate;      /* average, as the reference takes it; 0 if unknown */
    double duration;        /* seconds; 0 if unknown */
    const char *container;  /* FFmpeg's names, e.g. "mov,mp4,m4a,3gp,3g2,mj2" */
    const char *codec;      /* and "h264"; static strings */
} tamis_video_info;

/* Creates an empty list of frames. */
TAMIS_API tamis_status tamis_vpdq_create(tamis_vpdq **out);

/* Frees it; NULL is accepted. */
TAMIS_API void tamis_vpdq_free(tamis_vpdq *v);

/* The message of the last error ("" after a success); it belongs to the
 * handle and lives until its next call. */
TAMIS_API const char *tamis_vpdq_errmsg(const tamis_vpdq *v);

/* Hashes the video in a file, or in memory, replacing the frames held.
 * `opts` may be NULL for the defaults (every frame, full size). Errors:
 * TAMIS_ERR_EMPTY (0 bytes), TAMIS_ERR_UNSUPPORTED (not a video, no video
 * stream, a codec FFmpeg lacks), TAMIS_ERR_CORRUPT (a damaged container,
 * or no frame decodes), TAMIS_ERR_TOO_LARGE (over max_pixels or
 * max_frames, or asking FFmpeg for more memory than it allocates: 2 GiB
 * in one block), TAMIS_ERR_IO. Frames that fail to decode mid-stream are
 * skipped, as FFmpeg skips them; on error the list is left empty. */
TAMIS_API tamis_status tamis_vpdq_hash_file(tamis_vpdq *v, const char *path,
                                            const tamis_vpdq_options *opts);
TAMIS_API tamis_status tamis_vpdq_hash_mem(tamis_vpdq *v, const void *data, size_t len,
                                           const tamis_vpdq_options *opts);

/* The frames held, in frame order: an array of tamis_vpdq_count(v),
 * owned by the handle and valid until it next changes. */
TAMIS_API size_t tamis_vpdq_count(const tamis_vpdq *v);
TAMIS_API const tamis_vpdq_frame *tamis_vpdq_frames(const tamis_vpdq *v);

/* The decoder's view of the last video hashed. */
TAMIS_API void tamis_vpdq_video_info(const tamis_vpdq *v, tamis_video_info *out);

/* The reference's text format: one line per frame,
 * "frame,quality,hash,timestamp\n" (timestamp with 3 decimals), e.g.
 *     0,100,e271017837246aac...0d55c,0.000
 * Writes at most `cap` bytes (NUL included; buf may be NULL when cap is
 * 0) and returns the length of the whole text, as snprintf does. */
TAMIS_API size_t tamis_vpdq_to_text(const tamis_vpdq *v, char *buf, size_t cap);

/* Parses that format (`len` bytes, no NUL needed), replacing the frames
 * held. Lines may end in "\r\n"; blank lines are skipped. A malformed
 * line is TAMIS_ERR_INVALID with its number in the message; text with no
 * frame at all is TAMIS_ERR_EMPTY (the reference refuses both). */
TAMIS_API tamis_status tamis_vpdq_from_text(tamis_vpdq *v, const char *text, size_t len);

/* HMA's form of a vPDQ signal, as banks store it: a JSON array with one
 * string "hash,quality,timestamp" per frame, e.g.
 *     ["e271017837246aac...0d55c,100,0.000", ...]
 * to_signal writes it as to_text does (snprintf-style); from_signal parses
 * it (NUL-terminated), replacing the frames held, numbered from 0. */
TAMIS_API size_t tamis_vpdq_to_signal(const tamis_vpdq *v, char *buf, size_t cap);
TAMIS_API tamis_status tamis_vpdq_from_signal(tamis_vpdq *v, const char *json);

/* Appends one frame (e.g. from a format tamis does not read). */
TAMIS_API tamis_status tamis_vpdq_add_frame(tamis_vpdq *v, const tamis_vpdq_frame *f);

/* How to compare. The defaults (opts NULL) are those of python-
 * threatexchange's VPDQSignal and of HMA. */
typedef struct tamis_vpdq_compare_options {
    int distance;            /* frames match within this many bits (<=) */
    int min_quality;         /* frames of lower quality are left out */
    double query_threshold;  /* percent; match needs query_share >= it */
    double target_threshold; /* percent; and target_share >= it */
} tamis_vpdq_compare_options;

#define TAMIS_VPDQ_COMPARE_DEFAULTS {31, 50, 80.0, 0.0}

typedef struct tamis_vpdq_result {
    /* Frames compared on each side: those of quality >= min_quality,
     * with repeated hashes counted once. */
    size_t query_frames, target_frames;
    /* Of those, how many have a frame of the other side within
     * `distance`, and as percentages (0 when a side has no frame). */
    size_t query_matched, target_matched;
    double query_share, target_share;
    int match; /* both shares at or over their thresholds */
} tamis_vpdq_result;

/* Compares a query video (the upload) with a target (a bank's video) as
 * the reference does; the frame search uses a tamis_index over the target,
 * so it is not quadratic. */
TAMIS_API tamis_status tamis_vpdq_compare(const tamis_vpdq *query, const tamis_vpdq *target,
                                          const tamis_vpdq_compare_options *opts,
                                          tamis_vpdq_result *out);

/* ------------------------------------------------------------------------
 * Video hashing: TMK+PDQF
 *
 * TMK+PDQF is Meta's video hash (ThreatExchange, tmk/), the one GIFCT and
 * Tech Against Terrorism share as .tmk files. A video is resampled to 15
 * frames a second and each frame squashed to 64x64; each frame gives the
 * 256 floats of PDQ before thresholding (PDQF); a tamis_tmk holds their
 * average and their time-domain Fourier features, 263344 bytes as a .tmk
 * file (doc/video.md has the layout and the arithmetic).
 *
 * Two videos are compared in two levels, as the reference does:
 *   - level 1, the cosine similarity of the average features (-1..1),
 *     quick and used to cull;
 *   - level 2, the temporal match kernel at the best time shift (0..1).
 * They match when level 1 >= 0.7 and level 2 >= 0.7 (the reference's
 * defaults; it suggests 0.9 or more for exact copies). Either score of a
 * video with itself is 1.
 *
 * A tamis_tmk is immutable once made; it may be read from several threads.
 * ------------------------------------------------------------------------ */

typedef struct tamis_tmk tamis_tmk;

#define TAMIS_TMK_FPS 15
#define TAMIS_TMK_LEVEL1_THRESHOLD 0.7f
#define TAMIS_TMK_LEVEL2_THRESHOLD 0.7f
/* The size of a .tmk file with the reference's parameters. */
#define TAMIS_TMK_FILE_SIZE 263344

typedef struct tamis_tmk_options {
    int threads;         /* decoder threads; 0: FFmpeg's choice */
    uint64_t max_pixels; /* refuse larger frames; 0: TAMIS_DEFAULT_MAX_PIXELS */
    uint64_t max_frames; /* TAMIS_ERR_TOO_LARGE beyond this many frames at
                            15 fps; 0: 24 hours' worth */
} tamis_tmk_options;

/* Hashes the video in a file, or in `len` bytes of memory (any container
 * and codec FFmpeg reads; audio is ignored). `opts` may be NULL. On error
 * *out is NULL and `err` (may be NULL) gets the reason. Errors:
 * TAMIS_ERR_UNSUPPORTED (not a video, no video stream), TAMIS_ERR_CORRUPT
 * (no frame decodes), TAMIS_ERR_IO, TAMIS_ERR_TOO_LARGE, TAMIS_ERR_EMPTY. */
TAMIS_API tamis_status tamis_tmk_hash_file(const char *path, const tamis_tmk_options *opts,
                                           tamis_tmk **out, char *err, size_t errlen);
TAMIS_API tamis_status tamis_tmk_hash_mem(const void *data, size_t len,
                                          const tamis_tmk_options *opts, tamis_tmk **out,
                                          char *err, size_t errlen);

/* Reads a .tmk file (or its bytes). Any parameters the format can state
 * are accepted within generous limits, but the frame features must be
 * PDQF and the size exactly what the header announces. On error *out is
 * NULL and `err` (may be NULL) gets the reason: TAMIS_ERR_EMPTY,
 * TAMIS_ERR_CORRUPT (truncated, trailing bytes, impossible header values,
 * a non-finite number), TAMIS_ERR_UNSUPPORTED (not a .tmk, not PDQF),
 * TAMIS_ERR_IO, TAMIS_ERR_TOO_LARGE. */
TAMIS_API tamis_status tamis_tmk_read_file(const char *path, tamis_tmk **out, char *err,
                                           size_t errlen);
TAMIS_API tamis_status tamis_tmk_read_mem(const void *data, size_t len, tamis_tmk **out,
                                          char *err, size_t errlen);

/* The form banks store a "tmk" signal in: the .tmk bytes in base64 (RFC
 * 4648, padded; 351 128 characters for a reference-size file). to_base64
 * writes it snprintf-style; read_base64 parses it (NUL-terminated). */
TAMIS_API size_t tamis_tmk_to_base64(const tamis_tmk *t, char *buf, size_t cap);
TAMIS_API tamis_status tamis_tmk_read_base64(const char *b64, tamis_tmk **out, char *err,
                                             size_t errlen);

/* The size in bytes of t's .tmk form (TAMIS_TMK_FILE_SIZE for a hash made
 * here); 0 for NULL. */
TAMIS_API size_t tamis_tmk_size(const tamis_tmk *t);

/* Writes t's .tmk form to `buf`, which must hold tamis_tmk_size(t) bytes
 * (TAMIS_ERR_INVALID if `cap` is smaller). Reading then writing gives
 * back the same bytes. */
TAMIS_API tamis_status tamis_tmk_write_mem(const tamis_tmk *t, void *buf, size_t cap);

/* Writes t as a .tmk file (to a temporary name, then renamed). */
TAMIS_API tamis_status tamis_tmk_write_file(const tamis_tmk *t, const char *path, char *err,
                                            size_t errlen);

/* Frees a tamis_tmk; NULL is accepted. */
TAMIS_API void tamis_tmk_free(tamis_tmk *t);

/* The number of frames hashed (after resampling to 15 fps), and the
 * frame rate the hash was made at. */
TAMIS_API int tamis_tmk_frame_count(const tamis_tmk *t);
TAMIS_API int tamis_tmk_fps(const tamis_tmk *t);

/* The average feature (*dim floats, 256 for PDQF), owned by t: a vector
 * for a nearest-neighbour index of level-1 candidates. */
TAMIS_API const float *tamis_tmk_average(const tamis_tmk *t, int *dim);

/* Nonzero when a and b can be compared: same frame-feature algorithm,
 * frame rate, periods, Fourier coefficients and dimension. */
TAMIS_API int tamis_tmk_compatible(const tamis_tmk *a, const tamis_tmk *b);

/* The level-1 and level-2 scores. TAMIS_ERR_INVALID (and *score 0) when
 * the two are not compatible. A video without frames scores 0. */
TAMIS_API tamis_status tamis_tmk_level1(const tamis_tmk *a, const tamis_tmk *b, float *score);
TAMIS_API tamis_status tamis_tmk_level2(const tamis_tmk *a, const tamis_tmk *b, float *score);

typedef struct tamis_tmk_match {
    float level1;
    float level2;        /* 0 unless level2_computed */
    int level2_computed; /* level 1 reached its threshold */
    int match;           /* level1 >= its threshold and level2 >= its */
} tamis_tmk_match;

/* Both levels as the reference's query tools decide: level 2 only when
 * level 1 is at least level1_threshold, a match when it then is at least
 * level2_threshold (TAMIS_TMK_LEVEL*_THRESHOLD by default; -1 and 0 to
 * always compute both). */
TAMIS_API tamis_status tamis_tmk_compare(const tamis_tmk *a, const tamis_tmk *b,
                                         float level1_threshold, float level2_threshold,
                                         tamis_tmk_match *out);

/* ------------------------------------------------------------------------
 * Text signals
 *
 * Three signals of a text (a post, a message, a manifesto), as the banks'
 * signal types of the same names:
 *   - text_exact: SHA-256 (64 lower-case hex digits) of the normalised
 *     text, so that copies differing only in case, accents, spacing,
 *     punctuation, look-alike letters or invisible characters are equal;
 *   - text_near: a near-duplicate signature of the normalised text, a
 *     string "tn1:" + 256 hex digits (MinHash of its word pairs), compared
 *     by estimated Jaccard similarity (0..1), and found among many with a
 *     tamis_text_index, which does not compare with every entry;
 *   - text_tlsh: the TLSH digest of the text's bytes as given ("T1" + 70
 *     upper-case hex digits), as Trend Micro's TLSH 4.x and
 *     python-threatexchange's TextTLSHSignal compute it; texts under 50
 *     bytes (or too uniform) have none. Two digests match at distance <= 30.
 *
 * Normalisation (doc/text.md has every step and its tables): invalid UTF-8
 * replaced by U+FFFD or refused; NUL and other controls become spaces;
 * NFKC (utf8proc); combining marks removed; look-alike Cyrillic, Greek,
 * Armenian and Latin letters folded to Latin; case folding; format
 * characters (zero-width, bidi controls, soft hyphen) removed; Arabic
 * tatweel removed, alef, yeh, teh marbuta, waw-hamza, keheh variants
 * unified, Arabic-Indic digits made ASCII; punctuation, symbols and
 * whitespace collapsed into single spaces; no space at either end.
 *
 * Example: the three signals of a post, then a near-duplicate lookup.
 *
 *     tamis_text *t;
 *     tamis_text_hash th;
 *     tamis_text_create(NULL, &t);
 *     if (tamis_text_hash_compute(t, post, post_len, &th) != TAMIS_OK)
 *         fprintf(stderr, "%s\n", tamis_text_errmsg(t));
 *     printf("%s %s %s\n", th.exact, th.near, th.tlsh);
 *     tamis_text_index *ix;
 *     tamis_text_index_create(&ix);
 *     tamis_text_index_add(ix, 42, bank_item_near_signature);
 *     tamis_text_index_lookup(ix, th.near, TAMIS_TEXT_NEAR_THRESHOLD,
 *                             print_match, NULL);
 * ------------------------------------------------------------------------ */

typedef struct tamis_text tamis_text;

#define TAMIS_TEXT_EXACT_HEX_LEN 64
#define TAMIS_TEXT_NEAR_LEN 260 /* "tn1:" + 256 hex digits */
#define TAMIS_TLSH_HEX_LEN 72   /* "T1" + 70 hex digits */
#define TAMIS_TLSH_MATCH_DISTANCE 30
#define TAMIS_TLSH_MIN_BYTES 50
/* The similarity at or over which tamis_text_index_lookup's callers should
 * call two texts the same post (chosen on the measurements of
 * doc/text.md: all edits of up to 10 % of the words over it, no two
 * distinct posts of the corpus). */
#define TAMIS_TEXT_NEAR_THRESHOLD 0.4
/* Inputs over this many bytes are refused by default. */
#define TAMIS_TEXT_DEFAULT_MAX_BYTES ((size_t)16 << 20)

/* Flags for tamis_text_options.flags. */
enum {
    /* Refuse invalid UTF-8 (TAMIS_ERR_CORRUPT, with the byte offset of the
     * first bad sequence in tamis_text_error_offset) instead of replacing
     * each bad sequence by U+FFFD (which, a symbol, then separates words). */
    TAMIS_TEXT_REFUSE_INVALID = 1u << 0
};

typedef struct tamis_text_options {
    unsigned flags;   /* TAMIS_TEXT_* */
    size_t max_bytes; /* longer inputs: TAMIS_ERR_TOO_LARGE; 0 = default */
} tamis_text_options;

/* The signals of one text. Empty strings for the signals it lacks. */
typedef struct tamis_text_hash {
    char exact[TAMIS_TEXT_EXACT_HEX_LEN + 1]; /* always set */
    char near[TAMIS_TEXT_NEAR_LEN + 1];       /* "" when no word is left */
    char tlsh[TAMIS_TLSH_HEX_LEN + 1];        /* "" under 50 bytes, or uniform */
    size_t normalised_len;                    /* bytes of the normalised text */
} tamis_text_hash;

/* Creates a text hasher (buffers and the last error); `opts` may be NULL
 * for the defaults (replace invalid UTF-8, 16 MiB limit). */
TAMIS_API tamis_status tamis_text_create(const tamis_text_options *opts, tamis_text **out);

/* Frees it; NULL is accepted. */
TAMIS_API void tamis_text_free(tamis_text *t);

/* The message of the last error ("" after a success), owned by the handle
 * until its next call. */
TAMIS_API const char *tamis_text_errmsg(const tamis_text *t);

/* After TAMIS_ERR_CORRUPT: the byte offset of the first invalid UTF-8
 * sequence of the input. */
TAMIS_API size_t tamis_text_error_offset(const tamis_text *t);

/* Normalises `len` bytes of UTF-8 (NUL bytes are allowed and count as
 * spaces; text may be NULL when len is 0). *out (NUL-terminated) and
 * *out_len belong to the handle and stay valid until its next call.
 * Errors: TAMIS_ERR_TOO_LARGE (over max_bytes), TAMIS_ERR_CORRUPT
 * (invalid UTF-8 with TAMIS_TEXT_REFUSE_INVALID), TAMIS_ERR_NOMEM. Empty
 * input gives an empty text, not an error. */
TAMIS_API tamis_status tamis_text_normalise(tamis_text *t, const void *text, size_t len,
                                            const char **out, size_t *out_len);

/* Computes the three signals of `len` bytes of UTF-8 text: text_exact and
 * text_near of the normalised text, text_tlsh of the bytes as given (as
 * python-threatexchange does). Errors as tamis_text_normalise. */
TAMIS_API tamis_status tamis_text_hash_compute(tamis_text *t, const void *text, size_t len,
                                               tamis_text_hash *out);

/* The TLSH digest of any bytes into out (TAMIS_TLSH_HEX_LEN + 1 chars).
 * Returns TAMIS_DONE and "" when there is none (under 50 bytes, or too
 * few distinct byte patterns, as the reference decides). */
TAMIS_API tamis_status tamis_tlsh_compute(const void *data, size_t len, char *out);

/* The TLSH distance of two digests (0 = same; python-threatexchange
 * matches text at <= 30 without the length term). Digests are "T1" + 70
 * hex digits or the 70 digits alone, either case; anything else is
 * TAMIS_ERR_INVALID. include_length: 1 for Trend Micro's diff (length
 * difference counted), 0 for its diffxlen (as python-threatexchange). */
TAMIS_API tamis_status tamis_tlsh_distance(const char *a, const char *b, int include_length,
                                           int *out);

/* The estimated Jaccard similarity (0..1) of the word pairs of the texts
 * behind two near signatures. TAMIS_ERR_INVALID if either is malformed. */
TAMIS_API tamis_status tamis_text_near_similarity(const char *a, const char *b, double *out);

/* An index of near signatures: each entry an id and a signature; a lookup
 * finds the entries whose similarity to the query is at least a threshold
 * through locality-sensitive hashing (32 tables of 4 bytes of the
 * signature each), verifying each candidate on its whole signature. An id
 * may be given several signatures; removing an id removes them all.
 * Lookups are read-only and may run concurrently; adds and removes need
 * the index to themselves (the caller locks). */
typedef struct tamis_text_index tamis_text_index;

TAMIS_API tamis_status tamis_text_index_create(tamis_text_index **out);
TAMIS_API void tamis_text_index_free(tamis_text_index *ix);
TAMIS_API const char *tamis_text_index_errmsg(const tamis_text_index *ix);

/* Adds a signature (its string form, `len` chars) under `id`.
 * TAMIS_ERR_INVALID if it is malformed. */
TAMIS_API tamis_status tamis_text_index_add(tamis_text_index *ix, uint64_t id,
                                            const char *near, size_t len);

/* Removes every signature of `id`; *removed (may be NULL) gets how many
 * (0 is not an error). */
TAMIS_API tamis_status tamis_text_index_remove(tamis_text_index *ix, uint64_t id,
                                               size_t *removed);

TAMIS_API size_t tamis_text_index_size(const tamis_text_index *ix);
/* Bytes of memory the index holds. */
TAMIS_API size_t tamis_text_index_memory(const tamis_text_index *ix);

/* Called for each match; returning nonzero stops the lookup. */
typedef int (*tamis_text_index_cb)(void *ctx, uint64_t id, double similarity);

/* Calls cb, most similar first, for each entry whose estimated similarity
 * to `near` is >= threshold (TAMIS_TEXT_NEAR_THRESHOLD is the measured
 * choice; thresholds under about 0.3 lose recall, since the hash tables
 * are tuned to find pairs above it). Returns TAMIS_DONE if cb stopped it,
 * TAMIS_ERR_INVALID for a malformed signature. */
TAMIS_API tamis_status tamis_text_index_lookup(const tamis_text_index *ix, const char *near,
                                               size_t len, double threshold,
                                               tamis_text_index_cb cb, void *ctx);

/* ------------------------------------------------------------------------
 * Index of PDQ codes: exact range search in Hamming space
 *
 * A tamis_index holds 256-bit codes, each with a 64-bit id, and finds every
 * code within a radius of a query: exactly (every code within the radius,
 * none beyond), at any radius. It uses multi-index hashing over immutable,
 * compact segments plus a small append buffer, merged as they grow, so
 * adding and removing never rebuild the whole index. An id may be given to
 * several codes (an item with several hashes); removing an id removes all.
 *
 * Threads: searches are read-only and may run concurrently with each
 * other; adding, removing, saving need the index to themselves (the caller
 * locks). tamis_index_search_batch runs a batch on several threads.
 * ------------------------------------------------------------------------ */

typedef struct tamis_index tamis_index;

typedef struct tamis_index_match {
    uint64_t id;
    int distance;
} tamis_index_match;

/* Creates an empty index. */
TAMIS_API tamis_status tamis_index_create(tamis_index **out);

/* Frees an index; NULL is accepted. */
TAMIS_API void tamis_index_free(tamis_index *ix);

/* The message of the index's last error ("" after a success). */
TAMIS_API const char *tamis_index_errmsg(const tamis_index *ix);

/* Adds n codes with their ids (both arrays of n). Adding many codes to an
 * empty index builds it in one pass (bulk build). */
TAMIS_API tamis_status tamis_index_add(tamis_index *ix, const tamis_pdq *codes,
                                       const uint64_t *ids, size_t n);

/* Removes every code whose id is one of ids[0..n), in one pass over the
 * index whatever n is. *removed (may be NULL) gets the number of codes
 * removed; ids not present are not an error. */
TAMIS_API tamis_status tamis_index_remove(tamis_index *ix, const uint64_t *ids,
                                          size_t n, size_t *removed);

/* Number of codes in the index. */
TAMIS_API size_t tamis_index_size(const tamis_index *ix);

/* Bytes of memory the index keeps (for a loaded index, of its mapping). */
TAMIS_API size_t tamis_index_memory(const tamis_index *ix);

/* Called for each match; returning nonzero stops the search. */
typedef int (*tamis_index_cb)(void *ctx, uint64_t id, int distance);

/* Calls cb for every code within `radius` bits of q (0..256), in no
 * particular order. Returns TAMIS_DONE if cb stopped the search. */
TAMIS_API tamis_status tamis_index_search(const tamis_index *ix, const tamis_pdq *q,
                                          int radius, tamis_index_cb cb, void *ctx);

/* Writes the k codes nearest to q (ties by smaller id) to out[], nearest
 * first; *n gets how many there were (fewer when the index is smaller). */
TAMIS_API tamis_status tamis_index_knn(const tamis_index *ix, const tamis_pdq *q,
                                       size_t k, tamis_index_match *out, size_t *n);

/* Results of a batch: the matches of query i are
 * matches[offsets[i] .. offsets[i + 1]), sorted by distance, then id. */
typedef struct tamis_index_results {
    size_t n_queries;
    size_t *offsets;              /* n_queries + 1 */
    tamis_index_match *matches;
} tamis_index_results;

/* Searches nq queries on `threads` threads (0 = all cores). Free the
 * results with tamis_index_results_free. */
TAMIS_API tamis_status tamis_index_search_batch(const tamis_index *ix,
                                                const tamis_pdq *queries, size_t nq,
                                                int radius, int threads,
                                                tamis_index_results *out);
TAMIS_API void tamis_index_results_free(tamis_index_results *r);

/* Saves the index to a compact file (written to a temporary name, then
 * renamed, so a crash leaves the old file or the new one). */
TAMIS_API tamis_status tamis_index_save(tamis_index *ix, const char *path);

/* Loads an index file by mapping it: the codes are not copied, so loading
 * takes little more than checking the file. The file must not change
 * while the index is in use. On error *out is NULL and `err` (may be
 * NULL; at least 256 chars) gets the reason. */
TAMIS_API tamis_status tamis_index_load(const char *path, tamis_index **out,
                                        char *err, size_t errlen);

/* ------------------------------------------------------------------------
 * Index of exact digests (MD5, SHA-256, any fixed-length exact signal)
 *
 * A hash table from digests of a fixed length to 64-bit ids: exact lookup,
 * add, remove by id, save and mapped load, as for the PDQ index. Several
 * ids may share a digest (the same file in several banks).
 * ------------------------------------------------------------------------ */

typedef struct tamis_digest_index tamis_digest_index;

/* Creates an empty index of digests of `digest_len` bytes (1..64: 16 for
 * MD5, 32 for SHA-256). */
TAMIS_API tamis_status tamis_digest_index_create(size_t digest_len,
                                                 tamis_digest_index **out);
TAMIS_API void tamis_digest_index_free(tamis_digest_index *ix);

/* Adds n digests (n * digest_len bytes, back to back) with their ids. */
TAMIS_API tamis_status tamis_digest_index_add(tamis_digest_index *ix,
                                              const uint8_t *digests,
                                              const uint64_t *ids, size_t n);

/* Removes every digest whose id is in ids[0..n); *removed may be NULL. */
TAMIS_API tamis_status tamis_digest_index_remove(tamis_digest_index *ix,
                                                 const uint64_t *ids, size_t n,
                                                 size_t *removed);

/* Calls cb(ctx, id, 0) for every id stored with this digest. Returns
 * TAMIS_DONE if cb stopped the lookup. */
TAMIS_API tamis_status tamis_digest_index_lookup(const tamis_digest_index *ix,
                                                 const uint8_t *digest,
                                                 tamis_index_cb cb, void *ctx);

TAMIS_API size_t tamis_digest_index_size(const tamis_digest_index *ix);
TAMIS_API size_t tamis_digest_index_memory(const tamis_digest_index *ix);

/* Save (atomically, as tamis_index_save) and load by mapping the file; a
 * loaded index is copied to memory on its first change. */
TAMIS_API tamis_status tamis_digest_index_save(const tamis_digest_index *ix,
                                               const char *path);
TAMIS_API tamis_status tamis_digest_index_load(const char *path,
                                               tamis_digest_index **out,
                                               char *err, size_t errlen);

/* ------------------------------------------------------------------------
 * URL signals
 *
 * A URL is matched as Google Safe Browsing matches it (Safe Browsing API
 * v4, "URLs and Hashing"; doc/url.md has the rules and the differences):
 *
 *   1. it is canonicalised: tabs, CR, LF and the fragment removed, percent-
 *      escapes undone repeatedly, the host's dots trimmed and collapsed,
 *      IPv4 addresses in any form (octal, hex, fewer than 4 parts) written
 *      as 4 decimals, international names turned into punycode (libidn2),
 *      the host lower-cased, the port and user name dropped, /./ /../ and
 *      // resolved in the path, the query kept; then every byte <= 32 or
 *      >= 127, '#' and '%' escaped (upper-case hex). "www.Example.com:80/a/
 *      ../b#top" becomes "http://www.example.com/b".
 *   2. it is expanded into at most 30 expressions, "host-suffix/path-
 *      prefix" strings: up to 5 hosts (the host, then up to 4 suffixes
 *      among its last five labels; an IP address alone) times up to 6
 *      paths (the path with and without its query, and up to 4 directories
 *      from the root). "https://www.example.com/videos/x?y=1" gives
 *      "www.example.com/videos/x?y=1", ..., "example.com/videos/",
 *      "example.com/".
 *
 * A tamis_url_index holds bank entries, each an id and either an
 * EXPRESSION (matched when it is one of the URL's expressions: the entry
 * "example.com/videos/" matches everything under /videos/ on example.com
 * and its subdomains) or a DOMAIN (matched by the domain and every
 * subdomain at any depth: the entry "example.com" matches
 * "http://a.b.c.d.e.example.com/x"). Entries are stored canonically, so
 * "HTTP://Example.COM/videos/" and "example.com/videos/" are the same.
 * A lookup canonicalises and expands the URL and reports every entry that
 * matches with the expression (or domain) that matched it.
 *
 * The DOMAIN entries export as a DNS RPZ zone (BIND, Unbound, Knot) or a
 * hosts file, for ISPs that block at the resolver.
 *
 * Example: canonicalise, then match against an index.
 *
 *     char canon[TAMIS_URL_CANON_MAX + 1], err[256];
 *     if (tamis_url_canonicalize(s, strlen(s), canon, sizeof canon, NULL,
 *                                err, sizeof err) != TAMIS_OK)
 *         fprintf(stderr, "%s: %s\n", s, err);
 *
 *     tamis_url_index *ix;
 *     tamis_url *u;
 *     tamis_url_index_create(&ix);
 *     tamis_url_create(&u);
 *     tamis_url_index_add(ix, "example.com/videos/", 19, TAMIS_URL_AUTO, 42);
 *     if (tamis_url_parse(u, s, strlen(s)) == TAMIS_OK)
 *         tamis_url_index_lookup(ix, u, print_match, NULL);
 *     else
 *         fprintf(stderr, "%s: %s\n", s, tamis_url_errmsg(u));
 * ------------------------------------------------------------------------ */

/* Longer URLs (in bytes, as given) are refused with TAMIS_ERR_TOO_LARGE. */
#define TAMIS_URL_MAX_LEN 8192
/* No canonical URL is longer than this (escaping triples a byte). */
#define TAMIS_URL_CANON_MAX (3 * TAMIS_URL_MAX_LEN + 64)
#define TAMIS_URL_MAX_HOSTS 5
#define TAMIS_URL_MAX_PATHS 6
#define TAMIS_URL_MAX_EXPRESSIONS (TAMIS_URL_MAX_HOSTS * TAMIS_URL_MAX_PATHS)

/* Canonicalises `len` bytes (no NUL needed; NUL bytes are escaped like
 * other control bytes) into `out`, which gets the canonical URL and a NUL
 * if `cap` allows (TAMIS_URL_CANON_MAX + 1 always does); *out_len (may be
 * NULL) gets its length. Errors, with the reason in `err` (may be NULL):
 * TAMIS_ERR_EMPTY (nothing but spaces), TAMIS_ERR_TOO_LARGE (over
 * TAMIS_URL_MAX_LEN, or over `cap`: *out_len then says what is needed),
 * TAMIS_ERR_INVALID (no host, a scheme without "//", a port that is not a
 * number, a broken IPv6 address, an international name IDNA refuses...). */
TAMIS_API tamis_status tamis_url_canonicalize(const char *url, size_t len, char *out,
                                              size_t cap, size_t *out_len, char *err,
                                              size_t errlen);

/* The same into a new string (NUL-terminated; the caller frees it with
 * free()). *out is NULL on error. */
TAMIS_API tamis_status tamis_url_canonicalize_alloc(const char *url, size_t len, char **out,
                                                    char *err, size_t errlen);

/* A parsed URL: its canonical form and expressions, and the buffers to
 * make them (a few tens of KB), reused from one URL to the next. */
typedef struct tamis_url tamis_url;

TAMIS_API tamis_status tamis_url_create(tamis_url **out);
TAMIS_API void tamis_url_free(tamis_url *u);

/* The message of the last error ("" after a success), owned by u. */
TAMIS_API const char *tamis_url_errmsg(const tamis_url *u);

/* Canonicalises a URL into u. Errors as tamis_url_canonicalize; after
 * one, u holds no URL (its count of expressions is 0). */
TAMIS_API tamis_status tamis_url_parse(tamis_url *u, const char *url, size_t len);

/* The canonical URL (NUL-terminated) and its host, owned by u and valid
 * until its next parse. *len may be NULL. */
TAMIS_API const char *tamis_url_canonical(const tamis_url *u, size_t *len);
TAMIS_API const char *tamis_url_host(const tamis_url *u, size_t *len);

/* The number of expressions (1..TAMIS_URL_MAX_EXPRESSIONS), and
 * expression i: `*len` bytes (NOT NUL-terminated: print with "%.*s")
 * owned by u. Expressions come host by host, the full host first; for
 * each, the path with query, without, then the directories from "/". */
TAMIS_API size_t tamis_url_expression_count(const tamis_url *u);
TAMIS_API const char *tamis_url_expression(const tamis_url *u, size_t i, size_t *len);

typedef enum tamis_url_kind {
    TAMIS_URL_AUTO = 0,       /* DOMAIN for a bare host name (no scheme, no
                                 '/', no '?'), else EXPRESSION */
    TAMIS_URL_EXPRESSION = 1, /* a URL or "host/path": matched as an expression */
    TAMIS_URL_DOMAIN = 2      /* a host name: matches it and all subdomains */
} tamis_url_kind;

/* An index of URL entries. Lookups are read-only and may run concurrently
 * (each with its own tamis_url); adds and removes need the index to
 * themselves (the caller locks). */
typedef struct tamis_url_index tamis_url_index;

TAMIS_API tamis_status tamis_url_index_create(tamis_url_index **out);
TAMIS_API void tamis_url_index_free(tamis_url_index *ix);
TAMIS_API const char *tamis_url_index_errmsg(const tamis_url_index *ix);

/* Adds an entry under `id` (any URL form canonicalises: "Example.com/a",
 * "https://example.com/a#x" and "example.com/a" are the same EXPRESSION).
 * A DOMAIN entry must have no path or query beyond "/". Errors as
 * tamis_url_canonicalize (reason in tamis_url_index_errmsg); adding the
 * same entry and id twice stores it once. */
TAMIS_API tamis_status tamis_url_index_add(tamis_url_index *ix, const char *entry, size_t len,
                                           tamis_url_kind kind, uint64_t id);

/* Removes every entry of the ids in ids[0..n), in one pass whatever n is;
 * *removed (may be NULL) gets how many entries went. */
TAMIS_API tamis_status tamis_url_index_remove(tamis_url_index *ix, const uint64_t *ids,
                                              size_t n, size_t *removed);

/* Entries held, and bytes of memory the index uses. */
TAMIS_API size_t tamis_url_index_size(const tamis_url_index *ix);
TAMIS_API size_t tamis_url_index_memory(const tamis_url_index *ix);

/* One match: the entry's id and kind, and what of the URL matched it (the
 * expression, or for a DOMAIN the host suffix), `len` bytes not NUL-
 * terminated, valid during the callback. */
typedef struct tamis_url_match {
    uint64_t id;
    tamis_url_kind kind;
    const char *matched;
    size_t len;
} tamis_url_match;

/* Called for each match; returning nonzero stops the lookup. */
typedef int (*tamis_url_match_cb)(void *ctx, const tamis_url_match *m);

/* Calls cb for every entry matching the URL parsed into u: DOMAIN matches
 * first, then EXPRESSION matches in the order of the expressions. An id
 * is reported once per entry that matches (an id with two matching
 * entries, twice). Returns TAMIS_DONE if cb stopped the lookup,
 * TAMIS_ERR_INVALID if u holds no URL. */
TAMIS_API tamis_status tamis_url_index_lookup(const tamis_url_index *ix, const tamis_url *u,
                                              tamis_url_match_cb cb, void *ctx);

/* Which entries an export takes: 1 to keep the entry of `id`. */
typedef int (*tamis_url_filter_cb)(void *ctx, uint64_t id);

typedef struct tamis_rpz_options {
    const char *zone;       /* the zone's name, e.g. "rpz.example.org"
                               (names too long under it are skipped);
                               NULL: "rpz.invalid" */
    const char *ns;         /* its NS (absolute); NULL: "localhost." */
    const char *hostmaster; /* SOA mailbox; NULL: "hostmaster.localhost." */
    uint32_t serial;        /* SOA serial; 0: 1 */
    uint32_t ttl;           /* 0: 300 seconds */
} tamis_rpz_options;

/* Writes the DOMAIN entries kept by `filter` (NULL: all) as an RPZ zone:
 * $TTL, SOA and NS, then "name CNAME ." and "*.name CNAME ." (NXDOMAIN for
 * the name and its subdomains) per domain, in sorted order, each once;
 * a domain under another listed one is left out (the wildcard covers it).
 * Names are relative, so the file loads under any zone name. IP addresses
 * and names that are not DNS names (label over 63, other characters than
 * letters, digits, '-' and '_') are skipped. *written and *skipped (may
 * be NULL) get the counts of domains. TAMIS_ERR_IO if writing fails. */
TAMIS_API tamis_status tamis_url_index_write_rpz(const tamis_url_index *ix,
                                                 const tamis_rpz_options *opts,
                                                 tamis_url_filter_cb filter, void *ctx,
                                                 FILE *f, size_t *written, size_t *skipped);

/* The same domains as a hosts file, one "ADDRESS name" line each
 * (`address` NULL: "0.0.0.0"). A hosts file has no wildcards: subdomains
 * are blocked only when listed themselves, so none is left out. */
TAMIS_API tamis_status tamis_url_index_write_hosts(const tamis_url_index *ix,
                                                   const char *address,
                                                   tamis_url_filter_cb filter, void *ctx,
                                                   FILE *f, size_t *written, size_t *skipped);

/* ------------------------------------------------------------------------
 * Banks and their storage
 *
 * A bank (a hash list a platform matches against: a GIFCT list, a removal
 * order's items, its own past removals) holds content items, each with one
 * or more signals: a signal type ("pdq", "md5", "sha256"; later "vpdq",
 * "tmk", "text", "url") and its value as text (hex for hashes). Deleting
 * an item, or disabling it (disabled_until in the future), stops it
 * matching at once.
 *
 * A tamis_db stores them: SQLite by default (a file, WAL, nothing to set
 * up) or PostgreSQL (several tamis servers sharing one database). Every
 * change is also written, in the same transaction, to a change log that
 * matchers follow (tamis_db_changes), so that a hash added through any
 * path is matchable within a second, on every server.
 *
 * Strings in the structs below are owned by whoever filled the struct:
 * the caller, or the library for results, released with the matching
 * _clear function. JSON-valued fields (labels, thresholds, policy,
 * metadata) are JSON texts, checked when stored (TAMIS_ERR_INVALID
 * otherwise) and given back exactly as stored; NULL stays NULL. Text
 * fields must be UTF-8.
 *
 * Functions that call back return TAMIS_DONE when the callback stopped
 * them by returning nonzero. A callback may call other functions on the
 * same handle (look a bank up, delete the item it was given), except that
 * tamis_db_signals_scan's may only read.
 *
 * On PostgreSQL, every transaction that writes to the change log sends
 * NOTIFY tamis_changes when it commits (from a trigger of the schema), so
 * that other servers can LISTEN on the channel rather than poll; on
 * SQLite, followers poll tamis_db_changes, which is one index lookup when
 * there is nothing new. Writers are serialised (one write transaction at
 * a time per database; on SQLite a writer waits up to 5 s for another),
 * so that the change log's order is the order changes were committed in.
 * ------------------------------------------------------------------------ */

typedef struct tamis_db tamis_db;

/* Opens (creating if needed, and migrating to the current schema) the
 * database at `url`: "postgresql://..." or "postgres://..." for
 * PostgreSQL, "sqlite:PATH" or a plain PATH for SQLite. On error *out is
 * NULL and err (may be NULL) gets the reason. A handle is used by one
 * thread at a time; open one per thread. */
TAMIS_API tamis_status tamis_db_open(const char *url, tamis_db **out, char *err,
                                     size_t errlen);
TAMIS_API void tamis_db_close(tamis_db *db);
TAMIS_API const char *tamis_db_errmsg(const tamis_db *db);
/* "sqlite" or "postgresql". */
TAMIS_API const char *tamis_db_backend(const tamis_db *db);

typedef struct tamis_bank {
    char *name;        /* [A-Z_][A-Z0-9_]*, at most 100 chars (as HMA) */
    char *description; /* may be NULL */
    double enabled_ratio; /* HMA's matching_enabled_ratio: 0 = disabled, 1 = on */
    char *labels;      /* JSON array of strings, or NULL for [] */
    char *thresholds;  /* JSON object signal type -> max distance, or NULL
                          for the defaults ({"pdq": 31}) */
    char *policy;      /* JSON object used by the actions (issue 7), or NULL */
    int64_t created_at, updated_at; /* Unix seconds; set by the store */
} tamis_bank;

TAMIS_API void tamis_bank_clear(tamis_bank *b);

/* Creates a bank. TAMIS_ERR_INVALID for a bad name or JSON field, or an
 * enabled_ratio outside 0..1; TAMIS_ERR_EXISTS if the name is taken. */
TAMIS_API tamis_status tamis_db_bank_create(tamis_db *db, const tamis_bank *b);
/* Fills *out (clear it after). TAMIS_ERR_NOT_FOUND if there is none. */
TAMIS_API tamis_status tamis_db_bank_get(tamis_db *db, const char *name, tamis_bank *out);
/* Replaces every field of bank `name` by b's (b->name may rename it;
 * TAMIS_ERR_EXISTS if that name is taken). created_at is kept. */
TAMIS_API tamis_status tamis_db_bank_update(tamis_db *db, const char *name,
                                            const tamis_bank *b);
/* Deletes a bank and all its content. */
TAMIS_API tamis_status tamis_db_bank_delete(tamis_db *db, const char *name);
/* Calls cb for each bank in name order; cb returns nonzero to stop. The
 * bank passed is only valid during the call. */
typedef int (*tamis_bank_cb)(void *ctx, const tamis_bank *b);
TAMIS_API tamis_status tamis_db_bank_list(tamis_db *db, tamis_bank_cb cb, void *ctx);

typedef struct tamis_signal {
    char *type;  /* "pdq", "md5", "sha256", ... */
    char *value; /* lower-case hex for hashes */
} tamis_signal;

typedef struct tamis_content {
    int64_t id;            /* set by the store */
    char *bank;
    char *labels;          /* JSON array of strings, or NULL */
    char *source;          /* where it came from (a list, an import), or NULL */
    char *note;            /* or NULL */
    char *metadata;        /* JSON object, or NULL */
    int64_t added_at;      /* Unix seconds; set by the store */
    int64_t disabled_until;/* Unix seconds; 0 = enabled */
    size_t n_signals;
    tamis_signal *signals;
} tamis_content;

TAMIS_API void tamis_content_clear(tamis_content *c);

/* Adds an item and its signals (at least one) to c->bank; *id (may be
 * NULL) gets its id; ids are never reused. c->id, added_at and the
 * signals' order are the store's. A signal type is 1 to 32 characters of
 * [a-z0-9_]; values are checked for their type (64 hex digits for pdq, 32
 * for md5, 64 for sha256, normalised to lower case; other types: any
 * non-empty text, stored as given). TAMIS_ERR_NOT_FOUND if the bank does
 * not exist; TAMIS_ERR_INVALID if a signal is bad or given twice. */
TAMIS_API tamis_status tamis_db_content_add(tamis_db *db, const tamis_content *c,
                                            int64_t *id);
/* Adds one signal to an existing item (checked and normalised as above).
 * TAMIS_ERR_EXISTS if the item already has it. */
TAMIS_API tamis_status tamis_db_signal_add(tamis_db *db, int64_t content_id,
                                           const tamis_signal *s);
TAMIS_API tamis_status tamis_db_content_get(tamis_db *db, int64_t id, tamis_content *out);
/* Updates labels, source, note, metadata and disabled_until of item c->id. */
TAMIS_API tamis_status tamis_db_content_update(tamis_db *db, const tamis_content *c);
TAMIS_API tamis_status tamis_db_content_delete(tamis_db *db, int64_t id);
/* Items of a bank with id > after_id, by id, at most `limit` (0 = all),
 * read a page at a time (items added meanwhile may be listed too).
 * TAMIS_ERR_NOT_FOUND if the bank does not exist. */
typedef int (*tamis_content_cb)(void *ctx, const tamis_content *c);
TAMIS_API tamis_status tamis_db_content_list(tamis_db *db, const char *bank,
                                             int64_t after_id, size_t limit,
                                             tamis_content_cb cb, void *ctx);
/* Finds the items of a bank that have this signal (for imports that
 * delete by hash). */
TAMIS_API tamis_status tamis_db_content_find(tamis_db *db, const char *bank,
                                             const tamis_signal *s,
                                             tamis_content_cb cb, void *ctx);

/* The change log. kind says what changed; the other fields say to what
 * (fields not listed are 0 or NULL). */
typedef enum tamis_change_kind {
    /* content_id, bank, type, value (as stored), disabled_until (the
     * item's): one per signal, when an item is added and when a signal is
     * added to it */
    TAMIS_CHANGE_SIGNAL_ADDED = 1,
    TAMIS_CHANGE_CONTENT_DELETED = 2,/* content_id, bank */
    TAMIS_CHANGE_CONTENT_UPDATED = 3,/* content_id, bank, disabled_until */
    /* bank: created or updated (enabled_ratio, thresholds... may have
     * changed: read it again). When it was renamed, bank is the new name
     * and value the former one. */
    TAMIS_CHANGE_BANK_UPDATED = 4,
    /* bank, with all its items: one change for the whole bank */
    TAMIS_CHANGE_BANK_DELETED = 5
} tamis_change_kind;

typedef struct tamis_change {
    int64_t seq;
    tamis_change_kind kind;
    int64_t content_id;
    const char *bank, *type, *value;
    int64_t disabled_until;
} tamis_change;

typedef int (*tamis_change_cb)(void *ctx, const tamis_change *c);
/* Calls cb for changes with seq > since, in order, at most `limit` (0 =
 * all); *last (may be NULL) gets the seq of the last change passed to cb
 * (or since). Seqs increase but may have gaps. The strings of a change
 * are valid during the call. On error *last is left as it was. */
TAMIS_API tamis_status tamis_db_changes(tamis_db *db, int64_t since, size_t limit,
                                        tamis_change_cb cb, void *ctx, int64_t *last);

/* Every signal of every item of every bank, enabled or not, for building
 * indexes: calls cb(ctx, content_id, bank, type, value, disabled_until),
 * in no particular order, strings valid during the call. *seq (may be
 * NULL) gets the change-log position the listing is consistent with: it
 * reflects every change up to *seq and none after, so a follower goes on
 * with tamis_db_changes(db, *seq, ...). The listing is one snapshot of
 * the database: cb may read through the handle (and sees that snapshot)
 * but not write. Not allowed inside an import's open transaction. */
typedef int (*tamis_signal_scan_cb)(void *ctx, int64_t content_id, const char *bank,
                                    const char *type, const char *value,
                                    int64_t disabled_until);
TAMIS_API tamis_status tamis_db_signals_scan(tamis_db *db, tamis_signal_scan_cb cb,
                                             void *ctx, int64_t *seq);

/* ---- API tokens ---------------------------------------------------------
 * Clients of the service send "Authorization: Bearer <token>". Tokens are
 * random, stored only as SHA-256 hashes, and checked in constant time.
 * Roles: "matcher" (hash, lookup), "curator" (banks, content, imports, and
 * what matcher may), "admin" (everything). */

#define TAMIS_TOKEN_LEN 43 /* base64url of 32 random bytes */

/* Creates a token for `role` ("matcher", "curator" or "admin", else
 * TAMIS_ERR_INVALID) with a label (may be NULL); writes it (NUL
 * terminated) to token, which must hold TAMIS_TOKEN_LEN + 1 chars. It is
 * shown once: only its hash is kept. */
TAMIS_API tamis_status tamis_db_token_create(tamis_db *db, const char *role,
                                             const char *label, char *token);
/* TAMIS_OK and the role in role[32] if the token is valid;
 * TAMIS_ERR_NOT_FOUND otherwise (whatever the string: a token that is
 * not 43 base64url characters is simply unknown). */
TAMIS_API tamis_status tamis_db_token_check(tamis_db *db, const char *token, char *role);

/* ---- Import and export --------------------------------------------------
 * Streaming: rows are read, checked and written in batches; a malformed
 * row is reported (with its position) and skipped, never stopping the
 * import. Tombstones in the input (deleted, should_delete, hashStatus
 * "deleted"...) remove the items with that signal. */

typedef enum tamis_import_format {
    TAMIS_IMPORT_AUTO = 0,     /* guessed from the first bytes */
    TAMIS_IMPORT_HMA_LOCAL = 1,/* HMA local_file: "<type> <hash>" per line */
    TAMIS_IMPORT_HASHLIST = 2, /* tamis hash list (pdq hashes, ids) */
    TAMIS_IMPORT_PYTX_CSV = 3, /* ThreatExchange/pytx CSV */
    TAMIS_IMPORT_TCAP_JSON = 4,/* Tech Against Terrorism TCAP hash-list pages */
    TAMIS_IMPORT_NCMEC_XML = 5,/* NCMEC hash-sharing XML */
    TAMIS_IMPORT_STOPNCII_JSON = 6,/* StopNCII hash pages */
    TAMIS_IMPORT_VPDQ = 7,     /* one video's vPDQ file (vpdq-hash-video's text) */
    TAMIS_IMPORT_TMK = 8,      /* one video's .tmk file (tmk-hash-video) */
    TAMIS_IMPORT_URL_LIST = 9, /* one URL or domain a line (never sniffed) */
    TAMIS_IMPORT_TEXT_LINES = 10 /* one text a line, stored as its hashes (never sniffed) */
} tamis_import_format;

/* Returns "hma", "hashlist", "pytx-csv", "tcap-json", "ncmec-xml",
 * "stopncii-json", or NULL; and the reverse. */
TAMIS_API const char *tamis_import_format_name(tamis_import_format f);
TAMIS_API tamis_import_format tamis_import_format_from_name(const char *name);

typedef struct tamis_import_report {
    uint64_t read;    /* rows (records) read */
    uint64_t added;   /* items added */
    uint64_t removed; /* items removed by tombstones */
    uint64_t skipped; /* rows skipped: malformed, unsupported type, duplicate */
} tamis_import_report;

/* Called for each skipped row: its position (line, or record number for
 * JSON/XML) and why. */
typedef void (*tamis_import_reject_cb)(void *ctx, uint64_t position, const char *why);

/* Reads `in` (a FILE open for reading) in `format` into bank `bank`
 * (created if missing, enabled). `source` (may be NULL) is recorded on
 * each item.
 *
 * Rows are committed in batches (TAMIS_IMPORT_BATCH_ROWS records a
 * transaction unless tamis_db_set_import_batch says otherwise), each whole
 * or not at all: an import stopped anywhere (killed, a power cut, an
 * error) leaves the bank with the effect of its first k whole batches,
 * never part of one, and importing the same input again
 * skips the rows already there and completes it, without duplicates.
 * The bank is created in a transaction of its own before the first batch,
 * so it may exist, empty, after an import stopped early. */
TAMIS_API tamis_status tamis_db_import(tamis_db *db, const char *bank, FILE *in,
                                       tamis_import_format format, const char *source,
                                       tamis_import_reject_cb reject, void *ctx,
                                       tamis_import_report *report);

#define TAMIS_IMPORT_BATCH_ROWS 10000
/* Sets how many records a transaction of tamis_db_import on this handle
 * holds (0: TAMIS_IMPORT_BATCH_ROWS). Other writers of the database wait
 * while a batch is written: about half a second for the default on
 * SQLite, but tens of seconds on PostgreSQL, where each row costs a few
 * round trips; smaller batches make those waits shorter and the import
 * slower. TAMIS_ERR_INVALID if db is NULL. */
TAMIS_API tamis_status tamis_db_set_import_batch(tamis_db *db, unsigned rows);

/* Writes bank `bank` to `out` in `format` (HMA local_file, hash list or
 * pytx CSV). */
TAMIS_API tamis_status tamis_db_export(tamis_db *db, const char *bank, FILE *out,
                                       tamis_import_format format, uint64_t *rows);

/* ------------------------------------------------------------------------
 * The matcher: every bank's signals in memory, kept in step with the db
 *
 * A tamis_matcher loads the signals of all banks into indexes (PDQ by
 * Hamming distance, digests exactly) and follows the database's change
 * log (tamis_matcher_sync, called by a background thread in the service
 * every 200 ms), so that an item added, disabled or deleted on any server
 * sharing the database matches or stops matching within a second. Lookups
 * may run on many threads while a sync applies changes.
 * ------------------------------------------------------------------------ */

typedef struct tamis_matcher tamis_matcher;

/* One match: the bank item whose signal matched, and how. */
typedef struct tamis_match {
    const char *bank;     /* valid during the callback */
    int64_t content_id;
    const char *signal_type;
    int distance;         /* 0 for exact signals */
    double enabled_ratio; /* the bank's; banks at 0 never match. A caller
                             sampling as HMA does (match when ratio >=
                             a coin flip per lookup) uses it. */
    /* Video signals, whose match is not one distance (distance is 0):
     * "vpdq": the query's and the bank video's share of matching frames,
     * in percent (a match: the first >= 80, as HMA); "tmk": the level-1
     * and level-2 scores (a match: both >= 0.7); "text_near": the
     * estimated similarity (0..1, a match >= 0.4) in score[0]. 0 for
     * other types. */
    double score[2];
    /* "url": the expression or domain of the URL that matched the bank's
     * entry (valid during the callback); NULL for other types. */
    const char *matched;
} tamis_match;

typedef int (*tamis_match_cb)(void *ctx, const tamis_match *m);

/* Opens the database at db_url and loads every signal. */
TAMIS_API tamis_status tamis_matcher_create(const char *db_url, tamis_matcher **out,
                                            char *err, size_t errlen);

/* The same, starting from a snapshot directory written by
 * tamis_matcher_save when it is there and belongs to this database (the
 * indexes are mapped, not rebuilt; the changes logged since are applied),
 * and by a full load otherwise. snapshot_dir may be NULL. */
TAMIS_API tamis_status tamis_matcher_open(const char *db_url, const char *snapshot_dir,
                                          tamis_matcher **out, char *err, size_t errlen);

/* Writes the matcher's state to snapshot_dir (replaced atomically), so
 * that the next start maps it instead of scanning the database. */
TAMIS_API tamis_status tamis_matcher_save(tamis_matcher *m, const char *snapshot_dir);

/* The change-log position of the snapshot the matcher was opened from or
 * last saved to (0 if none): when it equals tamis_matcher_seq, saving
 * again would write the same state. */
TAMIS_API int64_t tamis_matcher_snapshot_seq(tamis_matcher *m);
TAMIS_API void tamis_matcher_free(tamis_matcher *m);

/* Applies the changes logged since the last sync. *applied (may be NULL)
 * gets their number. */
TAMIS_API tamis_status tamis_matcher_sync(tamis_matcher *m, size_t *applied);

/* Matches a signal given as text (type "pdq", "md5", "sha256"): calls cb
 * for every enabled item of a bank with enabled_ratio > 0 whose signal is
 * within the bank's threshold for that type (or `radius` if >= 0), while
 * holding a read lock: cb must not call the matcher. Unknown types:
 * TAMIS_ERR_UNSUPPORTED; a malformed value: TAMIS_ERR_INVALID. */
TAMIS_API tamis_status tamis_matcher_lookup(tamis_matcher *m, const char *type,
                                            const char *value, int radius,
                                            tamis_match_cb cb, void *ctx);

/* The same for a PDQ hash already in binary form. */
TAMIS_API tamis_status tamis_matcher_lookup_pdq(tamis_matcher *m, const tamis_pdq *q,
                                                int radius, tamis_match_cb cb, void *ctx);

/* Number of signals of `type` indexed, and the change-log position the
 * matcher has applied. */
TAMIS_API size_t tamis_matcher_count(tamis_matcher *m, const char *type);
TAMIS_API int64_t tamis_matcher_seq(tamis_matcher *m);

/* ------------------------------------------------------------------------
 * Hash lists: the plain text format for banks and queries
 *
 * One hash per line as 64 hex digits (either case), optionally followed by
 * whitespace and an id (the rest of the line, trimmed). Blank lines and
 * lines starting with '#' are ignored. doc/formats.md has the details.
 * ------------------------------------------------------------------------ */

/* Parses one line (without its newline). Returns TAMIS_OK with the code,
 * and the id in *id / *idlen (idlen 0 when absent); TAMIS_DONE for a blank
 * or comment line; TAMIS_ERR_INVALID with a fixed reason in *why. */
TAMIS_API tamis_status tamis_hashlist_parse_line(const char *line, size_t len,
                                                 tamis_pdq *code, const char **id,
                                                 size_t *idlen, const char **why);

/* ------------------------------------------------------------------------
 * Acting on matches, within the law (lib/act/)
 *
 * What a hosting provider must do once content is found or ordered down
 * (Regulation 2021/784 "TCO", the Digital Services Act): statements of
 * reasons, preservation of removed content, signed notices to the
 * platform, and the tamper-evident audit log every action goes to. Times
 * are Unix seconds from a tamis_clock, so that tests can run the law's
 * deadlines on a simulated clock.
 * ------------------------------------------------------------------------ */

/* A source of time: now() in Unix seconds (with a fraction). NULL
 * anywhere a clock is taken means the system's real-time clock. */
typedef struct tamis_clock {
    double (*now)(void *ctx);
    void *ctx;
} tamis_clock;

/* The time from `c` (NULL: the system clock). */
TAMIS_API double tamis_clock_now(const tamis_clock *c);

/* ---- act: audit log ---- */

/* Every action (a removal, an order executed, a preserved item read...)
 * appends an entry to the database's audit log. Each entry's hash covers
 * its fields and the hash of the entry before it, so that changing,
 * removing or reordering an entry breaks the chain from there on; the
 * database also refuses UPDATE and DELETE on the log. Removing the last
 * entries is found only by comparing the head hash with one kept
 * elsewhere (tamis_audit_verify gives it; publish or store it apart). */
typedef struct tamis_audit_entry {
    int64_t seq;        /* 1, 2, 3... */
    int64_t at_us;      /* Unix time in microseconds */
    const char *actor;  /* who: a token's label or role, "system", a command */
    const char *action; /* what: e.g. "order.executed", "preserve.read" */
    const char *subject;/* on what (may be NULL): an item, an order... */
    const char *detail; /* a JSON object (may be NULL) */
    char prev_hash[65], hash[65]; /* hex SHA-256 */
} tamis_audit_entry;

typedef int (*tamis_audit_cb)(void *ctx, const tamis_audit_entry *e);

/* Appends an entry at the clock's time (NULL: the system's); *seq (may be
 * NULL) gets its number. actor and action are required; detail, if given,
 * must be a JSON object. Runs in its own transaction, or in the caller's. */
TAMIS_API tamis_status tamis_audit_append(tamis_db *db, const tamis_clock *clock,
                                          const char *actor, const char *action,
                                          const char *subject, const char *detail,
                                          int64_t *seq);

/* Calls cb for at most `limit` entries after `since` (0: from the first),
 * in order. Strings are valid during the call. TAMIS_DONE if cb stopped. */
TAMIS_API tamis_status tamis_audit_list(tamis_db *db, int64_t since, size_t limit,
                                        tamis_audit_cb cb, void *ctx);

typedef struct tamis_audit_report {
    int64_t entries;   /* entries read */
    int64_t first_bad; /* the first entry that does not hold, 0 if none */
    char head[65];     /* the hash of the last entry ("" for an empty log) */
    char problem[256]; /* what is wrong with first_bad */
} tamis_audit_report;

/* Walks the whole log: TAMIS_OK if every entry holds (numbers 1..n in
 * order, each hash right, each linked to the one before), else
 * TAMIS_ERR_CORRUPT with the first entry that does not and why. */
TAMIS_API tamis_status tamis_audit_verify(tamis_db *db, tamis_audit_report *r);

/* ---- act: removal orders (TCO Art 3) ---- */

/* A removal order from a competent authority (Regulation 2021/784, Art 3
 * and Annex I). The provider must remove or disable the content within
 * one hour of receipt. The clock stops while a clarification is awaited
 * (Art 3(8)) or force majeure lasts (Art 3(7)), and starts again, for a
 * full hour, when it ends. Every step is written to the audit log. */
typedef enum tamis_order_state {
    TAMIS_ORDER_RECEIVED = 1,      /* the hour is running */
    TAMIS_ORDER_CLARIFICATION = 2, /* clarification requested: clock stopped */
    TAMIS_ORDER_FORCE_MAJEURE = 3, /* force majeure: clock stopped */
    TAMIS_ORDER_EXECUTED = 4,      /* content removed or disabled */
    TAMIS_ORDER_REJECTED = 5       /* not executed, with a reason */
} tamis_order_state;

typedef struct tamis_order {
    int64_t id;
    /* Annex I (the caller fills these to create an order) */
    const char *authority;     /* the issuing competent authority */
    const char *member_state;  /* its Member State, ISO 3166 alpha-2 ("FR") */
    const char *reference;     /* the order's reference */
    double issued_at;          /* date and time of issue (Unix seconds) */
    const char *locators;      /* JSON array of URLs or other locators */
    const char *reasons;       /* why the content is terrorist content */
    const char *redress;       /* how to challenge the order */
    int withhold_information;  /* Art 11(3): do not inform the content provider yet */
    /* Kept by tamis (read back by tamis_order_get) */
    tamis_order_state state;
    double received_at;        /* as recorded at receipt, from the clock */
    double deadline;           /* when the hour runs out (0 while stopped) */
    double executed_at;        /* 0 until executed */
    int on_time;               /* executed at or before the deadline */
    double clock_stopped;      /* seconds the clock stood still, in all */
    const char *note;          /* the last step's note or reason */
    char receipt[65];          /* SHA-256 over the order and its receipt time */
    void *doc_;                /* tamis's: holds the strings above */
} tamis_order;

/* The state's name ("received", "clarification_requested",
 * "force_majeure", "executed", "rejected"; "?" if out of range), and the
 * state of a name (0 for NULL or an unknown one). */
TAMIS_API const char *tamis_order_state_name(tamis_order_state s);
TAMIS_API tamis_order_state tamis_order_state_from_name(const char *name);

/* Records an order received now (the clock's time): validates Annex I's
 * fields, starts the hour, audits it as `actor`; *id gets its number. */
TAMIS_API tamis_status tamis_order_receive(tamis_db *db, const tamis_clock *clock,
                                           const char *actor, const tamis_order *o,
                                           int64_t *id);

/* The steps: to = TAMIS_ORDER_CLARIFICATION or _FORCE_MAJEURE stops the
 * clock (from RECEIVED); to = TAMIS_ORDER_RECEIVED restarts it (from
 * either) with a full hour; _EXECUTED and _REJECTED end the order (a
 * rejection needs a note). Any other move is TAMIS_ERR_INVALID. */
TAMIS_API tamis_status tamis_order_step(tamis_db *db, const tamis_clock *clock,
                                        const char *actor, int64_t id, tamis_order_state to,
                                        const char *note);

/* The order (strings valid until the next call on db, or tamis_order_clear). */
TAMIS_API tamis_status tamis_order_get(tamis_db *db, int64_t id, tamis_order *out);
TAMIS_API void tamis_order_clear(tamis_order *o);

/* The Annex II-style confirmation of an executed order as JSON (the
 * order's reference and authority, the content's locators, the time of
 * removal, on time or not); *json is malloc'd, free() it. */
TAMIS_API tamis_status tamis_order_confirmation(tamis_db *db, int64_t id, char **json);

/* Open orders (RECEIVED) whose deadline is within `within` seconds of
 * now or already past, for alerts; cb gets each (valid during the call). */
typedef int (*tamis_order_cb)(void *ctx, const tamis_order *o);
TAMIS_API tamis_status tamis_order_due(tamis_db *db, const tamis_clock *clock, double within,
                                       tamis_order_cb cb, void *ctx);

/* Every order, in id order (for reports). */
TAMIS_API tamis_status tamis_order_list(tamis_db *db, tamis_order_cb cb, void *ctx);

/* ---- act: decisions, policies and the review queue ---- */

/* A bank's policy (its `policy` field, a JSON object) says what a match
 * leads to:
 *     {"trusted": true, "action": "remove" | "disable",
 *      "auto": {"pdq": 10, "md5": 0}, "review": {"pdq": 31, "vpdq": 0}}
 * A match at a distance <= auto[type], from a trusted bank, is acted on
 * at once (an automated decision); one <= review[type] goes to human
 * review; beyond, nothing. Types without a distance (md5, url...) use 0.
 * Without a policy every match goes to review. */
typedef enum tamis_action {
    TAMIS_ACTION_NONE = 0,
    TAMIS_ACTION_REMOVE = 1,
    TAMIS_ACTION_DISABLE = 2,
    TAMIS_ACTION_REVIEW = 3,   /* to the review queue */
    TAMIS_ACTION_KEEP = 4,     /* a reviewer's: not actioned */
    TAMIS_ACTION_ESCALATE = 5  /* a reviewer's: to a senior reviewer */
} tamis_action;

/* The action's name ("none", "remove", "disable", "review", "keep",
 * "escalate"; "?" if out of range), and the action of a name
 * (TAMIS_ACTION_NONE for NULL or an unknown one). */
TAMIS_API const char *tamis_action_name(tamis_action a);
TAMIS_API tamis_action tamis_action_from_name(const char *name);

/* What `policy` (may be NULL) decides for a match of signal_type at
 * distance. TAMIS_ERR_INVALID if the policy is not one. */
TAMIS_API tamis_status tamis_policy_decide(const char *policy, const char *signal_type,
                                           int distance, tamis_action *out);

typedef enum tamis_decision_state {
    TAMIS_DECISION_PENDING = 1, /* waiting in the review queue */
    TAMIS_DECISION_DONE = 2     /* decided (automatically or by a reviewer) */
} tamis_decision_state;

/* A decision on one piece of content, explainable: which bank, item,
 * signal, variant and distance caused it, whether detection and decision
 * were automated (the DSA's automated_detection / automated_decision). */
typedef struct tamis_decision {
    int64_t id;
    const char *puid;        /* the platform's id for the content */
    const char *bank;
    int64_t content_id;      /* the bank item that matched */
    const char *signal_type;
    const char *variant;     /* of the query ("original" if none) */
    int distance;
    tamis_action action;     /* REVIEW while pending */
    tamis_decision_state state;
    int automated_detection, automated_decision;
    const char *claimed_by;  /* the reviewer holding it, or NULL */
    double claimed_until;
    const char *reviewer, *reason;
    double created_at, decided_at;
    int escalated;           /* a reviewer passed it on; still pending */
    /* Where the platform keeps the content (http or https), for the
     * reviewer's screen; tamis keeps the address, never the media. */
    const char *media_url;
    void *doc_;              /* tamis's: holds the strings above */
} tamis_decision;

/* Records what a match leads to under its bank's policy: an automated
 * decision (action REMOVE or DISABLE), a pending review, or nothing
 * (TAMIS_DONE, nothing recorded). d->puid, bank, content_id,
 * signal_type, variant, distance and media_url (NULL, or an http(s) URL
 * of at most 2048 bytes: TAMIS_ERR_INVALID otherwise) are the caller's; *id and *action
 * (may be NULL) get the outcome. Audited as `actor`. */
TAMIS_API tamis_status tamis_decision_record(tamis_db *db, const tamis_clock *clock,
                                             const char *actor, const tamis_decision *d,
                                             int64_t *id, tamis_action *action);

TAMIS_API tamis_status tamis_decision_get(tamis_db *db, int64_t id, tamis_decision *out);
TAMIS_API void tamis_decision_clear(tamis_decision *d);

typedef int (*tamis_decision_cb)(void *ctx, const tamis_decision *d);
/* Decisions in id order; state 0 for all. */
TAMIS_API tamis_status tamis_decision_list(tamis_db *db, tamis_decision_state state,
                                           tamis_decision_cb cb, void *ctx);

/* Claims a pending decision for `reviewer` for `lease` seconds: no other
 * reviewer gets it meanwhile (TAMIS_ERR_EXISTS, naming who holds it). */
TAMIS_API tamis_status tamis_review_claim(tamis_db *db, const tamis_clock *clock,
                                          const char *reviewer, int64_t id, double lease);

/* Decides a decision the reviewer holds: REMOVE, DISABLE, KEEP or
 * ESCALATE (back to the queue, unclaimed), with a reason. With
 * false_positive (and KEEP), the bank item that matched is disabled, so
 * that it stops matching. Audited. */
TAMIS_API tamis_status tamis_review_decide(tamis_db *db, const tamis_clock *clock,
                                           const char *reviewer, int64_t id,
                                           tamis_action action, const char *reason,
                                           int false_positive);

/* ---- act: notices and complaints ---- */

/* A notice (DSA Art 16) from a user or a trusted flagger (Art 22) about a
 * piece of content: acknowledged on intake, decided, and its outcome sent
 * to the notifier with the redress open to them. */
typedef enum tamis_notice_state {
    TAMIS_NOTICE_RECEIVED = 1,
    TAMIS_NOTICE_DECIDED = 2
} tamis_notice_state;

typedef struct tamis_notice {
    int64_t id;
    const char *puid;           /* the content noticed */
    const char *locator;        /* its URL or other locator */
    const char *explanation;    /* why the notifier holds it illegal */
    int trusted_flagger;        /* from a trusted flagger (Art 22) */
    const char *notifier;       /* how to reach the notifier (kept out of reports) */
    tamis_notice_state state;
    double received_at, acknowledged_at, decided_at;
    tamis_action action;        /* REMOVE, DISABLE or KEEP once decided */
    const char *reason;
    const char *outcome;        /* the text sent to the notifier, with redress */
    void *doc_;
} tamis_notice;

/* Intake: records the notice and its acknowledgement (both at the clock's
 * time); *id gets its number. */
TAMIS_API tamis_status tamis_notice_receive(tamis_db *db, const tamis_clock *clock,
                                            const char *actor, const tamis_notice *n,
                                            int64_t *id);
/* Decides it (REMOVE, DISABLE or KEEP, with a reason) and composes the
 * outcome for the notifier (the decision, its reason, and the redress:
 * the internal complaint system, out-of-court settlement, the courts). */
TAMIS_API tamis_status tamis_notice_decide(tamis_db *db, const tamis_clock *clock,
                                           const char *actor, int64_t id, tamis_action action,
                                           const char *reason);
TAMIS_API tamis_status tamis_notice_get(tamis_db *db, int64_t id, tamis_notice *out);
TAMIS_API void tamis_notice_clear(tamis_notice *n);
typedef int (*tamis_notice_cb)(void *ctx, const tamis_notice *n);
TAMIS_API tamis_status tamis_notice_list(tamis_db *db, tamis_notice_cb cb, void *ctx);

/* A complaint (TCO Art 10, DSA Art 20) by the content provider against a
 * removal: either a decision (decision_id) or an executed removal order
 * (order_id). It must be answered within two weeks (TCO Art 10(2));
 * upheld, the content is reinstated. The provider is informed of the
 * removal (TCO Art 11) unless the order withholds it. */
typedef enum tamis_complaint_state {
    TAMIS_COMPLAINT_OPEN = 1,
    TAMIS_COMPLAINT_UPHELD = 2,   /* the removal was wrong: reinstated */
    TAMIS_COMPLAINT_REJECTED = 3  /* the removal stands */
} tamis_complaint_state;

typedef struct tamis_complaint {
    int64_t id;
    int64_t decision_id, order_id; /* what it is against (one of them) */
    const char *puid;
    const char *grounds;           /* the provider's reasons */
    tamis_complaint_state state;
    double received_at, due_at, answered_at;
    int answered_in_time;          /* answered by due_at */
    int reinstated;
    const char *answer;            /* the reasons given to the provider */
    void *doc_;
} tamis_complaint;

#define TAMIS_COMPLAINT_DAYS 14

TAMIS_API tamis_status tamis_complaint_receive(tamis_db *db, const tamis_clock *clock,
                                               const char *actor, const tamis_complaint *c,
                                               int64_t *id);
/* Answers it: upheld (and the content reinstated: *reinstate is what the
 * caller must do on its platform, recorded here) or rejected, with the
 * reasons for the provider. */
TAMIS_API tamis_status tamis_complaint_answer(tamis_db *db, const tamis_clock *clock,
                                              const char *actor, int64_t id, int upheld,
                                              const char *answer);
TAMIS_API tamis_status tamis_complaint_get(tamis_db *db, int64_t id, tamis_complaint *out);
TAMIS_API void tamis_complaint_clear(tamis_complaint *c);
typedef int (*tamis_complaint_cb)(void *ctx, const tamis_complaint *c);
TAMIS_API tamis_status tamis_complaint_list(tamis_db *db, tamis_complaint_cb cb, void *ctx);

/* ---- act: transparency report ---- */

/* The transparency report (TCO Art 7(3), DSA Art 15) for the period
 * [from, to) in Unix seconds (from < to, at most 3660 days): items
 * removed or disabled (decisions decided in the period, by signal type,
 * by bank, automated or reviewed), removal orders received in the period
 * (executed within the hour or late, time to removal, clock stops,
 * rejections and their reasons), notices and complaints received in the
 * period and their outcomes, reinstatements, and a series per UTC day.
 * doc/transparency.md defines every field. Nothing personal is in it: no
 * puid, no notifier, no complaint text; a rejection reason that holds an
 * e-mail address, phone number or IP address is replaced by a note.
 * *json (or *html) is a new NUL-terminated string the caller frees with
 * free(); NULL on error. TAMIS_ERR_INVALID for a bad period. */
TAMIS_API tamis_status tamis_report_json(tamis_db *db, double from, double to, char **json);

/* The same report as one self-contained HTML page: inline CSS, inline
 * SVG plots (items removed or disabled per day; the time-to-removal
 * histogram of orders with the one-hour line), no scripts, no external
 * resources. */
TAMIS_API tamis_status tamis_report_html(tamis_db *db, double from, double to, char **html);

/* ---- act: statements of reasons ---- */
/* Statements of reasons (DSA Art. 17 and 24(5)): for every decision to
 * remove, disable or restrict content, an online platform sends the EU's
 * DSA Transparency Database a statement without personal data. tamis
 * writes them in the database's JSON schema (the field names and the
 * upper-case enumeration values of its API), checks them as the database
 * does, and batches them for its multiple-statements endpoint. doc/sor.md
 * has the rules, their sources, and how a tamis decision maps onto them.
 *
 * A typical decision: a video removed after a TCO removal order (the
 * database files authority orders outside DSA Art. 9 under "other
 * notification"), found by hash matching, confirmed by a person:
 *
 *     tamis_sor s = {0};
 *     s.visibility = TAMIS_SOR_VIS_REMOVED;
 *     s.ground = TAMIS_SOR_GROUND_ILLEGAL;
 *     s.legal_ground = "Regulation (EU) 2021/784, Art. 3 (removal order)";
 *     s.ground_explanation = "Terrorist content within Art. 2(7) ...";
 *     s.category = TAMIS_SOR_CATEGORY_TERRORISM;
 *     s.content_types = TAMIS_SOR_CONTENT_VIDEO;
 *     s.content_date = ...; s.application_date = ...;
 *     s.source = TAMIS_SOR_SOURCE_OTHER_NOTIFICATION;
 *     s.automated_detection = 1;
 *     s.automated_decision = TAMIS_SOR_NOT_AUTOMATED;
 *     s.puid = "tamis-decision-1234";
 *     s.decision_facts = "...";
 *     if (tamis_sor_to_json(&s, &json, &problem) != TAMIS_OK)
 *         fprintf(stderr, "%s: %s\n", problem.field, problem.message);
 */

/* The first thing wrong with a statement: the schema's name of the field
 * ("" when no one field is at fault), which statement of a batch (-1 for
 * a single one) and what is wrong, in words. */
typedef struct tamis_sor_problem {
    char field[64];
    long index;
    char message[256];
} tamis_sor_problem;

/* decision_visibility, a set: what was done to the content. */
enum {
    TAMIS_SOR_VIS_REMOVED = 1u << 0,     /* DECISION_VISIBILITY_CONTENT_REMOVED */
    TAMIS_SOR_VIS_DISABLED = 1u << 1,    /* ..._CONTENT_DISABLED */
    TAMIS_SOR_VIS_DEMOTED = 1u << 2,     /* ..._CONTENT_DEMOTED */
    TAMIS_SOR_VIS_AGE_RESTRICTED = 1u << 3,         /* ..._CONTENT_AGE_RESTRICTED */
    TAMIS_SOR_VIS_INTERACTION_RESTRICTED = 1u << 4, /* ..._CONTENT_INTERACTION_RESTRICTED */
    TAMIS_SOR_VIS_LABELLED = 1u << 5,    /* ..._CONTENT_LABELLED */
    TAMIS_SOR_VIS_OTHER = 1u << 6        /* DECISION_VISIBILITY_OTHER: say what in visibility_other */
};

/* content_type, a set (at least one). The schema has no URL type: a link
 * is CONTENT_TYPE_TEXT, or OTHER with content_type_other "URL". */
enum {
    TAMIS_SOR_CONTENT_APP = 1u << 0,
    TAMIS_SOR_CONTENT_AUDIO = 1u << 1,
    TAMIS_SOR_CONTENT_IMAGE = 1u << 2,
    TAMIS_SOR_CONTENT_PRODUCT = 1u << 3,
    TAMIS_SOR_CONTENT_SYNTHETIC_MEDIA = 1u << 4,
    TAMIS_SOR_CONTENT_TEXT = 1u << 5,
    TAMIS_SOR_CONTENT_VIDEO = 1u << 6,
    TAMIS_SOR_CONTENT_OTHER = 1u << 7    /* say what in content_type_other */
};

/* Zero is "not given" in each of these enumerations. */
typedef enum tamis_sor_ground {
    TAMIS_SOR_GROUND_ILLEGAL = 1,        /* DECISION_GROUND_ILLEGAL_CONTENT */
    TAMIS_SOR_GROUND_INCOMPATIBLE = 2    /* DECISION_GROUND_INCOMPATIBLE_CONTENT (terms) */
} tamis_sor_ground;

typedef enum tamis_sor_source {
    TAMIS_SOR_SOURCE_ARTICLE_16 = 1,     /* SOURCE_ARTICLE_16: a notice (DSA Art. 16) */
    TAMIS_SOR_SOURCE_TRUSTED_FLAGGER = 2,/* SOURCE_TRUSTED_FLAGGER */
    TAMIS_SOR_SOURCE_OTHER_NOTIFICATION = 3, /* SOURCE_TYPE_OTHER_NOTIFICATION: also
                                          * authority orders such as TCO removal orders */
    TAMIS_SOR_SOURCE_VOLUNTARY = 4       /* SOURCE_VOLUNTARY: own initiative (hash matching) */
} tamis_sor_source;

typedef enum tamis_sor_automation {
    TAMIS_SOR_FULLY_AUTOMATED = 1,       /* AUTOMATED_DECISION_FULLY */
    TAMIS_SOR_PARTIALLY_AUTOMATED = 2,   /* AUTOMATED_DECISION_PARTIALLY */
    TAMIS_SOR_NOT_AUTOMATED = 3          /* AUTOMATED_DECISION_NOT_AUTOMATED */
} tamis_sor_automation;

typedef enum tamis_sor_yes_no {
    TAMIS_SOR_UNSET = 0, TAMIS_SOR_YES = 1, TAMIS_SOR_NO = 2
} tamis_sor_yes_no;

typedef enum tamis_sor_account {
    TAMIS_SOR_ACCOUNT_NONE = 0,
    TAMIS_SOR_ACCOUNT_SUSPENDED = 1,     /* DECISION_ACCOUNT_SUSPENDED */
    TAMIS_SOR_ACCOUNT_TERMINATED = 2     /* DECISION_ACCOUNT_TERMINATED */
} tamis_sor_account;

typedef enum tamis_sor_account_type {
    TAMIS_SOR_ACCOUNT_TYPE_NONE = 0,
    TAMIS_SOR_ACCOUNT_TYPE_BUSINESS = 1, /* ACCOUNT_TYPE_BUSINESS */
    TAMIS_SOR_ACCOUNT_TYPE_PRIVATE = 2   /* ACCOUNT_TYPE_PRIVATE */
} tamis_sor_account_type;

typedef enum tamis_sor_provision {
    TAMIS_SOR_PROVISION_NONE = 0,
    TAMIS_SOR_PROVISION_PARTIAL_SUSPENSION = 1, /* DECISION_PROVISION_PARTIAL_SUSPENSION */
    TAMIS_SOR_PROVISION_TOTAL_SUSPENSION = 2,
    TAMIS_SOR_PROVISION_PARTIAL_TERMINATION = 3,
    TAMIS_SOR_PROVISION_TOTAL_TERMINATION = 4
} tamis_sor_provision;

typedef enum tamis_sor_monetary {
    TAMIS_SOR_MONETARY_NONE = 0,
    TAMIS_SOR_MONETARY_SUSPENSION = 1,   /* DECISION_MONETARY_SUSPENSION */
    TAMIS_SOR_MONETARY_TERMINATION = 2,
    TAMIS_SOR_MONETARY_OTHER = 3         /* say what in monetary_other */
} tamis_sor_monetary;

/* The category and keyword tamis's content falls under: terrorist content
 * is a "risk for public security" in the schema's classification. Any
 * STATEMENT_CATEGORY_... or KEYWORD_... of the schema may be given. */
#define TAMIS_SOR_CATEGORY_TERRORISM "STATEMENT_CATEGORY_RISK_FOR_PUBLIC_SECURITY"
#define TAMIS_SOR_CATEGORY_VIOLENCE "STATEMENT_CATEGORY_VIOLENCE"
#define TAMIS_SOR_KEYWORD_TERRORIST_CONTENT "KEYWORD_TERRORIST_CONTENT"

#define TAMIS_SOR_BATCH_MAX 100 /* statements per call of the multiple endpoint */

/* One decision. Strings are UTF-8, NULL when absent, borrowed (never
 * freed by tamis). Dates are Unix seconds, written as the UTC day
 * (YYYY-MM-DD); 0 means absent. Free texts are refused if they hold an
 * e-mail address, a phone number or an IP address (Art. 24(5): no
 * personal data); doc/sor.md says what is detected. */
typedef struct tamis_sor {
    /* What was done: at least one of visibility, monetary, provision,
     * account. */
    unsigned visibility;            /* TAMIS_SOR_VIS_* */
    const char *visibility_other;   /* with TAMIS_SOR_VIS_OTHER, <= 500 chars */
    tamis_sor_monetary monetary;
    const char *monetary_other;     /* with TAMIS_SOR_MONETARY_OTHER */
    tamis_sor_provision provision;
    tamis_sor_account account;
    tamis_sor_account_type account_type;
    int64_t end_date_visibility, end_date_monetary, end_date_service,
        end_date_account;           /* 0: indefinite */

    /* Why. ILLEGAL needs legal_ground (illegal_content_legal_ground,
     * <= 500) and ground_explanation (illegal_content_explanation,
     * <= 2000); INCOMPATIBLE needs them as incompatible_content_ground and
     * incompatible_content_explanation, and may say whether the content is
     * also illegal. */
    tamis_sor_ground ground;
    const char *legal_ground;
    const char *ground_explanation;
    tamis_sor_yes_no incompatible_illegal; /* INCOMPATIBLE only */
    const char *ground_reference_url;      /* decision_ground_reference_url */

    const char *category;                  /* required: STATEMENT_CATEGORY_... */
    const char *const *category_addition;  /* more STATEMENT_CATEGORY_... */
    size_t n_category_addition;
    const char *const *keywords;           /* category_specification: KEYWORD_... */
    size_t n_keywords;
    const char *keyword_other;             /* category_specification_other */

    unsigned content_types;                /* TAMIS_SOR_CONTENT_*, required */
    const char *content_type_other;        /* with TAMIS_SOR_CONTENT_OTHER */
    const char *content_language;          /* ISO 639-1, upper case ("EN") */
    int64_t content_date;                  /* required, 2000-01-01 .. 2038-01-01 */
    int64_t application_date;              /* required, 2020-01-01 .. 2038-01-01 */

    const char *decision_facts;            /* required, <= 5000 chars */
    tamis_sor_source source;               /* required */
    const char *source_identity;           /* not with SOURCE_VOLUNTARY, <= 500 */
    int automated_detection;               /* found by automated means (hashes) */
    tamis_sor_automation automated_decision; /* required */
    const char *const *territorial_scope;  /* EU/EEA country codes ("DE") */
    size_t n_territorial_scope;
    const char *puid;                      /* required, unique: [A-Za-z0-9_-], <= 500 */
} tamis_sor;

/* Checks `s` against the database's rules (required fields, allowed
 * values, the conditional ones, lengths, dates, no personal data).
 * TAMIS_OK, or TAMIS_ERR_INVALID with the first problem in *problem (may
 * be NULL); TAMIS_ERR_NOMEM. */
TAMIS_API tamis_status tamis_sor_validate(const tamis_sor *s, tamis_sor_problem *problem);

/* The statement as the JSON object the database's single-statement
 * endpoint takes, after the checks of tamis_sor_validate. *json is a new
 * NUL-terminated string the caller frees with free(); NULL on error. */
TAMIS_API tamis_status tamis_sor_to_json(const tamis_sor *s, char **json,
                                         tamis_sor_problem *problem);

/* `n` statements, 1 to TAMIS_SOR_BATCH_MAX, as the multiple-statements
 * endpoint takes them: {"statements": [...]}. Each is checked, and their
 * puids must differ; the problem's index says which statement failed.
 * TAMIS_ERR_INVALID for n = 0 or n > 100. The caller frees *json. */
TAMIS_API tamis_status tamis_sor_batch_to_json(const tamis_sor *s, size_t n, char **json,
                                               tamis_sor_problem *problem);

/* Checks `len` bytes of JSON text, one statement object, by the same
 * rules (a statement written elsewhere, or edited by hand). Keys the
 * schema does not know are refused. */
TAMIS_API tamis_status tamis_sor_validate_json(const char *json, size_t len,
                                               tamis_sor_problem *problem);

/* The same for a batch: {"statements": [1 to 100 objects]}. */
TAMIS_API tamis_status tamis_sor_validate_batch_json(const char *json, size_t len,
                                                     tamis_sor_problem *problem);

/* Returns the first e-mail address, phone number or IP address found in
 * the `len` bytes at `text` as TAMIS_ERR_INVALID, its kind ("an e-mail
 * address"...) in *what and its byte offset in *offset (either may be
 * NULL); TAMIS_OK when none is found. */
TAMIS_API tamis_status tamis_sor_find_personal_data(const char *text, size_t len,
                                                    const char **what, size_t *offset);


/* Its puid is the content's puid, '-' and the decision's id: the
 * database wants one per statement, and content may get several.
 *
 * The statement of reasons for decision `id` (removed or disabled; a
 * pending or kept decision restricts nothing and has none), as the
 * database's JSON: illegal content under Regulation 2021/784, category
 * public security with the keyword terrorist content, source voluntary
 * (own-initiative hash matching), automated detection, a decision fully
 * automated or not, and facts that say which bank, item, signal, variant
 * and distance caused it. content_types (TAMIS_SOR_CONTENT_*; 0: from the
 * signal type) and content_date (0: the decision's date) are the
 * platform's to give. *json is malloc'd; problem (may be NULL) says what
 * failed the database's rules. */
TAMIS_API tamis_status tamis_decision_statement(tamis_db *db, int64_t id, unsigned content_types,
                                                int64_t content_date, char **json,
                                                tamis_sor_problem *problem);

/* The statements of the next (up to TAMIS_SOR_BATCH_MAX) decisions with
 * ids after `after` that removed or disabled content, as one
 * {"statements": [...]} body for the database's multiple-statements
 * endpoint. *count gets how many are in it (*json NULL when 0), *last the
 * last id looked at (the `after` of the next call; equal to `after` when
 * none is left). A decision whose statement breaks the rules is left out
 * and counted in *skipped, the first one's problem in *problem. */
TAMIS_API tamis_status tamis_decision_statements(tamis_db *db, int64_t after, char **json,
                                                 int64_t *last, size_t *count, size_t *skipped,
                                                 tamis_sor_problem *problem);

/* ---- act: preservation ---- */

/*
 * Preservation (TCO Art 6): content removed or disabled, and its metadata,
 * kept for 6 months (longer under a legal hold) so that it can be given to
 * the authorities or reinstated after a complaint, then destroyed.
 *
 * A store is a directory (never inside the database) holding one file per
 * item, encrypted with AES-256-GCM under a 32-byte key kept in a file of
 * its own (tamis_preserve_keygen makes one), outside that directory. A
 * file's header (id, times, legal hold, content type, sizes) is in clear
 * but authenticated: a wrong key, a flipped byte or an edited expiry makes
 * tamis_preserve_read fail with TAMIS_ERR_CORRUPT. Files are written to a
 * temporary name, synced and renamed, so a crash leaves the old state or
 * the new one. doc/preservation.md has the file format and the duties.
 *
 *     tamis_preserve_store *s;
 *     char err[256];
 *     int64_t expires;
 *     if (tamis_preserve_open("/var/lib/tamis/preserved", "/etc/tamis/preserve.key",
 *                             NULL, audit_cb, audit_ctx, &s, err, sizeof err) != TAMIS_OK)
 *         return fprintf(stderr, "%s\n", err), 1;
 *     tamis_preserve_put(s, "upload-1234", bytes, len, "image/jpeg",
 *                        "{\"bank\":\"TCAP\",\"order\":\"FR-2024-17\"}", 0, &expires);
 *     ...
 *     size_t removed;
 *     tamis_preserve_purge(s, (int64_t)tamis_clock_now(NULL), &removed, NULL);  (daily)
 *     tamis_preserve_close(s);
 * ------------------------------------------------------------------------ */

/* 183 days: the six months of TCO Art 6(2). */
#define TAMIS_PRESERVE_DEFAULT_RETENTION ((int64_t)183 * 86400)
#define TAMIS_PRESERVE_KEY_BYTES 32
#define TAMIS_PRESERVE_MAX_ID 256                   /* bytes of an item id */
#define TAMIS_PRESERVE_MAX_CONTENT ((size_t)1 << 30) /* 1 GiB an item */

typedef struct tamis_preserve_store tamis_preserve_store;

/* Called after each access that succeeded, with `action` one of
 * "preserve", "read", "hold", "release", "purge" and the item's id, so
 * that the caller can write it to the audit log. Both strings are valid
 * only during the call. */
typedef void (*tamis_preserve_access_fn)(void *ctx, const char *action, const char *id);

/* Creates a key file at `path`: 32 random bytes (OpenSSL's RAND_bytes),
 * mode 0600, synced. Refuses (TAMIS_ERR_EXISTS) to replace any existing
 * file, since that would make everything preserved under it unreadable.
 * `err` (may be NULL) receives a message on error. */
TAMIS_API tamis_status tamis_preserve_keygen(const char *path, char *err, size_t errlen);

/* Opens the store in directory `dir` (created with mode 0700 if missing)
 * with the key in `key_path`, which must be a regular file of exactly 32
 * bytes that neither group nor others may read, not inside `dir`; anything
 * else is refused (TAMIS_ERR_INVALID, TAMIS_ERR_IO) with a message in
 * `err`. `clock` (NULL: the system's) is copied; its ctx must outlive the
 * store. `on_access` may be NULL. On error *out is NULL. */
TAMIS_API tamis_status tamis_preserve_open(const char *dir, const char *key_path,
                                           const tamis_clock *clock,
                                           tamis_preserve_access_fn on_access,
                                           void *access_ctx, tamis_preserve_store **out,
                                           char *err, size_t errlen);
/* Wipes the key from memory and frees the store. NULL does nothing. */
TAMIS_API void tamis_preserve_close(tamis_preserve_store *s);
TAMIS_API const char *tamis_preserve_errmsg(const tamis_preserve_store *s);

/* Preserves `len` bytes of `content` (len may be 0) under `id` (1 to 256
 * bytes, no control characters), with `content_type` (NULL or at most 255
 * printable ASCII chars, e.g. "image/jpeg") and `metadata_json` (NULL or a
 * JSON object: bank, item, signal, reason, order reference...), both
 * encrypted with the content. The item expires `retention` seconds from
 * the clock's now (0: TAMIS_PRESERVE_DEFAULT_RETENTION), written to
 * *expires (may be NULL). TAMIS_ERR_EXISTS when `id` is already
 * preserved; TAMIS_ERR_TOO_LARGE over TAMIS_PRESERVE_MAX_CONTENT. */
TAMIS_API tamis_status tamis_preserve_put(tamis_preserve_store *s, const char *id,
                                          const void *content, size_t len,
                                          const char *content_type,
                                          const char *metadata_json, int64_t retention,
                                          int64_t *expires);

/* A preserved item as read back. Every pointer is owned by the struct and
 * freed (content wiped first) by tamis_preserved_free. */
typedef struct tamis_preserved {
    char *id;
    unsigned char *content;  /* never NULL, even when content_len is 0 */
    size_t content_len;
    char *content_type;      /* "" when none was given */
    char *metadata;          /* the JSON object given, or NULL */
    char *hold_reason;       /* reason of the last hold or release, or NULL */
    int64_t created, expires;
    int64_t hold_changed;    /* time of the last hold or release, 0 if none */
    int legal_hold;          /* 1 while on legal hold */
} tamis_preserved;

/* Decrypts item `id`. TAMIS_ERR_NOT_FOUND when there is none;
 * TAMIS_ERR_CORRUPT when the file was encrypted under another key, was
 * altered anywhere (header included) or is damaged, with the message
 * saying which. An expired item is still read until a purge removes it.
 * On error *out is NULL. */
TAMIS_API tamis_status tamis_preserve_read(tamis_preserve_store *s, const char *id,
                                           tamis_preserved **out);
TAMIS_API void tamis_preserved_free(tamis_preserved *item);

/* Puts item `id` on legal hold (TCO Art 6(2): a competent authority or
 * court asked for it to be kept longer): a purge keeps it past its expiry
 * until tamis_preserve_release. `reason` (non-empty: the request's
 * reference) is stored encrypted; holding a held item replaces the
 * reason. Release fails with TAMIS_ERR_INVALID when the item is not held.
 * The item is decrypted, checked and re-encrypted with a fresh nonce. */
TAMIS_API tamis_status tamis_preserve_hold(tamis_preserve_store *s, const char *id,
                                           const char *reason);
TAMIS_API tamis_status tamis_preserve_release(tamis_preserve_store *s, const char *id,
                                              const char *reason);

/* One item as the listing sees it, from its clear header. */
typedef struct tamis_preserve_entry {
    char *id;
    int64_t created, expires;
    int legal_hold;
    uint64_t content_len;
} tamis_preserve_entry;

/* Lists the items, oldest first (then by id), from their headers only:
 * nothing is decrypted, so a listing neither needs the content nor proves
 * a header genuine (read and purge do). Leftover temporary files and files
 * whose header does not parse are left out. Free with
 * tamis_preserve_list_free. */
TAMIS_API tamis_status tamis_preserve_list(tamis_preserve_store *s,
                                           tamis_preserve_entry **out, size_t *n);
TAMIS_API void tamis_preserve_list_free(tamis_preserve_entry *entries, size_t n);

/* Removes every item whose expiry is at or before `now` and that is not
 * on legal hold, after checking that its header is genuine, and writes
 * their number to *removed. Files are overwritten with zeros, synced and
 * unlinked: best effort only, since journaling, copy-on-write file systems
 * and SSDs may keep old blocks; the encryption is what protects them.
 * Files that fail the check are kept and counted in *damaged (may be
 * NULL). Temporary files left by a crash more than 10 minutes ago are
 * removed too. A `now` later than the store's clock is refused
 * (TAMIS_ERR_INVALID), so a wrong argument cannot destroy evidence early. */
TAMIS_API tamis_status tamis_preserve_purge(tamis_preserve_store *s, int64_t now,
                                            size_t *removed, size_t *damaged);

/* ---- act: webhooks ---- */

/* Signed notices to the platform's action endpoint, through a durable
 * outbox: a directory in which each event is one file, written atomically
 * (temporary file, fsync, rename, directory fsync) before
 * tamis_webhook_enqueue returns. An endpoint that is down, or a restart,
 * loses nothing: events wait in the outbox until they are delivered or
 * have used up their attempts. Each attempt is a POST of the event's JSON
 * (an envelope {"id","type","created","data"}) with the headers
 *
 *     Content-Type: application/json
 *     Tamis-Event-Id: <32 hex digits, the same on every attempt>
 *     Tamis-Event-Type: <type>
 *     Tamis-Timestamp: <Unix seconds of this attempt>
 *     Tamis-Signature: sha256=<hex HMAC-SHA256 of "<timestamp>.<body>">
 *
 * under the secret shared with the receiver. A 2xx answer delivers the
 * event. Anything else (another status, a redirect, which is never
 * followed, a timeout, a refused connection) is an attempt failed: the
 * event is due again base * 2^(attempts - 1) seconds later (at most
 * backoff_max, less a random share of at most `jitter`), and after
 * max_attempts it is dead, a dead letter kept until tamis_webhook_retry.
 * A receiver may get an event twice (its answer lost on the way back), so
 * the event id is an idempotency key. doc/webhooks.md has the envelope,
 * the file format and what a receiver must check.
 *
 * One process at a time may open an outbox (a lock file says so). A handle
 * may be used by several threads at once: the service enqueues from its
 * request threads and calls tamis_webhook_deliver_due from another. */

#define TAMIS_WEBHOOK_ID_LEN 32        /* hex digits of an event id */
#define TAMIS_WEBHOOK_SIGNATURE_LEN 71 /* "sha256=" and 64 hex digits */
#define TAMIS_WEBHOOK_TYPE_MAX 64      /* [A-Za-z0-9._-], 1 to 64 chars */
#define TAMIS_WEBHOOK_ERROR_MAX 200

typedef struct tamis_webhook tamis_webhook;

/* Zero in any field means its default. */
typedef struct tamis_webhook_options {
    int max_attempts;         /* attempts before an event is dead; 0: 10 */
    double backoff_base;      /* seconds after the first failure; 0: 30 */
    double backoff_max;       /* cap on any delay, seconds; 0: 3600 */
    double jitter;            /* share of a delay taken off at random, at
                                 most 1; 0: 0.2; negative: none */
    double timeout;           /* seconds for one request, connecting
                                 included; 0: 10 */
    size_t max_body;          /* largest JSON enqueue takes; 0: 1 MiB */
    const tamis_clock *clock; /* NULL: the system's; must outlive the handle */
} tamis_webhook_options;

typedef enum tamis_webhook_state {
    TAMIS_WEBHOOK_PENDING = 0,   /* waiting for its next attempt */
    TAMIS_WEBHOOK_DELIVERED = 1, /* a 2xx came back */
    TAMIS_WEBHOOK_DEAD = 2       /* max_attempts failed */
} tamis_webhook_state;

/* Opens the outbox in `dir` (created if missing, with pending/, delivered/
 * and dead/ in it) for the endpoint `url` (http:// or https://, at most
 * 2000 chars) and the shared secret (1 to 1024 bytes, copied). Leftover
 * temporary files of an interrupted write are removed; files that do not
 * parse are left where they are and not listed. TAMIS_ERR_EXISTS if
 * another handle or process has it open. On error *out is NULL and err
 * (may be NULL) gets the reason. */
TAMIS_API tamis_status tamis_webhook_open(const char *dir, const char *url, const void *secret,
                                          size_t secret_len, const tamis_webhook_options *opts,
                                          tamis_webhook **out, char *err, size_t errlen);
TAMIS_API void tamis_webhook_close(tamis_webhook *wh);
TAMIS_API const char *tamis_webhook_errmsg(const tamis_webhook *wh);

/* Adds an event of `type` whose data is the `len` bytes of JSON at `json`
 * (any JSON value, checked), due now. `id` (may be NULL) gets its event
 * id. The event is on disk when this returns TAMIS_OK. TAMIS_ERR_INVALID
 * for a bad type or JSON, TAMIS_ERR_TOO_LARGE over max_body, TAMIS_ERR_IO
 * when it cannot be written. */
TAMIS_API tamis_status tamis_webhook_enqueue(tamis_webhook *wh, const char *type, const char *json,
                                             size_t len, char id[TAMIS_WEBHOOK_ID_LEN + 1]);

typedef struct tamis_webhook_pass {
    size_t attempted; /* requests made */
    size_t delivered; /* answered 2xx */
    size_t failed;    /* failed, to be tried again */
    size_t dead;      /* failed for the last time */
    size_t deferred;  /* due but not tried: the endpoint could not be
                         reached earlier in this pass */
    size_t pending;   /* pending events after the pass */
    double next_due;  /* the earliest next attempt; 0 if none is pending */
} tamis_webhook_pass;

/* One pass over the events due at the clock's now, oldest first: each is
 * attempted once and its outcome written to the outbox before the next.
 * After a failure to reach the endpoint at all (no HTTP answer), the rest
 * are deferred to the next pass rather than each waiting for the same
 * timeout. `r` (may be NULL) gets the counts. Passes are serialised: a
 * second thread's call waits for the first. Errors are the outbox's own
 * (TAMIS_ERR_IO: a record could not be written; the event then stays
 * pending and may be delivered again), never the endpoint's. */
TAMIS_API tamis_status tamis_webhook_deliver_due(tamis_webhook *wh, tamis_webhook_pass *r);

typedef struct tamis_webhook_event {
    char id[TAMIS_WEBHOOK_ID_LEN + 1];
    char type[TAMIS_WEBHOOK_TYPE_MAX + 1];
    tamis_webhook_state state;
    int attempts;
    double created;
    double next_attempt; /* when pending: when it is due */
    double last_attempt; /* 0: never tried */
    double delivered_at; /* when delivered: when the 2xx came */
    int last_status;     /* HTTP status of the last attempt; 0: no answer */
    char last_error[TAMIS_WEBHOOK_ERROR_MAX + 1]; /* "" when none */
} tamis_webhook_event;

/* The events in `state` (negative: all), oldest first, in an array the
 * caller frees with tamis_webhook_events_free. An empty outbox gives
 * *out NULL and *n 0. */
TAMIS_API tamis_status tamis_webhook_list(tamis_webhook *wh, int state, tamis_webhook_event **out,
                                          size_t *n);
TAMIS_API void tamis_webhook_events_free(tamis_webhook_event *events);

/* One event by id; TAMIS_ERR_NOT_FOUND if the outbox has none. */
TAMIS_API tamis_status tamis_webhook_get(tamis_webhook *wh, const char *id,
                                         tamis_webhook_event *ev);

/* Makes a dead event pending again, due now, with its attempts back to 0
 * (its id, body and last error kept). TAMIS_ERR_NOT_FOUND unless `id` is
 * a dead event. */
TAMIS_API tamis_status tamis_webhook_retry(tamis_webhook *wh, const char *id);

/* Removes the records of events delivered before `before` (Unix seconds);
 * *removed (may be NULL) gets their number. Pending and dead events are
 * never removed. */
TAMIS_API tamis_status tamis_webhook_purge(tamis_webhook *wh, double before, size_t *removed);

/* Writes "sha256=" and the hex HMAC-SHA256 of "<timestamp>.<body>" under
 * the secret, and a NUL, to `out`. */
TAMIS_API tamis_status tamis_webhook_sign(const void *secret, size_t secret_len, int64_t timestamp,
                                          const void *body, size_t len,
                                          char out[TAMIS_WEBHOOK_SIGNATURE_LEN + 1]);

/* For receivers: TAMIS_OK if `signature` (the Tamis-Signature header: one
 * or more "sha256=<hex>", comma-separated, so that a secret can be rotated)
 * holds one signature of `timestamp` (the Tamis-Timestamp header, decimal
 * Unix seconds) and the body under the secret, compared in constant time,
 * and the timestamp is within `tolerance` seconds of `now` (0: 300).
 * Otherwise TAMIS_ERR_INVALID, and *why (may be NULL) gets a static
 * reason. */
TAMIS_API tamis_status tamis_webhook_verify(const void *secret, size_t secret_len,
                                            const char *timestamp, const char *signature,
                                            const void *body, size_t len, double now,
                                            double tolerance, const char **why);

#ifdef __cplusplus
}
#endif

#endif /* TAMIS_H */
