/*
 * cmd_serve.c - `feedarc serve -c FILE`: the long-running service.
 *
 * Every source is polled on its own interval (crawl_run_once in serve
 * mode), under the same politeness and state as `once`.  Around it: the
 * /metrics, /healthz and /readyz endpoint (metrics/metrics_http.h) on its
 * own thread, systemd notifications (READY, STOPPING, WATCHDOG, STATUS)
 * when run as a Type=notify unit, and the signals: SIGTERM/SIGINT stop
 * gracefully (exit 0), SIGHUP reloads the config - a new config that does
 * not load is rejected with a logged error and the old one stays in force.
 */
#include "cli/cli.h"
#include "common/fa_alloc.h"
#include "common/fa_err.h"
#include "common/fa_log.h"
#include "common/fa_signal.h"
#include "common/fa_sdnotify.h"
#include "common/fa_time.h"
#include "config/config.h"
#include "metrics/metrics.h"
#include "metrics/metrics_http.h"

#include <getopt.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

/* What /healthz probes: the storage folder of the config in force.  The
 * HTTP thread reads it while a reload may replace the config, so it keeps
 * its own copy, swapped under the lock - never a pointer into a config. */
typedef struct storage_probe {
    pthread_mutex_t lock;
    char *dir; /* owned */
} storage_probe;

typedef struct serve_ctx {
    metrics_http *http;
    uint64_t watchdog_ms;
    uint64_t last_watchdog_ns;
    storage_probe probe;
} serve_ctx;

/* The HTTP thread's storage check, on a copy of the folder's name. */
static int probe_storage(void *ud, char *why, size_t whylen)
{
    storage_probe *p = ud;
    pthread_mutex_lock(&p->lock);
    char *dir = p->dir ? strdup(p->dir) : NULL;
    pthread_mutex_unlock(&p->lock);
    int rc = metrics_probe_dir_writable(dir, why, whylen);
    free(dir);
    return rc;
}

/* A reload: the probe looks at the new config's folder from now on. */
static void probe_set_dir(storage_probe *p, const char *dir)
{
    char *copy = dir ? strdup(dir) : NULL;
    pthread_mutex_lock(&p->lock);
    char *old = p->dir;
    p->dir = copy;
    pthread_mutex_unlock(&p->lock);
    free(old);
}

/* Once a second from the crawl's loop: the loop turns. */
static void heartbeat(void *ud)
{
    serve_ctx *s = ud;
    metrics_http_beat(s->http);
    uint64_t now = fa_time_mono_ns();
    if (s->watchdog_ms && now - s->last_watchdog_ns >= s->watchdog_ms * 1000000ULL / 2) {
        fa_sd_watchdog();
        s->last_watchdog_ns = now;
    }
}

/* Keys read once at start-up: a reload cannot change them, so say so. */
static void warn_restart_keys(const config *old, const config *next)
{
    const char *a = old->metrics.listen ? old->metrics.listen : METRICS_HTTP_DEFAULT_LISTEN;
    const char *b = next->metrics.listen ? next->metrics.listen : METRICS_HTTP_DEFAULT_LISTEN;
    if (strcmp(a, b) != 0)
        fa_log_warn("serve", "metrics.listen changed from %s to %s: it takes a restart; "
                             "still listening on %s", a, b, a);
}

static config *load(const char *path, int *code)
{
    char *errors = NULL;
    config *cfg = cli_load_config(path, &errors);
    if (cfg == NULL) {
        fa_log_error("config", "%s: not loaded", path);
        /* one record per error: a log line never holds a newline */
        for (char *line = errors, *next; line && *line; line = next) {
            next = strchr(line, '\n');
            if (next)
                *next++ = '\0';
            if (*line)
                fa_log_error("config", "%s", line);
        }
        if (errors == NULL)
            fa_log_error("config", "invalid");
        free(errors);
        *code = EXIT_CONFIG;
        return NULL;
    }
    *code = 0;
    return cfg;
}

/* (cluster) /readyz follows the node's reach of Redis. */
static void cluster_ready(void *ud, int ready)
{
    metrics_http_set_ready(ud, ready);
}

int cmd_serve(int argc, char **argv)
{
    static const struct option opts[] = {{"config", required_argument, NULL, 'c'},
                                         {"quiet", no_argument, NULL, 'q'},
                                         {"verbose", no_argument, NULL, 'v'},
                                         {NULL, 0, NULL, 0}};
    fa_signal_install(); /* from the start: SIGTERM never kills, even between runs */
    /* Memory of a process that runs for months.  glibc's malloc raises its mmap
     * threshold to the largest block freed so far (up to 32 MiB) and its trim
     * threshold to twice that.  Once the first dictionary's training had freed
     * its samples (megabytes in one block), every later large block - each
     * run's dictionary and zstd contexts, SQLite's cache, the dedup tables,
     * all rebuilt at a reload - came from the heap, and what a run freed stayed
     * resident: the soak held 6 MiB in use in 25 MiB of heap, and RSS crept up
     * with each reload while data arrived (docs/BENCHMARKS.md, the soak).
     * Fixed thresholds keep large blocks in their own mappings, returned when
     * freed; after each run the free pages inside the heaps go back too.
     * (glibc; under jemalloc its decay and background thread return
     * freed pages: fa_alloc.h) */
    fa_alloc_fixed_thresholds();
    const char *path = NULL;
    int level = -1, ch;
    optind = 1;
    while ((ch = getopt_long(argc, argv, "c:qv", opts, NULL)) != -1) {
        switch (ch) {
        case 'c': path = optarg; break;
        case 'q': level = FA_LOG_WARN; break; /* failing sources stay in the log */
        case 'v': level = FA_LOG_DEBUG; break;
        default: return EXIT_USAGE;
        }
    }
    if (path == NULL || optind != argc) {
        fprintf(stderr, "usage: feedarc serve -c FILE (see feedarc help serve)\n");
        return EXIT_USAGE;
    }
    int code = 0;
    config *cfg = load(path, &code);
    if (cfg == NULL)
        return code;
    fa_log_set_format(cfg->log.format);
    fa_log_set_level(level >= 0 ? (enum fa_log_level)level : cfg->log.level);

    feedarc_metrics *m = feedarc_metrics_new();
    serve_ctx sc = {0};
    pthread_mutex_init(&sc.probe.lock, NULL);
    probe_set_dir(&sc.probe, cfg->storage.dir);
    metrics_http_options ho = {
        .listen = cfg->metrics.listen,
        .registry = m ? m->registry : NULL,
        .stall_after_ms = 30000,
        .storage_probe = probe_storage,
        .storage_ud = &sc.probe,
    };
    char err[256] = "";
    int hrc = m ? metrics_http_start(&ho, &sc.http, err, sizeof err) : FA_ENOMEM;
    if (hrc < 0) {
        fa_log_error("metrics", "cannot serve metrics on %s: %s",
                     cfg->metrics.listen ? cfg->metrics.listen : METRICS_HTTP_DEFAULT_LISTEN,
                     err[0] ? err : "out of memory");
        /* a bad address is the config's fault; a port in use may free up */
        int failed = hrc == FA_EINVAL ? EXIT_CONFIG : EXIT_TEMPFAIL;
        feedarc_metrics_free(m);
        config_free(cfg);
        probe_set_dir(&sc.probe, NULL);
        pthread_mutex_destroy(&sc.probe.lock);
        return failed;
    }
    sc.watchdog_ms = fa_sd_watchdog_interval_ms();
    /* the address actually bound: with port 0 the kernel picked one, and
     * whoever scrapes (a test, an operator) finds it here */
    const char *listen = cfg->metrics.listen ? cfg->metrics.listen : METRICS_HTTP_DEFAULT_LISTEN;
    const char *colon = strrchr(listen, ':');
    if (sc.http && colon)
        fa_log_info("serve", "feedarc %s serving %zu source(s); metrics on %.*s:%d", FEEDARC_VERSION,
                    cfg->n_sources, (int)(colon - listen), listen, metrics_http_port(sc.http));
    else
        fa_log_info("serve", "feedarc %s serving %zu source(s); metrics on %s", FEEDARC_VERSION,
                    cfg->n_sources, listen);
    metrics_http_set_ready(sc.http, 1);
    fa_sd_ready();
    fa_sd_status("polling %zu sources", cfg->n_sources);

    for (;;) {
        crawl_options co = {
            .serve = 1,
            .grace_ms = cfg->service.grace_period_ms,
            .metrics = m,
            .heartbeat = heartbeat,
            .heartbeat_ud = &sc,
            .ready = cluster_ready, /* cluster: unready while Redis is away */
            .ready_ud = sc.http,
        };
        crawl_summary sum;
        int rc = crawl_run_once(cfg, &co, &sum);
        enum crawl_end end = sum.end;
        if (sum.storage_error) {
            fa_log_error("serve", "stopping: %s", sum.storage_message);
            code = cli_exit_code(rc, &sum);
            crawl_summary_free(&sum);
            break;
        }
        crawl_summary_free(&sum);
        fa_alloc_give_back();
        if (rc < 0 && end != CRAWL_END_RELOAD) {
            code = EXIT_SOFTWARE;
            break;
        }
        if (end != CRAWL_END_RELOAD || fa_signal_stops()) { /* stopped, or asked to */
            code = 0;
            break;
        }
        fa_sd_reloading();
        int lc = 0;
        config *next = load(path, &lc);
        if (next == NULL) {
            fa_log_error("serve", "the new config was rejected; the old one stays in force");
            metrics_counter_add(m->config_reloads[METRICS_RESULT_FAILED], 1);
        } else {
            probe_set_dir(&sc.probe, next->storage.dir);
            warn_restart_keys(cfg, next);
            config_free(cfg);
            cfg = next;
            fa_log_set_format(cfg->log.format);
            if (level < 0)
                fa_log_set_level(cfg->log.level);
            metrics_counter_add(m->config_reloads[METRICS_RESULT_OK], 1);
            fa_log_info("serve", "config reloaded: %zu source(s)", cfg->n_sources);
        }
        fa_sd_ready();
    }
    fa_sd_stopping();
    metrics_http_set_ready(sc.http, 0);
    metrics_http_stop(sc.http);
    probe_set_dir(&sc.probe, NULL);
    pthread_mutex_destroy(&sc.probe.lock);
    feedarc_metrics_free(m);
    config_free(cfg);
    fa_log_info("serve", "stopped");
    return code;
}
