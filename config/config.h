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

#include <stddef.h>
#include <stdint.h>

enum config_source_type {
    SOURCE_AUTO = 0,
    SOURCE_RSS,
    SOURCE_ATOM,
    SOURCE_JSONFEED,
    SOURCE_WORDPRESS,
    SOURCE_JSON,
    SOURCE_SITEMAP
};

typedef struct config_header {
    char *name;
    char *value;
} config_header;

typedef struct config_source {
    char *url;                 /* required; http or https */
    char *name;                /* defaults to the URL's host */
    enum config_source_type type;
    int fetch_pages;           /* archive the items' pages (default 1) */
    int ignore_robots;         /* skip robots.txt for this source (default 0; logged) */
    uint64_t interval_ms;      /* polling interval for serve (default 15 min) */
    config_header *headers;    /* extra request headers */
    size_t n_headers;
    unsigned max_items;        /* per-feed item cap (default 10000) */
    int line;                  /* line in the config file, for messages */
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
    } storage;
    struct {
        unsigned max_connections_per_host; /* default 1 */
        uint64_t min_delay_ms;             /* between request starts per host, default 1000 */
        unsigned max_connections;          /* global cap, default 64 */
    } politeness;
    struct {
        uint64_t connect_timeout_ms;  /* default 10 s */
        uint64_t timeout_ms;          /* whole transfer, default 60 s */
        uint64_t max_body_size;       /* default 32 MiB */
        unsigned max_redirects;       /* default 5 */
    } http;
    config_source *sources;
    size_t n_sources;
} config;

/* Ceilings (added): files above CONFIG_MAX_FILE_SIZE are refused; a config
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

/* Loads and validates a config file.  On success *out owns a config (free
 * with config_free).  On failure returns FA_EINVAL/FA_EPARSE/FA_EIO and
 * *errors receives a malloc'd text, one "file:line: what" per line (the
 * caller frees it); errors may be NULL.
 *
 * Detail (added): FA_EPARSE is a YAML syntax error ("file:line:column:
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

/* "auto", "rss", ... ; "unknown" for a value outside the enum. */
const char *config_source_type_name(enum config_source_type t);

/* (added) The reverse of config_source_type_name: 0, or FA_EINVAL for a
 * name that is not a source type. */
int config_parse_source_type(const char *s, enum config_source_type *t);

/* Frees c and everything it owns; NULL is accepted. */
void config_free(config *c);

#endif
