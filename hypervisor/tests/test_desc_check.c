/* SPDX-License-Identifier: MIT */
/*
 * Host tests of guest descriptor validation (common/desc_check.c): one test
 * per row of the rule table in docs ref xen-pv-mechanics.md section 2, the
 * selector boundaries, every DPL and every system type, whole-page checks
 * that must leave a refused page untouched, and a differential test against
 * model_check below -- the same table written independently, byte by byte
 * with literal numbers, over all values of the fields that decide the
 * answer and millions of random descriptors.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <cmocka.h>

#include <mica/desc_check.h>
#include <mica/errno.h>
#include <mica/string.h>

/* ---- the model: bytes of the descriptor as the SDM draws them ---- */

/*
 * Byte 5 is the access byte (P, DPL, S, type); bytes 2-3 are a call gate's
 * target selector and byte 4 its reserved byte.  Returns whether the value
 * is accepted and, if so, what is stored.
 */
static bool model_check(uint64_t in, uint64_t *out)
{
    uint8_t b[8];

    for (int i = 0; i < 8; i++)
        b[i] = (uint8_t)(in >> (8 * i));
    unsigned int access = b[5];
    bool present = access >= 0x80;
    bool code_data = (access / 16) % 2 == 1;
    unsigned int type = access % 16;

    if (present && code_data) {
        b[5] = (uint8_t)(access | 0x60);            /* DPL 3 */
    } else if (present && type == 12) {
        unsigned int sel = b[2] + 256u * b[3];
        bool guest_gdt = (sel & 4) == 0 && sel / 8 < 7168;
        bool ldt = (sel & 4) != 0;

        if (!(guest_gdt || ldt || sel == 0xe033) || b[4] != 0)
            return false;
        sel = sel - sel % 4 + 3;                    /* RPL := raised DPL */
        b[2] = (uint8_t)(sel % 256);
        b[3] = (uint8_t)(sel / 256);
        b[5] = (uint8_t)(access & ~0x60u);          /* DPL 0 */
    } else if (present && type != 0) {
        return false;
    }
    uint64_t v = 0;
    for (int i = 7; i >= 0; i--)
        v = v * 256 + b[i];
    *out = v;
    return true;
}

static uint64_t rng_state = 0x6d696361ULL;

static uint64_t rnd(void)                       /* splitmix64 */
{
    uint64_t z = (rng_state += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

/* A descriptor from its access byte, gate selector and reserved byte, with
 * the other bits from `rest`. */
static uint64_t make(uint64_t rest, unsigned int access, uint16_t sel, uint8_t rsvd)
{
    return (rest & 0xffff00000000ffffULL) | (uint64_t)sel << 16 | (uint64_t)rsvd << 32 |
           (uint64_t)access << 40;
}

static uint64_t gate(unsigned int dpl, uint16_t sel, uint32_t offset)
{
    return (uint64_t)(offset >> 16) << 48 | (uint64_t)(0x8c | dpl << 5) << 40 |
           (uint64_t)sel << 16 | (offset & 0xffff);
}

/* Compares desc_check with the model on one value, and checks that a
 * refused value is left alone and an accepted one is a fixed point. */
static void check_one(uint64_t in)
{
    uint64_t want = 0, got = in;
    bool ok_model = model_check(in, &want);
    bool ok = desc_check(&got);

    if (ok != ok_model || (ok && got != want) || (!ok && got != in))
        fail_msg("desc %#018llx: got %d %#018llx, model %d %#018llx",
                 (unsigned long long)in, ok, (unsigned long long)got, ok_model,
                 (unsigned long long)want);
    if (ok) {
        uint64_t again = got;
        if (!desc_check(&again) || again != got)
            fail_msg("desc %#018llx: fix-up %#018llx not a fixed point",
                     (unsigned long long)in, (unsigned long long)got);
    }
}

static void expect_ok(uint64_t in, uint64_t want)
{
    uint64_t d = in;

    assert_true(desc_check(&d));
    assert_int_equal(d, want);
    check_one(in);
}

static void expect_refused(uint64_t in)
{
    uint64_t d = in;

    assert_false(desc_check(&d));
    assert_int_equal(d, in);
    check_one(in);
}

/* ---- rows of the table ---- */

static void not_present_kept(void **state)
{
    (void)state;
    for (unsigned int access = 0; access < 0x80; access++)
        for (int i = 0; i < 64; i++) {
            uint64_t v = make(rnd(), access, (uint16_t)rnd(), (uint8_t)rnd());
            expect_ok(v, v);
        }
    expect_ok(0, 0);
    expect_ok(~DESC_P, ~DESC_P);
}

static void code_data_dpl_raised(void **state)
{
    (void)state;
    /* Linux's own GDT entries as written for ring 0 and ring 3. */
    expect_ok(0x00af9b000000ffffULL, 0x00affb000000ffffULL);   /* kernel CS */
    expect_ok(0x00cf93000000ffffULL, 0x00cff3000000ffffULL);   /* kernel DS */
    expect_ok(0x00affb000000ffffULL, 0x00affb000000ffffULL);   /* user CS */
    expect_ok(0x00cff3000000ffffULL, 0x00cff3000000ffffULL);   /* user DS */
    for (unsigned int type = 0; type < 16; type++)
        for (unsigned int dpl = 0; dpl < 4; dpl++) {
            uint64_t v = make(0, 0x90 | dpl << 5 | type, 0, 0);
            expect_ok(v, v | DESC_DPL_MASK);
        }
}

static void code_data_no_base_limit_check(void **state)
{
    (void)state;
    /* Any base, any limit, L and D together, G: nothing is refused. */
    expect_ok(0xffef9bffffffffffULL, 0xffeffbffffffffffULL);
    expect_ok(0xff4093ffff000000ULL, 0xff40f3ffff000000ULL);
    for (int i = 0; i < 100000; i++) {
        uint64_t v = rnd() | DESC_P | DESC_S;
        expect_ok(v, v | DESC_DPL_MASK);
    }
}

static void system_type0_kept(void **state)
{
    (void)state;
    /* The upper half of a 16-byte gate; present or not, DPL untouched. */
    for (unsigned int dpl = 0; dpl < 4; dpl++) {
        uint64_t v = make(0x12345678deadbeefULL, 0x80 | dpl << 5, 0xe008, 0xff);
        expect_ok(v, v);
    }
    expect_ok(0x00000000ffffffffULL, 0x00000000ffffffffULL);
}

static void system_types_refused(void **state)
{
    (void)state;
    static const unsigned int refused[] = {
        0x1, 0x2 /* LDT */, 0x3, 0x4, 0x5 /* task gate */, 0x6, 0x7, 0x8,
        0x9 /* TSS */, 0xa, 0xb /* busy TSS */, 0xd, 0xe /* int gate */,
        0xf /* trap gate */,
    };
    for (size_t i = 0; i < ARRAY_SIZE(refused); i++)
        for (unsigned int dpl = 0; dpl < 4; dpl++) {
            /* With a target and reserved byte a call gate would accept. */
            expect_refused(make(0, 0x80 | dpl << 5 | refused[i], 0x0010, 0));
            /* Not present: kept, whatever the type. */
            uint64_t np = make(0, dpl << 5 | refused[i], 0x0010, 0);
            expect_ok(np, np);
        }
    /* An IDT-style interrupt gate to Xen's CS, as a guest might try. */
    expect_refused(0x00008e00e0080000ULL);
    /* Every system type, every DPL: exactly 0 and 0xc accepted. */
    for (unsigned int type = 0; type < 16; type++)
        for (unsigned int dpl = 0; dpl < 4; dpl++) {
            uint64_t d = make(0, 0x80 | dpl << 5 | type, 0x0010, 0);
            assert_int_equal(desc_check(&d), type == 0 || type == 0xc);
        }
}

/* ---- call gates ---- */

static void call_gate_dpl_moves_to_rpl(void **state)
{
    (void)state;
    for (unsigned int dpl = 0; dpl < 4; dpl++)
        for (unsigned int rpl = 0; rpl < 4; rpl++) {
            uint64_t in = gate(dpl, (uint16_t)(0x0010 | rpl), 0x89abcdefU);
            /* DPL raised to 3 first, so the RPL is always 3, DPL 0. */
            uint64_t want = gate(0, 0x0013, 0x89abcdefU);
            expect_ok(in, want);
            assert_int_equal((want >> DESC_DPL_SHIFT) & 3, 0);
        }
}

static void call_gate_selectors(void **state)
{
    (void)state;
    static const struct { uint16_t sel; bool ok; } rows[] = {
        { 0x0000, true },  { 0x0003, true },  { 0x0010, true },
        { 0xdff8, true },  { 0xdffb, true },  /* index 7167: last guest entry */
        { 0xe000, false }, { 0xe003, false }, /* index 7168: Xen's page */
        { 0xe008, false }, { 0xe010, false }, { 0xe018, false },
        { 0xe023, false }, { 0xe02b, false }, { 0xe040, false },
        { 0xe050, false }, { 0xe060, false }, { 0xfff8, false },
        { 0xe030, false }, { 0xe031, false }, { 0xe032, false },
        { 0xe033, true },                     /* FLAT_KERNEL_CS, exactly */
        { 0xe004, true },  { 0xe007, true },  { 0xe034, true },
        { 0xfffc, true },  { 0xffff, true },  { 0x0004, true }, /* LDT */
    };
    for (size_t i = 0; i < ARRAY_SIZE(rows); i++) {
        uint64_t in = gate(3, rows[i].sel, 0x1000);
        assert_int_equal(desc_gate_selector_ok(rows[i].sel), rows[i].ok);
        if (rows[i].ok)
            expect_ok(in, gate(0, (uint16_t)(rows[i].sel | 3), 0x1000));
        else
            expect_refused(in);
    }
    /* Every selector, against the literal rule. */
    for (unsigned int sel = 0; sel < 0x10000; sel++) {
        bool want = sel < 0xe000 || (sel & 4) || sel == 0xe033;
        assert_int_equal(desc_gate_selector_ok((uint16_t)sel), want);
    }
}

static void call_gate_reserved_bits(void **state)
{
    (void)state;
    for (unsigned int bit = 0; bit < 8; bit++)
        expect_refused(gate(0, 0x0010, 0) | 1ULL << (32 + bit));
    for (unsigned int rsvd = 1; rsvd < 256; rsvd++)
        expect_refused(make(0, 0x8c, 0x0010, (uint8_t)rsvd));
    /* Offset bits, in both words, are not reserved. */
    expect_ok(gate(3, 0x0010, 0xffffffffU), gate(0, 0x0013, 0xffffffffU));
    /* Bad selector and reserved byte: still refused (either is enough). */
    expect_refused(make(0, 0x8c, 0xe000, 1));
}

/* A 64-bit call gate takes two slots; each is checked alone. */
static void call_gate_pair(void **state)
{
    (void)state;
    uint64_t lo = gate(3, 0x0010, 0x00401000U);
    uint64_t hi = 0x00000000ffffffffULL;        /* offset 63:32, type 0 */

    expect_ok(lo, gate(0, 0x0013, 0x00401000U));
    expect_ok(hi, hi);
    /* An upper half with a nonzero type makes the CPU refuse the gate; as a
     * slot of its own it is whatever it says it is. */
    expect_ok(0x00009a00ffffffffULL, 0x0000fa00ffffffffULL);
    expect_refused(0x00008900ffffffffULL);
}

/* ---- whole pages ---- */

static uint64_t page[DESC_PER_PAGE], orig[DESC_PER_PAGE];

/* A page a Linux guest might hand to set_gdt: flat segments written for
 * ring 0 (to be fixed up), a gate, gate upper halves and empty slots. */
static void fill_linux_like(void)
{
    for (unsigned int i = 0; i < DESC_PER_PAGE; i++) {
        switch (i % 6) {
        case 0: page[i] = 0; break;
        case 1: page[i] = 0x00af9b000000ffffULL; break;
        case 2: page[i] = 0x00cf93000000ffffULL; break;
        case 3: page[i] = 0x00affb000000ffffULL; break;
        case 4: page[i] = gate(1, 0x0010, 0x1234); break;
        case 5: page[i] = 0; break;
        }
    }
    memcpy(orig, page, sizeof(page));
}

static void page_accepted_fixed(void **state)
{
    (void)state;
    fill_linux_like();
    assert_int_equal(desc_page_check(page), 0);
    for (unsigned int i = 0; i < DESC_PER_PAGE; i++) {
        uint64_t want = orig[i];
        assert_true(desc_check(&want));
        assert_int_equal(page[i], want);
    }
    assert_int_equal(page[1], 0x00affb000000ffffULL);
    assert_int_equal(page[4], gate(0, 0x0013, 0x1234));
    /* Checking again changes nothing. */
    memcpy(orig, page, sizeof(page));
    assert_int_equal(desc_page_check(page), 0);
    assert_memory_equal(page, orig, sizeof(page));
}

static void page_zero_accepted(void **state)
{
    (void)state;
    memset(page, 0, sizeof(page));
    assert_int_equal(desc_page_check(page), 0);
    for (unsigned int i = 0; i < DESC_PER_PAGE; i++)
        assert_int_equal(page[i], 0);
}

static void page_refused_untouched(void **state)
{
    (void)state;
    static const unsigned int bad_at[] = { 0, 1, 4, 255, 256, 300, 510, 511 };
    static const uint64_t bad[] = {
        0x0000890000000067ULL,              /* TSS */
        0x0000820000000fffULL,              /* LDT */
        0x00008e00e0080000ULL,              /* interrupt gate */
        0x00008c00e0000000ULL,              /* call gate into Xen's page */
        0x00008c0100100000ULL,              /* call gate, reserved bit */
    };
    for (size_t i = 0; i < ARRAY_SIZE(bad_at); i++)
        for (size_t j = 0; j < ARRAY_SIZE(bad); j++) {
            fill_linux_like();
            page[bad_at[i]] = orig[bad_at[i]] = bad[j];
            assert_int_equal(desc_page_check(page), -EINVAL);
            assert_memory_equal(page, orig, sizeof(page));
        }
}

/* ---- differential tests against the model ---- */

static const uint16_t edge_sels[] = {
    0x0000, 0x0003, 0x0004, 0x0008, 0x0010, 0x0013, 0xdff8, 0xdffb, 0xdffc,
    0xdfff, 0xe000, 0xe003, 0xe004, 0xe007, 0xe008, 0xe010, 0xe023, 0xe02b,
    0xe030, 0xe031, 0xe032, 0xe033, 0xe034, 0xe037, 0xe038, 0xe03b, 0xfff8,
    0xfffb, 0xfffc, 0xffff,
};

/* Every access byte x every reserved byte x the edge selectors. */
static void model_fields_exhaustive(void **state)
{
    (void)state;
    for (unsigned int access = 0; access < 256; access++)
        for (unsigned int rsvd = 0; rsvd < 256; rsvd++)
            for (size_t s = 0; s < ARRAY_SIZE(edge_sels); s++)
                check_one(make(rnd(), access, edge_sels[s], (uint8_t)rsvd));
}

/* Every selector x every present call-gate access byte. */
static void model_selectors_exhaustive(void **state)
{
    (void)state;
    for (unsigned int sel = 0; sel < 0x10000; sel++)
        for (unsigned int dpl = 0; dpl < 4; dpl++) {
            check_one(make(rnd(), 0x8c | dpl << 5, (uint16_t)sel, 0));
            check_one(make(rnd(), 0x8c | dpl << 5, (uint16_t)sel, (uint8_t)rnd()));
        }
}

#define RANDOM_DESCS 4000000

/* Random values, biased so that each branch of the table is common. */
static void model_random(void **state)
{
    (void)state;
    for (long i = 0; i < RANDOM_DESCS; i++) {
        uint64_t r = rnd(), v = rnd();
        switch (r & 3) {
        case 0:                             /* uniform */
            break;
        case 1:                             /* present system descriptor */
            v = (v & ~DESC_S) | DESC_P;
            break;
        case 2:                             /* a call gate, maybe sane */
            v = make(v, (unsigned int)(0x8c | ((r >> 2) & 3) << 5),
                     edge_sels[(r >> 8) % ARRAY_SIZE(edge_sels)],
                     (r >> 16) & 1 ? 0 : (uint8_t)(r >> 24));
            break;
        case 3:                             /* a gate with a random selector */
            v = make(v, (unsigned int)(0x8c | ((r >> 2) & 3) << 5),
                     (uint16_t)(r >> 16), 0);
            break;
        }
        check_one(v);
    }
}

#define RANDOM_PAGES 4000

/* Random pages, mostly good slots with a few bad ones sprinkled in. */
static void model_pages(void **state)
{
    (void)state;
    for (int n = 0; n < RANDOM_PAGES; n++) {
        unsigned int nbad = (unsigned int)(rnd() % 3);
        bool want_ok = true;

        for (unsigned int i = 0; i < DESC_PER_PAGE; i++) {
            uint64_t r = rnd();
            page[i] = (r & 1) ? (rnd() | DESC_P | DESC_S) : gate((r >> 1) & 3, 0x0010, (uint32_t)r);
        }
        for (unsigned int k = 0; k < nbad; k++)
            page[rnd() % DESC_PER_PAGE] = rnd();
        memcpy(orig, page, sizeof(page));
        uint64_t want[DESC_PER_PAGE];
        for (unsigned int i = 0; i < DESC_PER_PAGE; i++)
            want_ok &= model_check(orig[i], &want[i]);

        int rc = desc_page_check(page);
        assert_int_equal(rc, want_ok ? 0 : -EINVAL);
        if (want_ok)
            assert_memory_equal(page, want, sizeof(page));
        else
            assert_memory_equal(page, orig, sizeof(page));
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(not_present_kept),
        cmocka_unit_test(code_data_dpl_raised),
        cmocka_unit_test(code_data_no_base_limit_check),
        cmocka_unit_test(system_type0_kept),
        cmocka_unit_test(system_types_refused),
        cmocka_unit_test(call_gate_dpl_moves_to_rpl),
        cmocka_unit_test(call_gate_selectors),
        cmocka_unit_test(call_gate_reserved_bits),
        cmocka_unit_test(call_gate_pair),
        cmocka_unit_test(page_accepted_fixed),
        cmocka_unit_test(page_zero_accepted),
        cmocka_unit_test(page_refused_untouched),
        cmocka_unit_test(model_fields_exhaustive),
        cmocka_unit_test(model_selectors_exhaustive),
        cmocka_unit_test(model_random),
        cmocka_unit_test(model_pages),
    };
    return cmocka_run_group_tests_name("hv-desc-check", tests, NULL, NULL);
}
