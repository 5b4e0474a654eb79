/* SPDX-License-Identifier: MIT */
/*
 * Virtual block devices (vbd) from xl: the xenstore nodes Xen's libxl
 * writes for a disk= entry, starting blkback when none runs, and the
 * block-attach, block-detach and block-list commands.
 */
#ifndef XL_BLOCK_H
#define XL_BLOCK_H

#include <xenstore.h>

#include "xl.h"
#include "xl_cfg.h"

/* Before anything exists: is every disk one blkback can serve (raw, a
 * file or block device that can be opened as its access says)?  0, or
 * -1 with why. */
int xl_block_check(const struct xl_disk *d, char *why, size_t why_len);
/* The front-end and back-end trees of one disk of domain `domid`, in one
 * transaction.  0, or -1 with why. */
int xl_block_add(struct xs_handle *h, domid_t domid, const struct xl_disk *d, char *why,
                 size_t why_len);
/* Start blkback unless one runs (its pid file is locked).  0, or -1 with why. */
int xl_block_start_backend(char *why, size_t why_len);

int cmd_block_attach(struct xl *x, int argc, char **argv);
int cmd_block_detach(struct xl *x, int argc, char **argv);
int cmd_block_list(struct xl *x, int argc, char **argv);

#endif
