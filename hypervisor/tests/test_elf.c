/* SPDX-License-Identifier: MIT */
/*
 * Host tests of the PV kernel image checks (common/elf.c): images built in
 * memory by a small builder -- a Linux-6.1-like vmlinux (four PT_LOADs, one
 * with p_vaddr 0, the Xen notes of arch/x86/xen/xen-head.S as listed in
 * docs ref linux-pv-abi.md section 1) and a minimal test kernel -- then one
 * test per way an image can be refused.  Each parse sees a heap buffer of
 * exactly the image's size, so ASan catches any read past the end.  Run
 * with "--write-corpus DIR" to write fuzzer seeds instead of testing.
 */
#include <elf.h>        /* the C library's ELF layouts: an independent check of ours */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <cmocka.h>

#include <abi/elfnote.h>
#include <mica/elf.h>
#include <mica/string.h>

#define PH_OFF    64
#define MAX_PH    24
#define DATA_OFF  0x600     /* after room for MAX_PH program headers */
#define BUF_SIZE  0x4000

#define LINUX_VIRT_BASE 0xffffffff80000000ULL
#define LINUX_ENTRY     0xffffffff830791c0ULL

/* One note as the builder writes it; the *_hdr fields, when nonzero,
 * make the header lie about the sizes. */
struct tnote {
    uint32_t type;
    const void *desc;
    uint32_t descsz;
    const char *owner;          /* NULL: "Xen" */
    uint32_t namesz_hdr, descsz_hdr;
};
#define NUM64(t, v) { .type = (t), .desc = &(const uint64_t){ (v) }, .descsz = 8 }
#define NUM32(t, v) { .type = (t), .desc = &(const uint32_t){ (v) }, .descsz = 4 }
#define STR(t, s)   { .type = (t), .desc = (s), .descsz = sizeof(s) }

static const uint64_t l1_mfn_valid[2] = { 1, 1 };

/* In the order xen-head.S emits them, after two notes of other owners. */
static const struct tnote linux_notes[] = {
    { .type = 3, .desc = "0123456789abcdef0123", .descsz = 20, .owner = "GNU" },
    { .type = 6, .desc = "6.1.0\0\0", .descsz = 8, .owner = "Linux" },
    STR(XEN_ELFNOTE_GUEST_OS, "linux"),
    STR(XEN_ELFNOTE_GUEST_VERSION, "2.6"),
    STR(XEN_ELFNOTE_XEN_VERSION, "xen-3.0"),
    NUM64(XEN_ELFNOTE_VIRT_BASE, LINUX_VIRT_BASE),
    NUM64(XEN_ELFNOTE_INIT_P2M, 0x0000008000000000ULL),
    NUM64(XEN_ELFNOTE_ENTRY, LINUX_ENTRY),
    /* As in Debian's 6.1 vmlinux: 41 bytes, no NUL terminator. */
    { .type = XEN_ELFNOTE_FEATURES, .desc = "!writable_page_tables|pae_pgdir_above_4gb",
      .descsz = sizeof("!writable_page_tables|pae_pgdir_above_4gb") - 1 },
    NUM32(XEN_ELFNOTE_SUPPORTED_FEATURES, 0x8801),
    STR(XEN_ELFNOTE_PAE_MODE, "yes"),
    STR(XEN_ELFNOTE_LOADER, "generic"),
    { .type = XEN_ELFNOTE_L1_MFN_VALID, .desc = l1_mfn_valid, .descsz = 16 },
    NUM32(XEN_ELFNOTE_SUSPEND_CANCEL, 1),
    NUM32(XEN_ELFNOTE_MOD_START_PFN, 1),
    NUM64(XEN_ELFNOTE_HV_START_LOW, 0xffff800000000000ULL),
    NUM64(XEN_ELFNOTE_PADDR_OFFSET, 0),
    NUM32(XEN_ELFNOTE_PHYS32_ENTRY, 0x1000850),
};

struct builder {
    Elf64_Ehdr eh;
    Elf64_Phdr ph[MAX_PH];
    uint8_t buf[BUF_SIZE];
    size_t len;
    size_t note_start;
};

static void b_init(struct builder *b)
{
    memset(b, 0, sizeof(*b));
    memcpy(b->eh.e_ident, ELFMAG, SELFMAG);
    b->eh.e_ident[EI_CLASS] = ELFCLASS64;
    b->eh.e_ident[EI_DATA] = ELFDATA2LSB;
    b->eh.e_ident[EI_VERSION] = EV_CURRENT;
    b->eh.e_type = ET_EXEC;
    b->eh.e_machine = EM_X86_64;
    b->eh.e_version = EV_CURRENT;
    b->eh.e_entry = 0x1000000;
    b->eh.e_phoff = PH_OFF;
    b->eh.e_ehsize = sizeof(Elf64_Ehdr);
    b->eh.e_phentsize = sizeof(Elf64_Phdr);
    b->len = DATA_OFF;
}

static Elf64_Phdr *b_phdr(struct builder *b, uint32_t type, uint32_t flags,
                          uint64_t off, uint64_t vaddr, uint64_t paddr,
                          uint64_t filesz, uint64_t memsz, uint64_t align)
{
    assert_true(b->eh.e_phnum < MAX_PH);
    Elf64_Phdr *ph = &b->ph[b->eh.e_phnum++];
    *ph = (Elf64_Phdr){ type, flags, off, vaddr, paddr, filesz, memsz, align };
    return ph;
}

/* A PT_LOAD whose file bytes (a pattern) go at the end of the image. */
static Elf64_Phdr *b_load(struct builder *b, uint32_t flags, uint64_t vaddr,
                          uint64_t paddr, uint64_t filesz, uint64_t memsz)
{
    b->len = (b->len + 15) & ~(size_t)15;
    assert_true(b->len + filesz <= BUF_SIZE);
    for (uint64_t i = 0; i < filesz; i++)
        b->buf[b->len + i] = (uint8_t)(i * 7 + 1);
    Elf64_Phdr *ph = b_phdr(b, PT_LOAD, flags, b->len, vaddr, paddr, filesz, memsz,
                            0x200000);
    b->len += filesz;
    return ph;
}

static void b_put(struct builder *b, const void *p, size_t n)
{
    assert_true(b->len + n <= BUF_SIZE);
    memcpy(b->buf + b->len, p, n);
    b->len += n;
    while (b->len & 3)
        b->buf[b->len++] = 0;
}

static void b_note(struct builder *b, const struct tnote *n)
{
    const char *owner = n->owner ? n->owner : "Xen";
    uint32_t namesz = (uint32_t)strlen(owner) + 1;
    Elf64_Nhdr nh = {
        .n_namesz = n->namesz_hdr ? n->namesz_hdr : namesz,
        .n_descsz = n->descsz_hdr ? n->descsz_hdr : n->descsz,
        .n_type = n->type,
    };
    b_put(b, &nh, sizeof(nh));
    b_put(b, owner, namesz);
    b_put(b, n->desc, n->descsz);
}

static void b_notes_begin(struct builder *b)
{
    b->len = (b->len + 3) & ~(size_t)3;
    b->note_start = b->len;
}

static Elf64_Phdr *b_notes_end(struct builder *b)
{
    return b_phdr(b, PT_NOTE, PF_R, b->note_start, 0, 0, b->len - b->note_start,
                  b->len - b->note_start, 4);
}

static void b_notes(struct builder *b, const struct tnote *n, size_t nr)
{
    b_notes_begin(b);
    for (size_t i = 0; i < nr; i++)
        b_note(b, &n[i]);
    b_notes_end(b);
}

/* The four PT_LOADs of Debian's 6.1 vmlinux, file parts shrunk. */
static void b_linux_with(struct builder *b, const struct tnote *n, size_t nr)
{
    b_init(b);
    b_load(b, PF_R | PF_X, 0xffffffff81000000, 0x1000000, 0x100, 0x18ea9f0);
    b_load(b, PF_R | PF_W, 0xffffffff82a00000, 0x2a00000, 0x80, 0x644000);
    b_load(b, PF_R | PF_W, 0, 0x3044000, 0x40, 0x35000);
    b_load(b, PF_R | PF_W | PF_X, 0xffffffff83079000, 0x3079000, 0x100, 0x1987000);
    b_notes(b, n, nr);
}

static void b_linux(struct builder *b)
{
    b_linux_with(b, linux_notes, ARRAY_SIZE(linux_notes));
}

/* Linux's notes with the note of `type` replaced by *n (or dropped if n
 * is NULL; appended if Linux has none of that type). */
static void b_linux_note(struct builder *b, uint32_t type, const struct tnote *n)
{
    struct tnote t[ARRAY_SIZE(linux_notes) + 1];
    size_t nr = 0;
    bool done = false;

    for (size_t i = 0; i < ARRAY_SIZE(linux_notes); i++) {
        if (!linux_notes[i].owner && linux_notes[i].type == type) {
            if (n)
                t[nr++] = *n;
            done = true;
        } else {
            t[nr++] = linux_notes[i];
        }
    }
    if (!done && n)
        t[nr++] = *n;
    b_linux_with(b, t, nr);
}

static const struct tnote test_kernel_notes[] = {
    STR(XEN_ELFNOTE_XEN_VERSION, "xen-3.0"),
    NUM64(XEN_ELFNOTE_VIRT_BASE, LINUX_VIRT_BASE),
    NUM64(XEN_ELFNOTE_ENTRY, 0xffffffff80100000ULL),
    NUM64(XEN_ELFNOTE_HYPERCALL_PAGE, 0xffffffff80101000ULL),
};

/* A tiny test guest: one RWX segment at pseudo-physical 1 MiB. */
static void b_test_kernel(struct builder *b)
{
    b_init(b);
    b_load(b, PF_R | PF_W | PF_X, 0xffffffff80100000, 0x100000, 0x300, 0x3000);
    b_notes(b, test_kernel_notes, ARRAY_SIZE(test_kernel_notes));
}

/* The image bytes, in a fresh heap buffer of exactly their size. */
static uint8_t *b_finish(struct builder *b, size_t *len)
{
    memcpy(b->buf, &b->eh, sizeof(b->eh));
    memcpy(b->buf + PH_OFF, b->ph, sizeof(b->ph));
    uint8_t *img = malloc(b->len);
    assert_non_null(img);
    memcpy(img, b->buf, b->len);
    *len = b->len;
    return img;
}

static int parse(struct builder *b, struct elf_image *im, char *why, size_t why_len)
{
    size_t len;
    uint8_t *img = b_finish(b, &len);
    int rc = elf_parse(img, len, im, why, why_len);

    free(img);
    return rc;
}

static void expect_refused(struct builder *b, const char *reason)
{
    struct elf_image im;
    char why[160];

    assert_int_equal(parse(b, &im, why, sizeof(why)), -1);
    if (!strstr(why, reason))
        fail_msg("reason \"%s\" does not contain \"%s\"", why, reason);
}

static void check_linux(const struct elf_image *im)
{
    static const struct { uint64_t vaddr, paddr, memsz; uint32_t flags; } want[] = {
        { 0xffffffff81000000, 0x1000000, 0x18ea9f0, PF_R | PF_X },
        { 0xffffffff82a00000, 0x2a00000, 0x644000, PF_R | PF_W },
        { 0xffffffff83044000, 0x3044000, 0x35000, PF_R | PF_W },   /* percpu */
        { 0xffffffff83079000, 0x3079000, 0x1987000, PF_R | PF_W | PF_X },
    };

    assert_int_equal(im->nr_seg, 4);
    for (unsigned int i = 0; i < 4; i++) {
        assert_int_equal(im->seg[i].vaddr, want[i].vaddr);
        assert_int_equal(im->seg[i].paddr, want[i].paddr);
        assert_int_equal(im->seg[i].memsz, want[i].memsz);
        assert_int_equal(im->seg[i].flags, want[i].flags);
    }
    assert_int_equal(im->seg[0].offset, DATA_OFF);
    assert_int_equal(im->seg[0].filesz, 0x100);
    assert_int_equal(im->virt_start, 0xffffffff81000000);
    assert_int_equal(im->virt_end, 0xffffffff84a00000);

    const struct elf_xen_notes *n = &im->notes;
    assert_true(n->has_entry && n->has_virt_base);
    assert_int_equal(n->entry, LINUX_ENTRY);
    assert_int_equal(n->virt_base, LINUX_VIRT_BASE);
    assert_int_equal(n->paddr_offset, 0);
    assert_int_equal(n->hypercall_page, 0);
    assert_int_equal(n->hv_start_low, 0xffff800000000000);
    assert_int_equal(n->init_p2m, 0x0000008000000000);
    assert_int_equal(n->supported_features, 0x8801);
    assert_true(n->mod_start_pfn);
    assert_string_equal(n->guest_os, "linux");
    assert_string_equal(n->xen_version, "xen-3.0");
    assert_string_equal(n->features, "!writable_page_tables|pae_pgdir_above_4gb");
    assert_string_equal(im->notes.features, "!writable_page_tables|pae_pgdir_above_4gb");
}

static void linux_like_image(void **state)
{
    struct builder b;
    struct elf_image im;
    char why[160];
    (void)state;

    b_linux(&b);
    assert_int_equal(parse(&b, &im, why, sizeof(why)), 0);
    assert_string_equal(why, "");
    check_linux(&im);
}

/* The image need not be aligned in memory. */
static void unaligned_image(void **state)
{
    static struct builder b;
    struct elf_image im;
    size_t len;
    (void)state;

    b_linux(&b);
    uint8_t *img = b_finish(&b, &len);
    uint8_t *odd = malloc(len + 1);
    assert_non_null(odd);
    memcpy(odd + 1, img, len);
    assert_int_equal(elf_parse(odd + 1, len, &im, NULL, 0), 0);
    check_linux(&im);
    free(odd);
    free(img);
}

static void test_kernel_image(void **state)
{
    struct builder b;
    struct elf_image im;
    char why[160];
    (void)state;

    b_test_kernel(&b);
    assert_int_equal(parse(&b, &im, why, sizeof(why)), 0);
    assert_int_equal(im.nr_seg, 1);
    assert_int_equal(im.seg[0].vaddr, 0xffffffff80100000);
    assert_int_equal(im.virt_start, 0xffffffff80100000);
    assert_int_equal(im.virt_end, 0xffffffff80103000);
    assert_int_equal(im.notes.entry, 0xffffffff80100000);
    assert_int_equal(im.notes.hypercall_page, 0xffffffff80101000);
    assert_int_equal(im.notes.hv_start_low, 0);
    assert_string_equal(im.notes.features, "");
    assert_string_equal(im.notes.guest_os, "");
}

/* Variations a valid image may have. */
static void accepted_variations(void **state)
{
    static struct builder b;
    struct elf_image im;
    char why[160];
    (void)state;

    /* Unknown optional features, supported required ones, empty names. */
    b_linux_note(&b, XEN_ELFNOTE_FEATURES,
                 &(struct tnote)STR(XEN_ELFNOTE_FEATURES,
                                    "||!dom0|hvm_callback_vector|frobnicate|"
                                    "!gnttab_map_avail_bits|!mmu_pt_update_preserve_ad|"));
    assert_int_equal(parse(&b, &im, why, sizeof(why)), 0);

    /* 4-byte numeric notes; a GUEST_OS too long for the field is cut. */
    b_linux_note(&b, XEN_ELFNOTE_PADDR_OFFSET, &(struct tnote)NUM32(XEN_ELFNOTE_PADDR_OFFSET, 0));
    assert_int_equal(parse(&b, &im, why, sizeof(why)), 0);
    b_linux_note(&b, XEN_ELFNOTE_GUEST_OS, &(struct tnote)STR(XEN_ELFNOTE_GUEST_OS,
                 "a guest os name that is longer than thirty-one characters"));
    assert_int_equal(parse(&b, &im, why, sizeof(why)), 0);
    assert_int_equal(strlen(im.notes.guest_os), sizeof(im.notes.guest_os) - 1);

    /* PADDR_OFFSET shifts placement. */
    b_linux_note(&b, XEN_ELFNOTE_PADDR_OFFSET,
                 &(struct tnote)NUM64(XEN_ELFNOTE_PADDR_OFFSET, 0x1000000));
    assert_int_equal(parse(&b, &im, why, sizeof(why)), 0);
    assert_int_equal(im.seg[0].vaddr, 0xffffffff80000000);

    /* The same notes twice (two PT_NOTE over one range) agree. */
    b_linux(&b);
    Elf64_Phdr dup = b.ph[b.eh.e_phnum - 1];
    *b_phdr(&b, 0, 0, 0, 0, 0, 0, 0, 0) = dup;
    assert_int_equal(parse(&b, &im, why, sizeof(why)), 0);

    /* A PT_LOAD with memsz 0 is ignored, wherever it claims to be. */
    b_linux(&b);
    b_phdr(&b, PT_LOAD, PF_R, 0, 0, 0xffff800000000000, 0, 0, 0);
    assert_int_equal(parse(&b, &im, why, sizeof(why)), 0);
    assert_int_equal(im.nr_seg, 4);

    /* No reason buffer at all. */
    b_linux(&b);
    assert_int_equal(parse(&b, &im, NULL, 0), 0);
}

/* The test kernel with its notes in a SHT_NOTE section and no PT_NOTE. */
static void b_test_kernel_sections(struct builder *b)
{
    b_test_kernel(b);
    Elf64_Phdr *note = &b->ph[--b->eh.e_phnum];
    Elf64_Shdr sh[2] = {
        { 0 },
        { .sh_type = SHT_NOTE, .sh_offset = note->p_offset, .sh_size = note->p_filesz,
          .sh_addralign = 4 },
    };
    memset(note, 0, sizeof(*note));
    b->eh.e_shoff = b->len;
    b->eh.e_shnum = 2;
    b->eh.e_shentsize = sizeof(Elf64_Shdr);
    b_put(b, sh, sizeof(sh));
}

static void notes_from_sections(void **state)
{
    static struct builder b;
    struct elf_image im;
    char why[160];
    (void)state;

    b_test_kernel_sections(&b);
    assert_int_equal(parse(&b, &im, why, sizeof(why)), 0);
    assert_int_equal(im.notes.entry, 0xffffffff80100000);

    /* A note section outside the image is refused... */
    Elf64_Shdr bad;
    memcpy(&bad, b.buf + b.eh.e_shoff + sizeof(Elf64_Shdr), sizeof(bad));
    bad.sh_size = 0x100000;
    memcpy(b.buf + b.eh.e_shoff + sizeof(Elf64_Shdr), &bad, sizeof(bad));
    expect_refused(&b, "note section 1 lies outside the image");

    /* ...and a section table outside the image is not consulted. */
    b.eh.e_shnum = 0x1000;
    expect_refused(&b, "no Xen ELF notes");
}

/* A note segment with p_align 8 pads name and descriptor to 8 bytes. */
static void notes_aligned_8(void **state)
{
    static struct builder b;
    struct elf_image im;
    char why[160];
    (void)state;

    b_init(&b);
    b_load(&b, PF_R | PF_W | PF_X, 0xffffffff80100000, 0x100000, 0x300, 0x3000);
    b_notes_begin(&b);
    b_note(&b, &(struct tnote)NUM32(XEN_ELFNOTE_SUPPORTED_FEATURES, 0x801));
    b_put(&b, "\0\0\0", 4);      /* to the next 8-byte boundary */
    for (size_t i = 0; i < ARRAY_SIZE(test_kernel_notes); i++)
        b_note(&b, &test_kernel_notes[i]);      /* all 8-byte multiples */
    b_notes_end(&b)->p_align = 8;
    assert_int_equal(parse(&b, &im, why, sizeof(why)), 0);
    assert_int_equal(im.notes.supported_features, 0x801);
    assert_int_equal(im.notes.entry, 0xffffffff80100000);

    /* Read with 4-byte alignment, the padding would be a bad header. */
    b.ph[1].p_align = 4;
    expect_refused(&b, "note at offset");
}

/* Every prefix of a good image, and every single-byte corruption of its
 * headers and notes, parses without touching memory outside it. */
static void truncations_and_corruptions(void **state)
{
    static struct builder b;
    struct elf_image im;
    char why[160];
    size_t len;
    (void)state;

    b_linux(&b);
    uint8_t *img = b_finish(&b, &len);
    for (size_t n = 0; n < len; n++) {
        uint8_t *pre = malloc(n ? n : 1);
        memcpy(pre, img, n);
        assert_int_equal(elf_parse(pre, n, &im, why, sizeof(why)), -1);
        free(pre);
    }
    for (size_t i = 0; i < len; i++) {
        for (unsigned int bit = 0; bit < 8; bit++) {
            img[i] ^= (uint8_t)(1u << bit);
            (void)elf_parse(img, len, &im, why, sizeof(why));
            img[i] ^= (uint8_t)(1u << bit);
        }
    }
    free(img);
}

/* One test per refusal: start from the good Linux-like image, break one
 * thing, check the reason names it. */
#define REFUSE(name, reason)                                    \
    static void name##_break(struct builder *b);                \
    static void name(void **state)                              \
    {                                                           \
        static struct builder b;                                \
        (void)state;                                            \
        b_linux(&b);                                            \
        name##_break(&b);                                       \
        expect_refused(&b, reason);                             \
    }                                                           \
    static void name##_break(struct builder *b)

REFUSE(refuse_not_elf, "not an ELF image") { b->eh.e_ident[EI_MAG1] = 'e'; }
REFUSE(refuse_short, "not an ELF image") { b->len = 63; }
REFUSE(refuse_32bit, "not a 64-bit ELF image") { b->eh.e_ident[EI_CLASS] = ELFCLASS32; }
REFUSE(refuse_big_endian, "not a little-endian") { b->eh.e_ident[EI_DATA] = ELFDATA2MSB; }
REFUSE(refuse_version, "unknown ELF version") { b->eh.e_version = 2; }
REFUSE(refuse_machine, "not an x86-64 ELF image (machine 3)") { b->eh.e_machine = EM_386; }
REFUSE(refuse_not_exec, "not an executable ELF image (type 3)") { b->eh.e_type = ET_DYN; }
REFUSE(refuse_phentsize, "program header size 32 is not 56") { b->eh.e_phentsize = 32; }
REFUSE(refuse_phoff_outside, "program headers lie outside") { b->eh.e_phoff = b->len - 8; }
REFUSE(refuse_phoff_wraps, "program headers lie outside") { b->eh.e_phoff = ~0ULL - 100; }
REFUSE(refuse_phnum_outside, "program headers lie outside") { b->eh.e_phnum = 0xffff; }
REFUSE(refuse_seg_offset, "segment 1 lies outside the image") { b->ph[1].p_offset = b->len - 0x10; }
REFUSE(refuse_seg_offset_wraps, "segment 0 lies outside the image")
{
    b->ph[0].p_offset = ~0ULL - 0x10;
}
REFUSE(refuse_filesz_gt_memsz, "segment 2: filesz 0x40 > memsz 0x3f") { b->ph[2].p_memsz = 0x3f; }
REFUSE(refuse_overlap, "segments at 0xffffffff81000000 and 0xffffffff81001000 overlap")
{
    b->ph[1].p_paddr = 0x1001000;
}
REFUSE(refuse_overlap_by_one, "segments at 0xffffffff83044000 and 0xffffffff83079000 overlap")
{
    b->ph[2].p_memsz++;         /* percpu now touches the first byte of init */
}
REFUSE(refuse_in_hole, "segment at 0xffff800001000000-0xffff8000028ea9f0 is non-canonical or in the hypervisor hole")
{
    /* Every VA is at or above VIRT_BASE, so move VIRT_BASE into the hole. */
    b_linux_note(b, XEN_ELFNOTE_VIRT_BASE,
                 &(struct tnote)NUM64(XEN_ELFNOTE_VIRT_BASE, 0xffff800000000000ULL));
}
REFUSE(refuse_wrapping_paddr, "wraps the address space") { b->ph[3].p_paddr = ~0ULL - 0x1000; }
REFUSE(refuse_wrapping_memsz, "wraps the address space") { b->ph[3].p_memsz = ~0ULL; }
REFUSE(refuse_end_at_top, "wraps the address space")
{
    b->ph[3].p_paddr = 0x7ffff000;          /* would end exactly at 2^64 */
    b->ph[3].p_memsz = 0x1000;
    b->ph[3].p_filesz = 0x100;
}
REFUSE(refuse_no_load, "no loadable (PT_LOAD) segment")
{
    for (unsigned int i = 0; i < 4; i++)
        b->ph[i].p_type = PT_NULL;
}
REFUSE(refuse_only_empty_loads, "no loadable (PT_LOAD) segment")
{
    for (unsigned int i = 0; i < 4; i++)
        b->ph[i].p_memsz = b->ph[i].p_filesz = 0;
}
REFUSE(refuse_too_many, "more than 16 loadable segments")
{
    for (unsigned int i = 0; i < 13; i++)
        b_phdr(b, PT_LOAD, PF_R, 0, 0, 0x10000000 + i * 0x1000, 0, 0x1000, 0);
}
REFUSE(refuse_entry_not_x, "ENTRY 0xffffffff82a00010 is not inside an executable segment")
{
    b_linux_note(b, XEN_ELFNOTE_ENTRY,
                 &(struct tnote)NUM64(XEN_ELFNOTE_ENTRY, 0xffffffff82a00010ULL));
}
REFUSE(refuse_entry_outside, "is not inside an executable segment")
{
    b_linux_note(b, XEN_ELFNOTE_ENTRY,
                 &(struct tnote)NUM64(XEN_ELFNOTE_ENTRY, 0xffffffff84a00000ULL));
}
/* Without ENTRY the entry is e_entry (0x1000000 here: a physical address,
 * outside every segment); without VIRT_BASE the base is 0, so the segments
 * land at their physical addresses and the ENTRY note points nowhere. */
REFUSE(refuse_no_entry, "ENTRY 0x1000000 is not inside an executable segment")
{
    b_linux_note(b, XEN_ELFNOTE_ENTRY, NULL);
}
REFUSE(refuse_no_virt_base, "ENTRY 0xffffffff830791c0 is not inside an executable segment")
{
    b_linux_note(b, XEN_ELFNOTE_VIRT_BASE, NULL);
}

/* Xen's elfnote.h: ENTRY defaults to the ELF entry point, VIRT_BASE and
 * PADDR_OFFSET to 0.  XTF's test kernels are linked this way, at 1 MiB. */
static const struct tnote xtf_like_notes[] = {
    STR(XEN_ELFNOTE_XEN_VERSION, "xen-3.0"),
    NUM64(XEN_ELFNOTE_HYPERCALL_PAGE, 0x106000),
};

static void absent_notes_take_xen_defaults(void **state)
{
    static struct builder b;
    struct elf_image im;
    char why[160];
    (void)state;

    b_init(&b);
    b.eh.e_entry = 0x100000;
    b_load(&b, PF_R | PF_W | PF_X, 0x100000, 0x100000, 0x300, 0x11000);
    b_notes(&b, xtf_like_notes, ARRAY_SIZE(xtf_like_notes));
    assert_int_equal(parse(&b, &im, why, sizeof(why)), 0);
    assert_false(im.notes.has_entry || im.notes.has_virt_base);
    assert_int_equal(im.notes.entry, 0x100000);
    assert_int_equal(im.notes.virt_base, 0);
    assert_int_equal(im.notes.paddr_offset, 0);
    assert_int_equal(im.seg[0].vaddr, 0x100000);
    assert_int_equal(im.virt_start, 0x100000);
    assert_int_equal(im.virt_end, 0x111000);
}
REFUSE(refuse_virt_base_unaligned, "VIRT_BASE 0xffffffff80000800 is not page-aligned")
{
    b_linux_note(b, XEN_ELFNOTE_VIRT_BASE,
                 &(struct tnote)NUM64(XEN_ELFNOTE_VIRT_BASE, LINUX_VIRT_BASE + 0x800));
}
REFUSE(refuse_xen_version, "XEN_VERSION is \"xen-3.1\"")
{
    b_linux_note(b, XEN_ELFNOTE_XEN_VERSION, &(struct tnote)STR(XEN_ELFNOTE_XEN_VERSION, "xen-3.1"));
}
REFUSE(refuse_no_xen_version, "XEN_VERSION is \"\"")
{
    b_linux_note(b, XEN_ELFNOTE_XEN_VERSION, NULL);
}
REFUSE(refuse_hv_start_low, "HV_START_LOW 0xffff880000000000 is not 0xffff800000000000")
{
    b_linux_note(b, XEN_ELFNOTE_HV_START_LOW,
                 &(struct tnote)NUM64(XEN_ELFNOTE_HV_START_LOW, 0xffff880000000000ULL));
}
REFUSE(refuse_hypercall_page, "HYPERCALL_PAGE 0xffffffff84a00000 is not a page inside the image")
{
    b_linux_note(b, XEN_ELFNOTE_HYPERCALL_PAGE,
                 &(struct tnote)NUM64(XEN_ELFNOTE_HYPERCALL_PAGE, 0xffffffff84a00000ULL));
}
REFUSE(refuse_hypercall_page_unaligned, "HYPERCALL_PAGE 0xffffffff81000800")
{
    b_linux_note(b, XEN_ELFNOTE_HYPERCALL_PAGE,
                 &(struct tnote)NUM64(XEN_ELFNOTE_HYPERCALL_PAGE, 0xffffffff81000800ULL));
}
REFUSE(refuse_init_p2m_in_hole, "INIT_P2M 0xffff800000000000")
{
    b_linux_note(b, XEN_ELFNOTE_INIT_P2M,
                 &(struct tnote)NUM64(XEN_ELFNOTE_INIT_P2M, 0xffff800000000000ULL));
}
REFUSE(refuse_below_paddr_offset, "segment paddr 0x1000000 is below PADDR_OFFSET 0x2000000")
{
    b_linux_note(b, XEN_ELFNOTE_PADDR_OFFSET,
                 &(struct tnote)NUM64(XEN_ELFNOTE_PADDR_OFFSET, 0x2000000));
}
REFUSE(refuse_note_namesz, "runs past the end of its section")
{
    b_linux_note(b, XEN_ELFNOTE_PHYS32_ENTRY, &(struct tnote){
        .type = XEN_ELFNOTE_PHYS32_ENTRY, .desc = "\0\0\0\0", .descsz = 4,
        .namesz_hdr = 0xfffffff0 });
}
REFUSE(refuse_note_descsz, "runs past the end of its section")
{
    b_linux_note(b, XEN_ELFNOTE_PHYS32_ENTRY, &(struct tnote){
        .type = XEN_ELFNOTE_PHYS32_ENTRY, .desc = "\0\0\0\0", .descsz = 4,
        .descsz_hdr = 8 });
}
REFUSE(refuse_note_truncated, "note header at offset")
{
    b_put(b, "\0\0\0\0\0\0\0", 8);  /* 8 trailing bytes: too short for a header */
    b->ph[4].p_filesz += 8;
}
REFUSE(refuse_note_segment_outside, "note segment 4 lies outside the image")
{
    b->ph[4].p_filesz = b->len;
}
/* An unterminated string note ends at its descsz (Linux's FEATURES has no
 * NUL): a required feature right at the end is still seen. */
REFUSE(refuse_unterminated, "kernel requires feature 'supervisor_mode_kernel'")
{
    b_linux_note(b, XEN_ELFNOTE_FEATURES, &(struct tnote){
        .type = XEN_ELFNOTE_FEATURES, .desc = "dom0|!supervisor_mode_kernelXX",
        .descsz = sizeof("dom0|!supervisor_mode_kernel") - 1 });
}
REFUSE(refuse_features_too_long, "FEATURES note is longer than 127 characters")
{
    static char s[200];
    memset(s, 'a', sizeof(s) - 1);
    b_linux_note(b, XEN_ELFNOTE_FEATURES, &(struct tnote){
        .type = XEN_ELFNOTE_FEATURES, .desc = s, .descsz = sizeof(s) });
}
REFUSE(refuse_number_size, "ENTRY note has a 2-byte value (want 4 or 8)")
{
    b_linux_note(b, XEN_ELFNOTE_ENTRY, &(struct tnote){
        .type = XEN_ELFNOTE_ENTRY, .desc = "\0\0", .descsz = 2 });
}
REFUSE(refuse_supported_features_64, "SUPPORTED_FEATURES note does not fit 32 bits")
{
    b_linux_note(b, XEN_ELFNOTE_SUPPORTED_FEATURES,
                 &(struct tnote)NUM64(XEN_ELFNOTE_SUPPORTED_FEATURES, 1ULL << 32));
}
REFUSE(refuse_contradiction, "contradictory ENTRY notes")
{
    b_linux_note(b, XEN_ELFNOTE_GUEST_VERSION,     /* a second ENTRY in its place */
                 &(struct tnote)NUM64(XEN_ELFNOTE_ENTRY, 0xffffffff81000000ULL));
}
REFUSE(refuse_feature, "kernel requires feature 'hvm_callback_vector', which Mica does not support")
{
    b_linux_note(b, XEN_ELFNOTE_FEATURES, &(struct tnote)STR(XEN_ELFNOTE_FEATURES,
                 "!writable_page_tables|!hvm_callback_vector|!dom0"));
}
REFUSE(refuse_unknown_feature, "requires feature 'frob?nicate'")
{
    /* Named in the reason, with a control character made harmless. */
    b_linux_note(b, XEN_ELFNOTE_FEATURES, &(struct tnote)STR(XEN_ELFNOTE_FEATURES,
                 "dom0|!frob\nnicate"));
}
REFUSE(refuse_no_xen_notes, "no Xen ELF notes")
{
    b_linux_with(b, linux_notes, 2);    /* only the GNU and Linux notes */
}
REFUSE(refuse_no_notes_at_all, "no Xen ELF notes") { b->eh.e_phnum--; }

/* Placement rules that need a low VIRT_BASE: a minimal image whose one
 * segment sits at paddr (memsz bytes) with VIRT_BASE vb. */
static void expect_placement_refused(uint64_t vb, uint64_t paddr, uint64_t memsz,
                                     const char *reason)
{
    static struct builder b;
    struct tnote n[] = {
        STR(XEN_ELFNOTE_XEN_VERSION, "xen-3.0"),
        NUM64(XEN_ELFNOTE_VIRT_BASE, vb),
        NUM64(XEN_ELFNOTE_ENTRY, vb + paddr),
    };

    b_init(&b);
    b_load(&b, PF_R | PF_X, 0, paddr, 0x10, memsz);
    b_notes(&b, n, ARRAY_SIZE(n));
    expect_refused(&b, reason);
}

static void refuse_placement(void **state)
{
    (void)state;
    /* Straddles the top of the lower canonical half. */
    expect_placement_refused(0, 0x00007ffffffff000, 0x2000, "non-canonical");
    /* Entirely non-canonical. */
    expect_placement_refused(0x0000900000000000, 0, 0x1000, "non-canonical");
    /* Ends inside the hole, starts inside it, runs past its end. */
    expect_placement_refused(0xffff800000000000, 0x1000, 0x1000, "hypervisor hole");
    expect_placement_refused(0xffff870000000000, 0xfffff000000, 0x2000000, "hypervisor hole");
    /* Each segment fine, but the region from VIRT_BASE crosses the hole. */
    expect_placement_refused(0x1000, 0xffff900000000000 - 0x1000, 0x1000,
                             "image 0x1000-0xffff900000001000 spans the hypervisor hole");
}

static int write_corpus(const char *dir)
{
    static struct builder b;
    static const struct { const char *name; void (*build)(struct builder *); } seeds[] = {
        { "linux-like", b_linux },
        { "test-kernel", b_test_kernel },
        { "test-kernel-sections", b_test_kernel_sections },
    };

    for (size_t i = 0; i < ARRAY_SIZE(seeds); i++) {
        char path[512];
        size_t len;

        seeds[i].build(&b);
        uint8_t *img = b_finish(&b, &len);
        snprintf(path, sizeof(path), "%s/%s", dir, seeds[i].name);
        FILE *f = fopen(path, "wb");
        if (!f || fwrite(img, 1, len, f) != len || fclose(f) != 0) {
            perror(path);
            return 1;
        }
        free(img);
    }
    return 0;
}

int main(int argc, char **argv)
{
    if (argc == 3 && strcmp(argv[1], "--write-corpus") == 0)
        return write_corpus(argv[2]);

    const struct CMUnitTest tests[] = {
        cmocka_unit_test(linux_like_image),
        cmocka_unit_test(unaligned_image),
        cmocka_unit_test(test_kernel_image),
        cmocka_unit_test(accepted_variations),
        cmocka_unit_test(notes_from_sections),
        cmocka_unit_test(notes_aligned_8),
        cmocka_unit_test(truncations_and_corruptions),
        cmocka_unit_test(refuse_not_elf),
        cmocka_unit_test(refuse_short),
        cmocka_unit_test(refuse_32bit),
        cmocka_unit_test(refuse_big_endian),
        cmocka_unit_test(refuse_version),
        cmocka_unit_test(refuse_machine),
        cmocka_unit_test(refuse_not_exec),
        cmocka_unit_test(refuse_phentsize),
        cmocka_unit_test(refuse_phoff_outside),
        cmocka_unit_test(refuse_phoff_wraps),
        cmocka_unit_test(refuse_phnum_outside),
        cmocka_unit_test(refuse_seg_offset),
        cmocka_unit_test(refuse_seg_offset_wraps),
        cmocka_unit_test(refuse_filesz_gt_memsz),
        cmocka_unit_test(refuse_overlap),
        cmocka_unit_test(refuse_overlap_by_one),
        cmocka_unit_test(refuse_in_hole),
        cmocka_unit_test(refuse_wrapping_paddr),
        cmocka_unit_test(refuse_wrapping_memsz),
        cmocka_unit_test(refuse_end_at_top),
        cmocka_unit_test(refuse_no_load),
        cmocka_unit_test(refuse_only_empty_loads),
        cmocka_unit_test(refuse_too_many),
        cmocka_unit_test(refuse_entry_not_x),
        cmocka_unit_test(refuse_entry_outside),
        cmocka_unit_test(refuse_no_entry),
        cmocka_unit_test(refuse_no_virt_base),
        cmocka_unit_test(absent_notes_take_xen_defaults),
        cmocka_unit_test(refuse_virt_base_unaligned),
        cmocka_unit_test(refuse_xen_version),
        cmocka_unit_test(refuse_no_xen_version),
        cmocka_unit_test(refuse_hv_start_low),
        cmocka_unit_test(refuse_hypercall_page),
        cmocka_unit_test(refuse_hypercall_page_unaligned),
        cmocka_unit_test(refuse_init_p2m_in_hole),
        cmocka_unit_test(refuse_below_paddr_offset),
        cmocka_unit_test(refuse_note_namesz),
        cmocka_unit_test(refuse_note_descsz),
        cmocka_unit_test(refuse_note_truncated),
        cmocka_unit_test(refuse_note_segment_outside),
        cmocka_unit_test(refuse_unterminated),
        cmocka_unit_test(refuse_features_too_long),
        cmocka_unit_test(refuse_number_size),
        cmocka_unit_test(refuse_supported_features_64),
        cmocka_unit_test(refuse_contradiction),
        cmocka_unit_test(refuse_feature),
        cmocka_unit_test(refuse_unknown_feature),
        cmocka_unit_test(refuse_no_xen_notes),
        cmocka_unit_test(refuse_no_notes_at_all),
        cmocka_unit_test(refuse_placement),
    };
    return cmocka_run_group_tests_name("hv-elf", tests, NULL, NULL);
}
