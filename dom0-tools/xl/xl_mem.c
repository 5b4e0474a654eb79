/* SPDX-License-Identifier: MIT */
/*
 * xl mem-set and mem-max: a running guest's memory, moved by its own
 * balloon driver (Linux's xen-balloon reads memory/target, in KiB, and
 * gives frames back or takes new ones).
 *
 * mem-set does what Xen's does -- target at most memory/static-max, the
 * hypervisor's limit set to the target (so the guest cannot take more),
 * memory/target and /vm/<uuid>/memory written in one transaction -- and
 * then, unless --no-wait, watches the domain's frames until it reaches the
 * target or the deadline passes, printing where it is, and says how it
 * ended with an exit status of its own:
 *
 *   0  reached the target
 *   1  refused (bad size, above static-max, below the floor, no domain)
 *   2  the deadline passed while the guest was still moving
 *   3  the guest stopped short: it moved nothing for STALL_S seconds
 *      (no balloon driver, or it will not give more)
 *   4  the guest stopped short of a larger target and the host has no
 *      free memory for it
 *   5  another mem-set changed the target meanwhile (the last one wins)
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <xenstore.h>

#include "xl.h"
#include "xl_cfg.h"
#include "xl_xs.h"

#define FLOOR_KIB   (64u << 10)     /* below this a Debian guest does not keep running */
#define DOM0_FLOOR_KIB (128u << 10) /* autoballoon leaves dom0 at least this: it runs
                                     * xenstored, the back ends and xl */
#define ROOM_SLACK_KIB (2u << 10)   /* autoballoon frees this much more than it must */
#define XL_CONF     "/etc/xen/xl.conf"
#define DOM0_BALLOON_CURRENT "/sys/devices/system/xen_memory/xen_memory0/info/current_kb"
#define OWN_SLACK   256             /* pages: the hypervisor's own frames (shared_info,
                                     * grant table) count in tot_pages on top */
#define DEFAULT_DEADLINE_S 60
#define STALL_S     5
#define POLL_MS     50
#define PRINT_EVERY 5              /* polls: progress four times a second */
#define MAX(a, b)   ((a) > (b) ? (a) : (b))

enum mem_status { MEM_OK, MEM_REFUSED, MEM_DEADLINE, MEM_STALLED, MEM_NO_FREE, MEM_SUPERSEDED };

/* Xen's size syntax: a number with an optional unit b, k, m (default), g, t. */
static int parse_kib(const char *s, uint64_t *kib)
{
    char *end;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 10);

    if (errno || end == s || *s == '-' || strlen(end) > 1)
        return -1;
    switch (tolower((unsigned char)*end)) {
    case 't': if (v >> 44) return -1; v <<= 30; break;
    case 'g': if (v >> 44) return -1; v <<= 20; break;
    case '\0':
    case 'm': if (v >> 44) return -1; v <<= 10; break;
    case 'k': break;
    case 'b': v >>= 10; break;
    default: return -1;
    }
    *kib = v;
    return 0;
}

struct target_ctx {
    domid_t id;
    uint64_t kib;
};

static int target_body(struct xs_handle *h, xs_transaction_t t, void *ctx)
{
    const struct target_ctx *c = ctx;
    char path[128], val[32];
    unsigned int len;

    snprintf(path, sizeof(path), "/local/domain/%u/vm", c->id);
    char *vm = xs_read(h, t, path, &len);
    snprintf(path, sizeof(path), "/local/domain/%u/memory/target", c->id);
    snprintf(val, sizeof(val), "%" PRIu64, c->kib);
    bool ok = xs_write(h, t, path, val, strlen(val));
    if (ok && vm && !strncmp(vm, "/vm/", 4) && len < 96) {
        snprintf(path, sizeof(path), "%s/memory", vm);
        snprintf(val, sizeof(val), "%" PRIu64, c->kib >> 10);
        ok = xs_write(h, t, path, val, strlen(val));
    }
    int err = errno;
    free(vm);
    errno = err;
    return ok ? 0 : -1;
}

/* Target and /vm/<uuid>/memory in one transaction, after the checks. */
static int write_target(struct xl *x, struct xs_handle *h, domid_t id, uint64_t kib)
{
    struct target_ctx c = { .id = id, .kib = kib };

    return xl_xs_transact(h, target_body, &c) ? xl_error(x, "write memory/target", errno)
                                               : XL_OK;
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static bool reached(uint64_t pages, uint64_t target, bool shrink)
{
    return shrink ? pages <= target + OWN_SLACK : pages >= target;
}

/* Watch tot_pages until the target, the deadline, a stall or another
 * writer; say where it ended. */
static int wait_target(struct xl *x, struct xs_handle *h, domid_t id, uint64_t target_kib,
                       double deadline_s)
{
    bool shrink = false;
    uint64_t target = target_kib / 4, first = 0, last = 0;
    double start = now_s(), moved_at = start;
    bool tty = isatty(fileno(x->err));
    struct mica_ctl_domaininfo info;
    char path[96];

    snprintf(path, sizeof(path), "/local/domain/%u/memory/target", id);
    for (unsigned int n = 0;; n++) {
        if (mica_domain_info(x->m, id, &info)) {
            fprintf(x->err, "\n");
            return xl_error(x, "mem-set: domain", errno), MEM_REFUSED;
        }
        double t = now_s();
        if (n == 0) {
            first = last = info.tot_pages;
            shrink = first > target;
        }
        if (info.tot_pages != last)
            moved_at = t, last = info.tot_pages;
        double rate = t > start ? ((double)info.tot_pages - (double)first) * 4 / 1024 /
                                  (t - start) : 0;
        if (tty && n % PRINT_EVERY == 0)
            fprintf(x->err, "\rdomain %u: %" PRIu64 " MiB, target %" PRIu64 " MiB, "
                    "%+.1f MiB/s   ", id, info.tot_pages / 256, target_kib >> 10, rate);
        if (reached(info.tot_pages, target, shrink)) {
            fprintf(x->err, "%sdomain %u: at %" PRIu64 " MiB, its target, after %.1f s\n",
                    tty ? "\n" : "", id, info.tot_pages / 256, t - start);
            return MEM_OK;
        }
        uint64_t now_target;
        if (xl_xs_read_u64(h, XBT_NULL, path, &now_target) == 0 && now_target != target_kib) {
            fprintf(x->err, "%sdomain %u: at %" PRIu64 " MiB; its target was changed to %"
                    PRIu64 " MiB by another request\n", tty ? "\n" : "", id,
                    info.tot_pages / 256, now_target >> 10);
            return MEM_SUPERSEDED;
        }
        if (info.flags & (MICA_DOMINF_shutdown | MICA_DOMINF_dying)) {
            fprintf(x->err, "%sdomain %u: shut down at %" PRIu64 " MiB\n", tty ? "\n" : "",
                    id, info.tot_pages / 256);
            return MEM_STALLED;
        }
        if (t - moved_at >= STALL_S) {
            struct mica_ctl_physinfo pi;
            if (!shrink && mica_physinfo(x->m, &pi) == 0 && pi.free_pages < target - last) {
                fprintf(x->err, "%sdomain %u: stopped at %" PRIu64 " MiB of %" PRIu64
                        " MiB: the host has only %" PRIu64 " MiB free\n", tty ? "\n" : "", id,
                        last / 256, target_kib >> 10, (uint64_t)pi.free_pages / 256);
                return MEM_NO_FREE;
            }
            fprintf(x->err, "%sdomain %u: stopped at %" PRIu64 " MiB of %" PRIu64 " MiB: "
                    "nothing moved for %d s (no balloon driver, or the guest %s)\n",
                    tty ? "\n" : "", id, last / 256, target_kib >> 10, STALL_S,
                    shrink ? "will not give more" : "will not take more");
            return MEM_STALLED;
        }
        if (t - start >= deadline_s && moved_at == start) {
            fprintf(x->err, "%sdomain %u: stopped at %" PRIu64 " MiB of %" PRIu64 " MiB: "
                    "nothing moved in the %.0f s deadline (no balloon driver, or the guest "
                    "is not running)\n", tty ? "\n" : "", id, last / 256, target_kib >> 10,
                    deadline_s);
            return MEM_STALLED;
        }
        if (t - start >= deadline_s) {
            fprintf(x->err, "%sdomain %u: at %" PRIu64 " MiB of %" PRIu64 " MiB when the "
                    "deadline of %.0f s passed (still moving, %+.1f MiB/s)\n", tty ? "\n" : "",
                    id, info.tot_pages / 256, target_kib >> 10, deadline_s, rate);
            return MEM_DEADLINE;
        }
        usleep(POLL_MS * 1000);
    }
}

int cmd_mem_set(struct xl *x, int argc, char **argv)
{
    static const struct option longopts[] = { { "no-wait", no_argument, NULL, 'n' },
                                              { NULL, 0, NULL, 0 } };
    double deadline = DEFAULT_DEADLINE_S;
    bool wait = true;
    int c;

    optind = 1;
    opterr = 0;
    while ((c = getopt_long(argc, argv, "t:", longopts, NULL)) != -1) {
        char *end;
        switch (c) {
        case 't':
            deadline = strtod(optarg, &end);
            if (*end || end == optarg || !(deadline > 0) || deadline > 86400) {
                fprintf(x->err, "xl: mem-set: -t '%s' is not a number of seconds (up to a day)\n",
                        optarg);
                return MEM_REFUSED;
            }
            break;
        case 'n': wait = false; break;
        default:
            fprintf(x->err, "xl mem-set: unknown option '%s'\n", argv[optind - 1]);
            return xl_usage(x, argv[0]);
        }
    }
    if (argc - optind != 2)
        return xl_usage(x, argv[0]);

    domid_t id;
    uint64_t kib, static_max, old;
    if (xl_find_domain(x, argv[optind], &id))
        return MEM_REFUSED;
    if (parse_kib(argv[optind + 1], &kib)) {
        fprintf(x->err, "xl: mem-set: invalid memory size: %s\n", argv[optind + 1]);
        return MEM_REFUSED;
    }
    struct xs_handle *h = xs_open(XS_OPEN_SOCKETONLY);
    if (!h)
        return xl_error(x, "mem-set: cannot reach xenstored", errno);
    char path[96];
    int rc = MEM_REFUSED;
    if (id == 0 && xl_dom0_memory_nodes(x, h))
        goto out;
    snprintf(path, sizeof(path), "/local/domain/%u/memory/static-max", id);
    if (xl_xs_read_u64(h, XBT_NULL, path, &static_max)) {
        fprintf(x->err, "xl: mem-set: domain %u has no memory/static-max: %s\n", id,
                mica_strerror(errno));
        goto out;
    }
    snprintf(path, sizeof(path), "/local/domain/%u/memory/target", id);
    if (xl_xs_read_u64(h, XBT_NULL, path, &old))
        old = static_max;
    if (kib > static_max) {
        fprintf(x->err, "xl: mem-set: %" PRIu64 " MiB is above the domain's maximum, %"
                PRIu64 " MiB (xl mem-max raises it, up to its maxmem at boot)\n", kib >> 10,
                static_max >> 10);
        goto out;
    }
    if (kib < FLOOR_KIB) {
        fprintf(x->err, "xl: mem-set: %" PRIu64 " MiB is below xl's floor of %u MiB (a Debian "
                "guest needs about that to keep running)\n", kib >> 10, FLOOR_KIB >> 10);
        goto out;
    }
    /* Enforced as Xen does: the guest may not take more than its target. */
    if (mica_domain_max_mem(x->m, id, kib / 4)) {
        char what[64];
        snprintf(what, sizeof(what), "mem-set: limit of domain %u", id);
        xl_error(x, what, errno);
        goto out;
    }
    if (write_target(x, h, id, kib)) {
        (void)mica_domain_max_mem(x->m, id, MAX(old, kib) / 4);
        goto out;
    }
    rc = wait ? wait_target(x, h, id, kib, deadline) : MEM_OK;
out:
    xs_close(h);
    return rc;
}

int cmd_mem_max(struct xl *x, int argc, char **argv)
{
    domid_t id;
    uint64_t kib, target;

    if (argc != 3)
        return xl_usage(x, argv[0]);
    if (xl_find_domain(x, argv[1], &id))
        return XL_FAIL;
    if (parse_kib(argv[2], &kib)) {
        fprintf(x->err, "xl: mem-max: invalid memory size: %s\n", argv[2]);
        return XL_FAIL;
    }
    struct xs_handle *h = xs_open(XS_OPEN_SOCKETONLY);
    if (!h)
        return xl_error(x, "mem-max: cannot reach xenstored", errno);
    char path[96], val[32];
    int rc = XL_FAIL;
    snprintf(path, sizeof(path), "/local/domain/%u/memory/target", id);
    if (id == 0 && xl_dom0_memory_nodes(x, h)) {
        /* said why */
    } else if (xl_xs_read_u64(h, XBT_NULL, path, &target)) {
        fprintf(x->err, "xl: mem-max: domain %u has no memory/target: %s\n", id,
                mica_strerror(errno));
    } else if (kib < target) {
        fprintf(x->err, "xl: mem-max: %" PRIu64 " MiB is below the domain's target, %" PRIu64
                " MiB (xl mem-set lowers it first)\n", kib >> 10, target >> 10);
    } else {
        snprintf(path, sizeof(path), "/local/domain/%u/memory/static-max", id);
        snprintf(val, sizeof(val), "%" PRIu64, kib);
        if (!xs_write(h, XBT_NULL, path, val, strlen(val)))
            xl_error(x, "mem-max: write memory/static-max", errno);
        else
            rc = XL_OK;
    }
    xs_close(h);
    return rc;
}

/* ---- dom0's memory, and room for a new domain (autoballoon) ---------------- */

/* dom0's memory/target and memory/static-max, written the first time xl
 * needs them, as libxl does: the target is what dom0's balloon driver holds
 * now (so nothing moves), static-max the hypervisor's limit less the
 * hypervisor's own frames (the same difference). */
int xl_dom0_memory_nodes(struct xl *x, struct xs_handle *h)
{
    struct mica_ctl_domaininfo info;
    uint64_t target, current;
    char val[32];

    if (xl_xs_read_u64(h, XBT_NULL, "/local/domain/0/memory/target", &target) == 0)
        return XL_OK;
    if (mica_domain_info(x->m, 0, &info))
        return xl_error(x, "Domain-0", errno);
    current = info.tot_pages * 4;
    FILE *f = fopen(DOM0_BALLOON_CURRENT, "r");
    unsigned long long kb;
    if (f && fscanf(f, "%llu", &kb) == 1 && kb && kb <= current)
        current = kb;
    if (f)
        fclose(f);
    uint64_t own = info.tot_pages * 4 - current;
    snprintf(val, sizeof(val), "%" PRIu64, info.max_pages * 4 > own ? info.max_pages * 4 - own
                                                                    : current);
    if (!xs_write(h, XBT_NULL, "/local/domain/0/memory/static-max", val, strlen(val)))
        return xl_error(x, "write Domain-0's memory/static-max", errno);
    snprintf(val, sizeof(val), "%" PRIu64, current);
    if (!xs_write(h, XBT_NULL, "/local/domain/0/memory/target", val, strlen(val)))
        return xl_error(x, "write Domain-0's memory/target", errno);
    return XL_OK;
}

/* xl.conf's autoballoon: "on", "off", or "auto" (the default: off when the
 * hypervisor's command line sets dom0_mem=, as Xen's xl decides); 1 and 0
 * as Xen's older spelling.  *why says what decided. */
static bool autoballoon(struct xl *x, const char **why)
{
    struct xl_cfg cfg;
    const char *v = "auto";
    bool on = true;

    xl_cfg_init(&cfg);
    if (access(XL_CONF, F_OK) == 0 && xl_cfg_parse_file(&cfg, XL_CONF, x->err))
        fprintf(x->err, "xl: %s: not read, its defaults apply\n", XL_CONF);
    const struct xl_cfg_setting *s = xl_cfg_find(&cfg, "autoballoon");
    if (s && s->value.kind != XL_CFG_LIST)
        v = s->value.text;
    if (!strcmp(v, "on") || !strcmp(v, "1")) {
        *why = "autoballoon=\"on\" in " XL_CONF;
    } else if (!strcmp(v, "off") || !strcmp(v, "0")) {
        *why = "autoballoon=\"off\" in " XL_CONF, on = false;
    } else {
        if (strcmp(v, "auto"))
            fprintf(x->err, "xl: %s: invalid autoballoon option '%s', \"auto\" used\n", XL_CONF,
                    v);
        char line[1024];
        if (mica_commandline(x->m, line) == 0 &&
            (!strncmp(line, "dom0_mem=", 9) || strstr(line, " dom0_mem="))) {
            *why = "dom0_mem= is on the hypervisor's command line and autoballoon is \"auto\"";
            on = false;
        } else {
            *why = "autoballoon is \"auto\" and dom0_mem= is not set";
        }
    }
    xl_cfg_free(&cfg);
    return on;
}

/* Before domain `name` takes need_kib: enough free memory, or (with
 * autoballoon) dom0 gives what is missing, or a line saying why not. */
int xl_make_room(struct xl *x, struct xs_handle *h, const char *name, uint64_t need_kib)
{
    struct mica_ctl_physinfo pi;
    const char *why;
    uint64_t target;

    if (mica_physinfo(x->m, &pi))
        return xl_error(x, "physinfo", errno);
    uint64_t free_kib = pi.free_pages * 4;
    if (free_kib >= need_kib)
        return XL_OK;
    if (!autoballoon(x, &why)) {
        fprintf(x->err, "xl: create %s: needs %" PRIu64 " MiB, the host has %" PRIu64 " MiB "
                "free, and autoballoon is off (%s); `xl mem-set 0 <size>` frees memory\n", name,
                need_kib >> 10, free_kib >> 10, why);
        return XL_FAIL;
    }
    if (xl_dom0_memory_nodes(x, h))
        return XL_FAIL;
    if (xl_xs_read_u64(h, XBT_NULL, "/local/domain/0/memory/target", &target))
        return xl_error(x, "read Domain-0's memory/target", errno);
    uint64_t give = need_kib - free_kib + ROOM_SLACK_KIB;
    if (target < give || target - give < DOM0_FLOOR_KIB) {
        fprintf(x->err, "xl: create %s: needs %" PRIu64 " MiB, the host has %" PRIu64 " MiB "
                "free, and Domain-0 (at %" PRIu64 " MiB) cannot give %" PRIu64 " MiB without "
                "going below autoballoon's floor of %u MiB\n", name, need_kib >> 10,
                free_kib >> 10, target >> 10, (give + 1023) >> 10, DOM0_FLOOR_KIB >> 10);
        return XL_FAIL;
    }
    fprintf(x->err, "xl: autoballoon: Domain-0 gives %" PRIu64 " MiB for %s (%" PRIu64
            " MiB free, %" PRIu64 " MiB needed; %s)\n", (give + 1023) >> 10, name,
            free_kib >> 10, need_kib >> 10, why);
    /* As Xen's: dom0's target only; its limit stays where it was. */
    if (write_target(x, h, 0, target - give))
        return XL_FAIL;
    int rc = wait_target(x, h, 0, target - give, DEFAULT_DEADLINE_S);
    if (mica_physinfo(x->m, &pi))
        return xl_error(x, "physinfo", errno);
    if (pi.free_pages * 4 >= need_kib)
        return XL_OK;
    fprintf(x->err, "xl: create %s: Domain-0 did not free enough (%s): %" PRIu64 " MiB free, "
            "%" PRIu64 " MiB needed\n", name, rc == MEM_SUPERSEDED ? "its target was changed"
            : "it stopped short", (uint64_t)pi.free_pages / 256, need_kib >> 10);
    return XL_FAIL;
}
