/*
 * site_server.h - a small HTTP/1.1 server for loopback sample sites, used by
 * `feedarc demo` and by the integration tests (built on libmicrohttpd).
 *
 * One server listens on one address (127.0.0.x) and port; each stands for
 * one "host" of a crawl.  It serves a table of routes (path -> status,
 * headers, body, optional delay) and records every request: path, start and
 * end times, connection serial, and the peak number of concurrent
 * connections and requests, so tests can check politeness.
 *
 * Threads: the server runs its own threads (one per connection, so delays
 * overlap as real servers do).  Routes are added before or after start;
 * the route table and the log are protected by a mutex.
 */
#ifndef SITE_SERVER_H
#define SITE_SERVER_H

#include <stddef.h>
#include <stdint.h>

typedef struct site_server site_server;

typedef struct site_request_log {
    char path[512]; /* path and query as requested */
    char method[16];
    uint64_t start_ns;   /* fa_time_mono_ns when the server's thread began the
                            request (its line read): later than the arrival by
                            however long that thread waited for a CPU */
    uint64_t arrival_ns; /* when the kernel received the request's data (the
                            connection's TCP_INFO last_data_recv, in jiffies:
                            within ~2 of them, 8 ms at HZ=250); what spacing
                            checks of a client should read - it does not move
                            with the server's scheduling.  start_ns if unknown */
    uint64_t end_ns;     /* when the response was fully queued: its last
                            body bytes handed to libmicrohttpd (for a
                            bodiless response, just before queueing),
                            so always before the client sees the end */
    unsigned connection; /* serial of the TCP connection (1, 2, ...) */
    int status;
    char if_none_match[128]; /* request validators, "" when absent */
    char if_modified_since[64];
    char user_agent[256];
} site_request_log;

/* How a server's connections are served. */
enum site_server_threading {
    /* A thread per connection: a route's delay holds only its own
     * connection, as a slow page on a real server would. */
    SITE_SERVER_THREAD_PER_CONNECTION = 0,
    /* One epoll thread serves every connection: about a third less CPU
     * per request on loopback (no thread woken per request), so a client
     * measured beside it gets more of the machine's cores (the benches'
     * sites); a route's delay then holds every connection of the server. */
    SITE_SERVER_ONE_THREAD
};

/* Starts a server on ip ("127.0.0.1") and port (0 = any free port), a
 * thread per connection.  Returns NULL on failure (message on stderr). */
site_server *site_server_start(const char *ip, uint16_t port);

/* The same, with the threading chosen. */
site_server *site_server_start_threading(const char *ip, uint16_t port,
                                         enum site_server_threading threading);

/* The port actually bound. */
uint16_t site_server_port(const site_server *s);

/* "http://ip:port" (owned by the server). */
const char *site_server_origin(const site_server *s);

/* Adds or replaces the route for path (the path with query, matched
 * exactly; "*" matches anything not otherwise routed).  body is copied.
 * extra_headers is NULL or "Name: value\r\n..." lines; delay_ms delays the
 * response.  An ETag/Last-Modified in extra_headers makes the server answer
 * matching conditional requests with 304.  Returns 0 or a negative code. */
int site_server_route(site_server *s, const char *path, int status, const char *content_type,
                      const void *body, size_t body_len, const char *extra_headers,
                      unsigned delay_ms);

/* Sends the body with chunked transfer coding (no Content-Length) for path.
 * Returns 0, or FA_ENOENT when path has no route yet; a later
 * site_server_route for path replaces the route and clears the flag. */
int site_server_route_chunked(site_server *s, const char *path, int chunked);

/* Copies the request log (malloc'd array the caller frees) and its length. */
size_t site_server_log(site_server *s, site_request_log **out);

/* Peak simultaneous open connections / requests in progress seen. */
unsigned site_server_peak_connections(site_server *s);
unsigned site_server_peak_requests(site_server *s);

/* Clears the log and peaks. */
void site_server_reset_log(site_server *s);

/* Stops the server and frees it.  NULL is accepted. */
void site_server_stop(site_server *s);

/* ---- additions beyond the original interface ---- */

/* The log keeps at most this many entries unless told otherwise; later
 * requests are counted (site_server_log_dropped) but not recorded. */
#define SITE_SERVER_LOG_MAX_DEFAULT 65536

/* Sets the log ceiling (never below the entries already held). */
void site_server_set_log_max(site_server *s, size_t max_entries);

/* Requests not recorded because the log was full, since the last reset. */
uint64_t site_server_log_dropped(site_server *s);

/* Requests ended since the last reset, recorded or dropped. */
uint64_t site_server_request_count(site_server *s);

/* The address given to site_server_start (owned by the server). */
const char *site_server_ip(const site_server *s);

#endif
