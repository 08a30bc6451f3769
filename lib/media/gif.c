/*
 * gif.c - the first frame of a GIF, with giflib, placed on the logical
 * screen (filled with the background colour elsewhere) and expanded from
 * its colour map to RGB. Transparency is ignored, as alpha is elsewhere.
 * Records are read one at a time, so a file with thousands of frames costs
 * no more than its first.
 */
#include <string.h>

#include <gif_lib.h>

#include "image.h"

typedef struct {
    const uint8_t *data;
    size_t len, pos;
} gif_src;

static int read_fn(GifFileType *g, GifByteType *out, int n) {
    gif_src *s = g->UserData;
    size_t left = s->len - s->pos;
    size_t k = (size_t)n < left ? (size_t)n : left;
    memcpy(out, s->data + s->pos, k);
    s->pos += k;
    return (int)k;
}

static tamis_status gif_fail(tamis__err *err, int code, const char *what) {
    const char *m = GifErrorString(code);
    return tamis__fail(err, TAMIS_ERR_CORRUPT, "corrupt GIF (%s): %s", what,
                       m ? m : "unknown error");
}

tamis_status tamis__gif_decode(const uint8_t *data, size_t len,
                               const tamis__decode_opts *opts,
                               const tamis__image_sink *sink, tamis__err *err) {
    gif_src src = {data, len, 0};
    int e = 0;
    GifFileType *g = DGifOpen(&src, read_fn, &e);
    if (!g)
        return gif_fail(err, e, "header");
    tamis_status st = TAMIS_OK;
    uint8_t *pix = NULL, *line = NULL;
    int w = g->SWidth, h = g->SHeight;
    st = tamis__check_pixels((uint64_t)w, (uint64_t)h, opts->max_pixels, err);
    if (st != TAMIS_OK)
        goto done;

    GifRecordType rec;
    for (;;) {
        if (DGifGetRecordType(g, &rec) == GIF_ERROR) {
            st = gif_fail(err, g->Error, "record");
            goto done;
        }
        if (rec == IMAGE_DESC_RECORD_TYPE)
            break;
        if (rec == TERMINATE_RECORD_TYPE) {
            st = tamis__fail(err, TAMIS_ERR_CORRUPT, "GIF without any image");
            goto done;
        }
        if (rec == EXTENSION_RECORD_TYPE) {
            int code;
            GifByteType *ext;
            if (DGifGetExtension(g, &code, &ext) == GIF_ERROR) {
                st = gif_fail(err, g->Error, "extension");
                goto done;
            }
            while (ext)
                if (DGifGetExtensionNext(g, &ext) == GIF_ERROR) {
                    st = gif_fail(err, g->Error, "extension");
                    goto done;
                }
        }
    }
    if (DGifGetImageDesc(g) == GIF_ERROR) {
        st = gif_fail(err, g->Error, "image descriptor");
        goto done;
    }
    GifImageDesc *d = &g->Image;
    ColorMapObject *cmap = d->ColorMap ? d->ColorMap : g->SColorMap;
    if (!cmap) {
        st = tamis__fail(err, TAMIS_ERR_CORRUPT, "GIF without a colour map");
        goto done;
    }
    if (d->Left < 0 || d->Top < 0 || d->Width <= 0 || d->Height <= 0 ||
        d->Left + d->Width > w || d->Top + d->Height > h) {
        st = tamis__fail(err, TAMIS_ERR_CORRUPT,
                         "GIF frame %dx%d at %d,%d outside the %dx%d screen",
                         d->Width, d->Height, d->Left, d->Top, w, h);
        goto done;
    }
    /* A screen far larger than its first frame is mostly background: a
     * tiny file could otherwise claim hundreds of megabytes. */
    if ((uint64_t)w * (uint64_t)h > ((uint64_t)16 << 20) &&
        (uint64_t)w * (uint64_t)h > (uint64_t)64 * (uint64_t)d->Width * (uint64_t)d->Height) {
        st = tamis__fail(err, TAMIS_ERR_TOO_LARGE,
                         "GIF screen %dx%d is over 64 times its %dx%d first frame", w, h,
                         d->Width, d->Height);
        goto done;
    }
    size_t stride = (size_t)w * 3;
    pix = tamis__malloc(stride * (size_t)h);
    line = tamis__malloc((size_t)d->Width);
    if (!pix || !line) {
        st = tamis__fail(err, TAMIS_ERR_NOMEM, "out of memory decoding GIF");
        goto done;
    }
    GifColorType bg = {0, 0, 0};
    if (g->SColorMap && g->SBackGroundColor < g->SColorMap->ColorCount)
        bg = g->SColorMap->Colors[g->SBackGroundColor];
    for (size_t i = 0; i < (size_t)w * (size_t)h; i++) {
        pix[3 * i] = bg.Red;
        pix[3 * i + 1] = bg.Green;
        pix[3 * i + 2] = bg.Blue;
    }
    /* Interlaced frames arrive in four passes of rows. */
    static const int start[4] = {0, 4, 2, 1}, step[4] = {8, 8, 4, 2};
    int npass = d->Interlace ? 4 : 1;
    for (int p = 0; p < npass; p++) {
        int y0 = d->Interlace ? start[p] : 0, dy = d->Interlace ? step[p] : 1;
        for (int y = y0; y < d->Height; y += dy) {
            if (DGifGetLine(g, line, d->Width) == GIF_ERROR) {
                st = gif_fail(err, g->Error, "image data");
                goto done;
            }
            uint8_t *out = pix + (size_t)(d->Top + y) * stride + (size_t)d->Left * 3;
            for (int x = 0; x < d->Width; x++) {
                int ci = line[x] < cmap->ColorCount ? line[x] : 0;
                out[3 * x] = cmap->Colors[ci].Red;
                out[3 * x + 1] = cmap->Colors[ci].Green;
                out[3 * x + 2] = cmap->Colors[ci].Blue;
            }
        }
    }
    tamis__image_info ii = {0};
    ii.format = TAMIS_FORMAT_GIF;
    ii.width = ii.out_width = w;
    ii.height = ii.out_height = h;
    ii.channels = 3;
    ii.orientation = 1;
    ii.scale = 1;
    st = sink->begin(sink->ctx, &ii);
    if (st == TAMIS_OK)
        st = sink->rows(sink->ctx, 0, h, pix, stride);
done:
    DGifCloseFile(g, &e);
    tamis__free(pix);
    tamis__free(line);
    return st;
}
