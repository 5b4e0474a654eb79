/* SPDX-License-Identifier: MIT */
/*
 * The few libc string functions the hypervisor needs.  The compiler may
 * emit calls to memcpy/memset/memmove/memcmp on its own, so these exact
 * names must exist.  `rep movs`/`rep stos`, by words when aligned.
 */
#include <mica/string.h>

#ifndef MICA_HOST_TEST
/* Whole 8-byte words when everything is aligned (pages: scrubbing,
 * copies): under QEMU's TCG each `rep` iteration costs the same whatever
 * its width, so bytes would be eight times slower (bench: populate and
 * destroy of a 4 MiB domain, docs/performance.md). */
static bool words(const void *a, const void *b, size_t n)
{
    return !(((uintptr_t)a | (uintptr_t)b | n) & 7);
}

void *memcpy(void *dst, const void *src, size_t n)
{
    void *ret = dst;

    if (words(dst, src, n)) {
        n /= 8;
        __asm__ volatile("rep movsq" : "+D"(dst), "+S"(src), "+c"(n) : : "memory");
    } else {
        __asm__ volatile("rep movsb" : "+D"(dst), "+S"(src), "+c"(n) : : "memory");
    }
    return ret;
}

void *memmove(void *dst, const void *src, size_t n)
{
    unsigned char *d = dst;
    const unsigned char *s = src;

    if (d == s || n == 0)
        return dst;
    if (d < s || d >= s + n)
        return memcpy(dst, src, n);
    while (n--)
        d[n] = s[n];
    return dst;
}

void *memset(void *dst, int c, size_t n)
{
    void *ret = dst;

    if (words(dst, dst, n)) {
        uint64_t v = 0x0101010101010101ULL * (uint8_t)c;
        n /= 8;
        __asm__ volatile("rep stosq" : "+D"(dst), "+c"(n) : "a"(v) : "memory");
    } else {
        __asm__ volatile("rep stosb" : "+D"(dst), "+c"(n) : "a"(c) : "memory");
    }
    return ret;
}

int memcmp(const void *a, const void *b, size_t n)
{
    const unsigned char *x = a, *y = b;

    for (; n; n--, x++, y++)
        if (*x != *y)
            return *x - *y;
    return 0;
}

void *memchr(const void *s, int c, size_t n)
{
    const unsigned char *p = s;

    for (; n; n--, p++)
        if (*p == (unsigned char)c)
            return (void *)p;
    return NULL;
}

size_t strlen(const char *s)
{
    size_t n = 0;

    while (s[n])
        n++;
    return n;
}

size_t strnlen(const char *s, size_t max)
{
    size_t n = 0;

    while (n < max && s[n])
        n++;
    return n;
}

int strcmp(const char *a, const char *b)
{
    while (*a && *a == *b)
        a++, b++;
    return (unsigned char)*a - (unsigned char)*b;
}

#endif /* !MICA_HOST_TEST */

size_t mica_strlcpy(char *dst, const char *src, size_t size)
{
    size_t len = strlen(src);

    if (size) {
        size_t n = len < size - 1 ? len : size - 1;
        memcpy(dst, src, n);
        dst[n] = '\0';
    }
    return len;
}
