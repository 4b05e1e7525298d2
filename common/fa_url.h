/*
 * fa_url.h - the one test of "is this an http(s) URL" that config, the
 * source list, the feed parsers, the CDXJ index and the CLI share.
 * (Parsing and normalising URLs is crawler/url.h's job.)
 */
#ifndef FA_URL_H
#define FA_URL_H

#include <stddef.h>

/* The length of url's scheme prefix when it starts, without regard to
 * case, with "http://" (7) or "https://" (8); 0 otherwise (NULL too).
 * *https (may be NULL) is set to 1 for https. */
size_t fa_url_http_prefix(const char *url, int *https);

/* 1 when url starts with http:// or https:// (any case). */
static inline int fa_url_is_http(const char *url)
{
    return fa_url_http_prefix(url, NULL) != 0;
}

#endif
