/* SPDX-License-Identifier: MIT */
/*
 * The node tree and its transactions.
 *
 * Invariants:
 *  - Every node's parents exist, and each parent lists it exactly once in
 *    its `children` (NUL-separated names, in creation order).
 *  - `gen` is unique per committed modification and never 0, so "absent"
 *    can be recorded as generation 0.  Changing a child list changes the
 *    parent's generation.
 *  - A transaction never touches the committed tree before commit: the
 *    first time it looks at a path it takes a private copy (or records the
 *    absence) together with the committed generation at that moment.  At
 *    commit every path it looked at must still have that generation, else
 *    EAGAIN and nothing is applied (optimistic concurrency, as Xen does).
 *  - Node ownership counts (domain_nodes) always match the committed tree.
 *  - Watches fire only for committed changes: at once outside a
 *    transaction, in operation order at a successful commit inside one.
 *
 * Every operation decodes and checks (path, permissions, quotas) before it
 * changes anything, so a refused request leaves no trace.
 */
#ifndef XSD_STORE_H
#define XSD_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "htab.h"
#include "perms.h"

struct node {
    struct hent h;          /* key: absolute path (owned) */
    uint64_t gen;
    struct xs_perm *perms;
    uint16_t nperms;
    uint32_t vlen, clen;
    uint8_t *value;
    char *children;
};

struct tevent;

struct txn {
    struct txn *next;       /* in the owning connection's list */
    uint32_t id;
    struct htab nodes;      /* struct tnode: paths looked at */
    struct tevent *events, **events_tail;
    unsigned created;       /* nodes created for the caller (quota) */
};

/* One request's view: who asks and in which transaction (NULL = none). */
struct op {
    const struct xs_who *who;
    struct txn *t;
};

void store_init(void);
void store_fini(void);
size_t store_nodes(void);

int store_read(const struct op *o, const char *path, const struct node **n);
int store_write(const struct op *o, const char *path, const void *val,
                size_t len);
int store_mkdir(const struct op *o, const char *path);
int store_rm(const struct op *o, const char *path);
/* Permissions of a node or special name (@introduceDomain...). */
int store_get_perms(const struct op *o, const char *path,
                    const struct xs_perm **p, unsigned *n);
int store_set_perms(const struct op *o, const char *path,
                    const struct xs_perm *p, unsigned n);
/* Read access to a special name's permissions (for watch events). */
void store_special_perms(const char *name, const struct xs_perm **p,
                         unsigned *n);
/* A domain is gone: delete the nodes it owns, drop it from other lists. */
void store_forget_domain(unsigned domid);

/* Verify the invariants above over the committed tree (tests, fuzzer). */
bool store_check(void);

struct txn *txn_new(uint32_t id);
int txn_commit(struct txn *t);      /* 0 or XEN_EAGAIN; t stays for free */
void txn_free(struct txn *t);

#endif
