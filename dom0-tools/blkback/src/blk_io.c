/* SPDX-License-Identifier: MIT */
/* The io_uring engine (see blk_io.h). */
#include <errno.h>
#include <fcntl.h>
#include <linux/falloc.h>
#include <liburing.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "be_log.h"
#include "blk_io.h"

static struct io_uring ring;
static int ring_up, efd = -1;
static unsigned queued;         /* prepared, not yet submitted */
static bool reaping;

int blk_io_init(unsigned entries, int keep_fd)
{
    int rc = io_uring_queue_init(entries, &ring, 0);

    if (rc < 0) {
        be_log("io_uring: %s", strerror(-rc));
        return -1;
    }
    ring_up = 1;
    if (keep_fd >= 0 && (rc = io_uring_register_files(&ring, &keep_fd, 1)) < 0) {
        be_log("io_uring: registering the pid file: %s", strerror(-rc));
        blk_io_fini();
        return -1;
    }
    efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    if (efd < 0 || io_uring_register_eventfd(&ring, efd)) {
        be_log("io_uring eventfd: %s", strerror(errno));
        blk_io_fini();
        return -1;
    }
    return 0;
}

void blk_io_fini(void)
{
    if (ring_up)
        io_uring_queue_exit(&ring);
    if (efd >= 0)
        close(efd);
    ring_up = 0;
    efd = -1;
}

int blk_io_fd(void)
{
    return efd;
}

/* A free submission slot, submitting what is queued if there is none. */
static struct io_uring_sqe *sqe_for(struct blk_io_req *q)
{
    struct io_uring_sqe *sqe = io_uring_get_sqe(&ring);

    if (!sqe) {
        blk_io_submit();
        sqe = io_uring_get_sqe(&ring);
    }
    if (sqe)
        io_uring_sqe_set_data(sqe, q);
    return sqe;
}

/* Submissions are batched: blk_io_submit sends what is queued with one
 * system call (a PV guest's system calls are dear: each one bounces
 * through the hypervisor). */
static int submit(void)
{
    queued++;
    return 0;
}

int blk_io_submit(void)
{
    int rc;

    if (!queued)
        return 0;
    rc = io_uring_submit(&ring);
    if (rc >= 0)
        queued = 0;
    return rc < 0 ? rc : 0;
}

int blk_io_read(struct blk_io_req *q, int fd, void *buf, unsigned len, uint64_t off)
{
    struct io_uring_sqe *sqe = sqe_for(q);

    if (!sqe)
        return -EBUSY;
    io_uring_prep_read(sqe, fd, buf, len, off);
    io_uring_sqe_set_data(sqe, q);
    return submit();
}

int blk_io_write(struct blk_io_req *q, int fd, const void *buf, unsigned len, uint64_t off)
{
    struct io_uring_sqe *sqe = sqe_for(q);

    if (!sqe)
        return -EBUSY;
    io_uring_prep_write(sqe, fd, buf, len, off);
    io_uring_sqe_set_data(sqe, q);
    return submit();
}

int blk_io_fdatasync(struct blk_io_req *q, int fd)
{
    struct io_uring_sqe *sqe = sqe_for(q);

    if (!sqe)
        return -EBUSY;
    io_uring_prep_fsync(sqe, fd, IORING_FSYNC_DATASYNC);
    io_uring_sqe_set_data(sqe, q);
    return submit();
}

int blk_io_punch(struct blk_io_req *q, int fd, uint64_t off, uint64_t len)
{
    struct io_uring_sqe *sqe = sqe_for(q);

    if (!sqe)
        return -EBUSY;
    io_uring_prep_fallocate(sqe, fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, (off_t)off,
                            (off_t)len);
    io_uring_sqe_set_data(sqe, q);
    return submit();
}

unsigned blk_io_reap(int wait)
{
    struct io_uring_cqe *cqe;
    unsigned n = 0;
    uint64_t v;

    /* A `done` that kicks a ring may come back here: the outer loop
     * already takes every completion there is. */
    if (reaping)
        return 0;
    reaping = true;
    blk_io_submit();
    if (efd >= 0 && read(efd, &v, sizeof(v)) < 0 && errno != EAGAIN)
        be_log("io_uring eventfd read: %s", strerror(errno));
    if (wait && io_uring_wait_cqe(&ring, &cqe) < 0) {
        reaping = false;
        return 0;
    }
    for (;;) {
        while (io_uring_peek_cqe(&ring, &cqe) == 0) {
            struct blk_io_req *q = io_uring_cqe_get_data(cqe);
            int res = cqe->res;

            io_uring_cqe_seen(&ring, cqe);
            n++;
            if (q)
                q->done(q, res);    /* may queue more */
        }
        if (!queued)
            break;
        blk_io_submit();        /* what the completions queued */
    }
    reaping = false;
    return n;
}
