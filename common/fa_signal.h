/*
 * fa_signal.h - SIGTERM, SIGINT and SIGHUP, recorded for whoever asks.
 *
 * A process that stops gracefully must never meet the default action of
 * SIGTERM: not before its event loop runs, not during the start-up
 * recovery, not between two runs of the loop while `serve` reloads its
 * config.  libuv's uv_signal_t cannot give that: when its last handle for a
 * signal closes, libuv puts back SIG_DFL, and the next SIGTERM kills the
 * process with a segment open.  So the handlers here are installed once,
 * for the life of the process, and do nothing but count: the crawl looks at
 * the counts from a loop timer (every 10 ms) and acts on the loop thread.
 *
 * Stop signals are sticky: one received at any moment - before a crawl
 * started, during a reload - is seen by the next look.  Every function is
 * safe from any thread; the handlers are async-signal-safe.
 */
#ifndef FA_SIGNAL_H
#define FA_SIGNAL_H

/* Installs the recording handlers for SIGTERM, SIGINT and SIGHUP (with
 * SA_RESTART); SIGINT and SIGHUP found ignored (nohup, a background job)
 * stay ignored.  A second call does nothing.  Returns 0 or FA_EIO. */
int fa_signal_install(void);

/* The first stop signal received (SIGTERM or SIGINT), 0 when none. */
int fa_signal_stop_first(void);

/* How many stop signals (SIGTERM and SIGINT) were received. */
unsigned long fa_signal_stops(void);

/* How many SIGHUPs were received. */
unsigned long fa_signal_hups(void);

#endif
