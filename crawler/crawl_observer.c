/*
 * crawl_observer.c - what storage/ and dedup/ report (common/fa_observer.h)
 * becomes the crawl's metrics (metrics/metrics.h, docs/OPERATIONS.md):
 *
 *   segment closed         feedarc_segments_closed_total
 *   record written, type   feedarc_warc_records_total{type}
 *   finding made, kind     feedarc_dedup_findings_total{kind}
 *
 * The callbacks run on whichever thread wrote or analysed (a worker thread,
 * or the loop thread at set-up and shutdown), some under the segment
 * writer's lock: they only do atomic adds.
 *
 * Every record the segment writer writes is counted here, by type, when
 * it is written (feed items' metadata and conversion records included).
 */
#include "crawler/crawl_internal.h"
#include "metrics/metrics.h"
#include "storage/warc_format.h"

/* warc_type -> feedarc_warc_records_total's series; -1: none. */
static int record_series(int type)
{
    switch (type) {
    case WARC_TYPE_WARCINFO:
        return METRICS_RECORD_WARCINFO;
    case WARC_TYPE_REQUEST:
        return METRICS_RECORD_REQUEST;
    case WARC_TYPE_RESPONSE:
        return METRICS_RECORD_RESPONSE;
    case WARC_TYPE_REVISIT:
        return METRICS_RECORD_REVISIT;
    case WARC_TYPE_METADATA:
        return METRICS_RECORD_METADATA;
    case WARC_TYPE_CONVERSION:
        return METRICS_RECORD_CONVERSION;
    default:
        return -1;
    }
}

static void on_segment_closed(void *ud, const char *name, uint64_t bytes)
{
    feedarc_metrics *m = ud;
    (void)name;
    (void)bytes;
    metrics_counter_add(m->segments_closed, 1);
}

static void on_record_written(void *ud, int type, uint64_t bytes)
{
    feedarc_metrics *m = ud;
    int series = record_series(type);
    (void)bytes; /* feedarc_written_bytes_total comes from the writer's stats */
    if (series >= 0) metrics_counter_add(m->records[series], 1);
}

static void on_finding_made(void *ud, int kind)
{
    feedarc_metrics *m = ud;
    int series;
    switch (kind) {
    case DEDUP_EXACT:
        series = METRICS_DEDUP_EXACT;
        break;
    case DEDUP_NEAR:
        series = METRICS_DEDUP_NEAR;
        break;
    case DEDUP_CONTAINS:
    case DEDUP_CONTAINED_IN:
        series = METRICS_DEDUP_CONTAINMENT;
        break;
    case 0:
        series = METRICS_DEDUP_BOILERPLATE;
        break;
    default:
        return;
    }
    metrics_counter_add(m->dedup_findings[series], 1);
}

const fa_observer *crawl__observer(crawl *c)
{
    feedarc_metrics *m = c->opt ? c->opt->metrics : NULL;
    if (m == NULL) return NULL;
    c->observer = (fa_observer){
        .ud = m,
        .segment_closed = on_segment_closed,
        .record_written = on_record_written,
        .finding_made = on_finding_made,
    };
    return &c->observer;
}
