/* SPDX-License-Identifier: MIT */
/* Renaming a domain: the hypervisor's name and its xenstore entries. */
#ifndef XL_RENAME_H
#define XL_RENAME_H

#include <xenstore.h>

#include "xl.h"

/* Rename domain id, through h or a xenstore connection of its own (h
 * NULL); new_handle: also give it this UUID and move its /vm
 * entry there.  Refuses a bad name or one another live domain has. */
int xl_rename_domain(struct xl *x, struct xs_handle *h, domid_t id, const char *name,
                     const uint8_t *new_handle);
/* Keep a domain aside under name-YYYYMMDDTHHMMZ with a new UUID, so that
 * a new one can take its name (rename-restart). */
int xl_preserve_domain(struct xl *x, struct xs_handle *h, domid_t id, const char *name);

#endif /* XL_RENAME_H */
