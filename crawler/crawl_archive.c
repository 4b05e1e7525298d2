/*
 * crawl_archive.c - the worker-thread side of a crawl: each exchange is
 * analysed (text extraction, shingles, the dedup index) and archived with
 * what was found - a metadata record of findings and a conversion record of
 * clean text beside the response, or a revisit for a known exact duplicate -
 * and the records a first run writes are sampled to train the zstd
 * dictionary later runs use.  Nothing here runs on the event loop.
 *
 * A document enters the dedup index only once its records are written:
 * dedup_examine finds what it repeats, the records are written, then
 * dedup_insert adds it (dedup_engine.h); a failed write leaves the index
 * without it.
 */
#include "crawler/crawl_internal.h"
#include "common/fa_alloc.h"
#include "common/fa_digest.h"
#include "common/fa_err.h"
#include "common/fa_log.h"
#include "common/fa_time.h"
#include "dedup/findings_record.h"
#include "metrics/metrics.h"
#include "storage/http_redact.h"
#include "storage/segment_dict.h"
#include "storage/warc_format.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <xxhash.h>

/* ---- archiving (worker threads) ---- */

int crawl__redact_request(crawl_job *j)
{
    const config *cfg = j->c->cfg;
    fa_buf *req = &j->t.request;
    if (cfg->http.n_redact_headers == 0 || req->len == 0) return 0;
    fa_buf out;
    /* "[redacted]" may be longer than the value it replaces */
    fa_buf_init(&out, req->len + 64 * (size_t)CONFIG_MAX_HEADERS);
    int rc = http_redact_headers(req->data, req->len, (const char *const *)cfg->http.redact_headers,
                                 cfg->http.n_redact_headers, &out);
    if (rc < 0) {
        fa_buf_free(&out);
        fa_buf_reset(req);
        return FA_ENOMEM;
    }
    if (rc > 0) {
        fa_buf_free(req);
        *req = out;
    } else {
        fa_buf_free(&out);
    }
    return 0;
}

/* "sha1:BASE32" of the payload, as WARC-Payload-Digest has it: the same
 * function as the writer's and the reader's (warc_format.h). */
static int payload_digest(const fetch_transfer *t, char out[40])
{
    uint8_t dg[20];
    int rc = warc_payload_digest_spool(&t->body, t->chunked, dg);
    if (rc < 0)
        return rc;
    fa_sha1_label(dg, out);
    return 0;
}

/* feedarc-copied-block lines at most per page (an aggregator's carried
 * paragraphs; past this, the rest of the page's copied blocks go unlisted) */
#define COPIED_BLOCK_LINES 64

/* Code points of s (the conversion text's unit for offsets). */
static size_t utf8_chars(const char *s)
{
    size_t n = 0;
    for (; *s; s++)
        n += ((unsigned char)*s & 0xC0) != 0x80;
    return n;
}

/* One feedarc-copied-block line (dedup/findings_record.h) per block of the
 * conversion text copied from another archived document: the code-point
 * range [start, end) of the block's own text (after its "[copied from URL] "
 * mark) in the conversion record, and the document it repeats. */
static void add_copied_blocks(fa_buf *b, const dedup_result *res)
{
    size_t pos = 0, lines = 0;
    for (size_t i = 0; i < res->n_blocks; i++) {
        const dedup_block *blk = &res->blocks[i];
        if (blk->boilerplate)
            continue;
        const dedup_finding *f = blk->copied_from >= 0 && (size_t)blk->copied_from < res->n_findings
                                     ? &res->findings[blk->copied_from]
                                     : NULL;
        if (f)
            pos += utf8_chars("[copied from ] ") + utf8_chars(f->url);
        size_t end = pos + utf8_chars(blk->text);
        if (f && lines++ < COPIED_BLOCK_LINES) {
            findings_copied_block cb = {
                .start = pos,
                .end = end,
                .url = f->url,
                .url_len = strlen(f->url),
                .record_id = f->record_id,
                .record_id_len = f->record_id ? strlen(f->record_id) : 0,
            };
            findings_copied_block_write(&cb, b);
        }
        pos = end + 1; /* the newline */
    }
}

/* A page analysed before it is archived: new text, or known?  The
 * findings go into a metadata record (dedup/findings_record.h) and the
 * clean main text into a conversion record, written with the response as
 * one group - or, for an exact duplicate, a revisit record instead of a
 * second full response. */
typedef struct findings_doc {
    fa_buf fb;              /* name\0value\0 pairs */
    warc_field fields[112]; /* findings (<= 32), copied blocks (<= 64), the rest */
    size_t nf;
    fa_buf text;            /* the main text, copied blocks marked */
    const dedup_finding *exact;
} findings_doc;

void crawl__note_charset(crawl *c, const fa_charset_decision *d, char *out, size_t outlen)
{
    if (outlen > 0) out[0] = '\0';
    if (d == NULL || d->name == NULL) return;
    fa_charset_describe(d, out, outlen);
    if (c->opt->metrics && d->how == FA_CHARSET_DETECTED)
        metrics_counter_add(c->opt->metrics->charset_detected, 1);
    if (c->opt->metrics && d->refused) metrics_counter_add(c->opt->metrics->charset_refused, 1);
}

/* encoding: what the metadata record says of the response's encoding, or
 * "" */
static void findings_build(crawl *c, const dedup_result *res, const char *doc_url, const char *via,
                           const char *item_id, const char *item_title, const char *encoding,
                           findings_doc *d)
{
    fa_buf *fb = &d->fb;
    fa_buf_init(fb, 1u << 20);
    d->exact = NULL;
    findings_ref refs[64];
    findings_record r = {
        .document = doc_url,
        .via = via,
        .item_id = item_id,
        .item_title = item_title,
        .encoding = encoding,
        .refs = refs,
        .main_chars = res->main_chars,
        .novel_chars = res->novel_chars,
        .boilerplate_chars = res->boilerplate_chars,
    };
    for (size_t i = 0; i < res->n_findings; i++) {
        const dedup_finding *f = &res->findings[i];
        if (f->kind < DEDUP_EXACT || f->kind > DEDUP_CONTAINED_IN)
            continue;
        if (f->kind == DEDUP_EXACT && f->record_id && f->record_id[0])
            d->exact = f;
        if (r.n_refs < sizeof refs / sizeof refs[0]) /* past 64 fields none is written */
            refs[r.n_refs++] = (findings_ref){
                .kind = FINDINGS_EXACT + (f->kind - DEDUP_EXACT),
                .url = f->url,
                .url_len = strlen(f->url),
                .record_id = f->record_id,
                .record_id_len = f->record_id ? strlen(f->record_id) : 0,
                .date_ns = f->date * 1000000000LL,
                .score = f->score,
            };
        atomic_fetch_add(&c->findings, 1); /* the metrics: crawl_observer.c */
    }
    findings_record_write(&r, fb);
    add_copied_blocks(fb, res);
    d->nf = 0;
    for (const char *p = fb->data; fb->data && p < fb->data + fb->len && d->nf < 112;) {
        d->fields[d->nf].name = p;
        p += strlen(p) + 1;
        d->fields[d->nf].value = p;
        p += strlen(p) + 1;
        d->nf++;
    }
    fa_buf_init(&d->text, 16u << 20);
    for (size_t i = 0; i < res->n_blocks; i++) {
        const dedup_block *b = &res->blocks[i];
        if (b->boilerplate)
            continue;
        if (b->copied_from >= 0 && (size_t)b->copied_from < res->n_findings)
            fa_buf_printf(&d->text, "[copied from %s] ", res->findings[b->copied_from].url);
        fa_buf_puts(&d->text, b->text);
        fa_buf_puts(&d->text, "\n");
    }
}

static void findings_free(findings_doc *d)
{
    fa_buf_free(&d->fb);
    fa_buf_free(&d->text);
}

/* The document res was examined for is archived: into the dedup index.
 * An index that cannot be written leaves the archive as it is; the first
 * failure is logged. */
static void index_archived(crawl *c, dedup_result *res, const char *url)
{
    int rc = dedup_insert(c->dedup, res);
    if (rc < 0 && atomic_exchange(&c->dedup_insert_failed, 1) == 0)
        fa_log_warn("dedup",
                    "%s archived but not added to the dedup index: %s (later failures "
                    "are not logged)",
                    url, fa_strerror(rc));
}

/* Feed items without a page: a metadata and a conversion record each, tied
 * to the feed's response (Concurrent-To / Refers-To). */
int crawl__archive_items(crawl_job *j)
{
    crawl *c = j->c;
    int rc = 0;
    for (const crawl_feed_item *it = j->feed.items; rc == 0 && it; it = it->next) {
        const char *doc = it->url, *id = it->id, *content = it->content;
        char meta_id[48], conv_id[48];
        segment_writer_new_record_id(meta_id);
        segment_writer_new_record_id(conv_id);
        dedup_input in = {
            .url = doc,
            .record_id = meta_id,
            .date = j->t.date_ns / 1000000000LL,
            .type = DEDUP_HTML_FRAGMENT,
            .content = content,
            .len = strlen(content),
        };
        dedup_result res;
        memset(&res, 0, sizeof res);
        if (dedup_examine(c->dedup, &in, &res) < 0) {
            dedup_result_free(&res);
            continue;
        }
        findings_doc fd;
        findings_build(c, &res, doc, j->url, id, NULL, j->feed.encoding, &fd);
        warc_record_spec specs[2] = {
            {.record_type = WARC_TYPE_METADATA,
             .record_id = meta_id,
             .target_uri = doc,
             .date_ns = j->t.date_ns,
             .concurrent_to = j->written.response_id,
             .fields = fd.fields,
             .n_fields = fd.nf},
            {.record_type = WARC_TYPE_CONVERSION,
             .record_id = conv_id,
             .target_uri = doc,
             .date_ns = j->t.date_ns,
             .refers_to = j->written.response_id,
             .block = fd.text.data ? fd.text.data : "",
             .block_len = fd.text.len},
        };
        rc = segment_writer_write_records(c->w, specs, fd.text.len ? 2 : 1, NULL);
        if (rc == 0) index_archived(c, &res, doc);
        findings_free(&fd);
        dedup_result_free(&res);
    }
    return rc;
}

/* Record ids written by this process lately (the state learns them a
 * batch later).  Bounded: past a million the set starts over - by then the
 * state holds the older ones. */
static void note_written(crawl *c, const char *record_id)
{
    pthread_mutex_lock(&c->written_lock);
    if (c->written_ids.count > 1000000)
        fa_hashset_free(&c->written_ids);
    fa_hashset_add(&c->written_ids, XXH3_64bits(record_id, strlen(record_id)));
    pthread_mutex_unlock(&c->written_lock);
}

static int recently_written(crawl *c, const char *record_id)
{
    if (record_id == NULL || record_id[0] == '\0')
        return 0;
    pthread_mutex_lock(&c->written_lock);
    int has = fa_hashset_has(&c->written_ids, XXH3_64bits(record_id, strlen(record_id)));
    pthread_mutex_unlock(&c->written_lock);
    return has;
}

int crawl__archive_with_findings(crawl_job *j, const warc_exchange *x)
{
    crawl *c = j->c;
    fetch_transfer *t = &j->t;
    char digest[40], resp_id[48], meta_id[48], conv_id[48];
    int rc = payload_digest(t, digest);
    if (rc < 0)
        return rc;
    segment_writer_new_record_id(resp_id);
    segment_writer_new_record_id(meta_id);
    segment_writer_new_record_id(conv_id);
    char charset[48];
    fa_charset_from_content_type(t->content_type, charset, sizeof charset);
    dedup_input in = {
        .url = j->url,
        .payload_digest = digest,
        .record_id = resp_id,
        .date = t->date_ns / 1000000000LL,
        .type = DEDUP_HTML_PAGE,
        .content = j->page.decoded.data,
        .len = j->page.decoded.len,
        .charset = charset,
    };
    dedup_result res;
    memset(&res, 0, sizeof res);
    rc = dedup_examine(c->dedup, &in, &res);
    if (rc < 0) {
        /* not analysable (a ceiling, bad markup): archive it plainly */
        dedup_result_free(&res);
        return segment_writer_write_exchange(c->w, x, &j->written);
    }
    /* An exact duplicate is written as a revisit only when the capture it
     * names is known to be in the archive: the finding may name a pending
     * document (another thread is still writing it, and may fail), or one
     * whose record a crash cut from a segment's unsynced tail.  Otherwise
     * the full response is kept. */
    for (size_t i = 0; i < res.n_findings; i++) {
        dedup_finding *f = &res.findings[i];
        url_record known;
        if (f->kind == DEDUP_EXACT && !recently_written(c, f->record_id) &&
            (crawl_state_get_url(c->st, f->url, &known) != 1 || !f->record_id ||
             strcmp(known.warc_record_id, f->record_id) != 0))
            f->kind = 0; /* not reported: it cannot be referred to */
    }
    char encoding[192];
    crawl__note_charset(c, &res.charset, encoding, sizeof encoding);
    findings_doc fd;
    findings_build(c, &res, j->url, j->page.via, j->page.item_id, j->page.item_title, encoding, &fd);
    const dedup_finding *exact = fd.exact;
    char refers_date[40] = "";
    warc_record_spec specs[3];
    memset(specs, 0, sizeof specs);
    if (exact) {
        fa_time_format_iso(exact->date * 1000000000LL, 0, refers_date, sizeof refers_date);
        specs[0] = (warc_record_spec){
            .record_type = WARC_TYPE_REVISIT,
            .record_id = resp_id,
            .target_uri = j->url,
            .date_ns = t->date_ns,
            .ip_address = x->ip_address,
            .refers_to = exact->record_id,
            .refers_to_target_uri = exact->url,
            .refers_to_date = refers_date,
            .profile = WARC_PROFILE_IDENTICAL,
            .payload_digest = digest,
            .block = x->response_head,
            .block_len = x->response_head_len,
        };
    } else {
        specs[0] = (warc_record_spec){
            .record_type = WARC_TYPE_RESPONSE, .exchange = x, .record_id = resp_id};
    }
    specs[1] = (warc_record_spec){
        .record_type = WARC_TYPE_METADATA,
        .record_id = meta_id,
        .target_uri = j->url,
        .date_ns = t->date_ns,
        .concurrent_to = resp_id,
        .fields = fd.fields,
        .n_fields = fd.nf,
    };
    specs[2] = (warc_record_spec){
        .record_type = WARC_TYPE_CONVERSION,
        .record_id = conv_id,
        .target_uri = j->url,
        .date_ns = t->date_ns,
        .refers_to = resp_id,
        .block = fd.text.data ? fd.text.data : "",
        .block_len = fd.text.len,
    };
    warc_written outs[3];
    rc = segment_writer_write_records(c->w, specs, fd.text.len ? 3 : 2, outs);
    if (rc == 0) {
        note_written(c, resp_id);
        index_archived(c, &res, j->url);
        j->written = outs[0];
        j->dedup_records = fd.text.len ? 2 : 1;
        j->exact_dup = exact != NULL;
    }
    findings_free(&fd);
    dedup_result_free(&res);
    return rc;
}

#define DICT_SIZE (256u << 10) /* a later run's; the first run's is 112 KiB */

/* storage.dictionary: "none", a file, or "auto" - the dictionary trained
 * on an earlier run (state kv "dictionary"), or none yet and sampling on. */
void crawl__pick_dictionary(crawl *c)
{
    const char *how = c->cfg->storage.dictionary ? c->cfg->storage.dictionary : "auto";
    char path[4096] = "", err[256] = "";
    if (strcmp(how, "none") == 0)
        return;
    if (strcmp(how, "auto") != 0)
        snprintf(path, sizeof path, "%s", how);
    else if (crawl_state_get_kv(c->st, "dictionary", path, sizeof path) != 1)
        path[0] = '\0';
    if (path[0] && segment_dict_load(path, &c->dict, &c->dict_len, err, sizeof err) < 0) {
        fa_log_warn("warc", "dictionary %s not used: %s", path, err);
        c->dict = NULL;
    }
    if (c->dict == NULL && strcmp(how, "auto") == 0)
        c->sampling = 1; /* the writer trains one early (segment_writer_options) */
}

/* After a run that sampled: train on the records the writer sampled over
 * the whole run, keep it in the state folder, and use it from the next run
 * on (segments carry their dictionary).  The training (~0.08 s of one core
 * on the bench's 4,100 pages, 30 ms of it giving pages back) runs on its
 * own thread from the last page archived on, while the loop and then the
 * main thread close the run: before, it stood alone between the last page
 * and the exit (docs/BENCHMARKS.md, "Session 15"). */
static void train_dictionary_thread(void *arg)
{
    crawl_dict_training *t = arg;
    segment_samples s;
    void *d = NULL;
    /* The crawl's buffers are freed by now, but held by the threads' malloc
     * arenas; training needs a few MB more (zstd's tables: the samples are
     * trained on where the sampler kept them): give the free pages back
     * first, so that the process's peak stays the crawl's, not the crawl's
     * plus the training's (without it +4-5 MiB on bench_crawl.sh's compact
     * pages, for 30 ms less between the last page and the exit). */
    fa_alloc_give_back();
    t->rc = segment_writer_take_samples(t->w, &s);
    t->w = NULL;
    /* post_taken is set before the thread starts: `threaded` is written
     * by the starter after uv_thread_create returns, which may be after
     * this line (a run that hung in _wait_taken, test_cluster_crawl) */
    if (t->post_taken) uv_sem_post(&t->taken);
    if (t->rc == 0) t->rc = segment_samples_train(&s, DICT_SIZE, &d, &t->len);
    segment_samples_free(&s);
    if (t->rc == 0) t->rc = segment_dict_save(t->dir, d, t->len, t->mode, t->path);
    free(d);
}

void crawl__train_dictionary_start(crawl *c, crawl_dict_training *t, int here_too)
{
    if (t->started) return;
    memset(t, 0, sizeof *t);
    if (!c->sampling || c->w == NULL) return;
    t->w = c->w;
    t->mode = c->cfg->storage.file_mode;
    snprintf(t->dir, sizeof t->dir, "%s/dictionaries", c->cfg->storage.state_dir);
    t->started = 1;
    if (uv_sem_init(&t->taken, 0) == 0) {
        t->post_taken = 1;
        t->threaded = uv_thread_create(&t->thread, train_dictionary_thread, t) == 0;
        if (!t->threaded) {
            t->post_taken = 0;
            uv_sem_destroy(&t->taken);
        }
    }
    if (t->threaded) return;
    if (here_too) {
        train_dictionary_thread(t); /* no thread: here and now */
    } else {
        t->started = 0; /* not on this thread (the loop's): the run's close trains */
        t->w = NULL;
    }
}

void crawl__train_dictionary_wait_taken(crawl_dict_training *t)
{
    if (!t->threaded || t->taken_seen) return;
    uv_sem_wait(&t->taken);
    t->taken_seen = 1;
}

void crawl__train_dictionary_finish(crawl *c, crawl_dict_training *t, int record)
{
    if (!t->started) return;
    if (t->threaded) {
        uv_thread_join(&t->thread);
        uv_sem_destroy(&t->taken);
    }
    t->started = t->threaded = 0;
    if (t->rc == FA_EINVAL) return; /* fewer than 100 records: too few to learn from */
    if (t->rc == 0 && !record) {
        unlink(t->path); /* the run's state was not saved: neither is its dictionary */
        return;
    }
    if (t->rc == 0 && crawl_state_put_kv(c->st, "dictionary", t->path) == 0)
        fa_log_info("warc",
                    "trained a %zu-byte zstd dictionary on the run's records: %s (used "
                    "from the next run)",
                    t->len, t->path);
    else
        fa_log_warn("warc", "no dictionary trained: %s", fa_strerror(t->rc ? t->rc : FA_EIO));
}

