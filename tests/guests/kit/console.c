// SPDX-License-Identifier: MIT
/*
 * Console output through HYPERVISOR_console_io(CONSOLEIO_write), and a small
 * printf: %d %i %u %x %X %p %s %c %%, the l/ll/z length modifiers, '#',
 * '-', '0' and a field width.  Output is collected per line and written
 * with one hypercall per line, so the hypervisor's "(d0) " prefix always
 * starts a whole line of ours.
 */
#include "hypercall.h"
#include "kit.h"

struct out {
    char *buf;
    size_t size, len;
};

static void put(struct out *o, char c)
{
    if (o->len + 1 < o->size)
        o->buf[o->len] = c;
    o->len++;
}

static void put_padded(struct out *o, const char *s, size_t n, int width, bool left,
                       char pad)
{
    int fill = width > (int)n ? width - (int)n : 0;

    /* Zero padding goes after a sign or 0x prefix. */
    if (!left && pad == '0') {
        while (n && (*s == '-' || *s == 'x' || (*s == '0' && n > 1 && s[1] == 'x'))) {
            put(o, *s++);
            n--;
        }
    }
    for (; !left && fill > 0; fill--)
        put(o, pad);
    while (n--)
        put(o, *s++);
    for (; left && fill > 0; fill--)
        put(o, ' ');
}

static size_t format_number(char *tmp, uint64_t v, bool neg, unsigned int base, bool upper,
                            bool alt)
{
    const char *digits = upper ? "0123456789ABCDEF" : "0123456789abcdef";
    char rev[24];
    size_t n = 0, len = 0;

    do {
        rev[n++] = digits[v % base];
        v /= base;
    } while (v);
    if (neg)
        tmp[len++] = '-';
    if (alt && base == 16) {
        tmp[len++] = '0';
        tmp[len++] = 'x';
    }
    while (n)
        tmp[len++] = rev[--n];
    return len;
}

int kit_vsnprintf(char *buf, size_t size, const char *fmt, va_list ap)
{
    struct out o = { buf, size, 0 };

    for (; *fmt; fmt++) {
        if (*fmt != '%') {
            put(&o, *fmt);
            continue;
        }
        bool left = false, alt = false;
        char pad = ' ';
        int width = 0, lng = 0;

        for (fmt++;; fmt++) {
            if (*fmt == '-')
                left = true;
            else if (*fmt == '0')
                pad = '0';
            else if (*fmt == '#')
                alt = true;
            else
                break;
        }
        for (; *fmt >= '0' && *fmt <= '9'; fmt++)
            width = width * 10 + (*fmt - '0');
        for (; *fmt == 'l' || *fmt == 'z'; fmt++)
            lng++;

        char tmp[32];
        size_t n;
        uint64_t v;
        switch (*fmt) {
        case 'd':
        case 'i': {
            int64_t s = lng ? va_arg(ap, long) : va_arg(ap, int);
            n = format_number(tmp, s < 0 ? 0 - (uint64_t)s : (uint64_t)s, s < 0, 10,
                              false, false);
            put_padded(&o, tmp, n, width, left, pad);
            break;
        }
        case 'u':
        case 'x':
        case 'X':
            v = lng ? va_arg(ap, unsigned long) : va_arg(ap, unsigned int);
            n = format_number(tmp, v, false, *fmt == 'u' ? 10 : 16, *fmt == 'X',
                              alt && v != 0);
            put_padded(&o, tmp, n, width, left, pad);
            break;
        case 'p':
            v = (uint64_t)va_arg(ap, void *);
            n = format_number(tmp, v, false, 16, false, true);
            put_padded(&o, tmp, n, width, left, pad);
            break;
        case 's': {
            const char *s = va_arg(ap, const char *);
            if (!s)
                s = "(null)";
            put_padded(&o, s, strnlen(s, 4096), width, left, ' ');
            break;
        }
        case 'c':
            tmp[0] = (char)va_arg(ap, int);
            put_padded(&o, tmp, 1, width, left, ' ');
            break;
        case '%':
            put(&o, '%');
            break;
        case '\0':
            fmt--;              /* a lone '%' at the end */
            break;
        default:                /* unknown: print it as written */
            put(&o, '%');
            put(&o, *fmt);
            break;
        }
    }
    if (size)
        buf[o.len < size ? o.len : size - 1] = '\0';
    return (int)o.len;
}

int kit_snprintf(char *buf, size_t size, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    int n = kit_vsnprintf(buf, size, fmt, ap);
    va_end(ap);
    return n;
}

/* The line being assembled; a line longer than this is split. */
static char line[200];
static size_t line_len;

void kit_console_flush(void)
{
    if (line_len)
        (void)HYPERVISOR_console_io(CONSOLEIO_write, (unsigned int)line_len, line);
    line_len = 0;
}

void kit_printf(const char *fmt, ...)
{
    char buf[512];
    va_list ap;

    va_start(ap, fmt);
    int n = kit_vsnprintf(buf, sizeof(buf), fmt, ap);
    va_end(ap);
    if (n >= (int)sizeof(buf))
        n = sizeof(buf) - 1;
    for (int i = 0; i < n; i++) {
        line[line_len++] = buf[i];
        if (buf[i] == '\n' || line_len == sizeof(line))
            kit_console_flush();
    }
}

const char *kit_errno_name(long rc)
{
    static const struct {
        int err;
        const char *name;
    } names[] = {
        { XEN_EPERM, "EPERM" },   { XEN_ENOENT, "ENOENT" }, { XEN_ESRCH, "ESRCH" },
        { XEN_EAGAIN, "EAGAIN" }, { XEN_ENOMEM, "ENOMEM" }, { XEN_EACCES, "EACCES" },
        { XEN_EFAULT, "EFAULT" }, { XEN_EBUSY, "EBUSY" },   { XEN_EEXIST, "EEXIST" },
        { XEN_EINVAL, "EINVAL" }, { XEN_ENOSPC, "ENOSPC" }, { XEN_ENOSYS, "ENOSYS" },
        { XEN_EOPNOTSUPP, "EOPNOTSUPP" },
    };

    if (rc >= 0)
        return rc == 0 ? "ok" : "positive";
    for (size_t i = 0; i < ARRAY_SIZE(names); i++)
        if (rc == -names[i].err)
            return names[i].name;
    return "unknown errno";
}
