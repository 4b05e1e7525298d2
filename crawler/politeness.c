/* politeness.c - backoff and retry decisions; see politeness.h. */
#include "crawler/politeness.h"
#include "common/fa_err.h"
#include "common/fa_time.h"

#include <stdlib.h>
#include <time.h>

double politeness_jitter(politeness_rng *rng)
{
    rng->s ^= rng->s << 13;
    rng->s ^= rng->s >> 7;
    rng->s ^= rng->s << 17;
    return 0.5 + (double)(rng->s % 1000) / 1000.0; /* 0.5 .. 1.5 */
}

int politeness_is_transient(const fetch_transfer *t)
{
    if (t->error_code) return t->error_code == FA_EFETCH; /* timeouts, refused, reset */
    return t->status == 429 || t->status == 500 || t->status == 502 || t->status == 503 ||
           t->status == 504;
}

int64_t politeness_retry_after_ms(const fetch_transfer *t)
{
    char v[128];
    if (fetch_header_value(t->response_head.data ? t->response_head.data : "", t->response_head.len,
                           "Retry-After", v, sizeof v) < 0 ||
        !v[0])
        return -1;
    char *end;
    long long secs = strtoll(v, &end, 10);
    if (*end == '\0' && secs >= 0) return secs * 1000;
    time_t when = curl_getdate(v, NULL);
    if (when < 0) return -1;
    int64_t ms = ((int64_t)when * 1000000000LL - fa_time_now_ns()) / 1000000;
    return ms > 0 ? ms : 0;
}

uint64_t politeness_backoff_ms(politeness_rng *rng, uint64_t base_ms, uint64_t max_ms,
                               unsigned errors)
{
    unsigned shift = errors > 16 ? 16 : errors ? errors - 1 : 0;
    double d = (double)(base_ms << shift) * politeness_jitter(rng);
    return d > (double)max_ms ? max_ms : (uint64_t)d;
}
