/* SPDX-License-Identifier: MIT */
/*
 * The per-domain monitor: the process xl leaves behind for each domain it
 * creates, as Xen's xl does, to carry out the domain's on_poweroff,
 * on_reboot and on_crash actions.  It watches @releaseDomain (xenstored
 * fires it when a domain shuts down, crashes or dies: Mica's VIRQ_DOM_EXC)
 * and reads the domain's state from the hypervisor on every event:
 *
 *   gone or dying   its xenstore tree goes, the monitor ends
 *   shut down       the action for the reason: destroy; restart (destroy,
 *                   then create it again from the same config, under the
 *                   name it has now, and monitor the new domain);
 *                   rename-restart (keep it, shut down, as
 *                   NAME-YYYYMMDDTHHMMZ with a new UUID, and start a new
 *                   one as restart does); preserve (leave it and end);
 *                   coredump-destroy/-restart as destroy/restart (no core
 *                   file yet); soft-reset as destroy
 *
 * It holds no resource of the domain: killing it loses only the actions.
 * If xenstored restarts, the monitor reconnects.  Its log is
 * /var/log/xen/xl-NAME.log.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <abi/sched.h>

#include "xl.h"
#include "xl_create.h"
#include "xl_rename.h"
#include "xl_xs.h"

#define LOG_DIR "/var/log/xen"

static void say(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void say(const char *fmt, ...)
{
    va_list ap;
    time_t t = time(NULL);
    char stamp[32];

    strftime(stamp, sizeof(stamp), "%Y-%m-%d %H:%M:%S", localtime(&t));
    fprintf(stderr, "%s xl monitor: ", stamp);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
}

static const char *reason_name(uint32_t r)
{
    static const char *const names[] = { "poweroff", "reboot", "suspend", "crash",
                                         "watchdog", "soft_reset" };
    return r < sizeof(names) / sizeof(names[0]) ? names[r] : "unknown";
}

static enum xl_action action_for(const struct xl_domain_config *dc, uint32_t reason)
{
    switch (reason) {
    case SHUTDOWN_poweroff: return dc->on_poweroff;
    case SHUTDOWN_reboot: return dc->on_reboot;
    default: return dc->on_crash;       /* crash, watchdog, anything else */
    }
}

static struct xs_handle *connect_store(domid_t id)
{
    for (;;) {
        struct xs_handle *h = xs_open(XS_OPEN_SOCKETONLY);
        const char *what = "connect";
        int err = errno;

        if (h) {
            if (xs_watch(h, "@releaseDomain", "mica-monitor"))
                return h;
            /* libxenstore's watch starts its reader thread; when that
             * fails, errno may be stale: said as found. */
            err = errno;
            what = "watch @releaseDomain";
            xs_close(h);
        }
        say("domain %u: xenstored: %s: %s; trying again", id, what, mica_strerror(err));
        sleep(1);
    }
}

/* The watch connection only waits for events: Debian's static libxenstore
 * has no reader thread, so an event arriving while a request on the same
 * connection waits for its reply breaks it.  Changes go on a connection of
 * their own. */
static void forget(domid_t id)
{
    struct xs_handle *w = xs_open(XS_OPEN_SOCKETONLY);

    if (!w) {
        say("domain %u: xenstore tree left: %s", id, mica_strerror(errno));
        return;
    }
    xl_xs_forget_domain(w, id);
    xs_close(w);
}

/* Wait for the domain to need something; false when it is gone. */
static bool wait_for_shutdown(struct xl *x, struct xs_handle **h, domid_t id,
                              struct mica_ctl_domaininfo *info)
{
    for (;;) {
        int rc = mica_domain_info(x->m, id, info);
        if (rc && errno != ESRCH) {
            say("domain %u: getdomaininfo: %s", id, mica_strerror(errno));
            sleep(1);
            continue;
        }
        if (rc || info->domain != id || (info->flags & MICA_DOMINF_dying))
            return false;
        if (info->flags & MICA_DOMINF_shutdown)
            return true;

        unsigned int n;
        char **ev = xs_read_watch(*h, &n);
        if (!ev) {                          /* xenstored went away */
            xs_close(*h);
            *h = connect_store(id);
            continue;
        }
        free(ev);
    }
}

/* Xen's xl writes a core file for coredump-X and then does X; Mica's xl
 * writes none yet, so it does X and says so.  soft-reset (Xen's aid for
 * an HVM guest's kexec) has no PV meaning here: destroy. */
static enum xl_action effective(domid_t id, enum xl_action a)
{
    switch (a) {
    case XL_ACTION_COREDUMP_DESTROY:
    case XL_ACTION_COREDUMP_RESTART:
        say("domain %u: no core dump written (not supported by this xl)", id);
        return a == XL_ACTION_COREDUMP_DESTROY ? XL_ACTION_DESTROY : XL_ACTION_RESTART;
    case XL_ACTION_SOFT_RESET:
        say("domain %u: soft-reset is not supported for a PV domain: destroying it", id);
        return XL_ACTION_DESTROY;
    default:
        return a;
    }
}

static void monitor(struct xl *x, const struct xl_domain_config *dc, domid_t id)
{
    struct xs_handle *h = connect_store(id);
    struct mica_ctl_domaininfo info;
    struct xl_domain_config cur = *dc;      /* its name follows xl rename */
    char name[MICA_NAME_LEN + 1];

    say("domain %u '%s': watching", id, dc->name);
    for (;;) {
        if (!wait_for_shutdown(x, &h, id, &info)) {
            say("domain %u: gone", id);
            forget(id);
            break;
        }
        enum xl_action a = action_for(dc, info.shutdown_reason);
        say("domain %u: shut down (%s): %s", id, reason_name(info.shutdown_reason),
            xl_action_name(a));
        if ((a = effective(id, a)) == XL_ACTION_PRESERVE)
            break;
        /* A restart takes the name the domain has now. */
        snprintf(name, sizeof(name), "%.*s", MICA_NAME_LEN, info.name);
        cur.name = name;
        if (a == XL_ACTION_RENAME_RESTART) {
            /* The old one stays, renamed, for whoever wants to look at it. */
            if (xl_preserve_domain(x, NULL, id, name)) {
                say("domain %u: could not be renamed: left as it is, no restart", id);
                break;
            }
            if (mica_domain_info(x->m, id, &info) == 0)
                say("domain %u: kept as '%.*s'", id, MICA_NAME_LEN, info.name);
        } else {
            if (mica_domain_destroy(x->m, id))
                say("domain %u: destroy: %s", id, mica_strerror(errno));
            forget(id);
            if (a != XL_ACTION_RESTART)
                break;
        }
        domid_t next;
        if (xl_create_domain(x, &cur, false, &next)) {
            say("domain '%s': restart failed", name);
            break;
        }
        say("domain '%s': restarted as domain %u", name, next);
        id = next;
    }
    xs_close(h);
}

int xl_monitor_start(struct xl *x, const struct xl_domain_config *dc, domid_t id)
{
    char log[128];
    pid_t pid;

    fflush(x->out);
    fflush(x->err);
    if ((pid = fork()) < 0)
        return xl_error(x, "start the domain's monitor", errno);
    if (pid > 0)
        return XL_OK;

    /* The monitor: its own session, no terminal, its own log, its own
     * hypervisor handle (the parent's buffers are not to be shared). */
    setsid();
    signal(SIGHUP, SIG_IGN);
    mkdir(LOG_DIR, 0755);
    snprintf(log, sizeof(log), LOG_DIR "/xl-%s.log", dc->name);
    int fd = open(log, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    int null = open("/dev/null", O_RDWR);
    if (null >= 0) {
        dup2(null, 0);
        dup2(fd >= 0 ? fd : null, 1);
        dup2(fd >= 0 ? fd : null, 2);
    }
    struct mica *m = mica_open();
    if (!m) {
        say("domain %u: cannot open the hypervisor: %s", id, mica_strerror(errno));
        _exit(1);
    }
    struct xl mx = { .m = m, .out = stdout, .err = stderr };
    monitor(&mx, dc, id);
    mica_close(m);
    _exit(0);
}
