/*
 * video.h - decoding videos into RGB frames (internal interface), for the
 * video hashes: vPDQ (vpdq.c) and TMK+PDQF (tmk.c).
 *
 * decode.c wraps FFmpeg's libavformat, libavcodec and libswscale. Frames
 * come out as packed RGB24, converted and (optionally) resized the way the
 * reference tools have FFmpeg do it, with the presentation time of each.
 */
#ifndef TAMIS_VIDEO_VIDEO_H
#define TAMIS_VIDEO_VIDEO_H

#include <stddef.h>
#include <stdint.h>

#include "../common/common.h"

typedef struct tamis__video tamis__video;

typedef struct tamis__video_opts {
    /* Output size; 0 x 0 keeps the stream's coded width x height (as the
     * vPDQ reference does: the sample aspect ratio is not applied). */
    int out_width, out_height;
    /* Sampling: <= 0 gives every decoded frame; otherwise frames are
     * resampled to this rate (as FFmpeg's fps filter does: one frame per
     * 1/fps tick, the most recent frame at or before it). */
    double fps;
    /* Decoder threads (0: FFmpeg's choice). */
    int threads;
    /* Refuse streams larger than this (width * height), 0: 100 M. */
    uint64_t max_pixels;
    /* With fps <= 0: return only the decoded frames whose index (counting
     * every frame the decoder outputs, from 0) is a multiple of this; 0 or
     * 1: all. Frames skipped are decoded but never converted (vPDQ's
     * seconds-per-hash sampling). */
    int every_nth;
    /* Stop with TAMIS_ERR_TOO_LARGE after returning this many frames;
     * 0: no limit. Resampling can repeat a frame across a gap in the
     * timestamps, so a small file can otherwise yield any number. */
    uint64_t max_frames;
    /* swscale's flags for the conversion to RGB; 0: SWS_AREA, as the vPDQ
     * library does. The ffmpeg command-line tool (which the vPDQ reference
     * piped from until 2024, and TMK's still does) converts with
     * SWS_BICUBIC | SWS_ACCURATE_RND; at the same size only ACCURATE_RND
     * changes the pixels. */
    int sws_flags;
} tamis__video_opts;

typedef struct tamis__video_info {
    int width, height;   /* the stream's */
    double frame_rate;   /* the stream's average rate (0 if unknown) */
    double duration_s;   /* 0 if unknown */
    const char *container, *codec; /* FFmpeg's short names */
} tamis__video_info;

/* Opens a video from a file or from bytes in memory (which must outlive
 * the handle). Errors: TAMIS_ERR_UNSUPPORTED (not a video, or no video stream,
 * or a codec FFmpeg lacks), TAMIS_ERR_IO, TAMIS_ERR_TOO_LARGE; err (may be
 * NULL) gets FFmpeg's reason. */
tamis_status tamis__video_open_file(const char *path, const tamis__video_opts *opts,
                                    tamis__video **out, char *err, size_t errlen);
tamis_status tamis__video_open_mem(const uint8_t *data, size_t len, const tamis__video_opts *opts,
                                   tamis__video **out, char *err, size_t errlen);

const tamis__video_info *tamis__video_info_of(const tamis__video *v);

/* The next frame: RGB24 rows `stride` bytes apart, valid until the next
 * call; *ts its presentation time in seconds from the stream's start time
 * (with fps > 0, the time of its tick; without timestamps, index / rate).
 * TAMIS_DONE at the end; a corrupt packet mid-stream is skipped as FFmpeg
 * skips it, a stream that decodes no frame at all is TAMIS_ERR_CORRUPT. */
tamis_status tamis__video_next(tamis__video *v, const uint8_t **rgb, int *width, int *height,
                               size_t *stride, double *ts);

/* The message of the last error of tamis__video_next ("" after a frame). */
const char *tamis__video_errmsg(const tamis__video *v);

/* The decoder's index of the frame tamis__video_next last returned (every
 * decoded frame counts, from 0); -1 before the first. With fps > 0 a frame
 * returned for several ticks keeps its index. */
int64_t tamis__video_frame_index(const tamis__video *v);

void tamis__video_free(tamis__video *v);

#endif
