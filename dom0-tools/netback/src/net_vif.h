/* SPDX-License-Identifier: MIT */
/*
 * The vif device type for the shared back-end core (be_dev.h):
 *
 *   setup       the TAP vif<fe>.<id> (or `vifname`), made or found again;
 *               the hotplug script (`script`, default
 *               /etc/xen/scripts/vif-bridge) joins it to `bridge`
 *               (default xenbr0); hotplug-status=connected; the
 *               feature keys netfront reads at InitWait
 *   connect     tx-ring-ref, rx-ring-ref, event-channel and the front
 *               end's features; both rings mapped, the port bound
 *   disconnect  unbind, unmap
 *   release     the TAP closed; destroyed (script `offline` first) only
 *               when the device is really going: the toolstack removed it
 *               or set online=0, or the guest is gone.  A netback that
 *               stops (SIGTERM) leaves it for its successor.
 */
#ifndef NET_VIF_H
#define NET_VIF_H

#include "be_dev.h"

extern const struct be_type net_vif_type;
/* The sim platform's directory (TAPs are sockets there), or NULL. */
extern const char *net_vif_sim_dir;

#endif
