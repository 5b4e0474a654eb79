/* SPDX-License-Identifier: MIT */
/*
 * Basic types and helpers used throughout the hypervisor.  Only the
 * compiler's freestanding headers are included, so the same sources build
 * for the host unit tests (MICA_HOST_TEST) without change.
 */
#ifndef MICA_TYPES_H
#define MICA_TYPES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef uint64_t paddr_t;   /* a machine (physical) address */
typedef uint64_t mfn_t;     /* a machine frame number */

#define PAGE_SHIFT 12
#define PAGE_SIZE  (1UL << PAGE_SHIFT)
#define PAGE_MASK  (~(PAGE_SIZE - 1))

#define KiB(x) ((uint64_t)(x) << 10)
#define MiB(x) ((uint64_t)(x) << 20)
#define GiB(x) ((uint64_t)(x) << 30)

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#define ALIGN_UP(x, a)   (((x) + ((a) - 1)) & ~((__typeof__(x))(a) - 1))
#define ALIGN_DOWN(x, a) ((x) & ~((__typeof__(x))(a) - 1))
#define IS_ALIGNED(x, a) (((x) & ((__typeof__(x))(a) - 1)) == 0)
#define MIN(a, b) ((a) < (b) ? (a) : (b))
#define MAX(a, b) ((a) > (b) ? (a) : (b))

#define __noreturn  __attribute__((noreturn))
#define __packed    __attribute__((packed))
#define __printf(f, a) __attribute__((format(printf, f, a)))
#define __aligned(n) __attribute__((aligned(n)))
#define __unused    __attribute__((unused))

#define likely(x)   __builtin_expect(!!(x), 1)
#define unlikely(x) __builtin_expect(!!(x), 0)

#endif /* MICA_TYPES_H */
