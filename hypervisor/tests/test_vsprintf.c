/* SPDX-License-Identifier: MIT */
/*
 * Host tests of the hypervisor's vsnprintf against the C library's: the
 * same format and arguments must give the same text and return value, for
 * every conversion, flag, width, precision and length we support, and for
 * truncation at every buffer size.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <cmocka.h>

#include <mica/printk.h>
#include <mica/string.h>

/* The corner cases below are unusual on purpose (a '0' flag with a
 * precision, an empty format, a NULL string): C defines them all. */
#pragma GCC diagnostic ignored "-Wformat"
#pragma GCC diagnostic ignored "-Wformat-zero-length"
#pragma GCC diagnostic ignored "-Wformat-overflow"

#define SAME(...) do {                                                   \
    char want[256], got[256];                                            \
    int wn = snprintf(want, sizeof(want), __VA_ARGS__);                  \
    int gn = mica_snprintf(got, sizeof(got), __VA_ARGS__);               \
    if (strcmp(want, got) != 0 || wn != gn)                              \
        fail_msg("format %s: libc \"%s\" (%d), mica \"%s\" (%d)",        \
                 #__VA_ARGS__, want, wn, got, gn);                       \
} while (0)

static void integers(void **state)
{
    (void)state;
    SAME("%d %i %u", 0, -1, 42u);
    SAME("%d %d", INT32_MIN, INT32_MAX);
    SAME("%ld %lu %lx", (long)INT64_MIN, (unsigned long)UINT64_MAX, 0xdeadbeefUL);
    SAME("%lld %llu", (long long)INT64_MIN, (unsigned long long)UINT64_MAX);
    SAME("%hhd %hhu %hd %hu", 300, 300, 70000, 70000);
    SAME("%zu %zd %td %jd", (size_t)123, (ssize_t)-5, (ptrdiff_t)-9, (intmax_t)77);
    SAME("%x %X %o %#x %#X %#o", 255u, 255u, 8u, 255u, 255u, 8u);
    SAME("%#x %#o", 0u, 0u);
}

static void flags_width_precision(void **state)
{
    (void)state;
    SAME("[%5d] [%-5d] [%05d] [%+d] [% d]", 42, 42, 42, 42, 42);
    SAME("[%05d] [%+05d] [%-+5d]", -42, 42, 42);
    SAME("[%.3d] [%8.3d] [%-8.3d] [%08.3d]", 7, 7, 7, 7);
    SAME("[%.0d] [%.0u] [%5.0x]", 0, 0u, 0u);
    SAME("[%016lx] [%#018lx]", 0x1234UL, 0x1234UL);
    SAME("[%*d] [%-*d] [%*d]", 6, 1, 6, 1, -6, 1);
    SAME("[%.*d] [%.*d]", 4, 3, -1, 3);
    SAME("[%04x:%016lx]", 0xe008u, 0xffff82d040000000UL);
}

static void strings_and_chars(void **state)
{
    (void)state;
    SAME("[%s] [%10s] [%-10s] [%.2s] [%5.1s]", "abc", "abc", "abc", "abc", "abc");
    SAME("[%.*s]", 3, "abcdef");
    SAME("[%c%c%c] [%3c] [%-3c]", 'm', 'i', 'x', 'c', 'c');
    SAME("100%% [%%]");
    SAME("");
}

static void pointers(void **state)
{
    (void)state;
    char got[64];
    mica_snprintf(got, sizeof(got), "%p", (void *)0xffff82d040001234UL);
    assert_string_equal(got, "0xffff82d040001234");
    mica_snprintf(got, sizeof(got), "%p", (void *)0);
    assert_string_equal(got, "0x0000000000000000");
}

static void null_string(void **state)
{
    (void)state;
    char got[32];
    const char *nul = NULL;
    mica_snprintf(got, sizeof(got), "[%s]", nul);
    assert_string_equal(got, "[(null)]");
}

static void truncation_at_every_size(void **state)
{
    (void)state;
    const char *fmt = "vec %lu at %016lx: %s";
    char want[128], got[128];
    int full = snprintf(want, sizeof(want), fmt, 14UL, 0xdeadUL, "page fault");

    for (size_t size = 0; size <= (size_t)full + 2; size++) {
        memset(want, 'Z', sizeof(want));
        memset(got, 'Z', sizeof(got));
        int wn = snprintf(want, size, fmt, 14UL, 0xdeadUL, "page fault");
        int gn = mica_snprintf(got, size, fmt, 14UL, 0xdeadUL, "page fault");
        assert_int_equal(wn, gn);
        assert_memory_equal(want, got, sizeof(want));     /* nothing past size */
    }
}

static void unknown_conversion_is_visible(void **state)
{
    (void)state;
    char got[32];
    /* Not valid C: we print it verbatim instead of consuming an argument. */
    const char *fmt = "a%qb";
    mica_snprintf(got, sizeof(got), fmt);
    assert_string_equal(got, "a%qb");
    fmt = "end%";
    mica_snprintf(got, sizeof(got), fmt);
    assert_string_equal(got, "end");
}

static void strlcpy_truncates(void **state)
{
    (void)state;
    char buf[4];
    assert_int_equal(mica_strlcpy(buf, "hello", sizeof(buf)), 5);
    assert_string_equal(buf, "hel");
    assert_int_equal(mica_strlcpy(buf, "hi", sizeof(buf)), 2);
    assert_string_equal(buf, "hi");
    assert_int_equal(mica_strlcpy(buf, "x", 0), 1);
    assert_string_equal(buf, "hi");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(integers),
        cmocka_unit_test(flags_width_precision),
        cmocka_unit_test(strings_and_chars),
        cmocka_unit_test(pointers),
        cmocka_unit_test(null_string),
        cmocka_unit_test(truncation_at_every_size),
        cmocka_unit_test(unknown_conversion_is_visible),
        cmocka_unit_test(strlcpy_truncates),
    };
    return cmocka_run_group_tests_name("hv-vsprintf", tests, NULL, NULL);
}
