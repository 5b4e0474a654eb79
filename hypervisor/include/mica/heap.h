/* SPDX-License-Identifier: MIT */
/*
 * The hypervisor's heap for its own objects (domains, vCPUs, tables).
 * Objects up to half a page come from power-of-two size classes carved out
 * of hypervisor frames; a page-sized object is a whole frame.  Memory is
 * zeroed on allocation.  Larger objects are refused: nothing in Mica needs
 * physically contiguous multi-page objects from the heap.
 */
#ifndef MICA_HEAP_H
#define MICA_HEAP_H

#include <mica/types.h>

void *xzalloc(size_t size);             /* NULL when out of memory or too big */
void xfree(void *p);                    /* NULL is fine */

#define xzalloc_obj(type) ((type *)xzalloc(sizeof(type)))

#endif /* MICA_HEAP_H */
