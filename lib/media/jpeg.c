/*
 * jpeg.c - JPEG decoding with libjpeg-turbo.
 *
 * Decoded with the library's defaults (accurate integer IDCT, fancy
 * upsampling), which is what the PDQ reference gets through CImg, so that
 * hashes agree bit for bit. Grayscale stays one channel; YCbCr and RGB come
 * out as RGB; CMYK and YCCK are converted to RGB (see cmyk_to_rgb).
 * Truncated data and corrupt entropy-coded data are errors, not gray fill.
 */
#include <setjmp.h>
#include <stdio.h>
#include <string.h>

#include <jerror.h>
#include <jpeglib.h>

#include "image.h"

typedef struct {
    struct jpeg_error_mgr pub;
    jmp_buf jump;
    int fatal_warning; /* a warning that means the data is damaged */
    char msg[JMSG_LENGTH_MAX];
} jpeg_err;

static void on_error(j_common_ptr cinfo) {
    jpeg_err *e = (jpeg_err *)cinfo->err;
    (*cinfo->err->format_message)(cinfo, e->msg);
    longjmp(e->jump, 1);
}

static void on_message(j_common_ptr cinfo, int level) {
    jpeg_err *e = (jpeg_err *)cinfo->err;
    if (level >= 0)
        return; /* trace messages */
    /* Warnings: the library would carry on with gray or garbled pixels.
     * A hash of that is not a hash of the image, so these are errors, and
     * raised at once: carrying on through a damaged progressive file can
     * cost seconds per megabyte. Extraneous bytes before a marker are
     * harmless and common. */
    int code = cinfo->err->msg_code;
    if (code == JWRN_JPEG_EOF || code == JWRN_HIT_MARKER ||
        code == JWRN_HUFF_BAD_CODE || code == JWRN_MUST_RESYNC ||
        code == JWRN_BOGUS_PROGRESSION) {
        (*cinfo->err->format_message)(cinfo, e->msg);
        e->fatal_warning = 1;
        longjmp(e->jump, 1);
    }
}

/* A progressive JPEG may repeat scans: each costs a pass over the whole
 * coefficient buffer, so a small file of many scans is a CPU bomb. Real
 * encoders write about 10; libjpeg-turbo's own fuzzers allow 500. */
#define MAX_SCANS 500

static void on_progress(j_common_ptr cinfo) {
    j_decompress_ptr d = (j_decompress_ptr)cinfo;
    if (d->input_scan_number > MAX_SCANS) {
        jpeg_err *e = (jpeg_err *)cinfo->err;
        snprintf(e->msg, sizeof e->msg, "more than %d scans", MAX_SCANS);
        longjmp(e->jump, 1);
    }
}

/* Adobe CMYK JPEGs (Photoshop, PIL) store inverted ink values; others store
 * plain ones. RGB = (255 - ink) * (255 - black) / 255, rounded. */
static void cmyk_to_rgb(const uint8_t *in, uint8_t *out, int w, int inverted) {
    for (int x = 0; x < w; x++, in += 4, out += 3) {
        unsigned c = in[0], m = in[1], y = in[2], k = in[3];
        if (!inverted)
            c = 255 - c, m = 255 - m, y = 255 - y, k = 255 - k;
        out[0] = (uint8_t)((c * k + 127) / 255);
        out[1] = (uint8_t)((m * k + 127) / 255);
        out[2] = (uint8_t)((y * k + 127) / 255);
    }
}

int tamis__exif_orientation(const uint8_t *p, size_t n);

tamis_status tamis__jpeg_decode(const uint8_t *data, size_t len,
                                const tamis__decode_opts *opts,
                                const tamis__image_sink *sink, tamis__err *err) {
    struct jpeg_decompress_struct cinfo;
    jpeg_err je;
    /* volatile: modified between setjmp and longjmp */
    uint8_t *volatile buf = NULL;
    uint8_t *volatile cmyk = NULL;
    tamis_status volatile st = TAMIS_OK;

    memset(&cinfo, 0, sizeof cinfo);
    memset(&je, 0, sizeof je);
    cinfo.err = jpeg_std_error(&je.pub);
    je.pub.error_exit = on_error;
    je.pub.emit_message = on_message;
    if (setjmp(je.jump)) {
        if (st == TAMIS_OK)
            st = tamis__fail(err, TAMIS_ERR_CORRUPT, "corrupt JPEG: %s", je.msg);
        goto done;
    }
    jpeg_create_decompress(&cinfo);
    struct jpeg_progress_mgr progress = {on_progress, 0, 0, 0, 0};
    cinfo.progress = &progress;
    jpeg_mem_src(&cinfo, data, (unsigned long)len);
    jpeg_save_markers(&cinfo, JPEG_APP0 + 1, 0xffff);
    jpeg_read_header(&cinfo, TRUE);
    if (je.fatal_warning) {
        st = tamis__fail(err, TAMIS_ERR_CORRUPT, "corrupt JPEG: %s", je.msg);
        goto done;
    }
    st = tamis__check_pixels(cinfo.image_width, cinfo.image_height,
                             opts->max_pixels, err);
    if (st != TAMIS_OK)
        goto done;

    tamis__image_info info = {0};
    info.format = TAMIS_FORMAT_JPEG;
    info.width = (int)cinfo.image_width;
    info.height = (int)cinfo.image_height;
    info.orientation = 1;
    for (jpeg_saved_marker_ptr m = cinfo.marker_list; m; m = m->next)
        if (m->marker == JPEG_APP0 + 1) {
            int o = tamis__exif_orientation(m->data, m->data_length);
            if (o != 1) {
                info.orientation = o;
                break;
            }
        }

    int inverted = 0;
    switch (cinfo.jpeg_color_space) {
    case JCS_GRAYSCALE: cinfo.out_color_space = JCS_GRAYSCALE; break;
    case JCS_CMYK:
    case JCS_YCCK:
        cinfo.out_color_space = JCS_CMYK;
        inverted = cinfo.saw_Adobe_marker;
        break;
    default: cinfo.out_color_space = JCS_RGB; break;
    }
    info.scale = 1;
    int dc_only = 0;
    if (opts->fast_scale) {
        int s = opts->fast_scale(info.width, info.height,
                                 jpeg_has_multiple_scans(&cinfo));
        if (s == 2 || s == 4 || s == 8) {
            info.scale = s;
            cinfo.scale_num = 1;
            cinfo.scale_denom = (unsigned)s;
            /* JFIF's Y is 0.299 R + 0.587 G + 0.114 B: PDQ's luma, without
             * the chroma work. */
            if (cinfo.jpeg_color_space == JCS_YCbCr)
                cinfo.out_color_space = JCS_GRAYSCALE;
            /* At 1/8 only the DC coefficients count; a progressive file
             * sends them first, so the costly AC scans need not be read. */
            dc_only = s == 8 && jpeg_has_multiple_scans(&cinfo);
        }
    }
    if (dc_only) {
        cinfo.buffered_image = TRUE;
        /* Smoothing estimates missing AC coefficients, unused at 1/8. */
        cinfo.do_block_smoothing = FALSE;
        jpeg_start_decompress(&cinfo);
        int ncomp = cinfo.out_color_space == JCS_GRAYSCALE ? 1 : cinfo.num_components;
        for (;;) {
            /* Stop once every DC has arrived, even before the refinement
             * scan that sends its last bit (an error of one quantisation
             * step of the DC, about a grey level, on 8x8 blocks). */
            int known = 1;
            for (int c = 0; c < ncomp; c++)
                if (cinfo.coef_bits[c][0] < 0)
                    known = 0;
            if (known)
                break;
            int r = jpeg_consume_input(&cinfo);
            if (r == JPEG_REACHED_EOI || r == JPEG_SUSPENDED)
                break;
        }
        if (je.fatal_warning) {
            st = tamis__fail(err, TAMIS_ERR_CORRUPT, "corrupt JPEG: %s", je.msg);
            goto done;
        }
        jpeg_start_output(&cinfo, cinfo.input_scan_number);
    } else {
        jpeg_start_decompress(&cinfo);
    }
    int w = (int)cinfo.output_width, comps = cinfo.output_components;
    info.out_width = w;
    info.out_height = (int)cinfo.output_height;
    info.channels = comps == 1 ? 1 : 3;
    if (comps != 1 && comps != 3 && comps != 4) {
        st = tamis__fail(err, TAMIS_ERR_UNSUPPORTED,
                         "JPEG with %d colour components", comps);
        goto done;
    }
    st = sink->begin(sink->ctx, &info);
    if (st != TAMIS_OK)
        goto done;

    /* Decode a band of rows at a time. */
    enum { BAND = 16 };
    size_t stride = (size_t)w * (size_t)comps;
    buf = tamis__malloc(stride * BAND);
    if (comps == 4)
        cmyk = tamis__malloc((size_t)w * 3 * BAND);
    if (!buf || (comps == 4 && !cmyk)) {
        st = tamis__fail(err, TAMIS_ERR_NOMEM, "out of memory decoding JPEG");
        goto done;
    }
    while (cinfo.output_scanline < cinfo.output_height) {
        JSAMPROW rows[BAND];
        int y0 = (int)cinfo.output_scanline;
        int want = (int)(cinfo.output_height - cinfo.output_scanline);
        if (want > BAND)
            want = BAND;
        for (int i = 0; i < want; i++)
            rows[i] = buf + (size_t)i * stride;
        int got = 0;
        while (got < want) {
            int n = (int)jpeg_read_scanlines(&cinfo, rows + got, (JDIMENSION)(want - got));
            if (n == 0)
                break;
            got += n;
        }
        if (je.fatal_warning) {
            st = tamis__fail(err, TAMIS_ERR_CORRUPT, "corrupt JPEG: %s", je.msg);
            goto done;
        }
        if (got == 0) {
            st = tamis__fail(err, TAMIS_ERR_CORRUPT, "truncated JPEG");
            goto done;
        }
        if (comps == 4) {
            for (int i = 0; i < got; i++)
                cmyk_to_rgb(buf + (size_t)i * stride, cmyk + (size_t)i * w * 3, w,
                            inverted);
            st = sink->rows(sink->ctx, y0, got, cmyk, (size_t)w * 3);
        } else {
            st = sink->rows(sink->ctx, y0, got, buf, stride);
        }
        if (st != TAMIS_OK)
            goto done;
    }
    /* Reading to the end catches truncation after the last scan line of a
     * progressive image too (not in the DC-only fast path, by design). */
    if (dc_only)
        jpeg_finish_output(&cinfo);
    else
        jpeg_finish_decompress(&cinfo);
    if (je.fatal_warning)
        st = tamis__fail(err, TAMIS_ERR_CORRUPT, "corrupt JPEG: %s", je.msg);
done:
    jpeg_destroy_decompress(&cinfo);
    tamis__free(buf);
    tamis__free(cmyk);
    return st;
}
