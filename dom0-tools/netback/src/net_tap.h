/* SPDX-License-Identifier: MIT */
/*
 * The dom0 side of a vif: a TAP device `vif<domid>.<devid>` (IFF_TAP,
 * IFF_NO_PI, IFF_VNET_HDR: each read or write is one virtio-net header
 * and one Ethernet frame), which the hotplug script joins to a bridge.
 *
 * The device is made persistent (TUNSETPERSIST), so it outlives netback:
 * a netback killed with -9 leaves it, with its bridge port and addresses,
 * and the next netback attaches to it again by name.  Only a device that
 * is really going away (the toolstack removed it, or the guest is gone)
 * is destroyed.
 *
 * On the sim platform the TAP is a Unix datagram socket <dir>/<name>.tap
 * that sends to <dir>/<name>.host, with the same framing, so host tests
 * play dom0's network stack.
 */
#ifndef NET_TAP_H
#define NET_TAP_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "net_req.h"

struct net_tap;

/* NULL with a log line.  sim_dir NULL: a real TAP device. */
struct net_tap *net_tap_open(const char *name, const char *sim_dir);
int net_tap_fd(const struct net_tap *t);
/* Which offloads the kernel may hand us (TUNSETOFFLOAD), as the front
 * end can take them.  0, or -1 logged. */
int net_tap_offload(struct net_tap *t, const struct net_rx_caps *caps);
/* One header + frame: its length, 0 if nothing is waiting, -1 on error. */
ssize_t net_tap_read(struct net_tap *t, void *buf, size_t len);
/* One header + frame: 0, or -1 (errno) if the kernel would not take it. */
int net_tap_write(struct net_tap *t, const void *buf, size_t len);
/* Close; with destroy, the device goes too. */
void net_tap_close(struct net_tap *t, bool destroy);

#endif
