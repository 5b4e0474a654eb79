/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer target: a hostile peer against an honest byte-ring end (the
 * console/xenstore transport).  The input picks the array size, whether
 * the honest end reads or writes, the starting indices, then a script of
 * hostile index and data writes interleaved with honest reads and writes
 * into exactly-sized private buffers.  ASan catches any overrun; the
 * checks below catch any count the peer could not legitimately cause.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <ring_io/bytering.h>

#define CHECK(c) do { if (!(c)) __builtin_trap(); } while (0)

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

/* One honest read or write of `len` bytes through an exact-size buffer. */
static size_t honest_io(struct bytering *r, bool writer, size_t len,
                        uint8_t fill)
{
    uint8_t *buf = malloc(len ? len : 1);
    size_t n;

    memset(buf, fill, len ? len : 1);
    n = writer ? bytering_write(r, buf, len) : bytering_read(r, buf, len);
    free(buf);
    CHECK(n <= len);
    return n;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct script s = { data, size };
    uint8_t cfg = (uint8_t)take(&s, 1);
    uint32_t ring_size = 1u << (cfg % 11);          /* 1 .. 1024 */
    bool writer = cfg & 0x80;
    uint8_t *buf = malloc(ring_size);
    uint32_t *idx = malloc(2 * sizeof(uint32_t));  /* [0] cons, [1] prod */
    struct bytering r;
    uint64_t moved = 0;
    uint32_t start;
    bool was_broken = false;

    memset(buf, 0, ring_size);
    idx[0] = take(&s, 4);
    idx[1] = writer ? idx[0] : take(&s, 4);
    if (writer)
        bytering_init_writer(&r, buf, ring_size, &idx[0], &idx[1]);
    else
        bytering_init_reader(&r, buf, ring_size, &idx[0], &idx[1]);
    start = r.own;
    while (s.left) {
        uint8_t op = (uint8_t)take(&s, 1);
        uint32_t *peer = writer ? &idx[0] : &idx[1];
        uint32_t *own = writer ? &idx[1] : &idx[0];
        size_t n = 0;

        switch (op % 7) {
        case 0: *peer = take(&s, 4); break;
        case 1: *peer = r.own + (int8_t)take(&s, 1); break;
        case 2: *peer += take(&s, 1) % (ring_size + 2); break;
        case 3: buf[take(&s, 2) % ring_size] = (uint8_t)take(&s, 1); break;
        case 4: n = honest_io(&r, writer, take(&s, 2) % (2 * ring_size + 2),
                              op);
            break;
        case 5: n = writer ? bytering_space(&r) : bytering_avail(&r);
            CHECK(n <= ring_size);
            n = 0;
            break;
        case 6: *own = take(&s, 4); break;
        }
        moved += n;
        CHECK(n <= ring_size);
        /* Our index advances by exactly what we moved, never more. */
        CHECK((uint32_t)(r.own - start) == (uint32_t)moved);
        CHECK(writer ? r.own - r.peer_seen <= ring_size
                     : r.peer_seen - r.own <= ring_size);
        CHECK(!was_broken || (bytering_broken(&r) && n == 0));
        was_broken = bytering_broken(&r);
    }
    free(buf);
    free(idx);
    return 0;
}
