/* SPDX-License-Identifier: MIT */
/*
 * Logging.  Every line goes to the console (COM1 unless console=none) with
 * the prefix "(mica) " when its level is at or below loglvl=.  panic() and
 * the exception handlers print regardless of the level.
 */
#ifndef MICA_PRINTK_H
#define MICA_PRINTK_H

#include <stdarg.h>
#include <mica/types.h>

enum log_level {
    LOG_ERR = 0,
    LOG_WARN = 1,
    LOG_INFO = 2,
    LOG_DEBUG = 3,
};

int mica_vsnprintf(char *buf, size_t size, const char *fmt, va_list ap);
int mica_snprintf(char *buf, size_t size, const char *fmt, ...) __printf(3, 4);

void log_set_level(enum log_level level);
void log_set_console(bool enabled);
void printk(enum log_level level, const char *fmt, ...) __printf(2, 3);
/* Raw console output, no prefix and no level: for register dumps. */
void console_write(const char *s, size_t len);
/* The ring of the hypervisor's messages (readconsole): copy up to len
 * bytes from position *pos on (moved up to the oldest still kept),
 * advancing it; the position of the oldest byte since the last clear. */
size_t log_ring_read(uint64_t *pos, char *buf, size_t len);
uint64_t log_ring_start(void);
void log_ring_clear(void);
/* Like printk() but shown at every log level: for fatal reports. */
void fatal_printk(const char *fmt, ...) __printf(1, 2);

#define pr_err(...)   printk(LOG_ERR, __VA_ARGS__)
#define pr_warn(...)  printk(LOG_WARN, __VA_ARGS__)
#define pr_info(...)  printk(LOG_INFO, __VA_ARGS__)
#define pr_debug(...) printk(LOG_DEBUG, __VA_ARGS__)

void panic(const char *fmt, ...) __printf(1, 2) __noreturn;

#endif /* MICA_PRINTK_H */
