/* SPDX-License-Identifier: MIT */
/*
 * xl info and xl dmesg: the host as the hypervisor describes it, and the
 * hypervisor's own log.  `info` prints Xen's keys, one "key : value" a
 * line; keys Mica has nothing for are left out rather than made up.
 */
#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>

#include "xl.h"

static void kv(struct xl *x, const char *key, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void kv(struct xl *x, const char *key, const char *fmt, ...)
{
    va_list ap;

    fprintf(x->out, "%-23s: ", key);
    va_start(ap, fmt);
    vfprintf(x->out, fmt, ap);
    va_end(ap);
    fputc('\n', x->out);
}

int cmd_info(struct xl *x, int argc, char **argv)
{
    struct mica_ctl_physinfo pi;
    unsigned int major, minor;
    char extra[16], caps[1024], line[1024];
    struct utsname u;

    if (argc != 1)
        return xl_usage(x, argv[0]);
    if (mica_physinfo(x->m, &pi))
        return xl_error(x, "physinfo", errno);
    if (mica_version(x->m, &major, &minor, extra) || mica_capabilities(x->m, caps))
        return xl_error(x, "xen_version", errno);
    if (uname(&u) == 0) {
        kv(x, "host", "%s", u.nodename);
        kv(x, "release", "%s", u.release);
        kv(x, "version", "%s", u.version);
        kv(x, "machine", "%s", u.machine);
    }
    kv(x, "nr_cpus", "%u", pi.nr_cpus);
    kv(x, "max_cpu_id", "%u", pi.max_cpu_id);
    kv(x, "nr_nodes", "%u", 1);
    kv(x, "cores_per_socket", "%u", pi.nr_cpus);
    kv(x, "threads_per_core", "%u", 1);
    kv(x, "cpu_mhz", "%u.%03u", pi.cpu_khz / 1000, pi.cpu_khz % 1000);
    kv(x, "virt_caps", "%s", pi.capabilities & MICA_PHYSCAP_pv ? "pv" : "");
    kv(x, "total_memory", "%lu", (unsigned long)(pi.total_pages / 256));
    kv(x, "free_memory", "%lu", (unsigned long)(pi.free_pages / 256));
    kv(x, "xen_major", "%u", major);
    kv(x, "xen_minor", "%u", minor);
    kv(x, "xen_extra", "%s", extra);
    kv(x, "xen_version", "%u.%u%s", major, minor, extra);
    /* The capabilities string ends with a space: trim it. */
    size_t n = strnlen(caps, sizeof(caps));
    while (n && caps[n - 1] == ' ')
        caps[--n] = 0;
    kv(x, "xen_caps", "%s", caps);
    kv(x, "xen_scheduler", "%s", "mica (proportional share)");
    if (mica_commandline(x->m, line) == 0)
        kv(x, "xen_commandline", "%s", line);
    kv(x, "xen_pagesize", "%u", 4096);
    kv(x, "nr_domains", "%u", pi.nr_domains);
    return XL_OK;
}

#define DMESG_CHUNK 16384

int cmd_dmesg(struct xl *x, int argc, char **argv)
{
    bool clear = false;
    uint64_t index = 0;
    char *buf;
    int c;

    while ((c = xl_getopt(x, argc, argv, "c")) != -1) {
        if (c != 'c')
            return XL_FAIL;
        clear = true;
    }
    if (optind != argc)
        return xl_usage(x, argv[0]);
    if (!(buf = malloc(DMESG_CHUNK)))
        return xl_error(x, "dmesg", ENOMEM);
    /* Read the ring in chunks until a read returns nothing; the last read
     * clears it when asked (what was read before is gone with it). */
    for (;;) {
        size_t len = DMESG_CHUNK;
        if (mica_readconsole(x->m, buf, &len, &index, 0)) {
            free(buf);
            return xl_error(x, "readconsole", errno);
        }
        if (len == 0)
            break;
        fwrite(buf, 1, len, x->out);
    }
    if (clear) {
        size_t len = 0;
        if (mica_readconsole(x->m, buf, &len, &index, 1)) {
            free(buf);
            return xl_error(x, "clearing the console ring", errno);
        }
    }
    free(buf);
    return XL_OK;
}
