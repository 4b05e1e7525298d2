/*
 * config.h - feedarc's configuration: loaded from YAML, validated, with
 * defaults filled in.
 *
 * Errors say where: "feedarc.yaml:12: sources[3].interval: \"15x\" is not a
 * duration".  Unknown keys are errors.  Relative paths are resolved against
 * the folder of the config file.  The loaded struct owns all its strings.
 */
#ifndef CONFIG_H
#define CONFIG_H

#include "common/fa_log.h"
#include "common/fa_source_kind.h"

#include <stddef.h>
#include <stdint.h>

typedef struct config_header {
    char *name;
    char *value;
} config_header;

/* How a type: json source is paginated. */
enum config_json_paginate {
    CONFIG_PAGINATE_NONE = 0,
    CONFIG_PAGINATE_PAGE,   /* page: ?<page_param>=N */
    CONFIG_PAGINATE_NEXT,   /* next: the URL at <next_url> in the body */
    CONFIG_PAGINATE_LINK,   /* link: the Link: rel="next" header */
    CONFIG_PAGINATE_CURSOR  /* cursor: ?<cursor_param>=<value at cursor> */
};

/* Where a JSON API keeps its items and their fields (type: json only):
 * JSON Pointers (RFC 6901, "" or starting with '/'); NULL = not given.
 * items is from the document root, the fields from one item, next_url and
 * cursor from the root. */
typedef struct config_json_mapping {
    char *items, *id, *url, *title, *date, *updated, *content, *summary, *author;
    enum config_json_paginate paginate; /* default none */
    char *page_param;   /* default "page" */
    char *next_url;     /* required with paginate: next */
    char *cursor_param; /* default "cursor" */
    char *cursor;       /* required with paginate: cursor */
    unsigned max_pages; /* 0 = not given; when given it is also the source's max_pages */
    int line;           /* of the json: key */
} config_json_mapping;

typedef struct config_source {
    char *url;                 /* required; http or https */
    char *name;                /* unique among the sources; defaults to
                                  config_source_default_name(url) */
    int name_is_default;       /* name was not given but made from the url */
    enum fa_source_kind type;  /* one the table marks FA_SOURCE_CONFIG_TYPE */
    int fetch_pages;           /* archive the items' pages (default 1) */
    int ignore_robots;         /* skip robots.txt for this source (default 0; logged) */
    uint64_t interval_ms;      /* polling interval for serve (default 15 min) */
    config_header *headers;    /* extra request headers */
    size_t n_headers;
    unsigned max_items;        /* per-feed item cap (default 10000) */
    int line;                  /* line in the config file, for messages */
    unsigned max_pages;        /* wordpress/json: pages walked per run (default 100;
                                  json.max_pages sets it too) */
    config_json_mapping *json; /* type json: the mapping (required); else NULL */
    char *opml_path;           /* "- opml: FILE" entries: the OPML file, absolute; url is
                                  NULL until source_list_expand_opml replaces the entry
                                  by the feeds it lists (crawler/source_list.h) */
} config_source;

typedef struct config {
    char *path;                /* the file loaded, or a label for strings */
    char *base_dir;            /* folder relative paths resolve against */
    char *user_agent;          /* default "feedarc/<version> (+https://github.com/feedarc/feedarc)" */
    struct {
        char *dir;             /* archive folder, absolute (default <base>/archive) */
        char *state_dir;       /* durable state (default <base>/state) */
        char *prefix;          /* segment name prefix (default "feedarc") */
        uint64_t segment_max_size; /* default 1 GiB */
        int compression_level; /* zstd level, default 3 */
        char *dictionary;      /* zstd dictionary: "auto" (default: trained on the first
                                  run's records, kept in state_dir/dictionaries, used
                                  from the next run on), "none", or a file */
        int revisit_not_modified; /* archive a 304 as a revisit record
                                     (server-not-modified profile); default 0 */
        char *operator_name;      /* warcinfo `operator:` (who runs the
                                     crawl, e.g. "Archive team <ops@example.org>");
                                     NULL = not written */
        unsigned file_mode;       /* mode of the archive files (segments,
                                     indexes, dictionaries): "0640" by default; owner
                                     read and write always */
    } storage;
    struct {
        unsigned max_connections_per_host; /* default 1 */
        uint64_t min_delay_ms;             /* between request starts per host, default 1000 */
        double delay_factor;               /* adaptive delay: factor x the host's recent
                                              response time; default 2, 0 = off */
        uint64_t max_delay_ms;             /* cap on the adaptive delay, default 30 s */
        unsigned max_connections;          /* global cap, default 64 */
    } politeness;
    struct {
        uint64_t connect_timeout_ms;  /* default 10 s */
        uint64_t timeout_ms;          /* whole transfer, default 60 s */
        uint64_t max_body_size;       /* default 32 MiB */
        unsigned max_redirects;       /* default 5 */
        unsigned retries;             /* tries after a transient error, default 2 */
        char *accept_encoding;        /* Accept-Encoding sent; NULL (the default, or null in
                                         the file) = every coding feedarc and libcurl
                                         decode (gzip, deflate, br, zstd) */
        uint64_t backoff_base_ms;     /* first backoff, doubled per error, default 1 s */
        uint64_t backoff_max_ms;      /* default 5 min */
        uint64_t max_retry_after_ms;  /* a longer Retry-After gives up for this run, default 10 min */
        uint64_t low_speed_time_ms;   /* below 1 byte/s this long: cut off, default 30 s */
        uint64_t max_header_size;     /* response head ceiling, default 256 KiB */
        uint64_t max_decoded_size;    /* decoded (gunzipped) payload ceiling, default 128 MiB */
        char **redact_headers;        /* request headers whose values are
                                         archived as "[redacted]"; default Authorization,
                                         Cookie, Proxy-Authorization; [] = none */
        size_t n_redact_headers;
        int redact_headers_given; /* the list comes from the file (even empty) */
    } http;
    /* the operator's side of `feedarc serve` */
    struct {
        char *listen; /* /metrics, /healthz, /readyz: "127.0.0.1:9464" (default), an
                         IPv4 "A.B.C.D:port" or "[IPv6]:port", or "none" (off) */
    } metrics;
    struct {
        enum fa_log_format format; /* logfmt (default) or json */
        enum fa_log_level level;   /* debug, info (default), warn, error */
    } log;
    struct {
        uint64_t grace_period_ms; /* after SIGTERM, in-flight fetches may finish for this
                                     long (default 10 s, at most 1 h) */
    } service;
    /* what is new: near-duplicates, containment, boilerplate */
    struct {
        int enabled;                  /* default 1 */
        double near_threshold;        /* resemblance of main texts; default 0.5 */
        double containment_threshold; /* share of a document's text found in another;
                                         default 0.85 */
    } dedup;
    /* several feedarc nodes crawling as one, coordinated through Redis
     * (docs/SCALING.md).  Without a cluster: section enabled is 0 and the rest is
     * unset: nothing changes. */
    struct {
        int enabled;      /* a cluster: section was given */
        char *redis;      /* the Redis URL without its password, as
                             fa_redis_url_format_public writes it ("redis://host:6379/0");
                             rediss:// (TLS) is refused: hiredis 0.14 has no TLS */
        char *password;   /* from the URL, else the environment's REDIS_PASSWORD; NULL =
                             none.  Never written by config_dump (so `config check` does
                             not print it): a dumped config reads it from REDIS_PASSWORD */
        char *node;       /* this node's name, unique in the cluster: [A-Za-z0-9_.-], at
                             most CONFIG_NODE_NAME_MAX bytes, not starting with '.' or '-';
                             default: the host name */
        uint64_t lease_ms; /* a source claimed by a node that stops renewing is free again
                              after this long; default 30 s (1 s .. 1 h) */
    } cluster;
    config_source *sources;
    size_t n_sources;
} config;

/* Longest cluster.node, in bytes (it goes into Redis keys and the
 * segment names). */
#define CONFIG_NODE_NAME_MAX 64

/* Ceilings: files above CONFIG_MAX_FILE_SIZE are refused; a config
 * may list at most CONFIG_MAX_SOURCES sources with at most
 * CONFIG_MAX_HEADERS headers each; *errors keeps the first
 * CONFIG_MAX_ERRORS messages; nesting past CONFIG_MAX_DEPTH is a syntax
 * error (FA_EPARSE). */
#define CONFIG_MAX_FILE_SIZE (4u << 20)
#define CONFIG_MAX_SOURCES 100000
#define CONFIG_MAX_HEADERS 64
#define CONFIG_MAX_ERRORS 200
/* Deepest nesting of lists/mappings accepted (the schema needs 4). */
#define CONFIG_MAX_DEPTH 32
/* YAML anchors (&name) and aliases (*name) accepted: libyaml's loader
 * looks each alias up, and each anchor's duplicate, among all anchors, so
 * their numbers are bounded (150,000 anchors once took 48 s).  More is a
 * syntax error (FA_EPARSE) at the first one past the ceiling. */
#define CONFIG_MAX_ANCHORS 1000
#define CONFIG_MAX_ALIASES 100000

/* Loads and validates a config file.  On success *out owns a config (free
 * with config_free).  On failure returns FA_EINVAL/FA_EPARSE/FA_EIO and
 * *errors receives a malloc'd text, one "file:line: what" per line (the
 * caller frees it); errors may be NULL.
 *
 * Detail: FA_EPARSE is a YAML syntax error ("file:line:column:
 * problem"); FA_EINVAL is one or more validation errors ("file:line: path:
 * message", all of them); FA_EIO is a file that cannot be opened or read
 * ("cannot open FILE: <strerror>").  Also FA_ETOOBIG for a file larger than
 * CONFIG_MAX_FILE_SIZE and FA_ENOMEM.  On success *errors is set to NULL
 * and *out is NULL on every failure.  Paths in messages count list items
 * from 0: "sources[0]" is the first source. */
int config_load_file(const char *path, config **out, char **errors);

/* Same, from text in memory; name labels messages and base_dir resolves
 * relative paths (NULL = current directory).  text need not be
 * NUL-terminated; the struct copies what it keeps. */
int config_load_string(const char *text, size_t len, const char *name, const char *base_dir,
                       config **out, char **errors);

/* Parses "500ms", "20s", "15m", "1h", "2d" (a bare number is seconds).
 * Returns 0 or FA_EINVAL. */
int config_parse_duration(const char *s, uint64_t *ms);

/* Parses "64KiB", "1GiB", "10MB", "512" (bytes).  Returns 0 or FA_EINVAL. */
int config_parse_size(const char *s, uint64_t *bytes);

/* Writes the effective config as YAML (defaults filled in) to out: a
 * malloc'd NUL-terminated text the caller frees.  config_load_string reads
 * it back to an equal config (paths are written absolute).  Returns 0,
 * FA_EINVAL (NULL arguments, or a string that is not valid UTF-8) or
 * FA_ENOMEM; *out is NULL on failure. */
int config_dump(const config *c, char **out);

/* Longest source name, in bytes: the name keys the source's
 * records in the state (with room for a prefix such as "wordpress_since:"). */
#define CONFIG_SOURCE_NAME_MAX 200

/* The name a source gets when the config gives none: the URL
 * without scheme, userinfo and fragment, host lowercased, the port kept
 * ("example.com:8080/feed.xml"; "example.com" for "https://example.com/").
 * A longer result than CONFIG_SOURCE_NAME_MAX is cut and ends in "~" and 16
 * hex digits of a hash of the whole URL, so distinct URLs keep distinct
 * names.  Writes at most cap bytes (cap > CONFIG_SOURCE_NAME_MAX) into out.
 * Returns 0, or FA_EINVAL when url is not an http(s) URL or cap is too small. */
int config_source_default_name(const char *url, char *out, size_t cap);

/* Calls cb once for every key the loader accepts, as a dotted
 * path: "user_agent", "storage.dir", "sources[].url",
 * "sources[].json.items"... (sections themselves included: "storage",
 * "sources", "sources[].json").  From the loader's own key tables, so
 * the list cannot drift from what is accepted. */
void config_for_each_key(void (*cb)(void *ud, const char *path), void *ud);

/* "none", "page", "next", "link", "cursor". */
const char *config_paginate_name(enum config_json_paginate p);

/* Frees the strings of a source and the source's own
 * allocations (not s itself); for code that builds sources (OPML
 * expansion).  NULL is accepted. */
void config_source_clear(config_source *s);

/* "auto", "rss", ... (common/fa_source_kind.h); "unknown" for a value
 * that is no source type. */
const char *config_source_type_name(enum fa_source_kind t);

/* The reverse of config_source_type_name: 0, or FA_EINVAL for a name that
 * is not a kind a config source may have. */
int config_parse_source_type(const char *s, enum fa_source_kind *t);

/* "logfmt", "json"; "debug", "info", "warn", "error"; "unknown"
 * outside the enums. */
const char *config_log_format_name(enum fa_log_format f);
const char *config_log_level_name(enum fa_log_level l);

/* Frees c and everything it owns; NULL is accepted. */
void config_free(config *c);

#endif
