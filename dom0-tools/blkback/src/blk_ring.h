/* SPDX-License-Identifier: MIT */
/*
 * One connected block ring: requests from the front end's ring, data
 * moved by grant copy, I/O through blk_io on the disk's fd, responses
 * back.  Per request:
 *
 *   decode (blk_req.c) -> [indirect pages copied in, decoded]
 *     READ    read the range into a private buffer, grant-copy it out
 *     WRITE   grant-copy in, write the range
 *     FLUSH   (segments: write them first) fdatasync
 *     DISCARD punch a hole (FALLOC_FL_PUNCH_HOLE | KEEP_SIZE)
 *   -> one response (the inner operation for an indirect request), push,
 *      notify when the front end asked to be.
 *
 * A bad request is answered BLKIF_RSP_ERROR (EOPNOTSUPP for operations we
 * do not offer) and serving goes on; a ring whose producer index is
 * impossible (ring-io marks it broken) is no longer read: that device
 * stops, the others go on.
 *
 * Responses are published in request order, so rsp_prod always says
 * which requests are answered: exactly those before it.  Restart: the
 * ring is attached at the shared rsp_prod.  Requests between rsp_prod
 * and req_prod are those a killed predecessor took but never answered;
 * they are done again.  Block requests are idempotent (a read
 * reads, a write writes the same bytes again), and the front end holds
 * each one until its response, so nothing is lost or answered twice.
 */
#ifndef BLK_RING_H
#define BLK_RING_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "be_plat.h"
#include "blk_req.h"

struct blk_ring;

struct blk_ring_stats {
    uint64_t reads, writes, flushes, discards, errors, bytes_read, bytes_written;
};

/*
 * Serve the ring at `sring` (bytes long, already mapped) of domain domid
 * on disk fd with limits lim.  Nothing is read until blk_ring_kick.
 * NULL on allocation failure or a ring too small for one entry.
 */
struct blk_ring *blk_ring_open(const struct be_plat *plat, const char *name, unsigned domid,
                               void *sring, size_t bytes, int fd,
                               const struct blk_limits *lim);
/* Where to notify the front end (set once the channel is bound). */
void blk_ring_set_evtchn(struct blk_ring *r, struct be_evtchn *e);
/* Take new requests (the event channel fired, or just attached). */
void blk_ring_kick(void *ring);
/* Stop taking requests, wait for those in flight (their responses are
 * dropped: the ring is going away), free.  The caller unmaps the ring. */
void blk_ring_close(struct blk_ring *r);
const struct blk_ring_stats *blk_ring_stats(const struct blk_ring *r);

#endif
