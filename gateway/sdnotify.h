/* gateway/sdnotify.h - systemd readiness notification without libsystemd
 *
 * The sd_notify(3) protocol is one datagram of "KEY=VALUE\n" lines to the
 * AF_UNIX socket named by $NOTIFY_SOCKET (a path, or an abstract name
 * written with a leading '@'). Without $NOTIFY_SOCKET nothing is sent, so
 * the same binary runs under Type=notify, Type=simple or no systemd.
 */
#ifndef GW_SDNOTIFY_H
#define GW_SDNOTIFY_H

#define GW_SDNOTIFY_ENV "NOTIFY_SOCKET"
#define GW_SDNOTIFY_MAX 512	/* bytes of one message */

/**
 * Send state (e.g. "READY=1\nSTATUS=serving") to $NOTIFY_SOCKET.
 * 1: sent. 0: no $NOTIFY_SOCKET (nothing to do). -1: the variable is
 * malformed or the send failed (logged; never fatal: a notification lost
 * makes systemd time out the unit, which it reports).
 */
int gw_sdnotify(const char *state);

/** "RELOADING=1" with MONOTONIC_USEC (as Type=notify-reload wants it). */
int gw_sdnotify_reloading(void);

#endif /* GW_SDNOTIFY_H */
