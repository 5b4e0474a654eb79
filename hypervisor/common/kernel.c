/* SPDX-License-Identifier: MIT */
/*
 * The hypercalls about the hypervisor itself rather than any one subsystem
 * (Xen keeps them in common/kernel.c too): xen_version, what a guest learns
 * of the interface it runs on; sysctl's gate; vm_assist, the optional
 * behaviours a domain turns on.
 */
#include <abi/sysctl.h>
#include <abi/version.h>
#include <mica/cmdline.h>
#include <mica/domain.h>
#include <mica/errno.h>
#include <mica/guest_access.h>
#include <mica/hypercall.h>
#include <mica/version.h>

/* ---- xen_version ----------------------------------------------------------- */

/* The Xen interface level Mica implements, as Linux reads it. */
#define MICA_XEN_MAJOR 4
#define MICA_XEN_MINOR 17

static uint32_t feature_bits(void)
{
    return (1U << XENFEAT_writable_page_tables) |
           (1U << XENFEAT_pae_pgdir_above_4gb) |
           (1U << XENFEAT_mmu_pt_update_preserve_ad) |
           (1U << XENFEAT_gnttab_map_avail_bits);
}

_Static_assert(CMDLINE_SAVED_LEN == sizeof(xen_commandline_t), "saved command line");

long do_xen_version(uint64_t cmd, uint64_t arg)
{
    switch (cmd) {
    case XENVER_version:
        return (MICA_XEN_MAJOR << 16) | MICA_XEN_MINOR;
    case XENVER_extraversion: {
        xen_extraversion_t v = ".0-mica";
        return copy_to_guest(arg, v, sizeof(v)) ? -EFAULT : 0;
    }
    case XENVER_capabilities: {
        xen_capabilities_info_t c = "xen-3.0-x86_64 ";
        return copy_to_guest(arg, c, sizeof(c)) ? -EFAULT : 0;
    }
    case XENVER_get_features: {
        struct xen_feature_info fi;
        if (copy_from_guest(&fi, arg, sizeof(fi)))
            return -EFAULT;
        fi.submap = fi.submap_idx == 0 ? feature_bits() : 0;
        return copy_to_guest(arg, &fi, sizeof(fi)) ? -EFAULT : 0;
    }
    case XENVER_compile_info: {
        struct xen_compile_info ci = { .compiler = "gcc " __VERSION__,
                                       .compile_by = "mica", .compile_domain = "mica",
                                       .compile_date = __DATE__ " " __TIME__ };
        return copy_to_guest(arg, &ci, sizeof(ci)) ? -EFAULT : 0;
    }
    case XENVER_changeset: {
        xen_changeset_info_t c = "mica " MICA_VERSION;
        return copy_to_guest(arg, c, sizeof(c)) ? -EFAULT : 0;
    }
    case XENVER_guest_handle:
        return copy_to_guest(arg, current->domain->handle, sizeof(xen_domain_handle_t))
                   ? -EFAULT : 0;
    case XENVER_pagesize:
        return PAGE_SIZE;
    case XENVER_commandline: {
        /* Privileged, as in Xen: others read "<denied>" and no more. */
        static const char denied[] = "<denied>";
        if (!current->domain->is_privileged)
            return copy_to_guest(arg, denied, sizeof(denied)) ? -EFAULT : 0;
        return copy_to_guest(arg, cmdline_saved(), sizeof(xen_commandline_t)) ? -EFAULT : 0;
    }
    case XENVER_platform_parameters: {
        struct xen_platform_parameters p = { .virt_start = HYPERVISOR_VIRT_START };
        return copy_to_guest(arg, &p, sizeof(p)) ? -EFAULT : 0;
    }
    default:
        return -ENOSYS;
    }
}

/* ---- sysctl ---------------------------------------------------------------- */

/* Xen's checks, in Xen's order, and no op behind them (abi/sysctl.h). */
long do_sysctl(uint64_t arg)
{
    struct xen_sysctl op;

    if (copy_from_guest(&op, arg, sizeof(op)))
        return -EFAULT;
    if (op.interface_version != XEN_SYSCTL_INTERFACE_VERSION)
        return -EACCES;
    if (!current->domain->is_privileged)
        return -EPERM;
    return -ENOSYS;
}

/* ---- vm_assist ------------------------------------------------------------- */

long do_vm_assist(uint64_t cmd, uint64_t type)
{
    /* 4gb_segments means nothing to a 64-bit guest but Linux asks for it. */
    const unsigned long allowed = (1UL << VMASST_TYPE_4gb_segments) |
                                  (1UL << VMASST_TYPE_writable_pagetables) |
                                  (1UL << VMASST_TYPE_architectural_iopl) |
                                  (1UL << VMASST_TYPE_runstate_update_flag);

    if (type >= 64 || !(allowed & (1UL << type)))
        return -EINVAL;
    if (cmd == VMASST_CMD_enable)
        current->domain->vm_assist |= 1UL << type;
    else if (cmd == VMASST_CMD_disable)
        current->domain->vm_assist &= ~(1UL << type);
    else
        return -ENOSYS;
    return 0;
}
