/* SPDX-License-Identifier: MIT */
/*
 * One block ring (see blk_ring.h).  Request number i (its ring index) is
 * served by op i mod nr_ents: ring-io never lets more requests be
 * outstanding than the ring has slots, so two live requests never share
 * an op.
 *
 * Responses are published in request order.  A request that finishes
 * early keeps its answer until every request before it is answered, so
 * that at any moment rsp_prod says exactly which requests are done: those
 * before it.  That is the invariant the restart rests on (blk_ring.h);
 * answering in completion order would let a restarted blkback redo an
 * answered request and skip an unanswered one.  The price is that a slow
 * request holds back the answers of faster ones behind it.
 *
 * Data buffers are fewer: BLK_DATA_BUFS per ring, each big enough for the
 * largest request (256 segments, 1 MiB), allocated on first use.  A
 * request that moves data takes one for its whole range, contiguously
 * (grant copy may cross local pages, never guest ones), so it is one file
 * operation; when none is free it waits, in ring order, for one to come
 * back.  This bounds what a guest can make dom0 allocate to 32 MiB per
 * ring whatever its ring size, and costs Linux nothing: blkfront's
 * default ring has 32 slots.  Indirect pages are decoded as soon as they
 * are copied in, so one scratch area per ring serves every request.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <ring_io/ring.h>

#include "be_log.h"
#include "blk_io.h"
#include "blk_ring.h"

enum stage { ST_IDLE, ST_DATA, ST_SYNC, ST_PUNCH };

struct blk_op {
    struct blk_io_req io;       /* first: the engine hands it back */
    struct blk_ring *ring;
    enum stage stage;
    unsigned done_bytes;        /* of a short read or write so far */
    int buf_idx;                /* the ring's data buffer it holds, or -1 */
    uint8_t *buf;               /* that buffer */
    bool answered;              /* status set, waiting for its turn */
    int16_t status;
    struct blk_req req;
    struct be_copy cp[BLK_MAX_INDIRECT_SEGS];
    struct blk_op *next_wait;   /* the queue waiting for a buffer */
};

#define BLK_DATA_BUFS 32

struct blk_ring {
    const struct be_plat *plat;
    char name[32];
    unsigned domid;
    blkif_back_ring_t br;
    struct be_evtchn *evtchn;
    int fd;
    struct blk_limits lim;
    bool stopped;               /* broken ring or closing: read no more */
    bool closing;
    bool kicking;               /* inside blk_ring_kick */
    unsigned inflight;          /* taken from the ring, response not yet put */
    bool starting_waiters;      /* inside run_waiting */
    unsigned nops;
    struct blk_op *ops;
    struct blk_op *wait_head, *wait_tail;
    uint8_t *bufs[BLK_DATA_BUFS];
    unsigned free_bufs[BLK_DATA_BUFS], nfree_bufs;
    uint8_t *ind;               /* scratch for indirect pages */
    struct blk_ring_stats stats;
};

static const size_t BUF_BYTES = (size_t)BLK_MAX_INDIRECT_SEGS * 4096;
static const size_t IND_BYTES = (size_t)BLKIF_MAX_INDIRECT_PAGES_PER_REQUEST * 4096;

static void op_done(struct blk_io_req *q, int res);
static void run_waiting(struct blk_ring *r);

struct blk_ring *blk_ring_open(const struct be_plat *plat, const char *name, unsigned domid,
                               void *sring, size_t bytes, int fd,
                               const struct blk_limits *lim)
{
    struct blk_ring *r = calloc(1, sizeof(*r));
    blkif_sring_t *s = sring;

    if (!r)
        return NULL;
    r->plat = plat;
    snprintf(r->name, sizeof(r->name), "%s", name);
    r->domid = domid;
    r->fd = fd;
    r->lim = *lim;
    /* Resume where the responses stop (0 for a fresh ring): anything the
     * front end produced beyond is ours to do, again if need be. */
    if (!ring_back_attach(&r->br, s, ring_io_load_acquire(&s->rsp_prod), bytes)) {
        free(r);
        return NULL;
    }
    r->nops = ring_size(&r->br);
    if (!(r->ops = calloc(r->nops, sizeof(*r->ops))) ||
        posix_memalign((void **)&r->ind, 4096, IND_BYTES)) {
        free(r->ops);
        free(r);
        return NULL;
    }
    for (unsigned i = 0; i < BLK_DATA_BUFS; i++)
        r->free_bufs[r->nfree_bufs++] = i;
    for (unsigned i = 0; i < r->nops; i++) {
        r->ops[i].buf_idx = -1;
        r->ops[i].ring = r;
        r->ops[i].io.done = op_done;
    }
    return r;
}

void blk_ring_set_evtchn(struct blk_ring *r, struct be_evtchn *e)
{
    r->evtchn = e;
}

const struct blk_ring_stats *blk_ring_stats(const struct blk_ring *r)
{
    return &r->stats;
}

/* Put the answers that are due, in request order; push and notify once. */
static void publish(struct blk_ring *r)
{
    bool was_full = r->inflight == r->nops, put = false;

    while (r->inflight) {
        struct blk_op *op = &r->ops[r->br.rsp_prod_pvt & (r->nops - 1)];
        struct blkif_response rsp;

        if (!op->answered)
            break;
        rsp = (struct blkif_response){ .id = op->req.id, .operation = op->req.rsp_op,
                                       .status = op->status };
        if (!ring_back_put_response(&r->br, &rsp))
            break;              /* cannot happen: inflight > 0 */
        op->answered = false;
        r->inflight--;
        put = true;
    }
    if (put && ring_back_push(&r->br) && r->evtchn)
        r->plat->notify(r->evtchn);
    /* Every slot was in flight, so the last kick stopped without asking
     * for a notification: look for requests again now there is room. */
    if (put && was_full && !r->kicking)
        blk_ring_kick(r);
}

static void respond(struct blk_op *op, int status)
{
    struct blk_ring *r = op->ring;

    if (op->buf_idx >= 0) {
        r->free_bufs[r->nfree_bufs++] = (unsigned)op->buf_idx;
        op->buf_idx = -1;
        op->buf = NULL;
    }
    op->stage = ST_IDLE;
    if (status != BLKIF_RSP_OKAY)
        r->stats.errors++;
    if (r->closing) {
        r->inflight--;          /* the ring is being unmapped: no answer */
        return;
    }
    op->status = (int16_t)status;
    op->answered = true;
    publish(r);
    run_waiting(r);
}

/* Copy the request's segments between the guest and op->buf.  0, or
 * -1 if the call failed or any segment did (a bad grant). */
static int copy_data(struct blk_op *op, bool to_guest)
{
    struct blk_ring *r = op->ring;
    size_t off = 0;

    for (unsigned i = 0; i < op->req.nseg; i++) {
        const struct blk_seg *s = &op->req.seg[i];
        struct be_copy *c = &op->cp[i];

        c->gref = s->gref;
        c->offset = (uint16_t)(s->first * BLK_SECTOR);
        c->len = (uint16_t)((s->last - s->first + 1) * BLK_SECTOR);
        c->local = op->buf + off;
        c->to_guest = to_guest;
        c->status = 0;
        off += c->len;
    }
    if (r->plat->grant_copy(r->domid, op->req.nseg, op->cp)) {
        be_log("%s: grant copy: %s", r->name, strerror(errno));
        return -1;
    }
    for (unsigned i = 0; i < op->req.nseg; i++)
        if (op->cp[i].status != 0) {
            be_log("%s: request %llu: grant %u refused (status %d)", r->name,
                   (unsigned long long)op->req.id, op->req.seg[i].gref, op->cp[i].status);
            return -1;
        }
    return 0;
}

/* The indirect pages, copied in once, then their descriptors decoded. */
static int fetch_indirect(struct blk_op *op)
{
    struct blk_ring *r = op->ring;
    unsigned left = op->req.nseg * (unsigned)sizeof(struct blkif_request_segment);

    for (unsigned i = 0; i < op->req.n_ind_pages; i++) {
        struct be_copy *c = &op->cp[i];

        c->gref = op->req.ind_grefs[i];
        c->offset = 0;
        c->len = (uint16_t)(left > 4096 ? 4096 : left);
        c->local = r->ind + (size_t)i * 4096;
        c->to_guest = false;
        c->status = 0;
        left -= c->len;
    }
    if (r->plat->grant_copy(r->domid, op->req.n_ind_pages, op->cp))
        return BLKIF_RSP_ERROR;
    for (unsigned i = 0; i < op->req.n_ind_pages; i++)
        if (op->cp[i].status != 0) {
            be_log("%s: request %llu: indirect grant %u refused (status %d)", r->name,
                   (unsigned long long)op->req.id, op->req.ind_grefs[i], op->cp[i].status);
            return BLKIF_RSP_ERROR;
        }
    return blk_req_indirect(&op->req, r->ind, &r->lim);
}

/* Submit the rest of a read or write. */
static int submit_data(struct blk_op *op)
{
    struct blk_ring *r = op->ring;
    unsigned len = (unsigned)(op->req.nr_sectors * BLK_SECTOR);
    uint64_t off = op->req.sector * BLK_SECTOR + op->done_bytes;

    op->stage = ST_DATA;
    if (op->req.op == BLKIF_OP_READ)
        return blk_io_read(&op->io, r->fd, op->buf + op->done_bytes, len - op->done_bytes, off);
    return blk_io_write(&op->io, r->fd, op->buf + op->done_bytes, len - op->done_bytes, off);
}

/* A read or write with a buffer of the ring's: copy in (writes), submit. */
static int start_data(struct blk_op *op)
{
    struct blk_ring *r = op->ring;
    unsigned idx = r->free_bufs[--r->nfree_bufs];

    if (!r->bufs[idx] && posix_memalign((void **)&r->bufs[idx], 4096, BUF_BYTES)) {
        r->bufs[idx] = NULL;
        r->free_bufs[r->nfree_bufs++] = idx;
        return BLKIF_RSP_ERROR;
    }
    op->buf_idx = (int)idx;
    op->buf = r->bufs[idx];
    if (op->req.op != BLKIF_OP_READ && copy_data(op, false))
        return BLKIF_RSP_ERROR;
    return submit_data(op) ? BLKIF_RSP_ERROR : 1;
}

/* Start what waits for a buffer while there are buffers.  A request that
 * fails at once is answered here; its answer comes back to this function,
 * which the flag turns into a no-op so the loop below carries on. */
static void run_waiting(struct blk_ring *r)
{
    if (r->starting_waiters)
        return;
    r->starting_waiters = true;
    while (r->wait_head && r->nfree_bufs && !r->closing) {
        struct blk_op *op = r->wait_head;
        int rc;

        r->wait_head = op->next_wait;
        if (!r->wait_head)
            r->wait_tail = NULL;
        rc = start_data(op);
        if (rc <= 0)
            respond(op, rc);
    }
    r->starting_waiters = false;
}

/* Decoded and checked: move the data or start the operation. */
static int start(struct blk_op *op)
{
    struct blk_ring *r = op->ring;
    int rc;

    op->done_bytes = 0;
    switch (op->req.op) {
    case BLKIF_OP_DISCARD:
        r->stats.discards++;
        if (op->req.nr_sectors == 0)
            return BLKIF_RSP_OKAY;
        op->stage = ST_PUNCH;
        rc = blk_io_punch(&op->io, r->fd, op->req.sector * BLK_SECTOR,
                          op->req.nr_sectors * BLK_SECTOR);
        return rc ? BLKIF_RSP_ERROR : 1;
    case BLKIF_OP_FLUSH_DISKCACHE:
        r->stats.flushes++;
        if (op->req.nseg == 0) {
            op->stage = ST_SYNC;
            return blk_io_fdatasync(&op->io, r->fd) ? BLKIF_RSP_ERROR : 1;
        }
        /* write the segments, then sync */
        __attribute__((fallthrough));
    default:
        if (op->req.op != BLKIF_OP_READ)
            r->stats.writes++;
        else
            r->stats.reads++;
        if (!r->nfree_bufs || r->wait_head) {
            /* Wait, in order, for a buffer (run_waiting starts it). */
            op->next_wait = NULL;
            if (r->wait_tail)
                r->wait_tail->next_wait = op;
            else
                r->wait_head = op;
            r->wait_tail = op;
            return 1;
        }
        return start_data(op);
    }
}

/* One request from the ring: decode, check, start (or answer now). */
static void take(struct blk_ring *r, struct blk_op *op, const struct blkif_request *raw)
{
    int rc;

    r->inflight++;
    rc = blk_req_decode(raw, &r->lim, &op->req);
    if (rc == BLKIF_RSP_OKAY && op->req.indirect)
        rc = fetch_indirect(op);
    if (rc != BLKIF_RSP_OKAY) {
        if (rc == BLKIF_RSP_ERROR)
            be_log("%s: request %llu (op %u, %u segments, sector %llu): refused", r->name,
                   (unsigned long long)raw->id, raw->operation, raw->nr_segments,
                   (unsigned long long)raw->sector_number);
        respond(op, rc);
        return;
    }
    rc = start(op);
    if (rc <= 0)
        respond(op, rc);
}

static void op_done(struct blk_io_req *q, int res)
{
    struct blk_op *op = (struct blk_op *)q;
    struct blk_ring *r = op->ring;
    unsigned len = (unsigned)(op->req.nr_sectors * BLK_SECTOR);

    if (r->closing) {
        respond(op, BLKIF_RSP_ERROR);
        return;
    }
    switch (op->stage) {
    case ST_DATA:
        if (res <= 0) {
            be_log("%s: %s at sector %llu: %s", r->name,
                   op->req.op == BLKIF_OP_READ ? "read" : "write",
                   (unsigned long long)op->req.sector, res ? strerror(-res) : "end of file");
            respond(op, BLKIF_RSP_ERROR);
            return;
        }
        op->done_bytes += (unsigned)res;
        if (op->done_bytes < len) {             /* short: the rest */
            if (submit_data(op))
                respond(op, BLKIF_RSP_ERROR);
            return;
        }
        if (op->req.op == BLKIF_OP_READ) {
            r->stats.bytes_read += len;
            respond(op, copy_data(op, true) ? BLKIF_RSP_ERROR : BLKIF_RSP_OKAY);
            return;
        }
        r->stats.bytes_written += len;
        if (op->req.op == BLKIF_OP_FLUSH_DISKCACHE) {
            op->stage = ST_SYNC;
            if (blk_io_fdatasync(&op->io, r->fd))
                respond(op, BLKIF_RSP_ERROR);
            return;
        }
        respond(op, BLKIF_RSP_OKAY);
        return;
    case ST_SYNC:
        respond(op, res < 0 ? BLKIF_RSP_ERROR : BLKIF_RSP_OKAY);
        return;
    case ST_PUNCH:
        respond(op, res == -EOPNOTSUPP ? BLKIF_RSP_EOPNOTSUPP :
                    res < 0 ? BLKIF_RSP_ERROR : BLKIF_RSP_OKAY);
        return;
    default:
        be_log("%s: completion for an idle request (ignored)", r->name);
        return;
    }
}

void blk_ring_kick(void *ring)
{
    struct blk_ring *r = ring;
    struct blkif_request raw;

    r->kicking = true;
    while (!r->stopped) {
        for (;;) {
            struct blk_op *op = &r->ops[r->br.req_cons & (r->nops - 1)];

            if (r->inflight == r->nops || !ring_back_get_request(&r->br, &raw))
                break;
            take(r, op, &raw);
        }
        if (ring_broken(&r->br)) {
            be_log("%s: the front end's request index is impossible: device stopped",
                   r->name);
            r->stopped = true;
            break;
        }
        /* Every slot in flight: the answers kick again (publish). */
        if (r->inflight == r->nops || !ring_back_final_check(&r->br))
            break;
    }
    r->kicking = false;
    /* One system call for the batch; reads from the page cache are done
     * by the time it returns, so answer them now rather than after a trip
     * through the loop. */
    blk_io_reap(0);
}

void blk_ring_close(struct blk_ring *r)
{
    r->stopped = true;
    r->closing = true;
    for (unsigned i = 0; i < r->nops; i++)
        if (r->ops[i].answered) {       /* done, never published: dropped */
            r->ops[i].answered = false;
            r->inflight--;
        }
    while (r->wait_head) {      /* never started: nothing to wait for */
        struct blk_op *op = r->wait_head;
        r->wait_head = op->next_wait;
        respond(op, BLKIF_RSP_ERROR);
    }
    r->wait_tail = NULL;
    while (r->inflight)
        blk_io_reap(1);         /* other rings' completions are served too */
    for (unsigned i = 0; i < BLK_DATA_BUFS; i++)
        free(r->bufs[i]);
    free(r->ind);
    free(r->ops);
    free(r);
}
