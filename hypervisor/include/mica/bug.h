/* SPDX-License-Identifier: MIT */
/*
 * BUG_ON(): a broken internal invariant, never a guest's doing.  In the
 * hypervisor it panics naming the place; host tests make it a test failure.
 */
#ifndef MICA_BUG_H
#define MICA_BUG_H

#include <mica/types.h>

void bug(const char *file, int line, const char *cond) __noreturn;

#define BUG_ON(c) do { if (unlikely(c)) bug(__FILE__, __LINE__, #c); } while (0)

#endif /* MICA_BUG_H */
