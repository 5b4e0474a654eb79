/* SPDX-License-Identifier: MIT */
/*
 * What every split-driver device of xl shares (disks in xl_block.c,
 * networks in xl_net.c): writing a device's front-end and back-end trees
 * in one transaction with the permissions libxl gives them, starting its
 * back-end daemon unless one runs, and the detach handshake (libxl's
 * generic device remove; shared/ref/toolstack-protocols.md §3.4).
 */
#ifndef XL_DEV_H
#define XL_DEV_H

#include <stdbool.h>
#include <stdio.h>

#include <xenstore.h>

#include "xl.h"

#define XL_DEV_BACKEND_DOMID 0u

/* Writes inside one transaction; the first failure is remembered. */
struct xl_put {
    struct xs_handle *h;
    xs_transaction_t t;
    struct xs_permissions perms[2];
    bool failed;
    char failed_path[160];
};

/* dir/key = printf(fmt), with the current perms; key "" is dir itself. */
void xl_put(struct xl_put *c, const char *dir, const char *key, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
/* Who owns what follows: the guest (front end) or dom0 (back end), the
 * other side reading; or dom0 alone (/libxl). */
void xl_put_owner(struct xl_put *c, unsigned owner, unsigned reader);

/* Run write(c, arg) in a transaction until it commits (EAGAIN retried).
 * 0, or -1 with why. */
int xl_dev_commit(struct xs_handle *h, void (*write)(struct xl_put *c, const void *arg),
                  const void *arg, char *why, size_t why_len);

/* Start back-end `prog` (or $env) with --daemon --log log, unless the
 * lock on pidfile says one runs.  0, or -1 with why. */
int xl_dev_start_backend(const char *prog, const char *env, const char *pidfile,
                         const char *log, char *why, size_t why_len);

/* Ask the back end at be to close (online=0, state=5), wait up to 10 s
 * for Closed, then remove fe, be and lx.  what names the device for the
 * message if it did not close. */
void xl_dev_detach(struct xl *x, struct xs_handle *h, const char *fe, const char *be,
                   const char *lx, const char *what);

/* Xen's attach commands take the spec as the arguments from argv[from]
 * on, joined by commas.  0, or -1 having said why (cmd names the command). */
int xl_dev_join_spec(struct xl *x, int argc, char **argv, int from, char *spec, size_t len,
                     const char *cmd);

/* A *-list command: `header` (a line), then for every selected domain
 * and every numeric device/<kind>/<devid> of it, row(). */
int xl_dev_list(struct xl *x, int argc, char **argv, const char *kind, const char *header,
                void (*row)(struct xl *x, struct xs_handle *h, domid_t id, const char *fe,
                            unsigned long devid));

/* A decimal key of dir, or dflt. */
int xl_dev_read_int(struct xs_handle *h, const char *dir, const char *key, int dflt);
/* A socket connection to xenstored, or NULL having said why. */
struct xs_handle *xl_dev_xs(struct xl *x, const char *what);

#endif
