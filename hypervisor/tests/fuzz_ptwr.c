/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer target for the ptwr decoder/emulator: random instruction bytes,
 * a random `avail`, register file, PTE value and CR2 (usually derived from
 * the decoded access, so the emulation path is reached).  Besides sanitizer
 * reports it checks the module's promises: never a byte read past `avail`
 * (the bytes sit in an exact-size heap copy), a length within
 * min(15, avail), refusals that match the access, and on success a result
 * inside the PTE that keeps every byte outside the access, advances RIP by
 * exactly the length, and touches only the registers it may.
 *
 * Input: ctrl (1 byte), tweak (1), instruction area (16), old PTE (8),
 * CR2 (8), then the 16 registers, RIP and RFLAGS (8 each); missing bytes
 * are zero.
 */
#include <assert.h>
#include <stdlib.h>

#include <mica/ptwr_emul.h>
#include <mica/string.h>
#include <mica/x86.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define ARITH 0x8d5ULL
#define RF    (1ULL << 16)

struct input {
    uint8_t ctrl, tweak, insn[16];
    uint64_t old_pte, cr2, regs[18];
};

static uint64_t *greg(struct cpu_regs *r, int n)
{
    uint64_t *map[16] = { &r->rax, &r->rcx, &r->rdx, &r->rbx, &r->rsp, &r->rbp,
                          &r->rsi, &r->rdi, &r->r8, &r->r9, &r->r10, &r->r11,
                          &r->r12, &r->r13, &r->r14, &r->r15 };
    return map[n];
}

static void check_decode(const uint8_t *copy, size_t avail, int rc, const struct ptwr_insn *i)
{
    assert(rc >= 0 && rc < PTWR_NR_REASONS && rc < PTWR_BAD_SIZE);
    if (rc == PTWR_TRUNCATED)
        assert(avail < PTWR_MAX_INSN_LEN);
    if (rc == PTWR_TOO_LONG)
        assert(avail >= PTWR_MAX_INSN_LEN);
    if (rc != PTWR_OK)
        return;
    assert(i->len >= 1 && i->len <= MIN(avail, (size_t)PTWR_MAX_INSN_LEN));
    assert(i->op > PTWR_OP_NONE && i->op < PTWR_NR_OPS);
    assert(i->size == 1 || i->size == 2 || i->size == 4 || i->size == 8);
    assert(i->scale == 1 || i->scale == 2 || i->scale == 4 || i->scale == 8);
    assert(i->reg < 16 && i->index < 16 && i->index != 4 && i->base <= PTWR_BASE_RIP);

    /* The length is exact: exactly len bytes decode the same, one fewer
     * is truncated. */
    struct ptwr_insn again;
    assert(ptwr_decode(copy, i->len, &again) == PTWR_OK);
    assert(memcmp(&again, i, sizeof(again)) == 0);
    assert(ptwr_decode(copy, i->len - 1, &again) == PTWR_TRUNCATED);
}

static void check_refusal(const struct ptwr_insn *i, const struct cpu_regs *r, int rc,
                          uint64_t cr2, uint64_t pte)
{
    uint64_t addr = ptwr_access_addr(i, r);
    if (addr % i->size)
        assert(rc == PTWR_MISALIGNED);
    else if (pte % 8 || (addr & ~7ULL) != pte)
        assert(rc == PTWR_OUTSIDE_PTE);
    else if (cr2 - addr >= i->size)
        assert(rc == PTWR_CR2_MISMATCH);
    else
        assert(rc == PTWR_OK);
}

static void check_result(const struct ptwr_insn *i, const struct cpu_regs *r,
                         const struct ptwr_result *res, uint64_t cr2, uint64_t pte,
                         uint64_t old)
{
    uint64_t m = i->size == 8 ? ~0ULL : (1ULL << (8 * i->size)) - 1;
    unsigned int shift = 8 * (res->addr & 7);

    assert(res->addr == ptwr_access_addr(i, r) && res->width == i->size);
    assert(res->addr % i->size == 0 && (res->addr & ~7ULL) == pte);
    assert(cr2 - res->addr < i->size);
    assert(res->old_pte == old);
    assert(((res->new_pte ^ old) & ~(m << shift)) == 0);    /* other bytes kept */
    assert(res->rip == r->rip + i->len);
    assert(((res->rflags ^ r->rflags) & ~(ARITH | RF)) == 0 && !(res->rflags & RF));
    assert(res->cmpxchg == (i->op == PTWR_OP_CMPXCHG));
    if (!res->store)
        assert(i->op == PTWR_OP_CMPXCHG && res->new_pte == old && res->wb_reg == 0);

    switch (i->op) {
    case PTWR_OP_MOV:
        if (i->src_is_imm)
            assert(((res->new_pte >> shift) & m) == i->imm);
        /* fall through */
    case PTWR_OP_XCHG:
        assert(((res->rflags ^ r->rflags) & ARITH) == 0);
        assert(i->op == PTWR_OP_XCHG ? res->wb_reg >= 0 && res->wb_reg < 16 :
               res->wb_reg == PTWR_NONE);
        break;
    case PTWR_OP_CMPXCHG:
        if (res->store)
            assert(res->wb_reg == PTWR_NONE);
        break;
    case PTWR_OP_BTS: case PTWR_OP_BTR: case PTWR_OP_BTC:
        assert(((res->rflags ^ r->rflags) & (ARITH & ~1ULL)) == 0);
        assert(__builtin_popcountll(res->new_pte ^ old) <= 1);
        /* fall through */
    default:
        assert(res->wb_reg == PTWR_NONE);
    }

    /* Applying changes the writeback register, RFLAGS and RIP, nothing else. */
    struct cpu_regs after = *r, want = *r;
    ptwr_apply(res, &after);
    if (res->wb_reg >= 0)
        *greg(&want, res->wb_reg) = res->wb_val;
    want.rflags = res->rflags;
    want.rip = res->rip;
    assert(memcmp(&after, &want, sizeof(want)) == 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct input in = { 0 };
    size_t avail;
    int rc;

    memcpy(&in, data, MIN(size, sizeof(in)));
    avail = in.ctrl % 17;           /* 16: more than the CPU would ever use */

    /* An exact-size copy so ASan sees any read past `avail`. */
    uint8_t *copy = malloc(avail ? avail : 1);
    memcpy(copy, in.insn, avail);

    struct ptwr_insn i;
    rc = ptwr_decode(copy, avail, &i);
    check_decode(copy, avail, rc, &i);
    if (rc == PTWR_OK) {
        struct cpu_regs r = { .rip = in.regs[16], .rflags = in.regs[17] };
        for (int n = 0; n < 16; n++)
            *greg(&r, n) = in.regs[n];
        /* Mostly a CR2 near the decoded access, else the raw input; the
         * PTE address is what the caller derives from CR2, sometimes
         * deliberately misaligned. */
        unsigned int k = in.ctrl / 17 % 8;
        uint64_t cr2 = k == 7 ? in.cr2 : ptwr_access_addr(&i, &r) + k - 2;
        uint64_t pte = (cr2 & ~7ULL) ^ ((in.tweak & 0x80) ? (in.tweak & 7) : 0);
        struct ptwr_result res;

        rc = ptwr_emulate(&i, &r, cr2, pte, in.old_pte, &res);
        check_refusal(&i, &r, rc, cr2, pte);
        if (rc == PTWR_OK)
            check_result(&i, &r, &res, cr2, pte, in.old_pte);
    }
    free(copy);
    return 0;
}
