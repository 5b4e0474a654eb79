/* SPDX-License-Identifier: MIT */
/*
 * A model of the TLB for the host harness of the memory core
 * (tests/mm_model.c): which translations the guests may have cached, and
 * the rules of mm/tlb.c that cached translations must keep to.
 */
#ifndef TLB_MODEL_H
#define TLB_MODEL_H

#include <mica/mm.h>

/* An empty TLB, H_DOM running; every frame's owner as it is now. */
void tlbm_reset(void);
/* Flushes as the CPU does them: everything (arch_flush_tlb_all: CR4.PGE
 * toggled), or a plain CR3 reload, after which global entries remain. */
void tlbm_flush_all(void);
void tlbm_flush_nonglobal(void);
/* The domain whose page tables the CPU walks now (H_DOM or H_OTHER). */
domid_t tlbm_running(void);
void tlbm_set_running(domid_t d);
/* The frame went back to the pool (the harness's mm_free_frame). */
void tlbm_freed(mfn_t mfn);
/*
 * After a step: check that no frame handed out again since it was freed
 * is still reachable through a translation cached before (iii); learn
 * that every present entry of every live L1 of the running domain may now
 * be cached (the guest may touch any of its mappings); check that no
 * frame of a non-writable type may be written through the TLB (i) and
 * that the TLB holds no other domain's translations (ii).  NULL, or a
 * description of the first violation.
 */
const char *tlbm_step(void);

#endif /* TLB_MODEL_H */
