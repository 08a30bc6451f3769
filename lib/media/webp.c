/*
 * webp.c - WebP decoding with libwebp (lossy, lossless, and the first frame
 * of animations through the demuxer). Alpha is dropped: the RGB values are
 * used as stored.
 */
#include <string.h>

#include <webp/decode.h>
#include <webp/demux.h>

#include "image.h"

tamis_status tamis__webp_decode(const uint8_t *data, size_t len,
                                const tamis__decode_opts *opts,
                                const tamis__image_sink *sink, tamis__err *err) {
    WebPBitstreamFeatures f;
    VP8StatusCode vs = WebPGetFeatures(data, len, &f);
    if (vs == VP8_STATUS_NOT_ENOUGH_DATA)
        return tamis__fail(err, TAMIS_ERR_CORRUPT, "truncated WebP header");
    if (vs != VP8_STATUS_OK)
        return tamis__fail(err, TAMIS_ERR_CORRUPT, "corrupt WebP (status %d)", (int)vs);

    const uint8_t *bits = data;
    size_t nbits = len;
    WebPDemuxer *dmx = NULL;
    WebPIterator it;
    int have_iter = 0;
    tamis_status st = TAMIS_OK;
    uint8_t *pix = NULL;
    int w = f.width, h = f.height;

    if (f.has_animation) {
        WebPData wd = {data, len};
        dmx = WebPDemux(&wd);
        if (!dmx)
            return tamis__fail(err, TAMIS_ERR_CORRUPT, "corrupt animated WebP");
        w = (int)WebPDemuxGetI(dmx, WEBP_FF_CANVAS_WIDTH);
        h = (int)WebPDemuxGetI(dmx, WEBP_FF_CANVAS_HEIGHT);
        if (!WebPDemuxGetFrame(dmx, 1, &it)) {
            st = tamis__fail(err, TAMIS_ERR_CORRUPT, "animated WebP without frames");
            goto done;
        }
        have_iter = 1;
        bits = it.fragment.bytes;
        nbits = it.fragment.size;
        /* As for GIF: a huge canvas around a small first frame. */
        if ((uint64_t)w * (uint64_t)h > ((uint64_t)16 << 20) &&
            (uint64_t)w * (uint64_t)h > (uint64_t)64 * (uint64_t)it.width * (uint64_t)it.height) {
            st = tamis__fail(err, TAMIS_ERR_TOO_LARGE,
                             "WebP canvas %dx%d is over 64 times its %dx%d first frame", w, h,
                             it.width, it.height);
            goto done;
        }
    }
    st = tamis__check_pixels((uint64_t)w, (uint64_t)h, opts->max_pixels, err);
    if (st != TAMIS_OK)
        goto done;

    size_t stride = (size_t)w * 3, total = stride * (size_t)h;
    pix = tamis__calloc(total, 1);
    if (!pix) {
        st = tamis__fail(err, TAMIS_ERR_NOMEM, "out of memory decoding WebP");
        goto done;
    }
    if (have_iter) {
        /* Place the first frame on the canvas (black elsewhere). */
        if (it.x_offset + it.width > w || it.y_offset + it.height > h) {
            st = tamis__fail(err, TAMIS_ERR_CORRUPT, "WebP frame outside its canvas");
            goto done;
        }
        uint8_t *at = pix + (size_t)it.y_offset * stride + (size_t)it.x_offset * 3;
        if (!WebPDecodeRGBInto(bits, nbits, at, total - (size_t)(at - pix), (int)stride)) {
            st = tamis__fail(err, TAMIS_ERR_CORRUPT, "corrupt WebP frame");
            goto done;
        }
    } else if (!WebPDecodeRGBInto(bits, nbits, pix, total, (int)stride)) {
        st = tamis__fail(err, TAMIS_ERR_CORRUPT, "corrupt or truncated WebP data");
        goto done;
    }

    tamis__image_info ii = {0};
    ii.format = TAMIS_FORMAT_WEBP;
    ii.width = ii.out_width = w;
    ii.height = ii.out_height = h;
    ii.channels = 3;
    ii.orientation = 1;
    ii.scale = 1;
    st = sink->begin(sink->ctx, &ii);
    if (st == TAMIS_OK)
        st = sink->rows(sink->ctx, 0, h, pix, stride);
done:
    if (have_iter)
        WebPDemuxReleaseIterator(&it);
    WebPDemuxDelete(dmx);
    tamis__free(pix);
    return st;
}
