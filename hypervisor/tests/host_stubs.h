/* SPDX-License-Identifier: MIT */
/*
 * Stand-ins shared by host tests that link real hypervisor sources
 * (test_evtchn.c, and through it fuzz_evtchn.c; test_gnttab.c): a malloc
 * heap that can be told to fail and counts what is live, guest copies over
 * host pointers (address 0 faults; ro_arg faults on writes; bad_range
 * fails guest_range_ok), `current`, and bug().  Include once per program.
 */
#ifndef HOST_STUBS_H
#define HOST_STUBS_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <mica/domain.h>
#include <mica/errno.h>
#include <mica/guest_access.h>
#include <mica/heap.h>
#include <mica/mm.h>

struct vcpu *current;
static long live_allocs;
static int fail_alloc_in;       /* n > 0: the n-th next xzalloc fails */
static const void *ro_arg;      /* copy_to_guest to this address faults */
static const void *bad_range;   /* guest_range_ok refuses this address */

void *xzalloc(size_t size)
{
    if (size > PAGE_SIZE) {     /* the real heap has no larger objects */
        fprintf(stderr, "xzalloc(%zu): larger than a page\n", size);
        abort();
    }
    if (fail_alloc_in > 0 && --fail_alloc_in == 0)
        return NULL;
    live_allocs++;
    return calloc(1, size);
}

void xfree(void *p)
{
    if (p)
        live_allocs--;
    free(p);
}

int copy_from_guest(void *dst, uint64_t va, size_t len)
{
    if (!va)
        return -EFAULT;
    memcpy(dst, (const void *)(uintptr_t)va, len);
    return 0;
}

int copy_to_guest(uint64_t va, const void *src, size_t len)
{
    if (!va || (const void *)(uintptr_t)va == ro_arg)
        return -EFAULT;
    memcpy((void *)(uintptr_t)va, src, len);
    return 0;
}

bool guest_range_ok(uint64_t va, size_t len)
{
    (void)len;
    return !bad_range || (const void *)(uintptr_t)va != bad_range;
}

void bug(const char *file, int line, const char *cond)
{
    fprintf(stderr, "BUG %s:%d %s\n", file, line, cond);
    abort();
}

#endif /* HOST_STUBS_H */
