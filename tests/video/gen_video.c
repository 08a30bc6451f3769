/*
 * gen_video.c - synthetic test videos, encoded with libavcodec and muxed
 * with libavformat into a file (see gen_video.h).
 */
#include "gen_video.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libavcodec/avcodec.h>
#include <libavformat/avformat.h>
#include <libavutil/imgutils.h>
#include <libavutil/log.h>
#include <libswscale/swscale.h>

uint8_t *gen_video_frame(const gen_video_spec *s, int i) {
    uint8_t *p = malloc((size_t)s->width * (size_t)s->height * 3);
    if (!p)
        return NULL;
    double fx = s->scene ? 0.23 : 0.09, fy = s->scene ? 0.05 : 0.13;
    for (int y = 0; y < s->height; y++)
        for (int x = 0; x < s->width; x++) {
            double a = sin((x + 0.5 * i) * fx + s->scene) * cos((y - 0.25 * i) * fy - 2.0 * s->scene);
            double b = cos((x * 0.5 + y) * 0.04 * (1 + s->scene));
            uint8_t *q = p + ((size_t)y * (size_t)s->width + (size_t)x) * 3;
            q[0] = (uint8_t)lrint(127.5 + 90 * a + 30 * b);
            q[1] = (uint8_t)lrint(127.5 + 70 * a - 40 * b);
            q[2] = (uint8_t)lrint(127.5 - 60 * a + 50 * b);
        }
    return p;
}

static int encode(AVCodecContext *c, AVFormatContext *oc, AVStream *st, AVFrame *f,
                  AVPacket *pkt) {
    int r = avcodec_send_frame(c, f);
    if (r < 0)
        return r;
    for (;;) {
        r = avcodec_receive_packet(c, pkt);
        if (r == AVERROR(EAGAIN) || r == AVERROR_EOF)
            return 0;
        if (r < 0)
            return r;
        av_packet_rescale_ts(pkt, c->time_base, st->time_base);
        pkt->stream_index = st->index;
        if ((r = av_interleaved_write_frame(oc, pkt)) < 0)
            return r;
    }
}

int gen_video_file(const gen_video_spec *s, const char *path) {
    int ok = -1, r;
    AVFormatContext *oc = NULL;
    AVCodecContext *c = NULL;
    AVFrame *f = NULL;
    AVPacket *pkt = NULL;
    struct SwsContext *sws = NULL;
    /* swscale warns about MJPEG's full-range formats; the test's output
     * should hold only the test's own lines. */
    av_log_set_level(AV_LOG_ERROR);
    const AVCodec *codec = avcodec_find_encoder_by_name(s->codec);
    if (!codec) {
        fprintf(stderr, "gen_video: no %s encoder\n", s->codec);
        return -1;
    }
    if (avformat_alloc_output_context2(&oc, NULL, s->container, path) < 0 || !oc) {
        fprintf(stderr, "gen_video: no %s muxer\n", s->container);
        return -1;
    }
    AVStream *st = avformat_new_stream(oc, NULL);
    if (!st || !(c = avcodec_alloc_context3(codec)) || !(f = av_frame_alloc()) ||
        !(pkt = av_packet_alloc()))
        goto done;
    c->width = s->width;
    c->height = s->height;
    c->time_base = (AVRational){1, s->fps};
    c->framerate = (AVRational){s->fps, 1};
    c->gop_size = 12;
    c->max_b_frames = 0;
    c->pix_fmt = strcmp(s->codec, "mjpeg") == 0 ? AV_PIX_FMT_YUVJ420P : AV_PIX_FMT_YUV420P;
    c->thread_count = 1;
    if (strcmp(s->codec, "mpeg4") == 0) { /* good quality, so hashes stay close */
        c->flags |= AV_CODEC_FLAG_QSCALE;
        c->global_quality = FF_QP2LAMBDA * 3;
    }
    if (oc->oformat->flags & AVFMT_GLOBALHEADER)
        c->flags |= AV_CODEC_FLAG_GLOBAL_HEADER;
    if ((r = avcodec_open2(c, codec, NULL)) < 0 ||
        (r = avcodec_parameters_from_context(st->codecpar, c)) < 0) {
        fprintf(stderr, "gen_video: cannot open the %s encoder\n", s->codec);
        goto done;
    }
    st->time_base = c->time_base;
    st->avg_frame_rate = c->framerate;
    if (avio_open(&oc->pb, path, AVIO_FLAG_WRITE) < 0 || avformat_write_header(oc, NULL) < 0)
        goto done;
    f->format = c->pix_fmt;
    f->width = s->width;
    f->height = s->height;
    if (av_frame_get_buffer(f, 0) < 0)
        goto done;
    sws = sws_getContext(s->width, s->height, AV_PIX_FMT_RGB24, s->width, s->height, c->pix_fmt,
                         SWS_BICUBIC, NULL, NULL, NULL);
    if (!sws)
        goto done;
    for (int i = 0; i < s->frames; i++) {
        uint8_t *rgb = gen_video_frame(s, i);
        if (!rgb || av_frame_make_writable(f) < 0) {
            free(rgb);
            goto done;
        }
        const uint8_t *src[1] = {rgb};
        int stride[1] = {s->width * 3};
        sws_scale(sws, src, stride, 0, s->height, f->data, f->linesize);
        free(rgb);
        f->pts = i;
        if (encode(c, oc, st, f, pkt) < 0)
            goto done;
    }
    if (encode(c, oc, st, NULL, pkt) < 0 || av_write_trailer(oc) < 0)
        goto done;
    ok = 0;
done:
    if (ok != 0)
        fprintf(stderr, "gen_video: cannot write %s\n", path);
    sws_freeContext(sws);
    av_frame_free(&f);
    av_packet_free(&pkt);
    avcodec_free_context(&c);
    if (oc && oc->pb)
        avio_closep(&oc->pb);
    avformat_free_context(oc);
    return ok;
}
