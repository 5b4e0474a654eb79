/* SPDX-License-Identifier: MIT */
/*
 * libmica's inside, shared by its files (libmica.c: transport and the
 * read-only calls; buildops.c: the builder's calls; sysmem.c: the system's
 * foreign-memory library, sysmem.h).  Not for tools: they use libmica.h.
 */
#ifndef LIBMICA_PRIV_H
#define LIBMICA_PRIV_H

#include "libmica.h"
#include "sysmem.h"

struct mica {
    struct mica_transport t;
    void *xc;                   /* xencall_handle; NULL with a caller's transport */
    void *fmem;                 /* xenforeignmemory_handle, opened on first use */
};

/* Hypercall memory of `size` bytes, zeroed; NULL with errno set.  Freed
 * with m->t.free. */
void *mica_hbuf(struct mica *m, size_t size);
/* Run *op (cmd, domain and payload set by the caller) and copy the result
 * back into it: 0, or -1 with errno. */
int mica_ctl(struct mica *m, struct mica_ctl_op *op);

#endif /* LIBMICA_PRIV_H */
