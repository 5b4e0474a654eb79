/* SPDX-License-Identifier: MIT */
/*
 * The ELF64 checks of a PV kernel in dom0 (image.h), the same rules the
 * hypervisor's boot-time loader applies (hypervisor/common/elf.c), so that
 * `xl create` accepts what Mica boots and nothing else: file header,
 * program headers, PT_LOAD bounds, the "Xen" notes (PT_NOTE segments, else
 * SHT_NOTE sections), the notes' own rules, then the placement of each
 * segment at VIRT_BASE + p_paddr - PADDR_OFFSET.  The image is untrusted
 * and unaligned: fields are copied out with memcpy, and every offset and
 * size is checked against the image with arithmetic that cannot wrap.
 * The ELF layouts are written from the ELF-64 object file specification.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <abi/elfnote.h>

#include "image.h"

struct ehdr {
    uint8_t  ident[16];
    uint16_t type, machine;
    uint32_t version;
    uint64_t entry, phoff, shoff;
    uint32_t flags;
    uint16_t ehsize, phentsize, phnum, shentsize, shnum, shstrndx;
};
_Static_assert(sizeof(struct ehdr) == 64, "ELF64 file header");

struct phdr {
    uint32_t type, flags;
    uint64_t offset, vaddr, paddr, filesz, memsz, align;
};
_Static_assert(sizeof(struct phdr) == 56, "ELF64 program header");

struct shdr {
    uint32_t name, type;
    uint64_t flags, addr, offset, size;
    uint32_t link, info;
    uint64_t addralign, entsize;
};
_Static_assert(sizeof(struct shdr) == 64, "ELF64 section header");

struct nhdr {
    uint32_t namesz, descsz, type;
};

#define PT_LOAD  1
#define PT_NOTE  4
#define SHT_NOTE 7
#define PAGE     4096ULL

/* Guest VAs a PV kernel may not use: the non-canonical gap and the
 * hypervisor's L4 slots 256-271 (Xen's ABI). */
#define CANON_LOW_END 0x0000800000000000ULL
#define HV_HOLE_START 0xffff800000000000ULL
#define HV_HOLE_END   0xffff880000000000ULL
#define VA_LIMIT      (0ULL - PAGE)     /* an end that still rounds up */

/* Required ("!name") features Mica honours; see the hypervisor's list. */
static const char *const supported[] = {
    "writable_page_tables", "pae_pgdir_above_4gb", "dom0", "gnttab_map_avail_bits",
    "mmu_pt_update_preserve_ad",
};

struct parse {
    struct mica_kernel *k;
    const uint8_t *img;
    size_t len;
    char *why;
    size_t why_len;
    bool any_xen_note;
    const uint8_t *desc[XEN_ELFNOTE_MAX + 1];   /* first of each note */
    uint32_t descsz[XEN_ELFNOTE_MAX + 1];
};

static int fail(struct parse *p, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int fail(struct parse *p, const char *fmt, ...)
{
    va_list ap;
    int n = 0;

    if (p->why && p->why_len) {
        n = snprintf(p->why, p->why_len, "kernel: ");
        va_start(ap, fmt);
        if (n >= 0 && (size_t)n < p->why_len)
            vsnprintf(p->why + n, p->why_len - (size_t)n, fmt, ap);
        va_end(ap);
    }
    errno = EINVAL;
    return -1;
}

static bool in_image(const struct parse *p, uint64_t off, uint64_t size)
{
    return off <= p->len && size <= p->len - off;
}

static bool outside_hole(uint64_t start, uint64_t end)
{
    return end <= CANON_LOW_END || start >= HV_HOLE_END;
}

static uint64_t rd_le(const uint8_t *b, size_t n)
{
    uint64_t v = 0;

    while (n--)
        v = v << 8 | b[n];
    return v;
}

/* Image text in a message: bounded and printable. */
static const char *printable(char *dst, size_t dst_len, const char *src, size_t n)
{
    size_t i;

    for (i = 0; i < n && src[i] && i + 1 < dst_len; i++)
        dst[i] = src[i] >= 0x20 && src[i] < 0x7f ? src[i] : '?';
    dst[i] = 0;
    return dst;
}

static int check_ehdr(struct parse *p, struct ehdr *eh)
{
    if (p->len < sizeof(*eh) || memcmp(p->img, "\177ELF", 4) != 0)
        return fail(p, "not an ELF64 x86-64 image");
    memcpy(eh, p->img, sizeof(*eh));
    if (eh->ident[4] != 2 || eh->ident[5] != 1 || eh->machine != 62)
        return fail(p, "not an ELF64 x86-64 image (class %u, data %u, machine %u)",
                    eh->ident[4], eh->ident[5], eh->machine);
    if (eh->ident[6] != 1 || eh->version != 1)
        return fail(p, "unknown ELF version");
    if (eh->type != 2)
        return fail(p, "not an executable ELF image (type %u)", eh->type);
    if (eh->phentsize != sizeof(struct phdr))
        return fail(p, "program header size %u is not %zu", eh->phentsize, sizeof(struct phdr));
    if (!in_image(p, eh->phoff, (uint64_t)eh->phnum * sizeof(struct phdr)))
        return fail(p, "program headers lie outside the image");
    return 0;
}

static void read_phdr(const struct parse *p, const struct ehdr *eh, unsigned int i,
                      struct phdr *ph)
{
    memcpy(ph, p->img + eh->phoff + (uint64_t)i * sizeof(*ph), sizeof(*ph));
}

static int collect_segments(struct parse *p, const struct ehdr *eh)
{
    struct mica_kernel *k = p->k;

    for (unsigned int i = 0; i < eh->phnum; i++) {
        struct phdr ph;

        read_phdr(p, eh, i, &ph);
        if (ph.type != PT_LOAD)
            continue;
        if (ph.filesz > ph.memsz)
            return fail(p, "segment %u: filesz %#llx > memsz %#llx", i,
                        (unsigned long long)ph.filesz, (unsigned long long)ph.memsz);
        if (!in_image(p, ph.offset, ph.filesz))
            return fail(p, "segment %u lies outside the image", i);
        if (ph.memsz == 0)
            continue;
        if (k->nr_seg == MICA_KERNEL_MAX_SEGMENTS)
            return fail(p, "more than %u loadable segments", MICA_KERNEL_MAX_SEGMENTS);
        k->seg[k->nr_seg++] = (struct mica_segment){
            .offset = ph.offset, .filesz = ph.filesz, .memsz = ph.memsz, .paddr = ph.paddr,
            .flags = ph.flags,
        };
    }
    if (!k->nr_seg)
        return fail(p, "no loadable (PT_LOAD) segment");
    return 0;
}

static int note_string(struct parse *p, const char *name, const uint8_t *desc, uint32_t n,
                       char *dst, size_t dst_len, bool may_truncate)
{
    size_t len = strnlen((const char *)desc, n);    /* FEATURES has no NUL */

    if (len >= dst_len && !may_truncate)
        return fail(p, "%s note is longer than %zu characters", name, dst_len - 1);
    len = len < dst_len - 1 ? len : dst_len - 1;
    memcpy(dst, desc, len);
    dst[len] = 0;
    return 0;
}

static const char *const note_names[XEN_ELFNOTE_MAX + 1] = {
    [XEN_ELFNOTE_ENTRY] = "ENTRY", [XEN_ELFNOTE_HYPERCALL_PAGE] = "HYPERCALL_PAGE",
    [XEN_ELFNOTE_VIRT_BASE] = "VIRT_BASE", [XEN_ELFNOTE_PADDR_OFFSET] = "PADDR_OFFSET",
    [XEN_ELFNOTE_XEN_VERSION] = "XEN_VERSION", [XEN_ELFNOTE_GUEST_OS] = "GUEST_OS",
    [XEN_ELFNOTE_GUEST_VERSION] = "GUEST_VERSION", [XEN_ELFNOTE_LOADER] = "LOADER",
    [XEN_ELFNOTE_PAE_MODE] = "PAE_MODE", [XEN_ELFNOTE_FEATURES] = "FEATURES",
    [XEN_ELFNOTE_HV_START_LOW] = "HV_START_LOW", [XEN_ELFNOTE_INIT_P2M] = "INIT_P2M",
    [XEN_ELFNOTE_MOD_START_PFN] = "MOD_START_PFN",
    [XEN_ELFNOTE_SUPPORTED_FEATURES] = "SUPPORTED_FEATURES",
};

static int number_note(struct parse *p, uint32_t type, uint64_t v)
{
    struct mica_xen_notes *n = &p->k->notes;

    switch (type) {
    case XEN_ELFNOTE_ENTRY:          n->entry = v; break;
    case XEN_ELFNOTE_HYPERCALL_PAGE: n->hypercall_page = v; n->has_hypercall_page = true; break;
    case XEN_ELFNOTE_VIRT_BASE:      n->virt_base = v; break;
    case XEN_ELFNOTE_PADDR_OFFSET:   n->paddr_offset = v; break;
    case XEN_ELFNOTE_HV_START_LOW:   n->hv_start_low = v; break;
    case XEN_ELFNOTE_INIT_P2M:       n->init_p2m = v; break;
    case XEN_ELFNOTE_MOD_START_PFN:  n->mod_start_pfn = v != 0; break;
    case XEN_ELFNOTE_SUPPORTED_FEATURES:
        if (v > UINT32_MAX)
            return fail(p, "SUPPORTED_FEATURES note does not fit 32 bits");
        n->supported_features = (uint32_t)v;
        break;
    }
    return 0;
}

static int xen_note(struct parse *p, uint32_t type, const uint8_t *desc, uint32_t descsz)
{
    struct mica_xen_notes *n = &p->k->notes;

    p->any_xen_note = true;
    if (type > XEN_ELFNOTE_MAX || !note_names[type])
        return 0;
    const char *name = note_names[type];
    if (p->desc[type]) {            /* two note segments may list the same notes */
        if (p->descsz[type] != descsz || memcmp(p->desc[type], desc, descsz) != 0)
            return fail(p, "contradictory %s notes", name);
        return 0;
    }
    p->desc[type] = desc;
    p->descsz[type] = descsz;
    switch (type) {
    case XEN_ELFNOTE_XEN_VERSION:
        return note_string(p, name, desc, descsz, n->xen_version, sizeof(n->xen_version), true);
    case XEN_ELFNOTE_GUEST_OS:
        return note_string(p, name, desc, descsz, n->guest_os, sizeof(n->guest_os), true);
    case XEN_ELFNOTE_GUEST_VERSION:
        return note_string(p, name, desc, descsz, n->guest_version, sizeof(n->guest_version),
                           true);
    case XEN_ELFNOTE_LOADER:
        return note_string(p, name, desc, descsz, n->loader, sizeof(n->loader), true);
    case XEN_ELFNOTE_PAE_MODE:
        return note_string(p, name, desc, descsz, n->pae_mode, sizeof(n->pae_mode), true);
    case XEN_ELFNOTE_FEATURES:      /* cutting it could hide a required feature */
        return note_string(p, name, desc, descsz, n->features, sizeof(n->features), false);
    }
    if (descsz != 4 && descsz != 8)
        return fail(p, "%s note has a %u-byte value (want 4 or 8)", name, descsz);
    return number_note(p, type, rd_le(desc, descsz));
}

/* Notes in [off, off + size), already bounds-checked; name and desc each
 * start on an `align` boundary (4, or 8 where the section says so). */
static int walk_notes(struct parse *p, uint64_t off, uint64_t size, uint64_t align)
{
    const uint8_t *base = p->img + off;
    uint64_t pos = 0;

    while (pos < size) {
        struct nhdr nh;

        if (size - pos < sizeof(nh))
            return fail(p, "note header at offset %#llx is truncated",
                        (unsigned long long)(off + pos));
        memcpy(&nh, base + pos, sizeof(nh));
        /* Every term is below 2^33 + size: nothing wraps. */
        uint64_t name = pos + sizeof(nh);
        uint64_t desc = (name + nh.namesz + align - 1) & ~(align - 1);
        if (desc > size || nh.descsz > size - desc)
            return fail(p, "note at offset %#llx runs past the end of its section",
                        (unsigned long long)(off + pos));
        if (nh.namesz == 4 && memcmp(base + name, "Xen", 4) == 0 &&
            xen_note(p, nh.type, base + desc, nh.descsz) < 0)
            return -1;
        pos = (desc + nh.descsz + align - 1) & ~(align - 1);
    }
    return 0;
}

static int find_notes(struct parse *p, const struct ehdr *eh)
{
    bool have_pt_note = false;

    for (unsigned int i = 0; i < eh->phnum; i++) {
        struct phdr ph;

        read_phdr(p, eh, i, &ph);
        if (ph.type != PT_NOTE)
            continue;
        have_pt_note = true;
        if (!in_image(p, ph.offset, ph.filesz))
            return fail(p, "note segment %u lies outside the image", i);
        if (walk_notes(p, ph.offset, ph.filesz, ph.align == 8 ? 8 : 4) < 0)
            return -1;
    }
    /* Without PT_NOTE, SHT_NOTE sections if the section table is usable. */
    if (!have_pt_note && eh->shnum && eh->shentsize == sizeof(struct shdr) &&
        in_image(p, eh->shoff, (uint64_t)eh->shnum * sizeof(struct shdr))) {
        for (unsigned int i = 0; i < eh->shnum; i++) {
            struct shdr sh;

            memcpy(&sh, p->img + eh->shoff + (uint64_t)i * sizeof(sh), sizeof(sh));
            if (sh.type != SHT_NOTE)
                continue;
            if (!in_image(p, sh.offset, sh.size))
                return fail(p, "note section %u lies outside the image", i);
            if (walk_notes(p, sh.offset, sh.size, sh.addralign == 8 ? 8 : 4) < 0)
                return -1;
        }
    }
    if (!p->any_xen_note)
        return fail(p, "no Xen notes: not a PV kernel");
    return 0;
}

static int check_features(struct parse *p, const char *s)
{
    while (*s) {
        size_t n = strcspn(s, "|");

        if (s[0] == '!' && n > 1) {
            bool ok = false;
            for (size_t i = 0; i < sizeof(supported) / sizeof(supported[0]); i++)
                ok |= strlen(supported[i]) == n - 1 && !memcmp(supported[i], s + 1, n - 1);
            if (!ok) {
                char name[48];
                return fail(p, "requires feature '%s', which Mica does not support",
                            printable(name, sizeof(name), s + 1, n - 1 < 47 ? n - 1 : 47));
            }
        }
        s += s[n] ? n + 1 : n;
    }
    return 0;
}

static int check_notes(struct parse *p)
{
    const struct mica_xen_notes *n = &p->k->notes;
    char v[sizeof(n->xen_version)];

    if (n->virt_base % PAGE)
        return fail(p, "VIRT_BASE %#llx is not page-aligned", (unsigned long long)n->virt_base);
    if (strcmp(n->xen_version, "xen-3.0") != 0)
        return fail(p, "XEN_VERSION is \"%s\", not \"xen-3.0\"",
                    printable(v, sizeof(v), n->xen_version, sizeof(v)));
    if (p->desc[XEN_ELFNOTE_HV_START_LOW] && n->hv_start_low != HV_HOLE_START)
        return fail(p, "HV_START_LOW %#llx is not %#llx", (unsigned long long)n->hv_start_low,
                    HV_HOLE_START);
    if (n->init_p2m && (n->init_p2m % PAGE || !outside_hole(n->init_p2m, n->init_p2m + 1)))
        return fail(p, "INIT_P2M %#llx is unaligned, non-canonical or in the hypervisor hole",
                    (unsigned long long)n->init_p2m);
    return check_features(p, n->features);
}

static int place_segments(struct parse *p)
{
    struct mica_kernel *k = p->k;
    const struct mica_xen_notes *n = &k->notes;

    for (unsigned int i = 0; i < k->nr_seg; i++) {
        struct mica_segment *s = &k->seg[i];

        if (s->paddr < n->paddr_offset)
            return fail(p, "segment paddr %#llx is below PADDR_OFFSET %#llx",
                        (unsigned long long)s->paddr, (unsigned long long)n->paddr_offset);
        uint64_t rel = s->paddr - n->paddr_offset;
        if (n->virt_base > VA_LIMIT || rel > VA_LIMIT - n->virt_base ||
            s->memsz > VA_LIMIT - (n->virt_base + rel))
            return fail(p, "segment at paddr %#llx wraps the address space",
                        (unsigned long long)s->paddr);
        s->vaddr = n->virt_base + rel;
        if (!outside_hole(s->vaddr, s->vaddr + s->memsz))
            return fail(p, "segment at %#llx-%#llx is non-canonical or in the hypervisor hole",
                        (unsigned long long)s->vaddr, (unsigned long long)(s->vaddr + s->memsz));
    }
    for (unsigned int i = 1; i < k->nr_seg; i++) {   /* insertion sort by vaddr */
        struct mica_segment s = k->seg[i];
        unsigned int j = i;
        for (; j > 0 && k->seg[j - 1].vaddr > s.vaddr; j--)
            k->seg[j] = k->seg[j - 1];
        k->seg[j] = s;
    }
    for (unsigned int i = 1; i < k->nr_seg; i++)
        if (k->seg[i - 1].vaddr + k->seg[i - 1].memsz > k->seg[i].vaddr)
            return fail(p, "segments at %#llx and %#llx overlap",
                        (unsigned long long)k->seg[i - 1].vaddr,
                        (unsigned long long)k->seg[i].vaddr);
    const struct mica_segment *last = &k->seg[k->nr_seg - 1];
    k->virt_start = k->seg[0].vaddr & ~(PAGE - 1);
    k->virt_end = (last->vaddr + last->memsz + PAGE - 1) & ~(PAGE - 1);
    if (k->virt_start < n->virt_base)
        return fail(p, "segment at %#llx lies below VIRT_BASE %#llx",
                    (unsigned long long)k->virt_start, (unsigned long long)n->virt_base);
    if (!outside_hole(n->virt_base, k->virt_end))
        return fail(p, "image %#llx-%#llx spans the hypervisor hole",
                    (unsigned long long)n->virt_base, (unsigned long long)k->virt_end);
    return 0;
}

static bool in_segment(const struct mica_kernel *k, uint64_t va, uint64_t size, uint32_t need)
{
    for (unsigned int i = 0; i < k->nr_seg; i++) {
        const struct mica_segment *s = &k->seg[i];
        if ((s->flags & need) == need && va >= s->vaddr && va - s->vaddr < s->memsz &&
            size <= s->memsz - (va - s->vaddr))
            return true;
    }
    return false;
}

int mica_kernel_parse(struct mica_kernel *k, char *why, size_t why_len)
{
    struct parse p = { .k = k, .img = k->elf, .len = k->elf ? k->elf_len : 0, .why = why,
                       .why_len = why_len };
    struct ehdr eh;

    k->nr_seg = 0;
    memset(&k->notes, 0, sizeof(k->notes));
    if (check_ehdr(&p, &eh) || collect_segments(&p, &eh) || find_notes(&p, &eh))
        return -1;
    if (!p.desc[XEN_ELFNOTE_ENTRY])
        k->notes.entry = eh.entry;  /* Xen's documented default */
    if (check_notes(&p) || place_segments(&p))
        return -1;
    if (!in_segment(k, k->notes.entry, 1, MICA_PF_X))
        return fail(&p, "ENTRY %#llx is not inside an executable segment",
                    (unsigned long long)k->notes.entry);
    if (k->notes.has_hypercall_page &&
        (k->notes.hypercall_page % PAGE || !in_segment(k, k->notes.hypercall_page, PAGE, 0)))
        return fail(&p, "HYPERCALL_PAGE %#llx is not a page inside the image",
                    (unsigned long long)k->notes.hypercall_page);
    return 0;
}

int mica_kernel_load(const void *file, size_t len, struct mica_kernel *k, char *why,
                     size_t why_len)
{
    memset(k, 0, sizeof(*k));
    if (why && why_len)
        why[0] = 0;
    if (mica_kernel_unwrap(file, len, &k->elf, &k->elf_len, &k->format, why, why_len))
        return -1;
    if (mica_kernel_parse(k, why, why_len)) {
        int e = errno;
        mica_kernel_free(k);
        errno = e;
        return -1;
    }
    return 0;
}

int mica_kernel_load_file(const char *path, struct mica_kernel *k, char *why, size_t why_len)
{
    uint8_t *buf;
    size_t len;

    memset(k, 0, sizeof(*k));
    /* A compressed kernel is far smaller than the 1 GiB its ELF may reach. */
    if (mica_read_file("kernel", path, MICA_KERNEL_MAX_BYTES, &buf, &len, why, why_len))
        return -1;
    int rc = mica_kernel_load(buf, len, k, why, why_len);
    int e = errno;
    free(buf);
    errno = e;
    return rc;
}

void mica_kernel_free(struct mica_kernel *k)
{
    free(k->elf);
    memset(k, 0, sizeof(*k));
}
