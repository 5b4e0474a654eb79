/* SPDX-License-Identifier: MIT */
/* Timestamped, line-flushed back-end log (see be_log.h). */
#include <stdarg.h>
#include <time.h>

#include "be_log.h"

static FILE *log_file;

void be_log_to(FILE *f)
{
    log_file = f;
}

void be_log(const char *fmt, ...)
{
    struct timespec ts;
    va_list ap;

    if (!log_file)
        return;
    clock_gettime(CLOCK_REALTIME, &ts);
    fprintf(log_file, "[%lld.%03ld] ", (long long)ts.tv_sec, ts.tv_nsec / 1000000);
    va_start(ap, fmt);
    vfprintf(log_file, fmt, ap);
    va_end(ap);
    fputc('\n', log_file);
    fflush(log_file);
}
