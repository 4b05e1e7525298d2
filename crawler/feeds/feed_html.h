/*
 * feed_html.h - internal to crawler/feeds/: HTML character references and the
 * little text clean-up the feed parser needs.  Not for other modules.
 *
 * Everything works in place: the decoded form of a reference is never
 * longer than the reference ("&lt;" is 4 bytes for 1, "&#2048;" 7 for 3),
 * so no function here allocates, and each is linear in its input.
 */
#ifndef FEED_HTML_H
#define FEED_HTML_H

#include <stddef.h>

/* The HTML 4 named entities except XML's own (amp, lt, gt, quot). */
size_t feed__html_entity_count(void);

/* Index of the entity called name (len bytes, no '&' or ';'; case matters),
 * or -1. */
int feed__html_entity_find(const char *name, size_t len);
const char *feed__html_entity_name(int idx);
const char *feed__html_entity_text(int idx); /* UTF-8 */

/* Turns HTML into its text, in place: tags are removed, character and
 * entity references decoded.  s is NUL-terminated; returns the new length
 * (s stays NUL-terminated). */
size_t feed__html_to_text(char *s, size_t len);

/* Decodes, in place, the references libxml2 leaves in attribute values when
 * entity substitution is off: "&#38;" (its spelling of "&amp;") and
 * "&name;" for the HTML entities of the table.  Other text is unchanged.
 * Returns the new length; s stays NUL-terminated. */
size_t feed__attr_decode(char *s, size_t len);

/* Writes code point cp as UTF-8 into out (4 bytes room); invalid code
 * points (0, surrogates, beyond U+10FFFF) become U+FFFD.  Returns the byte
 * count. */
size_t feed__utf8_put(unsigned long cp, char *out);

#endif
