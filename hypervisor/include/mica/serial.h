/* SPDX-License-Identifier: MIT */
/* The serial console (COM1). */
#ifndef MICA_SERIAL_H
#define MICA_SERIAL_H

#include <mica/types.h>

void serial_init(void);
void serial_write(const char *s, size_t len);
/* Console input (COM1 receive interrupt, IRQ 4 on vector SERIAL_VECTOR). */
#define SERIAL_VECTOR 0x24
void serial_enable_rx_irq(void);
unsigned int serial_rx_interrupt(void);
size_t serial_peek(char *buf, size_t len);
void serial_consume(size_t n);

#endif /* MICA_SERIAL_H */
