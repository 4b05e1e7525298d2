/* cmd_once.c - `feedarc once -c FILE`: one crawl over all sources. */
#include "cli/cli.h"
#include "common/fa_log.h"
#include "common/fa_signal.h"
#include "config/config.h"

#include <getopt.h>
#include <signal.h>
#include <stdlib.h>
#include <unistd.h>

int cmd_once(int argc, char **argv)
{
    static const struct option opts[] = {{"config", required_argument, NULL, 'c'},
                                         {"quiet", no_argument, NULL, 'q'},
                                         {"verbose", no_argument, NULL, 'v'},
                                         {"max-duration", required_argument, NULL, 'D'},
                                         {"json", no_argument, NULL, 'j'},
                                         {NULL, 0, NULL, 0}};
    fa_signal_install(); /* from the start: a stop signal is never fatal */
    const char *path = NULL;
    int quiet = 0, verbose = 0, json = 0, ch;
    uint64_t max_duration = 0;
    optind = 1;
    while ((ch = getopt_long(argc, argv, "c:qv", opts, NULL)) != -1) {
        switch (ch) {
        case 'c': path = optarg; break;
        case 'q': quiet = 1; break;
        case 'v': verbose = 1; break;
        case 'j': json = 1; break;
        case 'D':
            if (config_parse_duration(optarg, &max_duration) < 0 || max_duration == 0) {
                fprintf(stderr, "feedarc: --max-duration %s: not a duration (say 10m, 90s)\n",
                        optarg);
                return EXIT_USAGE;
            }
            break;
        default: return EXIT_USAGE;
        }
    }
    if (path == NULL || optind != argc) {
        fprintf(stderr, "usage: feedarc once -c FILE [--max-duration D] (see feedarc help once)\n");
        return EXIT_USAGE;
    }
    char *errors = NULL;
    config *cfg = cli_load_config(path, &errors);
    if (cfg == NULL) {
        fprintf(stderr, "%s", errors ? errors : "invalid config\n");
        free(errors);
        return EXIT_CONFIG;
    }
    /* log.level from the config unless -q/-v say otherwise; a failing
     * source is a warning, and is always logged, whatever the level */
    fa_log_set_format(cfg->log.format);
    enum fa_log_level level = verbose ? FA_LOG_DEBUG : quiet ? FA_LOG_WARN : cfg->log.level;
    fa_log_set_level(level > FA_LOG_WARN ? FA_LOG_WARN : level);
    crawl_options co = {.progress = !quiet && !json && isatty(STDERR_FILENO),
                        .collect_new_urls = json,
                        .grace_ms = cfg->service.grace_period_ms,
                        .max_duration_ms = max_duration};
    crawl_summary sum;
    int rc = crawl_run_once(cfg, &co, &sum);
    if (cli_run_failed_at_start(&sum))
        fprintf(stderr, "feedarc: %s\n", sum.storage_message);
    else if (json)
        cli_print_summary_json(stdout, &sum, cfg->storage.dir);
    else if (!quiet)
        cli_print_summary(stdout, &sum, cfg->storage.dir);
    else if (sum.storage_error)
        fprintf(stderr, "feedarc: %s\n", sum.storage_message);
    else if (sum.end == CRAWL_END_SIGNAL)
        fprintf(stderr, "feedarc: interrupted by %s: %llu pages archived, the rest left for the "
                        "next run\n",
                sum.signal == SIGINT ? "SIGINT" : "SIGTERM",
                (unsigned long long)sum.pages_fetched);
    int code = cli_exit_code(rc, &sum);
    crawl_summary_free(&sum);
    config_free(cfg);
    return code;
}
