/*
 * crawl_page.c - page jobs: the page a feed item links to.
 *
 * A page job carries what its feed item said (id, dates, title) and the
 * feed that listed it (via): they go into its url record and its metadata
 * record.  With dedup on, a 2xx page is decoded from the spool on the
 * worker thread that archives it (the first DEDUP_MAX_PAGE bytes; past
 * that the rest is not analysed: the loop thread only fetches) and an HTML
 * page is analysed there (crawl_archive.c): metadata and conversion
 * records beside the response, a revisit record for an exact duplicate.  An archived page
 * gets its url record after the segment's fsync (state_batch.h); a page
 * given up after transient errors marks its source incomplete, so the
 * feed's validators do not hide it from the next poll.
 *
 * Threads: loop thread, except page_archive (a worker thread, fa_workpool).
 */
#include "crawler/crawl_internal.h"
#include "common/fa_err.h"
#include "common/fa_log.h"

#include <stdlib.h>
#include <string.h>

#define DEDUP_MAX_PAGE (8u << 20) /* decoded bytes of a page analysed */

static char *dup_or_null(const char *s)
{
    return s && *s ? strdup(s) : NULL;
}

int crawl__page_push(crawl *c, char *url, const char *host_key, unsigned src, const feed_item *item,
                     const char *via, int known, const url_record *prev)
{
    crawl_job *j;
    if (host_key && *host_key) {
        if ((j = crawl__job_new(c, url, host_key, &crawl__page_ops, src)) == NULL) return FA_ENOMEM;
    } else {
        int rc = crawl__job_new_url(c, url, &crawl__page_ops, src, &j);
        if (rc < 0) return rc;
    }
    if (prev) { /* read once, by the feed that listed it */
        j->prev_read = 1;
        if (known && crawl__job_set_prev(j, prev) < 0) {
            crawl__job_free(j);
            return FA_ENOMEM;
        }
    }
    if (item) {
        j->page.item_id = dup_or_null(item->id);
        j->page.item_published = dup_or_null(item->published);
        j->page.item_updated = dup_or_null(item->updated);
        j->page.item_title = dup_or_null(item->title);
    }
    if (via) j->page.via = strdup(via);
    if (c->cluster) return crawl__cluster_admit_page(c, j); /* one node fetches it */
    return crawl__job_admit(c, j);
}

static int keep_decoded(void *ud, const void *data, size_t len)
{
    crawl_job *j = ud;
    /* past DEDUP_MAX_PAGE the append fails and the decoding stops: the page
     * is still archived whole, its first 8 MiB analysed */
    return fa_buf_append(&j->page.decoded, data, len) < 0 ? -1 : 0;
}

static int page_copy(crawl_job *to, const crawl_job *from)
{
    const crawl_page_job *f = &from->page;
    crawl_page_job *p = &to->page;
    p->item_id = f->item_id ? strdup(f->item_id) : NULL;
    p->item_published = f->item_published ? strdup(f->item_published) : NULL;
    p->item_updated = f->item_updated ? strdup(f->item_updated) : NULL;
    p->item_title = f->item_title ? strdup(f->item_title) : NULL;
    p->via = f->via ? strdup(f->via) : NULL;
    return 0;
}

/* A redirect hop: a page already queued this run is not fetched twice; the
 * hop keeps the feed that listed it (not the item: the hop is its own URL). */
static int page_hop(crawl_job *to, const crawl_job *from)
{
    if (crawl__seen_add(from->c, from->source, 0, to->url) == 0) return 1;
    to->page.via = from->page.via ? strdup(from->page.via) : NULL;
    return 0;
}


static void page_failed(crawl_job *j)
{
    j->c->sum->results[j->source].pages_failed++;
    j->c->sum->pages_failed++;
}

static void page_unreachable(crawl_job *j, const char *why)
{
    page_failed(j);
    j->c->src[j->source].incomplete = 1; /* tried again with the feed, next time */
}

static enum crawl_job_next page_fetched(crawl_job *j)
{
    crawl *c = j->c;
    fetch_transfer *t = &j->t;
    crawl_source_result *r = &c->sum->results[j->source];
    if (politeness_is_transient(t))
        c->src[j->source].incomplete = 1; /* given up for now: the feed's validators
                                             must not hide the page from the next poll */
    if (t->error_code) {
        if (t->error_code != FA_ECANCELED)
            crawl__source_fail(c, j->source, "%s: %s", j->url, t->error);
        page_failed(j);
        return CRAWL_JOB_END;
    }
    if (t->status == 304) {
        r->pages_unchanged++, c->sum->pages_unchanged++;
        return crawl__not_modified(j);
    }
    if (t->status >= 400 || t->status < 200) {
        crawl__source_fail(c, j->source, "%s: HTTP %ld", j->url, t->status);
        page_failed(j);
    } else if (!crawl__is_redirect(t->status)) {
        r->pages_ok++;
        c->sum->pages_fetched++;
    }
    crawl__follow_redirect(c, j);
    return CRAWL_JOB_ARCHIVE;
}

/* Worker thread: a 2xx page decoded for dedup, analysed if HTML, archived. */
static int page_archive(crawl_job *j, const warc_exchange *x)
{
    fetch_transfer *t = &j->t;
    if (j->c->dedup && t->status >= 200 && t->status <= 299) {
        fa_buf_init(&j->page.decoded, DEDUP_MAX_PAGE);
        fetch_transfer_decode_body(t, keep_decoded, j);
        if (t->payload_error) /* archived as sent, but not analysed */
            fa_log_warn("crawl", "%s: content decoding failed (%s): %s", j->url,
                        t->content_encoding[0] ? t->content_encoding : "identity",
                        fa_strerror(t->payload_error));
    }
    int rc;
    if (j->c->dedup && t->status >= 200 && t->status <= 299 && j->page.decoded.len > 0 &&
        !t->payload_error && (t->content_type[0] == '\0' || strstr(t->content_type, "html")))
        rc = crawl__archive_with_findings(j, x);
    else
        rc = segment_writer_write_exchange(j->c->w, x, &j->written);
    /* Freed here, by the thread that allocated it: freed on the loop thread
     * (page_release), a buffer from this worker's malloc arena made the
     * loop take that arena's lock - and wait, 4 ms at a time, while a
     * worker (at a lower priority) held it. */
    fa_buf_free(&j->page.decoded);
    return rc;
}

static void page_record(const crawl_job *j, url_record *r)
{
    const crawl_page_job *p = &j->page;
    if (p->item_id) snprintf(r->item_id, sizeof r->item_id, "%s", p->item_id);
    if (p->item_published)
        snprintf(r->item_published, sizeof r->item_published, "%s", p->item_published);
    if (p->item_updated) snprintf(r->item_updated, sizeof r->item_updated, "%s", p->item_updated);
}

/* collect_new_urls: a page archived with a new capture. */
static void keep_new_url(crawl *c, const crawl_job *j)
{
    crawl_source_result *r = &c->sum->results[j->source];
    if (!c->opt->collect_new_urls || c->new_urls >= CRAWL_NEW_URLS_MAX || j->t.status < 200 ||
        j->t.status > 299)
        return;
    char *u = strdup(j->url);
    char **grown = u ? realloc(r->new_urls, (r->n_new_urls + 1) * sizeof *grown) : NULL;
    if (grown == NULL) {
        free(u);
        return;
    }
    r->new_urls = grown;
    r->new_urls[r->n_new_urls++] = u;
    c->new_urls++;
}

static void page_archived(crawl_job *j, const url_record *r)
{
    crawl__keep_url_record(j->c, j->url, r);
    keep_new_url(j->c, j); /* an identical payload is still a new URL */
}

static void page_release(crawl_job *j)
{
    crawl_page_job *p = &j->page;
    fa_buf_free(&p->decoded);
    free(p->via);
    free(p->item_id);
    free(p->item_published);
    free(p->item_updated);
    free(p->item_title);
}

const crawl_job_ops crawl__page_ops = {
    .name = "page",
    .in_source = 1,
    .url_kind = URL_KIND_PAGE,
    .copy = page_copy,
    .hop = page_hop,
    .failed = page_failed,
    .unreachable = page_unreachable,
    .fetched = page_fetched,
    .archive = page_archive,
    .record = page_record,
    .archived = page_archived,
    .release = page_release,
};
