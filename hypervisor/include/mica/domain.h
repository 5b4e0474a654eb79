/* SPDX-License-Identifier: MIT */
/*
 * A domain: for now, what the memory core needs to know about one.  vCPUs,
 * event channels, grants and the scheduler join with their milestones.
 */
#ifndef MICA_DOMAIN_H
#define MICA_DOMAIN_H

#include <abi/xen.h>
#include <mica/types.h>

struct domain {
    domid_t domain_id;
    bool is_privileged;         /* may map I/O frames and set cache bits */

    /* Memory (mm/page.c): every frame the domain owns is on this list. */
    mfn_t page_head, page_tail; /* INVALID_MFN when empty */
    uint64_t tot_pages;         /* frames owned, allocated or not */
    uint64_t max_pages;         /* tot_pages never exceeds this */

    /* Page tables waiting to drop their entries' references (mm/pt.c). */
    mfn_t deval_head;
};

/* The registry of live domains (common/domain.c). */
#define MAX_DOMAINS 64
int domain_register(struct domain *d);
void domain_unregister(struct domain *d);
struct domain *domain_by_id(domid_t id);

#endif /* MICA_DOMAIN_H */
