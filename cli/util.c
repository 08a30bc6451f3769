/* util.c - small helpers shared by the subcommands: JSON strings, option
 * values, mapped files, CPU count. */
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"

static int utf8_len(const unsigned char *s, size_t avail) {
    /* Length of a valid UTF-8 sequence at s (avail bytes left), or 0. */
    unsigned c = s[0];
    int n;
    unsigned min;
    if (c < 0x80)
        return 1;
    if (c >= 0xc2 && c <= 0xdf)
        n = 2, min = 0x80;
    else if (c >= 0xe0 && c <= 0xef)
        n = 3, min = 0x800;
    else if (c >= 0xf0 && c <= 0xf4)
        n = 4, min = 0x10000;
    else
        return 0;
    unsigned cp = c & (0x7f >> n);
    if ((size_t)n > avail)
        return 0;
    for (int i = 1; i < n; i++) {
        if ((s[i] & 0xc0) != 0x80)
            return 0;
        cp = cp << 6 | (s[i] & 0x3f);
    }
    if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
        return 0;
    return n;
}

void json_write_string(FILE *f, const char *str) {
    json_write_mem(f, str, strlen(str));
}

void json_write_mem(FILE *f, const char *str, size_t len) {
    const unsigned char *s = (const unsigned char *)str, *end = s + len;
    fputc('"', f);
    while (s < end) {
        unsigned c = *s;
        int n = utf8_len(s, (size_t)(end - s));
        if (n == 0) {
            fprintf(f, "\\u%04x", c);
            s++;
            continue;
        }
        if (n > 1) {
            fwrite(s, 1, (size_t)n, f);
            s += n;
            continue;
        }
        switch (c) {
        case '"': fputs("\\\"", f); break;
        case '\\': fputs("\\\\", f); break;
        case '\n': fputs("\\n", f); break;
        case '\r': fputs("\\r", f); break;
        case '\t': fputs("\\t", f); break;
        default:
            if (c < 0x20 || c == 0x7f)
                fprintf(f, "\\u%04x", c);
            else
                fputc((int)c, f);
        }
        s++;
    }
    fputc('"', f);
}

int parse_count(const char *s, unsigned long long *out) {
    if (!s || !*s || *s == '-')
        return -1;
    char *end;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 10);
    if (errno || *end || v == 0)
        return -1;
    *out = v;
    return 0;
}

int parse_number(const char *s, double min, double max, double *out) {
    if (!s || !*s)
        return -1;
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    if (errno || *end || !isfinite(v) || v < min || v > max)
        return -1;
    *out = v;
    return 0;
}

int parse_fps(const char *s, double *seconds_per_hash) {
    double f;
    if (parse_number(s, 0, 1e9, &f) || f <= 0)
        return -1;
    *seconds_per_hash = 1.0 / f;
    return 0;
}

int parse_vpdq_convert(const char *s, int *convert) {
    if (strcmp(s, "library") == 0)
        *convert = TAMIS_VPDQ_CONVERT_LIBRARY;
    else if (strcmp(s, "ffmpeg") == 0)
        *convert = TAMIS_VPDQ_CONVERT_FFMPEG_CLI;
    else
        return -1;
    return 0;
}

int file_map(const char *path, const void **data, size_t *len) {
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return -1;
    struct stat sb;
    if (fstat(fd, &sb) != 0 || !S_ISREG(sb.st_mode)) {
        int e = S_ISDIR(sb.st_mode) ? EISDIR : errno ? errno : EINVAL;
        close(fd);
        errno = e;
        return -1;
    }
    *data = NULL;
    *len = (size_t)sb.st_size;
    if (*len > 0) {
        void *m = mmap(NULL, *len, PROT_READ, MAP_PRIVATE, fd, 0);
        if (m == MAP_FAILED) {
            int e = errno;
            close(fd);
            errno = e;
            return -1;
        }
        *data = m;
    }
    close(fd);
    return 0;
}

void file_unmap(const void *data, size_t len) {
    if (data)
        munmap((void *)data, len);
}

int cpu_count(void) {
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    return n > 0 ? (int)n : 1;
}
