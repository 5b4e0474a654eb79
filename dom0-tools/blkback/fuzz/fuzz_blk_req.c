/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer target for the request decoder: the input is a ring entry
 * (112 bytes), a limits byte, and the contents of the indirect pages.
 * Whatever it is, decoding must not crash or read out of bounds, and a
 * request it accepts must lie inside the disk with every segment inside
 * its page.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "blk_req.h"

static uint8_t pages[BLKIF_MAX_INDIRECT_PAGES_PER_REQUEST * 4096];

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct blkif_request raw;
    static struct blk_req r;
    struct blk_limits lim;
    int rc;

    if (size < sizeof(raw) + 1)
        return 0;
    memcpy(&raw, data, sizeof(raw));
    lim = (struct blk_limits){ .sectors = (data[sizeof(raw)] & 1) ? 2048 : UINT64_MAX / 2,
                               .readonly = data[sizeof(raw)] & 2,
                               .discard = data[sizeof(raw)] & 4,
                               .max_indirect_segs = (data[sizeof(raw)] & 8) ? 32 : 256 };
    data += sizeof(raw) + 1;
    size -= sizeof(raw) + 1;
    memset(pages, 0xff, sizeof(pages));
    memcpy(pages, data, size < sizeof(pages) ? size : sizeof(pages));

    rc = blk_req_decode(&raw, &lim, &r);
    if (rc == BLKIF_RSP_OKAY && r.indirect) {
        if (r.n_ind_pages == 0 || r.n_ind_pages > BLKIF_MAX_INDIRECT_PAGES_PER_REQUEST)
            abort();
        rc = blk_req_indirect(&r, pages, &lim);
    }
    if (rc != BLKIF_RSP_OKAY)
        return 0;
    if (r.nr_sectors && (r.sector > lim.sectors || r.nr_sectors > lim.sectors - r.sector))
        abort();
    if (r.op != BLKIF_OP_DISCARD) {
        uint64_t total = 0;
        if (r.nseg > BLK_MAX_INDIRECT_SEGS)
            abort();
        for (unsigned i = 0; i < r.nseg; i++) {
            if (r.seg[i].first > r.seg[i].last || r.seg[i].last > 7)
                abort();
            total += r.seg[i].last - r.seg[i].first + 1u;
        }
        if (total != r.nr_sectors)
            abort();
    }
    if (lim.readonly && (r.op == BLKIF_OP_WRITE || r.op == BLKIF_OP_DISCARD ||
                         (r.op == BLKIF_OP_FLUSH_DISKCACHE && r.nseg)))
        abort();
    return 0;
}
