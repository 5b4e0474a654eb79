/* SPDX-License-Identifier: MIT */
/*
 * The TLB model behind the memory core's host tests.  It does not know
 * when Mica flushes: it learns it from the harness's arch_flush_tlb_all()
 * hook, the one way the real code (mm/tlb.c) flushes.  Between flushes it
 * assumes the worst: every present entry of every live L1 table of the
 * running domain may be cached at any time, and stays cached -- however
 * often the entry changes since -- until a flush that covers it.  Entries
 * keep the global flag they have in the table (mm/pt.c sets it on guest
 * user mappings), so a plain CR3 reload, which the old code used, leaves
 * those.  Translations of frames outside the fake machine (I/O beyond the
 * frame table) are not kept: no rule is about them.
 */
#include <stdio.h>

#include <mica/string.h>

#include "mm_model.h"
#include "tlb_model.h"

/* What a domain may have cached for one target frame. */
#define K_RO    0x1     /* read-only, not global */
#define K_RO_G  0x2     /* read-only, global */
#define K_RW    0x4     /* writable, not global */
#define K_RW_G  0x8     /* writable, global */
#define K_GLOBAL   (K_RO_G | K_RW_G)
#define K_WRITABLE (K_RW | K_RW_G)

#define NR_DOMS 2       /* slot 0: H_DOM, slot 1: H_OTHER */

static struct {
    domid_t running;
    uint8_t cached[NR_DOMS][H_FRAMES];      /* K_* */
    /* The L1 slot (frame * 512 + index) a translation was last learned
     * from, [0] of any kind and [1] writable: for the messages. */
    uint32_t from[NR_DOMS][H_FRAMES][2];
    bool freed[H_FRAMES];                   /* back in the pool since */
} T;

static char why[320];

#define VIOLATION(...) do { snprintf(why, sizeof(why), __VA_ARGS__); return why; } while (0)

static unsigned int slot_of(domid_t d)
{
    return d == H_DOM ? 0 : 1;
}

static domid_t dom_of(unsigned int slot)
{
    return slot == 0 ? H_DOM : H_OTHER;
}

void tlbm_reset(void)
{
    memset(&T, 0, sizeof(T));
    T.running = H_DOM;
}

void tlbm_flush_all(void)
{
    memset(T.cached, 0, sizeof(T.cached));
}

void tlbm_flush_nonglobal(void)
{
    for (unsigned int s = 0; s < NR_DOMS; s++)
        for (mfn_t f = 0; f < H_FRAMES; f++)
            T.cached[s][f] &= K_GLOBAL;
}

domid_t tlbm_running(void)
{
    return T.running;
}

void tlbm_set_running(domid_t d)
{
    T.running = d;
}

void tlbm_freed(mfn_t mfn)
{
    if (mfn < H_FRAMES)
        T.freed[mfn] = true;
}

static const char *kind(uint8_t k)
{
    return k & K_WRITABLE ? (k & K_RW_G ? "writable, global" : "writable")
                          : (k & K_RO_G ? "read-only, global" : "read-only");
}

/* (iii) A frame freed and handed out again (to any domain, or to the
 * hypervisor) must be unreachable through what was cached before. */
static const char *check_handed_out(void)
{
    for (mfn_t f = 0; f < H_FRAMES; f++) {
        if (!T.freed[f] || H->table[f].owner == OWNER_FREE)
            continue;
        T.freed[f] = false;
        for (unsigned int s = 0; s < NR_DOMS; s++) {
            uint32_t src = T.from[s][f][0];
            if (T.cached[s][f])
                VIOLATION("(iii) frame %lu was freed and handed to owner %u%s, but dom %u "
                          "may still reach it through a cached translation (%s) "
                          "from L1 %u entry %u", f, H->table[f].owner,
                          H->table[f].owner == DOMID_XEN ? " (the hypervisor)" : "",
                          dom_of(s),
                          kind(T.cached[s][f]), src / 512, src % 512);
        }
    }
    return NULL;
}

static void learn(void)
{
    unsigned int s = slot_of(T.running);

    for (mfn_t f = 0; f < H_FRAMES; f++) {
        const struct page_info *pg = &H->table[f];
        if (pg->owner != T.running || pg->type != PGT_l1 || !pg->type_count ||
            !(pg->flags & PGF_validated))
            continue;
        for (unsigned int i = 0; i < 512; i++) {
            uint64_t e = H->mem[f][i];
            mfn_t t = pte_mfn(e);
            if (!(e & _PAGE_PRESENT) || t >= H_FRAMES)
                continue;
            uint8_t k = (e & _PAGE_RW ? K_RW : K_RO) << !!(e & _PAGE_GLOBAL);
            T.cached[s][t] |= k;
            T.from[s][t][0] = (uint32_t)(f * 512 + i);
            if (e & _PAGE_RW)
                T.from[s][t][1] = (uint32_t)(f * 512 + i);
        }
    }
}

/* (i) A page table or descriptor page in use is never writable, not even
 * through the TLB. */
static const char *check_not_writable(void)
{
    for (mfn_t f = 0; f < H_FRAMES; f++) {
        const struct page_info *pg = &H->table[f];
        if (!pg->type_count || pg->type == PGT_writable || pg->type == PGT_none)
            continue;
        for (unsigned int s = 0; s < NR_DOMS; s++) {
            uint32_t src = T.from[s][f][1];
            if (T.cached[s][f] & K_WRITABLE)
                VIOLATION("(i) frame %lu has type %u (type_count %u), but dom %u may still "
                          "write it through a cached translation (%s) from L1 %u entry %u",
                          f, pg->type, pg->type_count, dom_of(s),
                          kind(T.cached[s][f] & K_WRITABLE), src / 512, src % 512);
        }
    }
    return NULL;
}

/* (ii) The running domain's TLB holds its own translations only. */
static const char *check_own_only(void)
{
    for (unsigned int s = 0; s < NR_DOMS; s++) {
        if (dom_of(s) == T.running)
            continue;
        for (mfn_t f = 0; f < H_FRAMES; f++) {
            uint32_t src = T.from[s][f][0];
            if (T.cached[s][f])
                VIOLATION("(ii) dom %u runs, but the TLB may hold dom %u's translation of "
                          "frame %lu (%s) from L1 %u entry %u", T.running, dom_of(s), f,
                          kind(T.cached[s][f]), src / 512, src % 512);
        }
    }
    return NULL;
}

const char *tlbm_step(void)
{
    const char *bad = check_handed_out();

    if (bad)
        return bad;
    learn();
    if ((bad = check_not_writable()))
        return bad;
    return check_own_only();
}
