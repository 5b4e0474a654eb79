// SPDX-License-Identifier: MIT
/* The few string functions the kit uses; gcc may also emit calls to
 * memset/memcpy/memcmp for struct copies and initialisers. */
#include "kit.h"

void *memset(void *dst, int c, size_t n)
{
    unsigned char *d = dst;

    while (n--)
        *d++ = (unsigned char)c;
    return dst;
}

void *memcpy(void *dst, const void *src, size_t n)
{
    unsigned char *d = dst;
    const unsigned char *s = src;

    while (n--)
        *d++ = *s++;
    return dst;
}

int memcmp(const void *a, const void *b, size_t n)
{
    const unsigned char *x = a, *y = b;

    for (; n; n--, x++, y++)
        if (*x != *y)
            return *x - *y;
    return 0;
}

size_t strnlen(const char *s, size_t max)
{
    size_t n = 0;

    while (n < max && s[n])
        n++;
    return n;
}

int strncmp(const char *a, const char *b, size_t n)
{
    for (; n; n--, a++, b++) {
        if (*a != *b)
            return (unsigned char)*a - (unsigned char)*b;
        if (!*a)
            break;
    }
    return 0;
}

const char *kit_strstr(const char *hay, const char *needle)
{
    size_t n = strnlen(needle, 4096);

    for (; *hay; hay++)
        if (strncmp(hay, needle, n) == 0)
            return hay;
    return n ? NULL : hay;
}

void kit_sort_u64(uint64_t *a, unsigned int n)
{
    /* Shell sort: a few thousand samples at most, sorted once per median. */
    for (unsigned int gap = n / 2; gap; gap /= 2)
        for (unsigned int i = gap; i < n; i++)
            for (unsigned int j = i; j >= gap && a[j - gap] > a[j]; j -= gap) {
                uint64_t t = a[j];
                a[j] = a[j - gap];
                a[j - gap] = t;
            }
}
