/* SPDX-License-Identifier: MIT */
/*
 * Host tests of the ptwr decoder/emulator (arch/x86/ptwr_emul.c): one case
 * per supported form with hand-computed results (also checked against the
 * host CPU), one per refused form, hostile inputs (truncation at every
 * length, too many prefixes, bytes at the edge of a guard page, accesses
 * outside the PTE), and a differential test: thousands of random instances
 * of every form (registers, addressing modes, prefixes, operand values)
 * run on the host CPU in a generated trampoline and compared with
 * ptwr_emulate: the whole memory buffer, all 16 registers and the flags
 * the SDM defines.  PTWR_SEED=n picks another random seed.
 */
#define _GNU_SOURCE
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <cmocka.h>

#include <mica/ptwr_emul.h>
#include <mica/string.h>
#include <mica/x86.h>

#define CF 0x001UL
#define PF 0x004UL
#define AF 0x010UL
#define ZF 0x040UL
#define SF 0x080UL
#define OF 0x800UL
#define ARITH (CF | PF | AF | ZF | SF | OF)

#define PTE_VA   0xffffc90000001238ULL
#define GUEST_IP 0xffffffff81000000ULL
#define OLD_PTE  0x8000000012345067ULL

/* Register by architectural number, written independently of the module. */
static uint64_t *greg(struct cpu_regs *r, int n)
{
    uint64_t *map[16] = { &r->rax, &r->rcx, &r->rdx, &r->rbx, &r->rsp, &r->rbp,
                          &r->rsi, &r->rdi, &r->r8, &r->r9, &r->r10, &r->r11,
                          &r->r12, &r->r13, &r->r14, &r->r15 };
    return map[n];
}

/* ---- One case per supported form, results computed by hand ---- */

struct form_row {
    const char *name;
    uint8_t len, b[15];
    uint8_t op, size;
    int off;                    /* byte of the PTE accessed */
    int64_t rdi_adj;            /* rdi = PTE + off + rdi_adj (BT* offsets) */
    uint64_t rax, rcx, rsi;
    uint64_t old, new;
    int wb;                     /* register written back, or -1 */
    uint64_t wb_val;
    uint64_t fl_in, fl_out;     /* arithmetic flags before / expected after */
    bool no_store;
};

#define B(...) .len = sizeof((uint8_t[]){ __VA_ARGS__ }), .b = { __VA_ARGS__ }
#define RAX 0x1122334455667788ULL
#define RCX 0x99aabbccddeeff00ULL
#define RSI 0x5555555555555555ULL
#define RBX 0x0123456789abcdefULL
#define R8  0x00000000abcde067ULL
#define R15 0x0f0f0f0f0f0f0f0fULL

static const struct form_row form_rows[] = {
    { "mov r8,m", B(0x88, 0x07), PTWR_OP_MOV, 1, 0, 0, RAX, RCX, RSI, OLD_PTE,
      0x8000000012345088, -1, 0, CF | ZF, CF | ZF, false },
    { "mov ah,m", B(0x88, 0x27), PTWR_OP_MOV, 1, 1, 0, RAX, RCX, RSI, OLD_PTE,
      0x8000000012347767, -1, 0, 0, 0, false },
    { "mov r16,m", B(0x66, 0x89, 0x07), PTWR_OP_MOV, 2, 2, 0, RAX, RCX, RSI, OLD_PTE,
      0x8000000077885067, -1, 0, 0, 0, false },
    { "mov r32,m", B(0x89, 0x0f), PTWR_OP_MOV, 4, 4, 0, RAX, RCX, RSI, OLD_PTE,
      0xddeeff0012345067, -1, 0, 0, 0, false },
    { "mov r64,m (REX.R r8, DS prefix)", B(0x3e, 0x4c, 0x89, 0x07), PTWR_OP_MOV, 8, 0, 0,
      RAX, RCX, RSI, OLD_PTE, R8, -1, 0, ARITH, ARITH, false },
    { "mov imm8,m", B(0xc6, 0x07, 0x5a), PTWR_OP_MOV, 1, 7, 0, RAX, RCX, RSI, OLD_PTE,
      0x5a00000012345067, -1, 0, 0, 0, false },
    { "mov imm16,m", B(0x66, 0xc7, 0x07, 0x34, 0x12), PTWR_OP_MOV, 2, 0, 0, RAX, RCX, RSI,
      OLD_PTE, 0x8000000012341234, -1, 0, 0, 0, false },
    { "mov imm32,m", B(0xc7, 0x07, 0x78, 0x56, 0x34, 0x12), PTWR_OP_MOV, 4, 0, 0, RAX, RCX,
      RSI, OLD_PTE, 0x8000000012345678, -1, 0, 0, 0, false },
    { "mov imm32 sign-extended,m64", B(0x48, 0xc7, 0x07, 0x00, 0xf0, 0xff, 0xff),
      PTWR_OP_MOV, 8, 0, 0, RAX, RCX, RSI, OLD_PTE, 0xfffffffffffff000, -1, 0, 0, 0, false },
    { "xchg r8,m", B(0x86, 0x07), PTWR_OP_XCHG, 1, 0, 0, RAX, RCX, RSI, OLD_PTE,
      0x8000000012345088, 0, 0x1122334455667767, 0, 0, false },
    { "xchg bh,m", B(0x86, 0x3f), PTWR_OP_XCHG, 1, 3, 0, RAX, RCX, RSI, OLD_PTE,
      0x80000000cd345067, 3, 0x0123456789ab12ef, 0, 0, false },
    { "xchg sil,m (REX)", B(0x40, 0x86, 0x37), PTWR_OP_XCHG, 1, 0, 0, RAX, RCX, RSI,
      OLD_PTE, 0x8000000012345055, 6, 0x5555555555555567, 0, 0, false },
    { "xchg r16,m", B(0x66, 0x87, 0x07), PTWR_OP_XCHG, 2, 6, 0, RAX, RCX, RSI, OLD_PTE,
      0x7788000012345067, 0, 0x1122334455668000, 0, 0, false },
    { "xchg r32,m zero-extends", B(0x87, 0x07), PTWR_OP_XCHG, 4, 0, 0, RAX, RCX, RSI,
      OLD_PTE, 0x8000000055667788, 0, 0x12345067, 0, 0, false },
    { "xchg r64,m (ptep_get_and_clear)", B(0x48, 0x87, 0x07), PTWR_OP_XCHG, 8, 0, 0,
      0, RCX, RSI, OLD_PTE, 0, 0, OLD_PTE, SF, SF, false },
    { "xchg r15,m", B(0x4c, 0x87, 0x3f), PTWR_OP_XCHG, 8, 0, 0, RAX, RCX, RSI, OLD_PTE,
      R15, 15, OLD_PTE, 0, 0, false },
    { "lock cmpxchg r64,m equal", B(0xf0, 0x48, 0x0f, 0xb1, 0x0f), PTWR_OP_CMPXCHG, 8, 0,
      0, OLD_PTE, 0x8000000012345065, RSI, OLD_PTE, 0x8000000012345065, -1, 0,
      CF | SF, ZF | PF, false },
    { "lock cmpxchg r64,m differ", B(0xf0, 0x48, 0x0f, 0xb1, 0x0f), PTWR_OP_CMPXCHG, 8,
      0, 0, 0x8000000012345065, RCX, RSI, OLD_PTE, OLD_PTE, 0, OLD_PTE, ZF,
      CF | SF | AF, true },
    { "cmpxchg r32,m differ zero-extends rax", B(0x0f, 0xb1, 0x0f), PTWR_OP_CMPXCHG, 4,
      0, 0, 0xffffffff00000001, RCX, RSI, OLD_PTE, OLD_PTE, 0, 0x12345067, 0,
      CF | SF | PF | AF, true },
    { "lock cmpxchg r8,m equal", B(0xf0, 0x0f, 0xb0, 0x0f), PTWR_OP_CMPXCHG, 1, 0, 0,
      0x1122334455667767, RCX, RSI, OLD_PTE, 0x8000000012345000, -1, 0, 0, ZF | PF, false },
    { "cmpxchg r16,m equal", B(0x66, 0x0f, 0xb1, 0x0f), PTWR_OP_CMPXCHG, 2, 2, 0,
      0x1122334455661234, RCX, RSI, OLD_PTE, 0x80000000ff005067, -1, 0, 0, ZF | PF, false },
    { "lock and r64,m", B(0xf0, 0x48, 0x21, 0x07), PTWR_OP_AND, 8, 0, 0,
      0xfffffffffffffffd, RCX, RSI, OLD_PTE, 0x8000000012345065, -1, 0,
      AF | CF | OF | ZF, AF | SF | PF, false },
    { "and r8,m", B(0x20, 0x07), PTWR_OP_AND, 1, 0, 0, RAX, RCX, RSI, OLD_PTE,
      0x8000000012345000, -1, 0, CF | OF, ZF | PF, false },
    { "or r32,m", B(0x09, 0x0f), PTWR_OP_OR, 4, 4, 0, RAX, RCX, RSI, OLD_PTE,
      0xddeeff0012345067, -1, 0, 0, SF | PF, false },
    { "xor r16,m", B(0x66, 0x31, 0x07), PTWR_OP_XOR, 2, 0, 0, RAX, RCX, RSI, OLD_PTE,
      0x80000000123427ef, -1, 0, ZF, 0, false },
    { "lock andb imm8,m (ptep_set_wrprotect)", B(0xf0, 0x80, 0x27, 0xfd), PTWR_OP_AND,
      1, 0, 0, RAX, RCX, RSI, OLD_PTE, 0x8000000012345065, -1, 0, 0, PF, false },
    { "or imm32,m32", B(0x81, 0x0f, 0x00, 0x00, 0x00, 0x80), PTWR_OP_OR, 4, 0, 0, RAX,
      RCX, RSI, OLD_PTE, 0x8000000092345067, -1, 0, 0, SF, false },
    { "xor imm8 sign-extended,m64", B(0x48, 0x83, 0x37, 0xff), PTWR_OP_XOR, 8, 0, 0,
      RAX, RCX, RSI, OLD_PTE, 0x7fffffffedcbaf98, -1, 0, 0, 0, false },
    { "and imm16,m16", B(0x66, 0x81, 0x27, 0x00, 0xff), PTWR_OP_AND, 2, 0, 0, RAX, RCX,
      RSI, OLD_PTE, 0x8000000012345000, -1, 0, 0, PF, false },
    { "and imm32 sign-extended,m64", B(0x48, 0x81, 0x27, 0xff, 0xff, 0xff, 0x7f),
      PTWR_OP_AND, 8, 0, 0, RAX, RCX, RSI, OLD_PTE, 0x12345067, -1, 0, 0, 0, false },
    { "or imm8,m8", B(0x80, 0x0f, 0x02), PTWR_OP_OR, 1, 0, 0, RAX, RCX, RSI, OLD_PTE,
      OLD_PTE, -1, 0, 0, 0, false },
    { "lock btr r64,m (clear_bit)", B(0xf0, 0x48, 0x0f, 0xb3, 0x37), PTWR_OP_BTR, 8, 0,
      0, RAX, RCX, 1, OLD_PTE, 0x8000000012345065, -1, 0, ZF | SF, ZF | SF | CF, false },
    { "lock btr imm8,m64 (test_and_clear_young)", B(0xf0, 0x48, 0x0f, 0xba, 0x37, 0x05),
      PTWR_OP_BTR, 8, 0, 0, RAX, RCX, RSI, OLD_PTE, 0x8000000012345047, -1, 0, 0, CF, false },
    { "bts imm8 masked to 32 bits", B(0x0f, 0xba, 0x2f, 0x3f), PTWR_OP_BTS, 4, 0, 0, RAX,
      RCX, RSI, OLD_PTE, 0x8000000092345067, -1, 0, CF, 0, false },
    { "btc r16 negative offset", B(0x66, 0x0f, 0xbb, 0x37), PTWR_OP_BTC, 2, 6, 2, RAX,
      RCX, 0x123456789abcffff, OLD_PTE, 0x12345067, -1, 0, 0, CF, false },
    { "bts r32 offset selects next dword", B(0x0f, 0xab, 0x37), PTWR_OP_BTS, 4, 0, -8,
      RAX, RCX, 0xdeadbeef00000044, OLD_PTE, 0x8000000012345077, -1, 0, CF | PF, PF, false },
};

static struct cpu_regs row_regs(const struct form_row *f, uint64_t pte)
{
    struct cpu_regs r = {
        .rax = f->rax, .rcx = f->rcx, .rsi = f->rsi, .rbx = RBX, .rdx = 0xd0d0,
        .rbp = 0xb0b0, .r8 = R8, .r9 = 9, .r10 = 10, .r11 = 11, .r12 = 12,
        .r13 = 13, .r14 = 14, .r15 = R15, .rsp = 0xffffc90000ff0000,
        .rip = GUEST_IP, .rflags = 0x202 | f->fl_in,
    };
    r.rdi = pte + f->off + f->rdi_adj;
    return r;
}

/* After `before`, the registers the row expects. */
static struct cpu_regs row_expect(const struct form_row *f, struct cpu_regs before)
{
    if (f->wb >= 0)
        *greg(&before, f->wb) = f->wb_val;
    before.rflags = (before.rflags & ~ARITH) | f->fl_out;
    before.rip += f->len;
    return before;
}

static void run_form_row(void **state)
{
    const struct form_row *f = *state;
    struct cpu_regs r = row_regs(f, PTE_VA), after = r;
    struct ptwr_insn i;
    struct ptwr_result res;

    assert_int_equal(ptwr_decode(f->b, f->len, &i), PTWR_OK);
    assert_int_equal(i.len, f->len);
    assert_int_equal(i.op, f->op);
    assert_int_equal(i.size, f->size);
    assert_int_equal(ptwr_access_addr(&i, &r), PTE_VA + f->off);
    assert_int_equal(ptwr_emulate(&i, &r, PTE_VA + f->off, PTE_VA, f->old, &res), PTWR_OK);
    assert_int_equal(res.addr, PTE_VA + f->off);
    assert_int_equal(res.width, f->size);
    assert_int_equal(res.store, !f->no_store);
    assert_int_equal(res.cmpxchg, f->op == PTWR_OP_CMPXCHG);
    assert_int_equal(res.old_pte, f->old);
    assert_int_equal(res.new_pte, f->new);
    ptwr_apply(&res, &after);
    struct cpu_regs want = row_expect(f, r);
    assert_memory_equal(&after, &want, sizeof(want));
}

/* ---- Addressing modes ---- */

struct addr_row {
    uint8_t len, b[15];
    int8_t base, index;
    uint8_t scale;
    int32_t disp;
};

static const struct addr_row addr_rows[] = {
    { B(0x48, 0x89, 0x05, 0x10, 0, 0, 0), PTWR_BASE_RIP, PTWR_NONE, 1, 0x10 },
    { B(0x49, 0x89, 0x05, 0xf0, 0xff, 0xff, 0xff), PTWR_BASE_RIP, PTWR_NONE, 1, -16 },
    { B(0x48, 0x89, 0x04, 0xcb), 3, 1, 8, 0 },
    { B(0x4b, 0x89, 0x44, 0xe5, 0xf8), 13, 12, 8, -8 },
    { B(0x48, 0x89, 0x04, 0x25, 0x78, 0x56, 0x34, 0x12), PTWR_NONE, PTWR_NONE, 1, 0x12345678 },
    { B(0x49, 0x89, 0x04, 0x25, 0x78, 0x56, 0x34, 0x12), PTWR_NONE, PTWR_NONE, 1, 0x12345678 },
    { B(0x4b, 0x89, 0x04, 0xe5, 0x78, 0x56, 0x34, 0x12), PTWR_NONE, 12, 8, 0x12345678 },
    { B(0x48, 0x89, 0x04, 0x24), 4, PTWR_NONE, 1, 0 },
    { B(0x49, 0x89, 0x04, 0x24), 12, PTWR_NONE, 1, 0 },
    { B(0x49, 0x89, 0x45, 0x00), 13, PTWR_NONE, 1, 0 },
    { B(0x48, 0x89, 0x84, 0x8e, 0x00, 0x01, 0, 0), 6, 1, 4, 0x100 },
    { B(0x4a, 0x89, 0x04, 0xe5, 0x00, 0x10, 0, 0), PTWR_NONE, 12, 8, 0x1000 },
    { B(0x42, 0x89, 0x04, 0x20), 0, 12, 1, 0 },
    { B(0x48, 0x89, 0x44, 0x40, 0x80), 0, 0, 2, -128 },
    { B(0x48, 0x89, 0x85, 0x00, 0x00, 0x00, 0x80), 5, PTWR_NONE, 1, INT32_MIN },
};

static void addressing_modes(void **state)
{
    (void)state;
    struct cpu_regs r = { .rip = GUEST_IP };
    for (int n = 0; n < 16; n++)
        *greg(&r, n) = 0x1000000ULL * (n + 1);
    for (size_t k = 0; k < ARRAY_SIZE(addr_rows); k++) {
        const struct addr_row *a = &addr_rows[k];
        struct ptwr_insn i;
        assert_int_equal(ptwr_decode(a->b, a->len, &i), PTWR_OK);
        assert_int_equal(i.len, a->len);
        assert_int_equal(i.base, a->base);
        assert_int_equal(i.index, a->index);
        assert_int_equal(i.scale, a->scale);
        assert_int_equal(i.disp, a->disp);
        uint64_t ea = (uint64_t)(int64_t)a->disp;
        ea += a->base == PTWR_BASE_RIP ? GUEST_IP + a->len :
              a->base == PTWR_NONE ? 0 : *greg(&r, a->base);
        ea += a->index == PTWR_NONE ? 0 : *greg(&r, a->index) * a->scale;
        assert_int_equal(ptwr_access_addr(&i, &r), ea);
    }
}

/* ---- One case per refused form ---- */

struct refuse_row {
    const char *name;
    uint8_t len, b[15];
    int reason;
};

static const struct refuse_row refuse_rows[] = {
    { "fs override", B(0x64, 0x48, 0x89, 0x07), PTWR_PREFIX_FS_GS },
    { "gs override", B(0x65, 0x48, 0x89, 0x07), PTWR_PREFIX_FS_GS },
    { "rep", B(0xf3, 0x48, 0x89, 0x07), PTWR_PREFIX_REP },
    { "repne", B(0xf2, 0x48, 0x89, 0x07), PTWR_PREFIX_REP },
    { "address size", B(0x67, 0x48, 0x89, 0x07), PTWR_PREFIX_ADDR_SIZE },
    { "vex3", B(0xc4, 0xe2, 0x79, 0x18, 0x07), PTWR_VEX },
    { "vex2", B(0xc5, 0xf9, 0x7f, 0x07), PTWR_VEX },
    { "evex", B(0x62, 0xf1, 0x7c, 0x48, 0x11, 0x07), PTWR_VEX },
    { "prefix after rex", B(0x48, 0x66, 0x89, 0x07), PTWR_REX_NOT_LAST },
    { "two rex", B(0x40, 0x48, 0x89, 0x07), PTWR_REX_NOT_LAST },
    { "mov to register (mod 3)", B(0x48, 0x89, 0xc7), PTWR_REG_OPERAND },
    { "xchg reg,reg", B(0x48, 0x87, 0xc7), PTWR_REG_OPERAND },
    { "bts imm on register", B(0x48, 0x0f, 0xba, 0xe8, 0x05), PTWR_REG_OPERAND },
    { "lock mov", B(0xf0, 0x48, 0x89, 0x07), PTWR_BAD_LOCK },
    { "lock mov imm", B(0xf0, 0xc7, 0x07, 1, 0, 0, 0), PTWR_BAD_LOCK },
    { "add imm8 (80 /0)", B(0x80, 0x07, 0x01), PTWR_OPCODE_EXT },
    { "sub imm8 (83 /5)", B(0x48, 0x83, 0x2f, 0x01), PTWR_OPCODE_EXT },
    { "cmp imm32 (81 /7)", B(0x81, 0x3f, 1, 0, 0, 0), PTWR_OPCODE_EXT },
    { "bt imm (0f ba /4)", B(0x0f, 0xba, 0x27, 0x05), PTWR_OPCODE_EXT },
    { "c7 /1", B(0xc7, 0x0f, 1, 0, 0, 0), PTWR_OPCODE_EXT },
    { "add r,m", B(0x48, 0x01, 0x07), PTWR_OPCODE },
    { "mov m,r (a read)", B(0x48, 0x8b, 0x07), PTWR_OPCODE },
    { "movs", B(0x48, 0xa5), PTWR_OPCODE },
    { "stos", B(0x48, 0xab), PTWR_OPCODE },
    { "xadd", B(0xf0, 0x48, 0x0f, 0xc1, 0x07), PTWR_OPCODE },
    { "cmpxchg16b", B(0xf0, 0x48, 0x0f, 0xc7, 0x0f), PTWR_OPCODE },
    { "bt r,m (no write)", B(0x48, 0x0f, 0xa3, 0x07), PTWR_OPCODE },
    { "pop m", B(0x8f, 0x07), PTWR_OPCODE },
    { "nop", B(0x90), PTWR_OPCODE },
};

static void run_refuse_row(void **state)
{
    const struct refuse_row *f = *state;
    struct ptwr_insn i;
    assert_int_equal(ptwr_decode(f->b, f->len, &i), f->reason);
    /* More bytes never turn a refusal into an acceptance. */
    uint8_t padded[15] = { 0 };
    memcpy(padded, f->b, f->len);
    assert_int_equal(ptwr_decode(padded, sizeof(padded), &i), f->reason);
}

/* ---- Hostile inputs ---- */

static void truncated_at_every_length(void **state)
{
    (void)state;
    struct ptwr_insn i;
    for (size_t k = 0; k < ARRAY_SIZE(form_rows); k++) {
        const struct form_row *f = &form_rows[k];
        /* An exact-size heap copy, so ASan sees any read past `avail`. */
        for (size_t avail = 0; avail < f->len; avail++) {
            uint8_t *p = malloc(avail ? avail : 1);
            memcpy(p, f->b, avail);
            assert_int_equal(ptwr_decode(p, avail, &i), PTWR_TRUNCATED);
            free(p);
        }
        assert_int_equal(ptwr_decode(f->b, 15, &i), PTWR_OK);
        assert_int_equal(i.len, f->len);
    }
    for (size_t k = 0; k < ARRAY_SIZE(addr_rows); k++)
        for (size_t avail = 0; avail < addr_rows[k].len; avail++)
            assert_int_equal(ptwr_decode(addr_rows[k].b, avail, &i), PTWR_TRUNCATED);
}

static void too_many_prefixes(void **state)
{
    (void)state;
    uint8_t b[40];
    struct ptwr_insn i;

    memset(b, 0x66, sizeof(b));
    assert_int_equal(ptwr_decode(b, sizeof(b), &i), PTWR_TOO_LONG);
    assert_int_equal(ptwr_decode(b, 15, &i), PTWR_TOO_LONG);
    assert_int_equal(ptwr_decode(b, 14, &i), PTWR_TRUNCATED);
    memset(b, 0x2e, sizeof(b));
    b[13] = 0x89;
    b[14] = 0x07;           /* 13 prefixes + 2 bytes = exactly 15 */
    assert_int_equal(ptwr_decode(b, sizeof(b), &i), PTWR_OK);
    assert_int_equal(i.len, 15);
    b[13] = 0x2e;
    b[14] = 0x89;
    b[15] = 0x07;           /* 16 bytes */
    assert_int_equal(ptwr_decode(b, sizeof(b), &i), PTWR_TOO_LONG);
}

static void longest_form_at_the_limit(void **state)
{
    (void)state;
    /* seg x N, lock, REX.W, 81 /1, SIB, disp32, imm32: 9 + N bytes. */
    static const uint8_t tail[] = { 0xf0, 0x48, 0x81, 0x8c, 0x8e, 0, 1, 0, 0, 1, 2, 3, 4 };
    uint8_t b[32];
    struct ptwr_insn i;
    for (size_t n = 0; n <= 4; n++) {
        memset(b, 0x3e, n);
        memcpy(b + n, tail, sizeof(tail));
        size_t len = n + sizeof(tail);
        assert_int_equal(ptwr_decode(b, sizeof(b), &i), len <= 15 ? PTWR_OK : PTWR_TOO_LONG);
        if (len <= 15) {
            assert_int_equal(i.len, len);
            assert_int_equal(i.imm, 0x04030201);
        }
    }
}

/* Random bytes ending right before an unmapped page: must never fault. */
static void guard_page(void **state)
{
    (void)state;
    uint8_t *pg = mmap(NULL, 8192, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    assert_true(pg != MAP_FAILED);
    assert_int_equal(mprotect(pg + 4096, 4096, PROT_NONE), 0);
    uint64_t x = 0x9e3779b97f4a7c15ULL;
    for (int iter = 0; iter < 200000; iter++) {
        size_t avail = iter % 17;
        uint8_t *p = pg + 4096 - avail;
        for (size_t k = 0; k < avail; k++) {
            x ^= x << 13; x ^= x >> 7; x ^= x << 17;
            p[k] = (uint8_t)x;
        }
        struct ptwr_insn i;
        if (ptwr_decode(p, avail, &i) == PTWR_OK)
            assert_true(i.len >= 1 && i.len <= avail);
    }
    munmap(pg, 8192);
}

/* Every opcode: only the table below decodes (independent of the module). */
static void opcode_sweep(void **state)
{
    (void)state;
    static const struct { uint8_t esc, opc, regmask; } ok[] = {
        { 0, 0x08, 0xff }, { 0, 0x09, 0xff }, { 0, 0x20, 0xff }, { 0, 0x21, 0xff },
        { 0, 0x30, 0xff }, { 0, 0x31, 0xff }, { 0, 0x80, 0x52 }, { 0, 0x81, 0x52 },
        { 0, 0x83, 0x52 }, { 0, 0x86, 0xff }, { 0, 0x87, 0xff }, { 0, 0x88, 0xff },
        { 0, 0x89, 0xff }, { 0, 0xc6, 0x01 }, { 0, 0xc7, 0x01 }, { 1, 0xab, 0xff },
        { 1, 0xb0, 0xff }, { 1, 0xb1, 0xff }, { 1, 0xb3, 0xff }, { 1, 0xba, 0xe0 },
        { 1, 0xbb, 0xff },
    };
    for (int esc = 0; esc < 2; esc++)
        for (int opc = 0; opc < 256; opc++)
            for (int reg = 0; reg < 8; reg++) {
                uint8_t b[15] = { 0 }, *p = b;
                if (esc)
                    *p++ = 0x0f;
                *p++ = (uint8_t)opc;
                *p = (uint8_t)(reg << 3 | 7);
                bool want = false;
                for (size_t k = 0; k < ARRAY_SIZE(ok); k++)
                    want |= ok[k].esc == esc && ok[k].opc == opc && (ok[k].regmask >> reg) & 1;
                struct ptwr_insn i;
                int rc = ptwr_decode(b, sizeof(b), &i);
                if ((rc == PTWR_OK) != want)
                    fail_msg("esc %d opcode %02x /%d: %s", esc, opc, reg, ptwr_reason_name(rc));
            }
}

static int emulate_bytes(const uint8_t *b, size_t len, struct cpu_regs *r, uint64_t cr2,
                         uint64_t pte)
{
    struct ptwr_insn i;
    struct ptwr_result res;
    int rc = ptwr_decode(b, len, &i);
    return rc ? rc : ptwr_emulate(&i, r, cr2, pte, OLD_PTE, &res);
}

static void access_checks(void **state)
{
    (void)state;
    static const uint8_t mov64[] = { 0x48, 0x89, 0x07 }, mov32[] = { 0x89, 0x07 },
        mov16[] = { 0x66, 0x89, 0x07 }, btr64[] = { 0x48, 0x0f, 0xb3, 0x37 };
    struct cpu_regs r = { .rip = GUEST_IP };
#define TRY(bytes, ea, cr2, pte) (r.rdi = (ea), emulate_bytes(bytes, sizeof(bytes), &r, cr2, pte))
    assert_int_equal(TRY(mov64, PTE_VA, PTE_VA, PTE_VA), PTWR_OK);
    assert_int_equal(TRY(mov64, PTE_VA + 4, PTE_VA + 4, PTE_VA), PTWR_MISALIGNED);
    assert_int_equal(TRY(mov64, PTE_VA + 1, PTE_VA + 1, PTE_VA), PTWR_MISALIGNED);
    assert_int_equal(TRY(mov32, PTE_VA + 2, PTE_VA + 2, PTE_VA), PTWR_MISALIGNED);
    assert_int_equal(TRY(mov32, PTE_VA + 6, PTE_VA + 6, PTE_VA), PTWR_MISALIGNED);
    assert_int_equal(TRY(mov16, PTE_VA + 7, PTE_VA + 7, PTE_VA), PTWR_MISALIGNED);
    assert_int_equal(TRY(mov64, PTE_VA + 8, PTE_VA, PTE_VA), PTWR_OUTSIDE_PTE);
    assert_int_equal(TRY(mov64, PTE_VA - 8, PTE_VA, PTE_VA), PTWR_OUTSIDE_PTE);
    assert_int_equal(TRY(mov64, PTE_VA, PTE_VA, PTE_VA + 4), PTWR_OUTSIDE_PTE);
    assert_int_equal(TRY(mov32, PTE_VA + 4, PTE_VA, PTE_VA), PTWR_CR2_MISMATCH);
    assert_int_equal(TRY(mov32, PTE_VA + 4, PTE_VA + 7, PTE_VA), PTWR_OK);
    assert_int_equal(TRY(mov32, PTE_VA, PTE_VA + 0x1000, PTE_VA), PTWR_CR2_MISMATCH);
    /* BT* with a register offset: the unit is what must lie in the PTE. */
    r.rsi = 64;
    assert_int_equal(TRY(btr64, PTE_VA, PTE_VA, PTE_VA), PTWR_OUTSIDE_PTE);
    assert_int_equal(TRY(btr64, PTE_VA - 8, PTE_VA, PTE_VA), PTWR_OK);
    r.rsi = (uint64_t)-1;
    assert_int_equal(TRY(btr64, PTE_VA + 8, PTE_VA, PTE_VA), PTWR_OK);
#undef TRY
    /* A hand-made instruction with an impossible width. */
    struct ptwr_insn i;
    struct ptwr_result res;
    assert_int_equal(ptwr_decode(mov64, sizeof(mov64), &i), PTWR_OK);
    r.rdi = PTE_VA;
    for (uint8_t w = 0; w < 20; w++) {
        i.size = w;
        int rc = ptwr_emulate(&i, &r, PTE_VA, PTE_VA, OLD_PTE, &res);
        assert_int_equal(rc, w == 1 || w == 2 || w == 4 || w == 8 ? PTWR_OK : PTWR_BAD_SIZE);
    }
}

static void apply_touches_only_results(void **state)
{
    (void)state;
    struct cpu_regs r, want;
    memset(&r, 0xa5, sizeof(r));
    want = r;
    struct ptwr_result res = { .wb_reg = PTWR_NONE, .rflags = 0x246, .rip = 0x1234 };
    ptwr_apply(&res, &r);
    want.rflags = 0x246;
    want.rip = 0x1234;
    assert_memory_equal(&r, &want, sizeof(r));
    for (int n = 0; n < 16; n++) {
        res.wb_reg = (int8_t)n;
        res.wb_val = 0x100 + n;
        ptwr_apply(&res, &r);
        *greg(&want, n) = 0x100 + n;
        assert_memory_equal(&r, &want, sizeof(r));
    }
}

static void names(void **state)
{
    (void)state;
    for (int a = 0; a < PTWR_NR_REASONS; a++) {
        assert_string_not_equal(ptwr_reason_name(a), "unknown");
        for (int b = 0; b < a; b++)
            assert_string_not_equal(ptwr_reason_name(a), ptwr_reason_name(b));
    }
    assert_string_equal(ptwr_reason_name(-1), "unknown");
    assert_string_equal(ptwr_reason_name(PTWR_NR_REASONS), "unknown");
    for (int op = 0; op < PTWR_NR_OPS; op++)
        assert_string_not_equal(ptwr_op_name(op), "unknown");
    assert_string_equal(ptwr_op_name(PTWR_NR_OPS), "unknown");
}

/* ---- The host CPU as the reference ----
 *
 * One mapping, placed below 2 GiB when possible so absolute disp32
 * operands can reach it: a code page (a fixed prologue that loads all 16
 * registers and RFLAGS from the state page, then the instruction under
 * test, then an epilogue that stores them back), a state page, and the
 * buffer the instruction writes.  All loads and stores are RIP-relative,
 * so no register is reserved and every one can be tested, rsp included.
 */
#define NAT_PAGES 18
#define BUF_SIZE  (16 * 4096)

struct nat_state {
    uint64_t in[16], rflags_in;
    uint64_t out[16], rflags_out;
    uint64_t host_rsp;
};

static uint8_t *nat;                    /* code, state, buffer */
static size_t nat_prologue;             /* the instruction goes here */
static uint8_t ref[BUF_SIZE];           /* the buffer between cases */
#define NST  ((struct nat_state *)(nat + 4096))
#define NBUF (nat + 2 * 4096)
#define INSN_ADDR ((uint64_t)(nat + nat_prologue))

struct emit { uint8_t *p; size_t n; };

static void put(struct emit *e, const void *b, size_t n)
{
    memcpy(e->p + e->n, b, n);
    e->n += n;
}

/* `op` bytes, ModRM (mod 0, reg, rm 5 = RIP-relative), disp32 to `target`. */
static void put_riprel(struct emit *e, const uint8_t *op, size_t oplen, unsigned int reg,
                       const void *target)
{
    put(e, op, oplen);
    uint8_t modrm = (uint8_t)((reg & 7) << 3 | 5);
    put(e, &modrm, 1);
    int32_t d = (int32_t)((const uint8_t *)target - (e->p + e->n + 4));
    put(e, &d, 4);
}

/* mov r64, [rip+x] (8B) or mov [rip+x], r64 (89). */
static void put_mov(struct emit *e, uint8_t opc, unsigned int reg, const void *target)
{
    uint8_t op[2] = { (uint8_t)(0x48 | (reg >> 3) << 2), opc };
    put_riprel(e, op, 2, reg, target);
}

static void nat_init(void)
{
    if (nat)
        return;
    nat = mmap((void *)0x40000000, NAT_PAGES * 4096, PROT_READ | PROT_WRITE,
               MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
    if (nat == MAP_FAILED)
        nat = mmap(NULL, NAT_PAGES * 4096, PROT_READ | PROT_WRITE,
                   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    assert_true(nat != MAP_FAILED);
    for (size_t k = 0; k < BUF_SIZE; k++)
        ref[k] = (uint8_t)(k * 131 + 7);
    memcpy(NBUF, ref, BUF_SIZE);

    static const uint8_t push[] = { 0x53, 0x55, 0x41, 0x54, 0x41, 0x55, 0x41, 0x56,
                                    0x41, 0x57 };
    struct emit e = { nat, 0 };
    put(&e, push, sizeof(push));
    put_mov(&e, 0x89, 4, &NST->host_rsp);
    put_riprel(&e, (const uint8_t[]){ 0xff }, 1, 6, &NST->rflags_in);  /* push */
    put(&e, (const uint8_t[]){ 0x9d }, 1);                              /* popfq */
    for (unsigned int r = 0; r < 16; r++)
        put_mov(&e, 0x8b, r, &NST->in[r]);    /* rsp too: nothing is pushed now */
    nat_prologue = e.n;
}

/* Run `insn` with NST->in / rflags_in; results in NST->out / rflags_out. */
static void nat_run(const uint8_t *insn, size_t len)
{
    static const uint8_t pop[] = { 0x41, 0x5f, 0x41, 0x5e, 0x41, 0x5d, 0x41, 0x5c,
                                   0x5d, 0x5b, 0xc3 };
    struct emit e = { nat, nat_prologue };

    assert_int_equal(mprotect(nat, 4096, PROT_READ | PROT_WRITE), 0);
    put(&e, insn, len);
    put_mov(&e, 0x89, 4, &NST->out[4]);
    put_mov(&e, 0x8b, 4, &NST->host_rsp);
    for (unsigned int r = 0; r < 16; r++)
        if (r != 4)
            put_mov(&e, 0x89, r, &NST->out[r]);
    put(&e, (const uint8_t[]){ 0x9c }, 1);                              /* pushfq */
    put_riprel(&e, (const uint8_t[]){ 0x8f }, 1, 0, &NST->rflags_out); /* pop */
    put(&e, pop, sizeof(pop));
    assert_int_equal(mprotect(nat, 4096, PROT_READ | PROT_EXEC), 0);
    ((void (*)(void))nat)();
}

/* The flags the SDM defines for each operation (the rest are undefined). */
static uint64_t defined_flags(int op)
{
    switch (op) {
    case PTWR_OP_AND: case PTWR_OP_OR: case PTWR_OP_XOR: return ARITH & ~AF;
    case PTWR_OP_BTS: case PTWR_OP_BTR: case PTWR_OP_BTC: return CF;
    default: return ARITH;
    }
}

static void dump_bytes(const char *what, const uint8_t *b, size_t len)
{
    char s[64] = "";
    for (size_t k = 0; k < len && k < 16; k++)
        snprintf(s + 3 * k, 4, "%02x ", b[k]);
    print_error("%s: %s\n", what, s);
}

/* Compare the CPU's results with `want_mem` at pte and with `want`. */
static bool nat_check(const char *what, const uint8_t *b, size_t len, uint64_t pte,
                      uint64_t want_mem, const struct cpu_regs *want, uint64_t fmask)
{
    size_t off = pte - (uint64_t)NBUF;
    uint64_t got;
    bool ok = true;

    memcpy(&got, NBUF + off, 8);
    if (got != want_mem) {
        print_error("memory %016llx, emulator %016llx\n", (unsigned long long)got,
                    (unsigned long long)want_mem);
        ok = false;
    }
    if (memcmp(NBUF, ref, off) || memcmp(NBUF + off + 8, ref + off + 8, BUF_SIZE - off - 8)) {
        size_t at = 0;
        while (at < BUF_SIZE && (NBUF[at] == ref[at] || (at >= off && at < off + 8)))
            at++;
        print_error("the CPU wrote outside the PTE: at %+lld from it\n",
                    (long long)at - (long long)off);
        memcpy(NBUF, ref, BUF_SIZE);
        ok = false;
    }
    for (int n = 0; n < 16; n++) {
        uint64_t w = *greg((struct cpu_regs *)want, n);
        if (NST->out[n] != w) {
            print_error("reg %d: cpu %016llx, emulator %016llx\n", n,
                        (unsigned long long)NST->out[n], (unsigned long long)w);
            ok = false;
        }
    }
    if ((NST->rflags_out ^ want->rflags) & fmask) {
        print_error("flags: cpu %03llx, emulator %03llx (mask %03llx)\n",
                    (unsigned long long)(NST->rflags_out & ARITH),
                    (unsigned long long)(want->rflags & ARITH), (unsigned long long)fmask);
        ok = false;
    }
    memcpy(NBUF + off, ref + off, 8);
    if (!ok) {
        print_error("case: %s\n", what);
        dump_bytes("bytes", b, len);
    }
    return ok;
}

/* The hand-computed rows, relocated into the buffer, on the CPU. */
static void form_rows_native(void **state)
{
    (void)state;
    nat_init();
    bool ok = true;
    for (size_t k = 0; k < ARRAY_SIZE(form_rows); k++) {
        const struct form_row *f = &form_rows[k];
        uint64_t pte = (uint64_t)NBUF + 0x8000;
        struct cpu_regs r = row_regs(f, pte);
        memcpy(NBUF + 0x8000, &f->old, 8);
        for (int n = 0; n < 16; n++)
            NST->in[n] = *greg(&r, n);
        NST->rflags_in = r.rflags;
        nat_run(f->b, f->len);
        struct cpu_regs want = row_expect(f, r);
        ok &= nat_check(f->name, f->b, f->len, pte, f->new, &want, defined_flags(f->op));
    }
    assert_true(ok);
}

/* ---- Random instances of every form ---- */

struct dform {
    uint8_t op, size;
    bool imm, esc;
    uint8_t opc;
    int8_t ext;             /* ModRM.reg of a group opcode, or -1 */
    uint8_t imm_bytes;
};

static struct dform dforms[80];
static int nr_dforms;

static void add_form(uint8_t op, uint8_t size, bool esc, uint8_t opc, int ext, int imm_bytes)
{
    dforms[nr_dforms++] = (struct dform){ op, size, imm_bytes > 0, esc, opc, (int8_t)ext,
                                          (uint8_t)imm_bytes };
}

static void build_dforms(void)
{
    static const struct { uint8_t op, rm8, ext; } alu[] = {
        { PTWR_OP_OR, 0x08, 1 }, { PTWR_OP_AND, 0x20, 4 }, { PTWR_OP_XOR, 0x30, 6 } };
    static const struct { uint8_t op, opc, ext; } bt[] = {
        { PTWR_OP_BTS, 0xab, 5 }, { PTWR_OP_BTR, 0xb3, 6 }, { PTWR_OP_BTC, 0xbb, 7 } };

    nr_dforms = 0;
    add_form(PTWR_OP_MOV, 1, 0, 0x88, -1, 0);
    add_form(PTWR_OP_MOV, 1, 0, 0xc6, 0, 1);
    add_form(PTWR_OP_XCHG, 1, 0, 0x86, -1, 0);
    add_form(PTWR_OP_CMPXCHG, 1, 1, 0xb0, -1, 0);
    for (size_t k = 0; k < ARRAY_SIZE(alu); k++) {
        add_form(alu[k].op, 1, 0, alu[k].rm8, -1, 0);
        add_form(alu[k].op, 1, 0, 0x80, alu[k].ext, 1);
    }
    for (uint8_t s = 2; s <= 8; s *= 2) {
        add_form(PTWR_OP_MOV, s, 0, 0x89, -1, 0);
        add_form(PTWR_OP_MOV, s, 0, 0xc7, 0, s == 2 ? 2 : 4);
        add_form(PTWR_OP_XCHG, s, 0, 0x87, -1, 0);
        add_form(PTWR_OP_CMPXCHG, s, 1, 0xb1, -1, 0);
        for (size_t k = 0; k < ARRAY_SIZE(alu); k++) {
            add_form(alu[k].op, s, 0, alu[k].rm8 + 1, -1, 0);
            add_form(alu[k].op, s, 0, 0x81, alu[k].ext, s == 2 ? 2 : 4);
            add_form(alu[k].op, s, 0, 0x83, alu[k].ext, 1);
        }
        for (size_t k = 0; k < ARRAY_SIZE(bt); k++) {
            add_form(bt[k].op, s, 1, bt[k].opc, -1, 0);
            add_form(bt[k].op, s, 1, 0xba, bt[k].ext, 1);
        }
    }
}

static uint64_t rng;

static uint64_t rnd(void)
{
    rng ^= rng >> 12;
    rng ^= rng << 25;
    rng ^= rng >> 27;
    return rng * 0x2545f4914f6cdd1dULL;
}

/* Values that reach the corners: 0, ~0, small, one bit, sign-extended. */
static uint64_t rnd_value(void)
{
    switch (rnd() % 6) {
    case 0: return 0;
    case 1: return ~0ULL;
    case 2: return rnd() & 0xff;
    case 3: return 1ULL << (rnd() % 64);
    case 4: return (uint64_t)(int64_t)(int8_t)rnd();
    default: return rnd();
    }
}

static uint64_t mask_of(unsigned int size)
{
    return size == 8 ? ~0ULL : (1ULL << (8 * size)) - 1;
}

enum { AM_BASE, AM_BASE_INDEX, AM_INDEX, AM_RIP, AM_ABS, NR_AM };

struct dcase {
    uint8_t b[16];
    size_t len;
    uint64_t regs[16], rflags, target, old, bitoff;
    int am;
    bool high8;
};

struct layout {
    int reg, base, index, scale_log, mod, am;
    bool high8;
    int32_t disp;
    uint64_t ea;            /* the effective address (before any BT* offset) */
};

/* Registers, mode and displacement such that the access lands on c->target. */
static bool gen_operands(const struct dform *f, struct dcase *c, struct layout *L)
{
    bool bt_reg = f->op >= PTWR_OP_BTS && !f->imm;
    uint64_t E = c->target, s;

    L->reg = (int)(rnd() % 16);
    L->high8 = f->size == 1 && L->reg >= 4 && L->reg < 8 && (rnd() & 1);
    L->am = (int)(rnd() % NR_AM);
    if (L->am == AM_ABS && (uint64_t)nat >= 0x80000000ULL)
        L->am = AM_RIP;
    L->base = L->index = -1;
    L->scale_log = (int)(rnd() % 4);
    s = 1ULL << L->scale_log;
    if (L->am == AM_BASE || L->am == AM_BASE_INDEX)
        L->base = (int)(rnd() % 16);
    if (L->am == AM_BASE_INDEX || L->am == AM_INDEX)
        do L->index = (int)(rnd() % 16); while (L->index == 4);
    if (L->high8 && (L->base >= 8 || L->index >= 8))
        return false;
    if (bt_reg && (L->reg == L->base || L->reg == L->index))
        return false;
    L->mod = L->base < 0 ? 0 : (int)(rnd() % 3);
    if (L->mod == 0 && L->base >= 0 && (L->base & 7) == 5)
        L->mod = 1;
    L->disp = L->mod == 1 ? (int8_t)rnd() : L->mod == 2 ? (int32_t)rnd() : 0;

    if (bt_reg) {   /* a signed bit offset, near or (with a base) anywhere */
        uint64_t o = (L->base >= 0 && (rnd() & 1)) ? rnd() : (uint64_t)((int64_t)(rnd() % 8192) - 4096);
        if (f->size < 8 && (rnd() & 1))
            o = (o & mask_of(f->size)) | (rnd() << (8 * f->size));
        c->regs[L->reg] = o;
        int64_t so = (int64_t)(o << (64 - 8 * f->size)) >> (64 - 8 * f->size);
        int lg = f->size == 2 ? 4 : f->size == 4 ? 5 : 6;
        E = c->target - (uint64_t)((so >> lg) * f->size);
    }
    L->ea = E;
    switch (L->am) {
    case AM_BASE:
        c->regs[L->base] = E - (uint64_t)(int64_t)L->disp;
        break;
    case AM_BASE_INDEX:
        if (L->base == L->index) {      /* v * (1 + s) + disp8 = E */
            if (E >> 47)
                return false;
            L->mod = 1;
            c->regs[L->base] = E / (1 + s);
            L->disp = (int32_t)(E - c->regs[L->base] * (1 + s));
        } else {
            c->regs[L->base] = E - (uint64_t)(int64_t)L->disp - c->regs[L->index] * s;
        }
        break;
    case AM_INDEX: {                    /* index * s + disp32 = E */
        L->disp = (int32_t)(rnd() % (1u << 30)) - (1 << 29);
        L->disp += (int32_t)((E - (uint64_t)(int64_t)L->disp) & (s - 1));
        c->regs[L->index] = (E - (uint64_t)(int64_t)L->disp) >> L->scale_log;
        break;
    }
    case AM_ABS:
        if (E >= 0x80000000ULL)
            return false;
        L->disp = (int32_t)E;
        break;
    }
    return true;
}

/* Prefixes in random order, REX, opcode, ModRM, SIB, displacement, immediate. */
static bool encode(const struct dform *f, struct dcase *c, const struct layout *L)
{
    static const uint8_t segs[] = { 0x26, 0x2e, 0x36, 0x3e };
    uint8_t pf[4], *p = c->b;
    size_t npf = 0, disp_at = 0;

    if (rnd() % 4 == 0)
        pf[npf++] = segs[rnd() % 4];
    if (f->op != PTWR_OP_MOV && (rnd() & 1))
        pf[npf++] = 0xf0;
    if (f->size == 2 || (f->size == 8 && rnd() % 8 == 0))
        pf[npf++] = 0x66;
    for (size_t k = npf; k > 1; k--) {
        size_t j = rnd() % k;
        uint8_t t = pf[k - 1]; pf[k - 1] = pf[j]; pf[j] = t;
    }
    memcpy(p, pf, npf);
    p += npf;

    int x = L->index >= 8, b = L->base >= 8, r = L->reg >= 8;
    if (L->am >= AM_INDEX && !L->high8)
        b = (int)(rnd() & 1);   /* ignored without a base register */
    uint8_t rex = (uint8_t)(0x40 | (f->size == 8) << 3 | r << 2 | x << 1 | b);
    bool need = f->size == 1 && L->reg >= 4 && !L->high8;
    if (rex != 0x40 || need || (!L->high8 && rnd() % 8 == 0))
        *p++ = rex;
    if (f->esc)
        *p++ = 0x0f;
    *p++ = f->opc;

    int modreg = f->ext >= 0 ? f->ext : (L->reg & 7);
    int mod = L->mod, rm, sib = -1;
    switch (L->am) {
    case AM_BASE:
        rm = L->base & 7;
        if (rm == 4)    /* SIB with no index; the scale bits do not matter */
            sib = L->scale_log << 6 | 4 << 3 | 4;
        break;
    case AM_BASE_INDEX:
        rm = 4;
        sib = L->scale_log << 6 | (L->index & 7) << 3 | (L->base & 7);
        break;
    case AM_INDEX:
        rm = 4, mod = 0;
        sib = L->scale_log << 6 | (L->index & 7) << 3 | 5;
        break;
    case AM_ABS:
        rm = 4, mod = 0;
        sib = L->scale_log << 6 | 4 << 3 | 5;
        break;
    default:    /* AM_RIP */
        rm = 5, mod = 0;
    }
    *p++ = (uint8_t)(mod << 6 | modreg << 3 | rm);
    if (sib >= 0)
        *p++ = (uint8_t)sib;
    int dbytes = mod == 1 ? 1 : (mod == 2 || L->am >= AM_INDEX) ? 4 : 0;
    disp_at = (size_t)(p - c->b);
    memcpy(p, &L->disp, (size_t)dbytes);
    p += dbytes;
    uint64_t imm = rnd_value();
    memcpy(p, &imm, f->imm_bytes);
    p += f->imm_bytes;
    c->len = (size_t)(p - c->b);
    if (c->len > 15)
        return false;
    if (L->am == AM_RIP) {
        int64_t d = (int64_t)(L->ea - (INSN_ADDR + c->len));
        if (d != (int32_t)d)
            return false;
        int32_t d32 = (int32_t)d;
        memcpy(c->b + disp_at, &d32, 4);
    }
    return true;
}

static bool gen_case(const struct dform *f, struct dcase *c)
{
    struct layout L;
    memset(c, 0, sizeof(*c));
    c->target = ((uint64_t)NBUF + 0x4000 + rnd() % 0x8000) & ~(uint64_t)(f->size - 1);
    for (int n = 0; n < 16; n++)
        c->regs[n] = rnd_value();
    c->rflags = 0x202 | (rnd() & ARITH);
    c->old = rnd_value();
    if (!gen_operands(f, c, &L) || !encode(f, c, &L))
        return false;
    c->am = L.am;
    c->high8 = L.high8;
    c->bitoff = f->op >= PTWR_OP_BTS && !f->imm ? c->regs[L.reg] : 0;
    /* Half the CMPXCHGs compare equal (unless rax is part of the address). */
    if (f->op == PTWR_OP_CMPXCHG && L.base != 0 && L.index != 0 && (rnd() & 1)) {
        uint64_t m = mask_of(f->size), v = c->old >> (8 * (c->target & 7));
        c->regs[0] = (c->regs[0] & ~m) | (v & m);
    }
    return true;
}

/* Run one case on the CPU and through the module; false on a difference. */
static bool diff_one(const struct dform *f, const struct dcase *c, bool *equal)
{
    uint64_t pte = c->target & ~7ULL;
    struct cpu_regs r = { .rip = INSN_ADDR, .rflags = c->rflags };
    struct ptwr_insn i;
    struct ptwr_result res;
    char what[160];

    snprintf(what, sizeof(what), "%s size %d mode %d target %#llx old %016llx bitoff %llx",
             ptwr_op_name(f->op), f->size, c->am, (unsigned long long)c->target,
             (unsigned long long)c->old, (unsigned long long)c->bitoff);
    for (int n = 0; n < 16; n++)
        *greg(&r, n) = NST->in[n] = c->regs[n];
    NST->rflags_in = c->rflags;
    memcpy(NBUF + (pte - (uint64_t)NBUF), &c->old, 8);
    nat_run(c->b, c->len);

    int rc = ptwr_decode(c->b, c->len, &i);
    if (rc == PTWR_OK)
        rc = i.len != c->len || i.op != f->op || i.size != f->size ? -1 :
             ptwr_emulate(&i, &r, c->target, pte, c->old, &res);
    if (rc) {
        print_error("module refused: %s (%d)\n", ptwr_reason_name(rc), rc);
        memcpy(NBUF, ref, BUF_SIZE);
        dump_bytes(what, c->b, c->len);
        return false;
    }
    *equal = res.store;
    ptwr_apply(&res, &r);
    return nat_check(what, c->b, c->len, pte, res.store ? res.new_pte : c->old, &r,
                     defined_flags(f->op));
}

#define CASES_PER_FORM 1500

static void differential(void **state)
{
    (void)state;
    const char *seed = getenv("PTWR_SEED");
    uint64_t s0 = seed ? strtoull(seed, NULL, 0) : 0x6d696361707477ULL;
    unsigned int cases = 0, fails = 0, cmpx_eq = 0, cmpx_ne = 0, high8 = 0, modes[NR_AM] = { 0 };

    nat_init();
    build_dforms();
    rng = s0 ? s0 : 1;      /* xorshift: any non-zero state */
    for (int k = 0; k < nr_dforms; k++) {
        for (int n = 0; n < CASES_PER_FORM; n++) {
            struct dcase c;
            while (!gen_case(&dforms[k], &c))
                ;
            bool equal = true;
            if (!diff_one(&dforms[k], &c, &equal) && ++fails >= 10)
                fail_msg("too many differences (seed %#llx)", (unsigned long long)s0);
            cases++;
            modes[c.am]++;
            high8 += c.high8;
            if (dforms[k].op == PTWR_OP_CMPXCHG)
                equal ? cmpx_eq++ : cmpx_ne++;
        }
    }
    print_message("differential: %d forms, %u cases (base %u, base+index %u, index %u, "
                  "rip %u, abs %u; AH-BH %u; cmpxchg equal %u, differ %u), %u differences, "
                  "seed %#llx\n", nr_dforms, cases, modes[AM_BASE], modes[AM_BASE_INDEX],
                  modes[AM_INDEX], modes[AM_RIP], modes[AM_ABS], high8, cmpx_eq, cmpx_ne, fails,
                  (unsigned long long)s0);
    assert_int_equal(nr_dforms, 67);
    assert_int_equal(fails, 0);
}

int main(void)
{
    static const struct CMUnitTest fixed[] = {
        cmocka_unit_test(addressing_modes),
        cmocka_unit_test(truncated_at_every_length),
        cmocka_unit_test(too_many_prefixes),
        cmocka_unit_test(longest_form_at_the_limit),
        cmocka_unit_test(guard_page),
        cmocka_unit_test(opcode_sweep),
        cmocka_unit_test(access_checks),
        cmocka_unit_test(apply_touches_only_results),
        cmocka_unit_test(names),
        cmocka_unit_test(form_rows_native),
        cmocka_unit_test(differential),
    };
    struct CMUnitTest t[ARRAY_SIZE(fixed) + ARRAY_SIZE(form_rows) + ARRAY_SIZE(refuse_rows)];
    size_t n = 0;

    /* One named test per supported and per refused form. */
    for (size_t k = 0; k < ARRAY_SIZE(form_rows); k++)
        t[n++] = (struct CMUnitTest){ form_rows[k].name, run_form_row, NULL, NULL,
                                      (void *)&form_rows[k] };
    for (size_t k = 0; k < ARRAY_SIZE(refuse_rows); k++)
        t[n++] = (struct CMUnitTest){ refuse_rows[k].name, run_refuse_row, NULL, NULL,
                                      (void *)&refuse_rows[k] };
    for (size_t k = 0; k < ARRAY_SIZE(fixed); k++)
        t[n++] = fixed[k];
    return _cmocka_run_group_tests("hv-ptwr-emul", t, n, NULL, NULL);
}
