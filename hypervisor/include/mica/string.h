/* SPDX-License-Identifier: MIT */
/*
 * Memory and string helpers.  The hypervisor has its own (common/string.c);
 * host unit tests use the C library's.
 */
#ifndef MICA_STRING_H
#define MICA_STRING_H

#include <mica/types.h>

#ifdef MICA_HOST_TEST
#include <string.h>
#else
void *memcpy(void *dst, const void *src, size_t n);
void *memmove(void *dst, const void *src, size_t n);
void *memset(void *dst, int c, size_t n);
int memcmp(const void *a, const void *b, size_t n);
void *memchr(const void *s, int c, size_t n);
size_t strlen(const char *s);
size_t strnlen(const char *s, size_t max);
int strcmp(const char *a, const char *b);
#endif

/* Copy at most size-1 bytes and always terminate (when size > 0);
 * returns strlen(src) so callers can detect truncation. */
size_t mica_strlcpy(char *dst, const char *src, size_t size);

#endif /* MICA_STRING_H */
