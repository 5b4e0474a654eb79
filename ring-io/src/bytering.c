/* SPDX-License-Identifier: MIT */
/*
 * Byte-stream ring operations (console, xenstore).  See ring_io/bytering.h
 * for the model.  Ordering: the peer's index is loaded with acquire, so a
 * reader sees the bytes the writer stored before publishing prod, and a
 * writer does not overwrite bytes the reader was still copying before it
 * published cons; our own index is stored with release for the mirror
 * reasons.  No notification thresholds exist on these rings: callers kick
 * the peer whenever a call moved bytes.
 */
#include <ring_io/bytering.h>
#include <ring_io/shared.h>

static bool init_end(struct bytering *r, void *buf, uint32_t size,
                     uint32_t *own_idx, const uint32_t *peer_idx, bool writer)
{
    r->buf = buf;
    r->size = size;
    r->own_idx = own_idx;
    r->peer_idx = peer_idx;
    r->writer = writer;
    r->own = ring_io_load_relaxed(own_idx);
    /*
     * A writer's peer (cons) may be anywhere in [prod - size, prod] at
     * attach time; a reader's peer (prod) anywhere in [cons, cons + size].
     */
    r->peer_seen = writer ? r->own - size : r->own;
    r->broken = size == 0 || (size & (size - 1)) != 0 || size > 0x80000000u;
    return !r->broken;
}

bool bytering_init_writer(struct bytering *r, void *buf, uint32_t size,
                          const uint32_t *cons, uint32_t *prod)
{
    return init_end(r, buf, size, prod, cons, true);
}

bool bytering_init_reader(struct bytering *r, void *buf, uint32_t size,
                          uint32_t *cons, const uint32_t *prod)
{
    return init_end(r, buf, size, cons, prod, false);
}

/*
 * Load the peer's index once and check it lies in [peer_seen, furthest]:
 * it never moves back, a reader never frees bytes not yet written, a writer
 * never claims more than the array holds.  Returns the bytes movable now.
 */
static uint32_t peer_window(struct bytering *r)
{
    uint32_t peer, furthest;

    if (r->broken)
        return 0;
    peer = ring_io_load_acquire(r->peer_idx);
    furthest = r->writer ? r->own : r->own + r->size;
    if (peer - r->peer_seen > furthest - r->peer_seen) {
        r->broken = true;
        return 0;
    }
    r->peer_seen = peer;
    return r->writer ? r->size - (r->own - peer) : peer - r->own;
}

size_t bytering_space(struct bytering *r)
{
    return r->writer ? peer_window(r) : 0;
}

size_t bytering_avail(struct bytering *r)
{
    return r->writer ? 0 : peer_window(r);
}

/*
 * Move n bytes between private memory and the ring at our index (`in` for
 * a writer, `out` for a reader), in two pieces when the run wraps past the
 * end of the array, then publish our index.
 */
static void copy_run(struct bytering *r, const uint8_t *in, uint8_t *out,
                     uint32_t n)
{
    uint32_t off = r->own & (r->size - 1);
    uint32_t first = n < r->size - off ? n : r->size - off;

    if (r->writer) {
        ring_io_copy_out(r->buf + off, in, first, 1);
        ring_io_copy_out(r->buf, in + first, n - first, 1);
    } else {
        ring_io_copy_in(out, r->buf + off, first, 1);
        ring_io_copy_in(out + first, r->buf, n - first, 1);
    }
    r->own += n;
    ring_io_store_release(r->own_idx, r->own);
}

size_t bytering_write(struct bytering *r, const void *data, size_t len)
{
    uint32_t n;

    if (!r->writer)
        return 0;
    n = peer_window(r);
    if (len < n)
        n = (uint32_t)len;
    if (n)
        copy_run(r, data, NULL, n);
    return n;
}

size_t bytering_read(struct bytering *r, void *data, size_t len)
{
    uint32_t n;

    if (r->writer)
        return 0;
    n = peer_window(r);
    if (len < n)
        n = (uint32_t)len;
    if (n)
        copy_run(r, NULL, data, n);
    return n;
}
