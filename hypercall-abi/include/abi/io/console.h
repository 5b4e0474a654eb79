/* SPDX-License-Identifier: MIT */
/*
 * The PV console ring page (start_info.console.domU.mfn, or a xenbus
 * "console" device).  Two byte rings with free-running indices: `in` is
 * written by the back end (keyboard to guest), `out` by the guest.  A guest
 * whose `out` ring is full spins, so the back end must keep draining it.
 */
#ifndef ABI_IO_CONSOLE_H
#define ABI_IO_CONSOLE_H

#include <stdint.h>

typedef uint32_t XENCONS_RING_IDX;

/* Slot of a free-running index in a power-of-two ring array. */
#define MASK_XENCONS_IDX(idx, ring) ((idx) & (sizeof(ring) - 1))

struct xencons_interface {
    char in[1024];              /* back end -> guest */
    char out[2048];             /* guest -> back end */
    XENCONS_RING_IDX in_cons;   /* guest advances */
    XENCONS_RING_IDX in_prod;   /* back end advances */
    XENCONS_RING_IDX out_cons;  /* back end advances */
    XENCONS_RING_IDX out_prod;  /* guest advances */
};
_Static_assert(sizeof(struct xencons_interface) == 3088, "xencons_interface");

#endif /* ABI_IO_CONSOLE_H */
