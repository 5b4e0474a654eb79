/* SPDX-License-Identifier: MIT */
/*
 * start_mica(): the C entry point, reached from head.asm in long mode on the
 * boot page tables.  Boot order: console, descriptor tables (so every later
 * fault is reported), boot information, command line (so console= and
 * loglvl= hold from the banner on), memory, our own page tables, power
 * control, then the initial domain.  Every refusal says why
 * in one line and powers off; nothing hangs silently.
 */
#include <mica/cmdline.h>
#include <mica/dom0_build.h>
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


/* Unless dom0_mem= says otherwise, dom0 gets 256 MiB, or what there is. */
static uint64_t dom0_memory(void)
{
    uint64_t avail = mm_free_frames() << PAGE_SHIFT;
    uint64_t want = opts.dom0_mem ? opts.dom0_mem : MiB(256);
    uint64_t reserve = MiB(4);      /* for the hypervisor's own later needs */

    return ALIGN_DOWN(MIN(want, avail > reserve ? avail - reserve : 0), PAGE_SIZE);
}

static __noreturn void start_dom0(void)
{
    char why[128];

    if (boot_info.nr_modules == 0)
        refuse("no dom0 kernel: the boot loader gave no module (add a module2 line to grub.cfg)");

    const struct mb2_module *k = &boot_info.modules[0];
    struct dom0_modules m = {
        .kernel = phys_to_virt(k->start), .kernel_len = k->end - k->start,
        .cmdline = k->cmdline,
    };
    pr_info("dom0 kernel: module 0, %lu bytes, command line '%s'", m.kernel_len, m.cmdline);
    if (boot_info.nr_modules > 1) {
        m.initrd = phys_to_virt(boot_info.modules[1].start);
        m.initrd_len = boot_info.modules[1].end - boot_info.modules[1].start;
        pr_info("dom0 initramfs: module 1, %lu bytes", m.initrd_len);
    }
    if (opts.dom0_mem)
        pr_info("dom0_mem: %lu MiB", opts.dom0_mem >> 20);

    struct domain *dom0 = xzalloc_obj(struct domain);
    if (!dom0)
        panic("no memory for dom0's structures");
    dom0->domain_id = 0;
    dom0->is_privileged = true;
    dom0->max_vcpus = opts.dom0_max_vcpus ? opts.dom0_max_vcpus : 1;
    struct vcpu *vcpu0 = vcpu_create(dom0, 0);
    if (!vcpu0)
        panic("no memory for dom0's structures");
    if (domain_register(dom0) < 0)
        panic("cannot register dom0");
    if (dom0_build(dom0, vcpu0, &m, dom0_memory(), why, sizeof(why)) < 0) {
        char line[160];
        mica_snprintf(line, sizeof(line), "dom0 kernel refused: %s", why);
        refuse(line);
    }
    if (evtchn_domain_init(dom0) < 0)
        panic("no memory for dom0's event channels");
    if (gnttab_domain_init(dom0, 0) < 0)
        panic("no memory for dom0's grant table");
    /* Its other vCPUs wait, down, for the kernel's VCPUOP_initialise/up. */
    for (unsigned int i = 1; i < dom0->max_vcpus; i++)
        if (!vcpu_create(dom0, i))
            panic("no memory for dom0's vCPU %u", i);
    if (dom0->max_vcpus > 1)
        pr_info("dom0: %u vCPUs", dom0->max_vcpus);
    /* Console input goes to dom0 from now on. */
    serial_enable_rx_irq();
    i8259_unmask_serial();
    pr_info("starting dom0");
    vcpu_up(vcpu0);
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
    time_init();
    power_init(&boot_info);

    if (opts.debug_fault != DEBUG_FAULT_NONE) {
        pr_info("debug_fault: triggering a deliberate fault");
        debug_fault_trigger(opts.debug_fault);
    }
    start_dom0();
}
