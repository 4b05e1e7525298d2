/*
 * feed_html.c - HTML references and tag stripping, in place; see
 * feed_html.h.  The entity table itself is in feed_entities.c.
 */
#include "crawler/feeds/feed_html.h"

#include <string.h>

size_t feed__utf8_put(unsigned long cp, char *out)
{
    if (cp == 0 || (cp >= 0xD800 && cp <= 0xDFFF) || cp > 0x10FFFF) cp = 0xFFFD;
    if (cp < 0x80) {
        out[0] = (char)cp;
        return 1;
    }
    if (cp < 0x800) {
        out[0] = (char)(0xC0 | (cp >> 6));
        out[1] = (char)(0x80 | (cp & 0x3F));
        return 2;
    }
    if (cp < 0x10000) {
        out[0] = (char)(0xE0 | (cp >> 12));
        out[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
        out[2] = (char)(0x80 | (cp & 0x3F));
        return 3;
    }
    out[0] = (char)(0xF0 | (cp >> 18));
    out[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
    out[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
    out[3] = (char)(0x80 | (cp & 0x3F));
    return 4;
}

static int is_alnum(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

/* Decodes the reference starting at s[0] == '&' (end is the text's end).
 * On success writes the result to out, sets *used to the bytes consumed
 * and returns the output length; returns 0 when s holds no reference we
 * know.  numeric selects whether "&#...;" forms are decoded. */
static size_t decode_ref(const char *s, const char *end, int numeric, char *out, size_t *used)
{
    const char *p = s + 1;
    if (p < end && *p == '#') {
        if (!numeric) return 0;
        p++;
        int hex = p < end && (*p == 'x' || *p == 'X');
        if (hex) p++;
        unsigned long cp = 0;
        const char *digits = p;
        while (p < end && p - digits < 8) {
            char c = *p;
            int v = c >= '0' && c <= '9'   ? c - '0'
                    : !hex                 ? -1
                    : c >= 'a' && c <= 'f' ? c - 'a' + 10
                    : c >= 'A' && c <= 'F' ? c - 'A' + 10
                                           : -1;
            if (v < 0) break;
            cp = cp * (hex ? 16 : 10) + (unsigned long)v;
            p++;
        }
        if (p == digits || p >= end || *p != ';') return 0;
        *used = (size_t)(p + 1 - s);
        return feed__utf8_put(cp, out);
    }
    const char *name = p;
    while (p < end && is_alnum(*p) && p - name <= 8)
        p++;
    if (p >= end || *p != ';' || p == name) return 0;
    size_t n = (size_t)(p - name);
    const char *text = NULL;
    if (n == 3 && memcmp(name, "amp", 3) == 0)
        text = "&";
    else if (n == 2 && memcmp(name, "lt", 2) == 0)
        text = "<";
    else if (n == 2 && memcmp(name, "gt", 2) == 0)
        text = ">";
    else if (n == 4 && memcmp(name, "quot", 4) == 0)
        text = "\"";
    else if (n == 4 && memcmp(name, "apos", 4) == 0)
        text = "'";
    else {
        int idx = feed__html_entity_find(name, n);
        if (idx < 0) return 0;
        text = feed__html_entity_text(idx);
    }
    size_t tl = strlen(text);
    memcpy(out, text, tl);
    *used = n + 2;
    return tl;
}

size_t feed__html_to_text(char *s, size_t len)
{
    const char *end = s + len;
    char *w = s;
    const char *r = s;
    while (r < end) {
        if (*r == '<') {
            const char *gt = memchr(r, '>', (size_t)(end - r));
            int tagish =
                r + 1 < end && ((r[1] >= 'a' && r[1] <= 'z') || (r[1] >= 'A' && r[1] <= 'Z') ||
                                r[1] == '/' || r[1] == '!' || r[1] == '?');
            if (gt != NULL && tagish) {
                r = gt + 1;
                continue;
            }
        } else if (*r == '&') {
            char tmp[8];
            size_t used = 0, n = decode_ref(r, end, 1, tmp, &used);
            if (n > 0) {
                memcpy(w, tmp, n); /* n <= used: never overtakes r */
                w += n;
                r += used;
                continue;
            }
        }
        *w++ = *r++;
    }
    *w = '\0';
    return (size_t)(w - s);
}

size_t feed__attr_decode(char *s, size_t len)
{
    char *amp = memchr(s, '&', len);
    if (amp == NULL) return len;
    const char *end = s + len;
    char *w = amp;
    const char *r = amp;
    while (r < end) {
        if (*r == '&') {
            char tmp[8];
            size_t used = 0, n = 0;
            if ((size_t)(end - r) >= 5 && memcmp(r, "&#38;", 5) == 0) {
                tmp[0] = '&';
                n = 1;
                used = 5;
            } else if (r + 1 < end && r[1] != '#') {
                n = decode_ref(r, end, 0, tmp, &used);
            }
            if (n > 0) {
                memcpy(w, tmp, n);
                w += n;
                r += used;
                continue;
            }
        }
        *w++ = *r++;
    }
    *w = '\0';
    return (size_t)(w - s);
}
