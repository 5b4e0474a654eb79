/* SPDX-License-Identifier: MIT */
/*
 * xl's use of xenstore (through Debian's libxenstore, over xenstored's
 * socket): a new domain's tree and its introduction to xenstored, its
 * removal, and single reads and writes under /local/domain/N.
 */
#ifndef XL_XS_H
#define XL_XS_H

#include <inttypes.h>
#include <stdbool.h>

#include <xenstore.h>

#include "libmica.h"

struct xl_xs_domain {
    domid_t domid;
    const char *name;
    const char *uuid;               /* "xxxxxxxx-xxxx-..." */
    uint64_t target_kib, static_max_kib;
    unsigned int vcpus, max_vcpus;
    uint64_t store_mfn, console_mfn;
    uint32_t store_port, console_port;
    domid_t console_backend;        /* consoled's domain */
    const char *kernel, *ramdisk, *cmdline;
    double start_time;              /* seconds since the epoch */
    /* Filled by xl_xs_make_domain. */
    char home[32], vm_path[64];
};

/* The tree (one transaction), then XS_INTRODUCE.  0, or -1 with why. */
int xl_xs_make_domain(struct xs_handle *h, struct xl_xs_domain *d, char *why, size_t why_len);
/* /local/domain/N, its /vm/<uuid> and /libxl/N: gone (best effort). */
void xl_xs_forget_domain(struct xs_handle *h, domid_t domid);
/* /local/domain/N/<rel>: malloc'ed value or NULL (errno). */
char *xl_xs_read(struct xs_handle *h, domid_t domid, const char *rel);
int xl_xs_write(struct xs_handle *h, domid_t domid, const char *rel, const char *value);
/* body(h, t, ctx) inside a transaction, run again from the start while
 * the commit fails with EAGAIN (another writer came between), at most
 * XL_XS_TRIES times.  body returns 0 to commit or -1 (errno set) to
 * abort.  0, or -1 with errno: the body's, or the transaction's (EAGAIN
 * when every try met another writer). */
#define XL_XS_TRIES 16
int xl_xs_transact(struct xs_handle *h, int (*body)(struct xs_handle *h, xs_transaction_t t,
                                                    void *ctx), void *ctx);
/* The same, saying why on failure: "xenstore write of PATH: ERROR" when
 * the body left the node it could not write in failed_path (a buffer in
 * ctx, "" otherwise), else "xenstore transaction: ERROR". */
int xl_xs_transact_why(struct xs_handle *h, int (*body)(struct xs_handle *h,
                                                        xs_transaction_t t, void *ctx),
                       void *ctx, const char *failed_path, char *why, size_t why_len);
/* A node holding a decimal number (memory/target and the like): 0, or -1
 * with errno (EPROTO for anything but digits). */
int xl_xs_read_u64(struct xs_handle *h, xs_transaction_t t, const char *path, uint64_t *out);

#endif /* XL_XS_H */
