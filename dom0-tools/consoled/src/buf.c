/* SPDX-License-Identifier: MIT */
/* The drop-oldest byte queue (see buf.h). */
#include <stdlib.h>
#include <string.h>

#include "buf.h"

int cbuf_init(struct cbuf *b, size_t cap)
{
    memset(b, 0, sizeof(*b));
    if (!cap || !(b->data = malloc(cap)))
        return -1;
    b->cap = cap;
    return 0;
}

void cbuf_fini(struct cbuf *b)
{
    free(b->data);
    memset(b, 0, sizeof(*b));
}

void cbuf_consume(struct cbuf *b, size_t n)
{
    if (n > b->len)
        n = b->len;
    b->head = (b->head + n) % b->cap;
    b->len -= n;
}

void cbuf_put(struct cbuf *b, const void *p, size_t n)
{
    const uint8_t *src = p;

    if (n > b->cap) {           /* only the newest cap bytes can stay */
        b->dropped += n - b->cap;
        src += n - b->cap;
        n = b->cap;
    }
    if (n > b->cap - b->len) {
        size_t drop = n - (b->cap - b->len);
        b->dropped += drop;
        cbuf_consume(b, drop);
    }
    while (n) {
        size_t tail = (b->head + b->len) % b->cap;
        size_t run = b->cap - tail < n ? b->cap - tail : n;
        memcpy(b->data + tail, src, run);
        b->len += run;
        src += run;
        n -= run;
    }
}

const uint8_t *cbuf_peek(const struct cbuf *b, size_t *n)
{
    size_t run = b->cap - b->head;

    *n = b->len < run ? b->len : run;
    return b->data + b->head;
}

uint64_t cbuf_take_dropped(struct cbuf *b)
{
    uint64_t d = b->dropped;

    b->dropped = 0;
    return d;
}
