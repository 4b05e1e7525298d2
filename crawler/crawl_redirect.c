/*
 * crawl_redirect.c - redirects of feed and page jobs, and 304 answers.
 *
 * A redirect (301, 302, 303, 307, 308 with a Location) is archived as it
 * came, and its target becomes a new job of the same kind, one hop
 * further, up to http.max_redirects hops; what of the job the hop keeps is
 * its kind's business (crawl_job_ops.hop: a feed keeps how it is read, a
 * page keeps the feed that listed it and is not fetched twice in a run).
 * robots.txt redirects decide for the host they started from and are
 * followed in crawl_robots.c.
 *
 * A 304 (Not Modified) to a conditional request archives nothing new: the
 * url record is updated (fetch count, status), or, with
 * storage.revisit_not_modified, a revisit record referring to the capture
 * the state knows is archived.
 *
 * Threads: loop thread only.
 */
#include "crawler/crawl_internal.h"
#include "common/fa_err.h"
#include "crawler/url.h"

#include <stdlib.h>

int crawl__is_redirect(long status)
{
    return status == 301 || status == 302 || status == 303 || status == 307 || status == 308;
}

void crawl__follow_redirect(crawl *c, crawl_job *j)
{
    fetch_transfer *t = &j->t;
    if (!crawl__is_redirect(t->status) || !t->location[0] || c->stopping) return;
    if (j->redirects >= c->cfg->http.max_redirects) {
        crawl__source_fail(c, j->source, "%s: more than %u redirects", j->url,
                           c->cfg->http.max_redirects);
        if (j->ops->failed) j->ops->failed(j);
        return;
    }
    char *next = NULL;
    if (url_resolve(j->url, t->location, &next) < 0) {
        crawl__source_fail(c, j->source, "%s: redirect to an unusable URL: %.200s", j->url,
                           t->location);
        if (j->ops->failed) j->ops->failed(j);
        return;
    }
    c->sum->redirects++;
    crawl_job *hop;
    if (crawl__job_new_url(c, next, j->ops, j->source, &hop) < 0) return;
    hop->redirects = j->redirects + 1;
    int rc = j->ops->hop ? j->ops->hop(hop, j) : 0;
    if (rc != 0) { /* 1: already queued or archived this run */
        crawl__job_free(hop);
        return;
    }
    crawl__job_admit(c, hop);
}

enum crawl_job_next crawl__not_modified(crawl_job *j)
{
    crawl *c = j->c;
    c->sum->not_modified++;
    if (c->cfg->storage.revisit_not_modified && j->known && j->prev->warc_record_id[0]) {
        j->revisit = 1;
        return CRAWL_JOB_ARCHIVE;
    }
    url_record rec;
    crawl__job_record(j, &rec);
    crawl__keep_url_record(c, j->url, &rec);
    return CRAWL_JOB_END;
}
