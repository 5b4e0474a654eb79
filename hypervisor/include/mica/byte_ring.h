/* SPDX-License-Identifier: MIT */
/*
 * A ring of bytes with free-running indices (serial input, the privileged
 * domain's console input): put drops the newest byte when full; a reader
 * looks first (peek) and takes what it delivered (consume).
 */
#ifndef MICA_BYTE_RING_H
#define MICA_BYTE_RING_H

#include <mica/types.h>

struct byte_ring {
    char *buf;
    unsigned int size;
    unsigned int head, tail;    /* free-running */
};

#define BYTE_RING(storage) { .buf = (storage), .size = sizeof(storage) }

static inline void byte_ring_put(struct byte_ring *r, char c)
{
    if (r->head - r->tail < r->size)
        r->buf[r->head++ % r->size] = c;
}

/* Copy up to len waiting bytes without taking them. */
static inline size_t byte_ring_peek(const struct byte_ring *r, char *buf, size_t len)
{
    size_t n = 0;

    while (n < len && r->tail + n != r->head) {
        buf[n] = r->buf[(r->tail + n) % r->size];
        n++;
    }
    return n;
}

static inline void byte_ring_consume(struct byte_ring *r, size_t n)
{
    r->tail += (unsigned int)n;
}

#endif /* MICA_BYTE_RING_H */
