/*
 * config_dump.c - the effective config written back as YAML.
 *
 * Every key is written, defaults included, so the output shows what
 * feedarc will actually do ("feedarc config check"); a key without a value
 * (operator, accept_encoding) is written as null with a comment saying what
 * that means.  A source's keys that depend on its kind (max_pages, json,
 * headers, opml) are written where they apply.  Strings are
 * always double-quoted with YAML escapes for control characters and for
 * the Unicode line/paragraph separators libyaml would otherwise fold, so
 * any string the loader accepted comes back byte for byte.  Durations and
 * sizes use the largest exact unit ("1m", "32MiB").
 */
#include "config/config.h"
#include "config/config_internal.h"
#include "common/fa_buf.h"
#include "common/fa_err.h"

#include <stdlib.h>
#include <string.h>

#define MAX_DUMP_SIZE ((size_t)256 << 20)

/* Length of the UTF-8 sequence at s and its code point, or 0 if invalid. */
static size_t utf8_decode(const unsigned char *s, uint32_t *cp)
{
    if (s[0] < 0x80) {
        *cp = s[0];
        return 1;
    }
    size_t n;
    uint32_t v, min;
    if ((s[0] & 0xE0) == 0xC0) {
        n = 2, v = s[0] & 0x1F, min = 0x80;
    } else if ((s[0] & 0xF0) == 0xE0) {
        n = 3, v = s[0] & 0x0F, min = 0x800;
    } else if ((s[0] & 0xF8) == 0xF0) {
        n = 4, v = s[0] & 0x07, min = 0x10000;
    } else {
        return 0;
    }
    for (size_t i = 1; i < n; i++) {
        if ((s[i] & 0xC0) != 0x80) return 0;
        v = (v << 6) | (s[i] & 0x3F);
    }
    if (v < min || v > 0x10FFFF || (v >= 0xD800 && v <= 0xDFFF)) return 0;
    *cp = v;
    return n;
}

/* Appends s as a YAML double-quoted scalar. */
static int put_quoted(fa_buf *b, const char *s)
{
    int rc = fa_buf_puts(b, "\"");
    const unsigned char *p = (const unsigned char *)s;
    while (rc == 0 && *p != '\0') {
        uint32_t cp;
        size_t n = utf8_decode(p, &cp);
        if (n == 0) return FA_EINVAL;
        if (cp == '"' || cp == '\\')
            rc = fa_buf_printf(b, "\\%c", (char)cp);
        else if (cp < 0x20 || cp == 0x7F)
            rc = fa_buf_printf(b, "\\x%02X", (unsigned)cp);
        else if ((cp >= 0x80 && cp <= 0x9F) || cp == 0x2028 || cp == 0x2029 || cp == 0xFEFF ||
                 cp == 0xFFFE || cp == 0xFFFF)
            rc = fa_buf_printf(b, "\\u%04X", (unsigned)cp);
        else
            rc = fa_buf_append(b, p, n);
        p += n;
    }
    if (rc == 0) rc = fa_buf_puts(b, "\"");
    return rc;
}

/* "<indent><key>: \"value\"\n"; a NULL value writes nothing. */
static int put_string(fa_buf *b, const char *indent, const char *key, const char *value)
{
    if (value == NULL) return 0;
    int rc = fa_buf_printf(b, "%s%s: ", indent, key);
    if (rc == 0) rc = put_quoted(b, value);
    if (rc == 0) rc = fa_buf_puts(b, "\n");
    return rc;
}

static int put_duration(fa_buf *b, const char *indent, const char *key, uint64_t ms)
{
    char text[32];
    config__format_duration(ms, text);
    return fa_buf_printf(b, "%s%s: %s\n", indent, key, text);
}

static int put_size(fa_buf *b, const char *indent, const char *key, uint64_t bytes)
{
    char text[32];
    config__format_size(bytes, text);
    return fa_buf_printf(b, "%s%s: %s\n", indent, key, text);
}

/* The json: block of a type json source. */
static int put_json(fa_buf *b, const config_json_mapping *m)
{
    int rc = fa_buf_puts(b, "    json:\n");
    const struct {
        const char *key;
        const char *value;
    } ptrs[] = {{"items", m->items},     {"id", m->id},           {"url", m->url},
                {"title", m->title},     {"date", m->date},       {"updated", m->updated},
                {"content", m->content}, {"summary", m->summary}, {"author", m->author},
                {"next_url", m->next_url}, {"cursor", m->cursor}, {"page_param", m->page_param},
                {"cursor_param", m->cursor_param}};
    for (size_t i = 0; rc == 0 && i < sizeof ptrs / sizeof ptrs[0]; i++)
        rc = put_string(b, "      ", ptrs[i].key, ptrs[i].value);
    if (rc == 0) rc = fa_buf_printf(b, "      paginate: %s\n", config_paginate_name(m->paginate));
    if (rc == 0 && m->max_pages) rc = fa_buf_printf(b, "      max_pages: %u\n", m->max_pages);
    return rc;
}

static int put_source(fa_buf *b, const config_source *s)
{
    if (s->url == NULL && s->opml_path == NULL) return FA_EINVAL;
    int rc = fa_buf_puts(b, s->url ? "  - url: " : "  - opml: ");
    if (rc == 0) rc = put_quoted(b, s->url ? s->url : s->opml_path);
    if (rc == 0) rc = fa_buf_puts(b, "\n");
    if (rc == 0) rc = put_string(b, "    ", "name", s->name);
    if (rc == 0) rc = fa_buf_printf(b, "    type: %s\n", config_source_type_name(s->type));
    if (rc == 0) rc = fa_buf_printf(b, "    fetch_pages: %s\n", s->fetch_pages ? "true" : "false");
    if (rc == 0)
        rc = fa_buf_printf(b, "    ignore_robots: %s\n", s->ignore_robots ? "true" : "false");
    if (rc == 0) rc = put_duration(b, "    ", "interval", s->interval_ms);
    if (rc == 0) rc = fa_buf_printf(b, "    max_items: %u\n", s->max_items);
    if (rc == 0 && fa_source_kind_has(s->type, FA_SOURCE_PAGINATED) &&
        !(s->json && s->json->max_pages))
        rc = fa_buf_printf(b, "    max_pages: %u\n", s->max_pages);
    if (rc == 0 && s->json != NULL) rc = put_json(b, s->json);
    if (rc == 0 && s->n_headers > 0) rc = fa_buf_puts(b, "    headers:\n");
    for (size_t i = 0; rc == 0 && i < s->n_headers; i++) {
        rc = fa_buf_puts(b, "      ");
        if (rc == 0) rc = put_quoted(b, s->headers[i].name ? s->headers[i].name : "");
        if (rc == 0) rc = fa_buf_puts(b, ": ");
        if (rc == 0) rc = put_quoted(b, s->headers[i].value ? s->headers[i].value : "");
        if (rc == 0) rc = fa_buf_puts(b, "\n");
    }
    return rc;
}

int config_dump(const config *c, char **out)
{
    if (out != NULL) *out = NULL;
    if (c == NULL || out == NULL) return FA_EINVAL;
    fa_buf b;
    fa_buf_init(&b, MAX_DUMP_SIZE);
    int rc = fa_buf_puts(&b, "# feedarc: effective configuration, defaults included\n");
    if (rc == 0) rc = put_string(&b, "", "user_agent", c->user_agent);
    if (rc == 0) rc = fa_buf_puts(&b, "storage:\n");
    if (rc == 0) rc = put_string(&b, "  ", "dir", c->storage.dir);
    if (rc == 0) rc = put_string(&b, "  ", "state_dir", c->storage.state_dir);
    if (rc == 0) rc = put_string(&b, "  ", "prefix", c->storage.prefix);
    if (rc == 0) rc = put_size(&b, "  ", "segment_max_size", c->storage.segment_max_size);
    if (rc == 0) rc = fa_buf_printf(&b, "  compression_level: %d\n", c->storage.compression_level);
    if (rc == 0)
        rc = put_string(&b, "  ", "dictionary",
                        c->storage.dictionary ? c->storage.dictionary : "auto");
    if (rc == 0)
        rc = fa_buf_printf(&b, "  revisit_not_modified: %s\n",
                           c->storage.revisit_not_modified ? "true" : "false");
    if (rc == 0) rc = fa_buf_printf(&b, "  file_mode: \"0%03o\"\n", c->storage.file_mode & 0777);
    if (rc == 0)
        rc = c->storage.operator_name
                 ? put_string(&b, "  ", "operator", c->storage.operator_name)
                 : fa_buf_puts(&b, "  operator: null              # no operator: in warcinfo\n");
    if (rc == 0)
        rc = fa_buf_printf(&b, "politeness:\n  max_connections_per_host: %u\n",
                           c->politeness.max_connections_per_host);
    if (rc == 0) rc = put_duration(&b, "  ", "min_delay", c->politeness.min_delay_ms);
    if (rc == 0) rc = fa_buf_printf(&b, "  delay_factor: %g\n", c->politeness.delay_factor);
    if (rc == 0) rc = put_duration(&b, "  ", "max_delay", c->politeness.max_delay_ms);
    if (rc == 0) rc = fa_buf_printf(&b, "  max_connections: %u\n", c->politeness.max_connections);
    if (rc == 0) rc = fa_buf_puts(&b, "http:\n");
    if (rc == 0) rc = put_duration(&b, "  ", "connect_timeout", c->http.connect_timeout_ms);
    if (rc == 0) rc = put_duration(&b, "  ", "timeout", c->http.timeout_ms);
    if (rc == 0) rc = put_size(&b, "  ", "max_body_size", c->http.max_body_size);
    if (rc == 0) rc = fa_buf_printf(&b, "  max_redirects: %u\n", c->http.max_redirects);
    if (rc == 0) rc = fa_buf_printf(&b, "  retries: %u\n", c->http.retries);
    if (rc == 0)
        rc = c->http.accept_encoding
                 ? put_string(&b, "  ", "accept_encoding", c->http.accept_encoding)
                 : fa_buf_puts(&b, "  accept_encoding: null       # every coding feedarc and "
                                   "libcurl decode (gzip, deflate, br, zstd)\n");
    if (rc == 0) rc = put_duration(&b, "  ", "backoff_base", c->http.backoff_base_ms);
    if (rc == 0) rc = put_duration(&b, "  ", "backoff_max", c->http.backoff_max_ms);
    if (rc == 0) rc = put_duration(&b, "  ", "max_retry_after", c->http.max_retry_after_ms);
    if (rc == 0) rc = put_duration(&b, "  ", "low_speed_time", c->http.low_speed_time_ms);
    if (rc == 0) rc = put_size(&b, "  ", "max_header_size", c->http.max_header_size);
    if (rc == 0) rc = put_size(&b, "  ", "max_decoded_size", c->http.max_decoded_size);
    if (rc == 0) rc = fa_buf_puts(&b, "  redact_headers: [");
    for (size_t i = 0; rc == 0 && i < c->http.n_redact_headers; i++) {
        if (i > 0) rc = fa_buf_puts(&b, ", ");
        if (rc == 0) rc = put_quoted(&b, c->http.redact_headers[i]);
    }
    if (rc == 0) rc = fa_buf_puts(&b, "]\n");
    if (rc == 0) rc = fa_buf_puts(&b, "metrics:\n");
    if (rc == 0) rc = put_string(&b, "  ", "listen", c->metrics.listen);
    if (rc == 0)
        rc = fa_buf_printf(&b, "log:\n  format: %s\n  level: %s\n",
                           config_log_format_name(c->log.format),
                           config_log_level_name(c->log.level));
    if (rc == 0) rc = fa_buf_puts(&b, "service:\n");
    if (rc == 0) rc = put_duration(&b, "  ", "grace_period", c->service.grace_period_ms);
    if (rc == 0)
        rc = fa_buf_printf(&b, "dedup:\n  enabled: %s\n  near_threshold: %g\n"
                               "  containment_threshold: %g\n",
                           c->dedup.enabled ? "true" : "false", c->dedup.near_threshold,
                           c->dedup.containment_threshold);
    if (rc == 0 && c->cluster.enabled) {
        /* the password is never written: it stays in the file or REDIS_PASSWORD */
        rc = fa_buf_puts(&b, "cluster:\n");
        if (rc == 0) rc = put_string(&b, "  ", "redis", c->cluster.redis);
        if (rc == 0)
            rc = fa_buf_puts(&b, "  # a password (in the URL or REDIS_PASSWORD) is never shown\n");
        if (rc == 0) rc = put_string(&b, "  ", "node", c->cluster.node);
        if (rc == 0) rc = put_duration(&b, "  ", "lease", c->cluster.lease_ms);
    }
    if (rc == 0) rc = fa_buf_puts(&b, c->n_sources > 0 ? "sources:\n" : "sources: []\n");
    for (size_t i = 0; rc == 0 && i < c->n_sources; i++)
        rc = put_source(&b, &c->sources[i]);
    if (rc < 0) goto out;
    *out = fa_buf_steal(&b, NULL);
out:
    fa_buf_free(&b);
    if (rc == FA_ETOOBIG) rc = FA_ENOMEM;
    return rc;
}
