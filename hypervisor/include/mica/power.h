/* SPDX-License-Identifier: MIT */
/*
 * Powering the machine off.  Under QEMU the isa-debug-exit device (port
 * 0xf4) ends QEMU with status (code << 1) | 1, which is how tests tell a
 * clean power-off from a panic; otherwise ACPI S5 is used, and when that is
 * missing too the CPU halts after saying so.
 */
#ifndef MICA_POWER_H
#define MICA_POWER_H

#include <mica/types.h>
#include <mica/multiboot2.h>

enum mica_exit {
    MICA_EXIT_OK = 0x10,         /* QEMU exit status 33 */
    MICA_EXIT_PANIC = 0x11,      /* QEMU exit status 35 */
    MICA_EXIT_BOOT_ERROR = 0x12, /* QEMU exit status 37: refused to boot */
    MICA_EXIT_DOM0_FAILED = 0x13,/* QEMU exit status 39: dom0 crashed or
                                  * shut down other than by powering off */
};

/* Find the ACPI sleep controls now, while the tables are mapped. */
void power_init(const struct mb2_info *info);
/* Whether an I/O port is one power_init found or Mica powers off through
 * (isa-debug-exit, ACPI PM1a/PM1b control): guests never get those. */
bool power_port_is_ours(unsigned int port);
void machine_power_off(enum mica_exit code) __noreturn;
void machine_restart(void) __noreturn;

#endif /* MICA_POWER_H */
