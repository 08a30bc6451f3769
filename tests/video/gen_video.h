/*
 * gen_video.h - test helper: small synthetic videos encoded in the test with
 * FFmpeg's own encoders (MPEG-4 part 2, FFV1, MJPEG), so that the video
 * tests need no data files. Shared by the decoder and vPDQ tests.
 */
#ifndef TAMIS_TESTS_GEN_VIDEO_H
#define TAMIS_TESTS_GEN_VIDEO_H

#include <stddef.h>
#include <stdint.h>

typedef struct gen_video_spec {
    const char *container; /* libavformat's muxer name: "mp4", "matroska", "avi" */
    const char *codec;     /* encoder name: "mpeg4", "ffv1", "mjpeg" */
    int width, height;
    int fps;               /* frames per second (time base 1/fps) */
    int frames;
    int scene;             /* which picture: 0 and 1 are unrelated textures */
} gen_video_spec;

/* The RGB24 picture of frame i (width * 3 bytes per row, malloc'd): a
 * texture that drifts slowly from frame to frame, so that PDQ's quality is
 * high and consecutive frames hash close. */
uint8_t *gen_video_frame(const gen_video_spec *s, int i);

/* Encodes the video into `path`. Returns 0 on success, -1 on failure
 * (with a reason on stderr, as the test harness prints it). */
int gen_video_file(const gen_video_spec *s, const char *path);

#endif
