/* SPDX-License-Identifier: MIT */
/*
 * builder: a privileged kit kernel (domain 0 of a boot configuration with
 * `privileged;`) that acts as Xen's toolstack does -- it creates, builds,
 * runs, watches and destroys domains through Mica's control hypercall
 * (abi/mica/control.h) and ordinary PV hypercalls, and checks that the
 * machine gets every frame back (issue #6).  The domains run the child
 * kernel (child.c), whose ELF is carried inside this one (.incbin below)
 * and loaded by the kit's PV builder (kit/pvbuild.c).  The checks of a
 * dying child's links are in builder_links.c; builder.h is what the two
 * files share.
 *
 * The scenario, in table order: the control interface's refusals (version,
 * unknown op, self, missing ids, ids in use, bad vCPU counts, populate at
 * max_pages, setvcpucontext of tables it does not own or that the builder
 * still maps writable, set/get context of a running domain), a destroyed
 * domain kept dying while we map its frame, an unprivileged domain that
 * must be refused, what a dying child leaves of its links to us (our end of
 * its event channel unbound again, our grant to it idle and our frame ours
 * alone, its grant to us still mapped until we unmap it), four children
 * running at once, 100 children one after another (most run their checks
 * and power off, every tenth spins and is destroyed while it runs, a few
 * crash), four at once again, and finally physinfo's free pages, which must
 * be what they were after the first round, to the page (see
 * free_pages_return_to_the_start).
 *
 * The builder waits for its children on VIRQ_DOM_EXC with SCHEDOP_poll
 * (events stay masked), and reads a child's console ring by mapping that
 * one frame read-only for a moment.  `builder.children=N` on the command
 * line runs N children instead of 100.  The median create+build+destroy
 * time is printed as a bench line for scripts/bench-domains.
 */
#include <abi/event_channel.h>
#include <abi/memory.h>
#include <abi/io/console.h>
#include "builder.h"
#include "clock.h"
#include "control.h"
#include "events.h"
#include "hypercall.h"
#include "kit.h"
#include "memory.h"
#include "pvbuild.h"

#define CHILD_PAGES  1024           /* 4 MiB: the smallest 4 MiB-aligned region */
#define MAX_CHILDREN 100
#define RING_SLOT    1              /* scratch slot for a child's console ring */

/* The child kernel's ELF (tests/guests/Makefile passes its path). */
__asm__(".pushsection .rodata.child_image, \"a\"\n"
        ".balign 16\n"
        "child_image:\n"
        ".incbin \"" CHILD_IMAGE "\"\n"
        "child_image_end:\n"
        ".popsection\n");
extern const uint8_t child_image[], child_image_end[];

static struct kit_pv_image child;
evtchn_port_t dom_exc;               /* VIRQ_DOM_EXC */
static uint64_t free_at_boot, free_at_start;  /* physinfo: first, after warm-up */
static unsigned int rounds;        /* of four children at once */
static unsigned int nr_children = MAX_CHILDREN;
static uint64_t p2m_of[NR_AT_ONCE][CHILD_PAGES];
struct kit_pv_domain kids[NR_AT_ONCE];
static struct vcpu_guest_context ctx;
static uint64_t samples[MAX_CHILDREN];
char builder_text[16384];           /* readconsole */
static struct mica_ctl_domaininfo infos[8];

/* ---- building and watching children --------------------------------------- */

static void child_handle(unsigned int n, xen_domain_handle_t h)
{
    memset(h, 0, sizeof(xen_domain_handle_t));
    kit_snprintf((char *)h, sizeof(xen_domain_handle_t), "mica-child-%u", n);
}

/* Where building a child takes its time: TSC ticks per phase, kept for the
 * children of hundred_children_come_and_go (the others pass NULL). */
enum { PH_CREATE, PH_POPULATE, PH_LOAD, PH_CONTEXT, PH_DESTROY, NR_PHASES };
static const char *const phase_names[NR_PHASES] = {
    "createdomain", "populate", "load", "setvcpucontext", "destroydomain",
};
static uint64_t phases[NR_PHASES][MAX_CHILDREN];

/* Create child n in slot k (the domain's id in kids[k].domid, 0 until
 * createdomain succeeded) and populate it.  ticks (or NULL) gets the time
 * of each phase. */
long create_child(unsigned int k, unsigned int n, uint64_t *ticks)
{
    struct kit_pv_domain *d = &kids[k];
    xen_domain_handle_t h;
    char name[MICA_NAME_LEN];
    long rc;

    *d = (struct kit_pv_domain){ .nr_pages = CHILD_PAGES, .p2m = p2m_of[k] };
    child_handle(n, h);
    kit_snprintf(name, sizeof(name), "child%u", n);
    uint64_t t0 = kit_rdtsc();
    if ((rc = kit_pv_create(d, name, CHILD_PAGES, h, DOMID_INVALID)))
        return rc;
    uint64_t t1 = kit_rdtsc();
    if ((rc = kit_pv_populate(d)))
        return rc;
    if (ticks) {
        ticks[PH_CREATE] = t1 - t0;
        ticks[PH_POPULATE] = kit_rdtsc() - t1;
    }
    return 0;
}

/* Load the child kernel into child n (slot k); its command line starts
 * with mode (the mode word and any arguments of that mode). */
long load_image(unsigned int k, unsigned int n, const char *mode, uint64_t *ticks)
{
    char cmdline[128];

    kit_snprintf(cmdline, sizeof(cmdline), "%s child.n=%u child.id=%u child.pages=%u", mode, n,
                 kids[k].domid, CHILD_PAGES);
    uint64_t t0 = kit_rdtsc();
    long rc = kit_pv_load(&kids[k], &child, cmdline);
    if (ticks)
        ticks[PH_LOAD] = kit_rdtsc() - t0;
    return rc;
}

/* Child n in slot k, everything but its vCPU. */
static long load_child(unsigned int k, unsigned int n, const char *mode, uint64_t *ticks)
{
    long rc = create_child(k, n, ticks);

    return rc ? rc : load_image(k, n, mode, ticks);
}

/* setvcpucontext of the loaded child in slot k: it runs once unpaused. */
long start_vcpu(unsigned int k, uint64_t *ticks)
{
    uint64_t t0 = kit_rdtsc();

    kit_pv_context(&kids[k], &ctx);
    long rc = kit_ctl_vcpucontext(MICA_CTL_setvcpucontext, kids[k].domid, 0, &ctx);
    if (rc)
        kit_snprintf(kit_pv_why, sizeof(kit_pv_why), "setvcpucontext of d%u: %s",
                     kids[k].domid, kit_errno_name(rc));
    if (ticks)
        ticks[PH_CONTEXT] = kit_rdtsc() - t0;
    return rc;
}

static long build_child(unsigned int k, unsigned int n, const char *mode, uint64_t *ticks)
{
    long rc = load_child(k, n, mode, ticks);

    return rc ? rc : start_vcpu(k, ticks);
}

/* Whether our port is pending; clears it. */
bool take_port(evtchn_port_t port)
{
    uint64_t bit = 1UL << (port % 64);

    return __atomic_fetch_and(&kit_shared->evtchn_pending[port / 64], ~bit,
                              __ATOMIC_SEQ_CST) & bit;
}

/* Whether VIRQ_DOM_EXC is pending; clears it. */
bool take_dom_exc(void)
{
    return take_port(dom_exc);
}

static void poll_dom_exc(uint64_t until)
{
    evtchn_port_t ports[1] = { dom_exc };
    struct sched_poll p = { .nr_ports = 1, .timeout = until };

    set_xen_guest_handle(p.ports, ports);
    HYPERVISOR_sched_op(SCHEDOP_poll, &p);
}

/* Wait until domain id has shut down; *info is its last getdomaininfo,
 * *virq whether VIRQ_DOM_EXC came.  0, or the getdomaininfo error, or
 * -XEN_EAGAIN after WAIT_NS. */
static long wait_shutdown(domid_t id, struct mica_ctl_domaininfo *info, bool *virq)
{
    uint64_t deadline = kit_system_time() + WAIT_NS;
    long rc;

    *virq = false;
    for (;;) {
        *virq |= take_dom_exc();
        if ((rc = kit_ctl_domaininfo(id, info)))
            return rc;
        if (info->domain != id)
            return -XEN_ESRCH;
        if (info->flags & MICA_DOMINF_shutdown)
            break;
        if (kit_system_time() > deadline)
            return -XEN_EAGAIN;
        poll_dom_exc(kit_system_time() + 100000000ULL);
    }
    /* The virq may be raised just after the state is visible. */
    for (uint64_t until = kit_system_time() + 1000000000ULL; !*virq;) {
        if (kit_system_time() > until)
            break;
        poll_dom_exc(until);
        *virq |= take_dom_exc();
    }
    return 0;
}

/* The out indices of child k's console ring, read through a read-only
 * mapping that is gone again when this returns. */
static long ring_indices(unsigned int k, uint32_t *prod, uint32_t *cons)
{
    uint64_t mfn = kit_pv_mfn(&kids[k], kids[k].l.console);
    long rc = kit_map_foreign(RING_SLOT, kids[k].domid, mfn, PTE_RO);

    if (rc == 0) {
        const volatile struct xencons_interface *r = (const void *)kit_scratch_va(RING_SLOT);
        *cons = __atomic_load_n(&r->out_cons, __ATOMIC_ACQUIRE);
        *prod = __atomic_load_n(&r->out_prod, __ATOMIC_ACQUIRE);
    }
    long rrc = kit_scratch_restore(RING_SLOT);
    return rc ? rc : rrc;
}

/* Wait until child k has written its line to the ring and Mica has taken
 * it: the child is running.  0, a mapping error, or -XEN_EAGAIN. */
static long wait_ring_line(unsigned int k)
{
    uint64_t deadline = kit_system_time() + WAIT_NS;
    uint32_t prod = 0, cons = 0;
    long rc;

    for (;;) {
        if ((rc = ring_indices(k, &prod, &cons)))
            return rc;
        if (prod != 0 && prod == cons)
            return 0;
        if (kit_system_time() > deadline)
            return -XEN_EAGAIN;
        poll_dom_exc(kit_system_time() + 2000000ULL);
    }
}

/* destroydomain of id, then id must be gone: getdomaininfo reports the
 * next domain above it (`next`, or -ESRCH when next is DOMID_INVALID). */
int destroy_and_check_gone(domid_t id, domid_t next)
{
    struct mica_ctl_domaininfo info;

    expect_ok(kit_ctl_simple(MICA_CTL_destroydomain, id), "destroydomain");
    long rc = kit_ctl_domaininfo(id, &info);
    if (next == DOMID_INVALID) {
        if (rc == 0)
            return kit_fail("getdomaininfo of destroyed d%u: reports d%u (flags %#x), want "
                            "ESRCH", id, info.domain, info.flags);
        expect_rc(rc, -XEN_ESRCH, "getdomaininfo of a destroyed domain");
    } else {
        expect_ok(rc, "getdomaininfo of a destroyed domain with others above it");
        expect_eq(info.domain, next, "the next domain is reported instead");
    }
    return KIT_PASS;
}

/* After a failure: take down whatever children exist (ids nonzero). */
void destroy_leftovers(void)
{
    for (unsigned int k = 0; k < NR_AT_ONCE; k++)
        if (kids[k].domid) {
            (void)kit_scratch_restore(RING_SLOT);
            (void)kit_ctl_simple(MICA_CTL_destroydomain, kids[k].domid);
            kids[k].domid = 0;
        }
}

/* ---- the interface itself -------------------------------------------------- */

static int child_image_parses_with_its_xen_notes(void)
{
    uint64_t n = kit_cmdline_number("builder.children=", MAX_CHILDREN);
    nr_children = n < MAX_CHILDREN ? (unsigned int)n : MAX_CHILDREN;
    expect_ok(kit_pv_parse(child_image, (size_t)(child_image_end - child_image), &child),
              kit_pv_why);
    expect_eq(child.virt_base, VIRT_BASE, "VIRT_BASE note");
    expect_eq(child.entry, VIRT_BASE + 0x100000, "ENTRY note: the image's first byte");
    expect_ne(child.hypercall_page, 0, "HYPERCALL_PAGE note");
    kit_printf("kit: note: child image %lu bytes, %u segments, %#lx-%#lx\n", child.len,
               child.nr_seg, child.virt_start, child.virt_end);
    expect_ok(kit_events_init(), "shared_info (clock, pending bits)");
    struct evtchn_bind_virq b = { .virq = VIRQ_DOM_EXC, .vcpu = 0 };
    expect_ok(evtchn_op(EVTCHNOP_bind_virq, &b), "bind VIRQ_DOM_EXC");
    dom_exc = b.port;
    return KIT_PASS;
}

static int physinfo_describes_the_machine(void)
{
    struct mica_ctl_physinfo pi;

    expect_ok(kit_ctl_physinfo(&pi), "physinfo");
    expect_true(pi.nr_cpus >= 1 && pi.max_cpu_id + 1 >= pi.nr_cpus, "CPU counts");
    expect_ne(pi.cpu_khz, 0, "cpu_khz");
    expect_eq(pi.capabilities & (MICA_PHYSCAP_pv | MICA_PHYSCAP_hvm), MICA_PHYSCAP_pv,
              "capabilities: PV, never HVM");
    expect_true(pi.free_pages > 0 && pi.free_pages < pi.total_pages, "free < total pages");
    expect_true(pi.max_mfn >= pi.total_pages, "max_mfn >= total pages");
    expect_eq(pi.nr_domains, 1, "domains: the builder alone");
    free_at_boot = pi.free_pages;
    kit_printf("kit: note: %u CPUs, %u kHz, %lu pages, %lu free, max_mfn %#lx\n", pi.nr_cpus,
               pi.cpu_khz, pi.total_pages, pi.free_pages, pi.max_mfn);
    return KIT_PASS;
}

static int wrong_version_and_unknown_ops_refused(void)
{
    static const uint32_t unknown[] = { 0, 19, 31, 34, 255, 0xffffffffU };
    struct mica_ctl_op op = kit_ctl_op(MICA_CTL_physinfo, DOMID_INVALID);

    op.interface_version = MICA_CTL_INTERFACE_VERSION - 1;
    expect_rc(HYPERVISOR_mica_control(&op), -XEN_EACCES, "the previous interface version");
    op.interface_version = MICA_CTL_INTERFACE_VERSION + 1;
    expect_rc(HYPERVISOR_mica_control(&op), -XEN_EACCES, "a future interface version");
    op = kit_ctl_op(0xffffffffU, DOMID_INVALID);
    op.interface_version = 0;
    expect_rc(HYPERVISOR_mica_control(&op), -XEN_EACCES, "version first, then the command");
    for (unsigned int i = 0; i < ARRAY_SIZE(unknown); i++) {
        op = kit_ctl_op(unknown[i], 0);
        expect_rc(HYPERVISOR_mica_control(&op), -XEN_ENOSYS, "an unknown command");
    }
    expect_rc(_hypercall1(__HYPERVISOR_mica_control, 0x1000), -XEN_EFAULT,
              "an op at an unmapped address");
    return KIT_PASS;
}

static int self_and_missing_domains_refused(void)
{
    struct mica_ctl_domaininfo info;

    expect_rc(kit_ctl_simple(MICA_CTL_destroydomain, 0), -XEN_EINVAL, "destroy ourselves");
    expect_rc(kit_ctl_simple(MICA_CTL_pausedomain, 0), -XEN_EINVAL, "pause ourselves");
    expect_rc(kit_ctl_simple(MICA_CTL_destroydomain, 1000), -XEN_ESRCH, "destroy d1000");
    expect_rc(kit_ctl_simple(MICA_CTL_unpausedomain, 1000), -XEN_ESRCH, "unpause d1000");
    expect_rc(kit_ctl_domaininfo(1, &info), -XEN_ESRCH, "getdomaininfo above the last");
    expect_ok(kit_ctl_domaininfo(0, &info), "getdomaininfo of ourselves");
    expect_eq(info.domain, 0, "reported id");
    expect_true(info.flags & MICA_DOMINF_privileged, "privileged flag");
    expect_eq(info.flags & (MICA_DOMINF_shutdown | MICA_DOMINF_dying | MICA_DOMINF_paused), 0,
              "not shut down, dying or paused");
    expect_eq(info.nr_online_vcpus, 1, "online vCPUs");
    expect_true(info.tot_pages > 0 && info.tot_pages <= info.max_pages, "pages within limit");
    expect_ne(info.cpu_time, 0, "cpu_time");
    expect_eq(strncmp(info.name, "builder", MICA_NAME_LEN), 0, "name from the boot config");
    return KIT_PASS;
}

static long set_name(domid_t id, const char *name)
{
    struct mica_ctl_op op = kit_ctl_op(MICA_CTL_setdomainname, id);

    size_t n = strnlen(name, MICA_NAME_LEN - 1) + 1;

    memcpy(op.u.domainname.name, name, n);
    return HYPERVISOR_mica_control(&op);
}

static long sched_params(uint32_t cmd, domid_t id, uint32_t *weight, uint32_t *cap)
{
    struct mica_ctl_op op = kit_ctl_op(cmd, id);

    op.u.schedparams.weight = *weight;
    op.u.schedparams.cap = *cap;
    long rc = HYPERVISOR_mica_control(&op);
    *weight = op.u.schedparams.weight;
    *cap = op.u.schedparams.cap;
    return rc;
}

static int rename_handle_and_sched_params_checked(void)
{
    struct mica_ctl_domaininfo info;
    uint32_t w = 0, c = 0;

    expect_rc(set_name(0, ""), -XEN_EINVAL, "an empty name");
    expect_rc(set_name(0, "bad\x01name"), -XEN_EINVAL, "a control character in the name");
    expect_rc(set_name(1000, "ghost"), -XEN_ESRCH, "rename d1000");
    expect_ok(set_name(0, "0123456789abcdef0123456789abcdef-too-long"), "a long name is cut");
    expect_ok(kit_ctl_domaininfo(0, &info), "getdomaininfo");
    expect_eq(strncmp(info.name, "0123456789abcdef0123456789abcde", MICA_NAME_LEN), 0,
              "the name cut to 31 characters");
    expect_ok(set_name(0, "builder"), "rename back");
    struct mica_ctl_op op = kit_ctl_op(MICA_CTL_setdomainhandle, 0);
    xen_domain_handle_t was;
    expect_ok(kit_ctl_domaininfo(0, &info), "getdomaininfo");
    memcpy(was, info.handle, sizeof(was));
    for (unsigned int i = 0; i < sizeof(op.u.domainhandle.handle); i++)
        op.u.domainhandle.handle[i] = (uint8_t)(0xa0 + i);
    expect_ok(HYPERVISOR_mica_control(&op), "setdomainhandle");
    expect_ok(kit_ctl_domaininfo(0, &info), "getdomaininfo");
    expect_eq(info.handle[15], 0xaf, "the new handle reported");
    memcpy(op.u.domainhandle.handle, was, sizeof(was));
    expect_ok(HYPERVISOR_mica_control(&op), "setdomainhandle back");
    op = kit_ctl_op(MICA_CTL_setdomainhandle, 1000);
    expect_rc(HYPERVISOR_mica_control(&op), -XEN_ESRCH, "setdomainhandle of d1000");
    expect_ok(kit_ctl_domaininfo(0, &info), "getdomaininfo");
    expect_eq(strncmp(info.name, "builder", MICA_NAME_LEN), 0, "the name back");

    expect_ok(sched_params(MICA_CTL_getschedparams, 0, &w, &c), "getschedparams");
    expect_eq(w, 256, "default weight reported as 256");
    expect_eq(c, 0, "no cap");
    static const uint32_t bad[][2] = { { 0, 0 }, { 65536, 0 }, { 256, 101 }, { ~0U, ~0U } };
    for (unsigned int i = 0; i < ARRAY_SIZE(bad); i++) {
        w = bad[i][0], c = bad[i][1];
        expect_rc(sched_params(MICA_CTL_setschedparams, 0, &w, &c), -XEN_EINVAL,
                  "weight or cap out of range");
    }
    w = 65535, c = 100;
    expect_ok(sched_params(MICA_CTL_setschedparams, 0, &w, &c), "setschedparams (limits)");
    w = c = 0;
    expect_ok(sched_params(MICA_CTL_getschedparams, 0, &w, &c), "getschedparams");
    expect_eq(w, 65535, "weight set");
    expect_eq(c, 100, "cap set");
    w = 256, c = 0;
    expect_ok(sched_params(MICA_CTL_setschedparams, 0, &w, &c), "setschedparams (back)");
    expect_rc(sched_params(MICA_CTL_getschedparams, 1000, &w, &c), -XEN_ESRCH, "get d1000");
    expect_rc(sched_params(MICA_CTL_setschedparams, 1000, &w, &c), -XEN_ESRCH, "set d1000");
    return KIT_PASS;
}

struct e820 {
    uint64_t addr, size;
    uint32_t type;
} __attribute__((packed));

static long set_map(domid_t id, const struct e820 *e, unsigned int n)
{
    struct xen_foreign_memory_map f = { .domid = id, .map = { .nr_entries = n } };

    set_xen_guest_handle(f.map.buffer, (void *)e);
    return HYPERVISOR_memory_op(XENMEM_set_memory_map, &f);
}

static long get_map(struct e820 *e, unsigned int n)
{
    struct xen_memory_map map = { .nr_entries = n };

    set_xen_guest_handle(map.buffer, e);
    long rc = HYPERVISOR_memory_op(XENMEM_memory_map, &map);
    return rc ? rc : (long)map.nr_entries;
}

/* The toolstack's E820 for a domain (how a guest learns it may balloon
 * up to maxmem): what XENMEM_memory_map then reports. */
static int memory_map_set_by_the_toolstack(void)
{
    static const struct e820 two[2] = { { 0, 0x9f000, 1 }, { 0x100000, 0x7f00000, 1 } };
    struct e820 got[9] = { 0 };

    expect_rc(get_map(got, 4), 1, "the default: one RAM range");
    uint64_t dflt = got[0].size;
    expect_ok(set_map(DOMID_SELF, two, 2), "set_memory_map");
    expect_rc(get_map(got, 4), 2, "two entries back");
    expect_true(got[0].addr == two[0].addr && got[0].size == two[0].size &&
                got[1].addr == two[1].addr && got[1].size == two[1].size && got[1].type == 1,
                "the entries as set");
    expect_rc(get_map(got, 1), 1, "a one-entry buffer gets the first");
    expect_rc(set_map(DOMID_SELF, got, 9), -XEN_EINVAL, "nine entries");
    expect_rc(set_map(1000, two, 2), -XEN_ESRCH, "a domain that does not exist");
    expect_rc(set_map(DOMID_SELF, (const struct e820 *)0xffff82d040000000UL, 2), -XEN_EFAULT,
              "entries in the hypervisor");
    expect_rc(get_map(got, 4), 2, "a refused set changes nothing");
    expect_ok(set_map(DOMID_SELF, two, 0), "no entries");
    expect_rc(get_map(got, 4), 1, "the default again");
    expect_eq(got[0].size, dflt, "the default's size");
    return KIT_PASS;
}

static int readconsole_returns_the_boot_log(void)
{
    struct mica_ctl_op op = kit_ctl_op(MICA_CTL_readconsole, DOMID_INVALID);

    set_xen_guest_handle(op.u.readconsole.buffer, builder_text);
    op.u.readconsole.count = sizeof(builder_text) - 1;
    expect_ok(HYPERVISOR_mica_control(&op), "readconsole");
    expect_true(op.u.readconsole.count > 0 && op.u.readconsole.count < sizeof(builder_text),
                "some text, within the buffer");
    builder_text[op.u.readconsole.count] = '\0';
    expect_true(kit_strstr(builder_text, "Mica hypervisor") != NULL, "the boot banner is in it");
    kit_printf("kit: note: readconsole: %u bytes\n", op.u.readconsole.count);
    return KIT_PASS;
}

static int createdomain_refuses_bad_arguments(void)
{
    static const domid_t bad_ids[] = { DOMID_FIRST_RESERVED, DOMID_XEN, DOMID_IDLE };
    struct mica_ctl_physinfo pi;
    struct mica_ctl_op op;

    for (unsigned int vcpus = 0; vcpus <= 33; vcpus += 33) {
        op = kit_ctl_op(MICA_CTL_createdomain, DOMID_INVALID);
        op.u.createdomain.max_vcpus = vcpus;
        op.u.createdomain.max_pages = 16;
        expect_rc(HYPERVISOR_mica_control(&op), -XEN_EINVAL, vcpus ? "33 vCPUs" : "0 vCPUs");
    }
    for (unsigned int i = 0; i < ARRAY_SIZE(bad_ids); i++) {
        op = kit_ctl_op(MICA_CTL_createdomain, bad_ids[i]);
        op.u.createdomain.max_vcpus = 1;
        op.u.createdomain.max_pages = 16;
        expect_rc(HYPERVISOR_mica_control(&op), -XEN_EINVAL, "a reserved domain id");
    }
    expect_ok(kit_ctl_physinfo(&pi), "physinfo");
    expect_eq(pi.nr_domains, 1, "no domain was left behind");
    return KIT_PASS;
}

static int createdomain_of_an_id_in_use_refused(void)
{
    struct mica_ctl_domaininfo info;
    xen_domain_handle_t h;
    struct kit_pv_domain *d = &kids[0];

    child_handle(42, h);
    *d = (struct kit_pv_domain){ 0 };
    expect_ok(kit_pv_create(d, "child42", 16, h, 42), kit_pv_why);
    expect_eq(d->domid, 42, "the id asked for");
    struct kit_pv_domain again = { 0 };
    expect_rc(kit_pv_create(&again, "again", 16, h, 42), -XEN_EEXIST, "createdomain of d42");
    expect_ok(kit_ctl_domaininfo(42, &info), "getdomaininfo");
    expect_eq(info.domain, 42, "reported id");
    expect_true(info.flags & MICA_DOMINF_paused, "created paused");
    expect_eq(info.flags & (MICA_DOMINF_privileged | MICA_DOMINF_shutdown), 0,
              "neither privileged nor shut down");
    expect_eq(strncmp(info.name, "child42", MICA_NAME_LEN), 0, "name");
    expect_eq(memcmp(info.handle, h, sizeof(h)), 0, "handle");
    expect_true(info.tot_pages <= info.max_pages, "tot_pages within max_pages");
    expect_true(info.max_pages >= 16, "max_pages at least the limit");
    expect_ne(info.shared_info_frame, 0, "shared_info frame");
    expect_rc(kit_ctl_domaininfo(43, &info), -XEN_ESRCH, "getdomaininfo above the last");
    int r = destroy_and_check_gone(42, DOMID_INVALID);
    d->domid = 0;
    return r;
}

static bool in_list(const uint64_t *list, uint64_t n, uint64_t mfn)
{
    for (uint64_t i = 0; i < n; i++)
        if (list[i] == mfn)
            return true;
    return false;
}

static int populate_stops_at_max_pages(void)
{
    struct kit_pv_domain *d = &kids[0];
    uint64_t *mfns = p2m_of[0], *list = p2m_of[1], done;
    struct mica_ctl_domaininfo info;
    xen_domain_handle_t h;

    child_handle(43, h);
    *d = (struct kit_pv_domain){ 0 };
    memset(mfns, 0, 64 * 8);
    expect_ok(kit_pv_create(d, "child43", 16, h, DOMID_INVALID), kit_pv_why);
    expect_ok(kit_ctl_populate(d->domid, 0, 32, mfns, &done), "populate 32 of at most 16");
    expect_eq(done, 16, "nr_done: stopped at max_pages");
    for (unsigned int i = 0; i < 16; i++) {
        expect_true(mfns[i] != 0 && !in_list(mfns, i, mfns[i]), "distinct MFNs");
        expect_eq(M2P[mfns[i]], i, "M2P entry set by populate");
    }
    struct mica_ctl_op op = kit_ctl_op(MICA_CTL_max_mem, d->domid);
    op.u.max_mem.max_pages = 24;
    expect_ok(HYPERVISOR_mica_control(&op), "max_mem 24");
    expect_ok(kit_ctl_populate(d->domid, 16, 16, mfns + 16, &done), "populate 16 more");
    expect_eq(done, 8, "nr_done: 8 more up to the new limit");
    expect_ok(kit_ctl_domaininfo(d->domid, &info), "getdomaininfo");
    expect_true(info.tot_pages >= 24 && info.tot_pages <= info.max_pages, "tot_pages");

    op = kit_ctl_op(MICA_CTL_getmemlist, d->domid);
    set_xen_guest_handle(op.u.getmemlist.mfns, list);
    op.u.getmemlist.max_pfns = CHILD_PAGES;
    expect_ok(HYPERVISOR_mica_control(&op), "getmemlist");
    expect_true(op.u.getmemlist.num_pfns >= 24 && op.u.getmemlist.num_pfns <= info.tot_pages,
                "getmemlist: every frame given, no more than it owns");
    for (unsigned int i = 0; i < 24; i++)
        expect_true(in_list(list, op.u.getmemlist.num_pfns, mfns[i]),
                    "a populated frame is in getmemlist");
    int r = destroy_and_check_gone(d->domid, DOMID_INVALID);
    d->domid = 0;
    return r;
}

/* mmu_update with foreigndom = a child maps that child's RAM and nothing
 * else: I/O memory is mapped under the child's rights (it has none), and
 * a frame it does not own is refused (issue 13, G).  Our own right to map
 * the same I/O frame (foreigndom DOMID_IO) is unchanged. */
static int foreign_mapping_takes_only_that_domains_ram(void)
{
    struct kit_pv_domain *d = &kids[0];
    xen_domain_handle_t h;
    uint64_t done, vga = 0xa0;      /* the legacy VGA hole: not RAM */

    child_handle(45, h);
    *d = (struct kit_pv_domain){ 0 };
    expect_ok(kit_pv_create(d, "child45", 16, h, DOMID_INVALID), kit_pv_why);
    expect_ok(kit_ctl_populate(d->domid, 0, 16, p2m_of[0], &done), "populate 16");
    long io = kit_map_foreign(RING_SLOT, d->domid, vga, PTE_RO);
    long ours = kit_map_foreign(RING_SLOT, d->domid, virt_to_mfn(&done), PTE_RO);
    long theirs = kit_map_foreign(RING_SLOT, d->domid, p2m_of[0][3], PTE_RO);
    long self_io = kit_map_foreign(RING_SLOT, DOMID_IO, vga, PTE_RO);
    expect_ok(kit_scratch_restore(RING_SLOT), "restore the slot");
    expect_ok(kit_ctl_simple(MICA_CTL_destroydomain, d->domid), "destroydomain");
    d->domid = 0;
    expect_rc(io, -XEN_EINVAL, "an I/O frame under the child's rights");
    expect_rc(ours, -XEN_EINVAL, "a frame of ours under the child's name");
    expect_ok(theirs, "the child's own frame");
    expect_ok(self_io, "the same I/O frame under our own rights (DOMID_IO)");
    return KIT_PASS;
}

/* A frame of a destroyed domain that we still map keeps it listed, dying,
 * and keeps that frame from the pool; unmapping it lets the domain go. */
static int destroyed_domain_waits_for_our_mapping(void)
{
    struct kit_pv_domain *d = &kids[0];
    struct mica_ctl_domaininfo info;
    struct mica_ctl_physinfo before, after;
    xen_domain_handle_t h;
    uint64_t done;

    child_handle(44, h);
    *d = (struct kit_pv_domain){ 0 };
    expect_ok(kit_pv_create(d, "child44", 16, h, DOMID_INVALID), kit_pv_why);
    expect_ok(kit_ctl_populate(d->domid, 0, 16, p2m_of[0], &done), "populate 16");
    expect_eq(done, 16, "nr_done");
    expect_ok(kit_map_foreign(RING_SLOT, d->domid, p2m_of[0][3], PTE_RO), "map one frame");
    expect_ok(kit_ctl_physinfo(&before), "physinfo");
    (void)take_dom_exc();
    expect_ok(kit_ctl_simple(MICA_CTL_destroydomain, d->domid), "destroydomain");
    bool dead = take_dom_exc();
    long rc = kit_ctl_domaininfo(d->domid, &info);
    bool early = take_dom_exc();
    long urc = kit_scratch_restore(RING_SLOT);
    expect_ok(rc, "getdomaininfo while we map its frame");
    expect_eq(info.domain, d->domid, "still listed");
    expect_true(info.flags & MICA_DOMINF_dying, "dying");
    /* VIRQ_DOM_EXC when it died (a domain that never shut down) and again
     * when it was reaped: what xenstored's @releaseDomain waits for. */
    expect_true(dead, "VIRQ_DOM_EXC when it died");
    expect_true(!early, "no VIRQ_DOM_EXC while it stays a zombie");
    expect_ok(urc, "unmap the frame");
    expect_rc(kit_ctl_domaininfo(d->domid, &info), -XEN_ESRCH, "gone once unmapped");
    expect_true(take_dom_exc(), "VIRQ_DOM_EXC when it was reaped");
    d->domid = 0;
    expect_ok(kit_ctl_physinfo(&after), "physinfo");
    expect_true(after.free_pages > before.free_pages, "its frames came back once unmapped");
    return KIT_PASS;
}

/* ---- setvcpucontext -------------------------------------------------------- */

/* setvcpucontext of d with ctrlreg[3] = cr3 must give -EINVAL. */
static long set_with_cr3(const struct kit_pv_domain *d, uint64_t mfn)
{
    kit_pv_context(d, &ctx);
    ctx.ctrlreg[3] = xen_pfn_to_cr3(mfn);
    return kit_ctl_vcpucontext(MICA_CTL_setvcpucontext, d->domid, 0, &ctx);
}

/* With one of d's table frames mapped writable by us, setvcpucontext is
 * refused; once the mapping is gone it is not held against the domain. */
static long set_while_mapped(const struct kit_pv_domain *d, uint64_t pfn)
{
    long rc = kit_map_foreign(RING_SLOT, d->domid, kit_pv_mfn(d, pfn), PTE_RW);

    if (rc == 0) {
        kit_pv_context(d, &ctx);
        rc = kit_ctl_vcpucontext(MICA_CTL_setvcpucontext, d->domid, 0, &ctx);
    } else {
        rc = 1;                     /* the mapping itself failed: not -EINVAL */
    }
    long rrc = kit_scratch_restore(RING_SLOT);
    return rrc ? rrc : rc;
}

/* mmuext_op on the child's frames (foreigndom = the child), as Xen's
 * toolstack pins the tables of the domain it builds. */
static long pin_foreign(const struct kit_pv_domain *d, unsigned int cmd, uint64_t mfn)
{
    struct mmuext_op op = { .cmd = cmd, .arg1.mfn = mfn };

    return HYPERVISOR_mmuext_op(&op, 1, NULL, d->domid);
}

static int setvcpucontext_checks(struct kit_pv_domain *d)
{
    struct mica_ctl_op op = kit_ctl_op(MICA_CTL_getvcpuinfo, d->domid);
    struct mica_ctl_domaininfo info;

    expect_ok(HYPERVISOR_mica_control(&op), "getvcpuinfo before");
    expect_eq(op.u.getvcpuinfo.online, 0, "vCPU 0 down before setvcpucontext");
    expect_rc(set_with_cr3(d, virt_to_mfn(kit_mem.l4)), -XEN_EINVAL, "our own L4 as cr3");
    expect_rc(set_with_cr3(d, virt_to_mfn(&ctx)), -XEN_EINVAL, "our own data frame as cr3");
    expect_rc(set_while_mapped(d, d->l.pt), -XEN_EINVAL, "its L4 mapped writable by us");
    expect_rc(set_while_mapped(d, d->l.pt + d->l.pt_pages - 1), -XEN_EINVAL,
              "its last L1 mapped writable by us");
    expect_rc(pin_foreign(d, MMUEXT_PIN_L4_TABLE, virt_to_mfn(kit_mem.l4)), -XEN_EINVAL,
              "pinning our own L4 as the child's");
    expect_rc(pin_foreign(d, MMUEXT_TLB_FLUSH_LOCAL, 0), -XEN_EINVAL,
              "a foreign mmuext_op other than pin/unpin");
    expect_ok(pin_foreign(d, MMUEXT_PIN_L4_TABLE, kit_pv_mfn(d, d->l.pt)), "pin its L4");
    expect_rc(pin_foreign(d, MMUEXT_PIN_L4_TABLE, kit_pv_mfn(d, d->l.pt)), -XEN_EINVAL,
              "pin its L4 twice");
    expect_ok(pin_foreign(d, MMUEXT_UNPIN_TABLE, kit_pv_mfn(d, d->l.pt)), "unpin its L4");
    expect_ok(pin_foreign(d, MMUEXT_PIN_L4_TABLE, kit_pv_mfn(d, d->l.pt)),
              "pin its L4 again (destroy drops the pin)");
    kit_pv_context(d, &ctx);
    expect_ok(kit_ctl_vcpucontext(MICA_CTL_setvcpucontext, d->domid, 0, &ctx),
              "setvcpucontext once nothing maps the tables");
    static struct vcpu_guest_context got;
    memset(&got, 0xa5, sizeof(got));
    expect_ok(kit_ctl_vcpucontext(MICA_CTL_getvcpucontext, d->domid, 0, &got),
              "getvcpucontext of the paused child");
    expect_eq(got.user_regs.rip, ctx.user_regs.rip, "rip");
    expect_eq(got.user_regs.rsp, ctx.user_regs.rsp, "rsp");
    expect_eq(got.user_regs.rsi, ctx.user_regs.rsi, "rsi");
    expect_eq(got.ctrlreg[3], ctx.ctrlreg[3], "cr3");
    expect_true(got.flags & VGCF_in_kernel, "in kernel");
    expect_ok(HYPERVISOR_mica_control(&op), "getvcpuinfo after");
    expect_eq(op.u.getvcpuinfo.online, 1, "vCPU 0 online after setvcpucontext");
    expect_ok(kit_ctl_domaininfo(d->domid, &info), "getdomaininfo");
    expect_eq(info.nr_online_vcpus, 1, "nr_online_vcpus");
    expect_true(info.flags & MICA_DOMINF_paused, "still paused");
    return KIT_PASS;
}

static int running_domain_checks(struct kit_pv_domain *d)
{
    struct mica_ctl_domaininfo info;

    expect_ok(kit_ctl_simple(MICA_CTL_unpausedomain, d->domid), "unpausedomain");
    expect_rc(kit_ctl_vcpucontext(MICA_CTL_setvcpucontext, d->domid, 0, &ctx), -XEN_EBUSY,
              "setvcpucontext of a running domain");
    expect_ok(wait_ring_line(0), "the child's line on its console ring");
    expect_ok(kit_ctl_simple(MICA_CTL_pausedomain, d->domid), "pausedomain");
    expect_ok(kit_ctl_domaininfo(d->domid, &info), "getdomaininfo");
    expect_true(info.flags & MICA_DOMINF_paused, "paused");
    expect_eq(info.flags & MICA_DOMINF_shutdown, 0, "not shut down");
    expect_ne(info.cpu_time, 0, "cpu_time");
    expect_ok(kit_ctl_vcpucontext(MICA_CTL_getvcpucontext, d->domid, 0, &ctx),
              "getvcpucontext once paused");
    expect_true(ctx.user_regs.rip >= child.virt_start && ctx.user_regs.rip < child.virt_end,
                "it was stopped inside its image");
    expect_ok(kit_ctl_simple(MICA_CTL_unpausedomain, d->domid), "unpause again");
    return KIT_PASS;
}

static int setvcpucontext_refuses_what_is_not_a_fresh_l4(void)
{
    struct kit_pv_domain *d = &kids[0];
    int r;

    if (load_child(0, 300, "spin", NULL))
        r = kit_fail("%s", kit_pv_why);
    else if ((r = setvcpucontext_checks(d)) == KIT_PASS &&
             (r = running_domain_checks(d)) == KIT_PASS) {
        r = destroy_and_check_gone(d->domid, DOMID_INVALID);
        d->domid = 0;
    }
    destroy_leftovers();
    return r;
}

/* The header: "Set or read one vCPU's whole context (the domain must be
 * paused, -EBUSY otherwise)". */
static int getvcpucontext_of_a_running_domain_refused(void)
{
    int r = KIT_PASS;
    long rc;

    if (build_child(0, 301, "spin", NULL))
        r = kit_fail("%s", kit_pv_why);
    else if ((rc = kit_ctl_simple(MICA_CTL_unpausedomain, kids[0].domid)) ||
             (rc = wait_ring_line(0)))
        r = kit_fail("start the child: %s", kit_errno_name(rc));
    else if ((rc = kit_ctl_vcpucontext(MICA_CTL_getvcpucontext, kids[0].domid, 0, &ctx)) !=
             -XEN_EBUSY)
        r = kit_fail("getvcpucontext of a running domain: got %ld (%s), want EBUSY", rc,
                     kit_errno_name(rc));
    destroy_leftovers();
    return r;
}

static int probe_child_powers_off(void)
{
    struct mica_ctl_domaininfo info;
    bool virq;

    if (build_child(0, 200, "probe", NULL))
        return kit_fail("%s", kit_pv_why);
    (void)take_dom_exc();
    expect_ok(kit_ctl_simple(MICA_CTL_unpausedomain, kids[0].domid), "unpausedomain");
    long rc = wait_shutdown(kids[0].domid, &info, &virq);
    if (rc)
        return kit_fail("the probe child did not shut down: %s", kit_errno_name(rc));
    expect_eq(info.shutdown_reason, SHUTDOWN_poweroff,
              "probe child's verdict (poweroff: every call got EPERM)");
    expect_true(virq, "VIRQ_DOM_EXC on its shutdown");
    int r = destroy_and_check_gone(kids[0].domid, DOMID_INVALID);
    kids[0].domid = 0;
    return r;
}

static int unprivileged_domain_is_refused(void)
{
    int r = probe_child_powers_off();

    destroy_leftovers();
    return r;
}

/* ---- many children --------------------------------------------------------- */

static const char *mode_of(unsigned int i)
{
    return i % 10 == 9 ? "spin" : i % 25 == 12 ? "crash" : "exit";
}

/* Child i from create to destroy; the time of each phase but its run
 * goes into phases[][i]. */
static int one_child(unsigned int i)
{
    const char *mode = mode_of(i);
    struct mica_ctl_domaininfo info;
    uint64_t ticks[NR_PHASES];
    bool virq;

    if (build_child(0, i, mode, ticks))
        return kit_fail("child %u: %s", i, kit_pv_why);
    expect_ok(kit_ctl_domaininfo(kids[0].domid, &info), "getdomaininfo before it runs");
    expect_true(info.tot_pages >= CHILD_PAGES && info.tot_pages <= info.max_pages,
                "tot_pages: its memory and Mica's frames for it, within max_pages");
    (void)take_dom_exc();
    expect_ok(kit_ctl_simple(MICA_CTL_unpausedomain, kids[0].domid), "unpausedomain");
    if (mode[0] == 's') {
        expect_ok(wait_ring_line(0), "a spinning child's line on its ring");
        expect_ok(kit_ctl_domaininfo(kids[0].domid, &info), "getdomaininfo while it runs");
        expect_eq(info.flags & (MICA_DOMINF_shutdown | MICA_DOMINF_paused), 0,
                  "running: neither shut down nor paused");
        expect_ne(info.cpu_time, 0, "cpu_time of a running child");
    } else {
        long rc = wait_shutdown(kids[0].domid, &info, &virq);
        if (rc)
            return kit_fail("child %u (%s) did not shut down: %s (flags %#x)", i, mode,
                            kit_errno_name(rc), info.flags);
        unsigned int want = mode[0] == 'c' ? SHUTDOWN_crash : SHUTDOWN_poweroff;
        if (info.shutdown_reason != want)
            return kit_fail("child %u (%s): shutdown reason %u, want %u", i, mode,
                            info.shutdown_reason, want);
        if (!virq)
            return kit_fail("child %u: no VIRQ_DOM_EXC on its shutdown", i);
    }
    uint64_t t0 = kit_rdtsc();
    expect_ok(kit_ctl_simple(MICA_CTL_destroydomain, kids[0].domid), "destroydomain");
    ticks[PH_DESTROY] = kit_rdtsc() - t0;
    for (unsigned int p = 0; p < NR_PHASES; p++)
        phases[p][i] = ticks[p];
    domid_t id = kids[0].domid;
    kids[0].domid = 0;
    expect_rc(kit_ctl_domaininfo(id, &info), -XEN_ESRCH, "getdomaininfo of a destroyed child");
    return KIT_PASS;
}

static int hundred_children_come_and_go(void)
{
    unsigned int counts[3] = { 0 };   /* exit, spin, crash */

    for (unsigned int i = 0; i < nr_children; i++) {
        int r = one_child(i);
        if (r != KIT_PASS) {
            destroy_leftovers();
            return r;
        }
        const char *m = mode_of(i);
        counts[m[0] == 'e' ? 0 : m[1] == 'p' ? 1 : 2]++;
        if (i % 10 == 9)
            kit_printf("kit: note: %u children done\n", i + 1);
    }
    expect_true(nr_children > 0, "some children");
    kit_printf("kit: note: %u children done: %u powered off, %u destroyed while running, "
               "%u crashed\n", nr_children, counts[0], counts[1], counts[2]);
    char line[160];
    int len = kit_snprintf(line, sizeof(line), "kit: note: medians (us):");
    for (unsigned int p = 0; p < NR_PHASES; p++) {
        for (unsigned int i = 0; i < nr_children; i++)
            samples[i] = (p ? samples[i] : 0) + phases[p][i];
        kit_sort_u64(phases[p], nr_children);
        len += kit_snprintf(line + len, sizeof(line) - (size_t)len, " %s %lu",
                            phase_names[p], kit_tsc_to_ns(phases[p][nr_children / 2]) / 1000);
    }
    kit_printf("%s\n", line);
    kit_sort_u64(samples, nr_children);
    uint64_t median = samples[nr_children / 2];
    kit_printf("kit: bench domain_create_build_destroy.median %lu tsc-ticks %lu us\n", median,
               kit_tsc_to_ns(median) / 1000);
    return KIT_PASS;
}

/* The children's slots in ascending id order. */
static void by_id(unsigned int order[NR_AT_ONCE])
{
    for (unsigned int k = 0; k < NR_AT_ONCE; k++) {
        unsigned int j = k;
        for (; j > 0 && kids[order[j - 1]].domid > kids[k].domid; j--)
            order[j] = order[j - 1];
        order[j] = k;
    }
}

static int list_shows_builder_and_children(const unsigned int order[NR_AT_ONCE])
{
    struct mica_ctl_op op = kit_ctl_op(MICA_CTL_getdomaininfolist, 0);
    struct mica_ctl_physinfo pi;

    set_xen_guest_handle(op.u.getdomaininfolist.buffer, infos);
    op.u.getdomaininfolist.max_domains = ARRAY_SIZE(infos);
    expect_ok(HYPERVISOR_mica_control(&op), "getdomaininfolist");
    expect_eq(op.u.getdomaininfolist.num_domains, 1 + NR_AT_ONCE, "domains listed");
    expect_eq(infos[0].domain, 0, "the builder first");
    expect_true(infos[0].flags & MICA_DOMINF_privileged, "the builder is privileged");
    for (unsigned int i = 0; i < NR_AT_ONCE; i++) {
        unsigned int k = order[i];
        char name[MICA_NAME_LEN];
        kit_snprintf(name, sizeof(name), "child%u", 100 + NR_AT_ONCE * (rounds - 1) + k);
        expect_eq(infos[i + 1].domain, kids[k].domid, "the children, ids ascending");
        expect_eq(strncmp(infos[i + 1].name, name, MICA_NAME_LEN), 0, "a child's name");
        expect_eq(infos[i + 1].flags & (MICA_DOMINF_shutdown | MICA_DOMINF_paused), 0,
                  "a child neither shut down nor paused");
    }
    domid_t second = kids[order[1]].domid;
    op = kit_ctl_op(MICA_CTL_getdomaininfolist, second);
    set_xen_guest_handle(op.u.getdomaininfolist.buffer, infos);
    op.u.getdomaininfolist.max_domains = 2;
    expect_ok(HYPERVISOR_mica_control(&op), "getdomaininfolist from the second child, 2 max");
    expect_eq(op.u.getdomaininfolist.num_domains, 2, "capacity respected");
    expect_eq(infos[0].domain, second, "starts at the id asked for");
    expect_eq(infos[1].domain, kids[order[2]].domid, "then the next");
    expect_ok(kit_ctl_physinfo(&pi), "physinfo");
    expect_eq(pi.nr_domains, 1 + NR_AT_ONCE, "nr_domains");
    return KIT_PASS;
}

/* Each child's cpu_time grows while the others run too. */
static int all_of_them_run(void)
{
    uint64_t before[NR_AT_ONCE];
    struct mica_ctl_domaininfo info;

    for (unsigned int k = 0; k < NR_AT_ONCE; k++) {
        expect_ok(kit_ctl_domaininfo(kids[k].domid, &info), "getdomaininfo");
        before[k] = info.cpu_time;
    }
    for (uint64_t until = kit_system_time() + 200000000ULL; kit_system_time() < until;)
        poll_dom_exc(until);
    for (unsigned int k = 0; k < NR_AT_ONCE; k++) {
        expect_ok(kit_ctl_domaininfo(kids[k].domid, &info), "getdomaininfo");
        if (info.cpu_time <= before[k])
            return kit_fail("child in slot %u: cpu_time %lu did not grow in 200 ms", k,
                            info.cpu_time);
    }
    return KIT_PASS;
}

/* Children 100.. (round 0) or 104.. (round 1), all spinning at once. */
static int four_children_run_at_once(void)
{
    unsigned int order[NR_AT_ONCE], first = 100 + NR_AT_ONCE * rounds++;
    int r = KIT_PASS;

    for (unsigned int k = 0; k < NR_AT_ONCE && r == KIT_PASS; k++)
        if (build_child(k, first + k, "spin", NULL))
            r = kit_fail("child %u: %s", first + k, kit_pv_why);
    for (unsigned int k = 0; k < NR_AT_ONCE && r == KIT_PASS; k++) {
        long rc = kit_ctl_simple(MICA_CTL_unpausedomain, kids[k].domid);
        if (rc)
            r = kit_fail("unpause child %u: %s", first + k, kit_errno_name(rc));
    }
    for (unsigned int k = 0; k < NR_AT_ONCE && r == KIT_PASS; k++) {
        long rc = wait_ring_line(k);
        if (rc)
            r = kit_fail("child %u's line on its ring: %s", first + k, kit_errno_name(rc));
    }
    by_id(order);
    if (r == KIT_PASS)
        r = list_shows_builder_and_children(order);
    if (r == KIT_PASS)
        r = all_of_them_run();
    /* Lowest id first: each time getdomaininfo must report the next. */
    for (unsigned int i = 0; i < NR_AT_ONCE && r == KIT_PASS; i++) {
        unsigned int k = order[i];
        r = destroy_and_check_gone(kids[k].domid, i + 1 < NR_AT_ONCE ? kids[order[i + 1]].domid
                                                                     : DOMID_INVALID);
        kids[k].domid = 0;
    }
    destroy_leftovers();
    if (r == KIT_PASS && rounds == 1) {
        struct mica_ctl_physinfo pi;
        expect_ok(kit_ctl_physinfo(&pi), "physinfo");
        free_at_start = pi.free_pages;
    }
    return r;
}

/*
 * Mica's heap keeps the frames it carves for its own small structures
 * (domain, vCPUs, event-channel buckets; docs/domain-control.md), and our
 * maptrack page stays from our first grant mapping on (links_ready), so
 * the first domains leave free memory a few frames lower, once.  The
 * reference is therefore taken after the first round of four children at
 * once (the most this scenario has alive); from then on a hundred children
 * and another round must give back every frame, exactly.
 */
static int free_pages_return_to_the_start(void)
{
    struct mica_ctl_physinfo pi;

    expect_ok(kit_ctl_physinfo(&pi), "physinfo");
    kit_printf("kit: note: free pages at the start %lu, at the end %lu (at boot %lu: Mica's "
               "heap and our maptrack kept %ld frames)\n", free_at_start, pi.free_pages,
               free_at_boot, (long)(free_at_boot - free_at_start));
    expect_eq(pi.nr_domains, 1, "domains: the builder alone again");
    expect_ne(free_at_start, 0, "a reference taken after the first round");
    expect_eq(pi.free_pages, free_at_start, "free pages back to the start");
    expect_true(free_at_start <= free_at_boot && free_at_boot - free_at_start < CHILD_PAGES / 16,
                "what the heap kept is a few frames, not a child's memory");
    return KIT_PASS;
}

static const struct kit_test tests[] = {
    { "child_image_parses_with_its_xen_notes", child_image_parses_with_its_xen_notes, 0 },
    { "physinfo_describes_the_machine", physinfo_describes_the_machine, 0 },
    { "wrong_version_and_unknown_ops_refused", wrong_version_and_unknown_ops_refused,
      KIT_HOSTILE },
    { "self_and_missing_domains_refused", self_and_missing_domains_refused, KIT_HOSTILE },
    { "rename_handle_and_sched_params_checked", rename_handle_and_sched_params_checked,
      KIT_HOSTILE },
    { "memory_map_set_by_the_toolstack", memory_map_set_by_the_toolstack, KIT_HOSTILE },
    { "readconsole_returns_the_boot_log", readconsole_returns_the_boot_log, 0 },
    { "createdomain_refuses_bad_arguments", createdomain_refuses_bad_arguments, KIT_HOSTILE },
    { "createdomain_of_an_id_in_use_refused", createdomain_of_an_id_in_use_refused,
      KIT_HOSTILE },
    { "populate_stops_at_max_pages", populate_stops_at_max_pages, KIT_MM },
    { "destroyed_domain_waits_for_our_mapping", destroyed_domain_waits_for_our_mapping,
      KIT_MM },
    { "foreign_mapping_takes_only_that_domains_ram", foreign_mapping_takes_only_that_domains_ram,
      KIT_MM | KIT_HOSTILE },
    { "setvcpucontext_refuses_what_is_not_a_fresh_l4",
      setvcpucontext_refuses_what_is_not_a_fresh_l4, KIT_MM | KIT_HOSTILE },
    { "getvcpucontext_of_a_running_domain_refused", getvcpucontext_of_a_running_domain_refused,
      KIT_MM | KIT_HOSTILE },
    { "unprivileged_domain_is_refused", unprivileged_domain_is_refused, KIT_MM | KIT_HOSTILE },
    { "dying_peer_leaves_our_port_unbound", dying_peer_leaves_our_port_unbound, KIT_MM },
    { "dying_grantee_gives_our_frame_back", dying_grantee_gives_our_frame_back, KIT_MM },
    { "dying_granter_waits_for_our_mapping", dying_granter_waits_for_our_mapping, KIT_MM },
    { "four_children_run_at_once", four_children_run_at_once, KIT_MM },
    { "hundred_children_come_and_go", hundred_children_come_and_go, KIT_MM },
    { "four_more_children_run_at_once", four_children_run_at_once, KIT_MM },
    { "free_pages_return_to_the_start", free_pages_return_to_the_start, 0 },
};

KIT_KERNEL("builder", tests);
