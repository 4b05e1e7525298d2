/*
 * feed_xml.c - the streaming XML reader behind sitemap.c and opml.c; see
 * feed_xml.h.
 *
 * Same three stages as feed_parser.c, smaller: (1) the first bytes are held
 * back (at most HOLD_MAX) to drop a UTF-8 BOM and leading whitespace and
 * to see whether the XML declaration names an encoding; (2) libxml2's push
 * parser with SAX2 callbacks, XML_PARSE_RECOVER | XML_PARSE_NONET, no
 * external entity ever loaded, the internal subset capped and text output
 * held to EXPANSION_RATIO times the input; (3) the text of the current
 * element is gathered in one fa_buf, reset at every start tag, so a
 * handler sees a leaf element's whole text at its end tag.  Memory is the
 * largest element's text plus libxml2's own window.
 *
 * When a default encoding is set and the body has neither a BOM nor an
 * encoding declaration, the push context is created empty, switched to
 * that encoding with xmlSwitchToEncoding, and only then given the bytes.
 */
#include "crawler/feeds/feed_xml.h"

#include "common/fa_buf.h"
#include "common/fa_err.h"
#include "crawler/feeds/feed_html.h"

#include <libxml/SAX2.h>
#include <libxml/parserInternals.h>

#include <limits.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define HOLD_MAX 256
#define DEFAULT_MAX_DEPTH 256u
#define DEFAULT_MAX_TEXT ((size_t)1 << 20)
#define MAX_DTD_BYTES (1u << 20)
#define EXPANSION_RATIO 16
/* Entity references resolved, nested ones included: at most one per
 * REF_BYTES bytes of input, beyond REF_SLACK.  A billion laughs of empty or
 * tag-only entities puts out no text for EXPANSION_RATIO to see, yet
 * libxml2 2.9 re-parses an entity's content, in a new input buffer, at
 * every reference (a 1.4 KB sitemap: 4.3 s under ASan before this cap). */
#define REF_BYTES 4 /* one reference per 4 bytes of input ("&nbsp;" is 6) */
#define REF_SLACK 1024u
#define EXPANSION_SLACK (64u << 10) /* as feed_parser.c */

struct feed__xml {
    const feed__xml_handlers *h;
    void *ud;
    unsigned max_depth;
    xmlSAXHandler sax;
    xmlParserCtxtPtr ctxt; /* NULL while holding back */
    char *encoding;        /* default encoding, owned */
    int utf8_input;        /* the body is UTF-8 already: declarations ignored */

    unsigned char hold[HOLD_MAX];
    size_t hold_len;

    unsigned depth;
    fa_buf text;
    int rc;
    int stopped;
    int finished;
    int root_seen;
    unsigned recovered;
    char err[256];
    char xml_err[160];
    int fatal_code; /* libxml2's last fatal error: the one that halts it */
    char fatal_err[160];
    uint64_t bytes_in, text_out, refs;
    size_t dtd_bytes;
};

static int is_ws(unsigned char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

int feed__xml_fail(feed__xml *x, int code, const char *fmt, ...)
{
    if (x->rc == 0) {
        x->rc = code;
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(x->err, sizeof x->err, fmt, ap);
        va_end(ap);
    }
    x->stopped = 1;
    if (x->ctxt != NULL) xmlStopParser(x->ctxt);
    return x->rc;
}

void feed__xml_stop(feed__xml *x)
{
    if (x == NULL) return;
    x->stopped = 1;
    if (x->ctxt != NULL) xmlStopParser(x->ctxt);
}

static feed__xml *reader_of(void *ctx)
{
    xmlParserCtxtPtr c = ctx;
    feed__xml *x = c ? c->_private : NULL;
    if (x == NULL || x->stopped) return NULL;
    c->wellFormed = 1; /* keep entity references alive after an error (see feed_parser.c) */
    return x;
}

static void on_start(void *ctx, const xmlChar *localname, const xmlChar *prefix, const xmlChar *uri,
                     int nb_namespaces, const xmlChar **namespaces, int nb_attributes,
                     int nb_defaulted, const xmlChar **attrs)
{
    feed__xml *x = reader_of(ctx);
    if (x == NULL) return;
    x->root_seen = 1;
    if (++x->depth > x->max_depth) {
        feed__xml_fail(x, FA_ETOOBIG, "XML nested deeper than %u elements", x->max_depth);
        return;
    }
    fa_buf_reset(&x->text);
    if (x->h->start == NULL) return;
    int rc = x->h->start(x->ud, x->depth, (const char *)localname, (const char *)uri, attrs,
                         nb_attributes);
    if (rc < 0) feed__xml_fail(x, rc, "stopped by the caller");
}

static void on_end(void *ctx, const xmlChar *localname, const xmlChar *prefix, const xmlChar *uri)
{
    feed__xml *x = reader_of(ctx);
    if (x == NULL || x->depth == 0) return;
    if (x->h->end != NULL) {
        char empty[1] = "";
        char *t = x->text.data ? x->text.data : empty;
        size_t s = 0, e = x->text.len;
        while (s < e && is_ws((unsigned char)t[s]))
            s++;
        while (e > s && is_ws((unsigned char)t[e - 1]))
            e--;
        t[e] = '\0';
        int rc =
            x->h->end(x->ud, x->depth, (const char *)localname, (const char *)uri, t + s, e - s);
        if (rc < 0) feed__xml_fail(x, rc, "stopped by the caller");
    }
    fa_buf_reset(&x->text);
    x->depth--;
}

static void on_text(void *ctx, const xmlChar *ch, int len)
{
    feed__xml *x = reader_of(ctx);
    if (x == NULL || len <= 0) return;
    x->text_out += (uint64_t)len;
    if (x->text_out > x->bytes_in * EXPANSION_RATIO + EXPANSION_SLACK) {
        feed__xml_fail(x, FA_ETOOBIG, "entity expansion too large");
        return;
    }
    int rc = fa_buf_append(&x->text, ch, (size_t)len);
    if (rc == FA_ENOMEM) feed__xml_fail(x, rc, "out of memory");
    /* FA_ETOOBIG: the rest of this element's text is dropped */
}

/* Once stopped, no entity resolves any more: libxml2 2.9 parses an
 * entity's content afresh, in a context of its own, at every reference
 * when no tree is built, and xmlStopParser halts only the main context, so
 * the contexts of the entities in between would go on expanding a billion
 * laughs (see feed_parser.c on_get_entity).  Not well-formed, or libxml2
 * looks the entity up itself. */
static xmlEntityPtr on_get_entity(void *ctx, const xmlChar *name)
{
    xmlParserCtxtPtr c = ctx;
    feed__xml *x = c->_private;
    if (x != NULL && x->stopped) {
        c->wellFormed = 0;
        return NULL;
    }
    if (x != NULL && ++x->refs > x->bytes_in / REF_BYTES + REF_SLACK) {
        feed__xml_fail(x, FA_ETOOBIG, "entity expansion too large: %llu references",
                       (unsigned long long)x->refs);
        c->wellFormed = 0;
        return NULL;
    }
    return xmlSAX2GetEntity(ctx, name);
}

static void on_entity_decl(void *ctx, const xmlChar *name, int type, const xmlChar *public_id,
                           const xmlChar *system_id, xmlChar *content)
{
    xmlParserCtxtPtr c = ctx;
    feed__xml *x = c->_private;
    if (x == NULL || x->stopped) return;
    x->dtd_bytes += strlen((const char *)name) + (content ? strlen((const char *)content) : 0);
    if (x->dtd_bytes > MAX_DTD_BYTES) {
        feed__xml_fail(x, FA_ETOOBIG, "internal DTD subset declares more than %u bytes",
                       MAX_DTD_BYTES);
        return;
    }
    xmlSAX2EntityDecl(ctx, name, type, public_id, system_id, content);
}

static xmlParserInputPtr on_resolve_entity(void *ctx, const xmlChar *public_id,
                                           const xmlChar *system_id)
{
    return NULL;
}

static void on_error(void *data, xmlErrorPtr e)
{
    xmlParserCtxtPtr c = e && e->ctxt ? e->ctxt : data;
    feed__xml *x = c ? c->_private : NULL;
    if (x == NULL || e == NULL) return;
    x->recovered++;
    if (e->level == XML_ERR_FATAL) {
        x->fatal_code = e->code;
        snprintf(x->fatal_err, sizeof x->fatal_err, "%s", e->message ? e->message : "");
        size_t n = strlen(x->fatal_err);
        while (n > 0 && is_ws((unsigned char)x->fatal_err[n - 1]))
            x->fatal_err[--n] = '\0';
    }
    if (x->xml_err[0] == '\0' && e->message != NULL) {
        snprintf(x->xml_err, sizeof x->xml_err, "%s", e->message);
        size_t n = strlen(x->xml_err);
        while (n > 0 && is_ws((unsigned char)x->xml_err[n - 1]))
            x->xml_err[--n] = '\0';
        if (e->line > 0 && n + 16 < sizeof x->xml_err)
            snprintf(x->xml_err + n, sizeof x->xml_err - n, " (line %d)", e->line);
    }
}

feed__xml *feed__xml_new(const feed__xml_handlers *h, void *ud, unsigned max_depth, size_t max_text)
{
    xmlInitParser();
    feed__xml *x = calloc(1, sizeof *x);
    if (x == NULL) return NULL;
    x->h = h;
    x->ud = ud;
    x->max_depth = max_depth ? max_depth : DEFAULT_MAX_DEPTH;
    fa_buf_init(&x->text, max_text ? max_text : DEFAULT_MAX_TEXT);
    xmlSAXVersion(&x->sax, 2);
    x->sax.startElementNs = on_start;
    x->sax.endElementNs = on_end;
    x->sax.characters = on_text;
    x->sax.cdataBlock = on_text;
    x->sax.ignorableWhitespace = on_text;
    x->sax.entityDecl = on_entity_decl;
    x->sax.getEntity = on_get_entity;
    x->sax.resolveEntity = on_resolve_entity;
    x->sax.serror = on_error;
    x->sax.warning = NULL;
    x->sax.error = NULL;
    x->sax.fatalError = NULL;
    x->sax.externalSubset = NULL;
    x->sax.reference = NULL;
    x->sax.processingInstruction = NULL;
    x->sax.comment = NULL;
    x->sax.startElement = NULL;
    x->sax.endElement = NULL;
    return x;
}

int feed__xml_set_default_encoding(feed__xml *x, const char *charset)
{
    if (x == NULL) return FA_EINVAL;
    free(x->encoding);
    x->encoding = NULL;
    if (charset == NULL || *charset == '\0') return 0;
    x->encoding = strdup(charset);
    return x->encoding ? 0 : FA_ENOMEM;
}

void feed__xml_set_utf8_input(feed__xml *x)
{
    if (x != NULL) x->utf8_input = 1;
}

int feed__xml_declares_encoding(const unsigned char *s, size_t n)
{
    if (n >= 2 && ((s[0] == 0xFF && s[1] == 0xFE) || (s[0] == 0xFE && s[1] == 0xFF))) return 1;
    if (n >= 3 && s[0] == 0xEF && s[1] == 0xBB && s[2] == 0xBF) return 1;
    if (n >= 2 && (s[0] == 0 || s[1] == 0)) return 1; /* UTF-16 without BOM: libxml2 detects */
    if (n < 5 || memcmp(s, "<?xml", 5) != 0) return 0;
    for (size_t i = 5; i + 8 <= n; i++) {
        if (s[i] == '?' && i + 1 < n && s[i + 1] == '>') return 0;
        if (memcmp(s + i, "encoding", 8) == 0) return 1;
    }
    return 0;
}

/* Starts libxml2 on the held-back bytes. */
static int start_xml(feed__xml *x)
{
    const unsigned char *s = x->hold;
    size_t n = x->hold_len;
    int wide = n >= 2 && (s[0] == 0xFF || s[0] == 0xFE || s[0] == 0 || s[1] == 0);
    if (!wide) {
        if (n >= 3 && s[0] == 0xEF && s[1] == 0xBB && s[2] == 0xBF) {
            s += 3;
            n -= 3;
        }
        while (n > 0 && is_ws(*s)) {
            s++;
            n--;
        }
        if (n == 0) return 0; /* only whitespace so far */
        if (*s != '<')
            return feed__xml_fail(x, FA_EPARSE, "not XML: body starts with byte 0x%02x", *s);
    }
    xmlCharEncodingHandlerPtr enc = NULL;
    if (x->encoding != NULL && !x->utf8_input && !wide && !feed__xml_declares_encoding(s, n) &&
        strcasecmp(x->encoding, "utf-8") != 0)
        enc = xmlFindCharEncodingHandler(x->encoding);
    if (enc != NULL) {
        x->ctxt = xmlCreatePushParserCtxt(&x->sax, NULL, NULL, 0, NULL);
        if (x->ctxt == NULL) return feed__xml_fail(x, FA_ENOMEM, "out of memory");
        xmlSwitchToEncoding(x->ctxt, enc);
    } else {
        x->ctxt = xmlCreatePushParserCtxt(&x->sax, NULL, (const char *)s, (int)n, NULL);
        if (x->ctxt == NULL) return feed__xml_fail(x, FA_ENOMEM, "out of memory");
        n = 0;
    }
    x->ctxt->_private = x;
    xmlCtxtUseOptions(x->ctxt, XML_PARSE_RECOVER | XML_PARSE_NONET |
                                   (x->utf8_input ? XML_PARSE_IGNORE_ENC : 0));
    if (n > 0) xmlParseChunk(x->ctxt, (const char *)s, (int)n, 0);
    x->hold_len = 0;
    return x->rc;
}

static int after_parse(feed__xml *x)
{
    if (x->rc < 0) return x->rc;
    if (x->ctxt->instate == XML_PARSER_EOF && !x->stopped) {
        x->stopped = 1;
        if (!x->root_seen)
            return feed__xml_fail(x, FA_EPARSE, "not XML: %s",
                                  x->xml_err[0] ? x->xml_err : "no root element");
        /* halted inside the root at one of libxml2's limits (entity
         * amplification, a huge text node or name, nesting): the rest is
         * lost, and that is said, never a silent success */
        int limit = x->fatal_code == XML_ERR_NO_MEMORY || x->fatal_code == XML_ERR_ENTITY_LOOP ||
                    x->fatal_code == XML_ERR_INTERNAL_ERROR;
        if (x->depth > 0 && limit)
            return feed__xml_fail(x, FA_ETOOBIG, "XML parser stopped at a limit: %s", x->fatal_err);
    }
    return 0;
}

int feed__xml_push(feed__xml *x, const void *data, size_t len)
{
    if (x == NULL || (data == NULL && len > 0)) return FA_EINVAL;
    if (x->rc < 0) return x->rc;
    if (x->stopped || len == 0) return 0;
    const char *d = data;
    x->bytes_in += len;
    while (x->ctxt == NULL && len > 0) {
        size_t take = HOLD_MAX - x->hold_len;
        if (take > len) take = len;
        memcpy(x->hold + x->hold_len, d, take);
        x->hold_len += take;
        d += take;
        len -= take;
        if (x->hold_len == HOLD_MAX) {
            int rc = start_xml(x);
            if (rc < 0) return rc;
            if (x->ctxt == NULL) x->hold_len = 0; /* 256 bytes of whitespace: drop them */
        }
    }
    while (len > 0 && !x->stopped) {
        int n = len > INT_MAX ? INT_MAX : (int)len;
        xmlParseChunk(x->ctxt, d, n, 0);
        d += n;
        len -= (size_t)n;
        int rc = after_parse(x);
        if (rc < 0) return rc;
    }
    return x->rc;
}

int feed__xml_finish(feed__xml *x)
{
    if (x == NULL) return FA_EINVAL;
    if (x->rc < 0) return x->rc;
    if (x->finished) return 0;
    x->finished = 1;
    if (x->ctxt == NULL) {
        int rc = start_xml(x);
        if (rc < 0) return rc;
    }
    if (x->ctxt == NULL) return feed__xml_fail(x, FA_EPARSE, "not XML: empty body");
    if (!x->stopped) {
        xmlParseChunk(x->ctxt, NULL, 0, 1);
        int rc = after_parse(x);
        if (rc < 0) return rc;
    }
    if (!x->root_seen)
        return feed__xml_fail(x, FA_EPARSE, "not XML: %s",
                              x->xml_err[0] ? x->xml_err : "no root element");
    return x->rc;
}

int feed__xml_line(const feed__xml *x)
{
    if (x == NULL || x->ctxt == NULL || x->ctxt->input == NULL) return 0;
    return x->ctxt->input->line;
}

const char *feed__xml_error(const feed__xml *x)
{
    return x ? x->err : "";
}

unsigned feed__xml_recovered(const feed__xml *x)
{
    return x ? x->recovered : 0;
}

void feed__xml_free(feed__xml *x)
{
    if (x == NULL) return;
    if (x->ctxt != NULL) {
        if (x->ctxt->myDoc != NULL) xmlFreeDoc(x->ctxt->myDoc);
        x->ctxt->myDoc = NULL;
        xmlFreeParserCtxt(x->ctxt);
    }
    fa_buf_free(&x->text);
    free(x->encoding);
    free(x);
}

char *feed__xml_attr(const xmlChar **attrs, int nattrs, const char *name, const char *ns)
{
    for (int i = 0; i < nattrs; i++) {
        const xmlChar **a = attrs + (ptrdiff_t)5 * i;
        if (a[0] == NULL || strcmp((const char *)a[0], name) != 0) continue;
        if ((ns == NULL) != (a[2] == NULL)) continue;
        if (ns != NULL && strcmp((const char *)a[2], ns) != 0) continue;
        size_t len = (size_t)(a[4] - a[3]);
        const char *v = (const char *)a[3];
        while (len > 0 && is_ws((unsigned char)*v)) {
            v++;
            len--;
        }
        while (len > 0 && is_ws((unsigned char)v[len - 1]))
            len--;
        char *out = malloc(len + 1);
        if (out == NULL) return NULL;
        memcpy(out, v, len);
        out[len] = '\0';
        feed__attr_decode(out, len);
        return out;
    }
    return NULL;
}
