/* SPDX-License-Identifier: MIT */
/*
 * vsnprintf for the hypervisor: the subset of C99 printf that log messages
 * use (%d %i %u %x %X %o %c %s %p %%, flags "-0+ #", width and precision
 * incl. '*', length hh h l ll z t j).  Output is always NUL-terminated when
 * size > 0 and the return value is the length the full output would have,
 * as in C99, so callers can detect truncation.  Pure code: unit-tested on
 * the host against the C library's printf.
 */
#include <stdarg.h>
#include <mica/printk.h>
#include <mica/string.h>

struct out {
    char *buf;
    size_t size;
    size_t len;     /* characters produced so far, even past size */
};

static void put(struct out *o, char c)
{
    if (o->len + 1 < o->size)
        o->buf[o->len] = c;
    o->len++;
}

static void pad(struct out *o, char c, int n)
{
    while (n-- > 0)
        put(o, c);
}

struct spec {
    bool left, zero, plus, space, alt;
    int width;      /* -1: none */
    int prec;       /* -1: none */
};

static void put_number(struct out *o, const struct spec *sp, uint64_t v,
                       bool negative, unsigned base, bool upper)
{
    const char *digits = upper ? "0123456789ABCDEF" : "0123456789abcdef";
    char tmp[24];
    int n = 0;

    /* C99: precision 0 with value 0 prints no digits at all. */
    if (!(v == 0 && sp->prec == 0)) {
        do {
            tmp[n++] = digits[v % base];
            v /= base;
        } while (v);
    }

    const char *prefix = "";
    if (negative)
        prefix = "-";
    else if (sp->plus)
        prefix = "+";
    else if (sp->space)
        prefix = " ";
    if (sp->alt && base == 16 && n > 0 && !(n == 1 && tmp[0] == '0'))
        prefix = upper ? "0X" : "0x";
    if (sp->alt && base == 8 && (n == 0 || tmp[n - 1] != '0'))
        tmp[n++] = '0';

    int zeros = sp->prec > n ? sp->prec - n : 0;
    int plen = (int)strlen(prefix);
    int fill = sp->width - plen - zeros - n;

    if (sp->zero && !sp->left && sp->prec < 0) {
        zeros += fill > 0 ? fill : 0;
        fill = 0;
    }
    if (!sp->left)
        pad(o, ' ', fill);
    for (const char *p = prefix; *p; p++)
        put(o, *p);
    pad(o, '0', zeros);
    while (n > 0)
        put(o, tmp[--n]);
    if (sp->left)
        pad(o, ' ', fill);
}

static void put_string(struct out *o, const struct spec *sp, const char *s)
{
    if (!s)
        s = "(null)";
    int n = (int)(sp->prec >= 0 ? strnlen(s, (size_t)sp->prec) : strlen(s));
    int fill = sp->width - n;

    if (!sp->left)
        pad(o, ' ', fill);
    for (int i = 0; i < n; i++)
        put(o, s[i]);
    if (sp->left)
        pad(o, ' ', fill);
}

/* Parse flags, width and precision at *fmt; leaves *fmt at the length. */
static void parse_spec(const char **fmt, va_list *ap, struct spec *sp)
{
    const char *f = *fmt;

    *sp = (struct spec){ .width = -1, .prec = -1 };
    for (;; f++) {
        if (*f == '-') sp->left = true;
        else if (*f == '0') sp->zero = true;
        else if (*f == '+') sp->plus = true;
        else if (*f == ' ') sp->space = true;
        else if (*f == '#') sp->alt = true;
        else break;
    }
    if (*f == '*') {
        sp->width = va_arg(*ap, int);
        if (sp->width < 0) {
            sp->left = true;
            sp->width = -sp->width;
        }
        f++;
    } else {
        for (sp->width = 0; *f >= '0' && *f <= '9'; f++)
            sp->width = sp->width * 10 + (*f - '0');
    }
    if (*f == '.') {
        f++;
        if (*f == '*') {
            sp->prec = va_arg(*ap, int);
            if (sp->prec < 0)
                sp->prec = -1;
            f++;
        } else {
            for (sp->prec = 0; *f >= '0' && *f <= '9'; f++)
                sp->prec = sp->prec * 10 + (*f - '0');
        }
    }
    *fmt = f;
}

enum len { LEN_HH, LEN_H, LEN_INT, LEN_L, LEN_LL, LEN_SIZE };

static enum len parse_len(const char **fmt)
{
    const char *f = *fmt;
    enum len l = LEN_INT;

    if (f[0] == 'h' && f[1] == 'h') { l = LEN_HH; f += 2; }
    else if (f[0] == 'h') { l = LEN_H; f++; }
    else if (f[0] == 'l' && f[1] == 'l') { l = LEN_LL; f += 2; }
    else if (f[0] == 'l') { l = LEN_L; f++; }
    else if (f[0] == 'z' || f[0] == 't' || f[0] == 'j') { l = LEN_SIZE; f++; }
    *fmt = f;
    return l;
}

static int64_t arg_signed(va_list *ap, enum len l)
{
    switch (l) {
    case LEN_HH: return (signed char)va_arg(*ap, int);
    case LEN_H: return (short)va_arg(*ap, int);
    case LEN_INT: return va_arg(*ap, int);
    case LEN_L: return va_arg(*ap, long);
    case LEN_LL: return va_arg(*ap, long long);
    default: return (int64_t)va_arg(*ap, ptrdiff_t);
    }
}

static uint64_t arg_unsigned(va_list *ap, enum len l)
{
    switch (l) {
    case LEN_HH: return (unsigned char)va_arg(*ap, unsigned);
    case LEN_H: return (unsigned short)va_arg(*ap, unsigned);
    case LEN_INT: return va_arg(*ap, unsigned);
    case LEN_L: return va_arg(*ap, unsigned long);
    case LEN_LL: return va_arg(*ap, unsigned long long);
    default: return va_arg(*ap, size_t);
    }
}

int mica_vsnprintf(char *buf, size_t size, const char *fmt, va_list args)
{
    struct out o = { buf, size, 0 };
    struct spec sp;
    va_list ap;

    va_copy(ap, args);
    while (*fmt) {
        if (*fmt != '%') {
            put(&o, *fmt++);
            continue;
        }
        fmt++;
        parse_spec(&fmt, &ap, &sp);
        enum len l = parse_len(&fmt);
        char c = *fmt ? *fmt++ : '\0';

        switch (c) {
        case 'd': case 'i': {
            int64_t v = arg_signed(&ap, l);
            uint64_t mag = v < 0 ? -(uint64_t)v : (uint64_t)v;
            put_number(&o, &sp, mag, v < 0, 10, false);
            break;
        }
        case 'u': put_number(&o, &sp, arg_unsigned(&ap, l), false, 10, false); break;
        case 'x': put_number(&o, &sp, arg_unsigned(&ap, l), false, 16, false); break;
        case 'X': put_number(&o, &sp, arg_unsigned(&ap, l), false, 16, true); break;
        case 'o': put_number(&o, &sp, arg_unsigned(&ap, l), false, 8, false); break;
        case 'p': {
            struct spec ps = { .alt = false, .width = -1, .prec = 16 };
            put(&o, '0');
            put(&o, 'x');
            put_number(&o, &ps, (uintptr_t)va_arg(ap, void *), false, 16, false);
            break;
        }
        case 'c': {
            char s[2] = { (char)va_arg(ap, int), '\0' };
            sp.prec = 1;
            put_string(&o, &sp, s);
            break;
        }
        case 's': put_string(&o, &sp, va_arg(ap, const char *)); break;
        case '%': put(&o, '%'); break;
        case '\0': break;       /* a lone '%' at the end prints nothing */
        default:                /* unknown conversion: show it verbatim */
            put(&o, '%');
            put(&o, c);
            break;
        }
    }
    va_end(ap);
    if (size)
        buf[o.len < size ? o.len : size - 1] = '\0';
    return o.len > INT32_MAX ? INT32_MAX : (int)o.len;
}

int mica_snprintf(char *buf, size_t size, const char *fmt, ...)
{
    va_list ap;
    int n;

    va_start(ap, fmt);
    n = mica_vsnprintf(buf, size, fmt, ap);
    va_end(ap);
    return n;
}
