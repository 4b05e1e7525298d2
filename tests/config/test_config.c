/* test_config.c - loading feedarc.yaml: values, defaults, every class of
 * error with its exact line, all errors at once, relative paths, units,
 * and dump -> load round trips. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "common/fa_err.h"
#include "config/config.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/stat.h>
#include <unistd.h>

#define ONE_SOURCE "sources: [{url: \"https://a.example/feed\"}]\n"

/* ---- helpers ---- */

static config *load_ok(const char *yaml, const char *base)
{
    config *c = NULL;
    char *errors = NULL;
    int rc = config_load_string(yaml, strlen(yaml), "t.yaml", base, &c, &errors);
    if (rc != 0) fail_msg("unexpected failure %d:\n%s", rc, errors ? errors : "(no text)");
    assert_null(errors);
    assert_non_null(c);
    return c;
}

/* Loads yaml expecting rc and exactly the error text want. */
static int load_check(const char *yaml, int want_rc, const char *want)
{
    config *c = (config *)1;
    char *errors = NULL;
    int rc = config_load_string(yaml, strlen(yaml), "t.yaml", "/tmp", &c, &errors);
    int ok = c == NULL && errors != NULL && rc == want_rc && strcmp(errors, want) == 0;
    if (!ok)
        print_error("for:\n%s\nwant rc %d:\n%s\ngot rc %d:\n%s\n", yaml, want_rc, want, rc,
                    errors ? errors : "(none)");
    free(errors);
    if (c != NULL && c != (config *)1) config_free(c);
    return ok;
}

static void load_fails(const char *yaml, int want_rc, const char *want)
{
    config *c = (config *)1;
    char *errors = NULL;
    int rc = config_load_string(yaml, strlen(yaml), "t.yaml", "/tmp", &c, &errors);
    assert_null(c);
    assert_non_null(errors);
    if (rc != want_rc || strcmp(errors, want) != 0)
        fail_msg("for:\n%s\nwant rc %d:\n%s\ngot rc %d:\n%s", yaml, want_rc, want, rc, errors);
    free(errors);
}

static void write_file(const char *path, const char *text, size_t len)
{
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(text, 1, len, f), len);
    assert_int_equal(fclose(f), 0);
}

static void assert_configs_equal(const config *a, const config *b)
{
    assert_int_equal(a->cluster.enabled, b->cluster.enabled);
    if (a->cluster.enabled) {
        assert_string_equal(a->cluster.redis, b->cluster.redis);
        assert_string_equal(a->cluster.node, b->cluster.node);
        assert_true(a->cluster.lease_ms == b->cluster.lease_ms);
    }
    assert_string_equal(a->user_agent, b->user_agent);
    assert_string_equal(a->storage.dir, b->storage.dir);
    assert_string_equal(a->storage.state_dir, b->storage.state_dir);
    assert_string_equal(a->storage.prefix, b->storage.prefix);
    assert_true(a->storage.segment_max_size == b->storage.segment_max_size);
    assert_int_equal(a->storage.compression_level, b->storage.compression_level);
    assert_int_equal(a->politeness.max_connections_per_host,
                     b->politeness.max_connections_per_host);
    assert_true(a->politeness.min_delay_ms == b->politeness.min_delay_ms);
    assert_int_equal(a->politeness.max_connections, b->politeness.max_connections);
    assert_true(a->http.connect_timeout_ms == b->http.connect_timeout_ms);
    assert_true(a->http.timeout_ms == b->http.timeout_ms);
    assert_true(a->http.max_body_size == b->http.max_body_size);
    assert_int_equal(a->http.max_redirects, b->http.max_redirects);
    assert_int_equal(a->storage.file_mode, b->storage.file_mode);
    assert_int_equal(a->http.n_redact_headers, b->http.n_redact_headers);
    for (size_t i = 0; i < a->http.n_redact_headers; i++)
        assert_string_equal(a->http.redact_headers[i], b->http.redact_headers[i]);
    assert_int_equal(a->n_sources, b->n_sources);
    for (size_t i = 0; i < a->n_sources; i++) {
        const config_source *x = &a->sources[i], *y = &b->sources[i];
        assert_true((x->url == NULL) == (y->url == NULL));
        if (x->url) assert_string_equal(x->url, y->url);
        assert_true((x->name == NULL) == (y->name == NULL));
        if (x->name) assert_string_equal(x->name, y->name);
        assert_int_equal(x->type, y->type);
        assert_int_equal(x->fetch_pages, y->fetch_pages);
        assert_true(x->interval_ms == y->interval_ms);
        assert_int_equal(x->max_items, y->max_items);
        assert_int_equal(x->n_headers, y->n_headers);
        assert_int_equal(x->max_pages, y->max_pages);
        assert_true((x->opml_path == NULL) == (y->opml_path == NULL));
        if (x->opml_path) assert_string_equal(x->opml_path, y->opml_path);
        assert_true((x->json == NULL) == (y->json == NULL));
        if (x->json != NULL) {
            const config_json_mapping *m = x->json, *n = y->json;
            const char *mx[] = {m->items, m->id,      m->url,     m->title,      m->date,
                                m->updated, m->content, m->summary, m->author, m->page_param,
                                m->next_url, m->cursor_param, m->cursor};
            const char *nx[] = {n->items, n->id,      n->url,     n->title,      n->date,
                                n->updated, n->content, n->summary, n->author, n->page_param,
                                n->next_url, n->cursor_param, n->cursor};
            for (size_t k = 0; k < sizeof mx / sizeof mx[0]; k++) {
                assert_true((mx[k] == NULL) == (nx[k] == NULL));
                if (mx[k]) assert_string_equal(mx[k], nx[k]);
            }
            assert_int_equal(m->paginate, n->paginate);
            assert_int_equal(m->max_pages, n->max_pages);
        }
        for (size_t j = 0; j < x->n_headers; j++) {
            assert_string_equal(x->headers[j].name, y->headers[j].name);
            assert_string_equal(x->headers[j].value, y->headers[j].value);
        }
    }
}

/* Dumps c, loads the dump, checks the result equals c; returns the dump. */
static char *round_trip(const config *c)
{
    char *text = NULL;
    assert_int_equal(config_dump(c, &text), 0);
    assert_non_null(text);
    config *back = NULL;
    char *errors = NULL;
    int rc = config_load_string(text, strlen(text), "dump.yaml", "/nonexistent", &back, &errors);
    if (rc != 0) fail_msg("dump does not load (%d):\n%s\n--- dump:\n%s", rc, errors, text);
    assert_configs_equal(c, back);
    /* (issue 11) and the dump of what was read back is the same text */
    char *again = NULL;
    assert_int_equal(config_dump(back, &again), 0);
    assert_string_equal(again, text);
    free(again);
    config_free(back);
    return text;
}

/* ---- values ---- */

static void full_example(void **state)
{
    (void)state;
    const char *root = getenv("FEEDARC_TEST_DATA");
    assert_non_null(root);
    char path[PATH_MAX], dir[PATH_MAX], want[PATH_MAX + 32];
    snprintf(path, sizeof path, "%s/config/data/full.yaml", root);
    snprintf(dir, sizeof dir, "%s/config/data", root);
    char *real = realpath(dir, NULL);
    assert_non_null(real);

    config *c = NULL;
    char *errors = NULL;
    int rc = config_load_file(path, &c, &errors);
    if (rc != 0) fail_msg("%s", errors);
    assert_null(errors);
    assert_string_equal(c->path, path);
    assert_string_equal(c->base_dir, real);
    assert_string_equal(c->user_agent, "feedarc/0.1 (+https://example.org/feedarc)");
    snprintf(want, sizeof want, "%s/archive", real);
    assert_string_equal(c->storage.dir, want);
    snprintf(want, sizeof want, "%s/state", real);
    assert_string_equal(c->storage.state_dir, want);
    assert_string_equal(c->storage.prefix, "feedarc");
    assert_true(c->storage.segment_max_size == (uint64_t)1 << 30);
    assert_int_equal(c->storage.compression_level, 3);
    assert_int_equal(c->politeness.max_connections_per_host, 1);
    assert_true(c->politeness.min_delay_ms == 1000);
    assert_int_equal(c->politeness.max_connections, 64);
    assert_true(c->http.connect_timeout_ms == 10000);
    assert_true(c->http.timeout_ms == 60000);
    assert_true(c->http.max_body_size == (uint64_t)32 << 20);
    assert_int_equal(c->http.max_redirects, 5);

    assert_int_equal(c->n_sources, 2);
    const config_source *s = &c->sources[0];
    assert_string_equal(s->url, "https://example.org/feed.xml");
    assert_string_equal(s->name, "example.org/feed.xml");
    assert_int_equal(s->type, FA_SOURCE_AUTO);
    assert_int_equal(s->fetch_pages, 1);
    assert_true(s->interval_ms == 15ULL * 60 * 1000);
    assert_int_equal(s->max_items, 10000);
    assert_int_equal(s->n_headers, 0);
    assert_int_equal(s->line, 7);
    s = &c->sources[1];
    assert_string_equal(s->url, "https://example.org/atom.xml");
    assert_string_equal(s->name, "Example Atom");
    assert_int_equal(s->type, FA_SOURCE_ATOM);
    assert_int_equal(s->fetch_pages, 0);
    assert_true(s->interval_ms == 15ULL * 60 * 1000);
    assert_int_equal(s->max_items, 500);
    assert_int_equal(s->n_headers, 1);
    assert_string_equal(s->headers[0].name, "Authorization");
    assert_string_equal(s->headers[0].value, "Bearer x");
    assert_int_equal(s->line, 8);

    free(round_trip(c));
    config_free(c);
    free(real);
}

static void defaults_filled(void **state)
{
    (void)state;
    config *c =
        load_ok("sources:\n  - url: HTTPS://User:pw@Example.ORG:8443/feed?x=1\n", "/srv/fa");
    assert_string_equal(c->path, "t.yaml");
    assert_string_equal(c->user_agent,
                        "feedarc/" FEEDARC_VERSION " (+https://github.com/feedarc/feedarc)");
    /* /srv/fa need not exist: it is then taken as given. */
    assert_string_equal(c->base_dir, "/srv/fa");
    assert_string_equal(c->storage.dir, "/srv/fa/archive");
    assert_string_equal(c->storage.state_dir, "/srv/fa/state");
    assert_string_equal(c->storage.prefix, "feedarc");
    assert_true(c->storage.segment_max_size == (uint64_t)1 << 30);
    assert_int_equal(c->storage.compression_level, 3);
    assert_int_equal(c->politeness.max_connections_per_host, 1);
    assert_true(c->politeness.min_delay_ms == 1000);
    assert_int_equal(c->politeness.max_connections, 64);
    assert_true(c->http.connect_timeout_ms == 10000);
    assert_true(c->http.timeout_ms == 60000);
    assert_true(c->http.max_body_size == (uint64_t)32 << 20);
    assert_int_equal(c->http.max_redirects, 5);
    assert_int_equal(c->n_sources, 1);
    /* host lower-cased, port, path and query; no scheme, no userinfo */
    assert_string_equal(c->sources[0].name, "example.org:8443/feed?x=1");
    assert_int_equal(c->sources[0].name_is_default, 1);
    assert_int_equal(c->sources[0].type, FA_SOURCE_AUTO);
    assert_int_equal(c->sources[0].fetch_pages, 1);
    assert_true(c->sources[0].interval_ms == 15ULL * 60 * 1000);
    assert_int_equal(c->sources[0].max_items, 10000);
    assert_int_equal(c->sources[0].line, 2);
    config_free(c);
    config_free(NULL);

    /* No base_dir: the current directory. */
    char cwd[PATH_MAX];
    assert_non_null(getcwd(cwd, sizeof cwd));
    char *real = realpath(cwd, NULL);
    c = load_ok(ONE_SOURCE, NULL);
    assert_string_equal(c->base_dir, real);
    config_free(c);
    free(real);

    /* Empty sections are allowed and change nothing. */
    c = load_ok("storage:\nhttp: {}\n" ONE_SOURCE, "/x");
    assert_int_equal(c->http.max_redirects, 5);
    assert_string_equal(c->storage.dir, "/x/archive");
    config_free(c);
}

static void aliases_and_types(void **state)
{
    (void)state;
    config *c = load_ok("storage: {compression_level: -7, dir: /abs/../x//y/}\n"
                        "sources:\n"
                        "  - url: http://[::1]:8080/feed\n"
                        "    type: jsonfeed\n"
                        "    fetch_pages: no\n"
                        "    headers: &h {X-Token: abc, Accept: \"*/*\"}\n"
                        "  - {url: 'https://b.example/', type: sitemap, fetch_pages: On,\n"
                        "     headers: *h, interval: 500ms}\n",
                        "/x");
    assert_int_equal(c->storage.compression_level, -7);
    assert_string_equal(c->storage.dir, "/abs/../x//y/"); /* absolute: kept */
    assert_string_equal(c->sources[0].name, "[::1]:8080/feed");
    assert_string_equal(c->sources[1].name, "b.example");
    assert_int_equal(c->sources[0].type, FA_SOURCE_JSONFEED);
    assert_int_equal(c->sources[0].fetch_pages, 0);
    assert_int_equal(c->sources[1].type, FA_SOURCE_SITEMAP);
    assert_int_equal(c->sources[1].fetch_pages, 1);
    assert_true(c->sources[1].interval_ms == 500);
    assert_int_equal(c->sources[1].n_headers, 2);
    assert_string_equal(c->sources[1].headers[1].name, "Accept");
    assert_string_equal(c->sources[1].headers[1].value, "*/*");
    free(round_trip(c));
    config_free(c);

    for (int t = FA_SOURCE_AUTO; t <= FA_SOURCE_SITEMAP; t++) {
        enum fa_source_kind back;
        assert_int_equal(config_parse_source_type(config_source_type_name(t), &back), 0);
        assert_int_equal(back, t);
    }
    assert_string_equal(config_source_type_name((enum fa_source_kind)99), "unknown");
}

/* ---- errors, one class at a time, exact lines ---- */

struct error_case {
    const char *yaml;
    int rc;
    const char *errors;
};

static const struct error_case error_cases[] = {
    /* unknown keys */
    {"colour: red\n" ONE_SOURCE, FA_EINVAL,
     "t.yaml:1: colour: unknown key (known here: user_agent, storage, politeness, http, "
     "sources, metrics, log, service, dedup, cluster)\n"},
    {"sources:\n  - url: https://a.example/\n    intreval: 5m\n", FA_EINVAL,
     "t.yaml:3: sources[0].intreval: unknown key (known here: url, type, name, fetch_pages, "
     "ignore_robots, interval, max_items, headers, opml, max_pages, json)\n"},
    {ONE_SOURCE "http:\n  timeout: 5s\n  retry_count: 3\n", FA_EINVAL,
     "t.yaml:4: http.retry_count: unknown key (known here: connect_timeout, timeout, "
     "max_body_size, max_redirects, retries, accept_encoding, backoff_base, backoff_max, "
     "max_retry_after, "
     "low_speed_time, max_header_size, max_decoded_size, redact_headers)\n"},
    {ONE_SOURCE "politeness:\n  delay_factor: fast\n", FA_EINVAL,
     "t.yaml:3: politeness.delay_factor: \"fast\" is not a number from 0 to 100\n"},
    /* durations */
    {ONE_SOURCE "http:\n  timeout: 15x\n", FA_EINVAL,
     "t.yaml:3: http.timeout: \"15x\" is not a duration (like 500ms, 20s, 15m, 1h, 2d)\n"},
    {"sources:\n  - url: https://a.example/\n    interval: \"\"\n", FA_EINVAL,
     "t.yaml:3: sources[0].interval: \"\" is not a duration (like 500ms, 20s, 15m, 1h, 2d)\n"},
    {ONE_SOURCE "http: {connect_timeout: 0s}\n", FA_EINVAL,
     "t.yaml:2: http.connect_timeout: \"0s\" must be at least 1ms\n"},
    {ONE_SOURCE "politeness: {min_delay: 400d}\n", FA_EINVAL,
     "t.yaml:2: politeness.min_delay: \"400d\" must be at most 365d\n"},
    {ONE_SOURCE "politeness: {min_delay: -1s}\n", FA_EINVAL,
     "t.yaml:2: politeness.min_delay: \"-1s\" is not a duration (like 500ms, 20s, 15m, 1h, "
     "2d)\n"},
    /* sizes */
    {ONE_SOURCE "storage:\n  segment_max_size: 12QB\n", FA_EINVAL,
     "t.yaml:3: storage.segment_max_size: \"12QB\" is not a size (like 512, 64KiB, 32MiB, "
     "1GiB, 10MB)\n"},
    {ONE_SOURCE "storage:\n  segment_max_size: 1000KiB\n", FA_EINVAL,
     "t.yaml:3: storage.segment_max_size: \"1000KiB\" must be at least 1MiB\n"},
    {ONE_SOURCE "http: {max_body_size: 99999999999999999999}\n", FA_EINVAL,
     "t.yaml:2: http.max_body_size: \"99999999999999999999\" is not a size (like 512, 64KiB, "
     "32MiB, 1GiB, 10MB)\n"},
    /* types */
    {ONE_SOURCE "storage: [a, b]\n", FA_EINVAL,
     "t.yaml:2: storage: expected a mapping, got a list\n"},
    {"sources:\n  - url: https://a.example/\n    max_items: lots\n", FA_EINVAL,
     "t.yaml:3: sources[0].max_items: \"lots\" is not an integer\n"},
    {"sources:\n  - url: https://a.example/\n    max_items: \"5\"\n", FA_EINVAL,
     "t.yaml:3: sources[0].max_items: expected an integer, got a quoted string\n"},
    {"sources:\n  - url: https://a.example/\n    fetch_pages: maybe\n", FA_EINVAL,
     "t.yaml:3: sources[0].fetch_pages: expected true or false, got \"maybe\"\n"},
    {"sources:\n  - url: https://a.example/\n    name: {first: a}\n", FA_EINVAL,
     "t.yaml:3: sources[0].name: expected a string, got a mapping\n"},
    {"user_agent:\n" ONE_SOURCE, FA_EINVAL,
     "t.yaml:1: user_agent: expected a string, got nothing (null)\n"},
    {"sources:\n  - https://a.example/\n", FA_EINVAL,
     "t.yaml:2: sources[0]: expected a mapping with at least a url, got "
     "\"https://a.example/\"\n"},
    {"sources: {url: https://a.example/}\n", FA_EINVAL,
     "t.yaml:1: sources: expected a list of sources, got a mapping\n"},
    {"- url: https://a.example/\n", FA_EINVAL,
     "t.yaml:1: top level: expected a mapping, got a list\n"},
    {"sources:\n  - url: https://a.example/\n    type: podcast\n", FA_EINVAL,
     "t.yaml:3: sources[0].type: \"podcast\" is not a source type (auto, rss, atom, "
     "jsonfeed, wordpress, json, sitemap)\n"},
    /* ranges */
    {ONE_SOURCE "storage: {compression_level: 0}\n", FA_EINVAL,
     "t.yaml:2: storage.compression_level: 0 is not a compression level (1..19, or -7..-1 "
     "for the fast modes)\n"},
    {ONE_SOURCE "storage: {compression_level: 20}\n", FA_EINVAL,
     "t.yaml:2: storage.compression_level: \"20\" is out of range (-7..19)\n"},
    {ONE_SOURCE "politeness: {max_connections_per_host: 0}\n", FA_EINVAL,
     "t.yaml:2: politeness.max_connections_per_host: \"0\" is out of range (1..65535)\n"},
    {ONE_SOURCE "politeness:\n  max_connections: -3\n", FA_EINVAL,
     "t.yaml:3: politeness.max_connections: \"-3\" is out of range (1..65535)\n"},
    {ONE_SOURCE "http: {max_redirects: 21}\n", FA_EINVAL,
     "t.yaml:2: http.max_redirects: \"21\" is out of range (0..20)\n"},
    {ONE_SOURCE "storage: {prefix: a/b}\n", FA_EINVAL,
     "t.yaml:2: storage.prefix: \"a/b\" is not a file name prefix (letters, digits, '.', "
     "'_', '-'; not starting with '.')\n"},
    {ONE_SOURCE "storage: {dir: ~/warc}\n", FA_EINVAL,
     "t.yaml:2: storage.dir: \"~/warc\": '~' is not expanded; use an absolute path or one "
     "relative to the config file\n"},
    /* URLs */
    {"sources:\n  - url: ftp://a.example/feed\n", FA_EINVAL,
     "t.yaml:2: sources[0].url: \"ftp://a.example/feed\" is not an http:// or https:// URL\n"},
    {"sources:\n  - url: https:///feed\n", FA_EINVAL,
     "t.yaml:2: sources[0].url: \"https:///feed\" has no host\n"},
    {"sources:\n  - url: http://a.example:99999/\n", FA_EINVAL,
     "t.yaml:2: sources[0].url: \"http://a.example:99999/\" has an invalid port\n"},
    {"sources:\n  - url: \"http://a example/\"\n", FA_EINVAL,
     "t.yaml:2: sources[0].url: \"http://a example/\" contains a space or control "
     "character\n"},
    {"sources:\n  - url: example.org/feed\n", FA_EINVAL,
     "t.yaml:2: sources[0].url: \"example.org/feed\" is not an http:// or https:// URL\n"},
    /* missing url, duplicate url */
    {"sources:\n  - url: http://a/\n  - name: nameless\n    type: rss\n", FA_EINVAL,
     "t.yaml:3: sources[1]: missing url\n"},
    {"sources:\n  - url: http://a/x\n  - url: http://b/\n  - url: http://a/x\n", FA_EINVAL,
     "t.yaml:4: sources[2]: same url as sources[0] (line 2)\n"},
    /* duplicate keys */
    {ONE_SOURCE "http:\n  timeout: 5s\n  timeout: 6s\n", FA_EINVAL,
     "t.yaml:4: http.timeout: duplicate key (first at line 3)\n"},
    {ONE_SOURCE "http: {}\nhttp: {}\n", FA_EINVAL,
     "t.yaml:3: http: duplicate key (first at line 2)\n"},
    {"sources:\n  - url: http://a/\n    headers:\n      X-A: 1\n      x-a: 2\n", FA_EINVAL,
     "t.yaml:5: sources[0].headers.x-a: duplicate header (first at line 4)\n"},
    /* headers */
    {"sources:\n  - url: http://a/\n    headers: {\"Bad Name\": 1}\n", FA_EINVAL,
     "t.yaml:3: sources[0].headers.Bad Name: is not a valid header name\n"},
    {"sources:\n  - url: http://a/\n    headers: {X-A: \"a\\r\\nHost: evil\"}\n", FA_EINVAL,
     "t.yaml:3: sources[0].headers.X-A: \"a\\x0d\\x0aHost: evil\" contains a control "
     "character\n"},
    /* no sources */
    {"sources: []\n", FA_EINVAL, "t.yaml:1: sources: at least one source is required\n"},
    {"sources:\n", FA_EINVAL, "t.yaml:1: sources: at least one source is required\n"},
    {"user_agent: x\n", FA_EINVAL, "t.yaml:1: sources: at least one source is required\n"},
    {"", FA_EINVAL, "t.yaml:1: sources: at least one source is required\n"},
    {"# nothing\n", FA_EINVAL, "t.yaml:1: sources: at least one source is required\n"},
    /* more than one document */
    {ONE_SOURCE "---\n" ONE_SOURCE, FA_EINVAL,
     "t.yaml:2: a second YAML document; the config is one document\n"},
    /* syntax errors: file:line:column and libyaml's words */
    {"sources:\n  - url: http://a/\n   bad: [\n", FA_EPARSE,
     "t.yaml:3:4: did not find expected '-' indicator (while parsing a block collection at "
     "line 2)\n"},
    {ONE_SOURCE "http: {timeout: 5s\n", FA_EPARSE,
     "t.yaml:3:1: did not find expected ',' or '}' (while parsing a flow mapping at line 2)\n"},
    {ONE_SOURCE "user_agent: \"unterminated\n", FA_EPARSE,
     "t.yaml:3:1: found unexpected end of stream (while scanning a quoted scalar at line 2)\n"},
    {ONE_SOURCE "storage: *nowhere\n", FA_EPARSE, "t.yaml:2:10: found undefined alias\n"},
    {ONE_SOURCE "user_agent: \"a\x01\"\n", FA_EPARSE,
     "t.yaml:2:15: control characters are not allowed\n"},
};

static void each_error_class(void **state)
{
    (void)state;
    size_t failed = 0;
    for (size_t i = 0; i < sizeof error_cases / sizeof error_cases[0]; i++)
        failed += !load_check(error_cases[i].yaml, error_cases[i].rc, error_cases[i].errors);
    assert_int_equal(failed, 0);
}

static void all_errors_reported(void **state)
{
    (void)state;
    load_fails("user_agent: [x]\n" /* 1: type */
               "storage:\n"
               "  segment_max_size: big\n"            /* 3: size */
               "  colour: red\n"                      /* 4: unknown */
               "http: {timeout: soon, timeout: 1s}\n" /* 5: duration, duplicate */
               "sources:\n"
               "  - url: gopher://x/\n" /* 7: url */
               "  - name: lost\n"       /* 8: missing url */
               "  - url: https://ok.example/\n"
               "    interval: 15x\n", /* 10: the example from STYLE.md */
               FA_EINVAL,
               "t.yaml:1: user_agent: expected a string, got a list\n"
               "t.yaml:3: storage.segment_max_size: \"big\" is not a size (like 512, 64KiB, "
               "32MiB, 1GiB, 10MB)\n"
               "t.yaml:4: storage.colour: unknown key (known here: dir, state_dir, prefix, "
               "segment_max_size, dictionary, revisit_not_modified, compression_level, file_mode, "
               "operator)\n"
               "t.yaml:5: http.timeout: \"soon\" is not a duration (like 500ms, 20s, 15m, 1h, "
               "2d)\n"
               "t.yaml:5: http.timeout: duplicate key (first at line 5)\n"
               "t.yaml:7: sources[0].url: \"gopher://x/\" is not an http:// or https:// URL\n"
               "t.yaml:8: sources[1]: missing url\n"
               "t.yaml:10: sources[2].interval: \"15x\" is not a duration (like 500ms, 20s, "
               "15m, 1h, 2d)\n");
}

static void error_ceiling(void **state)
{
    (void)state;
    /* 1000 unknown keys: the first CONFIG_MAX_ERRORS are kept, then a note. */
    size_t cap = 1000 * 16 + 64;
    char *yaml = malloc(cap);
    assert_non_null(yaml);
    size_t len = 0;
    for (int i = 0; i < 1000; i++)
        len += (size_t)snprintf(yaml + len, cap - len, "k%d: 1\n", i);
    config *c = NULL;
    char *errors = NULL;
    assert_int_equal(config_load_string(yaml, len, "t.yaml", "/", &c, &errors), FA_EINVAL);
    size_t lines = 0;
    for (const char *p = errors; *p; p++)
        lines += *p == '\n';
    assert_int_equal(lines, CONFIG_MAX_ERRORS + 1);
    assert_non_null(strstr(errors, "t.yaml: too many errors; only the first 200 are shown\n"));
    free(errors);
    free(yaml);
}

static void nesting_ceiling(void **state)
{
    (void)state;
    /* A million '[': refused at depth CONFIG_MAX_DEPTH + 1, quickly (libyaml's
     * scanner alone would take hours on this). */
    size_t depth = 1000000, len = 9 + 2 * depth;
    char *yaml = malloc(len + 1);
    assert_non_null(yaml);
    memcpy(yaml, "sources: ", 9);
    memset(yaml + 9, '[', depth);
    memset(yaml + 9 + depth, ']', depth);
    yaml[len] = '\0';
    config *c = NULL;
    char *errors = NULL;
    assert_int_equal(config_load_string(yaml, len, "t.yaml", "/", &c, &errors), FA_EPARSE);
    assert_string_equal(errors, "t.yaml:1:41: nested deeper than 32 levels\n");
    free(errors);
    /* The same with block sequences, "- - - - ...". */
    yaml[8] = '\n';
    for (size_t i = 0; i < depth; i++)
        memcpy(yaml + 9 + 2 * i, "- ", 2);
    assert_int_equal(config_load_string(yaml, len, "t.yaml", "/", &c, &errors), FA_EPARSE);
    assert_string_equal(errors, "t.yaml:2:63: nested deeper than 32 levels\n");
    free(errors);
    free(yaml);
}

/* 150,000 anchors (1.5 MB) took libyaml's loader 48 s (each anchor is
 * checked against all the others): refused at the first one past
 * CONFIG_MAX_ANCHORS, with its line, at once; aliases likewise past
 * CONFIG_MAX_ALIASES; a config using both within bounds loads. */
static void anchor_ceiling(void **state)
{
    (void)state;
    size_t n = 150000, cap = 64 + n * 16;
    char *yaml = malloc(cap);
    assert_non_null(yaml);
    size_t len = (size_t)snprintf(yaml, cap, "storage: {dir: /tmp/x}\nx:\n");
    for (size_t i = 0; i < n; i++)
        len += (size_t)snprintf(yaml + len, cap - len, "  - &a%zu 1\n", i);
    config *c = NULL;
    char *errors = NULL;
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    assert_int_equal(config_load_string(yaml, len, "t.yaml", "/", &c, &errors), FA_EPARSE);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    assert_string_equal(errors, "t.yaml:1003:5: more than 1000 YAML anchors (&name)\n");
    free(errors);
    assert_true((double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9 < 5.0);
    /* one anchor, too many aliases */
    n = CONFIG_MAX_ALIASES + 1;
    free(yaml);
    cap = 64 + n * 8;
    yaml = malloc(cap);
    assert_non_null(yaml);
    len = (size_t)snprintf(yaml, cap, "storage: {dir: /tmp/x}\nx: [&a 1");
    for (size_t i = 0; i < n; i++)
        len += (size_t)snprintf(yaml + len, cap - len, ",*a");
    len += (size_t)snprintf(yaml + len, cap - len, "]\n");
    assert_int_equal(config_load_string(yaml, len, "t.yaml", "/", &c, &errors), FA_EPARSE);
    assert_non_null(strstr(errors, "t.yaml:2:"));
    assert_non_null(strstr(errors, ": more than 100000 YAML aliases (*name)\n"));
    free(errors);
    free(yaml);
}

/* Every single-byte change to the full example: no crash, no leak, and a
 * failure always comes with a message naming the file. */
static void mutations(void **state)
{
    (void)state;
    const char *root = getenv("FEEDARC_TEST_DATA");
    assert_non_null(root);
    char path[PATH_MAX];
    snprintf(path, sizeof path, "%s/config/data/full.yaml", root);
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    char text[4096];
    size_t len = fread(text, 1, sizeof text - 1, f);
    fclose(f);
    static const char repl[] = {'\0', ' ', '\n', ':', '-', '[', '{',  '"',
                                '\'', '&', '*',  '#', 'x', '9', '\t', '\x80'};
    for (size_t i = 0; i < len; i++) {
        for (size_t r = 0; r < sizeof repl; r++) {
            char saved = text[i];
            text[i] = repl[r];
            config *c = NULL;
            char *errors = NULL;
            int rc = config_load_string(text, len, "m.yaml", "/", &c, &errors);
            if (rc == 0) {
                assert_non_null(c);
                assert_null(errors);
                free(round_trip(c));
            } else {
                assert_null(c);
                assert_non_null(errors);
                assert_memory_equal(errors, "m.yaml:", 7);
            }
            config_free(c);
            free(errors);
            text[i] = saved;
        }
    }
}

/* ---- files ---- */

static void files_and_relative_paths(void **state)
{
    (void)state;
    char tmpl[] = "/tmp/fa-config-XXXXXX";
    char *dir = mkdtemp(tmpl);
    assert_non_null(dir);
    char *real = realpath(dir, NULL);
    char sub[PATH_MAX], path[PATH_MAX], want[PATH_MAX + 256];
    snprintf(sub, sizeof sub, "%s/etc", dir);
    assert_int_equal(mkdir(sub, 0700), 0);
    snprintf(path, sizeof path, "%s/etc/feedarc.yaml", dir);
    const char *yaml = "storage:\n"
                       "  dir: ./warc//2024/\n"
                       "  state_dir: ../var/state\n" ONE_SOURCE;
    write_file(path, yaml, strlen(yaml));

    config *c = NULL;
    char *errors = NULL;
    int rc = config_load_file(path, &c, &errors);
    if (rc != 0) fail_msg("%s", errors);
    snprintf(want, sizeof want, "%s/etc", real);
    assert_string_equal(c->base_dir, want);
    snprintf(want, sizeof want, "%s/etc/warc/2024", real);
    assert_string_equal(c->storage.dir, want);
    snprintf(want, sizeof want, "%s/etc/../var/state", real);
    assert_string_equal(c->storage.state_dir, want);
    config_free(c);

    /* Relative config path: base is still the file's folder, absolute. */
    char cwd[PATH_MAX];
    assert_non_null(getcwd(cwd, sizeof cwd));
    assert_int_equal(chdir(dir), 0);
    assert_int_equal(config_load_file("etc/feedarc.yaml", &c, &errors), 0);
    snprintf(want, sizeof want, "%s/etc/warc/2024", real);
    assert_string_equal(c->storage.dir, want);
    assert_string_equal(c->path, "etc/feedarc.yaml");
    config_free(c);
    assert_int_equal(chdir(cwd), 0);

    /* Errors from a file carry its name as given. */
    const char *bad = ONE_SOURCE "http: {timeout: 15x}\n";
    write_file(path, bad, strlen(bad));
    assert_int_equal(config_load_file(path, &c, &errors), FA_EINVAL);
    assert_null(c);
    snprintf(want, sizeof want,
             "%s:2: http.timeout: \"15x\" is not a duration (like 500ms, 20s, 15m, 1h, 2d)\n",
             path);
    assert_string_equal(errors, want);
    free(errors);

    /* Too big: refused before parsing. */
    size_t big = CONFIG_MAX_FILE_SIZE + 1;
    char *text = malloc(big);
    assert_non_null(text);
    memset(text, '#', big);
    write_file(path, text, big);
    assert_int_equal(config_load_file(path, &c, &errors), FA_ETOOBIG);
    assert_null(c);
    assert_non_null(strstr(errors, "larger than 4 MiB"));
    free(errors);
    assert_int_equal(config_load_string(text, big, "big.yaml", NULL, &c, &errors), FA_ETOOBIG);
    assert_string_equal(errors, "big.yaml: config is larger than 4 MiB; refusing it\n");
    free(errors);
    /* Exactly at the ceiling is read (and is merely missing its sources). */
    write_file(path, text, big - 1);
    assert_int_equal(config_load_file(path, &c, &errors), FA_EINVAL);
    free(errors);
    free(text);

    assert_int_equal(unlink(path), 0);
    assert_int_equal(rmdir(sub), 0);

    /* Missing file. */
    assert_int_equal(config_load_file(path, &c, &errors), FA_EIO);
    assert_null(c);
    snprintf(want, sizeof want, "cannot open %s: %s\n", path, strerror(ENOENT));
    assert_string_equal(errors, want);
    free(errors);
    assert_int_equal(config_load_file(path, &c, NULL), FA_EIO); /* errors may be NULL */

    /* A folder is not a config file. */
    assert_int_equal(config_load_file(dir, &c, &errors), FA_EIO);
    snprintf(want, sizeof want, "cannot read %s: %s\n", dir, strerror(EISDIR));
    assert_string_equal(errors, want);
    free(errors);

    assert_int_equal(rmdir(dir), 0);
    free(real);
}

/* ---- units ---- */

static void durations(void **state)
{
    (void)state;
    static const struct {
        const char *s;
        int rc;
        uint64_t ms;
    } cases[] = {
        {"500ms", 0, 500},
        {"20s", 0, 20000},
        {"15m", 0, 900000},
        {"1h", 0, 3600000},
        {"2d", 0, 172800000},
        {"30", 0, 30000},
        {"0", 0, 0},
        {"0ms", 0, 0},
        {"10 s", 0, 10000},
        {"007s", 0, 7000},
        {"18446744073709551615ms", 0, UINT64_MAX},
        {"18446744073709551616ms", FA_EINVAL, 0}, /* 2^64 */
        {"18446744073709551615", FA_EINVAL, 0},   /* seconds: overflows */
        {"213503982335d", FA_EINVAL, 0},          /* just past 2^64 ms */
        {"213503982334d", 0, 213503982334ULL * 86400000ULL},
        {"", FA_EINVAL, 0},
        {"s", FA_EINVAL, 0},
        {"-5s", FA_EINVAL, 0},
        {"+5s", FA_EINVAL, 0},
        {"1.5s", FA_EINVAL, 0},
        {"15x", FA_EINVAL, 0},
        {"15M", FA_EINVAL, 0}, /* units are lower case */
        {"15 ", FA_EINVAL, 0},
        {" 15s", FA_EINVAL, 0},
        {"1h30m", FA_EINVAL, 0},
        {"0x10", FA_EINVAL, 0},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        uint64_t ms = 12345;
        int rc = config_parse_duration(cases[i].s, &ms);
        if (rc != cases[i].rc || (rc == 0 && ms != cases[i].ms))
            fail_msg("duration \"%s\": rc %d ms %llu", cases[i].s, rc, (unsigned long long)ms);
    }
    uint64_t ms;
    assert_int_equal(config_parse_duration(NULL, &ms), FA_EINVAL);
}

static void sizes(void **state)
{
    (void)state;
    static const struct {
        const char *s;
        int rc;
        uint64_t bytes;
    } cases[] = {
        {"512", 0, 512},
        {"0", 0, 0},
        {"512B", 0, 512},
        {"64KiB", 0, 65536},
        {"1MiB", 0, 1048576},
        {"1GiB", 0, 1073741824},
        {"1TiB", 0, 1099511627776ULL},
        {"10KB", 0, 10000},
        {"10MB", 0, 10000000},
        {"3GB", 0, 3000000000ULL},
        {"2TB", 0, 2000000000000ULL},
        {"1 GiB", 0, 1073741824},
        {"64kib", 0, 65536},
        {"18446744073709551615", 0, UINT64_MAX},
        {"18446744073709551616", FA_EINVAL, 0},
        {"16777216TiB", FA_EINVAL, 0}, /* 2^64 */
        {"16777215TiB", 0, 16777215ULL << 40},
        {"18446744073709552KB", FA_EINVAL, 0},
        {"", FA_EINVAL, 0},
        {"GiB", FA_EINVAL, 0},
        {"-1", FA_EINVAL, 0},
        {"-1MiB", FA_EINVAL, 0},
        {"1.5GiB", FA_EINVAL, 0},
        {"1PiB", FA_EINVAL, 0},
        {"12QB", FA_EINVAL, 0},
        {"1 ", FA_EINVAL, 0},
        {"1e6", FA_EINVAL, 0},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        uint64_t bytes = 12345;
        int rc = config_parse_size(cases[i].s, &bytes);
        if (rc != cases[i].rc || (rc == 0 && bytes != cases[i].bytes))
            fail_msg("size \"%s\": rc %d bytes %llu", cases[i].s, rc, (unsigned long long)bytes);
    }
}

/* ---- dump ---- */

/* Issue 3: type json with its mapping, max_pages, opml entries. */
static void json_mapping_and_opml(void **state)
{
    (void)state;
    config *c = load_ok("sources:\n"
                        "  - url: https://api.example/v1/posts\n"
                        "    type: json\n"
                        "    json:\n"
                        "      items: /posts\n"
                        "      id: /id\n"
                        "      url: /link\n"
                        "      title: /title/rendered\n"
                        "      date: /date_gmt\n"
                        "      paginate: page\n"
                        "      max_pages: 50\n"
                        "  - url: https://wp.example/\n"
                        "    type: wordpress\n"
                        "  - url: https://wp2.example/\n"
                        "    type: wordpress\n"
                        "    max_pages: 3\n"
                        "  - opml: subs.opml\n"
                        "    interval: 1h\n",
                        "/cfg");
    assert_int_equal(c->n_sources, 4);
    const config_source *s = &c->sources[0];
    assert_non_null(s->json);
    assert_string_equal(s->json->items, "/posts");
    assert_string_equal(s->json->title, "/title/rendered");
    assert_null(s->json->content);
    assert_int_equal(s->json->paginate, CONFIG_PAGINATE_PAGE);
    assert_string_equal(s->json->page_param, "page");
    assert_string_equal(s->json->cursor_param, "cursor");
    assert_int_equal(s->max_pages, 50);
    assert_int_equal(s->json->line, 4);
    assert_int_equal(c->sources[1].max_pages, 100);
    assert_null(c->sources[1].json);
    assert_int_equal(c->sources[2].max_pages, 3);
    s = &c->sources[3];
    assert_null(s->url);
    assert_null(s->name);
    assert_string_equal(s->opml_path, "/cfg/subs.opml");
    assert_true(s->interval_ms == 3600000);
    free(round_trip(c));
    config_free(c);

    /* errors, each with its line */
    load_fails("sources:\n"
               "  - url: https://a.example/\n"
               "    type: json\n" /* 3 */
               "  - url: https://b.example/\n"
               "    json: { items: /x }\n" /* 5 */
               "  - url: https://c.example/\n"
               "    type: json\n"
               "    json:\n" /* 8 */
               "      id: id\n" /* 9 */
               "      title: \"/a~2\"\n" /* 10 */
               "      paginate: next\n" /* 11 */
               "  - url: https://d.example/\n"
               "    type: json\n"
               "    json: { items: \"\", paginate: sideways }\n" /* 14 */
               "  - url: https://e.example/\n"
               "    type: json\n"
               "    max_pages: 2\n" /* 17 */
               "    json: { items: /i, paginate: cursor, max_pages: 4 }\n" /* 18 */
               "  - url: https://f.example/\n"
               "    max_pages: 2\n" /* 20 */
               "  - url: https://g.example/\n"
               "    opml: x.opml\n" /* 22 */
               "  - opml: y.opml\n"
               "    name: Mine\n" /* 24 */
               "    type: json\n" /* 25 */
               "  - type: rss\n" /* 26 */
               "  - opml: \"\"\n" /* 27 */
               "    json: []\n", /* 28 */
               FA_EINVAL,
               "t.yaml:3: sources[0].type: type json needs a json: mapping with at least items\n"
               "t.yaml:5: sources[1].json: a json mapping needs type: json (the type is auto)\n"
               "t.yaml:9: sources[2].json.id: \"id\" is not a JSON Pointer (\"\" or starting "
               "with \"/\", like \"/title/rendered\"; '~' only as ~0 or ~1)\n"
               "t.yaml:10: sources[2].json.title: \"/a~2\" is not a JSON Pointer (\"\" or "
               "starting with \"/\", like \"/title/rendered\"; '~' only as ~0 or ~1)\n"
               "t.yaml:8: sources[2].json: missing items (the JSON Pointer of the item array)\n"
               "t.yaml:11: sources[2].json.paginate: paginate: next needs next_url (where the "
               "next URL is)\n"
               "t.yaml:14: sources[3].json.paginate: \"sideways\" is not a pagination style "
               "(none, page, next, link, cursor)\n"
               "t.yaml:18: sources[4].json.paginate: paginate: cursor needs cursor (where the "
               "cursor value is)\n"
               "t.yaml:18: sources[4].json.max_pages: max_pages is given both here and for the "
               "source (line 17)\n"
               "t.yaml:20: sources[5].max_pages: applies to wordpress and json sources only (the "
               "type is auto)\n"
               "t.yaml:22: sources[6].opml: url and opml exclude each other (one source each)\n"
               "t.yaml:24: sources[7].name: not allowed with opml: each feed is named by its "
               "outline's title\n"
               "t.yaml:25: sources[7].type: json is not allowed with opml (each JSON source "
               "needs its own mapping)\n"
               "t.yaml:26: sources[8]: missing url\n"
               "t.yaml:27: sources[9].opml: must not be empty\n"
               "t.yaml:28: sources[9].json: expected a mapping (items, id, url, title, date, ... "
               "as JSON Pointers), got a list\n");
}

static void dump_round_trip(void **state)
{
    (void)state;
    config *c = load_ok("user_agent: 'it''s \"quoted\" \\ with: colons # and hash'\n"
                        "storage:\n"
                        "  dir: \"/data/ünïcödé dir\"\n"
                        "  prefix: my-archive_1.x\n"
                        "  segment_max_size: 1536KiB\n"
                        "  compression_level: 19\n"
                        "politeness: {min_delay: 0, max_connections_per_host: 4}\n"
                        "http: {connect_timeout: 1500ms, timeout: 90s, max_body_size: 10MB,\n"
                        "       max_redirects: 0}\n"
                        "sources:\n"
                        "  - url: https://a.example/feed?x=1&y=%20#frag\n"
                        "    name: \"true\"\n"
                        "    type: wordpress\n"
                        "    max_items: 4294967295\n"
                        "    interval: 2d\n"
                        "    headers:\n"
                        "      Cookie: \"a=b; c=\\\"d\\\"\"\n"
                        "      X-Sep: \"line\\u2028sep \\u0085 nel\"\n"
                        "  - url: http://b.example/\n"
                        "    name: \"- looks: like yaml\"\n"
                        "    type: json\n"
                        "    json: { items: \"\", id: /id, title: \"/a~1b/c~0\", paginate: cursor,\n"
                        "            cursor: /meta/next, cursor_param: after, max_pages: 7 }\n"
                        "  - opml: subs/list.opml\n"
                        "    type: rss\n"
                        "    fetch_pages: false\n",
                        "/base");
    char *text = round_trip(c);
    /* Every key is written, defaults included, and strings are quoted. */
    assert_non_null(strstr(text, "  segment_max_size: 1536KiB\n"));
    assert_non_null(strstr(text, "  min_delay: 0s\n"));
    assert_non_null(strstr(text, "  connect_timeout: 1500ms\n"));
    assert_non_null(strstr(text, "  timeout: 90s\n"));
    assert_non_null(strstr(text, "  max_body_size: 10MB\n"));
    assert_non_null(strstr(text, "    name: \"true\"\n"));
    assert_non_null(strstr(text, "    name: \"- looks: like yaml\"\n"));
    assert_non_null(strstr(text, "\\u2028"));
    assert_non_null(strstr(text, "    fetch_pages: true\n"));
    free(text);
    config_free(c);

    /* Defaults only: the dump is a complete config. */
    c = load_ok(ONE_SOURCE, "/srv");
    text = round_trip(c);
    assert_non_null(strstr(text, "user_agent: \"feedarc/"));
    assert_non_null(strstr(text, "  dir: \"/srv/archive\"\n"));
    assert_non_null(strstr(text, "    name: \"a.example/feed\"\n"));
    free(text);

    /* Quotes, backslashes and the characters libyaml folds as line breaks
     * come back byte for byte. */
    free(c->user_agent);
    c->user_agent = strdup("quote\" back\\ NEL \xc2\x85 LS \xe2\x80\xa8 \xc3\xa9");
    assert_non_null(c->user_agent);
    free(round_trip(c));
    /* A control character (which the loader refuses) is escaped: the dump
     * is still YAML, and loading it names the problem rather than a syntax
     * error. */
    free(c->user_agent);
    c->user_agent = strdup("bell\a");
    assert_int_equal(config_dump(c, &text), 0);
    assert_non_null(strstr(text, "user_agent: \"bell\\x07\"\n"));
    config *back = NULL;
    char *errors = NULL;
    assert_int_equal(config_load_string(text, strlen(text), "d.yaml", "/", &back, &errors),
                     FA_EINVAL);
    assert_string_equal(errors,
                        "d.yaml:2: user_agent: \"bell\\x07\" contains a control character\n");
    free(errors);
    free(text);
    char *bad = strdup("\xff\xfe not UTF-8");
    char *saved = c->user_agent;
    c->user_agent = bad;
    char *out = (char *)1;
    assert_int_equal(config_dump(c, &out), FA_EINVAL);
    assert_null(out);
    c->user_agent = saved;
    free(bad);
    config_free(c);
    assert_int_equal(config_dump(NULL, &out), FA_EINVAL);
}

/* (issue 7) metrics.listen, log.format/level, service.grace_period:
 * defaults, values, errors with their lines, dump round trip. */
static void service_sections(void **state)
{
    (void)state;
    config *c = load_ok(ONE_SOURCE, "/tmp");
    assert_string_equal(c->metrics.listen, "127.0.0.1:9464");
    assert_int_equal(c->log.format, FA_LOG_LOGFMT);
    assert_int_equal(c->log.level, FA_LOG_INFO);
    assert_true(c->service.grace_period_ms == 10000);
    char *dump = NULL;
    assert_int_equal(config_dump(c, &dump), 0);
    assert_non_null(strstr(dump, "metrics:\n  listen: \"127.0.0.1:9464\"\n"
                                 "log:\n  format: logfmt\n  level: info\n"
                                 "service:\n  grace_period: 10s\n"));
    free(dump);
    config_free(c);

    const char *listens[] = {"none", "0.0.0.0:9464", "[::1]:9464", "[::]:0", "10.1.2.3:65535"};
    for (size_t i = 0; i < sizeof listens / sizeof listens[0]; i++) {
        char yaml[256];
        snprintf(yaml, sizeof yaml, ONE_SOURCE "metrics: {listen: \"%s\"}\n", listens[i]);
        c = load_ok(yaml, "/tmp");
        assert_string_equal(c->metrics.listen, listens[i]);
        config_free(c);
    }

    c = load_ok(ONE_SOURCE "metrics:\n  listen: none\nlog:\n  format: json\n  level: debug\n"
                           "service:\n  grace_period: 2m\n",
                "/tmp");
    assert_string_equal(c->metrics.listen, "none");
    assert_int_equal(c->log.format, FA_LOG_JSON);
    assert_int_equal(c->log.level, FA_LOG_DEBUG);
    assert_true(c->service.grace_period_ms == 120000);
    assert_int_equal(config_dump(c, &dump), 0);
    config *back = NULL;
    char *errors = NULL;
    assert_int_equal(config_load_string(dump, strlen(dump), "dump", "/tmp", &back, &errors), 0);
    assert_string_equal(back->metrics.listen, "none");
    assert_int_equal(back->log.format, FA_LOG_JSON);
    assert_int_equal(back->log.level, FA_LOG_DEBUG);
    assert_true(back->service.grace_period_ms == 120000);
    free(dump);
    config_free(back);
    config_free(c);
    c = load_ok(ONE_SOURCE "log: {level: warn}\nservice: {grace_period: 0s}\n", "/tmp");
    assert_int_equal(c->log.level, FA_LOG_WARN);
    assert_true(c->service.grace_period_ms == 0);
    config_free(c);
    assert_string_equal(config_log_level_name(FA_LOG_ERROR), "error");
    assert_string_equal(config_log_format_name((enum fa_log_format)9), "unknown");

    /* every error at once, each with its line */
    load_fails(ONE_SOURCE "metrics:\n  listen: localhost:9464\n  port: 1\n"
                          "log:\n  format: xml\n  level: loud\n"
                          "service:\n  grace_period: 2h\n",
               FA_EINVAL,
               "t.yaml:3: metrics.listen: \"localhost:9464\" is not an address:port (like "
               "127.0.0.1:9464, 0.0.0.0:9464 or [::1]:9464) or none\n"
               "t.yaml:4: metrics.port: unknown key (known here: listen)\n"
               "t.yaml:6: log.format: \"xml\" is not a log format (logfmt, json)\n"
               "t.yaml:7: log.level: \"loud\" is not a log level (debug, info, warn, error)\n"
               "t.yaml:9: service.grace_period: \"2h\" must be at most 1h\n");
    const char *bad[] = {"9464", "127.0.0.1", "127.0.0.1:", "127.0.0.1:65536", "::1:9464",
                         "[::1]", "[::1]:x", "1.2.3:80", "NONE", "*:9464"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        char yaml[256], want[512];
        snprintf(yaml, sizeof yaml, ONE_SOURCE "metrics: {listen: \"%s\"}\n", bad[i]);
        snprintf(want, sizeof want,
                 "t.yaml:2: metrics.listen: \"%s\" is not an address:port (like 127.0.0.1:9464, "
                 "0.0.0.0:9464 or [::1]:9464) or none\n",
                 bad[i]);
        assert_true(load_check(yaml, FA_EINVAL, want));
    }
    load_fails(ONE_SOURCE "log:\n  level: [info]\n", FA_EINVAL,
               "t.yaml:3: log.level: expected a log level, got a list\n");
}

/* (issue 11) Names key each source's state: three sources on one host
 * without a name: got one name (the host) and shared their status row and
 * WordPress watermark.  Default names now keep port and path; a name used
 * twice is an error with file:line. */
static void source_names_unique(void **state)
{
    (void)state;
    config *c = load_ok("sources:\n"
                        "  - url: http://127.0.0.1:8080/a.xml\n"
                        "  - url: http://127.0.0.1:8081/a.xml\n"
                        "  - url: http://127.0.0.1:8080/wp-json/wp/v2/posts\n"
                        "    type: wordpress\n"
                        "  - url: http://127.0.0.1:8080/blog/wp-json/wp/v2/posts\n"
                        "    type: wordpress\n"
                        "  - url: https://Example.ORG/#top\n"
                        "  - url: https://example.org/feed\n"
                        "    name: Example\n",
                        "/x");
    assert_int_equal(c->n_sources, 6);
    assert_string_equal(c->sources[0].name, "127.0.0.1:8080/a.xml");
    assert_string_equal(c->sources[1].name, "127.0.0.1:8081/a.xml");
    assert_string_equal(c->sources[2].name, "127.0.0.1:8080/wp-json/wp/v2/posts");
    assert_string_equal(c->sources[3].name, "127.0.0.1:8080/blog/wp-json/wp/v2/posts");
    assert_string_equal(c->sources[4].name, "example.org");
    assert_int_equal(c->sources[4].name_is_default, 1);
    assert_string_equal(c->sources[5].name, "Example");
    assert_int_equal(c->sources[5].name_is_default, 0);
    config_free(c);

    /* a name given twice; a given name equal to another's default name;
     * two URLs with one default name (http and https) */
    load_fails("sources:\n"
               "  - url: http://a.example/1\n"
               "    name: News\n"
               "  - url: http://a.example/2\n"
               "    name: News\n"
               "  - url: http://b.example/feed\n"
               "  - url: http://c.example/feed\n"
               "    name: b.example/feed\n"
               "  - url: https://d.example/x\n"
               "  - url: http://d.example/x\n",
               FA_EINVAL,
               "t.yaml:4: sources[1].name: \"News\" is already the name of sources[0] (line 2); "
               "names must be unique\n"
               "t.yaml:7: sources[3].name: \"b.example/feed\" is already the name of sources[2] "
               "(line 6) by default; names must be unique\n"
               "t.yaml:10: sources[5]: its default name (from the url) \"d.example/x\" is already "
               "the name of sources[4] (line 9) by default; names must be unique\n");

    /* long URLs: names stay under the ceiling and distinct */
    char yaml[2048], a[400];
    memset(a, 'a', 300);
    a[300] = '\0';
    snprintf(yaml, sizeof yaml, "sources:\n  - url: http://h/%s1\n  - url: http://h/%s2\n", a, a);
    c = load_ok(yaml, "/x");
    assert_int_equal(strlen(c->sources[0].name), CONFIG_SOURCE_NAME_MAX);
    assert_int_equal(strlen(c->sources[1].name), CONFIG_SOURCE_NAME_MAX);
    assert_string_not_equal(c->sources[0].name, c->sources[1].name);
    config_free(c);
    snprintf(yaml, sizeof yaml, "sources:\n  - url: http://h/\n    name: %s\n", a);
    assert_true(
        load_check(yaml, FA_EINVAL, "t.yaml:2: sources[0].name: is longer than 200 bytes\n"));
}

/* (issue 11) http.redact_headers and storage.file_mode: defaults, values,
 * errors, and both through the dump. */
static void redaction_and_file_mode(void **state)
{
    (void)state;
    config *c = load_ok(ONE_SOURCE, "/x");
    assert_int_equal(c->storage.file_mode, 0640);
    assert_int_equal(c->http.n_redact_headers, 3);
    assert_string_equal(c->http.redact_headers[0], "Authorization");
    assert_string_equal(c->http.redact_headers[1], "Cookie");
    assert_string_equal(c->http.redact_headers[2], "Proxy-Authorization");
    char *text = round_trip(c);
    assert_non_null(strstr(text, "  file_mode: \"0640\"\n"));
    assert_non_null(strstr(
        text, "  redact_headers: [\"Authorization\", \"Cookie\", \"Proxy-Authorization\"]\n"));
    free(text);
    config_free(c);

    c = load_ok("storage: {file_mode: \"0600\"}\nhttp: {redact_headers: [X-Api-Key]}\n" ONE_SOURCE,
                "/x");
    assert_int_equal(c->storage.file_mode, 0600);
    assert_int_equal(c->http.n_redact_headers, 1);
    assert_string_equal(c->http.redact_headers[0], "X-Api-Key");
    free(round_trip(c));
    config_free(c);
    c = load_ok("storage: {file_mode: 644}\nhttp: {redact_headers: []}\n" ONE_SOURCE, "/x");
    assert_int_equal(c->storage.file_mode, 0644);
    assert_int_equal(c->http.n_redact_headers, 0);
    text = round_trip(c);
    assert_non_null(strstr(text, "  redact_headers: []\n"));
    free(text);
    config_free(c);

    load_fails("storage:\n  file_mode: rw-r-----\n  x: 1\n" ONE_SOURCE, FA_EINVAL,
               "t.yaml:2: storage.file_mode: \"rw-r-----\" is not a file mode (three octal digits, "
               "like \"0640\")\n"
               "t.yaml:3: storage.x: unknown key (known here: dir, state_dir, prefix, "
               "segment_max_size, dictionary, revisit_not_modified, compression_level, file_mode, "
               "operator)\n");
    load_fails("storage: {file_mode: \"0440\"}\n" ONE_SOURCE, FA_EINVAL,
               "t.yaml:1: storage.file_mode: \"0440\" must let the owner read and write (0600 at "
               "least)\n");
    load_fails("storage: {file_mode: \"01777\"}\n" ONE_SOURCE, FA_EINVAL,
               "t.yaml:1: storage.file_mode: \"01777\" is not a file mode (three octal digits, "
               "like \"0640\")\n");
    load_fails(
        "http:\n  redact_headers:\n    - Cookie\n    - \"Bad Name\"\n    - cookie\n" ONE_SOURCE,
        FA_EINVAL,
        "t.yaml:4: http.redact_headers[1]: \"Bad Name\" is not a valid header name\n"
        "t.yaml:5: http.redact_headers[2]: \"cookie\" is listed twice\n");
    load_fails("http: {redact_headers: Cookie}\n" ONE_SOURCE, FA_EINVAL,
               "t.yaml:1: http.redact_headers: expected a list of header names, got \"Cookie\"\n");
}

struct key_check {
    const char *dump;
    unsigned n_keys;
};

/* The line a key should have in the dump: top-level keys at column 0,
 * section keys at 2, a source's first key as "  - key:", its other keys at
 * 4, json keys at 6. */
static void key_in_dump(void *ud, const char *path)
{
    struct key_check *k = ud;
    k->n_keys++;
    const char *last = strrchr(path, '.');
    const char *key = last ? last + 1 : path;
    int depth = 0;
    for (const char *p = path; *p; p++)
        depth += *p == '.';
    char want[160], first[160];
    int in_source = strncmp(path, "sources[].", 10) == 0;
    int indent = in_source ? 2 + 2 * depth : 2 * depth;
    snprintf(want, sizeof want, "\n%*s%s:", indent, "", key);
    snprintf(first, sizeof first, "\n  - %s:", key);
    if (strstr(k->dump, want) == NULL && !(in_source && depth == 1 && strstr(k->dump, first)))
        fail_msg("config check does not print %s (no \"%s\" line) in:\n%s", path, want + 1,
                 k->dump);
}

/* (issue 11) The effective config names every key the loader accepts (the
 * list comes from the loader's own tables) - config check left out
 * storage.dictionary, http.accept_encoding and ignore_robots - and sizes
 * keep their largest exact unit (1TB was printed as 976562500KiB). */
/* A file of the repository (FEEDARC_SOURCE_DIR, set by ctest), NUL-ended;
 * NULL when the variable is unset. */
static char *read_repo_file(const char *rel)
{
    const char *root = getenv("FEEDARC_SOURCE_DIR");
    if (root == NULL || *root == '\0') return NULL;
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", root, rel);
    FILE *f = fopen(path, "rb");
    if (f == NULL) fail_msg("cannot open %s", path);
    char *buf = NULL;
    size_t len = 0, cap = 0, n;
    char chunk[8192];
    while ((n = fread(chunk, 1, sizeof chunk, f)) > 0) {
        if (len + n + 1 > cap) {
            cap = (len + n + 1) * 2;
            char *nb = realloc(buf, cap);
            assert_non_null(nb);
            buf = nb;
        }
        memcpy(buf + len, chunk, n);
        len += n;
    }
    fclose(f);
    if (buf == NULL) buf = calloc(1, 1);
    else buf[len] = '\0';
    return buf;
}

struct doc_keys {
    const char *docs[3];
    unsigned n_keys, missing;
};

/* A loader key's last name is written in the docs as "name:" (a YAML
 * line) or `name` (prose). */
static void key_in_docs(void *ud, const char *path)
{
    struct doc_keys *k = ud;
    k->n_keys++;
    const char *last = strrchr(path, '.');
    const char *key = last ? last + 1 : path;
    char yaml[128], top[128], prose[128];
    snprintf(yaml, sizeof yaml, " %s:", key);
    snprintf(top, sizeof top, "\n%s:", key);
    snprintf(prose, sizeof prose, "`%s", key);
    for (int i = 0; i < 3; i++)
        if (strstr(k->docs[i], yaml) || strstr(k->docs[i], top) || strstr(k->docs[i], prose))
            return;
    print_message("%s is not named in README.md, docs/FEEDS.md or docs/SCALING.md\n", path);
    k->missing++;
}

/* The configs a user copies from the docs are configs the loader takes:
 * every ```yaml block of README.md and docs/FEEDS.md loads as it is, and
 * docs/SCALING.md's cluster section beside a source; and every key the
 * loader knows is named in those docs.  (A key the docs offered that the
 * loader refused - FEEDS.md's max_item_bytes, a warcinfo operator "from
 * the config" - fails the first part; an undocumented one the second.) */
static void docs_and_loader_agree(void **state)
{
    (void)state;
    static const char *const files[3] = {"README.md", "docs/FEEDS.md", "docs/SCALING.md"};
    char *docs[3];
    for (int i = 0; i < 3; i++) {
        docs[i] = read_repo_file(files[i]);
        if (docs[i] == NULL) {
            for (int j = 0; j < i; j++)
                free(docs[j]);
            skip(); /* FEEDARC_SOURCE_DIR unset: not run by ctest */
        }
    }
    unsigned blocks = 0;
    for (int i = 0; i < 3; i++) {
        for (char *p = docs[i]; (p = strstr(p, "```yaml\n")) != NULL;) {
            p += 8;
            char *end = strstr(p, "```");
            assert_non_null(end);
            size_t len = (size_t)(end - p);
            const char *extra = strstr(p, "sources:") && strstr(p, "sources:") < end ? "" : ONE_SOURCE;
            char *yaml = malloc(len + strlen(extra) + 1);
            assert_non_null(yaml);
            memcpy(yaml, p, len);
            strcpy(yaml + len, extra);
            config *c = NULL;
            char *errors = NULL;
            int rc = config_load_string(yaml, strlen(yaml), files[i], "/tmp", &c, &errors);
            if (rc != 0)
                fail_msg("a yaml block of %s does not load:\n%s\n%s", files[i], errors ? errors : "",
                         yaml);
            config_free(c);
            free(yaml);
            blocks++;
            p = end + 3;
        }
    }
    assert_int_equal(blocks, 3); /* README's, FEEDS.md's and SCALING.md's */
    struct doc_keys k = {{docs[0], docs[1], docs[2]}, 0, 0};
    config_for_each_key(key_in_docs, &k);
    assert_true(k.n_keys > 60);
    assert_int_equal(k.missing, 0);
    for (int i = 0; i < 3; i++)
        free(docs[i]);
}

static void dump_mentions_every_key(void **state)
{
    (void)state;
    config *c = load_ok("storage: {segment_max_size: 1TB, operator: \"Ops <ops@example.org>\"}\n"
                        "sources:\n"
                        "  - url: https://a.example/feed\n"
                        "    headers: {X-A: b}\n"
                        "  - url: https://b.example/wp-json/wp/v2/posts\n"
                        "    type: wordpress\n"
                        "    max_pages: 3\n"
                        "  - url: https://c.example/api\n"
                        "    type: json\n"
                        "    json: {items: /items, id: /id, url: /url, title: /t, date: /d,\n"
                        "           updated: /u, content: /c, summary: /s, author: /a,\n"
                        "           paginate: page, page_param: p, next_url: /n,\n"
                        "           cursor_param: cp, cursor: /cur, max_pages: 4}\n"
                        "  - opml: subs.opml\n"
                        "cluster: {redis: \"redis://r:6379/0\", node: n1}\n",
                        "/x");
    char *text = round_trip(c);
    assert_non_null(strstr(text, "  segment_max_size: 1TB\n"));
    assert_non_null(strstr(text, "  dictionary: \"auto\"\n"));
    assert_non_null(strstr(text, "  operator: \"Ops <ops@example.org>\"\n"));
    assert_non_null(strstr(text, "  accept_encoding: null"));
    assert_non_null(strstr(text, "    ignore_robots: false\n"));
    struct key_check k = {text, 0};
    config_for_each_key(key_in_dump, &k);
    assert_true(k.n_keys > 60);
    free(text);
    config_free(c);

    /* the values a null stands for come back as null */
    c = load_ok("storage: {operator: null}\nhttp: {accept_encoding: ~}\n" ONE_SOURCE, "/x");
    assert_null(c->storage.operator_name);
    assert_null(c->http.accept_encoding);
    free(round_trip(c));
    config_free(c);
    c = load_ok("http: {accept_encoding: gzip}\n" ONE_SOURCE, "/x");
    assert_string_equal(c->http.accept_encoding, "gzip");
    free(round_trip(c));
    config_free(c);
}

/* (issue 15) cluster: absent changes nothing; present, it needs a redis://
 * URL (rediss:// refused with the reason), the node defaults to the host
 * name, the lease to 30 s; the password never appears in the dump. */
static void cluster_section(void **state)
{
    (void)state;
    unsetenv("REDIS_PASSWORD");
    config *c = load_ok(ONE_SOURCE, "/x");
    assert_int_equal(c->cluster.enabled, 0);
    assert_null(c->cluster.redis);
    assert_null(c->cluster.node);
    char *text = round_trip(c);
    assert_null(strstr(text, "\ncluster:"));
    free(text);
    config_free(c);

    c = load_ok("cluster:\n  redis: \"redis://feedarc:s3cr%40t@10.0.0.5:7000/2\"\n"
                "  node: crawler-a\n  lease: 45s\n" ONE_SOURCE,
                "/x");
    assert_int_equal(c->cluster.enabled, 1);
    assert_string_equal(c->cluster.redis, "redis://feedarc@10.0.0.5:7000/2");
    assert_string_equal(c->cluster.password, "s3cr@t");
    assert_string_equal(c->cluster.node, "crawler-a");
    assert_true(c->cluster.lease_ms == 45000);
    text = round_trip(c);
    assert_null(strstr(text, "s3cr"));
    assert_non_null(strstr(text, "cluster:\n  redis: \"redis://feedarc@10.0.0.5:7000/2\"\n"
                                 "  # a password (in the URL or REDIS_PASSWORD) is never shown\n  node: \"crawler-a\"\n"
                                 "  lease: 45s\n"));
    free(text);
    config_free(c);

    /* defaults; the password from the environment */
    setenv("REDIS_PASSWORD", "from-env", 1);
    c = load_ok("cluster: {redis: \"redis://[::1]\"}\n" ONE_SOURCE, "/x");
    unsetenv("REDIS_PASSWORD");
    char host[256] = "";
    assert_int_equal(gethostname(host, sizeof host - 1), 0);
    assert_string_equal(c->cluster.node, host);
    assert_string_equal(c->cluster.redis, "redis://[::1]:6379/0");
    assert_string_equal(c->cluster.password, "from-env");
    assert_true(c->cluster.lease_ms == 30000);
    config_free(c);

    load_fails("cluster: {redis: \"rediss://r:6380/0\"}\n" ONE_SOURCE, FA_EINVAL,
               "t.yaml:1: cluster.redis: rediss:// (TLS) is not supported: it needs hiredis >= "
               "1.0 and Debian bookworm ships hiredis 0.14; reach a TLS Redis through a local "
               "TLS tunnel (stunnel, spiped) and give its redis:// address here "
               "(docs/SCALING.md)\n");
    load_fails("cluster: {redis: \"http://r/\"}\n" ONE_SOURCE, FA_EINVAL,
               "t.yaml:1: cluster.redis: not a Redis URL (redis://[user:password@]host[:port]"
               "[/db]): not a redis:// or rediss:// URL\n");
    load_fails("cluster: {redis: \"redis://r:99999\"}\n" ONE_SOURCE, FA_EINVAL,
               "t.yaml:1: cluster.redis: not a Redis URL (redis://[user:password@]host[:port]"
               "[/db]): the port is not a number in 1..65535\n");
    load_fails("cluster: {redis: \"redis://r/x\"}\n" ONE_SOURCE, FA_EINVAL,
               "t.yaml:1: cluster.redis: not a Redis URL (redis://[user:password@]host[:port]"
               "[/db]): the database (the path) is not a number in 0..1000000\n");
    load_fails("cluster:\n  node: a\n" ONE_SOURCE, FA_EINVAL,
               "t.yaml:1: cluster.redis: required in a cluster: section (e.g. "
               "\"redis://127.0.0.1:6379/0\")\n");
    load_fails("cluster: {redis: \"redis://r\", node: \"a b\"}\n" ONE_SOURCE, FA_EINVAL,
               "t.yaml:1: cluster.node: \"a b\" is not a node name (1 to 64 letters, digits, "
               "'.', '_', '-'; not starting with '.' or '-')\n");
    load_fails("cluster: {redis: \"redis://r\", lease: 0s}\n" ONE_SOURCE, FA_EINVAL,
               "t.yaml:1: cluster.lease: \"0s\" must be at least 1s\n");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(full_example),
        cmocka_unit_test(defaults_filled),
        cmocka_unit_test(aliases_and_types),
        cmocka_unit_test(each_error_class),
        cmocka_unit_test(all_errors_reported),
        cmocka_unit_test(error_ceiling),
        cmocka_unit_test(nesting_ceiling),
        cmocka_unit_test(anchor_ceiling),
        cmocka_unit_test(mutations),
        cmocka_unit_test(files_and_relative_paths),
        cmocka_unit_test(durations),
        cmocka_unit_test(sizes),
        cmocka_unit_test(dump_round_trip),
        cmocka_unit_test(json_mapping_and_opml),
        cmocka_unit_test(service_sections),
        cmocka_unit_test(source_names_unique),
        cmocka_unit_test(redaction_and_file_mode),
        cmocka_unit_test(dump_mentions_every_key),
        cmocka_unit_test(docs_and_loader_agree),
        cmocka_unit_test(cluster_section),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
