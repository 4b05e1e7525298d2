/* demo_http.h - a blocking libcurl GET for the demo tests: status, raw
 * response headers and body in buffers the caller frees with
 * demo_http_free. */
#ifndef DEMO_HTTP_H
#define DEMO_HTTP_H

#include "common/fa_buf.h"

typedef struct demo_http {
    long status;
    fa_buf headers; /* every header line as received */
    fa_buf body;
    double seconds; /* total transfer time */
} demo_http;

/* Fetches url.  req_headers is NULL or a NULL-terminated list of
 * "Name: value" strings; head asks with HEAD.  Returns 0 or FA_EFETCH (the
 * transfer failed); r must be freed in both cases.  Thread-safe once
 * curl_global_init has run. */
int demo_http_get(const char *url, const char *const *req_headers, int head, demo_http *r);

/* The value of response header name (case-insensitive), copied into out;
 * 0 when present, -1 when not. */
int demo_http_header(const demo_http *r, const char *name, char *out, size_t outlen);

void demo_http_free(demo_http *r);

#endif
