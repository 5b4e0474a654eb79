/* SPDX-License-Identifier: MIT */
/*
 * The test kit: a tiny freestanding 64-bit PV kernel framework.  A kernel
 * is one file that defines a table of tests and names it with KIT_KERNEL();
 * the runner (runner.c) boots, runs each test in table order, prints one
 * result line per test and a summary, and shuts the domain down:
 *
 *     kit: PASS <name>
 *     kit: FAIL <name>: <reason>
 *     kit: SKIP <name>: <reason>
 *     kit: <N> passed, <M> failed, <S> skipped
 *
 * then SHUTDOWN_poweroff when nothing failed, SHUTDOWN_crash otherwise.
 * A test returns KIT_PASS, or fails through one of the expect_*() macros
 * (which return from the test with a reason).  Every console line is one
 * console_io write, so the hypervisor shows it as "(d<id>) kit: ...".
 *
 * Command line (start_info.cmd_line): kit.only=<name>[,<name>...] runs only
 * those tests; the others are reported as SKIP.
 */
#ifndef KIT_H
#define KIT_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <abi/errno.h>
#include <abi/xen.h>

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#define __printf(f, a) __attribute__((format(printf, f, a)))
#define __noreturn __attribute__((noreturn))

#define VIRT_BASE 0xffffffff80000000UL
#define PAGE_SIZE 4096UL
#define PAGE_SHIFT 12

enum kit_result { KIT_PASS = 0, KIT_FAILED = 1, KIT_SKIPPED = 2 };

/* Test flags. */
#define KIT_MM      (1U << 0)   /* uses the memory helpers (memory.h) */
#define KIT_HOSTILE (1U << 1)   /* a refused operation: proves an error path */
#define KIT_CRASHES (1U << 2)   /* must end the domain (the hypervisor crashes
                                 * it); runs last, after the summary */

struct kit_test {
    const char *name;           /* what the test proves, snake_case */
    int (*fn)(void);
    unsigned int flags;
};

/* Each kernel defines these through KIT_KERNEL(name, table). */
extern const char kit_kernel_name[];
extern const struct kit_test *const kit_tests;
extern const unsigned int kit_nr_tests;
#define KIT_KERNEL(name_, table_)                                   \
    const char kit_kernel_name[] = name_;                           \
    const struct kit_test *const kit_tests = table_;                \
    const unsigned int kit_nr_tests = ARRAY_SIZE(table_)

/* What the builder handed us (runner.c, entry.asm). */
extern const struct start_info *kit_si;
/* The decimal number after `key` (e.g. "chaos.seed=") on the command line;
 * dflt when the key is absent or no digit follows it. */
uint64_t kit_cmdline_number(const char *key, uint64_t dflt);
extern uint64_t kit_entry_rsp, kit_entry_rsi;
extern uint16_t kit_entry_cs, kit_entry_ss;
extern char _image_start[], _image_end[], _bss_start[], _bss_end[];

/* Console (console.c): line-buffered, one console_io write per line. */
int kit_vsnprintf(char *buf, size_t size, const char *fmt, va_list ap);
int kit_snprintf(char *buf, size_t size, const char *fmt, ...) __printf(3, 4);
void kit_printf(const char *fmt, ...) __printf(1, 2);
void kit_console_flush(void);
const char *kit_errno_name(long rc);

/* Failing and skipping (runner.c): record the reason, return the result. */
int kit_fail(const char *fmt, ...) __printf(1, 2);
int kit_skip(const char *fmt, ...) __printf(1, 2);
/* Shut the domain down (never returns). */
void kit_shutdown(unsigned int reason) __noreturn;

/* Assertions: on failure the test returns KIT_FAILED with a reason that
 * names `what` and both values. */
#define expect_eq(got, want, what)                                           \
    do {                                                                     \
        uint64_t got_ = (uint64_t)(got), want_ = (uint64_t)(want);           \
        if (got_ != want_)                                                   \
            return kit_fail("%s: got %ld (%#lx), want %ld (%#lx)", (what),   \
                            (long)got_, got_, (long)want_, want_);           \
    } while (0)

#define expect_ne(got, bad, what)                                            \
    do {                                                                     \
        uint64_t got_ = (uint64_t)(got), bad_ = (uint64_t)(bad);             \
        if (got_ == bad_)                                                    \
            return kit_fail("%s: got %ld (%#lx)", (what), (long)got_, got_); \
    } while (0)

#define expect_true(cond, what)                                              \
    do {                                                                     \
        if (!(cond))                                                         \
            return kit_fail("%s", (what));                                   \
    } while (0)

/* A hypercall result: rc must be `want` (0 or a negative XEN_E* value). */
#define expect_rc(rc, want, what)                                            \
    do {                                                                     \
        long rc_ = (long)(rc), want_ = (long)(want);                         \
        if (rc_ != want_)                                                    \
            return kit_fail("%s: got %ld (%s), want %ld (%s)", (what), rc_,  \
                            kit_errno_name(rc_), want_, kit_errno_name(want_)); \
    } while (0)
#define expect_ok(rc, what) expect_rc(rc, 0, what)

/* string.c */
void *memset(void *dst, int c, size_t n);
void *memcpy(void *dst, const void *src, size_t n);
int memcmp(const void *a, const void *b, size_t n);
size_t strnlen(const char *s, size_t max);
int strncmp(const char *a, const char *b, size_t n);
const char *kit_strstr(const char *hay, const char *needle);
void kit_sort_u64(uint64_t *a, unsigned int n);     /* ascending, in place (for medians) */

/* The TSC, serialised against the code around it. */
static inline uint64_t kit_rdtsc(void)
{
    uint32_t lo, hi;

    __asm__ volatile("lfence\n\trdtsc\n\tlfence" : "=a"(lo), "=d"(hi) : : "memory");
    return ((uint64_t)hi << 32) | lo;
}

#endif /* KIT_H */
