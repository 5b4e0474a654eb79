/* SPDX-License-Identifier: MIT */
/*
 * Xenbus device states, stored as decimal strings in the `state` node of a
 * front end's and a back end's xenstore directory; each side watches the
 * other's and moves forward through them to connect and tear down.
 */
#ifndef ABI_IO_XENBUS_H
#define ABI_IO_XENBUS_H

enum xenbus_state {
    XenbusStateUnknown      = 0,
    XenbusStateInitialising = 1,
    XenbusStateInitWait     = 2, /* back end: waiting for front-end details */
    XenbusStateInitialised  = 3, /* front end: rings and channels published */
    XenbusStateConnected    = 4,
    XenbusStateClosing      = 5,
    XenbusStateClosed       = 6,
    XenbusStateReconfiguring = 7,
    XenbusStateReconfigured  = 8,
};
typedef enum xenbus_state XenbusState;

#endif /* ABI_IO_XENBUS_H */
