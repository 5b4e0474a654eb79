/* SPDX-License-Identifier: MIT */
/*
 * Domains' consoles on the serial line, for machines without dom0 tools.
 *
 * Output.  The privileged domain 0 writes with console_io (at the end of
 * this file).  Every other boot-time domain gets a console ring (struct
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
#include <mica/byte_ring.h>
#include <mica/console.h>
#include <mica/domain.h>
#include <mica/errno.h>
#include <mica/event.h>
#include <mica/guest_access.h>
#include <mica/hypercall.h>
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
static char dom0_in_buf[1024];
static struct byte_ring dom0_in = BYTE_RING(dom0_in_buf);

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
           (domain_is_machine_owner(d) || d->cons_mfn != INVALID_MFN);
}

/* ---- output: one stream per source (console_io, the ring) ----------------- */

static void stream_prefix(const struct domain *d, const struct console_stream *st)
{
    char buf[16];

    if (st == &d->con_io) {
        console_write(buf, (size_t)mica_snprintf(buf, sizeof(buf), "(d%u) ", d->domain_id));
    } else {
        console_write("[", 1);
        console_write(d->name, strlen(d->name));
        console_write("] ", 2);
    }
}

/* End what the stream has open: a raw line, or a buffered one. */
static void stream_flush(struct domain *d, struct console_stream *st)
{
    if (st->midline) {
        console_write("\n", 1);
        st->midline = false;
    }
    if (!st->len)
        return;
    stream_prefix(d, st);
    console_write(st->line, st->len);
    console_write("\n", 1);
    st->len = 0;
}

/*
 * Interactive output (the privileged domain's console_io, the ring of the
 * domain with the input focus: a shell) goes to the serial line as it
 * comes, control characters included (carriage returns, the shell's cursor
 * movements), as Xen does for its hardware domain; only the prefix is
 * added at each line start.  Everything else is buffered by line and made
 * printable.
 */
static void stream_write(struct domain *d, struct console_stream *st, const char *s, size_t n,
                         bool raw)
{
    if (raw) {
        size_t start = 0;
        if (st->len) {                  /* a line buffered before it became raw */
            stream_prefix(d, st);
            console_write(st->line, st->len);
            st->len = 0;
            st->midline = true;
        }
        for (size_t i = 0; i < n; i++) {
            if (!st->midline) {
                stream_prefix(d, st);
                st->midline = true;
            }
            if (s[i] == '\n') {
                console_write(s + start, i + 1 - start);
                start = i + 1;
                st->midline = false;
            }
        }
        console_write(s + start, n - start);
        return;
    }
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (c == '\n' || st->len == sizeof(st->line)) {
            stream_flush(d, st);
            if (c == '\n')
                continue;
        }
        if (c == '\r')
            continue;                   /* the tty's CR of CR-LF */
        st->line[st->len++] = (c >= 0x20 && c < 0x7f) || c == '\t' ? c : '?';
    }
}

void console_io_write(struct domain *d, const char *s, size_t n)
{
    if (!d->console_quiet)
        stream_write(d, &d->con_io, s, n, d->is_privileged);
}

void console_io_note(struct domain *d, const char *note)
{
    stream_prefix(d, &d->con_io);
    console_write(note, strlen(note));
    console_write("\n", 1);
}

int console_attach(struct domain *d)
{
    long port;

    if (d->cons_mfn == INVALID_MFN)
        return 0;
    /* Mica writes the ring's indices: the frame must stay d's and never
     * become a page table meanwhile. */
    if (mm_hold_writable(d, d->cons_mfn) < 0)
        return -EINVAL;
    if ((port = evtchn_alloc_unbound_port(d, DOMID_XEN)) < 0) {
        mm_drop_writable(d, d->cons_mfn);
        return (int)port;
    }
    d->cons_port = (uint32_t)port;
    if (d->start_info_mfn != INVALID_MFN) {     /* a boot-time domain */
        struct start_info *si = mm_map_frame(d->start_info_mfn);
        si->console.domU.mfn = d->cons_mfn;
        si->console.domU.evtchn = d->cons_port;
    }
    return 0;
}

void console_detach(struct domain *d)
{
    if (d->cons_mfn != INVALID_MFN && d->cons_port)
        mm_drop_writable(d, d->cons_mfn);
    d->cons_mfn = INVALID_MFN;
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
    /* At most two pieces: to the end of the ring, then from its start. */
    for (XENCONS_RING_IDX left = n; left;) {
        XENCONS_RING_IDX at = cons % sizeof(r->out);
        XENCONS_RING_IDX piece = MIN(left, (XENCONS_RING_IDX)sizeof(r->out) - at);
        stream_write(d, &d->con_ring, &r->out[at], piece, d->domain_id == focus);
        cons += piece;
        left -= piece;
    }
    n_done(d, r, cons, n);
}

void console_flush(struct domain *d)
{
    console_ring_drain(d);
    stream_flush(d, &d->con_io);
    stream_flush(d, &d->con_ring);
}

void console_domain_stopped(struct domain *d)
{
    console_flush(d);
    if (focus == d->domain_id)
        console_set_initial_focus();
}

void console_tick(void)
{
    for (unsigned int slot = 0; slot < MAX_DOMAINS; slot++) {
        struct domain *d = domain_in_slot(slot);
        if (d)
            console_ring_drain(d);
    }
}

/* ---- input ---------------------------------------------------------------- */

static void deliver(char c)
{
    struct domain *d = focus == DOMID_XEN ? NULL : domain_by_id(focus);

    if (!d) {
        return;                 /* Mica's own console takes no input */
    } else if (d->cons_mfn == INVALID_MFN) {
        byte_ring_put(&dom0_in, c);
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

    if (old && old->con_ring.midline) {     /* its raw line ends here */
        console_write("\n", 1);
        old->con_ring.midline = false;
    }
    /* The lowest id from start on with a console; none: Mica's. */
    focus = DOMID_XEN;
    for (unsigned int slot = 0; slot < MAX_DOMAINS; slot++) {
        struct domain *d = domain_in_slot(slot);
        if (d && has_console(d) && d->domain_id >= start && d->domain_id < focus)
            focus = d->domain_id;
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
    return byte_ring_peek(&dom0_in, buf, len);
}

void console_read_done(size_t n)
{
    byte_ring_consume(&dom0_in, n);
}

/* ---- console_io ---------------------------------------------------------- */

/* Unprivileged domains' output is rate-limited (common/console.c); what
 * exceeds the limit is dropped and the domain's next line says how much. */
static bool console_allow(struct domain *d, uint64_t n)
{
    if (console_take_tokens(d, n, true) == n)
        return true;
    d->console_dropped += n;
    return false;
}

long do_console_io(uint64_t cmd, uint64_t count, uint64_t buf)
{
    struct domain *d = current->domain;
    char chunk[128];

    if (count > (1U << 20))
        return -EINVAL;
    if (!guest_range_ok(buf, count))
        return -EFAULT;         /* the whole buffer, before anything moves */
    if (cmd == CONSOLEIO_read) {
        /* The machine's console input belongs to the privileged domain. */
        if (!d->is_privileged)
            return -EPERM;
        /* Bytes leave the input buffer only once the guest has them. */
        size_t n = console_read(chunk, MIN(sizeof(chunk), count));
        if (copy_to_guest(buf, chunk, n))
            return -EFAULT;
        console_read_done(n);
        return (long)n;
    }
    if (cmd != CONSOLEIO_write)
        return -ENOSYS;
    if (!d->console_quiet && !console_allow(d, count))
        return (long)count;     /* dropped, as Xen does: the guest need not retry */
    if (d->console_dropped) {
        char note[64];
        mica_snprintf(note, sizeof(note), "[%lu bytes of output dropped]", d->console_dropped);
        console_io_note(d, note);
        d->console_dropped = 0;
    }
    for (uint64_t done = 0; done < count;) {
        size_t n = MIN(sizeof(chunk), count - done);
        if (copy_from_guest(chunk, buf + done, n))
            return -EFAULT;
        console_io_write(d, chunk, n);
        done += n;
    }
    return (long)count;
}
