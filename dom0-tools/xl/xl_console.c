/* SPDX-License-Identifier: MIT */
/*
 * xl console: attach the user's terminal to a guest's console, which
 * consoled (dom0-tools/consoled) serves as a pty named in xenstore at
 * /local/domain/N/console/tty (extra consoles: device/console/K/tty).
 * The terminal is raw while attached so every key reaches the guest,
 * except Ctrl-] (0x1d), which detaches as in Xen's xl.  The session ends
 * when the pty hangs up (consoled closed it: the domain went away) or the
 * tty key no longer names it.  Raw mode is undone on every exit path,
 * signals included: they are blocked outside ppoll and handled in the
 * loop, never in a handler.
 */
#define _GNU_SOURCE             /* ppoll */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include <xenstore.h>

#include "xl.h"

int cmd_console(struct xl *x, int argc, char **argv);
int xl_console_attach(struct xl *x, domid_t id);

#define ESCAPE_CHAR  0x1d       /* Ctrl-] */
#define TTY_WAIT_MS  10000      /* for consoled to publish the pty */
#define CHECK_MS     1000       /* how often the tty key is re-read */

struct session {
    struct xl *x;
    struct xs_handle *xs;
    domid_t id;
    char what[48];              /* "console of domain N" */
    char key[96];               /* the tty key */
    char *tty;
    int fd, in, out;
    bool raw;
    struct termios saved;
};

static volatile sig_atomic_t got_signal;

static void on_signal(int sig)
{
    got_signal = sig;
}

static int fail(struct session *s, const char *msg, int err)
{
    if (err)
        fprintf(s->x->err, "xl: %s: %s: %s\n", s->what, msg, mica_strerror(err));
    else
        fprintf(s->x->err, "xl: %s: %s\n", s->what, msg);
    return XL_FAIL;
}

/* A pty path consoled wrote: something under /dev, nothing odd. */
static bool plausible_tty(const char *t)
{
    return !strncmp(t, "/dev/", 5) && !strstr(t, "/../") &&
           strlen(t) < 64;
}

static long now_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1000L + ts.tv_nsec / 1000000;
}

/* Wait for consoled to publish the pty; false said why. */
static bool find_tty(struct session *s)
{
    char home[32];
    unsigned len;
    long end = now_ms() + TTY_WAIT_MS;
    char *v;

    snprintf(home, sizeof(home), "/local/domain/%u", s->id);
    for (;;) {
        v = xs_read(s->xs, XBT_NULL, home, &len);
        if (!v) {
            fail(s, "domain not in xenstore", errno);
            return false;
        }
        free(v);
        v = xs_read(s->xs, XBT_NULL, s->key, &len);
        if (v && *v) {
            if (!plausible_tty(v)) {
                fail(s, "console/tty does not name a pty", 0);
                free(v);
                return false;
            }
            s->tty = v;
            return true;
        }
        free(v);
        if (now_ms() >= end) {
            fail(s, "no tty in xenstore (is consoled running?)", 0);
            return false;
        }
        usleep(100 * 1000);
    }
}

static bool still_ours(struct session *s)
{
    unsigned len;
    char *v = xs_read(s->xs, XBT_NULL, s->key, &len);
    bool same = v && !strcmp(v, s->tty);

    free(v);
    return same;
}

static bool write_all(int fd, const char *p, size_t n)
{
    while (n) {
        ssize_t w = write(fd, p, n);
        if (w < 0 && errno == EINTR)
            continue;
        if (w < 0 && errno == EAGAIN) {
            struct pollfd pf = { .fd = fd, .events = POLLOUT };
            poll(&pf, 1, -1);
            continue;
        }
        if (w <= 0)
            return false;
        p += w;
        n -= (size_t)w;
    }
    return true;
}

static void raw_on(struct session *s)
{
    struct termios t;

    if (!isatty(s->in) || tcgetattr(s->in, &s->saved))
        return;
    t = s->saved;
    cfmakeraw(&t);
    /* TCSANOW: what the user typed ahead (an Enter to wake the guest's
     * shell) is kept for the guest, not discarded. */
    s->raw = !tcsetattr(s->in, TCSANOW, &t);
}

static void raw_off(struct session *s)
{
    if (s->raw)
        tcsetattr(s->in, TCSADRAIN, &s->saved);
    s->raw = false;
}

/*
 * Relay until detach, hang-up, the domain's end or a signal.  Keyboard
 * bytes wait in `pend` while the pty is full, and the keyboard is not
 * read meanwhile, so the user is slowed down rather than losing keys.
 */
static int relay(struct session *s, const sigset_t *waitmask)
{
    char buf[4096], pend[4096];
    size_t plen = 0;
    bool in_open = true;
    long next_check = now_ms() + CHECK_MS;

    for (;;) {
        struct pollfd pf[2] = {
            { .fd = s->fd, .events = POLLIN | (plen ? POLLOUT : 0) },
            { .fd = in_open && !plen ? s->in : -1, .events = POLLIN },
        };
        struct timespec ts = { .tv_sec = 0, .tv_nsec = CHECK_MS * 1000000L / 4 };
        int n = ppoll(pf, 2, &ts, waitmask);

        if (got_signal)
            return XL_FAIL;
        if (n < 0 && errno != EINTR)
            return fail(s, "poll", errno);
        if (pf[0].revents & (POLLIN | POLLHUP | POLLERR)) {
            ssize_t r = read(s->fd, buf, sizeof(buf));
            if (r == 0 || (r < 0 && errno != EAGAIN && errno != EINTR))
                return XL_OK;                    /* hung up: domain gone */
            if (r > 0 && !write_all(s->out, buf, (size_t)r))
                return XL_OK;                    /* our terminal is gone */
        }
        if (pf[1].revents & (POLLIN | POLLHUP | POLLERR)) {
            ssize_t r = read(s->in, pend, sizeof(pend));
            if (r <= 0 && !(r < 0 && (errno == EAGAIN || errno == EINTR)))
                in_open = false;                 /* keep showing output */
            if (r > 0) {
                char *esc = memchr(pend, ESCAPE_CHAR, (size_t)r);
                plen = esc ? (size_t)(esc - pend) : (size_t)r;
                if (esc) {
                    write_all(s->fd, pend, plen);
                    return XL_OK;
                }
            }
        }
        if (plen) {
            ssize_t w = write(s->fd, pend, plen);
            if (w > 0) {
                memmove(pend, pend + w, plen - (size_t)w);
                plen -= (size_t)w;
            } else if (w < 0 && errno != EAGAIN && errno != EINTR) {
                return XL_OK;
            }
        }
        if (now_ms() >= next_check) {
            if (!still_ours(s))
                return XL_OK;                    /* console or domain gone */
            next_check = now_ms() + CHECK_MS;
        }
    }
}

static int attach(struct xl *x, domid_t id, unsigned num)
{
    struct session s = { .x = x, .id = id, .fd = -1, .in = STDIN_FILENO };
    struct sigaction sa = { .sa_handler = on_signal }, old[4];
    static const int sigs[4] = { SIGINT, SIGTERM, SIGHUP, SIGQUIT };
    sigset_t block, waitmask;
    int rc;

    fflush(x->out);
    s.out = fileno(x->out);
    snprintf(s.what, sizeof(s.what), "console of domain %u", id);
    if (num == 0)
        snprintf(s.key, sizeof(s.key), "/local/domain/%u/console/tty", id);
    else
        snprintf(s.key, sizeof(s.key),
                 "/local/domain/%u/device/console/%u/tty", id, num);
    if (!(s.xs = xs_open(0)))
        return fail(&s, "cannot reach xenstored", errno);
    if (!find_tty(&s)) {
        xs_close(s.xs);
        return XL_FAIL;
    }
    s.fd = open(s.tty, O_RDWR | O_NOCTTY | O_NONBLOCK | O_CLOEXEC);
    if (s.fd < 0) {
        char msg[96];
        snprintf(msg, sizeof(msg), "cannot open %s", s.tty);
        rc = fail(&s, msg, errno);
        goto out;
    }
    sigemptyset(&block);
    for (int i = 0; i < 4; i++)
        sigaddset(&block, sigs[i]);
    sigprocmask(SIG_BLOCK, &block, &waitmask);
    for (int i = 0; i < 4; i++)
        sigdelset(&waitmask, sigs[i]);
    got_signal = 0;
    for (int i = 0; i < 4; i++)
        sigaction(sigs[i], &sa, &old[i]);
    raw_on(&s);
    rc = relay(&s, &waitmask);
    raw_off(&s);
    for (int i = 0; i < 4; i++)
        sigaction(sigs[i], &old[i], NULL);
    sigprocmask(SIG_UNBLOCK, &block, NULL);
    close(s.fd);
out:
    free(s.tty);
    xs_close(s.xs);
    return rc;
}

int xl_console_attach(struct xl *x, domid_t id)
{
    return attach(x, id, 0);
}

int cmd_console(struct xl *x, int argc, char **argv)
{
    unsigned long num = 0;
    domid_t id;
    char *end;
    int c;

    while ((c = xl_getopt(x, argc, argv, "t:n:")) != -1) {
        switch (c) {
        case 't':
            if (strcmp(optarg, "pv")) {
                fprintf(x->err, "xl: console: type '%s': only pv consoles "
                        "exist on Mica\n", optarg);
                return XL_FAIL;
            }
            break;
        case 'n':
            num = strtoul(optarg, &end, 10);
            if (*optarg < '0' || *optarg > '9' || *end || num > 9) {
                fprintf(x->err, "xl: console: '%s' is not a console number "
                        "(0 to 9)\n", optarg);
                return XL_FAIL;
            }
            break;
        default:
            return XL_FAIL;
        }
    }
    if (argc - optind != 1)
        return xl_usage(x, argv[0]);
    if (xl_find_domain(x, argv[optind], &id))
        return XL_FAIL;
    return attach(x, id, (unsigned)num);
}
