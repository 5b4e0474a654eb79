/* SPDX-License-Identifier: MIT */
/*
 * Virtual network interfaces (vif) from xl: the xenstore nodes Xen's
 * libxl writes for a vif= entry, starting netback when none runs, and the
 * network-attach, network-detach and network-list commands.
 */
#ifndef XL_NET_H
#define XL_NET_H

#include <xenstore.h>

#include "xl.h"
#include "xl_cfg.h"

/* Before anything exists: can netback serve this vif?  0, or -1 with why. */
int xl_net_check(const struct xl_vif *v, char *why, size_t why_len);
/* The front-end and back-end trees of one vif of domain `domid`, in one
 * transaction (a MAC in Xen's 00:16:3e range made up if none was
 * given).  0, or -1 with why. */
int xl_net_add(struct xs_handle *h, domid_t domid, const struct xl_vif *v, char *why,
               size_t why_len);
/* Start netback unless one runs (its pid file is locked).  0, or -1 with why. */
int xl_net_start_backend(char *why, size_t why_len);

/* Wait (10 s at most, as libxl waits for hotplug scripts) until netback
 * says the vif's TAP is on its bridge.  0, or -1 with why. */
int xl_net_wait_hotplug(struct xs_handle *h, domid_t domid, uint32_t devid, char *why,
                        size_t why_len);

int cmd_network_attach(struct xl *x, int argc, char **argv);
int cmd_network_detach(struct xl *x, int argc, char **argv);
int cmd_network_list(struct xl *x, int argc, char **argv);

#endif
