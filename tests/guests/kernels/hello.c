// SPDX-License-Identifier: MIT
/*
 * hello: the smallest useful guest.  It proves the domain builder and the
 * hypercall entry keep the basic contract -- the ELF is loaded by p_paddr,
 * start_info and the entry registers are as Xen's ABI says, hypercalls by
 * `syscall` work and preserve what they must, the hypercall page is filled,
 * console_io writes, and SCHEDOP_shutdown ends the domain (the runner's
 * last act).  It needs no memory management from the hypervisor.
 */
#include "hypercall.h"
#include "kit.h"

#define START_INFO_MAGIC "xen-3.0-x86_64"

/* Something in .bss for the builder to zero (memsz beyond filesz). */
static volatile uint64_t bss_probe[512];

static int start_info_magic_is_xen_3_0_x86_64(void)
{
    const char *magic = kit_si->magic;

    expect_true(strnlen(magic, sizeof(kit_si->magic)) < sizeof(kit_si->magic),
                "magic is not NUL-terminated within its 32 bytes");
    if (strncmp(magic, START_INFO_MAGIC, sizeof(kit_si->magic)) != 0)
        return kit_fail("magic is '%s', want '%s'", magic, START_INFO_MAGIC);
    return KIT_PASS;
}

static int start_info_is_the_page_passed_in_rsi(void)
{
    expect_eq((uint64_t)kit_si, kit_entry_rsi, "start_info VA vs rsi at entry");
    expect_eq((uint64_t)kit_si & (PAGE_SIZE - 1), 0, "start_info page offset");
    expect_true((uint64_t)kit_si >= (uint64_t)_image_end,
                "start_info overlaps the kernel image (it must follow it)");
    return KIT_PASS;
}

static int start_info_nr_pages_covers_the_image(void)
{
    uint64_t image_pages = ((uint64_t)_image_end - VIRT_BASE) / PAGE_SIZE;

    expect_true(kit_si->nr_pages > 0, "nr_pages is 0");
    if (kit_si->nr_pages <= image_pages)
        return kit_fail("nr_pages %lu does not cover the image (%lu pages from VIRT_BASE)",
                        kit_si->nr_pages, image_pages);
    kit_printf("kit: note: nr_pages %lu (%lu MiB), flags %#x\n", kit_si->nr_pages,
               kit_si->nr_pages >> 8, kit_si->flags);
    return KIT_PASS;
}

static int start_info_cmdline_is_terminated(void)
{
    size_t n = strnlen((const char *)kit_si->cmd_line, MAX_GUEST_CMDLINE);

    expect_true(n < MAX_GUEST_CMDLINE, "cmd_line has no NUL in its 1024 bytes");
    return KIT_PASS;
}

static int entry_selectors_are_flat_kernel(void)
{
    expect_eq(kit_entry_cs, FLAT_KERNEL_CS, "CS at entry");
    expect_eq(kit_entry_ss, FLAT_KERNEL_SS, "SS at entry");
    return KIT_PASS;
}

static int bss_is_zero_filled(void)
{
    for (size_t i = 0; i < ARRAY_SIZE(bss_probe); i++)
        if (bss_probe[i])
            return kit_fail("bss word %lu is %#lx: the builder did not zero memsz - filesz",
                            i, bss_probe[i]);
    return KIT_PASS;
}

static int xen_version_reports_major_minor(void)
{
    long v = HYPERVISOR_xen_version(XENVER_version, NULL);

    expect_true(v >= 0, "XENVER_version returned an error");
    kit_printf("kit: note: xen_version %ld.%ld\n", v >> 16, v & 0xffff);
    expect_true((v >> 16) >= 3, "major version below 3 (Linux expects a Xen 3+ interface)");
    return KIT_PASS;
}

static int hypercall_preserves_callee_saved_registers(void)
{
    long direct = HYPERVISOR_xen_version(XENVER_version, NULL);
    long result = 0;
    unsigned int changed = kit_hypercall_clobbers(__HYPERVISOR_xen_version, XENVER_version,
                                                  0, &result);

    expect_eq(result, direct, "xen_version through the clobber probe");
    if (changed)
        return kit_fail("registers changed by the hypercall (1 rbx, 2 rbp, 4 r12, 8 r13, "
                        "16 r14, 32 r15, 64 rsp): %#x", changed);
    return KIT_PASS;
}

/* Xen's 64-bit stub: push %rcx; push %r11; mov $nr,%eax; syscall;
 * pop %r11; pop %rcx; ret. */
static int stub_ok(unsigned int nr)
{
    const uint8_t want[14] = { 0x51, 0x41, 0x53, 0xb8, (uint8_t)nr, 0, 0, 0,
                               0x0f, 0x05, 0x41, 0x5b, 0x59, 0xc3 };

    return memcmp(&hypercall_page[32 * nr], want, sizeof(want)) == 0;
}

static int hypercall_page_is_filled_and_callable(void)
{
    static const unsigned int slots[] = {
        __HYPERVISOR_mmu_update, __HYPERVISOR_xen_version, __HYPERVISOR_console_io,
        __HYPERVISOR_sched_op, __HYPERVISOR_event_channel_op,
    };

    for (size_t i = 0; i < ARRAY_SIZE(slots); i++) {
        const uint8_t *s = &hypercall_page[32 * slots[i]];
        if (!stub_ok(slots[i]))
            return kit_fail("slot %u is %02x %02x %02x %02x %02x ..., not the syscall stub",
                            slots[i], s[0], s[1], s[2], s[3], s[4]);
    }
    long direct = HYPERVISOR_xen_version(XENVER_version, NULL);
    long paged = kit_hcpage_call2(__HYPERVISOR_xen_version, XENVER_version, 0);
    expect_eq(paged, direct, "xen_version through the hypercall page");
    return KIT_PASS;
}

static int console_io_write_succeeds(void)
{
    static const char msg[] = "kit: note: console_io write of one whole line\n";

    kit_console_flush();
    long rc = HYPERVISOR_console_io(CONSOLEIO_write, sizeof(msg) - 1, msg);
    expect_true(rc >= 0, "CONSOLEIO_write returned an error");
    return KIT_PASS;
}

static int console_io_bad_buffer_is_efault(void)
{
    /* The hypervisor's own range: readable only by the hypervisor, so a
     * copy that trusted the pointer would print hypervisor memory. */
    const char *hv = (const char *)(HYPERVISOR_VIRT_START + 0x3000000000UL);

    kit_console_flush();
    expect_rc(HYPERVISOR_console_io(CONSOLEIO_write, 16, hv), -XEN_EFAULT,
              "console_io from a hypervisor address");
    expect_rc(HYPERVISOR_console_io(CONSOLEIO_write, 16, (const char *)0x1000), -XEN_EFAULT,
              "console_io from an unmapped address");
    return KIT_PASS;
}

static const struct kit_test tests[] = {
    { "start_info_magic_is_xen_3_0_x86_64", start_info_magic_is_xen_3_0_x86_64, 0 },
    { "start_info_is_the_page_passed_in_rsi", start_info_is_the_page_passed_in_rsi, 0 },
    { "start_info_nr_pages_covers_the_image", start_info_nr_pages_covers_the_image, 0 },
    { "start_info_cmdline_is_terminated", start_info_cmdline_is_terminated, 0 },
    { "entry_selectors_are_flat_kernel", entry_selectors_are_flat_kernel, 0 },
    { "bss_is_zero_filled", bss_is_zero_filled, 0 },
    { "xen_version_reports_major_minor", xen_version_reports_major_minor, 0 },
    { "hypercall_preserves_callee_saved_registers",
      hypercall_preserves_callee_saved_registers, 0 },
    { "hypercall_page_is_filled_and_callable", hypercall_page_is_filled_and_callable, 0 },
    { "console_io_write_succeeds", console_io_write_succeeds, 0 },
    { "console_io_bad_buffer_is_efault", console_io_bad_buffer_is_efault, KIT_HOSTILE },
};

KIT_KERNEL("hello", tests);
