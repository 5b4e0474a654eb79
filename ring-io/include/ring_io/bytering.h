/* SPDX-License-Identifier: MIT */
/*
 * Byte-stream rings: the console (struct xencons_interface: in/out) and
 * xenstore (struct xenstore_domain_interface: req/rsp) transports.  Each
 * direction is a power-of-two byte array with a consumer and a producer
 * index, free-running uint32 in shared memory; the wire structs themselves
 * come from the ABI headers (abi/io/console.h, abi/io/xs_wire.h), and an
 * end is set up by pointing a struct bytering at one direction of them:
 *
 *     bytering_init_writer(&out, intf->out, sizeof(intf->out),
 *                          &intf->out_cons, &intf->out_prod);
 *
 * One struct bytering is one end of one direction: a writer owns `prod`, a
 * reader owns `cons`.  Our own index is kept privately (read from the
 * page once, at init) and only stored to the page, never trusted back.
 * The peer's index is loaded once per call and must lie between the last
 * value we accepted and the furthest it can legally be; otherwise the end
 * is marked broken (xenstore calls this XENSTORE_ERROR_RINGIDX) and every
 * later call moves nothing.  Freestanding: no libc.
 */
#ifndef RING_IO_BYTERING_H
#define RING_IO_BYTERING_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct bytering {
    uint8_t *buf;          /* shared data array of `size` bytes */
    uint32_t size;         /* power of two, at most 2^31 */
    uint32_t *own_idx;     /* shared: the index we advance */
    const uint32_t *peer_idx;  /* shared: the index the peer advances */
    uint32_t own;          /* private copy of *own_idx */
    uint32_t peer_seen;    /* last peer index we accepted */
    bool writer;
    bool broken;           /* private: peer misbehaved */
};

/*
 * Attach to one direction at its current indices.  `size` must be a power
 * of two; false (and the end broken) otherwise.
 */
bool bytering_init_writer(struct bytering *r, void *buf, uint32_t size,
                          const uint32_t *cons, uint32_t *prod);
bool bytering_init_reader(struct bytering *r, void *buf, uint32_t size,
                          uint32_t *cons, const uint32_t *prod);

/* Copy up to len bytes in; returns how many fit (0 if full or broken). */
size_t bytering_write(struct bytering *r, const void *data, size_t len);

/* Copy up to len bytes out; returns how many there were. */
size_t bytering_read(struct bytering *r, void *data, size_t len);

/* Bytes a write could take now / a read could return now. */
size_t bytering_space(struct bytering *r);
size_t bytering_avail(struct bytering *r);

static inline bool bytering_broken(const struct bytering *r)
{
    return r->broken;
}

#endif /* RING_IO_BYTERING_H */
