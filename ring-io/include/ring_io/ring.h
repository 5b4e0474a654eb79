/* SPDX-License-Identifier: MIT */
/*
 * Request/response rings: operations over the Xen-layout ring types that
 * DEFINE_RING_TYPES (abi/io/ring.h) produces, so Mica's back ends and test
 * guests interoperate with Linux's blkfront/netfront.  Header-only and
 * type-generic: each operation is a macro taking a name##_front_ring or
 * name##_back_ring pointer and forwarding to a small inline core.
 * Freestanding: needs only <stddef.h>, <stdint.h>, <stdbool.h>.
 *
 * Invariants (indices are free-running uint32, compared by subtraction):
 *
 *   front: rsp_cons <= req_prod_pvt <= rsp_cons + nr_ents
 *   back:  rsp_prod_pvt <= req_cons <= rsp_prod_pvt + nr_ents
 *
 * Both hold by construction for the private indices; the only values that
 * can break them come from the peer's shared producer index.  So every
 * consumer operation loads that index once, checks it lies in the window it
 * can legally be in, and only then uses it:
 *
 *   front reading rsp_prod: rsp_cons <= rsp_prod <= req_prod_pvt
 *       (no response for a request we have not issued, never backwards
 *        past what we consumed)
 *   back reading req_prod:  req_cons <= req_prod <= rsp_prod_pvt + nr_ents
 *       (never more requests in flight than the ring holds)
 *
 * A value outside its window sets the private `broken` flag; from then on
 * every operation on that end does nothing and returns "nothing".  Slot
 * numbers are always index & (nr_ents - 1), so even a broken or misused ring
 * stays inside the nr_ents entries; entries are copied out once before the
 * caller looks at them.  What we cannot see: a peer moving its index back
 * while still ahead of our consumer index is indistinguishable from one that
 * has not produced yet, and does no harm.  Our own producer index in the
 * shared page is read only to decide whether to notify; a peer that
 * scribbles on it can only cost itself a wakeup.
 *
 * Memory ordering and the event-threshold race: see docs/ring-io.md.
 */
#ifndef RING_IO_RING_H
#define RING_IO_RING_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <abi/io/ring.h>
#include <ring_io/shared.h>

/*
 * Entries in a ring of `bytes` bytes: the largest power of two that fits
 * after the 64-byte header (Xen's __RING_SIZE), 0 when not even one fits.
 * Capped at 2^31 so index distances stay meaningful in 32 bits.
 */
static inline unsigned int ring_io_nr_ents(size_t bytes, size_t ent_size)
{
    size_t n;

    if (ent_size == 0 || bytes < RING_SRING_HEADER_BYTES + ent_size)
        return 0;
    n = (bytes - RING_SRING_HEADER_BYTES) / ent_size;
    if (n > 0x80000000u)
        n = 0x80000000u;
    return 1u << (31 - __builtin_clz((unsigned int)n));
}

/* The same as a constant expression, for static sizing and asserts. */
#define RING_IO_CONST_NR_ENTS(name, bytes)                                  \
    (1u << (31 - __builtin_clz((unsigned int)(((bytes) -                    \
        offsetof(struct name##_sring, ring)) /                              \
        sizeof(union name##_sring_entry)))))

/*
 * How many unconsumed entries the peer has produced, after validating its
 * index against [cons, limit].  Zero, and the end marked broken, if the
 * index is outside.  `order` is acquire normally; seq_cst in the re-check
 * after publishing an event threshold.
 */
static inline unsigned int ring_io_avail(const RING_IDX *peer_prod,
                                         RING_IDX cons, RING_IDX limit,
                                         unsigned int *broken, int order)
{
    RING_IDX prod;

    if (*broken)
        return 0;
    prod = order == __ATOMIC_SEQ_CST ? ring_io_load_seq_cst(peer_prod)
                                     : ring_io_load_acquire(peer_prod);
    if ((RING_IDX)(prod - cons) > (RING_IDX)(limit - cons)) {
        *broken = 1;
        return 0;
    }
    return prod - cons;
}

/*
 * Publish our producer index; true if the peer asked to be notified for an
 * index in (old, new].  The seq_cst store and load keep the peer's
 * final-check store of the event index and our load of it from passing
 * each other (see docs/ring-io.md, "the event-threshold race").
 */
static inline bool ring_io_push(RING_IDX *my_prod, const RING_IDX *peer_event,
                                RING_IDX new_prod)
{
    RING_IDX old = ring_io_load_relaxed(my_prod);
    RING_IDX event;

    ring_io_store_seq_cst(my_prod, new_prod);
    event = ring_io_load_seq_cst(peer_event);
    return (RING_IDX)(new_prod - event) < (RING_IDX)(new_prod - old);
}

/*
 * Before sleeping: ask for a notification at the next entry, then look
 * again, because the peer may have produced after our first look but
 * before it could see the new threshold.  True if there is work.
 */
static inline bool ring_io_final_check(const RING_IDX *peer_prod,
                                       RING_IDX *my_event, RING_IDX cons,
                                       RING_IDX limit, unsigned int *broken)
{
    if (ring_io_avail(peer_prod, cons, limit, broken, __ATOMIC_ACQUIRE))
        return true;
    if (*broken)
        return false;
    ring_io_store_seq_cst(my_event, cons + 1);
    return ring_io_avail(peer_prod, cons, limit, broken, __ATOMIC_SEQ_CST);
}

/* Reset the shared header (front end only, before sharing the page). */
#define ring_shared_init(s) do {                                            \
    __typeof__(s) s_ = (s);                                                 \
    unsigned int i_;                                                        \
    s_->req_prod = s_->rsp_prod = 0;                                        \
    s_->req_event = s_->rsp_event = 1;                                      \
    for (i_ = 0; i_ < sizeof(s_->pvt.pvt_pad); i_++)                        \
        s_->pvt.pvt_pad[i_] = 0;                                            \
    for (i_ = 0; i_ < sizeof(s_->__pad); i_++)                              \
        s_->__pad[i_] = 0;                                                  \
} while (0)

#define ring_size(r)   ((r)->nr_ents)
#define ring_broken(r) ((r)->broken != 0)

/*
 * Attach private state to a shared ring of `bytes` bytes (several pages
 * for multi-page rings) with both private indices at `idx`.  False, and
 * the end broken, if the area cannot hold one entry.
 */
#define ring_front_attach(r, s, idx, bytes) ({                              \
    __typeof__(r) r_ = (r);                                                 \
    r_->sring = (s);                                                        \
    r_->req_prod_pvt = r_->rsp_cons = (idx);                                \
    r_->nr_ents = ring_io_nr_ents((bytes), sizeof(r_->sring->ring[0]));     \
    r_->broken = r_->nr_ents == 0;                                          \
    !r_->broken;                                                            \
})

#define ring_back_attach(r, s, idx, bytes) ({                               \
    __typeof__(r) r_ = (r);                                                 \
    r_->sring = (s);                                                        \
    r_->rsp_prod_pvt = r_->req_cons = (idx);                                \
    r_->nr_ents = ring_io_nr_ents((bytes), sizeof(r_->sring->ring[0]));     \
    r_->broken = r_->nr_ents == 0;                                          \
    !r_->broken;                                                            \
})

/* The front end owns the page: it resets the header, the back attaches. */
#define ring_front_init(r, s, bytes) ({                                     \
    __typeof__(s) si_ = (s);                                                \
    ring_shared_init(si_);                                                  \
    ring_front_attach((r), si_, 0, (bytes));                                \
})
#define ring_back_init(r, s, bytes) ring_back_attach((r), (s), 0, (bytes))

/* ---- front end: produce requests, consume responses ---- */

#define ring_front_free_requests(r) ({                                      \
    __typeof__(r) rf_ = (r);                                                \
    rf_->broken ? 0u : rf_->nr_ents - (rf_->req_prod_pvt - rf_->rsp_cons);  \
})
#define ring_front_full(r) (ring_front_free_requests(r) == 0)

/* Copy *src into the next request slot (not yet visible: push it). */
#define ring_front_put_request(r, src) ({                                   \
    __typeof__(r) r_ = (r);                                                 \
    const __typeof__(r_->sring->ring[0].req) *s_ = (src);                   \
    bool ok_ = ring_front_free_requests(r_) != 0;                           \
    if (ok_) {                                                              \
        ring_io_copy_out(&r_->sring->ring[r_->req_prod_pvt &                \
                                          (r_->nr_ents - 1)].req,           \
                         s_, sizeof(*s_), _Alignof(__typeof__(*s_)));       \
        r_->req_prod_pvt++;                                                 \
    }                                                                       \
    ok_;                                                                    \
})

/* Make put requests visible; true if the back end must be notified. */
#define ring_front_push(r) ({                                               \
    __typeof__(r) r_ = (r);                                                 \
    !r_->broken && ring_io_push(&r_->sring->req_prod,                       \
                                &r_->sring->req_event, r_->req_prod_pvt);   \
})

#define ring_front_unconsumed_responses(r) ({                               \
    __typeof__(r) ru_ = (r);                                                \
    ring_io_avail(&ru_->sring->rsp_prod, ru_->rsp_cons, ru_->req_prod_pvt,  \
                  &ru_->broken, __ATOMIC_ACQUIRE);                          \
})

/* Copy the next response into *dst; false if none (or broken). */
#define ring_front_get_response(r, dst) ({                                  \
    __typeof__(r) r_ = (r);                                                 \
    __typeof__(r_->sring->ring[0].rsp) *d_ = (dst);                         \
    bool ok_ = ring_front_unconsumed_responses(r_) != 0;                    \
    if (ok_) {                                                              \
        ring_io_copy_in(d_, &r_->sring->ring[r_->rsp_cons &                 \
                                             (r_->nr_ents - 1)].rsp,        \
                        sizeof(*d_), _Alignof(__typeof__(*d_)));            \
        r_->rsp_cons++;                                                     \
    }                                                                       \
    ok_;                                                                    \
})

/* Xen's RING_FINAL_CHECK_FOR_RESPONSES: true means do not sleep. */
#define ring_front_final_check(r) ({                                        \
    __typeof__(r) r_ = (r);                                                 \
    ring_io_final_check(&r_->sring->rsp_prod, &r_->sring->rsp_event,        \
                        r_->rsp_cons, r_->req_prod_pvt, &r_->broken);       \
})

/* ---- back end: consume requests, produce responses ---- */

#define ring_back_unconsumed_requests(r) ({                                 \
    __typeof__(r) ru_ = (r);                                                \
    ring_io_avail(&ru_->sring->req_prod, ru_->req_cons,                     \
                  ru_->rsp_prod_pvt + ru_->nr_ents, &ru_->broken,           \
                  __ATOMIC_ACQUIRE);                                        \
})

/* Copy the next request into *dst; false if none (or broken). */
#define ring_back_get_request(r, dst) ({                                    \
    __typeof__(r) r_ = (r);                                                 \
    __typeof__(r_->sring->ring[0].req) *d_ = (dst);                         \
    bool ok_ = ring_back_unconsumed_requests(r_) != 0;                      \
    if (ok_) {                                                              \
        ring_io_copy_in(d_, &r_->sring->ring[r_->req_cons &                 \
                                             (r_->nr_ents - 1)].req,        \
                        sizeof(*d_), _Alignof(__typeof__(*d_)));            \
        r_->req_cons++;                                                     \
    }                                                                       \
    ok_;                                                                    \
})

/* Responses answer consumed requests, in slot order; false if none due. */
#define ring_back_put_response(r, src) ({                                   \
    __typeof__(r) r_ = (r);                                                 \
    const __typeof__(r_->sring->ring[0].rsp) *s_ = (src);                   \
    bool ok_ = !r_->broken && r_->rsp_prod_pvt != r_->req_cons;             \
    if (ok_) {                                                              \
        ring_io_copy_out(&r_->sring->ring[r_->rsp_prod_pvt &                \
                                          (r_->nr_ents - 1)].rsp,           \
                         s_, sizeof(*s_), _Alignof(__typeof__(*s_)));       \
        r_->rsp_prod_pvt++;                                                 \
    }                                                                       \
    ok_;                                                                    \
})

#define ring_back_push(r) ({                                                \
    __typeof__(r) r_ = (r);                                                 \
    !r_->broken && ring_io_push(&r_->sring->rsp_prod,                       \
                                &r_->sring->rsp_event, r_->rsp_prod_pvt);   \
})

/* Xen's RING_FINAL_CHECK_FOR_REQUESTS: true means do not sleep. */
#define ring_back_final_check(r) ({                                         \
    __typeof__(r) r_ = (r);                                                 \
    ring_io_final_check(&r_->sring->req_prod, &r_->sring->req_event,        \
                        r_->req_cons, r_->rsp_prod_pvt + r_->nr_ents,       \
                        &r_->broken);                                       \
})

#endif /* RING_IO_RING_H */
