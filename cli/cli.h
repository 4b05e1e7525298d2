/*
 * cli.h - the feedarc command line: one function per subcommand, the exit
 * codes they share, and the summary printer.
 *
 * Exit codes (sysexits where one fits), documented in README.md:
 *   0  all went well
 *   1  the run finished but some sources failed (feed or page errors)
 *   64 EX_USAGE     bad command line
 *   70 EX_SOFTWARE  internal error
 *   73 EX_CANTCREAT the archive folder or a segment cannot be created
 *   74 EX_IOERR     writing the archive failed during the run
 *   75 EX_TEMPFAIL  serve: a start-up failure worth retrying (the metrics
 *                   port is in use); systemd's Restart=on-failure retries it
 *   78 EX_CONFIG    the config file is invalid
 *   130, 143        once: stopped by SIGINT / SIGTERM (128 + the signal);
 *                   what was fetched is archived and committed
 */
#ifndef CLI_H
#define CLI_H

#include "crawler/crawl.h"

#include <stdio.h>

enum {
    EXIT_SOURCES_FAILED = 1,
    EXIT_USAGE = 64,
    EXIT_SOFTWARE = 70,
    EXIT_CANTCREAT = 73,
    EXIT_IOERR = 74,
    EXIT_TEMPFAIL = 75,
    EXIT_CONFIG = 78,
    EXIT_SIGNAL_BASE = 128
};

int cmd_once(int argc, char **argv);
int cmd_demo(int argc, char **argv);
int cmd_serve(int argc, char **argv);

/* Prints the human summary of a run to f. */
void cli_print_summary(FILE *f, const crawl_summary *s, const char *archive_dir);

/* The summary as one JSON object on a line: "status" (ok, sources_failed,
 * interrupted, max_duration, storage_error), per source its result, error,
 * cause, counts and "new_urls" (pages archived with a new capture, when the
 * crawl collected them), then the run's totals.  Returns 0 or -1. */
int cli_print_summary_json(FILE *f, const crawl_summary *s, const char *archive_dir);

/* A run that failed before it fetched anything (the archive or the state
 * cannot be opened, locked, read-only): there is nothing to summarise, the
 * error alone is printed (to stderr). */
int cli_run_failed_at_start(const crawl_summary *s);

/* The exit code for a finished crawl_run_once (rc and summary). */
int cli_exit_code(int rc, const crawl_summary *s);

/* Formats n bytes as "12.3 MiB" into out. */
const char *cli_human_bytes(uint64_t n, char out[32]);

#endif
