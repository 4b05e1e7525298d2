/*
 * cmd_demo.c - `feedarc demo`: the embedded default.  Starts the bundled
 * sample sites on loopback, crawls them with the bundled config (the same
 * code path as `once`), and prints what was archived.
 */
#include "cli/cli.h"
#include "common/fa_log.h"
#include "config/config.h"
#include "demo/sample_sites.h"

#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int cmd_demo(int argc, char **argv)
{
    static const struct option opts[] = {{"out", required_argument, NULL, 'o'},
                                         {"sites", required_argument, NULL, 's'},
                                         {"articles", required_argument, NULL, 'a'},
                                         {"print-config", no_argument, NULL, 'p'},
                                         {"quiet", no_argument, NULL, 'q'},
                                         {"verbose", no_argument, NULL, 'v'},
                                         {NULL, 0, NULL, 0}};
    const char *out_dir = "feedarc-demo";
    sample_sites_options so = {0};
    int print_config = 0, quiet = 0, ch;
    optind = 1;
    while ((ch = getopt_long(argc, argv, "o:qv", opts, NULL)) != -1) {
        switch (ch) {
        case 'o': out_dir = optarg; break;
        case 's': so.n_sites = (unsigned)strtoul(optarg, NULL, 10); break;
        case 'a': so.articles_per_site = (unsigned)strtoul(optarg, NULL, 10); break;
        case 'p': print_config = 1; break;
        case 'q': quiet = 1; fa_log_set_level(FA_LOG_ERROR); break;
        case 'v': fa_log_set_level(FA_LOG_DEBUG); break;
        default: return EXIT_USAGE;
        }
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
    if (sample_sites_start(&so, abs_out, &sites, &yaml) < 0) {
        fprintf(stderr, "feedarc: cannot start the sample sites on 127.0.0.1\n");
        return EXIT_SOFTWARE;
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
        printf("feedarc demo: %u sample sites on loopback, archiving into %s\n",
               sample_sites_n_servers(sites), abs_out);
    crawl_summary sum;
    int rc = crawl_run_once(cfg, NULL, &sum);
    if (!quiet)
        cli_print_summary(stdout, &sum, cfg->storage.dir);
    code = cli_exit_code(rc, &sum);
    crawl_summary_free(&sum);
out:
    config_free(cfg);
    free(yaml);
    sample_sites_stop(sites);
    return code;
}
