/* SPDX-License-Identifier: MIT */
/*
 * Device specs inside an xl.cfg: the strings of disk = [ ... ]
 * (xl-disk-configuration(5)) and vif = [ ... ] (xl-network-configuration(5)),
 * and vdev names to virtual-device numbers (xen-vbd-interface(7)).
 *
 * A DISKSPEC is comma-separated: KEY=VALUE parameters, flags, and up to four
 * positional parameters target, format, vdev, access in that order; an
 * empty one takes its default.  `target=` takes the rest of the spec, commas
 * included.  The xend-era prefixes ("phy:", "file:", "tap:aio:", "raw:" ...)
 * on the target are accepted as xl does; after one of them the positional
 * order is target, vdev, access ("phy:/dev/vg/root,xvda,w").
 */
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "xl_cfg.h"

/* `s` made safe to print in a message: at most 48 bytes, anything not
 * printable as '?'. */
static const char *clean(const char *s, char buf[56])
{
    size_t i = 0;

    for (; s[i] && i < 48; i++)
        buf[i] = s[i] >= 0x20 && s[i] < 0x7f ? s[i] : '?';
    strcpy(buf + i, s[i] ? "..." : "");
    return buf;
}

static int dev_err(FILE *err, const char *what, const char *kind, const char *fmt, ...)
{
    va_list ap;

    fprintf(err, "%s: %s: ", what, kind);
    va_start(ap, fmt);
    vfprintf(err, fmt, ap);
    va_end(ap);
    fputc('\n', err);
    return -EINVAL;
}

/* ---- vdev names ---- */

/* Disk letters are bijective base 26: a..z are 0..25, aa is 26. */
static const char *disk_letters(const char *s, uint32_t *disk)
{
    uint64_t d = 0;

    if (*s < 'a' || *s > 'z')
        return NULL;
    for (; *s >= 'a' && *s <= 'z'; s++) {
        d = d * 26 + (uint64_t)(*s - 'a' + 1);
        if (d > (1u << 20))
            return NULL;
    }
    *disk = (uint32_t)(d - 1);
    return s;
}

/* Decimal digits to the end (none: 0); false if something else follows. */
static bool part_number(const char *s, uint32_t *part)
{
    uint32_t p = 0;

    if (*s == '0' && s[1])
        return false;           /* "xvda01" is not a name */
    for (; *s; s++) {
        if (*s < '0' || *s > '9' || p > 1000)
            return false;
        p = p * 10 + (uint32_t)(*s - '0');
    }
    *part = p;
    return true;
}

static int xvd_devid(uint32_t disk, uint32_t part, uint32_t *devid)
{
    if (disk < 16 && part < 16)
        *devid = (202u << 8) | (disk << 4) | part;
    else if (disk < (1u << 20) && part < 256)
        *devid = (1u << 28) | (disk << 8) | part;
    else
        return -EINVAL;
    return 0;
}

int xl_vdev_to_devid(const char *vdev, uint32_t *devid)
{
    uint32_t disk, part = 0;
    const char *rest;

    if (*vdev >= '0' && *vdev <= '9') {
        /* A number is the xenstore value itself (hex, decimal or octal). */
        char *end;
        errno = 0;
        unsigned long long v = strtoull(vdev, &end, 0);
        if (errno || *end || v == 0 || v >= (2ull << 28))
            return -EINVAL;
        *devid = (uint32_t)v;
        return 0;
    }
    if (!strncmp(vdev, "xvd", 3)) {
        rest = disk_letters(vdev + 3, &disk);
        if (!rest || !part_number(rest, &part))
            return -EINVAL;
        return xvd_devid(disk, part, devid);
    }
    if (vdev[0] == 'd' && vdev[1] >= '0' && vdev[1] <= '9') {
        /* d<disk>[p<part>] */
        char *end;
        unsigned long d = strtoul(vdev + 1, &end, 10);
        if (d >= (1u << 20) || (vdev[1] == '0' && end != vdev + 2))
            return -EINVAL;
        if (*end == 'p') {
            if (!end[1] || !part_number(end + 1, &part))
                return -EINVAL;
        } else if (*end) {
            return -EINVAL;
        }
        return xvd_devid((uint32_t)d, part, devid);
    }
    if ((vdev[0] == 's' || vdev[0] == 'h') && vdev[1] == 'd') {
        rest = disk_letters(vdev + 2, &disk);
        if (!rest || !part_number(rest, &part))
            return -EINVAL;
        if (vdev[0] == 's' && disk < 16 && part < 16)
            *devid = (8u << 8) | (disk << 4) | part;
        else if (vdev[0] == 'h' && disk < 4 && part < 64)
            *devid = ((disk < 2 ? 3u : 22u) << 8) | ((disk & 1) << 6) | part;
        else
            return -EINVAL;     /* the deprecated Linux-specific numbers */
        return 0;
    }
    return -EINVAL;
}

/* ---- disks ---- */

struct disk_parse {
    struct xl_disk *d;
    const char *what;
    FILE *err;
    bool format_set, access_set, depr_prefix;
};

static int set_string(struct disk_parse *dp, const char *name, char **to, const char *val)
{
    char buf[56];

    /* An empty value may be given again; a real one only once. */
    if (*to && **to)
        return dev_err(dp->err, dp->what, "disk", "%s given twice ('%s')", name,
                       clean(val, buf));
    free(*to);
    if (!(*to = strdup(val)))
        return -ENOMEM;
    return 0;
}

static int set_format(struct disk_parse *dp, const char *v)
{
    static const char *const names[] = {
        [XL_DISK_FORMAT_RAW] = "raw", [XL_DISK_FORMAT_QCOW] = "qcow",
        [XL_DISK_FORMAT_QCOW2] = "qcow2", [XL_DISK_FORMAT_VHD] = "vhd",
        [XL_DISK_FORMAT_QED] = "qed", [XL_DISK_FORMAT_EMPTY] = "empty",
    };
    char buf[56];
    int f = *v ? -1 : XL_DISK_FORMAT_RAW;

    for (unsigned int i = 0; f < 0 && i < sizeof(names) / sizeof(names[0]); i++)
        if (!strcmp(v, names[i]))
            f = (int)i;
    if (f < 0)
        return dev_err(dp->err, dp->what, "disk", "unknown format '%s' (raw, qcow, qcow2, "
                       "vhd, qed or empty)", clean(v, buf));
    if (dp->format_set && dp->d->format != (enum xl_disk_format)f)
        return dev_err(dp->err, dp->what, "disk", "format given twice");
    dp->d->format = (enum xl_disk_format)f;
    dp->format_set = true;
    return 0;
}

static int set_access(struct disk_parse *dp, const char *v)
{
    char buf[56];

    if (!strcmp(v, "r") || !strcmp(v, "ro"))
        dp->d->readwrite = false;
    else if (!strcmp(v, "w") || !strcmp(v, "rw") || !*v)
        dp->d->readwrite = true;
    else
        return dev_err(dp->err, dp->what, "disk", "unknown access '%s' (r, ro, w or rw)",
                       clean(v, buf));
    dp->access_set = true;
    return 0;
}

/* "vdev:cdrom" / "vdev:disk", the xend way of giving the device type. */
static int vdev_devtype(struct disk_parse *dp, char *s, bool *done)
{
    char *colon = strrchr(s, ':'), buf[56];

    *done = colon != NULL;
    if (!colon)
        return 0;
    *colon++ = '\0';
    if (!strcmp(colon, "cdrom"))
        dp->d->cdrom = true;
    else if (strcmp(colon, "disk"))
        return dev_err(dp->err, dp->what, "disk", "unknown device type '%s' (cdrom or disk)",
                       clean(colon, buf));
    return set_string(dp, "vdev", &dp->d->vdev, s);
}

static int positional(struct disk_parse *dp, char *s)
{
    struct xl_disk *d = dp->d;
    bool done;
    char buf[56];
    int rc;

    if (!d->target)
        return set_string(dp, "target", &d->target, s);
    if (!dp->depr_prefix && !dp->format_set) {
        /* ",hdc:cdrom,r": an empty cdrom drive, xend's way. */
        if (!*d->target && (rc = vdev_devtype(dp, s, &done)) | done) {
            d->format = XL_DISK_FORMAT_EMPTY;
            dp->format_set = true;
            return rc;
        }
        uint32_t devid;
        if (*s && !xl_vdev_to_devid(s, &devid) && (*s < '0' || *s > '9'))
            return dev_err(dp->err, dp->what, "disk", "'%s' is in the format field (write "
                           "'TARGET,,%s' or 'TARGET,raw,%s')", clean(s, buf), clean(s, buf),
                           clean(s, buf));
        return set_format(dp, s);
    }
    if (!d->vdev) {
        if ((rc = vdev_devtype(dp, s, &done)) || done)
            return rc;
        return set_string(dp, "vdev", &d->vdev, s);
    }
    if (!dp->access_set)
        return set_access(dp, s);
    return dev_err(dp->err, dp->what, "disk", "too many positional parameters at '%s'",
                   clean(s, buf));
}

/* The xend prefixes on a target: "phy:", "file:", "tap:aio:", "raw:",
 * "iscsi:" ... (a known one whatever follows it).  Returns the text after
 * them; -EINVAL through *rc for a prefix xl does not know. */
static char *strip_prefixes(struct disk_parse *dp, char *s, int *rc)
{
    static const char *const ignored[] = { "tapdisk", "tap", "tap2", "aio", "ioemu", "file", "phy" };
    static const char *const formats[] = { "raw", "qcow", "qcow2", "vhd" };
    static const char *const scripts[] = { "iscsi", "nbd", "enbd", "drbd" };
    char buf[56];

    *rc = 0;
    for (;;) {
        size_t n = 0;
        while ((s[n] >= 'a' && s[n] <= 'z') || (n && s[n] >= '0' && s[n] <= '9'))
            n++;
        if (!n || s[n] != ':')
            return s;
        char after = s[n + 1];
        s[n] = '\0';
        bool known = false;
        for (unsigned int i = 0; i < sizeof(ignored) / sizeof(ignored[0]); i++)
            known |= !strcmp(s, ignored[i]);
        for (unsigned int i = 0; !*rc && i < sizeof(formats) / sizeof(formats[0]); i++)
            if (!strcmp(s, formats[i])) {
                known = true;
                *rc = set_format(dp, s);
            }
        for (unsigned int i = 0; !*rc && i < sizeof(scripts) / sizeof(scripts[0]); i++)
            if (!strcmp(s, scripts[i])) {
                char script[16];
                known = true;
                snprintf(script, sizeof(script), "block-%s", s);
                *rc = set_string(dp, "script", &dp->d->script, script);
            }
        if (!known) {
            /* An unknown word before ':' is a prefix only when no letter or
             * digit follows ("foo:/x"); "hdc:cdrom" is a vdev and its type. */
            s[n] = ':';
            if ((after >= 'a' && after <= 'z') || (after >= '0' && after <= '9'))
                return s;
            s[n] = '\0';
            *rc = dev_err(dp->err, dp->what, "disk", "unknown prefix '%s:'", clean(s, buf));
        }
        if (*rc)
            return NULL;
        dp->depr_prefix = true;
        s += n + 1;
    }
}

/* One "key=value" or flag; *handled false if it is neither. */
static int disk_param(struct disk_parse *dp, char *s, bool *handled)
{
    struct xl_disk *d = dp->d;
    char *eq = strchr(s, '='), buf[56];

    *handled = true;
    if (!strcmp(s, "cdrom") || !strcmp(s, "devtype=cdrom"))
        d->cdrom = true;
    else if (!strcmp(s, "devtype=disk"))
        d->cdrom = false;
    else if (!strcmp(s, "direct-io-safe"))
        d->direct_io_safe = true;
    else if (!strcmp(s, "discard") || !strcmp(s, "no-discard"))
        d->discard = s[0] == 'd';
    else if (!strcmp(s, "trusted") || !strcmp(s, "untrusted"))
        d->trusted = s[0] == 't';
    else if (!strncmp(s, "devtype=", 8))
        return dev_err(dp->err, dp->what, "disk", "unknown devtype '%s' (cdrom or disk)",
                       clean(s + 8, buf));
    else if (!strncmp(s, "format=", 7))
        return set_format(dp, s + 7);
    else if (!strncmp(s, "access=", 7))
        return set_access(dp, s + 7);
    else if (!strncmp(s, "vdev=", 5))
        return set_string(dp, "vdev", &d->vdev, s + 5);
    else if (!strncmp(s, "backend=", 8))
        return set_string(dp, "backend", &d->backend, s + 8);
    else if (!strncmp(s, "backendtype=", 12)) {
        const char *t = s + 12;
        if (strcmp(t, "phy") && strcmp(t, "tap") && strcmp(t, "qdisk") && strcmp(t, "standalone"))
            return dev_err(dp->err, dp->what, "disk", "unknown backendtype '%s' (phy, tap, "
                           "qdisk or standalone)", clean(t, buf));
        return set_string(dp, "backendtype", &d->backendtype, t);
    } else if (!strncmp(s, "script=", 7))
        return set_string(dp, "script", &d->script, s + 7);
    else if (!strcmp(s, "colo") || !strncmp(s, "colo-", 5) || !strcmp(s, "no-colo") ||
             !strncmp(s, "active-disk=", 12) || !strncmp(s, "hidden-disk=", 12) ||
             !strncmp(s, "specification=", 14) || !strncmp(s, "grant_usage=", 12))
        return dev_err(dp->err, dp->what, "disk", "'%s' is not supported by Mica",
                       clean(s, buf));
    else if (eq && s[0] >= 'a' && s[0] <= 'z' && strspn(s, "abcdefghijklmnopqrstuvwxyz0123456789-_") ==
             (size_t)(eq - s))
        return dev_err(dp->err, dp->what, "disk", "unknown parameter '%.*s'",
                       (int)(eq - s), clean(s, buf));
    else
        *handled = false;
    return 0;
}

static int disk_parse_all(struct disk_parse *dp, char *s)
{
    int rc = 0;
    bool handled;

    while (!rc && *s) {
        s += strspn(s, " \t\n");
        if (!*s)
            break;
        if (!strncmp(s, "target=", 7)) {
            /* The rest of the spec, commas and all (less one final comma). */
            size_t n = strlen(s + 7);
            if (n && s[7 + n - 1] == ',')
                s[7 + --n] = '\0';
            return set_string(dp, "target", &dp->d->target, s + 7);
        }
        char *comma = strchr(s, ','), *next = comma ? comma + 1 : s + strlen(s);
        if (comma)
            *comma = '\0';
        if (!(rc = disk_param(dp, s, &handled)) && !handled) {
            char *t = dp->d->target ? s : strip_prefixes(dp, s, &rc);
            if (!rc)
                rc = positional(dp, t);
        }
        s = next;
    }
    return rc;
}

int xl_cfg_disk(const char *spec, const char *what, struct xl_disk *d, FILE *err)
{
    struct disk_parse dp = { .d = d, .what = what, .err = err };
    char *copy = strdup(spec), buf[56];
    int rc;

    memset(d, 0, sizeof(*d));
    d->discard = d->trusted = -1;
    d->spec = strdup(spec);
    if (!copy || !d->spec) {
        free(copy);
        return -ENOMEM;
    }
    rc = disk_parse_all(&dp, copy);
    free(copy);
    if (rc)
        return rc;
    if (!d->vdev || !*d->vdev)
        return dev_err(err, what, "disk", "no vdev in '%s' (give e.g. ',,xvda' or vdev=xvda)",
                       clean(spec, buf));
    if (xl_vdev_to_devid(d->vdev, &d->devid))
        return dev_err(err, what, "disk", "'%s' is not a vdev name (xvda, xvdb2, d0p1, sda, "
                       "hda or a number)", clean(d->vdev, buf));
    if (!d->target)
        d->target = strdup("");
    if (!d->target)
        return -ENOMEM;
    if (!*d->target && !d->cdrom)
        return dev_err(err, what, "disk", "no target in '%s' (only a cdrom may be empty)",
                       clean(spec, buf));
    if (!*d->target)
        d->format = XL_DISK_FORMAT_EMPTY;
    if (!dp.access_set)
        d->readwrite = !d->cdrom;
    return 0;
}

void xl_disk_free(struct xl_disk *d)
{
    free(d->spec);
    free(d->target);
    free(d->vdev);
    free(d->backend);
    free(d->backendtype);
    free(d->script);
    memset(d, 0, sizeof(*d));
}

/* ---- vifs ---- */

static int parse_mac(const char *s, uint8_t mac[6])
{
    for (int i = 0; i < 6; i++, s += 3) {
        int hi = s[0] >= '0' && s[0] <= '9' ? s[0] - '0' :
                 (s[0] | 0x20) >= 'a' && (s[0] | 0x20) <= 'f' ? (s[0] | 0x20) - 'a' + 10 : -1;
        int lo = s[1] >= '0' && s[1] <= '9' ? s[1] - '0' :
                 (s[1] | 0x20) >= 'a' && (s[1] | 0x20) <= 'f' ? (s[1] | 0x20) - 'a' + 10 : -1;
        if (hi < 0 || lo < 0 || s[2] != (i == 5 ? '\0' : ':'))
            return -EINVAL;
        mac[i] = (uint8_t)(hi << 4 | lo);
    }
    return 0;
}

/* A decimal number in [min, max]: 0, or -EINVAL. */
static int parse_uint(const char *s, unsigned long min, unsigned long max, unsigned long *out)
{
    char *end;

    if (*s < '0' || *s > '9')
        return -EINVAL;
    errno = 0;
    *out = strtoul(s, &end, 0);
    return errno || *end || *out < min || *out > max ? -EINVAL : 0;
}

/* "<n><unit>/s[@<n><unit>]" with units B KB MB GB (bytes), b Kb Mb Gb
 * (bits) and intervals in s, ms or us (xl-network-configuration(5)). */
static bool rate_ok(const char *s)
{
    static const char *const sizes[] = { "GB", "MB", "KB", "B", "Gb", "Mb", "Kb", "b" };
    static const char *const times[] = { "ms", "us", "s" };
    bool ok = false;

    if (*s < '0' || *s > '9')
        return false;
    s += strspn(s, "0123456789");
    for (unsigned int i = 0; !ok && i < sizeof(sizes) / sizeof(sizes[0]); i++)
        if (!strncmp(s, sizes[i], strlen(sizes[i]))) {
            s += strlen(sizes[i]);
            ok = true;
        }
    if (!ok || strncmp(s, "/s", 2))
        return false;
    s += 2;
    if (!*s)
        return true;
    if (*s++ != '@' || *s < '0' || *s > '9')
        return false;
    s += strspn(s, "0123456789");
    for (unsigned int i = 0; i < sizeof(times) / sizeof(times[0]); i++)
        if (!strcmp(s, times[i]))
            return true;
    return false;
}

static int vif_param(struct xl_vif *v, const char *what, char *tok, FILE *err)
{
    static const struct { const char *key; size_t off; } strs[] = {
        { "bridge", offsetof(struct xl_vif, bridge) },
        { "gatewaydev", offsetof(struct xl_vif, gatewaydev) },
        { "netdev", offsetof(struct xl_vif, gatewaydev) },     /* its old name */
        { "type", offsetof(struct xl_vif, type) },
        { "model", offsetof(struct xl_vif, model) },
        { "vifname", offsetof(struct xl_vif, vifname) },
        { "script", offsetof(struct xl_vif, script) },
        { "ip", offsetof(struct xl_vif, ip) },
        { "backend", offsetof(struct xl_vif, backend) },
        { "rate", offsetof(struct xl_vif, rate) },
        { "vlan", offsetof(struct xl_vif, vlan) },
    };
    char *eq = strchr(tok, '='), buf[56];
    const char *val = eq ? eq + 1 : NULL;
    unsigned long n;

    if (!strcmp(tok, "trusted") || !strcmp(tok, "untrusted")) {
        v->trusted = tok[0] == 't';
        return 0;
    }
    if (!eq)
        return dev_err(err, what, "vif", "'%s' is not KEY=VALUE", clean(tok, buf));
    *eq = '\0';
    if (!strcmp(tok, "mac")) {
        if (parse_mac(val, v->mac))
            return dev_err(err, what, "vif", "mac '%s' is not six hex pairs like "
                           "00:16:3e:12:34:56", clean(val, buf));
        v->have_mac = true;
        return 0;
    }
    if (!strcmp(tok, "mtu")) {
        if (parse_uint(val, 68, 65535, &n))
            return dev_err(err, what, "vif", "mtu '%s' is not a number from 68 to 65535",
                           clean(val, buf));
        v->mtu = (unsigned int)n;
        return 0;
    }
    if (!strcmp(tok, "devid")) {
        if (parse_uint(val, 0, 0xffff, &n))
            return dev_err(err, what, "vif", "devid '%s' is not a number from 0 to 65535",
                           clean(val, buf));
        v->devid = (uint32_t)n;
        return 0;
    }
    if (!strcmp(tok, "rate") && !rate_ok(val))
        return dev_err(err, what, "vif", "rate '%s' is not like 10Mb/s or 1MB/s@20ms",
                       clean(val, buf));
    if (!strcmp(tok, "type") && strcmp(val, "vif") && strcmp(val, "ioemu"))
        return dev_err(err, what, "vif", "type '%s' is not vif or ioemu", clean(val, buf));
    for (unsigned int i = 0; i < sizeof(strs) / sizeof(strs[0]); i++) {
        if (strcmp(tok, strs[i].key))
            continue;
        char **to = (char **)((char *)v + strs[i].off);
        free(*to);
        if (!(*to = strdup(val)))
            return -ENOMEM;
        return 0;
    }
    if (!strcmp(tok, "accel") || !strcmp(tok, "forwarddev"))
        return dev_err(err, what, "vif", "'%s' is not supported by Mica", clean(tok, buf));
    return dev_err(err, what, "vif", "unknown parameter '%s'", clean(tok, buf));
}

int xl_cfg_vif(const char *spec, const char *what, uint32_t index, struct xl_vif *v, FILE *err)
{
    char *copy = strdup(spec), *s, *tok, *save = NULL;
    int rc = 0;

    memset(v, 0, sizeof(*v));
    v->devid = index;
    v->trusted = -1;
    v->spec = strdup(spec);
    if (!copy || !v->spec) {
        free(copy);
        return -ENOMEM;
    }
    for (s = copy; !rc && (tok = strtok_r(s, ",", &save)); s = NULL) {
        /* Blanks around each KEY=VALUE do not count. */
        tok += strspn(tok, " \t");
        size_t n = strlen(tok);
        while (n && (tok[n - 1] == ' ' || tok[n - 1] == '\t'))
            tok[--n] = '\0';
        if (n)
            rc = vif_param(v, what, tok, err);
    }
    free(copy);
    return rc;
}

void xl_vif_free(struct xl_vif *v)
{
    free(v->spec);
    free(v->bridge);
    free(v->gatewaydev);
    free(v->type);
    free(v->model);
    free(v->vifname);
    free(v->script);
    free(v->ip);
    free(v->backend);
    free(v->rate);
    free(v->vlan);
    memset(v, 0, sizeof(*v));
}
