/* SPDX-License-Identifier: MIT */
/*
 * Host tests of the guest-pointer checks (arch/x86/guest_access.c): every
 * range that touches the hypervisor's slots 256-271, is non-canonical,
 * crosses the canonical gap or wraps must be refused -- that check is all
 * that keeps a hypercall argument from pointing the hypervisor at its own
 * memory.  copy_guest_raw is replaced by a recorder: the checks must refuse
 * before any copy is attempted.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <mica/errno.h>
#include <mica/guest_access.h>

static unsigned int raw_calls;
size_t copy_guest_raw(void *dst, const void *src, size_t n);
size_t copy_guest_raw(void *dst, const void *src, size_t n)
{
    (void)dst, (void)src, (void)n;
    raw_calls++;
    return 0;
}

#define HOLE_START 0xffff800000000000UL
#define HOLE_END   0xffff880000000000UL

static void guest_halves_are_fine(void **state)
{
    (void)state;
    assert_true(guest_range_ok(0, 1));
    assert_true(guest_range_ok(0x1000, 4096));
    assert_true(guest_range_ok(0x00007fffffffffffUL, 1));
    assert_true(guest_range_ok(HOLE_END, 8));
    assert_true(guest_range_ok(0xffffffff80000000UL, 0x1000));
    assert_true(guest_range_ok(0xfffffffffffffff8UL, 8));      /* the very top */
    assert_true(guest_range_ok(0xdead, 0));                     /* empty */
}

static void hypervisor_range_refused(void **state)
{
    (void)state;
    assert_false(guest_range_ok(HOLE_START, 1));
    assert_false(guest_range_ok(HOLE_START - 8, 9));            /* reaches in */
    assert_false(guest_range_ok(HOLE_END - 1, 1));
    assert_false(guest_range_ok(HOLE_END - 8, 16));             /* starts in */
    assert_false(guest_range_ok(0xffff82d040000000UL, 8));      /* the image */
    assert_false(guest_range_ok(0xffff830000000000UL, 4096));   /* direct map */
    assert_false(guest_range_ok(HOLE_START - 4096, 2 * 4096 + HOLE_END - HOLE_START));
}

static void noncanonical_gap_and_wrap_refused(void **state)
{
    (void)state;
    assert_false(guest_range_ok(0x0000800000000000UL, 1));
    assert_false(guest_range_ok(HOLE_START - 8, 8));    /* below the hole: the gap */
    assert_false(guest_range_ok(0x8000000000000000UL, 8));
    assert_false(guest_range_ok(0x00007ffffffffff8UL, 16));     /* runs off the half */
    /* From the lower half across the gap into the upper half. */
    assert_false(guest_range_ok(0x00007ffffffff000UL, 0xffff900000000000UL - 0x00007ffffffff000UL));
    assert_false(guest_range_ok(0xfffffffffffffff8UL, 16));     /* wraps to 0 */
    assert_false(guest_range_ok(1, SIZE_MAX));
}

static void copies_refuse_before_touching(void **state)
{
    (void)state;
    char buf[16];

    raw_calls = 0;
    assert_int_equal(copy_from_guest(buf, 0xffff82d040000000UL, 8), -EFAULT);
    assert_int_equal(copy_to_guest(0xffff830000001000UL, buf, 8), -EFAULT);
    assert_int_equal(copy_from_guest(buf, 0x0000800000000000UL, 8), -EFAULT);
    assert_int_equal(raw_calls, 0);
    assert_int_equal(copy_from_guest(buf, 0x1000, 8), 0);
    assert_int_equal(raw_calls, 1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(guest_halves_are_fine),
        cmocka_unit_test(hypervisor_range_refused),
        cmocka_unit_test(noncanonical_gap_and_wrap_refused),
        cmocka_unit_test(copies_refuse_before_touching),
    };
    return cmocka_run_group_tests_name("hv-guest-access", tests, NULL, NULL);
}
