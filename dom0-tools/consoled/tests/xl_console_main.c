/* SPDX-License-Identifier: MIT */
/*
 * Test driver for xl console: runs cmd_console on its arguments without
 * xl's command table (the lead adds the table entry at merge) and
 * without the hypervisor, so the domain must be given by id.
 * Usage: xl-console-asan console [-t pv] [-n N] <domid>
 */
#include <stdio.h>
#include <unistd.h>

#include "xl.h"

int cmd_console(struct xl *x, int argc, char **argv);

int main(int argc, char **argv)
{
    struct xl x = { .m = NULL, .out = stdout, .err = stderr };

    if (argc < 2) {
        fprintf(stderr, "usage: %s console [options] <domid>\n", argv[0]);
        return 2;
    }
    optind = 1;
    return cmd_console(&x, argc - 1, argv + 1);
}
