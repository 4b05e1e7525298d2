/*
 * sample_sites.h - the bundled sample web: a few invented news sites served
 * on loopback, for `feedarc demo`, the integration tests and benchmarks.
 *
 * sample_sites_start builds every site's content from a seed (the same seed
 * gives byte-identical pages apart from the origins, which carry ephemeral
 * ports), starts one site_server per site, each on its own loopback address
 * (127.0.0.2, 127.0.0.3, ...), and writes a feedarc YAML config whose
 * sources are the sites' feeds.  No network is used.
 *
 * What is served (n = n_sites, a = articles_per_site):
 *   - n news sites, each with its own HTML template (cookie banner, header,
 *     nav menu, "most read" sidebar, footer - boilerplate repeated on every
 *     page), a home page, robots.txt (everything allowed but /private/), a
 *     /private/ page and one feed listing its a articles.  Site 0 publishes
 *     RSS 2.0 with content:encoded, odd sites Atom 1.0, other even sites
 *     plain RSS 2.0.
 *   - a wire story on sites 0..min(n,3)-1 (article 2, when a >= 3): the original, then a
 *     copy with a new headline and one added sentence, then a copy with a
 *     new headline and the last paragraph cut.
 *   - an alias: site 0's main feed links article 1 with "?utm_source=feed";
 *     site 0's second feed ("local" section, plain RSS) links it plainly.
 *   - an aggregator site (the last server) with an Atom feed of max(2, a/2)
 *     items; item 0 is a roundup page: one story of its own, then the full
 *     text of up to 3 other sites' articles under "Related Articles".
 * The page count is n*a + 1 (the alias, when a >= 2) + max(2, a/2); the
 * roundup's related articles are articles 3 and later (none when a <= 3).
 *
 * Threads: the servers run their own threads - without a delay one epoll
 * thread per site (SITE_SERVER_ONE_THREAD: a delayed route added later
 * through sample_sites_server() would hold that whole site), with one a
 * thread per connection; the accessors may be called from any thread
 * while the sites run.
 */
#ifndef SAMPLE_SITES_H
#define SAMPLE_SITES_H

#include "demo/site_server.h"

#include <stdint.h>

#define SAMPLE_SITES_MAX_SITES 250    /* one 127.0.0.x address each */
#define SAMPLE_SITES_MAX_PAGES 100000 /* ceiling on n*a (about 1 GB of HTML) */

typedef struct sample_sites_options {
    unsigned n_sites;           /* news sites, 1..250; 0 = 3 */
    unsigned articles_per_site; /* at least 1; 0 = 8 */
    uint32_t seed;              /* content; 0 is a seed like any other */
    unsigned delay_ms;          /* added to every response (default 0) */
    int single_address;         /* all sites on 127.0.0.1, own ports */
    /* (issue 14) Real-size pages: 0 = the compact pages above (7-17 KB);
     * else article pages of about this many bytes (16 KiB..512 KiB) - what
     * a news site's template adds around the story: an inline stylesheet,
     * a section menu, teasers of other stories (picture, headline,
     * summary), the page's JSON state and inline scripts.  The stylesheet,
     * menu and scripts are the same on every page of a site. */
    size_t page_bytes;
    /* (issue 14) Syndication: this percentage (0..90) of each news site's
     * ordinary articles are copies of another site's article (a wire story
     * reprinted with a new headline: kind SAMPLE_PAGE_WIRE, wire_variant 0
     * the same text, 1 a sentence added, 2 the last paragraph cut). */
    unsigned syndicated_pct;
} sample_sites_options;

typedef struct sample_sites sample_sites;

enum sample_page_kind {
    SAMPLE_PAGE_ARTICLE = 0, /* an ordinary article */
    SAMPLE_PAGE_WIRE,        /* a variant of the wire story */
    SAMPLE_PAGE_ALIAS,       /* the ?utm_source=feed URL of an article */
    SAMPLE_PAGE_ROUNDUP      /* the aggregator page with related articles */
};

/* Ground truth about one page reachable from the feeds, for tests of the
 * crawler and of the near-duplicate detector. */
typedef struct sample_page_info {
    const char *url;           /* absolute, as the feed gives it */
    const char *canonical_url; /* its rel=canonical (url itself but for aliases) */
    enum sample_page_kind kind;
    unsigned server;       /* index for sample_sites_server */
    unsigned wire_variant; /* 0 original, 1 sentence added, 2 end cut */
    size_t size;           /* bytes of HTML served */
} sample_page_info;

/* Builds and starts the sites.  opt may be NULL (all defaults).  out_dir
 * becomes storage.dir (made absolute against the current directory when
 * relative; it is not created).  On success *out owns the running sites
 * (stop with sample_sites_stop) and, when config_yaml is not NULL,
 * *config_yaml a malloc'd YAML text the caller frees.  Returns 0,
 * FA_EINVAL (bad options), FA_ETOOBIG (past the ceilings above), FA_ENOMEM,
 * or FA_EIO (a server could not start; message on stderr). */
int sample_sites_start(const sample_sites_options *opt, const char *out_dir, sample_sites **out,
                       char **config_yaml);

/* Article pages reachable from the feeds (distinct URLs), and each one's
 * description (owned by s; NULL past the end). */
unsigned sample_sites_page_count(const sample_sites *s);
const sample_page_info *sample_sites_page(const sample_sites *s, unsigned i);

/* The feeds in the config, in its order (URLs owned by s). */
unsigned sample_sites_feed_count(const sample_sites *s);
const char *sample_sites_feed_url(const sample_sites *s, unsigned i);

/* The servers: 0..n_sites-1 the news sites, then the aggregator.  The
 * server stays owned by s; NULL past the end. */
unsigned sample_sites_n_servers(const sample_sites *s);
/* The news sites alone (n_sites; the servers less the aggregator). */
unsigned sample_sites_n_news(const sample_sites *s);
site_server *sample_sites_server(sample_sites *s, unsigned i);

/* Stops every server and frees everything.  NULL is accepted. */
void sample_sites_stop(sample_sites *s);

#endif
