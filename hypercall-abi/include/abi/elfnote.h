/* SPDX-License-Identifier: MIT */
/*
 * Types of the ELF notes (owner "Xen") a PV kernel image carries to tell the
 * domain builder where to load and enter it.  Linux 6.1 has no
 * HYPERCALL_PAGE note; the builder must not require one.
 */
#ifndef ABI_ELFNOTE_H
#define ABI_ELFNOTE_H

#define XEN_ELFNOTE_INFO                 0
#define XEN_ELFNOTE_ENTRY                1  /* entry VA */
#define XEN_ELFNOTE_HYPERCALL_PAGE       2  /* VA to fill with stubs */
#define XEN_ELFNOTE_VIRT_BASE            3  /* VA of pseudo-physical 0 */
#define XEN_ELFNOTE_PADDR_OFFSET         4
#define XEN_ELFNOTE_XEN_VERSION          5  /* string, "xen-3.0" */
#define XEN_ELFNOTE_GUEST_OS             6  /* string */
#define XEN_ELFNOTE_GUEST_VERSION        7  /* string */
#define XEN_ELFNOTE_LOADER               8  /* string, "generic" */
#define XEN_ELFNOTE_PAE_MODE             9  /* string, 32-bit only */
#define XEN_ELFNOTE_FEATURES            10  /* string, '|'-separated */
#define XEN_ELFNOTE_BSD_SYMTAB          11
#define XEN_ELFNOTE_HV_START_LOW        12
#define XEN_ELFNOTE_L1_MFN_VALID        13  /* mask, value */
#define XEN_ELFNOTE_SUSPEND_CANCEL      14
#define XEN_ELFNOTE_INIT_P2M            15  /* VA for the p2m list */
#define XEN_ELFNOTE_MOD_START_PFN       16  /* initrd may be passed as a pfn */
#define XEN_ELFNOTE_SUPPORTED_FEATURES  17  /* XENFEAT_* bitmap */
#define XEN_ELFNOTE_PHYS32_ENTRY        18  /* PVH only */
#define XEN_ELFNOTE_MAX                 XEN_ELFNOTE_PHYS32_ENTRY

/* Notes in crash dumps and core files. */
#define XEN_ELFNOTE_CRASH_INFO                0x1000001
#define XEN_ELFNOTE_CRASH_REGS                0x1000002
#define XEN_ELFNOTE_DUMPCORE_NONE             0x2000000
#define XEN_ELFNOTE_DUMPCORE_HEADER           0x2000001
#define XEN_ELFNOTE_DUMPCORE_XEN_VERSION      0x2000002
#define XEN_ELFNOTE_DUMPCORE_FORMAT_VERSION   0x2000003

#endif /* ABI_ELFNOTE_H */
