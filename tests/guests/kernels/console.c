// SPDX-License-Identifier: MIT
/*
 * console: the machine's console input reaches the privileged domain.  The
 * kernel binds VIRQ_CONSOLE, asks for a line on the console, blocks until
 * the VIRQ says input arrived, and reads it with CONSOLEIO_read; the system
 * test types the line (tests/system/test_guests.py).  Refusals next to it.
 */
#include <abi/event_channel.h>
#include <abi/sched.h>
#include "events.h"
#include "hypercall.h"
#include "kit.h"

static inline long HYPERVISOR_event_channel_op(unsigned int cmd, void *arg)
{
    return _hypercall2(__HYPERVISOR_event_channel_op, cmd, KIT_UL(arg));
}

static evtchn_port_t console_port;

static int virq_console_binds(void)
{
    struct evtchn_bind_virq bv = { .virq = VIRQ_CONSOLE, .vcpu = 0 };

    expect_ok(kit_events_init(), "shared_info and the event callback");
    expect_ok(HYPERVISOR_event_channel_op(EVTCHNOP_bind_virq, &bv), "bind VIRQ_CONSOLE");
    console_port = bv.port;
    return KIT_PASS;
}

static int typed_line_is_read_after_virq_console(void)
{
    char line[64], buf[16];
    unsigned int len = 0;

    kit_printf("kit: console: type a line\n");
    while (len < sizeof(line) - 1) {
        long n = HYPERVISOR_console_io(CONSOLEIO_read, sizeof(buf), buf);
        expect_true(n >= 0, "CONSOLEIO_read");
        if (n == 0) {
            unsigned int before = kit_upcalls;
            kit_upcall_ports = 0;
            expect_ok(HYPERVISOR_sched_op(SCHEDOP_block, NULL), "block for input");
            kit_events_off();
            expect_true(kit_upcalls > before, "woken by an upcall");
            expect_true(kit_upcall_ports & (1UL << console_port), "VIRQ_CONSOLE was pending");
            continue;
        }
        for (long i = 0; i < n && len < sizeof(line) - 1; i++) {
            if (buf[i] == '\r' || buf[i] == '\n')
                goto done;
            line[len++] = buf[i];
        }
    }
done:
    line[len] = '\0';
    kit_printf("kit: console: got '%s'\n", line);
    return KIT_PASS;
}

static int console_read_refusals(void)
{
    char buf[4];

    expect_rc(HYPERVISOR_console_io(CONSOLEIO_read, 4, (char *)0xffff82d040000000UL),
              -XEN_EFAULT, "read into the hypervisor");
    expect_rc(HYPERVISOR_console_io(7, 4, buf), -XEN_ENOSYS, "unknown console_io command");
    return KIT_PASS;
}

static const struct kit_test tests[] = {
    { "virq_console_binds", virq_console_binds, KIT_MM },
    { "typed_line_is_read_after_virq_console", typed_line_is_read_after_virq_console, 0 },
    { "console_read_refusals", console_read_refusals, KIT_HOSTILE },
};

KIT_KERNEL("console", tests);
