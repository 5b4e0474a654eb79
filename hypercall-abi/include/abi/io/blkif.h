/* SPDX-License-Identifier: MIT */
/*
 * Block device wire format (xen-blkfront <-> blkback): the request and
 * response entries of the shared ring and the operation codes.  One ring
 * page holds 32 requests of 112 bytes.  Data pages are named by grant
 * reference, sectors are always 512 bytes regardless of the disk's own
 * sector size.  The handshake (ring-ref, event-channel, feature-*) lives in
 * xenstore and is described in docs, not here.
 */
#ifndef ABI_IO_BLKIF_H
#define ABI_IO_BLKIF_H

#include <stdint.h>
#include <abi/grant_table.h>
#include <abi/io/ring.h>

typedef uint16_t blkif_vdev_t;      /* virtual device handle */
typedef uint64_t blkif_sector_t;    /* 512-byte sector number */

#define BLKIF_OP_READ             0
#define BLKIF_OP_WRITE            1
#define BLKIF_OP_WRITE_BARRIER    2  /* feature-barrier */
#define BLKIF_OP_FLUSH_DISKCACHE  3  /* feature-flush-cache */
#define BLKIF_OP_RESERVED_1       4
#define BLKIF_OP_DISCARD          5  /* feature-discard */
#define BLKIF_OP_INDIRECT         6  /* feature-max-indirect-segments */

#define BLKIF_MAX_SEGMENTS_PER_REQUEST        11
#define BLKIF_MAX_INDIRECT_PAGES_PER_REQUEST   8

/* One granted page and the sector range used within it (0-7). */
struct blkif_request_segment {
    grant_ref_t gref;
    uint8_t first_sect, last_sect;
    uint8_t _pad[2];                /* Xen: implicit padding */
};
_Static_assert(sizeof(struct blkif_request_segment) == 8, "blkif_request_segment");

struct blkif_request {
    uint8_t  operation;             /* BLKIF_OP_* */
    uint8_t  nr_segments;           /* <= BLKIF_MAX_SEGMENTS_PER_REQUEST */
    blkif_vdev_t handle;
    uint8_t  _pad[4];               /* Xen: implicit padding */
    uint64_t id;                    /* echoed in the response */
    blkif_sector_t sector_number;
    struct blkif_request_segment seg[BLKIF_MAX_SEGMENTS_PER_REQUEST];
};
typedef struct blkif_request blkif_request_t;
_Static_assert(sizeof(struct blkif_request) == 112, "blkif_request");

struct blkif_request_discard {
    uint8_t  operation;             /* BLKIF_OP_DISCARD */
    uint8_t  flag;                  /* BLKIF_DISCARD_* */
#define BLKIF_DISCARD_SECURE (1 << 0)
    blkif_vdev_t handle;
    uint8_t  _pad[4];               /* Xen: implicit padding */
    uint64_t id;
    blkif_sector_t sector_number;
    uint64_t nr_sectors;
};
typedef struct blkif_request_discard blkif_request_discard_t;
_Static_assert(sizeof(struct blkif_request_discard) == 32, "blkif_request_discard");

/* Segments listed in separate granted pages (up to 512 per page). */
struct blkif_request_indirect {
    uint8_t  operation;             /* BLKIF_OP_INDIRECT */
    uint8_t  indirect_op;           /* BLKIF_OP_READ or _WRITE */
    uint16_t nr_segments;
    uint8_t  _pad1[4];              /* Xen: implicit padding */
    uint64_t id;
    blkif_sector_t sector_number;
    blkif_vdev_t handle;
    uint8_t  _pad2[2];              /* Xen: implicit padding */
    grant_ref_t indirect_grefs[BLKIF_MAX_INDIRECT_PAGES_PER_REQUEST];
    uint8_t  _pad3[4];              /* Xen: implicit padding */
};
typedef struct blkif_request_indirect blkif_request_indirect_t;
_Static_assert(sizeof(struct blkif_request_indirect) == 64, "blkif_request_indirect");

struct blkif_response {
    uint64_t id;                    /* from the request */
    uint8_t  operation;             /* from the request */
    uint8_t  _pad1;                 /* Xen: implicit padding */
    int16_t  status;                /* BLKIF_RSP_* */
    uint8_t  _pad2[4];              /* Xen: implicit padding */
};
typedef struct blkif_response blkif_response_t;
_Static_assert(sizeof(struct blkif_response) == 16, "blkif_response");

#define BLKIF_RSP_EOPNOTSUPP  -2
#define BLKIF_RSP_ERROR       -1
#define BLKIF_RSP_OKAY         0

/*
 * The ring types.  The front/back bookkeeping structs that the macro also
 * defines are each side's private state, never shared, so their layout is
 * ring-io's business and not ABI: -Wpadded is silenced for them alone.
 */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wpadded"
DEFINE_RING_TYPES(blkif, struct blkif_request, struct blkif_response);
#pragma GCC diagnostic pop
_Static_assert(sizeof(struct blkif_sring) == 64 + 112, "blkif_sring header");

/* `info` node bits. */
#define VDISK_CDROM      0x1
#define VDISK_REMOVABLE  0x2
#define VDISK_READONLY   0x4

#endif /* ABI_IO_BLKIF_H */
