/*
 * crawl_feed.c - feed and API jobs: a source's feed, API page, sitemap or
 * the HTML page its feeds are discovered from.
 *
 * The loop thread only fetches: the body goes to the spool (it is kept
 * for the WARC record anyway), and the source parser
 * (crawler/feeds/source_parser.h) reads it on the worker thread that
 * archives the feed, decoded from the spool (fetch_transfer_decode_body).
 * The parser's callbacks there only collect: each item (collect_item) and
 * each link (collect_link: the next page of a paginated API, a child
 * sitemap, a discovered feed) become a crawl_feed_event, their URLs already
 * resolved; an item with no page of its own is kept for dedup and analysed
 * right after the feed is archived.  Back on the loop (after_archive) the
 * feed waits in the crawl's intake queue, and an idle handle turns its
 * events into jobs in their order, at most INTAKE_SLICE_NS of them per
 * loop iteration (intake_run): a feed of 10,000 items becomes jobs between
 * other I/O, not in one stall.  An item's page becomes a page job unless it
 * was archived before and the item does not say it changed.  The feed job
 * lives until its last event is handled, so its source's jobs have not
 * ended before its pages are queued.  Children are capped per source
 * (MAX_SOURCE_DEPTH nesting, MAX_SOURCE_CHILDREN children).
 *
 * What a parsed feed holds while its events wait is only its events and
 * the job's own struct: the worker frees the parser once the body is read
 * (parser_done: its charset decoder, libxml2's context, dictionary and
 * buffers were some 40 KB a feed) and the dedup items once archived, and
 * the loop sheds the transfer's buffers and spool (crawl__job_shed) when
 * the feed starts to wait.  Thousands of short feeds wait at once when
 * many share a hundred hosts (BENCHMARKS.md, "feedarc serve with 10,000
 * feeds": 459 MiB RSS with them whole).
 *
 * The intake only makes jobs the host queues can use soon (intake_blocked):
 * while host_waiting_max jobs wait for the next page's host, or waiting_max
 * for all hosts, the feed's remaining items wait as events (a few hundred
 * bytes each; a job is over 2 KB) and the feeds after it go on; it resumes
 * when that host's queue is down to half (host_queue_watch) or half of all
 * waiting jobs have started.  So the jobs in memory do not grow with a
 * feed's length: 20 feeds of 2,000 items used to be 40,000 jobs (80 MB)
 * within a second of their parse.  Stopping, nothing waits.
 *
 * A transfer that failed after some of the body arrived (cut off, a bomb
 * sent slowly) has what arrived parsed the same way, without archiving it:
 * the parser's or the decoder's error names the cause ("not a usable feed:
 * ...; then timeout"), and the items it found are queued.
 *
 * A feed's url record (its validators) waits until every job of its
 * source has ended (deferred_url): committed earlier, a crash would leave
 * items unfetched behind a 304 on the next run.  A source left incomplete
 * (a page deferred or given up on) commits no feed record at all, so the
 * next poll sees the items again.
 *
 * WordPress REST API sources ask only for what was modified after the
 * newest post already archived: modified_gmt of the newest item seen is
 * kept per source (kv "wordpress_since:<source>") after a good poll.
 *
 * Threads: loop thread, except feed_archive and what it calls - parse_body,
 * collect_item, collect_link, keep_item_for_dedup, parser_done, free_items
 * (a worker thread, which owns the job meanwhile).
 */
#include "crawler/crawl_internal.h"
#include "common/fa_err.h"
#include "common/fa_limits.h"
#include "common/fa_log.h"
#include "common/fa_time.h"
#include "crawler/source_list.h"
#include "crawler/url.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ITEMS_MAX (16u << 20)      /* item text kept per feed response for dedup */
#define EVENTS_MAX (16u << 20)     /* bytes of items and links kept per feed response */
#define INTAKE_SLICE_NS 1000000ull /* the loop's time on events before it polls again */

int crawl__feed_push(crawl *c, char *url, unsigned src, enum fa_source_kind format, unsigned page,
                     unsigned depth)
{
    if (crawl__seen_add(c, src, 1, url) == 0) {
        free(url);
        return 0;
    }
    crawl_job *j;
    int rc = crawl__job_new_url(c, url, &crawl__feed_ops, src, &j);
    if (rc < 0) return rc;
    j->feed.format = format;
    j->feed.page = page ? page : 1;
    j->feed.depth = depth;
    return crawl__job_admit(c, j);
}

/* ---- WordPress: only what changed since the last good poll ---- */

/* The source asks only for what changed since its newest modification
 * (a WordPress site's REST posts, typed or recognised by URL). */
static int has_watermark(const config_source *s)
{
    return s->url &&
           fa_source_kind_has(fa_source_kind_for_url(s->type, s->url), FA_SOURCE_WATERMARK);
}

static void since_key(const crawl *c, unsigned i, char *key, size_t len)
{
    snprintf(key, len, "wordpress_since:%.200s", c->sum->results[i].name);
}

int crawl__feed_since(const crawl *c, unsigned i, char *key, size_t key_len, char *val,
                      size_t val_len)
{
    const char *nm = c->src[i].newest_modified;
    if (!c->sum->results[i].ok || !nm[0] || !has_watermark(&c->cfg->sources[i])) return 0;
    since_key(c, i, key, key_len);
    snprintf(val, val_len, "%s", nm);
    return 1;
}

void crawl__push_source(crawl *c, unsigned i)
{
    const config_source *s = &c->cfg->sources[i];
    if (s->url == NULL) {
        crawl__source_fail(c, i, "an OPML entry was not expanded");
        return;
    }
    enum fa_source_kind f = s->type;
    source_json_mapping map;
    char since[64] = "", key[CRAWL_STATE_KV_KEY_MAX];
    if (has_watermark(s)) {
        since_key(c, i, key, sizeof key);
        if (crawl_state_get_kv(c->st, key, since, sizeof since) != 1) since[0] = '\0';
    }
    char *first = NULL, *url = NULL;
    int ur = FA_EINVAL;
    if (source_first_url(s->url, f, source_list_json_mapping(s, &map), since[0] ? since : NULL,
                         &first) < 0 ||
        (ur = url_resolve(NULL, first, &url)) < 0) {
        if (ur == FA_ETOOBIG)
            crawl__source_fail(c, i, "%.200s...: URL longer than %d bytes", s->url, FA_URL_MAX - 1);
        else
            crawl__source_fail(c, i, "not an http(s) URL: %s", s->url);
        free(first);
        return;
    }
    free(first);
    crawl__feed_push(c, url, i, f, 1, 0);
}

/* ---- feed url records: committed when the source's jobs have ended ---- */

static void defer_url(crawl *c, unsigned src, const char *url, const url_record *r)
{
    size_t n = strlen(url);
    deferred_url *d = malloc(sizeof *d + n + 1);
    if (d == NULL) {
        crawl__state_fail(c, FA_ENOMEM);
        return;
    }
    d->rec = *r;
    memcpy(d->url, url, n + 1);
    d->next = c->src[src].deferred;
    c->src[src].deferred = d;
}

void crawl__feed_commit_deferred(crawl *c, unsigned src)
{
    source_rt *s = &c->src[src];
    while (s->deferred) {
        deferred_url *d = s->deferred;
        s->deferred = d->next;
        if (!c->stopping && !s->incomplete) crawl__keep_url_record(c, d->url, &d->rec);
        free(d);
    }
}

/* ---- the parser's callbacks (worker thread: they only collect) ---- */

/* An item that will have no page of its own is a document by itself: its
 * content is analysed (on the worker, with the feed's archiving). */
static void keep_item_for_dedup(crawl_job *j, const feed_item *item)
{
    const char *content = item->content[0] ? item->content : item->summary;
    char *doc = NULL;
    if (content[0] == '\0') return;
    if (item->link[0] && url_resolve(j->url, item->link, &doc) < 0) doc = NULL;
    if (doc == NULL && strchr(item->id, ':') && !strpbrk(item->id, " \t\r\n"))
        doc = strdup(item->id); /* a URI such as urn:uuid:... */
    if (doc == NULL) return;
    size_t nd = strlen(doc) + 1, ni = strlen(item->id) + 1, nc = strlen(content) + 1;
    crawl_feed_job *f = &j->feed;
    crawl_feed_item *it = NULL;
    if (f->items_bytes + nd + ni + nc <= ITEMS_MAX) /* past the ceiling: not analysed */
        it = malloc(sizeof *it + nd + ni + nc);
    if (it) {
        char *p = (char *)(it + 1);
        it->next = NULL;
        it->url = memcpy(p, doc, nd);
        it->id = memcpy(p + nd, item->id, ni);
        it->content = memcpy(p + nd + ni, content, nc);
        *(f->items_tail ? f->items_tail : &f->items) = it;
        f->items_tail = &it->next;
        f->items_bytes += nd + ni + nc;
        f->items_without_page++;
    }
    free(doc);
}

/* Appends an event with its strings (NULL: "") and url (taken over).
 * 0, FA_ETOOBIG past EVENTS_MAX or FA_ENOMEM (url freed). */
static int add_event(crawl_job *j, int link_kind, int page, int resolve_rc, char *url,
                     const char *link, const char *id, const char *published, const char *updated,
                     const char *title, const char *host_key)
{
    crawl_feed_job *f = &j->feed;
    const char *str[6] = {link, id, published, updated, title, host_key};
    size_t len[6], nstr = 0, nurl = url ? strlen(url) + 1 : 0;
    for (int k = 0; k < 6; k++)
        nstr += (len[k] = str[k] ? strlen(str[k]) + 1 : 0);
    size_t total = sizeof(crawl_feed_event) + nstr + nurl;
    crawl_feed_event *ev = NULL;
    int rc = f->events_bytes + total > EVENTS_MAX ? FA_ETOOBIG : FA_ENOMEM;
    if (rc == FA_ENOMEM) ev = malloc(sizeof *ev + nstr);
    if (ev == NULL) {
        free(url);
        return rc;
    }
    char *p = (char *)(ev + 1);
    const char **dst[6] = {&ev->link, &ev->id,    &ev->published,
                           &ev->updated, &ev->title, &ev->host_key};
    for (int k = 0; k < 6; k++) {
        *dst[k] = len[k] ? memcpy(p, str[k], len[k]) : "";
        p += len[k];
    }
    ev->next = NULL;
    ev->link_kind = link_kind;
    ev->page = page;
    ev->resolve_rc = resolve_rc;
    ev->url = url;
    *(f->events_tail ? f->events_tail : &f->events) = ev;
    f->events_tail = &ev->next;
    f->events_bytes += total;
    return 0;
}

static int collect_item(void *ud, const feed_item *item)
{
    crawl_job *j = ud;
    const config_source *s = &j->c->cfg->sources[j->source];
    int page = s->fetch_pages && item->link[0] != '\0';
    if (!page && j->feed.keep_for_dedup) keep_item_for_dedup(j, item);
    if (!page) return add_event(j, -1, 0, 0, NULL, NULL, NULL, NULL, item->updated, NULL, NULL);
    char *url = NULL, key[512];
    int ur = url_resolve(j->url, item->link, &url);
    /* the page's host key here, on the worker: the loop needs it twice
     * (the intake's bound, the job) and a URL parse is ~10 allocations */
    if (ur < 0 || url_host_key(url, key, sizeof key) < 0) key[0] = '\0';
    return add_event(j, -1, 1, ur, ur == 0 ? url : NULL, ur < 0 ? item->link : NULL, item->id,
                     item->published, item->updated, item->title, key);
}

/* Links a source response points to: its next page, feeds found in an HTML
 * page or an OPML file, the sitemaps of a sitemap index. */
static int collect_link(void *ud, enum source_link_kind kind, const char *link, const char *title)
{
    (void)title;
    crawl_job *j = ud;
    char *url = NULL;
    int ur = url_resolve(j->url, link, &url);
    return add_event(j, (int)kind, 0, ur, ur == 0 ? url : NULL, ur < 0 ? link : NULL, NULL, NULL,
                     NULL, NULL, NULL);
}

static int parse_sink(void *ud, const void *data, size_t len)
{
    crawl_job *j = ud;
    int rc = source_parser_push(j->feed.sp, data, len);
    if (rc < 0) {
        j->feed.parse_rc = rc;
        return -1;
    }
    return 0;
}

/* The parse is over: what the loop reads of it (the kind, the message)
 * is kept and the parser freed, on the worker - a feed whose items wait
 * for the intake does not keep it. */
static void parser_done(crawl_feed_job *f)
{
    const char *why = source_parser_error(f->sp);
    f->kind = source_parser_kind_name(f->sp);
    if (why[0]) f->parse_error = strdup(why); /* NULL: the code's own text is told */
    source_parser_free(f->sp);
    f->sp = NULL;
}

/* The parser's message: from the parser, or kept when it was freed. */
static const char *parse_error(const crawl_feed_job *f)
{
    if (f->sp) return source_parser_error(f->sp);
    return f->parse_error ? f->parse_error : "";
}

static void free_items(crawl_feed_job *f)
{
    while (f->items) {
        crawl_feed_item *next = f->items->next;
        free(f->items);
        f->items = next;
    }
    f->items_tail = NULL;
}

/* Worker thread: the body, decoded from the spool, through the parser (a
 * failed transfer's is not finished: what arrived is all there is), then
 * the parser freed. */
static void parse_body(crawl_job *j)
{
    crawl_feed_job *f = &j->feed;
    fetch_transfer_decode_body(&j->t, parse_sink, j);
    if (f->parse != FEED_PARSE_PARTIAL) {
        f->parse_n = f->parse_rc < 0 ? f->parse_rc : source_parser_finish(f->sp);
        crawl__note_charset(j->c, source_parser_charset(f->sp), f->encoding, sizeof f->encoding);
    }
    parser_done(f);
}

/* ---- the events, on the loop thread ---- */

/* The parser decides from the status and headers whether the body is for
 * it (2xx; WordPress's 400 past the last page). */
static int feed_response(crawl_job *j)
{
    crawl_feed_job *f = &j->feed;
    if (!f->resp_given) {
        fetch_transfer *t = &j->t;
        f->resp_given = 1;
        f->resp_wanted = source_parser_response(f->sp, t->status,
                                                t->response_head.data ? t->response_head.data : "",
                                                t->response_head.len) == 1;
    }
    return f->resp_wanted;
}

int crawl__page_unchanged(const url_record *prev, const char *item_updated)
{
    const char *u = item_updated ? item_updated : "";
    /* (a 429 or 5xx archived as evidence is no capture: fetched again) */
    return prev->warc_record_id[0] && prev->http_status != 429 && prev->http_status < 500 &&
           (u[0] == '\0' || prev->item_updated[0] == '\0' || strcmp(u, prev->item_updated) == 0);
}

static int item_event(crawl_job *j, crawl_feed_event *ev)
{
    crawl *c = j->c;
    const config_source *s = &c->cfg->sources[j->source];
    c->sum->results[j->source].items++;
    c->sum->items++;
    source_rt *rt = &c->src[j->source];
    if (strcmp(ev->updated, rt->newest_modified) > 0 &&
        strlen(ev->updated) < sizeof rt->newest_modified)
        strcpy(rt->newest_modified, ev->updated);
    if (!ev->page || c->stopping) return 0;
    if (ev->resolve_rc == FA_ETOOBIG) { /* that page's failure, not the crawl's */
        crawl__source_fail(c, j->source, "%.200s...: URL longer than %d bytes", ev->link,
                           FA_URL_MAX - 1);
        c->sum->results[j->source].pages_failed++, c->sum->pages_failed++;
        return 0;
    }
    if (ev->resolve_rc < 0) {
        const char *kv[] = {"source", s->name, "link", ev->link, NULL};
        fa_log_kv(FA_LOG_DEBUG, "crawl", kv, "item link skipped: not an http(s) URL");
        return 0;
    }
    char *url = ev->url;
    ev->url = NULL;
    int added = crawl__seen_add(c, j->source, 0, url);
    if (added <= 0) {
        free(url);
        return added < 0 ? added : 0;
    }
    /* Being fetched for another source (serve: feeds of one site list the
     * same story, each polled on its own): that job archives it. */
    if (crawl__page_live(c, url)) {
        free(url);
        return 0;
    }
    /* Archived in an earlier run (or a moment ago: the record is still to
     * be committed), and the feed does not say it changed: nothing to fetch. */
    url_record prev;
    int known = crawl__get_url(c, url, &prev);
    if (known < 0 && c->cluster) { /* Redis away: the page's claim reads it again */
        known = 0;
        memset(&prev, 0, sizeof prev);
    }
    if (known < 0) {
        crawl__state_fail(c, known);
        free(url);
        return 0;
    }
    if (known == 1 && crawl__page_unchanged(&prev, ev->updated)) {
        c->sum->results[j->source].pages_unchanged++;
        c->sum->pages_unchanged++;
        free(url);
        return 0;
    }
    feed_item item = {.id = ev->id,
                      .link = "",
                      .title = ev->title,
                      .author = "",
                      .published = ev->published,
                      .updated = ev->updated,
                      .summary = "",
                      .content = ""};
    int rc = crawl__page_push(c, url, ev->host_key, j->source, &item, j->url, known == 1, &prev);
    return rc == FA_ENOMEM ? FA_ENOMEM : 0;
}

static int link_event(crawl_job *j, crawl_feed_event *ev)
{
    crawl *c = j->c;
    if (c->stopping) return 0;
    if (ev->resolve_rc == FA_ETOOBIG)
        crawl__source_fail(c, j->source, "%.200s...: URL longer than %d bytes", ev->link,
                           FA_URL_MAX - 1);
    if (ev->resolve_rc < 0) return 0;
    char *url = ev->url;
    ev->url = NULL;
    source_rt *s = &c->src[j->source];
    const crawl_feed_job *f = &j->feed;
    switch ((enum source_link_kind)ev->link_kind) {
    case SOURCE_LINK_NEXT_PAGE:
        return crawl__feed_push(c, url, j->source, f->format, f->page + 1, f->depth) == FA_ENOMEM
                   ? FA_ENOMEM
                   : 0;
    case SOURCE_LINK_FEED:
    case SOURCE_LINK_SITEMAP:
        if (f->depth + 1 > MAX_SOURCE_DEPTH || s->sitemaps >= MAX_SOURCE_CHILDREN) {
            const char *kv[] = {"url", url, NULL};
            fa_log_kv(FA_LOG_WARN, "crawl", kv, "not followed: the source's %s cap is reached",
                      f->depth + 1 > MAX_SOURCE_DEPTH ? "nesting" : "child count");
            free(url);
            return 0;
        }
        s->sitemaps++;
        return crawl__feed_push(c, url, j->source,
                                ev->link_kind == SOURCE_LINK_SITEMAP ? FA_SOURCE_SITEMAP
                                                                     : FA_SOURCE_AUTO,
                                1, f->depth + 1) == FA_ENOMEM
                   ? FA_ENOMEM
                   : 0;
    }
    free(url);
    return 0;
}

static void free_events(crawl_feed_job *f)
{
    while (f->events) {
        crawl_feed_event *next = f->events->next;
        free(f->events->url);
        free(f->events);
        f->events = next;
    }
    f->events_tail = NULL;
}

/* ---- the feed job's operations ---- */

static void feed_init(crawl_job *j)
{
    j->feed.page = 1;
}

/* A retry, or a redirect hop: the same reading of the response. */
static int feed_copy(crawl_job *to, const crawl_job *from)
{
    to->feed.format = from->feed.format;
    to->feed.page = from->feed.page;
    to->feed.depth = from->feed.depth;
    return 0;
}

static int feed_start(crawl_job *j)
{
    crawl *c = j->c;
    for (const struct curl_slist *h = c->src_headers[j->source]; h; h = h->next) {
        struct curl_slist *l = curl_slist_append(j->headers, h->data);
        if (l == NULL) return FA_ENOMEM;
        j->headers = l;
    }
    const config_source *src = &c->cfg->sources[j->source];
    source_parser_options po = {
        .url = j->url,
        .format = j->feed.format,
        .json = source_list_json_mapping(src, &j->feed.json_map),
        .page = j->feed.page,
        .max_pages = src->max_pages,
        .limits = {.max_items = src->max_items},
        .max_inflated_bytes = c->cfg->http.max_decoded_size,
    };
    source_parser_callbacks cb = {.item = collect_item, .link = collect_link};
    j->feed.sp = source_parser_new(&po, &cb, j);
    return j->feed.sp ? 0 : FA_ENOMEM; /* the body is parsed after, from the spool */
}

static void feed_ended(crawl_job *j)
{
    const fetch_transfer *t = &j->t;
    if (t->error_code && t->error_code != FA_ECANCELED)
        j->c->sum->results[j->source].cause = fetch_cause_name(t->cause);
}

static void feed_disallowed(crawl_job *j, const robots_verdict *v)
{
    crawl__source_fail(j->c, j->source, "%s: disallowed by robots.txt%s%s", j->url,
                       v->rule[0] ? ": " : "", v->rule[0] ? v->rule : "");
}

static void feed_unreachable(crawl_job *j, const char *why)
{
    /* the fetcher's text names its cause (fetcher.c) */
    for (int k = FETCH_CAUSE_REFUSED; k < FETCH_CAUSE_NONE; k++)
        if (why && strcasestr(why, fetch_cause_name((enum fetch_cause)k))) {
            j->c->sum->results[j->source].cause = fetch_cause_name((enum fetch_cause)k);
            break;
        }
}

/* The transfer failed: the payload may have failed first (a bomb or a
 * non-feed sent slowly, then cut off), and that is the cause to name. */
static void feed_transfer_failed(crawl_job *j)
{
    crawl *c = j->c;
    const fetch_transfer *t = &j->t;
    if (t->error_code == FA_ECANCELED) return;
    if (t->payload_error == FA_ETOOBIG) {
        crawl__source_fail(c, j->source,
                           "%s: content decoding failed (%s): decoded size over "
                           "http.max_decoded_size; then %s",
                           j->url, t->content_encoding[0] ? t->content_encoding : "identity",
                           t->error);
    } else if (j->feed.parse_rc < 0) {
        const char *why = parse_error(&j->feed);
        crawl__source_fail(c, j->source, "%s: not a usable feed: %s; then %s", j->url,
                           why && *why ? why : fa_strerror(j->feed.parse_rc), t->error);
    } else {
        crawl__source_fail(c, j->source, "%s: %s", j->url, t->error);
    }
}

/* A response the parser took: the end of its body, and what went wrong. */
static void feed_parsed(crawl_job *j)
{
    crawl *c = j->c;
    const fetch_transfer *t = &j->t;
    crawl_feed_job *f = &j->feed;
    int n = f->parse_n; /* parse_rc, or what finish returned (parse_body) */
    if (f->depth == 0 && f->page <= 1)
        c->sum->results[j->source].kind = f->sp ? source_parser_kind_name(f->sp) : f->kind;
    if (t->payload_error) {
        /* the decoding stopped first: that is the cause to report */
        crawl__source_fail(c, j->source, "%s: content decoding failed (%s%s): %s", j->url,
                           t->content_encoding[0] ? t->content_encoding : "identity",
                           t->chunked ? ", chunked" : "",
                           t->payload_error == FA_ETOOBIG
                               ? "decoded size over http.max_decoded_size"
                               : "corrupt body or an encoding feedarc cannot decode");
    } else if (n < 0) {
        const char *why = parse_error(f);
        crawl__source_fail(c, j->source, "%s: not a usable feed: %s", j->url,
                           why && *why ? why : fa_strerror(n));
    }
}

static enum crawl_job_next feed_fetched(crawl_job *j)
{
    crawl *c = j->c;
    const fetch_transfer *t = &j->t;
    crawl_source_result *r = &c->sum->results[j->source];
    j->feed.keep_for_dedup = c->dedup && !c->stopping;
    if (t->error_code) {
        /* what arrived is parsed on a worker: the cause may be in it
         * (feed_settle tells the failure then) */
        if (t->error_code != FA_ECANCELED && t->body.size > 0 && !c->storage_failed &&
            feed_response(j)) {
            j->feed.parse = FEED_PARSE_PARTIAL;
            return CRAWL_JOB_ARCHIVE;
        }
        feed_transfer_failed(j);
        return CRAWL_JOB_END;
    }
    if (t->status == 304) {
        r->last_status = 304;
        return crawl__not_modified(j);
    }
    r->last_status = (int)t->status;
    c->sum->feeds_fetched++;
    if (feed_response(j))
        j->feed.parse = FEED_PARSE_WHOLE; /* reported by feed_settle */
    else if (!crawl__is_redirect(t->status))
        crawl__source_fail(c, j->source, "%s: HTTP %ld", j->url, t->status);
    crawl__follow_redirect(c, j);
    return CRAWL_JOB_ARCHIVE;
}

/* Worker thread: the body parsed, then the exchange and the items kept for
 * dedup archived (a failed transfer's body is only parsed: 1); the items
 * are not kept after. */
static int feed_archive(crawl_job *j, const warc_exchange *x)
{
    int rc = 1;
    if (j->feed.parse != FEED_PARSE_NONE) parse_body(j);
    if (j->feed.parse != FEED_PARSE_PARTIAL) {
        rc = segment_writer_write_exchange(j->c->w, x, &j->written);
        if (rc == 0 && j->feed.items && j->c->dedup) rc = crawl__archive_items(j);
    }
    free_items(&j->feed);
    return rc;
}

/* The events handled: what the parse came to (the failure of a transfer
 * whose partial body was parsed). */
static void feed_settle(crawl_job *j)
{
    if (j->feed.parse == FEED_PARSE_PARTIAL)
        feed_transfer_failed(j);
    else
        feed_parsed(j);
}

/* 1 when ev, an item whose page is to be fetched, waits: host_waiting_max
 * jobs wait for its host (a feed held for that goes on once they are down
 * to half: the host queue says when), or waiting_max for all hosts (the
 * intake goes on at half: crawl__job_stop_waiting).  Links never wait. */
static int intake_blocked(crawl *c, crawl_job *j, const crawl_feed_event *ev)
{
    crawl_feed_job *f = &j->feed;
    if (c->stopping || ev->link_kind >= 0 || !ev->page || ev->resolve_rc < 0) return 0;
    if (!c->intake_full && c->jobs_waiting >= c->waiting_max) c->intake_full = 1;
    if (c->intake_full) return 1;
    if (ev->host_key[0] == '\0') return 0; /* it fails as a job */
    const char *key = ev->host_key;
    uint64_t waiting = host_queue_host_waiting(c->q, key), low = c->host_waiting_max / 2;
    f->intake_held = f->intake_held ? waiting > low : waiting >= c->host_waiting_max;
    if (f->intake_held) host_queue_watch(c->q, key, low);
    return f->intake_held;
}

/* Turns the queued feeds' events into jobs, in each feed's order, until
 * the slice's time is up (the idle handle brings it back on the next loop
 * iteration) or every feed left waits for its host or for the host queues
 * (crawl__feed_intake_wake starts it again).  A feed that waits lets the
 * ones after it go on. */
static void intake_run(uv_idle_t *h)
{
    crawl *c = h->data;
    uint64_t until = fa_time_mono_ns() + INTAKE_SLICE_NS;
    unsigned n = 0;
    crawl_job **link = &c->intake_first;
    while (*link) {
        crawl_job *j = *link;
        crawl_feed_job *f = &j->feed;
        while (f->events && !intake_blocked(c, j, f->events)) {
            if (++n % 8 == 0 && fa_time_mono_ns() >= until) return; /* the slice is over */
            crawl_feed_event *ev = f->events;
            int rc = ev->link_kind < 0 ? item_event(j, ev) : link_event(j, ev);
            f->events = ev->next;
            free(ev->url);
            free(ev);
            if (rc == FA_ENOMEM && f->parse_rc == 0) { /* as when a parser callback failed */
                f->parse_rc = f->parse_n = FA_ENOMEM;
                free_events(f);
            }
        }
        if (f->events) { /* it waits */
            link = &f->intake_next;
            continue;
        }
        *link = f->intake_next;
        if (*link == NULL) c->intake_last = link;
        feed_settle(j);
        crawl__job_release(j);
    }
    uv_idle_stop(h);
}

void crawl__feed_intake_wake(crawl *c)
{
    if (c->intake_first && !uv_is_closing((uv_handle_t *)&c->intake))
        uv_idle_start(&c->intake, intake_run);
}

void crawl__feed_intake_open(crawl *c)
{
    uv_idle_init(&c->loop, &c->intake);
    c->intake.data = c;
    c->intake_first = NULL;
    c->intake_last = &c->intake_first;
}

void crawl__feed_intake_close(crawl *c)
{
    if (!uv_is_closing((uv_handle_t *)&c->intake)) uv_close((uv_handle_t *)&c->intake, NULL);
}

/* Back from the worker: a parsed feed waits in the intake queue. */
static int feed_after_archive(crawl_job *j)
{
    crawl *c = j->c;
    crawl_feed_job *f = &j->feed;
    if (f->parse == FEED_PARSE_NONE) return 0;
    c->sum->results[j->source].items_without_page += f->items_without_page;
    if (f->events == NULL) {
        feed_settle(j);
        return 0;
    }
    crawl__job_shed(j); /* it may wait long: only its events are kept */
    f->intake_next = NULL;
    *c->intake_last = j;
    c->intake_last = &f->intake_next;
    uv_idle_start(&c->intake, intake_run);
    return 1;
}

static void feed_archived(crawl_job *j, const url_record *r)
{
    defer_url(j->c, j->source, j->url, r);
}

static void feed_release(crawl_job *j)
{
    source_parser_free(j->feed.sp);
    free(j->feed.parse_error);
    free_events(&j->feed);
    free_items(&j->feed);
}

const crawl_job_ops crawl__feed_ops = {
    .name = "feed",
    .in_source = 1,
    .url_kind = URL_KIND_FEED,
    .init = feed_init,
    .copy = feed_copy,
    .hop = feed_copy,
    .start = feed_start,
    .ended = feed_ended,
    .disallowed = feed_disallowed,
    .unreachable = feed_unreachable,
    .fetched = feed_fetched,
    .archive = feed_archive,
    .archived = feed_archived,
    .after_archive = feed_after_archive,
    .release = feed_release,
};
