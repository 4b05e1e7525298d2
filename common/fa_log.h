/*
 * fa_log.h - one event a line on stderr.
 *
 * Lines are logfmt by default (`time=... level=info comp=crawl msg="..."
 * url=...`) or JSON; journald and container runtimes take them unchanged.
 * Safe to call from any thread: each line is formatted first and written
 * with a single write(2).
 */
#ifndef FA_LOG_H
#define FA_LOG_H

enum fa_log_level { FA_LOG_DEBUG = 0, FA_LOG_INFO, FA_LOG_WARN, FA_LOG_ERROR, FA_LOG_OFF };
enum fa_log_format { FA_LOG_LOGFMT = 0, FA_LOG_JSON };

/* Sets the lowest level written (default FA_LOG_INFO). */
void fa_log_set_level(enum fa_log_level level);
enum fa_log_level fa_log_get_level(void);
void fa_log_set_format(enum fa_log_format format);

/* on: a progress line is on the terminal (stderr) without its
 * newline, so each log line first clears it ("\r" and erase-line) rather
 * than being glued to its end; the progress printer redraws it on its next
 * tick.  Off (the default) writes lines as they are. */
void fa_log_set_progress_line(int on);

/* Writes one event: comp names the module ("crawl", "warc"); kv is NULL or
 * a NULL-terminated list of key, value string pairs added to the line. */
void fa_log_kv(enum fa_log_level level, const char *comp, const char *const *kv,
               const char *fmt, ...) __attribute__((format(printf, 4, 5)));

#define fa_log_debug(comp, ...) fa_log_kv(FA_LOG_DEBUG, comp, NULL, __VA_ARGS__)
#define fa_log_info(comp, ...) fa_log_kv(FA_LOG_INFO, comp, NULL, __VA_ARGS__)
#define fa_log_warn(comp, ...) fa_log_kv(FA_LOG_WARN, comp, NULL, __VA_ARGS__)
#define fa_log_error(comp, ...) fa_log_kv(FA_LOG_ERROR, comp, NULL, __VA_ARGS__)

#endif
