/* SPDX-License-Identifier: MIT */
/*
 * Boot configuration: which domains to start at boot, read from a
 * flattened device tree (FDT, the Devicetree Specification's format) that
 * the boot loader hands over as a multiboot module.  docs/boot-config.md
 * describes the format for users.
 *
 * The blob is untrusted input, and the hypervisor cannot link libfdt (it is
 * built for user space), so this file carries its own small reader.  Its
 * invariants:
 *  - the header is checked once (fdt_open): magic, version 16 or 17, and
 *    every block lies inside totalsize, which lies inside the module;
 *  - every token is decoded by one function (fdt_next), which checks each
 *    offset and length against its block with subtraction, never addition,
 *    so nothing can overflow, and refuses names and strings that are not
 *    NUL-terminated inside their block;
 *  - the whole structure is walked once (fdt_check_struct) before anything
 *    is interpreted: exactly one root, balanced nodes, properties before
 *    subnodes, depth <= FDT_MAX_DEPTH, nodes <= FDT_MAX_NODES, FDT_END last.
 *    Only then does boot_config_parse() read values (decode, then use).
 * Values are copied out or, for cmdline, pointed at inside the blob, which
 * must therefore stay mapped and unchanged while the config is used.
 */
#include <mica/boot_config.h>
#include <mica/errno.h>
#include <mica/grant.h>
#include <mica/printk.h>
#include <mica/string.h>

/* ------------------------------------------------------------------ */
/* The FDT reader                                                      */

#define FDT_MAGIC       0xd00dfeedu
#define FDT_BEGIN_NODE  1u
#define FDT_END_NODE    2u
#define FDT_PROP        3u
#define FDT_NOP         4u
#define FDT_END         9u
#define FDT_HDR_V16     36u     /* bytes of a version 16 header */
#define FDT_HDR_V17     40u     /* version 17 adds size_dt_struct */

struct fdt {
    const uint8_t *st;          /* the structure block */
    size_t st_len;
    const char *strs;           /* the strings block */
    size_t strs_len;
};

struct fdt_tok {
    uint32_t type;
    uint32_t off;               /* where the token starts, for reports */
    const char *name;           /* BEGIN_NODE, PROP: terminated in its block */
    const uint8_t *val;         /* PROP */
    uint32_t len;               /* PROP: bytes of val */
};

static uint32_t be32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static uint64_t be64(const uint8_t *p)
{
    return (uint64_t)be32(p) << 32 | be32(p + 4);
}

bool boot_config_is_fdt(const void *blob, size_t len)
{
    return blob && len >= 4 && be32(blob) == FDT_MAGIC;
}

/* Header field i (a big-endian u32). */
static uint32_t hdr(const uint8_t *b, unsigned int i)
{
    return be32(b + 4 * i);
}

/* Is [off, off + size) inside [lo, total)? */
static bool block_ok(uint32_t off, uint32_t size, uint32_t lo, uint32_t total)
{
    return off >= lo && off <= total && size <= total - off;
}

static const char *fdt_open(const void *blob, size_t len, struct fdt *f)
{
    const uint8_t *b = blob;

    if (!blob || len < FDT_HDR_V17)
        return "shorter than an FDT header";
    if (hdr(b, 0) != FDT_MAGIC)
        return "bad magic (not a flattened device tree)";
    uint32_t total = hdr(b, 1), off_st = hdr(b, 2), off_strs = hdr(b, 3);
    uint32_t off_rsv = hdr(b, 4), version = hdr(b, 5), last_comp = hdr(b, 6);
    uint32_t strs_len = hdr(b, 8);
    if (total < FDT_HDR_V17 || total > len)
        return "totalsize is smaller than the header or larger than the module";
    if (version != 16 && version != 17)
        return "unsupported version (16 and 17 are)";
    if (last_comp > 16)
        return "last_comp_version is newer than 16";
    uint32_t hlen = version == 17 ? FDT_HDR_V17 : FDT_HDR_V16;
    /* Version 16 has no size_dt_struct: the block runs to the end. */
    uint32_t st_len = version == 17 ? hdr(b, 9) : total - MIN(off_st, total);
    /* The reservation map is not used, but must be where it claims to be. */
    if (off_rsv % 8 || !block_ok(off_rsv, 16, hlen, total))
        return "memory reservation map is outside the blob or misaligned";
    if (off_st % 4 || !block_ok(off_st, st_len, hlen, total))
        return "structure block is outside the blob or misaligned";
    if (!block_ok(off_strs, strs_len, hlen, total))
        return "strings block is outside the blob";
    *f = (struct fdt){
        .st = b + off_st, .st_len = st_len,
        .strs = (const char *)b + off_strs, .strs_len = strs_len,
    };
    return NULL;
}

/* Decode the token at *off and advance *off past it.  NULL or why not. */
static const char *fdt_next(const struct fdt *f, size_t *off, struct fdt_tok *t)
{
    size_t o = *off, left;

    if (o > f->st_len || f->st_len - o < 4)
        return "structure block ends without FDT_END";
    *t = (struct fdt_tok){ .type = be32(f->st + o), .off = (uint32_t)o };
    o += 4;
    left = f->st_len - o;
    switch (t->type) {
    case FDT_BEGIN_NODE: {
        size_t n = strnlen((const char *)f->st + o, left);
        if (n == left)
            return "node name is not terminated";
        t->name = (const char *)f->st + o;
        o += ALIGN_UP(n + 1, 4);        /* may pass the end: the next call says so */
        break;
    }
    case FDT_PROP: {
        if (left < 8)
            return "property header runs past the structure block";
        uint32_t len = be32(f->st + o), nameoff = be32(f->st + o + 4);
        o += 8;
        left -= 8;
        if (len > left)
            return "property value runs past the structure block";
        if (nameoff >= f->strs_len ||
            strnlen(f->strs + nameoff, f->strs_len - nameoff) == f->strs_len - nameoff)
            return "property name is outside the strings block or not terminated";
        t->name = f->strs + nameoff;
        t->val = f->st + o;
        t->len = len;
        o += ALIGN_UP((size_t)len, 4);
        break;
    }
    case FDT_END_NODE:
    case FDT_NOP:
    case FDT_END:
        break;
    default:
        return "unknown token";
    }
    *off = o;
    return NULL;
}

/* Like fdt_next, skipping NOPs. */
static const char *fdt_next_real(const struct fdt *f, size_t *off, struct fdt_tok *t)
{
    const char *why;

    while (!(why = fdt_next(f, off, t)) && t->type == FDT_NOP)
        ;
    return why;
}

/* Walk the whole structure once; see the invariants at the top. */
static const char *fdt_check_struct(const struct fdt *f, uint32_t *where)
{
    size_t off = 0;
    unsigned int depth = 0, nodes = 0;
    uint32_t had_child = 0;             /* bit d: the open node at depth d has a child */
    bool seen_root = false;
    struct fdt_tok t;
    const char *why;

    for (;;) {
        *where = (uint32_t)off;
        if ((why = fdt_next(f, &off, &t)))
            return why;
        switch (t.type) {
        case FDT_BEGIN_NODE:
            if (depth == 0 && seen_root)
                return "a second root node";
            seen_root = true;
            if (depth == FDT_MAX_DEPTH)
                return "nodes nested too deeply";
            if (++nodes > FDT_MAX_NODES)
                return "too many nodes";
            if (depth)
                had_child |= 1u << depth;
            depth++;
            had_child &= ~(1u << depth);
            break;
        case FDT_END_NODE:
            if (depth == 0)
                return "FDT_END_NODE outside any node";
            depth--;
            break;
        case FDT_PROP:
            if (depth == 0)
                return "property outside any node";
            if (had_child & (1u << depth))
                return "property after a subnode";
            break;
        case FDT_END:
            if (depth)
                return "FDT_END inside a node";
            if (!seen_root)
                return "no root node";
            return NULL;
        }
    }
}

/* Skip the rest of the node whose BEGIN_NODE was just read. */
static const char *fdt_skip_node(const struct fdt *f, size_t *off)
{
    unsigned int depth = 1;
    struct fdt_tok t;
    const char *why;

    while (depth) {
        if ((why = fdt_next(f, off, &t)))
            return why;
        if (t.type == FDT_BEGIN_NODE)
            depth++;
        else if (t.type == FDT_END_NODE)
            depth--;
        else if (t.type == FDT_END)
            return "FDT_END inside a node";
    }
    return NULL;
}

/* A property's value as one NUL-terminated string, or NULL. */
static const char *prop_string(const struct fdt_tok *t)
{
    if (t->len == 0 || strnlen((const char *)t->val, t->len) != t->len - 1u)
        return NULL;
    return (const char *)t->val;
}

/* Does the string list in t contain s? */
static bool prop_has_string(const struct fdt_tok *t, const char *s)
{
    size_t n = strlen(s) + 1;

    for (size_t o = 0; o < t->len;) {
        size_t l = strnlen((const char *)t->val + o, t->len - o);
        if (l == t->len - o)
            return false;               /* the last string is not terminated */
        if (l + 1 == n && memcmp(t->val + o, s, n) == 0)
            return true;
        o += l + 1;
    }
    return false;
}

/* ------------------------------------------------------------------ */
/* Reports                                                             */

#define SAFE_MAX 40     /* characters of a name or value shown in a report */
#define REPORT_LEN 192

/* Copy src for a report: at most SAFE_MAX printable characters. */
static void safe(char *dst, const char *src)
{
    size_t i = 0;

    for (; src[i] && i < SAFE_MAX; i++)
        dst[i] = src[i] >= 0x20 && src[i] < 0x7f && src[i] != '\'' ? src[i] : '?';
    if (src[i]) {
        memcpy(dst + SAFE_MAX - 3, "...", 3);
        i = SAFE_MAX;
    }
    dst[i] = '\0';
}

static void __printf(2, 3) say(void (*report)(const char *), const char *fmt, ...)
{
    char line[REPORT_LEN];
    va_list ap;

    if (!report)
        return;
    va_start(ap, fmt);
    mica_vsnprintf(line, sizeof(line), fmt, ap);
    va_end(ap);
    report(line);
}

/* ------------------------------------------------------------------ */
/* Domain properties: one table, one parser each                       */

struct parse_ctx {
    const char *const *module_names;
    unsigned int nr_modules;
    struct boot_config *out;
    void (*report)(const char *msg);
    const char *raw_names[BOOT_MAX_DOMAINS];   /* unsanitised, for duplicates */
};

/* Each returns 0, or -1 with the reason written into why[WHY_LEN]. */
#define WHY_LEN 128
typedef int (*prop_fn)(struct boot_domain *d, const struct fdt_tok *t,
                       const struct parse_ctx *c, char *why);

static int get_u32(const struct fdt_tok *t, uint32_t lo, uint32_t hi, uint32_t *v, char *why)
{
    if (t->len != 4) {
        mica_snprintf(why, WHY_LEN, "must be one u32 cell (4 bytes), is %u bytes", t->len);
        return -1;
    }
    *v = be32(t->val);
    if (*v < lo || *v > hi) {
        mica_snprintf(why, WHY_LEN, "%u is out of range %u..%u", *v, lo, hi);
        return -1;
    }
    return 0;
}

static int get_kib(const struct fdt_tok *t, uint64_t *v, char *why)
{
    if (t->len != 4 && t->len != 8) {
        mica_snprintf(why, WHY_LEN, "must be a u32 or u64 (4 or 8 bytes), is %u bytes",
                      t->len);
        return -1;
    }
    *v = t->len == 4 ? be32(t->val) : be64(t->val);
    if (*v == 0 || *v > BOOT_MAX_MEMORY_KIB) {
        mica_snprintf(why, WHY_LEN, "%llu KiB is out of range 4..%llu",
                      (unsigned long long)*v, BOOT_MAX_MEMORY_KIB);
        return -1;
    }
    if (*v % 4) {
        mica_snprintf(why, WHY_LEN, "%llu KiB is not a multiple of the 4 KiB page",
                      (unsigned long long)*v);
        return -1;
    }
    return 0;
}

/* A module named by the string in t: its index, or -1 with why. */
static int find_module(const struct fdt_tok *t, const struct parse_ctx *c, char *why)
{
    const char *s = prop_string(t);
    char shown[SAFE_MAX + 1];
    int found = -1;

    if (!s || !*s) {
        mica_snprintf(why, WHY_LEN, "must be a non-empty string");
        return -1;
    }
    safe(shown, s);
    for (unsigned int i = 0; i < c->nr_modules; i++) {
        if (!c->module_names[i] || strcmp(c->module_names[i], s) != 0)
            continue;
        if (found >= 0) {
            mica_snprintf(why, WHY_LEN, "modules %d and %u are both named '%s'",
                          found, i, shown);
            return -1;
        }
        found = (int)i;
    }
    if (found < 0)
        mica_snprintf(why, WHY_LEN, "no module named '%s'", shown);
    return found;
}

static int p_memory(struct boot_domain *d, const struct fdt_tok *t,
                    const struct parse_ctx *c, char *why)
{
    (void)c;
    return get_kib(t, &d->memory_kib, why);
}

static int p_max_memory(struct boot_domain *d, const struct fdt_tok *t,
                        const struct parse_ctx *c, char *why)
{
    (void)c;
    return get_kib(t, &d->max_memory_kib, why);
}

static int p_vcpus(struct boot_domain *d, const struct fdt_tok *t,
                   const struct parse_ctx *c, char *why)
{
    uint32_t v;

    (void)c;
    if (get_u32(t, 1, BOOT_MAX_VCPUS, &v, why) < 0)
        return -1;
    d->vcpus = v;
    return 0;
}

static int p_kernel(struct boot_domain *d, const struct fdt_tok *t,
                    const struct parse_ctx *c, char *why)
{
    d->kernel_module = find_module(t, c, why);
    return d->kernel_module < 0 ? -1 : 0;
}

static int p_ramdisk(struct boot_domain *d, const struct fdt_tok *t,
                     const struct parse_ctx *c, char *why)
{
    d->ramdisk_module = find_module(t, c, why);
    return d->ramdisk_module < 0 ? -1 : 0;
}

static int p_cmdline(struct boot_domain *d, const struct fdt_tok *t,
                     const struct parse_ctx *c, char *why)
{
    const char *s = prop_string(t);

    (void)c;
    if (!s) {
        mica_snprintf(why, WHY_LEN, "must be one string");
        return -1;
    }
    if (t->len > BOOT_CMDLINE_MAX) {
        mica_snprintf(why, WHY_LEN, "longer than %u characters", BOOT_CMDLINE_MAX - 1);
        return -1;
    }
    d->cmdline = s;
    return 0;
}

static int p_privileged(struct boot_domain *d, const struct fdt_tok *t,
                        const struct parse_ctx *c, char *why)
{
    (void)c;
    if (t->len) {
        mica_snprintf(why, WHY_LEN, "must be empty (write 'privileged;')");
        return -1;
    }
    d->privileged = true;
    return 0;
}

static int p_weight(struct boot_domain *d, const struct fdt_tok *t,
                    const struct parse_ctx *c, char *why)
{
    uint32_t v;

    (void)c;
    if (get_u32(t, 1, 65535, &v, why) < 0)
        return -1;
    d->weight = v;
    return 0;
}

static int p_cap(struct boot_domain *d, const struct fdt_tok *t,
                 const struct parse_ctx *c, char *why)
{
    uint32_t v;

    (void)c;
    if (get_u32(t, 0, 100, &v, why) < 0)
        return -1;
    d->cap = v;
    return 0;
}

static int p_grant_frames(struct boot_domain *d, const struct fdt_tok *t,
                          const struct parse_ctx *c, char *why)
{
    uint32_t v;

    (void)c;
    if (get_u32(t, 1, GNTTAB_MAX_FRAMES, &v, why) < 0)
        return -1;
    d->grant_frames = v;
    return 0;
}

static int p_console(struct boot_domain *d, const struct fdt_tok *t,
                     const struct parse_ctx *c, char *why)
{
    const char *s = prop_string(t);

    (void)c;
    if (s && strcmp(s, "serial") == 0)
        d->console_serial = true;
    else if (s && strcmp(s, "none") == 0)
        d->console_serial = false;
    else {
        mica_snprintf(why, WHY_LEN, "must be \"serial\" or \"none\"");
        return -1;
    }
    return 0;
}

enum { P_MEMORY, P_MAX_MEMORY, P_KERNEL };     /* indices checked after the node */

static const struct {
    const char *name;
    prop_fn parse;
} dom_props[] = {
    [P_MEMORY]     = { "memory", p_memory },
    [P_MAX_MEMORY] = { "max-memory", p_max_memory },
    [P_KERNEL]     = { "kernel", p_kernel },
    { "vcpus", p_vcpus },
    { "ramdisk", p_ramdisk },
    { "cmdline", p_cmdline },
    { "privileged", p_privileged },
    { "weight", p_weight },
    { "cap", p_cap },
    { "grant-frames", p_grant_frames },
    { "console", p_console },
};

/* ------------------------------------------------------------------ */
/* Nodes                                                               */

static bool name_char_ok(char ch)
{
    return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
           (ch >= '0' && ch <= '9') || ch == '-' || ch == '_' || ch == '.';
}

static const char *check_name(const char *name)
{
    size_t n = strnlen(name, BOOT_NAME_MAX);

    if (n == 0)
        return "empty domain name";
    if (n == BOOT_NAME_MAX)
        return "domain name longer than 31 characters";
    for (size_t i = 0; i < n; i++)
        if (!name_char_ok(name[i]))
            return "domain name may only hold letters, digits, '-', '_' and '.'";
    return NULL;
}

/* The placement rules that need the node's index: privileged first, names unique. */
static void check_placement(struct parse_ctx *c, unsigned int idx, const char *shown)
{
    struct boot_domain *d = &c->out->dom[idx];

    for (unsigned int j = 0; j < idx; j++) {
        if (strcmp(c->raw_names[j], c->raw_names[idx]) == 0) {
            say(c->report, "domain '%s': duplicate domain name", shown);
            d->ok = false;
            break;
        }
    }
    if (d->privileged && idx != 0) {
        if (c->out->dom[0].privileged)
            say(c->report, "domain '%s': property 'privileged': only one domain may be "
                "privileged ('%s' is)", shown, c->out->dom[0].name);
        else
            say(c->report, "domain '%s': property 'privileged': the privileged domain "
                "must be the first node under /domains", shown);
        d->ok = false;
    }
}

/* Parse one domain node whose BEGIN_NODE token is t. */
static const char *parse_domain(struct parse_ctx *c, const struct fdt *f, size_t *off,
                                const struct fdt_tok *node)
{
    char shown[SAFE_MAX + 1], why[WHY_LEN];
    uint32_t seen = 0, failed = 0;
    struct fdt_tok t;
    const char *err;

    safe(shown, node->name);
    if (c->out->nr == BOOT_MAX_DOMAINS) {
        say(c->report, "domain '%s': more than %u domains, ignored", shown, BOOT_MAX_DOMAINS);
        return fdt_skip_node(f, off);
    }
    unsigned int idx = c->out->nr++;
    struct boot_domain *d = &c->out->dom[idx];
    *d = (struct boot_domain){
        .vcpus = 1, .kernel_module = -1, .ramdisk_module = -1, .cmdline = "",
        .console_serial = true, .ok = true,
    };
    c->raw_names[idx] = node->name;
    mica_strlcpy(d->name, shown, sizeof(d->name));
    if ((err = check_name(node->name))) {
        say(c->report, "domain '%s': %s", shown, err);
        d->ok = false;
    }

    for (;;) {
        if ((err = fdt_next_real(f, off, &t)))
            return err;
        if (t.type == FDT_END_NODE)
            break;
        if (t.type == FDT_BEGIN_NODE) {
            char sub[SAFE_MAX + 1];
            safe(sub, t.name);
            say(c->report, "domain '%s': node '%s': unknown node", shown, sub);
            d->ok = false;
            if ((err = fdt_skip_node(f, off)))
                return err;
            continue;
        }
        if (t.type != FDT_PROP)
            return "unexpected token in a domain node";
        char pname[SAFE_MAX + 1];
        unsigned int i = 0;
        safe(pname, t.name);
        while (i < ARRAY_SIZE(dom_props) && strcmp(dom_props[i].name, t.name) != 0)
            i++;
        if (i == ARRAY_SIZE(dom_props)) {
            say(c->report, "domain '%s': property '%s': unknown property", shown, pname);
            d->ok = false;
        } else if (seen & (1u << i)) {
            say(c->report, "domain '%s': property '%s': given twice", shown, pname);
            d->ok = false;
        } else {
            seen |= 1u << i;
            if (dom_props[i].parse(d, &t, c, why) < 0) {
                say(c->report, "domain '%s': property '%s': %s", shown, pname, why);
                failed |= 1u << i;
                d->ok = false;
            }
        }
    }

    if (!(seen & (1u << P_MEMORY)))
        say(c->report, "domain '%s': property 'memory': missing", shown);
    if (!(seen & (1u << P_KERNEL)))
        say(c->report, "domain '%s': property 'kernel': missing", shown);
    if (!(seen & (1u << P_MEMORY)) || !(seen & (1u << P_KERNEL)))
        d->ok = false;
    if (!(seen & (1u << P_MAX_MEMORY)))
        d->max_memory_kib = d->memory_kib;
    else if (!(failed & (1u << P_MEMORY | 1u << P_MAX_MEMORY)) &&
             d->max_memory_kib < d->memory_kib) {
        say(c->report, "domain '%s': property 'max-memory': %llu KiB is less than "
            "memory (%llu KiB)", shown, (unsigned long long)d->max_memory_kib,
            (unsigned long long)d->memory_kib);
        d->ok = false;
    }
    check_placement(c, idx, shown);
    return NULL;
}

static const char *parse_domains(struct parse_ctx *c, const struct fdt *f, size_t *off)
{
    struct fdt_tok t;
    const char *err;

    for (;;) {
        if ((err = fdt_next_real(f, off, &t)))
            return err;
        if (t.type == FDT_END_NODE)
            return NULL;
        if (t.type == FDT_BEGIN_NODE) {
            if ((err = parse_domain(c, f, off, &t)))
                return err;
        } else if (t.type == FDT_PROP) {
            char pname[SAFE_MAX + 1];
            safe(pname, t.name);
            say(c->report, "node '/domains': property '%s': unknown property, ignored", pname);
        } else {
            return "unexpected token in /domains";
        }
    }
}

static bool root_prop_known(const char *name)
{
    static const char *const known[] = {
        "compatible", "model", "#address-cells", "#size-cells",
    };

    for (unsigned int i = 0; i < ARRAY_SIZE(known); i++)
        if (strcmp(known[i], name) == 0)
            return true;
    return false;
}

/* The root's children.  -1: the config is unusable (reported). */
static int parse_root(struct parse_ctx *c, const struct fdt *f)
{
    size_t off = 0;
    bool compatible = false, have_domains = false;
    struct fdt_tok t;
    const char *err;

    if ((err = fdt_next_real(f, &off, &t)) || t.type != FDT_BEGIN_NODE)
        goto bad;
    for (;;) {
        if ((err = fdt_next_real(f, &off, &t)))
            goto bad;
        if (t.type == FDT_PROP) {
            char pname[SAFE_MAX + 1];
            if (strcmp(t.name, "compatible") == 0)
                compatible = prop_has_string(&t, "mica,boot-config");
            else if (!root_prop_known(t.name)) {
                safe(pname, t.name);
                say(c->report, "root node: property '%s': unknown property, ignored", pname);
            }
            continue;
        }
        /* Properties come first (fdt_check_struct), so compatible is known. */
        if (!compatible) {
            say(c->report, "root node: property 'compatible': must list \"mica,boot-config\"");
            return -1;
        }
        if (t.type == FDT_END_NODE)
            break;
        if (t.type != FDT_BEGIN_NODE)
            goto bad;
        char nname[SAFE_MAX + 1];
        safe(nname, t.name);
        if (strcmp(t.name, "domains") == 0 && !have_domains) {
            have_domains = true;
            if ((err = parse_domains(c, f, &off)))
                goto bad;
            continue;
        }
        if (strcmp(t.name, "domains") == 0)
            say(c->report, "node '/domains': given twice, the second is ignored");
        else
            say(c->report, "node '/%s': unknown node, ignored", nname);
        if ((err = fdt_skip_node(f, &off)))
            goto bad;
    }
    if (!have_domains) {
        say(c->report, "root node: no 'domains' node");
        return -1;
    }
    return 0;
bad:
    /* Not reached after fdt_check_struct: kept so every path is checked. */
    say(c->report, "structure: %s", err ? err : "root is not a node");
    return -1;
}

int boot_config_parse(const void *blob, size_t len, const char *const *module_names,
                      unsigned int nr_modules, struct boot_config *out,
                      void (*report)(const char *msg))
{
    struct parse_ctx c = {
        .module_names = module_names, .nr_modules = module_names ? nr_modules : 0,
        .out = out, .report = report,
    };
    struct fdt f;
    const char *why;
    uint32_t where;
    int ok = 0;

    memset(out, 0, sizeof(*out));
    if ((why = fdt_open(blob, len, &f))) {
        say(report, "header: %s", why);
        return -EINVAL;
    }
    if ((why = fdt_check_struct(&f, &where))) {
        say(report, "structure: offset 0x%x: %s", where, why);
        return -EINVAL;
    }
    if (parse_root(&c, &f) < 0) {
        out->nr = 0;
        return -EINVAL;
    }
    for (unsigned int i = 0; i < out->nr; i++)
        ok += out->dom[i].ok;
    return ok;
}

int boot_config_check_memory(struct boot_config *cfg, uint64_t free_kib,
                             void (*report)(const char *msg))
{
    int ok = 0;

    for (unsigned int i = 0; i < cfg->nr; i++) {
        struct boot_domain *d = &cfg->dom[i];

        if (!d->ok)
            continue;
        if (d->memory_kib > free_kib) {
            say(report, "domain '%s': property 'memory': %llu KiB is more than is free "
                "(%llu KiB)", d->name, (unsigned long long)d->memory_kib,
                (unsigned long long)free_kib);
            d->ok = false;
            continue;
        }
        free_kib -= d->memory_kib;
        ok++;
    }
    return ok;
}
