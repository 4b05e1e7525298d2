/*
 * crawl_signals.c - how a crawl stops: SIGTERM/SIGINT, SIGHUP, the
 * --max-duration deadline and the grace period.
 *
 * fa_signal.h's handlers only count signals; the 10 ms lag timer
 * (crawl_telemetry.c) calls crawl__check_signals, which acts on them here,
 * on the loop thread.  A stop (signal or deadline) starts no new request
 * (crawl__stop drains the host queue: those URLs are deferred), lets the
 * transfers in flight finish for the grace period (service.grace_period,
 * 10 s by default) and then cancels them; a second stop signal cancels
 * them at once.  SIGHUP, in a service, ends the run the same way but
 * without cutting any transfer short: the caller then reloads the config
 * and starts a new run.  In every case what was fetched is archived and
 * its state committed before crawl_run_once returns.
 *
 * Threads: loop thread only.
 */
#include "crawler/crawl_internal.h"
#include "common/fa_err.h"
#include "common/fa_log.h"
#include "common/fa_signal.h"

#include <signal.h>

static void on_grace_over(uv_timer_t *t)
{
    crawl *c = t->data;
    fa_log_warn("crawl", "grace period over: cancelling %u transfer(s) in flight",
                fetcher_active(c->f));
    fetcher_close(c->f); /* their jobs end as canceled */
    crawl__maybe_finish(c);
}

static uint64_t grace_ms(const crawl *c)
{
    return c->opt && c->opt->grace_ms ? c->opt->grace_ms : 10000;
}

static void begin_stop(crawl *c, enum crawl_end why)
{
    if (c->stopping) return;
    c->end = why;
    uv_timer_stop(&c->deadline);
    crawl__serve_stop(c);
    crawl__stop(c);
    for (unsigned i = 0; !c->serve && i < c->sum->sources; i++)
        c->sum->results[i].interrupted = c->src[i].alive > 0; /* once: cut short */
    uint64_t grace = grace_ms(c);
    if (why == CRAWL_END_RELOAD) grace = UINT64_MAX / 2000000; /* a reload never cuts a transfer */
    c->grace_on = 1;
    uv_timer_start(&c->grace, on_grace_over, grace, 0);
    crawl__maybe_finish(c);
}

void crawl__check_signals(crawl *c)
{
    unsigned long stops = fa_signal_stops();
    if (stops != c->stops_seen && !c->finishing) {
        int first = c->stops_seen == 0 || c->end == CRAWL_END_RELOAD;
        int sig = fa_signal_stop_first();
        c->stops_seen = stops;
        if (first) {
            c->stop_signal = sig;
            fa_log_info("crawl", "%s: stopping; %u transfer(s) in flight may finish",
                        sig == SIGINT ? "SIGINT" : "SIGTERM", fetcher_active(c->f));
            if (c->end == CRAWL_END_RELOAD) { /* a reload was waiting: stop instead */
                c->end = CRAWL_END_SIGNAL;
                uv_timer_stop(&c->grace);
                uv_timer_start(&c->grace, on_grace_over, grace_ms(c), 0);
            } else {
                begin_stop(c, CRAWL_END_SIGNAL);
            }
        }
        if (!first || stops >= 2) { /* asked twice: do not wait */
            fa_log_warn("crawl", "stop signal repeated: not waiting for transfers in flight");
            if (!c->finishing) on_grace_over(&c->grace);
        }
    }
    unsigned long hups = fa_signal_hups();
    if (hups != c->hups_seen) {
        c->hups_seen = hups;
        if (c->serve && !c->stopping) {
            fa_log_info("crawl", "SIGHUP: reloading the config once transfers in flight end");
            begin_stop(c, CRAWL_END_RELOAD);
        }
    }
}

static void on_deadline(uv_timer_t *t)
{
    crawl *c = t->data;
    fa_log_info("crawl",
                "--max-duration reached: stopping; %u transfer(s) in flight may finish, "
                "%llu request(s) left for the next run",
                fetcher_active(c->f), (unsigned long long)host_queue_pending(c->q));
    begin_stop(c, CRAWL_END_DEADLINE);
}

void crawl__open_stop_handles(crawl *c)
{
    uv_timer_init(&c->loop, &c->deadline);
    c->deadline.data = c;
    if (c->deadline_ns) uv_timer_start(&c->deadline, on_deadline, c->opt->max_duration_ms, 0);
    uv_timer_init(&c->loop, &c->grace);
    c->grace.data = c;
    c->signals_on = 1;
    crawl__serve_open(c);
}

void crawl__close_stop_handles(crawl *c)
{
    if (!c->signals_on) return;
    c->signals_on = 0;
    uv_close((uv_handle_t *)&c->deadline, NULL);
    uv_close((uv_handle_t *)&c->grace, NULL);
    crawl__serve_close(c);
}
