/* SPDX-License-Identifier: MIT */
/*
 * Grant tables, v1 (common/grant_table.c): each domain's table of grant
 * entries that it fills to let another domain use one of its frames, the
 * hypervisor's pins on those entries (GTF_reading / GTF_writing), and
 * hypercall 20 (grant_table_op).  The invariants are in the essay at the
 * top of grant_table.c.
 */
#ifndef MICA_GRANT_H
#define MICA_GRANT_H

#include <abi/grant_table.h>
#include <mica/domain.h>
#include <mica/types.h>

/* v1 entries per grant frame (8 bytes each). */
#define GNTTAB_ENTRIES_PER_FRAME (PAGE_SIZE / sizeof(struct grant_entry_v1))
/* Hard cap on any domain's grant frames (Xen's default max_grant_frames:
 * 64 frames, 32768 entries). */
#define GNTTAB_MAX_FRAMES 64U
/* What a domain gets when its builder does not say. */
#define GNTTAB_DEFAULT_MAX_FRAMES GNTTAB_MAX_FRAMES
/* Frames allocated at init: the toolstack seeds entries 0 and 1 (console,
 * xenstore) before the guest ever calls setup_table. */
#define GNTTAB_INITIAL_FRAMES 1U
/* copy, map and unmap operations per hypercall before it continues itself. */
#define GNTTAB_BATCH 64U

struct grant_table;

/*
 * Give d its grant table (d->grant) with max_frames (1..GNTTAB_MAX_FRAMES,
 * 0 = default) as its limit and GNTTAB_INITIAL_FRAMES frames allocated.
 * Grant frames are d's own frames (the guest maps them with ordinary PTEs)
 * and are not charged to its allowance: max_pages grows by one per frame.
 * Call after d's memory is set up (domain_mm_init) and while d is
 * registered.  0, -EINVAL (bad max_frames) or -ENOMEM.
 */
int gnttab_domain_init(struct domain *d, unsigned int max_frames);
/*
 * Release d's own grant mappings of other tables (their pins; the PTEs keep
 * their references until d's page tables are torn down), then drop
 * everything d's table holds (its frames go back to the pool once no PTE
 * maps them any more) and free it.  -EBUSY, with the table kept, while some
 * entry of it is still pinned by another domain: those must go first.
 * NULL state is fine.
 */
int gnttab_domain_destroy(struct domain *d);

/*
 * Pin entry ref of rd's table for use by ld (the grantee): check the entry
 * names ld and permits access (and write access when write), set
 * GTF_reading (and GTF_writing) in the shared entry, and take a general
 * reference on the granted frame (and a writable type reference when
 * write).  Returns GNTST_okay with *mfn set, or a GNTST_* error with
 * nothing changed.  Each successful call is undone by exactly one
 * gnttab_release() with the same (ref, write).
 */
int gnttab_acquire(struct domain *rd, grant_ref_t ref, const struct domain *ld,
                   bool write, mfn_t *mfn);
void gnttab_release(struct domain *rd, grant_ref_t ref, bool write);

/* Frames currently in d's table, and its limit. */
unsigned int gnttab_nr_frames(const struct domain *d);
unsigned int gnttab_max_frames(const struct domain *d);
/* Frame i (< gnttab_nr_frames) of d's table. */
mfn_t gnttab_frame(const struct domain *d, unsigned int i);

#endif /* MICA_GRANT_H */
