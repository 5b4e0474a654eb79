/* SPDX-License-Identifier: MIT */
/*
 * The user-space PV domain builder (build.h).  Guest memory is reached
 * through foreign mappings of windows of WINDOW pages of the region, one
 * at a time: writes are mostly sequential (kernel, ramdisk, p2m, boot
 * pages), and the page tables are assembled in the builder's own memory
 * first and then copied in, so no table write ever thrashes the window.
 * Every mapping is dropped before setvcpucontext: a frame the builder
 * still maps writable cannot become a page table (mm/pt.c, rule 2), and
 * the hypervisor would refuse the L4.
 */
#include <cpuid.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <abi/grant_table.h>

#include "build.h"

#define PAGE         4096ULL
#define MAX(a, b)    ((a) > (b) ? (a) : (b))
#define SLACK_PAGES  128                /* 512 KiB after the region */
#define REGION_ALIGN 1024               /* pages: the region ends on 4 MiB */
#define REGION_MAX   (1ULL << 18)       /* pages: 1 GiB, as the hypervisor's builder */
#define WINDOW       1024               /* pages mapped at a time */
#define STACK_PAGES  1

#define PTE_P 0x001ULL
#define PTE_W 0x002ULL
#define PTE_A 0x020ULL
#define PTE_D 0x040ULL
#define PTE_NX (1ULL << 63)

struct layout {
    uint64_t kend;                      /* pfns: first after the kernel image */
    uint64_t initrd, initrd_pages;
    uint64_t p2m, p2m_pages;
    uint64_t start_info, store, console;
    uint64_t pt, pt_pages;              /* L4, L3s, L2s, L1s in that order */
    uint64_t stack;
    uint64_t end;                       /* first pfn past the region */
    unsigned int nr_l3, nr_l2, nr_l1;
};

struct builder {
    struct mica *m;
    domid_t id;
    const struct mica_build_config *cfg;
    uint64_t vb;                        /* VIRT_BASE */
    uint64_t nr_pages;
    struct layout l;
    xen_pfn_t *p2m;                     /* pfn -> mfn, nr_pages entries */
    uint8_t *win;                       /* mapped window, or NULL */
    uint64_t win_first, win_n;
    char *why;
    size_t why_len;
};

static int fail(struct builder *b, int err, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static int fail(struct builder *b, int err, const char *fmt, ...)
{
    va_list ap;

    if (b->why && b->why_len) {
        va_start(ap, fmt);
        vsnprintf(b->why, b->why_len, fmt, ap);
        va_end(ap);
    }
    errno = err;
    return -1;
}

/* A failed call: the step, then the hypervisor's error by name. */
static int failed(struct builder *b, const char *step)
{
    int e = errno ? errno : EIO;

    return fail(b, e, "d%u: %s: %s", b->id, step, mica_strerror(e));
}

static uint64_t va(const struct builder *b, uint64_t pfn)
{
    return b->vb + pfn * PAGE;
}

/* ---- layout ------------------------------------------------------------------ */

static unsigned int tables_for(uint64_t first, uint64_t last, unsigned int shift)
{
    return (unsigned int)((last >> shift) - (first >> shift) + 1);
}

static void plan(struct builder *b)
{
    struct layout *l = &b->l;

    l->kend = (b->cfg->kernel->virt_end - b->vb) / PAGE;
    l->initrd = l->kend;
    l->initrd_pages = (b->cfg->ramdisk_len + PAGE - 1) / PAGE;
    l->p2m = l->initrd + l->initrd_pages;
    l->p2m_pages = (b->nr_pages * 8 + PAGE - 1) / PAGE;
    l->start_info = l->p2m + l->p2m_pages;
    l->store = l->start_info + 1;
    l->console = l->store + 1;
    l->pt = l->console + 1;
    /* The tables map the region, which holds the tables: iterate. */
    l->pt_pages = 1;
    for (;;) {
        l->stack = l->pt + l->pt_pages;
        l->end = (l->stack + STACK_PAGES + SLACK_PAGES + REGION_ALIGN - 1) &
                 ~(uint64_t)(REGION_ALIGN - 1);
        uint64_t first = va(b, 0), last = va(b, l->end) - 1;
        l->nr_l3 = tables_for(first, last, 39);
        l->nr_l2 = tables_for(first, last, 30);
        l->nr_l1 = tables_for(first, last, 21);
        uint64_t need = 1 + l->nr_l3 + l->nr_l2 + l->nr_l1;
        if (need <= l->pt_pages)
            break;
        l->pt_pages = need;
    }
}

/* ---- writing through the window ---------------------------------------------- */

static int unmap_window(struct builder *b)
{
    int rc = 0;

    if (b->win && mica_unmap_foreign(b->m, b->win, b->win_n))
        rc = failed(b, "unmapping its memory");
    b->win = NULL;
    return rc;
}

/* After a failure: drop the window, keeping the first reason. */
static void drop_window(struct builder *b)
{
    if (b->win)
        (void)mica_unmap_foreign(b->m, b->win, b->win_n);
    b->win = NULL;
}

/* The page of region pfn, mapped writable; NULL with why set. */
static uint8_t *page(struct builder *b, uint64_t pfn)
{
    if (b->win && pfn >= b->win_first && pfn - b->win_first < b->win_n)
        return b->win + (pfn - b->win_first) * PAGE;
    if (unmap_window(b))
        return NULL;
    uint64_t first = pfn - pfn % WINDOW;
    uint64_t n = b->l.end - first < WINDOW ? b->l.end - first : WINDOW;
    if (!(b->win = mica_map_foreign(b->m, b->id, b->p2m + first, n))) {
        failed(b, "mapping its memory");
        return NULL;
    }
    b->win_first = first;
    b->win_n = n;
    return b->win + (pfn - first) * PAGE;
}

/* Copy len bytes (src NULL: zeroes) to region byte offset off. */
static int put(struct builder *b, uint64_t off, const void *src, uint64_t len)
{
    const uint8_t *s = src;

    while (len) {
        uint64_t in = off % PAGE, n = PAGE - in < len ? PAGE - in : len;
        uint8_t *p = page(b, off / PAGE);
        if (!p)
            return -1;
        if (s)
            memcpy(p + in, s, n), s += n;
        else
            memset(p + in, 0, n);
        off += n, len -= n;
    }
    return 0;
}

/* ---- the pieces ------------------------------------------------------------------ */

static int load_kernel(struct builder *b)
{
    const struct mica_kernel *k = b->cfg->kernel;

    for (unsigned int i = 0; i < k->nr_seg; i++) {
        const struct mica_segment *s = &k->seg[i];
        uint64_t off = s->vaddr - b->vb;
        if (put(b, off, k->elf + s->offset, s->filesz) ||
            put(b, off + s->filesz, NULL, s->memsz - s->filesz))   /* bss */
            return -1;
    }
    return 0;
}

/* 32-byte stubs, slot i making hypercall i; slot 23 (iret) keeps the frame
 * the guest pushed.  The same bytes as the hypervisor's builder. */
static int hypercall_page(struct builder *b)
{
    static const uint8_t stub[] = { 0x51, 0x41, 0x53, 0xb8, 0, 0, 0, 0, 0x0f, 0x05,
                                    0x41, 0x5b, 0x59, 0xc3 };
    static const uint8_t iret[] = { 0x51, 0x41, 0x53, 0x50, 0xb8, 23, 0, 0, 0, 0x0f, 0x05 };
    const struct mica_kernel *k = b->cfg->kernel;
    uint8_t p[PAGE];

    if (!k->notes.has_hypercall_page)
        return 0;
    memset(p, 0xcc, sizeof(p));     /* int3 between stubs */
    for (unsigned int i = 0; i < PAGE / 32; i++) {
        memcpy(p + i * 32, stub, sizeof(stub));
        p[i * 32 + 4] = (uint8_t)i;
    }
    memcpy(p + 23 * 32, iret, sizeof(iret));
    return put(b, k->notes.hypercall_page - b->vb, p, PAGE);
}

/* The CPU has NX (the hypervisor then runs with EFER.NXE, so guest entries
 * may carry it): CPUID leaf 0x80000001, EDX bit 20. */
static bool cpu_has_nx(void)
{
    unsigned int a, b, c, d;

    return __get_cpuid(0x80000001, &a, &b, &c, &d) && (d & (1u << 20));
}

/* Every page of the region mapped read-write, except the tables, which are
 * read-only (a PV guest may not hold a writable mapping of its own page
 * tables).  Nothing after the kernel image is code: no-execute, so that
 * what Linux leaves mapped of the region (it takes it down only up to the
 * 4 MiB boundary after the tables; the stack and slack may run past) is
 * never writable and executable at once.  Built here, then copied in. */
static int page_tables(struct builder *b)
{
    const struct layout *l = &b->l;
    uint64_t *t = calloc(l->pt_pages, PAGE);
    uint64_t first = va(b, 0);
    const uint64_t upper = PTE_P | PTE_W | PTE_A;
    const uint64_t nx = cpu_has_nx() ? PTE_NX : 0;
    uint64_t l3 = 1, l2 = l3 + l->nr_l3, l1 = l2 + l->nr_l2;   /* table indices */

    if (!t)
        return fail(b, ENOMEM, "d%u: page tables: out of memory", b->id);
    for (uint64_t pfn = 0; pfn < l->end; pfn++) {
        uint64_t v = va(b, pfn);
        uint64_t i3 = l3 + ((v >> 39) - (first >> 39));
        uint64_t i2 = l2 + ((v >> 30) - (first >> 30));
        uint64_t i1 = l1 + ((v >> 21) - (first >> 21));
        bool is_pt = pfn >= l->pt && pfn < l->pt + l->pt_pages;

        t[(v >> 39) & 511] = b->p2m[l->pt + i3] << 12 | upper;
        t[i3 * 512 + ((v >> 30) & 511)] = b->p2m[l->pt + i2] << 12 | upper;
        t[i2 * 512 + ((v >> 21) & 511)] = b->p2m[l->pt + i1] << 12 | upper;
        t[i1 * 512 + ((v >> 12) & 511)] = b->p2m[pfn] << 12 | PTE_P | PTE_A |
                                          (is_pt ? 0 : PTE_W | PTE_D) |
                                          (pfn >= l->kend ? nx : 0);
    }
    int rc = put(b, l->pt * PAGE, t, l->pt_pages * PAGE);
    free(t);
    return rc;
}

static int start_info(struct builder *b, const struct mica_ctl_store_console *sc,
                      uint64_t shared_info_mfn)
{
    const struct layout *l = &b->l;
    struct start_info si;

    memset(&si, 0, sizeof(si));
    snprintf(si.magic, sizeof(si.magic), "xen-3.0-x86_64");
    si.nr_pages = b->nr_pages;
    si.shared_info = shared_info_mfn << 12;
    si.flags = 0;                   /* neither privileged nor the initial domain */
    si.store_mfn = sc->store_mfn;
    si.store_evtchn = sc->store_port;
    si.console.domU.mfn = sc->console_mfn;
    si.console.domU.evtchn = sc->console_port;
    si.pt_base = va(b, l->pt);
    si.nr_pt_frames = l->pt_pages;
    si.mfn_list = va(b, l->p2m);
    si.mod_start = b->cfg->ramdisk_len ? va(b, l->initrd) : 0;
    si.mod_len = b->cfg->ramdisk_len;
    if (b->cfg->cmdline)
        memcpy(si.cmd_line, b->cfg->cmdline, strlen(b->cfg->cmdline));  /* length checked */
    return put(b, l->start_info * PAGE, &si, sizeof(si));
}

/* Map one frame of the domain outside the region, run fn on it, unmap. */
static int with_frame(struct builder *b, xen_pfn_t mfn, const char *what,
                      int (*fn)(struct builder *b, void *p, const void *arg), const void *arg)
{
    void *p = mica_map_foreign(b->m, b->id, &mfn, 1);
    char step[64];

    if (!p) {
        snprintf(step, sizeof(step), "mapping its %s", what);
        return failed(b, step);
    }
    int rc = fn(b, p, arg);
    if (mica_unmap_foreign(b->m, p, 1) && rc == 0) {
        snprintf(step, sizeof(step), "unmapping its %s", what);
        rc = failed(b, step);
    }
    return rc;
}

/* Events masked on every vCPU until the kernel unmasks them, as Xen's
 * toolstack leaves a fresh shared_info. */
static int mask_events(struct builder *b, void *p, const void *arg)
{
    volatile struct shared_info *s = p;

    (void)b, (void)arg;
    for (unsigned int i = 0; i < XEN_LEGACY_MAX_VCPUS; i++)
        s->vcpu_info[i].evtchn_upcall_mask = 1;
    return 0;
}

/* Grant entries 0 (console) and 1 (xenstore) for the serving domains, as
 * Xen's toolstack seeds them (GNTTAB_RESERVED_*): domid and frame first,
 * then the flags that make the entry live. */
static int seed_grants(struct builder *b, void *p, const void *arg)
{
    volatile struct grant_entry_v1 *g = p;
    const struct mica_ctl_store_console *sc = arg;
    const struct { unsigned int ref; domid_t dom; xen_pfn_t mfn; } e[] = {
        { GNTTAB_RESERVED_CONSOLE, sc->console_domid, sc->console_mfn },
        { GNTTAB_RESERVED_XENSTORE, sc->store_domid, sc->store_mfn },
    };

    for (unsigned int i = 0; i < 2; i++) {
        /* Mica serves a DOMID_XEN console itself; no grant to nobody. */
        if (e[i].dom == DOMID_XEN || e[i].dom == DOMID_INVALID || e[i].dom == b->id)
            continue;
        if (e[i].mfn > UINT32_MAX)
            return fail(b, ERANGE, "d%u: grant %u: frame %#llx does not fit a v1 entry",
                        b->id, e[i].ref, (unsigned long long)e[i].mfn);
        g[e[i].ref].domid = e[i].dom;
        g[e[i].ref].frame = (uint32_t)e[i].mfn;
        __atomic_thread_fence(__ATOMIC_RELEASE);
        g[e[i].ref].flags = GTF_permit_access;
    }
    return 0;
}

static void vcpu0(const struct builder *b, struct vcpu_guest_context *c)
{
    const struct layout *l = &b->l;
    uint64_t top = va(b, l->stack + STACK_PAGES);

    memset(c, 0, sizeof(*c));
    c->flags = VGCF_in_kernel | VGCF_online;
    c->user_regs.rip = b->cfg->kernel->notes.entry;
    c->user_regs.rsp = top;
    c->user_regs.rsi = va(b, l->start_info);
    c->user_regs.cs = FLAT_KERNEL_CS;
    c->user_regs.ss = FLAT_KERNEL_SS;
    c->user_regs.rflags = 1ULL << 9;    /* IF */
    c->kernel_ss = FLAT_KERNEL_SS;
    c->kernel_sp = top;
    c->ctrlreg[3] = xen_pfn_to_cr3(b->p2m[l->pt]);
}

/* Checks on the configuration that need no hypercall. */
static int check_config(struct builder *b)
{
    const struct mica_build_config *cfg = b->cfg;
    const struct mica_kernel *k = cfg->kernel;

    if (!k || !k->elf || !k->nr_seg)
        return fail(b, EINVAL, "d%u: no kernel loaded", b->id);
    if (cfg->cmdline && strlen(cfg->cmdline) >= MAX_GUEST_CMDLINE)
        return fail(b, EINVAL, "d%u: command line is longer than %d bytes", b->id,
                    MAX_GUEST_CMDLINE - 1);
    if (cfg->ramdisk_len && !cfg->ramdisk)
        return fail(b, EINVAL, "d%u: ramdisk length without data", b->id);
    b->vb = k->notes.virt_base;
    b->nr_pages = cfg->memory_kib / 4;
    if (k->virt_end - b->vb > REGION_MAX * PAGE || cfg->ramdisk_len > REGION_MAX * PAGE ||
        b->nr_pages > REGION_MAX * 1024)    /* 1 TiB: keeps every product below 2^63 */
        return fail(b, EINVAL, "d%u: kernel, ramdisk or memory too large", b->id);
    plan(b);
    if (b->l.end > b->nr_pages || b->l.end > REGION_MAX)
        return fail(b, EINVAL, "d%u: %llu MiB cannot hold the kernel and boot data (needs "
                    "%llu MiB, in one GiB)", b->id, (unsigned long long)(cfg->memory_kib >> 10),
                    (unsigned long long)(b->l.end * PAGE >> 20));
    return 0;
}

/* Everything written through mappings; on return nothing is mapped. */
static int fill(struct builder *b, const struct mica_ctl_store_console *sc, uint64_t shinfo)
{
    const struct layout *l = &b->l;
    xen_pfn_t gframe;
    int rc = load_kernel(b) || hypercall_page(b) ||
             put(b, l->initrd * PAGE, b->cfg->ramdisk, b->cfg->ramdisk_len) ||
             put(b, l->p2m * PAGE, b->p2m, b->nr_pages * sizeof(*b->p2m)) ||
             start_info(b, sc, shinfo) || put(b, l->store * PAGE, NULL, 2 * PAGE) ||
             page_tables(b) || put(b, l->stack * PAGE, NULL, STACK_PAGES * PAGE);
    if (rc) {
        drop_window(b);
        return -1;
    }
    if (unmap_window(b))
        return -1;
    if (with_frame(b, shinfo, "shared_info", mask_events, NULL))
        return -1;
    if (mica_gnttab_frame(b->m, b->id, &gframe))
        return failed(b, "grant table setup");
    return with_frame(b, gframe, "grant table", seed_grants, sc);
}

int mica_build_pv(struct mica *m, domid_t id, const struct mica_build_config *cfg,
                  struct mica_build_result *res, char *why, size_t why_len)
{
    struct builder b = { .m = m, .id = id, .cfg = cfg, .why = why, .why_len = why_len };
    struct mica_ctl_domaininfo info;
    struct vcpu_guest_context ctx;
    int rc = -1;

    if (why && why_len)
        why[0] = 0;
    if (check_config(&b))
        return -1;
    if (!(b.p2m = calloc(b.nr_pages, sizeof(*b.p2m))))
        return fail(&b, ENOMEM, "d%u: p2m: out of memory", id);
    struct mica_ctl_store_console sc = { .store_domid = cfg->store_domid,
                                         .console_domid = cfg->console_domid };
    if (mica_domain_info(m, id, &info))
        failed(&b, "getdomaininfo");
    else if (mica_domain_max_mem(m, id, b.nr_pages))
        failed(&b, "max_mem");
    else if (mica_populate_physmap(m, id, 0, b.nr_pages, b.p2m))
        failed(&b, "populate_physmap");
    else if (mica_set_memory_map(m, id, MAX(cfg->maxmem_kib, cfg->memory_kib) << 10))
        failed(&b, "set_memory_map");
    else if (sc.store_mfn = b.p2m[b.l.store], sc.console_mfn = b.p2m[b.l.console],
             mica_set_store_console(m, id, &sc))
        failed(&b, "set_store_console");
    else if (!fill(&b, &sc, info.shared_info_frame)) {
        vcpu0(&b, &ctx);
        if (mica_pin_l4(m, id, b.p2m[b.l.pt]))
            failed(&b, "pin of the boot page tables");
        else if (mica_setvcpucontext(m, id, 0, &ctx))
            failed(&b, "setvcpucontext");
        else
            rc = 0;
    }
    drop_window(&b);                /* already gone unless a step failed midway */
    if (rc == 0) {
        *res = (struct mica_build_result){
            .nr_pages = b.nr_pages, .store_mfn = sc.store_mfn, .store_port = sc.store_port,
            .console_mfn = sc.console_mfn, .console_port = sc.console_port,
            .virt_base = b.vb, .start_info_va = va(&b, b.l.start_info),
            .entry = cfg->kernel->notes.entry, .stack_top = ctx.user_regs.rsp,
            .pt_base = va(&b, b.l.pt), .nr_pt_frames = b.l.pt_pages,
            .region_pages = b.l.end,
        };
    }
    int e = errno;
    free(b.p2m);
    errno = e;
    return rc;
}
