/* SPDX-License-Identifier: MIT */
/*
 * The I/O engine: one io_uring for the whole process (every device's
 * reads, writes, fdatasyncs and hole punches), whose completions are
 * signalled on an eventfd the loop polls.  Each submission carries a
 * struct blk_io_req; its `done` runs with the result (bytes, or -errno)
 * when the kernel finishes it.
 */
#ifndef BLK_IO_H
#define BLK_IO_H

#include <stdint.h>
#include <sys/types.h>

struct blk_io_req {
    void (*done)(struct blk_io_req *q, int res);
};

/* 0, or -1 logged.  keep_fd (if >= 0) is registered with the ring, so
 * its file -- and a lock on it -- lives until the kernel has finished
 * every request of the ring, even after this process is gone. */
int blk_io_init(unsigned entries, int keep_fd);
void blk_io_fini(void);
int blk_io_fd(void);                    /* the eventfd to poll */

/* Queue one operation; blk_io_submit (or blk_io_reap) sends the queue
 * to the kernel.  0, or -errno. */
int blk_io_read(struct blk_io_req *q, int fd, void *buf, unsigned len, uint64_t off);
int blk_io_write(struct blk_io_req *q, int fd, const void *buf, unsigned len, uint64_t off);
int blk_io_fdatasync(struct blk_io_req *q, int fd);
int blk_io_punch(struct blk_io_req *q, int fd, uint64_t off, uint64_t len);

int blk_io_submit(void);
/* Submit what is queued, then run `done` for everything finished (and
 * for what that queued and finished in turn); with wait, first sleep until
 * something is.  The number handled. */
unsigned blk_io_reap(int wait);

#endif
