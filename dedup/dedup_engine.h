/*
 * dedup_engine.h - what is new in a document: the findings engine.
 *
 * For each document (an HTML page, a feed item's HTML content, a WordPress
 * REST post, or plain text) one call extracts its main text, drops the
 * host's learned boilerplate, shingles and sketches it, looks it up in the
 * index and adds it there (dedup_analyze), and reports:
 *
 *   DEDUP_EXACT        the same payload digest as an earlier document;
 *   DEDUP_NEAR         the same story lightly edited: resemblance of the
 *                      main texts >= near_threshold (every such earlier
 *                      document among the candidates, the earliest first);
 *   DEDUP_CONTAINS     this document carries the whole text of an earlier
 *                      one (containment >= containment_threshold);
 *   DEDUP_CONTAINED_IN this document's text is carried by an earlier one;
 *   and, per block, learned boilerplate and copies (blocks found in a
 *   matched document, marked with the finding they came from).
 *
 * Containment is found whichever document came first: both directions are
 * estimated from the same consistent-sample sketches (signature.h).
 *
 * Documents and aliases: a feed item and the page at its link are ONE
 * document.  Pass the same alias (the canonical item link,
 * dedup_canonical_url of it) with both; the second joins the first's group
 * and is never reported as a duplicate of it.  Findings name other groups'
 * documents only.
 *
 * Archiving first, indexing after: a caller that writes the document
 * somewhere (the crawler: a WARC record) calls dedup_examine, which reports
 * the same findings without adding the document, writes it, and then calls
 * dedup_insert - or, when the write failed, only dedup_result_free, and the
 * index never held the document.  Between the two the document is pending:
 * other examinations and analyses already find it (its findings name it
 * with doc UINT32_MAX), so two copies examined at once still find each
 * other.
 *
 * Threads: dedup_analyze, dedup_examine and dedup_insert may be called
 * concurrently from any number of threads on one engine.  Extraction,
 * normalisation and shingling run in the calling thread without a lock;
 * the lookup (against the index and the pending documents) and the insert
 * run under the engine's mutex (tens of microseconds), so of two
 * near-duplicates analysed or examined at the same time exactly one is
 * reported as the copy.  Do not call from the event-loop thread: queue it
 * to a worker (uv_queue_work).
 *
 * Persistence: the index lives in one folder (dedup_index_file.c); a kill -9
 * never corrupts it (the torn tail is cut at the next open).  In a cluster
 * (docs/SCALING.md) it lives in Redis instead (dedup_index_redis.c, texts
 * included), shared by every node: dedup_engine_open_redis.
 */
#ifndef DEDUP_ENGINE_H
#define DEDUP_ENGINE_H

#include "common/fa_observer.h"
#include "dedup/dedup_index.h"
#include "dedup/text_extract.h"

#include <stddef.h>
#include <stdint.h>

#define DEDUP_DEFAULT_SHINGLE_N 4
#define DEDUP_DEFAULT_SAMPLE_RATE 4
#define DEDUP_DEFAULT_NEAR 0.5
#define DEDUP_DEFAULT_CONTAINMENT 0.85
#define DEDUP_DEFAULT_NOVEL_SHARE 0.3
/* confirmation on the stored main texts (align.h; docs/DEDUP.md has the curves) */
#define DEDUP_DEFAULT_CANDIDATE_FLOOR 0.4
#define DEDUP_DEFAULT_SENTENCE_MIN 0.5
#define DEDUP_DEFAULT_SENTENCE_MIN_CHARS 0.7
#define DEDUP_DEFAULT_CANDIDATE_FLOOR_CHARS 0.55
/* a pair whose smaller sketch has fewer than DEDUP_SHORT_SKETCH values (a
 * story of 2-3 paragraphs) and whose larger is at most DEDUP_SHORT_PAIR_RATIO
 * times it (a short story's copy with a lede and added sentences is 1.3-2.7
 * times the story; a short page of a site's stock paragraphs inside its long
 * pages is no short pair) is measured on so few values that its estimate
 * strays far, and costs little to align: lower floors for texts of
 * characters (Han/Kana; Hangul) */
#define DEDUP_SHORT_SKETCH 80
#define DEDUP_SHORT_PAIR_RATIO 3
#define DEDUP_DEFAULT_CANDIDATE_FLOOR_SHORT 0.4
#define DEDUP_DEFAULT_CANDIDATE_FLOOR_HANGUL 0.3
/* a Han/Kana short pair also needs this sketch resemblance (0.25 until the
 * thirty-third round; docs/DEDUP.md) */
#define DEDUP_DEFAULT_SHORT_PAIR_RES 0.15
#define DEDUP_DEFAULT_STOCK_SENTENCES 3
#define DEDUP_DEFAULT_SENTENCE_MIN_HANGUL 0.6
#define DEDUP_DEFAULT_CONTAINER_RATIO 1.3
#define DEDUP_DEFAULT_CONFIRM_NEAR 0.5
#define DEDUP_DEFAULT_CONFIRM_NEAR_SAME_HEAD 0.3
#define DEDUP_DEFAULT_CONFIRM_NEAR_CHARS 0.3
#define DEDUP_DEFAULT_CONFIRM_NEAR_COPY 0.35
#define DEDUP_DEFAULT_CONFIRM_CONTAINMENT 0.7
#define DEDUP_DEFAULT_CONFIRM_NOVEL_SHARE 0.4
#define DEDUP_DEFAULT_CONFIRM_CARRIED 0.5

/* One candidate as the engine judged it (dedup_options.trace). */
typedef struct dedup_trace {
    uint32_t other;                    /* the candidate's doc id */
    uint32_t sketch_n, other_sketch_n; /* sketch sizes */
    double sketch_res;                 /* sketch resemblance */
    double sketch_other_in_me;         /* sketch containments */
    double sketch_me_in_other;
    int confirmed;                   /* 1: the shares below are aligned ones */
    double other_in_me, me_in_other; /* aligned shares (or the sketch's) */
    double blk_other_in_me, blk_me_in_other;
    int same_head;
    int kind;                               /* the decision: 0 none, or a dedup_finding_kind */
    uint64_t tokens_me, tokens_other;       /* confirmed: the aligned texts' tokens */
    uint32_t lay_me[4], lay_other[4];       /* confirmed: align_own_layout (lead, inner,
                                               trail, found blocks) of each text */
    uint32_t sentences_me, sentences_other; /* confirmed: the texts' sentences */
    uint32_t span_me, span_other;           /* confirmed, when a share lies between confirm_carried
                                               and confirm_containment (or above it, for a text of
                                               characters in a page 1.3 times its size):
                                               align_found_run of that text in the other (0: not
                                               measured) */
    double whole_me, whole_other;
    uint32_t edges_me[3], edges_other[3]; /* confirmed: align_layout's lead_edge,
                                              inner_touched, trail_edge of each text */
    /* confirmed, for diagnostics (0 when not measured): the rest of each
     * text's align_run in the other - span_core, inversions, matched,
     * stretch, then win and win_whole (x1000) and win_inversions - its
     * run's block edge, the container's run lead, the pair shares and
     * the close shares (x1000) */
    uint32_t run_me[7], run_other[7];
    int edge_me, edge_other;
    uint32_t run_lead_me, run_lead_other;
    double pair_me, pair_other, close_me, close_other;
    int over_cap, weak, sub, shared_paragraphs;
} dedup_trace;

typedef struct dedup_options {
    unsigned shingle_n;            /* new index only; 0 = DEDUP_DEFAULT_SHINGLE_N */
    unsigned sample_rate;          /* new index only, power of two; 0 = default */
    uint64_t seed;                 /* new index only; shingle hash seed */
    double near_threshold;         /* 0 = DEDUP_DEFAULT_NEAR */
    double containment_threshold;  /* 0 = DEDUP_DEFAULT_CONTAINMENT */
    double novel_share;            /* a container must have at least this share of text
                                      of its own beyond the carried document, else the
                                      pair is the same story (near); 0 = 0.3 */
    unsigned boilerplate_min_docs; /* a block in >= this many documents of a host is
                                      template; 0 = 3 */
    unsigned min_sketch;           /* fewer sample values: too short to judge; 0 = 4 */
    unsigned max_sketch;           /* sketch values kept at most; 0 = 4096 */
    int sync_every_insert;         /* fdatasync per document (default off) */
    int dry_run;                   /* look up only, never insert (nothing is pending) */
    /* Confirmation: dedup_engine_open keeps each document's normalised main
     * text (text_store.h) and judges every candidate the sketch puts within
     * reach on the whole texts, by sentence alignment (align.h). */
    int no_confirm;                 /* 1: sketches only, no text kept (the former engine) */
    double candidate_floor;         /* confirm when the sketch's resemblance or either
                                       containment reaches this; 0 = 0.4 */
    double sentence_min;            /* a sentence is found when this share of its trigrams
                                       is in the other text; 0 = 0.5 */
    double candidate_floor_chars;   /* the floor for texts mostly of Han/Kana characters,
                                       whose sketches share more by chance; 0 = 0.55 */
    double candidate_floor_short;   /* the floor for a short pair (DEDUP_SHORT_SKETCH) of
                                       texts mostly of Han/Kana characters; 0 = 0.4 */
    double candidate_floor_hangul;  /* the same for texts mostly of Hangul syllables (a
                                       long pair's floor: candidate_floor); 0 = 0.3 */
    double short_pair_res;          /* Han/Kana: a short pair also needs this sketch
                                       resemblance; 0 = 0.15 */
    double sentence_min_chars;      /* the same for sentences of Han/Kana characters
                                       (character trigrams); 0 = 0.7 */
    unsigned stock_sentences;       /* character trigrams in this many sentences of either
                                       text are the pair's stock phrases, not counted;
                                       0 = 3 */
    double sentence_min_hangul;     /* the same for sentences of Hangul syllables (syllable
                                       trigrams, stock phrases left out); 0 = 0.6 */
    double confirm_container_ratio; /* a container has at least this many times the
                                      tokens of what it carries; 0 = 1.3 */
    double confirm_near;            /* near: both aligned shares >= this; 0 = 0.5 */
    double confirm_near_same_head;  /* near when the first blocks (headlines) match both
                                       ways and both shares >= this; 0 = 0.3 */
    double confirm_near_chars;      /* texts of characters (Han/Kana, Hangul): near also
                                       when one share >= confirm_containment (yet not a
                                       container) and the other >= this; 0 = 0.3 */
    double confirm_near_copy;       /* near also when neither text has more than two
                                       blocks of its own beside the other (both are
                                       shaped as edited copies) and both shares >= this;
                                       0 = 0.35 */
    double confirm_containment;     /* contains: the other's aligned share >= this; 0 = 0.7 */
    double confirm_novel_share;     /* ... and this share of the container's own text is not
                                       in the other (and that text is not only its end:
                                       align_own_layout); 0 = 0.4 */
    double confirm_carried;         /* contains, below confirm_containment: the other's
                                       share >= this when the other is carried whole as
                                       one run - at most two blocks of it not found and
                                       fewer than found, its found sentences (the
                                       farthest aside) within as many of this text's
                                       sentences as it has and in its order (one
                                       inversion), and 0.45 of it in sentences found
                                       almost whole (align_found_run); 0 = 0.5,
                                       >= confirm_containment: off */
    text_extract_options extract;   /* ceilings for extraction */
    /* Instrumentation (benches): called under the engine's lock for every
     * candidate verified, whatever was decided; NULL = none. */
    void (*trace)(void *ud, const dedup_trace *t);
    void *trace_ud;
    /* Tests: called between a document's presearch (its candidates read and
     * measured) and its lookup, without the engine's lock, so that another
     * document can be analysed in between; NULL = none. */
    void (*between)(void *ud);
    void *between_ud;
    const fa_observer *observer; /* hears finding_made for each finding of a
                                    document analysed without error (and kind 0
                                    when boilerplate was found in it); copied at
                                    open; NULL = nobody */
} dedup_options;

enum dedup_content_type {
    DEDUP_HTML_PAGE = 0,     /* a whole page: template removed */
    DEDUP_HTML_FRAGMENT = 1, /* feed item content/description, content.rendered */
    DEDUP_WP_JSON = 2,       /* one WordPress REST post object (JSON) */
    DEDUP_PLAIN_TEXT = 3     /* paragraphs separated by blank lines */
};

typedef struct dedup_input {
    const char *url;            /* as the source gave it (required) */
    const char *host;           /* boilerplate is learned per host; NULL = from url */
    const char *alias;          /* joins a feed item and its page; NULL = none */
    const char *payload_digest; /* "sha1:BASE32" of the payload, or NULL */
    const char *record_id;      /* WARC-Record-ID of the response, or NULL */
    int64_t date;               /* fetch date (Unix seconds): "earliest" is by date, then order */
    enum dedup_content_type type;
    const char *content;
    size_t len;
    const char *charset; /* DEDUP_HTML_PAGE: the Content-Type charset label, or NULL */
} dedup_input;

enum dedup_finding_kind {
    DEDUP_EXACT = 1,
    DEDUP_NEAR = 2,
    DEDUP_CONTAINS = 3,
    DEDUP_CONTAINED_IN = 4
};

/* "exact", "near", "contains", "contained_in". */
const char *dedup_finding_name(enum dedup_finding_kind k);

typedef struct dedup_finding {
    enum dedup_finding_kind kind;
    uint32_t doc; /* the other document's id; UINT32_MAX: a pending one (dedup_examine) */
    char *url;    /* its URL, record id (may be ""), date */
    char *record_id;
    int64_t date;
    double score;       /* exact: 1; near: resemblance (confirmed: the smaller of the two
                           aligned shares); contains: share of the other's text found here;
                           contained_in: share of this text found there */
    double resemblance; /* the sketch's estimate */
} dedup_finding;

typedef struct dedup_block {
    const char *text; /* display text (owned by the result) */
    uint32_t chars;
    uint8_t boilerplate; /* 1: template (extractor or learned), not in the main text */
    uint8_t learned;     /* 1: judged boilerplate by the host's counts */
    int copied_from;     /* index into findings, or -1 */
} dedup_block;

typedef struct dedup_result {
    uint32_t doc;   /* this document's id (UINT32_MAX when not inserted) */
    uint32_t group; /* its logical document (alias group) */
    dedup_finding *findings;
    size_t n_findings;
    dedup_block *blocks;
    size_t n_blocks;
    char *main_text; /* content blocks (boilerplate removed), one per line */
    size_t main_chars, novel_chars, boilerplate_chars;
    uint32_t shingles, sketch_n;
    fa_charset_decision charset; /* the content's encoding and how it was decided */
    /* private */
    void *priv_;
} dedup_result;

typedef struct dedup_engine dedup_engine;

/* Opens the engine on folder dir (which must exist; the index file is
 * created there).  opt may be NULL.  Returns 0 and *out, or what
 * dedup_file_index_open returns. */
int dedup_engine_open(const char *dir, const dedup_options *opt, dedup_engine **out);

/* Opens the engine on an index of your own (ownership passes to the engine,
 * also on error). */
int dedup_engine_open_index(dedup_index *ix, const dedup_options *opt, dedup_engine **out);

/* Opens the engine on the Redis index shared by a cluster's nodes
 * (dedup_redis_index_open: ro says where; new index parameters from opt as
 * for dedup_engine_open), main texts kept in Redis too unless
 * opt->no_confirm.  Findings can name documents other nodes inserted.
 * Returns 0 and *out, FA_EINVAL (bad options; err says why), FA_EIO (Redis
 * unreachable or refusing), FA_ENOMEM. */
int dedup_engine_open_redis(const dedup_redis_index_options *ro, const dedup_options *opt,
                            dedup_engine **out, char *err, size_t errlen);

/* Analyses one document: extract, shingle, look up, insert (in one
 * critical section).  *out is filled (free with dedup_result_free, also
 * after an error).  Returns 0, FA_EINVAL (no url/content), FA_ETOOBIG (a
 * ceiling), FA_EPARSE (bad JSON), FA_EIO (writing the index), FA_ENOMEM. */
int dedup_analyze(dedup_engine *eng, const dedup_input *in, dedup_result *out);

/* The same findings as dedup_analyze, without changing the index: on
 * success the document is pending (found by other threads' lookups) until
 * dedup_insert adds it or dedup_result_free drops it - call one of them
 * soon, and both before dedup_engine_close.  out->doc stays UINT32_MAX.
 * Returns as dedup_analyze, but never FA_EIO. */
int dedup_examine(dedup_engine *eng, const dedup_input *in, dedup_result *out);

/* Adds the document res was examined for (dedup_examine) to the index,
 * after the caller archived it; sets res->doc and res->group.  res is
 * still freed with dedup_result_free.  Returns 0 (also with dry_run, which
 * adds nothing), FA_EINVAL (res is not a pending examination of eng: the
 * examination failed or it was inserted already), FA_EIO (writing the
 * index; the document is then not pending either), FA_ENOMEM. */
int dedup_insert(dedup_engine *eng, dedup_result *res);

/* The brief's one-liner for a whole HTML page (no alias, no record id). */
int dedup_document_analyze(dedup_engine *eng, const char *url, const char *host,
                           const char *payload_digest, const char *html, size_t len, int64_t date,
                           dedup_result *out);

/* The latest document inserted under url's canonical form (or an alias
 * equal to it; pending documents are not looked at): 0 with *doc, url and
 * record id copied into the buffers (may be NULL), or FA_ENOENT.  Lets the
 * crawler recognise a tracking-parameter or /amp/ variant without fetching
 * it. */
int dedup_engine_lookup_url(dedup_engine *eng, const char *url, uint32_t *doc, char *url_out,
                            size_t url_len, char *record_id_out, size_t record_id_len);

/* The engine's index, for its counters (dedup_redis_index_stats). */
dedup_index *dedup_engine_index(dedup_engine *eng);

/* Documents in the index; RAM held by its tables. */
uint32_t dedup_engine_count(dedup_engine *eng);
size_t dedup_engine_memory(dedup_engine *eng);

/* fsyncs the index. */
int dedup_engine_sync(dedup_engine *eng);

/* Closes (and syncs).  Documents still pending are dropped.  NULL is
 * accepted. */
void dedup_engine_close(dedup_engine *eng);

/* Frees a result; a pending document (examined, not inserted) is dropped
 * from its engine.  NULL is accepted. */
void dedup_result_free(dedup_result *r);

/* Canonical form of a URL for identity: scheme and host lower-cased,
 * default port and fragment dropped, tracking parameters (utm_*, fbclid,
 * gclid, dclid, msclkid, mc_cid, mc_eid, igshid, yclid, _ga, _gl, ocid,
 * cmpid, smid, ref_src, at_medium, at_campaign, amp) removed, AMP variants
 * (/amp, /amp/ segments, .amp.html, amp. host prefix, output=amp) mapped to
 * the plain page.  Writes at most outlen bytes with NUL; returns the length
 * it needs (like snprintf) or FA_EINVAL for a URL without scheme://. */
int dedup_canonical_url(const char *url, char *out, size_t outlen);

#endif
