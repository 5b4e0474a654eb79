/* SPDX-License-Identifier: MIT */
/*
 * The debug-register rules of arch/x86/dr_rules.c, against Xen's x86-64 PV
 * ABI: what set_debugreg and `mov reg, %drN` accept, what they refuse with
 * which errno (and that a refusal changes nothing), how reserved bits read
 * back, DR4/DR5 under CR4.DE, I/O breakpoints, and DR6 after a #DB.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include <mica/debugreg.h>
#include <mica/errno.h>

/* guest_access.c's copies are not used here. */
size_t copy_guest_raw(void *dst, const void *src, size_t n);
size_t copy_guest_raw(void *dst, const void *src, size_t n)
{
    (void)dst, (void)src;
    return n;
}

static uint64_t rd(const struct dr_state *s, unsigned int reg, unsigned int feat)
{
    uint64_t v = 0xdeadbeef;

    assert_int_equal(dr_read(s, reg, feat, &v), 0);
    return v;
}

static void reset_state_is_xens_default(void **st)
{
    struct dr_state s;

    (void)st;
    dr_reset(&s);
    for (unsigned int i = 0; i < 4; i++)
        assert_int_equal(rd(&s, i, 0), 0);
    assert_int_equal(rd(&s, 6, 0), 0xffff0ff0);
    assert_int_equal(rd(&s, 7, 0), 0x400);
    assert_false(dr_active(&s));
}

static void address_registers_take_only_guest_addresses(void **st)
{
    static const uint64_t bad[] = {
        0xffff800000000000UL, 0xffff82d040000000UL, 0xffff87fffffffff8UL,
        0x0000800000000000UL, 0x8000000000000000UL, 0xfffffffffffffffcUL,
        0x00007ffffffffffcUL,   /* the last 8 bytes cross into the gap */
    };
    struct dr_state s;

    (void)st;
    dr_reset(&s);
    for (unsigned int i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        assert_int_equal(dr_write(&s, 0, bad[i], 0), -EPERM);
        assert_int_equal(s.dr[0], 0);
    }
    assert_int_equal(dr_write(&s, 1, 0x1000, 0), 0);
    assert_int_equal(dr_write(&s, 3, 0xffff880000000000UL, 0), 0);
    assert_int_equal(dr_write(&s, 2, 0xfffffffffffffff8UL, 0), 0);
    assert_int_equal(rd(&s, 3, 0), 0xffff880000000000UL);
}

static void dr6_reserved_bits_read_as_xen_defines(void **st)
{
    struct dr_state s;

    (void)st;
    dr_reset(&s);
    assert_int_equal(dr_write(&s, 6, 0, 0), 0);
    assert_int_equal(rd(&s, 6, 0), 0xffff0ff0);
    assert_int_equal(dr_write(&s, 6, 0x2000 | 0x1000 | 1, 0), 0);      /* BD, bit 12, B0 */
    assert_int_equal(rd(&s, 6, 0), 0xffff2ff1);
    /* With RTM and bus-lock detect the inverted bits are the guest's. */
    assert_int_equal(dr_write(&s, 6, 0, DR_FEAT_RTM | DR_FEAT_BLD), 0);
    assert_int_equal(rd(&s, 6, 0), 0xfffe07f0);
    assert_int_equal(dr_write(&s, 6, 1UL << 32, 0), -EINVAL);
    assert_int_equal(rd(&s, 6, 0), 0xfffe07f0);
}

static void dr7_reserved_bits_and_general_detect(void **st)
{
    struct dr_state s;

    (void)st;
    dr_reset(&s);
    assert_int_equal(dr_write(&s, 7, 0xd800 | 0x3, 0), 0);  /* zeros and RTM dropped */
    assert_int_equal(rd(&s, 7, 0), 0x403);
    assert_true(dr_active(&s));
    assert_int_equal(dr_write(&s, 7, 0x800, DR_FEAT_RTM), 0);
    assert_int_equal(rd(&s, 7, 0), 0xc00);
    assert_int_equal(dr_write(&s, 7, X86_DR7_GD | 1, 0), -EPERM);
    assert_int_equal(dr_write(&s, 7, 1UL << 32, 0), -EINVAL);
    assert_int_equal(rd(&s, 7, 0), 0xc00);                  /* refusals change nothing */
    assert_int_equal(dr_write(&s, 7, 0, 0), 0);
    assert_false(dr_active(&s));
}

static void io_breakpoints_need_de_and_never_reach_the_cpu(void **st)
{
    /* DR0 an enabled (G0) 4-byte I/O breakpoint, GE set. */
    const uint64_t io0 = (0x3UL << 18) | (0x2UL << 16) | 0x2 | 0x200 | 0x400;
    struct dr_state s;

    (void)st;
    dr_reset(&s);
    assert_int_equal(dr_write(&s, 7, io0, 0), -EPERM);
    assert_int_equal(rd(&s, 7, 0), 0x400);
    assert_int_equal(dr_write(&s, 7, io0, DR_FEAT_DE), 0);
    assert_int_equal(rd(&s, 7, DR_FEAT_DE), io0);           /* the guest reads it back */
    assert_int_equal(s.dr7, 0x600);                         /* the CPU never gets it */
    assert_false(dr_active(&s));
    /* Without DE it is refused again, and the old setting stays. */
    assert_int_equal(dr_write(&s, 7, io0, 0), -EPERM);
    assert_int_equal(rd(&s, 7, 0), io0);
    /* Xen's rule: with any breakpoint enabled, even a disabled I/O one
     * needs DE; with DE it reads back and its fields never reach the CPU. */
    assert_int_equal(dr_write(&s, 7, (0x2UL << 20) | 0x1, 0), -EPERM);
    assert_int_equal(dr_write(&s, 7, (0x2UL << 20) | 0x1, DR_FEAT_DE), 0);
    assert_int_equal(rd(&s, 7, DR_FEAT_DE), (0x2UL << 20) | 0x401);
    assert_int_equal(s.dr7, 0x401);
    assert_true(dr_active(&s));
    /* Nothing enabled: no DE needed, and nothing for the CPU. */
    assert_int_equal(dr_write(&s, 7, (0x2UL << 20), 0), 0);
    assert_int_equal(rd(&s, 7, 0), (0x2UL << 20) | 0x400);
    assert_false(dr_active(&s));
}

static void dr4_dr5_alias_without_de_and_do_not_exist_with_it(void **st)
{
    struct dr_state s;
    uint64_t v;

    (void)st;
    dr_reset(&s);
    assert_int_equal(dr_write(&s, 4, 0x1, 0), 0);
    assert_int_equal(rd(&s, 6, 0), 0xffff0ff1);
    assert_int_equal(dr_write(&s, 5, 0x2, 0), 0);
    assert_int_equal(rd(&s, 5, 0), 0x402);
    assert_int_equal(dr_write(&s, 4, 0, DR_FEAT_DE), -ENODEV);
    assert_int_equal(dr_read(&s, 5, DR_FEAT_DE, &v), -ENODEV);
    assert_int_equal(dr_write(&s, 8, 0, 0), -ENODEV);
    assert_int_equal(dr_read(&s, 9, 0, &v), -ENODEV);
}

static void dr6_merge_sets_events_and_clears_inverted_bits(void **st)
{
    (void)st;
    /* A hit on DR1 and a single step join what the guest had (B0). */
    assert_int_equal(dr6_merge(0xffff0ff1, 0xffff4ff2), 0xffff4ff3);
    /* An RTM event (bit 16 cleared by the CPU) clears it. */
    assert_int_equal(dr6_merge(0xffff0ff0, 0xfffe0ff0), 0xfffe0ff0);
    /* Nothing new: unchanged. */
    assert_int_equal(dr6_merge(0xffff2ff0, 0xffff0ff0), 0xffff2ff0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(reset_state_is_xens_default),
        cmocka_unit_test(address_registers_take_only_guest_addresses),
        cmocka_unit_test(dr6_reserved_bits_read_as_xen_defines),
        cmocka_unit_test(dr7_reserved_bits_and_general_detect),
        cmocka_unit_test(io_breakpoints_need_de_and_never_reach_the_cpu),
        cmocka_unit_test(dr4_dr5_alias_without_de_and_do_not_exist_with_it),
        cmocka_unit_test(dr6_merge_sets_events_and_clears_inverted_bits),
    };
    return cmocka_run_group_tests_name("hv-dr-rules", tests, NULL, NULL);
}
