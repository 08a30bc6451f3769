/*
 * error.c - status codes and per-handle messages. One error model for the
 * whole library: functions return a tamis_status, handles keep a detailed
 * message of their last failure.
 */
#include <stdio.h>

#include "common.h"

const char *tamis_strerror(tamis_status code) {
    switch (code) {
    case TAMIS_DONE: return "done";
    case TAMIS_OK: return "ok";
    case TAMIS_ERR_NOMEM: return "out of memory";
    case TAMIS_ERR_INVALID: return "invalid argument";
    case TAMIS_ERR_IO: return "cannot read input";
    case TAMIS_ERR_EMPTY: return "empty input";
    case TAMIS_ERR_UNSUPPORTED: return "unsupported format";
    case TAMIS_ERR_CORRUPT: return "corrupt or truncated data";
    case TAMIS_ERR_TOO_LARGE: return "input over the configured limit";
    case TAMIS_ERR_INTERNAL: return "internal error in a dependency";
    case TAMIS_ERR_NOT_FOUND: return "not found";
    case TAMIS_ERR_EXISTS: return "already exists";
    case TAMIS_ERR_DB: return "database error";
    }
    return "unknown error";
}

tamis_status tamis__fail(tamis__err *e, tamis_status code, const char *fmt, ...) {
    if (e) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(e->msg, sizeof e->msg, fmt, ap);
        va_end(ap);
    }
    return code;
}

void tamis__err_clear(tamis__err *e) {
    if (e)
        e->msg[0] = '\0';
}
