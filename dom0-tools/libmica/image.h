/* SPDX-License-Identifier: MIT */
/*
 * Loading a PV guest kernel in dom0 user space, as Xen's toolstack does:
 * the file may be a bzImage (Linux x86 boot protocol >= 2.08, payload
 * compressed with xz, gzip or zstd), a whole-file gzip, or a plain ELF64
 * vmlinux.  Whatever the wrapper, the result is an ELF64 x86-64
 * executable with Xen ELF notes, parsed and checked before any of it is
 * used.  The file is untrusted (a user's config names it): every length
 * and offset in it is checked, decompression stops at 1 GiB (Xen's cap),
 * and a refusal is one line naming what is wrong, starting "kernel: ".
 */
#ifndef LIBMICA_IMAGE_H
#define LIBMICA_IMAGE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define MICA_KERNEL_MAX_SEGMENTS 16
#define MICA_KERNEL_MAX_BYTES    (1ULL << 30)  /* decompressed */

/* ELF p_flags bits (gABI). */
#define MICA_PF_X 0x1
#define MICA_PF_W 0x2
#define MICA_PF_R 0x4

/* One PT_LOAD segment, placed by its physical address as Xen's loader
 * does: guest VA = VIRT_BASE + p_paddr - PADDR_OFFSET (Linux's percpu
 * segment has p_vaddr 0).  Sorted by vaddr, none empty, none overlapping. */
struct mica_segment {
    uint64_t offset;            /* in mica_kernel.elf */
    uint64_t filesz;            /* bytes to copy */
    uint64_t memsz;             /* bytes it occupies; the rest is zeroed (bss) */
    uint64_t vaddr;             /* where it goes in the guest */
    uint64_t paddr;             /* p_paddr as written */
    uint32_t flags;             /* MICA_PF_* */
};

/* The Xen notes (XEN_ELFNOTE_*), with the defaults Xen's elfnote.h
 * documents for absent ones: ENTRY = e_entry, VIRT_BASE 0, PADDR_OFFSET 0. */
struct mica_xen_notes {
    uint64_t entry;
    uint64_t virt_base;
    uint64_t paddr_offset;
    uint64_t hypercall_page;    /* VA; valid with has_hypercall_page */
    uint64_t init_p2m;          /* VA, 0 if absent */
    uint64_t hv_start_low;      /* 0 if absent */
    uint32_t supported_features;/* XENFEAT_* bitmap */
    bool has_hypercall_page;
    bool mod_start_pfn;         /* MOD_START_PFN != 0 */
    char xen_version[32];       /* must be "xen-3.0" */
    char guest_os[32];
    char guest_version[32];
    char loader[32];
    char pae_mode[32];
    char features[256];         /* '|'-separated; "!name" = required */
};

struct mica_kernel {
    uint8_t *elf;               /* the ELF image (malloc'ed, owned) */
    size_t elf_len;
    const char *format;         /* "ELF", "bzImage (xz)", "gzip", ... */
    struct mica_segment seg[MICA_KERNEL_MAX_SEGMENTS];
    unsigned int nr_seg;
    uint64_t virt_start;        /* lowest segment VA, page-aligned down */
    uint64_t virt_end;          /* end of the highest, page-aligned up */
    struct mica_xen_notes notes;
};

/* Load from file bytes [file, file + len) (copied: the caller keeps its
 * buffer).  0, or -1 with errno (EINVAL for a refused image, ENOMEM) and
 * why[] set; on failure *k holds nothing to free. */
int mica_kernel_load(const void *file, size_t len, struct mica_kernel *k,
                     char *why, size_t why_len);
/* The same from a path ("kernel: <path>: <strerror>" if it cannot be read). */
int mica_kernel_load_file(const char *path, struct mica_kernel *k, char *why, size_t why_len);
void mica_kernel_free(struct mica_kernel *k);

/* The two steps, for tests and tools: unwrap to an ELF (malloc'ed into
 * *out, format named), and parse an ELF already in k->elf/k->elf_len. */
int mica_kernel_unwrap(const uint8_t *file, size_t len, uint8_t **out, size_t *out_len,
                       const char **format, char *why, size_t why_len);
int mica_kernel_parse(struct mica_kernel *k, char *why, size_t why_len);

/* Read a whole file into a malloc'ed buffer, at most max bytes: 0, or -1
 * with errno (EFBIG beyond max) and why[] = "<what>: <path>: <reason>". */
int mica_read_file(const char *what, const char *path, size_t max, uint8_t **out,
                   size_t *len, char *why, size_t why_len);

#endif /* LIBMICA_IMAGE_H */
