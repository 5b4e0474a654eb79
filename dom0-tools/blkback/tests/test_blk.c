/* SPDX-License-Identifier: MIT */
/*
 * blkback's request path on the host: the real decoder, ring service and
 * io_uring engine, a real image file, and a fake hypervisor whose "guest
 * memory" is an array of pages (grant ref g is page g; refs past the end
 * are refused as Xen refuses a bad grant).  The test is the front end: it
 * puts requests on a ring page as blkfront would and reads the responses.
 * Hostile requests sit next to the normal ones, and after each the disk
 * and the next good request show nothing was harmed.
 */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include <ring_io/ring.h>

#include "be_log.h"
#include "blk_io.h"
#include "blk_ring.h"

#define NPAGES   64u
#define DISK_SECTORS 2048u      /* 1 MiB */
#define GNTST_bad_gntref (-3)

static uint8_t guest[NPAGES][4096] __attribute__((aligned(4096)));
static unsigned copies, notifies;

static int fake_copy(unsigned domid, unsigned n, struct be_copy *segs)
{
    assert_int_equal(domid, 7);
    for (unsigned i = 0; i < n; i++) {
        struct be_copy *c = &segs[i];
        copies++;
        /* The back end must never ask for more than one guest page. */
        assert_true((unsigned)c->offset + c->len <= 4096);
        if (c->gref >= NPAGES) {
            c->status = GNTST_bad_gntref;
            continue;
        }
        if (c->to_guest)
            memcpy(&guest[c->gref][c->offset], c->local, c->len);
        else
            memcpy(c->local, &guest[c->gref][c->offset], c->len);
        c->status = 0;
    }
    return 0;
}

static void fake_notify(struct be_evtchn *e)
{
    (void)e;
    notifies++;
}

static const struct be_plat fake = {
    .name = "fake", .grant_copy = fake_copy, .notify = fake_notify,
};

struct fix {
    char path[64];
    int fd;
    blkif_sring_t *sring;
    blkif_front_ring_t fr;
    struct blk_ring *ring;
    struct blk_limits lim;
};

static struct fix *open_fix(bool readonly, bool init_ring)
{
    struct fix *f = calloc(1, sizeof(*f));

    assert_non_null(f);
    snprintf(f->path, sizeof(f->path), "/tmp/blkback-test-XXXXXX");
    f->fd = mkstemp(f->path);
    assert_true(f->fd >= 0);
    assert_int_equal(ftruncate(f->fd, DISK_SECTORS * 512), 0);
    assert_int_equal(posix_memalign((void **)&f->sring, 4096, 4096), 0);
    if (init_ring)
        assert_true(ring_front_init(&f->fr, f->sring, 4096));
    f->lim = (struct blk_limits){ .sectors = DISK_SECTORS, .readonly = readonly,
                                  .discard = !readonly, .max_indirect_segs = 256 };
    return f;
}

static void attach(struct fix *f)
{
    f->ring = blk_ring_open(&fake, "vbd-7-51712", 7, f->sring, 4096, f->fd, &f->lim);
    assert_non_null(f->ring);
    blk_ring_set_evtchn(f->ring, (struct be_evtchn *)f);
}

static int setup(void **state)
{
    struct fix *f = open_fix(false, true);

    attach(f);
    memset(guest, 0, sizeof(guest));
    *state = f;
    return 0;
}

static void close_fix(struct fix *f)
{
    blk_ring_close(f->ring);
    close(f->fd);
    unlink(f->path);
    free(f->sring);
    free(f);
}

static int teardown(void **state)
{
    close_fix(*state);
    return 0;
}

/* Queue one request, let the back end run until it answers, return the
 * answer.  Bounded: a back end that never answers fails the test. */
#define roundtrip(f, req) roundtrip_n((f), (req), sizeof(*(req)))
static struct blkif_response roundtrip_n(struct fix *f, const void *req, size_t len)
{
    struct blkif_request r = { 0 };
    struct blkif_response rsp;

    memcpy(&r, req, len);
    assert_true(ring_front_put_request(&f->fr, &r));
    ring_front_push(&f->fr);
    blk_ring_kick(f->ring);
    for (int i = 0; i < 1000 && !ring_front_unconsumed_responses(&f->fr); i++)
        blk_io_reap(1);
    assert_true(ring_front_get_response(&f->fr, &rsp));
    return rsp;
}

static struct blkif_request rw(uint8_t op, uint64_t id, uint64_t sector, unsigned nseg,
                               uint32_t gref0, uint8_t first, uint8_t last)
{
    struct blkif_request r = { .operation = op, .nr_segments = (uint8_t)nseg, .id = id,
                               .sector_number = sector };

    for (unsigned i = 0; i < nseg && i < BLKIF_MAX_SEGMENTS_PER_REQUEST; i++)
        r.seg[i] = (struct blkif_request_segment){ .gref = gref0 + i, .first_sect = first,
                                                   .last_sect = last };
    return r;
}

static void fill(uint32_t gref, uint8_t seed)
{
    for (unsigned i = 0; i < 4096; i++)
        guest[gref][i] = (uint8_t)(seed + i * 7);
}

static void disk_read(struct fix *f, uint64_t sector, void *buf, size_t len)
{
    assert_int_equal(pread(f->fd, buf, len, (off_t)(sector * 512)), (ssize_t)len);
}

static bool disk_zero(struct fix *f)
{
    static uint8_t buf[DISK_SECTORS * 512];

    disk_read(f, 0, buf, sizeof(buf));
    for (size_t i = 0; i < sizeof(buf); i++)
        if (buf[i])
            return false;
    return true;
}

static void expect(struct blkif_response rsp, uint64_t id, uint8_t op, int status)
{
    assert_int_equal(rsp.id, id);
    assert_int_equal(rsp.operation, op);
    assert_int_equal(rsp.status, status);
}

static void write_then_read_back(void **state)
{
    struct fix *f = *state;
    struct blkif_request w = rw(BLKIF_OP_WRITE, 1, 8, 1, 1, 0, 7), r;
    uint8_t disk[4096];

    fill(1, 3);
    expect(roundtrip(f, &w), 1, BLKIF_OP_WRITE, BLKIF_RSP_OKAY);
    disk_read(f, 8, disk, 4096);
    assert_memory_equal(disk, guest[1], 4096);
    r = rw(BLKIF_OP_READ, 2, 8, 1, 2, 0, 7);
    expect(roundtrip(f, &r), 2, BLKIF_OP_READ, BLKIF_RSP_OKAY);
    assert_memory_equal(guest[2], guest[1], 4096);
    assert_true(notifies > 0);
}

static void partial_pages_and_many_segments(void **state)
{
    struct fix *f = *state;
    /* 11 segments, sectors 2..5 of each: 44 sectors from sector 100. */
    struct blkif_request w = rw(BLKIF_OP_WRITE, 3, 100, 11, 10, 2, 5), r;
    uint8_t disk[44 * 512];

    for (unsigned g = 10; g < 21; g++)
        fill(g, (uint8_t)g);
    expect(roundtrip(f, &w), 3, BLKIF_OP_WRITE, BLKIF_RSP_OKAY);
    disk_read(f, 100, disk, sizeof(disk));
    for (unsigned i = 0; i < 11; i++)
        assert_memory_equal(disk + i * 2048, &guest[10 + i][1024], 2048);
    r = rw(BLKIF_OP_READ, 4, 100, 11, 30, 2, 5);
    expect(roundtrip(f, &r), 4, BLKIF_OP_READ, BLKIF_RSP_OKAY);
    for (unsigned i = 0; i < 11; i++) {
        assert_memory_equal(&guest[30 + i][1024], &guest[10 + i][1024], 2048);
        /* Outside first..last the guest page is untouched. */
        assert_int_equal(guest[30 + i][0], 0);
        assert_int_equal(guest[30 + i][3072], 0);
    }
}

static void flush_and_flush_with_data(void **state)
{
    struct fix *f = *state;
    /* blkfront's own flush: no segments, sector_number all ones. */
    struct blkif_request fl = rw(BLKIF_OP_FLUSH_DISKCACHE, 5, UINT64_MAX, 0, 0, 0, 0);
    struct blkif_request fw = rw(BLKIF_OP_FLUSH_DISKCACHE, 6, 16, 1, 3, 0, 7);
    uint8_t disk[4096];

    expect(roundtrip(f, &fl), 5, BLKIF_OP_FLUSH_DISKCACHE, BLKIF_RSP_OKAY);
    fill(3, 9);
    expect(roundtrip(f, &fw), 6, BLKIF_OP_FLUSH_DISKCACHE, BLKIF_RSP_OKAY);
    disk_read(f, 16, disk, 4096);
    assert_memory_equal(disk, guest[3], 4096);
}

static void discard_punches_a_hole(void **state)
{
    struct fix *f = *state;
    struct blkif_request w = rw(BLKIF_OP_WRITE, 7, 64, 2, 1, 0, 7);
    struct blkif_request_discard d = { .operation = BLKIF_OP_DISCARD, .id = 8,
                                       .sector_number = 64, .nr_sectors = 16 };
    uint8_t disk[8192], zero[8192] = { 0 };

    fill(1, 1);
    fill(2, 2);
    expect(roundtrip(f, &w), 7, BLKIF_OP_WRITE, BLKIF_RSP_OKAY);
    expect(roundtrip(f, &d), 8, BLKIF_OP_DISCARD, BLKIF_RSP_OKAY);
    disk_read(f, 64, disk, sizeof(disk));
    assert_memory_equal(disk, zero, sizeof(disk));
}

/* 40 segments listed in an indirect page (grant 5), data in 20..59. */
static struct blkif_request_indirect indirect(uint8_t op, uint64_t id, uint64_t sector,
                                              uint16_t nseg, uint32_t first_data)
{
    struct blkif_request_indirect in = { .operation = BLKIF_OP_INDIRECT, .indirect_op = op,
                                         .nr_segments = nseg, .id = id,
                                         .sector_number = sector, .indirect_grefs = { 5 } };
    struct blkif_request_segment *s = (struct blkif_request_segment *)guest[5];

    for (unsigned i = 0; i < nseg && i < 512; i++)
        s[i] = (struct blkif_request_segment){ .gref = first_data + i, .first_sect = 0,
                                               .last_sect = 7 };
    return in;
}

static void indirect_write_and_read(void **state)
{
    struct fix *f = *state;
    struct blkif_request_indirect w, r;
    static uint8_t disk[40 * 4096];

    for (unsigned g = 20; g < 60; g++)
        fill(g, (uint8_t)(g * 3));
    w = indirect(BLKIF_OP_WRITE, 9, 200, 40, 20);
    /* The answer names the inner operation, as blkfront checks. */
    expect(roundtrip(f, &w), 9, BLKIF_OP_WRITE, BLKIF_RSP_OKAY);
    disk_read(f, 200, disk, sizeof(disk));
    for (unsigned i = 0; i < 40; i++)
        assert_memory_equal(disk + i * 4096, guest[20 + i], 4096);
    memset(disk, 0, sizeof(disk));
    r = indirect(BLKIF_OP_READ, 10, 200, 10, 0);    /* into pages 0..9, over grant 5 too */
    ((struct blkif_request_segment *)guest[5])[5].gref = 61;   /* not over the list */
    expect(roundtrip(f, &r), 10, BLKIF_OP_READ, BLKIF_RSP_OKAY);
    assert_memory_equal(guest[61], guest[25], 4096);
}

/* Each hostile request gets ERROR (or EOPNOTSUPP), the disk stays as it
 * was, and the ring goes on serving. */
static void hostile_requests_are_refused(void **state)
{
    struct fix *f = *state;
    struct blkif_request bad[] = {
        rw(BLKIF_OP_READ, 100, 0, 0, 1, 0, 7),              /* no segments */
        rw(BLKIF_OP_WRITE, 101, 0, 0, 1, 0, 7),
        rw(BLKIF_OP_WRITE, 102, 0, 12, 1, 0, 7),            /* 12 > 11 */
        rw(BLKIF_OP_WRITE, 103, 0, 255, 1, 0, 7),
        rw(BLKIF_OP_WRITE, 104, 0, 1, 1, 5, 4),             /* first > last */
        rw(BLKIF_OP_WRITE, 105, 0, 1, 1, 0, 8),             /* last past the page */
        rw(BLKIF_OP_WRITE, 106, 0, 1, 1, 255, 255),
        rw(BLKIF_OP_WRITE, 107, DISK_SECTORS - 7, 1, 1, 0, 7),  /* one past the end */
        rw(BLKIF_OP_WRITE, 108, DISK_SECTORS, 1, 1, 0, 0),
        rw(BLKIF_OP_WRITE, 109, UINT64_MAX - 3, 1, 1, 0, 7),    /* wraps */
        rw(BLKIF_OP_WRITE, 110, UINT64_MAX / 512, 1, 1, 0, 7),  /* wraps in bytes */
        rw(BLKIF_OP_WRITE, 111, 0, 2, NPAGES - 1, 0, 7),    /* second grant bad */
        rw(BLKIF_OP_READ, 112, 0, 1, 1000000, 0, 7),        /* bad grant */
        rw(7, 113, 0, 1, 1, 0, 7),                          /* unknown ops */
        rw(4, 114, 0, 1, 1, 0, 7),
        rw(255, 115, 0, 1, 1, 0, 7),
        rw(BLKIF_OP_FLUSH_DISKCACHE, 116, 0, 12, 1, 0, 7),
    };

    for (unsigned g = 0; g < NPAGES; g++)
        fill(g, (uint8_t)g);
    for (unsigned i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        struct blkif_response rsp = roundtrip(f, &bad[i]);
        assert_int_equal(rsp.id, bad[i].id);
        assert_int_equal(rsp.operation, bad[i].operation);
        assert_int_equal(rsp.status, BLKIF_RSP_ERROR);
    }
    assert_true(disk_zero(f));
    /* Not offered: barriers. */
    struct blkif_request b = rw(BLKIF_OP_WRITE_BARRIER, 120, 0, 1, 1, 0, 7);
    expect(roundtrip(f, &b), 120, BLKIF_OP_WRITE_BARRIER, BLKIF_RSP_EOPNOTSUPP);
    /* Discards past the end or wrapping. */
    struct blkif_request_discard d1 = { .operation = BLKIF_OP_DISCARD, .id = 121,
                                        .sector_number = 1, .nr_sectors = DISK_SECTORS };
    struct blkif_request_discard d2 = { .operation = BLKIF_OP_DISCARD, .id = 122,
                                        .sector_number = 8, .nr_sectors = UINT64_MAX - 4 };
    expect(roundtrip(f, &d1), 121, BLKIF_OP_DISCARD, BLKIF_RSP_ERROR);
    expect(roundtrip(f, &d2), 122, BLKIF_OP_DISCARD, BLKIF_RSP_ERROR);
    /* Indirect: no segments, too many, a bad list grant, a bad op inside,
     * a bad descriptor in the list. */
    struct blkif_request_indirect in;
    in = indirect(BLKIF_OP_WRITE, 130, 0, 0, 20);
    expect(roundtrip(f, &in), 130, BLKIF_OP_WRITE, BLKIF_RSP_ERROR);
    in = indirect(BLKIF_OP_WRITE, 131, 0, 257, 20);
    expect(roundtrip(f, &in), 131, BLKIF_OP_WRITE, BLKIF_RSP_ERROR);
    in = indirect(BLKIF_OP_WRITE, 132, 0, 4, 20);
    in.indirect_grefs[0] = 5000;
    expect(roundtrip(f, &in), 132, BLKIF_OP_WRITE, BLKIF_RSP_ERROR);
    in = indirect(BLKIF_OP_FLUSH_DISKCACHE, 133, 0, 4, 20);
    expect(roundtrip(f, &in), 133, BLKIF_OP_FLUSH_DISKCACHE, BLKIF_RSP_ERROR);
    in = indirect(BLKIF_OP_INDIRECT, 134, 0, 4, 20);
    expect(roundtrip(f, &in), 134, BLKIF_OP_INDIRECT, BLKIF_RSP_ERROR);
    in = indirect(BLKIF_OP_WRITE, 135, 0, 4, 20);
    ((struct blkif_request_segment *)guest[5])[3].last_sect = 9;
    expect(roundtrip(f, &in), 135, BLKIF_OP_WRITE, BLKIF_RSP_ERROR);
    in = indirect(BLKIF_OP_WRITE, 136, DISK_SECTORS - 8, 4, 20);    /* runs off the end */
    expect(roundtrip(f, &in), 136, BLKIF_OP_WRITE, BLKIF_RSP_ERROR);
    assert_true(disk_zero(f));
    /* And the ring still serves. */
    struct blkif_request w = rw(BLKIF_OP_WRITE, 140, 0, 1, 1, 0, 7);
    expect(roundtrip(f, &w), 140, BLKIF_OP_WRITE, BLKIF_RSP_OKAY);
    assert_false(disk_zero(f));
    assert_int_equal(blk_ring_stats(f->ring)->errors, 27);
}

static void readonly_disk_refuses_writes(void **state)
{
    struct fix *f = open_fix(true, true);
    struct blkif_request w = rw(BLKIF_OP_WRITE, 1, 0, 1, 1, 0, 7);
    struct blkif_request fw = rw(BLKIF_OP_FLUSH_DISKCACHE, 2, 0, 1, 1, 0, 7);
    struct blkif_request fl = rw(BLKIF_OP_FLUSH_DISKCACHE, 3, 0, 0, 0, 0, 0);
    struct blkif_request r = rw(BLKIF_OP_READ, 4, 0, 1, 2, 0, 7);
    struct blkif_request_discard d = { .operation = BLKIF_OP_DISCARD, .id = 5,
                                       .nr_sectors = 8 };
    struct blkif_request_indirect in = indirect(BLKIF_OP_WRITE, 6, 0, 4, 20);

    (void)state;
    attach(f);
    fill(1, 1);
    expect(roundtrip(f, &w), 1, BLKIF_OP_WRITE, BLKIF_RSP_ERROR);
    expect(roundtrip(f, &fw), 2, BLKIF_OP_FLUSH_DISKCACHE, BLKIF_RSP_ERROR);
    expect(roundtrip(f, &fl), 3, BLKIF_OP_FLUSH_DISKCACHE, BLKIF_RSP_OKAY);
    expect(roundtrip(f, &r), 4, BLKIF_OP_READ, BLKIF_RSP_OKAY);
    expect(roundtrip(f, &d), 5, BLKIF_OP_DISCARD, BLKIF_RSP_EOPNOTSUPP);
    expect(roundtrip(f, &in), 6, BLKIF_OP_WRITE, BLKIF_RSP_ERROR);
    assert_true(disk_zero(f));
    close_fix(f);
}

/* A producer index further ahead than the ring holds: the ring is no
 * longer read, nothing is answered, nothing crashes. */
static void impossible_producer_stops_that_ring(void **state)
{
    struct fix *f = *state;
    struct blkif_request w = rw(BLKIF_OP_WRITE, 1, 0, 1, 1, 0, 7);

    fill(1, 1);
    assert_true(ring_front_put_request(&f->fr, &w));
    f->sring->req_prod = 1000;
    blk_ring_kick(f->ring);
    blk_ring_kick(f->ring);
    assert_int_equal(f->sring->rsp_prod, 0);
    assert_true(disk_zero(f));
}

/*
 * Restart: a predecessor answered requests 0..2 of 5 and died.  A new
 * ring attached to the same page answers 3 and 4 (done again, from
 * rsp_prod), not 0..2 a second time.
 */
static void attach_resumes_at_the_response_index(void **state)
{
    struct fix *f = open_fix(false, true);
    struct blkif_response rsp;

    (void)state;
    for (unsigned i = 0; i < 5; i++) {
        struct blkif_request w = rw(BLKIF_OP_WRITE, 50 + i, i * 8, 1, i, 0, 7);
        fill(i, (uint8_t)(i + 1));
        assert_true(ring_front_put_request(&f->fr, &w));
    }
    ring_front_push(&f->fr);
    /* The dead back end's three answers, as it left them. */
    for (unsigned i = 0; i < 3; i++)
        f->sring->ring[i].rsp = (struct blkif_response){ .id = 50 + i, .operation = 1 };
    f->sring->rsp_prod = 3;
    attach(f);
    blk_ring_kick(f->ring);
    for (int i = 0; i < 1000 && ring_front_unconsumed_responses(&f->fr) < 5; i++)
        blk_io_reap(1);
    for (unsigned i = 0; i < 5; i++) {
        assert_true(ring_front_get_response(&f->fr, &rsp));
        assert_int_equal(rsp.id, 50 + i);
        assert_int_equal(rsp.status, BLKIF_RSP_OKAY);
    }
    assert_false(ring_front_get_response(&f->fr, &rsp));
    assert_int_equal(blk_ring_stats(f->ring)->writes, 2);
    for (unsigned i = 3; i < 5; i++) {
        uint8_t disk[4096];
        disk_read(f, i * 8, disk, 4096);
        assert_memory_equal(disk, guest[i], 4096);
    }
    close_fix(f);
}

/*
 * A request refused at once (a bad grant) behind a write still in the
 * kernel: its answer waits for the write's, so rsp_prod only ever counts
 * a prefix of the requests -- what a restart resumes from.
 */
static void answers_are_published_in_request_order(void **state)
{
    struct fix *f = *state;
    struct blkif_request w = rw(BLKIF_OP_WRITE, 1, 0, 11, 1, 0, 7);
    struct blkif_request bad = rw(BLKIF_OP_READ, 2, 0, 1, 9999, 0, 7);
    /* Not of the sectors being written: concurrent requests have no
     * order on the disk, only their answers do. */
    struct blkif_request r = rw(BLKIF_OP_READ, 3, 1000, 1, 20, 0, 7);
    struct blkif_request again = rw(BLKIF_OP_READ, 4, 0, 1, 21, 0, 7);
    struct blkif_response rsp;

    fill(1, 1);
    assert_true(ring_front_put_request(&f->fr, &w));
    assert_true(ring_front_put_request(&f->fr, &bad));
    assert_true(ring_front_put_request(&f->fr, &r));
    ring_front_push(&f->fr);
    blk_ring_kick(f->ring);
    for (int i = 0; i < 1000 && ring_front_unconsumed_responses(&f->fr) < 3; i++)
        blk_io_reap(1);
    for (uint64_t id = 1; id <= 3; id++) {
        assert_true(ring_front_get_response(&f->fr, &rsp));
        assert_int_equal(rsp.id, id);
        assert_int_equal(rsp.status, id == 2 ? BLKIF_RSP_ERROR : BLKIF_RSP_OKAY);
    }
    expect(roundtrip(f, &again), 4, BLKIF_OP_READ, BLKIF_RSP_OKAY);
    assert_memory_equal(guest[21], guest[1], 4096);
}

/* Many requests in flight at once, all correct. */
static void a_full_ring_in_flight(void **state)
{
    struct fix *f = *state;
    struct blkif_response rsp;
    unsigned seen = 0;

    for (unsigned round = 0; round < 4; round++) {
        for (unsigned i = 0; i < 32; i++) {
            struct blkif_request w = rw(BLKIF_OP_WRITE, round * 32 + i, (round * 32 + i) * 8 % 2040,
                                        1, i, 0, 7);
            fill(i, (uint8_t)(i + round));
            assert_true(ring_front_put_request(&f->fr, &w));
        }
        ring_front_push(&f->fr);
        blk_ring_kick(f->ring);
        for (int i = 0; i < 10000 && ring_front_unconsumed_responses(&f->fr) < 32; i++)
            blk_io_reap(1);
        while (ring_front_get_response(&f->fr, &rsp)) {
            assert_int_equal(rsp.status, BLKIF_RSP_OKAY);
            seen++;
        }
    }
    assert_int_equal(seen, 128);
}

/*
 * A 4-page ring (128 slots) full of requests: more than the ring's 32
 * data buffers, so most wait for one; all are answered, in any order,
 * with the right bytes on the disk.
 */
static void more_requests_than_buffers(void **state)
{
    struct fix *f = calloc(1, sizeof(*f));
    struct blkif_response rsp;
    unsigned seen = 0;

    (void)state;
    assert_non_null(f);
    snprintf(f->path, sizeof(f->path), "/tmp/blkback-test-XXXXXX");
    f->fd = mkstemp(f->path);
    assert_true(f->fd >= 0);
    assert_int_equal(ftruncate(f->fd, DISK_SECTORS * 512), 0);
    assert_int_equal(posix_memalign((void **)&f->sring, 4096, 4 * 4096), 0);
    assert_true(ring_front_init(&f->fr, f->sring, 4 * 4096));
    assert_int_equal(ring_size(&f->fr), 128);
    f->lim = (struct blk_limits){ .sectors = DISK_SECTORS, .max_indirect_segs = 256 };
    f->ring = blk_ring_open(&fake, "vbd-7-51712", 7, f->sring, 4 * 4096, f->fd, &f->lim);
    assert_non_null(f->ring);
    for (unsigned g = 0; g < NPAGES; g++)
        fill(g, (uint8_t)(g * 5));
    for (unsigned i = 0; i < 128; i++) {
        /* Request i writes page i % 64 at sector 16 * i (2 pages apart). */
        struct blkif_request w = rw(BLKIF_OP_WRITE, i, 16 * i, 1, i % NPAGES, 0, 7);
        assert_true(ring_front_put_request(&f->fr, &w));
    }
    ring_front_push(&f->fr);
    blk_ring_kick(f->ring);
    for (int i = 0; i < 10000 && ring_front_unconsumed_responses(&f->fr) < 128; i++)
        blk_io_reap(1);
    while (ring_front_get_response(&f->fr, &rsp)) {
        assert_int_equal(rsp.status, BLKIF_RSP_OKAY);
        seen++;
    }
    assert_int_equal(seen, 128);
    for (unsigned i = 0; i < 128; i++) {
        uint8_t disk[4096];

        disk_read(f, 16 * i, disk, 4096);
        assert_memory_equal(disk, guest[i % NPAGES], 4096);
    }
    close_fix(f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(write_then_read_back, setup, teardown),
        cmocka_unit_test_setup_teardown(partial_pages_and_many_segments, setup, teardown),
        cmocka_unit_test_setup_teardown(flush_and_flush_with_data, setup, teardown),
        cmocka_unit_test_setup_teardown(discard_punches_a_hole, setup, teardown),
        cmocka_unit_test_setup_teardown(indirect_write_and_read, setup, teardown),
        cmocka_unit_test_setup_teardown(hostile_requests_are_refused, setup, teardown),
        cmocka_unit_test(readonly_disk_refuses_writes),
        cmocka_unit_test_setup_teardown(impossible_producer_stops_that_ring, setup, teardown),
        cmocka_unit_test(attach_resumes_at_the_response_index),
        cmocka_unit_test_setup_teardown(a_full_ring_in_flight, setup, teardown),
        cmocka_unit_test_setup_teardown(answers_are_published_in_request_order, setup,
                                        teardown),
        cmocka_unit_test(more_requests_than_buffers),
    };

    be_log_to(getenv("BLKBACK_TEST_LOG") ? stderr : NULL);
    if (blk_io_init(64, -1))
        return 1;
    return cmocka_run_group_tests_name("blkback-unit", tests, NULL, NULL);
}
