/* SPDX-License-Identifier: MIT */
/*
 * A back end's own log (stderr unless the daemon names a file): devices
 * set up, connected, refused, torn down, and guests caught sending bad
 * requests.  One timestamped line per event, flushed at once so a killed
 * daemon leaves its last words.
 */
#ifndef BE_LOG_H
#define BE_LOG_H

#include <stdio.h>

void be_log_to(FILE *f);
void be_log(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
