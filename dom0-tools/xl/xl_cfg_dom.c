/* SPDX-License-Identifier: MIT */
/*
 * The domain an xl.cfg describes: the keys Mica's `xl create` uses, typed
 * and checked, with xl's defaults (xl.cfg(5); memory 32 MiB as libxl).
 * Every other key is looked up in one table: Xen keys that change nothing
 * the guest relies on are ignored with a warning; those whose absence would
 * give the guest something other than what was asked for (a bootloader,
 * passthrough, devices Mica has no back end for, security labels) are
 * refused when they are set to anything but empty or 0; unknown keys are
 * warned about.  Every message is one line: "SOURCE:LINE: KEY: what".
 */
#define _GNU_SOURCE            /* asprintf */
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "xl_cfg.h"

#define MAX_CMDLINE 1024        /* MAX_GUEST_CMDLINE: start_info's cmd_line, NUL included */

struct dom {
    const struct xl_cfg *cfg;
    FILE *err;
    int rc;
};

static const char *clean(const char *s, char buf[56])
{
    size_t i = 0;

    for (; s[i] && i < 48; i++)
        buf[i] = s[i] >= 0x20 && s[i] < 0x7f ? s[i] : '?';
    strcpy(buf + i, s[i] ? "..." : "");
    return buf;
}

/* "SOURCE:LINE: KEY: ..." for a setting; "SOURCE: KEY: ..." for a key that
 * is missing (s NULL). */
static int bad(struct dom *dm, const struct xl_cfg_setting *s, const char *key,
               const char *fmt, ...)
{
    va_list ap;

    if (s)
        fprintf(dm->err, "%s:%d: %s: ", s->source, s->line, s->key);
    else
        fprintf(dm->err, "%s: %s: ", dm->cfg->n_sources ? dm->cfg->sources[0] : "config", key);
    va_start(ap, fmt);
    vfprintf(dm->err, fmt, ap);
    va_end(ap);
    fputc('\n', dm->err);
    if (!dm->rc)
        dm->rc = -EINVAL;
    return -EINVAL;
}

/* A string or number setting: the setting, NULL if absent or a list
 * (which is an error). */
static const struct xl_cfg_setting *scalar(struct dom *dm, const char *key)
{
    const struct xl_cfg_setting *s = xl_cfg_find(dm->cfg, key);

    if (s && s->value.kind == XL_CFG_LIST) {
        bad(dm, s, key, "expected a single value, not a list");
        return NULL;
    }
    return s;
}

static int get_string(struct dom *dm, const char *key, char **out)
{
    const struct xl_cfg_setting *s = scalar(dm, key);

    if (!s)
        return dm->rc;
    if (!(*out = strdup(s->value.text)))
        return dm->rc = -ENOMEM;
    return 0;
}

/* A number (decimal, 0 octal, 0x hex) in [min, max]; `what` says what it
 * counts: "'lots' is not a number of MiB". */
static int get_number(struct dom *dm, const char *key, const char *what, uint64_t min,
                      uint64_t max, uint64_t *out)
{
    const struct xl_cfg_setting *s = scalar(dm, key);
    const char *t;
    char *end, buf[56];

    if (!s)
        return dm->rc;
    t = s->value.text;
    errno = 0;
    unsigned long long v = strtoull(t, &end, 0);
    if (*t < '0' || *t > '9' || *end || errno == ERANGE)
        return bad(dm, s, key, "'%s' is not a number of %s", clean(t, buf), what);
    if (v < min || v > max)
        return bad(dm, s, key, "%llu %s is out of range (%llu to %llu)", v, what,
                   (unsigned long long)min, (unsigned long long)max);
    *out = v;
    return 0;
}

static const char *const action_names[] = {
    [XL_ACTION_DESTROY] = "destroy",
    [XL_ACTION_RESTART] = "restart",
    [XL_ACTION_RENAME_RESTART] = "rename-restart",
    [XL_ACTION_PRESERVE] = "preserve",
    [XL_ACTION_COREDUMP_DESTROY] = "coredump-destroy",
    [XL_ACTION_COREDUMP_RESTART] = "coredump-restart",
    [XL_ACTION_SOFT_RESET] = "soft-reset",
};

const char *xl_action_name(enum xl_action a)
{
    return (unsigned int)a < sizeof(action_names) / sizeof(action_names[0]) ?
           action_names[a] : "?";
}

static int get_action(struct dom *dm, const char *key, enum xl_action dflt, enum xl_action *out)
{
    const struct xl_cfg_setting *s = scalar(dm, key);
    char buf[56];

    *out = dflt;
    if (!s)
        return dm->rc;
    for (unsigned int i = 0; i < sizeof(action_names) / sizeof(action_names[0]); i++)
        if (!strcmp(s->value.text, action_names[i])) {
            *out = (enum xl_action)i;
            return 0;
        }
    return bad(dm, s, key, "'%s' is not an action (destroy, restart, rename-restart, preserve, "
               "coredump-destroy, coredump-restart or soft-reset)", clean(s->value.text, buf));
}

/* ---- The keys ---- */

enum policy { USED, IGNORED, HVM_ONLY, REFUSED };

static const struct known {
    const char *key;
    enum policy policy;
    const char *why;            /* REFUSED: the message */
} known[] = {
    { "name", USED, NULL }, { "type", USED, NULL }, { "builder", USED, NULL },
    { "memory", USED, NULL }, { "maxmem", USED, NULL }, { "vcpus", USED, NULL },
    { "maxvcpus", USED, NULL }, { "kernel", USED, NULL }, { "ramdisk", USED, NULL },
    { "cmdline", USED, NULL }, { "root", USED, NULL }, { "extra", USED, NULL },
    { "on_poweroff", USED, NULL }, { "on_reboot", USED, NULL }, { "on_crash", USED, NULL },
    { "uuid", USED, NULL }, { "disk", USED, NULL }, { "vif", USED, NULL },
    /* Placement, scheduling, limits and advisories: the guest runs the same. */
    { "pool", IGNORED, NULL }, { "cpus", IGNORED, NULL }, { "cpus_soft", IGNORED, NULL },
    { "cpu_weight", IGNORED, NULL }, { "cap", IGNORED, NULL }, { "period", IGNORED, NULL },
    { "slice", IGNORED, NULL }, { "latency", IGNORED, NULL }, { "extratime", IGNORED, NULL },
    { "on_watchdog", IGNORED, NULL }, { "on_soft_reset", IGNORED, NULL },
    { "max_grant_frames", IGNORED, NULL }, { "max_maptrack_frames", IGNORED, NULL },
    { "max_grant_version", IGNORED, NULL }, { "max_event_channels", IGNORED, NULL },
    { "nomigrate", IGNORED, NULL }, { "xend_suspend_evtchn_compat", IGNORED, NULL },
    { "vmtrace_buf_kb", IGNORED, NULL }, { "vpmu", IGNORED, NULL }, { "tsc_mode", IGNORED, NULL },
    { "localtime", IGNORED, NULL }, { "rtc_timeoffset", IGNORED, NULL },
    { "passthrough", IGNORED, NULL }, { "claim_mode", IGNORED, NULL },
    { "vfb", IGNORED, NULL }, { "vkb", IGNORED, NULL }, { "vnc", IGNORED, NULL },
    { "vnclisten", IGNORED, NULL }, { "vncdisplay", IGNORED, NULL },
    { "vncunused", IGNORED, NULL }, { "vncpasswd", IGNORED, NULL }, { "sdl", IGNORED, NULL },
    { "opengl", IGNORED, NULL }, { "keymap", IGNORED, NULL },
    /* HVM only: xl ignores them for a PV guest too. */
    { "acpi", HVM_ONLY, NULL }, { "apic", HVM_ONLY, NULL }, { "pae", HVM_ONLY, NULL },
    { "hap", HVM_ONLY, NULL }, { "viridian", HVM_ONLY, NULL }, { "boot", HVM_ONLY, NULL },
    { "serial", HVM_ONLY, NULL }, { "vga", HVM_ONLY, NULL }, { "videoram", HVM_ONLY, NULL },
    { "stdvga", HVM_ONLY, NULL }, { "usb", HVM_ONLY, NULL }, { "usbdevice", HVM_ONLY, NULL },
    { "soundhw", HVM_ONLY, NULL }, { "hpet", HVM_ONLY, NULL }, { "timer_mode", HVM_ONLY, NULL },
    { "nestedhvm", HVM_ONLY, NULL }, { "xen_platform_pci", HVM_ONLY, NULL },
    { "shadow_memory", HVM_ONLY, NULL }, { "device_model_version", HVM_ONLY, NULL },
    { "device_model_override", HVM_ONLY, NULL }, { "device_model_args", HVM_ONLY, NULL },
    /* The guest would not get what it asks for. */
    { "bootloader", REFUSED, "bootloader is not supported: give kernel=" },
    { "bootloader_args", REFUSED, "bootloader is not supported: give kernel=" },
    { "firmware", REFUSED, "firmware is not supported: give kernel=" },
    { "pvshim", REFUSED, "a PV shim is not supported: Mica runs PV guests directly" },
    { "pci", REFUSED, "PCI passthrough is not supported by Mica" },
    { "dtdev", REFUSED, "device passthrough is not supported by Mica" },
    { "ioports", REFUSED, "I/O port passthrough is not supported by Mica" },
    { "irqs", REFUSED, "IRQ passthrough is not supported by Mica" },
    { "iomem", REFUSED, "I/O memory passthrough is not supported by Mica" },
    { "e820_host", REFUSED, "the host's memory map is not given to guests by Mica" },
    { "vtpm", REFUSED, "vTPM devices are not supported by Mica" },
    { "p9", REFUSED, "9pfs devices are not supported by Mica" },
    { "pvcalls", REFUSED, "pvcalls devices are not supported by Mica" },
    { "channel", REFUSED, "channel devices are not supported by Mica" },
    { "usbctrl", REFUSED, "USB devices are not supported by Mica" },
    { "usbdev", REFUSED, "USB devices are not supported by Mica" },
    { "vdispl", REFUSED, "virtual displays are not supported by Mica" },
    { "vsnd", REFUSED, "virtual sound is not supported by Mica" },
    { "vnuma", REFUSED, "virtual NUMA is not supported by Mica" },
    { "seclabel", REFUSED, "XSM security labels are not supported by Mica" },
    { "init_seclabel", REFUSED, "XSM security labels are not supported by Mica" },
    { "device_tree", REFUSED, "device trees are not supported by Mica (x86 PV)" },
    { "driver_domain", REFUSED, "driver domains are not supported by Mica" },
};

/* Set to something: not "", 0 or []. */
static bool is_set(const struct xl_cfg_value *v)
{
    if (v->kind == XL_CFG_LIST)
        return v->n != 0;
    if (v->kind == XL_CFG_NUMBER)
        return strtoull(v->text, NULL, 0) != 0 || v->text[strspn(v->text, "0x")] != '\0';
    return v->text[0] != '\0';
}

/* Each key once (the setting that counts): warn or refuse by the table. */
static void check_keys(struct dom *dm)
{
    const struct xl_cfg *cfg = dm->cfg;

    for (unsigned int i = 0; i < cfg->n; i++) {
        const struct xl_cfg_setting *s = &cfg->set[i];
        const struct known *k = NULL;
        if (xl_cfg_find(cfg, s->key) != s)
            continue;           /* a later one wins */
        for (unsigned int j = 0; !k && j < sizeof(known) / sizeof(known[0]); j++)
            if (!strcmp(known[j].key, s->key))
                k = &known[j];
        if (!k)
            fprintf(dm->err, "%s:%d: warning: unknown key '%s' ignored\n", s->source,
                    s->line, s->key);
        else if (k->policy == IGNORED)
            fprintf(dm->err, "%s:%d: warning: %s is not supported by Mica, ignored\n",
                    s->source, s->line, s->key);
        else if (k->policy == HVM_ONLY)
            fprintf(dm->err, "%s:%d: warning: %s applies to HVM guests only, ignored\n",
                    s->source, s->line, s->key);
        else if (k->policy == REFUSED && is_set(&s->value))
            bad(dm, s, s->key, "%s", k->why);
    }
}

/* ---- The typed settings ---- */

const char *xl_name_problem(const char *n)
{
    if (!*n)
        return "is empty";
    if (strlen(n) > XL_CFG_NAME_MAX)
        return "is longer than " XL_STR(XL_CFG_NAME_MAX) " characters";
    for (const char *p = n; *p; p++)
        if (*p < 0x20 || *p >= 0x7f)
            return "has a character that is not printable ASCII";
    /* xl takes a number on its command line as a domain id. */
    if (strspn(n, "0123456789") == strlen(n))
        return "is a number, which xl would read as a domain id";
    return NULL;
}

static int get_name(struct dom *dm, struct xl_domain_config *dc)
{
    const struct xl_cfg_setting *s = scalar(dm, "name");
    const char *n, *why;
    char buf[56];

    if (!s)
        return dm->rc ? dm->rc : bad(dm, NULL, "name", "missing (every domain needs a name=)");
    n = s->value.text;
    if (!*n)
        return bad(dm, s, "name", "empty");
    if ((why = xl_name_problem(n)))
        return bad(dm, s, "name", "'%s' %s", clean(n, buf), why);
    return get_string(dm, "name", &dc->name);
}

static int get_type(struct dom *dm)
{
    const struct xl_cfg_setting *s = scalar(dm, "type");
    const char *t;
    char buf[56];

    if (!s) {
        /* builder= is type='s deprecated name; type= wins when both are given. */
        if (dm->rc || !(s = scalar(dm, "builder")))
            return dm->rc;
        t = s->value.text;
        if (!strcmp(t, "generic") || !strcmp(t, "linux"))
            return 0;
        if (!strcmp(t, "hvm"))
            return bad(dm, s, "builder", "HVM guests are not supported by Mica (PV only)");
        return bad(dm, s, "builder", "'%s' is not generic or hvm", clean(t, buf));
    }
    t = s->value.text;
    if (!strcmp(t, "pv"))
        return 0;
    if (!strcmp(t, "pvh") || !strcmp(t, "hvm"))
        return bad(dm, s, "type", "%s guests are not supported by Mica (PV only)", t);
    return bad(dm, s, "type", "'%s' is not pv, pvh or hvm", clean(t, buf));
}

static int get_sizes(struct dom *dm, struct xl_domain_config *dc)
{
    uint64_t v;
    const struct xl_cfg_setting *s;

    dc->memory_mib = XL_CFG_MEMORY_DEFAULT;
    if (get_number(dm, "memory", "MiB", 1, XL_CFG_MEMORY_MAX, &dc->memory_mib))
        return dm->rc;
    dc->maxmem_mib = dc->memory_mib;
    if (get_number(dm, "maxmem", "MiB", 1, XL_CFG_MEMORY_MAX, &dc->maxmem_mib))
        return dm->rc;
    if (dc->maxmem_mib < dc->memory_mib)
        return bad(dm, xl_cfg_find(dm->cfg, "maxmem"), "maxmem",
                   "%llu MiB is less than memory (%llu MiB)",
                   (unsigned long long)dc->maxmem_mib, (unsigned long long)dc->memory_mib);
    v = 1;
    if (get_number(dm, "vcpus", "vCPUs", 1, XL_CFG_VCPUS_MAX, &v))
        return dm->rc;
    dc->vcpus = (unsigned int)v;
    if (get_number(dm, "maxvcpus", "vCPUs", 1, XL_CFG_VCPUS_MAX, &v))
        return dm->rc;
    dc->maxvcpus = (unsigned int)v;
    s = xl_cfg_find(dm->cfg, "maxvcpus");
    if (s && dc->maxvcpus < dc->vcpus)
        return bad(dm, s, "maxvcpus", "%u is less than vcpus (%u)", dc->maxvcpus, dc->vcpus);
    return 0;
}

/* cmdline=, else "root=<root> <extra>" (xl.cfg(5): cmdline wins over both). */
static int get_cmdline(struct dom *dm, struct xl_domain_config *dc)
{
    const struct xl_cfg_setting *c = scalar(dm, "cmdline"), *r = scalar(dm, "root"),
                                *e = scalar(dm, "extra");
    const char *root = r ? r->value.text : NULL, *extra = e ? e->value.text : NULL;
    int n;

    if (dm->rc)
        return dm->rc;
    if (c) {
        if (r || e)
            fprintf(dm->err, "%s:%d: warning: root= and extra= ignored in favour of cmdline=\n",
                    c->source, c->line);
        n = asprintf(&dc->cmdline, "%s", c->value.text);
    } else if (root && extra) {
        n = asprintf(&dc->cmdline, "root=%s %s", root, extra);
    } else if (root) {
        n = asprintf(&dc->cmdline, "root=%s", root);
    } else {
        n = asprintf(&dc->cmdline, "%s", extra ? extra : "");
    }
    if (n < 0) {
        dc->cmdline = NULL;
        return dm->rc = -ENOMEM;
    }
    if (n >= MAX_CMDLINE)
        return bad(dm, c ? c : e ? e : r, c ? "cmdline" : e ? "extra" : "root",
                   "the command line is %d bytes; the guest takes at most %d", n,
                   MAX_CMDLINE - 1);
    return 0;
}

static int get_kernel(struct dom *dm, struct xl_domain_config *dc)
{
    const struct xl_cfg_setting *k = scalar(dm, "kernel"), *r = scalar(dm, "ramdisk");

    if (dm->rc)
        return dm->rc;
    if (!k || !*k->value.text)
        return bad(dm, k, "kernel", "missing (a PV guest boots the kernel= it is given)");
    if (!(dc->kernel = strdup(k->value.text)))
        return dm->rc = -ENOMEM;
    if (r && *r->value.text && !(dc->ramdisk = strdup(r->value.text)))
        return dm->rc = -ENOMEM;
    return get_cmdline(dm, dc);
}

/* 8-4-4-4-12 hex digits. */
static int get_uuid(struct dom *dm, struct xl_domain_config *dc)
{
    const struct xl_cfg_setting *s = scalar(dm, "uuid");
    const char *t;
    char buf[56];

    if (!s)
        return dm->rc;
    t = s->value.text;
    for (int i = 0, pos = 0; i < 16; i++) {
        if (pos == 8 || pos == 13 || pos == 18 || pos == 23) {
            if (t[pos++] != '-')
                goto bad;
        }
        unsigned int b;
        char pair[3] = { t[pos], t[pos] ? t[pos + 1] : 0, 0 };
        if (strspn(pair, "0123456789abcdefABCDEF") != 2 || sscanf(pair, "%2x", &b) != 1)
            goto bad;
        dc->uuid[i] = (uint8_t)b;
        pos += 2;
        if (i == 15 && t[pos])
            goto bad;
    }
    dc->have_uuid = true;
    return 0;
bad:
    return bad(dm, s, "uuid", "'%s' is not a UUID like 12345678-9abc-def0-1234-56789abcdef0",
               clean(t, buf));
}

/* A list of strings (disk, vif): NULL if absent; an error if not a list of
 * strings. */
static const struct xl_cfg_setting *string_list(struct dom *dm, const char *key)
{
    const struct xl_cfg_setting *s = xl_cfg_find(dm->cfg, key);

    if (!s)
        return NULL;
    if (s->value.kind != XL_CFG_LIST) {
        bad(dm, s, key, "expected a list [ '...', ... ]");
        return NULL;
    }
    for (unsigned int i = 0; i < s->value.n; i++)
        if (s->value.items[i].kind != XL_CFG_STRING) {
            bad(dm, s, key, "item %u is not a quoted string", i + 1);
            return NULL;
        }
    return s;
}

static int get_disks(struct dom *dm, struct xl_domain_config *dc)
{
    const struct xl_cfg_setting *s = string_list(dm, "disk");
    char what[300], buf[56];

    if (!s)
        return dm->rc;
    if (!(dc->disks = calloc(s->value.n + 1, sizeof(*dc->disks))))
        return dm->rc = -ENOMEM;
    for (unsigned int i = 0; i < s->value.n; i++) {
        const struct xl_cfg_value *v = &s->value.items[i];
        struct xl_disk *d = &dc->disks[i];
        snprintf(what, sizeof(what), "%s:%d", s->source, v->line);
        dc->n_disks++;
        int rc = xl_cfg_disk(v->text, what, d, dm->err);
        if (rc)
            return dm->rc = rc;
        d->line = v->line;
        if (d->format != XL_DISK_FORMAT_RAW && d->format != XL_DISK_FORMAT_EMPTY)
            return bad(dm, s, "disk", "'%s': only raw images are supported by Mica",
                       clean(v->text, buf));
        if (d->backend && strcmp(d->backend, "0") && strcmp(d->backend, "Domain-0"))
            return bad(dm, s, "disk", "'%s': back ends run in dom0 only on Mica",
                       clean(v->text, buf));
        for (unsigned int j = 0; j < i; j++)
            if (dc->disks[j].devid == d->devid)
                return bad(dm, s, "disk", "vdev '%s' is the same device as '%s'",
                           clean(d->vdev, buf), dc->disks[j].vdev);
    }
    return 0;
}

static int get_vifs(struct dom *dm, struct xl_domain_config *dc)
{
    const struct xl_cfg_setting *s = string_list(dm, "vif");
    char what[300], buf[56];

    if (!s)
        return dm->rc;
    if (!(dc->vifs = calloc(s->value.n + 1, sizeof(*dc->vifs))))
        return dm->rc = -ENOMEM;
    for (unsigned int i = 0; i < s->value.n; i++) {
        const struct xl_cfg_value *v = &s->value.items[i];
        struct xl_vif *f = &dc->vifs[i];
        snprintf(what, sizeof(what), "%s:%d", s->source, v->line);
        dc->n_vifs++;
        int rc = xl_cfg_vif(v->text, what, i, f, dm->err);
        if (rc)
            return dm->rc = rc;
        f->line = v->line;
        if (f->backend && strcmp(f->backend, "0") && strcmp(f->backend, "Domain-0"))
            return bad(dm, s, "vif", "'%s': back ends run in dom0 only on Mica",
                       clean(v->text, buf));
        for (unsigned int j = 0; j < i; j++)
            if (dc->vifs[j].devid == f->devid)
                return bad(dm, s, "vif", "devid %u is used twice", f->devid);
    }
    return 0;
}

int xl_cfg_domain(const struct xl_cfg *cfg, struct xl_domain_config *dc, FILE *err)
{
    struct dom dm = { .cfg = cfg, .err = err };

    memset(dc, 0, sizeof(*dc));
    check_keys(&dm);
    if (dm.rc)
        return dm.rc;
    if (get_name(&dm, dc) || get_type(&dm) || get_sizes(&dm, dc) || get_kernel(&dm, dc) ||
        get_action(&dm, "on_poweroff", XL_ACTION_DESTROY, &dc->on_poweroff) ||
        get_action(&dm, "on_reboot", XL_ACTION_RESTART, &dc->on_reboot) ||
        get_action(&dm, "on_crash", XL_ACTION_DESTROY, &dc->on_crash) ||
        get_uuid(&dm, dc) || get_disks(&dm, dc) || get_vifs(&dm, dc))
        return dm.rc ? dm.rc : -EINVAL;
    return 0;
}

void xl_domain_config_free(struct xl_domain_config *dc)
{
    free(dc->name);
    free(dc->kernel);
    free(dc->ramdisk);
    free(dc->cmdline);
    for (unsigned int i = 0; i < dc->n_disks; i++)
        xl_disk_free(&dc->disks[i]);
    free(dc->disks);
    for (unsigned int i = 0; i < dc->n_vifs; i++)
        xl_vif_free(&dc->vifs[i]);
    free(dc->vifs);
    memset(dc, 0, sizeof(*dc));
}
