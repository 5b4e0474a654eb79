/* SPDX-License-Identifier: MIT */
/*
 * xl.cfg: the domain configuration file of `xl create`, as xl.cfg(5)
 * describes it.  Two layers:
 *
 *   - the grammar (xl_cfg_parse_*): KEY = VALUE settings, one a line or
 *     separated by ';', '#' comments, "double" or 'single' quoted strings
 *     with C escapes, numbers, and [ lists ] that may span lines and nest.
 *     `KEY += VALUE` appends to an earlier string or list (libxlutil's
 *     operator).  A key set twice: the last one wins.  `xl create cfg
 *     KEY=VALUE...` overrides are parsed as more settings after the file.
 *
 *   - the domain (xl_cfg_domain): the settings Mica's toolstack uses, as
 *     typed values with xl's defaults, every one checked.  Settings are
 *     hostile input: each error is one line on `err` naming the file, the
 *     line and the key; unknown keys are warned about and ignored; known
 *     Xen keys whose absence would change what the guest gets are refused.
 *
 * Every function returns 0, or a negative Xen errno (-EINVAL for a bad
 * configuration, -ENOMEM, or the errno of reading the file) after it has
 * printed why.
 */
#ifndef XL_CFG_H
#define XL_CFG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* ---- The grammar ---- */

enum xl_cfg_kind {
    XL_CFG_STRING,      /* text: the string without quotes, escapes applied */
    XL_CFG_NUMBER,      /* text: the number as written ("0x10", "256") */
    XL_CFG_LIST,        /* items[0..n) */
};

struct xl_cfg_value {
    enum xl_cfg_kind kind;
    int line;                   /* where the value starts */
    char *text;                 /* STRING, NUMBER */
    struct xl_cfg_value *items; /* LIST */
    unsigned int n;
};

struct xl_cfg_setting {
    const char *source;         /* file name, or "command line" (owned by the cfg) */
    int line;
    char *key;
    struct xl_cfg_value value;
};

struct xl_cfg {
    struct xl_cfg_setting *set; /* in the order read; a later key wins */
    unsigned int n, cap;
    char **sources;             /* names given to the parse calls */
    unsigned int n_sources;
};

#define XL_CFG_MAX_BYTES    (1u << 20)  /* a config file larger than 1 MiB is refused */
#define XL_CFG_MAX_DEPTH    8           /* lists nested deeper are refused */
#define XL_CFG_MAX_SETTINGS 4096        /* keeps `+=` and key lookups from going quadratic */

void xl_cfg_init(struct xl_cfg *cfg);
void xl_cfg_free(struct xl_cfg *cfg);
/* Settings from text[0..len) (which may hold any bytes), named `source` in
 * messages: "SOURCE:LINE: <what> (near 'TOKEN')". */
int xl_cfg_parse_string(struct xl_cfg *cfg, const char *source, const char *text,
                        size_t len, FILE *err);
/* The same from a file, named by its path. */
int xl_cfg_parse_file(struct xl_cfg *cfg, const char *path, FILE *err);
/* One command-line override "KEY=VALUE" (xl create cfg KEY=VALUE...),
 * named "command line" in messages, its line the argument's position. */
int xl_cfg_parse_override(struct xl_cfg *cfg, const char *arg, int position, FILE *err);
/* The setting that counts for `key` (the last one), or NULL. */
const struct xl_cfg_setting *xl_cfg_find(const struct xl_cfg *cfg, const char *key);

/* ---- The domain ---- */

/* on_poweroff/on_reboot/on_crash (xl.cfg(5) "Event Actions"). */
enum xl_action {
    XL_ACTION_DESTROY,
    XL_ACTION_RESTART,
    XL_ACTION_RENAME_RESTART,
    XL_ACTION_PRESERVE,
    XL_ACTION_COREDUMP_DESTROY,
    XL_ACTION_COREDUMP_RESTART,
    XL_ACTION_SOFT_RESET,
};
const char *xl_action_name(enum xl_action a);

enum xl_disk_format {
    XL_DISK_FORMAT_RAW,
    XL_DISK_FORMAT_QCOW,
    XL_DISK_FORMAT_QCOW2,
    XL_DISK_FORMAT_VHD,
    XL_DISK_FORMAT_QED,
    XL_DISK_FORMAT_EMPTY,       /* an empty cdrom drive */
};

/* One disk = [ ... ] entry (xl-disk-configuration(5)). */
struct xl_disk {
    char *spec;                 /* the string as written */
    int line;
    char *target;               /* path ("" only for an empty cdrom) */
    enum xl_disk_format format;
    char *vdev;                 /* as written: "xvda", "hdc", "d1p2", "51712" */
    uint32_t devid;             /* its virtual-device number (xen-vbd-interface(7)) */
    bool readwrite;             /* access=rw|w (default) or ro|r (cdrom default) */
    bool cdrom;                 /* devtype=cdrom */
    char *backend;              /* backend domain, NULL: dom0 */
    char *backendtype;          /* phy|tap|qdisk|standalone, NULL: the toolstack picks */
    char *script;               /* block script, NULL: none */
    bool direct_io_safe;
    int discard;                /* -1 unspecified, 0 no-discard, 1 discard */
    int trusted;                /* -1 unspecified, 0 untrusted, 1 trusted */
};

/* One vif = [ ... ] entry (xl-network-configuration(5)).  NULL strings
 * were not given; the documented defaults are the caller's (bridge
 * "xenbr0", script vif-bridge, a generated 00:16:3e MAC, mtu 1500). */
struct xl_vif {
    char *spec;
    int line;
    uint32_t devid;             /* devid=, else its index in the list */
    bool have_mac;
    uint8_t mac[6];
    char *bridge, *gatewaydev, *type, *model, *vifname, *script, *ip, *backend, *rate, *vlan;
    unsigned int mtu;           /* 0: unspecified */
    int trusted;                /* -1 unspecified, 0 untrusted, 1 trusted */
};

#define XL_CFG_NAME_MAX     31          /* MICA_NAME_LEN less its NUL */
#define XL_STR_(x) #x
#define XL_STR(x) XL_STR_(x)
/* What is wrong with a domain name ("is empty", ...), or NULL. */
const char *xl_name_problem(const char *name);
#define XL_CFG_VCPUS_MAX    32          /* XEN_LEGACY_MAX_VCPUS: Mica's limit */
#define XL_CFG_MEMORY_MAX   (1u << 22)  /* MiB (4 TiB): keeps KiB and pages in range */
#define XL_CFG_MEMORY_DEFAULT 32        /* MiB: libxl's default when memory= is absent */

struct xl_domain_config {
    char *name;
    uint64_t memory_mib;        /* memory=, default 32 (libxl) */
    uint64_t maxmem_mib;        /* maxmem=, default memory; >= memory */
    unsigned int vcpus;         /* vcpus=, default 1 */
    unsigned int maxvcpus;      /* maxvcpus=, default vcpus; vcpus <= maxvcpus <= 32 */
    char *kernel;               /* required */
    char *ramdisk;              /* NULL: none */
    char *cmdline;              /* cmdline=, else "root=<root> <extra>"; "" if none */
    enum xl_action on_poweroff, on_reboot, on_crash;
    bool have_uuid;             /* false: the caller generates one */
    uint8_t uuid[16];           /* in the order written */
    struct xl_disk *disks;
    unsigned int n_disks;
    struct xl_vif *vifs;
    unsigned int n_vifs;
};

/* The domain `cfg` describes, into *dc (which the caller frees with
 * xl_domain_config_free whatever this returns).  Warnings go to err too. */
int xl_cfg_domain(const struct xl_cfg *cfg, struct xl_domain_config *dc, FILE *err);
void xl_domain_config_free(struct xl_domain_config *dc);

/* One disk or vif spec on its own; what = "SOURCE:LINE" for messages. */
int xl_cfg_disk(const char *spec, const char *what, struct xl_disk *d, FILE *err);
void xl_disk_free(struct xl_disk *d);
int xl_cfg_vif(const char *spec, const char *what, uint32_t index, struct xl_vif *v, FILE *err);
void xl_vif_free(struct xl_vif *v);
/* A vdev name ("xvda", "xvdb3", "d1p2", "sdb", "hdc", or a number) to its
 * virtual-device number: 0, or -EINVAL. */
int xl_vdev_to_devid(const char *vdev, uint32_t *devid);

#endif /* XL_CFG_H */
