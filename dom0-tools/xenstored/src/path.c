/* SPDX-License-Identifier: MIT */
/*
 * Path validation and the few string operations the store needs on paths.
 * Every path a request names passes through path_canon() before it is
 * looked up, so the store itself only ever sees valid absolute paths.
 */
#include <stdio.h>
#include <string.h>

#include "path.h"

static bool valid_char(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
           (c >= '0' && c <= '9') || c == '/' || c == '_' || c == '@' ||
           c == '-';
}

bool path_is_special(const char *p)
{
    return strcmp(p, XS_SPECIAL_INTRODUCE) == 0 ||
           strcmp(p, XS_SPECIAL_RELEASE) == 0;
}

/* Length of "/local/domain/<digits>/" at the start of p, or 0. */
static size_t home_prefix_len(const char *p)
{
    static const char pre[] = "/local/domain/";
    size_t n = sizeof(pre) - 1, d = 0;

    if (strncmp(p, pre, n) != 0)
        return 0;
    while (p[n + d] >= '0' && p[n + d] <= '9')
        d++;
    if (d == 0 || d > 5 || p[n + d] != '/')
        return 0;
    return n + d + 1;
}

int path_canon(char *out, const char *in, unsigned domid, unsigned rel_max,
               bool allow_special)
{
    size_t len, i;
    int n;

    if (in[0] == '@') {
        if (!allow_special || !path_is_special(in))
            return XEN_EINVAL;
        strcpy(out, in);
        return 0;
    }
    if (in[0] == '\0')
        return XEN_EINVAL;
    if (in[0] == '/')
        n = snprintf(out, PATH_BUF, "%s", in);
    else
        n = snprintf(out, PATH_BUF, "/local/domain/%u/%s", domid, in);
    if (n < 0 || n >= PATH_BUF)
        return XEN_EINVAL;
    len = (size_t)n;
    for (i = 0; i < len; i++) {
        if (!valid_char(out[i]))
            return XEN_EINVAL;
        if (out[i] == '/' && out[i + 1] == '/')
            return XEN_EINVAL;
    }
    if (len > 1 && out[len - 1] == '/')
        return XEN_EINVAL;
    if (rel_max && len - home_prefix_len(out) > rel_max)
        return XEN_EINVAL;
    return 0;
}

bool path_is_below(const char *pre, const char *p)
{
    size_t n = strlen(pre);

    if (strcmp(pre, "/") == 0)
        return p[0] == '/';
    return strncmp(pre, p, n) == 0 && (p[n] == '\0' || p[n] == '/');
}

void path_parent(char *out, const char *p)
{
    const char *slash = strrchr(p, '/');
    size_t n = slash ? (size_t)(slash - p) : 0;

    if (n == 0)
        n = 1;              /* parent of "/x" is "/" */
    memcpy(out, p, n);
    out[n] = '\0';
}

const char *path_base(const char *p)
{
    const char *slash = strrchr(p, '/');

    return slash ? slash + 1 : p;
}

const char *path_strip_home(const char *abs, unsigned domid)
{
    char home[32];
    int n = snprintf(home, sizeof(home), "/local/domain/%u/", domid);

    if (strncmp(abs, home, (size_t)n) == 0 && abs[n] != '\0')
        return abs + n;
    return abs;
}
