/*
 * fetcher.h - HTTP transfers with libcurl's multi interface, driven by libuv.
 *
 * The fetcher owns one CURLM whose sockets and timer are served by uv_poll
 * and uv_timer handles on the caller's loop (the hiperfifo / multi-uv
 * pattern): curl never blocks, many transfers run at once, and nothing here
 * knows about feeds, politeness or WARC.
 *
 * What a transfer records is what a WARC record needs: the request exactly
 * as sent (from CURLOPT_DEBUGFUNCTION), the final response's status line and
 * headers exactly as received, and the body exactly as transferred (chunked
 * framing and Content-Encoding intact - transfer and content decoding are off
 * in curl) into a spool.  When the owner asks for the payload
 * (want_payload), the fetcher also decodes a copy - de-chunked, then
 * decoded (gzip, deflate, br, zstd: content_decoder.h) under a ceiling - and
 * hands it on as it arrives, so a parser can run while the body streams in.
 *
 * Redirects are not followed here: each hop is its own exchange and the
 * owner decides (and archives) the next one.  Only HTTP/1.1 is spoken, so
 * the recorded bytes are the bytes on the wire.
 *
 * Threads: everything runs on the loop thread.  Callbacks into the owner
 * happen from curl's callbacks, so the owner must not call back into the
 * fetcher from them (fetcher_start is only called from loop callbacks such
 * as timers and on_done).
 */
#ifndef FETCHER_H
#define FETCHER_H

#include "common/fa_buf.h"
#include "common/fa_dechunk.h"
#include "common/fa_spool.h"
#include "crawler/content_decoder.h"

#include <curl/curl.h>
#include <stdint.h>
#include <uv.h>

typedef struct fetcher fetcher;
typedef struct fetch_transfer fetch_transfer;

#define FETCH_LOCATION_MAX 2048 /* a Location value kept, terminator included */

/* Why a transfer got no HTTP response (metrics_fetch_cause has the same order). */
enum fetch_cause {
    FETCH_CAUSE_REFUSED = 0, /* connection refused */
    FETCH_CAUSE_DNS,         /* could not resolve the host */
    FETCH_CAUSE_TLS,         /* TLS handshake or certificate */
    FETCH_CAUSE_TIMEOUT,     /* connect, whole-transfer or low-speed timeout */
    FETCH_CAUSE_RESET,       /* reset, closed or cut short by the peer */
    FETCH_CAUSE_OTHER,       /* anything else, our own limits included */
    FETCH_CAUSE_NONE         /* the transfer did not fail */
};

typedef struct fetcher_options {
    const char *user_agent;       /* required */
    uint64_t connect_timeout_ms;  /* 0 = 10 s */
    uint64_t timeout_ms;          /* whole transfer; 0 = 60 s */
    uint64_t low_speed_time_ms;   /* abort below 1 byte/s for this long; 0 = 30 s */
    uint64_t max_body_size;       /* ceiling on the body as transferred; 0 = 32 MiB */
    uint64_t max_decoded_size;    /* ceiling on the decoded payload; 0 = 4 x max_body */
    size_t max_header_size;       /* ceiling on the response head; 0 = 256 KiB */
    size_t spool_memory;          /* body bytes kept in RAM before spilling; 0 = 1 MiB */
    const char *tmp_dir;          /* for spilled bodies; NULL = /tmp */
    unsigned max_connections;     /* curl's global cap (safety net); 0 = 64 */
    unsigned max_host_connections;/* curl's per-host cap (safety net); 0 = none */
    const char *accept_encoding;  /* Accept-Encoding value, or NULL for none */
    /* The loop thread's time for ready sockets in one loop iteration, µs:
     * the sockets whose turn comes later wait for the next iteration
     * (fetcher.c).  0 = FEEDARC_POLL_PASS_US from the environment, else
     * 1000; FETCHER_POLL_PASS_UNLIMITED = every ready socket at once. */
    uint64_t poll_pass_us;
    /* Optional: counts the ready sockets left for a later iteration.  The
     * caller's; it must outlive the fetcher. */
    uint64_t *sockets_deferred;
} fetcher_options;

#define FETCHER_POLL_PASS_UNLIMITED UINT64_MAX

/* A transfer.  The owner allocates it (usually embedded in a larger job),
 * calls fetch_transfer_init, sets url/ud/callbacks/headers, and passes it to
 * fetcher_start.  After on_done the owner may read the results and must call
 * fetch_transfer_cleanup before freeing it. */
struct fetch_transfer {
    /* --- set by the owner --- */
    const char *url;               /* borrowed; must live until on_done */
    struct curl_slist *headers;    /* borrowed extra request headers, or NULL */
    void *ud;
    int want_payload;              /* decode the body and call on_payload */
    /* Payload bytes (de-chunked, content-decoded) as they arrive.  Return
     * <0 to receive no more payload: the transfer itself goes on, since the
     * exchange is still archived (the owner keeps its own error). */
    int (*on_payload)(fetch_transfer *t, const void *data, size_t len);
    /* Called once, on the loop thread, when the transfer ends either way. */
    void (*on_done)(fetch_transfer *t);

    /* --- results, filled by the fetcher --- */
    int64_t date_ns;               /* wall clock when the request started: when the
                                      fetcher handed it to curl (0 until then) */
    uint64_t start_mono_ns, end_mono_ns; /* the same moment, monotonic; and the end */
    fa_buf request;                /* request head (+ body) as sent */
    fa_buf response_head;          /* final response's status line + headers + CRLF */
    fa_spool body;                 /* body as transferred */
    long status;                   /* HTTP status, 0 when none was received */
    int chunked;                   /* Transfer-Encoding: chunked */
    char content_encoding[32];     /* "gzip", "deflate", "" ... */
    char content_type[128];
    const char *location;          /* Location header (its first FETCH_LOCATION_MAX - 1
                                      bytes), "" when absent; never NULL after
                                      fetch_transfer_init; the transfer owns it */
    char ip[64];                   /* peer address, "" when unknown */
    int error_code;                /* 0, or FA_E* (transfer failed / aborted) */
    int payload_error;             /* 0, or why decoding stopped (FA_EPARSE on bad
                                      framing/gzip, FA_ETOOBIG past the decoded cap) */
    char error[256];               /* human text when error_code != 0: curl's own
                                      words, which name the host and the cause
                                      ("Failed to connect to ... : Connection refused") */
    enum fetch_cause cause;        /* FETCH_CAUSE_NONE unless the transfer failed */

    /* --- private --- */
    fetcher *f__;
    CURL *easy__;
    int head_done__;
    fa_dechunk dechunk__;
    content_decoder *dec__;
    uint64_t payload_bytes__, max_decoded__;
    int payload_stopped__;
    fetch_transfer *next__, *prev__; /* the fetcher's list of transfers in flight */
    fetch_transfer *wait_next__;     /* the fetcher's queue of those not yet handed to curl */
    int added__;                     /* handed to curl (curl_multi_add_handle) */
    char curl_error__[CURL_ERROR_SIZE];
};

/* Creates a fetcher on loop.  Returns 0 or a negative code. */
int fetcher_new(uv_loop_t *loop, const fetcher_options *opt, fetcher **out);

/* Prepares a zeroed transfer for use. */
void fetch_transfer_init(fetch_transfer *t);

/* Starts t: queues it, to be handed to curl within the next loop
 * iterations (a few per iteration, so that one iteration never sends
 * dozens of requests).  Returns 0 (on_done will be called later, exactly
 * once, never from inside this call) or a negative code (on_done will
 * not be called). */
int fetcher_start(fetcher *f, fetch_transfer *t);

/* Number of transfers started and not yet ended (in flight, or queued to
 * be handed to curl at the next loop iterations). */
unsigned fetcher_active(const fetcher *f);

/* Decodes a finished transfer's body from its spool - de-chunked, then
 * content-decoded, under the fetcher's max_decoded_size, in the pieces
 * want_payload would have handed on while it streamed - and passes it to
 * sink; a negative return from sink stops it.  Decoding errors are kept
 * in t->payload_error as for want_payload (FA_EPARSE, FA_ETOOBIG; a
 * payload_error already there is kept).  For a transfer that did not want
 * its payload while it streamed: a worker thread can parse the body off
 * the loop.  Touches nothing but t, which the caller must own (on_done
 * has run), and the spool's file. */
void fetch_transfer_decode_body(fetch_transfer *t,
                                int (*sink)(void *ud, const void *data, size_t len), void *ud);

/* Releases what a finished transfer holds (spool, buffers); its fixed
 * fields (status, error, ...) stay readable, and calling it again does
 * nothing more.  Never call it on a transfer in flight. */
void fetch_transfer_cleanup(fetch_transfer *t);

/* Aborts transfers in flight (their on_done runs with FA_ECANCELED), then
 * closes the handles; the loop must run once more to finish closing, after
 * which the fetcher's memory is released.  NULL is accepted; a second call
 * (also one made from an on_done that the first call runs) does nothing. */
void fetcher_close(fetcher *f);

/* A short name for a cause: "connection refused", "could not resolve host",
 * "TLS error", "timeout", "connection reset", "network error", "". */
const char *fetch_cause_name(enum fetch_cause cause);

/* Value of header name in a raw response head ("" if absent), copied to out. */
int fetch_header_value(const char *head, size_t head_len, const char *name, char *out,
                       size_t outlen);

#endif
