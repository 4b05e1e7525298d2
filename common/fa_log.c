/* fa_log.c - logfmt/JSON event lines on stderr; see fa_log.h. */
#include "common/fa_log.h"
#include "common/fa_buf.h"
#include "common/fa_time.h"

#include <stdarg.h>
#include <stdatomic.h>
#include <unistd.h>

static atomic_int log_level = FA_LOG_INFO;
static atomic_int log_format = FA_LOG_LOGFMT;
static atomic_int progress_line; /* a progress line without newline is on stderr */

void fa_log_set_progress_line(int on)
{
    atomic_store(&progress_line, on != 0);
}

void fa_log_set_level(enum fa_log_level level) { atomic_store(&log_level, (int)level); }
enum fa_log_level fa_log_get_level(void) { return (enum fa_log_level)atomic_load(&log_level); }
void fa_log_set_format(enum fa_log_format format) { atomic_store(&log_format, (int)format); }

static const char *level_name(enum fa_log_level l)
{
    switch (l) {
    case FA_LOG_DEBUG: return "debug";
    case FA_LOG_INFO: return "info";
    case FA_LOG_WARN: return "warn";
    default: return "error";
    }
}

/* Appends s quoted for logfmt (json=0) or JSON (json=1). */
static void put_quoted(fa_buf *b, const char *s, int json)
{
    fa_buf_puts(b, "\"");
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c == '"' || c == '\\') {
            char esc[2] = {'\\', (char)c};
            fa_buf_append(b, esc, 2);
        } else if (c == '\n') {
            fa_buf_puts(b, "\\n");
        } else if (c < 0x20) {
            if (json)
                fa_buf_printf(b, "\\u%04x", c);
            else
                fa_buf_printf(b, "\\x%02x", c);
        } else {
            fa_buf_append(b, s, 1);
        }
    }
    fa_buf_puts(b, "\"");
}

static void put_pair(fa_buf *b, const char *k, const char *v, int json, int first)
{
    if (json) {
        if (!first)
            fa_buf_puts(b, ",");
        put_quoted(b, k, 1);
        fa_buf_puts(b, ":");
        put_quoted(b, v, 1);
        return;
    }
    if (!first)
        fa_buf_puts(b, " ");
    fa_buf_puts(b, k);
    fa_buf_puts(b, "=");
    int plain = *v != '\0';
    for (const char *p = v; *p; p++)
        if (*p == ' ' || *p == '"' || *p == '=' || (unsigned char)*p < 0x21)
            plain = 0;
    if (plain)
        fa_buf_puts(b, v);
    else
        put_quoted(b, v, 0);
}

void fa_log_kv(enum fa_log_level level, const char *comp, const char *const *kv,
               const char *fmt, ...)
{
    if ((int)level < atomic_load(&log_level))
        return;
    int json = atomic_load(&log_format) == FA_LOG_JSON;
    char stamp[40];
    fa_time_format_iso(fa_time_now_ns(), 3, stamp, sizeof stamp);

    fa_buf msg;
    fa_buf_init(&msg, 16384);
    va_list ap;
    va_start(ap, fmt);
    fa_buf_vprintf(&msg, fmt, ap);
    va_end(ap);

    fa_buf line;
    fa_buf_init(&line, 32768);
    if (atomic_load(&progress_line))
        fa_buf_puts(&line, "\r\033[K"); /* the progress line goes; its next tick redraws it */
    if (json)
        fa_buf_puts(&line, "{");
    put_pair(&line, "time", stamp, json, 1);
    put_pair(&line, "level", level_name(level), json, 0);
    put_pair(&line, "comp", comp ? comp : "main", json, 0);
    put_pair(&line, "msg", msg.data ? msg.data : "", json, 0);
    for (size_t i = 0; kv && kv[i] && kv[i + 1]; i += 2)
        put_pair(&line, kv[i], kv[i + 1], json, 0);
    fa_buf_puts(&line, json ? "}\n" : "\n");
    if (line.data) {
        ssize_t n = write(STDERR_FILENO, line.data, line.len);
        (void)n;
    }
    fa_buf_free(&line);
    fa_buf_free(&msg);
}
