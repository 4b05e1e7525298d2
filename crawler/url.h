/*
 * url.h - the few URL operations the crawler needs, on top of libcurl's URL
 * API (CURLU): resolving a link against a base, the host key that politeness
 * is counted by, and the http/https check applied to every URL, redirects
 * included.
 */
#ifndef CRAWL_URL_H
#define CRAWL_URL_H

#include <stddef.h>

/* Resolves ref (absolute or relative) against base (NULL when ref must be
 * absolute).  On success *out is a malloc'd normalised absolute URL (the
 * caller frees it).  Returns 0, FA_EINVAL for an unparsable URL or a scheme
 * other than http/https, FA_ETOOBIG for a URL of FA_URL_MAX bytes or more
 * (common/fa_limits.h: the state, the WARC writer and the index take every
 * URL shorter), or FA_ENOMEM.  Every URL the crawler fetches passes here. */
int url_resolve(const char *base, const char *ref, char **out);

/* Writes "scheme://host:port" (lowercase, port always explicit) for url into
 * out.  Returns 0 or FA_EINVAL (also when out is too small). */
int url_host_key(const char *url, char *out, size_t outlen);

#endif
