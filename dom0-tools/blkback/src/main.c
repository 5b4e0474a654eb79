/* SPDX-License-Identifier: MIT */
/*
 * blkback: serves Linux's xen-blkfront from dom0 user space, for every
 * guest and every disk, in one process (be_loop.h says why).  Started by
 * `xl create` when a guest has a disk= line and no blkback runs (the lock
 * on the pid file says whether one does), or by hand.  xenstore is reached
 * as libxenstore finds it ($XENSTORED_PATH, else /run/xenstored/socket).
 *
 * It keeps nothing that xenstore and the rings do not hold: kill it
 * (even -9) and start it again, and it takes every device up where
 * xenstore and each ring say they are.
 */
#include <stdio.h>
#include <sys/epoll.h>


#include "be_daemon.h"
#include "be_loop.h"
#include "blk_io.h"
#include "blk_vbd.h"

#define DEFAULT_PIDFILE "/run/blkback.pid"
#define IO_ENTRIES 256

/*
 * The pid file's lock says "a blkback runs".  A blkback killed with -9
 * may still have writes in the kernel's io_uring workers after it is
 * gone; one landing after a successor redid that request and the guest
 * wrote the sectors anew would undo the newer data.  So the lock's file
 * is also registered with our io_uring (blk_io_init): the ring holds the
 * lock until the kernel has finished every request of the ring, and a
 * successor that finds the lock held by a pid that no longer exists waits
 * for it (be_take_pidfile).
 */

static void io_ready(struct pollable *p, uint32_t events)
{
    (void)p;
    (void)events;
    blk_io_reap(0);
}

int main(int argc, char **argv)
{
    struct pollable io_p = { .fd = -1 };
    struct be_opts o;
    int rc = be_daemon_start(argc, argv, "blkback", DEFAULT_PIDFILE,
                             "<domid>.mem, <domid>.<port>.{up,down}", &o);

    if (rc >= 0)
        return rc;
    rc = 1;
    if (be_loop_init() || blk_io_init(IO_ENTRIES, o.pid_fd))
        goto out;
    io_p.fd = blk_io_fd();
    io_p.ready = io_ready;
    if (be_loop_add(&io_p, EPOLLIN))
        goto out;
    rc = be_daemon_serve(&o, &blk_vbd_type);
out:
    blk_io_fini();
    be_loop_fini();
    be_daemon_end(&o);
    return rc;
}
