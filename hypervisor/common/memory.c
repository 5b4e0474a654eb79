/* SPDX-License-Identifier: MIT */
/*
 * memory_op: the queries a PV guest makes about its memory at boot.  The
 * reservation changes (increase/decrease_reservation, populate_physmap,
 * exchange) arrive with ballooning; until then they return -ENOSYS.
 * A domain may ask about itself (DOMID_SELF or its id); a privileged
 * domain may ask about any.
 */
#include <abi/memory.h>
#include <mica/domain.h>
#include <mica/errno.h>
#include <mica/guest_access.h>
#include <mica/hypercall.h>
#include <mica/mm.h>
#include <mica/multiboot2.h>
#include <mica/paging.h>

static struct domain *target(domid_t id)
{
    struct domain *self = current->domain;

    if (id == DOMID_SELF || id == self->domain_id)
        return self;
    return self->is_privileged ? domain_by_id(id) : NULL;
}

/* The guest's own E820: its pseudo-physical memory, as one RAM range. */
static long memory_map(struct domain *d, uint64_t arg)
{
    struct xen_memory_map map;
    struct mica_e820entry e = {
        .addr = 0, .size = (d->max_gpfn + 1) << PAGE_SHIFT, .type = MICA_E820_RAM,
    };

    if (copy_from_guest(&map, arg, sizeof(map)))
        return -EFAULT;
    if (map.nr_entries < 1)
        return -EINVAL;
    if (copy_to_guest((uint64_t)(uintptr_t)map.buffer.p, &e, sizeof(e)))
        return -EFAULT;
    map.nr_entries = 1;
    return copy_to_guest(arg, &map, sizeof(map)) ? -EFAULT : 0;
}

/* The machine's E820 (the firmware map Mica booted with), for the
 * privileged domain: Linux's dom0 lays out its memory and I/O holes by it. */
static long machine_memory_map(uint64_t arg)
{
    const struct mb2_info *bi = boot_information();
    struct xen_memory_map map;

    if (!current->domain->is_privileged)
        return -EPERM;
    if (copy_from_guest(&map, arg, sizeof(map)))
        return -EFAULT;
    if (map.nr_entries < bi->nr_regions)
        return -EINVAL;
    for (unsigned int i = 0; i < bi->nr_regions; i++) {
        struct mica_e820entry e = {
            .addr = bi->regions[i].base, .size = bi->regions[i].len,
            .type = bi->regions[i].type,    /* multiboot2 types are E820's */
        };
        if (copy_to_guest((uint64_t)(uintptr_t)map.buffer.p + i * sizeof(e), &e, sizeof(e)))
            return -EFAULT;
    }
    map.nr_entries = bi->nr_regions;
    return copy_to_guest(arg, &map, sizeof(map)) ? -EFAULT : 0;
}

long do_memory_op(struct cpu_regs *regs)
{
    uint64_t cmd = regs->rdi & 0x3f, arg = regs->rsi;  /* bits 6+: continuation */
    domid_t id;
    struct domain *d;

    if (regs->rdi >> 6)
        return -ENOSYS;         /* no memory_op continues yet */
    switch (cmd) {
    case XENMEM_maximum_ram_page:
        return (long)(max_page - 1);
    case XENMEM_current_reservation:
    case XENMEM_maximum_reservation:
    case XENMEM_maximum_gpfn:
        if (copy_from_guest(&id, arg, sizeof(id)))
            return -EFAULT;
        if (!(d = target(id)))
            return -ESRCH;
        return cmd == XENMEM_current_reservation ? (long)d->tot_pages
             : cmd == XENMEM_maximum_reservation ? (long)d->max_pages
             : (long)d->max_gpfn;
    case XENMEM_machphys_mapping: {
        struct xen_machphys_mapping m = {
            .v_start = RO_MPT_VIRT_START,
            .v_end = RO_MPT_VIRT_START + max_page * sizeof(uint64_t),
            .max_mfn = max_page - 1,
        };
        return copy_to_guest(arg, &m, sizeof(m)) ? -EFAULT : 0;
    }
    case XENMEM_memory_map:
        return memory_map(current->domain, arg);
    case XENMEM_machine_memory_map:
        return machine_memory_map(arg);
    default:
        return -ENOSYS;
    }
}
