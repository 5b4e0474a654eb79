/* SPDX-License-Identifier: MIT */
/*
 * Domains' consoles on the serial line, for machines without dom0 tools.
 *
 * Output.  The privileged domain 0 writes with console_io (arch/x86/
 * hypercall.c).  Every other boot-time domain gets a console ring (struct
 * xencons_interface: start_info.console.domU, a page of its own memory and
 * an event channel whose other end is the hypervisor) which Mica drains
 * onto the serial line, a line at a time, each line prefixed "[name] ".
 * Draining happens when the guest signals the port and on every timer
 * tick; it takes at most what the rate limit allows, so a guest that
 * writes faster than the line waits with its ring full rather than losing
 * output.  Ring indices come from the guest and are checked: a producer
 * more than a ring ahead is a broken ring, which is reported once and then
 * ignored until it is sane.
 *
 * Input.  Serial input goes to one console at a time: Mica's (which only
 * says how to switch), the privileged domain 0's (CONSOLEIO_read and
 * VIRQ_CONSOLE), or a ring domain's (its `in` ring and its port).
 * Pressing Ctrl-A three times moves the input to the next of them, as on
 * Xen; the Ctrl-As themselves are never delivered.
 */
#include <abi/io/console.h>
#include <mica/console.h>
#include <mica/domain.h>
#include <mica/event.h>
#include <mica/mm.h>
#include <mica/printk.h>
#include <mica/serial.h>
#include <mica/string.h>
#include <mica/time.h>

#define SWITCH_CHAR  0x01       /* Ctrl-A */
#define SWITCH_COUNT 3

static domid_t focus = DOMID_XEN;       /* who gets serial input */
static unsigned int switch_run;         /* consecutive Ctrl-As */

/* Input waiting for the privileged domain's CONSOLEIO_read. */
#define DOM0_IN 1024
static char dom0_in[DOM0_IN];
static unsigned int dom0_in_head, dom0_in_tail;     /* free-running */

/*
 * Rate limit for unprivileged domains' output (console_io and rings): a
 * burst of CONSOLE_BURST bytes, refilled at CONSOLE_RATE bytes per second,
 * so that no guest holds the serial line.  Returns how many of `want`
 * bytes may go now; with all_or_none, want or 0.
 */
#define CONSOLE_BURST (64 * 1024)
#define CONSOLE_RATE  (16 * 1024)

size_t console_take_tokens(struct domain *d, size_t want, bool all_or_none)
{
    uint64_t now = system_time_ns();

    if (d->is_privileged)
        return want;
    d->console_tokens += (now - d->console_refill) / (1000000000ULL / CONSOLE_RATE);
    d->console_refill = now;
    if (d->console_tokens > CONSOLE_BURST)
        d->console_tokens = CONSOLE_BURST;
    size_t n = want <= d->console_tokens ? want : all_or_none ? 0 : (size_t)d->console_tokens;
    d->console_tokens -= n;
    return n;
}

static bool has_console(const struct domain *d)
{
    return !d->is_stopped &&
           ((d->domain_id == 0 && d->is_privileged) || d->cons_mfn != INVALID_MFN);
}

static void ring_prefix(const struct domain *d)
{
    console_write("[", 1);
    console_write(d->name, strlen(d->name));
    console_write("] ", 2);
}

static void ring_line_flush(struct domain *d)
{
    if (d->ring_midline) {
        console_write("\n", 1);
        d->ring_midline = false;
    }
    if (!d->ring_len)
        return;
    ring_prefix(d);
    console_write(d->ring_line, d->ring_len);
    console_write("\n", 1);
    d->ring_len = 0;
}

int console_attach(struct domain *d)
{
    long port;

    if (d->cons_mfn == INVALID_MFN)
        return 0;
    if ((port = evtchn_alloc_xen_port(d)) < 0)
        return (int)port;
    d->cons_port = (uint32_t)port;
    struct start_info *si = mm_map_frame(d->start_info_mfn);
    si->console.domU.mfn = d->cons_mfn;
    si->console.domU.evtchn = d->cons_port;
    return 0;
}

/*
 * The domain that has the input focus is interactive (a shell): its bytes
 * go out as they come, control characters included, with the prefix at
 * each line start -- as the privileged domain's console_io output does.
 */
static void ring_raw(struct domain *d, const struct xencons_interface *r,
                     XENCONS_RING_IDX cons, XENCONS_RING_IDX n)
{
    if (d->ring_len) {                  /* a line buffered before the focus came */
        ring_prefix(d);
        console_write(d->ring_line, d->ring_len);
        d->ring_len = 0;
        d->ring_midline = true;
    }
    for (XENCONS_RING_IDX i = 0; i < n; i++) {
        char c = r->out[(cons + i) % sizeof(r->out)];
        if (!d->ring_midline) {
            ring_prefix(d);
            d->ring_midline = true;
        }
        console_write(&c, 1);
        if (c == '\n')
            d->ring_midline = false;
    }
}

/* Give the consumed bytes back to the guest and tell it there is room. */
static void n_done(struct domain *d, struct xencons_interface *r, XENCONS_RING_IDX cons,
                   XENCONS_RING_IDX n)
{
    __atomic_store_n(&r->out_cons, cons, __ATOMIC_RELEASE);
    if (n)
        evtchn_set_pending(d, d->cons_port);
}

void console_ring_drain(struct domain *d)
{
    if (d->cons_mfn == INVALID_MFN)
        return;
    struct xencons_interface *r = mm_map_frame(d->cons_mfn);
    XENCONS_RING_IDX cons = __atomic_load_n(&r->out_cons, __ATOMIC_ACQUIRE);
    XENCONS_RING_IDX prod = __atomic_load_n(&r->out_prod, __ATOMIC_ACQUIRE);
    XENCONS_RING_IDX n = prod - cons;

    if (n == 0)
        return;
    if (n > sizeof(r->out)) {
        if (!d->cons_broken)
            pr_warn("d%u: console ring indices are broken (prod %u, cons %u); ignored",
                    d->domain_id, prod, cons);
        d->cons_broken = true;
        return;
    }
    d->cons_broken = false;
    if (d->console_quiet) {             /* console = "none": taken, not shown */
        n_done(d, r, prod, n);
        return;
    }
    n = (XENCONS_RING_IDX)console_take_tokens(d, n, false);
    if (d->domain_id == focus) {
        ring_raw(d, r, cons, n);
        cons += n;
        n_done(d, r, cons, n);
        return;
    }
    for (XENCONS_RING_IDX i = 0; i < n; i++, cons++) {
        char c = r->out[cons % sizeof(r->out)];
        if (c == '\n' || d->ring_len == sizeof(d->ring_line)) {
            ring_line_flush(d);
            if (c == '\n')
                continue;
        }
        if (c == '\r')
            continue;
        d->ring_line[d->ring_len++] = (c >= 0x20 && c < 0x7f) || c == '\t' ? c : '?';
    }
    n_done(d, r, cons, n);
}

/* d stopped: its last output, and the input moves on if it had it. */
void console_ring_flush(struct domain *d)
{
    console_ring_drain(d);
    ring_line_flush(d);
    if (focus == d->domain_id)
        console_set_initial_focus();
}

void console_tick(void)
{
    for (domid_t id = 1; id < MAX_DOMAINS; id++) {
        struct domain *d = domain_by_id(id);
        if (d)
            console_ring_drain(d);
    }
    struct domain *d0 = domain_by_id(0);
    if (d0)
        console_ring_drain(d0);
}

/* ---- input ---------------------------------------------------------------- */

static void deliver(char c)
{
    struct domain *d = focus == DOMID_XEN ? NULL : domain_by_id(focus);

    if (!d) {
        return;                 /* Mica's own console takes no input */
    } else if (d->cons_mfn == INVALID_MFN) {
        if (dom0_in_head - dom0_in_tail < DOM0_IN)
            dom0_in[dom0_in_head++ % DOM0_IN] = c;
    } else {
        struct xencons_interface *r = mm_map_frame(d->cons_mfn);
        XENCONS_RING_IDX prod = r->in_prod;
        XENCONS_RING_IDX cons = __atomic_load_n(&r->in_cons, __ATOMIC_ACQUIRE);
        if (prod - cons < sizeof(r->in)) {      /* full (or broken): dropped */
            r->in[prod % sizeof(r->in)] = c;
            __atomic_store_n(&r->in_prod, prod + 1, __ATOMIC_RELEASE);
        }
    }
}

static void notify_focus(void)
{
    struct domain *d = focus == DOMID_XEN ? NULL : domain_by_id(focus);

    if (!d)
        return;
    if (d->cons_mfn == INVALID_MFN) {
        if (d->vcpu0)
            evtchn_send_virq(d->vcpu0, VIRQ_CONSOLE);
    } else {
        evtchn_set_pending(d, d->cons_port);
    }
}

static const char *focus_name(char *buf, size_t len)
{
    struct domain *d = focus == DOMID_XEN ? NULL : domain_by_id(focus);

    if (!d)
        return "Mica";
    mica_snprintf(buf, len, "d%u '%s'", d->domain_id, d->name);
    return buf;
}

/* The next console after the current one, in domain-id order, then Mica. */
static void switch_focus(void)
{
    domid_t start = focus == DOMID_XEN ? 0 : (domid_t)(focus + 1);
    struct domain *old = focus == DOMID_XEN ? NULL : domain_by_id(focus);
    char name[48];

    if (old && old->ring_midline) {
        console_write("\n", 1);
        old->ring_midline = false;
    }
    focus = DOMID_XEN;
    for (domid_t id = start; id < MAX_DOMAINS; id++) {
        struct domain *d = domain_by_id(id);
        if (d && has_console(d)) {
            focus = id;
            break;
        }
    }
    pr_info("console input now goes to %s (Ctrl-A three times to switch)",
            focus_name(name, sizeof(name)));
}

void console_set_initial_focus(void)
{
    focus = DOMID_XEN;
    switch_focus();
}

void console_rx(void)
{
    char buf[64];
    size_t n;
    bool got = false;

    while ((n = serial_peek(buf, sizeof(buf))) > 0) {
        serial_consume(n);
        for (size_t i = 0; i < n; i++) {
            if (buf[i] == SWITCH_CHAR) {
                if (++switch_run == SWITCH_COUNT) {
                    switch_run = 0;
                    if (got)
                        notify_focus();
                    got = false;
                    switch_focus();
                }
                continue;
            }
            switch_run = 0;
            deliver(buf[i]);
            got = true;
        }
    }
    if (got)
        notify_focus();
}

size_t console_read(char *buf, size_t len)
{
    size_t n = 0;

    while (n < len && dom0_in_tail + n != dom0_in_head) {
        buf[n] = dom0_in[(dom0_in_tail + n) % DOM0_IN];
        n++;
    }
    return n;
}

void console_read_done(size_t n)
{
    dom0_in_tail += (unsigned int)n;
}
