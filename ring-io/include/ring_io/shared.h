/* SPDX-License-Identifier: MIT */
/*
 * Accessors for memory shared with an untrusted peer on another CPU.
 *
 * Every load of an index the peer writes goes through ring_io_load_*: it is
 * an atomic load, so the compiler reads it exactly once into a local and
 * cannot re-read it later for the same decision.  Entry bodies are copied
 * through volatile accesses for the same reason (no double fetch): once
 * copied, validation and use both look at the private copy.  Only compiler
 * builtins are used, so this compiles freestanding with no libc (no memcpy
 * call is emitted, which a hypervisor or test kernel may not provide).
 */
#ifndef RING_IO_SHARED_H
#define RING_IO_SHARED_H

#include <stddef.h>
#include <stdint.h>

/* Word types allowed to alias the entry structs they copy. */
typedef uint64_t __attribute__((may_alias)) ring_io_u64;
typedef uint32_t __attribute__((may_alias)) ring_io_u32;
typedef uint8_t __attribute__((may_alias)) ring_io_u8;

static inline uint32_t ring_io_load_acquire(const uint32_t *p)
{
    return __atomic_load_n(p, __ATOMIC_ACQUIRE);
}

/* For the event-threshold re-check: must not be ordered before our store. */
static inline uint32_t ring_io_load_seq_cst(const uint32_t *p)
{
    return __atomic_load_n(p, __ATOMIC_SEQ_CST);
}

/* Our own index in shared memory: only hints are derived from it. */
static inline uint32_t ring_io_load_relaxed(const uint32_t *p)
{
    return __atomic_load_n(p, __ATOMIC_RELAXED);
}

static inline void ring_io_store_release(uint32_t *p, uint32_t v)
{
    __atomic_store_n(p, v, __ATOMIC_RELEASE);
}

/*
 * A store that is followed by a load of another location the peer writes,
 * where both sides must not miss each other (Dekker pattern): seq_cst on the
 * store and on the load that follows gives the store->load order.  On x86
 * this is an XCHG, i.e. the full fence Xen's ring protocol asks for.
 */
static inline void ring_io_store_seq_cst(uint32_t *p, uint32_t v)
{
    __atomic_store_n(p, v, __ATOMIC_SEQ_CST);
}

/*
 * Copy n bytes between private and shared memory using the widest access
 * that size and alignment allow.  Both arguments are usually compile-time
 * constants, so only one loop survives.  Volatile keeps each shared byte
 * read (or written) exactly once.
 */
static inline void ring_io_copy_in(void *dst, const void *src, size_t n,
                                   size_t align)
{
    size_t i;

    if (align % 8 == 0 && n % 8 == 0) {
        const volatile ring_io_u64 *s = (const volatile ring_io_u64 *)src;
        ring_io_u64 *d = (ring_io_u64 *)dst;
        for (i = 0; i < n / 8; i++)
            d[i] = s[i];
    } else if (align % 4 == 0 && n % 4 == 0) {
        const volatile ring_io_u32 *s = (const volatile ring_io_u32 *)src;
        ring_io_u32 *d = (ring_io_u32 *)dst;
        for (i = 0; i < n / 4; i++)
            d[i] = s[i];
    } else {
        const volatile ring_io_u8 *s = (const volatile ring_io_u8 *)src;
        ring_io_u8 *d = (ring_io_u8 *)dst;
        for (i = 0; i < n; i++)
            d[i] = s[i];
    }
}

static inline void ring_io_copy_out(void *dst, const void *src, size_t n,
                                    size_t align)
{
    size_t i;

    if (align % 8 == 0 && n % 8 == 0) {
        volatile ring_io_u64 *d = (volatile ring_io_u64 *)dst;
        const ring_io_u64 *s = (const ring_io_u64 *)src;
        for (i = 0; i < n / 8; i++)
            d[i] = s[i];
    } else if (align % 4 == 0 && n % 4 == 0) {
        volatile ring_io_u32 *d = (volatile ring_io_u32 *)dst;
        const ring_io_u32 *s = (const ring_io_u32 *)src;
        for (i = 0; i < n / 4; i++)
            d[i] = s[i];
    } else {
        volatile ring_io_u8 *d = (volatile ring_io_u8 *)dst;
        const ring_io_u8 *s = (const ring_io_u8 *)src;
        for (i = 0; i < n; i++)
            d[i] = s[i];
    }
}

#endif /* RING_IO_SHARED_H */
