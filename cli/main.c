/*
 * main.c - `feedarc <command> [options]`: dispatch to the subcommands and
 * print help.  Each command lives in its own cmd_*.c.
 */
#include "cli/cli.h"
#include "common/fa_alloc.h"
#include "common/fa_log.h"

#include <curl/curl.h>
#include <libxml/parser.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#ifdef FEEDARC_JEMALLOC
/* jemalloc's configuration, read at its first allocation (MALLOC_CONF in
 * the environment still adds to it; docs/BENCHMARKS.md, "Session 20").
 *   - background_thread: freed pages are returned by jemalloc's own thread
 *     as they age (dirty_decay_ms, 10 s), not inside a malloc or free of
 *     whichever thread comes by - the loop thread among them - and also
 *     while `serve` sleeps between polls, so an idle service gives its
 *     burst's pages back (test_serve_memory).
 *   - narenas_ratio:1: one arena per core, not four.  The workers' small
 *     blocks come from their thread caches either way; each arena keeps
 *     its own freed pages until they age.  On ~100 KB pages peak RSS was
 *     95-99 MiB with four per core, 84-87 with one (glibc: 79-82), the CPU
 *     the same; on the bench crawl 55 -> 51 MiB (glibc 47), 7% less CPU
 *     than glibc's either way.  (Without jemalloc: fa_alloc_tune.) */
const char *malloc_conf = "background_thread:true,narenas_ratio:1";
#endif

typedef struct command {
    const char *name;
    int (*run)(int argc, char **argv);
    const char *summary;
    const char *help;
} command;

static const command commands[] = {
    {"once", cmd_once, "crawl every source once, archive, exit",
     "usage: feedarc once -c FILE [--quiet|--verbose] [--json] [--max-duration D]\n"
     "\n"
     "Fetches every source in the config once: each feed, then every item's\n"
     "page (unless fetch_pages: false), politely, and archives every HTTP\n"
     "exchange as WARC records in zstd-compressed segments under storage.dir.\n"
     "\n"
     "  -c, --config FILE   the YAML config (required)\n"
     "  -q, --quiet         no summary; only warnings and errors on stderr -\n"
     "                      every failing source among them\n"
     "  -v, --verbose       debug events on stderr, one line per fetch\n"
     "                      (method, URL, status, bytes, ms, cause)\n"
     "  --json              the summary as one JSON object on stdout, per\n"
     "                      source its result, cause and the new URLs\n"
     "  --max-duration D    stop after D (10m, 90s): transfers in flight may\n"
     "                      finish (service.grace_period), what is left is\n"
     "                      deferred to the next run\n"
     "\n"
     "A host backing off longer than the run can wait (30 s, or what is left\n"
     "of --max-duration) is not waited for: its URLs are deferred to the next\n"
     "run and counted as deferred in the summary.\n"
     "\n"
     "Exit status: 0 all went well; 1 some sources failed; 64 bad usage;\n"
     "73 the archive cannot be created or the state is locked; 74 writing the\n"
     "archive failed; 78 the config is invalid; 130/143 interrupted by\n"
     "SIGINT/SIGTERM (what was fetched is archived; a second signal cancels\n"
     "transfers in flight at once).\n"},
    {"serve", cmd_serve, "run as a service: poll every source on its interval",
     "usage: feedarc serve -c FILE [--quiet|--verbose]\n"
     "\n"
     "Runs until SIGTERM or SIGINT, polling every source on its own interval\n"
     "(sources[].interval, default 15m, with jitter) under the same politeness\n"
     "and state as `once`.  Serves /metrics, /healthz and /readyz on\n"
     "metrics.listen (default 127.0.0.1:9464).  SIGTERM/SIGINT: no new request\n"
     "starts, transfers in flight may finish within service.grace_period, the\n"
     "segment is closed and the state committed; exit 0.  SIGHUP: reload the\n"
     "config (a config that does not load is rejected; the old one stays).\n"
     "Under systemd (Type=notify) it reports READY, STOPPING and WATCHDOG.\n"
     "\n"
     "Exit status: 0 stopped by a signal; 74 the archive could not be written;\n"
     "75 a start-up failure worth retrying (the metrics port is in use);\n"
     "78 the config is invalid (at start).\n"},
    {"demo", cmd_demo, "crawl bundled sample sites on loopback, print a summary",
     "usage: feedarc demo [--out DIR] [--sites N] [--articles N] [--page-size B]\n"
     "                   [--syndicated P] [--quiet]\n"
     "\n"
     "Starts a few bundled sample news sites on 127.0.0.1 (RSS and Atom feeds,\n"
     "article pages, a syndicated wire story, an aggregator page), crawls them\n"
     "with a bundled config, archives into DIR (default ./feedarc-demo) and\n"
     "prints a summary.  Needs no network.\n"
     "\n"
     "  -o, --out DIR       archive folder (default ./feedarc-demo)\n"
     "      --sites N       number of sample news sites, 1-250 (default 3; an\n"
     "                      aggregator site comes on top)\n"
     "      --articles N    articles per site, 1 or more (default 8)\n"
     "      --page-size B   article pages of about B bytes (16384-524288; default:\n"
     "                      the compact 7-17 KB pages) with a news site's template\n"
     "      --syndicated P  P% (1-90) of the articles are other sites' stories\n"
     "                      reprinted (benchmarks of dedup and compression)\n"
     "      --print-config  print the bundled config and exit\n"
     "      --serve         only serve the sample sites (config and URL list written\n"
     "                      into DIR) until SIGINT/SIGTERM, for benchmarks\n"
     "      --delay MS      the sites answer every request MS milliseconds late\n"
     "\n"
     "Exit status: 0 every page archived; 1 a source failed; 64 bad usage (a count\n"
     "that is not a number in range); 70 the sites cannot start; 73/74 as once.\n"},
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
    {"ls", cmd_ls, "list every record of an archive folder",
     "usage: feedarc ls DIR...\n"
     "\n"
     "Prints one line per record of every closed segment in DIR (and every\n"
     ".warc.gz and .warc file there, e.g. an export), in name order (time order):\n"
     "  TIME TYPE STATUS SIZE URL\n"
     "TIME is WARC-Date as 14 digits, STATUS the HTTP status (- when not HTTP),\n"
     "SIZE the block's Content-Length, URL the target URI (- when none).\n"
     "Several folders (a cluster's nodes' archives) are listed one after the other.\n"
     "\n"
     "Exit status: 0 listed; 64 bad usage; 65 a segment is corrupt; 66 DIR cannot\n"
     "be read.\n"},
    {"get", cmd_get, "print the archived payload of a URL",
     "usage: feedarc get DIR... URL [--at YYYYMMDDhhmmss] [--headers]\n"
     "\n"
     "Finds URL in the CDXJ indexes of DIR - the capture closest to --at, else\n"
     "the latest - decompresses only its frame, checks its digests and writes\n"
     "the payload to stdout: the HTTP body without chunked framing, with any\n"
     "Content-Encoding left as archived (pipe through gzip -d when the headers\n"
     "say gzip).  A revisit is followed to the capture it refers to.  Several\n"
     "folders (a cluster's nodes' archives) are one collection: the best capture\n"
     "of them all, a revisit followed into the folder of its original.\n"
     "\n"
     "  -a, --at TS      the capture closest to this time (4-14 digits)\n"
     "  -H, --headers    also print the archived HTTP head on stderr\n"
     "\n"
     "Exit status: 0 written; 1 no capture of URL; 64 bad usage; 65 the record\n"
     "is corrupt; 66 DIR cannot be read; 74 write error.\n"},
    {"verify", cmd_verify, "check every frame, record, digest and index",
     "usage: feedarc verify DIR...\n"
     "\n"
     "Checks every closed segment in DIR (and .warc.gz and .warc file): each zstd\n"
     "frame (gzip member) decompresses and matches its checksum, each record\n"
     "parses and has the WARC 1.1 mandatory fields, WARC-Block-Digest and\n"
     "WARC-Payload-Digest match, and each CDXJ index line points at the start\n"
     "of its record's frame.  Prints one line per fault (FILE: offset N: record\n"
     "ID: what), then a summary (a line per folder and a total with several).\n"
     "\n"
     "Exit status: 0 no fault; 65 faults found; 64 bad usage; 66 DIR cannot be\n"
     "read.\n"},
    {"index", cmd_index, "write missing CDXJ indexes and DIR/index.cdxj",
     "usage: feedarc index DIR... [--all]\n"
     "\n"
     "Writes SEGMENT.cdxj for every closed segment in DIR without one (every\n"
     "segment with --all), then DIR/index.cdxj, the sorted merge of them all,\n"
     "for pywb or OutbackCDX.  Lines: SURT TIMESTAMP {url,mime,status,digest,\n"
     "length,offset,filename}; offset and length are the record's zstd frame.\n"
     "Several folders are indexed each in place (`get DIR...` reads them all).\n"
     "\n"
     "Exit status: 0 written; 64 bad usage; 65 a segment is corrupt; 66 DIR\n"
     "cannot be read; 73 an index cannot be written.\n"},
    {"export", cmd_export, "the archive as .warc.gz + CDXJ, or as a WACZ package",
     "usage: feedarc export [--wacz] DIR OUT [--since T] [--until T] [--url-prefix P]\n"
     "\n"
     "Copies the records of DIR (byte for byte: same headers, record ids and\n"
     "digests) into OUT, a standard .warc.gz (one gzip member per record) with\n"
     "its CDXJ index beside it as OUT.cdxj (offsets into OUT, the lines warcio's\n"
     "cdx-index prints), for pywb, warcio and the other WARC tools.  With --wacz\n"
     "(or an OUT ending in .wacz), a WACZ 1.1.1 package instead - the .warc.gz,\n"
     "its index, the list of article pages with their titles, datapackage.json -\n"
     "that ReplayWeb.page opens.  The requests, metadata and conversion records\n"
     "of a selected response come along.  A progress line on a terminal.\n"
     "\n"
     "  -w, --wacz            write a WACZ package\n"
     "  -s, --since T         records at or after T (YYYY[MM[DD[hh[mm[ss]]]]] or\n"
     "                        ISO 8601; missing digits: the start of the period)\n"
     "  -u, --until T         records at or before T (missing digits: its end)\n"
     "  -p, --url-prefix P    records whose target URI starts with P\n"
     "  -l, --level N         gzip level, 0 (fastest, the default) to 3 (1: 9% smaller,\n"
     "                        half the speed)\n"
     "  -q, --quiet           no progress, no summary\n"
     "\n"
     "Exit status: 0 exported; 64 bad usage; 65 a source file is corrupt; 66 DIR\n"
     "cannot be read; 73 OUT cannot be created; 74 writing OUT failed.\n"},
    {"dict-extract", cmd_dict_extract, "write a segment's zstd dictionary to a file",
     "usage: feedarc dict-extract SEGMENT OUT\n"
     "\n"
     "Writes the zstd dictionary carried in SEGMENT's dictionary frame to OUT,\n"
     "so that other tools can read the segment:\n"
     "  feedarc dict-extract SEG.warc.zst seg.zdict && zstd -d -D seg.zdict SEG.warc.zst\n"
     "\n"
     "Exit status: 0 written; 64 bad usage; 65 SEGMENT has no (valid) dictionary\n"
     "frame; 66 SEGMENT cannot be read; 73 OUT cannot be written.\n"},
    {"dict-train", cmd_dict_train, "train a zstd dictionary on an archive's first records",
     "usage: feedarc dict-train DIR OUT [--size BYTES] [--records N]\n"
     "\n"
     "Trains a zstd dictionary of at most BYTES (default 114688 = 112 KiB) on the\n"
     "first N records (default 1000) of the archive in DIR and writes it to OUT.\n"
     "\n"
     "Exit status: 0 written; 64 bad usage; 65 too few samples; 66 DIR cannot be\n"
     "read; 73 OUT cannot be written.\n"},
    {"extract", cmd_extract, "print the main text extracted from an HTML page",
     "usage: feedarc extract [--json] [--charset LABEL] [--fragment|--wp-json] FILE|-\n"
     "       feedarc extract --batch [--charset LABEL] [--fragment|--wp-json] FILE...\n"
     "\n"
     "Runs the extractor the near-duplicate detector uses on one HTML document\n"
     "(FILE, or - for stdin) and prints its main text, one block per line:\n"
     "menus, cookie banners, sidebars, footers, share and comment widgets are\n"
     "left out.  The page's encoding is decided as the crawler decides it (BOM,\n"
     "meta charset, detection) and printed on stderr (\"encoding: ...\").\n"
     "\n"
     "  -c, --charset LABEL  the charset a server would send in Content-Type\n"
     "  -j, --json      print every block with its class (content/boilerplate),\n"
     "                  the rule that decided it and its signals\n"
     "  -f, --fragment  the input is an HTML fragment (feed item content): no\n"
     "                  template, every block is content\n"
     "  -w, --wp-json   the input is a WordPress REST post (title and\n"
     "                  content.rendered are read)\n"
     "  -b, --batch     many FILEs in one process: each one's main text followed\n"
     "                  by a NUL byte (empty for a file that failed)\n"
     "\n"
     "Exit status: 0 printed; 64 bad usage; 65 not a REST post; 66 FILE cannot be\n"
     "opened; 74 read error or past a size ceiling (--batch: the last failure's).\n"},
    {"status", cmd_status, "per source: last attempt, success, error, next due",
     "usage: feedarc status -c FILE [--json]\n"
     "\n"
     "Prints, for every source of the config, what the state remembers: the last\n"
     "attempt and the last success, the last HTTP status or error, items archived,\n"
     "consecutive failures and when it is next due.  A source whose last 3 or more\n"
     "polls failed in a row is flagged FAILING (it keeps being retried, with\n"
     "backoff).  Sources the state knows but the config no longer lists come last.\n"
     "Reads the state without taking its lock: works while feedarc serve runs.\n"
     "\n"
     "  -c, --config FILE   the YAML config (required)\n"
     "  -j, --json          one JSON object (times ISO 8601 UTC, null when never)\n"
     "\n"
     "Exit status: 0 no source is failing; 1 some source is failing repeatedly;\n"
     "64 bad usage; 74 the state cannot be read; 78 the config is invalid.\n"},
    {"config", cmd_config, "check a config file, print the effective config",
     "usage: feedarc config check [-q] FILE\n"
     "\n"
     "Loads and validates FILE exactly as once and serve do.  Valid: prints the\n"
     "effective config as YAML - every default filled in, paths absolute - and\n"
     "exits 0.  Invalid: prints every error as FILE:LINE: key: what on stderr and\n"
     "exits 78.\n"
     "\n"
     "  -q, --quiet   print nothing when the config is valid\n"
     "\n"
     "Exit status: 0 valid; 64 bad usage; 78 invalid or unreadable.\n"},
    {"dedup-report", cmd_dedup_report, "every document with its duplicates and containments",
     "usage: feedarc dedup-report [--ndjson|--summary] DIR...\n"
     "\n"
     "Reads the metadata records the dedup engine wrote next to every archived\n"
     "page in DIR and prints one JSON line per document, keyed by its URL as the\n"
     "source gave it, with every relation the archive knows, whatever order the\n"
     "pages were fetched in:\n"
     "  {\"url\",\"exact_duplicate_of\",\"duplicate_of\",\"similarity\",\n"
     "   \"contains\":[{\"url\",\"containment\"}],\"contained_in\":[...],\n"
     "   \"main_chars\",\"novel_chars\",\"boilerplate_chars\"}\n"
     "duplicate_of is the earliest document of the near-duplicate chain; a URL\n"
     "archived several times is reported from its newest metadata record.\n"
     "Several folders (a cluster's nodes' archives) are one collection.\n"
     "(docs/DEDUP.md, \"dedup-report\")\n"
     "\n"
     "  --ndjson    one line per document (the default)\n"
     "  --summary   one JSON line of counts: documents, exact_duplicates,\n"
     "              near_duplicates, containment_pairs, faults\n"
     "\n"
     "Exit status: 0 reported; 64 bad usage; 65 a segment is corrupt or a\n"
     "feedarc metadata line is malformed (reported on stderr; everything\n"
     "readable is still reported); 66 DIR cannot be read; 74 write error.\n"},
    {"text", cmd_text, "print the extracted main text of archived pages",
     "usage: feedarc text [--blocks] DIR... [URL]\n"
     "\n"
     "Prints the main text the dedup engine extracted from each archived page\n"
     "(its conversion record: boilerplate removed, one block a line, a block\n"
     "copied from another document marked [copied from URL]) as JSON lines:\n"
     "  {\"url\",\"date\",\"record_id\",\"text\"}\n"
     "With URL, only the newest text of that page (URL as archived, or as the\n"
     "source gave it).  --blocks adds \"blocks\": the blocks copied from other\n"
     "archived documents, {\"start\",\"end\" (code points into text),\"url\",\n"
     "\"record_id\",\"text\"} - an aggregator's carried stories as links.\n"
     "Several folders are read as one collection; URL is the last argument with\n"
     "\"://\" in it.\n"
     "\n"
     "Exit status: 0 printed; 1 no text for URL; 64 bad usage; 65 a segment is\n"
     "corrupt (the rest is still printed); 66 DIR cannot be read; 74 write error.\n"},
};

static void usage(FILE *f)
{
    fprintf(f, "usage: feedarc <command> [options]\n\n"
               "feedarc follows sites through their feeds, fetches every new item\n"
               "politely and archives it all as zstd-compressed WARC.\n\n"
               "commands:\n");
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
        fprintf(f, "  %-12s %s\n", commands[i].name, commands[i].summary);
    fprintf(f, "  %-12s %s\n", "help", "help on a command: feedarc help once");
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
        printf("feedarc %s (libcurl %s, libxml2 %s, %s)\n", FEEDARC_VERSION, cv->version,
               LIBXML_DOTTED_VERSION, fa_alloc_name());
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
    fa_alloc_tune(); /* before any thread starts */
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
