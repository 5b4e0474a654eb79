/* SPDX-License-Identifier: MIT */
/*
 * Hostile-peer tests for request/response rings, run under ASan+UBSan.
 * The shared area is allocated at exactly the ring's size, so any slot
 * access past nr_ents is caught.  Each case plays the misbehaving end by
 * writing the shared page directly and checks that the honest end marks
 * itself broken, stays broken, and hands out nothing further.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "test_types.h"

#define BYTES (64 + 32 * sizeof(union tblk_sring_entry))    /* 32 slots */

struct pair {
    tblk_sring_t *s;
    tblk_front_ring_t f;
    tblk_back_ring_t b;
};

static int setup(void **state)
{
    struct pair *p = calloc(1, sizeof(*p));

    p->s = malloc(BYTES);
    memset(p->s, 0x5a, BYTES);
    ring_front_init(&p->f, p->s, BYTES);
    ring_back_init(&p->b, p->s, BYTES);
    *state = p;
    return 0;
}

static int teardown(void **state)
{
    struct pair *p = *state;

    free(p->s);
    free(p);
    return 0;
}

/* Front issues n requests, ids from 100. */
static void issue(struct pair *p, unsigned int n)
{
    unsigned int i;

    for (i = 0; i < n; i++) {
        struct t_blk_req q = { .id = 100 + i };
        assert_true(ring_front_put_request(&p->f, &q));
    }
    ring_front_push(&p->f);
}

/* Once broken, the front end moves nothing, whatever the page says. */
static void assert_front_dead(struct pair *p)
{
    struct t_blk_req q = { .id = 1 };
    struct t_blk_rsp r;

    assert_true(ring_broken(&p->f));
    p->s->rsp_prod = p->f.rsp_cons + 1;     /* looks plausible again */
    assert_false(ring_front_get_response(&p->f, &r));
    assert_int_equal(ring_front_unconsumed_responses(&p->f), 0);
    assert_false(ring_front_final_check(&p->f));
    assert_false(ring_front_put_request(&p->f, &q));
    assert_int_equal(ring_front_free_requests(&p->f), 0);
    assert_false(ring_front_push(&p->f));
    assert_true(ring_broken(&p->f));
}

static void assert_back_dead(struct pair *p)
{
    struct t_blk_req q;
    struct t_blk_rsp r = { .id = 1 };

    assert_true(ring_broken(&p->b));
    p->s->req_prod = p->b.req_cons + 1;
    assert_false(ring_back_get_request(&p->b, &q));
    assert_false(ring_back_final_check(&p->b));
    assert_false(ring_back_put_response(&p->b, &r));
    assert_false(ring_back_push(&p->b));
    assert_true(ring_broken(&p->b));
}

static void test_rsp_prod_past_ring(void **state)
{
    struct pair *p = *state;
    struct t_blk_rsp r;

    issue(p, 3);
    p->s->rsp_prod = 3 + 32 + 5;
    assert_false(ring_front_get_response(&p->f, &r));
    assert_front_dead(p);
}

static void test_more_responses_than_requests(void **state)
{
    struct pair *p = *state;
    struct t_blk_rsp r;

    issue(p, 3);
    p->s->rsp_prod = 4;         /* within the ring, but only 3 were asked */
    assert_false(ring_front_get_response(&p->f, &r));
    assert_front_dead(p);
}

static void test_rsp_prod_backwards(void **state)
{
    struct pair *p = *state;
    struct t_blk_rsp r;
    unsigned int i;

    issue(p, 5);
    p->s->rsp_prod = 3;
    for (i = 0; i < 3; i++)
        assert_true(ring_front_get_response(&p->f, &r));
    p->s->rsp_prod = 1;         /* behind what we already consumed */
    assert_false(ring_front_final_check(&p->f));
    assert_front_dead(p);
}

static void test_rsp_prod_huge(void **state)
{
    struct pair *p = *state;

    issue(p, 1);
    p->s->rsp_prod = 0x80000000u;
    assert_int_equal(ring_front_unconsumed_responses(&p->f), 0);
    assert_front_dead(p);
}

static void test_req_prod_past_ring(void **state)
{
    struct pair *p = *state;
    struct t_blk_req q;

    p->s->req_prod = 33;        /* 33 requests in a 32-slot ring */
    assert_false(ring_back_get_request(&p->b, &q));
    assert_back_dead(p);
}

/*
 * The back end holds 5 unanswered requests; the front claims the ring is
 * full again on top of them (req_prod - rsp_prod_pvt = 32 + 5).
 */
static void test_requests_in_flight_beyond_ring(void **state)
{
    struct pair *p = *state;
    struct t_blk_req q;
    unsigned int i;

    p->s->req_prod = 5;
    for (i = 0; i < 5; i++)
        assert_true(ring_back_get_request(&p->b, &q));
    p->s->req_prod = 32;        /* exactly full with 5 unanswered: legal */
    assert_int_equal(ring_back_unconsumed_requests(&p->b), 27);
    p->s->req_prod = 33;        /* one beyond */
    assert_int_equal(ring_back_unconsumed_requests(&p->b), 0);
    assert_back_dead(p);
}

static void test_req_prod_backwards(void **state)
{
    struct pair *p = *state;
    struct t_blk_req q;

    p->s->req_prod = 4;
    assert_true(ring_back_get_request(&p->b, &q));
    assert_true(ring_back_get_request(&p->b, &q));
    p->s->req_prod = 1;
    assert_false(ring_back_final_check(&p->b));
    assert_back_dead(p);
}

/* Hostile values straddling the 2^32 wrap are judged by distance too. */
static void test_hostile_across_wrap(void **state)
{
    struct pair *p = *state;
    struct t_blk_req q;
    const RING_IDX start = 0xfffffffeu;

    ring_back_attach(&p->b, p->s, start, BYTES);
    p->s->req_prod = start + 32;            /* wraps to 30: legal, full */
    assert_int_equal(ring_back_unconsumed_requests(&p->b), 32);
    assert_true(ring_back_get_request(&p->b, &q));
    p->s->req_prod = start + 33 + 1;        /* 1 unanswered + 33 */
    assert_false(ring_back_get_request(&p->b, &q));
    assert_back_dead(p);
}

/*
 * The copy handed out is private: the peer rewriting the slot afterwards
 * (the double-fetch attack) does not change what the consumer holds.
 */
static void test_entry_copied_once(void **state)
{
    struct pair *p = *state;
    struct t_blk_req q;

    issue(p, 1);
    assert_true(ring_back_get_request(&p->b, &q));
    p->s->ring[0].req.id = 0xbad;
    p->s->ring[0].req.nr_segments = 200;
    assert_int_equal(q.id, 100);
    assert_int_equal(q.nr_segments, 0);
}

/*
 * A peer scribbling on OUR producer index or on the event thresholds can
 * change notification decisions only; the honest end keeps working from
 * its private indices.
 */
static void test_scribbled_own_index_and_events(void **state)
{
    struct pair *p = *state;
    struct t_blk_req q;
    struct t_blk_rsp r = { .id = 9 };
    unsigned int i;

    issue(p, 2);
    p->s->req_prod = 0xdeadbeef;    /* back end writes front's index */
    p->s->req_event = 0x12345678;
    for (i = 0; i < 3; i++) {
        struct t_blk_req n = { .id = 200 + i };
        assert_true(ring_front_put_request(&p->f, &n));
    }
    (void)ring_front_push(&p->f);   /* any answer is acceptable */
    assert_int_equal(p->s->req_prod, 5);
    assert_false(ring_broken(&p->f));
    for (i = 0; i < 5; i++) {
        assert_true(ring_back_get_request(&p->b, &q));
        assert_true(ring_back_put_response(&p->b, &r));
    }
    ring_back_push(&p->b);
    for (i = 0; i < 5; i++)
        assert_true(ring_front_get_response(&p->f, &r));
    assert_false(ring_broken(&p->f) || ring_broken(&p->b));
}

/* Exhaustive: every rsp_prod offset against every outstanding count. */
static void test_all_rsp_prod_values(void **state)
{
    struct pair *p = *state;
    unsigned int out, off;

    for (out = 0; out <= 32; out++) {
        for (off = 0; off < 70; off++) {
            ring_front_init(&p->f, p->s, BYTES);
            p->f.req_prod_pvt = out;
            p->s->rsp_prod = off;
            unsigned int n = ring_front_unconsumed_responses(&p->f);
            if (off <= out) {
                assert_int_equal(n, off);
                assert_false(ring_broken(&p->f));
            } else {
                assert_int_equal(n, 0);
                assert_true(ring_broken(&p->f));
            }
        }
    }
}

int main(void)
{
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
    const struct CMUnitTest tests[] = {
        T(test_rsp_prod_past_ring),
        T(test_more_responses_than_requests),
        T(test_rsp_prod_backwards),
        T(test_rsp_prod_huge),
        T(test_req_prod_past_ring),
        T(test_requests_in_flight_beyond_ring),
        T(test_req_prod_backwards),
        T(test_hostile_across_wrap),
        T(test_entry_copied_once),
        T(test_scribbled_own_index_and_events),
        T(test_all_rsp_prod_values),
    };
    return cmocka_run_group_tests_name("ring-io-hostile", tests, NULL, NULL);
}
