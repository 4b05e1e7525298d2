/*
 * cmd_feed.c - `feedarc feed FILE|URL|-`: parse one feed or API response
 * the way the crawler does and print what came out of it.
 *
 * The tool a user reaches for when a source misbehaves: it runs exactly
 * crawler/feeds/source_parser (same detection, same limits) on a local file, on
 * stdin, or on a URL fetched once with libcurl's easy interface, and
 * prints one JSON line per item on stdout
 *
 *   {"id":..,"link":..,"title":..,"author":..,"published":..,"updated":..,
 *    "summary_len":N,"content_len":N,"enclosures":[..]}
 *
 * one line per link found ({"link_kind":"next_page","url":..,"title":..}),
 * and "kind: rss" and "items: N" on stderr.  The JSON is written with
 * yajl_gen.  The body is parsed as it is read, in 64 KiB chunks, so a
 * huge feed costs no more memory than in the crawler.
 *
 * Exit status: 0 parsed; 64 bad usage; 65 not a usable feed (EX_DATAERR);
 * 66 FILE cannot be opened (EX_NOINPUT); 69 the URL could not be fetched
 * or answered an HTTP error (EX_UNAVAILABLE); 74 read error; 78 bad
 * config (-c).
 */
#include "cli/cli.h"
#include "common/fa_url.h"
#include "common/fa_buf.h"
#include "common/fa_err.h"
#include "config/config.h"
#include "crawler/source_list.h"
#include "crawler/feeds/source_parser.h"

#include <curl/curl.h>
#include <yajl/yajl_gen.h>

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

enum { FEED_EXIT_DATAERR = 65, FEED_EXIT_NOINPUT = 66, FEED_EXIT_UNAVAILABLE = 69 };

#define CHUNK ((size_t)64 << 10)
#define MAX_HEAD ((size_t)64 << 10)
#define DEFAULT_MAX_SIZE ((curl_off_t)64 << 20)

typedef struct feed_run {
    yajl_gen g;
    unsigned items, links;
    /* URL fetching */
    source_parser_options opts;
    source_parser_callbacks cbs;
    source_parser *p;
    CURL *curl;
    fa_buf head;
    int body_started, parse_body, push_rc;
    long status;
    curl_off_t got, max_size;
    int too_big;
} feed_run;

static void put_str(yajl_gen g, const char *k, const char *v)
{
    yajl_gen_string(g, (const unsigned char *)k, strlen(k));
    yajl_gen_string(g, (const unsigned char *)v, strlen(v));
}

static void put_num(yajl_gen g, const char *k, size_t v)
{
    yajl_gen_string(g, (const unsigned char *)k, strlen(k));
    yajl_gen_integer(g, (long long)v);
}

static void flush_line(yajl_gen g)
{
    const unsigned char *buf;
    size_t len;
    yajl_gen_get_buf(g, &buf, &len);
    fwrite(buf, 1, len, stdout);
    fputc('\n', stdout);
    yajl_gen_clear(g);
    yajl_gen_reset(g, NULL);
}

static int on_item(void *ud, const feed_item *it)
{
    feed_run *r = ud;
    yajl_gen g = r->g;
    yajl_gen_map_open(g);
    put_str(g, "id", it->id);
    put_str(g, "link", it->link);
    put_str(g, "title", it->title);
    put_str(g, "author", it->author);
    put_str(g, "published", it->published);
    put_str(g, "updated", it->updated);
    put_num(g, "summary_len", strlen(it->summary));
    put_num(g, "content_len", strlen(it->content));
    yajl_gen_string(g, (const unsigned char *)"enclosures", 10);
    yajl_gen_array_open(g);
    for (const char *const *e = it->enclosures; e && *e; e++)
        yajl_gen_string(g, (const unsigned char *)*e, strlen(*e));
    yajl_gen_array_close(g);
    yajl_gen_map_close(g);
    flush_line(g);
    r->items++;
    return 0;
}

static int on_link(void *ud, enum source_link_kind kind, const char *url, const char *title)
{
    feed_run *r = ud;
    static const char *const names[] = {"next_page", "feed", "sitemap"};
    yajl_gen_map_open(r->g);
    put_str(r->g, "link_kind", (unsigned)kind < 3 ? names[kind] : "other");
    put_str(r->g, "url", url);
    put_str(r->g, "title", title);
    yajl_gen_map_close(r->g);
    flush_line(r->g);
    r->links++;
    return 0;
}

/* ---- fetching a URL ---- */

static size_t on_header(char *data, size_t size, size_t n, void *ud)
{
    feed_run *r = ud;
    size_t len = size * n;
    if (len >= 5 && memcmp(data, "HTTP/", 5) == 0) fa_buf_reset(&r->head); /* after a redirect */
    fa_buf_append(&r->head, data, len); /* past MAX_HEAD: the rest is not kept */
    return len;
}

static size_t on_body(char *data, size_t size, size_t n, void *ud)
{
    feed_run *r = ud;
    size_t len = size * n;
    if (!r->body_started) {
        r->body_started = 1;
        curl_easy_getinfo(r->curl, CURLINFO_RESPONSE_CODE, &r->status);
        char *eff = NULL;
        curl_easy_getinfo(r->curl, CURLINFO_EFFECTIVE_URL, &eff);
        r->opts.url = eff;
        r->p = source_parser_new(&r->opts, &r->cbs, r);
        if (r->p == NULL) return 0;
        r->parse_body = source_parser_response(r->p, r->status, r->head.data, r->head.len) == 1;
        if (!r->parse_body) return 0; /* stop: an HTTP error */
    }
    r->got += (curl_off_t)len;
    if (r->got > r->max_size) {
        r->too_big = 1;
        return 0;
    }
    int rc = source_parser_push(r->p, data, len);
    if (rc < 0) {
        r->push_rc = rc;
        return 0;
    }
    return len;
}

/* Fetches url into a parser.  Returns 0 or an exit code. */
static int fetch(feed_run *r, const char *url, int timeout_s)
{
    char ua[64], errbuf[CURL_ERROR_SIZE] = "";
    snprintf(ua, sizeof ua, "feedarc/%s", FEEDARC_VERSION);
    r->curl = curl_easy_init();
    if (r->curl == NULL) return EXIT_SOFTWARE;
    CURL *c = r->curl;
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_USERAGENT, ua);
    curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 1L);
    curl_easy_setopt(c, CURLOPT_MAXREDIRS, 5L);
    curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(c, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(c, CURLOPT_ACCEPT_ENCODING, "");
    curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, 10L);
    curl_easy_setopt(c, CURLOPT_TIMEOUT, (long)timeout_s);
    curl_easy_setopt(c, CURLOPT_MAXFILESIZE_LARGE, r->max_size);
    curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(c, CURLOPT_HEADERDATA, r);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, r);
    curl_easy_setopt(c, CURLOPT_ERRORBUFFER, errbuf);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    CURLcode cc = curl_easy_perform(c);
    if (!r->body_started) { /* no body at all: still a response */
        curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &r->status);
        if (cc == CURLE_OK) {
            char *eff = NULL;
            curl_easy_getinfo(c, CURLINFO_EFFECTIVE_URL, &eff);
            r->opts.url = eff;
            r->p = source_parser_new(&r->opts, &r->cbs, r);
            if (r->p == NULL) return EXIT_SOFTWARE;
            r->parse_body = source_parser_response(r->p, r->status, r->head.data, r->head.len) == 1;
        }
    }
    if (r->too_big || cc == CURLE_FILESIZE_EXCEEDED) {
        fprintf(stderr, "feedarc feed: %s: larger than %lld bytes\n", url, (long long)r->max_size);
        return FEED_EXIT_DATAERR;
    }
    if (r->push_rc < 0) return 0; /* reported by finish */
    if (r->p != NULL && !r->parse_body) {
        fprintf(stderr, "feedarc feed: %s: HTTP %ld\n", url, r->status);
        return FEED_EXIT_UNAVAILABLE;
    }
    if (cc != CURLE_OK) {
        fprintf(stderr, "feedarc feed: %s: %s\n", url, errbuf[0] ? errbuf : curl_easy_strerror(cc));
        return FEED_EXIT_UNAVAILABLE;
    }
    return 0;
}

/* Reads f into the parser in chunks.  Returns 0 or an exit code. */
static int read_stream(feed_run *r, FILE *f, const char *name)
{
    r->p = source_parser_new(&r->opts, &r->cbs, r);
    if (r->p == NULL) return EXIT_SOFTWARE;
    char *buf = malloc(CHUNK);
    if (buf == NULL) return EXIT_SOFTWARE;
    int code = 0;
    for (;;) {
        size_t n = fread(buf, 1, CHUNK, f);
        if (n > 0 && source_parser_push(r->p, buf, n) < 0) break;
        if (n < CHUNK) {
            if (ferror(f)) {
                fprintf(stderr, "feedarc feed: reading %s: %s\n", name, strerror(errno));
                code = EXIT_IOERR;
            }
            break;
        }
    }
    free(buf);
    return code;
}

int cmd_feed(int argc, char **argv)
{
    static const struct option opts[] = {
        {"type", required_argument, NULL, 't'},    {"config", required_argument, NULL, 'c'},
        {"source", required_argument, NULL, 's'},  {"base", required_argument, NULL, 'b'},
        {"page", required_argument, NULL, 'p'},    {"max-size", required_argument, NULL, 'm'},
        {"timeout", required_argument, NULL, 'T'}, {NULL, 0, NULL, 0}};
    const char *type = NULL, *cfg_path = NULL, *source = NULL, *base = NULL;
    unsigned page = 0;
    uint64_t max_size = (uint64_t)DEFAULT_MAX_SIZE, timeout_ms = 60000;
    int ch;
    optind = 1;
    while ((ch = getopt_long(argc, argv, "t:c:s:b:p:m:T:", opts, NULL)) != -1) {
        switch (ch) {
        case 't':
            type = optarg;
            break;
        case 'c':
            cfg_path = optarg;
            break;
        case 's':
            source = optarg;
            break;
        case 'b':
            base = optarg;
            break;
        case 'p':
            page = (unsigned)strtoul(optarg, NULL, 10);
            break;
        case 'm':
            if (config_parse_size(optarg, &max_size) < 0 || max_size == 0) {
                fprintf(stderr, "feedarc feed: --max-size %s is not a size\n", optarg);
                return EXIT_USAGE;
            }
            break;
        case 'T':
            if (config_parse_duration(optarg, &timeout_ms) < 0 || timeout_ms < 1000) {
                fprintf(stderr, "feedarc feed: --timeout %s is not a duration >= 1s\n", optarg);
                return EXIT_USAGE;
            }
            break;
        default:
            fprintf(stderr, "usage: feedarc feed [options] FILE|URL|-  (see feedarc help feed)\n");
            return EXIT_USAGE;
        }
    }
    if (optind != argc - 1 || (source != NULL) != (cfg_path != NULL)) {
        fprintf(stderr, "usage: feedarc feed [--type TYPE | -c FILE --source N] FILE|URL|-\n");
        return EXIT_USAGE;
    }
    const char *input = argv[optind];
    int code = 0;
    config *cfg = NULL;
    feed_run r;
    memset(&r, 0, sizeof r);
    source_json_mapping mapping;
    fa_buf_init(&r.head, MAX_HEAD);
    r.max_size = (curl_off_t)max_size;
    r.g = yajl_gen_alloc(NULL);
    if (r.g == NULL) return EXIT_SOFTWARE;
    r.cbs.item = on_item;
    r.cbs.link = on_link;
    r.opts.page = page;
    r.opts.url = base;

    if (type != NULL && fa_source_kind_by_name(type, &r.opts.format) < 0) {
        fprintf(stderr,
                "feedarc feed: --type %s: one of auto, rss, atom, jsonfeed, wordpress, "
                "sitemap, opml (json needs -c FILE --source N)\n",
                type);
        code = EXIT_USAGE;
        goto out;
    }
    if (fa_source_kind_has(r.opts.format, FA_SOURCE_MAPPED)) {
        fprintf(stderr, "feedarc feed: --type json needs a mapping: use -c FILE --source N\n");
        code = EXIT_USAGE;
        goto out;
    }
    if (cfg_path != NULL && source != NULL) {
        char *errors = NULL;
        if (config_load_file(cfg_path, &cfg, &errors) < 0) {
            fprintf(stderr, "%s", errors ? errors : "invalid config\n");
            free(errors);
            code = EXIT_CONFIG;
            goto out;
        }
        const config_source *s = NULL;
        char *end;
        unsigned long idx = strtoul(source, &end, 10);
        if (*source != '\0' && *end == '\0' && idx < cfg->n_sources) s = &cfg->sources[idx];
        for (size_t i = 0; s == NULL && i < cfg->n_sources; i++)
            if (cfg->sources[i].name && strcmp(cfg->sources[i].name, source) == 0)
                s = &cfg->sources[i];
        if (s == NULL || s->url == NULL) {
            fprintf(stderr, "feedarc feed: %s: no source %s (an index from 0, or a name)\n",
                    cfg_path, source);
            code = EXIT_USAGE;
            goto out;
        }
        if (type == NULL) r.opts.format = s->type;
        r.opts.json = source_list_json_mapping(s, &mapping);
        r.opts.max_pages = s->max_pages;
        r.opts.limits.max_items = s->max_items;
        if (base == NULL) r.opts.url = s->url;
    }

    if (fa_url_is_http(input)) {
        code = fetch(&r, input, (int)(timeout_ms / 1000));
    } else if (strcmp(input, "-") == 0) {
        code = read_stream(&r, stdin, "stdin");
    } else {
        FILE *f = fopen(input, "rb");
        if (f == NULL) {
            fprintf(stderr, "feedarc feed: cannot open %s: %s\n", input, strerror(errno));
            code = errno == ENOENT || errno == EACCES || errno == ENOTDIR ? FEED_EXIT_NOINPUT
                                                                          : EXIT_IOERR;
            goto out;
        }
        code = read_stream(&r, f, input);
        fclose(f);
    }
    if (code != 0 || r.p == NULL) goto out;
    int n = source_parser_finish(r.p);
    fprintf(stderr, "kind: %s\n", source_parser_kind_name(r.p));
    const fa_charset_decision *cd = source_parser_charset(r.p);
    if (cd != NULL) {
        char enc[256];
        fa_charset_describe(cd, enc, sizeof enc);
        fprintf(stderr, "encoding: %s\n", enc);
    }
    if (n < 0) {
        fprintf(stderr, "feedarc feed: %s: not a usable feed: %s\n", input,
                source_parser_error(r.p));
        code = n == FA_EFETCH   ? FEED_EXIT_UNAVAILABLE
               : n == FA_ENOMEM ? EXIT_SOFTWARE
                                : FEED_EXIT_DATAERR;
        goto out;
    }
    fprintf(stderr, "items: %u\n", r.items);
out:
    fflush(stdout);
    source_parser_free(r.p);
    if (r.curl) curl_easy_cleanup(r.curl);
    fa_buf_free(&r.head);
    yajl_gen_free(r.g);
    config_free(cfg);
    return code;
}
