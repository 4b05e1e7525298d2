/*
 * main.c - `feedarc <command> [options]`: dispatch to the subcommands and
 * print help.  Each command lives in its own cmd_*.c.
 */
#include "cli/cli.h"
#include "common/fa_log.h"

#include <curl/curl.h>
#include <libxml/parser.h>
#include <stdio.h>
#include <string.h>

typedef struct command {
    const char *name;
    int (*run)(int argc, char **argv);
    const char *summary;
    const char *help;
} command;

int cmd_robots(int argc, char **argv); /* cmd_robots.c */

static const command commands[] = {
    {"once", cmd_once, "crawl every source once, archive, exit",
     "usage: feedarc once -c FILE [--quiet|--verbose]\n"
     "\n"
     "Fetches every source in the config once: each feed, then every item's\n"
     "page (unless fetch_pages: false), politely, and archives every HTTP\n"
     "exchange as WARC records in zstd-compressed segments under storage.dir.\n"
     "\n"
     "  -c, --config FILE   the YAML config (required)\n"
     "  -q, --quiet         only errors on stderr, no summary\n"
     "  -v, --verbose       debug events on stderr\n"
     "\n"
     "Exit status: 0 all went well; 1 some sources failed; 64 bad usage;\n"
     "73 the archive cannot be created; 74 writing the archive failed;\n"
     "78 the config is invalid.\n"},
    {"demo", cmd_demo, "crawl bundled sample sites on loopback, print a summary",
     "usage: feedarc demo [--out DIR] [--sites N] [--articles N] [--quiet]\n"
     "\n"
     "Starts a few bundled sample news sites on 127.0.0.1 (RSS and Atom feeds,\n"
     "article pages, a syndicated wire story, an aggregator page), crawls them\n"
     "with a bundled config, archives into DIR (default ./feedarc-demo) and\n"
     "prints a summary.  Needs no network.\n"
     "\n"
     "  -o, --out DIR       archive folder (default ./feedarc-demo)\n"
     "      --sites N       number of sample sites (default 3)\n"
     "      --articles N    articles per site (default 8)\n"
     "      --print-config  print the bundled config and exit\n"
     "      --serve         only serve the sample sites (config and URL list written\n"
     "                      into DIR) until SIGINT/SIGTERM, for benchmarks\n"},
    {"robots", cmd_robots, "check URLs against a robots.txt file",
     "usage: feedarc robots FILE AGENT URL...\n"
     "\n"
     "Parses the robots.txt in FILE (- for stdin; the first 500 KiB, as RFC 9309\n"
     "says) the way the crawler does, for the crawler named AGENT (the product\n"
     "token matched against user-agent lines, e.g. feedarc), and prints for each\n"
     "URL one line: allow or disallow, the URL, and the rule that decided with\n"
     "its line number, e.g.\n"
     "  disallow http://x/private/a  (line 3: disallow: /private/)\n"
     "or (no matching rule).  URLs must be percent-encoded as sent on the wire.\n"
     "\n"
     "Exit status: 0 every URL answered; 64 bad usage; 66 FILE cannot be opened;\n"
     "74 reading FILE failed.\n"},
};

static void usage(FILE *f)
{
    fprintf(f, "usage: feedarc <command> [options]\n\n"
               "feedarc follows sites through their feeds, fetches every new item\n"
               "politely and archives it all as zstd-compressed WARC.\n\n"
               "commands:\n");
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
        fprintf(f, "  %-8s %s\n", commands[i].name, commands[i].summary);
    fprintf(f, "  %-8s %s\n", "help", "help on a command: feedarc help once");
    fprintf(f, "\noptions: --help, --version\n");
}

static const command *find(const char *name)
{
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
        if (strcmp(commands[i].name, name) == 0)
            return &commands[i];
    return NULL;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        usage(stderr);
        return EXIT_USAGE;
    }
    const char *cmd = argv[1];
    if (strcmp(cmd, "--version") == 0 || strcmp(cmd, "version") == 0) {
        curl_version_info_data *cv = curl_version_info(CURLVERSION_NOW);
        printf("feedarc %s (libcurl %s, libxml2 %s)\n", FEEDARC_VERSION, cv->version,
               LIBXML_DOTTED_VERSION);
        return 0;
    }
    if (strcmp(cmd, "--help") == 0 || strcmp(cmd, "-h") == 0) {
        usage(stdout);
        return 0;
    }
    if (strcmp(cmd, "help") == 0) {
        if (argc < 3) {
            usage(stdout);
            return 0;
        }
        const command *c = find(argv[2]);
        if (c == NULL) {
            fprintf(stderr, "feedarc: no command '%s'\n", argv[2]);
            return EXIT_USAGE;
        }
        fputs(c->help, stdout);
        return 0;
    }
    const command *c = find(cmd);
    if (c == NULL) {
        fprintf(stderr, "feedarc: no command '%s' (see feedarc --help)\n", cmd);
        return EXIT_USAGE;
    }
    for (int i = 2; i < argc; i++)
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
            fputs(c->help, stdout);
            return 0;
        }
    curl_global_init(CURL_GLOBAL_DEFAULT);
    xmlInitParser();
    int rc = c->run(argc - 1, argv + 1);
    xmlCleanupParser();
    curl_global_cleanup();
    return rc;
}
