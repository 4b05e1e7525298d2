/*
 * fuzz_metrics_http.c - libFuzzer target for the metrics HTTP request
 * path (metrics/metrics_http.c): the whole input is sent as the raw
 * request bytes to a real metrics_http server on 127.0.0.1 (port 0,
 * started at the first run with the full feedarc registry, a liveness and a
 * storage probe, stopped at exit), and whatever it answered
 * is read.  That drives libmicrohttpd's request parser and
 * answer() - the routing function takes an MHD connection, so it is not
 * separable from MHD; going through the socket tests both.
 *
 * The input goes on one connection; a well-formed HTTP/1.0 request on a
 * second one then shows the server still answers (a 5 s wait at most,
 * then the harness aborts).  Built by tools/fuzz/CMakeLists.txt; see
 * tools/fuzz/README.md.
 */
#include "tools/fuzz/fuzz_util.h"
#include "metrics/metrics.h"
#include "metrics/metrics_http.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

static feedarc_metrics *fm;
static metrics_http *srv;
static int port;

static int liveness(void *ud, char *why, size_t whylen)
{
    (void)ud;
    (void)why;
    (void)whylen;
    return 0;
}

static void stop(void)
{
    metrics_http_stop(srv);
    feedarc_metrics_free(fm);
}

static int setup(void)
{
    if (srv != NULL) return 0;
    char err[256];
    fm = feedarc_metrics_new();
    if (fm == NULL) return -1;
    const char *tmp = getenv("TMPDIR");
    static char tmpdir[256];
    snprintf(tmpdir, sizeof tmpdir, "%s", tmp && *tmp ? tmp : "/tmp");
    metrics_http_options o = {
        .listen = "127.0.0.1:0",
        .registry = fm->registry,
        .stall_after_ms = 60000,
        .liveness = liveness,
        .storage_probe = metrics_probe_dir_writable,
        .storage_ud = tmpdir,
        .probe_cache_ms = 60000,
        .max_connections = 16,
        .timeout_s = 5,
    };
    if (metrics_http_start(&o, &srv, err, sizeof err) < 0 || srv == NULL) {
        fprintf(stderr, "fuzz_metrics_http: %s\n", err);
        abort();
    }
    metrics_http_set_ready(srv, 1);
    port = metrics_http_port(srv);
    atexit(stop);
    return 0;
}

static int dial(void)
{
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) abort();
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    struct timeval tv = {5, 0};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
    if (connect(fd, (struct sockaddr *)&a, sizeof a) < 0) {
        /* libFuzzer's timer signal may interrupt connect, which then goes
         * on in the background: wait for it */
        int e = errno, soerr = 0;
        socklen_t sl = sizeof soerr;
        struct pollfd pf = {.fd = fd, .events = POLLOUT};
        if (e == EINTR) {
            int n;
            do
                n = poll(&pf, 1, 5000);
            while (n < 0 && errno == EINTR);
            if (n == 1 && getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &sl) == 0 && soerr == 0)
                return fd;
            e = n == 0 ? ETIMEDOUT : soerr ? soerr : errno;
        }
        fprintf(stderr, "fuzz_metrics_http: connect: %s\n", strerror(e));
        abort();
    }
    return fd;
}

static void send_all(int fd, const uint8_t *data, size_t size)
{
    size_t off = 0;
    while (off < size) {
        ssize_t w = send(fd, data + off, size - off, MSG_NOSIGNAL);
        if (w < 0 && errno == EINTR) continue;
        if (w <= 0) break; /* the server may close early (a bad request) */
        off += (size_t)w;
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const char probe[] = "GET /readyz HTTP/1.0\r\n\r\n";
    if (setup() < 0) return 0;
    metrics_http_beat(srv);
    /* the input, on a connection left open: libmicrohttpd does not take a
     * half-close as the end of a request, so an incomplete one would wait
     * for the connection timeout */
    int fd = dial();
    send_all(fd, data, size);
    /* then a complete HTTP/1.0 request on a second connection: its answer
     * comes after the server thread has read the input (one thread serves
     * both), and shows the server still answers */
    int pfd = dial();
    send_all(pfd, (const uint8_t *)probe, sizeof probe - 1);
    char buf[65536];
    for (;;) {
        ssize_t r = recv(pfd, buf, sizeof buf, 0);
        if (r > 0) continue;
        if (r < 0 && errno == EINTR) continue;
        if (r < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
            fprintf(stderr, "fuzz_metrics_http: the server stopped answering (5 s)\n");
            abort();
        }
        break; /* EOF (or refused: the per-client limit) */
    }
    close(pfd);
    while (recv(fd, buf, sizeof buf, MSG_DONTWAIT) > 0) {
    }
    close(fd);
    return 0;
}
