/* warc_format.c - WARC record type names and the payload digest; see
 * warc_format.h for the rules. */
#include "storage/warc_format.h"
#include "common/fa_err.h"

#include <string.h>

static const char *const type_names[WARC_TYPE_COUNT] = {
    [WARC_TYPE_WARCINFO] = "warcinfo",     [WARC_TYPE_RESPONSE] = "response",
    [WARC_TYPE_RESOURCE] = "resource",     [WARC_TYPE_REQUEST] = "request",
    [WARC_TYPE_METADATA] = "metadata",     [WARC_TYPE_REVISIT] = "revisit",
    [WARC_TYPE_CONVERSION] = "conversion", [WARC_TYPE_CONTINUATION] = "continuation",
};

const char *warc_type_name(warc_type t)
{
    return (unsigned)t < WARC_TYPE_COUNT ? type_names[t] : NULL;
}

warc_type warc_type_of(const char *name)
{
    if (name == NULL) return WARC_TYPE_UNKNOWN;
    for (int t = WARC_TYPE_UNKNOWN + 1; t < WARC_TYPE_COUNT; t++)
        if (strcmp(name, type_names[t]) == 0) return (warc_type)t;
    return WARC_TYPE_UNKNOWN;
}

void warc_payload_begin(warc_payload *p, fa_sha1 *sha, fa_sha1 *raw, int chunked)
{
    p->sha = sha;
    p->raw = chunked ? raw : NULL;
    p->chunked = chunked;
    p->bad = 0;
    fa_dechunk_init(&p->dc);
}

static int sha_out(void *ud, const void *data, size_t n)
{
    fa_sha1_update(ud, data, n);
    return 0;
}

int warc_payload_feed(void *ud, const void *data, size_t len)
{
    warc_payload *p = ud;
    if (!p->chunked) {
        fa_sha1_update(p->sha, data, len);
        return 0;
    }
    if (p->raw) fa_sha1_update(p->raw, data, len);
    if (!p->bad && fa_dechunk_feed(&p->dc, data, len, sha_out, p->sha) < 0) p->bad = 1;
    return 0;
}

void warc_payload_end(warc_payload *p, uint8_t out[20])
{
    uint8_t raw[20];
    fa_sha1_final(p->sha, out);
    if (p->raw) {
        fa_sha1_final(p->raw, raw);
        if (p->bad) memcpy(out, raw, sizeof raw);
    }
}

/* Both contexts for a one-call digest. */
static int digest_open(fa_sha1 **sha, fa_sha1 **raw, int chunked)
{
    *sha = fa_sha1_new();
    *raw = chunked ? fa_sha1_new() : NULL;
    if (*sha == NULL || (chunked && *raw == NULL)) {
        fa_sha1_free(*sha);
        fa_sha1_free(*raw);
        return FA_ENOMEM;
    }
    return 0;
}

int warc_payload_digest_mem(const void *body, size_t len, int chunked, uint8_t out[20])
{
    fa_sha1 *sha, *raw;
    int rc = digest_open(&sha, &raw, chunked);
    if (rc < 0) return rc;
    warc_payload p;
    warc_payload_begin(&p, sha, raw, chunked);
    warc_payload_feed(&p, len ? body : "", len);
    warc_payload_end(&p, out);
    fa_sha1_free(sha);
    fa_sha1_free(raw);
    return 0;
}

int warc_payload_digest_spool(const fa_spool *body, int chunked, uint8_t out[20])
{
    fa_sha1 *sha, *raw;
    int rc = digest_open(&sha, &raw, chunked);
    if (rc < 0) return rc;
    warc_payload p;
    warc_payload_begin(&p, sha, raw, chunked);
    if (body && body->size) rc = fa_spool_foreach(body, warc_payload_feed, &p);
    warc_payload_end(&p, out);
    fa_sha1_free(sha);
    fa_sha1_free(raw);
    return rc;
}
