/*
 * opml.h - OPML subscription lists (OPML 1.0/2.0, what every feed reader
 * exports): each <outline> with an xmlUrl attribute is a feed.
 *
 * Outlines nest (folders, categories); an outline without xmlUrl is a
 * folder whose title becomes part of the category path of the feeds
 * inside it ("News/Local").  Streamed like the feed parsers; no I/O
 * except opml_read_file.
 */
#ifndef OPML_H
#define OPML_H

#include <stddef.h>

/* One feed of the list.  Strings are NUL-terminated, never NULL (possibly
 * empty), valid only during the callback. */
typedef struct opml_outline {
    const char *xml_url;  /* the feed's URL, resolved against the base when one is given */
    const char *html_url; /* the site, or "" */
    const char *title;    /* title attribute, else text attribute, else "" */
    const char *type;     /* type attribute ("rss"), or "" */
    const char *category; /* enclosing folders' titles joined by '/', or "" */
    int line;             /* line of the outline in the document */
} opml_outline;

/* Return 0 to go on or a negative code to stop (returned by push/finish). */
typedef int (*opml_outline_cb)(void *ud, const opml_outline *o);

typedef struct opml_parser opml_parser;

/* Creates a parser.  base_url (may be NULL) resolves relative xmlUrls;
 * max_depth bounds nesting (0 = 256).  Returns NULL on allocation
 * failure. */
opml_parser *opml_parser_new(const char *base_url, unsigned max_depth, opml_outline_cb cb,
                             void *ud);

/* The body is UTF-8 already (common/fa_charset): declarations ignored.
 * Call before the first push. */
void opml_parser_set_utf8_input(opml_parser *p);

/* Feeds bytes.  Returns 0 or a sticky negative code: FA_EPARSE (not XML,
 * or the root is not <opml>), FA_ETOOBIG, FA_ENOMEM, or the callback's
 * code. */
int opml_parser_push(opml_parser *p, const void *data, size_t len);

/* Ends the input.  Returns the number of feeds reported, or the sticky
 * code. */
int opml_parser_finish(opml_parser *p);

/* "" or the error's message; *line (may be NULL) receives its line, 0 if
 * unknown. */
const char *opml_parser_error(const opml_parser *p, int *line);

/* Accepts NULL. */
void opml_parser_free(opml_parser *p);

/* Reads the OPML file at path (at most OPML_MAX_FILE_SIZE bytes, in
 * chunks) and calls cb for each feed.  Returns the number of feeds, or
 * FA_ENOENT (no such file), FA_EIO (unreadable; errno detail in err),
 * FA_ETOOBIG, FA_EPARSE, or the callback's code.  err (errlen bytes,
 * may be NULL) receives "path:line: what" or "path: what". */
#define OPML_MAX_FILE_SIZE ((size_t)64 << 20)
int opml_read_file(const char *path, opml_outline_cb cb, void *ud, char *err, size_t errlen);

#endif
