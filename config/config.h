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

/* Loads and validates a config file.  On success *out owns a config (free
 * with config_free).  On failure returns FA_EINVAL/FA_EPARSE/FA_EIO and
 * *errors receives a malloc'd text, one "file:line: what" per line (the
 * caller frees it); errors may be NULL. */
int config_load_file(const char *path, config **out, char **errors);

/* Same, from text in memory; name labels messages and base_dir resolves
 * relative paths (NULL = current directory). */
int config_load_string(const char *text, size_t len, const char *name, const char *base_dir,
                       config **out, char **errors);

/* Parses "500ms", "20s", "15m", "1h", "2d" (a bare number is seconds).
 * Returns 0 or FA_EINVAL. */
int config_parse_duration(const char *s, uint64_t *ms);

/* Parses "64KiB", "1GiB", "10MB", "512" (bytes).  Returns 0 or FA_EINVAL. */
int config_parse_size(const char *s, uint64_t *bytes);

/* Writes the effective config as YAML (defaults filled in) to out. */
int config_dump(const config *c, char **out);

const char *config_source_type_name(enum config_source_type t);

void config_free(config *c);

#endif
