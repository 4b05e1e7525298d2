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

#include "config/config.h"
#include "crawler/crawl.h"
#include "storage/warc_reader.h"

#include <stdio.h>
#include <yajl/yajl_gen.h>

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

/* The subcommands (main.c dispatches; `feedarc help CMD` describes each).
 * Each takes its own argv (argv[0] is the command's name) and returns the
 * process's exit code. */
int cmd_once(int argc, char **argv);         /* cmd_once.c */
int cmd_serve(int argc, char **argv);        /* cmd_serve.c */
int cmd_demo(int argc, char **argv);         /* cmd_demo.c */
int cmd_status(int argc, char **argv);       /* cmd_status.c */
int cmd_config(int argc, char **argv);       /* cmd_config.c */
int cmd_robots(int argc, char **argv);       /* cmd_robots.c */
int cmd_feed(int argc, char **argv);         /* cmd_feed.c */
int cmd_import_opml(int argc, char **argv);  /* cmd_import_opml.c */
int cmd_extract(int argc, char **argv);      /* cmd_extract.c */
int cmd_ls(int argc, char **argv);           /* cmd_ls.c */
int cmd_get(int argc, char **argv);          /* cmd_get.c */
int cmd_verify(int argc, char **argv);       /* cmd_verify.c */
int cmd_index(int argc, char **argv);        /* cmd_index.c */
int cmd_dict_extract(int argc, char **argv); /* cmd_dict.c */
int cmd_dict_train(int argc, char **argv);   /* cmd_dict.c */
int cmd_dedup_report(int argc, char **argv); /* cmd_dedup_report.c */
int cmd_text(int argc, char **argv);         /* cmd_text.c */
int cmd_export(int argc, char **argv);       /* cmd_export.c */

/* Loads the config at path and expands its `- opml: FILE` sources into the
 * feeds they list (named as the crawler names them): what once, serve and
 * status run on.  Returns the config (free with config_free), or NULL with
 * *errors set to a malloc'ed message of one or more lines ("file:line:
 * what"), for the caller to print or log and free. */
config *cli_load_config(const char *path, char **errors);

/* ---- archive reading, shared by dedup-report and text (cmd_dedup_report.c) ---- */

/* Called for every record read; segment is the file name (no folder).
 * Return 0 to go on, a negative code to stop the scan. */
typedef int (*cli__record_fn)(void *ud, const char *segment, const warc_record *rec);

/* Reads every record of every closed segment of dir, in name order (time
 * order), calling fn.  A fault (a frame that does not decompress, a record
 * that does not parse) is printed on stderr as `feedarc PROG: FILE: offset
 * N: what`, counted in *faults, and the scan resumes at the next zstd
 * frame.  Returns 0, the first negative return of fn, or a negative code
 * when dir cannot be listed. */
int cli__archive_scan(const char *dir, const char *prog, cli__record_fn fn, void *ud,
                      unsigned *faults);

/* Writes s (len bytes) as a JSON string; bytes that are not UTF-8 become
 * U+FFFD.  Returns yajl's status. */
yajl_gen_status cli__gen_string(yajl_gen g, const char *s, size_t len);

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
