/* http_redact.c - header values archived as "[redacted]"; see http_redact.h. */
#include "storage/http_redact.h"

#include <string.h>
#include <strings.h>

/* 1 when the header line [line, line+n) names one of names. */
static int listed(const char *line, size_t n, const char *const *names, size_t n_names)
{
    const char *colon = memchr(line, ':', n);
    if (colon == NULL) return 0;
    size_t nl = (size_t)(colon - line);
    for (size_t i = 0; i < n_names; i++)
        if (strlen(names[i]) == nl && strncasecmp(line, names[i], nl) == 0) return 1;
    return 0;
}

int http_redact_headers(const void *msg, size_t len, const char *const *names, size_t n,
                        fa_buf *out)
{
    const char *p = msg, *end = p + len;
    int redacted = 0, rc = 0, in_redacted = 0, first = 1;
    while (p < end && rc == 0) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        const char *next = nl ? nl + 1 : end;
        size_t n_line = (size_t)(next - p);
        /* the line without its end of line */
        size_t body = n_line;
        if (body > 0 && p[body - 1] == '\n') body--;
        if (body > 0 && p[body - 1] == '\r') body--;
        if (body == 0 && nl != NULL && !first) { /* the empty line: the rest is the body */
            rc = fa_buf_append(out, p, (size_t)(end - p));
            break;
        }
        if (!first && (p[0] == ' ' || p[0] == '\t')) { /* obs-fold continuation */
            if (!in_redacted) rc = fa_buf_append(out, p, n_line);
        } else if (!first && listed(p, body, names, n)) {
            const char *colon = memchr(p, ':', body);
            rc = fa_buf_append(out, p, (size_t)(colon + 1 - p));
            if (rc == 0) rc = fa_buf_puts(out, " " HTTP_REDACTED);
            if (rc == 0) rc = fa_buf_append(out, p + body, n_line - body);
            redacted++;
            in_redacted = 1;
        } else {
            rc = fa_buf_append(out, p, n_line);
            in_redacted = 0;
        }
        first = 0;
        p = next;
    }
    return rc < 0 ? rc : redacted;
}
