/* fa_sdnotify.c - sd_notify(3) wrappers; see fa_sdnotify.h. */
#include "common/fa_sdnotify.h"

#include "common/fa_err.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <systemd/sd-daemon.h>

#define STATUS_MAX 400

int fa_sd_notify(const char *state)
{
    if (state == NULL) return FA_EINVAL;
    int rc = sd_notify(0, state);
    if (rc > 0) return 1;
    if (rc == 0) return 0;
    return rc == -EINVAL ? FA_EINVAL : FA_EIO;
}

int fa_sd_ready(void)
{
    return fa_sd_notify("READY=1");
}

int fa_sd_stopping(void)
{
    return fa_sd_notify("STOPPING=1");
}

int fa_sd_reloading(void)
{
    return fa_sd_notify("RELOADING=1");
}

int fa_sd_watchdog(void)
{
    return fa_sd_notify("WATCHDOG=1");
}

int fa_sd_status(const char *fmt, ...)
{
    char line[sizeof "STATUS=" + STATUS_MAX];
    va_list ap;
    if (fmt == NULL) return FA_EINVAL;
    int n = snprintf(line, sizeof line, "STATUS=");
    va_start(ap, fmt);
    vsnprintf(line + n, sizeof line - (size_t)n, fmt, ap);
    va_end(ap);
    for (char *p = line; *p; p++)
        if (*p == '\n' || *p == '\r') *p = ' ';
    return fa_sd_notify(line);
}

uint64_t fa_sd_watchdog_interval_ms(void)
{
    uint64_t usec = 0;
    if (sd_watchdog_enabled(0, &usec) <= 0) return 0;
    return usec / 1000;
}
