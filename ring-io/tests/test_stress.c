/* SPDX-License-Identifier: MIT */
/*
 * Two-thread stress tests, built with ThreadSanitizer: a front-end thread
 * and a back-end thread move millions of messages through one shared ring,
 * and every message must arrive exactly once, in order, with its content
 * intact.  TSan reports any access to the ring not ordered by the index
 * protocol.  The notification test sleeps on eventfds guarded by the
 * event thresholds: a lost wakeup (the race the final re-check closes)
 * shows as a sleeper that times out, which fails the test.  Both a
 * missing re-check and a release/acquire-only (no store->load fence)
 * threshold protocol were seen to fail the doorbell test this way.
 */
#define _GNU_SOURCE
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <pthread.h>
#include <poll.h>
#include <sched.h>
#include <time.h>
#include <unistd.h>
#include <sys/eventfd.h>
#include <cmocka.h>

#include "test_types.h"
#include <ring_io/bytering.h>

/* The Makefile builds this twice: under TSan, and natively (no
 * instrumentation, so real store->load reordering can show). */
#ifndef STRESS_GROUP
#define STRESS_GROUP "ring-io-stress-tsan"
#endif

#define SPIN_MSGS   2000000u
#define NOTIFY_MSGS 300000u
#define BELL_MSGS   1000000u
#define BYTE_RECS   1000000u    /* per direction */
#define WAKE_TIMEOUT_MS 10000

/*
 * How an idle end waits: spinning (no notifications used), sleeping on an
 * eventfd, or spinning on a doorbell counter.  The doorbell is the cheap
 * stand-in for an event channel: without syscalls each end goes idle and
 * re-arms its threshold far more often, which is what exposes a missing
 * final re-check (both ends then wait forever, caught by the timeout).
 */
enum wake { WAKE_SPIN, WAKE_EVENTFD, WAKE_BELL };

struct bell {
    int fd;
    uint64_t rung;              /* WAKE_BELL: bumped by the kicker */
    uint64_t seen;              /* waiter's last observed `rung` */
    uint64_t kicks;             /* kicker's count */
};

struct run {
    tmsg_sring_t *s;
    uint64_t n;
    enum wake wake;
    unsigned int pace;          /* front's delay after a push, 0: none */
    struct bell req, rsp;       /* req: front kicks back; rsp: back kicks front */
    int fail;                   /* set by either thread, read by both */
    char why[160];
};

static void run_fail(struct run *r, const char *fmt, unsigned long long a,
                     unsigned long long b)
{
    if (!__atomic_exchange_n(&r->fail, 1, __ATOMIC_SEQ_CST))
        snprintf(r->why, sizeof(r->why), fmt, a, b);
}

static int failed(struct run *r)
{
    return __atomic_load_n(&r->fail, __ATOMIC_RELAXED);
}

static void kick(struct run *r, struct bell *b)
{
    uint64_t one = 1;

    b->kicks++;
    if (r->wake == WAKE_BELL)
        __atomic_fetch_add(&b->rung, 1, __ATOMIC_SEQ_CST);
    else if (write(b->fd, &one, sizeof(one)) != sizeof(one))
        abort();
}

static uint64_t ms_now(void)
{
    struct timespec t;

    clock_gettime(CLOCK_MONOTONIC, &t);
    return (uint64_t)t.tv_sec * 1000 + (uint64_t)t.tv_nsec / 1000000;
}

/* Wait until kicked; false on timeout, i.e. a lost notification. */
static bool wait_kick(struct run *r, struct bell *b)
{
    struct pollfd p = { .fd = b->fd, .events = POLLIN };
    uint64_t v, deadline;

    if (r->wake == WAKE_EVENTFD) {
        if (poll(&p, 1, WAKE_TIMEOUT_MS) != 1)
            return false;
        return read(b->fd, &v, sizeof(v)) == sizeof(v);
    }
    deadline = ms_now() + WAKE_TIMEOUT_MS;
    while ((v = __atomic_load_n(&b->rung, __ATOMIC_SEQ_CST)) == b->seen) {
        if (failed(r) || ms_now() > deadline)
            return false;
        sched_yield();
    }
    b->seen = v;
    return true;
}

static void idle(struct run *r, struct bell *b, bool (*more)(void *),
                 void *ring, const char *who)
{
    if (r->wake == WAKE_SPIN) {
        sched_yield();
        return;
    }
    if (!more(ring) && !failed(r) && !wait_kick(r, b))
        run_fail(r, who, 0, 0);
}

static bool front_more(void *f)
{
    return ring_front_final_check((tmsg_front_ring_t *)f);
}

static bool back_more(void *b)
{
    return ring_back_final_check((tmsg_back_ring_t *)b);
}

static void *back_thread(void *arg)
{
    struct run *r = arg;
    tmsg_back_ring_t b;
    uint64_t expect = 0;

    ring_back_init(&b, r->s, 4096);
    while (expect < r->n && !failed(r)) {
        struct t_msg_req q;
        unsigned int got = 0;

        while (ring_back_get_request(&b, &q)) {
            struct t_msg_rsp p = { .seq = q.seq, .sum = q.a + q.b };
            if (q.seq != expect)
                run_fail(r, "back: got seq %llu, expected %llu", q.seq, expect);
            if (q.check != t_msg_check(q.seq, q.a, q.b))
                run_fail(r, "back: corrupt request %llu (%llu)", q.seq, q.check);
            expect++;
            got++;
            ring_back_put_response(&b, &p);
        }
        if (got) {
            if (ring_back_push(&b) && r->wake != WAKE_SPIN)
                kick(r, &r->rsp);
        } else {
            idle(r, &r->req, back_more, &b, "back: lost wakeup");
        }
    }
    if (ring_broken(&b))
        run_fail(r, "back: ring broken by an honest peer", 0, 0);
    return NULL;
}

static void *front_thread(void *arg)
{
    struct run *r = arg;
    tmsg_front_ring_t f;
    uint64_t sent = 0, done = 0;
    unsigned int batch = 1;

    ring_front_attach(&f, r->s, 0, 4096);    /* page set up in run_pair */
    while (done < r->n && !failed(r)) {
        struct t_msg_rsp p;
        unsigned int progress = 0, i;

        /* Vary batch sizes 1..17 so pushes cross thresholds every way. */
        for (i = 0; i < batch && sent < r->n; i++) {
            struct t_msg_req q = t_msg_make(sent);
            if (!ring_front_put_request(&f, &q))
                break;
            sent++;
            progress++;
        }
        batch = batch % 17 + 1;
        if (progress && ring_front_push(&f) && r->wake != WAKE_SPIN)
            kick(r, &r->req);
        /* A producer slower than its consumer makes the consumer go idle
         * (and race with the next push) after nearly every push. */
        for (i = 0; i < (sent * 7) % (r->pace + 1); i++)
            __atomic_signal_fence(__ATOMIC_SEQ_CST);
        while (ring_front_get_response(&f, &p)) {
            struct t_msg_req e = t_msg_make(done);
            if (p.seq != done || p.sum != e.a + e.b)
                run_fail(r, "front: bad response %llu, expected %llu", p.seq, done);
            done++;
            progress++;
        }
        if (!progress)
            idle(r, &r->rsp, front_more, &f, "front: lost wakeup");
    }
    if (ring_broken(&f))
        run_fail(r, "front: ring broken by an honest peer", 0, 0);
    return NULL;
}

static void run_pair(struct run *r)
{
    pthread_t a, b;

    r->s = aligned_alloc(4096, 4096);
    assert_non_null(r->s);
    /* The front initialises the page; give it to both only after that. */
    ring_shared_init(r->s);
    assert_int_equal(pthread_create(&b, NULL, back_thread, r), 0);
    assert_int_equal(pthread_create(&a, NULL, front_thread, r), 0);
    pthread_join(a, NULL);
    pthread_join(b, NULL);
    free(r->s);
    if (r->fail)
        fail_msg("%s", r->why);
}

static void test_ring_spin_2m(void **state)
{
    struct run r = { .n = SPIN_MSGS, .wake = WAKE_SPIN };
    (void)state;

    run_pair(&r);
}

static void run_notify(enum wake wake, uint64_t n, unsigned int pace)
{
    struct run r = { .n = n, .wake = wake, .pace = pace };

    r.req.fd = eventfd(0, 0);
    r.rsp.fd = eventfd(0, 0);
    assert_true(r.req.fd >= 0 && r.rsp.fd >= 0);
    run_pair(&r);
    print_message("%s: %llu msgs, %llu req kicks, %llu rsp kicks\n",
                  wake == WAKE_BELL ? "doorbell" : "eventfd",
                  (unsigned long long)n, (unsigned long long)r.req.kicks,
                  (unsigned long long)r.rsp.kicks);
    /* Suppression works: fewer kicks than messages, but some. */
    assert_true(r.req.kicks > 0 && r.req.kicks < n);
    assert_true(r.rsp.kicks > 0 && r.rsp.kicks < n);
    close(r.req.fd);
    close(r.rsp.fd);
}

static void test_ring_notify_eventfd(void **state)
{
    (void)state;
    run_notify(WAKE_EVENTFD, NOTIFY_MSGS, 0);
}

static void test_ring_notify_doorbell(void **state)
{
    (void)state;
    run_notify(WAKE_BELL, BELL_MSGS, 200);
}

/*
 * Byte rings, both directions at once as on a console page: each thread
 * writes length-prefixed records one way and checks the other way's.
 */
struct duplex {
    uint8_t a2b[1024], b2a[2048];
    uint32_t a2b_cons, a2b_prod, b2a_cons, b2a_prod;
    int fail;
    char why[128];
};
struct side {
    struct duplex *d;
    struct bytering out, in;
    uint32_t tag;
};

static unsigned int rec_make(uint8_t *buf, uint32_t tag, uint32_t seq)
{
    unsigned int len = 5 + seq % 13, i;

    buf[0] = (uint8_t)len;
    for (i = 1; i < len; i++)
        buf[i] = (uint8_t)(seq * 31 + i * 7 + tag);
    buf[1] = (uint8_t)seq;
    buf[2] = (uint8_t)(seq >> 8);
    buf[3] = (uint8_t)(seq >> 16);
    return len;
}

static void *side_thread(void *arg)
{
    struct side *s = arg;
    uint32_t wseq = 0, rseq = 0;
    unsigned int wlen = 0, woff = 0, rlen = 0;
    uint8_t wbuf[32], rbuf[32], want[32];

    while ((wseq < BYTE_RECS || rseq < BYTE_RECS) &&
           !__atomic_load_n(&s->d->fail, __ATOMIC_RELAXED)) {
        bool moved = false;
        if (wseq < BYTE_RECS) {
            if (woff == wlen) {
                wlen = rec_make(wbuf, s->tag, wseq);
                woff = 0;
            }
            size_t n = bytering_write(&s->out, wbuf + woff, wlen - woff);
            woff += n;
            moved |= n != 0;
            if (woff == wlen)
                wseq++;
        }
        if (rseq < BYTE_RECS) {
            unsigned int need = rlen ? rbuf[0] : 1;
            size_t n = bytering_read(&s->in, rbuf + rlen, need - rlen);
            rlen += n;
            moved |= n != 0;
            if (rlen && rlen == rbuf[0]) {
                rec_make(want, s->tag ^ 1, rseq);
                if (memcmp(rbuf, want, rlen) != 0 &&
                    !__atomic_exchange_n(&s->d->fail, 1, __ATOMIC_SEQ_CST))
                    snprintf(s->d->why, sizeof(s->d->why),
                             "side %u: record %u corrupt", s->tag, rseq);
                rseq++;
                rlen = 0;
            }
        }
        if (!moved)
            sched_yield();
    }
    if (bytering_broken(&s->in) || bytering_broken(&s->out))
        __atomic_store_n(&s->d->fail, 1, __ATOMIC_SEQ_CST);
    return NULL;
}

static void test_bytering_duplex(void **state)
{
    struct duplex *d = calloc(1, sizeof(*d));
    struct side a = { .d = d, .tag = 0 }, b = { .d = d, .tag = 1 };
    pthread_t ta, tb;
    (void)state;

    bytering_init_writer(&a.out, d->a2b, 1024, &d->a2b_cons, &d->a2b_prod);
    bytering_init_reader(&a.in, d->b2a, 2048, &d->b2a_cons, &d->b2a_prod);
    bytering_init_writer(&b.out, d->b2a, 2048, &d->b2a_cons, &d->b2a_prod);
    bytering_init_reader(&b.in, d->a2b, 1024, &d->a2b_cons, &d->a2b_prod);
    pthread_create(&ta, NULL, side_thread, &a);
    pthread_create(&tb, NULL, side_thread, &b);
    pthread_join(ta, NULL);
    pthread_join(tb, NULL);
    if (d->fail)
        fail_msg("%s", d->why[0] ? d->why : "byte ring broken");
    assert_int_equal(d->a2b_prod, d->a2b_cons);
    assert_int_equal(d->b2a_prod, d->b2a_cons);
    free(d);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ring_spin_2m),
        cmocka_unit_test(test_ring_notify_eventfd),
        cmocka_unit_test(test_ring_notify_doorbell),
        cmocka_unit_test(test_bytering_duplex),
    };
    return cmocka_run_group_tests_name(STRESS_GROUP, tests, NULL, NULL);
}
