/* SPDX-License-Identifier: MIT */
/*
 * Hypervisor command-line parsing.  One table names every option and its
 * handler; a handler that rejects its value leaves the default in place and
 * the parser records a warning that main() prints once the console is up.
 */
#include <mica/cmdline.h>
#include <mica/string.h>

static void warn(struct boot_options *o, const char *fmt, const char *s,
                 size_t len)
{
    if (o->nr_warnings == CMDLINE_MAX_WARNINGS) {
        o->warnings_dropped++;
        return;
    }
    mica_snprintf(o->warnings[o->nr_warnings++], CMDLINE_WARNING_LEN, fmt,
                  (int)MIN(len, 60), s);
}

static bool word_is(const char *s, size_t len, const char *word)
{
    return strlen(word) == len && memcmp(s, word, len) == 0;
}

bool parse_size(const char *s, size_t len, uint64_t *out)
{
    uint64_t v = 0;
    size_t i = 0;
    unsigned int shift = 10;        /* no suffix: KiB, as Xen */

    if (len == 0 || s[0] < '0' || s[0] > '9')
        return false;
    for (; i < len && s[i] >= '0' && s[i] <= '9'; i++) {
        if (v > (UINT64_MAX - 9) / 10)
            return false;
        v = v * 10 + (uint64_t)(s[i] - '0');
    }
    if (i + 1 == len) {
        switch (s[i] | 0x20) {
        case 'b': shift = 0; break;
        case 'k': shift = 10; break;
        case 'm': shift = 20; break;
        case 'g': shift = 30; break;
        case 't': shift = 40; break;
        default: return false;
        }
    } else if (i != len) {
        return false;
    }
    if (v > (UINT64_MAX >> shift))
        return false;
    *out = v << shift;
    return true;
}

static bool opt_console(struct boot_options *o, const char *v, size_t n)
{
    if (word_is(v, n, "com1"))
        o->console_serial = true;
    else if (word_is(v, n, "none"))
        o->console_serial = false;
    else
        return false;
    return true;
}

static bool opt_loglvl(struct boot_options *o, const char *v, size_t n)
{
    static const char *const names[] = { "err", "warn", "info", "debug" };

    for (unsigned int i = 0; i < ARRAY_SIZE(names); i++) {
        if (word_is(v, n, names[i]) || (n == 1 && v[0] == (char)('0' + i))) {
            o->loglvl = (enum log_level)i;
            return true;
        }
    }
    if (word_is(v, n, "all")) {
        o->loglvl = LOG_DEBUG;
        return true;
    }
    return false;
}

static bool opt_mem(struct boot_options *o, const char *v, size_t n)
{
    uint64_t sz;

    if (!parse_size(v, n, &sz) || sz < MiB(16))
        return false;       /* less than 16 MiB cannot even hold Mica */
    o->mem_max = sz;
    return true;
}

/* One dom0_mem= amount: ['-'] ( <size> ['+' <frac> '%'] | <frac> '%' ). */
static bool parse_dom0_size(const char *p, size_t len, struct dom0_size *out)
{
    struct dom0_size sz = { .set = true };
    size_t i = 0;

    if (len && p[0] == '-')
        sz.minus = true, i = 1;
    if (i == len)
        return false;
    size_t plus = i;
    while (plus < len && p[plus] != '+')
        plus++;
    if (len > i && p[len - 1] == '%') {
        /* The share: after the '+', or all of it. */
        size_t f = plus < len ? plus + 1 : i;
        unsigned int pct = 0;
        if (f == len - 1)
            return false;
        for (size_t k = f; k < len - 1; k++) {
            if (p[k] < '0' || p[k] > '9' || (pct = pct * 10 + (unsigned)(p[k] - '0')) > 99)
                return false;
        }
        sz.percent = pct;
        if (plus == len)
            plus = i;           /* no offset */
    } else if (plus != len) {
        return false;           /* '+' without a share */
    }
    if (plus == i && p[plus] == '+')
        return false;           /* a share after '+' needs an offset before it */
    if (plus > i && !parse_size(p + i, plus - i, &sz.bytes))
        return false;
    *out = sz;
    return true;
}

uint64_t dom0_size_resolve(const struct dom0_size *s, uint64_t avail)
{
    uint64_t amount = s->bytes + avail / 100 * s->percent;

    return s->minus ? (avail > amount ? avail - amount : 0) : amount;
}

/* dom0_mem=<sz>[,max:<sz>][,min:<sz>], parts in any order. */
static bool opt_dom0_mem(struct boot_options *o, const char *v, size_t n)
{
    struct dom0_size amount = { 0 }, max = { 0 }, min = { 0 };
    size_t i = 0;

    while (i < n) {
        size_t j = i;
        while (j < n && v[j] != ',')
            j++;
        const char *p = v + i;
        size_t len = j - i;
        struct dom0_size *dst = &amount;
        if (len > 4 && memcmp(p, "max:", 4) == 0) {
            dst = &max;
            p += 4, len -= 4;
        } else if (len > 4 && memcmp(p, "min:", 4) == 0) {
            dst = &min;
            p += 4, len -= 4;
        }
        if (!parse_dom0_size(p, len, dst))
            return false;
        i = j + 1;
    }
    o->dom0_mem = amount;
    o->dom0_mem_max = max;
    o->dom0_mem_min = min;
    return true;
}

/* A decimal number in [lo, hi]. */
static bool parse_uint(const char *v, size_t n, unsigned int lo, unsigned int hi,
                       unsigned int *out)
{
    uint64_t x = 0;

    if (n == 0 || n > 9)
        return false;
    for (size_t i = 0; i < n; i++) {
        if (v[i] < '0' || v[i] > '9')
            return false;
        x = x * 10 + (uint64_t)(v[i] - '0');
    }
    if (x < lo || x > hi)
        return false;
    *out = (unsigned int)x;
    return true;
}

/* dom0_max_vcpus=<n>: dom0's vCPUs (Xen's option; 1-32). */
static bool opt_dom0_max_vcpus(struct boot_options *o, const char *v, size_t n)
{
    return parse_uint(v, n, 1, 32, &o->dom0_max_vcpus);
}

/* sched_slice_ms=<n>: the scheduler's time slice, 1-1000 ms. */
static bool opt_sched_slice_ms(struct boot_options *o, const char *v, size_t n)
{
    return parse_uint(v, n, 1, 1000, &o->sched_slice_ms);
}

static bool opt_debug_fault(struct boot_options *o, const char *v, size_t n)
{
    static const struct { const char *name; enum debug_fault f; } kinds[] = {
        { "pf", DEBUG_FAULT_PF }, { "gp", DEBUG_FAULT_GP },
        { "ud", DEBUG_FAULT_UD }, { "de", DEBUG_FAULT_DE },
        { "bp", DEBUG_FAULT_BP }, { "panic", DEBUG_FAULT_PANIC },
    };

    for (unsigned int i = 0; i < ARRAY_SIZE(kinds); i++) {
        if (word_is(v, n, kinds[i].name)) {
            o->debug_fault = kinds[i].f;
            return true;
        }
    }
    return false;
}

static const struct {
    const char *key;
    bool (*parse)(struct boot_options *o, const char *val, size_t len);
} options[] = {
    { "console", opt_console },
    { "loglvl", opt_loglvl },
    { "mem", opt_mem },
    { "dom0_mem", opt_dom0_mem },
    { "dom0_max_vcpus", opt_dom0_max_vcpus },
    { "sched_slice_ms", opt_sched_slice_ms },
    { "debug_fault", opt_debug_fault },
};

static void parse_one(struct boot_options *o, const char *tok, size_t len)
{
    const char *eq = memchr(tok, '=', len);
    size_t klen = eq ? (size_t)(eq - tok) : len;

    for (unsigned int i = 0; i < ARRAY_SIZE(options); i++) {
        if (!word_is(tok, klen, options[i].key))
            continue;
        if (!eq || !options[i].parse(o, eq + 1, len - klen - 1))
            warn(o, "bad value in option '%.*s', ignored", tok, len);
        return;
    }
    warn(o, "unknown option '%.*s', ignored", tok, len);
}

/* The line as the boot loader gave it, for XENVER_commandline. */
static char saved[CMDLINE_SAVED_LEN];

const char *cmdline_saved(void)
{
    return saved;
}

void cmdline_parse(const char *cmdline, struct boot_options *o)
{
    mica_snprintf(saved, sizeof(saved), "%s", cmdline ? cmdline : "");
    memset(o, 0, sizeof(*o));
    o->console_serial = true;
    o->loglvl = LOG_INFO;

    const char *p = cmdline ? cmdline : "";
    bool first = true;

    while (*p) {
        while (*p == ' ' || *p == '\t')
            p++;
        const char *tok = p;
        while (*p && *p != ' ' && *p != '\t')
            p++;
        size_t len = (size_t)(p - tok);
        if (!len)
            continue;
        /* Some loaders put the image's path first: skip a leading word that
         * looks like a path rather than an option. */
        if (first && tok[0] == '/' && !memchr(tok, '=', len)) {
            first = false;
            continue;
        }
        first = false;
        parse_one(o, tok, len);
    }
}
