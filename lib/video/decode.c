/*
 * decode.c - videos to RGB24 frames with FFmpeg (libavformat, libavcodec,
 * libswscale), for vpdq.c and tmk.c; the interface is video.h.
 *
 * Every input is read through our own AVIOContext over bytes in memory (a
 * file is mapped first), and any attempt by a demuxer to open another
 * resource (HLS, DASH, concat playlists) is refused: a video cannot make
 * the library read other files or the network. FFmpeg's log is a process-
 * wide callback; we install one that prints nothing and keeps the last
 * error line of the handle active on the calling thread, for messages.
 *
 * The conversion is the vPDQ reference's (vpdq/cpp/hashing/ffmpegwrapper):
 * sws_scale with SWS_AREA (or the caller's flags) from the decoder's format
 * and size to packed RGB24 at the output size, into a frame from
 * av_frame_get_buffer (whose aligned rows let swscale take the same SIMD
 * paths).
 */
#include <errno.h>
#include <limits.h>
#include <fcntl.h>
#include <math.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <libavcodec/avcodec.h>
#include <libavformat/avformat.h>
#include <libavutil/log.h>
#include <libavutil/pixdesc.h>
#include <libswscale/swscale.h>

#include "video.h"

#define AVIO_BUF 65536

struct tamis__video {
    tamis__video_opts opts;
    tamis__video_info info;
    tamis__err err;
    char avlog[256]; /* FFmpeg's last error line while this handle ran */

    /* input */
    const uint8_t *data;
    size_t len, pos;
    void *map; /* the mapping of a file, owned */
    size_t map_len;

    AVFormatContext *fmt;
    AVIOContext *pb;
    AVCodecContext *dec;
    int stream;
    AVRational time_base;
    int64_t start_pts; /* AV_NOPTS_VALUE when unknown */
    AVPacket *pkt;
    AVFrame *frame; /* the decoder's output */
    int64_t decoded; /* frames output by the decoder so far */
    int sent_eof, dec_done, bad_packets;
    char first_decode_error[128];

    /* conversion */
    struct SwsContext *sws;
    int sws_w, sws_h, sws_fmt;
    AVFrame *rgb;
    int out_w, out_h;

    /* resampling (fps > 0) */
    AVFrame *hold, *inc; /* the frame repeated for ticks; the next one */
    int has_hold, has_inc, hold_converted, eof;
    int64_t hold_index, inc_index;
    int64_t next_tick, limit;
    double hold_end; /* end time (s) of the held frame */

    int64_t returned, last_index;
};

/* ---- FFmpeg's log -------------------------------------------------------- */

static __thread tamis__video *tl_active;
static pthread_once_t log_once = PTHREAD_ONCE_INIT;

static void log_cb(void *avcl, int level, const char *f, va_list ap) {
    tamis__video *v = tl_active;
    if (!v || level > AV_LOG_ERROR)
        return;
    char line[sizeof v->avlog];
    vsnprintf(line, sizeof line, f, ap);
    size_t n = strlen(line);
    while (n && (line[n - 1] == '\n' || line[n - 1] == '\r'))
        line[--n] = '\0';
    if (n)
        memcpy(v->avlog, line, n + 1);
}

static void log_init(void) {
    av_log_set_callback(log_cb);
}

/* Formats an FFmpeg error code with the last logged line, if any. */
static const char *why(tamis__video *v, int averr, char *buf, size_t cap) {
    char e[AV_ERROR_MAX_STRING_SIZE];
    av_strerror(averr, e, sizeof e);
    /* A message too long for buf is cut; the check keeps GCC's truncation
     * warning, meant for unintended cuts, quiet. */
    if (snprintf(buf, cap, v->avlog[0] ? "%s (%s)" : "%s", e, v->avlog) >= (int)cap)
        buf[cap - 1] = '\0';
    return buf;
}

/* ---- Input from memory --------------------------------------------------- */

static int mem_read(void *opaque, uint8_t *buf, int size) {
    tamis__video *v = opaque;
    size_t left = v->len - v->pos;
    if (left == 0)
        return AVERROR_EOF;
    size_t n = (size_t)size < left ? (size_t)size : left;
    memcpy(buf, v->data + v->pos, n);
    v->pos += n;
    return (int)n;
}

static int64_t mem_seek(void *opaque, int64_t off, int whence) {
    tamis__video *v = opaque;
    int64_t base;
    switch (whence & ~AVSEEK_FORCE) {
    case AVSEEK_SIZE: return (int64_t)v->len;
    case SEEK_SET: base = 0; break;
    case SEEK_CUR: base = (int64_t)v->pos; break;
    case SEEK_END: base = (int64_t)v->len; break;
    default: return AVERROR(EINVAL);
    }
    if ((off > 0 && base > INT64_MAX - off) || base + off < 0 ||
        (uint64_t)(base + off) > v->len)
        return AVERROR(EINVAL);
    v->pos = (size_t)(base + off);
    return (int64_t)v->pos;
}

/* Demuxers that name other resources (playlists, references) must not
 * reach them. */
static int refuse_open(struct AVFormatContext *s, AVIOContext **pb, const char *url,
                       int flags, AVDictionary **options) {
    return AVERROR(EPERM);
}

/* ---- Opening ------------------------------------------------------------- */

/* FFmpeg's ENOMEM while it reads the input. Its allocator refuses any
 * block over av_max_alloc's limit (2 GiB by default), which a few hundred
 * damaged bytes can ask for (a box claiming 2^31 entries): an input over a
 * limit (TAMIS_ERR_TOO_LARGE, a service's 413), not a process out of
 * memory (a 500). tamis's own allocations still fail with NOMEM. */
static tamis_status ffmpeg_nomem(tamis__video *v, const char *what, int r) {
    char buf[128];
    return tamis__fail(&v->err, TAMIS_ERR_TOO_LARGE,
                       "%s: %s (the input asks FFmpeg for more memory than it allocates)", what,
                       why(v, r, buf, sizeof buf));
}

static tamis_status open_stream(tamis__video *v) {
    char buf[400];
    int r;
    uint8_t *iobuf = av_malloc(AVIO_BUF);
    if (!iobuf)
        return tamis__fail(&v->err, TAMIS_ERR_NOMEM, "out of memory");
    v->pb = avio_alloc_context(iobuf, AVIO_BUF, 0, v, mem_read, NULL, mem_seek);
    if (!v->pb) {
        av_free(iobuf);
        return tamis__fail(&v->err, TAMIS_ERR_NOMEM, "out of memory");
    }
    const AVInputFormat *ifmt = NULL;
    r = av_probe_input_buffer2(v->pb, &ifmt, "", NULL, 0, 0);
    if (r < 0 || !ifmt)
        return tamis__fail(&v->err, TAMIS_ERR_UNSUPPORTED,
                           "not a video: no container format recognised");
    if (!(v->fmt = avformat_alloc_context()))
        return tamis__fail(&v->err, TAMIS_ERR_NOMEM, "out of memory");
    v->fmt->pb = v->pb;
    v->fmt->flags |= AVFMT_FLAG_CUSTOM_IO;
    v->fmt->io_open = refuse_open;
    r = avformat_open_input(&v->fmt, NULL, ifmt, NULL);
    if (r == AVERROR(ENOMEM)) /* avformat_open_input freed the context */
        return ffmpeg_nomem(v, "cannot read the container", r);
    if (r < 0)
        return tamis__fail(&v->err, TAMIS_ERR_CORRUPT, "cannot read the %s container: %s",
                           ifmt->name, why(v, r, buf, sizeof buf));
    v->info.container = v->fmt->iformat->name;
    r = avformat_find_stream_info(v->fmt, NULL);
    if (r < 0)
        return tamis__fail(&v->err, TAMIS_ERR_CORRUPT, "cannot find the streams: %s",
                           why(v, r, buf, sizeof buf));
    /* The first video stream, as the reference takes (not FFmpeg's "best"
     * stream), skipping cover art, which is a still image. */
    v->stream = -1;
    for (unsigned i = 0; i < v->fmt->nb_streams; i++) {
        AVStream *s = v->fmt->streams[i];
        if (s->codecpar->codec_type == AVMEDIA_TYPE_VIDEO &&
            !(s->disposition & AV_DISPOSITION_ATTACHED_PIC)) {
            v->stream = (int)i;
            break;
        }
    }
    if (v->stream < 0)
        return tamis__fail(&v->err, TAMIS_ERR_UNSUPPORTED, "no video stream (%s container)",
                           v->info.container);
    AVStream *st = v->fmt->streams[v->stream];
    for (unsigned i = 0; i < v->fmt->nb_streams; i++)
        if ((int)i != v->stream)
            v->fmt->streams[i]->discard = AVDISCARD_ALL;
    const AVCodecParameters *par = st->codecpar;
    v->info.width = par->width;
    v->info.height = par->height;
    if (par->width <= 0 || par->height <= 0)
        return tamis__fail(&v->err, TAMIS_ERR_CORRUPT, "the video stream has no frame size");
    uint64_t maxp = v->opts.max_pixels ? v->opts.max_pixels : TAMIS_DEFAULT_MAX_PIXELS;
    if ((uint64_t)par->width * (uint64_t)par->height > maxp)
        return tamis__fail(&v->err, TAMIS_ERR_TOO_LARGE,
                           "%dx%d frames are over the limit of %llu pixels", par->width,
                           par->height, (unsigned long long)maxp);
    v->out_w = v->opts.out_width > 0 ? v->opts.out_width : par->width;
    v->out_h = v->opts.out_height > 0 ? v->opts.out_height : par->height;
    if ((uint64_t)v->out_w * (uint64_t)v->out_h > maxp)
        return tamis__fail(&v->err, TAMIS_ERR_TOO_LARGE,
                           "output frames of %dx%d are over the limit of %llu pixels",
                           v->out_w, v->out_h, (unsigned long long)maxp);

    /* The reference's rate: the average, else the real base rate. */
    AVRational fr = st->avg_frame_rate;
    if (fr.num <= 0 || fr.den <= 0)
        fr = st->r_frame_rate;
    v->info.frame_rate = fr.num > 0 && fr.den > 0 ? av_q2d(fr) : 0;
    if (v->fmt->duration > 0)
        v->info.duration_s = (double)v->fmt->duration / AV_TIME_BASE;
    else if (st->duration > 0)
        v->info.duration_s = (double)st->duration * av_q2d(st->time_base);
    v->time_base = st->time_base;
    v->start_pts = st->start_time;

    const AVCodec *codec = avcodec_find_decoder(par->codec_id);
    if (!codec)
        return tamis__fail(&v->err, TAMIS_ERR_UNSUPPORTED, "no decoder for the %s codec",
                           avcodec_get_name(par->codec_id));
    v->info.codec = codec->name;
    if (!(v->dec = avcodec_alloc_context3(codec)))
        return tamis__fail(&v->err, TAMIS_ERR_NOMEM, "out of memory");
    if ((r = avcodec_parameters_to_context(v->dec, par)) < 0)
        return tamis__fail(&v->err, TAMIS_ERR_INTERNAL, "codec parameters: %s",
                           why(v, r, buf, sizeof buf));
    v->dec->pkt_timebase = st->time_base;
    v->dec->max_pixels = (int64_t)maxp;
    /* Frame and slice threads give the same pictures as one thread. */
    v->dec->thread_count = v->opts.threads > 0 ? v->opts.threads : 0;
    v->dec->thread_type = FF_THREAD_FRAME | FF_THREAD_SLICE;
    if ((r = avcodec_open2(v->dec, codec, NULL)) < 0)
        return tamis__fail(&v->err, TAMIS_ERR_UNSUPPORTED, "cannot open the %s decoder: %s",
                           codec->name, why(v, r, buf, sizeof buf));
    if (!(v->pkt = av_packet_alloc()) || !(v->frame = av_frame_alloc()) ||
        !(v->rgb = av_frame_alloc()))
        return tamis__fail(&v->err, TAMIS_ERR_NOMEM, "out of memory");
    v->rgb->format = AV_PIX_FMT_RGB24;
    v->rgb->width = v->out_w;
    v->rgb->height = v->out_h;
    if (av_frame_get_buffer(v->rgb, 0) < 0)
        return tamis__fail(&v->err, TAMIS_ERR_NOMEM, "out of memory for %dx%d frames",
                           v->out_w, v->out_h);
    if (v->opts.fps > 0 && (!(v->hold = av_frame_alloc()) || !(v->inc = av_frame_alloc())))
        return tamis__fail(&v->err, TAMIS_ERR_NOMEM, "out of memory");
    v->last_index = -1;
    return TAMIS_OK;
}

static tamis_status open_common(tamis__video *v, const tamis__video_opts *opts,
                                tamis__video **out, char *err, size_t errlen) {
    if (opts)
        v->opts = *opts;
    if (v->opts.every_nth < 1)
        v->opts.every_nth = 1;
    pthread_once(&log_once, log_init);
    tamis__video *prev = tl_active;
    tl_active = v;
    tamis_status st = open_stream(v);
    tl_active = prev;
    if (st != TAMIS_OK) {
        if (err && errlen)
            snprintf(err, errlen, "%s", v->err.msg);
        tamis__video_free(v);
        return st;
    }
    *out = v;
    return TAMIS_OK;
}

tamis_status tamis__video_open_mem(const uint8_t *data, size_t len, const tamis__video_opts *opts,
                                   tamis__video **out, char *err, size_t errlen) {
    if (err && errlen)
        err[0] = '\0';
    if (!out || (!data && len)) {
        if (err && errlen)
            snprintf(err, errlen, "NULL argument");
        return TAMIS_ERR_INVALID;
    }
    *out = NULL;
    if (len == 0) {
        if (err && errlen)
            snprintf(err, errlen, "empty input (0 bytes)");
        return TAMIS_ERR_EMPTY;
    }
    tamis__video *v = tamis__calloc(1, sizeof *v);
    if (!v) {
        if (err && errlen)
            snprintf(err, errlen, "out of memory");
        return TAMIS_ERR_NOMEM;
    }
    v->data = data;
    v->len = len;
    return open_common(v, opts, out, err, errlen);
}

tamis_status tamis__video_open_file(const char *path, const tamis__video_opts *opts,
                                    tamis__video **out, char *err, size_t errlen) {
    char e[TAMIS__ERRMSG_LEN];
    e[0] = '\0';
    tamis_status st = TAMIS_OK;
    if (err && errlen)
        err[0] = '\0';
    if (!path || !out) {
        st = TAMIS_ERR_INVALID;
        snprintf(e, sizeof e, "NULL argument");
        goto fail;
    }
    *out = NULL;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        st = TAMIS_ERR_IO;
        snprintf(e, sizeof e, "cannot open: %s", strerror(errno));
        goto fail;
    }
    struct stat sb;
    if (fstat(fd, &sb) != 0 || !S_ISREG(sb.st_mode)) {
        int x = errno;
        close(fd);
        st = TAMIS_ERR_IO;
        snprintf(e, sizeof e, "%s", S_ISDIR(sb.st_mode) ? "is a directory"
                                    : !S_ISREG(sb.st_mode) ? "not a regular file"
                                                           : strerror(x));
        goto fail;
    }
    if (sb.st_size == 0) {
        close(fd);
        st = TAMIS_ERR_EMPTY;
        snprintf(e, sizeof e, "empty file (0 bytes)");
        goto fail;
    }
    size_t len = (size_t)sb.st_size;
    void *map = mmap(NULL, len, PROT_READ, MAP_PRIVATE, fd, 0);
    int x = errno;
    close(fd);
    if (map == MAP_FAILED) {
        st = TAMIS_ERR_IO;
        snprintf(e, sizeof e, "cannot map: %s", strerror(x));
        goto fail;
    }
    tamis__video *v = tamis__calloc(1, sizeof *v);
    if (!v) {
        munmap(map, len);
        st = TAMIS_ERR_NOMEM;
        snprintf(e, sizeof e, "out of memory");
        goto fail;
    }
    v->data = map;
    v->len = len;
    v->map = map;
    v->map_len = len;
    return open_common(v, opts, out, err, errlen);
fail:
    if (err && errlen)
        snprintf(err, errlen, "%s", e);
    return st;
}

const tamis__video_info *tamis__video_info_of(const tamis__video *v) {
    return &v->info;
}

int64_t tamis__video_frame_index(const tamis__video *v) {
    return v->last_index;
}

/* ---- Decoding ------------------------------------------------------------ */

/* The next decoded frame into v->frame: TAMIS_OK, TAMIS_DONE at the end.
 * Packets the decoder rejects as invalid are skipped, as FFmpeg's own tools
 * skip them. */
static tamis_status decode_one(tamis__video *v) {
    for (;;) {
        if (v->dec_done)
            return TAMIS_DONE;
        int r = avcodec_receive_frame(v->dec, v->frame);
        if (r >= 0) {
            v->decoded++;
            return TAMIS_OK;
        }
        if (r == AVERROR_EOF) {
            v->dec_done = 1;
            return TAMIS_DONE;
        }
        if (r == AVERROR(ENOMEM))
            return ffmpeg_nomem(v, "cannot decode", r);
        if (r != AVERROR(EAGAIN)) {
            /* A frame that failed to decode (frame threads report errors
             * here): note it and go on. */
            if (!v->bad_packets++)
                why(v, r, v->first_decode_error, sizeof v->first_decode_error);
            continue;
        }
        if (v->sent_eof) { /* the decoder wants input it cannot get */
            v->dec_done = 1;
            return TAMIS_DONE;
        }
        r = av_read_frame(v->fmt, v->pkt);
        if (r == AVERROR(ENOMEM))
            return ffmpeg_nomem(v, "cannot read", r);
        if (r < 0) {
            /* The end, or a container damaged past reading: flush what the
             * decoder holds either way. */
            v->sent_eof = 1;
            r = avcodec_send_packet(v->dec, NULL);
            if (r < 0 && r != AVERROR_EOF)
                v->dec_done = 1;
            continue;
        }
        if (v->pkt->stream_index != v->stream) {
            av_packet_unref(v->pkt);
            continue;
        }
        r = avcodec_send_packet(v->dec, v->pkt);
        av_packet_unref(v->pkt);
        if (r == AVERROR(ENOMEM))
            return ffmpeg_nomem(v, "cannot decode", r);
        if (r < 0 && r != AVERROR(EAGAIN) && !v->bad_packets++)
            why(v, r, v->first_decode_error, sizeof v->first_decode_error);
    }
}

/* Converts `f` into v->rgb. */
static tamis_status convert(tamis__video *v, const AVFrame *f) {
    uint64_t maxp = v->opts.max_pixels ? v->opts.max_pixels : TAMIS_DEFAULT_MAX_PIXELS;
    if (f->width <= 0 || f->height <= 0 ||
        (uint64_t)f->width * (uint64_t)f->height > maxp)
        return tamis__fail(&v->err, TAMIS_ERR_TOO_LARGE, "a %dx%d frame is over the limit",
                           f->width, f->height);
    if (!v->sws || v->sws_w != f->width || v->sws_h != f->height || v->sws_fmt != f->format) {
        sws_freeContext(v->sws);
        v->sws = sws_getContext(f->width, f->height, (enum AVPixelFormat)f->format, v->out_w,
                                v->out_h, AV_PIX_FMT_RGB24,
                                v->opts.sws_flags ? v->opts.sws_flags : SWS_AREA, NULL, NULL,
                                NULL);
        if (!v->sws)
            return tamis__fail(&v->err, TAMIS_ERR_UNSUPPORTED,
                               "cannot convert %dx%d %s frames to RGB", f->width, f->height,
                               av_get_pix_fmt_name((enum AVPixelFormat)f->format)
                                   ? av_get_pix_fmt_name((enum AVPixelFormat)f->format)
                                   : "unknown");
        v->sws_w = f->width;
        v->sws_h = f->height;
        v->sws_fmt = f->format;
    }
    if (av_frame_make_writable(v->rgb) < 0)
        return tamis__fail(&v->err, TAMIS_ERR_NOMEM, "out of memory");
    int r = sws_scale(v->sws, (const uint8_t *const *)f->data, f->linesize, 0, f->height,
                      v->rgb->data, v->rgb->linesize);
    if (r <= 0)
        return tamis__fail(&v->err, TAMIS_ERR_INTERNAL, "swscale failed on a frame");
    return TAMIS_OK;
}

/* A frame's time in seconds from the stream's start; NAN when unknown. */
static double frame_time(const tamis__video *v, const AVFrame *f) {
    int64_t p = f->best_effort_timestamp;
    if (p == AV_NOPTS_VALUE)
        return NAN;
    if (v->start_pts != AV_NOPTS_VALUE)
        p -= v->start_pts;
    return (double)p * av_q2d(v->time_base);
}

static double index_time(const tamis__video *v, int64_t index) {
    return v->info.frame_rate > 0 ? (double)index / v->info.frame_rate : 0;
}

static tamis_status next_every(tamis__video *v, double *ts) {
    for (;;) {
        tamis_status st = decode_one(v);
        if (st != TAMIS_OK)
            return st;
        int64_t index = v->decoded - 1;
        if (index % v->opts.every_nth != 0)
            continue;
        if ((st = convert(v, v->frame)) != TAMIS_OK)
            return st;
        double t = frame_time(v, v->frame);
        *ts = isnan(t) ? index_time(v, index) : t;
        v->last_index = index;
        return TAMIS_OK;
    }
}

/* Resampling to opts.fps as FFmpeg's fps filter does (rounding to the
 * nearest tick): tick k shows the latest frame whose rounded time is at or
 * before k, and the last frame lasts until its end. */
static int64_t to_tick(const tamis__video *v, double t) {
    return llround(t * v->opts.fps);
}

/* A frame's tick, rounded as the filter does (half away from zero), in
 * exact arithmetic from its timestamp when it has one. */
static int64_t frame_tick(const tamis__video *v, const AVFrame *f, double t) {
    int64_t p = f->best_effort_timestamp;
    if (p == AV_NOPTS_VALUE)
        return to_tick(v, t);
    if (v->start_pts != AV_NOPTS_VALUE)
        p -= v->start_pts;
    AVRational tick = av_inv_q(av_d2q(v->opts.fps, INT_MAX));
    return av_rescale_q_rnd(p, v->time_base, tick, AV_ROUND_NEAR_INF | AV_ROUND_PASS_MINMAX);
}

static tamis_status next_fps(tamis__video *v, double *ts) {
    for (;;) {
        if (v->has_hold && v->next_tick < v->limit) {
            if (!v->hold_converted) {
                tamis_status st = convert(v, v->hold);
                if (st != TAMIS_OK)
                    return st;
                v->hold_converted = 1;
            }
            *ts = (double)v->next_tick / v->opts.fps;
            v->next_tick++;
            v->last_index = v->hold_index;
            return TAMIS_OK;
        }
        if (v->eof)
            return TAMIS_DONE;
        if (v->has_inc) {
            av_frame_unref(v->hold);
            av_frame_move_ref(v->hold, v->inc);
            v->has_inc = 0;
            v->hold_converted = 0;
            v->hold_index = v->inc_index;
            v->limit = v->next_tick;
            continue;
        }
        tamis_status st = decode_one(v);
        if (st == TAMIS_DONE) {
            v->eof = 1;
            if (v->has_hold)
                v->limit = to_tick(v, v->hold_end);
            continue;
        }
        if (st != TAMIS_OK)
            return st;
        int64_t index = v->decoded - 1;
        double t = frame_time(v, v->frame);
        if (isnan(t))
            t = index_time(v, index);
        double dur = v->frame->pkt_duration > 0 ? (double)v->frame->pkt_duration * av_q2d(v->time_base)
                     : v->info.frame_rate > 0 ? 1.0 / v->info.frame_rate
                                              : 1.0 / v->opts.fps;
        int64_t tick = frame_tick(v, v->frame, t);
        if (!v->has_hold) {
            av_frame_move_ref(v->hold, v->frame);
            v->has_hold = 1;
            v->hold_index = index;
            v->next_tick = v->limit = tick;
        } else {
            av_frame_move_ref(v->inc, v->frame);
            v->has_inc = 1;
            v->inc_index = index;
            v->limit = tick;
        }
        v->hold_end = t + dur;
    }
}

tamis_status tamis__video_next(tamis__video *v, const uint8_t **rgb, int *width, int *height,
                               size_t *stride, double *ts) {
    if (!v || !rgb || !width || !height || !stride || !ts)
        return TAMIS_ERR_INVALID;
    if (v->opts.max_frames && (uint64_t)v->returned >= v->opts.max_frames)
        return tamis__fail(&v->err, TAMIS_ERR_TOO_LARGE, "more than %llu frames",
                           (unsigned long long)v->opts.max_frames);
    tamis__err_clear(&v->err);
    v->avlog[0] = '\0';
    tamis__video *prev = tl_active;
    tl_active = v;
    double t = 0;
    tamis_status st = v->opts.fps > 0 ? next_fps(v, &t) : next_every(v, &t);
    tl_active = prev;
    if (st == TAMIS_DONE && v->decoded == 0)
        st = tamis__fail(&v->err, TAMIS_ERR_CORRUPT, "no frame could be decoded%s%s",
                         v->first_decode_error[0] ? ": " : "", v->first_decode_error);
    if (st != TAMIS_OK)
        return st;
    v->returned++;
    *rgb = v->rgb->data[0];
    *width = v->out_w;
    *height = v->out_h;
    *stride = (size_t)v->rgb->linesize[0];
    *ts = t;
    return TAMIS_OK;
}

const char *tamis__video_errmsg(const tamis__video *v) {
    return v ? v->err.msg : "no video";
}

void tamis__video_free(tamis__video *v) {
    if (!v)
        return;
    avformat_close_input(&v->fmt);
    if (v->pb) {
        av_freep(&v->pb->buffer);
        avio_context_free(&v->pb);
    }
    avcodec_free_context(&v->dec);
    av_packet_free(&v->pkt);
    av_frame_free(&v->frame);
    av_frame_free(&v->rgb);
    av_frame_free(&v->hold);
    av_frame_free(&v->inc);
    sws_freeContext(v->sws);
    if (v->map)
        munmap(v->map, v->map_len);
    tamis__free(v);
}
