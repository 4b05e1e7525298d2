/*
 * feed_xml.h - internal to crawler/feeds/: a small streaming XML reader for the
 * list-like formats (sitemaps, OPML) on libxml2's push SAX2 parser.
 *
 * It does for those parsers what feed_parser does for itself: holds back
 * the first bytes to drop a UTF-8 BOM and leading whitespace (and gives
 * libxml2 at least four bytes to detect UTF-16), applies a default
 * encoding (Content-Type's charset) when the body declares none, keeps the
 * same security settings (no external entities, no network, a cap on the
 * internal DTD subset and on entity expansion) and a nesting ceiling, and
 * collects the text of each element into one bounded buffer handed to the
 * end handler.  Errors are sticky; a handler's negative return stops it.
 *
 * Prefix feed__xml_ (internal cross-file, see docs/STYLE.md).
 */
#ifndef FEED_XML_H
#define FEED_XML_H

#include <libxml/parser.h>
#include <stddef.h>

typedef struct feed__xml feed__xml;

typedef struct feed__xml_handlers {
    /* An element starts at depth (root = 1).  attrs are libxml2's SAX2
     * quintuples (localname, prefix, URI, value, end), nattrs of them.
     * Return 0, or a negative code to stop. */
    int (*start)(void *ud, unsigned depth, const char *localname, const char *ns_uri,
                 const xmlChar **attrs, int nattrs);
    /* An element ends.  text is the element's own text since its start tag
     * or the last child element, trimmed, NUL-terminated; text past the
     * ceiling is dropped.  The handler may modify text in place. */
    int (*end)(void *ud, unsigned depth, const char *localname, const char *ns_uri, char *text,
               size_t len);
} feed__xml_handlers;

/* Creates a reader.  max_depth (0 = 256) bounds nesting, max_text (0 =
 * 1 MiB) one element's text.  Returns NULL on allocation failure. */
feed__xml *feed__xml_new(const feed__xml_handlers *h, void *ud, unsigned max_depth,
                         size_t max_text);

/* The encoding to assume when the body has no BOM and no encoding in its
 * XML declaration (Content-Type's charset).  Call before the first push.
 * NULL or "" clears it.  Returns 0 or FA_ENOMEM. */
int feed__xml_set_default_encoding(feed__xml *x, const char *charset);

/* The body is UTF-8 already (common/fa_charset decoded it): the XML
 * declaration's encoding and the default encoding are ignored.  Call
 * before the first push. */
void feed__xml_set_utf8_input(feed__xml *x);

/* Feeds bytes.  Returns 0 or the first negative code (sticky): a handler's
 * code, FA_EPARSE (not XML), FA_ETOOBIG (depth, expansion), FA_ENOMEM. */
int feed__xml_push(feed__xml *x, const void *data, size_t len);

/* Ends the input.  Returns 0, or the sticky code; FA_EPARSE when no root
 * element was ever seen. */
int feed__xml_finish(feed__xml *x);

/* Records an error from a handler (first one wins) and stops libxml2.
 * Returns code. */
int feed__xml_fail(feed__xml *x, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Stops parsing without an error: the rest of the input is ignored. */
void feed__xml_stop(feed__xml *x);

/* The line libxml2 is at (1-based; 0 before parsing). */
int feed__xml_line(const feed__xml *x);

/* "" or the message of the sticky error. */
const char *feed__xml_error(const feed__xml *x);

/* Number of XML errors libxml2 reported and recovered from. */
unsigned feed__xml_recovered(const feed__xml *x);

void feed__xml_free(feed__xml *x);

/* The value of attribute name (namespace ns, NULL = none) with libxml2's
 * leftover references decoded and whitespace trimmed, as a malloc'd string
 * the caller frees; NULL when absent (or on allocation failure). */
char *feed__xml_attr(const xmlChar **attrs, int nattrs, const char *name, const char *ns);

/* 1 if the n bytes at s start with an XML declaration that names an
 * encoding, or with a BOM; 0 otherwise.  (Used to decide whether a
 * Content-Type charset applies.) */
int feed__xml_declares_encoding(const unsigned char *s, size_t n);

#endif
