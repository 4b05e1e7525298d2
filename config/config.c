/*
 * config.c - loading feedarc.yaml into a validated struct config.
 *
 * The idea: libyaml's document API parses the whole file into a node graph
 * in which every node carries its start mark, so any complaint can name the
 * line of the key or value it is about.  The loader then walks that graph
 * against a table of known keys per mapping (struct field: key, kind, where
 * the value goes, its allowed range).  The walk never stops at a problem:
 * each one is appended to an error text ("file:line: path: message") and
 * the walk goes on, so a user fixes every mistake in one round.  Only when
 * the walk found nothing wrong is the config handed out.
 *
 *   text --libyaml--> yaml_document_t --walk_mapping(fields)--> config
 *                         |                       |
 *                  syntax error:            type/range/unknown/duplicate:
 *                  file:L:C: problem        file:L: path: message
 *
 * Paths in messages: keys joined with '.', list items as [i], counting from
 * 0 ("sources[2].interval").  Ceilings: the input (4 MiB), the number of
 * sources and of headers per source, and the error text itself (the first
 * CONFIG_MAX_ERRORS errors are kept).
 *
 * Anchors and aliases work (libyaml shares the node; the walk visits it once
 * per reference, which is linear since no field nests arbitrarily deep).
 * Type strictness: integers and booleans must be plain (unquoted) scalars;
 * string, duration and size fields accept any scalar style.
 */
#include "config/config.h"
#include "common/fa_url.h"
#include "config/config_internal.h"
#include "common/fa_buf.h"
#include "common/fa_err.h"
#include "common/fa_redis_url.h"

#include <yaml.h>

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#ifndef FEEDARC_VERSION
#define FEEDARC_VERSION "0"
#endif

#define CONFIG_DEFAULT_USER_AGENT                                                                  \
    "feedarc/" FEEDARC_VERSION " (+https://github.com/feedarc/feedarc)"

#define MAX_ERRORS_TEXT ((size_t)256 << 10) /* ceiling on the error text */
#define MAX_KEY_PATH 256                    /* longer paths are cut in messages */
#define MAX_DURATION_MS ((uint64_t)365 * 24 * 60 * 60 * 1000)

/* ---- the loader's state and its error text ---- */

typedef struct cfg_loader {
    yaml_document_t *doc;
    const char *label; /* file name for messages; borrowed */
    const char *base_dir;
    fa_buf errs;
    unsigned n_errors;
    int oom;
    int key_line;            /* line of the key whose value set_field is handling */
    int cluster_redis_given; /* cluster.redis was there (valid or not) */
} cfg_loader;

static void cfg_verror(cfg_loader *ld, int line, const char *path, const char *fmt, va_list ap)
{
    ld->n_errors++;
    if (ld->n_errors > CONFIG_MAX_ERRORS) {
        if (ld->n_errors == CONFIG_MAX_ERRORS + 1)
            fa_buf_printf(&ld->errs, "%s: too many errors; only the first %d are shown\n",
                          ld->label, CONFIG_MAX_ERRORS);
        return;
    }
    int rc = 0;
    if (line > 0)
        rc = fa_buf_printf(&ld->errs, "%s:%d: ", ld->label, line);
    else
        rc = fa_buf_printf(&ld->errs, "%s: ", ld->label);
    if (rc == 0 && path != NULL && *path != '\0') rc = fa_buf_printf(&ld->errs, "%s: ", path);
    if (rc == 0) rc = fa_buf_vprintf(&ld->errs, fmt, ap);
    if (rc == 0) rc = fa_buf_puts(&ld->errs, "\n");
    if (rc == FA_ENOMEM) ld->oom = 1;
}

static void cfg_error(cfg_loader *ld, int line, const char *path, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static void cfg_error(cfg_loader *ld, int line, const char *path, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    cfg_verror(ld, line, path, fmt, ap);
    va_end(ap);
}

static char *cfg_strdup(cfg_loader *ld, const char *s)
{
    char *p = strdup(s);
    if (p == NULL) ld->oom = 1;
    return p;
}

/* Writes s for a message: in double quotes, control characters and quotes
 * escaped, cut (at a UTF-8 boundary) after about 60 bytes. */
static const char *quote(const char *s, char out[96])
{
    size_t w = 0;
    out[w++] = '"';
    for (size_t i = 0; s[i] != '\0'; i++) {
        unsigned char ch = (unsigned char)s[i];
        if (w >= 64 && (ch & 0xC0) != 0x80) {
            memcpy(out + w, "...", 3);
            w += 3;
            break;
        }
        if (ch < 0x20 || ch == 0x7f) {
            w += (size_t)snprintf(out + w, 8, "\\x%02x", ch);
        } else if (ch == '"' || ch == '\\') {
            out[w++] = '\\';
            out[w++] = (char)ch;
        } else {
            out[w++] = (char)ch;
        }
    }
    out[w++] = '"';
    out[w] = '\0';
    return out;
}

/* ---- nodes ---- */

static int node_line(const yaml_node_t *n)
{
    return (int)n->start_mark.line + 1;
}

static const char *node_text(const yaml_node_t *n)
{
    return (const char *)n->data.scalar.value;
}

static int node_is_null(const yaml_node_t *n)
{
    if (n->type != YAML_SCALAR_NODE || n->data.scalar.style != YAML_PLAIN_SCALAR_STYLE) return 0;
    const char *s = node_text(n);
    return s[0] == '\0' || strcmp(s, "~") == 0 || strcmp(s, "null") == 0 ||
           strcmp(s, "Null") == 0 || strcmp(s, "NULL") == 0;
}

/* "expected <what>, got <what the node is>" */
static void type_error(cfg_loader *ld, const yaml_node_t *n, const char *path, const char *what)
{
    char q[96];
    const char *got;
    if (n->type == YAML_MAPPING_NODE)
        got = "a mapping";
    else if (n->type == YAML_SEQUENCE_NODE)
        got = "a list";
    else if (node_is_null(n))
        got = "nothing (null)";
    else if (n->data.scalar.style != YAML_PLAIN_SCALAR_STYLE)
        got = "a quoted string";
    else
        got = NULL;
    if (got == NULL)
        cfg_error(ld, node_line(n), path, "expected %s, got %s", what, quote(node_text(n), q));
    else
        cfg_error(ld, node_line(n), path, "expected %s, got %s", what, got);
}

/* The text of a scalar that is not null and has no NUL or other control
 * character (tabs included: none of feedarc's strings wants one); NULL
 * after reporting otherwise. */
static const char *scalar_text(cfg_loader *ld, const yaml_node_t *n, const char *path,
                               const char *what)
{
    if (n->type != YAML_SCALAR_NODE || node_is_null(n)) {
        type_error(ld, n, path, what);
        return NULL;
    }
    const char *s = node_text(n);
    if (strlen(s) != n->data.scalar.length) {
        cfg_error(ld, node_line(n), path, "contains a NUL character");
        return NULL;
    }
    for (const char *p = s; *p; p++) {
        if ((unsigned char)*p < 0x20 || *p == 0x7f) {
            char q[96];
            cfg_error(ld, node_line(n), path, "%s contains a control character", quote(s, q));
            return NULL;
        }
    }
    return s;
}

static void join_key(char out[MAX_KEY_PATH], const char *path, const char *key)
{
    /* Key paths are for messages: cut long ones rather than fail. */
    size_t n = 0;
    if (path != NULL && *path != '\0') {
        n = strnlen(path, MAX_KEY_PATH - 2);
        memcpy(out, path, n);
        out[n++] = '.';
    }
    size_t k = strnlen(key, MAX_KEY_PATH - 1 - n);
    memcpy(out + n, key, k);
    out[n + k] = '\0';
}

/* ---- the schema ---- */

enum field_kind {
    FIELD_STRING,      /* char*: non-empty text */
    FIELD_PATH,        /* char*: a folder, resolved against base_dir later */
    FIELD_PREFIX,      /* char*: [A-Za-z0-9._-]+, not starting with '.' */
    FIELD_DURATION,    /* uint64_t ms in [min, max] */
    FIELD_SIZE,        /* uint64_t bytes in [min, max] */
    FIELD_UNSIGNED,    /* unsigned in [min, max] */
    FIELD_FACTOR,      /* double in [min, max], a plain decimal number */
    FIELD_ZSTD_LEVEL,  /* int: 1..19 or -7..-1 */
    FIELD_BOOL,        /* int 0/1 */
    FIELD_URL,         /* char*: http(s) URL with a host */
    FIELD_SOURCE_TYPE, /* enum fa_source_kind */
    FIELD_HEADERS,     /* config_header[] + count */
    FIELD_POINTER,     /* char*: a JSON Pointer ("" or "/...") */
    FIELD_PAGINATE,    /* enum config_json_paginate */
    FIELD_JSON,        /* config_json_mapping*, allocated; sub lists its fields */
    FIELD_OPML,        /* char*: an OPML file, resolved against base_dir now */
    FIELD_SECTION,     /* a nested mapping; sub lists its fields */
    FIELD_SOURCES,     /* the list of sources */
    FIELD_LISTEN,      /* char*: "none", "A.B.C.D:port" or "[IPv6]:port" */
    FIELD_LOG_FORMAT,  /* enum fa_log_format */
    FIELD_LOG_LEVEL,   /* enum fa_log_level */
    FIELD_FILE_MODE,   /* unsigned: an octal string, 0600 <= mode <= 0777 */
    FIELD_OPT_STRING,  /* char*: non-empty text, or null for "not set" (NULL) */
    FIELD_NAME_LIST,   /* http.redact_headers: a list of header names */
    FIELD_REDIS_URL,   /* cluster.redis: char* URL without password + cluster.password */
    FIELD_NODE         /* cluster.node: char*, a node name */
};

struct field {
    const char *key;
    enum field_kind kind;
    size_t offset; /* of the value in the struct being filled */
    uint64_t min, max;
    const struct field *sub; /* FIELD_SECTION */
    size_t n_sub;
};

#define N_OF(a) (sizeof(a) / sizeof((a)[0]))
#define KIB ((uint64_t)1 << 10)
#define MIB ((uint64_t)1 << 20)

static const struct field storage_fields[] = {
    {"dir", FIELD_PATH, offsetof(config, storage.dir), 0, 0, NULL, 0},
    {"state_dir", FIELD_PATH, offsetof(config, storage.state_dir), 0, 0, NULL, 0},
    {"prefix", FIELD_PREFIX, offsetof(config, storage.prefix), 0, 0, NULL, 0},
    {"segment_max_size", FIELD_SIZE, offsetof(config, storage.segment_max_size), MIB, UINT64_MAX,
     NULL, 0},
    {"dictionary", FIELD_STRING, offsetof(config, storage.dictionary), 0, 0, NULL, 0},
    {"revisit_not_modified", FIELD_BOOL, offsetof(config, storage.revisit_not_modified), 0, 0,
     NULL, 0},
    {"compression_level", FIELD_ZSTD_LEVEL, offsetof(config, storage.compression_level), 0, 0, NULL,
     0},
    {"file_mode", FIELD_FILE_MODE, offsetof(config, storage.file_mode), 0, 0, NULL, 0},
    {"operator", FIELD_OPT_STRING, offsetof(config, storage.operator_name), 0, 0, NULL, 0},
};

static const struct field politeness_fields[] = {
    {"max_connections_per_host", FIELD_UNSIGNED,
     offsetof(config, politeness.max_connections_per_host), 1, 65535, NULL, 0},
    {"delay_factor", FIELD_FACTOR, offsetof(config, politeness.delay_factor), 0, 100, NULL, 0},
    {"max_delay", FIELD_DURATION, offsetof(config, politeness.max_delay_ms), 0, MAX_DURATION_MS,
     NULL, 0},
    {"min_delay", FIELD_DURATION, offsetof(config, politeness.min_delay_ms), 0, MAX_DURATION_MS,
     NULL, 0},
    {"max_connections", FIELD_UNSIGNED, offsetof(config, politeness.max_connections), 1, 65535,
     NULL, 0},
};

static const struct field http_fields[] = {
    {"connect_timeout", FIELD_DURATION, offsetof(config, http.connect_timeout_ms), 1,
     MAX_DURATION_MS, NULL, 0},
    {"timeout", FIELD_DURATION, offsetof(config, http.timeout_ms), 1, MAX_DURATION_MS, NULL, 0},
    {"max_body_size", FIELD_SIZE, offsetof(config, http.max_body_size), 1, UINT64_MAX, NULL, 0},
    {"max_redirects", FIELD_UNSIGNED, offsetof(config, http.max_redirects), 0, 20, NULL, 0},
    {"retries", FIELD_UNSIGNED, offsetof(config, http.retries), 0, 10, NULL, 0},
    {"accept_encoding", FIELD_OPT_STRING, offsetof(config, http.accept_encoding), 0, 0, NULL, 0},
    {"backoff_base", FIELD_DURATION, offsetof(config, http.backoff_base_ms), 1, MAX_DURATION_MS,
     NULL, 0},
    {"backoff_max", FIELD_DURATION, offsetof(config, http.backoff_max_ms), 1, MAX_DURATION_MS,
     NULL, 0},
    {"max_retry_after", FIELD_DURATION, offsetof(config, http.max_retry_after_ms), 0,
     MAX_DURATION_MS, NULL, 0},
    {"low_speed_time", FIELD_DURATION, offsetof(config, http.low_speed_time_ms), 1000,
     MAX_DURATION_MS, NULL, 0},
    {"max_header_size", FIELD_SIZE, offsetof(config, http.max_header_size), 1024, 64 * MIB, NULL,
     0},
    {"max_decoded_size", FIELD_SIZE, offsetof(config, http.max_decoded_size), 1, UINT64_MAX,
     NULL, 0},
    {"redact_headers", FIELD_NAME_LIST, 0, 0, 0, NULL, 0},
};

static const struct field metrics_fields[] = {
    {"listen", FIELD_LISTEN, offsetof(config, metrics.listen), 0, 0, NULL, 0},
};

static const struct field log_fields[] = {
    {"format", FIELD_LOG_FORMAT, offsetof(config, log.format), 0, 0, NULL, 0},
    {"level", FIELD_LOG_LEVEL, offsetof(config, log.level), 0, 0, NULL, 0},
};

static const struct field service_fields[] = {
    {"grace_period", FIELD_DURATION, offsetof(config, service.grace_period_ms), 0,
     60 * 60 * 1000, NULL, 0},
};

static const struct field dedup_fields[] = {
    {"enabled", FIELD_BOOL, offsetof(config, dedup.enabled), 0, 0, NULL, 0},
    {"near_threshold", FIELD_FACTOR, offsetof(config, dedup.near_threshold), 0, 1, NULL, 0},
    {"containment_threshold", FIELD_FACTOR, offsetof(config, dedup.containment_threshold), 0, 1,
     NULL, 0},
};

static const struct field cluster_fields[] = {
    {"redis", FIELD_REDIS_URL, offsetof(config, cluster.redis), 0, 0, NULL, 0},
    {"node", FIELD_NODE, offsetof(config, cluster.node), 0, 0, NULL, 0},
    {"lease", FIELD_DURATION, offsetof(config, cluster.lease_ms), 1000, 60 * 60 * 1000, NULL, 0},
};

static const struct field top_fields[] = {
    {"user_agent", FIELD_STRING, offsetof(config, user_agent), 0, 0, NULL, 0},
    {"storage", FIELD_SECTION, 0, 0, 0, storage_fields, N_OF(storage_fields)},
    {"politeness", FIELD_SECTION, 0, 0, 0, politeness_fields, N_OF(politeness_fields)},
    {"http", FIELD_SECTION, 0, 0, 0, http_fields, N_OF(http_fields)},
    {"sources", FIELD_SOURCES, 0, 0, 0, NULL, 0},
    {"metrics", FIELD_SECTION, 0, 0, 0, metrics_fields, N_OF(metrics_fields)},
    {"log", FIELD_SECTION, 0, 0, 0, log_fields, N_OF(log_fields)},
    {"service", FIELD_SECTION, 0, 0, 0, service_fields, N_OF(service_fields)},
    {"dedup", FIELD_SECTION, 0, 0, 0, dedup_fields, N_OF(dedup_fields)},
    {"cluster", FIELD_SECTION, 0, 0, 0, cluster_fields, N_OF(cluster_fields)},
};
#define TOP_SOURCES_BIT (1u << 4)
#define TOP_CLUSTER_BIT (1u << 9)

static const struct field json_fields[] = {
    {"items", FIELD_POINTER, offsetof(config_json_mapping, items), 0, 0, NULL, 0},
    {"id", FIELD_POINTER, offsetof(config_json_mapping, id), 0, 0, NULL, 0},
    {"url", FIELD_POINTER, offsetof(config_json_mapping, url), 0, 0, NULL, 0},
    {"title", FIELD_POINTER, offsetof(config_json_mapping, title), 0, 0, NULL, 0},
    {"date", FIELD_POINTER, offsetof(config_json_mapping, date), 0, 0, NULL, 0},
    {"updated", FIELD_POINTER, offsetof(config_json_mapping, updated), 0, 0, NULL, 0},
    {"content", FIELD_POINTER, offsetof(config_json_mapping, content), 0, 0, NULL, 0},
    {"summary", FIELD_POINTER, offsetof(config_json_mapping, summary), 0, 0, NULL, 0},
    {"author", FIELD_POINTER, offsetof(config_json_mapping, author), 0, 0, NULL, 0},
    {"paginate", FIELD_PAGINATE, offsetof(config_json_mapping, paginate), 0, 0, NULL, 0},
    {"page_param", FIELD_STRING, offsetof(config_json_mapping, page_param), 0, 0, NULL, 0},
    {"next_url", FIELD_POINTER, offsetof(config_json_mapping, next_url), 0, 0, NULL, 0},
    {"cursor_param", FIELD_STRING, offsetof(config_json_mapping, cursor_param), 0, 0, NULL, 0},
    {"cursor", FIELD_POINTER, offsetof(config_json_mapping, cursor), 0, 0, NULL, 0},
    {"max_pages", FIELD_UNSIGNED, offsetof(config_json_mapping, max_pages), 1, 100000, NULL, 0},
};

static const struct field source_fields[] = {
    {"url", FIELD_URL, offsetof(config_source, url), 0, 0, NULL, 0},
    {"type", FIELD_SOURCE_TYPE, offsetof(config_source, type), 0, 0, NULL, 0},
    {"name", FIELD_STRING, offsetof(config_source, name), 0, 0, NULL, 0},
    {"fetch_pages", FIELD_BOOL, offsetof(config_source, fetch_pages), 0, 0, NULL, 0},
    {"ignore_robots", FIELD_BOOL, offsetof(config_source, ignore_robots), 0, 0, NULL, 0},
    {"interval", FIELD_DURATION, offsetof(config_source, interval_ms), 1, MAX_DURATION_MS, NULL, 0},
    {"max_items", FIELD_UNSIGNED, offsetof(config_source, max_items), 1, UINT32_MAX, NULL, 0},
    {"headers", FIELD_HEADERS, 0, 0, 0, NULL, 0},
    {"opml", FIELD_OPML, offsetof(config_source, opml_path), 0, 0, NULL, 0},
    {"max_pages", FIELD_UNSIGNED, offsetof(config_source, max_pages), 1, 100000, NULL, 0},
    {"json", FIELD_JSON, offsetof(config_source, json), 0, 0, json_fields, N_OF(json_fields)},
};
#define SOURCE_URL_BIT (1u << 0)

static const char *const paginate_names[] = {
    [CONFIG_PAGINATE_NONE] = "none", [CONFIG_PAGINATE_PAGE] = "page",
    [CONFIG_PAGINATE_NEXT] = "next", [CONFIG_PAGINATE_LINK] = "link",
    [CONFIG_PAGINATE_CURSOR] = "cursor",
};

const char *config_paginate_name(enum config_json_paginate p)
{
    if ((unsigned)p < N_OF(paginate_names)) return paginate_names[p];
    return "unknown";
}

const char *config_source_type_name(enum fa_source_kind t)
{
    return fa_source_kind_has(t, FA_SOURCE_CONFIG_TYPE) ? fa_source_kind_name(t) : "unknown";
}

int config_parse_source_type(const char *s, enum fa_source_kind *t)
{
    enum fa_source_kind k;
    if (t == NULL || fa_source_kind_by_name(s, &k) < 0 ||
        !fa_source_kind_has(k, FA_SOURCE_CONFIG_TYPE))
        return FA_EINVAL;
    *t = k;
    return 0;
}

/* The names of the source types with every flag of flags, for messages:
 * "a, b and c" (last " and ") or "a, b, c" (last ", "). */
static const char *kind_list(unsigned flags, const char *last, char *out, size_t cap)
{
    const char *names[FA_SOURCE_KIND_COUNT];
    size_t n = 0, len = 0;
    for (unsigned k = 0; k < FA_SOURCE_KIND_COUNT; k++)
        if (fa_source_kind_has((enum fa_source_kind)k, flags | FA_SOURCE_CONFIG_TYPE))
            names[n++] = fa_source_kind_name((enum fa_source_kind)k);
    out[0] = '\0';
    for (size_t i = 0; i < n && len < cap; i++) {
        int w = snprintf(out + len, cap - len, "%s%s",
                         i == 0       ? ""
                         : i + 1 == n ? last
                                      : ", ",
                         names[i]);
        len += w > 0 ? (size_t)w : 0;
    }
    return out;
}

static const char *const log_format_names[] = {[FA_LOG_LOGFMT] = "logfmt",
                                               [FA_LOG_JSON] = "json"};
static const char *const log_level_names[] = {[FA_LOG_DEBUG] = "debug",
                                              [FA_LOG_INFO] = "info",
                                              [FA_LOG_WARN] = "warn",
                                              [FA_LOG_ERROR] = "error"};

const char *config_log_format_name(enum fa_log_format f)
{
    if ((unsigned)f < N_OF(log_format_names)) return log_format_names[f];
    return "unknown";
}

const char *config_log_level_name(enum fa_log_level l)
{
    if ((unsigned)l < N_OF(log_level_names)) return log_level_names[l];
    return "unknown";
}

/* Index of s in names[n], or -1. */
static int name_index(const char *s, const char *const *names, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(s, names[i]) == 0) return (int)i;
    return -1;
}

/* "none", "A.B.C.D:port" or "[IPv6]:port" (an address, not a host name:
 * the listening socket must not depend on DNS). */
static int listen_ok(const char *s)
{
    char host[64];
    const char *port;
    if (strcmp(s, "none") == 0) return 1;
    if (s[0] == '[') {
        const char *close = strchr(s, ']');
        if (close == NULL || close[1] != ':' || (size_t)(close - s - 1) >= sizeof host) return 0;
        memcpy(host, s + 1, (size_t)(close - s - 1));
        host[close - s - 1] = '\0';
        port = close + 2;
    } else {
        const char *colon = strrchr(s, ':');
        if (colon == NULL || (size_t)(colon - s) >= sizeof host) return 0;
        memcpy(host, s, (size_t)(colon - s));
        host[colon - s] = '\0';
        port = colon + 1;
    }
    unsigned char addr[16];
    if (inet_pton(s[0] == '[' ? AF_INET6 : AF_INET, host, addr) != 1) return 0;
    size_t n = strspn(port, "0123456789");
    return n > 0 && n <= 5 && port[n] == '\0' && strtoul(port, NULL, 10) <= 65535;
}

/* ---- URLs ---- */

/* Checks url is http:// or https:// with a host and a sane port; returns
 * NULL or a message fragment saying what is wrong.  On success *host and
 * *host_len locate the host (brackets kept for IPv6) inside url. */
static const char *url_check(const char *url, const char **host, size_t *host_len)
{
    for (const char *p = url; *p; p++)
        if ((unsigned char)*p <= 0x20 || *p == 0x7f) return "contains a space or control character";
    size_t scheme = fa_url_http_prefix(url, NULL);
    if (scheme == 0) return "is not an http:// or https:// URL";
    const char *rest = url + scheme;
    size_t auth_len = strcspn(rest, "/?#");
    const char *auth = rest;
    for (size_t i = auth_len; i > 0; i--) {
        if (rest[i - 1] == '@') { /* skip userinfo */
            auth = rest + i;
            break;
        }
    }
    const char *end = rest + auth_len;
    const char *h = auth, *h_end;
    if (*h == '[') {
        h_end = memchr(h, ']', (size_t)(end - h));
        if (h_end == NULL) return "has an unterminated IPv6 address";
        h_end++;
    } else {
        h_end = memchr(h, ':', (size_t)(end - h));
        if (h_end == NULL) h_end = end;
    }
    if (h_end == h) return "has no host";
    for (const char *p = h; p < h_end && *h != '['; p++) {
        unsigned char ch = (unsigned char)*p;
        if (!(ch >= 0x80 || (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
              (ch >= '0' && ch <= '9') || ch == '-' || ch == '.' || ch == '_' || ch == '%'))
            return "has an invalid character in its host";
    }
    if (h_end < end) {
        if (*h_end != ':') return "has junk after the host";
        unsigned long port = 0;
        const char *p = h_end + 1;
        if (p == end) return "has an empty port";
        for (; p < end; p++) {
            if (*p < '0' || *p > '9') return "has an invalid port";
            port = port * 10 + (unsigned long)(*p - '0');
            if (port > 65535) return "has an invalid port";
        }
        if (port == 0) return "has an invalid port";
    }
    *host = h;
    *host_len = (size_t)(h_end - h);
    return NULL;
}

/* ---- walking mappings ---- */

static uint32_t walk_mapping(cfg_loader *ld, yaml_node_t *map, const char *path,
                             const struct field *fields, size_t n_fields, void *base, config *c);

static int parse_plain_integer(const yaml_node_t *n, int64_t *v)
{
    const char *s = node_text(n);
    int neg = *s == '-';
    if (neg) s++;
    if (*s < '0' || *s > '9') return FA_EINVAL;
    uint64_t acc = 0;
    for (; *s >= '0' && *s <= '9'; s++) {
        acc = acc * 10 + (uint64_t)(*s - '0');
        if (acc > (uint64_t)INT64_MAX) return FA_ETOOBIG;
    }
    if (*s != '\0') return FA_EINVAL;
    *v = neg ? -(int64_t)acc : (int64_t)acc;
    return 0;
}

/* An integer field: a plain scalar, decimal, within [min, max]. */
static int get_integer(cfg_loader *ld, const yaml_node_t *n, const char *path, int64_t min,
                       int64_t max, int64_t *out)
{
    char q[96];
    if (n->type != YAML_SCALAR_NODE || node_is_null(n) ||
        n->data.scalar.style != YAML_PLAIN_SCALAR_STYLE) {
        type_error(ld, n, path, "an integer");
        return FA_EINVAL;
    }
    int64_t v;
    int rc = parse_plain_integer(n, &v);
    if (rc == FA_EINVAL) {
        cfg_error(ld, node_line(n), path, "%s is not an integer", quote(node_text(n), q));
        return rc;
    }
    if (rc < 0 || v < min || v > max) {
        cfg_error(ld, node_line(n), path, "%s is out of range (%lld..%lld)", quote(node_text(n), q),
                  (long long)min, (long long)max);
        return FA_EINVAL;
    }
    *out = v;
    return 0;
}

static void set_string(cfg_loader *ld, void *base, size_t offset, const char *s)
{
    char **slot = (char **)((char *)base + offset);
    char *copy = cfg_strdup(ld, s);
    if (copy == NULL) return;
    free(*slot);
    *slot = copy;
}

/* An RFC 9110 token: what a header name is. */
static int header_name_ok(const char *name)
{
    const char *p = name;
    for (; *p; p++)
        if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
              strchr("!#$%&'*+-.^_`|~", *p)))
            break;
    return *p == '\0' && *name != '\0';
}

static void free_name_list(char ***list, size_t *n)
{
    for (size_t i = 0; i < *n; i++)
        free((*list)[i]);
    free(*list);
    *list = NULL;
    *n = 0;
}

/* http.redact_headers: a list of header names, each once (any case). */
static void walk_redact_headers(cfg_loader *ld, yaml_node_t *seq, const char *path, config *c)
{
    free_name_list(&c->http.redact_headers, &c->http.n_redact_headers);
    c->http.redact_headers_given = 1;
    if (node_is_null(seq)) return;
    if (seq->type != YAML_SEQUENCE_NODE) {
        type_error(ld, seq, path, "a list of header names");
        return;
    }
    size_t n = (size_t)(seq->data.sequence.items.top - seq->data.sequence.items.start);
    if (n > CONFIG_MAX_HEADERS) {
        cfg_error(ld, node_line(seq), path, "too many headers (%zu; at most %d)", n,
                  CONFIG_MAX_HEADERS);
        return;
    }
    if (n == 0) return;
    char **list = calloc(n, sizeof *list);
    if (list == NULL) {
        ld->oom = 1;
        return;
    }
    c->http.redact_headers = list;
    for (yaml_node_item_t *it = seq->data.sequence.items.start; it < seq->data.sequence.items.top;
         it++) {
        yaml_node_t *v = yaml_document_get_node(ld->doc, *it);
        char sub[MAX_KEY_PATH], q[96];
        snprintf(sub, sizeof sub, "%.200s[%zu]", path,
                 (size_t)(it - seq->data.sequence.items.start));
        const char *name = scalar_text(ld, v, sub, "a header name");
        if (name == NULL) continue;
        if (!header_name_ok(name)) {
            cfg_error(ld, node_line(v), sub, "%s is not a valid header name", quote(name, q));
            continue;
        }
        size_t dup = 0;
        while (dup < c->http.n_redact_headers && strcasecmp(list[dup], name) != 0)
            dup++;
        if (dup < c->http.n_redact_headers) {
            cfg_error(ld, node_line(v), sub, "%s is listed twice", quote(name, q));
            continue;
        }
        if ((list[c->http.n_redact_headers] = cfg_strdup(ld, name)) != NULL)
            c->http.n_redact_headers++;
    }
}

static void walk_headers(cfg_loader *ld, yaml_node_t *map, const char *path, config_source *src)
{
    if (node_is_null(map)) return;
    if (map->type != YAML_MAPPING_NODE) {
        type_error(ld, map, path, "a mapping of header names to values");
        return;
    }
    size_t n = (size_t)(map->data.mapping.pairs.top - map->data.mapping.pairs.start);
    if (n > CONFIG_MAX_HEADERS) {
        cfg_error(ld, node_line(map), path, "too many headers (%zu; at most %d)", n,
                  CONFIG_MAX_HEADERS);
        return;
    }
    if (n == 0) return;
    src->headers = calloc(n, sizeof *src->headers);
    if (src->headers == NULL) {
        ld->oom = 1;
        return;
    }
    int lines[CONFIG_MAX_HEADERS];
    for (yaml_node_pair_t *pair = map->data.mapping.pairs.start; pair < map->data.mapping.pairs.top;
         pair++) {
        yaml_node_t *k = yaml_document_get_node(ld->doc, pair->key);
        yaml_node_t *v = yaml_document_get_node(ld->doc, pair->value);
        const char *name = scalar_text(ld, k, path, "a header name");
        if (name == NULL) continue;
        char sub[MAX_KEY_PATH];
        join_key(sub, path, name);
        if (!header_name_ok(name)) {
            cfg_error(ld, node_line(k), sub, "is not a valid header name");
            continue;
        }
        size_t dup = 0;
        while (dup < src->n_headers && strcasecmp(src->headers[dup].name, name) != 0)
            dup++;
        if (dup < src->n_headers) {
            cfg_error(ld, node_line(k), sub, "duplicate header (first at line %d)", lines[dup]);
            continue;
        }
        const char *value = scalar_text(ld, v, sub, "a header value");
        if (value == NULL) continue;
        config_header *h = &src->headers[src->n_headers];
        h->name = cfg_strdup(ld, name);
        h->value = cfg_strdup(ld, value);
        if (h->name == NULL || h->value == NULL) {
            free(h->name);
            free(h->value);
            h->name = h->value = NULL;
            continue;
        }
        lines[src->n_headers++] = node_line(k);
    }
}

static void source_defaults(config_source *s, int line)
{
    memset(s, 0, sizeof *s);
    s->type = FA_SOURCE_AUTO;
    s->fetch_pages = 1;
    s->interval_ms = 15ULL * 60 * 1000;
    s->max_items = 10000;
    s->line = line;
    s->max_pages = 0; /* 100 unless given (check_source) */
}

static int key_line_of(cfg_loader *ld, yaml_node_t *map, const char *key);
static void check_source(cfg_loader *ld, yaml_node_t *item, const char *sub, config_source *s,
                         int has_url);

static void walk_sources(cfg_loader *ld, yaml_node_t *seq, config *c)
{
    const char *path = "sources";
    if (node_is_null(seq) || (seq->type == YAML_SEQUENCE_NODE &&
                              seq->data.sequence.items.top == seq->data.sequence.items.start)) {
        cfg_error(ld, node_line(seq), path, "at least one source is required");
        return;
    }
    if (seq->type != YAML_SEQUENCE_NODE) {
        type_error(ld, seq, path, "a list of sources");
        return;
    }
    size_t n = (size_t)(seq->data.sequence.items.top - seq->data.sequence.items.start);
    if (n > CONFIG_MAX_SOURCES) {
        cfg_error(ld, node_line(seq), path, "too many sources (%zu; at most %d)", n,
                  CONFIG_MAX_SOURCES);
        return;
    }
    c->sources = calloc(n, sizeof *c->sources);
    if (c->sources == NULL) {
        ld->oom = 1;
        return;
    }
    c->n_sources = n;
    for (size_t i = 0; i < n; i++) {
        yaml_node_t *item = yaml_document_get_node(ld->doc, seq->data.sequence.items.start[i]);
        config_source *s = &c->sources[i];
        char sub[MAX_KEY_PATH];
        snprintf(sub, sizeof sub, "sources[%zu]", i);
        source_defaults(s, node_line(item));
        if (item->type != YAML_MAPPING_NODE) {
            type_error(ld, item, sub, "a mapping with at least a url");
            continue;
        }
        uint32_t seen = walk_mapping(ld, item, sub, source_fields, N_OF(source_fields), s, c);
        if (!(seen & SOURCE_URL_BIT) && key_line_of(ld, item, "opml") == 0)
            cfg_error(ld, node_line(item), sub, "missing url");
        check_source(ld, item, sub, s, (seen & SOURCE_URL_BIT) != 0);
    }
}

static void clean_path(char *p);

/* "" or "/..." with every '~' followed by '0' or '1' (RFC 6901). */
static int pointer_ok(const char *s)
{
    if (*s != '\0' && *s != '/') return 0;
    for (; *s; s++)
        if (*s == '~' && s[1] != '0' && s[1] != '1') return 0;
    return 1;
}

/* The line of key in mapping map, or 0. */
static int key_line_of(cfg_loader *ld, yaml_node_t *map, const char *key)
{
    if (map == NULL || map->type != YAML_MAPPING_NODE) return 0;
    for (yaml_node_pair_t *pair = map->data.mapping.pairs.start; pair < map->data.mapping.pairs.top;
         pair++) {
        yaml_node_t *k = yaml_document_get_node(ld->doc, pair->key);
        if (k->type == YAML_SCALAR_NODE && strcmp(node_text(k), key) == 0) return node_line(k);
    }
    return 0;
}

static void walk_json(cfg_loader *ld, yaml_node_t *map, const char *path, const struct field *f,
                      config_source *src, config *c);

static void set_field(cfg_loader *ld, const struct field *f, yaml_node_t *v, const char *path,
                      void *base, config *c)
{
    char q[96], lim[32];
    const char *s;
    void *slot = (char *)base + f->offset;
    int64_t iv;
    uint64_t uv;

    switch (f->kind) {
    case FIELD_OPT_STRING:
        if (node_is_null(v)) {
            free(*(char **)slot);
            *(char **)slot = NULL;
            return;
        }
        /* fall through */
    case FIELD_STRING:
        if ((s = scalar_text(ld, v, path, "a string")) == NULL) return;
        if (*s == '\0') {
            cfg_error(ld, node_line(v), path, "must not be empty");
            return;
        }
        set_string(ld, base, f->offset, s);
        return;
    case FIELD_PATH:
        if ((s = scalar_text(ld, v, path, "a folder path")) == NULL) return;
        if (*s == '\0') {
            cfg_error(ld, node_line(v), path, "must not be empty");
            return;
        }
        if (*s == '~') {
            cfg_error(ld, node_line(v), path,
                      "%s: '~' is not expanded; use an absolute path or one relative to the "
                      "config file",
                      quote(s, q));
            return;
        }
        set_string(ld, base, f->offset, s);
        return;
    case FIELD_PREFIX:
        if ((s = scalar_text(ld, v, path, "a string")) == NULL) return;
        if (*s == '\0' || *s == '.' ||
            strspn(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-") !=
                strlen(s)) {
            cfg_error(ld, node_line(v), path,
                      "%s is not a file name prefix (letters, digits, '.', '_', '-'; not "
                      "starting with '.')",
                      quote(s, q));
            return;
        }
        set_string(ld, base, f->offset, s);
        return;
    case FIELD_DURATION:
        if ((s = scalar_text(ld, v, path, "a duration")) == NULL) return;
        if (config_parse_duration(s, &uv) < 0) {
            cfg_error(ld, node_line(v), path, "%s is not a duration (like 500ms, 20s, 15m, 1h, 2d)",
                      quote(s, q));
            return;
        }
        if (uv < f->min || uv > f->max) {
            config__format_duration(uv < f->min ? f->min : f->max, lim);
            cfg_error(ld, node_line(v), path, "%s must be at %s %s", quote(s, q),
                      uv < f->min ? "least" : "most", lim);
            return;
        }
        *(uint64_t *)slot = uv;
        return;
    case FIELD_SIZE:
        if ((s = scalar_text(ld, v, path, "a size")) == NULL) return;
        if (config_parse_size(s, &uv) < 0) {
            cfg_error(ld, node_line(v), path,
                      "%s is not a size (like 512, 64KiB, 32MiB, 1GiB, 10MB)", quote(s, q));
            return;
        }
        if (uv < f->min || uv > f->max) {
            config__format_size(uv < f->min ? f->min : f->max, lim);
            cfg_error(ld, node_line(v), path, "%s must be at %s %s", quote(s, q),
                      uv < f->min ? "least" : "most", lim);
            return;
        }
        *(uint64_t *)slot = uv;
        return;
    case FIELD_UNSIGNED:
        if (get_integer(ld, v, path, (int64_t)f->min, (int64_t)f->max, &iv) == 0)
            *(unsigned *)slot = (unsigned)iv;
        return;
    case FIELD_FACTOR: {
        char *end = NULL;
        double d = 0;
        if (v->type == YAML_SCALAR_NODE && !node_is_null(v) &&
            v->data.scalar.style == YAML_PLAIN_SCALAR_STYLE) {
            s = node_text(v);
            d = strtod(s, &end);
        }
        if (end == NULL || end == s || *end != '\0' || !(d >= (double)f->min) ||
            !(d <= (double)f->max)) {
            cfg_error(ld, node_line(v), path, "\"%s\" is not a number from %g to %g",
                      v->type == YAML_SCALAR_NODE ? node_text(v) : "", (double)f->min,
                      (double)f->max);
            return;
        }
        *(double *)slot = d;
        return;
    }
    case FIELD_ZSTD_LEVEL:
        if (get_integer(ld, v, path, -7, 19, &iv) < 0) return;
        if (iv == 0) {
            cfg_error(ld, node_line(v), path,
                      "0 is not a compression level (1..19, or -7..-1 for the fast modes)");
            return;
        }
        *(int *)slot = (int)iv;
        return;
    case FIELD_BOOL:
        if (v->type != YAML_SCALAR_NODE || node_is_null(v) ||
            v->data.scalar.style != YAML_PLAIN_SCALAR_STYLE) {
            type_error(ld, v, path, "true or false");
            return;
        }
        s = node_text(v);
        if (strcasecmp(s, "true") == 0 || strcasecmp(s, "yes") == 0 || strcasecmp(s, "on") == 0)
            *(int *)slot = 1;
        else if (strcasecmp(s, "false") == 0 || strcasecmp(s, "no") == 0 ||
                 strcasecmp(s, "off") == 0)
            *(int *)slot = 0;
        else
            cfg_error(ld, node_line(v), path, "expected true or false, got %s", quote(s, q));
        return;
    case FIELD_URL: {
        if ((s = scalar_text(ld, v, path, "a URL")) == NULL) return;
        const char *host;
        size_t host_len;
        const char *why = url_check(s, &host, &host_len);
        if (why != NULL) {
            cfg_error(ld, node_line(v), path, "%s %s", quote(s, q), why);
            return;
        }
        set_string(ld, base, f->offset, s);
        return;
    }
    case FIELD_SOURCE_TYPE:
        if ((s = scalar_text(ld, v, path, "a source type")) == NULL) return;
        if (config_parse_source_type(s, (enum fa_source_kind *)slot) < 0) {
            char kinds[256];
            cfg_error(ld, node_line(v), path, "%s is not a source type (%s)", quote(s, q),
                      kind_list(0, ", ", kinds, sizeof kinds));
        }
        return;
    case FIELD_HEADERS:
        walk_headers(ld, v, path, base);
        return;
    case FIELD_NAME_LIST:
        walk_redact_headers(ld, v, path, c);
        return;
    case FIELD_FILE_MODE: {
        if ((s = scalar_text(ld, v, path, "a file mode")) == NULL) return;
        const char *d = s[0] == '0' && s[1] != '\0' ? s + 1 : s;
        unsigned mode = 0;
        size_t nd = 0;
        for (; d[nd] >= '0' && d[nd] <= '7'; nd++)
            mode = mode * 8 + (unsigned)(d[nd] - '0');
        if (nd != 3 || d[nd] != '\0') {
            cfg_error(ld, node_line(v), path,
                      "%s is not a file mode (three octal digits, like \"0640\")", quote(s, q));
            return;
        }
        if ((mode & 0600) != 0600) {
            cfg_error(ld, node_line(v), path,
                      "%s must let the owner read and write (0600 at least)", quote(s, q));
            return;
        }
        *(unsigned *)slot = mode;
        return;
    }
    case FIELD_POINTER:
        if ((s = scalar_text(ld, v, path, "a JSON Pointer")) == NULL) return;
        if (!pointer_ok(s)) {
            cfg_error(ld, node_line(v), path,
                      "%s is not a JSON Pointer (\"\" or starting with \"/\", like "
                      "\"/title/rendered\"; '~' only as ~0 or ~1)",
                      quote(s, q));
            return;
        }
        set_string(ld, base, f->offset, s);
        return;
    case FIELD_PAGINATE: {
        if ((s = scalar_text(ld, v, path, "a pagination style")) == NULL) return;
        size_t i = 0;
        while (i < N_OF(paginate_names) && strcmp(s, paginate_names[i]) != 0)
            i++;
        if (i == N_OF(paginate_names)) {
            cfg_error(ld, node_line(v), path,
                      "%s is not a pagination style (none, page, next, link, cursor)",
                      quote(s, q));
            return;
        }
        *(enum config_json_paginate *)slot = (enum config_json_paginate)i;
        return;
    }
    case FIELD_JSON: {
        config_source *src = base;
        if (v->type != YAML_MAPPING_NODE) {
            type_error(ld, v, path, "a mapping (items, id, url, title, date, ... as JSON Pointers)");
            return;
        }
        src->json = calloc(1, sizeof *src->json);
        if (src->json == NULL) {
            ld->oom = 1;
            return;
        }
        src->json->line = ld->key_line;
        walk_json(ld, v, path, f, src, c);
        return;
    }
    case FIELD_OPML: {
        if ((s = scalar_text(ld, v, path, "an OPML file path")) == NULL) return;
        if (*s == '\0') {
            cfg_error(ld, node_line(v), path, "must not be empty");
            return;
        }
        char **slot_s = (char **)slot;
        free(*slot_s);
        *slot_s = NULL;
        if (s[0] == '/') {
            *slot_s = cfg_strdup(ld, s);
        } else {
            fa_buf b;
            fa_buf_init(&b, PATH_MAX * 2);
            if (fa_buf_printf(&b, "%s/%s", ld->base_dir, s) < 0) {
                ld->oom = 1;
            } else {
                clean_path(b.data);
                *slot_s = fa_buf_steal(&b, NULL);
            }
            fa_buf_free(&b);
        }
        return;
    }
    case FIELD_LISTEN:
        if ((s = scalar_text(ld, v, path, "an address:port or none")) == NULL) return;
        if (!listen_ok(s)) {
            cfg_error(ld, node_line(v), path,
                      "%s is not an address:port (like 127.0.0.1:9464, 0.0.0.0:9464 or "
                      "[::1]:9464) or none",
                      quote(s, q));
            return;
        }
        set_string(ld, base, f->offset, s);
        return;
    case FIELD_REDIS_URL: {
        fa_redis_url u;
        char why[160], pub[FA_REDIS_URL_MAX];
        ld->cluster_redis_given = 1;
        if ((s = scalar_text(ld, v, path, "a redis:// URL")) == NULL) return;
        if (fa_redis_url_parse(s, &u, why, sizeof why) < 0) {
            cfg_error(ld, node_line(v), path,
                      "not a Redis URL (redis://[user:password@]host[:port][/db]): %s", why);
            return;
        }
        if (u.tls) {
            cfg_error(ld, node_line(v), path,
                      "rediss:// (TLS) is not supported: it needs hiredis >= 1.0 and Debian "
                      "bookworm ships hiredis 0.14; reach a TLS Redis through a local TLS "
                      "tunnel (stunnel, spiped) and give its redis:// address here "
                      "(docs/SCALING.md)");
            return;
        }
        if (fa_redis_url_format_public(&u, pub, sizeof pub) < 0) {
            cfg_error(ld, node_line(v), path, "too long");
            return;
        }
        set_string(ld, base, f->offset, pub);
        const char *pw = u.password[0] ? u.password : getenv("REDIS_PASSWORD");
        free(c->cluster.password);
        c->cluster.password = pw != NULL && *pw != '\0' ? cfg_strdup(ld, pw) : NULL;
        explicit_bzero(u.password, sizeof u.password);
        return;
    }
    case FIELD_NODE:
        if ((s = scalar_text(ld, v, path, "a node name")) == NULL) return;
        if (!config__node_name_ok(s)) {
            cfg_error(ld, node_line(v), path,
                      "%s is not a node name (1 to %d letters, digits, '.', '_', '-'; not "
                      "starting with '.' or '-')",
                      quote(s, q), CONFIG_NODE_NAME_MAX);
            return;
        }
        set_string(ld, base, f->offset, s);
        return;
    case FIELD_LOG_FORMAT: {
        if ((s = scalar_text(ld, v, path, "a log format")) == NULL) return;
        int i = name_index(s, log_format_names, N_OF(log_format_names));
        if (i < 0)
            cfg_error(ld, node_line(v), path, "%s is not a log format (logfmt, json)", quote(s, q));
        else
            *(enum fa_log_format *)slot = (enum fa_log_format)i;
        return;
    }
    case FIELD_LOG_LEVEL: {
        if ((s = scalar_text(ld, v, path, "a log level")) == NULL) return;
        int i = name_index(s, log_level_names, N_OF(log_level_names));
        if (i < 0)
            cfg_error(ld, node_line(v), path, "%s is not a log level (debug, info, warn, error)",
                      quote(s, q));
        else
            *(enum fa_log_level *)slot = (enum fa_log_level)i;
        return;
    }
    case FIELD_SECTION:
        walk_mapping(ld, v, path, f->sub, f->n_sub, base, c);
        return;
    case FIELD_SOURCES:
        walk_sources(ld, v, c);
        return;
    }
}

/* Walks map against fields, storing into base; reports unknown and
 * duplicate keys.  A null value (an empty section) is an empty mapping.
 * Returns a bit mask of the fields seen. */
static uint32_t walk_mapping(cfg_loader *ld, yaml_node_t *map, const char *path,
                             const struct field *fields, size_t n_fields, void *base, config *c)
{
    int first_line[32] = {0};
    uint32_t seen = 0;
    if (node_is_null(map)) return 0;
    if (map->type != YAML_MAPPING_NODE) {
        type_error(ld, map, path, "a mapping");
        return 0;
    }
    for (yaml_node_pair_t *pair = map->data.mapping.pairs.start; pair < map->data.mapping.pairs.top;
         pair++) {
        yaml_node_t *k = yaml_document_get_node(ld->doc, pair->key);
        yaml_node_t *v = yaml_document_get_node(ld->doc, pair->value);
        const char *key = scalar_text(ld, k, path, "a key");
        if (key == NULL) continue;
        char sub[MAX_KEY_PATH];
        join_key(sub, path, key);
        size_t i = 0;
        while (i < n_fields && strcmp(fields[i].key, key) != 0)
            i++;
        if (i == n_fields) {
            fa_buf known;
            fa_buf_init(&known, 512);
            for (size_t j = 0; j < n_fields; j++)
                fa_buf_printf(&known, "%s%s", j ? ", " : "", fields[j].key);
            cfg_error(ld, node_line(k), sub, "unknown key (known here: %s)",
                      known.data ? known.data : "");
            fa_buf_free(&known);
            continue;
        }
        if (first_line[i] != 0) {
            cfg_error(ld, node_line(k), sub, "duplicate key (first at line %d)", first_line[i]);
            continue;
        }
        first_line[i] = node_line(k);
        seen |= 1u << i;
        ld->key_line = node_line(k);
        set_field(ld, &fields[i], v, sub, base, c);
    }
    return seen;
}

/* The json: block, walked into the mapping. */
static void walk_json(cfg_loader *ld, yaml_node_t *map, const char *path, const struct field *f,
                      config_source *src, config *c)
{
    walk_mapping(ld, map, path, f->sub, f->n_sub, src->json, c);
}

/* Checks that need the whole source entry: url or opml, the json mapping
 * against the type, max_pages against the type. */
static void check_source(cfg_loader *ld, yaml_node_t *item, const char *sub, config_source *s,
                         int has_url)
{
    char path[MAX_KEY_PATH];
    int opml_line = key_line_of(ld, item, "opml");
    if (has_url && s->opml_path != NULL) {
        join_key(path, sub, "opml");
        cfg_error(ld, opml_line, path, "url and opml exclude each other (one source each)");
    }
    if (s->opml_path != NULL) {
        int l;
        if ((l = key_line_of(ld, item, "name")) != 0) {
            join_key(path, sub, "name");
            cfg_error(ld, l, path, "not allowed with opml: each feed is named by its outline's title");
        }
        if (fa_source_kind_has(s->type, FA_SOURCE_MAPPED)) {
            join_key(path, sub, "type");
            cfg_error(ld, key_line_of(ld, item, "type"), path,
                      "json is not allowed with opml (each JSON source needs its own mapping)");
        }
    }
    if (s->json != NULL && !fa_source_kind_has(s->type, FA_SOURCE_MAPPED)) {
        join_key(path, sub, "json");
        cfg_error(ld, s->json->line, path, "a json mapping needs type: json (the type is %s)",
                  config_source_type_name(s->type));
    }
    if (fa_source_kind_has(s->type, FA_SOURCE_MAPPED) && s->opml_path == NULL) {
        if (s->json == NULL) {
            join_key(path, sub, "type");
            cfg_error(ld, key_line_of(ld, item, "type"), path,
                      "type json needs a json: mapping with at least items");
        } else {
            config_json_mapping *m = s->json;
            join_key(path, sub, "json");
            if (m->items == NULL)
                cfg_error(ld, m->line, path, "missing items (the JSON Pointer of the item array)");
            yaml_node_t *jmap = NULL;
            for (yaml_node_pair_t *pair = item->data.mapping.pairs.start;
                 pair < item->data.mapping.pairs.top; pair++) {
                yaml_node_t *k = yaml_document_get_node(ld->doc, pair->key);
                if (k->type == YAML_SCALAR_NODE && strcmp(node_text(k), "json") == 0)
                    jmap = yaml_document_get_node(ld->doc, pair->value);
            }
            char jp[MAX_KEY_PATH];
            join_key(jp, path, "paginate");
            int pl = key_line_of(ld, jmap, "paginate");
            if (m->paginate == CONFIG_PAGINATE_NEXT && m->next_url == NULL)
                cfg_error(ld, pl, jp, "paginate: next needs next_url (where the next URL is)");
            if (m->paginate == CONFIG_PAGINATE_CURSOR && m->cursor == NULL)
                cfg_error(ld, pl, jp, "paginate: cursor needs cursor (where the cursor value is)");
            if (m->max_pages != 0) {
                if (key_line_of(ld, item, "max_pages") != 0) {
                    char mp[MAX_KEY_PATH];
                    join_key(mp, path, "max_pages");
                    cfg_error(ld, key_line_of(ld, jmap, "max_pages"), mp,
                              "max_pages is given both here and for the source (line %d)",
                              key_line_of(ld, item, "max_pages"));
                } else {
                    s->max_pages = m->max_pages;
                }
            }
            if (m->page_param == NULL) m->page_param = cfg_strdup(ld, "page");
            if (m->cursor_param == NULL) m->cursor_param = cfg_strdup(ld, "cursor");
        }
    }
    int mpl = key_line_of(ld, item, "max_pages");
    if (mpl != 0 && !fa_source_kind_has(s->type, FA_SOURCE_PAGINATED)) {
        char kinds[256];
        join_key(path, sub, "max_pages");
        cfg_error(ld, mpl, path, "applies to %s sources only (the type is %s)",
                  kind_list(FA_SOURCE_PAGINATED, " and ", kinds, sizeof kinds),
                  config_source_type_name(s->type));
    }
    if (s->max_pages == 0) s->max_pages = 100;
}

/* ---- the key tables, listed ---- */

static void each_key(const struct field *f, size_t n, const char *prefix,
                     void (*cb)(void *ud, const char *path), void *ud)
{
    char path[MAX_KEY_PATH];
    for (size_t i = 0; i < n; i++) {
        join_key(path, prefix, f[i].key);
        cb(ud, path);
        if (f[i].kind == FIELD_SECTION || f[i].kind == FIELD_JSON) {
            each_key(f[i].sub, f[i].n_sub, path, cb, ud);
        } else if (f[i].kind == FIELD_SOURCES) {
            char item[MAX_KEY_PATH];
            snprintf(item, sizeof item, "%.200s[]", path);
            each_key(source_fields, N_OF(source_fields), item, cb, ud);
        }
    }
}

void config_for_each_key(void (*cb)(void *ud, const char *path), void *ud)
{
    if (cb != NULL) each_key(top_fields, N_OF(top_fields), NULL, cb, ud);
}

/* ---- after the walk: defaults, paths, cross-checks ---- */

/* Drops empty and "." components and a trailing '/' from an absolute path,
 * in place.  ".." is kept: resolving it lexically is wrong across symlinks. */
static void clean_path(char *p)
{
    size_t r = 0, w = 1;
    while (p[r] != '\0') {
        while (p[r] == '/')
            r++;
        size_t start = r;
        while (p[r] != '\0' && p[r] != '/')
            r++;
        size_t len = r - start;
        if (len == 0 || (len == 1 && p[start] == '.')) continue;
        if (w > 1) p[w++] = '/';
        memmove(p + w, p + start, len);
        w += len;
    }
    p[0] = '/';
    p[w] = '\0';
}

/* *slot = absolute form of *slot (or of dflt when *slot is NULL). */
static void resolve_dir(cfg_loader *ld, char **slot, const char *dflt)
{
    const char *rel = *slot ? *slot : dflt;
    if (rel[0] == '/') {
        if (*slot == NULL) *slot = cfg_strdup(ld, rel);
        return;
    }
    fa_buf b;
    fa_buf_init(&b, PATH_MAX * 2);
    if (fa_buf_printf(&b, "%s/%s", ld->base_dir, rel) < 0) {
        fa_buf_free(&b);
        ld->oom = 1;
        return;
    }
    clean_path(b.data);
    free(*slot);
    *slot = fa_buf_steal(&b, NULL);
}

static int cmp_source_ptr(const void *a, const void *b)
{
    const config_source *x = *(const config_source *const *)a;
    const config_source *y = *(const config_source *const *)b;
    int d = strcmp(x->url, y->url);
    if (d != 0) return d;
    return (x > y) - (x < y); /* stable: earlier first */
}

int config_source_default_name(const char *url, char *out, size_t cap)
{
    const char *host;
    size_t host_len;
    if (url == NULL || out == NULL || cap <= CONFIG_SOURCE_NAME_MAX ||
        url_check(url, &host, &host_len) != NULL)
        return FA_EINVAL;
    fa_buf b;
    fa_buf_init(&b, (size_t)16 << 20);
    int rc = 0;
    for (size_t j = 0; j < host_len && rc == 0; j++) {
        char ch = host[j];
        if (ch >= 'A' && ch <= 'Z') ch = (char)(ch - 'A' + 'a');
        rc = fa_buf_append(&b, &ch, 1);
    }
    /* the port and the path and query, without the fragment */
    const char *rest = host + host_len;
    size_t n = strcspn(rest, "#");
    if (rc == 0 && n > 0) rc = fa_buf_append(&b, rest, n);
    if (rc < 0) {
        fa_buf_free(&b);
        return rc;
    }
    if (b.len > 0 && b.data[b.len - 1] == '/' && memchr(b.data, '/', b.len) == b.data + b.len - 1)
        b.len--; /* "host/" -> "host" */
    if (b.len <= CONFIG_SOURCE_NAME_MAX) {
        memcpy(out, b.data, b.len);
        out[b.len] = '\0';
    } else {
        uint64_t h = 1469598103934665603ULL;
        for (const char *p = url; *p; p++)
            h = (h ^ (unsigned char)*p) * 1099511628211ULL;
        size_t keep = CONFIG_SOURCE_NAME_MAX - 17;
        memcpy(out, b.data, keep);
        snprintf(out + keep, cap - keep, "~%016llx", (unsigned long long)h);
    }
    fa_buf_free(&b);
    return 0;
}

static int cmp_source_name(const void *a, const void *b)
{
    const config_source *x = *(const config_source *const *)a;
    const config_source *y = *(const config_source *const *)b;
    int d = strcmp(x->name, y->name);
    if (d != 0) return d;
    return (x > y) - (x < y); /* stable: earlier first */
}

/* Names are the sources' keys in the state: two sources with one name
 * would share their records (status rows, next due time, the WordPress
 * watermark).  Sorted pointers, neighbours compared; O(n log n). */
static void check_unique_names(cfg_loader *ld, config *c)
{
    size_t n = 0;
    for (size_t i = 0; i < c->n_sources; i++)
        if (c->sources[i].name != NULL) n++;
    if (n < 2) return;
    config_source **order = calloc(n, sizeof(config_source *));
    if (order == NULL) {
        ld->oom = 1;
        return;
    }
    size_t k = 0;
    for (size_t i = 0; i < c->n_sources; i++)
        if (c->sources[i].name != NULL) order[k++] = &c->sources[i];
    qsort(order, k, sizeof(config_source *),
          cmp_source_name); /* NOLINT(bugprone-sizeof-expression) */
    size_t first = 0;
    for (size_t i = 1; i < k; i++) {
        if (strcmp(order[i]->name, order[first]->name) != 0) {
            first = i;
            continue;
        }
        char sub[MAX_KEY_PATH], q[96];
        const config_source *s = order[i], *f = order[first];
        if (s->name_is_default && f->name_is_default && strcmp(s->url, f->url) == 0)
            continue; /* said as "same url" */
        snprintf(sub, sizeof sub, "sources[%zu]%s", (size_t)(s - c->sources),
                 s->name_is_default ? "" : ".name");
        cfg_error(ld, s->line, sub,
                  "%s%s is already the name of sources[%zu] (line %d)%s; names must be unique",
                  s->name_is_default ? "its default name (from the url) " : "", quote(s->name, q),
                  (size_t)(f - c->sources), f->line, f->name_is_default ? " by default" : "");
    }
    free(order);
}

static void finish_sources(cfg_loader *ld, config *c)
{
    size_t n_with_url = 0;
    for (size_t i = 0; i < c->n_sources; i++) {
        config_source *s = &c->sources[i];
        if (s->name != NULL && strlen(s->name) > CONFIG_SOURCE_NAME_MAX) {
            char sub[MAX_KEY_PATH];
            snprintf(sub, sizeof sub, "sources[%zu].name", i);
            cfg_error(ld, s->line, sub, "is longer than %d bytes", CONFIG_SOURCE_NAME_MAX);
        }
        if (s->url == NULL) continue;
        n_with_url++;
        if (s->name == NULL) {
            char name[CONFIG_SOURCE_NAME_MAX + 1];
            if (config_source_default_name(s->url, name, sizeof name) < 0) continue;
            s->name = cfg_strdup(ld, name);
            s->name_is_default = 1;
        }
    }
    check_unique_names(ld, c);
    if (n_with_url < 2) return;
    /* Duplicate URLs: sort pointers, compare neighbours; O(n log n). */
    config_source **order = calloc(n_with_url, sizeof(config_source *));
    if (order == NULL) {
        ld->oom = 1;
        return;
    }
    size_t k = 0;
    for (size_t i = 0; i < c->n_sources; i++)
        if (c->sources[i].url != NULL) order[k++] = &c->sources[i];
    qsort(order, k, sizeof(config_source *),
          cmp_source_ptr); /* NOLINT(bugprone-sizeof-expression) */
    size_t first = 0;
    for (size_t i = 1; i < k; i++) {
        if (strcmp(order[i]->url, order[first]->url) != 0) {
            first = i;
            continue;
        }
        char sub[MAX_KEY_PATH];
        snprintf(sub, sizeof sub, "sources[%zu]", (size_t)(order[i] - c->sources));
        cfg_error(ld, order[i]->line, sub, "same url as sources[%zu] (line %d)",
                  (size_t)(order[first] - c->sources), order[first]->line);
    }
    free(order);
}

static void apply_defaults(config *c)
{
    c->storage.segment_max_size = (uint64_t)1 << 30;
    c->storage.compression_level = 3;
    c->politeness.max_connections_per_host = 1;
    c->politeness.min_delay_ms = 1000;
    c->politeness.delay_factor = 2.0;
    c->politeness.max_delay_ms = 30000;
    c->http.retries = 2;
    c->http.backoff_base_ms = 1000;
    c->http.backoff_max_ms = 300000;
    c->http.max_retry_after_ms = 600000;
    c->http.low_speed_time_ms = 30000;
    c->http.max_header_size = 256 * 1024;
    c->http.max_decoded_size = 128 * MIB;
    c->politeness.max_connections = 64;
    c->http.connect_timeout_ms = 10ULL * 1000;
    c->http.timeout_ms = 60ULL * 1000;
    c->http.max_body_size = 32 * MIB;
    c->http.max_redirects = 5;
    c->log.format = FA_LOG_LOGFMT;
    c->log.level = FA_LOG_INFO;
    c->service.grace_period_ms = 10000;
    c->dedup.enabled = 1;
    c->dedup.near_threshold = 0.5;
    c->dedup.containment_threshold = 0.85;
    c->storage.file_mode = 0640;
    c->cluster.lease_ms = 30000;
}

/* (issue 15) cluster: the Redis URL is required, the node defaults to the
 * host name (which must then make a valid node name). */
static void finish_cluster(cfg_loader *ld, config *c, int line)
{
    char q[96];
    c->cluster.enabled = 1;
    if (!ld->cluster_redis_given)
        cfg_error(ld, line, "cluster.redis",
                  "required in a cluster: section (e.g. \"redis://127.0.0.1:6379/0\")");
    if (c->cluster.node == NULL) {
        char host[256] = "";
        if (gethostname(host, sizeof host - 1) < 0 || !config__node_name_ok(host))
            cfg_error(ld, line, "cluster.node",
                      "not given, and the host name %s is not a node name; set cluster.node",
                      quote(host, q));
        else
            c->cluster.node = cfg_strdup(ld, host);
    }
}

/* Credentials are not archived unless the config says otherwise. */
static const char *const default_redact_headers[] = {"Authorization", "Cookie",
                                                     "Proxy-Authorization"};

static void finish_http(cfg_loader *ld, config *c)
{
    if (c->http.redact_headers_given) return;
    c->http.redact_headers = calloc(N_OF(default_redact_headers), sizeof(char *));
    if (c->http.redact_headers == NULL) {
        ld->oom = 1;
        return;
    }
    for (size_t i = 0; i < N_OF(default_redact_headers); i++)
        if ((c->http.redact_headers[i] = cfg_strdup(ld, default_redact_headers[i])) != NULL)
            c->http.n_redact_headers++;
}

/* ---- syntax errors and the base folder ---- */

static void syntax_error(cfg_loader *ld, const yaml_parser_t *p, const char *text, size_t len)
{
    if (p->error == YAML_MEMORY_ERROR) {
        ld->oom = 1;
        return;
    }
    size_t line, col;
    if (p->error == YAML_READER_ERROR) {
        line = 1;
        col = 1;
        for (size_t i = 0; i < p->problem_offset && i < len; i++) {
            if (text[i] == '\n') {
                line++;
                col = 1;
            } else {
                col++;
            }
        }
    } else {
        line = p->problem_mark.line + 1;
        col = p->problem_mark.column + 1;
    }
    const char *problem = p->problem ? p->problem : "invalid YAML";
    ld->n_errors++;
    int rc;
    if (p->context != NULL)
        rc = fa_buf_printf(&ld->errs, "%s:%zu:%zu: %s (%s at line %zu)\n", ld->label, line, col,
                           problem, p->context, p->context_mark.line + 1);
    else
        rc = fa_buf_printf(&ld->errs, "%s:%zu:%zu: %s\n", ld->label, line, col, problem);
    if (rc == FA_ENOMEM) ld->oom = 1;
}

/* Counts an anchor or an alias; past its ceiling, an error at ev. */
static int count_anchor(cfg_loader *ld, const yaml_event_t *ev, unsigned *n, unsigned max,
                        const char *what)
{
    if (++*n <= max) return 0;
    ld->n_errors++;
    if (fa_buf_printf(&ld->errs, "%s:%zu:%zu: more than %u YAML %s\n", ld->label,
                      ev->start_mark.line + 1, ev->start_mark.column + 1, max, what) == FA_ENOMEM)
        ld->oom = 1;
    return FA_EPARSE;
}

/* A first pass with libyaml's event parser, to refuse deep nesting before
 * the document loader sees it: libyaml's scanner costs time quadratic in the
 * flow nesting depth ("[[[[..." in a 4 MiB file takes hours), while the
 * event parser stops at the first level past the ceiling.  The same for
 * anchors and aliases, which cost the loader time quadratic in their
 * number.  It also finds every syntax error the loader would.  Returns 0
 * or FA_EPARSE/FA_ENOMEM. */
static int check_syntax_and_depth(cfg_loader *ld, const char *text, size_t len)
{
    yaml_parser_t p;
    if (!yaml_parser_initialize(&p)) return FA_ENOMEM;
    yaml_parser_set_input_string(&p, (const unsigned char *)text, len);
    int rc = 0, depth = 0, done = 0;
    unsigned anchors = 0, aliases = 0;
    while (!done) {
        yaml_event_t ev;
        if (!yaml_parser_parse(&p, &ev)) {
            syntax_error(ld, &p, text, len);
            rc = p.error == YAML_MEMORY_ERROR ? FA_ENOMEM : FA_EPARSE;
            break;
        }
        const yaml_char_t *anchor = NULL;
        if (ev.type == YAML_SCALAR_EVENT) anchor = ev.data.scalar.anchor;
        if (ev.type == YAML_SEQUENCE_START_EVENT) anchor = ev.data.sequence_start.anchor;
        if (ev.type == YAML_MAPPING_START_EVENT) anchor = ev.data.mapping_start.anchor;
        if ((anchor != NULL &&
             (rc = count_anchor(ld, &ev, &anchors, CONFIG_MAX_ANCHORS, "anchors (&name)")) < 0) ||
            (ev.type == YAML_ALIAS_EVENT &&
             (rc = count_anchor(ld, &ev, &aliases, CONFIG_MAX_ALIASES, "aliases (*name)")) < 0)) {
            yaml_event_delete(&ev);
            break;
        }
        switch (ev.type) {
        case YAML_SEQUENCE_START_EVENT:
        case YAML_MAPPING_START_EVENT:
            if (++depth > CONFIG_MAX_DEPTH) {
                ld->n_errors++;
                if (fa_buf_printf(&ld->errs, "%s:%zu:%zu: nested deeper than %d levels\n",
                                  ld->label, ev.start_mark.line + 1, ev.start_mark.column + 1,
                                  CONFIG_MAX_DEPTH) == FA_ENOMEM)
                    ld->oom = 1;
                rc = FA_EPARSE;
                done = 1;
            }
            break;
        case YAML_SEQUENCE_END_EVENT:
        case YAML_MAPPING_END_EVENT:
            depth--;
            break;
        case YAML_STREAM_END_EVENT:
            done = 1;
            break;
        default:
            break;
        }
        yaml_event_delete(&ev);
    }
    yaml_parser_delete(&p);
    return rc;
}

/* The absolute, symlink-free form of dir (NULL = the current directory). */
static int absolute_dir(cfg_loader *ld, const char *dir, char **out)
{
    char *real = realpath(dir ? dir : ".", NULL);
    if (real != NULL) {
        *out = real;
        return 0;
    }
    if (dir != NULL && dir[0] == '/') {
        *out = cfg_strdup(ld, dir);
        return *out ? 0 : FA_ENOMEM;
    }
    char cwd[PATH_MAX];
    if (getcwd(cwd, sizeof cwd) == NULL) {
        cfg_error(ld, 0, NULL, "cannot find the current directory: %s", strerror(errno));
        return FA_EIO;
    }
    fa_buf b;
    fa_buf_init(&b, PATH_MAX * 2);
    if (fa_buf_printf(&b, "%s/%s", cwd, dir ? dir : ".") < 0) {
        fa_buf_free(&b);
        return FA_ENOMEM;
    }
    clean_path(b.data);
    *out = fa_buf_steal(&b, NULL);
    return 0;
}

/* ---- loading ---- */

static int load(const char *text, size_t len, const char *label, const char *base_dir, config **out,
                char **errors)
{
    cfg_loader ld;
    memset(&ld, 0, sizeof ld);
    ld.label = label;
    fa_buf_init(&ld.errs, MAX_ERRORS_TEXT);

    yaml_parser_t parser;
    yaml_document_t doc, extra;
    int parser_ready = 0, doc_ready = 0;
    config *c = NULL;
    int rc = 0;

    if (len > CONFIG__MAX_FILE_SIZE) {
        cfg_error(&ld, 0, NULL, "config is larger than %zu MiB; refusing it",
                  CONFIG__MAX_FILE_SIZE >> 20);
        rc = FA_ETOOBIG;
        goto out;
    }
    c = calloc(1, sizeof *c);
    if (c == NULL || (c->path = strdup(label)) == NULL) {
        rc = FA_ENOMEM;
        goto out;
    }
    apply_defaults(c);
    rc = absolute_dir(&ld, base_dir, &c->base_dir);
    if (rc < 0) goto out;
    ld.base_dir = c->base_dir;

    rc = check_syntax_and_depth(&ld, text, len);
    if (rc < 0) goto out;
    if (!yaml_parser_initialize(&parser)) {
        rc = FA_ENOMEM;
        goto out;
    }
    parser_ready = 1;
    yaml_parser_set_input_string(&parser, (const unsigned char *)text, len);
    if (!yaml_parser_load(&parser, &doc)) {
        syntax_error(&ld, &parser, text, len);
        rc = FA_EPARSE;
        goto out;
    }
    doc_ready = 1;
    ld.doc = &doc;
    /* A second document is a mistake (a stray "---"); reading it also
     * reports syntax errors anywhere in the rest of the stream. */
    if (!yaml_parser_load(&parser, &extra)) {
        syntax_error(&ld, &parser, text, len);
        rc = FA_EPARSE;
        goto out;
    }
    if (yaml_document_get_root_node(&extra) != NULL)
        cfg_error(&ld, (int)extra.start_mark.line + 1, NULL,
                  "a second YAML document; the config is one document");
    yaml_document_delete(&extra);

    yaml_node_t *root = yaml_document_get_root_node(&doc);
    if (root == NULL || node_is_null(root)) {
        cfg_error(&ld, 1, "sources", "at least one source is required");
    } else if (root->type != YAML_MAPPING_NODE) {
        type_error(&ld, root, "top level", "a mapping");
    } else {
        uint32_t seen = walk_mapping(&ld, root, NULL, top_fields, N_OF(top_fields), c, c);
        if (!(seen & TOP_SOURCES_BIT))
            cfg_error(&ld, node_line(root), "sources", "at least one source is required");
        if (seen & TOP_CLUSTER_BIT) finish_cluster(&ld, c, key_line_of(&ld, root, "cluster"));
    }

    if (c->user_agent == NULL) c->user_agent = cfg_strdup(&ld, CONFIG_DEFAULT_USER_AGENT);
    if (c->storage.prefix == NULL) c->storage.prefix = cfg_strdup(&ld, "feedarc");
    if (c->metrics.listen == NULL) c->metrics.listen = cfg_strdup(&ld, "127.0.0.1:9464");
    resolve_dir(&ld, &c->storage.dir, "archive");
    resolve_dir(&ld, &c->storage.state_dir, "state");
    finish_sources(&ld, c);
    finish_http(&ld, c);

    if (ld.oom)
        rc = FA_ENOMEM;
    else if (ld.n_errors > 0)
        rc = FA_EINVAL;

out:
    if (doc_ready) yaml_document_delete(&doc);
    if (parser_ready) yaml_parser_delete(&parser);
    if (rc == FA_ENOMEM && ld.n_errors == 0) cfg_error(&ld, 0, NULL, "out of memory");
    if (rc < 0) {
        config_free(c);
        c = NULL;
    }
    *out = c;
    if (errors != NULL) *errors = rc < 0 ? fa_buf_steal(&ld.errs, NULL) : NULL;
    fa_buf_free(&ld.errs);
    return rc;
}

int config_load_string(const char *text, size_t len, const char *name, const char *base_dir,
                       config **out, char **errors)
{
    if (errors != NULL) *errors = NULL;
    if (out != NULL) *out = NULL;
    if (out == NULL || (text == NULL && len != 0)) return FA_EINVAL;
    return load(text ? text : "", len, name ? name : "<string>", base_dir, out, errors);
}

/* Reads at most CONFIG__MAX_FILE_SIZE bytes (one more tells it is too big). */
static int read_file(const char *path, fa_buf *b, char **errors)
{
    int rc = 0, err = 0;
    const char *what = "open";
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        err = errno;
        rc = FA_EIO;
        goto out;
    }
    what = "read";
    for (;;) {
        size_t chunk = (size_t)64 << 10;
        rc = fa_buf_reserve(b, chunk < b->max - b->len ? chunk : b->max - b->len);
        if (rc < 0) goto out;
        size_t room = b->cap - b->len - 1;
        if (room == 0) {
            char probe;
            ssize_t n = read(fd, &probe, 1);
            if (n > 0) {
                rc = FA_ETOOBIG;
                goto out;
            }
            if (n == 0) break;
            if (errno == EINTR) continue;
            err = errno;
            rc = FA_EIO;
            goto out;
        }
        ssize_t n = read(fd, b->data + b->len, room);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) {
            err = errno;
            rc = FA_EIO;
            goto out;
        }
        if (n == 0) break;
        b->len += (size_t)n;
        b->data[b->len] = '\0';
    }
out:
    if (rc < 0 && errors != NULL) {
        fa_buf e;
        fa_buf_init(&e, 4096);
        if (rc == FA_ETOOBIG)
            fa_buf_printf(&e, "%s: config is larger than %zu MiB; refusing it\n", path,
                          CONFIG__MAX_FILE_SIZE >> 20);
        else if (rc == FA_EIO)
            fa_buf_printf(&e, "cannot %s %s: %s\n", what, path, strerror(err));
        else
            fa_buf_printf(&e, "%s: %s\n", path, fa_strerror(rc));
        *errors = fa_buf_steal(&e, NULL);
        fa_buf_free(&e);
    }
    if (fd >= 0) close(fd);
    return rc;
}

int config_load_file(const char *path, config **out, char **errors)
{
    if (errors != NULL) *errors = NULL;
    if (out == NULL || path == NULL) return FA_EINVAL;
    *out = NULL;
    fa_buf text;
    fa_buf_init(&text, CONFIG__MAX_FILE_SIZE);
    char *dir_copy = NULL;
    int rc = read_file(path, &text, errors);
    if (rc < 0) goto out;
    dir_copy = strdup(path);
    if (dir_copy == NULL) {
        rc = FA_ENOMEM;
        goto out;
    }
    rc = load(text.data ? text.data : "", text.len, path, dirname(dir_copy), out, errors);
out:
    free(dir_copy);
    fa_buf_free(&text);
    return rc;
}

void config_free(config *c)
{
    if (c == NULL) return;
    for (size_t i = 0; i < c->n_sources; i++) {
        config_source_clear(&c->sources[i]);
    }
    free(c->sources);
    free(c->path);
    free(c->base_dir);
    free(c->user_agent);
    free(c->storage.dir);
    free(c->storage.state_dir);
    free(c->metrics.listen);
    free(c->storage.prefix);
    free(c->http.accept_encoding);
    free(c->storage.dictionary);
    free(c->storage.operator_name);
    free(c->cluster.redis);
    free(c->cluster.node);
    if (c->cluster.password != NULL) {
        explicit_bzero(c->cluster.password, strlen(c->cluster.password));
        free(c->cluster.password);
    }
    free_name_list(&c->http.redact_headers, &c->http.n_redact_headers);
    free(c);
}

void config_source_clear(config_source *s)
{
    if (s == NULL) return;
    free(s->url);
    free(s->name);
    for (size_t j = 0; j < s->n_headers; j++) {
        free(s->headers[j].name);
        free(s->headers[j].value);
    }
    free(s->headers);
    if (s->json != NULL) {
        config_json_mapping *m = s->json;
        char *strs[] = {m->items,   m->id,         m->url,      m->title,
                        m->date,    m->updated,    m->content,  m->summary,
                        m->author,  m->page_param, m->next_url, m->cursor_param,
                        m->cursor};
        for (size_t k = 0; k < sizeof strs / sizeof strs[0]; k++)
            free(strs[k]);
        free(m);
    }
    free(s->opml_path);
    memset(s, 0, sizeof *s);
}
