/* SPDX-License-Identifier: MIT */
/*
 * Permission strings and access decisions; see perms.h for the model.
 * Kept apart from the store so the rules can be unit-tested alone.
 */
#include <stdio.h>
#include <string.h>

#include <abi/errno.h>

#include "perms.h"

bool parse_uint(const char *s, unsigned long max, unsigned long *out)
{
    unsigned long v = 0;

    if (*s == '\0')
        return false;
    for (; *s; s++) {
        if (*s < '0' || *s > '9')
            return false;
        v = v * 10 + (unsigned long)(*s - '0');
        if (v > max)
            return false;
    }
    *out = v;
    return true;
}

static int mode_of(char c)
{
    switch (c) {
    case 'n': return XS_PERM_NONE;
    case 'r': return XS_PERM_READ;
    case 'w': return XS_PERM_WRITE;
    case 'b': return XS_PERM_BOTH;
    default:  return -1;
    }
}

int perms_parse(const char *buf, size_t len, struct xs_perm *out,
                unsigned max, unsigned *n)
{
    size_t off = 0;
    unsigned count = 0;

    while (off < len) {
        const char *s = buf + off;
        const char *nul = memchr(s, '\0', len - off);
        unsigned long id;
        int mode;

        if (!nul)
            return XEN_EINVAL;
        mode = mode_of(s[0]);
        if (mode < 0 || !parse_uint(s + 1, DOMID_MAX, &id))
            return XEN_EINVAL;
        if (count == max)
            return XEN_ENOSPC;
        out[count].domid = (uint16_t)id;
        out[count].mode = (uint8_t)mode;
        count++;
        off = (size_t)(nul - buf) + 1;
    }
    *n = count;
    return 0;
}

size_t perms_format(const struct xs_perm *p, unsigned n, char *out)
{
    static const char letter[] = "nrwb";
    size_t off = 0;
    unsigned i;

    for (i = 0; i < n; i++)
        off += (size_t)sprintf(out + off, "%c%u", letter[p[i].mode & 3],
                               p[i].domid) + 1;
    return off;
}

static bool is(const struct xs_who *who, uint16_t domid)
{
    return who->domid == domid || (who->has_target && who->target == domid);
}

unsigned perms_access(const struct xs_who *who, const struct xs_perm *p,
                      unsigned n)
{
    unsigned i;

    if (who->priv || (n > 0 && is(who, p[0].domid)))
        return XS_PERM_BOTH | XS_PERM_OWNER;
    if (n == 0)
        return XS_PERM_NONE;
    for (i = 1; i < n; i++)
        if (is(who, p[i].domid))
            return p[i].mode;
    return p[0].mode;
}
