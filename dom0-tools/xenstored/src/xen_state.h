/* SPDX-License-Identifier: MIT */
/*
 * The hypervisor's view of domains for the xen back end, through libmica
 * (domstate_mica.c).  Kept apart from ring_xen.c because libmica's headers
 * (Mica's ABI) and Debian's Xen library headers define the same names.
 */
#ifndef XSD_XEN_STATE_H
#define XSD_XEN_STATE_H

/* Open libmica and install it as the domain-state source; 0 or -1 logged. */
int xen_domstate_open(void);
void xen_domstate_close(void);
/* "ESRCH: no such domain": the Xen name of an errno value, for logs. */
const char *xen_errname(int err);

#endif
