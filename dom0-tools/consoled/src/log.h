/* SPDX-License-Identifier: MIT */
/*
 * consoled's own log (stderr unless -l is given): why a console was set
 * up, refused, stopped or lost output.  Guests' output goes to their own
 * log files (console.c), never here.
 */
#ifndef CD_LOG_H
#define CD_LOG_H

#include <stdio.h>

void cd_log_to(FILE *f);
void cd_log(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
