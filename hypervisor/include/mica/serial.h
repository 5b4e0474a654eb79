/* SPDX-License-Identifier: MIT */
/* The serial console (COM1). */
#ifndef MICA_SERIAL_H
#define MICA_SERIAL_H

#include <mica/types.h>

void serial_init(void);
void serial_write(const char *s, size_t len);

#endif /* MICA_SERIAL_H */
