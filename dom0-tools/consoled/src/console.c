/* SPDX-License-Identifier: MIT */
/*
 * A domain's console (see console.h for the model).  Ordering per guest
 * notification: drain `out` (into the log and the pty queue), flush the
 * queue to the pty as far as the pty takes it, then notify the guest if
 * we consumed or produced anything, so a guest spinning on a full ring
 * or waiting for input always gets its kick.  One pass drains at most
 * PASS_MAX bytes and then lets the loop serve others before coming back.
 */
#define _GNU_SOURCE             /* ptsname_r */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/stat.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include <xenstore.h>

#include <abi/io/console.h>
#include <ring_io/bytering.h>

#include "backend.h"
#include "buf.h"
#include "console.h"
#include "log.h"
#include "loop.h"

#define PASS_MAX      (64 * 1024)
#define DROP_REPORT_S 5

struct console {
    struct pollable pty;        /* the master side; ready(p, 0) = again */
    const struct console_cfg *cfg;
    unsigned domid, port;
    uint64_t mfn;
    char name[64];
    char tty[64];
    struct xencons_interface *intf;
    struct evtchn *evt;
    struct bytering in, out;
    int master, slave, logfd;
    uint32_t pty_events;
    struct cbuf queue;
    uint64_t dropped_total;
    time_t last_drop_report;
    bool log_failed, stopped;
};

/* Keep file names plain: the name is the toolstack's, but still a path. */
static void safe_name(char *dst, size_t len, const char *src, unsigned domid)
{
    size_t i;

    for (i = 0; src[i] && i + 1 < len; i++) {
        char ch = src[i];
        bool ok = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
                  (ch >= '0' && ch <= '9') || ch == '-' || ch == '_' ||
                  (ch == '.' && i > 0);
        dst[i] = ok ? ch : '_';
    }
    dst[i] = '\0';
    if (!i)
        snprintf(dst, len, "dom%u", domid);
}

/* mkdir -p: /var/log/xen/console may not exist in a fresh initramfs. */
static void make_dirs(const char *dir)
{
    char path[4096];

    snprintf(path, sizeof(path), "%s", dir);
    for (char *p = path + 1; *p; p++) {
        if (*p != '/')
            continue;
        *p = '\0';
        mkdir(path, 0755);
        *p = '/';
    }
    if (mkdir(path, 0755) && errno != EEXIST)
        cd_log("cannot create %s: %s", path, strerror(errno));
}

static int open_log(struct console *c)
{
    char path[4096];
    int fd;

    make_dirs(c->cfg->log_dir);
    snprintf(path, sizeof(path), "%s/guest-%s.log", c->cfg->log_dir, c->name);
    fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOFOLLOW,
              0640);
    if (fd < 0)
        cd_log("dom%u: cannot open %s: %s (output not logged)", c->domid,
               path, strerror(errno));
    return fd;
}

/* A pty in raw mode: bytes pass unchanged both ways, no echo, no signals. */
static int open_pty(struct console *c)
{
    struct termios t;

    c->master = posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC | O_NONBLOCK);
    if (c->master < 0 || grantpt(c->master) || unlockpt(c->master) ||
        ptsname_r(c->master, c->tty, sizeof(c->tty))) {
        cd_log("dom%u: cannot open a pty: %s", c->domid, strerror(errno));
        return -1;
    }
    c->slave = open(c->tty, O_RDWR | O_NOCTTY | O_CLOEXEC);
    if (c->slave < 0 || tcgetattr(c->slave, &t)) {
        cd_log("dom%u: cannot open %s: %s", c->domid, c->tty, strerror(errno));
        return -1;
    }
    cfmakeraw(&t);
    if (tcsetattr(c->slave, TCSANOW, &t)) {
        cd_log("dom%u: cannot make %s raw: %s", c->domid, c->tty,
               strerror(errno));
        return -1;
    }
    return 0;
}

static void tty_key(struct console *c, const char *value)
{
    char path[64];

    snprintf(path, sizeof(path), "/local/domain/%u/console/tty", c->domid);
    if (value) {
        if (!xs_write(c->cfg->xs, XBT_NULL, path, value, strlen(value)))
            cd_log("dom%u: cannot write %s: %s", c->domid, path,
                   strerror(errno));
    } else {
        xs_rm(c->cfg->xs, XBT_NULL, path);  /* gone already is fine */
    }
}

static void set_pty_events(struct console *c, uint32_t ev)
{
    if (ev != c->pty_events) {
        c->pty_events = ev;
        loop_mod(&c->pty, ev);
    }
}

static void report_drops(struct console *c, bool final)
{
    time_t now = time(NULL);
    uint64_t d = cbuf_take_dropped(&c->queue);

    c->dropped_total += d;
    if (!c->dropped_total)
        return;
    if (!final && c->last_drop_report &&
        now - c->last_drop_report < DROP_REPORT_S)
        return;
    cd_log("dom%u: nobody reads %s: dropped %" PRIu64 " bytes of output "
           "(the newest %zu are kept for a reader; the log has everything)",
           c->domid, c->tty, c->dropped_total, c->queue.cap);
    c->dropped_total = 0;
    c->last_drop_report = now;
}

/* Give the pty what it takes now; the rest waits for EPOLLOUT. */
static void flush_queue(struct console *c)
{
    while (c->queue.len) {
        size_t n;
        const uint8_t *p = cbuf_peek(&c->queue, &n);
        ssize_t w = write(c->master, p, n);
        if (w <= 0)
            break;
        cbuf_consume(&c->queue, (size_t)w);
    }
}

static void log_output(struct console *c, const char *p, size_t n)
{
    if (c->logfd < 0 || c->log_failed)
        return;
    while (n) {
        ssize_t w = write(c->logfd, p, n);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0) {
            cd_log("dom%u: writing guest-%s.log: %s (logging stops)",
                   c->domid, c->name, w < 0 ? strerror(errno) : "short");
            c->log_failed = true;
            return;
        }
        p += w;
        n -= (size_t)w;
    }
}

static void stop(struct console *c, const char *why)
{
    cd_log("dom%u: %s: console stopped", c->domid, why);
    console_close(c, NULL);
}

/* One pass over the rings; the guest's notification or ours to finish. */
static void service(struct console *c)
{
    char tmp[sizeof(c->intf->out)];
    size_t n, total = 0;
    bool more = false;
    uint32_t ev = 0;

    if (c->stopped)
        return;
    while ((n = bytering_read(&c->out, tmp, sizeof(tmp)))) {
        log_output(c, tmp, n);
        cbuf_put(&c->queue, tmp, n);
        total += n;
        if (total >= PASS_MAX) {
            more = true;
            break;
        }
    }
    if (bytering_broken(&c->out) || (bytering_space(&c->in), bytering_broken(&c->in))) {
        char why[96];
        snprintf(why, sizeof(why), "illegal ring indices (in %u/%u, out %u/%u)",
                 c->intf->in_cons, c->intf->in_prod, c->intf->out_cons,
                 c->intf->out_prod);
        stop(c, why);
        return;
    }
    flush_queue(c);
    report_drops(c, false);
    if (total)
        c->cfg->be->notify(c->evt);
    if (bytering_space(&c->in))
        ev |= EPOLLIN;
    if (c->queue.len)
        ev |= EPOLLOUT;
    set_pty_events(c, ev);
    if (more)
        loop_again(&c->pty);
}

static void kick(void *arg)
{
    service(arg);
}

/* Keyboard: pty input into the in ring, as far as the ring takes it. */
static void pty_input(struct console *c)
{
    char tmp[sizeof(c->intf->in)];
    size_t space = bytering_space(&c->in);
    ssize_t r;

    if (!space)
        return;                 /* service() turns EPOLLIN off */
    r = read(c->master, tmp, space < sizeof(tmp) ? space : sizeof(tmp));
    if (r > 0 && bytering_write(&c->in, tmp, (size_t)r) == (size_t)r)
        c->cfg->be->notify(c->evt);
}

static void pty_ready(struct pollable *p, uint32_t events)
{
    struct console *c = (struct console *)p;

    /* We hold the slave open, so this "cannot happen"; never spin on it. */
    if (events & (EPOLLHUP | EPOLLERR)) {
        stop(c, "pty hung up");
        return;
    }
    if (events & EPOLLIN)
        pty_input(c);
    service(c);                 /* also flushes on EPOLLOUT; also "again" */
}

struct console *console_open(const struct console_cfg *cfg, unsigned domid,
                             uint64_t mfn, unsigned port, const char *name,
                             size_t queue_limit)
{
    struct console *c = calloc(1, sizeof(*c));

    if (!c)
        return NULL;
    c->cfg = cfg;
    c->domid = domid;
    c->mfn = mfn;
    c->port = port;
    c->master = c->slave = c->logfd = -1;
    safe_name(c->name, sizeof(c->name), name, domid);
    if (cbuf_init(&c->queue, queue_limit ? queue_limit : cfg->pty_queue)) {
        cd_log("dom%u: out of memory for the console queue", domid);
        free(c);
        return NULL;
    }
    c->logfd = open_log(c);
    if (open_pty(c) || !(c->intf = cfg->be->map(domid, mfn)))
        goto fail;
    bytering_init_reader(&c->out, c->intf->out, sizeof(c->intf->out),
                         &c->intf->out_cons, &c->intf->out_prod);
    bytering_init_writer(&c->in, c->intf->in, sizeof(c->intf->in),
                         &c->intf->in_cons, &c->intf->in_prod);
    c->pty.fd = c->master;
    c->pty.ready = pty_ready;
    c->pty_events = EPOLLIN;
    if (loop_add(&c->pty, c->pty_events))
        goto fail;
    if (!(c->evt = cfg->be->bind(domid, port, kick, c))) {
        loop_del(&c->pty);
        goto fail;
    }
    tty_key(c, c->tty);
    cd_log("dom%u: console of %s on %s (frame %" PRIu64 ", port %u)", domid,
           c->name, c->tty, mfn, port);
    service(c);                 /* output written before we came */
    return c;
fail:
    if (c->intf)
        cfg->be->unmap(c->intf);
    if (c->master >= 0)
        close(c->master);
    if (c->slave >= 0)
        close(c->slave);
    if (c->logfd >= 0)
        close(c->logfd);
    cbuf_fini(&c->queue);
    free(c);
    return NULL;
}

/*
 * why == NULL: stop() already said why and the record stays (stopped)
 * so the same keys are not served again; otherwise the record is freed.
 */
void console_close(struct console *c, const char *why)
{
    if (!c->stopped) {
        report_drops(c, true);
        loop_del(&c->pty);
        c->cfg->be->unbind(c->evt);
        c->cfg->be->unmap(c->intf);
        close(c->master);
        close(c->slave);
        if (c->logfd >= 0)
            close(c->logfd);
        cbuf_fini(&c->queue);
        tty_key(c, NULL);
        c->stopped = true;
    }
    if (!why)
        return;
    cd_log("dom%u: console closed: %s", c->domid, why);
    loop_free_later(c);         /* its pollable may have a pending event */
}

bool console_same(const struct console *c, uint64_t mfn, unsigned port)
{
    return c->mfn == mfn && c->port == port;
}

bool console_stopped(const struct console *c)
{
    return c->stopped;
}
