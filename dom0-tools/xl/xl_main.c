/* SPDX-License-Identifier: MIT */
/* xl's entry point: open the hypervisor (help needs none) and run. */
#include <errno.h>
#include <string.h>

#include "xl.h"

int main(int argc, char **argv)
{
    struct xl x = { .out = stdout, .err = stderr };
    int needs_hypervisor = argc > 1 && strcmp(argv[1], "help") &&
                           strcmp(argv[1], "-h") && strcmp(argv[1], "--help");

    if (needs_hypervisor && !(x.m = mica_open()))
        return xl_error(&x, "cannot reach the hypervisor (/dev/xen/privcmd)", errno);
    int rc = xl_main(&x, argc, argv);
    mica_close(x.m);
    return rc;
}
