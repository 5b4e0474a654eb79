/* SPDX-License-Identifier: MIT */
/*
 * netback: serves Linux's xen-netfront from dom0 user space, for every
 * guest and every vif, in one process (be_loop.h says why), each vif
 * joined to a TAP device on a bridge.  Started by `xl create` when a
 * guest has a vif= line and no netback runs (the lock on the pid file
 * says whether one does), or by hand.  xenstore is reached as
 * libxenstore finds it ($XENSTORED_PATH, else /run/xenstored/socket).
 *
 * It keeps nothing that xenstore, the rings and the (persistent) TAP
 * devices do not hold: kill it (even -9) and start it again, and it takes
 * every vif up where xenstore and each ring say it is (net_ring.h).
 */
#include <stdio.h>


#include "be_daemon.h"
#include "be_loop.h"
#include "net_vif.h"

#define DEFAULT_PIDFILE "/run/netback.pid"

int main(int argc, char **argv)
{
    struct be_opts o;
    int rc = be_daemon_start(argc, argv, "netback", DEFAULT_PIDFILE,
                             "<domid>.mem, <domid>.<port>.{up,down}, TAPs as sockets "
                             "<vif>.tap -> <vif>.host", &o);

    if (rc >= 0)
        return rc;
    rc = 1;
    net_vif_sim_dir = o.ring_dir;
    if (be_loop_init())
        goto out;
    rc = be_daemon_serve(&o, &net_vif_type);
out:
    be_loop_fini();
    be_daemon_end(&o);
    return rc;
}
