/* SPDX-License-Identifier: MIT */
/*
 * COM1 (16550 UART at 0x3f8) at 115200 8N1, polled.  Polling keeps the
 * console usable from exception and panic paths with interrupts off.
 */
#include <mica/byte_ring.h>
#include <mica/serial.h>
#include <mica/x86.h>

#define COM1 0x3f8
enum { RBR = 0, THR = 0, IER = 1, DLL = 0, DLM = 1, FCR = 2, LCR = 3, MCR = 4, LSR = 5 };
#define LSR_THRE 0x20

void serial_init(void)
{
    outb(COM1 + IER, 0x00);         /* no interrupts */
    outb(COM1 + LCR, 0x80);         /* DLAB: set the divisor */
    outb(COM1 + DLL, 1);            /* 115200 / 1 */
    outb(COM1 + DLM, 0);
    outb(COM1 + LCR, 0x03);         /* 8 bits, no parity, 1 stop */
    outb(COM1 + FCR, 0xc7);         /* FIFO on, cleared, 14-byte threshold */
    outb(COM1 + MCR, 0x03);         /* DTR, RTS */
}

static void serial_putc(char c)
{
    /* Bounded wait: a missing UART (LSR reads 0xff) must not hang us. */
    for (unsigned int i = 0; i < 1000000 && !(inb(COM1 + LSR) & LSR_THRE); i++)
        cpu_relax();
    outb(COM1 + THR, (uint8_t)c);
}

void serial_write(const char *s, size_t len)
{
    for (size_t i = 0; i < len; i++) {
        if (s[i] == '\n')
            serial_putc('\r');
        serial_putc(s[i]);
    }
}

/* Input: bytes the UART has received, for the privileged domain's
 * CONSOLEIO_read.  Filled by the receive interrupt (IRQ 4); a full ring
 * drops the newest bytes. */
static char rx_buf[512];
static struct byte_ring rx = BYTE_RING(rx_buf);

void serial_enable_rx_irq(void)
{
    outb(COM1 + IER, 0x01);         /* received-data interrupt */
    outb(COM1 + MCR, 0x0b);         /* DTR, RTS, OUT2 (gates the IRQ line) */
}

/* Drain the UART; returns how many bytes arrived. */
unsigned int serial_rx_interrupt(void)
{
    unsigned int n = 0;

    while (inb(COM1 + LSR) & 0x01) {
        byte_ring_put(&rx, (char)inb(COM1 + RBR));
        n++;
    }
    return n;
}

/* Copy up to len waiting bytes without taking them; serial_consume()
 * takes them once the caller has delivered them. */
size_t serial_peek(char *buf, size_t len)
{
    return byte_ring_peek(&rx, buf, len);
}

void serial_consume(size_t n)
{
    byte_ring_consume(&rx, n);
}
