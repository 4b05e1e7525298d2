/*
 * opml.c - OPML subscription lists on the streaming reader of feed_xml.c;
 * see opml.h.
 *
 * The only state is the folder path: a stack of (depth, offset) marks into
 * one buffer holding the titles of the enclosing outlines that are folders
 * (no xmlUrl), joined by '/'.  A feed outline is reported at its start tag,
 * with the line libxml2 is at, so a caller can point at it in the file.
 *
 * Reference: OPML 2.0 (http://opml.org/spec2.opml), section "Subscription
 * lists".
 */
#include "crawler/feeds/opml.h"

#include "common/fa_buf.h"
#include "common/fa_charset.h"
#include "common/fa_err.h"
#include "crawler/feeds/feed_xml.h"

#include <libxml/uri.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#define MAX_FOLDER_PATH 4096
#define MAX_FOLDERS 64

struct opml_parser {
    feed__xml *x;
    opml_outline_cb cb;
    void *ud;
    char *base_url;
    int root_ok;
    unsigned feeds;
    fa_buf folders; /* "News/Local" */
    struct {
        unsigned depth;
        size_t off;
    } marks[MAX_FOLDERS];
    unsigned nmarks;
    char err[256];
    int err_line;
};

static int on_start(void *ud, unsigned depth, const char *name, const char *ns,
                    const xmlChar **attrs, int nattrs)
{
    opml_parser *p = ud;
    if (depth == 1) {
        if (strcasecmp(name, "opml") != 0) {
            snprintf(p->err, sizeof p->err, "root element <%s> is not OPML", name);
            p->err_line = feed__xml_line(p->x);
            return FA_EPARSE;
        }
        p->root_ok = 1;
        return 0;
    }
    if (strcmp(name, "outline") != 0) return 0;
    char *xml_url = feed__xml_attr(attrs, nattrs, "xmlUrl", NULL);
    if (xml_url == NULL) xml_url = feed__xml_attr(attrs, nattrs, "xmlurl", NULL);
    char *title = feed__xml_attr(attrs, nattrs, "title", NULL);
    if (title == NULL || *title == '\0') {
        free(title);
        title = feed__xml_attr(attrs, nattrs, "text", NULL);
    }
    int rc = 0;
    if (xml_url == NULL || *xml_url == '\0') {
        /* a folder: its title joins the category path of what it holds */
        if (p->nmarks < MAX_FOLDERS) {
            p->marks[p->nmarks].depth = depth;
            p->marks[p->nmarks].off = p->folders.len;
            p->nmarks++;
            if (title != NULL && *title != '\0') {
                size_t keep = p->folders.len;
                if ((keep > 0 && fa_buf_puts(&p->folders, "/") < 0) ||
                    fa_buf_puts(&p->folders, title) < 0) {
                    p->folders.len = keep; /* too long: the folder is left out */
                    if (p->folders.data) p->folders.data[keep] = '\0';
                }
            }
        }
        goto out;
    }
    char *html_url = feed__xml_attr(attrs, nattrs, "htmlUrl", NULL);
    char *type = feed__xml_attr(attrs, nattrs, "type", NULL);
    char *abs = NULL;
    if (p->base_url != NULL) {
        xmlChar *r = xmlBuildURI((const xmlChar *)xml_url, (const xmlChar *)p->base_url);
        if (r != NULL) {
            abs = strdup((const char *)r);
            xmlFree(r);
        }
    }
    opml_outline o = {.xml_url = abs ? abs : xml_url,
                      .html_url = html_url ? html_url : "",
                      .title = title ? title : "",
                      .type = type ? type : "",
                      .category = p->folders.data ? p->folders.data : "",
                      .line = feed__xml_line(p->x)};
    p->feeds++;
    rc = p->cb ? p->cb(p->ud, &o) : 0;
    if (rc < 0) {
        snprintf(p->err, sizeof p->err, "stopped by the caller");
        p->err_line = o.line;
    }
    free(abs);
    free(html_url);
    free(type);
out:
    free(xml_url);
    free(title);
    return rc;
}

static int on_end(void *ud, unsigned depth, const char *name, const char *ns, char *text,
                  size_t len)
{
    opml_parser *p = ud;
    if (p->nmarks > 0 && p->marks[p->nmarks - 1].depth == depth) {
        p->nmarks--;
        p->folders.len = p->marks[p->nmarks].off;
        if (p->folders.data) p->folders.data[p->folders.len] = '\0';
    }
    return 0;
}

static const feed__xml_handlers handlers = {on_start, on_end};

opml_parser *opml_parser_new(const char *base_url, unsigned max_depth, opml_outline_cb cb, void *ud)
{
    opml_parser *p = calloc(1, sizeof *p);
    if (p == NULL) return NULL;
    p->cb = cb;
    p->ud = ud;
    fa_buf_init(&p->folders, MAX_FOLDER_PATH);
    /* outline text is in attributes: element text is not needed */
    p->x = feed__xml_new(&handlers, p, max_depth, 4096);
    if (p->x == NULL ||
        (base_url != NULL && *base_url && (p->base_url = strdup(base_url)) == NULL)) {
        opml_parser_free(p);
        return NULL;
    }
    return p;
}

void opml_parser_set_utf8_input(opml_parser *p)
{
    if (p != NULL) feed__xml_set_utf8_input(p->x);
}

static int push_decoded(void *ud, const char *s, size_t n)
{
    return opml_parser_push(ud, s, n);
}

int opml_parser_push(opml_parser *p, const void *data, size_t len)
{
    if (p == NULL) return FA_EINVAL;
    return feed__xml_push(p->x, data, len);
}

int opml_parser_finish(opml_parser *p)
{
    if (p == NULL) return FA_EINVAL;
    int rc = feed__xml_finish(p->x);
    if (rc < 0) return rc;
    if (!p->root_ok) {
        snprintf(p->err, sizeof p->err, "no <opml> root element");
        return FA_EPARSE;
    }
    return (int)p->feeds;
}

const char *opml_parser_error(const opml_parser *p, int *line)
{
    if (line != NULL) *line = 0;
    if (p == NULL) return "";
    if (p->err[0]) {
        if (line != NULL) *line = p->err_line;
        return p->err;
    }
    const char *e = feed__xml_error(p->x);
    if (line != NULL && *e) *line = feed__xml_line(p->x);
    return e;
}

void opml_parser_free(opml_parser *p)
{
    if (p == NULL) return;
    feed__xml_free(p->x);
    fa_buf_free(&p->folders);
    free(p->base_url);
    free(p);
}

int opml_read_file(const char *path, opml_outline_cb cb, void *ud, char *err, size_t errlen)
{
    char dummy[8];
    if (err == NULL) {
        err = dummy;
        errlen = sizeof dummy;
    }
    err[0] = '\0';
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        int e = errno;
        snprintf(err, errlen, "%s: cannot open: %s", path, strerror(e));
        return e == ENOENT ? FA_ENOENT : FA_EIO;
    }
    int rc = 0;
    /* the file's encoding decided as for a response */
    opml_parser *p = opml_parser_new(NULL, 0, cb, ud);
    fa_charset_decoder *cs = p ? fa_charset_decoder_new(NULL, push_decoded, p) : NULL;
    opml_parser_set_utf8_input(p);
    if (cs == NULL) {
        rc = FA_ENOMEM;
        snprintf(err, errlen, "%s: out of memory", path);
        goto out;
    }
    size_t total = 0;
    char buf[16384];
    for (;;) {
        ssize_t n = read(fd, buf, sizeof buf);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) {
            snprintf(err, errlen, "%s: read failed: %s", path, strerror(errno));
            rc = FA_EIO;
            goto out;
        }
        if (n == 0) break;
        total += (size_t)n;
        if (total > OPML_MAX_FILE_SIZE) {
            snprintf(err, errlen, "%s: larger than %zu MiB", path, OPML_MAX_FILE_SIZE >> 20);
            rc = FA_ETOOBIG;
            goto out;
        }
        rc = fa_charset_push(cs, buf, (size_t)n);
        if (rc < 0) break;
    }
    if (rc == 0) rc = fa_charset_finish(cs);
    if (rc == 0) rc = opml_parser_finish(p);
    if (rc < 0) {
        int line;
        const char *m = opml_parser_error(p, &line);
        if (line > 0)
            snprintf(err, errlen, "%s:%d: %s", path, line, m);
        else
            snprintf(err, errlen, "%s: %s", path, m);
    }
out:
    fa_charset_decoder_free(cs);
    opml_parser_free(p);
    close(fd);
    return rc;
}
