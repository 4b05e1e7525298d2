/*
 * fa_sdnotify.h - telling systemd how the service is doing (sd_notify).
 *
 * Under systemd with Type=notify, systemd sets NOTIFY_SOCKET and waits for
 * READY=1 before it counts `feedarc serve` as started; with WatchdogSec= it
 * also sets WATCHDOG_USEC and restarts the service when WATCHDOG=1 stops
 * arriving.  Outside systemd (by hand, in a container, in the tests without
 * a socket) NOTIFY_SOCKET is unset and every call here is a cheap no-op.
 *
 * These wrap libsystemd's sd_notify(3), which sends one datagram to the
 * AF_UNIX socket named by NOTIFY_SOCKET (a path, or '@' for the abstract
 * namespace).  Safe from any thread; no call blocks for long.  The
 * environment is left as it is, so a child process would inherit it (feedarc
 * starts none).
 *
 * Returns, for every sender: 1 sent, 0 not under systemd (NOTIFY_SOCKET
 * unset: nothing to do), or a negative FA_E* code (FA_EIO when the socket
 * cannot be reached; FA_EINVAL for a bad argument).
 */
#ifndef FA_SDNOTIFY_H
#define FA_SDNOTIFY_H

#include <stdint.h>

/* Start-up done: the service is serving.  Also after a reload. */
int fa_sd_ready(void);

/* Shutdown has begun (sent first thing on SIGTERM). */
int fa_sd_stopping(void);

/* A reload (SIGHUP) has begun; send fa_sd_ready when it is done. */
int fa_sd_reloading(void);

/* The watchdog keep-alive: send it from the event loop (so a stuck loop
 * stops it) at least every fa_sd_watchdog_interval_ms() / 2. */
int fa_sd_watchdog(void);

/* A one-line status shown by `systemctl status` ("polling 12 sources, 1
 * failing").  Newlines are replaced by spaces; cut at 400 bytes. */
int fa_sd_status(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* The raw call: state is one or more "KEY=value" lines.  NULL is
 * FA_EINVAL. */
int fa_sd_notify(const char *state);

/* The watchdog period systemd expects for this process (WatchdogSec=), in
 * ms, or 0 when there is no watchdog for us. */
uint64_t fa_sd_watchdog_interval_ms(void);

#endif
