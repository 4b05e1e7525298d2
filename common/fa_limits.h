/*
 * fa_limits.h - ceilings that several modules must agree on.
 *
 * A URL the crawler fetches is also a key of the crawl state, a
 * WARC-Target-URI and a CDXJ line's key: if one of them took longer URLs
 * than another, a URL accepted at the door could fail later as a storage
 * error.  So there is one ceiling, applied where a URL enters the crawl
 * (crawler/url.c refuses longer ones: that URL's failure), and every layer
 * below accepts at least this much.
 */
#ifndef FA_LIMITS_H
#define FA_LIMITS_H

/* Bytes of a URL, its terminating NUL included: a URL has at most
 * FA_URL_MAX - 1 characters. */
#define FA_URL_MAX 8192

#endif
