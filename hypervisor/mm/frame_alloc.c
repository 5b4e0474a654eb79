/* SPDX-License-Identifier: MIT */
/*
 * Boot memory map arithmetic and the bitmap frame pool.
 *
 * Invariants: a memmap holds disjoint, page-aligned, non-empty ranges sorted
 * by address, adjacent ranges merged.  A frame is handed out only if it lies
 * in a usable region that no other region and no reserved range touches; a
 * pool bit is clear only for such a frame that nobody holds.  Firmware maps
 * may overlap, repeat, be unsorted or hold empty entries; the result does
 * not depend on their order.
 */
#include <mica/frame_alloc.h>
#include <mica/string.h>

static void memmap_insert(struct memmap *m, unsigned int at, paddr_t s, paddr_t e)
{
    if (m->nr == MEMMAP_MAX_RANGES) {
        m->dropped++;
        return;
    }
    memmove(&m->r[at + 1], &m->r[at], (m->nr - at) * sizeof(m->r[0]));
    m->r[at] = (struct range){ s, e };
    m->nr++;
}

static void memmap_delete(struct memmap *m, unsigned int at)
{
    memmove(&m->r[at], &m->r[at + 1], (m->nr - at - 1) * sizeof(m->r[0]));
    m->nr--;
}

/* Add [s, e) (already page-aligned) keeping the list sorted and merged. */
static void memmap_add(struct memmap *m, paddr_t s, paddr_t e)
{
    unsigned int i = 0;

    if (s >= e)
        return;
    while (i < m->nr && m->r[i].end < s)
        i++;
    /* Merge every range that touches or overlaps [s, e). */
    while (i < m->nr && m->r[i].start <= e) {
        s = MIN(s, m->r[i].start);
        e = MAX(e, m->r[i].end);
        memmap_delete(m, i);
    }
    memmap_insert(m, i, s, e);
}

void memmap_remove(struct memmap *m, paddr_t start, paddr_t end)
{
    if (end <= start)
        return;                 /* an empty range (a zero-length module) */
    paddr_t s = ALIGN_DOWN(start, PAGE_SIZE);
    paddr_t e = end > ALIGN_DOWN(~(paddr_t)0, PAGE_SIZE)
                    ? ~(paddr_t)0 : ALIGN_UP(end, PAGE_SIZE);

    for (unsigned int i = 0; i < m->nr;) {
        struct range *r = &m->r[i];

        if (r->end <= s || r->start >= e) {
            i++;
            continue;
        }
        if (r->start < s && r->end > e) {       /* split in two */
            paddr_t tail = r->end;
            r->end = s;
            memmap_insert(m, i + 1, e, tail);
            return;
        }
        if (r->start < s) {
            r->end = s;
            i++;
        } else if (r->end > e) {
            r->start = e;
            i++;
        } else {
            memmap_delete(m, i);
        }
    }
}

void memmap_build(struct memmap *m, const struct mb2_region *regions,
                  unsigned int nr_regions, const struct range *reserved,
                  unsigned int nr_reserved, paddr_t cap)
{
    memset(m, 0, sizeof(*m));
    for (unsigned int i = 0; i < nr_regions; i++) {
        const struct mb2_region *g = &regions[i];
        paddr_t end = g->base + g->len < g->base ? ~(paddr_t)0 : g->base + g->len;

        if (g->type == MB2_MEM_AVAILABLE)
            memmap_add(m, ALIGN_UP(g->base, PAGE_SIZE), ALIGN_DOWN(end, PAGE_SIZE));
    }
    for (unsigned int i = 0; i < nr_regions; i++) {
        const struct mb2_region *g = &regions[i];

        if (g->type != MB2_MEM_AVAILABLE)
            memmap_remove(m, g->base, g->base + g->len < g->base
                                          ? ~(paddr_t)0 : g->base + g->len);
    }
    for (unsigned int i = 0; i < nr_reserved; i++)
        memmap_remove(m, reserved[i].start, reserved[i].end);
    if (cap)
        memmap_remove(m, cap, ~(paddr_t)0);
}

uint64_t memmap_total(const struct memmap *m)
{
    uint64_t t = 0;

    for (unsigned int i = 0; i < m->nr; i++)
        t += m->r[i].end - m->r[i].start;
    return t;
}

paddr_t memmap_highest(const struct memmap *m)
{
    return m->nr ? m->r[m->nr - 1].end : 0;
}

paddr_t memmap_carve(struct memmap *m, uint64_t bytes, paddr_t limit)
{
    uint64_t len = ALIGN_UP(bytes, PAGE_SIZE);

    for (unsigned int i = 0; i < m->nr; i++) {
        struct range *r = &m->r[i];

        if (r->end - r->start >= len && r->start + len <= limit) {
            paddr_t at = r->start;
            r->start += len;
            if (r->start == r->end)
                memmap_delete(m, i);
            return at;
        }
    }
    return 0;
}

static bool bit_test(const uint64_t *bm, mfn_t n)
{
    return bm[n / 64] & (1ULL << (n % 64));
}

void frame_pool_init(struct frame_pool *p, uint64_t *bitmap, mfn_t nr_frames,
                     const struct memmap *m)
{
    p->bitmap = bitmap;
    p->nr_frames = nr_frames;
    p->nr_free = 0;
    p->hint = 0;
    p->ram = *m;
    memset(bitmap, 0xff, frame_pool_bitmap_bytes(nr_frames));
    for (unsigned int i = 0; i < m->nr; i++) {
        mfn_t s = m->r[i].start >> PAGE_SHIFT, e = m->r[i].end >> PAGE_SHIFT;

        for (mfn_t f = s; f < e && f < nr_frames; f++) {
            bitmap[f / 64] &= ~(1ULL << (f % 64));
            p->nr_free++;
        }
    }
}

mfn_t frame_alloc(struct frame_pool *p)
{
    mfn_t words = ALIGN_UP(p->nr_frames, 64) / 64;

    if (p->nr_free == 0)
        return INVALID_MFN;
    for (mfn_t k = 0; k < words; k++) {
        mfn_t w = (p->hint / 64 + k) % words;
        uint64_t bits = ~p->bitmap[w];

        if (!bits)
            continue;
        mfn_t mfn = w * 64 + (mfn_t)__builtin_ctzll(bits);
        if (mfn >= p->nr_frames)
            continue;               /* padding bits past the end stay set */
        p->bitmap[w] |= 1ULL << (mfn % 64);
        p->nr_free--;
        p->hint = mfn;
        return mfn;
    }
    return INVALID_MFN;
}

static bool pool_owns(const struct frame_pool *p, mfn_t mfn)
{
    unsigned int lo = 0, hi = p->ram.nr;
    paddr_t a = mfn << PAGE_SHIFT;

    if (mfn >= p->nr_frames)
        return false;
    while (lo < hi) {
        unsigned int mid = (lo + hi) / 2;

        if (a < p->ram.r[mid].start)
            hi = mid;
        else if (a >= p->ram.r[mid].end)
            lo = mid + 1;
        else
            return true;
    }
    return false;
}

bool frame_free(struct frame_pool *p, mfn_t mfn)
{
    if (!pool_owns(p, mfn) || !bit_test(p->bitmap, mfn))
        return false;
    p->bitmap[mfn / 64] &= ~(1ULL << (mfn % 64));
    p->nr_free++;
    return true;
}

bool frame_is_free(const struct frame_pool *p, mfn_t mfn)
{
    return mfn < p->nr_frames && !bit_test(p->bitmap, mfn);
}

/* The first frame in [s, e) whose bit is set, or e when there is none. */
static mfn_t first_taken(const struct frame_pool *p, mfn_t s, mfn_t e)
{
    while (s < e) {
        uint64_t w = p->bitmap[s / 64] >> (s % 64);

        if (w)
            return MIN(e, s + (mfn_t)__builtin_ctzll(w));
        s = ALIGN_DOWN(s, 64) + 64;
    }
    return e;
}

/*
 * First fit over aligned candidates: a candidate that holds a taken frame
 * is skipped together with every candidate that would hold that frame too,
 * so the scan is linear in the bitmap words, not in the frames.
 */
mfn_t frame_alloc_extent(struct frame_pool *p, unsigned int order, mfn_t limit)
{
    if (order > FRAME_EXTENT_MAX_ORDER)
        return INVALID_MFN;
    mfn_t n = (mfn_t)1 << order, end = MIN(limit, p->nr_frames);

    if (p->nr_free < n)
        return INVALID_MFN;
    for (mfn_t base = 0; end >= n && base <= end - n;) {
        mfn_t taken = first_taken(p, base, base + n);

        if (taken == base + n) {
            for (mfn_t f = base; f < base + n; f++)
                p->bitmap[f / 64] |= 1ULL << (f % 64);
            p->nr_free -= n;
            return base;
        }
        base = ALIGN_DOWN(taken, n) + n;
    }
    return INVALID_MFN;
}
