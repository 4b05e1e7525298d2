/*
 * findings_record.h - the findings record: what feedarc says about one
 * analysed document, in the `metadata` record (application/warc-fields)
 * written beside its response.  One owner for its field names, its writer
 * (the crawler) and its parser (`feedarc dedup-report`, `feedarc text`,
 * the round-trip test); docs/DEDUP.md describes it for users.
 *
 * The block is `name: value` lines, in this order, optional ones left out:
 *
 *   feedarc-document: <URL as the source gave it>
 *   via: <URL of the feed/API page that listed it>
 *   feed-item-id: <the item's id>
 *   feed-item-title: <the item's title>
 *   feedarc-exact-duplicate-of: <url> <record-id> <date> <score>
 *   feedarc-near-duplicate-of:  <url> <record-id> <date> <score>
 *   feedarc-contains:           <url> <record-id> <date> <score>   (0..n)
 *   feedarc-contained-in:       <url> <record-id> <date> <score>   (0..n)
 *   feedarc-encoding: <encoding> (<how> ...)
 *   feedarc-main-chars / -novel-chars / -boilerplate-chars: <N>
 *   feedarc-copied-block: <start> <end> <url> <record-id>          (0..n)
 *
 * In a finding, url is the other document's feedarc-document, record-id its
 * response's WARC-Record-ID ("-" when unknown), date an ISO 8601 UTC date
 * (written to the second; a fraction is accepted), score a decimal number
 * (written with 3 decimals; optional on an exact duplicate when parsed).
 * A copied block is a block of the conversion record's text (the clean
 * main text written with this record) copied from another archived
 * document: start and end are code points of that text, [start, end),
 * the block's own text after its "[copied from URL] " mark; url and
 * record-id name the document it repeats.
 * Field names are matched without regard to case, as WARC field names are.
 *
 * Depends on common/ only; the writer produces name/value pairs, which the
 * crawler hands to the segment writer as WARC fields.
 */
#ifndef FINDINGS_RECORD_H
#define FINDINGS_RECORD_H

#include "common/fa_buf.h"

#include <stddef.h>
#include <stdint.h>

enum findings_field {
    FINDINGS_OTHER = 0, /* a name the record does not define */
    FINDINGS_DOCUMENT,
    FINDINGS_VIA,
    FINDINGS_ITEM_ID,
    FINDINGS_ITEM_TITLE,
    FINDINGS_EXACT,
    FINDINGS_NEAR,
    FINDINGS_CONTAINS,
    FINDINGS_CONTAINED_IN,
    FINDINGS_ENCODING,
    FINDINGS_MAIN_CHARS,
    FINDINGS_NOVEL_CHARS,
    FINDINGS_BOILERPLATE_CHARS,
    FINDINGS_COPIED_BLOCK,
    FINDINGS_FIELD_COUNT
};

/* The field's name ("feedarc-document"); NULL for FINDINGS_OTHER. */
const char *findings_field_name(enum findings_field f);

/* The field a name (len bytes) names, without regard to case. */
enum findings_field findings_field_of(const char *name, size_t len);

/* One finding: a relation to another document.  Strings are not
 * necessarily NUL-terminated (a parse points into the block): use the
 * lengths. */
typedef struct findings_ref {
    enum findings_field kind; /* FINDINGS_EXACT .. FINDINGS_CONTAINED_IN */
    const char *url;
    size_t url_len;
    const char *record_id; /* NULL when unknown ("-") */
    size_t record_id_len;
    int64_t date_ns;
    double score;
    int has_score; /* parse: the line carried a score */
} findings_ref;

/* A whole record.  For findings_record_write every string is borrowed and
 * NUL-terminated; NULL leaves an optional line out.  After
 * findings_record_parse they point into memory owned by the record
 * (release with findings_record_free). */
typedef struct findings_record {
    const char *document; /* required */
    const char *via, *item_id, *item_title, *encoding;
    findings_ref *refs;
    size_t n_refs;
    uint64_t main_chars, novel_chars, boilerplate_chars;
    int has_chars; /* parse: all three counts were present */
    char *mem_;    /* parse: the copy the strings point into */
} findings_record;

/* Appends r as "name\0value\0" pairs to out, in the order above.  An
 * item_id or item_title that cannot be one WARC field line (2048 bytes or
 * more, a control character) is left out, as are refs of another kind.
 * Returns the number of pairs (>= 1), or a negative code from out
 * (FA_ETOOBIG, FA_ENOMEM) or FA_EINVAL (no document). */
int findings_record_write(const findings_record *r, fa_buf *out);

/* Calls fn for each `name: value` line of a warc-fields block (CRLF or LF;
 * the value without surrounding blanks; lines without ':' skipped), with
 * the field the name is.  Stops at fn's first negative return and returns
 * it; else 0. */
int findings_record_foreach(const void *block, size_t len,
                            int (*fn)(void *ud, enum findings_field f, const char *name,
                                      size_t name_len, const char *value, size_t value_len),
                            void *ud);

/* Parses the value of a finding line of kind f.  Fills out (pointing into
 * value).  Returns 0, or FA_EPARSE with a reason in *why (a static
 * string). */
int findings_record_parse_ref(enum findings_field f, const char *value, size_t len,
                              findings_ref *out, const char **why);

/* Parses a count line's value (decimal digits, at most 19).  Returns 0 or
 * FA_EPARSE. */
int findings_record_parse_count(const char *value, size_t len, uint64_t *out);

/* Parses a whole block into *out (zeroed first; owns its memory even on
 * failure: call findings_record_free).  Returns 0, FA_EPARSE (no
 * feedarc-document, or a malformed finding or count line; *why says which
 * when why is not NULL) or FA_ENOMEM. */
int findings_record_parse(const void *block, size_t len, findings_record *out, const char **why);

/* Frees what findings_record_parse allocated; NULL is accepted. */
void findings_record_free(findings_record *r);

/* One feedarc-copied-block line.  Strings as in findings_ref (not
 * necessarily NUL-terminated: use the lengths). */
typedef struct findings_copied_block {
    uint64_t start, end; /* code points of the conversion text, start <= end */
    const char *url;
    size_t url_len;
    const char *record_id; /* NULL when unknown ("-") */
    size_t record_id_len;
} findings_copied_block;

/* Appends b as one "feedarc-copied-block\0<value>\0" pair to out (after
 * findings_record_write's pairs).  Returns 0, FA_EINVAL (start > end, or
 * an empty url) or a negative code from out. */
int findings_copied_block_write(const findings_copied_block *b, fa_buf *out);

/* Parses the value of a feedarc-copied-block line (pointing into value).
 * Returns 0, or FA_EPARSE: not "<start> <end> <url> <record-id>" with
 * decimal start <= end. */
int findings_copied_block_parse(const char *value, size_t len, findings_copied_block *out);

#endif
