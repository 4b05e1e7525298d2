/*
 * sample_sites.c - the bundled sample web; see sample_sites.h.
 *
 * The idea
 * --------
 * Everything is generated, nothing is copied: a small phrase grammar (leads,
 * core clauses with slots, tails, quotes) over an invented vocabulary of
 * places, people, organisations and nine topics writes sentences; sentences
 * make paragraphs, paragraphs make articles.  Each article draws from its
 * own random stream, seeded by (seed, site, article), so its text never
 * depends on generation order, on other options or on the ports.
 *
 * The content is shaped for the crawler and for the near-duplicate detector
 * (dedup/):
 *
 *   - boilerplate: each site renders through one of four templates (plus one
 *     for the aggregator) with its own CSS, cookie banner, navigation,
 *     "most read" box and footer, identical on every page of the site - a
 *     few KB that a boilerplate remover should find and a detector must not
 *     mistake for shared content.  Pages come out at roughly 6-14 KB.
 *   - near duplicates: the wire story appears on up to three sites with a new
 *     headline and one sentence added, or with the last paragraph cut.
 *   - containment: the aggregator's roundup page holds the full text of
 *     other sites' articles after a story of its own.
 *   - exact duplicates under two URLs: an article linked with
 *     ?utm_source=feed from one feed and plainly from another; the page
 *     names its canonical URL.
 *   - unrelated articles share only the grammar's fixed words; their 5-word
 *     shingle overlap stays low (the tests check it).
 *
 * Every page body is rendered into a buffer with a ceiling, handed to the
 * site's server (which copies it) and freed; what stays in memory after
 * start is the page list and the servers' copies.
 */
#include "demo/sample_sites.h"

#include "common/fa_buf.h"
#include "common/fa_err.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define PAGE_MAX ((size_t)1 << 20) /* ceiling on one rendered page or feed */
#define YAML_MAX ((size_t)16 << 20)
/* ceiling on a site's feed or home page, which list every article: the
 * route's own ceiling (SAMPLE_SITES_MAX_PAGES articles of one site fit) */
#define LIST_MAX ((size_t)256 << 20)
#define BASE_TIME 1709629200LL /* 2024-03-05T09:00:00Z, the newest story */
#define N_WIRE_SITES 3
#define WIRE_INDEX 2       /* article slot of the wire story */
#define ALIAS_INDEX 1      /* article linked with ?utm_source=feed */
#define FIRST_FREE_INDEX 3 /* first slot with nothing special */
#define N_RELATED 3
#define N_MOST_READ 5

/* ---- deterministic randomness (splitmix64) ---- */

typedef struct rng {
    uint64_t s;
} rng;

static uint64_t rng_next(rng *r)
{
    uint64_t z = (r->s += 0x9E3779B97F4A7C15ULL);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
}

static unsigned rng_below(rng *r, unsigned n)
{
    return (unsigned)(rng_next(r) % n);
}

static rng rng_for(uint32_t seed, unsigned a, unsigned b, unsigned salt)
{
    rng r = {((uint64_t)seed << 32) ^ ((uint64_t)a << 20) ^ ((uint64_t)b << 4) ^ salt};
    rng_next(&r);
    r.s ^= rng_next(&r);
    return r;
}

#define PICK(r, arr) ((arr)[rng_below((r), (unsigned)(sizeof(arr) / sizeof((arr)[0])))])

/* ---- vocabulary (invented) ---- */

static const char *const places[] = {
    "Eastbrook",     "Marlow Heights", "the Upper Valley", "Port Alden",         "Kestrel Bay",
    "Norwick",       "Fairhaven",      "the Old Quarter",  "Brackenridge",       "Südheim",
    "Lyndale",       "Cobalt Springs", "Westmere",         "the river district", "São Teodoro",
    "Ashcombe",      "Greyfield",      "Pinecrest",        "the harbour front",  "Tollgate",
    "Millbrook End", "Oakhurst",       "Redcliff",         "Saltmarsh Row"};
static const char *const first_names[] = {"Maren",  "Tobias", "Ines",   "Callum", "Priya", "Jonas",
                                          "Aoife",  "Rafael", "Lena",   "Dmitri", "Hana",  "Oskar",
                                          "Nadia",  "Felix",  "Chiara", "Samuel", "Yara",  "Emeka",
                                          "Linnea", "Mateo",  "Greta",  "Idris",  "Zofia", "Ruben"};
static const char *const last_names[] = {
    "Halvorsen", "Okafor",    "Brandt",      "Castellano", "Whitlock",  "Nakamura",
    "Ferreira",  "Lindqvist", "Moreau",      "Adeyemi",    "Kowalczyk", "Thornbury",
    "Vasquez",   "Ellery",    "Søndergaard", "Mbeki",      "Rowntree",  "Petrakis",
    "Delacroix", "Hughes",    "Albrecht",    "Quinlan",    "Varga",     "O'Connell"};
static const char *const roles[] = {"the deputy mayor",      "a spokesperson",
                                    "the chief engineer",    "a senior analyst",
                                    "the head of planning",  "a local shop owner",
                                    "the committee chair",   "a retired teacher",
                                    "the regional director", "a union representative",
                                    "the finance officer",   "a parent of two",
                                    "the project manager",   "an independent councillor",
                                    "the site supervisor",   "a community organiser"};
static const char *const orgs[] = {"the city council",        "the regional transport authority",
                                   "Harwick & Sons",          "the water board",
                                   "the chamber of commerce", "the university hospital",
                                   "the port authority",      "the housing trust",
                                   "Northgate Energy",        "the parks department",
                                   "the school board",        "the tenants' association",
                                   "the audit office",        "the fire service",
                                   "Bellweather Consulting",  "the district court",
                                   "the cyclists' union",     "the heritage society",
                                   "the planning committee",  "the environment agency"};
static const char *const verbs[] = {
    "approved",   "rejected",    "postponed", "announced", "expanded", "reviewed",
    "criticised", "defended",    "funded",    "delayed",   "unveiled", "questioned",
    "welcomed",   "scaled back", "extended",  "suspended", "launched", "revised"};
static const char *const adjectives[] = {
    "controversial", "long-awaited",    "costly",      "modest",     "ambitious",
    "temporary",     "revised",         "scaled-down", "popular",    "disputed",
    "overdue",       "experimental",    "expanded",    "cautious",   "record",
    "unexpected",    "much-criticised", "piecemeal",   "first-ever", "narrow"};
static const char *const days[] = {"Monday", "Tuesday",  "Wednesday", "Thursday",
                                   "Friday", "Saturday", "Sunday"};
static const char *const times[] = {
    "by the end of the year", "within six months",        "before the summer", "next spring",
    "over the coming weeks",  "in the next budget",       "by 2026",           "after the holidays",
    "later this month",       "before the autumn session"};

struct topic {
    const char *section;
    const char *nouns[8];
};
static const struct topic topics[] = {
    {"Transport",
     {"bus network", "tram line", "cycle lane scheme", "bridge repair programme", "ferry timetable",
      "parking policy", "night train service", "ring road"}},
    {"Energy",
     {"solar farm", "heat network", "grid upgrade", "wind turbine project", "energy tariff",
      "battery depot", "street lighting contract", "insulation grant"}},
    {"Housing",
     {"rent cap", "housing estate", "permit system", "social housing programme", "zoning plan",
      "student housing block", "empty homes levy", "tower block"}},
    {"Health",
     {"walk-in clinic", "waiting list", "vaccination drive", "emergency ward",
      "mental health service", "ambulance station", "dental practice", "care home"}},
    {"Education",
     {"school timetable", "exam season", "new campus", "teacher shortage", "library budget",
      "school meals programme", "adult education service", "nursery expansion"}},
    {"Environment",
     {"flood barrier", "air quality plan", "tree planting scheme", "river clean-up",
      "recycling scheme", "wetland reserve", "noise limit", "beach patrol"}},
    {"Business",
     {"local budget", "market hall", "jobs fair", "harbour trade deal", "small business fund",
      "shop rent review", "tourist tax", "high street plan"}},
    {"Culture",
     {"music festival", "city museum", "theatre season", "book fair", "film week",
      "street art trail", "concert hall", "craft market"}},
    {"Sport",
     {"football club", "city marathon", "swimming pool", "youth league", "stadium plan",
      "rowing regatta", "ice rink", "sports centre"}},
};
#define N_TOPICS (sizeof topics / sizeof topics[0])

static const char *const leads[] = {"On {D}, ",
                                    "Earlier this month, ",
                                    "In {P}, ",
                                    "For now, ",
                                    "At a briefing on {D}, ",
                                    "As expected, ",
                                    "In a surprise move, ",
                                    "After {n} weeks of talks, ",
                                    "Separately, ",
                                    "By contrast, ",
                                    "Last year, ",
                                    "Privately, "};
static const char *const cores[] = {
    "{O} {V} the {A} {T}",
    "{N}, {R}, said the {T} would be {V} {W}",
    "residents of {P} have complained about the {T} for {n} years",
    "the cost of the {T} has risen by {p} percent since the plan was first presented",
    "{O} said it had received {k} comments on the {U}",
    "critics say the {T} favours {P} over neighbouring districts",
    "a final decision on the {U} is expected {W}",
    "figures published by {O} show use of the {T} rose by {p} percent",
    "opposition members {V} the proposal, calling it {A}",
    "the {U} has been a recurring issue in {P} since the last election",
    "{N} told reporters that the {T} was {A} but necessary",
    "local businesses in {P} remain divided over the {T}",
    "a public meeting on the {U} will be held at the town hall in {P}",
    "{N}, who has lived in {P} for {n} years, called the {T} long overdue",
    "about {k} households in {P} would be affected by the {U}",
    "supporters say the {A} {T} could become a model for the region",
    "work on the {T} could begin {W} if funding is confirmed",
    "some {n} people attended the session, many of them from {P}",
    "{O} has {V} similar schemes in {P} and {P}",
    "data from {O} suggest the {U} will need another {k} euros",
    "the {R} at {O}, {N}, declined to give a timetable for the {T}",
    "the {A} {U} was first proposed by {O} {n} years ago",
    "engineers warned that the {T} in {P} was older than expected",
    "{N} said the {U} had been {V} without proper consultation",
    "the {T} will be reviewed again {W}, according to {O}",
    "volunteers from {P} have collected {k} signatures against the {A} {U}",
    "an earlier version of the {T} was {V} by {O} in a {n}-page report",
    "{O} insists the {U} and the {T} must be planned together"};
static const char *const quotes[] = {
    "\xe2\x80\x9cWe have heard the concerns about the {T},\xe2\x80\x9d said {N}, {R} at {O}",
    "\xe2\x80\x9cThis is a {A} moment for {P},\xe2\x80\x9d {N} said",
    "\xe2\x80\x9cNobody wants the {U} to fail,\xe2\x80\x9d said {N}, {R}",
    "\xe2\x80\x9cThe numbers simply do not add up,\xe2\x80\x9d said {N}, {R} in {P}",
    "\xe2\x80\x9cWe will know more {W},\xe2\x80\x9d {N} told a meeting in {P}"};
static const char *const tails[] = {" on {D}",
                                    ", according to {O}",
                                    " after a {A} debate",
                                    ", officials said",
                                    " despite objections from {P}",
                                    " earlier this week",
                                    ", a claim {O} disputes",
                                    " in a letter to residents"};
static const char *const headlines[] = {"{O} {V} {A} {T} plan",
                                        "{P} {T} {V} after {n}-month review",
                                        "Why the {T} in {P} is still {A}",
                                        "{L} defends {A} {U}",
                                        "Residents push back on {T} in {P}",
                                        "{k} households face changes to the {T}",
                                        "Questions grow over {A} {T}",
                                        "{P} to vote on {U} {W}",
                                        "{T} in {P}: what happens next",
                                        "{O} under pressure over {U}",
                                        "{A} {T} divides {P}",
                                        "Cost of {T} rises by {p} percent",
                                        "{L}: \xe2\x80\x98The {U} cannot wait\xe2\x80\x99",
                                        "{P} traders fear {A} {T}",
                                        "Inside the fight over the {T} in {P}",
                                        "{O} and {O} clash on {U}",
                                        "{T} to open {W}, says {O}",
                                        "Explained: the {A} {U} and what it means for {P}",
                                        "Petition against {T} passes {k} signatures",
                                        "Delays hit {T} in {P} again"};

/* ---- sentences ---- */

/* The cores are dealt like cards, so an article repeats a sentence shape
 * only after using them all; each quote appears at most once. */
#define N_CORES (sizeof cores / sizeof cores[0])
#define N_QUOTES (sizeof quotes / sizeof quotes[0])

typedef struct writer {
    rng r;
    unsigned topic;
    unsigned char deck[N_CORES];
    unsigned deck_pos;
    unsigned quotes_used; /* bit mask */
} writer;

static void writer_init(writer *w, rng r, unsigned topic)
{
    memset(w, 0, sizeof *w);
    w->r = r;
    w->topic = topic;
    w->deck_pos = N_CORES; /* shuffled at the first draw */
}

static const char *draw_core(writer *w)
{
    if (w->deck_pos == N_CORES) {
        for (unsigned i = 0; i < N_CORES; i++)
            w->deck[i] = (unsigned char)i;
        for (unsigned i = N_CORES - 1; i > 0; i--) {
            unsigned j = rng_below(&w->r, i + 1);
            unsigned char x = w->deck[i];
            w->deck[i] = w->deck[j];
            w->deck[j] = x;
        }
        w->deck_pos = 0;
    }
    return cores[w->deck[w->deck_pos++]];
}

static int put_slot(fa_buf *b, writer *w, char slot)
{
    rng *r = &w->r;
    const struct topic *t = &topics[w->topic];
    switch (slot) {
    case 'P':
        return fa_buf_puts(b, PICK(r, places));
    case 'N':
        return fa_buf_printf(b, "%s %s", PICK(r, first_names), PICK(r, last_names));
    case 'L':
        return fa_buf_puts(b, PICK(r, last_names));
    case 'R':
        return fa_buf_puts(b, PICK(r, roles));
    case 'O':
        return fa_buf_puts(b, PICK(r, orgs));
    case 'V':
        return fa_buf_puts(b, PICK(r, verbs));
    case 'A':
        return fa_buf_puts(b, PICK(r, adjectives));
    case 'D':
        return fa_buf_puts(b, PICK(r, days));
    case 'W':
        return fa_buf_puts(b, PICK(r, times));
    case 'T':
        return fa_buf_puts(b, t->nouns[rng_below(r, 4)]); /* the article's main nouns */
    case 'U':
        return fa_buf_puts(b, t->nouns[4 + rng_below(r, 4)]);
    case 'n':
        return fa_buf_printf(b, "%u", 2 + rng_below(r, 29));
    case 'p':
        return fa_buf_printf(b, "%u", 3 + rng_below(r, 46));
    case 'k':
        return fa_buf_printf(b, "%u,%u00", 1 + rng_below(r, 97), rng_below(r, 10));
    default:
        return FA_EINVAL;
    }
}

/* Expands a pattern with {X} slots onto b. */
static int expand(fa_buf *b, writer *w, const char *pat)
{
    int rc = 0;
    for (const char *p = pat; *p && rc == 0; p++) {
        if (p[0] == '{' && p[1] && p[2] == '}') {
            rc = put_slot(b, w, p[1]);
            p += 2;
        } else {
            rc = fa_buf_append(b, p, 1);
        }
    }
    return rc;
}

static void capitalize_from(fa_buf *b, size_t at)
{
    if (at < b->len && b->data[at] >= 'a' && b->data[at] <= 'z')
        b->data[at] = (char)(b->data[at] - 'a' + 'A');
}

/* "a" before a vowel becomes "an" (close enough for this vocabulary). */
static int fix_articles(fa_buf *b, size_t from)
{
    for (size_t i = from; i + 2 < b->len; i++) {
        char *p = b->data + i;
        int word_start = i == from || p[-1] == ' ';
        if (word_start && (p[0] == 'a' || p[0] == 'A') && p[1] == ' ' && p[2] != '\0' &&
            strchr("aeiou", p[2]) && strncmp(p + 2, "uni", 3) != 0) {
            if (fa_buf_reserve(b, 1) < 0) return FA_ENOMEM;
            p = b->data + i;
            memmove(p + 2, p + 1, b->len - i); /* moves the NUL too */
            p[1] = 'n';
            b->len++;
        }
    }
    return 0;
}

static int write_sentence(fa_buf *b, writer *w)
{
    size_t start = b->len;
    int rc;
    unsigned q = rng_below(&w->r, 100) < 12 ? rng_below(&w->r, N_QUOTES) : N_QUOTES;
    if (q < N_QUOTES && !(w->quotes_used & (1u << q))) {
        w->quotes_used |= 1u << q;
        rc = expand(b, w, quotes[q]);
    } else {
        rc = 0;
        if (rng_below(&w->r, 100) < 30) rc = expand(b, w, PICK(&w->r, leads));
        if (rc == 0) rc = expand(b, w, draw_core(w));
        if (rc == 0 && rng_below(&w->r, 100) < 35) rc = expand(b, w, PICK(&w->r, tails));
    }
    if (rc == 0) rc = fa_buf_puts(b, ".");
    capitalize_from(b, start);
    if (rc == 0) rc = fix_articles(b, start);
    return rc;
}

/* ---- articles ---- */

enum { FEED_RSS_CONTENT, FEED_ATOM, FEED_RSS };

typedef struct article {
    unsigned index;
    enum sample_page_kind kind;
    unsigned wire_variant;
    unsigned topic;
    char *headline; /* plain text */
    char *author;
    char **paras; /* plain text, one paragraph each */
    unsigned n_paras;
    char *path;
    int64_t published;              /* Unix seconds */
    unsigned related[N_RELATED][2]; /* roundup: (site, article) pairs */
    unsigned n_related;
} article;

typedef struct site {
    unsigned index;
    int style; /* template 0..3, 4 = aggregator */
    int feed_format;
    char *name, *tagline, *domain;
    char *feed_path;
    site_server *srv;
    article *arts;
    unsigned n_arts;
    unsigned most_read[N_MOST_READ];
} site;

struct sample_sites {
    site *sites; /* news sites, then the aggregator */
    unsigned n_servers;
    unsigned n_news;
    sample_page_info *pages;
    char **page_strings; /* storage behind pages[].url/canonical_url */
    unsigned n_pages, n_page_strings;
    char **feeds;
    unsigned n_feeds;
    size_t page_bytes; /* (issue 14) 0 = compact pages */
};

static const char *const site_names[] = {
    "The Harbour Ledger", "Northfield Courier", "Valley Gazette",      "Meridian Post",
    "Lakeside Observer",  "Copper Ridge Times", "Eastbrook Chronicle", "The Tollgate Herald",
    "Westmere Daily",     "Pinecrest Tribune",  "Ashcombe Journal",    "Greyfield Record"};
static const char *const taglines[] = {"News from the coast, every morning",
                                       "Independent local reporting since 1887",
                                       "Your valley, your news",
                                       "Reporting for the whole district",
                                       "Local news you can trust",
                                       "The voice of the ridge towns"};

static char *xstrdup(const char *s)
{
    return s ? strdup(s) : NULL;
}

static char *fmt_alloc(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static char *fmt_alloc(const char *fmt, ...)
{
    fa_buf b;
    fa_buf_init(&b, PAGE_MAX);
    va_list ap;
    va_start(ap, fmt);
    int rc = fa_buf_vprintf(&b, fmt, ap);
    va_end(ap);
    if (rc < 0) {
        fa_buf_free(&b);
        return NULL;
    }
    return fa_buf_steal(&b, NULL);
}

/* Lowercase ASCII words joined by '-', at most 60 characters. */
static void slugify(const char *text, char *out, size_t outlen)
{
    size_t n = 0;
    int dash = 0;
    for (const char *p = text; *p && n + 2 < outlen && n < 60; p++) {
        char c = *p;
        if (c >= 'A' && c <= 'Z') c = (char)(c - 'A' + 'a');
        if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')) {
            if (dash && n > 0) out[n++] = '-';
            out[n++] = c;
            dash = 0;
        } else if (c != '\'' && !((unsigned char)c & 0x80)) {
            dash = 1;
        }
    }
    out[n] = '\0';
}

static void article_free(article *a)
{
    for (unsigned i = 0; i < a->n_paras; i++)
        free(a->paras[i]);
    free(a->paras);
    free(a->headline);
    free(a->author);
    free(a->path);
}

/* Generates headline and paragraphs from w; extra_sentence inserts one more
 * sentence at the end of paragraph 1 and cut_last drops the last paragraph
 * (the wire variants). */
static int article_write(article *a, writer *w, int extra_sentence, int cut_last)
{
    int rc = FA_ENOMEM;
    fa_buf b;
    fa_buf_init(&b, PAGE_MAX);
    unsigned n = 5 + rng_below(&w->r, 5);
    a->paras = calloc(n, sizeof *a->paras);
    if (a->paras == NULL) goto out;
    if ((rc = expand(&b, w, PICK(&w->r, headlines))) < 0) goto out;
    capitalize_from(&b, 0);
    rc = FA_ENOMEM;
    if ((a->headline = fa_buf_steal(&b, NULL)) == NULL) goto out;
    if ((rc = fa_buf_printf(&b, "%s %s", PICK(&w->r, first_names), PICK(&w->r, last_names))) < 0)
        goto out;
    rc = FA_ENOMEM;
    if ((a->author = fa_buf_steal(&b, NULL)) == NULL) goto out;
    for (unsigned i = 0; i < n; i++) {
        unsigned ns = 2 + rng_below(&w->r, 4);
        for (unsigned j = 0; j < ns; j++) {
            if (j && (rc = fa_buf_puts(&b, " ")) < 0) goto out;
            if ((rc = write_sentence(&b, w)) < 0) goto out;
        }
        rc = FA_ENOMEM;
        if ((a->paras[a->n_paras] = fa_buf_steal(&b, NULL)) == NULL) goto out;
        a->n_paras++;
    }
    /* the variants draw after the common text, so that text is unchanged */
    writer extra;
    writer_init(&extra, (rng){w->r.s ^ 0x5bd1e995u}, w->topic);
    if (extra_sentence) {
        if ((rc = fa_buf_printf(&b, "%s ", a->paras[1])) < 0 ||
            (rc = write_sentence(&b, &extra)) < 0)
            goto out;
        char *p = fa_buf_steal(&b, NULL);
        rc = FA_ENOMEM;
        if (p == NULL) goto out;
        free(a->paras[1]);
        a->paras[1] = p;
    }
    if (cut_last) free(a->paras[--a->n_paras]);
    rc = 0;
out:
    fa_buf_free(&b);
    return rc;
}

static int article_path(const site *st, article *a)
{
    char slug[80];
    slugify(a->headline, slug, sizeof slug);
    unsigned id = 41000 + st->index * 977 + a->index * 13;
    switch (st->style) {
    case 0: {
        time_t t = (time_t)a->published;
        struct tm tm;
        gmtime_r(&t, &tm);
        a->path = fmt_alloc("/news/%04d/%02d/%02d/%s-%u.html", tm.tm_year + 1900, tm.tm_mon + 1,
                            tm.tm_mday, slug, a->index);
        break;
    }
    case 1:
        a->path = fmt_alloc("/article/%u-%s", id, slug);
        break;
    case 2:
        a->path = fmt_alloc("/stories/%s-%u/", slug, a->index);
        break;
    case 3: {
        char section[32];
        slugify(topics[a->topic].section, section, sizeof section);
        a->path = fmt_alloc("/%s/%s-a%x", section, slug, id);
        break;
    }
    default:
        a->path = fmt_alloc("/read/%u/%s", id, slug);
        break;
    }
    return a->path ? 0 : FA_ENOMEM;
}

/* (issue 14) Whether article ai of news site si is a syndicated copy, and
 * of which article (an ordinary slot of another site) in which variant. */
static int syndicated(const sample_sites_options *o, unsigned n_news, unsigned si, unsigned ai,
                      unsigned *src_si, unsigned *src_ai, unsigned *variant)
{
    unsigned aps = o->articles_per_site;
    if (o->syndicated_pct == 0 || n_news < 2 || ai < FIRST_FREE_INDEX || aps <= FIRST_FREE_INDEX)
        return 0;
    rng r = rng_for(o->seed, si, ai, 9);
    if (rng_below(&r, 100) >= o->syndicated_pct) return 0;
    *src_si = (si + 1 + rng_below(&r, n_news - 1)) % n_news;
    *src_ai = FIRST_FREE_INDEX + rng_below(&r, aps - FIRST_FREE_INDEX);
    *variant = rng_below(&r, 3);
    return 1;
}

/* Builds the text of every article of every site. */
static int generate(sample_sites *ss, const sample_sites_options *o)
{
    unsigned aps = o->articles_per_site;
    unsigned n_wire = ss->n_news < N_WIRE_SITES ? ss->n_news : N_WIRE_SITES;
    for (unsigned si = 0; si < ss->n_servers; si++) {
        site *st = &ss->sites[si];
        int agg = si == ss->n_news;
        st->index = si;
        st->style = agg ? 4 : (int)(si % 4);
        st->feed_format = agg        ? FEED_ATOM
                          : si == 0  ? FEED_RSS_CONTENT
                          : (si & 1) ? FEED_ATOM
                                     : FEED_RSS;
        unsigned gen = si / (sizeof site_names / sizeof site_names[0]);
        if (agg)
            st->name = xstrdup("The Daily Roundup");
        else if (gen == 0)
            st->name = xstrdup(site_names[si]);
        else
            st->name = fmt_alloc("%s %u", site_names[si % 12], gen + 1);
        st->tagline = xstrdup(agg ? "The best of the region's press in one place"
                                  : taglines[si % (sizeof taglines / sizeof taglines[0])]);
        char slug[80];
        if (st->name == NULL) return FA_ENOMEM;
        slugify(st->name, slug, sizeof slug);
        st->domain = fmt_alloc("%s.example", slug);
        st->feed_path =
            xstrdup(st->feed_format == FEED_ATOM ? (si & 2 ? "/feeds/all.atom" : "/atom.xml")
                                                 : (si & 2 ? "/rss" : "/feed.xml"));
        st->n_arts = agg ? (aps / 2 > 2 ? aps / 2 : 2) : aps;
        st->arts = calloc(st->n_arts, sizeof *st->arts);
        if (st->tagline == NULL || st->domain == NULL || st->feed_path == NULL || st->arts == NULL)
            return FA_ENOMEM;
        for (unsigned ai = 0; ai < st->n_arts; ai++) {
            article *a = &st->arts[ai];
            unsigned src_si, src_ai, variant;
            a->index = ai;
            a->published = BASE_TIME - (int64_t)ai * 3 * 3600 - (int64_t)si * 17 * 60;
            int rc;
            if (!agg && ai == WIRE_INDEX && si < n_wire) {
                writer w;
                writer_init(&w, rng_for(o->seed, 0xFFFF, 0, 7), 0);
                w.topic = rng_below(&w.r, N_TOPICS);
                a->kind = SAMPLE_PAGE_WIRE;
                a->wire_variant = si;
                a->topic = w.topic;
                rc = article_write(a, &w, si == 1, si == 2);
                if (rc == 0 && si != 0) { /* a new headline for the copies */
                    writer hw;
                    writer_init(&hw, rng_for(o->seed, 0xFFFF, si, 8), w.topic);
                    fa_buf b;
                    fa_buf_init(&b, 1024);
                    rc = expand(&b, &hw, PICK(&hw.r, headlines));
                    capitalize_from(&b, 0);
                    char *h = rc == 0 ? fa_buf_steal(&b, NULL) : NULL;
                    fa_buf_free(&b);
                    if (h == NULL) return rc < 0 ? rc : FA_ENOMEM;
                    free(a->headline);
                    a->headline = h;
                }
                if (rc == 0) {
                    free(a->author);
                    a->author = xstrdup("Compass Wire Service");
                    rc = a->author ? 0 : FA_ENOMEM;
                }
            } else if (!agg && syndicated(o, ss->n_news, si, ai, &src_si, &src_ai, &variant)) {
                /* the text of site src_si's article src_ai, drawn from the
                 * same seed, under a headline of this site's */
                writer w;
                writer_init(&w, rng_for(o->seed, src_si, src_ai, 1), 0);
                w.topic = rng_below(&w.r, N_TOPICS);
                a->topic = w.topic;
                a->kind = SAMPLE_PAGE_WIRE;
                a->wire_variant = variant;
                rc = article_write(a, &w, variant == 1, variant == 2);
                writer hw;
                writer_init(&hw, rng_for(o->seed, si, ai, 8), w.topic);
                fa_buf b;
                fa_buf_init(&b, 1024);
                if (rc == 0) rc = expand(&b, &hw, PICK(&hw.r, headlines));
                capitalize_from(&b, 0);
                char *h = rc == 0 ? fa_buf_steal(&b, NULL) : NULL;
                fa_buf_free(&b);
                if (h == NULL) return rc < 0 ? rc : FA_ENOMEM;
                free(a->headline);
                a->headline = h;
                free(a->author);
                a->author = xstrdup("Compass Wire Service");
                rc = a->author ? 0 : FA_ENOMEM;
            } else {
                writer w;
                writer_init(&w, rng_for(o->seed, si, ai, agg ? 3 : 1), 0);
                w.topic = rng_below(&w.r, N_TOPICS);
                a->topic = w.topic;
                a->kind = agg && ai == 0 ? SAMPLE_PAGE_ROUNDUP : SAMPLE_PAGE_ARTICLE;
                rc = article_write(a, &w, 0, 0);
            }
            if (rc == 0) rc = article_path(st, a);
            if (rc < 0) return rc;
        }
        rng mr = rng_for(o->seed, si, 0, 5);
        for (unsigned k = 0; k < N_MOST_READ; k++)
            st->most_read[k] = rng_below(&mr, st->n_arts);
    }
    /* the roundup's related articles: distinct, nothing special among them */
    article *roundup = &ss->sites[ss->n_news].arts[0];
    unsigned span = aps > FIRST_FREE_INDEX ? aps - FIRST_FREE_INDEX : 0; /* none: no related */
    for (unsigned k = 0; k < ss->n_news * span && roundup->n_related < N_RELATED; k++) {
        roundup->related[roundup->n_related][0] = k % ss->n_news;
        roundup->related[roundup->n_related][1] = FIRST_FREE_INDEX + (k / ss->n_news) % span;
        roundup->n_related++;
    }
    return 0;
}

/* ---- rendering ---- */

static int put_escaped(fa_buf *b, const char *s)
{
    int rc = 0;
    for (const char *p = s; *p && rc == 0; p++) {
        switch (*p) {
        case '&':
            rc = fa_buf_puts(b, "&amp;");
            break;
        case '<':
            rc = fa_buf_puts(b, "&lt;");
            break;
        case '>':
            rc = fa_buf_puts(b, "&gt;");
            break;
        case '"':
            rc = fa_buf_puts(b, "&quot;");
            break;
        case '\'':
            rc = fa_buf_puts(b, "&#39;");
            break;
        default:
            rc = fa_buf_append(b, p, 1);
        }
    }
    return rc;
}

static int put_paragraphs(fa_buf *b, const article *a, const char *indent)
{
    int rc = 0;
    for (unsigned i = 0; i < a->n_paras && rc == 0; i++) {
        rc = fa_buf_printf(b, "%s<p>", indent);
        if (rc == 0) rc = put_escaped(b, a->paras[i]);
        if (rc == 0) rc = fa_buf_puts(b, "</p>\n");
    }
    return rc;
}

static const char *const month_abbr[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                         "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
static const char *const wday_abbr[] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};

/* kind 'r': RFC 822 "Tue, 05 Mar 2024 09:00:00 +0000"; 'h': HTTP date
 * (GMT); 'i': ISO 8601 "2024-03-05T09:00:00Z"; 'd': "5 March 2024". */
static void format_date(int64_t t, char kind, char *out, size_t outlen)
{
    static const char *const months[] = {"January",   "February", "March",    "April",
                                         "May",       "June",     "July",     "August",
                                         "September", "October",  "November", "December"};
    time_t tt = (time_t)t;
    struct tm tm;
    gmtime_r(&tt, &tm);
    if (kind == 'i')
        snprintf(out, outlen, "%04d-%02d-%02dT%02d:%02d:%02dZ", tm.tm_year + 1900, tm.tm_mon + 1,
                 tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
    else if (kind == 'd')
        snprintf(out, outlen, "%d %s %04d", tm.tm_mday, months[tm.tm_mon], tm.tm_year + 1900);
    else
        snprintf(out, outlen, "%s, %02d %s %04d %02d:%02d:%02d %s", wday_abbr[tm.tm_wday],
                 tm.tm_mday, month_abbr[tm.tm_mon], tm.tm_year + 1900, tm.tm_hour, tm.tm_min,
                 tm.tm_sec, kind == 'h' ? "GMT" : "+0000");
}

/* The four templates share a skeleton; these strings make them differ. */
struct style {
    const char *css;
    const char *cookie;
    const char *nav[9];
    const char *footer;
    int sidebar_first;
};

static const struct style styles[5] = {
    {"body{margin:0;font:17px/1.6 Georgia,serif;color:#1b1b1b;background:#fff}"
     ".masthead{border-bottom:4px double #222;padding:18px 24px;text-align:center}"
     ".masthead h1{font-size:42px;letter-spacing:1px;margin:0}.topnav{background:#f4f1ea}"
     ".topnav a{display:inline-block;padding:9px 14px;color:#333;text-decoration:none}"
     ".story{max-width:720px;margin:24px auto;padding:0 16px}.byline{color:#666;font-size:14px}"
     ".rail{float:right;width:260px;margin:24px;border-left:1px solid #ddd;padding-left:14px}"
     ".cookie{position:fixed;bottom:0;left:0;right:0;background:#222;color:#eee;padding:12px}"
     "footer{clear:both;background:#f4f1ea;padding:24px;font-size:13px;color:#555}",
     "We use cookies to remember your preferences, measure how our journalism is read and "
     "show you relevant advertising. You can change your choices at any time in Privacy "
     "Settings.",
     {"Home", "Local", "Politics", "Business", "Opinion", "Sport", "Culture", "Weather",
      "Obituaries"},
     "Published by Ledger Media Group. Registered office: 14 Quay Street. All rights "
     "reserved. Reproduction of any part of this website without permission is prohibited. "
     "Complaints about our reporting can be sent to the readers' editor.",
     0},
    {"*{box-sizing:border-box}body{font-family:Helvetica,Arial,sans-serif;margin:0;"
     "background:#fafafa}.site-header{background:#0a3d62;color:#fff;padding:12px 20px;"
     "display:flex;justify-content:space-between}.menu{list-style:none;margin:0;padding:0;"
     "display:flex;gap:18px}.menu a{color:#fff;font-weight:600}.wrap{display:grid;"
     "grid-template-columns:2fr 1fr;gap:32px;max-width:1180px;margin:0 auto;padding:20px}"
     ".headline{font-size:34px;line-height:1.15}.meta{font-size:13px;color:#777}"
     ".consent{background:#fffbe6;border:1px solid #e0c200;padding:14px;margin:10px}"
     ".site-footer{background:#0a3d62;color:#cfd8e3;padding:30px 20px}",
     "This site uses cookies and similar technologies. By clicking Accept you agree to our use "
     "of cookies for analytics and personalised content. Read our cookie policy to learn more.",
     {"News", "Region", "Economy", "Science", "Health", "Sports", "Arts", "Travel", "Podcasts"},
     "Courier Publishing Ltd. Company number 0481516. Editorial independence is guaranteed "
     "by the Courier Trust. Subscribe for unlimited access from the first month.",
     1},
    {"body{font:16px/1.7 'Source Sans',Verdana,sans-serif;color:#222;margin:0 auto;"
     "max-width:1040px}#top{padding:20px 0;border-bottom:1px solid #ccc}#top .logo{font:"
     "700 30px/1 Verdana}nav.sections ul{list-style:none;padding:0}nav.sections li{display:"
     "inline;margin-right:12px}main{width:66%;float:left}aside.popular{width:30%;float:right;"
     "background:#f2f6f2;padding:12px}.cookie-notice{font-size:14px;background:#e8f0e8;"
     "padding:10px}#bottom{clear:both;border-top:1px solid #ccc;margin-top:40px;padding:16px 0}",
     "Cookies help us run this website. Some are essential, others help us understand how the "
     "site is used. Choose which ones you allow.",
     {"Front page", "Valley", "Council", "Schools", "Farming", "Letters", "What's on", "Sport",
      "Jobs"},
     "The Gazette is a member of the regional press standards organisation. Letters to the "
     "editor may be edited for length. Photographs are available for purchase.",
     0},
    {"html{font-size:15px}body{margin:0;font-family:system-ui,sans-serif;color:#111}"
     ".bar{background:#b71c1c;color:#fff;padding:8px 16px;font-weight:700}.brand{font-size:"
     "28px;padding:16px}.tabs a{margin:0 10px;color:#b71c1c;text-transform:uppercase;"
     "font-size:12px}article.main{max-width:680px;margin:0 auto}.lede{font-size:19px}"
     ".trending{border-top:3px solid #b71c1c;margin:20px 0;padding-top:8px}.gdpr{background:"
     "#000;color:#fff;padding:14px;font-size:13px}.foot{background:#eee;padding:20px}",
     "Your privacy matters to us. We and our partners store and access information on your "
     "device to provide and measure content and ads. Manage options or accept all.",
     {"Latest", "City", "Transport", "Money", "Health", "Climate", "Sport", "Life", "Video"},
     "Meridian Post is an independent publication. Tips and corrections: newsroom at our "
     "usual address. Advertising enquiries welcome. Terms of use apply.",
     1},
    {"body{font-family:Tahoma,sans-serif;margin:0;background:#f7f7f9}.hdr{background:#333;"
     "color:#fafafa;padding:14px 22px}.hdr a{color:#ffd54f}.content{max-width:900px;margin:"
     "20px auto;background:#fff;padding:24px}.related{border-top:1px dashed #bbb;margin-top:"
     "28px;padding-top:10px}.related h3{font-size:20px}.src{font-size:12px;color:#888}"
     ".cookies{background:#ffd54f;padding:10px}.ftr{text-align:center;font-size:12px;"
     "padding:20px;color:#777}",
     "We use cookies for statistics. Continue browsing to accept.",
     {"Top stories", "Regional", "Politics", "Money", "Science", "Sport", "Opinion", "More",
      "About"},
     "The Daily Roundup collects reporting from partner newspapers under licence. Copyright "
     "remains with the original publishers.",
     0},
};

static int put_most_read(fa_buf *b, const site *st, const char *origin)
{
    int rc = fa_buf_printf(b, "  <aside class=\"%s\">\n    <h2>Most read</h2>\n    <ol>\n",
                           st->style == 2   ? "popular"
                           : st->style == 3 ? "trending"
                                            : "rail");
    for (unsigned k = 0; k < N_MOST_READ && rc == 0; k++) {
        const article *m = &st->arts[st->most_read[k]];
        rc = fa_buf_printf(b, "      <li><a href=\"%s%s\">", origin, m->path);
        if (rc == 0) rc = put_escaped(b, m->headline);
        if (rc == 0) rc = fa_buf_puts(b, "</a></li>\n");
    }
    if (rc == 0)
        rc = fa_buf_puts(b, "    </ol>\n    <div class=\"newsletter\"><h3>Morning briefing</h3>"
                            "<p>The day's essential stories in your inbox before 7am.</p>"
                            "<form action=\"/newsletter\" method=\"post\"><input type=\"email\" "
                            "name=\"email\" placeholder=\"Your email\"><button>Sign up</button>"
                            "</form></div>\n  </aside>\n");
    return rc;
}

/* Everything above the article: head, cookie banner, masthead, nav. */
static int put_page_top(fa_buf *b, const site *st, const char *origin, const char *title,
                        const char *description, const char *canonical)
{
    const struct style *sy = &styles[st->style];
    int rc =
        fa_buf_puts(b, "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
                       "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
                       "<title>");
    if (rc == 0) rc = put_escaped(b, title);
    if (rc == 0) rc = fa_buf_puts(b, " | ");
    if (rc == 0) rc = put_escaped(b, st->name);
    if (rc == 0) rc = fa_buf_puts(b, "</title>\n<meta name=\"description\" content=\"");
    if (rc == 0) rc = put_escaped(b, description);
    if (rc == 0)
        rc = fa_buf_printf(b,
                           "\">\n<link rel=\"canonical\" href=\"%s\">\n"
                           "<link rel=\"alternate\" type=\"application/%s+xml\" href=\"%s%s\">\n"
                           "<meta property=\"og:site_name\" content=\"",
                           canonical, st->feed_format == FEED_ATOM ? "atom" : "rss", origin,
                           st->feed_path);
    if (rc == 0) rc = put_escaped(b, st->name);
    if (rc == 0)
        rc = fa_buf_printf(b,
                           "\">\n<meta property=\"og:url\" content=\"%s\">\n<style>%s</style>\n"
                           "<script>window.dataLayer=window.dataLayer||[];function gtag(){"
                           "dataLayer.push(arguments)}gtag('js',new Date());gtag('config',"
                           "'SITE-%u');</script>\n</head>\n<body class=\"site-%u\">\n",
                           canonical, sy->css, st->index + 1000, st->index);
    const char *cookie_class[] = {"cookie", "consent", "cookie-notice", "gdpr", "cookies"};
    if (rc == 0)
        rc = fa_buf_printf(b,
                           "<div class=\"%s\" id=\"cookie-banner\" role=\"dialog\"><p>%s</p>"
                           "<button>Accept all</button> <button>Reject</button> "
                           "<a href=\"/privacy\">Settings</a></div>\n",
                           cookie_class[st->style], sy->cookie);
    const char *hdr_class[] = {"masthead", "site-header", "top", "brand", "hdr"};
    if (rc == 0)
        rc = fa_buf_printf(b, "<header class=\"%s\"><a class=\"logo\" href=\"%s/\">",
                           hdr_class[st->style], origin);
    if (rc == 0) rc = put_escaped(b, st->name);
    if (rc == 0) rc = fa_buf_puts(b, "</a><p class=\"tagline\">");
    if (rc == 0) rc = put_escaped(b, st->tagline);
    if (rc == 0)
        rc = fa_buf_puts(b, "</p></header>\n<nav class=\"sections\"><ul class=\"menu\">\n");
    for (unsigned i = 0; i < 9 && rc == 0; i++) {
        char slug[40];
        slugify(sy->nav[i], slug, sizeof slug);
        rc = fa_buf_printf(b, "  <li><a href=\"/section/%s\">", slug);
        if (rc == 0) rc = put_escaped(b, sy->nav[i]);
        if (rc == 0) rc = fa_buf_puts(b, "</a></li>\n");
    }
    if (rc == 0) rc = fa_buf_puts(b, "</ul></nav>\n");
    if (rc == 0 && sy->sidebar_first) rc = put_most_read(b, st, origin);
    return rc;
}

static int put_page_bottom(fa_buf *b, const site *st, const char *origin)
{
    const struct style *sy = &styles[st->style];
    int rc = sy->sidebar_first ? 0 : put_most_read(b, st, origin);
    if (rc == 0) rc = fa_buf_puts(b, "<footer class=\"site-footer foot ftr\" id=\"bottom\">\n<ul>");
    static const char *const links[] = {
        "About us",       "Contact",         "Advertise",   "Careers",       "Terms",
        "Privacy policy", "Cookie settings", "Corrections", "Accessibility", "Archive"};
    for (unsigned i = 0; i < 10 && rc == 0; i++) {
        char slug[40];
        slugify(links[i], slug, sizeof slug);
        rc = fa_buf_printf(b, "<li><a href=\"/%s\">%s</a></li>", slug, links[i]);
    }
    if (rc == 0) rc = fa_buf_printf(b, "</ul>\n<p>%s</p>\n<p>&copy; 2024 ", sy->footer);
    if (rc == 0) rc = put_escaped(b, st->name);
    if (rc == 0)
        rc = fa_buf_printf(b, ". <a href=\"%s%s\">Feed</a></p>\n</footer>\n</body>\n</html>\n",
                           origin, st->feed_path);
    return rc;
}

static int put_article_body(fa_buf *b, const site *st, const article *a, const char *origin,
                            const char *canonical)
{
    char date[40], iso[32];
    format_date(a->published, 'd', date, sizeof date);
    format_date(a->published, 'i', iso, sizeof iso);
    const char *main_open[] = {"<main class=\"story\">\n<article>",
                               "<div class=\"wrap\"><main>\n<article class=\"story-page\">",
                               "<main id=\"content\">\n<article class=\"post\">",
                               "<article class=\"main\">", "<div class=\"content\">\n<article>"};
    const char *main_close[] = {"</article>\n</main>\n", "</article>\n</main></div>\n",
                                "</article>\n</main>\n", "</article>\n", "</article>\n"};
    int rc = fa_buf_printf(b, "%s\n<p class=\"kicker\">%s</p>\n<h1 class=\"headline\">",
                           main_open[st->style], topics[a->topic].section);
    if (rc == 0) rc = put_escaped(b, a->headline);
    if (rc == 0) rc = fa_buf_puts(b, "</h1>\n<p class=\"byline meta\">By ");
    if (rc == 0) rc = put_escaped(b, a->author);
    if (rc == 0)
        rc = fa_buf_printf(b,
                           " &middot; <time datetime=\"%s\">%s</time></p>\n"
                           "<div class=\"share\"><a href=\"https://share.example/?u=%s\">Share"
                           "</a> <a href=\"#comments\">Comments</a></div>\n"
                           "<div class=\"article-body\">\n",
                           iso, date, canonical);
    if (rc == 0) rc = put_paragraphs(b, a, "");
    if (rc == 0)
        rc = fa_buf_printf(b,
                           "</div>\n<p class=\"tags\">Topics: <a href=\"/section/%s\">%s</a>"
                           "</p>\n",
                           topics[a->topic].section, topics[a->topic].section);
    if (rc == 0 && st->style == 4)
        return fa_buf_puts(b, "</article>\n"); /* the roundup continues inside .content */
    if (rc == 0) rc = fa_buf_puts(b, main_close[st->style]);
    return rc;
}

static const char *origin_of(const site *st)
{
    return site_server_origin(st->srv);
}

/* ---- (issue 14) real-size pages -------------------------------------- *
 *
 * A news article page of 50-150 KB is mostly template: an inline
 * stylesheet of component rules, a section menu with sub-sections, inline
 * scripts (the same on every page of the site), then per page the story,
 * teasers of other stories and the page's JSON state.  The site's parts are
 * drawn from its own generator (the same on every page); the sizes are
 * fractions of page_bytes.
 */

static const char *const css_parts[] = {"card",  "teaser", "promo", "byline", "media", "grid",
                                        "rail",  "badge",  "share", "embed",  "topic", "ticker",
                                        "panel", "button", "label", "figure", "quote", "list"};
static const char *const css_props[] = {"margin",    "padding",       "border-radius", "gap",
                                        "top",       "line-height",   "font-size",     "width",
                                        "max-width", "letter-spacing"};

/* Site-wide inline stylesheet of about `bytes`. */
static int put_bulk_css(fa_buf *b, const site *st, size_t bytes)
{
    rng r = rng_for(0, st->index, 0, 11);
    size_t start = b->len;
    int rc = fa_buf_puts(b, "<style id=\"components\">");
    for (unsigned i = 0; rc == 0 && b->len - start < bytes; i++) {
        const char *part = PICK(&r, css_parts), *elem = PICK(&r, css_parts);
        rc = fa_buf_printf(b,
                           ".s%u-%s__%s--%u{display:%s;%s:%upx %upx;%s:%u%s;color:#%06x;"
                           "background:#%06x}",
                           st->index, part, elem, i, rng_below(&r, 2) ? "flex" : "block",
                           PICK(&r, css_props), rng_below(&r, 32), rng_below(&r, 32),
                           PICK(&r, css_props), rng_below(&r, 100), rng_below(&r, 2) ? "px" : "%",
                           rng_below(&r, 0x1000000), rng_below(&r, 0x1000000));
        if (rc == 0 && i % 8 == 7)
            rc = fa_buf_printf(b, "@media (max-width:%upx){.s%u-%s{display:none}}",
                               480 + 80 * rng_below(&r, 8), st->index, part);
    }
    if (rc == 0) rc = fa_buf_puts(b, "</style>\n");
    return rc;
}

/* Site-wide section menu (sections, sub-sections by place) of about `bytes`. */
static int put_bulk_menu(fa_buf *b, const site *st, size_t bytes)
{
    rng r = rng_for(0, st->index, 0, 12);
    size_t start = b->len;
    int rc = fa_buf_puts(b, "<nav class=\"mega-menu\" aria-label=\"All sections\">\n");
    for (unsigned i = 0; rc == 0 && b->len - start < bytes; i++) {
        const struct topic *t = &topics[i % N_TOPICS];
        char sec[40], sub[80];
        slugify(t->section, sec, sizeof sec);
        rc = fa_buf_printf(b,
                           "<div class=\"mega-menu__col\"><h4><a href=\"/section/%s\">%s</a>"
                           "</h4><ul>",
                           sec, t->section);
        for (unsigned k = 0; rc == 0 && k < 6; k++) {
            const char *place = PICK(&r, places);
            slugify(place, sub, sizeof sub);
            rc = fa_buf_printf(b, "<li><a href=\"/section/%s/%s\">", sec, sub);
            if (rc == 0) rc = put_escaped(b, place);
            if (rc == 0) rc = fa_buf_puts(b, "</a></li>");
        }
        if (rc == 0) rc = fa_buf_puts(b, "</ul></div>\n");
    }
    if (rc == 0) rc = fa_buf_puts(b, "</nav>\n");
    return rc;
}

/* Site-wide inline scripts of about `bytes`. */
static int put_bulk_scripts(fa_buf *b, const site *st, size_t bytes)
{
    rng r = rng_for(0, st->index, 0, 13);
    size_t start = b->len;
    int rc =
        fa_buf_printf(b, "<script>/* site bundle %u */(function(w,d){\"use strict\";", st->index);
    for (unsigned i = 0; rc == 0 && b->len - start < bytes; i++) {
        const char *part = PICK(&r, css_parts);
        rc = fa_buf_printf(b,
                           "function %s%u(e,t){var n=d.querySelectorAll(\".s%u-%s\");for(var i=0;"
                           "i<n.length;i++){n[i].setAttribute(\"data-%s\",t+%u);if(n[i]."
                           "offsetWidth>%u)n[i].classList.add(\"is-wide\")}return n.length}"
                           "w.addEventListener(\"%s\",function(){%s%u(d,%u)});",
                           part, i, st->index, part, PICK(&r, css_parts), rng_below(&r, 1000),
                           200 + rng_below(&r, 800), rng_below(&r, 2) ? "load" : "resize", part, i,
                           rng_below(&r, 100));
    }
    if (rc == 0) rc = fa_buf_puts(b, "})(window,document);</script>\n");
    return rc;
}

static int put_json_string(fa_buf *b, const char *s)
{
    int rc = fa_buf_puts(b, "\"");
    for (const char *p = s; *p && rc == 0; p++) {
        if (*p == '"' || *p == '\\')
            rc = fa_buf_printf(b, "\\%c", *p);
        else if (*p == '<')
            rc = fa_buf_puts(b, "\\u003c");
        else
            rc = fa_buf_append(b, p, 1);
    }
    if (rc == 0) rc = fa_buf_puts(b, "\"");
    return rc;
}

/* The page's state as a front-end framework ships it: the story again. */
static int put_bulk_state(fa_buf *b, const site *st, const article *a)
{
    char iso[32];
    format_date(a->published, 'i', iso, sizeof iso);
    int rc = fa_buf_printf(b,
                           "<script id=\"__PAGE_STATE__\" type=\"application/json\">"
                           "{\"page\":{\"site\":%u,\"id\":%u,\"published\":\"%s\",\"section\":",
                           st->index, a->index, iso);
    if (rc == 0) rc = put_json_string(b, topics[a->topic].section);
    if (rc == 0) rc = fa_buf_puts(b, ",\"headline\":");
    if (rc == 0) rc = put_json_string(b, a->headline);
    if (rc == 0) rc = fa_buf_puts(b, ",\"author\":");
    if (rc == 0) rc = put_json_string(b, a->author);
    if (rc == 0) rc = fa_buf_puts(b, ",\"body\":[");
    for (unsigned i = 0; i < a->n_paras && rc == 0; i++) {
        rc = fa_buf_puts(b, i ? ",{\"type\":\"paragraph\",\"text\":"
                              : "{\"type\":\"paragraph\","
                                "\"text\":");
        if (rc == 0) rc = put_json_string(b, a->paras[i]);
        if (rc == 0) rc = fa_buf_puts(b, "}");
    }
    if (rc == 0) rc = fa_buf_puts(b, "]}}</script>\n");
    return rc;
}

/* Teasers of the site's other stories until the page reaches `until`. */
static int put_bulk_teasers(fa_buf *b, const site *st, const article *a, size_t until)
{
    const char *origin = origin_of(st);
    int rc = fa_buf_puts(b, "<section class=\"more-stories\"><h2>More stories</h2>\n<ul>\n");
    for (unsigned k = 1; rc == 0 && b->len < until; k++) {
        const article *o = &st->arts[(a->index + k * 7) % st->n_arts];
        char slug[80], date[40];
        slugify(o->headline, slug, sizeof slug);
        format_date(o->published, 'd', date, sizeof date);
        rc = fa_buf_printf(b,
                           "<li class=\"teaser\"><a href=\"%s%s\"><img src=\"/img/%s-640.jpg\" "
                           "srcset=\"/img/%s-320.jpg 320w, /img/%s-640.jpg 640w, "
                           "/img/%s-1280.jpg 1280w\" sizes=\"(max-width:600px) 100vw, 33vw\" "
                           "width=\"640\" height=\"360\" loading=\"lazy\" alt=\"\"><h3>",
                           origin, o->path, slug, slug, slug, slug);
        if (rc == 0) rc = put_escaped(b, o->headline);
        if (rc == 0) rc = fa_buf_puts(b, "</h3></a><p class=\"teaser__summary\">");
        if (rc == 0) rc = put_escaped(b, o->paras[0]);
        if (rc == 0)
            rc = fa_buf_printf(b, "</p><span class=\"teaser__meta\">%s &middot; %s</span></li>\n",
                               topics[o->topic].section, date);
    }
    if (rc == 0) rc = fa_buf_puts(b, "</ul></section>\n");
    return rc;
}

/* Inserts the site's stylesheet before </head> and its menu after the
 * top of the page (what put_page_top wrote from `top`). */
static int put_bulk_top(fa_buf *b, const site *st, size_t top, size_t page_bytes)
{
    fa_buf css;
    fa_buf_init(&css, PAGE_MAX);
    int rc = put_bulk_css(&css, st, page_bytes * 15 / 100);
    const char *head_end = rc == 0 ? strstr(b->data + top, "</head>") : NULL;
    if (head_end != NULL) {
        size_t at = (size_t)(head_end - b->data), tail = b->len - at;
        rc = fa_buf_reserve(b, css.len);
        if (rc == 0) {
            memmove(b->data + at + css.len, b->data + at, tail);
            memcpy(b->data + at, css.data, css.len);
            b->len += css.len;
        }
    }
    fa_buf_free(&css);
    if (rc == 0) rc = put_bulk_menu(b, st, page_bytes * 7 / 100);
    return rc;
}

static int render_article(fa_buf *b, const sample_sites *ss, const site *st, const article *a)
{
    const char *origin = origin_of(st);
    char canonical[1024];
    snprintf(canonical, sizeof canonical, "%s%s", origin, a->path);
    size_t top = b->len;
    int rc = put_page_top(b, st, origin, a->headline, a->paras[0], canonical);
    if (rc == 0 && ss->page_bytes) rc = put_bulk_top(b, st, top, ss->page_bytes);
    if (rc == 0) rc = put_article_body(b, st, a, origin, canonical);
    if (rc == 0 && st->style == 4) {
        if (a->n_related)
            rc =
                fa_buf_puts(b, "<section class=\"related-articles\">\n<h2>Related Articles</h2>\n");
        for (unsigned k = 0; k < a->n_related && rc == 0; k++) {
            const site *os = &ss->sites[a->related[k][0]];
            const article *oa = &os->arts[a->related[k][1]];
            rc = fa_buf_printf(b,
                               "<article class=\"related\">\n<h3><a class=\"related-source\" "
                               "href=\"%s%s\">",
                               origin_of(os), oa->path);
            if (rc == 0) rc = put_escaped(b, oa->headline);
            if (rc == 0)
                rc = fa_buf_puts(b, "</a></h3>\n<p class=\"src\">Originally published by ");
            if (rc == 0) rc = put_escaped(b, os->name);
            if (rc == 0) rc = fa_buf_puts(b, "</p>\n<div class=\"article-body\">\n");
            if (rc == 0) rc = put_paragraphs(b, oa, "");
            if (rc == 0) rc = fa_buf_puts(b, "</div>\n</article>\n");
        }
        if (rc == 0 && a->n_related) rc = fa_buf_puts(b, "</section>\n");
        if (rc == 0) rc = fa_buf_puts(b, "</div>\n");
    }
    if (rc == 0 && ss->page_bytes) {
        fa_buf tail; /* state and scripts, written after the teasers */
        fa_buf_init(&tail, PAGE_MAX);
        rc = put_bulk_state(&tail, st, a);
        if (rc == 0) rc = put_bulk_scripts(&tail, st, ss->page_bytes * 15 / 100);
        size_t bottom = 2048; /* about what put_page_bottom writes */
        if (rc == 0) rc = put_bulk_teasers(b, st, a, ss->page_bytes - tail.len - bottom);
        if (rc == 0) rc = fa_buf_append(b, tail.data, tail.len);
        fa_buf_free(&tail);
    }
    if (rc == 0) rc = put_page_bottom(b, st, origin);
    return rc;
}

static int render_home(fa_buf *b, const site *st)
{
    const char *origin = origin_of(st);
    char canonical[512];
    snprintf(canonical, sizeof canonical, "%s/", origin);
    int rc = put_page_top(b, st, origin, "Front page", st->tagline, canonical);
    if (rc == 0)
        rc = fa_buf_puts(b, "<main class=\"front\">\n<h1>Latest</h1>\n<ul class=\"teasers\">\n");
    for (unsigned i = 0; i < st->n_arts && rc == 0; i++) {
        const article *a = &st->arts[i];
        rc = fa_buf_printf(b, "<li><a href=\"%s%s\">", origin, a->path);
        if (rc == 0) rc = put_escaped(b, a->headline);
        if (rc == 0) rc = fa_buf_puts(b, "</a></li>\n");
    }
    if (rc == 0) rc = fa_buf_puts(b, "</ul>\n</main>\n");
    if (rc == 0) rc = put_page_bottom(b, st, origin);
    return rc;
}

/* The feed's link for article i (the alias carries the tracking query). */
static void item_url(const site *st, const article *a, int tracked, char *out, size_t outlen)
{
    snprintf(out, outlen, "%s%s%s", origin_of(st), a->path, tracked ? "?utm_source=feed" : "");
}

static int render_rss(fa_buf *b, const site *st, const char *feed_url, const unsigned *items,
                      unsigned n, int content, int track_alias)
{
    char date[64];
    format_date(st->arts[0].published, 'r', date, sizeof date);
    int rc =
        fa_buf_printf(b,
                      "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
                      "<rss version=\"2.0\" xmlns:atom=\"http://www.w3.org/2005/Atom\" "
                      "xmlns:dc=\"http://purl.org/dc/elements/1.1/\"%s>\n<channel>\n<title>",
                      content ? " xmlns:content=\"http://purl.org/rss/1.0/modules/content/\"" : "");
    if (rc == 0) rc = put_escaped(b, st->name);
    if (rc == 0) rc = fa_buf_printf(b, "</title>\n<link>%s/</link>\n<description>", origin_of(st));
    if (rc == 0) rc = put_escaped(b, st->tagline);
    if (rc == 0)
        rc = fa_buf_printf(b,
                           "</description>\n<language>en-gb</language>\n"
                           "<lastBuildDate>%s</lastBuildDate>\n"
                           "<atom:link href=\"%s\" rel=\"self\" type=\"application/rss+xml\"/>\n",
                           date, feed_url);
    for (unsigned k = 0; k < n && rc == 0; k++) {
        const article *a = &st->arts[items[k]];
        char url[1024], guid[1024];
        item_url(st, a, track_alias && a->index == ALIAS_INDEX, url, sizeof url);
        item_url(st, a, 0, guid, sizeof guid);
        format_date(a->published, 'r', date, sizeof date);
        rc = fa_buf_puts(b, "<item>\n<title>");
        if (rc == 0) rc = put_escaped(b, a->headline);
        if (rc == 0)
            rc = fa_buf_printf(b,
                               "</title>\n<link>%s</link>\n<guid isPermaLink=\"true\">%s</guid>\n"
                               "<pubDate>%s</pubDate>\n<dc:creator>",
                               url, guid, date);
        if (rc == 0) rc = put_escaped(b, a->author);
        if (rc == 0)
            rc = fa_buf_printf(b, "</dc:creator>\n<category>%s</category>\n<description>",
                               topics[a->topic].section);
        if (rc == 0) rc = put_escaped(b, a->paras[0]);
        if (rc == 0) rc = fa_buf_puts(b, "</description>\n");
        if (rc == 0 && content) {
            rc = fa_buf_puts(b, "<content:encoded><![CDATA[");
            if (rc == 0) rc = put_paragraphs(b, a, "");
            if (rc == 0) rc = fa_buf_puts(b, "]]></content:encoded>\n");
        }
        if (rc == 0) rc = fa_buf_puts(b, "</item>\n");
    }
    if (rc == 0) rc = fa_buf_puts(b, "</channel>\n</rss>\n");
    return rc;
}

static int render_atom(fa_buf *b, const site *st, const char *feed_url)
{
    char date[64];
    format_date(st->arts[0].published, 'i', date, sizeof date);
    int rc =
        fa_buf_puts(b, "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n"
                       "<feed xmlns=\"http://www.w3.org/2005/Atom\" xml:lang=\"en\">\n<title>");
    if (rc == 0) rc = put_escaped(b, st->name);
    if (rc == 0) rc = fa_buf_puts(b, "</title>\n<subtitle>");
    if (rc == 0) rc = put_escaped(b, st->tagline);
    if (rc == 0)
        rc = fa_buf_printf(b,
                           "</subtitle>\n"
                           "<link rel=\"self\" type=\"application/atom+xml\" href=\"%s\"/>\n"
                           "<link rel=\"alternate\" type=\"text/html\" href=\"%s/\"/>\n"
                           "<id>tag:%s,2024:feed</id>\n<updated>%s</updated>\n",
                           feed_url, origin_of(st), st->domain, date);
    for (unsigned k = 0; k < st->n_arts && rc == 0; k++) {
        const article *a = &st->arts[k];
        format_date(a->published, 'i', date, sizeof date);
        rc = fa_buf_puts(b, "<entry>\n<title>");
        if (rc == 0) rc = put_escaped(b, a->headline);
        if (rc == 0)
            rc = fa_buf_printf(b,
                               "</title>\n<link rel=\"alternate\" type=\"text/html\" "
                               "href=\"%s%s\"/>\n<id>tag:%s,2024:article-%u</id>\n"
                               "<published>%s</published>\n<updated>%s</updated>\n"
                               "<author><name>",
                               origin_of(st), a->path, st->domain, a->index, date, date);
        if (rc == 0) rc = put_escaped(b, a->author);
        if (rc == 0)
            rc = fa_buf_printf(b, "</name></author>\n<category term=\"%s\"/>\n<summary>",
                               topics[a->topic].section);
        if (rc == 0) rc = put_escaped(b, a->paras[0]);
        if (rc == 0) rc = fa_buf_puts(b, "</summary>\n</entry>\n");
    }
    if (rc == 0) rc = fa_buf_puts(b, "</feed>\n");
    return rc;
}

/* ---- serving ---- */

static uint32_t fnv32(const char *s, size_t n)
{
    uint32_t h = 2166136261u;
    for (size_t i = 0; i < n; i++)
        h = (h ^ (unsigned char)s[i]) * 16777619u;
    return h;
}

static int add_page_info(sample_sites *ss, const char *url, const char *canonical,
                         enum sample_page_kind kind, unsigned server, unsigned variant, size_t size)
{
    char *u = strdup(url);
    char *c = strcmp(url, canonical) ? strdup(canonical) : u;
    if (u == NULL || c == NULL) {
        free(u);
        return FA_ENOMEM;
    }
    ss->page_strings[ss->n_page_strings++] = u;
    if (c != u) ss->page_strings[ss->n_page_strings++] = c;
    ss->pages[ss->n_pages++] = (sample_page_info){u, c, kind, server, variant, size};
    return 0;
}

static int add_feed(sample_sites *ss, site *st, fa_buf *b, const char *path, const char *ctype)
{
    char hdrs[256], date[64];
    format_date(st->arts[0].published, 'h', date, sizeof date);
    snprintf(hdrs, sizeof hdrs,
             "ETag: \"%08x\"\r\nLast-Modified: %s\r\nCache-Control: max-age=600\r\n",
             fnv32(b->data, b->len), date);
    int rc = site_server_route(st->srv, path, 200, ctype, b->data, b->len, hdrs, 0);
    if (rc == 0) {
        char *u = fmt_alloc("%s%s", origin_of(st), path);
        if (u == NULL) return FA_ENOMEM;
        ss->feeds[ss->n_feeds++] = u;
    }
    return rc;
}

static int serve_site(sample_sites *ss, site *st, unsigned delay_ms)
{
    fa_buf b;
    fa_buf_init(&b, LIST_MAX);
    int rc = 0;
    const char *origin = origin_of(st);
    for (unsigned i = 0; i < st->n_arts && rc == 0; i++) {
        const article *a = &st->arts[i];
        fa_buf_reset(&b);
        if ((rc = render_article(&b, ss, st, a)) < 0) break;
        char hdrs[160], date[64];
        format_date(a->published, 'h', date, sizeof date);
        snprintf(hdrs, sizeof hdrs, "Last-Modified: %s\r\nCache-Control: max-age=300\r\n", date);
        rc = site_server_route(st->srv, a->path, 200, "text/html; charset=utf-8", b.data, b.len,
                               hdrs, delay_ms);
        char url[1024];
        item_url(st, a, 0, url, sizeof url);
        if (rc == 0 && st->index == 0 && i == ALIAS_INDEX) {
            /* the tracked URL reaches the same route (query-less fallback) */
            char tracked[1024];
            item_url(st, a, 1, tracked, sizeof tracked);
            rc = add_page_info(ss, tracked, url, SAMPLE_PAGE_ALIAS, st->index, 0, b.len);
        }
        if (rc == 0) rc = add_page_info(ss, url, url, a->kind, st->index, a->wire_variant, b.len);
    }
    if (rc == 0) {
        fa_buf_reset(&b);
        rc = render_home(&b, st);
    }
    if (rc == 0)
        rc = site_server_route(st->srv, "/", 200, "text/html; charset=utf-8", b.data, b.len, NULL,
                               delay_ms);
    static const char robots[] = "# robots.txt for this sample site\n"
                                 "User-agent: *\nDisallow: /private/\n";
    if (rc == 0)
        rc = site_server_route(st->srv, "/robots.txt", 200, "text/plain; charset=utf-8", robots,
                               sizeof robots - 1, NULL, 0);
    static const char private_page[] =
        "<!DOCTYPE html>\n<html><head><title>Drafts</title><meta name=\"robots\" "
        "content=\"noindex\"></head><body><h1>Unpublished drafts</h1><p>Staff only.</p>"
        "</body></html>\n";
    if (rc == 0)
        rc = site_server_route(st->srv, "/private/drafts.html", 200, "text/html; charset=utf-8",
                               private_page, sizeof private_page - 1, NULL, 0);

    char feed_url[512];
    snprintf(feed_url, sizeof feed_url, "%s%s", origin, st->feed_path);
    fa_buf_reset(&b);
    if (rc == 0 && st->feed_format == FEED_ATOM) {
        rc = render_atom(&b, st, feed_url);
        if (rc == 0)
            rc = add_feed(ss, st, &b, st->feed_path, "application/atom+xml; charset=utf-8");
    } else if (rc == 0) {
        unsigned *all = malloc(st->n_arts * sizeof *all);
        if (all == NULL) rc = FA_ENOMEM;
        for (unsigned i = 0; all && i < st->n_arts; i++)
            all[i] = i;
        if (rc == 0)
            rc = render_rss(&b, st, feed_url, all, st->n_arts, st->feed_format == FEED_RSS_CONTENT,
                            st->index == 0);
        free(all);
        if (rc == 0) rc = add_feed(ss, st, &b, st->feed_path, "application/rss+xml; charset=utf-8");
    }
    if (rc == 0 && st->index == 0) { /* the "local" section feed, plain links */
        static const unsigned slots[] = {0, ALIAS_INDEX, FIRST_FREE_INDEX};
        unsigned local[3], n_local = 0; /* those a small site has */
        for (unsigned k = 0; k < 3; k++)
            if (slots[k] < st->n_arts) local[n_local++] = slots[k];
        snprintf(feed_url, sizeof feed_url, "%s/feeds/local.xml", origin);
        fa_buf_reset(&b);
        rc = render_rss(&b, st, feed_url, local, n_local, 0, 0);
        if (rc == 0)
            rc = add_feed(ss, st, &b, "/feeds/local.xml", "application/rss+xml; charset=utf-8");
    }
    fa_buf_free(&b);
    return rc;
}

/* ---- the config ---- */

static int put_yaml_string(fa_buf *b, const char *s)
{
    int rc = fa_buf_puts(b, "\"");
    for (const unsigned char *p = (const unsigned char *)s; *p && rc == 0; p++) {
        if (*p == '"' || *p == '\\')
            rc = fa_buf_printf(b, "\\%c", *p);
        else if (*p < 0x20)
            rc = fa_buf_printf(b, "\\x%02x", *p);
        else
            rc = fa_buf_append(b, p, 1);
    }
    if (rc == 0) rc = fa_buf_puts(b, "\"");
    return rc;
}

static int write_config(const sample_sites *ss, const sample_sites_options *o, const char *dir,
                        char **out)
{
    fa_buf b;
    fa_buf_init(&b, YAML_MAX);
    int rc = fa_buf_printf(&b,
                           "# feedarc demo: %u sample sites and an aggregator served on "
                           "loopback by this process\n"
                           "# (generated by sample_sites_start, seed %u); user_agent is the "
                           "default.\nstorage:\n  dir: ",
                           ss->n_news, (unsigned)o->seed);
    if (rc == 0) rc = put_yaml_string(&b, dir);
    if (rc == 0) rc = fa_buf_puts(&b, "\n  state_dir: ");
    if (rc == 0) {
        char *state = fmt_alloc("%s/state", dir);
        rc = state ? put_yaml_string(&b, state) : FA_ENOMEM;
        free(state);
    }
    if (rc == 0)
        rc = fa_buf_puts(&b, "\npoliteness:\n  max_connections_per_host: 2\n  min_delay: 20ms\n"
                             "  max_connections: 16\nhttp:\n  connect_timeout: 2s\n"
                             "  timeout: 10s\nsources:\n");
    unsigned f = 0;
    for (unsigned si = 0; si < ss->n_servers && rc == 0; si++) {
        const site *st = &ss->sites[si];
        unsigned nf = si == 0 ? 2 : 1;
        for (unsigned k = 0; k < nf && rc == 0; k++, f++) {
            char name[256];
            snprintf(name, sizeof name, "%s%s", st->name, k ? " (local)" : "");
            rc = fa_buf_puts(&b, "  - name: ");
            if (rc == 0) rc = put_yaml_string(&b, name);
            if (rc == 0) rc = fa_buf_puts(&b, "\n    url: ");
            if (rc == 0) rc = put_yaml_string(&b, ss->feeds[f]);
            if (rc == 0)
                rc = fa_buf_printf(&b, "\n    type: %s\n",
                                   st->feed_format == FEED_ATOM && k == 0 ? "atom" : "rss");
        }
    }
    if (rc == 0 && (*out = fa_buf_steal(&b, NULL)) == NULL) rc = FA_ENOMEM;
    fa_buf_free(&b);
    return rc;
}

/* ---- lifecycle ---- */

/* Without a delay, each site's server serves all its connections from one
 * epoll thread: the benches measure a client beside these servers on the
 * same cores, and a thread woken per request cost a third more of them.
 * With a delay, a thread per connection, so a slow response holds only its
 * own connection. */
static int start_servers(sample_sites *ss, int single, unsigned delay_ms)
{
    enum site_server_threading t =
        delay_ms == 0 ? SITE_SERVER_ONE_THREAD : SITE_SERVER_THREAD_PER_CONNECTION;
    for (unsigned i = 0; i < ss->n_servers; i++) {
        char ip[32];
        snprintf(ip, sizeof ip, "127.0.0.%u", single ? 1 : 2 + i);
        ss->sites[i].srv = site_server_start_threading(ip, 0, t);
        if (ss->sites[i].srv == NULL) return FA_EIO;
    }
    return 0;
}

int sample_sites_start(const sample_sites_options *opt, const char *out_dir, sample_sites **out,
                       char **config_yaml)
{
    sample_sites_options o = {0};
    if (opt != NULL) o = *opt;
    if (o.n_sites == 0) o.n_sites = 3;
    if (o.articles_per_site == 0) o.articles_per_site = 8;
    *out = NULL;
    if (config_yaml != NULL) *config_yaml = NULL;
    if (out_dir == NULL || out_dir[0] == '\0') return FA_EINVAL;
    if (o.n_sites > SAMPLE_SITES_MAX_SITES ||
        (uint64_t)o.n_sites * o.articles_per_site > SAMPLE_SITES_MAX_PAGES)
        return FA_ETOOBIG;
    if ((o.page_bytes && (o.page_bytes < (16u << 10) || o.page_bytes > (512u << 10))) ||
        o.syndicated_pct > 90)
        return FA_EINVAL;

    int rc = FA_ENOMEM;
    char *dir = NULL;
    sample_sites *ss = calloc(1, sizeof *ss);
    if (ss == NULL) goto out;
    ss->n_news = o.n_sites;
    ss->n_servers = o.n_sites + 1;
    ss->page_bytes = o.page_bytes;
    unsigned max_pages = o.n_sites * o.articles_per_site + 1 + o.articles_per_site;
    ss->sites = calloc(ss->n_servers, sizeof *ss->sites);
    ss->pages = calloc(max_pages, sizeof *ss->pages);
    ss->page_strings = calloc(2 * (size_t)max_pages, sizeof *ss->page_strings);
    ss->feeds = calloc(ss->n_servers + 1, sizeof *ss->feeds);
    if (ss->sites == NULL || ss->pages == NULL || ss->page_strings == NULL || ss->feeds == NULL)
        goto out;
    if (out_dir[0] == '/') {
        dir = strdup(out_dir);
    } else {
        char cwd[PATH_MAX];
        dir = getcwd(cwd, sizeof cwd) ? fmt_alloc("%s/%s", cwd, out_dir) : NULL;
    }
    if (dir == NULL) goto out;

    rc = start_servers(ss, o.single_address, o.delay_ms);
    if (rc < 0 && !o.single_address) {
        /* some systems route only 127.0.0.1: fall back to ports */
        for (unsigned i = 0; i < ss->n_servers; i++) {
            site_server_stop(ss->sites[i].srv);
            ss->sites[i].srv = NULL;
        }
        rc = start_servers(ss, 1, o.delay_ms);
    }
    if (rc < 0) goto out;
    if ((rc = generate(ss, &o)) < 0) goto out;
    for (unsigned i = 0; i < ss->n_servers && rc == 0; i++)
        rc = serve_site(ss, &ss->sites[i], o.delay_ms);
    if (rc == 0 && config_yaml != NULL) rc = write_config(ss, &o, dir, config_yaml);
out:
    /* the text is served by now; only the servers and the page list stay */
    for (unsigned i = 0; ss && ss->sites && i < ss->n_servers; i++) {
        site *st = &ss->sites[i];
        for (unsigned k = 0; st->arts && k < st->n_arts; k++)
            article_free(&st->arts[k]);
        free(st->arts);
        st->arts = NULL;
    }
    free(dir);
    if (rc < 0) {
        sample_sites_stop(ss);
        return rc;
    }
    *out = ss;
    return 0;
}

unsigned sample_sites_page_count(const sample_sites *s)
{
    return s ? s->n_pages : 0;
}

const sample_page_info *sample_sites_page(const sample_sites *s, unsigned i)
{
    return s && i < s->n_pages ? &s->pages[i] : NULL;
}

unsigned sample_sites_feed_count(const sample_sites *s)
{
    return s ? s->n_feeds : 0;
}

const char *sample_sites_feed_url(const sample_sites *s, unsigned i)
{
    return s && i < s->n_feeds ? s->feeds[i] : NULL;
}

unsigned sample_sites_n_servers(const sample_sites *s)
{
    return s ? s->n_servers : 0;
}

unsigned sample_sites_n_news(const sample_sites *s)
{
    return s ? s->n_news : 0;
}

site_server *sample_sites_server(sample_sites *s, unsigned i)
{
    return s && i < s->n_servers ? s->sites[i].srv : NULL;
}

void sample_sites_stop(sample_sites *s)
{
    if (s == NULL) return;
    for (unsigned i = 0; s->sites && i < s->n_servers; i++) {
        site *st = &s->sites[i];
        site_server_stop(st->srv);
        for (unsigned k = 0; st->arts && k < st->n_arts; k++)
            article_free(&st->arts[k]);
        free(st->arts);
        free(st->name);
        free(st->tagline);
        free(st->domain);
        free(st->feed_path);
    }
    for (unsigned i = 0; s->page_strings && i < s->n_page_strings; i++)
        free(s->page_strings[i]);
    for (unsigned i = 0; s->feeds && i < s->n_feeds; i++)
        free(s->feeds[i]);
    free(s->page_strings);
    free(s->pages);
    free(s->feeds);
    free(s->sites);
    free(s);
}
