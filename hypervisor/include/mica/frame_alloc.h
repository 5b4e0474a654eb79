/* SPDX-License-Identifier: MIT */
/*
 * Physical frame allocator.  At boot, memmap_build() turns the firmware
 * memory map and the ranges Mica must keep (the image, the boot information,
 * the modules, the first MiB) into a sorted list of free, page-aligned
 * ranges.  A bitmap pool then hands out single frames, or aligned runs of
 * 2^order frames below an address limit (memory_op's extents, DMA).  The
 * frame table of the PV memory core (ownership, types, counts) is built on
 * top of this.
 */
#ifndef MICA_FRAME_ALLOC_H
#define MICA_FRAME_ALLOC_H

#include <mica/types.h>
#include <mica/multiboot2.h>

#define INVALID_MFN (~(mfn_t)0)
#define MEMMAP_MAX_RANGES 160

struct range {
    paddr_t start;
    paddr_t end;            /* exclusive */
};

struct memmap {
    struct range r[MEMMAP_MAX_RANGES];
    unsigned int nr;
    unsigned int dropped;   /* ranges lost because the table was full */
};

/*
 * Free memory: every usable region, page-aligned inwards, minus every
 * region of another type and every `reserved` range (page-aligned
 * outwards), minus everything at or above `cap` when cap != 0.  A range
 * reported both usable and reserved is reserved.  Result sorted, merged.
 */
void memmap_build(struct memmap *m, const struct mb2_region *regions,
                  unsigned int nr_regions, const struct range *reserved,
                  unsigned int nr_reserved, paddr_t cap);

/* Remove [start, end) from the map (start/end page-aligned outwards). */
void memmap_remove(struct memmap *m, paddr_t start, paddr_t end);

uint64_t memmap_total(const struct memmap *m);
paddr_t memmap_highest(const struct memmap *m);

/*
 * Take `bytes` (rounded up to pages) from the lowest free range that lies
 * entirely below `limit`; returns the start address or 0 when none fits.
 */
paddr_t memmap_carve(struct memmap *m, uint64_t bytes, paddr_t limit);

struct frame_pool {
    uint64_t *bitmap;       /* bit set = frame in use or not RAM */
    mfn_t nr_frames;        /* frames covered by the bitmap */
    mfn_t nr_free;
    mfn_t hint;             /* where the next search starts */
    struct memmap ram;      /* the frames the pool may ever hand out */
};

static inline uint64_t frame_pool_bitmap_bytes(mfn_t nr_frames)
{
    return ALIGN_UP(nr_frames, 64) / 8;
}

/* Every frame starts in use; the free ranges of `m` are then released. */
void frame_pool_init(struct frame_pool *p, uint64_t *bitmap, mfn_t nr_frames,
                     const struct memmap *m);
mfn_t frame_alloc(struct frame_pool *p);
/* Returns false for a frame the pool never owned or that is already free. */
bool frame_free(struct frame_pool *p, mfn_t mfn);
bool frame_is_free(const struct frame_pool *p, mfn_t mfn);
/*
 * 2^order free frames in a row, the first a multiple of 2^order, all below
 * frame `limit` (INVALID_MFN: anywhere): the lowest such run, or
 * INVALID_MFN when none exists.  Each frame goes back with frame_free().
 */
#define FRAME_EXTENT_MAX_ORDER 30
mfn_t frame_alloc_extent(struct frame_pool *p, unsigned int order, mfn_t limit);

#endif /* MICA_FRAME_ALLOC_H */
