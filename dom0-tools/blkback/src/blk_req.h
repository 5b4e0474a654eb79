/* SPDX-License-Identifier: MIT */
/*
 * Decoding one blkif request (abi/io/blkif.h) into a checked, private
 * form.  Everything a guest writes is suspect: the operation, the segment
 * count, each segment's grant and sector range within its page, the start
 * sector and the length against the disk, and (for indirect requests) the
 * descriptors in the indirect pages.  Decode first, act after: nothing is
 * read, written or copied for a request that fails here, and the answer
 * is a status for its response, never a crash or a stop.
 *
 * Pure functions over copies (the ring entry was copied out of the shared
 * page once by ring-io, indirect pages once by grant copy), so a guest
 * changing the shared page under us changes nothing here.  Fuzzed by
 * fuzz/fuzz_blk_req.c.
 */
#ifndef BLK_REQ_H
#define BLK_REQ_H

#include <stdbool.h>
#include <stdint.h>

#include <abi/io/blkif.h>

/* feature-max-indirect-segments we offer (Linux's blkback offers 256). */
#define BLK_MAX_INDIRECT_SEGS   256u
#define BLK_SEGS_PER_PAGE       (4096u / sizeof(struct blkif_request_segment))
#define BLK_SECTOR              512u
#define BLK_SECTORS_PER_PAGE    8u

/* What the disk allows; set at connect. */
struct blk_limits {
    uint64_t sectors;           /* capacity in 512-byte sectors */
    bool readonly;
    bool discard;               /* feature-discard offered */
    unsigned max_indirect_segs; /* <= BLK_MAX_INDIRECT_SEGS */
};

struct blk_seg {
    uint32_t gref;
    uint8_t first, last;        /* sectors within the page, first <= last <= 7 */
};

struct blk_req {
    uint64_t id;                /* echoed */
    uint8_t rsp_op;             /* the operation the response must carry */
    uint8_t op;                 /* READ, WRITE, FLUSH_DISKCACHE or DISCARD */
    bool indirect;              /* segments still to come from indirect pages */
    bool secure;                /* discard: BLKIF_DISCARD_SECURE */
    unsigned nseg;
    unsigned n_ind_pages;
    uint32_t ind_grefs[BLKIF_MAX_INDIRECT_PAGES_PER_REQUEST];
    uint64_t sector;            /* first 512-byte sector */
    uint64_t nr_sectors;        /* total length (segments, or the discard's) */
    struct blk_seg seg[BLK_MAX_INDIRECT_SEGS];
};

/*
 * Decode a ring entry.  BLKIF_RSP_OKAY: r is complete, or r->indirect and
 * the caller must fetch r->n_ind_pages pages and call blk_req_indirect.
 * BLKIF_RSP_ERROR or BLKIF_RSP_EOPNOTSUPP: answer with it (r->id and
 * r->rsp_op are always set).
 */
int blk_req_decode(const struct blkif_request *raw, const struct blk_limits *lim,
                   struct blk_req *r);
/* The descriptors of an indirect request, from n_ind_pages * 4096 bytes. */
int blk_req_indirect(struct blk_req *r, const void *pages, const struct blk_limits *lim);

#endif
