/* SPDX-License-Identifier: MIT */
/*
 * Copying hypercall arguments from and to the running guest.  Every guest
 * pointer goes through these: an address that is non-canonical, reaches
 * into the hypervisor's range or wraps is refused, and a fault on an
 * unmapped or read-only guest page ends the copy with -EFAULT instead of
 * crashing the hypervisor.  Read each value once: copy it in, then check
 * the copy.
 */
#ifndef MICA_GUEST_ACCESS_H
#define MICA_GUEST_ACCESS_H

#include <mica/types.h>

int copy_from_guest(void *dst, uint64_t guest_va, size_t len);
int copy_to_guest(uint64_t guest_va, const void *src, size_t len);
/* Whether [va, va + len) is a range a guest may name. */
bool guest_range_ok(uint64_t va, size_t len);

#endif /* MICA_GUEST_ACCESS_H */
