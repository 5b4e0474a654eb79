/* SPDX-License-Identifier: MIT */
/*
 * Checked copies to and from the running guest (see guest_access.h).  The
 * guest's page tables are loaded while it makes a hypercall, so its
 * addresses are used directly; copy_guest_raw (guest_entry.asm) faults
 * softly.  The range check is what keeps a guest from pointing the
 * hypervisor at its own memory: slots 256-271 are never guest addresses.
 */
#include <mica/errno.h>
#include <mica/guest_access.h>
#include <mica/x86.h>

#define HOLE_START 0xffff800000000000UL
#define HOLE_END   0xffff880000000000UL

size_t copy_guest_raw(void *dst, const void *src, size_t n);

bool guest_range_ok(uint64_t va, size_t len)
{
    uint64_t last = va + len - 1;

    if (len == 0)
        return true;
    if (last < va || !is_canonical(va) || !is_canonical(last))
        return false;
    /* Both ends canonical and no wrap: a range running from the lower half
     * into the upper one necessarily covers HOLE_START, so this also
     * refuses ranges across the non-canonical gap. */
    return last < HOLE_START || va >= HOLE_END;
}

int copy_from_guest(void *dst, uint64_t guest_va, size_t len)
{
    if (!guest_range_ok(guest_va, len))
        return -EFAULT;
    return copy_guest_raw(dst, (const void *)guest_va, len) ? -EFAULT : 0;
}

int copy_to_guest(uint64_t guest_va, const void *src, size_t len)
{
    if (!guest_range_ok(guest_va, len))
        return -EFAULT;
    return copy_guest_raw((void *)guest_va, src, len) ? -EFAULT : 0;
}
