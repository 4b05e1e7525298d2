/*
 * fuzz_source_parser.c - libFuzzer target for crawler/feeds/source_parser.c: every
 * kind of source response through the one entry point the crawler uses
 * (RSS/RDF/Atom, JSON Feed, WordPress REST, a JSON API by pointers,
 * sitemaps and indexes, OPML, HTML autodiscovery; gzip'd bodies; the
 * response head's Content-Type, X-WP-* and Link headers; pagination).
 *
 * Input: byte 0 the declared format (auto, rss, atom, jsonfeed, wordpress,
 * json, sitemap, opml), byte 1 how the body is cut into pushes, byte 2
 * flags (bits 0-1 the status: 200, 400, 404, 206; bits 2-4 the JSON
 * pagination; bit 5 a /wp-json/ URL; bit 6 page 3 of the walk), byte 3 the
 * length L of the header lines that follow (added after a status line),
 * then the body.  Built by tools/fuzz/CMakeLists.txt; see tools/fuzz/README.md.
 */
#include "crawler/feeds/source_parser.h"
#include "tools/fuzz/fuzz_util.h"

#include <stdio.h>

static int touch_item(void *ud, const feed_item *it)
{
    size_t *sum = ud;
    const char *f[] = {it->id,        it->link,    it->title,   it->author,
                       it->published, it->updated, it->summary, it->content};
    for (size_t i = 0; i < sizeof f / sizeof f[0]; i++)
        *sum += strlen(f[i]);
    for (const char *const *e = it->enclosures; *e; e++)
        *sum += strlen(*e);
    return 0;
}

static int touch_link(void *ud, enum source_link_kind kind, const char *url, const char *title)
{
    size_t *sum = ud;
    *sum += (size_t)kind + strlen(url) + strlen(title);
    return 0;
}

static int push(void *ud, const uint8_t *p, size_t n)
{
    return source_parser_push(ud, p, n);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const long statuses[] = {200, 400, 404, 206};
    fuzz_input in = {data, size};
    enum fa_source_kind fmt = (enum fa_source_kind)(fuzz_byte(&in) % 8);
    unsigned mode = fuzz_byte(&in);
    unsigned flags = fuzz_byte(&in);
    size_t head_len = fuzz_byte(&in);
    if (head_len > in.n) head_len = in.n;
    source_json_mapping map = {
        .items = "/data/stories",
        .id = "/uid",
        .url = "/permalink",
        .title = "/headline/text",
        .date = "/published_at",
        .updated = "/changed",
        .content = "/body",
        .summary = "/teaser",
        .author = "/byline/name",
        .paginate = (enum json_paginate)((flags >> 2) % 5),
        .cursor = "/meta/next_cursor",
        .cursor_param = "after",
        .next_url = "/meta/next",
        .max_pages = 5,
    };
    source_parser_options o = {
        .url = flags & 0x20 ? "https://fuzz.example.org/wp-json/wp/v2/posts?per_page=2&page=1"
                            : "https://fuzz.example.org/api/v1/list?limit=3#top",
        .format = fmt,
        .json = &map,
        .page = flags & 0x40 ? 3 : 0,
        .limits = {.max_item_bytes = 1 << 16, .max_items = 100, .max_depth = 64},
        .max_inflated_bytes = 1 << 20,
    };
    source_parser_callbacks cb = {touch_item, touch_link};
    size_t sum = 0;
    source_parser *p = source_parser_new(&o, &cb, &sum);
    if (p == NULL) return 0;
    long status = statuses[flags & 3];
    char line[32];
    int n = snprintf(line, sizeof line, "HTTP/1.1 %ld X\r\n", status);
    /* exactly the head's size, not NUL-terminated: ASan sees reads past it */
    char *head = malloc((size_t)n + head_len + 2);
    if (head == NULL) {
        source_parser_free(p);
        return 0;
    }
    memcpy(head, line, (size_t)n);
    memcpy(head + n, in.p, head_len);
    memcpy(head + n + head_len, "\r\n", 2); /* NOLINT(bugprone-not-null-terminated-result) */
    in.p += head_len;
    in.n -= head_len;
    int parse = source_parser_response(p, status, head, (size_t)n + head_len + 2);
    free(head);
    if (parse == 1) {
        (void)fuzz_push_pieces(in.p, in.n, mode, push, p);
        source_parser_finish(p);
        source_parser_finish(p); /* twice: the same result */
    }
    feed_parser_stats st;
    source_parser_get_stats(p, &st);
    sum += strlen(source_parser_kind_name(p)) + strlen(source_parser_error(p));
    source_parser_free(p);
    return 0;
}
