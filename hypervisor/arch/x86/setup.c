/* SPDX-License-Identifier: MIT */
/*
 * start_mica(): the C entry point, reached from head.asm in long mode on the
 * boot page tables.  Boot order: console, descriptor tables (so every later
 * fault is reported), boot information, command line (so console= and
 * loglvl= hold from the banner on), memory, our own page tables, power
 * control, then the initial domain.  Every refusal says why
 * in one line and powers off; nothing hangs silently.
 */
#include <mica/boot_config.h>
#include <mica/cmdline.h>
#include <mica/console.h>
#include <mica/dom0_build.h>
#include <mica/errno.h>
#include <mica/event.h>
#include <mica/grant.h>
#include <mica/frame_alloc.h>
#include <mica/heap.h>
#include <mica/mm.h>
#include <mica/multiboot2.h>
#include <mica/paging.h>
#include <mica/power.h>
#include <mica/printk.h>
#include <mica/sched.h>
#include <mica/serial.h>
#include <mica/string.h>
#include <mica/time.h>
#include <mica/traps.h>
#include <mica/version.h>


extern const char _image_end[];

static struct mb2_info boot_info;

const struct mb2_info *boot_information(void)
{
    return &boot_info;
}
static struct boot_options opts;
static struct memmap memmap, all_ram;
static struct frame_pool frame_pool;
static paddr_t m2p_pa;
static uint64_t m2p_bytes;

static __noreturn void refuse(const char *why)
{
    pr_err("%s", why);
    pr_err("Mica cannot continue: powering off");
    machine_power_off(MICA_EXIT_BOOT_ERROR);
}

static void print_boot_info(paddr_t info_pa)
{
    pr_info("boot loader: %s", boot_info.loader_name[0] ? boot_info.loader_name : "(unnamed)");
    pr_info("command line: %s", boot_info.cmdline);
    pr_info("boot information at %#lx, %u bytes", info_pa, boot_info.total_size);
    pr_info("firmware memory map:");
    for (unsigned int i = 0; i < boot_info.nr_regions; i++) {
        const struct mb2_region *r = &boot_info.regions[i];
        pr_info("  %016lx - %016lx  %s", r->base, r->base + r->len,
                mb2_region_type_name(r->type));
    }
    if (boot_info.regions_dropped)
        pr_warn("%u memory map entries beyond the first %u ignored",
                boot_info.regions_dropped, MB2_MAX_REGIONS);
    pr_info("modules: %u", boot_info.nr_modules);
    for (unsigned int i = 0; i < boot_info.nr_modules; i++) {
        const struct mb2_module *m = &boot_info.modules[i];
        pr_info("  module %u: %#lx - %#lx (%lu bytes) '%s'", i, m->start, m->end,
                m->end - m->start, m->cmdline);
    }
    if (boot_info.modules_dropped)
        pr_warn("%u modules beyond the first %u ignored", boot_info.modules_dropped,
                MB2_MAX_MODULES);
}

static void apply_options(void)
{
    cmdline_parse(boot_info.cmdline, &opts);
    log_set_console(opts.console_serial);
    log_set_level(opts.loglvl);
    if (opts.sched_slice_ms)
        sched_slice_ns = (uint64_t)opts.sched_slice_ms * 1000000;
    for (unsigned int i = 0; i < opts.nr_warnings; i++)
        pr_warn("command line: %s", opts.warnings[i]);
    if (opts.warnings_dropped)
        pr_warn("command line: %u more warnings not shown", opts.warnings_dropped);
}

/* Everything Mica must not hand out: the first MiB, the image, the boot
 * information and the modules. */
static void setup_memory(paddr_t info_pa)
{
    struct range keep[3 + MB2_MAX_MODULES];
    unsigned int n = 0;

    keep[n++] = (struct range){ 0, MiB(1) };
    keep[n++] = (struct range){ IMAGE_PHYS_START, image_virt_to_phys(_image_end) };
    keep[n++] = (struct range){ info_pa, info_pa + boot_info.total_size };
    for (unsigned int i = 0; i < boot_info.nr_modules; i++)
        keep[n++] = (struct range){ boot_info.modules[i].start, boot_info.modules[i].end };

    memmap_build(&memmap, boot_info.regions, boot_info.nr_regions, keep, n, opts.mem_max);
    if (memmap.dropped)
        pr_warn("memory map too fragmented: %u ranges ignored", memmap.dropped);
    if (memmap.nr == 0)
        panic("no usable RAM above 1 MiB outside the hypervisor and its modules");
    /* All RAM (what the frame table calls the hypervisor's until freed). */
    memmap_build(&all_ram, boot_info.regions, boot_info.nr_regions, NULL, 0, opts.mem_max);

    /* The pool's bitmap, the frame table and the M2P come from the lowest
     * RAM below 4 GiB, which the boot page tables map. */
    mfn_t nr_frames = memmap_highest(&memmap) >> PAGE_SHIFT;
    uint64_t bm_bytes = frame_pool_bitmap_bytes(nr_frames);
    uint64_t ft_bytes = nr_frames * sizeof(struct page_info);
    m2p_bytes = ALIGN_UP(nr_frames * sizeof(uint64_t), PAGE_SIZE);
    paddr_t bm = memmap_carve(&memmap, bm_bytes, GiB(4));
    paddr_t ft = memmap_carve(&memmap, ft_bytes, GiB(4));
    m2p_pa = memmap_carve(&memmap, m2p_bytes, GiB(4));
    if (!bm || !ft || !m2p_pa)
        panic("no room below 4 GiB for the frame tables (%lu KiB)",
              (bm_bytes + ft_bytes + m2p_bytes) >> 10);
    frame_pool_init(&frame_pool, phys_to_virt(bm), nr_frames, &memmap);
    mm_boot_init(&frame_pool, phys_to_virt(ft), phys_to_virt(m2p_pa), nr_frames, &all_ram);

    uint64_t total = memmap_total(&memmap);
    pr_info("memory: %lu MiB usable (%lu KiB), %lu frames free%s", total >> 20,
            total >> 10, frame_pool.nr_free,
            opts.mem_max ? " (capped by mem=)" : "");
    pr_info("frame table: %lu frames, %lu KiB; M2P %lu KiB", nr_frames, ft_bytes >> 10,
            m2p_bytes >> 10);
}


/*
 * dom0_mem=<sz>,min:<sz>,max:<sz> as Xen reads it, each against the memory
 * available to domains: the amount (256 MiB when none is given, where Xen
 * gives all but a reserve), raised to min:, lowered to max: (max wins),
 * and no more than there is.
 */
static uint64_t dom0_memory(uint64_t avail)
{
    uint64_t reserve = MiB(4);      /* for the hypervisor's own later needs */
    uint64_t want = opts.dom0_mem.set ? dom0_size_resolve(&opts.dom0_mem, avail) : MiB(256);

    if (opts.dom0_mem_min.set)
        want = MAX(want, dom0_size_resolve(&opts.dom0_mem_min, avail));
    if (opts.dom0_mem_max.set)
        want = MIN(want, dom0_size_resolve(&opts.dom0_mem_max, avail));
    return ALIGN_DOWN(MIN(want, avail > reserve ? avail - reserve : 0), PAGE_SIZE);
}

/* What dom0 may balloon up to: max: (Xen's maximum reservation), else its
 * initial size, where Xen sets no limit (docs/ballooning.md).  avail is
 * what was free before dom0 took its share. */
static uint64_t dom0_max_memory(uint64_t initial, uint64_t avail)
{
    if (!opts.dom0_mem_max.set)
        return initial;
    return MAX(ALIGN_DOWN(dom0_size_resolve(&opts.dom0_mem_max, avail), PAGE_SIZE), initial);
}

/* One boot-time domain to build. */
struct domain_spec {
    domid_t id;
    const char *name;           /* for messages */
    int kernel, ramdisk;        /* module indices; ramdisk -1 = none */
    const char *cmdline;
    uint64_t mem_bytes, max_bytes;
    unsigned int vcpus, weight, cap;
    bool privileged;
    bool quiet;                 /* console output discarded */
    unsigned int grant_frames;  /* grant table limit; 0 = default */
};

/*
 * Create and build one domain, its vCPU 0 ready to run and the others
 * down (for the kernel's VCPUOP_initialise/up).  On failure nothing of it
 * remains (domain_kill gives back what the builder took) and why says what.
 */
static struct domain *build_domain(const struct domain_spec *s, char *why, size_t why_len,
                                   int *err)
{
    const struct mb2_module *k = &boot_info.modules[s->kernel];
    struct dom0_modules m = {
        .kernel = phys_to_virt(k->start), .kernel_len = k->end - k->start,
        .cmdline = s->cmdline,
    };
    if (s->ramdisk >= 0) {
        m.initrd = phys_to_virt(boot_info.modules[s->ramdisk].start);
        m.initrd_len = boot_info.modules[s->ramdisk].end - boot_info.modules[s->ramdisk].start;
    }
    struct domain_params p = {
        .privileged = s->privileged, .max_vcpus = s->vcpus ? s->vcpus : 1,
        .grant_frames = s->grant_frames, .name = s->name,
    };
    struct domain *d = domain_create(s->id, &p, false, err);
    if (!d) {
        mica_snprintf(why, why_len, "cannot create the domain (%d)", *err);
        return NULL;
    }
    d->console_quiet = s->quiet;
    d->sched_weight = s->weight;
    d->sched_cap = s->cap;
    if ((*err = dom0_build(d, d->vcpu0, &m, s->mem_bytes, why, why_len)) < 0) {
        domain_kill_now(d);
        return NULL;
    }
    if (s->max_bytes > s->mem_bytes)
        domain_set_max_pages(d, s->max_bytes >> PAGE_SHIFT);
    if (console_attach(d) < 0)
        panic("no event channel for domain %u's console", s->id);
    pr_info("d%u '%s': %lu MiB, %u vCPU%s%s, kernel module %d%s", s->id, s->name,
            s->mem_bytes >> 20, d->max_vcpus, d->max_vcpus > 1 ? "s" : "",
            s->privileged ? ", privileged" : "", s->kernel, s->ramdisk >= 0 ? " + ramdisk" : "");
    return d;
}

static void report_config(const char *msg)
{
    pr_err("boot config: %s", msg);
}

/* The first word of a module's command line: its name in a boot config. */
static const char *module_names[MB2_MAX_MODULES];
static char module_name_buf[MB2_MAX_MODULES][BOOT_NAME_MAX];

static void name_modules(void)
{
    for (unsigned int i = 0; i < boot_info.nr_modules; i++) {
        const char *c = boot_info.modules[i].cmdline ? boot_info.modules[i].cmdline : "";
        size_t n = 0;
        while (c[n] && c[n] != ' ' && n + 1 < BOOT_NAME_MAX)
            n++;
        memcpy(module_name_buf[i], c, n);
        module_name_buf[i][n] = 0;
        module_names[i] = module_name_buf[i];
    }
}

/* The boot configuration's domains; returns how many were built. */
static unsigned int start_configured(unsigned int cfg)
{
    static struct boot_config bc;
    const struct mb2_module *c = &boot_info.modules[cfg];
    char why[128], line[192];
    unsigned int built = 0;

    name_modules();
    pr_info("boot config: module %u (%lu bytes)", cfg, c->end - c->start);
    if (boot_config_parse(phys_to_virt(c->start), c->end - c->start, module_names,
                          boot_info.nr_modules, &bc, report_config) < 0)
        return 0;
    /* Refuse, in node order, what cannot fit (the builder checks again). */
    boot_config_check_memory(&bc, (mm_free_frames() << PAGE_SHIFT) >> 10, report_config);
    for (unsigned int i = 0; i < bc.nr; i++) {
        const struct boot_domain *b = &bc.dom[i];
        if (!b->ok) {
            pr_err("boot config: domain '%s' not started", b->name);
            continue;
        }
        struct domain_spec s = {
            .id = (domid_t)i, .name = b->name, .kernel = b->kernel_module,
            .ramdisk = b->ramdisk_module, .cmdline = b->cmdline,
            .mem_bytes = b->memory_kib << 10, .max_bytes = b->max_memory_kib << 10,
            .vcpus = b->vcpus, .weight = b->weight, .cap = b->cap, .privileged = b->privileged,
            .quiet = !b->console_serial, .grant_frames = b->grant_frames,
        };
        int err;
        struct domain *d = build_domain(&s, why, sizeof(why), &err);
        if (!d) {
            mica_snprintf(line, sizeof(line), "domain '%s': property '%s': %s", b->name,
                          err == -ENOMEM ? "memory" : "kernel", why);
            report_config(line);
            pr_err("boot config: domain '%s' not started", b->name);
            continue;
        }
        vcpu_up(d->vcpu0);
        built++;
    }
    return built;
}

/* No configuration: the first module is dom0's kernel, the second its
 * initramfs, as before. */
static void start_dom0(void)
{
    char why[128];
    const struct mb2_module *k = &boot_info.modules[0];

    pr_info("dom0 kernel: module 0, %lu bytes, command line '%s'", k->end - k->start, k->cmdline);
    if (boot_info.nr_modules > 1)
        pr_info("dom0 initramfs: module 1, %lu bytes",
                boot_info.modules[1].end - boot_info.modules[1].start);
    uint64_t avail = mm_free_frames() << PAGE_SHIFT;
    uint64_t mem = dom0_memory(avail), max = dom0_max_memory(mem, avail);
    if (opts.dom0_mem.set || opts.dom0_mem_max.set || opts.dom0_mem_min.set)
        pr_info("dom0_mem: %lu MiB, up to %lu MiB", mem >> 20, max >> 20);
    struct domain_spec s = {
        .id = 0, .name = "Domain-0", .kernel = 0, .ramdisk = boot_info.nr_modules > 1 ? 1 : -1,
        .cmdline = k->cmdline, .mem_bytes = mem, .max_bytes = max,
        .vcpus = opts.dom0_max_vcpus ? opts.dom0_max_vcpus : 1, .privileged = true,
    };
    int err;
    struct domain *d = build_domain(&s, why, sizeof(why), &err);
    if (!d) {
        char line[160];
        mica_snprintf(line, sizeof(line), "dom0 kernel refused: %s", why);
        refuse(line);
    }
    if (d->max_vcpus > 1)
        pr_info("dom0: %u vCPUs", d->max_vcpus);
    vcpu_up(d->vcpu0);
}

static __noreturn void start_domains(void)
{
    int cfg = -1;

    if (boot_info.nr_modules == 0)
        refuse("no dom0 kernel: the boot loader gave no module (add a module2 line to grub.cfg)");
    for (unsigned int i = 0; i < boot_info.nr_modules && cfg < 0; i++)
        if (boot_config_is_fdt(phys_to_virt(boot_info.modules[i].start),
                               boot_info.modules[i].end - boot_info.modules[i].start))
            cfg = (int)i;
    if (cfg >= 0) {
        if (!start_configured((unsigned int)cfg))
            refuse("the boot configuration gave no domain that could be started");
    } else {
        start_dom0();
    }
    /* Console input goes to the first domain with a console from now on. */
    console_set_initial_focus();
    serial_enable_rx_irq();
    i8259_unmask_serial();
    pr_info("starting domains");
    sched_start();
}

void start_mica(uint32_t magic, uint32_t info_pa);
void start_mica(uint32_t magic, uint32_t info_pa)
{
    const char *why;
    char buf[96];

    serial_init();
    traps_init();
    if (magic != MB2_BOOTLOADER_MAGIC)
        refuse("not started by a Multiboot2 boot loader (bad magic in eax)");
    /* The block is below 4 GiB, which the boot tables map; its first word
     * gives its size. */
    if (!info_pa || (info_pa & 7) || info_pa > GiB(4) - 16)
        refuse("the Multiboot2 information pointer is invalid");
    const void *info = phys_to_virt(info_pa);
    uint32_t avail = *(const uint32_t *)info;
    if (avail > GiB(4) - info_pa)
        avail = (uint32_t)(GiB(4) - info_pa);
    if (mb2_parse(info, avail, &boot_info, &why) < 0) {
        mica_snprintf(buf, sizeof(buf), "bad Multiboot2 information: %s", why);
        refuse(buf);
    }
    apply_options();
    pr_info("Mica hypervisor %s (x86-64, Xen PV ABI), built %s %s", MICA_VERSION,
            __DATE__, __TIME__);
    print_boot_info(info_pa);
    if (mb2_check_modules(&boot_info, IMAGE_PHYS_START, image_virt_to_phys(_image_end),
                          info_pa, info_pa + boot_info.total_size, buf, sizeof(buf)) < 0)
        refuse(buf);

    setup_memory(info_pa);
    paging_init(memmap_highest(&all_ram), m2p_pa, m2p_bytes);
    /* The LDT window starts unmapped: guest LDT pages are mapped on use. */
    for (unsigned int i = 0; i < LDT_WINDOW_PAGES; i++)
        paging_remap_image_page(ldt_window_page(i), PADDR_UNMAPPED);
    syscall_init();
    fpu_init();
    time_init();
    power_init(&boot_info);

    if (opts.debug_fault != DEBUG_FAULT_NONE) {
        pr_info("debug_fault: triggering a deliberate fault");
        debug_fault_trigger(opts.debug_fault);
    }
    start_domains();
}
