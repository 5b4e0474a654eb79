/* SPDX-License-Identifier: MIT */
/*
 * A bounded byte queue that drops its oldest bytes when full: what a
 * console holds for its pty while nobody reads it.  A guest must never
 * stall because dom0 has no reader, so the queue never refuses bytes;
 * the count of dropped bytes is kept for the log.
 */
#ifndef CD_BUF_H
#define CD_BUF_H

#include <stddef.h>
#include <stdint.h>

struct cbuf {
    uint8_t *data;
    size_t cap, head, len;      /* bytes data[head .. head+len) mod cap */
    uint64_t dropped;           /* since the last cbuf_take_dropped */
};

/* 0, or -1 when cap is 0 or memory is short. */
int cbuf_init(struct cbuf *b, size_t cap);
void cbuf_fini(struct cbuf *b);
/* Append n bytes, dropping the oldest ones that do not fit. */
void cbuf_put(struct cbuf *b, const void *p, size_t n);
/* The oldest contiguous run: *n bytes at the returned pointer. */
const uint8_t *cbuf_peek(const struct cbuf *b, size_t *n);
void cbuf_consume(struct cbuf *b, size_t n);
uint64_t cbuf_take_dropped(struct cbuf *b);

#endif
