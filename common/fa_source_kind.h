/*
 * fa_source_kind.h - the kinds of source feedarc reads, in one table.
 *
 * A source kind is what a config source's `type:` names ("rss",
 * "wordpress", ...), what `feedarc feed --type` takes, and what the source
 * parser (crawler/feeds/source_parser.h) is told to read a response as.
 * Config, parser and crawler all read this one table instead of keeping
 * their own lists: its row says the kind's name, which reader parses its
 * bodies, and what the crawler does differently for it (pages, a
 * watermark, a mapping).  A new feed format is one row here plus its
 * reader in crawler/feeds/.
 *
 * It sits in common/ because both config/ and crawler/feeds/ read it and
 * neither may include the other; it knows nothing of either.
 */
#ifndef FA_SOURCE_KIND_H
#define FA_SOURCE_KIND_H

enum fa_source_kind {
    FA_SOURCE_AUTO = 0, /* the bytes decide (JSON by its shape, XML by its root) */
    FA_SOURCE_RSS,      /* RSS, RDF or Atom: the XML root decides between them */
    FA_SOURCE_ATOM,     /* the same reader as RSS */
    FA_SOURCE_JSONFEED,
    FA_SOURCE_WORDPRESS, /* a WordPress site's REST posts */
    FA_SOURCE_JSON,      /* a JSON API read through a mapping (JSON Pointers) */
    FA_SOURCE_SITEMAP,
    FA_SOURCE_OPML, /* a list of feeds (config: "- opml: FILE", not a type) */
    FA_SOURCE_KIND_COUNT
};

/* Which reader parses a kind's bodies (source_parser.c starts it). */
enum fa_source_reader {
    FA_READER_SNIFF = 0,   /* decided from the first bytes */
    FA_READER_XML_FEED,    /* feed_parser: RSS, RDF, Atom */
    FA_READER_JSON_FEED,   /* json_items, JSON Feed */
    FA_READER_WORDPRESS,   /* json_items, WordPress REST posts */
    FA_READER_JSON_MAPPED, /* json_items through the source's mapping */
    FA_READER_SITEMAP,     /* sitemap_parser */
    FA_READER_OPML         /* opml_parser */
};

/* What a kind does beyond its reader. */
enum {
    FA_SOURCE_CONFIG_TYPE = 1u << 0, /* may be named by a config source's type: */
    FA_SOURCE_PAGINATED = 1u << 1,   /* walks pages of one poll (max_pages_per_poll) */
    FA_SOURCE_WATERMARK = 1u << 2,   /* asks only for what changed since the newest
                                        modification seen (kept in the state's kv) */
    FA_SOURCE_MAPPED = 1u << 3       /* needs a json: mapping */
};

typedef struct fa_source_kind_info {
    enum fa_source_kind kind;
    const char *name; /* as config and `feedarc feed --type` spell it */
    enum fa_source_reader reader;
    unsigned flags; /* FA_SOURCE_CONFIG_TYPE ... */
} fa_source_kind_info;

/* The row of kind k; NULL for a value that is no kind. */
const fa_source_kind_info *fa_source_kind_get(enum fa_source_kind k);

/* The kind's name ("auto", "rss", ...); NULL for a value that is no kind. */
const char *fa_source_kind_name(enum fa_source_kind k);

/* The kind named name (exact, lower case): 0 and *out, or FA_EINVAL when
 * no row has that name (NULL included). */
int fa_source_kind_by_name(const char *name, enum fa_source_kind *out);

/* 1 when kind k has every flag of flags, else 0 (also for no kind). */
int fa_source_kind_has(enum fa_source_kind k, unsigned flags);

/* The kind a response of url is read as when the source says k: AUTO with
 * "/wp-json/" in the URL is WORDPRESS (a WordPress REST URL given without
 * a type); otherwise k.  url may be NULL. */
enum fa_source_kind fa_source_kind_for_url(enum fa_source_kind k, const char *url);

#endif
