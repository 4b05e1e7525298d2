/*
 * http_redact.h - secrets kept out of the archive.
 *
 * A request record holds the request head exactly as sent, and the config
 * may add credentials to it (a source's `headers: {Authorization: Bearer
 * ...}`).  Archives are copied, shared and replayed; the names listed in
 * `http.redact_headers` (default Authorization, Cookie,
 * Proxy-Authorization) are archived with the value "[redacted]" instead.
 * The record's digests are computed over the redacted bytes, as written.
 */
#ifndef HTTP_REDACT_H
#define HTTP_REDACT_H

#include "common/fa_buf.h"

#include <stddef.h>

#define HTTP_REDACTED "[redacted]"

/* Copies msg (an HTTP/1.x message: start line, header lines, an empty
 * line, then any body) into out (appended to; the caller owns out) with the
 * value of every header field whose name matches one of names[0..n) (any
 * case) replaced by HTTP_REDACTED; obs-fold continuation lines of such a
 * field are dropped.  The body and everything else are copied byte for
 * byte; a message without an empty line is treated as all head.  Returns
 * the number of fields redacted (>= 0), or FA_ETOOBIG/FA_ENOMEM from out
 * (out may then hold a partial copy). */
int http_redact_headers(const void *msg, size_t len, const char *const *names, size_t n,
                        fa_buf *out);

#endif
