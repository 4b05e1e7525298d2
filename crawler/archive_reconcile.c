/* archive_reconcile.c - recover .open segments and teach the state what
 * the archive holds; see archive_reconcile.h. */
#include "crawler/archive_reconcile.h"
#include "common/fa_err.h"
#include "common/fa_log.h"
#include "common/fa_time.h"
#include "crawler/state_batch.h"
#include "storage/segment_recover.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct ctx {
    crawl_state *st;
    const char *dir;
    reconcile_result *res;
    char *err;
    size_t errlen;
    char newest[256]; /* the last segment scanned */
} ctx;

static int on_response(void *ud, const segment_response_info *info)
{
    ctx *x = ud;
    x->res->responses_seen++;
    if (strlen(info->target_uri) >= CRAWL_STATE_URL_MAX)
        return 0;
    url_record r;
    int found = crawl_state_get_url(x->st, info->target_uri, &r);
    if (found < 0)
        return found;
    if (found == 1) {
        if (strcmp(r.warc_record_id, info->record_id) == 0)
            return 0; /* known */
        int cmp = strcmp(r.warc_segment, info->segment);
        if (cmp > 0 || (cmp == 0 && r.warc_offset > info->offset))
            return 0; /* the state knows a newer capture */
    } else {
        memset(&r, 0, sizeof r);
        r.kind = URL_KIND_PAGE;
    }
    /* status from "HTTP/1.1 200 OK" */
    const char *sp = memchr(info->http_head, ' ', info->http_head_len);
    r.http_status = sp ? atoi(sp + 1) : 0;
    int64_t t = 0;
    if (fa_time_parse_rfc3339(info->warc_date, &t) == 0)
        r.last_fetch_ns = t;
    r.etag[0] = r.last_modified[0] = '\0'; /* see the header: no validators */
    snprintf(r.payload_digest, sizeof r.payload_digest, "%s", info->payload_digest);
    snprintf(r.warc_record_id, sizeof r.warc_record_id, "%s", info->record_id);
    snprintf(r.warc_segment, sizeof r.warc_segment, "%s", info->segment);
    r.warc_offset = info->offset;
    r.warc_length = info->length;
    r.fetch_count++;
    int rc = crawl_state_put_url(x->st, info->target_uri, &r);
    if (rc == 0)
        x->res->records_added++;
    return rc;
}

static int scan_segment(void *ud, const char *name)
{
    ctx *x = ud;
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", x->dir, name);
    int rc = segment_scan_responses(path, on_response, x, x->err, x->errlen);
    if (rc == 0 && strcmp(name, x->newest) > 0 && strlen(name) < sizeof x->newest)
        strcpy(x->newest, name);
    return rc;
}

int archive_reconcile(const char *archive_dir, crawl_state *st, reconcile_result *out, char *err,
                      size_t errlen)
{
    return archive_reconcile_key(archive_dir, st, STATE_BATCH_KV_LAST_SEGMENT, out, err, errlen);
}

int archive_reconcile_key(const char *archive_dir, crawl_state *st, const char *key,
                          reconcile_result *out, char *err, size_t errlen)
{
    memset(out, 0, sizeof *out);
    ctx x = {.st = st, .dir = archive_dir, .res = out, .err = err, .errlen = errlen};
    char last[256] = "";
    int have_last = crawl_state_get_kv(st, key, last, sizeof last) == 1;
    /* 0. Where step 2 reads from: the state's mark, moved back (committed
     * before any file changes) to the oldest .open segment - so a kill
     * during step 1, after a segment's rename, leaves a mark that finds it
     * again.  Without a mark and without .open segments (a new state
     * beside an old archive) nothing is read: that is a reset. */
    char oldest[256];
    int rc = segment_oldest_open(archive_dir, oldest, sizeof oldest);
    if (rc < 0)
        goto fail;
    if (rc == 1 && (!have_last || strcmp(oldest, last) < 0)) {
        rc = crawl_state_put_kv(st, key, oldest);
        if (rc < 0)
            goto fail_state;
        snprintf(last, sizeof last, "%s", oldest);
        have_last = 1;
    }
    /* 1. Make every .open segment whole and closed (truncate, fsync,
     * rename, index); files only. */
    rc = segment_recover_dir(archive_dir, NULL, &x, err, errlen);
    if (rc < 0)
        goto fail;
    out->segments_recovered = (unsigned)rc;
    if (getenv("FEEDARC_TEST_KILL_IN_RECONCILE")) /* fault injection: test_reconcile */
        raise(SIGKILL);
    /* 2. Read every segment from the mark on and record the responses the
     * state lacks, in one transaction that also moves the mark to the
     * newest segment read.  Idempotent: killed before the commit, the next
     * start does it again. */
    rc = crawl_state_begin(st);
    if (rc < 0)
        goto fail_state;
    if (have_last) {
        rc = segment_list_from(archive_dir, last, scan_segment, &x);
        if (rc < 0)
            goto fail;
        if (x.newest[0] && strcmp(x.newest, last) > 0) {
            rc = crawl_state_put_kv(st, key, x.newest);
            if (rc < 0)
                goto fail_state;
        }
    }
    rc = crawl_state_commit(st);
    if (rc < 0)
        goto fail_state;
    if (out->segments_recovered || out->records_added)
        fa_log_info("state", "archive reconciled: %u segment(s) recovered, %llu response(s) "
                             "added to the state",
                    out->segments_recovered, (unsigned long long)out->records_added);
    return 0;
fail_state:
    snprintf(err, errlen, "reconciling the state: %s", crawl_state_errmsg(st));
fail:
    if (crawl_state_in_transaction(st))
        crawl_state_rollback(st);
    if (err[0] == '\0')
        snprintf(err, errlen, "reconciling the archive: %s", fa_strerror(rc));
    return rc;
}
