/* SPDX-License-Identifier: MIT */
/*
 * The xl.cfg grammar (xl.cfg(5) "SYNTAX"): a tokenizer and a recursive
 * descent parser into struct xl_cfg.  The text is hostile: it may hold any
 * byte, strings may not run past their line, lists nest at most
 * XL_CFG_MAX_DEPTH deep, and every error names its line and the token
 * it was found at.  The grammar, as libxlutil accepts it:
 *
 *   file    := { NEWLINE | ';' | setting }
 *   setting := KEY ( '=' | '+=' ) value ( NEWLINE | ';' | EOF )
 *   value   := STRING | NUMBER | '[' nl* [ value nl* { ',' nl* value nl* } [ ',' nl* ] ] ']'
 *
 * KEY is [A-Za-z_][A-Za-z0-9_]*.  A NUMBER is kept as written and checked
 * where it is used (decimal, 0 octal or 0x hex, xl.cfg(5)); a STRING is
 * "..." or '...' with the escapes \" \' \\ \a \b \f \n \r \t \v, \xHH
 * (two hex digits) and \ooo (one to three octal digits); a NUL is refused.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "libmica.h"
#include "xl_cfg.h"

enum tok {
    T_EOF, T_NEWLINE, T_SEMI, T_KEY, T_NUMBER, T_STRING,
    T_EQ, T_PLUSEQ, T_LBRACK, T_RBRACK, T_COMMA, T_BAD,
};

struct parser {
    struct xl_cfg *cfg;
    const char *source;
    const char *p, *end;
    int line;
    FILE *err;
    /* The current token. */
    enum tok tok;
    const char *start;          /* its text in the input */
    size_t len;
    int tline;
    char *str;                  /* T_STRING: the unquoted text (owned) */
    int rc;                     /* 0, or the first error */
};

/* The token as it was written, made safe to print: at most 32 bytes,
 * anything not printable shown as '?'. */
static const char *near(const struct parser *ps, char buf[40])
{
    size_t n = ps->len < 32 ? ps->len : 32, i;

    if (ps->tok == T_EOF)
        return "end of file";
    if (ps->tok == T_NEWLINE)
        return "end of line";
    for (i = 0; i < n; i++) {
        unsigned char c = (unsigned char)ps->start[i];
        buf[i] = c >= 0x20 && c < 0x7f ? (char)c : '?';
    }
    strcpy(buf + i, n < ps->len ? "..." : "");
    return buf;
}

static int syntax(struct parser *ps, const char *fmt, ...)
{
    char buf[40];
    va_list ap;

    if (ps->rc)
        return ps->rc;
    fprintf(ps->err, "%s:%d: ", ps->source, ps->tline);
    va_start(ap, fmt);
    vfprintf(ps->err, fmt, ap);
    va_end(ap);
    fprintf(ps->err, " (near '%s')\n", near(ps, buf));
    return ps->rc = -EINVAL;
}

static int hexval(int c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/* One escape after a backslash at *pp (which points past it) into *out:
 * NULL, or an error message.  *pp moves past what was read either way, so
 * that a message shows the bad escape whole. */
static const char *unescape(const char **pp, const char *end, char *out)
{
    const char *p = *pp;
    static const char plain[] = "\"\"''\\\\a\ab\bf\fn\nr\rt\tv\v";
    unsigned int v = 0;
    int n = 0;

    for (const char *e = plain; *e; e += 2) {
        if (*p == e[0]) {
            *out = e[1];
            *pp = p + 1;
            return NULL;
        }
    }
    if (*p == 'x') {
        p++;
        for (; n < 2 && p < end && hexval(*p) >= 0; n++)
            v = v * 16 + (unsigned int)hexval(*p++);
        *pp = p;
        if (n != 2)
            return "\\x needs two hex digits";
    } else if (*p >= '0' && *p <= '7') {
        for (; n < 3 && p < end && *p >= '0' && *p <= '7'; n++)
            v = v * 8 + (unsigned int)(*p++ - '0');
        *pp = p;
        if (v > 0xff)
            return "octal escape is more than 0377";
    } else {
        *pp = p + 1;
        return "unknown escape after backslash";
    }
    if (v == 0)
        return "a string may not contain a NUL";
    *out = (char)v;
    *pp = p;
    return NULL;
}

/* A quoted string from ps->p (at its opening quote) to its closing one. */
static enum tok lex_string(struct parser *ps)
{
    char q = *ps->p++;
    char *s = malloc((size_t)(ps->end - ps->p) + 1), *o = s;
    const char *why = "unterminated string";

    if (!s) {
        ps->rc = ps->rc ? ps->rc : -ENOMEM;
        return T_BAD;
    }
    while (ps->p < ps->end && *ps->p != q && *ps->p != '\n') {
        if (*ps->p == '\0') {
            why = "a string may not contain a NUL";
            goto bad;
        }
        if (*ps->p == '\\') {
            ps->p++;
            if (ps->p >= ps->end || *ps->p == '\n')
                goto bad;
            why = unescape(&ps->p, ps->end, o++);
            if (why)
                goto bad;
            why = "unterminated string";
        } else {
            *o++ = *ps->p++;
        }
    }
    if (ps->p >= ps->end || *ps->p != q)
        goto bad;
    ps->p++;
    *o = '\0';
    ps->str = s;
    return T_STRING;
bad:
    free(s);
    ps->len = (size_t)(ps->p - ps->start);
    ps->tok = T_BAD;
    syntax(ps, "%s", why);
    return T_BAD;
}

static bool is_key0(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
}

static bool is_key(char c)
{
    return is_key0(c) || (c >= '0' && c <= '9');
}

/* A number runs over letters, digits, '.' and '_' so that "12abc" is one
 * token the user sees whole in the message about it. */
static bool is_num(char c)
{
    return is_key(c) || c == '.';
}

static enum tok lex(struct parser *ps)
{
    free(ps->str);
    ps->str = NULL;
    while (ps->p < ps->end) {
        char c = *ps->p;
        if (c == ' ' || c == '\t' || c == '\r')
            ps->p++;
        else if (c == '#')
            while (ps->p < ps->end && *ps->p != '\n')
                ps->p++;
        else
            break;
    }
    ps->start = ps->p;
    ps->tline = ps->line;
    if (ps->p >= ps->end) {
        ps->len = 0;
        return ps->tok = T_EOF;
    }
    char c = *ps->p;
    enum tok t = T_BAD;
    if (c == '\n') {
        ps->p++;
        ps->line++;
        t = T_NEWLINE;
    } else if (c == '"' || c == '\'') {
        t = lex_string(ps);
    } else if (is_key0(c)) {
        while (ps->p < ps->end && is_key(*ps->p))
            ps->p++;
        t = T_KEY;
    } else if ((c >= '0' && c <= '9') ||
               (c == '-' && ps->p + 1 < ps->end && ps->p[1] >= '0' && ps->p[1] <= '9')) {
        ps->p++;
        while (ps->p < ps->end && is_num(*ps->p))
            ps->p++;
        t = T_NUMBER;
    } else if (c == '+' && ps->p + 1 < ps->end && ps->p[1] == '=') {
        ps->p += 2;
        t = T_PLUSEQ;
    } else {
        static const char single[] = ";=[],";
        static const enum tok kinds[] = { T_SEMI, T_EQ, T_LBRACK, T_RBRACK, T_COMMA };
        const char *s = c ? strchr(single, c) : NULL;
        ps->p++;
        t = s ? kinds[s - single] : T_BAD;
    }
    ps->len = (size_t)(ps->p - ps->start);
    return ps->tok = t;
}

static void value_free(struct xl_cfg_value *v)
{
    free(v->text);
    for (unsigned int i = 0; i < v->n; i++)
        value_free(&v->items[i]);
    free(v->items);
    memset(v, 0, sizeof(*v));
}

static int oom(struct parser *ps)
{
    if (!ps->rc) {
        fprintf(ps->err, "%s: reading the configuration: %s\n", ps->source,
                mica_strerror(ENOMEM));
        ps->rc = -ENOMEM;
    }
    return ps->rc;
}

static void skip_newlines(struct parser *ps)
{
    while (ps->tok == T_NEWLINE)
        lex(ps);
}

static int parse_value(struct parser *ps, struct xl_cfg_value *v, int depth);

/* The items of a list, after its '['. */
static int parse_list(struct parser *ps, struct xl_cfg_value *v, int depth)
{
    unsigned int cap = 0;

    if (depth >= XL_CFG_MAX_DEPTH)
        return syntax(ps, "lists nested more than %d deep", XL_CFG_MAX_DEPTH);
    lex(ps);
    skip_newlines(ps);
    while (ps->tok != T_RBRACK) {
        if (v->n == cap) {
            unsigned int ncap = cap ? cap * 2 : 4;
            struct xl_cfg_value *n = realloc(v->items, ncap * sizeof(*n));
            if (!n)
                return oom(ps);
            v->items = n;
            cap = ncap;
        }
        memset(&v->items[v->n], 0, sizeof(v->items[0]));
        if (parse_value(ps, &v->items[v->n], depth + 1)) {
            value_free(&v->items[v->n]);
            return ps->rc;
        }
        v->n++;
        skip_newlines(ps);
        if (ps->tok == T_COMMA) {
            lex(ps);
            skip_newlines(ps);
        } else if (ps->tok != T_RBRACK) {
            return syntax(ps, "expected ',' or ']' in a list");
        }
    }
    lex(ps);
    return 0;
}

/* One value at the current token; leaves the token after it current. */
static int parse_value(struct parser *ps, struct xl_cfg_value *v, int depth)
{
    v->line = ps->tline;
    switch (ps->tok) {
    case T_STRING:
        v->kind = XL_CFG_STRING;
        v->text = ps->str;
        ps->str = NULL;
        break;
    case T_NUMBER:
        v->kind = XL_CFG_NUMBER;
        v->text = strndup(ps->start, ps->len);
        if (!v->text)
            return oom(ps);
        break;
    case T_LBRACK:
        v->kind = XL_CFG_LIST;
        return parse_list(ps, v, depth);
    case T_KEY:
        return syntax(ps, "expected a value (strings need quotes)");
    case T_BAD:
        if (ps->rc)
            return ps->rc;
        /* fall through */
    default:
        return syntax(ps, "expected a value");
    }
    lex(ps);
    return 0;
}


static int value_copy(struct xl_cfg_value *to, const struct xl_cfg_value *from)
{
    *to = (struct xl_cfg_value){ .kind = from->kind, .line = from->line };
    if (from->text && !(to->text = strdup(from->text)))
        return -ENOMEM;
    if (from->n) {
        to->items = calloc(from->n, sizeof(*to->items));
        if (!to->items)
            return -ENOMEM;
        for (; to->n < from->n; to->n++)
            if (value_copy(&to->items[to->n], &from->items[to->n])) {
                to->n++;
                return -ENOMEM;
            }
    }
    return 0;
}

/* `key += value`: the earlier setting's string or list with this one
 * appended becomes the value (libxlutil's concatenation); with no earlier
 * setting it is a plain `=`. */
static int append_to(struct parser *ps, const char *key, struct xl_cfg_value *v)
{
    const struct xl_cfg_setting *old = xl_cfg_find(ps->cfg, key);

    if (!old)
        return 0;
    const struct xl_cfg_value *o = &old->value;
    if (o->kind != v->kind || o->kind == XL_CFG_NUMBER)
        return syntax(ps, "%s: += adds a string to a string or a list to a list", key);
    if (o->kind == XL_CFG_STRING) {
        size_t a = strlen(o->text), b = strlen(v->text);
        char *s = malloc(a + b + 1);
        if (!s)
            return oom(ps);
        memcpy(s, o->text, a);
        memcpy(s + a, v->text, b + 1);
        free(v->text);
        v->text = s;
        return 0;
    }
    struct xl_cfg_value *items = calloc((size_t)o->n + v->n + 1, sizeof(*items));
    unsigned int i;
    if (!items)
        return oom(ps);
    for (i = 0; i < o->n; i++) {
        if (value_copy(&items[i], &o->items[i])) {
            for (unsigned int j = 0; j <= i; j++)
                value_free(&items[j]);
            free(items);
            return oom(ps);
        }
    }
    if (v->n)
        memcpy(&items[i], v->items, v->n * sizeof(*items));
    free(v->items);
    v->items = items;
    v->n += o->n;
    return 0;
}

static int add_setting(struct parser *ps, char *key, struct xl_cfg_value *v, int line)
{
    struct xl_cfg *cfg = ps->cfg;

    if (cfg->n >= XL_CFG_MAX_SETTINGS)
        return syntax(ps, "more than %d settings", XL_CFG_MAX_SETTINGS);
    if (cfg->n == cfg->cap) {
        unsigned int ncap = cfg->cap ? cfg->cap * 2 : 16;
        struct xl_cfg_setting *n = realloc(cfg->set, ncap * sizeof(*n));
        if (!n)
            return oom(ps);
        cfg->set = n;
        cfg->cap = ncap;
    }
    cfg->set[cfg->n++] = (struct xl_cfg_setting){
        .source = ps->source, .line = line, .key = key, .value = *v,
    };
    return 0;
}

/* One setting, at its KEY token. */
static int parse_setting(struct parser *ps)
{
    struct xl_cfg_value v = { 0 };
    int line = ps->tline;
    char *key = strndup(ps->start, ps->len);
    bool plus;

    if (!key)
        return oom(ps);
    lex(ps);
    if (ps->tok != T_EQ && ps->tok != T_PLUSEQ) {
        free(key);
        return syntax(ps, "expected '=' after the key");
    }
    plus = ps->tok == T_PLUSEQ;
    lex(ps);
    if (parse_value(ps, &v, 0) || (plus && append_to(ps, key, &v)))
        goto fail;
    if (ps->tok != T_NEWLINE && ps->tok != T_SEMI && ps->tok != T_EOF) {
        syntax(ps, "expected the end of the setting");
        goto fail;
    }
    if (add_setting(ps, key, &v, line))
        goto fail;
    return 0;
fail:
    free(key);
    value_free(&v);
    return ps->rc;
}

/* `source` as a name the settings can point to for as long as cfg lives. */
static const char *keep_source(struct xl_cfg *cfg, const char *source)
{
    for (unsigned int i = 0; i < cfg->n_sources; i++)
        if (!strcmp(cfg->sources[i], source))
            return cfg->sources[i];
    char **n = realloc(cfg->sources, (cfg->n_sources + 1) * sizeof(*n));
    if (!n)
        return NULL;
    cfg->sources = n;
    if (!(n[cfg->n_sources] = strdup(source)))
        return NULL;
    return n[cfg->n_sources++];
}

static int parse(struct xl_cfg *cfg, const char *source, const char *text, size_t len,
                 int first_line, FILE *err)
{
    struct parser ps = {
        .cfg = cfg, .p = text, .end = text + len, .line = first_line, .err = err,
    };
    unsigned int before = cfg->n;

    ps.source = keep_source(cfg, source);
    if (!ps.source) {
        fprintf(err, "%s: reading the configuration: %s\n", source, mica_strerror(ENOMEM));
        return -ENOMEM;
    }
    if (len > XL_CFG_MAX_BYTES) {
        /* mica_strerror does not name EFBIG (yet). */
        fprintf(err, "%s: larger than %u bytes: EFBIG: file too large\n", source,
                XL_CFG_MAX_BYTES);
        return -EFBIG;
    }
    lex(&ps);
    while (!ps.rc && ps.tok != T_EOF) {
        if (ps.tok == T_NEWLINE || ps.tok == T_SEMI)
            lex(&ps);
        else if (ps.tok == T_KEY)
            parse_setting(&ps);
        else if (ps.tok != T_BAD || !ps.rc)
            syntax(&ps, "expected a setting KEY = VALUE");
    }
    free(ps.str);
    if (ps.rc) {
        /* All of this text or none of it. */
        while (cfg->n > before) {
            struct xl_cfg_setting *s = &cfg->set[--cfg->n];
            free(s->key);
            value_free(&s->value);
        }
    }
    return ps.rc;
}

void xl_cfg_init(struct xl_cfg *cfg)
{
    memset(cfg, 0, sizeof(*cfg));
}

void xl_cfg_free(struct xl_cfg *cfg)
{
    for (unsigned int i = 0; i < cfg->n; i++) {
        free(cfg->set[i].key);
        value_free(&cfg->set[i].value);
    }
    free(cfg->set);
    for (unsigned int i = 0; i < cfg->n_sources; i++)
        free(cfg->sources[i]);
    free(cfg->sources);
    memset(cfg, 0, sizeof(*cfg));
}

int xl_cfg_parse_string(struct xl_cfg *cfg, const char *source, const char *text, size_t len,
                        FILE *err)
{
    return parse(cfg, source, text, len, 1, err);
}

int xl_cfg_parse_override(struct xl_cfg *cfg, const char *arg, int position, FILE *err)
{
    return parse(cfg, "command line", arg, strlen(arg), position, err);
}

int xl_cfg_parse_file(struct xl_cfg *cfg, const char *path, FILE *err)
{
    FILE *f = fopen(path, "r");
    char *buf = NULL;
    size_t len = 0;
    int rc;

    if (!f) {
        rc = errno;
        fprintf(err, "%s: cannot open: %s\n", path, mica_strerror(rc));
        return -rc;
    }
    /* One byte more than the limit tells a file that is too large. */
    buf = malloc(XL_CFG_MAX_BYTES + 1);
    if (!buf) {
        fclose(f);
        fprintf(err, "%s: reading the configuration: %s\n", path, mica_strerror(ENOMEM));
        return -ENOMEM;
    }
    len = fread(buf, 1, XL_CFG_MAX_BYTES + 1, f);
    if (ferror(f)) {
        rc = errno ? errno : EIO;
        fprintf(err, "%s: cannot read: %s\n", path, mica_strerror(rc));
        rc = -rc;
    } else {
        rc = parse(cfg, path, buf, len, 1, err);
    }
    fclose(f);
    free(buf);
    return rc;
}

const struct xl_cfg_setting *xl_cfg_find(const struct xl_cfg *cfg, const char *key)
{
    for (unsigned int i = cfg->n; i-- > 0;)
        if (!strcmp(cfg->set[i].key, key))
            return &cfg->set[i];
    return NULL;
}
