/* SPDX-License-Identifier: MIT */
/*
 * The daemon log.  The wire only carries an errno name, so anything a
 * client or operator needs to understand a refusal (which quota, which
 * framing error, which connection) is written here.
 */
#ifndef XSD_LOG_H
#define XSD_LOG_H

#include <stdio.h>

void xs_log_to(FILE *f);            /* NULL silences the log */
void xs_log(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
