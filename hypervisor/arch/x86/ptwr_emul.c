/* SPDX-License-Identifier: MIT */
/*
 * Decoder and emulator for guest writes to read-only L1 page-table entries
 * (the caller's contract is in include/mica/ptwr_emul.h).  Facts from the
 * Intel SDM: legacy prefixes, REX, ModRM/SIB in 64-bit mode, and the flag
 * rules of MOV, XCHG, CMPXCHG, AND/OR/XOR and BTS/BTR/BTC.
 *
 * Invariants this file keeps:
 *  - Decoding reads insn[0 .. min(avail, 15) - 1] and nothing else; a
 *    decoded length never exceeds that bound.  Decode-then-emulate: no
 *    guest-visible state is produced until every check has passed, and
 *    even then only as a result struct the caller may discard.
 *  - Only memory-destination forms are accepted: a register destination
 *    (mod == 3) never faults on a PTE, so it cannot be what faulted.
 *  - The access must be 1/2/4/8 bytes, naturally aligned, inside the one
 *    8-byte PTE, and cover CR2.  Together these mean the bytes decoded now
 *    are the bytes that faulted (a guest rewriting its own code between
 *    the fault and our fetch gets a refusal, not a write elsewhere).
 *  - Sub-word writes are merged into the old 8-byte value, so the bytes
 *    outside the access are exactly the old ones.
 *  - Undefined flags are left unchanged (AF of AND/OR/XOR; SF/ZF/AF/PF/OF
 *    of BT*), which is one of the values hardware may produce.
 */
#include <mica/ptwr_emul.h>
#include <mica/string.h>
#include <mica/x86.h>

#define FL_CF (1UL << 0)
#define FL_PF (1UL << 2)
#define FL_AF (1UL << 4)
#define FL_ZF (1UL << 6)
#define FL_SF (1UL << 7)
#define FL_OF (1UL << 11)
#define FL_RF (1UL << 16)
#define FL_ARITH (FL_CF | FL_PF | FL_AF | FL_ZF | FL_SF | FL_OF)

/* ---- Opcode tables ---- */

enum { MAP_1B, MAP_0F };
enum { GRP_NONE, GRP_1, GRP_11, GRP_8, NR_GROUPS };

#define F_BYTE      0x01    /* 8-bit operand */
#define F_SRC_REG   0x02    /* source is ModRM.reg */
#define F_IMM8      0x04    /* one immediate byte */
#define F_IMMZ      0x08    /* imm16 with 66, else imm32 */
#define F_LOCKABLE  0x10    /* LOCK allowed (else #UD) */
#define F_LOCKED    0x20    /* always locked (XCHG with memory) */

struct opcode_desc {
    uint8_t map, opcode;
    uint8_t op;             /* enum ptwr_op, or 0 with `group` */
    uint8_t group;
    uint8_t flags;
};

static const struct opcode_desc opcodes[] = {
    { MAP_1B, 0x08, PTWR_OP_OR,      0,      F_BYTE | F_SRC_REG | F_LOCKABLE },
    { MAP_1B, 0x09, PTWR_OP_OR,      0,      F_SRC_REG | F_LOCKABLE },
    { MAP_1B, 0x20, PTWR_OP_AND,     0,      F_BYTE | F_SRC_REG | F_LOCKABLE },
    { MAP_1B, 0x21, PTWR_OP_AND,     0,      F_SRC_REG | F_LOCKABLE },
    { MAP_1B, 0x30, PTWR_OP_XOR,     0,      F_BYTE | F_SRC_REG | F_LOCKABLE },
    { MAP_1B, 0x31, PTWR_OP_XOR,     0,      F_SRC_REG | F_LOCKABLE },
    { MAP_1B, 0x80, 0,               GRP_1,  F_BYTE | F_IMM8 | F_LOCKABLE },
    { MAP_1B, 0x81, 0,               GRP_1,  F_IMMZ | F_LOCKABLE },
    { MAP_1B, 0x83, 0,               GRP_1,  F_IMM8 | F_LOCKABLE },
    { MAP_1B, 0x86, PTWR_OP_XCHG,    0,      F_BYTE | F_SRC_REG | F_LOCKABLE | F_LOCKED },
    { MAP_1B, 0x87, PTWR_OP_XCHG,    0,      F_SRC_REG | F_LOCKABLE | F_LOCKED },
    { MAP_1B, 0x88, PTWR_OP_MOV,     0,      F_BYTE | F_SRC_REG },
    { MAP_1B, 0x89, PTWR_OP_MOV,     0,      F_SRC_REG },
    { MAP_1B, 0xc6, 0,               GRP_11, F_BYTE | F_IMM8 },
    { MAP_1B, 0xc7, 0,               GRP_11, F_IMMZ },
    { MAP_0F, 0xab, PTWR_OP_BTS,     0,      F_SRC_REG | F_LOCKABLE },
    { MAP_0F, 0xb0, PTWR_OP_CMPXCHG, 0,      F_BYTE | F_SRC_REG | F_LOCKABLE },
    { MAP_0F, 0xb1, PTWR_OP_CMPXCHG, 0,      F_SRC_REG | F_LOCKABLE },
    { MAP_0F, 0xb3, PTWR_OP_BTR,     0,      F_SRC_REG | F_LOCKABLE },
    { MAP_0F, 0xba, 0,               GRP_8,  F_IMM8 | F_LOCKABLE },
    { MAP_0F, 0xbb, PTWR_OP_BTC,     0,      F_SRC_REG | F_LOCKABLE },
};

/* ModRM.reg selects the operation of a group opcode; the gaps (ADD, ADC,
 * SBB, SUB, CMP, BT ...) are refused: Linux never uses them on a PTE. */
static const uint8_t group_ops[NR_GROUPS][8] = {
    [GRP_1]  = { [1] = PTWR_OP_OR, [4] = PTWR_OP_AND, [6] = PTWR_OP_XOR },
    [GRP_11] = { [0] = PTWR_OP_MOV },
    [GRP_8]  = { [5] = PTWR_OP_BTS, [6] = PTWR_OP_BTR, [7] = PTWR_OP_BTC },
};

/* Where each architectural register lives in the trap frame. */
static const uint8_t gpr_offset[16] = {
    offsetof(struct cpu_regs, rax), offsetof(struct cpu_regs, rcx),
    offsetof(struct cpu_regs, rdx), offsetof(struct cpu_regs, rbx),
    offsetof(struct cpu_regs, rsp), offsetof(struct cpu_regs, rbp),
    offsetof(struct cpu_regs, rsi), offsetof(struct cpu_regs, rdi),
    offsetof(struct cpu_regs, r8),  offsetof(struct cpu_regs, r9),
    offsetof(struct cpu_regs, r10), offsetof(struct cpu_regs, r11),
    offsetof(struct cpu_regs, r12), offsetof(struct cpu_regs, r13),
    offsetof(struct cpu_regs, r14), offsetof(struct cpu_regs, r15),
};

static const char *const reason_names[PTWR_NR_REASONS] = {
    [PTWR_OK]               = "ok",
    [PTWR_TRUNCATED]        = "truncated",
    [PTWR_TOO_LONG]         = "longer than 15 bytes",
    [PTWR_REX_NOT_LAST]     = "prefix after REX",
    [PTWR_PREFIX_REP]       = "REP/F2/F3 prefix",
    [PTWR_PREFIX_FS_GS]     = "FS/GS override",
    [PTWR_PREFIX_ADDR_SIZE] = "address-size prefix",
    [PTWR_VEX]              = "VEX/EVEX",
    [PTWR_OPCODE]           = "unsupported opcode",
    [PTWR_OPCODE_EXT]       = "unsupported ModRM.reg extension",
    [PTWR_REG_OPERAND]      = "register destination",
    [PTWR_BAD_LOCK]         = "LOCK not allowed",
    [PTWR_BAD_SIZE]         = "bad access size",
    [PTWR_MISALIGNED]       = "misaligned access",
    [PTWR_OUTSIDE_PTE]      = "access outside the PTE",
    [PTWR_CR2_MISMATCH]     = "access does not cover CR2",
};

static const char *const op_names[PTWR_NR_OPS] = {
    [PTWR_OP_NONE] = "none", [PTWR_OP_MOV] = "mov", [PTWR_OP_XCHG] = "xchg",
    [PTWR_OP_CMPXCHG] = "cmpxchg", [PTWR_OP_AND] = "and",
    [PTWR_OP_OR] = "or", [PTWR_OP_XOR] = "xor", [PTWR_OP_BTS] = "bts",
    [PTWR_OP_BTR] = "btr", [PTWR_OP_BTC] = "btc",
};

const char *ptwr_reason_name(int reason)
{
    if (reason < 0 || reason >= PTWR_NR_REASONS)
        return "unknown";
    return reason_names[reason];
}

const char *ptwr_op_name(int op)
{
    if (op < 0 || op >= PTWR_NR_OPS)
        return "unknown";
    return op_names[op];
}

/* ---- Decoder ---- */

struct cursor {
    const uint8_t *p;
    size_t limit;           /* min(avail, 15) */
    size_t pos;
};

static int fetch(struct cursor *c, uint8_t *b)
{
    if (c->pos >= PTWR_MAX_INSN_LEN)
        return PTWR_TOO_LONG;
    if (c->pos >= c->limit)
        return PTWR_TRUNCATED;
    *b = c->p[c->pos++];
    return PTWR_OK;
}

/* A little-endian immediate or displacement, sign-extended to 64 bits. */
static int fetch_signed(struct cursor *c, unsigned int bytes, int64_t *v)
{
    uint64_t u = 0;

    for (unsigned int n = 0; n < bytes; n++) {
        uint8_t b;
        int rc = fetch(c, &b);
        if (rc)
            return rc;
        u |= (uint64_t)b << (8 * n);
    }
    if (bytes < 8 && (u >> (8 * bytes - 1)) & 1)
        u |= ~0ULL << (8 * bytes);
    *v = (int64_t)u;
    return PTWR_OK;
}

static bool is_legacy_prefix(uint8_t b)
{
    switch (b) {
    case 0xf0: case 0xf2: case 0xf3: case 0x66: case 0x67:
    case 0x26: case 0x2e: case 0x36: case 0x3e: case 0x64: case 0x65:
        return true;
    }
    return false;
}

struct prefixes {
    bool lock, opsize;
    uint8_t rex;            /* 0 when absent */
};

/* Consume prefixes; leaves the first opcode byte in *opc. */
static int decode_prefixes(struct cursor *c, struct prefixes *px, uint8_t *opc)
{
    for (;;) {
        uint8_t b;
        int rc = fetch(c, &b);
        if (rc)
            return rc;
        /* The CPU ignores a REX that is not right before the opcode; a
         * guest kernel has no reason to emit one, so refuse it. */
        if (px->rex && (is_legacy_prefix(b) || (b & 0xf0) == 0x40))
            return PTWR_REX_NOT_LAST;
        switch (b) {
        case 0xf0: px->lock = true; continue;
        case 0x66: px->opsize = true; continue;
        case 0x26: case 0x2e: case 0x36: case 0x3e:
            continue;       /* ES/CS/SS/DS: base 0 in 64-bit mode */
        case 0x64: case 0x65: return PTWR_PREFIX_FS_GS;
        case 0xf2: case 0xf3: return PTWR_PREFIX_REP;
        case 0x67: return PTWR_PREFIX_ADDR_SIZE;
        }
        if ((b & 0xf0) == 0x40) {
            px->rex = b;
            continue;
        }
        *opc = b;
        return PTWR_OK;
    }
}

static int lookup_opcode(struct cursor *c, uint8_t b, const struct opcode_desc **d)
{
    uint8_t map = MAP_1B;
    int rc;

    if (b == 0xc4 || b == 0xc5 || b == 0x62)
        return PTWR_VEX;
    if (b == 0x0f) {
        map = MAP_0F;
        if ((rc = fetch(c, &b)))
            return rc;
    }
    for (size_t n = 0; n < ARRAY_SIZE(opcodes); n++) {
        if (opcodes[n].map == map && opcodes[n].opcode == b) {
            *d = &opcodes[n];
            return PTWR_OK;
        }
    }
    return PTWR_OPCODE;
}

/* The memory operand of a ModRM byte whose mod is 0, 1 or 2. */
static int decode_mem(struct cursor *c, uint8_t modrm, uint8_t rex, struct ptwr_insn *i)
{
    unsigned int mod = modrm >> 6, rm = modrm & 7;
    unsigned int disp_bytes = mod == 1 ? 1 : mod == 2 ? 4 : 0;
    int64_t disp = 0;
    int rc;

    i->index = PTWR_NONE;
    i->scale = 1;
    if (rm == 4) {                      /* SIB follows (also for r12) */
        uint8_t sib;
        if ((rc = fetch(c, &sib)))
            return rc;
        unsigned int idx = ((sib >> 3) & 7) | ((rex & 0x2) << 2);
        i->scale = 1 << (sib >> 6);
        if (idx != 4)                   /* 4 = none; r12 (12) is valid */
            i->index = idx;
        i->base = (sib & 7) | ((rex & 0x1) << 3);
        if ((sib & 7) == 5 && mod == 0) {   /* no base, disp32 */
            i->base = PTWR_NONE;
            disp_bytes = 4;
        }
    } else if (rm == 5 && mod == 0) {   /* RIP-relative, also with REX.B */
        i->base = PTWR_BASE_RIP;
        disp_bytes = 4;
    } else {
        i->base = rm | ((rex & 0x1) << 3);
    }
    if (disp_bytes && (rc = fetch_signed(c, disp_bytes, &disp)))
        return rc;
    i->disp = (int32_t)disp;
    return PTWR_OK;
}

static bool is_bit_op(unsigned int op)
{
    return op == PTWR_OP_BTS || op == PTWR_OP_BTR || op == PTWR_OP_BTC;
}

static uint64_t size_mask(unsigned int size)
{
    return size >= 8 ? ~0ULL : (1ULL << (8 * size)) - 1;
}

int ptwr_decode(const uint8_t *insn, size_t avail, struct ptwr_insn *out)
{
    struct cursor c = { insn, MIN(avail, (size_t)PTWR_MAX_INSN_LEN), 0 };
    struct prefixes px = { 0 };
    const struct opcode_desc *d;
    struct ptwr_insn i = { 0 };
    uint8_t b, modrm;
    int rc;

    if ((rc = decode_prefixes(&c, &px, &b)) || (rc = lookup_opcode(&c, b, &d)))
        return rc;
    if ((rc = fetch(&c, &modrm)))
        return rc;
    i.op = d->group ? group_ops[d->group][(modrm >> 3) & 7] : d->op;
    if (i.op == PTWR_OP_NONE)
        return PTWR_OPCODE_EXT;
    if ((modrm >> 6) == 3)
        return PTWR_REG_OPERAND;
    if (px.lock && !(d->flags & F_LOCKABLE))
        return PTWR_BAD_LOCK;

    i.size = (d->flags & F_BYTE) ? 1 : (px.rex & 0x8) ? 8 : px.opsize ? 2 : 4;
    i.lock = px.lock || (d->flags & F_LOCKED);
    i.src_is_imm = !(d->flags & F_SRC_REG);
    i.reg = ((modrm >> 3) & 7) | ((px.rex & 0x4) << 1);
    /* Without any REX, byte registers 4-7 are AH, CH, DH, BH. */
    i.reg_high8 = i.size == 1 && !px.rex && i.reg >= 4;
    if ((rc = decode_mem(&c, modrm, px.rex, &i)))
        return rc;

    if (d->flags & (F_IMM8 | F_IMMZ)) {
        int64_t imm;
        unsigned int bytes = (d->flags & F_IMM8) ? 1 : i.size == 2 ? 2 : 4;
        if ((rc = fetch_signed(&c, bytes, &imm)))
            return rc;
        /* BT* keeps the raw byte (only its low bits count); the others
         * sign-extend to the operand size. */
        i.imm = is_bit_op(i.op) ? (uint8_t)imm : (uint64_t)imm & size_mask(i.size);
    }
    i.len = (uint8_t)c.pos;
    *out = i;
    return PTWR_OK;
}

/* ---- Emulator ---- */

static uint64_t gpr_get(const struct cpu_regs *r, unsigned int n)
{
    return *(const uint64_t *)((const char *)r + gpr_offset[n & 15]);
}

/* The source operand, `size` bytes wide. */
static uint64_t reg_operand(const struct ptwr_insn *i, const struct cpu_regs *r)
{
    if (i->reg_high8)
        return (gpr_get(r, i->reg - 4) >> 8) & 0xff;
    return gpr_get(r, i->reg) & size_mask(i->size);
}

/*
 * The full register after writing `size` bytes of `v` into it: 4-byte
 * writes zero the upper half, 1- and 2-byte writes keep the rest, and AH-BH
 * are bits 8-15 of rax-rbx.
 */
static uint64_t reg_merge(uint64_t old, uint64_t v, unsigned int size, bool high8)
{
    if (high8)
        return (old & ~0xff00ULL) | ((v & 0xff) << 8);
    if (size >= 4)
        return v & size_mask(size);
    return (old & ~size_mask(size)) | (v & size_mask(size));
}

/* Arithmetic shift right without relying on implementation-defined `>>`. */
static int64_t sar64(int64_t v, unsigned int k)
{
    return v < 0 ? ~(int64_t)(~(uint64_t)v >> k) : (int64_t)((uint64_t)v >> k);
}

static int64_t sign_extend(uint64_t v, unsigned int size)
{
    unsigned int bits = 8 * size;
    if (bits < 64 && (v >> (bits - 1)) & 1)
        v |= ~0ULL << bits;
    return (int64_t)v;
}

static unsigned int log2_bits(unsigned int size)
{
    return size == 2 ? 4 : size == 4 ? 5 : 6;     /* 16, 32, 64 bits */
}

uint64_t ptwr_access_addr(const struct ptwr_insn *i, const struct cpu_regs *regs)
{
    uint64_t ea = (uint64_t)(int64_t)i->disp;

    if (i->base == PTWR_BASE_RIP)
        ea += regs->rip + i->len;
    else if (i->base != PTWR_NONE)
        ea += gpr_get(regs, i->base);
    if (i->index != PTWR_NONE)
        ea += gpr_get(regs, i->index) * i->scale;

    /* BT* with a register offset: the signed offset may name a bit far
     * from EA; the CPU accesses the operand-sized unit holding it. */
    if (is_bit_op(i->op) && !i->src_is_imm && i->size >= 2) {
        int64_t off = sign_extend(reg_operand(i, regs), i->size);
        ea += (uint64_t)sar64(off, log2_bits(i->size)) * i->size;
    }
    return ea;
}

static uint64_t parity_flag(uint64_t v)
{
    uint8_t b = (uint8_t)v;
    b ^= b >> 4;
    b ^= b >> 2;
    b ^= b >> 1;
    return (b & 1) ? 0 : FL_PF;         /* PF: even number of set bits */
}

/* SF, ZF, PF of a `size`-byte result. */
static uint64_t szp_flags(uint64_t res, unsigned int size)
{
    uint64_t f = parity_flag(res);
    if ((res & size_mask(size)) == 0)
        f |= FL_ZF;
    if ((res >> (8 * size - 1)) & 1)
        f |= FL_SF;
    return f;
}

/* The six flags of `a - b` (CMP), operands `size` bytes wide. */
static uint64_t sub_flags(uint64_t a, uint64_t b, unsigned int size)
{
    uint64_t m = size_mask(size), res = (a - b) & m;
    uint64_t f = szp_flags(res, size);

    if (a < b)
        f |= FL_CF;
    if (((a ^ b ^ res) >> 4) & 1)
        f |= FL_AF;
    if ((((a ^ b) & (a ^ res)) >> (8 * size - 1)) & 1)
        f |= FL_OF;
    return f;
}

static int check_access(const struct ptwr_insn *i, uint64_t addr, uint64_t cr2,
                        uint64_t pte_addr)
{
    unsigned int w = i->size;

    if (w != 1 && w != 2 && w != 4 && w != 8)
        return PTWR_BAD_SIZE;
    if (!IS_ALIGNED(addr, w))
        return PTWR_MISALIGNED;
    /* Aligned and at most 8 bytes, so it cannot straddle two entries. */
    if (!IS_ALIGNED(pte_addr, 8) || ALIGN_DOWN(addr, 8) != pte_addr)
        return PTWR_OUTSIDE_PTE;
    if (cr2 - addr >= w)
        return PTWR_CR2_MISMATCH;
    return PTWR_OK;
}

/* The `size`-byte value written to memory, plus flags and writeback. */
static uint64_t compute(const struct ptwr_insn *i, const struct cpu_regs *regs,
                        uint64_t mem, struct ptwr_result *res)
{
    unsigned int size = i->size;
    uint64_t src = i->src_is_imm ? i->imm : reg_operand(i, regs);
    uint64_t fl = res->rflags & ~FL_ARITH, v, bit;

    switch (i->op) {
    case PTWR_OP_MOV:
        return src;
    case PTWR_OP_XCHG:
        res->wb_reg = i->reg_high8 ? i->reg - 4 : i->reg;
        res->wb_val = reg_merge(gpr_get(regs, res->wb_reg), mem, size, i->reg_high8);
        return src;
    case PTWR_OP_AND: v = mem & src; break;
    case PTWR_OP_OR:  v = mem | src; break;
    case PTWR_OP_XOR: v = mem ^ src; break;
    case PTWR_OP_CMPXCHG: {
        uint64_t acc = regs->rax & size_mask(size);
        res->cmpxchg = true;
        res->rflags = fl | sub_flags(acc, mem, size);
        if (acc == mem)
            return src;
        res->store = false;
        res->wb_reg = 0;                /* the accumulator gets memory */
        res->wb_val = reg_merge(regs->rax, mem, size, false);
        return mem;
    }
    default:                            /* BTS, BTR, BTC */
        bit = 1ULL << (src & (8 * size - 1));
        res->rflags = (res->rflags & ~FL_CF) | ((mem & bit) ? FL_CF : 0);
        return i->op == PTWR_OP_BTS ? mem | bit :
               i->op == PTWR_OP_BTR ? mem & ~bit : mem ^ bit;
    }
    /* AND/OR/XOR: CF = OF = 0, SF/ZF/PF from the result, AF unchanged. */
    res->rflags = fl | (res->rflags & FL_AF) | szp_flags(v, size);
    return v;
}

int ptwr_emulate(const struct ptwr_insn *i, const struct cpu_regs *regs,
                 uint64_t cr2, uint64_t pte_addr, uint64_t old_pte,
                 struct ptwr_result *res)
{
    uint64_t addr = ptwr_access_addr(i, regs);
    int rc = check_access(i, addr, cr2, pte_addr);
    if (rc)
        return rc;

    unsigned int shift = 8 * (addr & 7);
    uint64_t m = size_mask(i->size);
    uint64_t mem = (old_pte >> shift) & m;

    *res = (struct ptwr_result){
        .addr = addr, .width = i->size, .store = true, .wb_reg = PTWR_NONE,
        .old_pte = old_pte, .rflags = regs->rflags & ~FL_RF,
        .rip = regs->rip + i->len,
    };
    uint64_t v = compute(i, regs, mem, res) & m;
    res->new_pte = (old_pte & ~(m << shift)) | (v << shift);
    return PTWR_OK;
}

void ptwr_apply(const struct ptwr_result *res, struct cpu_regs *regs)
{
    if (res->wb_reg >= 0 && res->wb_reg < 16)
        *(uint64_t *)((char *)regs + gpr_offset[res->wb_reg]) = res->wb_val;
    regs->rflags = res->rflags;
    regs->rip = res->rip;
}
