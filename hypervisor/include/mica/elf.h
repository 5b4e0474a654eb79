/* SPDX-License-Identifier: MIT */
/*
 * Loading a PV guest kernel image: an ELF64 x86-64 executable with Xen ELF
 * notes (owner "Xen", types from abi/elfnote.h).  elf_parse() checks the
 * whole image before anything uses it -- the image comes from the boot
 * loader or, later, from the toolstack, so it is untrusted input -- and
 * describes what the domain builder must load and where.  Pure code:
 * host-tested and fuzzed (hypervisor/tests/).
 */
#ifndef MICA_ELF_H
#define MICA_ELF_H

#include <mica/types.h>

#define ELF_MAX_SEGMENTS 16

/* p_flags bits of a segment (ELF gABI). */
#define ELF_PF_X 0x1
#define ELF_PF_W 0x2
#define ELF_PF_R 0x4

/* One PT_LOAD segment, placed by its physical address as Xen's libelf
 * does: guest VA = virt_base + paddr - paddr_offset.  elf_parse() returns
 * them sorted by vaddr, none empty, none overlapping. */
struct elf_segment {
    uint64_t offset;        /* in the image */
    uint64_t filesz;        /* bytes to copy from the image */
    uint64_t memsz;         /* bytes to occupy (memsz >= filesz; rest zeroed) */
    uint64_t vaddr;         /* guest virtual address where it goes */
    uint64_t paddr;         /* p_paddr as written in the image */
    uint32_t flags;         /* ELF_PF_* */
};

/* The Xen notes Mica uses (names after XEN_ELFNOTE_*). */
struct elf_xen_notes {
    uint64_t entry;             /* ENTRY: where the vCPU starts */
    uint64_t virt_base;         /* VIRT_BASE: guest pseudo-physical 0 */
    uint64_t paddr_offset;      /* PADDR_OFFSET (default 0) */
    uint64_t hypercall_page;    /* HYPERCALL_PAGE VA, 0 if absent */
    uint64_t hv_start_low;      /* HV_START_LOW, 0 if absent */
    uint64_t init_p2m;          /* INIT_P2M VA, 0 if absent */
    uint32_t supported_features;/* SUPPORTED_FEATURES bitmap (XENFEAT_*) */
    bool has_entry, has_virt_base;
    bool mod_start_pfn;         /* MOD_START_PFN != 0: initrd may go by PFN */
    char guest_os[32];          /* GUEST_OS, "" if absent */
    char xen_version[32];       /* XEN_VERSION, "" if absent */
    char features[128];         /* FEATURES string, "" if absent */
};

struct elf_image {
    struct elf_segment seg[ELF_MAX_SEGMENTS];
    unsigned int nr_seg;
    uint64_t virt_start;        /* lowest guest VA of any segment, page-aligned down */
    uint64_t virt_end;          /* highest guest VA (exclusive), page-aligned up */
    struct elf_xen_notes notes;
};

/*
 * Parse and check the image [img, img + len).  Returns 0, or -1 with
 * why[why_len] set to one line naming the problem: not ELF, not 64-bit,
 * not little-endian x86-64 EXEC, headers or segments outside the image,
 * no PT_LOAD, too many segments, overlapping segments, filesz > memsz,
 * address arithmetic that wraps, a segment (or the span from VIRT_BASE to
 * virt_end) in the hypervisor hole or not canonical, missing or
 * contradictory notes (no "Xen" notes, malformed notes, no ENTRY, ENTRY
 * outside every executable segment, VIRT_BASE missing or not page-aligned,
 * XEN_VERSION other than "xen-3.0", HV_START_LOW not 0xffff800000000000,
 * a HYPERCALL_PAGE outside the image, a FEATURES string requiring ("!") a
 * feature Mica does not support).  On failure *out is unspecified.
 */
int elf_parse(const void *img, size_t len, struct elf_image *out, char *why,
              size_t why_len);

#endif /* MICA_ELF_H */
