/* SPDX-License-Identifier: MIT */
/*
 * The xenbus side of a back end: the devices the toolstack gives us, and
 * each one's state machine.  The same for every device type (vbd now, vif
 * later); what differs lives in a struct be_type.
 *
 * Where: the toolstack writes /local/domain/<self>/backend/<type>/<fe>/<id>
 * (ours) and /local/domain/<fe>/device/<type>/<id> (the guest's), both with
 * state = 1 (Initialising).  We watch our backend/<type> directory and,
 * once a device's `frontend` key is known, the front end's `state`.
 *
 * The machine (facts: shared/ref/toolstack-protocols.md §3):
 *
 *   ours 1          type->setup (open the disk, write feature keys)  -> 2
 *   front 3 or 4    type->connect (read ring refs, map, bind, write  -> 4
 *                   the keys the front end reads when it sees 4)
 *   front 5         type->disconnect                                -> 5
 *   front 6 or gone type->disconnect                                -> 6
 *   front 1, ours 6 and online (the guest reconnects)               -> 2
 *   our directory removed: disconnect, type->release, forgotten
 *
 * Restart: nothing here is remembered that xenstore does not hold.  A new
 * process finds devices whose state is already 2 or 4; setup runs again
 * (it rewrites the same keys), and a front end at 3 or 4 is connected
 * again from the keys it wrote.  The ring itself says where to resume
 * (see blk_ring.c for the block case).
 */
#ifndef BE_DEV_H
#define BE_DEV_H

#include <stdbool.h>
#include <stdint.h>

#include <xenstore.h>

#include "be_plat.h"

struct be_dev;

struct be_type {
    const char *name;           /* xenstore device kind: "vbd", "vif" */
    /* Each returns 0, or -1 having logged why (the device then goes to
     * Closed and waits for the toolstack). */
    int (*setup)(struct be_dev *d);
    int (*connect)(struct be_dev *d);
    void (*disconnect)(struct be_dev *d);
    void (*release)(struct be_dev *d);
};

struct be_dev {
    const struct be_type *type;
    unsigned fe_domid, devid;
    char be_path[96];           /* /local/domain/<self>/backend/<type>/<fe>/<id> */
    char fe_path[96];           /* the front end's directory, "" until known */
    char name[32];              /* "vbd-<fe>-<id>", for logs */
    bool watching_fe;
    bool set_up;                /* type->setup succeeded in this process */
    bool connected;             /* type->connect succeeded, not yet undone */
    bool seen;                  /* in the current directory listing */
    void *priv;                 /* the type's own state */
    struct be_dev *next;
};

struct be_ctx {
    struct xs_handle *xs;       /* reads and writes */
    const struct be_plat *plat;
    unsigned self;              /* our domain id (0) */
};

extern struct be_ctx be;

/* Watch backend/<type->name> and serve what appears.  0, or -1 logged. */
int be_dev_init(const struct be_type *type);
/* Every device disconnected and released (its xenstore keys stay). */
void be_dev_fini(void);

/* A key of ours or of the front end: malloc'ed value, or NULL. */
char *be_read(const struct be_dev *d, bool front, const char *key);
/* A decimal key (no sign, no junk, <= max): 0, or -1 if absent or bad. */
int be_read_uint(const struct be_dev *d, bool front, const char *key, uint64_t max, uint64_t *v);
/* Write one key of ours.  0, or -1 logged. */
int be_write(const struct be_dev *d, const char *key, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Strict decimal parsing, shared with the types. */
bool be_parse_uint(const char *s, uint64_t max, uint64_t *v);

#endif
