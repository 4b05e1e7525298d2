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
int cmd_feed(int argc, char **argv);        /* cmd_feed.c */
int cmd_import_opml(int argc, char **argv); /* cmd_import_opml.c */

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
     "                      into DIR) until SIGINT/SIGTERM, for benchmarks\n"
     "      --delay MS      the sites answer every request MS milliseconds late\n"},
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
    {"feed", cmd_feed, "parse one feed or API response, print its items",
     "usage: feedarc feed [options] FILE|URL|-\n"
     "\n"
     "Parses one feed or API response exactly as the crawler does - RSS, RDF,\n"
     "Atom, JSON Feed, WordPress REST, JSON APIs, sitemaps (gzip'd too), OPML,\n"
     "or an HTML page's feed links - from a file, stdin (-) or a URL fetched\n"
     "once, and prints one JSON line per item on stdout:\n"
     "  {\"id\",\"link\",\"title\",\"author\",\"published\",\"updated\",\n"
     "   \"summary_len\",\"content_len\",\"enclosures\":[...]}\n"
     "and one per link found ({\"link_kind\":\"next_page\"|\"feed\"|\"sitemap\",\"url\",\n"
     "\"title\"}); \"kind: rss\" and \"items: N\" go to stderr.\n"
     "\n"
     "  -t, --type TYPE     auto (default), rss, atom, jsonfeed, wordpress, sitemap, opml\n"
     "  -c, --config FILE   with --source: use a configured source's type and JSON mapping\n"
     "  -s, --source N      the source: its index in sources (from 0) or its name\n"
     "  -b, --base URL      resolve relative links against URL (files and stdin)\n"
     "  -p, --page N        the page number of this response in a paginated walk\n"
     "  -m, --max-size SIZE largest body read (default 64MiB)\n"
     "  -T, --timeout DUR   whole transfer for a URL (default 60s)\n"
     "\n"
     "Exit status: 0 parsed; 64 bad usage; 65 not a usable feed; 66 FILE cannot be\n"
     "opened; 69 the URL could not be fetched (or an HTTP error); 74 read error;\n"
     "78 invalid config.\n"},
    {"import-opml", cmd_import_opml, "print the sources an OPML subscription list adds",
     "usage: feedarc import-opml FILE\n"
     "\n"
     "Reads an OPML subscription list (what feed readers export) and prints the\n"
     "YAML sources: entries it would add - url, name (the outline's title), type\n"
     "auto - for pasting into a config.  Outlines nest (folders); each feed is\n"
     "listed once.  To follow the list itself, use a source entry\n"
     "  - opml: subscriptions.opml\n"
     "\n"
     "Exit status: 0 printed; 64 bad usage; 65 not OPML; 66 FILE cannot be opened;\n"
     "74 read error.\n"},
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
