/* SPDX-License-Identifier: MIT */
/*
 * The vbd device type for the back-end core (be_dev.h): what blkback
 * reads from and writes to xenstore, and the disk behind a device.
 *
 * Ours (the toolstack wrote): params (a raw image file or a block device
 * in dom0), mode (r or w), device-type (disk or cdrom), discard-enable.
 * We write at InitWait: feature-flush-cache, feature-discard (with
 * discard-granularity/-alignment/-secure), feature-max-indirect-segments,
 * max-ring-page-order; at Connected: sectors, info, sector-size,
 * physical-sector-size.  The front end's: ring-page-order, ring-ref or
 * ring-ref0..N, event-channel, protocol.
 */
#ifndef BLK_VBD_H
#define BLK_VBD_H

#include "be_dev.h"

extern const struct be_type blk_vbd_type;

/* Largest ring we accept: 2^4 pages (Xen's XENBUS_MAX_RING_GRANT_ORDER). */
#define BLK_MAX_RING_ORDER 4u

#endif
