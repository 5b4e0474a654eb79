/* SPDX-License-Identifier: MIT */
/*
 * Writable page tables ("ptwr"): decode and emulate the one instruction a
 * 64-bit PV guest kernel used to write straight into one of its own
 * read-only, validated L1 entries.  Pure logic: the caller copies the
 * instruction bytes in, hands over the faulting address and the current PTE,
 * and gets back the new PTE plus the register, flag and RIP results; it then
 * validates, commits and applies them as described below.  Only the forms
 * that make sense on a PTE are accepted (MOV, XCHG, CMPXCHG, AND/OR/XOR,
 * BTS/BTR/BTC to memory); anything else is refused with a reason, and the
 * caller bounces the original #PF to the guest.
 *
 * The caller's contract, in order (see hypervisor/arch/x86/ptwr_emul.c for
 * the invariants the module itself keeps):
 *
 *   1. Copy up to PTWR_MAX_INSN_LEN bytes from the guest's RIP (fewer if the
 *      copy stops at the end of a mapped page) and call ptwr_decode().
 *      PTWR_TRUNCATED means "the bytes ended first": copy more, or bounce.
 *   2. old = an atomic 8-byte read of the PTE at pte_addr = cr2 & ~7.
 *      ptwr_emulate(insn, regs, cr2, pte_addr, old, &res).  It only reads
 *      regs.  Non-zero: bounce the #PF.
 *   3. If res.store: validate res.new_pte as an L1 entry (this may adjust
 *      it; refusal => bounce the #PF), then atomically
 *      cmpxchg(PTE, res.old_pte, new_pte).  If that fails the PTE changed
 *      under us (hardware A/D update, another vCPU): undo the validation's
 *      references and go back to step 2 (bounded retries, then bounce).
 *      Never commit a result computed from a stale old value: every form,
 *      even MOV of a sub-word, is a read-modify-write of the whole entry.
 *      If !res.store (a CMPXCHG whose comparison failed) nothing is written.
 *   4. ptwr_apply(&res, regs): one register, RFLAGS and RIP.  If the saved
 *      RFLAGS had TF set, raise #DB (single-step trap) after applying.
 */
#ifndef MICA_PTWR_EMUL_H
#define MICA_PTWR_EMUL_H

#include <mica/types.h>

struct cpu_regs;            /* <mica/x86.h>: the guest's trap frame */

#define PTWR_MAX_INSN_LEN 15

/* Why an instruction was not emulated (for logs; never returned to a guest). */
enum ptwr_reason {
    PTWR_OK = 0,
    /* ptwr_decode() */
    PTWR_TRUNCATED,         /* `avail` bytes ended before the instruction did */
    PTWR_TOO_LONG,          /* more than 15 bytes: the CPU would raise #GP */
    PTWR_REX_NOT_LAST,      /* a prefix after REX (the CPU would ignore REX) */
    PTWR_PREFIX_REP,        /* F2 / F3 */
    PTWR_PREFIX_FS_GS,      /* 64 / 65: a segment with a base */
    PTWR_PREFIX_ADDR_SIZE,  /* 67: 32-bit addressing */
    PTWR_VEX,               /* C4 / C5 (VEX), 62 (EVEX) */
    PTWR_OPCODE,            /* not one of the forms above */
    PTWR_OPCODE_EXT,        /* group opcode whose ModRM.reg is not emulated */
    PTWR_REG_OPERAND,       /* ModRM.mod == 3: no memory destination */
    PTWR_BAD_LOCK,          /* LOCK on MOV: #UD on hardware */
    /* ptwr_emulate() */
    PTWR_BAD_SIZE,          /* access width not 1, 2, 4 or 8 */
    PTWR_MISALIGNED,        /* access not naturally aligned */
    PTWR_OUTSIDE_PTE,       /* access not entirely inside the PTE at pte_addr */
    PTWR_CR2_MISMATCH,      /* the decoded access does not cover CR2 */
    PTWR_NR_REASONS
};

enum ptwr_op {
    PTWR_OP_NONE = 0,
    PTWR_OP_MOV, PTWR_OP_XCHG, PTWR_OP_CMPXCHG,
    PTWR_OP_AND, PTWR_OP_OR, PTWR_OP_XOR,
    PTWR_OP_BTS, PTWR_OP_BTR, PTWR_OP_BTC,
    PTWR_NR_OPS
};

#define PTWR_NONE    (-1)       /* no base / index / writeback register */
#define PTWR_BASE_RIP 16        /* RIP-relative memory operand */

/* A decoded instruction.  Registers are architectural numbers 0-15
 * (rax, rcx, rdx, rbx, rsp, rbp, rsi, rdi, r8-r15). */
struct ptwr_insn {
    uint8_t  len;           /* bytes, 1..15 */
    uint8_t  op;            /* enum ptwr_op */
    uint8_t  size;          /* operand = access width: 1, 2, 4, 8 */
    bool     src_is_imm;    /* source is `imm`, else register `reg` */
    uint8_t  reg;           /* ModRM.reg with REX.R */
    bool     reg_high8;     /* byte operand AH/CH/DH/BH (reg 4-7, no REX) */
    bool     lock;          /* LOCK or implied (XCHG); informational: the
                             * commit is atomic either way */
    int8_t   base;          /* register, PTWR_BASE_RIP or PTWR_NONE */
    int8_t   index;         /* register or PTWR_NONE */
    uint8_t  scale;         /* 1, 2, 4, 8 */
    int32_t  disp;
    uint64_t imm;           /* truncated to `size`; BT*: the raw imm8 */
};

/* What the instruction does, computed from one value of the PTE. */
struct ptwr_result {
    uint64_t addr;          /* linear address written (inside the PTE) */
    uint8_t  width;         /* bytes written: 1, 2, 4, 8 */
    bool     store;         /* commit new_pte; false: CMPXCHG mismatch */
    bool     cmpxchg;       /* the guest's own compare-exchange */
    int8_t   wb_reg;        /* register set to wb_val, or PTWR_NONE */
    uint64_t old_pte;       /* the value computed from: cmpxchg's expected */
    uint64_t new_pte;       /* whole 8-byte entry (sub-words merged in) */
    uint64_t wb_val;        /* the full 64-bit register value */
    uint64_t rflags;        /* the full new RFLAGS (RF cleared) */
    uint64_t rip;           /* regs->rip + len */
};

/* Decode at most min(avail, 15) bytes of `insn`; never reads further. */
int ptwr_decode(const uint8_t *insn, size_t avail, struct ptwr_insn *out);

/* The first byte the instruction accesses (for BT* with a register bit
 * offset, the operand-sized unit that offset selects); the width is
 * i->size.  RIP-relative operands use regs->rip + i->len. */
uint64_t ptwr_access_addr(const struct ptwr_insn *i, const struct cpu_regs *regs);

/* Emulate against `old_pte`, the 8 bytes at the 8-aligned `pte_addr`. */
int ptwr_emulate(const struct ptwr_insn *i, const struct cpu_regs *regs,
                 uint64_t cr2, uint64_t pte_addr, uint64_t old_pte,
                 struct ptwr_result *res);

/* Step 4 of the contract: write back the register, RFLAGS and RIP. */
void ptwr_apply(const struct ptwr_result *res, struct cpu_regs *regs);

const char *ptwr_reason_name(int reason);
const char *ptwr_op_name(int op);

#endif /* MICA_PTWR_EMUL_H */
