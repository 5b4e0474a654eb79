/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer target: a hostile peer against an honest request/response ring
 * end.  The input chooses the ring geometry, which end is honest (front or
 * back), and a script of steps: the hostile side writes arbitrary producer
 * indices, event thresholds, our own index and slot contents straight into
 * the shared area; the honest side puts, pushes, gets and final-checks.
 * The area holds room for k entries plus slack, of which the ring uses the
 * largest power of two; everything past those nr_ents slots is poisoned
 * for ASan, so any access outside the ring proper is caught.  After every
 * step the honest end's invariants must hold.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sanitizer/asan_interface.h>

#include "../tests/test_types.h"

struct tiny_req { uint8_t b[3]; };      /* odd size: byte copy path */
struct tiny_rsp { uint8_t b[2]; };
DEFINE_RING_TYPES(tiny, struct tiny_req, struct tiny_rsp);

struct script {
    const uint8_t *p;
    size_t left;
};

static uint32_t take(struct script *s, unsigned int bytes)
{
    uint32_t v = 0;

    while (bytes-- && s->left) {
        v = v << 8 | *s->p++;
        s->left--;
    }
    return v;
}

#define CHECK(c) do { if (!(c)) __builtin_trap(); } while (0)

/*
 * Per ring type: the honest end's state, its steps, the hostile steps and
 * the invariant check.  `put`/`got` count what the honest end did, so it
 * can be shown never to consume more than could legitimately exist.
 */
#define DEFINE_DRIVER(name)                                                 \
struct name##_run {                                                         \
    name##_sring_t *sr;                                                     \
    name##_front_ring_t f;                                                  \
    name##_back_ring_t b;                                                   \
    uint64_t put, got;                                                      \
    bool front, was_broken;                                                 \
};                                                                          \
                                                                            \
static void name##_hostile(struct name##_run *r, struct script *s, int op)  \
{                                                                           \
    RING_IDX *peer = r->front ? &r->sr->rsp_prod : &r->sr->req_prod;        \
    RING_IDX *own = r->front ? &r->sr->req_prod : &r->sr->rsp_prod;         \
    RING_IDX cons = r->front ? r->f.rsp_cons : r->b.req_cons;               \
    unsigned int slot, n, i;                                                \
    uint8_t *e;                                                             \
                                                                            \
    switch (op) {                                                           \
    case 0: *peer = take(s, 4); break;                                      \
    case 1: *peer = cons + (int8_t)take(s, 1); break;                       \
    case 2:                                                                 \
        slot = take(s, 2) % ring_size(&r->f);                               \
        n = take(s, 1) % (sizeof(r->sr->ring[0]) + 1);                      \
        e = (uint8_t *)&r->sr->ring[slot];                                  \
        for (i = 0; i < n; i++)                                             \
            e[i] = (uint8_t)take(s, 1);                                     \
        break;                                                              \
    default:                                                                \
        *own = take(s, 4);                                                  \
        r->sr->req_event = take(s, 4);                                      \
        r->sr->rsp_event = take(s, 4);                                      \
        break;                                                              \
    }                                                                       \
}                                                                           \
                                                                            \
static void name##_honest(struct name##_run *r, int op)                     \
{                                                                           \
    __typeof__(r->sr->ring[0].req) q;                                       \
    __typeof__(r->sr->ring[0].rsp) p;                                       \
                                                                            \
    memset(&q, 0, sizeof(q));                                               \
    memset(&p, 0, sizeof(p));                                               \
    switch (op) {                                                           \
    case 0:                                                                 \
        r->got += r->front ? ring_front_get_response(&r->f, &p)             \
                           : ring_back_get_request(&r->b, &q);              \
        break;                                                              \
    case 1:                                                                 \
        r->put += r->front ? ring_front_put_request(&r->f, &q)              \
                           : ring_back_put_response(&r->b, &p);             \
        break;                                                              \
    case 2:                                                                 \
        (void)(r->front ? ring_front_push(&r->f) : ring_back_push(&r->b));  \
        break;                                                              \
    case 3:                                                                 \
        (void)(r->front ? ring_front_final_check(&r->f)                     \
                        : ring_back_final_check(&r->b));                    \
        break;                                                              \
    default:                                                                \
        CHECK((r->front ? ring_front_unconsumed_responses(&r->f)            \
                        : ring_back_unconsumed_requests(&r->b))             \
              <= ring_size(&r->f));                                         \
        break;                                                              \
    }                                                                       \
}                                                                           \
                                                                            \
static void name##_check(struct name##_run *r)                              \
{                                                                           \
    bool broken = r->front ? ring_broken(&r->f) : ring_broken(&r->b);       \
                                                                            \
    if (r->front) {                                                         \
        CHECK(r->f.req_prod_pvt - r->f.rsp_cons <= r->f.nr_ents);           \
        CHECK(r->got <= r->put);        /* no unasked-for responses */      \
        CHECK(r->f.req_prod_pvt == r->put && r->f.rsp_cons == r->got);      \
    } else {                                                                \
        CHECK(r->b.req_cons - r->b.rsp_prod_pvt <= r->b.nr_ents);           \
        CHECK(r->put <= r->got);        /* answers only what it read */     \
        CHECK(r->b.req_cons == r->got && r->b.rsp_prod_pvt == r->put);      \
    }                                                                       \
    CHECK(!r->was_broken || broken);    /* sticky */                        \
    r->was_broken = broken;                                                 \
}                                                                           \
                                                                            \
static void drive_##name(struct script *s, unsigned int k, bool front)      \
{                                                                           \
    size_t ent = sizeof(union name##_sring_entry);                          \
    size_t bytes = 64 + k * ent + k % 7, used;                              \
    struct name##_run r = { .front = front };                               \
                                                                            \
    r.sr = calloc(1, bytes);                                                \
    ring_front_init(&r.f, r.sr, bytes);                                     \
    ring_back_init(&r.b, r.sr, bytes);                                      \
    /* Largest power of two that fits: the next one up would not. */       \
    used = 64 + ring_size(&r.f) * ent;                                      \
    CHECK(used <= bytes && used + ring_size(&r.f) * ent > bytes);           \
    ASAN_POISON_MEMORY_REGION((char *)r.sr + used, bytes - used);           \
    while (s->left) {                                                       \
        uint8_t op = (uint8_t)take(s, 1);                                   \
        if (op & 0x80)                                                      \
            name##_hostile(&r, s, op % 4);                                  \
        else                                                                \
            name##_honest(&r, op % 5);                                      \
        name##_check(&r);                                                   \
    }                                                                       \
    ASAN_UNPOISON_MEMORY_REGION((char *)r.sr + used, bytes - used);         \
    free(r.sr);                                                             \
}

DEFINE_DRIVER(tblk)
DEFINE_DRIVER(tiny)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct script s = { data, size };
    uint8_t cfg = (uint8_t)take(&s, 1);
    unsigned int k = 1 + (cfg >> 2) % 40;      /* room for k entries */

    if (cfg & 1)
        drive_tiny(&s, k, cfg & 2);
    else
        drive_tblk(&s, k, cfg & 2);
    return 0;
}
