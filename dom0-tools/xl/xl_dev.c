/* SPDX-License-Identifier: MIT */
/* Device trees, back-end daemons and detach (see xl_dev.h). */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "xl_dev.h"
#include "xl_xs.h"

#define DETACH_WAIT_MS 10000    /* libxl: the back end has 10 s to close */

void xl_put(struct xl_put *c, const char *dir, const char *key, const char *fmt, ...)
{
    char path[160], val[256];
    va_list ap;

    if (c->failed)
        return;
    snprintf(path, sizeof(path), "%s%s%s", dir, *key ? "/" : "", key);
    va_start(ap, fmt);
    vsnprintf(val, sizeof(val), fmt, ap);
    va_end(ap);
    if (!xs_write(c->h, c->t, path, val, (unsigned)strlen(val)) ||
        !xs_set_permissions(c->h, c->t, path, c->perms, 2)) {
        c->failed = true;
        snprintf(c->failed_path, sizeof(c->failed_path), "%s", path);
    }
}

void xl_put_owner(struct xl_put *c, unsigned owner, unsigned reader)
{
    c->perms[0] = (struct xs_permissions){ .id = owner, .perms = XS_PERM_NONE };
    c->perms[1] = (struct xs_permissions){ .id = reader,
                                           .perms = reader == owner ? XS_PERM_NONE
                                                                    : XS_PERM_READ };
}

struct commit_ctx {
    struct xl_put put;
    void (*write)(struct xl_put *c, const void *arg);
    const void *arg;
};

static int commit_body(struct xs_handle *h, xs_transaction_t t, void *ctx)
{
    struct commit_ctx *c = ctx;

    c->put = (struct xl_put){ .h = h, .t = t };
    c->write(&c->put, c->arg);
    return c->put.failed ? -1 : 0;
}

int xl_dev_commit(struct xs_handle *h, void (*write)(struct xl_put *c, const void *arg),
                  const void *arg, char *why, size_t why_len)
{
    struct commit_ctx c = { .write = write, .arg = arg };

    return xl_xs_transact_why(h, commit_body, &c, c.put.failed_path, why, why_len);
}

int xl_dev_start_backend(const char *prog, const char *env, const char *pidfile,
                         const char *log, char *why, size_t why_len)
{
    const char *bin = getenv(env);
    int fd = open(pidfile, O_RDONLY | O_CLOEXEC);
    pid_t pid;
    int st;

    if (fd >= 0) {
        int held = flock(fd, LOCK_SH | LOCK_NB) && errno == EWOULDBLOCK;
        char buf[32];
        ssize_t got = held ? pread(fd, buf, sizeof(buf) - 1, 0) : -1;
        long pid = got > 0 ? (buf[got] = '\0', strtol(buf, NULL, 10)) : 0;

        close(fd);
        /* Held by a live back end: it finds the new devices itself.  Held
         * by a dead blkback's I/O ring (blkback's main.c): start one,
         * which waits for the ring to finish. */
        if (held && !(pid > 0 && kill((pid_t)pid, 0) && errno == ESRCH))
            return 0;
    }
    if (!bin || !*bin)
        bin = prog;
    /* The daemon forks again and this child returns at once; two xl's
     * racing here start two, and the pid file's lock keeps one. */
    if ((pid = fork()) < 0) {
        snprintf(why, why_len, "start %s: fork: %s", prog, mica_strerror(errno));
        return -1;
    }
    if (pid == 0) {
        execlp(bin, bin, "--daemon", "--log", log, (char *)NULL);
        _exit(127);
    }
    if (waitpid(pid, &st, 0) < 0 || !WIFEXITED(st) || WEXITSTATUS(st)) {
        snprintf(why, why_len, "start %s (%s): it failed to start (see %s)", prog, bin, log);
        return -1;
    }
    return 0;
}

int xl_dev_read_int(struct xs_handle *h, const char *dir, const char *key, int dflt)
{
    char path[160], *v, *end;
    unsigned len;
    long n;

    snprintf(path, sizeof(path), "%s/%s", dir, key);
    if (!(v = xs_read(h, XBT_NULL, path, &len)))
        return dflt;
    n = strtol(v, &end, 10);
    if (*v == '\0' || *end)
        n = dflt;
    free(v);
    return (int)n;
}

static void sleep_ms(unsigned ms)
{
    struct timespec ts = { .tv_sec = ms / 1000, .tv_nsec = (long)(ms % 1000) * 1000000 };
    nanosleep(&ts, NULL);
}

void xl_dev_detach(struct xl *x, struct xs_handle *h, const char *fe, const char *be,
                   const char *lx, const char *what)
{
    char path[160];
    int state = -1;

    /* Ask the back end to close (online=0, state=5); the front end closes
     * too; when the back end says Closed, or after 10 s, both go. */
    snprintf(path, sizeof(path), "%s/online", be);
    xs_write(h, XBT_NULL, path, "0", 1);
    if (xl_dev_read_int(h, be, "state", -1) != 6) {
        snprintf(path, sizeof(path), "%s/state", be);
        xs_write(h, XBT_NULL, path, "5", 1);
    }
    for (unsigned waited = 0; waited < DETACH_WAIT_MS; waited += 100) {
        if ((state = xl_dev_read_int(h, be, "state", -1)) == 6)
            break;
        sleep_ms(100);
    }
    if (state != 6)
        fprintf(x->err, "xl: %s did not close in 10 s: removed anyway\n", what);
    xs_rm(h, XBT_NULL, fe);
    xs_rm(h, XBT_NULL, be);
    xs_rm(h, XBT_NULL, lx);
}

int xl_dev_join_spec(struct xl *x, int argc, char **argv, int from, char *spec, size_t len,
                     const char *cmd)
{
    size_t used = 0;

    spec[0] = '\0';
    for (int i = from; i < argc; i++) {
        int n = snprintf(spec + used, len - used, "%s%s", used ? "," : "", argv[i]);
        if (n < 0 || (size_t)n >= len - used) {
            fprintf(x->err, "xl: %s: spec too long\n", cmd);
            return -1;
        }
        used += (size_t)n;
    }
    return 0;
}

int xl_dev_list(struct xl *x, int argc, char **argv, const char *kind, const char *header,
                void (*row)(struct xl *x, struct xs_handle *h, domid_t id, const char *fe,
                            unsigned long devid))
{
    struct mica_ctl_domaininfo *doms;
    struct xs_handle *h;
    unsigned n;

    optind = 1;
    if (xl_getopt(x, argc, argv, "") != -1)
        return XL_FAIL;
    if (argc - optind < 1)
        return xl_usage(x, argv[0]);
    if (xl_select_domains(x, argc, argv, &doms, &n))
        return XL_FAIL;
    if (!(h = xl_dev_xs(x, argv[0]))) {
        free(doms);
        return XL_FAIL;
    }
    fprintf(x->out, "%s\n", header);
    for (unsigned i = 0; i < n; i++) {
        char dir[64], fe[96];
        unsigned cnt = 0;
        char **ids;

        snprintf(dir, sizeof(dir), "/local/domain/%u/device/%s", doms[i].domain, kind);
        if (!(ids = xs_directory(h, XBT_NULL, dir, &cnt)))
            continue;
        for (unsigned k = 0; k < cnt; k++) {
            char *end;
            unsigned long devid = strtoul(ids[k], &end, 10);

            if (*end || !*ids[k])
                continue;
            snprintf(fe, sizeof(fe), "%s/%s", dir, ids[k]);
            row(x, h, doms[i].domain, fe, devid);
        }
        free(ids);
    }
    xs_close(h);
    free(doms);
    return XL_OK;
}

struct xs_handle *xl_dev_xs(struct xl *x, const char *what)
{
    struct xs_handle *h = xs_open(XS_OPEN_SOCKETONLY);

    if (!h)
        fprintf(x->err, "xl: %s: cannot reach xenstored: %s\n", what, mica_strerror(errno));
    return h;
}
