/* SPDX-License-Identifier: MIT */
/*
 * ELF64 loader checks for PV guest kernels.  The image is untrusted and may
 * sit at any alignment, so every multi-byte field is copied out with
 * memcpy, and every offset and size is checked against [img, img + len)
 * with arithmetic that cannot wrap before the bytes are touched.  The order
 * is: file header, program headers (PT_LOAD bounds), the Xen notes (from
 * PT_NOTE segments, else SHT_NOTE sections), the notes' own rules, and last
 * the placement of each segment at virt_base + p_paddr - paddr_offset.
 * Absent notes take the defaults Xen's public elfnote.h documents: ENTRY is
 * the ELF header's e_entry, VIRT_BASE and PADDR_OFFSET are 0 (XTF's test
 * kernels carry neither ENTRY nor VIRT_BASE).  Placement is by
 * p_paddr because Linux's percpu segment has p_vaddr 0.  The ELF layouts
 * below are written from the ELF-64 object file format specification.
 */
#include <stdarg.h>
#include <abi/elfnote.h>
#include <mica/elf.h>
#include <mica/printk.h>
#include <mica/string.h>

struct elf64_ehdr {
    uint8_t  e_ident[16];
    uint16_t e_type;
    uint16_t e_machine;
    uint32_t e_version;
    uint64_t e_entry;
    uint64_t e_phoff;
    uint64_t e_shoff;
    uint32_t e_flags;
    uint16_t e_ehsize;
    uint16_t e_phentsize;
    uint16_t e_phnum;
    uint16_t e_shentsize;
    uint16_t e_shnum;
    uint16_t e_shstrndx;
};
_Static_assert(sizeof(struct elf64_ehdr) == 64, "ELF64 file header");

struct elf64_phdr {
    uint32_t p_type;
    uint32_t p_flags;
    uint64_t p_offset;
    uint64_t p_vaddr;
    uint64_t p_paddr;
    uint64_t p_filesz;
    uint64_t p_memsz;
    uint64_t p_align;
};
_Static_assert(sizeof(struct elf64_phdr) == 56, "ELF64 program header");

struct elf64_shdr {
    uint32_t sh_name;
    uint32_t sh_type;
    uint64_t sh_flags;
    uint64_t sh_addr;
    uint64_t sh_offset;
    uint64_t sh_size;
    uint32_t sh_link;
    uint32_t sh_info;
    uint64_t sh_addralign;
    uint64_t sh_entsize;
};
_Static_assert(sizeof(struct elf64_shdr) == 64, "ELF64 section header");

struct elf64_nhdr {
    uint32_t n_namesz;
    uint32_t n_descsz;
    uint32_t n_type;
};
_Static_assert(sizeof(struct elf64_nhdr) == 12, "ELF note header");

#define ELFCLASS64   2
#define ELFDATA2LSB  1
#define EV_CURRENT   1
#define ET_EXEC      2
#define EM_X86_64    62
#define PT_LOAD      1
#define PT_NOTE      4
#define SHT_NOTE     7

/* Guest VAs a PV kernel may not use: the non-canonical gap, and the hole
 * Xen's ABI reserves for the hypervisor (L4 slots 256-271). */
#define CANON_LOW_END  0x0000800000000000ULL
#define HV_HOLE_START  0xffff800000000000ULL
#define HV_HOLE_END    0xffff880000000000ULL
/* Highest end a segment may have so that virt_end rounds up without wrapping. */
#define VA_LIMIT       (0ULL - PAGE_SIZE)

/* Names from the FEATURES note that Mica can honour when a kernel marks
 * them required ("!name").  Anything else required is refused. */
static const char *const supported_features[] = {
    "writable_page_tables",
    "pae_pgdir_above_4gb",
    "dom0",
    "gnttab_map_avail_bits",
    "mmu_pt_update_preserve_ad",
};

enum note_kind { NOTE_IGNORED, NOTE_NUMBER, NOTE_STRING };

/* The Xen note types elf_parse() interprets; the rest are skipped. */
static const struct {
    const char *name;
    enum note_kind kind;
} xen_notes[XEN_ELFNOTE_MAX + 1] = {
    [XEN_ELFNOTE_ENTRY]              = { "ENTRY",              NOTE_NUMBER },
    [XEN_ELFNOTE_HYPERCALL_PAGE]     = { "HYPERCALL_PAGE",     NOTE_NUMBER },
    [XEN_ELFNOTE_VIRT_BASE]          = { "VIRT_BASE",          NOTE_NUMBER },
    [XEN_ELFNOTE_PADDR_OFFSET]       = { "PADDR_OFFSET",       NOTE_NUMBER },
    [XEN_ELFNOTE_XEN_VERSION]        = { "XEN_VERSION",        NOTE_STRING },
    [XEN_ELFNOTE_GUEST_OS]           = { "GUEST_OS",           NOTE_STRING },
    [XEN_ELFNOTE_FEATURES]           = { "FEATURES",           NOTE_STRING },
    [XEN_ELFNOTE_HV_START_LOW]       = { "HV_START_LOW",       NOTE_NUMBER },
    [XEN_ELFNOTE_INIT_P2M]           = { "INIT_P2M",           NOTE_NUMBER },
    [XEN_ELFNOTE_MOD_START_PFN]      = { "MOD_START_PFN",      NOTE_NUMBER },
    [XEN_ELFNOTE_SUPPORTED_FEATURES] = { "SUPPORTED_FEATURES", NOTE_NUMBER },
};

struct parse {
    const uint8_t *img;
    size_t len;
    struct elf_image *out;
    char *why;
    size_t why_len;
    bool any_xen_note;
    /* First occurrence of each interpreted note, so a repeat can be told
     * apart from a contradiction. */
    const uint8_t *desc[XEN_ELFNOTE_MAX + 1];
    uint32_t descsz[XEN_ELFNOTE_MAX + 1];
};

static int fail(struct parse *p, const char *fmt, ...) __printf(2, 3);
static int fail(struct parse *p, const char *fmt, ...)
{
    va_list ap;

    if (p->why && p->why_len) {
        va_start(ap, fmt);
        mica_vsnprintf(p->why, p->why_len, fmt, ap);
        va_end(ap);
    }
    return -1;
}

/* [off, off + size) lies inside the image; written so it cannot wrap. */
static bool in_image(const struct parse *p, uint64_t off, uint64_t size)
{
    return off <= p->len && size <= p->len - off;
}

static bool canonical_outside_hole(uint64_t start, uint64_t end)
{
    return end <= CANON_LOW_END || start >= HV_HOLE_END;
}

static uint64_t rd_le(const uint8_t *b, size_t n)
{
    uint64_t v = 0;

    while (n--)
        v = (v << 8) | b[n];
    return v;
}

static int check_ehdr(struct parse *p, struct elf64_ehdr *eh)
{
    if (p->len < sizeof(*eh) || memcmp(p->img, "\177ELF", 4) != 0)
        return fail(p, "not an ELF image");
    memcpy(eh, p->img, sizeof(*eh));
    if (eh->e_ident[4] != ELFCLASS64)
        return fail(p, "not a 64-bit ELF image (class %u)", eh->e_ident[4]);
    if (eh->e_ident[5] != ELFDATA2LSB)
        return fail(p, "not a little-endian ELF image");
    if (eh->e_ident[6] != EV_CURRENT || eh->e_version != EV_CURRENT)
        return fail(p, "unknown ELF version");
    if (eh->e_machine != EM_X86_64)
        return fail(p, "not an x86-64 ELF image (machine %u)", eh->e_machine);
    if (eh->e_type != ET_EXEC)
        return fail(p, "not an executable ELF image (type %u)", eh->e_type);
    if (eh->e_phentsize != sizeof(struct elf64_phdr))
        return fail(p, "program header size %u is not %zu", eh->e_phentsize,
                    sizeof(struct elf64_phdr));
    /* e_phnum is 16 bits, so the product cannot overflow. */
    if (!in_image(p, eh->e_phoff, (uint64_t)eh->e_phnum * sizeof(struct elf64_phdr)))
        return fail(p, "program headers lie outside the image");
    return 0;
}

static void read_phdr(const struct parse *p, const struct elf64_ehdr *eh,
                      unsigned int i, struct elf64_phdr *ph)
{
    memcpy(ph, p->img + eh->e_phoff + (uint64_t)i * sizeof(*ph), sizeof(*ph));
}

/* Bounds of every PT_LOAD; the non-empty ones are kept (placed later). */
static int collect_segments(struct parse *p, const struct elf64_ehdr *eh)
{
    for (unsigned int i = 0; i < eh->e_phnum; i++) {
        struct elf64_phdr ph;

        read_phdr(p, eh, i, &ph);
        if (ph.p_type != PT_LOAD)
            continue;
        if (ph.p_filesz > ph.p_memsz)
            return fail(p, "segment %u: filesz %#llx > memsz %#llx", i,
                        (unsigned long long)ph.p_filesz,
                        (unsigned long long)ph.p_memsz);
        if (!in_image(p, ph.p_offset, ph.p_filesz))
            return fail(p, "segment %u lies outside the image", i);
        if (ph.p_memsz == 0)
            continue;               /* occupies nothing */
        if (p->out->nr_seg == ELF_MAX_SEGMENTS)
            return fail(p, "more than %u loadable segments", ELF_MAX_SEGMENTS);
        p->out->seg[p->out->nr_seg++] = (struct elf_segment){
            .offset = ph.p_offset, .filesz = ph.p_filesz, .memsz = ph.p_memsz,
            .paddr = ph.p_paddr, .flags = ph.p_flags,
        };
    }
    if (p->out->nr_seg == 0)
        return fail(p, "no loadable (PT_LOAD) segment");
    return 0;
}

/* A string note is its desc up to the first NUL or the end of desc:
 * Linux's FEATURES note, for one, carries no terminator. */
static int note_string(struct parse *p, const char *name, const uint8_t *desc,
                       uint32_t descsz, char *dst, size_t dst_len, bool may_truncate)
{
    size_t n = strnlen((const char *)desc, descsz);

    if (n >= dst_len && !may_truncate)
        return fail(p, "%s note is longer than %zu characters", name, dst_len - 1);
    n = MIN(n, dst_len - 1);
    memcpy(dst, desc, n);
    dst[n] = '\0';
    return 0;
}

static int note_number(struct parse *p, unsigned int type, uint64_t v)
{
    struct elf_xen_notes *n = &p->out->notes;

    switch (type) {
    case XEN_ELFNOTE_ENTRY:         n->entry = v; n->has_entry = true; break;
    case XEN_ELFNOTE_HYPERCALL_PAGE: n->hypercall_page = v; break;
    case XEN_ELFNOTE_VIRT_BASE:     n->virt_base = v; n->has_virt_base = true; break;
    case XEN_ELFNOTE_PADDR_OFFSET:  n->paddr_offset = v; break;
    case XEN_ELFNOTE_HV_START_LOW:  n->hv_start_low = v; break;
    case XEN_ELFNOTE_INIT_P2M:      n->init_p2m = v; break;
    case XEN_ELFNOTE_MOD_START_PFN: n->mod_start_pfn = v != 0; break;
    case XEN_ELFNOTE_SUPPORTED_FEATURES:
        if (v > UINT32_MAX)
            return fail(p, "SUPPORTED_FEATURES note does not fit 32 bits");
        n->supported_features = (uint32_t)v;
        break;
    }
    return 0;
}

static int xen_note(struct parse *p, uint32_t type, const uint8_t *desc,
                    uint32_t descsz)
{
    struct elf_xen_notes *n = &p->out->notes;

    p->any_xen_note = true;
    if (type > XEN_ELFNOTE_MAX || xen_notes[type].kind == NOTE_IGNORED)
        return 0;
    const char *name = xen_notes[type].name;
    if (p->desc[type]) {
        /* Seen before (two note segments may cover the same notes). */
        if (p->descsz[type] != descsz || memcmp(p->desc[type], desc, descsz) != 0)
            return fail(p, "contradictory %s notes", name);
        return 0;
    }
    p->desc[type] = desc;
    p->descsz[type] = descsz;

    if (xen_notes[type].kind == NOTE_NUMBER) {
        if (descsz != 4 && descsz != 8)
            return fail(p, "%s note has a %u-byte value (want 4 or 8)", name, descsz);
        return note_number(p, type, rd_le(desc, descsz));
    }
    switch (type) {
    case XEN_ELFNOTE_XEN_VERSION:
        return note_string(p, name, desc, descsz, n->xen_version,
                           sizeof(n->xen_version), true);
    case XEN_ELFNOTE_GUEST_OS:
        return note_string(p, name, desc, descsz, n->guest_os,
                           sizeof(n->guest_os), true);
    default:
        /* Truncating FEATURES could hide a required feature: refuse. */
        return note_string(p, name, desc, descsz, n->features,
                           sizeof(n->features), false);
    }
}

/*
 * Walk the notes in [off, off + size) of the image, which the caller has
 * bounds-checked.  Name and descriptor each start on an `align` boundary
 * (4, or 8 for segments that declare it, as the gABI allows for ELF64).
 */
static int walk_notes(struct parse *p, uint64_t off, uint64_t size, uint64_t align)
{
    const uint8_t *base = p->img + off;
    uint64_t pos = 0;

    while (pos < size) {
        struct elf64_nhdr nh;

        if (size - pos < sizeof(nh))
            return fail(p, "note header at offset %#llx is truncated",
                        (unsigned long long)(off + pos));
        memcpy(&nh, base + pos, sizeof(nh));
        /* All terms are < 2^33 + size, so none of this can wrap. */
        uint64_t name = pos + sizeof(nh);
        uint64_t desc = ALIGN_UP(name + nh.n_namesz, align);
        if (desc > size || nh.n_descsz > size - desc)
            return fail(p, "note at offset %#llx runs past the end of its section",
                        (unsigned long long)(off + pos));
        if (nh.n_namesz == 4 && memcmp(base + name, "Xen", 4) == 0 &&
            xen_note(p, nh.n_type, base + desc, nh.n_descsz) < 0)
            return -1;
        pos = ALIGN_UP(desc + nh.n_descsz, align);
    }
    return 0;
}

/* Without PT_NOTE, fall back to SHT_NOTE sections if the section header
 * table is usable; an unusable table is simply not consulted. */
static int section_notes(struct parse *p, const struct elf64_ehdr *eh)
{
    if (eh->e_shnum == 0 || eh->e_shentsize != sizeof(struct elf64_shdr) ||
        !in_image(p, eh->e_shoff, (uint64_t)eh->e_shnum * sizeof(struct elf64_shdr)))
        return 0;
    for (unsigned int i = 0; i < eh->e_shnum; i++) {
        struct elf64_shdr sh;

        memcpy(&sh, p->img + eh->e_shoff + (uint64_t)i * sizeof(sh), sizeof(sh));
        if (sh.sh_type != SHT_NOTE)
            continue;
        if (!in_image(p, sh.sh_offset, sh.sh_size))
            return fail(p, "note section %u lies outside the image", i);
        if (walk_notes(p, sh.sh_offset, sh.sh_size, sh.sh_addralign == 8 ? 8 : 4) < 0)
            return -1;
    }
    return 0;
}

static int find_notes(struct parse *p, const struct elf64_ehdr *eh)
{
    bool have_pt_note = false;

    for (unsigned int i = 0; i < eh->e_phnum; i++) {
        struct elf64_phdr ph;

        read_phdr(p, eh, i, &ph);
        if (ph.p_type != PT_NOTE)
            continue;
        have_pt_note = true;
        if (!in_image(p, ph.p_offset, ph.p_filesz))
            return fail(p, "note segment %u lies outside the image", i);
        if (walk_notes(p, ph.p_offset, ph.p_filesz, ph.p_align == 8 ? 8 : 4) < 0)
            return -1;
    }
    if (!have_pt_note && section_notes(p, eh) < 0)
        return -1;
    if (!p->any_xen_note)
        return fail(p, "no Xen ELF notes: not a PV kernel");
    return 0;
}

/* Image text quoted in a reason: bounded, and nothing that could break
 * the one-line message or drive the console. */
static const char *printable(char *dst, size_t dst_len, const char *src, size_t n)
{
    size_t i;

    for (i = 0; i < n && i + 1 < dst_len; i++)
        dst[i] = src[i] >= 0x20 && src[i] < 0x7f ? src[i] : '?';
    dst[i] = '\0';
    return dst;
}

static bool feature_supported(const char *name, size_t n)
{
    for (size_t i = 0; i < ARRAY_SIZE(supported_features); i++)
        if (strlen(supported_features[i]) == n &&
            memcmp(supported_features[i], name, n) == 0)
            return true;
    return false;
}

/* FEATURES is '|'-separated; "!name" means the kernel cannot run without
 * it.  Unknown names that are not required are ignored. */
static int check_features(struct parse *p, const char *s)
{
    while (*s) {
        size_t n = 0;

        while (s[n] && s[n] != '|')
            n++;
        if (s[0] == '!' && n > 1 && !feature_supported(s + 1, n - 1)) {
            char name[48];
            return fail(p, "kernel requires feature '%s', which Mica does not support",
                        printable(name, sizeof(name), s + 1, n - 1));
        }
        s += s[n] ? n + 1 : n;
    }
    return 0;
}

static int check_notes(struct parse *p)
{
    const struct elf_xen_notes *n = &p->out->notes;

    if (!IS_ALIGNED(n->virt_base, PAGE_SIZE))
        return fail(p, "VIRT_BASE %#llx is not page-aligned",
                    (unsigned long long)n->virt_base);
    if (strcmp(n->xen_version, "xen-3.0") != 0) {
        char v[sizeof(n->xen_version)];
        return fail(p, "XEN_VERSION is \"%s\", not \"xen-3.0\"",
                    printable(v, sizeof(v), n->xen_version, strlen(n->xen_version)));
    }
    if (p->desc[XEN_ELFNOTE_HV_START_LOW] && n->hv_start_low != HV_HOLE_START)
        return fail(p, "HV_START_LOW %#llx is not %#llx",
                    (unsigned long long)n->hv_start_low, HV_HOLE_START);
    if (n->init_p2m && (!IS_ALIGNED(n->init_p2m, PAGE_SIZE) ||
                        !canonical_outside_hole(n->init_p2m, n->init_p2m + 1)))
        return fail(p, "INIT_P2M %#llx is unaligned, non-canonical or in the hypervisor hole",
                    (unsigned long long)n->init_p2m);
    return check_features(p, n->features);
}

static void sort_segments(struct elf_image *im)
{
    for (unsigned int i = 1; i < im->nr_seg; i++) {
        struct elf_segment s = im->seg[i];
        unsigned int j = i;

        for (; j > 0 && im->seg[j - 1].vaddr > s.vaddr; j--)
            im->seg[j] = im->seg[j - 1];
        im->seg[j] = s;
    }
}

/* VA = virt_base + paddr - paddr_offset, refusing every wrap, then the
 * placement rules: canonical, outside the hole, no overlap. */
static int place_segments(struct parse *p)
{
    struct elf_image *im = p->out;
    const struct elf_xen_notes *n = &im->notes;

    for (unsigned int i = 0; i < im->nr_seg; i++) {
        struct elf_segment *s = &im->seg[i];

        if (s->paddr < n->paddr_offset)
            return fail(p, "segment paddr %#llx is below PADDR_OFFSET %#llx",
                        (unsigned long long)s->paddr, (unsigned long long)n->paddr_offset);
        uint64_t rel = s->paddr - n->paddr_offset;
        /* The end must also leave room to round up to a page. */
        if (n->virt_base > VA_LIMIT || rel > VA_LIMIT - n->virt_base ||
            s->memsz > VA_LIMIT - (n->virt_base + rel))
            return fail(p, "segment at paddr %#llx wraps the address space",
                        (unsigned long long)s->paddr);
        s->vaddr = n->virt_base + rel;
        if (!canonical_outside_hole(s->vaddr, s->vaddr + s->memsz))
            return fail(p, "segment at %#llx-%#llx is non-canonical or in the hypervisor hole",
                        (unsigned long long)s->vaddr,
                        (unsigned long long)(s->vaddr + s->memsz));
    }
    sort_segments(im);
    for (unsigned int i = 1; i < im->nr_seg; i++)
        if (im->seg[i - 1].vaddr + im->seg[i - 1].memsz > im->seg[i].vaddr)
            return fail(p, "segments at %#llx and %#llx overlap",
                        (unsigned long long)im->seg[i - 1].vaddr,
                        (unsigned long long)im->seg[i].vaddr);
    const struct elf_segment *last = &im->seg[im->nr_seg - 1];
    im->virt_start = ALIGN_DOWN(im->seg[0].vaddr, PAGE_SIZE);
    im->virt_end = ALIGN_UP(last->vaddr + last->memsz, PAGE_SIZE);
    /* The builder maps [virt_base, virt_end) as one region. */
    if (!canonical_outside_hole(n->virt_base, im->virt_end))
        return fail(p, "image %#llx-%#llx spans the hypervisor hole",
                    (unsigned long long)n->virt_base, (unsigned long long)im->virt_end);
    return 0;
}

/* [va, va + size) lies inside one segment that has all the flags in need. */
static bool in_segment(const struct elf_image *im, uint64_t va, uint64_t size,
                       uint32_t need)
{
    for (unsigned int i = 0; i < im->nr_seg; i++) {
        const struct elf_segment *s = &im->seg[i];

        if ((s->flags & need) == need && va >= s->vaddr &&
            va - s->vaddr < s->memsz && size <= s->memsz - (va - s->vaddr))
            return true;
    }
    return false;
}

static int check_addresses(struct parse *p)
{
    const struct elf_image *im = p->out;
    const struct elf_xen_notes *n = &im->notes;

    if (!in_segment(im, n->entry, 1, ELF_PF_X))
        return fail(p, "ENTRY %#llx is not inside an executable segment",
                    (unsigned long long)n->entry);
    if (p->desc[XEN_ELFNOTE_HYPERCALL_PAGE] &&
        (!IS_ALIGNED(n->hypercall_page, PAGE_SIZE) ||
         !in_segment(im, n->hypercall_page, PAGE_SIZE, 0)))
        return fail(p, "HYPERCALL_PAGE %#llx is not a page inside the image",
                    (unsigned long long)n->hypercall_page);
    return 0;
}

int elf_parse(const void *img, size_t len, struct elf_image *out, char *why,
              size_t why_len)
{
    struct parse p = {
        .img = img, .len = img ? len : 0, .out = out, .why = why, .why_len = why_len,
    };
    struct elf64_ehdr eh;

    memset(out, 0, sizeof(*out));
    if (why && why_len)
        why[0] = '\0';
    if (check_ehdr(&p, &eh) < 0 || collect_segments(&p, &eh) < 0 ||
        find_notes(&p, &eh) < 0)
        return -1;
    /* Defaults for absent notes (elfnote.h): e_entry, VIRT_BASE 0, and
     * PADDR_OFFSET 0, which note_number leaves as it is. */
    if (!out->notes.has_entry)
        out->notes.entry = eh.e_entry;
    if (check_notes(&p) < 0 ||
        place_segments(&p) < 0 || check_addresses(&p) < 0)
        return -1;
    return 0;
}
