/*
 * cmd_demo.c - `feedarc demo`: the embedded default.  Starts the bundled
 * sample sites on loopback, crawls them with the bundled config (the same
 * code path as `once`), and prints what was archived.
 */
#include "cli/cli.h"
#include "common/fa_err.h"
#include "common/fa_log.h"
#include "config/config.h"
#include "demo/sample_sites.h"

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <getopt.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* --serve: keep the sample sites up for other clients (benchmarks, wget,
 * a second feedarc), with the config and the list of every URL written
 * into out_dir, until SIGINT or SIGTERM. */
static int serve_until_signal(sample_sites *sites, const char *yaml, const char *out_dir,
                              const sigset_t *stop_signals)
{
    char path[PATH_MAX + 32];
    snprintf(path, sizeof path, "%s/feedarc-demo.yaml", out_dir);
    FILE *f = fopen(path, "w");
    if (f == NULL || fputs(yaml, f) < 0 || fclose(f) != 0) {
        fprintf(stderr, "feedarc: cannot write %s: %s\n", path, strerror(errno));
        return EXIT_CANTCREAT;
    }
    snprintf(path, sizeof path, "%s/urls.txt", out_dir);
    f = fopen(path, "w");
    if (f == NULL) {
        fprintf(stderr, "feedarc: cannot write %s: %s\n", path, strerror(errno));
        return EXIT_CANTCREAT;
    }
    for (unsigned i = 0; i < sample_sites_feed_count(sites); i++)
        fprintf(f, "%s\n", sample_sites_feed_url(sites, i));
    for (unsigned i = 0; i < sample_sites_page_count(sites); i++)
        fprintf(f, "%s\n", sample_sites_page(sites, i)->url);
    fclose(f);
    printf("serving %u sample site%s and an aggregator (%u pages); config: "
           "%s/feedarc-demo.yaml, urls: %s/urls.txt; stop with SIGINT or SIGTERM\n",
           sample_sites_n_news(sites), sample_sites_n_news(sites) == 1 ? "" : "s",
           sample_sites_page_count(sites), out_dir, out_dir);
    fflush(stdout);
    int sig = 0;
    sigwait(stop_signals, &sig);
    return 0;
}

/* A count option: digits only, in [1, max]; else a usage error (0 used to
 * mean the default silently). */
static int parse_count(const char *opt, const char *s, unsigned max, unsigned *out)
{
    char *end = NULL;
    errno = 0;
    unsigned long v = strtoul(s, &end, 10);
    if (*s < '0' || *s > '9' || *end != '\0' || errno != 0 || v < 1 || v > max) {
        fprintf(stderr, "feedarc demo: %s: \"%s\" is not a number from 1 to %u\n", opt, s, max);
        return EXIT_USAGE;
    }
    *out = (unsigned)v;
    return 0;
}

int cmd_demo(int argc, char **argv)
{
    static const struct option opts[] = {{"out", required_argument, NULL, 'o'},
                                         {"sites", required_argument, NULL, 's'},
                                         {"articles", required_argument, NULL, 'a'},
                                         {"print-config", no_argument, NULL, 'p'},
                                         {"serve", no_argument, NULL, 'S'},
                                         {"delay", required_argument, NULL, 'd'},
                                         {"page-size", required_argument, NULL, 'P'},
                                         {"syndicated", required_argument, NULL, 'Y'},
                                         {"quiet", no_argument, NULL, 'q'},
                                         {"verbose", no_argument, NULL, 'v'},
                                         {NULL, 0, NULL, 0}};
    const char *out_dir = "feedarc-demo";
    sample_sites_options so = {0};
    int print_config = 0, serve = 0, quiet = 0, ch, bad = 0;
    optind = 1;
    while ((ch = getopt_long(argc, argv, "o:qv", opts, NULL)) != -1) {
        switch (ch) {
        case 'o': out_dir = optarg; break;
        case 's':
            bad = parse_count("--sites", optarg, SAMPLE_SITES_MAX_SITES, &so.n_sites);
            break;
        case 'a':
            bad = parse_count("--articles", optarg, SAMPLE_SITES_MAX_PAGES, &so.articles_per_site);
            break;
        case 'p': print_config = 1; break;
        case 'S': serve = 1; break;
        case 'd': so.delay_ms = (unsigned)strtoul(optarg, NULL, 10); break;
        case 'P': { /* (issue 14) bytes, 16384-524288 */
            unsigned v = 0;
            bad = parse_count("--page-size", optarg, 512u << 10, &v);
            if (bad == 0 && v < (16u << 10)) {
                fprintf(stderr, "feedarc demo: --page-size: %u is under 16384 bytes\n", v);
                bad = EXIT_USAGE;
            }
            so.page_bytes = v;
            break;
        }
        case 'Y':
            bad = parse_count("--syndicated", optarg, 90, &so.syndicated_pct);
            break;
        case 'q': quiet = 1; fa_log_set_level(FA_LOG_ERROR); break;
        case 'v': fa_log_set_level(FA_LOG_DEBUG); break;
        default: return EXIT_USAGE;
        }
        if (bad) return bad;
    }
    if (optind != argc) {
        fprintf(stderr, "usage: feedarc demo [--out DIR] (see feedarc help demo)\n");
        return EXIT_USAGE;
    }
    if (mkdir(out_dir, 0777) < 0 && errno != EEXIST) {
        fprintf(stderr, "feedarc: cannot create %s: %s\n", out_dir, strerror(errno));
        return EXIT_CANTCREAT;
    }
    char abs_out[PATH_MAX];
    if (realpath(out_dir, abs_out) == NULL) {
        fprintf(stderr, "feedarc: %s: %s\n", out_dir, strerror(errno));
        return EXIT_CANTCREAT;
    }

    sample_sites *sites = NULL;
    char *yaml = NULL;
    sigset_t stop_signals;
    if (serve) {
        /* Block before the server threads start, so they inherit the mask
         * and the signals wait for sigwait below. */
        sigemptyset(&stop_signals);
        sigaddset(&stop_signals, SIGINT);
        sigaddset(&stop_signals, SIGTERM);
        pthread_sigmask(SIG_BLOCK, &stop_signals, NULL);
    }
    int src = sample_sites_start(&so, abs_out, &sites, &yaml);
    if (src == FA_ETOOBIG) {
        fprintf(stderr, "feedarc demo: --sites x --articles is more than %u pages\n",
                SAMPLE_SITES_MAX_PAGES);
        return EXIT_USAGE;
    }
    if (src < 0) {
        fprintf(stderr, "feedarc: cannot start the sample sites on 127.0.0.1: %s\n",
                fa_strerror(src));
        return EXIT_SOFTWARE;
    }
    if (serve) {
        int served = serve_until_signal(sites, yaml, abs_out, &stop_signals);
        free(yaml);
        sample_sites_stop(sites);
        return served;
    }
    if (print_config) {
        fputs(yaml, stdout);
        free(yaml);
        sample_sites_stop(sites);
        return 0;
    }
    config *cfg = NULL;
    char *errors = NULL;
    int code;
    if (config_load_string(yaml, strlen(yaml), "demo.yaml", abs_out, &cfg, &errors) < 0) {
        fprintf(stderr, "feedarc: the bundled demo config is invalid:\n%s", errors ? errors : "");
        free(errors);
        code = EXIT_SOFTWARE;
        goto out;
    }
    if (!quiet)
        printf("feedarc demo: %u sample site%s and an aggregator on loopback, archiving into %s\n",
               sample_sites_n_news(sites), sample_sites_n_news(sites) == 1 ? "" : "s", abs_out);
    crawl_summary sum;
    int rc = crawl_run_once(cfg, NULL, &sum);
    if (cli_run_failed_at_start(&sum))
        fprintf(stderr, "feedarc: %s\n", sum.storage_message);
    else if (!quiet)
        cli_print_summary(stdout, &sum, cfg->storage.dir);
    code = cli_exit_code(rc, &sum);
    crawl_summary_free(&sum);
out:
    config_free(cfg);
    free(yaml);
    sample_sites_stop(sites);
    return code;
}
