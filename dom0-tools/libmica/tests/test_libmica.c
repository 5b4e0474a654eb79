/* SPDX-License-Identifier: MIT */
/*
 * libmica's own tests: kernel images (small ELF64 PV kernels built here,
 * wrapped as bzImage with xz, gzip and zstd payloads made with the same
 * system libraries, hostile headers, every truncation; Debian's real
 * bzImage when MICA_TEST_BZIMAGE names it) and the PV builder against xl's
 * fake hypervisor, whose frames are real shared memory: after a build the
 * test walks the page tables from the L4 the fake received and checks the
 * whole start-of-day layout.
 */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <cpuid.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <lzma.h>
#include <zlib.h>
#include <zstd.h>

#include <abi/elfnote.h>
#include <abi/grant_table.h>

#include "build.h"
#include "fake_hv.h"
#include "image.h"

#define VB      0xffffffff80000000ULL
#define TEXT_PA 0x200000ULL
#define DATA_PA 0x203000ULL
#define ENTRY   (VB + TEXT_PA + 0x10)
#define HCALL   (VB + TEXT_PA + 0x1000)
#define ELF_LEN 0x3100

/* ---- a small PV kernel ---------------------------------------------------------- */

static size_t note(uint8_t *p, uint32_t type, const void *desc, uint32_t n)
{
    uint32_t h[3] = { 4, n, type };

    memcpy(p, h, 12);
    memcpy(p + 12, "Xen", 4);
    memcpy(p + 16, desc, n);
    return 16 + ((n + 3) & ~3u);
}

/* An ELF64 PV kernel: text (2 pages, R-X, hypercall page in its second),
 * data (0x100 bytes + bss to 3 pages, RW-) and a note segment. */
static uint8_t *make_elf(size_t *len, bool xen_notes, bool hypercall_page)
{
    uint8_t *f = calloc(1, ELF_LEN);
    uint64_t q;
    size_t n = 0;

    memcpy(f, "\177ELF\2\1\1", 7);
    uint16_t h16[] = { 2, 62 };
    memcpy(f + 16, h16, 4);
    uint32_t ver = 1;
    memcpy(f + 20, &ver, 4);
    q = ENTRY;
    memcpy(f + 24, &q, 8);
    q = 64;
    memcpy(f + 32, &q, 8);                       /* phoff */
    uint16_t sizes[] = { 64, 56, 3, 64, 0, 0 };
    memcpy(f + 52, sizes, sizeof(sizes));
    uint8_t *nt = f + 0x200;
    if (xen_notes) {
        uint64_t vb = VB, po = 0, e = ENTRY, hc = HCALL;
        n += note(nt + n, XEN_ELFNOTE_XEN_VERSION, "xen-3.0", 8);
        n += note(nt + n, XEN_ELFNOTE_GUEST_OS, "linux", 6);
        n += note(nt + n, XEN_ELFNOTE_VIRT_BASE, &vb, 8);
        n += note(nt + n, XEN_ELFNOTE_PADDR_OFFSET, &po, 8);
        n += note(nt + n, XEN_ELFNOTE_ENTRY, &e, 8);
        n += note(nt + n, XEN_ELFNOTE_FEATURES, "!writable_page_tables|pae_pgdir_above_4gb", 41);
        if (hypercall_page)
            n += note(nt + n, XEN_ELFNOTE_HYPERCALL_PAGE, &hc, 8);
    }
    const uint64_t ph[3][7] = {
        /* type|flags<<32, offset, vaddr, paddr, filesz, memsz, align */
        { 1 | 5ULL << 32, 0x1000, VB + TEXT_PA, TEXT_PA, 0x2000, 0x2000, 0x1000 },
        { 1 | 6ULL << 32, 0x3000, VB + DATA_PA, DATA_PA, 0x100, 0x3000, 0x1000 },
        { 4 | 4ULL << 32, 0x200, 0, 0, n, n, 4 },
    };
    memcpy(f + 64, ph, sizeof(ph));
    for (int i = 0; i < 0x2000; i++)
        f[0x1000 + i] = (uint8_t)(i * 7 + 1);
    memset(f + 0x3000, 0xab, 0x100);
    *len = ELF_LEN;
    return f;
}

/* ---- wrappers ----------------------------------------------------------------------- */

static uint8_t *xz(const uint8_t *in, size_t len, size_t *out_len)
{
    size_t cap = len + 4096, pos = 0;
    uint8_t *o = malloc(cap);
    assert_int_equal(lzma_easy_buffer_encode(6, LZMA_CHECK_CRC32, NULL, in, len, o, &pos, cap),
                     LZMA_OK);
    *out_len = pos;
    return o;
}

static uint8_t *gz(const uint8_t *in, size_t len, size_t *out_len)
{
    z_stream z = { 0 };
    size_t cap = len + 4096;
    uint8_t *o = malloc(cap);
    assert_int_equal(deflateInit2(&z, 6, Z_DEFLATED, 16 + MAX_WBITS, 8, Z_DEFAULT_STRATEGY), Z_OK);
    z.next_in = (Bytef *)in, z.avail_in = (uInt)len, z.next_out = o, z.avail_out = (uInt)cap;
    assert_int_equal(deflate(&z, Z_FINISH), Z_STREAM_END);
    *out_len = z.total_out;
    deflateEnd(&z);
    return o;
}

static uint8_t *zst(const uint8_t *in, size_t len, size_t *out_len)
{
    size_t cap = ZSTD_compressBound(len);
    uint8_t *o = malloc(cap);
    *out_len = ZSTD_compress(o, cap, in, len, 3);
    assert_false(ZSTD_isError(*out_len));
    return o;
}

/* A bzImage around payload p: setup_sects sects, protocol version ver,
 * then (as Linux) the payload and its 4-byte size appended. */
static uint8_t *bzimage(const uint8_t *p, size_t plen, uint8_t sects, uint16_t ver,
                        size_t *len)
{
    size_t setup = ((sects ? sects : 4) + 1) * 512, poff = 0x100;
    *len = setup + poff + plen + 4;
    uint8_t *f = calloc(1, *len);
    f[0x1f1] = sects;
    memcpy(f + 0x202, "HdrS", 4);
    memcpy(f + 0x206, &ver, 2);
    uint32_t o32 = (uint32_t)poff, l32 = (uint32_t)plen;
    memcpy(f + 0x248, &o32, 4);
    memcpy(f + 0x24c, &l32, 4);
    memcpy(f + setup + poff, p, plen);
    memcpy(f + setup + poff + plen, "\x34\x12\0\0", 4);
    return f;
}

static char why[256];

static void expect_refused(const uint8_t *f, size_t len, const char *msg)
{
    struct mica_kernel k;

    assert_int_equal(mica_kernel_load(f, len, &k, why, sizeof(why)), -1);
    if (!strstr(why, msg))
        fail_msg("refusal \"%s\" does not contain \"%s\"", why, msg);
    assert_int_equal(strncmp(why, "kernel: ", 8), 0);
    assert_null(strchr(why, '\n'));
}

static void check_small_kernel(const struct mica_kernel *k)
{
    assert_int_equal(k->nr_seg, 2);
    assert_int_equal(k->notes.entry, ENTRY);
    assert_int_equal(k->notes.virt_base, VB);
    assert_int_equal(k->virt_start, VB + TEXT_PA);
    assert_int_equal(k->virt_end, VB + DATA_PA + 0x3000);
    assert_true(k->notes.has_hypercall_page);
    assert_string_equal(k->notes.guest_os, "linux");
}

/* ---- image tests ------------------------------------------------------------------------ */

static void elf_plain(void **state)
{
    size_t len;
    uint8_t *f = make_elf(&len, true, true);
    struct mica_kernel k;
    (void)state;

    assert_int_equal(mica_kernel_load(f, len, &k, why, sizeof(why)), 0);
    assert_string_equal(k.format, "ELF");
    check_small_kernel(&k);
    mica_kernel_free(&k);
    free(f);
}

static void bzimage_each_compressor(void **state)
{
    uint8_t *(*comp[])(const uint8_t *, size_t, size_t *) = { xz, gz, zst };
    const char *names[] = { "bzImage (xz)", "bzImage (gzip)", "bzImage (zstd)" };
    size_t len, plen, blen;
    uint8_t *f = make_elf(&len, true, true);
    (void)state;

    for (int i = 0; i < 3; i++) {
        for (int sects = 0; sects < 2; sects++) {       /* 0 means 4 */
            uint8_t *p = comp[i](f, len, &plen);
            uint8_t *b = bzimage(p, plen, sects ? 17 : 0, 0x020f, &blen);
            struct mica_kernel k;
            assert_int_equal(mica_kernel_load(b, blen, &k, why, sizeof(why)), 0);
            assert_string_equal(k.format, names[i]);
            assert_int_equal(k.elf_len, len);
            assert_memory_equal(k.elf, f, len);
            check_small_kernel(&k);
            mica_kernel_free(&k);
            /* Every truncation of the payload is refused, never read past. */
            for (size_t cut = 0; cut < plen; cut += plen / 7 + 1) {
                uint8_t *t = bzimage(p, cut, 0, 0x020f, &blen);
                assert_int_equal(mica_kernel_load(t, blen, &k, why, sizeof(why)), -1);
                free(t);
            }
            free(b);
            free(p);
        }
    }
    free(f);
}

static void whole_file_gzip(void **state)
{
    size_t len, glen;
    uint8_t *f = make_elf(&len, true, false), *g = gz(f, len, &glen);
    struct mica_kernel k;
    (void)state;

    assert_int_equal(mica_kernel_load(g, glen, &k, why, sizeof(why)), 0);
    assert_string_equal(k.format, "gzip");
    assert_false(k.notes.has_hypercall_page);
    mica_kernel_free(&k);
    expect_refused(g, glen - 12, "corrupt gzip data");
    free(g);
    free(f);
}

static void refusals(void **state)
{
    size_t len, blen;
    uint8_t *f = make_elf(&len, true, true), *b;
    (void)state;

    expect_refused((const uint8_t *)"hello, world", 12, "not an ELF64 x86-64 image, a bzImage");
    f[4] = 1;                                       /* ELFCLASS32 */
    expect_refused(f, len, "not an ELF64 x86-64 image");
    f[4] = 2;
    free(f);
    f = make_elf(&len, false, false);
    expect_refused(f, len, "kernel: no Xen notes: not a PV kernel");
    b = bzimage((const uint8_t *)"BZh91AY&SY", 10, 0, 0x020f, &blen);
    expect_refused(b, blen, "kernel: bzImage payload is bzip2, not supported");
    free(b);
    b = bzimage((const uint8_t *)"\xfd" "7zXZ", 5, 0, 0x0207, &blen);
    expect_refused(b, blen, "older than 2.08");
    uint32_t huge = 0xfffffff0;
    memcpy(b + 0x24c, &huge, 4);
    memcpy(b + 0x206, "\x0f\x02", 2);
    expect_refused(b, blen, "lies outside the");
    free(b);
    free(f);

    f = make_elf(&len, true, true);
    uint64_t off = len;                             /* text segment's offset past the end */
    memcpy(f + 64 + 8, &off, 8);
    expect_refused(f, len, "segment 0 lies outside the image");
    free(f);
    f = make_elf(&len, true, true);
    uint64_t e = VB + DATA_PA;                      /* ENTRY in the data segment */
    memcpy(f + 24, &e, 8);
    uint8_t *nt = f + 0x200;                        /* find the ENTRY note and point it there */
    for (size_t p = 0; p + 16 < 0x400; p += 4)
        if (!memcmp(nt + p + 8, "\1\0\0\0Xen", 8))
            memcpy(nt + p + 16, &e, 8);
    expect_refused(f, len, "not inside an executable segment");
    free(f);
    f = make_elf(&len, true, true);
    uint64_t sz = 0x20000;                          /* phdr count past the end */
    memcpy(f + 32, &sz, 8);
    expect_refused(f, len, "program headers lie outside the image");
    free(f);
}

/* Every prefix of a good image is either refused with a reason or (never,
 * here) accepted: ASan sees a buffer of exactly that size each time. */
static void every_truncation(void **state)
{
    size_t len;
    uint8_t *f = make_elf(&len, true, true);
    (void)state;

    for (size_t n = 0; n < len; n++) {
        uint8_t *t = malloc(n ? n : 1);
        struct mica_kernel k;
        memcpy(t, f, n);
        why[0] = 0;
        assert_int_equal(mica_kernel_load(t, n, &k, why, sizeof(why)), -1);
        assert_int_equal(strncmp(why, "kernel: ", 8), 0);
        free(t);
    }
    free(f);
}

static void real_debian_kernel(void **state)
{
    const char *bz = getenv("MICA_TEST_BZIMAGE"), *vm = getenv("MICA_TEST_VMLINUX");
    struct mica_kernel k;
    (void)state;

    if (!bz || !*bz) {
        print_message("MICA_TEST_BZIMAGE not set: no real kernel to load, skipped\n");
        skip();
    }
    if (mica_kernel_load_file(bz, &k, why, sizeof(why)))
        fail_msg("%s", why);
    assert_string_equal(k.format, "bzImage (xz)");
    assert_int_equal(k.notes.virt_base, 0xffffffff80000000ULL);
    assert_string_equal(k.notes.xen_version, "xen-3.0");
    assert_string_equal(k.notes.guest_os, "linux");
    assert_true(k.notes.mod_start_pfn);
    assert_true(k.nr_seg >= 3);
    if (vm && *vm) {
        uint8_t *v;
        size_t vlen;
        if (mica_read_file("vmlinux", vm, 1u << 30, &v, &vlen, why, sizeof(why)) == 0) {
            assert_int_equal(vlen, k.elf_len);
            assert_memory_equal(v, k.elf, vlen);
            free(v);
        } else {
            print_message("%s: not compared\n", why);
        }
    }
    mica_kernel_free(&k);
}

/* ---- the builder against the fake hypervisor --------------------------------------- */

#define MEM_KIB (32 * 1024)
#define RAMDISK_LEN (5 * 1024 * 1024 + 1234)

/* Translate va through the tables from l4_mfn: the frame, *pte the leaf
 * entry; NULL if not present.  Every table frame met goes into tables[]. */
static uint8_t *translate(xen_pfn_t l4_mfn, uint64_t va, uint64_t *pte, xen_pfn_t *tables)
{
    xen_pfn_t mfn = l4_mfn;

    for (int level = 3; level >= 0; level--) {
        uint64_t *t = fake_frame(mfn);
        assert_non_null(t);
        if (tables)
            tables[3 - level] = mfn;
        uint64_t e = t[(va >> (12 + 9 * level)) & 511];
        if (!(e & 1))
            return NULL;
        mfn = (e & 0x000ffffffffff000ULL) >> 12;
        if (level == 0)
            *pte = e;
        else
            assert_true(e & 2);     /* upper levels writable; the leaf decides */
    }
    return fake_frame(mfn);
}

static uint8_t *at(xen_pfn_t l4, uint64_t va)
{
    uint64_t pte;
    uint8_t *p = translate(l4, va & ~0xfffULL, &pte, NULL);

    assert_non_null(p);
    return p + (va & 0xfff);
}

struct built_dom {
    struct mica *m;
    struct mica_kernel k;
    uint8_t *ramdisk;                /* RAMDISK_LEN: the region spans two windows */
    domid_t id;
    unsigned int free_before;
};

static void setup_dom(struct built_dom *d, bool hypercall_page)
{
    size_t len;
    uint8_t *f = make_elf(&len, true, hypercall_page);

    fake_reset();
    fake_add(0, "Domain-0", 1000, 1, MICA_DOMINF_privileged);
    d->m = fake_open();
    assert_int_equal(mica_kernel_load(f, len, &d->k, why, sizeof(why)), 0);
    free(f);
    d->ramdisk = malloc(RAMDISK_LEN);
    for (size_t i = 0; i < RAMDISK_LEN; i++)
        d->ramdisk[i] = (uint8_t)(i * 13 + 5);
    d->free_before = FAKE_FRAMES;
    uint8_t uuid[16] = { 1, 2, 3 };
    assert_int_equal(mica_domain_create(d->m, DOMID_INVALID, 0, 1, MEM_KIB / 4, uuid, "guest",
                                        &d->id), 0);
    assert_int_equal(d->id, 1);
}

static void teardown_dom(struct built_dom *d)
{
    assert_int_equal(mica_domain_destroy(d->m, d->id), 0);
    assert_int_equal(fake_free_frames(), d->free_before);   /* every frame back */
    assert_null(fake_built(d->id));
    mica_kernel_free(&d->k);
    mica_close(d->m);
    free(d->ramdisk);
}

static struct mica_build_config config(struct built_dom *d)
{
    return (struct mica_build_config){
        .kernel = &d->k, .ramdisk = d->ramdisk, .ramdisk_len = RAMDISK_LEN,
        .cmdline = "console=hvc0 root=/dev/xvda", .memory_kib = MEM_KIB,
        .maxmem_kib = 2 * MEM_KIB, .store_domid = 0, .console_domid = 0,
    };
}

static void check_start_info(const struct start_info *si, const struct fake_built *b,
                             const struct mica_build_result *r)
{
    assert_string_equal(si->magic, "xen-3.0-x86_64");
    assert_int_equal(si->nr_pages, MEM_KIB / 4);
    assert_int_equal(si->shared_info, b->shared_info << 12);
    assert_int_equal(si->flags, 0);
    assert_int_equal(si->store_mfn, b->sc.store_mfn);
    assert_int_equal(si->store_evtchn, 1);
    assert_int_equal(si->console.domU.mfn, b->sc.console_mfn);
    assert_int_equal(si->console.domU.evtchn, 2);
    assert_int_equal(si->pt_base, r->pt_base);
    assert_int_equal(si->nr_pt_frames, r->nr_pt_frames);
    assert_int_equal(si->mod_len, RAMDISK_LEN);
    assert_string_equal((const char *)si->cmd_line, "console=hvc0 root=/dev/xvda");
    assert_int_equal(r->store_mfn, b->sc.store_mfn);
    assert_int_equal(r->console_mfn, b->sc.console_mfn);
    assert_int_equal(r->store_port, 1);
    assert_int_equal(r->console_port, 2);
}

static bool host_has_nx(void)
{
    unsigned int a, b, c, d;
    return __get_cpuid(0x80000001, &a, &b, &c, &d) && (d & (1u << 20));
}

/* Every pfn of the region maps VB + pfn * 4 KiB to p2m[pfn]; tables are
 * read-only and nothing else is; the kernel image is executable and
 * nothing after it is (where the CPU has NX); every table met is one of
 * the boot tables; nothing is mapped past the region. */
static void check_tables(xen_pfn_t l4, const xen_pfn_t *p2m, const struct mica_build_result *r,
                         uint64_t kend)
{
    uint64_t pt = (r->pt_base - VB) >> 12, n = r->nr_pt_frames;

    assert_int_equal(p2m[pt], l4);
    for (uint64_t pfn = 0; pfn < r->region_pages; pfn++) {
        uint64_t pte;
        xen_pfn_t tables[4];
        assert_non_null(translate(l4, VB + pfn * 4096, &pte, tables));
        assert_int_equal((pte & 0x000ffffffffff000ULL) >> 12, p2m[pfn]);
        bool is_pt = pfn >= pt && pfn < pt + n;
        assert_int_equal(!!(pte & 2), !is_pt);
        assert_int_equal(pte >> 63, pfn >= kend && host_has_nx());
        for (int i = 0; i < 4; i++) {
            bool found = false;
            for (uint64_t j = 0; j < n; j++)
                found |= p2m[pt + j] == tables[i];
            assert_true(found);
        }
    }
    uint64_t pte;
    assert_null(translate(l4, VB + r->region_pages * 4096, &pte, NULL));
    assert_null(translate(l4, VB - 4096, &pte, NULL));
}

static void build_checks_layout(void **state)
{
    struct built_dom d;
    struct mica_build_result r;
    (void)state;

    setup_dom(&d, true);
    struct mica_build_config cfg = config(&d);
    if (mica_build_pv(d.m, d.id, &cfg, &r, why, sizeof(why)))
        fail_msg("%s", why);
    assert_int_equal(fake.mapped_pages, 0);        /* nothing left mapped */
    struct fake_built *b = fake_built(d.id);
    assert_true(b->ctx_set && b->rings_set);
    const struct vcpu_guest_context *c = &b->ctx;
    assert_int_equal(c->flags, VGCF_in_kernel | VGCF_online);
    assert_int_equal(c->user_regs.rip, ENTRY);
    assert_int_equal(c->user_regs.rsi, r.start_info_va);
    assert_int_equal(c->user_regs.rsp, r.stack_top);
    assert_int_equal(c->kernel_sp, r.stack_top);
    assert_int_equal(c->kernel_ss, FLAT_KERNEL_SS);
    assert_int_equal(c->user_regs.cs, FLAT_KERNEL_CS);
    assert_int_equal(c->user_regs.ss, FLAT_KERNEL_SS);
    assert_true(c->user_regs.rflags & (1 << 9));
    assert_int_equal(r.region_pages % 1024, 0);
    assert_true(r.stack_top <= VB + (r.region_pages - 128) * 4096);   /* 512 KiB slack */

    xen_pfn_t l4 = xen_cr3_to_pfn(c->ctrlreg[3]);
    assert_int_equal(b->pinned_l4, l4);     /* pinned as Xen's builder does */
    const struct start_info *si = (const void *)at(l4, r.start_info_va);
    check_start_info(si, b, &r);

    /* The p2m: every frame the domain's, each once. */
    xen_pfn_t *p2m = calloc(si->nr_pages, sizeof(*p2m));
    uint8_t *seen = calloc(FAKE_FRAMES, 1);
    for (uint64_t i = 0; i < si->nr_pages; i++) {
        p2m[i] = *(const xen_pfn_t *)at(l4, si->mfn_list + i * 8);
        assert_int_equal(fake.owner[p2m[i] - FAKE_MFN_BASE], d.id);
        assert_int_equal(seen[p2m[i] - FAKE_MFN_BASE]++, 0);
    }
    check_tables(l4, p2m, &r, (d.k.virt_end - VB) >> 12);
    assert_int_equal(b->e820_ram, 2 * MEM_KIB * 1024);   /* it may balloon to maxmem */

    /* Kernel, bss, hypercall page, ramdisk, store and console pages. */
    size_t len;
    uint8_t *f = make_elf(&len, true, true);
    assert_memory_equal(at(l4, VB + TEXT_PA), f + 0x1000, 0x1000);
    uint8_t *hc = at(l4, HCALL);
    assert_int_equal(hc[0], 0x51);
    assert_int_equal(hc[32 + 4], 1);
    assert_int_equal(hc[23 * 32 + 3], 0x50);
    assert_int_equal(hc[31], 0xcc);
    for (int i = 0; i < 0x3000; i++)
        assert_int_equal(*at(l4, VB + DATA_PA + i), i < 0x100 ? 0xab : 0);
    assert_true(r.region_pages > 1024);           /* more than one window */
    for (int i = 0; i < RAMDISK_LEN; i += 4096 - 1)
        assert_int_equal(*at(l4, si->mod_start + i), d.ramdisk[i]);
    for (int i = RAMDISK_LEN - 4096; i < RAMDISK_LEN; i++)
        assert_int_equal(*at(l4, si->mod_start + i), d.ramdisk[i]);
    for (xen_pfn_t mfn = 0; mfn < 2; mfn++) {
        const uint8_t *p = fake_frame(mfn ? b->sc.console_mfn : b->sc.store_mfn);
        for (int i = 0; i < 4096; i++)
            assert_int_equal(p[i], 0);
    }
    /* Grants 0 and 1 for dom0; events masked. */
    const struct grant_entry_v1 *g = fake_frame(b->grant);
    assert_int_equal(g[0].flags, GTF_permit_access);
    assert_int_equal(g[0].domid, 0);
    assert_int_equal(g[0].frame, b->sc.console_mfn);
    assert_int_equal(g[1].flags, GTF_permit_access);
    assert_int_equal(g[1].frame, b->sc.store_mfn);
    assert_int_equal(g[2].flags, 0);
    const struct shared_info *s = fake_frame(b->shared_info);
    for (int i = 0; i < XEN_LEGACY_MAX_VCPUS; i++)
        assert_int_equal(s->vcpu_info[i].evtchn_upcall_mask, 1);
    free(f);
    free(seen);
    free(p2m);
    teardown_dom(&d);
}

static void build_console_on_serial(void **state)
{
    struct built_dom d;
    struct mica_build_result r;
    (void)state;

    setup_dom(&d, false);
    struct mica_build_config cfg = config(&d);
    cfg.console_domid = DOMID_XEN;
    cfg.store_domid = DOMID_INVALID;
    cfg.ramdisk = NULL, cfg.ramdisk_len = 0, cfg.cmdline = NULL;
    if (mica_build_pv(d.m, d.id, &cfg, &r, why, sizeof(why)))
        fail_msg("%s", why);
    struct fake_built *b = fake_built(d.id);
    const struct grant_entry_v1 *g = fake_frame(b->grant);
    assert_int_equal(g[0].flags, 0);               /* no grant to nobody */
    assert_int_equal(g[1].flags, 0);
    assert_int_equal(r.store_port, 0);
    const struct start_info *si = (const void *)at(xen_cr3_to_pfn(b->ctx.ctrlreg[3]),
                                                    r.start_info_va);
    assert_int_equal(si->mod_start, 0);
    assert_int_equal(si->mod_len, 0);
    assert_int_equal(si->cmd_line[0], 0);
    teardown_dom(&d);
}

/* A failed step: one line naming it, nothing left mapped, and the caller's
 * destroy gets every frame back (teardown_dom). */
static void build_failures(void **state)
{
    struct built_dom d;
    struct mica_build_result r;
    (void)state;

    setup_dom(&d, true);
    struct mica_build_config cfg = config(&d);
    fake.fail_cmd = MICA_CTL_setvcpucontext;
    fake.fail_errno = EINVAL;
    assert_int_equal(mica_build_pv(d.m, d.id, &cfg, &r, why, sizeof(why)), -1);
    assert_string_equal(why, "d1: setvcpucontext: EINVAL: invalid argument");
    assert_int_equal(fake.mapped_pages, 0);
    teardown_dom(&d);

    setup_dom(&d, true);
    fake.fail_map_after = 1;    /* the second window's mapping fails */
    cfg = config(&d);
    assert_int_equal(mica_build_pv(d.m, d.id, &cfg, &r, why, sizeof(why)), -1);
    assert_non_null(strstr(why, "d1: mapping its memory: EFAULT: bad address"));
    assert_int_equal(fake.mapped_pages, 0);
    assert_false(fake_built(d.id)->ctx_set);
    teardown_dom(&d);

    setup_dom(&d, true);
    fake.fail_map_after = 2;    /* shared_info's, after the two windows */
    cfg = config(&d);
    assert_int_equal(mica_build_pv(d.m, d.id, &cfg, &r, why, sizeof(why)), -1);
    assert_string_equal(why, "d1: mapping its shared_info: EFAULT: bad address");
    assert_int_equal(fake.mapped_pages, 0);
    teardown_dom(&d);

    setup_dom(&d, true);
    cfg = config(&d);
    cfg.memory_kib = 2048;
    assert_int_equal(mica_build_pv(d.m, d.id, &cfg, &r, why, sizeof(why)), -1);
    assert_non_null(strstr(why, "cannot hold the kernel and boot data"));
    char longline[1100];
    memset(longline, 'x', sizeof(longline) - 1);
    longline[sizeof(longline) - 1] = 0;
    cfg = config(&d);
    cfg.cmdline = longline;
    assert_int_equal(mica_build_pv(d.m, d.id, &cfg, &r, why, sizeof(why)), -1);
    assert_non_null(strstr(why, "command line is longer than 1023 bytes"));
    teardown_dom(&d);
}

static void populate_stops_at_limit(void **state)
{
    struct mica *m;
    domid_t id;
    xen_pfn_t mfns[64];
    (void)state;

    fake_reset();
    fake_add(0, "Domain-0", 1000, 1, MICA_DOMINF_privileged);
    m = fake_open();
    assert_int_equal(mica_domain_create(m, 7, 0, 1, 32, NULL, NULL, &id), 0);
    assert_int_equal(id, 7);
    assert_int_equal(mica_populate_physmap(m, id, 0, 16, mfns), 0);
    assert_int_equal(mica_populate_physmap(m, id, 16, 48, mfns + 16), -1);
    assert_int_equal(errno, ENOMEM);
    assert_int_equal(mica_domain_max_mem(m, id, 64), 0);
    assert_int_equal(mica_populate_physmap(m, id, 32, 32, mfns + 32), 0);
    xen_pfn_t g;
    assert_int_equal(mica_gnttab_frame(m, id, &g), 0);
    assert_int_equal(g, fake_built(id)->grant);
    assert_int_equal(mica_gnttab_frame(m, 9, &g), -1);
    assert_int_equal(errno, ESRCH);
    assert_int_equal(mica_domain_create(m, 7, 0, 1, 32, NULL, NULL, &id), -1);
    assert_int_equal(errno, EEXIST);
    char name[40];
    memset(name, 'n', 39), name[39] = 0;
    assert_int_equal(mica_domain_create(m, DOMID_INVALID, 0, 1, 32, NULL, name, &id), -1);
    assert_int_equal(errno, EINVAL);
    assert_int_equal(mica_domain_destroy(m, 7), 0);
    assert_int_equal(fake_free_frames(), FAKE_FRAMES);
    mica_close(m);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(elf_plain),
        cmocka_unit_test(bzimage_each_compressor),
        cmocka_unit_test(whole_file_gzip),
        cmocka_unit_test(refusals),
        cmocka_unit_test(every_truncation),
        cmocka_unit_test(real_debian_kernel),
        cmocka_unit_test(populate_stops_at_limit),
        cmocka_unit_test(build_checks_layout),
        cmocka_unit_test(build_console_on_serial),
        cmocka_unit_test(build_failures),
    };

    return cmocka_run_group_tests_name("libmica", tests, NULL, NULL);
}
