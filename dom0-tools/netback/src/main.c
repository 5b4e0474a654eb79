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
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <xenstore.h>

#include "be_daemon.h"
#include "be_dev.h"
#include "be_log.h"
#include "be_loop.h"
#include "net_vif.h"

#define DEFAULT_PIDFILE "/run/netback.pid"

static void usage(FILE *f)
{
    fprintf(f,
"usage: netback [options]\n"
"  -d, --daemon          detach (fork, new session, stdio to /dev/null)\n"
"  -p, --pidfile FILE    lock FILE and write our pid to it; if another\n"
"                        netback holds it, exit 0 (" DEFAULT_PIDFILE ")\n"
"  -l, --log FILE        log to FILE instead of stderr\n"
"  -r, --ring-dir DIR    simulated guests in DIR instead of the hypervisor\n"
"                        (tests: <domid>.mem, <domid>.<port>.{up,down},\n"
"                        TAPs as sockets <vif>.tap -> <vif>.host)\n");
}

int main(int argc, char **argv)
{
    static const struct option longopts[] = {
        { "daemon", no_argument, NULL, 'd' },
        { "pidfile", required_argument, NULL, 'p' },
        { "log", required_argument, NULL, 'l' },
        { "ring-dir", required_argument, NULL, 'r' },
        { "help", no_argument, NULL, 'h' },
        { 0 },
    };
    const char *pidfile = DEFAULT_PIDFILE, *logpath = NULL, *ring_dir = NULL;
    bool daemon = false;
    FILE *logf = NULL;
    int opt, rc = 1, got;

    while ((opt = getopt_long(argc, argv, "dp:l:r:h", longopts, NULL)) != -1) {
        switch (opt) {
        case 'd': daemon = true; break;
        case 'p': pidfile = optarg; break;
        case 'l': logpath = optarg; break;
        case 'r': ring_dir = optarg; break;
        case 'h': usage(stdout); return 0;
        default: usage(stderr); return 2;
        }
    }
    if (optind != argc) {
        usage(stderr);
        return 2;
    }
    if (logpath && !(logf = fopen(logpath, "a"))) {
        fprintf(stderr, "netback: %s: %s\n", logpath, strerror(errno));
        return 2;
    }
    be_log_to(logf ? logf : stderr);
    if (daemon)
        be_daemonize(logf ? fileno(logf) : -1, "netback");
    if ((got = be_take_pidfile(pidfile, "netback")) < 0) {
        if (got == -2) {
            be_log("another netback holds %s: exiting", pidfile);
            return 0;
        }
        be_log("pid file %s: %s", pidfile, strerror(errno));
        return 1;
    }
    net_vif_sim_dir = ring_dir;
    if (be_loop_init())
        goto out;
    if (!(be.plat = ring_dir ? be_plat_sim(ring_dir) : be_plat_xen()))
        goto out;
    if (!(be.xs = xs_open(0))) {
        be_log("cannot reach xenstored: %s", strerror(errno));
        goto out;
    }
    if (!be_dev_init(&net_vif_type)) {
        be_log("netback %d serving vif devices (%s)", (int)getpid(), be.plat->name);
        be_loop_run();
        rc = 0;
    }
    be_dev_fini();
out:
    if (be.xs)
        xs_close(be.xs);
    if (be.plat)
        be.plat->fini();
    be_loop_fini();
    unlink(pidfile);
    if (logf)
        fclose(logf);
    return rc;
}
