/* SPDX-License-Identifier: MIT */
/* Request decoding and validation (see blk_req.h). */
#include <string.h>

#include "blk_req.h"

/* Segments in, sectors counted; ERROR if any is malformed. */
static int take_segs(struct blk_req *r, const struct blkif_request_segment *s, unsigned n)
{
    uint64_t total = 0;

    for (unsigned i = 0; i < n; i++) {
        if (s[i].first_sect > s[i].last_sect || s[i].last_sect >= BLK_SECTORS_PER_PAGE)
            return BLKIF_RSP_ERROR;
        r->seg[i].gref = s[i].gref;
        r->seg[i].first = s[i].first_sect;
        r->seg[i].last = s[i].last_sect;
        total += (uint64_t)(s[i].last_sect - s[i].first_sect + 1);
    }
    r->nseg = n;
    r->nr_sectors = total;
    return BLKIF_RSP_OKAY;
}

/* The range against the disk, without overflow; writes against read-only.
 * An empty range touches nothing, so its start is not looked at: blkfront
 * sends its flushes (no segments) with sector_number all ones. */
static int check_range(const struct blk_req *r, const struct blk_limits *lim)
{
    if (r->nr_sectors &&
        (r->sector > lim->sectors || r->nr_sectors > lim->sectors - r->sector))
        return BLKIF_RSP_ERROR;
    if (lim->readonly && r->op != BLKIF_OP_READ && !(r->op == BLKIF_OP_FLUSH_DISKCACHE &&
                                                    r->nseg == 0))
        return BLKIF_RSP_ERROR;
    return BLKIF_RSP_OKAY;
}

static int decode_discard(const struct blkif_request *raw, const struct blk_limits *lim,
                          struct blk_req *r)
{
    struct blkif_request_discard d;

    memcpy(&d, raw, sizeof(d));
    if (!lim->discard)
        return BLKIF_RSP_EOPNOTSUPP;
    r->sector = d.sector_number;
    r->nr_sectors = d.nr_sectors;
    r->secure = d.flag & BLKIF_DISCARD_SECURE;
    return check_range(r, lim);
}

static int decode_indirect(const struct blkif_request *raw, const struct blk_limits *lim,
                           struct blk_req *r)
{
    struct blkif_request_indirect in;

    memcpy(&in, raw, sizeof(in));
    r->rsp_op = in.indirect_op;
    r->op = in.indirect_op;
    r->sector = in.sector_number;
    if (in.indirect_op != BLKIF_OP_READ && in.indirect_op != BLKIF_OP_WRITE)
        return BLKIF_RSP_ERROR;
    if (lim->max_indirect_segs == 0)
        return BLKIF_RSP_EOPNOTSUPP;
    if (in.nr_segments == 0 || in.nr_segments > lim->max_indirect_segs ||
        in.nr_segments > BLK_MAX_INDIRECT_SEGS)
        return BLKIF_RSP_ERROR;
    r->nseg = in.nr_segments;
    r->n_ind_pages = (r->nseg + BLK_SEGS_PER_PAGE - 1) / BLK_SEGS_PER_PAGE;
    memcpy(r->ind_grefs, in.indirect_grefs, r->n_ind_pages * sizeof(r->ind_grefs[0]));
    r->indirect = true;
    return BLKIF_RSP_OKAY;
}

int blk_req_decode(const struct blkif_request *raw, const struct blk_limits *lim,
                   struct blk_req *r)
{
    int rc;

    r->id = raw->id;
    r->rsp_op = raw->operation;
    r->op = raw->operation;
    r->indirect = false;
    r->secure = false;
    r->nseg = 0;
    r->n_ind_pages = 0;
    r->sector = raw->sector_number;
    r->nr_sectors = 0;

    switch (raw->operation) {
    case BLKIF_OP_READ:
    case BLKIF_OP_WRITE:
        if (raw->nr_segments == 0)
            return BLKIF_RSP_ERROR;
        /* fall through */
    case BLKIF_OP_FLUSH_DISKCACHE:
        if (raw->nr_segments > BLKIF_MAX_SEGMENTS_PER_REQUEST)
            return BLKIF_RSP_ERROR;
        if ((rc = take_segs(r, raw->seg, raw->nr_segments)) != BLKIF_RSP_OKAY)
            return rc;
        return check_range(r, lim);
    case BLKIF_OP_DISCARD:
        return decode_discard(raw, lim, r);
    case BLKIF_OP_INDIRECT:
        return decode_indirect(raw, lim, r);
    case BLKIF_OP_WRITE_BARRIER:        /* not offered: feature-flush-cache is */
        return BLKIF_RSP_EOPNOTSUPP;
    default:
        return BLKIF_RSP_ERROR;
    }
}

int blk_req_indirect(struct blk_req *r, const void *pages, const struct blk_limits *lim)
{
    int rc;

    if (!r->indirect || r->nseg == 0 || r->nseg > BLK_MAX_INDIRECT_SEGS)
        return BLKIF_RSP_ERROR;
    /* The pages were copied to us whole: no descriptor is read twice. */
    rc = take_segs(r, (const struct blkif_request_segment *)pages, r->nseg);
    r->indirect = false;
    if (rc != BLKIF_RSP_OKAY)
        return rc;
    return check_range(r, lim);
}
