/*
 * text_extract.c - HTML -> classified text blocks (see text_extract.h).
 *
 * Before libxml2 reads the decoded text, the bodies of noscript, script
 * and style are cut out with memchr (strip_raw): a browser running scripts
 * reads them as raw text up to their end tag, while libxml2 parses
 * noscript's content as markup (an unclosed div in it swallows the page)
 * and walks script bodies a character at a time.
 *
 * The SAX handlers keep a stack of open elements.  Text goes into the
 * current block's buffer; opening or closing any block-level element ends
 * the current block (so a div's own text between two paragraphs is a block
 * of its own, tagged "div").  Each element gets a serial, a parent and its
 * own hints so the classifier can sum text per container and decide which
 * hints to believe afterwards.
 *
 * Classification, in order (the reason string names the rule that won):
 *   0. hints in force: the text's core is the element whose children and
 *      grandchildren hold the most long link-poor text (readability's
 *      paragraph-parent score, hints ignored, comment threads left out);
 *      the core and its ancestors lose their chrome hints (a layout's
 *      "content-sidebar-wrap", a page builder's "widget", a post's
 *      "tag-..." labels), the rest keep theirs, but for promo and meta
 *      words on elements sharing the class attribute of such a wrapper
 *      (its twins: a report's other sections, all "section--ads"); a
 *      header named by its class inside an article is the article's own.
 *   1. hard boilerplate: strong hints (nav, header, footer, aside, comment,
 *      share, cookie, promo, meta) -> "hint:NAME"; link density > 0.4 ->
 *      "link-density" (link text that is an address, "https://...",
 *      "www...", is not counted as link: the text citing a source); a
 *      short block (weight < 30) under a weak hint (form, related) ->
 *      "hint:NAME".  Under a "related" hint, the one story line of a card
 *      right after its linked title, under weight 800, is a teaser's blurb (a "More stories" list: title, blurb, date per
 *      card): it counts for neither the core (0) nor the container (3),
 *      and is classified as any long block is (past the text's end, one
 *      shorter than a carried story is "after-text").
 *   2. "good" blocks: weight >= 80 and link density < 0.25 (weight counts
 *      non-space code points, unspaced scripts x3 since a CJK character
 *      carries about a word, Hangul syllables x2: about half a word).
 *   3. main container: the deepest element holding >= 80% of the good
 *      weight and two blocks that may be text (else the nearest ancestor
 *      holding two: not one block's wrapper).  Inside it: good or medium (>= 30) blocks are content
 *      ("main"), but for the short and medium ones under a "related" hint,
 *      and, once the text has begun, a lone long one there under
 *      LOOSE_TEXT_WEIGHT ("related-in-text": a teaser's blurb);
 *      short ones are content when they are headings or end like a
 *      sentence, else "short".  Outside it: good blocks are content
 *      ("long-outside-main") unless under a weak "related" hint with
 *      medium link density, or past the text's end (below) alone; the
 *      rest is "outside-main", but for a short heading right before
 *      content there ("heading-before-text").
 *      The text's end is the core's last long block: a long block outside
 *      the container after it, with no other long block under its parent
 *      or grandparent and shorter than a carried story (CARRIED_WEIGHT), is
 *      boilerplate ("after-text": disclaimers, bios, pitches, teasers).
 *      Before the container, inside an article or main element, a block
 *      of LEAD_WEIGHT or a list item or table cell of LEAD_ITEM_WEIGHT is
 *      the article's ("article-lead": standfirst, key points, ingredients);
 *      a cell left outside whose rows hold a content cell is the text's
 *      data too ("table-cell").
 *   4. vocabulary (dedup/text_vocab.c): a block shorter than
 *      CARRIED_WEIGHT carrying a rights, reprint or affiliate notice is
 *      boilerplate ("vocab-notice"); a short one (< GOOD_WEIGHT) carrying
 *      a template line's words (share, subscribe, comments, read also,
 *      photo credit) too, and past the text's end a medium one
 *      ("vocab-line").  A block where a fifth of the words mix Latin and
 *      Cyrillic letters is a disguised advertisement ("disguised-text").
 *   5. context: a "short" block between two medium or long content blocks
 *      is content ("short-between-text": list items, table cells), and so
 *      is a short paragraph of two words or more within three blocks of a
 *      long paragraph under the same parent ("short-paragraph": a greeting,
 *      a sign-off); a short
 *      heading past the text's end is a box's title ("heading-after-text");
 *      a short
 *      heading followed by no content before the next heading of its rank
 *      is boilerplate ("heading-without-text": "Related stories" over
 *      links); the last h1/h2 before the container's first block is the
 *      headline ("headline"), even under a header or aside hint, unless
 *      the container opens with an h1 of its own (then an h1 before it is
 *      the site's name in its header); a
 *      table cell dropped for its links beside a content cell of the same
 *      path is a data table's entry ("linked-cell").
 *   6. paragraphs: when <p> holds >= 80% of the container's long blocks
 *      (three at least), words a div, section or article holds directly,
 *      outside any paragraph, under LOOSE_TEXT_WEIGHT, are a box's
 *      ("div-text": a pitch, a product box, a teaser's blurb).
 *   7. the last block: after a long paragraph, a block (under
 *      CARRIED_WEIGHT, not a heading) two or more levels down in a box of
 *      its own below the element the two share, where the paragraph is at
 *      most one level down, is that box's ("box-after-text").
 *   8. a page showing no long content block while its noscript elements
 *      hold text is read as a browser without scripts reads it: the
 *      noscript contents, kept by strip_raw, are extracted as the page.
 * This is the jusText/boilerpipe idea (length, link density, context) with
 * readability's container scoring; the fixtures in tests/dedup/data/pages/
 * measure it (word-level F1 against hand-marked bodies), and
 * tools/bench/extract_eval on trafilatura's evaluation set (docs/BENCHMARKS.md).
 */
#include "dedup/text_extract.h"
#include "dedup/text_extract_internal.h"

#include "common/fa_charset.h"
#include "common/fa_err.h"
#include "dedup/text_norm.h"
#include "dedup/text_vocab.h"

#include <libxml/HTMLparser.h>
#include <libxml/parser.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <yajl/yajl_tree.h>

#define DEF_MAX_INPUT (32u << 20)
#define DEF_MAX_TEXT (8u << 20)
#define DEF_MAX_DEPTH 256
#define DEF_MAX_BLOCKS 100000
#define MAX_ELEMENTS (4u << 20)
#define MAX_PATH 240

static const char *const hint_names[TEXT_HINT_COUNT] = {
    "nav",     "header", "footer", "aside", "comment",  "share",  "cookie",
    "related", "promo",  "meta",   "form",  "positive", "article"};

const char *text_hint_name(unsigned i)
{
    return i < TEXT_HINT_COUNT ? hint_names[i] : "?";
}

#define HARD_HINTS                                                                                 \
    (TEXT_HINT_NAV | TEXT_HINT_HEADER | TEXT_HINT_FOOTER | TEXT_HINT_ASIDE | TEXT_HINT_COMMENT |   \
     TEXT_HINT_SHARE | TEXT_HINT_COOKIE | TEXT_HINT_PROMO | TEXT_HINT_META)

enum elem_kind { EK_INLINE = 0, EK_BLOCK, EK_DROP, EK_LINK, EK_BREAK };

typedef struct elem {
    uint32_t parent; /* serial of the parent, UINT32_MAX for the root */
    uint16_t depth;
    uint32_t hints;      /* the element's own hints (tag, role, class/id words) */
    uint32_t good;       /* classifier: good weight inside */
    uint32_t eff;        /* classifier: hints in force (own + ancestors', credible ones) */
    uint32_t core;       /* classifier: long text of its children (+ half its grandchildren's) */
    uint32_t class_hash; /* FNV-1a of the class attribute, 0 without one */
} elem;

typedef struct frame {
    const char *tag; /* static string for known tags, else "x" */
    uint32_t serial;
    uint32_t hints; /* cumulative */
    uint8_t kind;
    uint8_t heading;
    uint8_t dropping; /* cumulative: inside a dropped element */
    uint8_t linking;  /* cumulative: inside <a> */
} frame;

typedef struct raw_block {
    size_t text_off, len, path_off;
    uint32_t chars, nonspace, link_chars, weight, hints, elem;
    const char *tag;
    uint16_t depth;
    uint8_t heading;
} raw_block;

/* bytes of an og:site_name kept (a longer one is ignored, not cut) */
#define SITE_NAME_MAX 96

struct text_extractor {
    text_extract_options opt;
    htmlParserCtxtPtr ctx;
    size_t fed;
    int rc; /* first error */
    int done;
    frame *stack;
    unsigned depth;    /* frames in use */
    unsigned overflow; /* elements ignored past max_depth */
    elem *elems;
    size_t n_elems, cap_elems;
    raw_block *blocks;
    size_t n_blocks, cap_blocks;
    fa_buf cur;        /* text of the block being read */
    uint32_t cur_link; /* non-space link code points in cur */
    size_t br_at;      /* cur.len after the last <br> (+1), 0 = none */
    int in_title;
    fa_buf title;
    char site[SITE_NAME_MAX]; /* og:site_name, ASCII-lowercased ("" = none) */
    fa_buf arena;           /* texts and paths */
    fa_charset_decoder *cs; /* raw bytes -> UTF-8 */
    int raw;                /* inside the raw_tags[raw - 1] element (0: none) */
    int raw_end;            /* inside its end tag */
    fa_buf carry;           /* a tag cut by a chunk's end, read with the next chunk */
    fa_buf noscript;        /* noscript contents, each as a div: the page without scripts */
    int noscript_full;      /* noscript past its ceiling: none kept */
    int no_fallback;        /* this is the noscript fallback's own extraction */
    struct {
        const xmlChar *name; /* libxml2's interned name (its dictionary) */
        const struct tag_info *ti;
    } tag_cache[64]; /* find_tag's answers by name pointer */
    htmlSAXHandler sax;
};

/* Creates the parser: the input is UTF-8 (fa_charset decoded it), so the
 * page's own meta charset is ignored. */
static int start_parser(text_extractor *x)
{
    x->ctx = htmlCreatePushParserCtxt(&x->sax, x, NULL, 0, NULL, XML_CHAR_ENCODING_UTF8);
    if (x->ctx == NULL) return FA_ENOMEM;
    htmlCtxtUseOptions(x->ctx, HTML_PARSE_RECOVER | HTML_PARSE_NOERROR | HTML_PARSE_NOWARNING |
                                   HTML_PARSE_NONET | HTML_PARSE_NOBLANKS | HTML_PARSE_IGNORE_ENC);
    return x->rc;
}

static void to_libxml(text_extractor *x, const char *s, size_t len)
{
    while (len > 0 && x->rc == 0) {
        int n = len > (1u << 30) ? (1 << 30) : (int)len;
        htmlParseChunk(x->ctx, s, n, 0);
        s += n;
        len -= (size_t)n;
    }
}

/* Elements whose content strip_raw removes before libxml2 reads it. */
static const struct {
    const char *name;
    size_t len;
} raw_tags[] = {{"noscript", 8}, {"script", 6}, {"style", 5}};

/* At s (a '<'): the raw_tags index + 1 of a "<name" (or "</name" with
 * close, then only inside = that tag) followed by a space, '>' or '/';
 * -1 when len is too short to tell; else 0. */
static int raw_tag_at(const char *s, size_t len, int close, int inside)
{
    size_t at = close ? 2 : 1;
    if (len < at + 1) return -1;
    if (close && s[1] != '/') return 0;
    char c1 = (char)(s[at] | 0x20);
    for (int t = close ? inside - 1 : 0; t < (close ? inside : 3); t++) {
        const char *name = raw_tags[t].name;
        size_t n = raw_tags[t].len, i;
        if (c1 != name[0]) continue;
        for (i = 1; i < n && at + i < len; i++)
            if ((s[at + i] | 0x20) != name[i]) break;
        if (i < n && at + i < len) continue; /* another name */
        if (at + n >= len) return -1;
        char c = s[at + n];
        if (c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '>' || c == '/')
            return t + 1;
    }
    return 0;
}

/* Keeps s[from, to) of a noscript element's content for the fallback of
 * text_extractor_finish (a page whose text only a browser without scripts
 * shows); past the buffer's ceiling nothing is kept. */
static void keep_noscript(text_extractor *x, const char *s, size_t from, size_t to)
{
    if (x->noscript_full || x->no_fallback || to <= from) return;
    if (fa_buf_append(&x->noscript, s + from, to - from) < 0) x->noscript_full = 1;
}

/* Removes <noscript>, <script> and <style> elements from the text before
 * libxml2 reads it, as a browser running scripts reads them: their content
 * is raw text up to the matching end tag.  libxml2 parses noscript's
 * content as markup, so "<noscript><div></noscript>" swallowed the rest of
 * the page into the noscript element (whose content is never text here);
 * and it walks script and style bodies a character at a time, where
 * memchr skips them (they are most of a modern page's bytes).  Returns the
 * bytes of s consumed; the rest (a tag cut by the chunk's end) is carried
 * to the next call. */
static size_t strip_raw(text_extractor *x, const char *s, size_t len, int last)
{
    size_t pos = 0, emit = 0;
    size_t cap = 0; /* inside a noscript element: its content from here is kept */
    while (pos < len && x->rc == 0) {
        if (x->raw_end) { /* inside </name ...> */
            const char *gt = memchr(s + pos, '>', len - pos);
            if (gt == NULL) return len;
            pos = emit = (size_t)(gt - s) + 1;
            x->raw = x->raw_end = 0;
            continue;
        }
        const char *lt = memchr(s + pos, '<', len - pos);
        if (lt == NULL) break;
        size_t k = (size_t)(lt - s);
        int m = raw_tag_at(lt, len - k, x->raw != 0, x->raw);
        if (m < 0 && !last) {
            if (!x->raw)
                to_libxml(x, s + emit, k - emit);
            else if (x->raw == 1)
                keep_noscript(x, s, cap, k);
            return k;
        }
        if (m <= 0) {
            pos = k + 1;
            continue;
        }
        if (x->raw) {
            if (x->raw == 1) {
                keep_noscript(x, s, cap, k);
                keep_noscript(x, "</div>", 0, 6);
            }
            x->raw_end = 1;
            pos = k + 2 + raw_tags[m - 1].len;
        } else {
            to_libxml(x, s + emit, k - emit);
            x->raw = m;
            pos = k + 1 + raw_tags[m - 1].len;
            if (m == 1) { /* "<noscript" + its attributes and content: "<div" + the same */
                keep_noscript(x, "<div", 0, 4);
                cap = pos;
            }
        }
    }
    if (!x->raw)
        to_libxml(x, s + emit, len - emit);
    else if (x->raw == 1 && !x->raw_end)
        keep_noscript(x, s, cap, len);
    return len;
}

/* UTF-8 out of the charset decoder, through strip_raw, into libxml2. */
static int parse_utf8(void *ud, const char *chunk, size_t len)
{
    text_extractor *x = ud;
    if (x->ctx == NULL && start_parser(x) < 0) return x->rc ? x->rc : FA_ENOMEM;
    if (x->carry.len > 0) {
        /* the cut tag is at most 11 bytes: complete it with the chunk's start */
        size_t take = len < 16 ? len : 16;
        int rc = fa_buf_append(&x->carry, chunk, take);
        if (rc < 0) return rc;
        size_t used = strip_raw(x, x->carry.data, x->carry.len, len == 0);
        if (used < x->carry.len - take) { /* still cut: len was tiny */
            memmove(x->carry.data, x->carry.data + used, x->carry.len - used);
            x->carry.len -= used;
            return x->rc;
        }
        size_t skip = used - (x->carry.len - take); /* bytes of chunk read */
        fa_buf_reset(&x->carry);
        chunk += skip;
        len -= skip;
    }
    size_t used = strip_raw(x, chunk, len, 0);
    if (used < len && fa_buf_append(&x->carry, chunk + used, len - used) < 0) return FA_ENOMEM;
    return x->rc;
}

/* ---- tags ---- */

typedef struct tag_info tag_info;
struct tag_info {
    const char *name;
    uint8_t kind;
    uint8_t heading;
    uint32_t hint; /* hint given by the element itself */
};

static const tag_info tags[] = {
    {"a", EK_LINK, 0, 0},
    {"address", EK_BLOCK, 0, 0},
    {"article", EK_BLOCK, 0, TEXT_HINT_ARTICLE},
    {"aside", EK_BLOCK, 0, TEXT_HINT_ASIDE},
    {"audio", EK_DROP, 0, 0},
    {"blockquote", EK_BLOCK, 0, 0},
    {"body", EK_BLOCK, 0, 0},
    {"br", EK_BREAK, 0, 0},
    {"button", EK_DROP, 0, 0},
    {"canvas", EK_DROP, 0, 0},
    {"caption", EK_BLOCK, 0, 0},
    {"center", EK_BLOCK, 0, 0},
    {"dd", EK_BLOCK, 0, 0},
    {"details", EK_BLOCK, 0, 0},
    {"dialog", EK_BLOCK, 0, TEXT_HINT_COOKIE},
    {"div", EK_BLOCK, 0, 0},
    {"dl", EK_BLOCK, 0, 0},
    {"dt", EK_BLOCK, 0, 0},
    {"embed", EK_DROP, 0, 0},
    {"fieldset", EK_BLOCK, 0, 0},
    {"figcaption", EK_BLOCK, 0, TEXT_HINT_META},
    {"figure", EK_BLOCK, 0, 0},
    {"footer", EK_BLOCK, 0, TEXT_HINT_FOOTER},
    {"form", EK_BLOCK, 0, TEXT_HINT_FORM},
    {"h1", EK_BLOCK, 1, 0},
    {"h2", EK_BLOCK, 2, 0},
    {"h3", EK_BLOCK, 3, 0},
    {"h4", EK_BLOCK, 4, 0},
    {"h5", EK_BLOCK, 5, 0},
    {"h6", EK_BLOCK, 6, 0},
    {"head", EK_DROP, 0, 0},
    {"header", EK_BLOCK, 0, TEXT_HINT_HEADER},
    {"hr", EK_BLOCK, 0, 0},
    {"html", EK_BLOCK, 0, 0},
    {"iframe", EK_DROP, 0, 0},
    {"input", EK_DROP, 0, 0},
    {"label", EK_DROP, 0, 0},
    {"li", EK_BLOCK, 0, 0},
    {"main", EK_BLOCK, 0, TEXT_HINT_ARTICLE},
    {"map", EK_DROP, 0, 0},
    {"math", EK_DROP, 0, 0},
    {"menu", EK_BLOCK, 0, TEXT_HINT_NAV},
    {"nav", EK_BLOCK, 0, TEXT_HINT_NAV},
    {"noscript", EK_DROP, 0, 0},
    {"object", EK_DROP, 0, 0},
    {"ol", EK_BLOCK, 0, 0},
    {"option", EK_DROP, 0, 0},
    {"p", EK_BLOCK, 0, 0},
    {"pre", EK_BLOCK, 0, 0},
    {"rp", EK_DROP, 0, 0}, /* ruby's fallback parentheses */
    {"rt", EK_DROP, 0, 0}, /* ruby's reading: a gloss over the text, not text */
    {"script", EK_DROP, 0, 0},
    {"section", EK_BLOCK, 0, 0},
    {"select", EK_DROP, 0, 0},
    {"style", EK_DROP, 0, 0},
    {"summary", EK_BLOCK, 0, 0},
    {"svg", EK_DROP, 0, 0},
    {"table", EK_BLOCK, 0, 0},
    {"tbody", EK_BLOCK, 0, 0},
    {"td", EK_BLOCK, 0, 0},
    {"template", EK_DROP, 0, 0},
    {"textarea", EK_DROP, 0, 0},
    {"th", EK_BLOCK, 0, 0},
    {"thead", EK_BLOCK, 0, 0},
    {"title", EK_DROP, 0, 0},
    {"tr", EK_BLOCK, 0, 0},
    {"ul", EK_BLOCK, 0, 0},
    {"video", EK_DROP, 0, 0},
};

static const tag_info *find_tag(const char *name)
{
    size_t lo = 0, hi = sizeof tags / sizeof tags[0];
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        int c = strcmp(name, tags[mid].name); /* libxml2 lowercases HTML names */
        if (c == 0) return &tags[mid];
        if (c < 0)
            hi = mid;
        else
            lo = mid + 1;
    }
    return NULL;
}

/* ---- class/id words ---- */

typedef struct word_hint {
    const char *word;
    uint32_t hint;
} word_hint;

/* Sorted (strcmp order) for word_hint_of's binary search: test_dedup_text
 * checks it with text__tables_sorted ("pagination" once sat before
 * "pager" and was never found). */
static const word_hint words[] = {
    {"ad", TEXT_HINT_PROMO},         {"ads", TEXT_HINT_PROMO},
    {"advert", TEXT_HINT_PROMO},     {"advertisement", TEXT_HINT_PROMO},
    {"article", TEXT_HINT_POSITIVE}, {"author", TEXT_HINT_META},
    {"banner", TEXT_HINT_COOKIE},    {"body", TEXT_HINT_POSITIVE},
    {"breadcrumb", TEXT_HINT_NAV},   {"breadcrumbs", TEXT_HINT_NAV},
    {"byline", TEXT_HINT_META},      {"caption", TEXT_HINT_META},
    {"comment", TEXT_HINT_COMMENT},  {"comments", TEXT_HINT_COMMENT},
    {"consent", TEXT_HINT_COOKIE},   {"content", TEXT_HINT_POSITIVE},
    {"cookie", TEXT_HINT_COOKIE},    {"cookies", TEXT_HINT_COOKIE},
    {"copyright", TEXT_HINT_FOOTER}, {"credit", TEXT_HINT_META},
    {"credits", TEXT_HINT_META},     {"dateline", TEXT_HINT_META},
    {"disclaimer", TEXT_HINT_PROMO}, {"disclosure", TEXT_HINT_PROMO},
    {"disqus", TEXT_HINT_COMMENT},   {"entry", TEXT_HINT_POSITIVE},
    {"foot", TEXT_HINT_FOOTER},      {"footer", TEXT_HINT_FOOTER},
    {"ftr", TEXT_HINT_FOOTER},       {"gdpr", TEXT_HINT_COOKIE},
    {"hdr", TEXT_HINT_HEADER},       {"header", TEXT_HINT_HEADER},
    {"kicker", TEXT_HINT_META},      {"logo", TEXT_HINT_HEADER},
    {"main", TEXT_HINT_POSITIVE},    {"masthead", TEXT_HINT_HEADER},
    {"menu", TEXT_HINT_NAV},         {"meta", TEXT_HINT_META},
    {"modal", TEXT_HINT_COOKIE},     {"mostread", TEXT_HINT_ASIDE},
    {"nav", TEXT_HINT_NAV},          {"navbar", TEXT_HINT_NAV},
    {"navigation", TEXT_HINT_NAV},   {"newsletter", TEXT_HINT_PROMO},
    {"outbrain", TEXT_HINT_PROMO},   {"pager", TEXT_HINT_NAV},
    {"pagination", TEXT_HINT_NAV},   {"popular", TEXT_HINT_ASIDE},
    {"popup", TEXT_HINT_COOKIE},     {"post", TEXT_HINT_POSITIVE},
    {"promo", TEXT_HINT_PROMO},      {"prose", TEXT_HINT_POSITIVE},
    {"rail", TEXT_HINT_ASIDE},       {"recommended", TEXT_HINT_RELATED},
    {"related", TEXT_HINT_RELATED},  {"share", TEXT_HINT_SHARE},
    {"sharing", TEXT_HINT_SHARE},    {"sidebar", TEXT_HINT_ASIDE},
    {"signup", TEXT_HINT_PROMO},     {"social", TEXT_HINT_SHARE},
    {"sponsor", TEXT_HINT_PROMO},    {"sponsored", TEXT_HINT_PROMO},
    {"story", TEXT_HINT_POSITIVE},   {"subscribe", TEXT_HINT_PROMO},
    {"taboola", TEXT_HINT_PROMO},    {"tag", TEXT_HINT_META},
    {"tagline", TEXT_HINT_HEADER},   {"tags", TEXT_HINT_META},
    {"teaser", TEXT_HINT_RELATED},   {"teasers", TEXT_HINT_RELATED},
    {"text", TEXT_HINT_POSITIVE},    {"toolbar", TEXT_HINT_NAV},
    {"trending", TEXT_HINT_ASIDE},   {"widget", TEXT_HINT_ASIDE},
};

static uint32_t word_hint_of(const char *w, size_t n)
{
    char low[32];
    if (n == 0 || n >= sizeof low) return 0;
    for (size_t i = 0; i < n; i++)
        low[i] = (char)((w[i] >= 'A' && w[i] <= 'Z') ? w[i] + 32 : w[i]);
    low[n] = 0;
    size_t lo = 0, hi = sizeof words / sizeof words[0];
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        int c = strcmp(low, words[mid].word);
        if (c == 0) return words[mid].hint;
        if (c < 0)
            hi = mid;
        else
            lo = mid + 1;
    }
    return 0;
}

int text__tables_sorted(char *why, size_t why_len)
{
    for (size_t i = 1; i < sizeof tags / sizeof tags[0]; i++)
        if (strcasecmp(tags[i - 1].name, tags[i].name) >= 0) {
            snprintf(why, why_len, "tags: \"%s\" before \"%s\"", tags[i - 1].name, tags[i].name);
            return 0;
        }
    for (size_t i = 1; i < sizeof words / sizeof words[0]; i++)
        if (strcmp(words[i - 1].word, words[i].word) >= 0) {
            snprintf(why, why_len, "words: \"%s\" before \"%s\"", words[i - 1].word, words[i].word);
            return 0;
        }
    return 1;
}

/* Hints from a class or id value: each class name is split at '-', '_'
 * and camel humps are ignored; names starting "has-", "no-", "is-",
 * "with-" describe state, not role, and are skipped.  An element named
 * "hentry" (hAtom's post, which WordPress's post_class() writes) is the
 * post itself: the labels written beside it ("tag-energy",
 * "category-news", "author-jane") say what the post is about, not that
 * it is a byline or a tag list, so they give no meta hint (on
 * trafilatura's set they hid whole posts whose core sat in a sidebar). */
static uint32_t attr_hints(const char *v)
{
    uint32_t h = 0;
    int post = 0;
    const char *p = v;
    while (*p) {
        while (*p == ' ' || *p == '\t' || *p == '\n')
            p++;
        const char *e = p;
        while (*e && *e != ' ' && *e != '\t' && *e != '\n')
            e++;
        if (e - p == 6 && strncasecmp(p, "hentry", 6) == 0) post = 1;
        if (e > p && !(strncasecmp(p, "has-", 4) == 0 || strncasecmp(p, "no-", 3) == 0 ||
                       strncasecmp(p, "is-", 3) == 0 || strncasecmp(p, "with-", 5) == 0)) {
            /* "most-read" / "most_read" as one word */
            if ((size_t)(e - p) >= 9 && strncasecmp(p, "most", 4) == 0 &&
                strncasecmp(p + 5, "read", 4) == 0)
                h |= TEXT_HINT_ASIDE;
            const char *w = p;
            for (const char *q = p;; q++) {
                if (q == e || *q == '-' || *q == '_') {
                    h |= word_hint_of(w, (size_t)(q - w));
                    if (q == e) break;
                    w = q + 1;
                }
            }
        }
        p = e;
    }
    return post ? h & ~(uint32_t)TEXT_HINT_META : h;
}

/* find_tag through a cache keyed by the name's address: libxml2's HTML
 * parser interns element names in its dictionary, so a tag's name comes
 * back at the same address all through a document (a name at a new
 * address is looked up and cached; a stale entry cannot point to a wrong
 * name since the pointer compared is the dictionary's, alive with the
 * parser). */
static const tag_info *find_tag_cached(text_extractor *x, const xmlChar *name)
{
    size_t h = ((uintptr_t)name >> 3) & 63;
    if (x->tag_cache[h].name == name) return x->tag_cache[h].ti;
    const tag_info *ti = find_tag((const char *)name);
    x->tag_cache[h].name = name;
    x->tag_cache[h].ti = ti;
    return ti;
}

/* ---- building blocks ---- */

/* Non-space code points of s (space: <= U+0020 and U+00A0); *weight (if
 * not NULL) counts them with unspaced scripts x3 and Hangul syllables x2
 * (a Korean word is two or three of them).  ASCII is read without
 * decoding. */
static int count_nonspace(const char *s, size_t len, uint32_t *weight)
{
    uint32_t n = 0, w = 0;
    const uint8_t *u = (const uint8_t *)s;
    for (size_t i = 0; i < len;) {
        if (u[i] < 0x80) {
            n += u[i] > 0x20;
            i++;
            continue;
        }
        uint32_t c;
        i += text_utf8_next(u + i, len - i, &c);
        if (c == 0xA0) continue;
        n++;
        if (weight && c >= 0xAC00 && c <= 0xD7A3)
            w += 1;
        else if (weight && c >= 0x0E00 && text_script_class(c) == TEXT_UNSPACED)
            w += 2;
    }
    if (weight) *weight = n + w;
    return (int)n;
}

static void fail(text_extractor *x, int rc)
{
    if (x->rc == 0) x->rc = rc;
    if (x->ctx) xmlStopParser(x->ctx);
}

static void flush_block(text_extractor *x)
{
    if (x->cur.len == 0) return;
    if (x->rc < 0) return;
    size_t off = x->arena.len;
    int rc = text_collapse_space(x->cur.data, x->cur.len, &x->arena);
    size_t len = x->arena.len - off;
    uint32_t link = x->cur_link;
    fa_buf_reset(&x->cur);
    x->cur_link = 0;
    x->br_at = 0;
    if (rc == 0 && len == 0) return;
    if (rc == 0) rc = fa_buf_append(&x->arena, "", 1);
    if (rc < 0) {
        fail(x, rc);
        return;
    }
    if (x->n_blocks >= x->opt.max_blocks) {
        fail(x, FA_ETOOBIG);
        return;
    }
    if (x->n_blocks == x->cap_blocks) {
        size_t nc = x->cap_blocks ? x->cap_blocks * 2 : 64;
        raw_block *nb = realloc(x->blocks, nc * sizeof *nb);
        if (nb == NULL) {
            fail(x, FA_ENOMEM);
            return;
        }
        x->blocks = nb;
        x->cap_blocks = nc;
    }
    /* the innermost block element names the block */
    const frame *f = NULL;
    for (unsigned i = x->depth; i-- > 0;)
        if (x->stack[i].kind == EK_BLOCK) {
            f = &x->stack[i];
            break;
        }
    raw_block *b = &x->blocks[x->n_blocks++];
    memset(b, 0, sizeof *b);
    b->text_off = off;
    b->len = len;
    uint32_t weight;
    uint32_t nonspace = (uint32_t)count_nonspace(x->arena.data + off, len, &weight);
    b->chars = (uint32_t)text_utf8_count(x->arena.data + off, len);
    b->nonspace = nonspace;
    b->weight = weight;
    b->link_chars = link > nonspace ? nonspace : link;
    b->tag = f ? f->tag : "body";
    b->heading = 0;
    for (unsigned i = x->depth; i-- > 0;)
        if (x->stack[i].heading) {
            b->heading = x->stack[i].heading;
            break;
        }
    b->hints = x->depth ? x->stack[x->depth - 1].hints : 0;
    b->elem = x->depth ? x->stack[x->depth - 1].serial : 0;
    b->depth = (uint16_t)x->depth;
    /* tag path */
    b->path_off = x->arena.len;
    size_t plen = 0;
    for (unsigned i = 0; i < x->depth && rc == 0; i++) {
        if (x->stack[i].kind != EK_BLOCK) continue;
        const char *t = x->stack[i].tag;
        size_t tl = strlen(t);
        if (plen + tl + 1 > MAX_PATH) break;
        if (plen) rc = fa_buf_append(&x->arena, ">", 1), plen++;
        if (rc == 0) rc = fa_buf_append(&x->arena, t, tl), plen += tl;
    }
    if (rc == 0) rc = fa_buf_append(&x->arena, "", 1);
    if (rc < 0) fail(x, rc);
}

/* The site's name a page declares (<meta property="og:site_name">), kept
 * ASCII-lowercased when 4 to SITE_NAME_MAX - 1 bytes long; the first
 * one wins. */
static void read_site_name(text_extractor *x, const xmlChar **atts)
{
    const char *prop = NULL, *content = NULL;
    for (size_t i = 0; atts && atts[i]; i += 2) {
        const char *k = (const char *)atts[i], *v = (const char *)atts[i + 1];
        if (v == NULL) continue;
        if (strcasecmp(k, "property") == 0 || strcasecmp(k, "name") == 0)
            prop = v;
        else if (strcasecmp(k, "content") == 0)
            content = v;
    }
    if (prop == NULL || content == NULL || strcasecmp(prop, "og:site_name") != 0) return;
    while (*content == ' ' || *content == '\t' || *content == '\n' || *content == '\r')
        content++;
    size_t n = strlen(content);
    while (n > 0 && (content[n - 1] == ' ' || content[n - 1] == '\t' || content[n - 1] == '\n' ||
                     content[n - 1] == '\r'))
        n--;
    if (n < 4 || n >= SITE_NAME_MAX) return;
    for (size_t i = 0; i < n; i++) {
        char c = content[i];
        x->site[i] = (c >= 'A' && c <= 'Z') ? (char)(c - 'A' + 'a') : c;
    }
    x->site[n] = '\0';
}

static void on_start(void *ud, const xmlChar *name, const xmlChar **atts)
{
    text_extractor *x = ud;
    if (x->rc < 0) return;
    if (x->site[0] == '\0' && strcmp((const char *)name, "meta") == 0) read_site_name(x, atts);
    const tag_info *ti = find_tag_cached(x, name);
    uint8_t kind = ti ? ti->kind : EK_INLINE;
    const frame *top = x->depth ? &x->stack[x->depth - 1] : NULL;
    if (kind == EK_BREAK) {
        if (!(top && top->dropping)) {
            /* <br><br> (only spaces between) separates paragraphs, as in
             * pages that write text straight into a div */
            int twice = x->br_at > 0 && x->br_at - 1 <= x->cur.len;
            for (size_t i = x->br_at ? x->br_at - 1 : 0; twice && i < x->cur.len; i++)
                if (x->cur.data[i] != ' ' && x->cur.data[i] != '\n' && x->cur.data[i] != '\t' &&
                    x->cur.data[i] != '\r')
                    twice = 0;
            if (twice) {
                flush_block(x);
                x->br_at = 0;
                return;
            }
            int rc = fa_buf_append(&x->cur, " ", 1);
            if (rc < 0) fail(x, rc);
            x->br_at = x->cur.len + 1;
        }
        return; /* void: its end is ignored by depth bookkeeping below */
    }
    if (x->depth >= x->opt.max_depth) {
        x->overflow++;
        return;
    }
    if (kind == EK_BLOCK && !(top && top->dropping)) flush_block(x);
    uint32_t hints = ti ? ti->hint : 0;
    uint32_t class_hash = 0;
    int hidden = 0;
    for (const xmlChar **a = atts; a && a[0]; a += 2) {
        /* attribute names arrive lowercased from libxml2's HTML parser;
         * the first letter skips most (href, src, data-*, ...) at once */
        const char *an = (const char *)a[0], *av = (const char *)a[1];
        char c0 = an[0];
        if (c0 != 'c' && c0 != 'i' && c0 != 'r' && c0 != 'h' && c0 != 'a' && c0 != 's') continue;
        if (av == NULL) {
            if (strcmp(an, "hidden") == 0) hidden = 1;
            continue;
        }
        if (strcmp(an, "class") == 0 || strcmp(an, "id") == 0) {
            hints |= attr_hints(av);
            if (an[0] == 'c') {
                class_hash = 2166136261u;
                for (const unsigned char *c = (const unsigned char *)av; *c; c++)
                    class_hash = (class_hash ^ *c) * 16777619u;
                if (class_hash == 0) class_hash = 1;
            }
        } else if (strcmp(an, "role") == 0) {
            if (strcasecmp(av, "navigation") == 0 || strcasecmp(av, "menu") == 0)
                hints |= TEXT_HINT_NAV;
            else if (strcasecmp(av, "banner") == 0)
                hints |= TEXT_HINT_HEADER;
            else if (strcasecmp(av, "contentinfo") == 0)
                hints |= TEXT_HINT_FOOTER;
            else if (strcasecmp(av, "complementary") == 0)
                hints |= TEXT_HINT_ASIDE;
            else if (strcasecmp(av, "dialog") == 0 || strcasecmp(av, "alertdialog") == 0)
                hints |= TEXT_HINT_COOKIE;
            else if (strcasecmp(av, "main") == 0 || strcasecmp(av, "article") == 0)
                hints |= TEXT_HINT_ARTICLE;
        } else if (strcmp(an, "hidden") == 0 ||
                   (strcmp(an, "aria-hidden") == 0 && strcasecmp(av, "true") == 0)) {
            hidden = 1;
        } else if (strcmp(an, "style") == 0) {
            const char *d = strstr(av, "display");
            if (d && (strstr(d, "none") != NULL)) hidden = 1;
        }
    }
    /* <header>/<footer> inside an article are the article's own (headline,
     * tags): only page-level ones are the template's; so is a header named
     * by its class ("entry-header") */
    uint32_t inherited = top ? top->hints : 0;
    if (inherited & TEXT_HINT_ARTICLE) {
        hints &= ~TEXT_HINT_HEADER;
        if (ti && strcmp(ti->name, "footer") == 0)
            hints = (hints & ~TEXT_HINT_FOOTER) | TEXT_HINT_META;
    }
    /* the html and body elements' classes describe the page, not a region */
    if (ti && (strcmp(ti->name, "body") == 0 || strcmp(ti->name, "html") == 0)) hints = 0;
    if (x->n_elems >= MAX_ELEMENTS) {
        fail(x, FA_ETOOBIG);
        return;
    }
    if (x->n_elems == x->cap_elems) {
        size_t nc = x->cap_elems ? x->cap_elems * 2 : 256;
        elem *ne = realloc(x->elems, nc * sizeof *ne);
        if (ne == NULL) {
            fail(x, FA_ENOMEM);
            return;
        }
        x->elems = ne;
        x->cap_elems = nc;
    }
    uint32_t serial = (uint32_t)x->n_elems++;
    x->elems[serial].parent = top ? top->serial : UINT32_MAX;
    x->elems[serial].depth = (uint16_t)x->depth;
    x->elems[serial].good = 0;
    x->elems[serial].hints = hints;
    x->elems[serial].class_hash = class_hash;
    frame *f = &x->stack[x->depth++];
    f->tag = ti ? ti->name : "x";
    f->serial = serial;
    f->kind = kind;
    f->heading = ti ? ti->heading : 0;
    f->hints = inherited | hints;
    f->dropping = (uint8_t)((top && top->dropping) || kind == EK_DROP || hidden);
    f->linking = (uint8_t)((top && top->linking) || kind == EK_LINK);
    if (ti && strcmp(ti->name, "title") == 0 &&
        !(top && top->dropping && strcmp(top->tag, "head") != 0))
        x->in_title = 1;
}

static void on_end(void *ud, const xmlChar *name)
{
    text_extractor *x = ud;
    if (x->rc < 0) return;
    const tag_info *ti = find_tag_cached(x, name);
    if (ti && ti->kind == EK_BREAK) return;
    if (x->overflow) {
        x->overflow--;
        return;
    }
    if (x->depth == 0) return;
    frame *f = &x->stack[x->depth - 1];
    if (f->kind == EK_BLOCK && !f->dropping) flush_block(x);
    if (strcmp(f->tag, "title") == 0) x->in_title = 0;
    x->depth--;
}

static void on_text(void *ud, const xmlChar *ch, int len)
{
    text_extractor *x = ud;
    if (x->rc < 0 || len <= 0) return;
    if (x->in_title) {
        if (x->title.len < 4096) fa_buf_append(&x->title, ch, (size_t)len);
        return;
    }
    const frame *top = x->depth ? &x->stack[x->depth - 1] : NULL;
    if (top && top->dropping) return;
    if (x->fed > 0 && x->cur.len + (size_t)len > x->opt.max_text) {
        fail(x, FA_ETOOBIG);
        return;
    }
    int rc = fa_buf_append(&x->cur, ch, (size_t)len);
    if (rc < 0) {
        fail(x, rc);
        return;
    }
    /* link text that is the address itself ("https://...", "www...") is
     * the text citing its source: navigation names its targets instead */
    if (top && top->linking) {
        const char *t = (const char *)ch;
        size_t k = 0;
        while (k < (size_t)len && (t[k] == ' ' || t[k] == '\n' || t[k] == '\t' || t[k] == '\r'))
            k++;
        size_t r = (size_t)len - k;
        int url = (r >= 7 && strncasecmp(t + k, "http://", 7) == 0) ||
                  (r >= 8 && strncasecmp(t + k, "https://", 8) == 0) ||
                  (r >= 4 && strncasecmp(t + k, "www.", 4) == 0);
        if (!url) x->cur_link += (uint32_t)count_nonspace((const char *)ch, (size_t)len, NULL);
    }
}

static void on_cdata(void *ud, const xmlChar *ch, int len)
{
    (void)ud, (void)ch, (void)len; /* script/style bodies: never text */
}

static void quiet(void *ud, const char *msg, ...)
{
    (void)ud, (void)msg;
}

text_extractor *text_extractor_new(const text_extract_options *opt)
{
    text_extractor *x = calloc(1, sizeof *x);
    if (x == NULL) return NULL;
    if (opt) x->opt = *opt;
    if (x->opt.max_input == 0) x->opt.max_input = DEF_MAX_INPUT;
    if (x->opt.max_text == 0) x->opt.max_text = DEF_MAX_TEXT;
    if (x->opt.max_depth == 0) x->opt.max_depth = DEF_MAX_DEPTH;
    if (x->opt.max_blocks == 0) x->opt.max_blocks = DEF_MAX_BLOCKS;
    fa_buf_init(&x->cur, x->opt.max_text);
    fa_buf_init(&x->title, 8192);
    fa_buf_init(&x->carry, 4096);
    fa_buf_init(&x->noscript, x->opt.max_text);
    fa_buf_init(&x->arena, x->opt.max_text * 2 + 65536);
    x->stack = calloc(x->opt.max_depth + 1, sizeof *x->stack);
    htmlSAXHandler sax;
    memset(&sax, 0, sizeof sax);
    sax.startElement = on_start;
    sax.endElement = on_end;
    sax.characters = on_text;
    sax.ignorableWhitespace = on_text;
    sax.cdataBlock = on_cdata;
    sax.warning = quiet;
    sax.error = quiet;
    x->sax = sax;
    fa_charset_options co = {.http_charset = x->opt.charset, .fixed_utf8 = x->opt.fragment};
    x->opt.charset = NULL; /* borrowed: not kept past this call */
    x->cs = fa_charset_decoder_new(&co, parse_utf8, x);
    if (x->stack == NULL || x->cs == NULL) {
        text_extractor_free(x);
        return NULL;
    }
    return x;
}

int text_extractor_push(text_extractor *x, const char *chunk, size_t len)
{
    if (x->rc < 0) return x->rc;
    if (x->done) return FA_EINVAL;
    if (len > x->opt.max_input - x->fed) {
        fail(x, FA_ETOOBIG);
        return x->rc;
    }
    x->fed += len;
    int rc = fa_charset_push(x->cs, chunk, len);
    if (rc < 0 && x->rc == 0) x->rc = rc;
    return x->rc;
}

void text_extractor_free(text_extractor *x)
{
    if (x == NULL) return;
    if (x->ctx) {
        if (x->ctx->myDoc) xmlFreeDoc(x->ctx->myDoc);
        htmlFreeParserCtxt(x->ctx);
    }
    free(x->stack);
    free(x->elems);
    free(x->blocks);
    fa_buf_free(&x->cur);
    fa_buf_free(&x->title);
    fa_buf_free(&x->carry);
    fa_buf_free(&x->noscript);
    fa_buf_free(&x->arena);
    fa_charset_decoder_free(x->cs);
    free(x);
}

/* ---- classification ---- */

static int ends_like_sentence(const text_block *b)
{
    const unsigned char *s = (const unsigned char *)b->text;
    size_t n = b->len;
    while (n > 0 && (s[n - 1] == '"' || s[n - 1] == '\'' || s[n - 1] == ')'))
        n--;
    if (n == 0) return 0;
    if (s[n - 1] == '.' || s[n - 1] == '!' || s[n - 1] == '?' || s[n - 1] == ':') return 1;
    /* ” ’ 。 ！ ？ */
    if (n >= 3 && s[n - 3] == 0xE2 && s[n - 2] == 0x80 && (s[n - 1] == 0x9D || s[n - 1] == 0x99))
        return 1;
    if (n >= 3 && s[n - 3] == 0xE3 && s[n - 2] == 0x80 && s[n - 1] == 0x82) return 1;
    if (n >= 3 && s[n - 3] == 0xEF && s[n - 2] == 0xBC && (s[n - 1] == 0x81 || s[n - 1] == 0x9F))
        return 1;
    return 0;
}

/* 1 when the block sits inside a <blockquote>: a quotation is someone's
 * words the text cites (a post, a letter, a speech), not the page's
 * template, so its "share", "like" or "comment" are not prompts. */
static int in_quote(const text_block *b)
{
    return strstr(b->path, "blockquote") != NULL;
}

/* 1 when a fifth of the words of s (three at least) mix Latin and
 * Cyrillic letters: no language writes its words so, while spam and
 * advertisers' boxes spell Latin words with Cyrillic look-alikes ("о" for
 * "o") to pass word filters. */
static int disguised_words(const char *s, size_t len)
{
    /* U+0400-U+04FF are 0xD0-0xD3 lead bytes: most blocks hold none */
    if (memchr(s, 0xD0, len) == NULL && memchr(s, 0xD1, len) == NULL &&
        memchr(s, 0xD2, len) == NULL && memchr(s, 0xD3, len) == NULL)
        return 0;
    const uint8_t *u = (const uint8_t *)s;
    unsigned n_words = 0, mixed = 0;
    int latin = 0, cyrillic = 0, in_word = 0;
    for (size_t i = 0; i <= len;) {
        uint32_t c = ' ';
        if (i < len) {
            if (u[i] < 0x80)
                c = u[i++];
            else
                i += text_utf8_next(u + i, len - i, &c);
        } else {
            i++;
        }
        if (c == ' ' || c == '\n' || c == '\t') {
            if (in_word) {
                n_words++;
                mixed += latin && cyrillic;
            }
            latin = cyrillic = in_word = 0;
            continue;
        }
        in_word = 1;
        if ((c | 0x20) >= 'a' && (c | 0x20) <= 'z')
            latin = 1;
        else if (c >= 0x0400 && c <= 0x04FF)
            cyrillic = 1;
    }
    return mixed >= 3 && mixed * 5 >= n_words;
}

static int ascii_alnum(unsigned char c)
{
    return (c >= '0' && c <= '9') || ((c | 0x20) >= 'a' && (c | 0x20) <= 'z');
}

/* 1 when s names the site: site (ASCII-lowercased) occurs in s, ASCII
 * case ignored (bytes past ASCII compared as they are, whatever the
 * locale), with no ASCII letter or digit right before or after it. */
static int names_site(const char *s, size_t len, const char *site)
{
    size_t n = strlen(site);
    if (n == 0 || len < n) return 0;
    for (size_t i = 0; i + n <= len; i++) {
        size_t k = 0;
        while (k < n) {
            unsigned char c = (unsigned char)s[i + k];
            if (c >= 'A' && c <= 'Z') c = (unsigned char)(c - 'A' + 'a');
            if (c != (unsigned char)site[k]) break;
            k++;
        }
        if (k < n) continue;
        if (i > 0 && ascii_alnum((unsigned char)s[i - 1])) continue;
        if (i + n < len && ascii_alnum((unsigned char)s[i + n])) continue;
        return 1;
    }
    return 0;
}

static const char *hard_reason(uint32_t hints)
{
    static const char *const r[TEXT_HINT_COUNT] = {
        "hint:nav",   "hint:header",   "hint:footer",  "hint:aside", "hint:comment",
        "hint:share", "hint:cookie",   "hint:related", "hint:promo", "hint:meta",
        "hint:form",  "hint:positive", "hint:article"};
    for (unsigned i = 0; i < TEXT_HINT_COUNT; i++)
        if (hints & HARD_HINTS & (1u << i)) return r[i];
    return NULL;
}

typedef struct cls_ctx {
    text_doc *d;
    const uint32_t *elem_of; /* block -> element serial */
    elem *elems;
    size_t n_elems;
} cls_ctx;

#define GOOD_WEIGHT 80
/* hints the text's core and its ancestors lose (comments keep theirs) */
#define DISCREDITABLE_HINTS ((HARD_HINTS & ~TEXT_HINT_COMMENT) | TEXT_HINT_RELATED | TEXT_HINT_FORM)
#define TWIN_HINTS (TEXT_HINT_PROMO | TEXT_HINT_META)
#define MEDIUM_WEIGHT 30
/* a block past the text's end this long is a story carried whole (an
 * aggregator's paragraphs merged into one block), not a blurb */
#define CARRIED_WEIGHT 400

/* text a div, section or article holds directly outside a paragraph in a
 * text written in paragraphs: boilerplate below this weight */
#define LOOSE_TEXT_WEIGHT 200

/* how many blocks away the long paragraph of a carried story may sit from
 * a medium one of the same story (both ways; a bound on the work a page of
 * many such blocks costs) */
#define RELATED_STORY_REACH 16

/* A card's title: a heading, or a line mostly of link. */
static int related_title(const text_block *b)
{
    return b->heading || b->link_density > 0.5f;
}

/* Is block i, a medium block under a "related" hint inside the container
 * (not long, so far dropped with the box's titles and blurbs), a paragraph
 * of a story the box carries whole?  It reads as a sentence and follows a
 * long paragraph of the same element with no title between them (state 2:
 * blocks whose element has the same parent, back to the first that has
 * not), or is the first story line under a title of the same element with
 * a long paragraph after it before the next title: a story's paragraphs
 * follow each other under its title in an aggregator's "Related
 * Articles"; a teaser's blurb stands alone under its title (the next
 * card's title comes before any long text), a line a box opens with and
 * no title over it is the box's, and a date or a source line does not
 * end like a sentence.  An
 * aggregator that removes a sentence from a carried story's paragraph of
 * two leaves a paragraph of one sentence (weight 30-80: an English
 * sentence of 12-16 words, a Chinese one of 25-30 characters, a Korean
 * one of 40 syllables), which was dropped: on the combined-edits
 * generator's tuning bases that was the first loss of the carried stories
 * with sentences removed (Chinese 42 of the 55 missed, Korean 38 of 53,
 * English 15 of 32: the short story's sketch, candidates and alignment
 * lacked the paragraph; docs/DEDUP.md, "Containment per block").  Kept
 * only after a long one, a story's first paragraph of one sentence was
 * still dropped: on the tuning bases 0-50, 77 of the roundups' lines
 * were missing from their main text; this rule brings back 68 (64
 * one-sentence openers, 4 paragraphs after one taken for a lone blurb). */
static int related_story_paragraph(const text_doc *d, size_t i, const uint8_t *state,
                                   const uint32_t *elem_of, const elem *elems, size_t n_elems)
{
    const text_block *b = &d->blocks[i];
    uint32_t el = elem_of[i];
    if (b->weight < MEDIUM_WEIGHT || b->heading || b->link_density >= 0.25f ||
        !ends_like_sentence(b) || el >= n_elems || elems[el].parent >= n_elems)
        return 0;
    int titled = 0; /* a title of the same element before it, and no story line between */
    for (size_t j = i; j-- > 0 && i - j <= RELATED_STORY_REACH;) {
        if (elem_of[j] >= n_elems || elems[elem_of[j]].parent != elems[el].parent) break;
        if (state[j] == 2) return 1;
        if (related_title(&d->blocks[j])) {
            titled = 1;
            break;
        }
    }
    /* or it opens the story under its title: a long paragraph of the same
     * element follows before the next title */
    for (size_t j = i + 1; titled && j < d->n_blocks && j - i <= RELATED_STORY_REACH; j++) {
        if (elem_of[j] >= n_elems || elems[elem_of[j]].parent != elems[el].parent ||
            related_title(&d->blocks[j]))
            return 0;
        if (state[j] == 2) return 1;
    }
    return 0;
}

/* Is element e inside element box (or box itself)? */
static int elem_within(const elem *elems, size_t n_elems, uint32_t e, uint32_t box)
{
    for (unsigned up = 0; e < n_elems && up <= DEF_MAX_DEPTH; e = elems[e].parent, up++)
        if (e == box) return 1;
    return 0;
}

/* A block that may be a paragraph of a story: long, or medium and ending
 * like a sentence (a one-sentence paragraph left after a sentence was cut),
 * and not mostly link.  A teaser's title, date or section line is not. */
static int story_line(const text_block *b)
{
    return b->link_density < 0.25f && !b->heading &&
           (b->weight >= GOOD_WEIGHT || (b->weight >= MEDIUM_WEIGHT && ends_like_sentence(b)));
}

/* a teaser's blurb is a few sentences; a story carried whole as one block
 * right under its linked title is longer than this */
#define TEASER_BLURB_WEIGHT (2 * CARRIED_WEIGHT)

/* Is block i the blurb of a teaser card under a "related" hint (a "More
 * stories" list: per item a linked title, a blurb, a date)?  The block is
 * a paragraph, the one story line of its parent element (the card: no
 * other long block or sentence in it), right after the card's title - a
 * block inside the card that is mostly link - and under
 * TEASER_BLURB_WEIGHT.  A story an aggregator carries under "Related
 * Articles" has paragraphs side by side, or a source line between its
 * title and its text, or is longer.  Such blurbs, as long as
 * an article's paragraphs, made a teaser list of forty the page's core
 * (the most long text under one element) and its main container, and the
 * article beside it "outside": they count for neither.  They are not
 * dropped for being blurbs - a buying guide's picks in "recommended"
 * cards, or a story carried whole in one paragraph under its linked
 * title, have this shape too - but past the text's end, away from it,
 * the ones shorter than a carried story are ("after-text"). */
static int teaser_blurb(const text_doc *d, size_t i, const uint32_t *elem_of, const elem *elems,
                        size_t n_elems)
{
    const text_block *b = &d->blocks[i];
    if (!(b->hints & TEXT_HINT_RELATED) || b->heading || i == 0 || b->weight < GOOD_WEIGHT ||
        b->weight >= TEASER_BLURB_WEIGHT || b->link_density >= 0.25f || elem_of[i] >= n_elems)
        return 0;
    uint32_t card = elems[elem_of[i]].parent;
    if (card >= n_elems || !elem_within(elems, n_elems, elem_of[i - 1], card) ||
        d->blocks[i - 1].link_density <= 0.5f)
        return 0;
    for (size_t j = i - 1; j-- > 0 && elem_within(elems, n_elems, elem_of[j], card);)
        if (story_line(&d->blocks[j])) return 0;
    for (size_t j = i + 1; j < d->n_blocks && elem_within(elems, n_elems, elem_of[j], card); j++)
        if (story_line(&d->blocks[j])) return 0;
    return 1;
}

/* How many blocks away a long paragraph may sit from a short one that is
 * the text's own line ("short-paragraph") */
#define SHORT_PARAGRAPH_REACH 3
/* the text's last blocks read for a line naming the site, and how long
 * (code points) such a line may be ("site-name-after-text") */
#define SITE_LINE_REACH 2
#define SITE_LINE_CHARS 150
/* how many blocks away a content cell of the same path may sit from a
 * link-dense one that is a data table's entry ("linked-cell") */
#define LINKED_CELL_REACH 3

static int is_container_tag(const char *tag)
{
    return strcmp(tag, "div") == 0 || strcmp(tag, "section") == 0 || strcmp(tag, "article") == 0;
}

/* before the main container, inside an article or main element: blocks
 * this heavy, and list items and table cells this heavy, are the
 * article's */
#define LEAD_WEIGHT 60
#define LEAD_ITEM_WEIGHT 12

static int is_item_tag(const char *tag)
{
    return strcmp(tag, "li") == 0 || strcmp(tag, "td") == 0 || strcmp(tag, "th") == 0 ||
           strcmp(tag, "dd") == 0 || strcmp(tag, "dt") == 0;
}

/* The deepest of el and its ancestors that holds two blocks that may be
 * text (weight >= MEDIUM_WEIGHT, state not 1); el itself when none does.
 * Each such block walks up to the first of el's ancestors it meets (the
 * chain is indexed by depth). */
static uint32_t holding_two(const text_doc *d, const uint8_t *state, const elem *elems,
                            size_t n_elems, const uint32_t *elem_of, uint32_t el)
{
    unsigned depth = elems[el].depth;
    uint32_t *chain = calloc(2 * ((size_t)depth + 1), sizeof *chain);
    if (chain == NULL) return el;
    uint32_t *held = chain + depth + 1; /* blocks whose nearest chain ancestor is at that depth */
    for (uint32_t e = el; e < n_elems; e = elems[e].parent)
        if (elems[e].depth <= depth) chain[elems[e].depth] = e;
    for (size_t i = 0; i < d->n_blocks; i++) {
        if (state[i] == 1 || d->blocks[i].weight < MEDIUM_WEIGHT) continue;
        for (uint32_t e = elem_of[i]; e < n_elems; e = elems[e].parent)
            if (elems[e].depth <= depth && chain[elems[e].depth] == e) {
                held[elems[e].depth]++;
                break;
            }
    }
    uint32_t best = el, total = 0;
    for (unsigned k = depth + 1; k-- > 0;) {
        total += held[k];
        if (chain[k] < n_elems && elems[chain[k]].depth == k) best = chain[k];
        if (total >= 2) break;
    }
    if (total < 2) best = el;
    free(chain);
    return best;
}

/* The text's last two content blocks as classify has them now: *last and
 * *prev (n when there are fewer). */
static void last_two_content(const text_doc *d, size_t n, size_t *last, size_t *prev)
{
    *last = *prev = n;
    for (size_t i = n; i-- > 0;)
        if (d->blocks[i].cls == TEXT_CONTENT) {
            if (*last < n) {
                *prev = i;
                return;
            }
            *last = i;
        }
}

/* The rows' element of a table cell block (its row's parent: the tbody,
 * thead or table), n_elems when the block is no cell. */
static uint32_t rows_of(const text_block *b, const elem *elems, size_t n_elems, uint32_t el)
{
    if ((strcmp(b->tag, "td") != 0 && strcmp(b->tag, "th") != 0) || el >= n_elems) return n_elems;
    uint32_t row = elems[el].parent;
    if (row >= n_elems || elems[row].parent >= n_elems) return n_elems;
    return elems[row].parent;
}

/* "table-cell" (rule 3, see classify): cells left outside the container
 * whose rows hold a content cell join it.  Pages without such cells cost
 * one pass over the blocks. */
static void mark_table_cells(text_doc *d, const elem *elems, size_t n_elems,
                             const uint32_t *elem_of)
{
    size_t n = d->n_blocks, left_out = 0;
    for (size_t i = 0; i < n; i++)
        if (d->blocks[i].cls == TEXT_BOILERPLATE &&
            strcmp(d->blocks[i].reason, "outside-main") == 0 &&
            rows_of(&d->blocks[i], elems, n_elems, elem_of[i]) < n_elems)
            left_out++;
    if (left_out == 0) return;
    uint8_t *kept = calloc(n_elems, 1); /* rows' elements holding a content cell */
    if (kept == NULL) return;
    for (size_t i = 0; i < n; i++) {
        uint32_t rows = rows_of(&d->blocks[i], elems, n_elems, elem_of[i]);
        if (rows < n_elems && d->blocks[i].cls == TEXT_CONTENT) kept[rows] = 1;
    }
    for (size_t i = 0; i < n; i++) {
        text_block *b = &d->blocks[i];
        if (b->cls != TEXT_BOILERPLATE || strcmp(b->reason, "outside-main") != 0) continue;
        uint32_t rows = rows_of(b, elems, n_elems, elem_of[i]);
        if (rows < n_elems && kept[rows]) {
            b->cls = TEXT_CONTENT;
            b->reason = "table-cell";
        }
    }
    free(kept);
}

static void classify(text_doc *d, int fragment, elem *elems, size_t n_elems,
                     const uint32_t *elem_of, const char *site)
{
    size_t n = d->n_blocks;
    if (fragment) {
        for (size_t i = 0; i < n; i++) {
            d->blocks[i].cls = TEXT_CONTENT;
            d->blocks[i].reason = "fragment";
        }
        return;
    }
    /* 1. hard boilerplate; 2. good blocks */
    uint8_t *state = calloc(n ? n : 1, 1); /* 0 undecided, 1 hard bad, 2 good */
    if (state == NULL) {
        for (size_t i = 0; i < n; i++)
            d->blocks[i].cls = TEXT_CONTENT, d->blocks[i].reason = "main";
        return;
    }
    /* 0. hints in force.  The text's core is the element whose children and
     * grandchildren hold the most long link-poor text (readability's
     * paragraph-parent score; hints not consulted, comment threads not
     * counted).  The core and its ancestors cannot be chrome, whatever their
     * class says ("content-sidebar-wrap", a page builder's "widget", a
     * post's "tag-..." labels): their own hints are not believed, while the
     * chrome inside them keeps its own. */
    for (size_t e = 0; e < n_elems; e++) {
        elems[e].good = elems[e].core = 0;
        uint32_t up = elems[e].parent < e ? elems[elems[e].parent].eff : 0;
        elems[e].eff = up | (elems[e].hints & TEXT_HINT_COMMENT);
    }
    /* teaser cards' blurbs (under the hints as written): not where the
     * text's core or container is */
    uint8_t *teaser = calloc(n ? n : 1, 1);
    if (teaser == NULL) {
        free(state);
        for (size_t i = 0; i < n; i++)
            d->blocks[i].cls = TEXT_CONTENT, d->blocks[i].reason = "main";
        return;
    }
    for (size_t i = 0; i < n; i++)
        teaser[i] = (uint8_t)teaser_blurb(d, i, elem_of, elems, n_elems);
    for (size_t i = 0; i < n; i++) {
        const text_block *b = &d->blocks[i];
        if (b->weight < GOOD_WEIGHT || b->link_density >= 0.25f || teaser[i]) continue;
        if (elem_of[i] >= n_elems || (elems[elem_of[i]].eff & TEXT_HINT_COMMENT)) continue;
        uint32_t p = elems[elem_of[i]].parent;
        if (p < n_elems) {
            elems[p].core += b->weight;
            if (elems[p].parent < n_elems) elems[elems[p].parent].core += b->weight / 2;
        }
    }
    uint32_t core = UINT32_MAX;
    for (size_t e = 0; e < n_elems; e++)
        if (elems[e].core > 0 && (core == UINT32_MAX || elems[e].core > elems[core].core))
            core = (uint32_t)e;
    for (uint32_t e = core; e < n_elems; e = elems[e].parent)
        elems[e].core = UINT32_MAX;
    /* elements inside the core (serials are in document order, parents
     * first) */
    uint8_t *in_core = calloc(n_elems ? n_elems : 1, 1);
    uint32_t *good_kids = calloc(n_elems ? n_elems : 1, sizeof *good_kids);
    if (in_core == NULL || good_kids == NULL) {
        free(in_core);
        free(good_kids);
        free(teaser);
        free(state);
        for (size_t i = 0; i < n; i++)
            d->blocks[i].cls = TEXT_CONTENT, d->blocks[i].reason = "main";
        return;
    }
    for (size_t e = 0; e < n_elems; e++)
        in_core[e] = e == core || (elems[e].parent < e && in_core[elems[e].parent]);
    /* the core's wrappers whose promo or meta words were not believed: the
     * elements sharing their class attribute are the same kind of wrapper
     * (a report's sections, each "section--ads", one of them the core) */
    uint32_t twins[8];
    size_t n_twins = 0;
    for (uint32_t e = core; e < n_elems && n_twins < 8; e = elems[e].parent)
        if ((elems[e].hints & TWIN_HINTS) && elems[e].class_hash)
            twins[n_twins++] = elems[e].class_hash;
    for (size_t e = 0; e < n_elems; e++) {
        uint32_t own = elems[e].hints;
        if (elems[e].core == UINT32_MAX) own &= ~(uint32_t)DISCREDITABLE_HINTS;
        if ((own & TWIN_HINTS) && elems[e].class_hash)
            for (size_t k = 0; k < n_twins; k++)
                if (twins[k] == elems[e].class_hash) own &= ~(uint32_t)TWIN_HINTS;
        uint32_t up = elems[e].parent < e ? elems[elems[e].parent].eff : 0;
        elems[e].eff = up | own;
    }
    for (size_t i = 0; i < n; i++)
        if (elem_of[i] < n_elems) d->blocks[i].hints = elems[elem_of[i]].eff;
    uint64_t total_good = 0;
    for (size_t i = 0; i < n; i++) {
        text_block *b = &d->blocks[i];
        const char *hr = hard_reason(b->hints);
        int related = (b->hints & TEXT_HINT_RELATED) != 0;
        if (hr) {
            b->cls = TEXT_BOILERPLATE, b->reason = hr, state[i] = 1;
        } else if (b->link_density > 0.4f) {
            b->cls = TEXT_BOILERPLATE, b->reason = "link-density", state[i] = 1;
        } else if ((b->hints & (TEXT_HINT_FORM | TEXT_HINT_RELATED)) && b->weight < MEDIUM_WEIGHT) {
            b->cls = TEXT_BOILERPLATE;
            b->reason = related ? "hint:related" : "hint:form";
            state[i] = 1;
        } else if (b->weight >= GOOD_WEIGHT && b->link_density < 0.25f) {
            state[i] = 2;
            if (teaser[i]) continue; /* long, but not where the container is */
            total_good += b->weight;
            for (uint32_t e = elem_of[i]; e != UINT32_MAX && e < n_elems; e = elems[e].parent)
                elems[e].good += b->weight;
        }
    }
    /* the end of the text: the core's last long block (text_start: its
     * first); and the long blocks under each element's children and
     * grandchildren */
    size_t text_end = n, text_start = n;
    for (size_t i = 0; i < n; i++)
        if (state[i] == 2 && elem_of[i] < n_elems) {
            if (in_core[elem_of[i]]) {
                text_end = i;
                if (text_start == n) text_start = i;
            }
            uint32_t p = elems[elem_of[i]].parent;
            if (p < n_elems) {
                good_kids[p]++;
                if (elems[p].parent < n_elems) good_kids[elems[p].parent]++;
            }
        }
    /* 3. main container */
    uint32_t main_el = UINT32_MAX;
    if (total_good > 0) {
        unsigned best_depth = 0;
        for (size_t e = 0; e < n_elems; e++)
            if ((uint64_t)elems[e].good * 10 >= total_good * 8 &&
                (main_el == UINT32_MAX || elems[e].depth > best_depth)) {
                main_el = (uint32_t)e;
                best_depth = elems[e].depth;
            }
        /* a container holds blocks: one holding a single block that may
         * be text (medium or longer, not boilerplate already) is that
         * block's wrapper, and the tables, lists and lines beside it would
         * all be "outside" (a results table under a one-paragraph intro, a
         * short post whose one long block is a privacy notice in a form);
         * the container is then the nearest ancestor holding two */
        if (main_el != UINT32_MAX)
            main_el = holding_two(d, state, elems, n_elems, elem_of, main_el);
    }
    size_t first_in_main = n;
    for (size_t i = 0; i < n; i++) {
        if (state[i] == 1) continue;
        text_block *b = &d->blocks[i];
        int inside = 0;
        if (main_el == UINT32_MAX)
            inside = 1;
        else
            for (uint32_t e = elem_of[i]; e != UINT32_MAX && e < n_elems; e = elems[e].parent)
                if (e == main_el) {
                    inside = 1;
                    break;
                }
        if (inside) {
            if (first_in_main == n) first_in_main = i;
            if ((b->hints & TEXT_HINT_RELATED) && state[i] != 2 &&
                related_story_paragraph(d, i, state, elem_of, elems, n_elems)) {
                b->cls = TEXT_CONTENT;
                b->reason = "related-story";
                /* a paragraph of the story beside the long one: that one is
                 * not a lone blurb (related-in-text below) */
                good_kids[elems[elem_of[i]].parent]++;
            } else if ((b->hints & TEXT_HINT_RELATED) && state[i] != 2) {
                /* a "related" box inside the article: its titles and
                 * blurbs; the long text it carries stays */
                b->cls = TEXT_BOILERPLATE;
                b->reason = "hint:related";
            } else if (state[i] == 2 || b->weight >= MEDIUM_WEIGHT || b->heading ||
                       (b->weight >= 8 && ends_like_sentence(b))) {
                b->cls = TEXT_CONTENT;
                b->reason = "main";
            } else {
                b->cls = TEXT_BOILERPLATE;
                b->reason = "short";
            }
        } else if (state[i] == 2 && i > text_end && text_end < n && elem_of[i] < n_elems &&
                   elems[elem_of[i]].parent < n_elems && good_kids[elems[elem_of[i]].parent] < 2 &&
                   b->weight < CARRIED_WEIGHT) {
            /* a lone long block past the text's end, away from it: a
             * disclaimer, an author's bio, a subscription pitch, a teaser
             * (a story carried under "Related Articles" has paragraphs side
             * by side, or is one long block) */
            b->cls = TEXT_BOILERPLATE;
            b->reason = "after-text";
        } else if (state[i] == 2) {
            b->cls = TEXT_CONTENT;
            b->reason = "long-outside-main";
        } else if (first_in_main == n && main_el != UINT32_MAX && (b->hints & TEXT_HINT_ARTICLE) &&
                   (b->weight >= LEAD_WEIGHT ||
                    (b->weight >= LEAD_ITEM_WEIGHT && is_item_tag(b->tag)))) {
            /* before the container, inside the article or main element:
             * its standfirst, its key points, a recipe's ingredients
             * ("article-lead"); the page's chrome there carries hints or
             * is shorter */
            b->cls = TEXT_CONTENT;
            b->reason = "article-lead";
        } else {
            b->cls = TEXT_BOILERPLATE;
            b->reason = "outside-main";
        }
    }
    /* a table whose rows the text reaches is the text's data: a cell left
     * outside the container ("outside-main": "125 g", "Mehl" beside an
     * ingredient the article's lead took, a result beside a kept name) is
     * content when a cell of the same rows (its row's parent element) is
     * ("table-cell"); a heading over the table then follows it as
     * heading-before-text */
    mark_table_cells(d, elems, n_elems, elem_of);
    /* a short heading outside the container, right before a content block
     * there (long text outside it, the article's lead), is that block's
     * title ("heading-before-text": a part of the text in a box of its
     * own); past the text's end heading-after-text below still drops it.
     * On trafilatura's set: held-out 3 "with" snippets more, dev
     * unchanged */
    for (size_t i = 0; i + 1 < n; i++) {
        text_block *b = &d->blocks[i], *next = &d->blocks[i + 1];
        if (!b->heading || b->weight >= GOOD_WEIGHT || b->cls != TEXT_BOILERPLATE ||
            strcmp(b->reason, "outside-main") != 0 || next->cls != TEXT_CONTENT || next->heading)
            continue;
        b->cls = TEXT_CONTENT;
        b->reason = "heading-before-text";
    }
    /* a long block under a "related" hint inside the container, once the
     * text has begun (a long block of the container without that hint
     * came before it), is a teaser's blurb or a box's pitch when it is
     * short of LOOSE_TEXT_WEIGHT and the only long block of its parent
     * ("related-in-text"); a related-named block the text opens with is
     * its lead ("teaser" paragraphs), and a story carried under "Related
     * Articles" has paragraphs side by side or one longer block.  On
     * trafilatura's set: 5 "without" snippets fewer on each half, no
     * "with" lost; up to CARRIED_WEIGHT dropped the project's carried
     * roundup stories (test_dedup_quality) */
    {
        int begun = 0;
        for (size_t i = 0; i < n; i++) {
            text_block *b = &d->blocks[i];
            if (b->cls != TEXT_CONTENT || state[i] != 2 || strcmp(b->reason, "main") != 0) continue;
            if (!(b->hints & TEXT_HINT_RELATED)) {
                begun = 1;
            } else if (begun && !b->heading && b->weight < LOOSE_TEXT_WEIGHT &&
                       elem_of[i] < n_elems && elems[elem_of[i]].parent < n_elems &&
                       good_kids[elems[elem_of[i]].parent] < 2) {
                b->cls = TEXT_BOILERPLATE;
                b->reason = "related-in-text";
            }
        }
    }
    /* past the text's end, a short heading is a box's title ("More on
     * this", "You may also like"), not the text's: a subsection whose
     * long paragraphs all sit before it is rare (on trafilatura's set it
     * cost 5 snippets and saved 18) */
    if (text_end < n)
        for (size_t i = text_end + 1; i < n; i++) {
            text_block *b = &d->blocks[i];
            if (b->cls != TEXT_CONTENT || state[i] == 2 || !b->heading) continue;
            b->cls = TEXT_BOILERPLATE;
            b->reason = "heading-after-text";
        }
    /* the template's words: a rights, reprint or affiliate notice (under a
     * carried story's length) is the publisher's wherever it sits; a short
     * block carrying a template line's words (share, subscribe, comments,
     * read also, photo credit) is a prompt or a credit, and is not taken
     * back as a short block between paragraphs below; past the text's end
     * (its core's last long block) a medium one too, up to a carried
     * story's length ("Follow us on ...", a newsletter pitch).  Dev half of
     * trafilatura's set: short blocks only at the text's edges gained 5
     * snippets fewer; medium ones anywhere (< 120, < 200) or before the
     * text cost recall */
    for (size_t i = 0; i < n; i++) {
        text_block *b = &d->blocks[i];
        if (b->heading || b->weight >= CARRIED_WEIGHT || in_quote(b)) continue;
        int is_short = b->cls == TEXT_BOILERPLATE && b->reason && strcmp(b->reason, "short") == 0;
        if (b->cls != TEXT_CONTENT && !is_short) continue;
        int after = text_end < n && i > text_end;
        int v = text__boiler_vocab(b->text, b->len, b->weight < GOOD_WEIGHT || after);
        if (v != TEXT_VOCAB_NONE) {
            b->cls = TEXT_BOILERPLATE;
            b->reason = v == TEXT_VOCAB_STRONG ? "vocab-notice" : "vocab-line";
        }
    }
    /* words spelt in two alphabets are a disguise ("disguised-text": an
     * advertiser's box written with Cyrillic look-alikes among Latin
     * letters) */
    for (size_t i = 0; i < n; i++) {
        text_block *b = &d->blocks[i];
        if (b->cls != TEXT_CONTENT || !disguised_words(b->text, b->len)) continue;
        b->cls = TEXT_BOILERPLATE;
        b->reason = "disguised-text";
    }
    /* a short block between two paragraphs of the main text is part of it
     * (a list item, a table cell, a one-line paragraph), while short lines
     * at the edges of the text are where labels, prompts and credits sit */
    {
        size_t last_text = n; /* the last medium/long content block seen */
        for (size_t i = 0; i < n; i++) {
            text_block *b = &d->blocks[i];
            if (b->cls == TEXT_CONTENT && b->weight >= MEDIUM_WEIGHT && !b->heading) {
                if (last_text < n)
                    for (size_t j = last_text + 1; j < i; j++)
                        if (d->blocks[j].reason && strcmp(d->blocks[j].reason, "short") == 0) {
                            d->blocks[j].cls = TEXT_CONTENT;
                            d->blocks[j].reason = "short-between-text";
                        }
                last_text = i;
            }
        }
    }
    /* a short paragraph beside the text's paragraphs is the text's own
     * line (a greeting, a sign-off, a one-line paragraph) when a long
     * paragraph under the same parent element sits within
     * SHORT_PARAGRAPH_REACH blocks of it and it holds two words at least (a
     * date or an agency's "xyz/ABC" credit is one); labels and prompts sit
     * in boxes of their own ("short-paragraph").  On trafilatura's set: 6
     * "with" snippets more for none "without" on either half */
    for (size_t i = 0; i < n; i++) {
        text_block *b = &d->blocks[i];
        if (b->cls != TEXT_BOILERPLATE || strcmp(b->reason, "short") != 0 ||
            strcmp(b->tag, "p") != 0 || elem_of[i] >= n_elems ||
            memchr(b->text, ' ', b->len) == NULL)
            continue;
        uint32_t parent = elems[elem_of[i]].parent;
        size_t from = i > SHORT_PARAGRAPH_REACH ? i - SHORT_PARAGRAPH_REACH : 0;
        for (size_t j = from; j < n && j <= i + SHORT_PARAGRAPH_REACH; j++) {
            const text_block *c = &d->blocks[j];
            if (j == i || state[j] != 2 || c->cls != TEXT_CONTENT || elem_of[j] >= n_elems ||
                elems[elem_of[j]].parent != parent || strcmp(c->tag, "p") != 0)
                continue;
            b->cls = TEXT_CONTENT;
            b->reason = "short-paragraph";
            break;
        }
    }
    /* a short heading dropped for a hint, between two content blocks
     * under its own parent element, is the text's subheading: the hint is
     * the heading's own (its neighbours share its ancestors and carry
     * none), a class such as "nav-title" or "header-3" a template gives
     * the subheadings it writes among the paragraphs ("heading-in-text") */
    for (size_t i = 1; i + 1 < n; i++) {
        text_block *b = &d->blocks[i];
        const text_block *before = &d->blocks[i - 1], *after = &d->blocks[i + 1];
        if (!b->heading || b->weight >= GOOD_WEIGHT || state[i] != 1 ||
            b->cls != TEXT_BOILERPLATE || strncmp(b->reason, "hint:", 5) != 0 ||
            before->cls != TEXT_CONTENT || after->cls != TEXT_CONTENT || before->heading ||
            after->heading || elem_of[i] >= n_elems || elem_of[i - 1] >= n_elems ||
            elem_of[i + 1] >= n_elems)
            continue;
        uint32_t parent = elems[elem_of[i]].parent;
        if (elems[elem_of[i - 1]].parent != parent || elems[elem_of[i + 1]].parent != parent)
            continue;
        b->cls = TEXT_CONTENT;
        b->reason = "heading-in-text";
    }
    /* a heading introduces what follows it: one followed by no content
     * before the next heading of its rank or above ("Related stories" over a
     * list of links, "Comments" over a thread) is boilerplate (a long
     * "heading" is a paragraph in the wrong element: left alone) */
    for (size_t i = 0; i < n; i++) {
        text_block *b = &d->blocks[i];
        if (!b->heading || b->cls != TEXT_CONTENT || b->weight >= GOOD_WEIGHT) continue;
        int followed = 0;
        for (size_t j = i + 1; j < n; j++) {
            const text_block *c = &d->blocks[j];
            /* a long "heading" kept as content is a paragraph written in
             * one: text */
            int paragraph = !c->heading || (c->weight >= GOOD_WEIGHT && c->cls == TEXT_CONTENT);
            if (!paragraph && c->heading <= b->heading) break;
            if (c->cls == TEXT_CONTENT && paragraph) {
                followed = 1;
                break;
            }
        }
        if (!followed) {
            b->cls = TEXT_BOILERPLATE;
            b->reason = "heading-without-text";
        }
    }
    /* a text written in paragraphs (<p> holds >= 80% of the long blocks
     * of the container, three at least): words a div, section or article
     * holds directly, outside any paragraph, are a box's (a pitch, a
     * product box, a teaser's blurb, a label between two paragraphs that
     * rule 4 took back), unless long ("div-text") */
    if (main_el != UINT32_MAX) {
        unsigned long_p = 0, long_all = 0;
        for (size_t i = 0; i < n; i++) {
            const text_block *b = &d->blocks[i];
            if (state[i] != 2 || b->cls != TEXT_CONTENT || strcmp(b->reason, "main") != 0) continue;
            long_all++;
            long_p += strcmp(b->tag, "p") == 0;
        }
        if (long_p >= 3 && long_p * 10 >= long_all * 8)
            for (size_t i = 0; i < n; i++) {
                text_block *b = &d->blocks[i];
                if (b->cls != TEXT_CONTENT || b->heading || b->weight >= LOOSE_TEXT_WEIGHT ||
                    !is_container_tag(b->tag) ||
                    (strcmp(b->reason, "main") != 0 &&
                     strcmp(b->reason, "short-between-text") != 0))
                    continue;
                b->cls = TEXT_BOILERPLATE;
                b->reason = "div-text";
            }
    }
    /* the text's last block, when a paragraph precedes it: a block that
     * sits two or more levels down in a box of its own, where the
     * paragraph sits at most one level below the element they share, is
     * that box's ("box-after-text": a pitch, an author's box, a "more on
     * this" line after the story); one as near to the shared element as the
     * paragraph is the text's last line, and so is a quotation (a
     * <blockquote> is the text quoting someone, a box of its own only in
     * the markup) */
    {
        size_t last, prev;
        last_two_content(d, n, &last, &prev);
        if (prev < n && state[prev] == 2 && strcmp(d->blocks[prev].tag, "p") == 0 &&
            !d->blocks[last].heading && d->blocks[last].weight < CARRIED_WEIGHT &&
            !in_quote(&d->blocks[last]) && elem_of[last] < n_elems && elem_of[prev] < n_elems) {
            uint32_t a = elem_of[last], q = elem_of[prev]; /* up to the element they share */
            while (a != q && a < n_elems && q < n_elems) {
                if (elems[a].depth >= elems[q].depth)
                    a = elems[a].parent;
                else
                    q = elems[q].parent;
            }
            if (a < n_elems && elems[elem_of[last]].depth >= elems[a].depth + 2 &&
                elems[elem_of[prev]].depth <= elems[a].depth + 1) {
                d->blocks[last].cls = TEXT_BOILERPLATE;
                d->blocks[last].reason = "box-after-text";
            }
        }
    }
    /* a template's line (a "subscribe", "photo: ... via", "read also"
     * line the vocabulary dropped as "vocab-line") between the text's last
     * two content blocks ends the text: the one block after it, medium
     * (from MEDIUM_WEIGHT: a closing sentence of a few words stays) and
     * under LOOSE_TEXT_WEIGHT, is the template's too (an app or channel
     * pitch, a "more on this" line, a permalink: "after-template-line").
     * A rights or affiliate notice ("vocab-notice") may sit in the middle
     * of a text and does not end it */
    {
        size_t last, prev;
        last_two_content(d, n, &last, &prev);
        if (prev < n && d->blocks[last].weight >= MEDIUM_WEIGHT &&
            d->blocks[last].weight < LOOSE_TEXT_WEIGHT)
            for (size_t j = prev + 1; j < last; j++) {
                const char *r = d->blocks[j].reason;
                if (r && strcmp(r, "vocab-line") == 0) {
                    d->blocks[last].cls = TEXT_BOILERPLATE;
                    d->blocks[last].reason = "after-template-line";
                    break;
                }
            }
    }
    /* a short line among the text's last two content blocks that names
     * the site (its og:site_name) is the publisher speaking: a "follow us
     * on our channel" or app pitch, a permalink, a "by Site" credit
     * ("site-name-after-text"); long text after the story's own is left
     * to the rules above */
    if (site && site[0]) {
        size_t seen = 0, first_long = n;
        for (size_t i = 0; i < n; i++)
            if (d->blocks[i].cls == TEXT_CONTENT && d->blocks[i].weight >= GOOD_WEIGHT) {
                first_long = i;
                break;
            }
        for (size_t i = n; i-- > 0 && seen < SITE_LINE_REACH;) {
            text_block *b = &d->blocks[i];
            if (b->cls != TEXT_CONTENT) continue;
            seen++;
            if (first_long >= i || b->heading || b->chars >= SITE_LINE_CHARS ||
                !names_site(b->text, b->len, site))
                continue;
            b->cls = TEXT_BOILERPLATE;
            b->reason = "site-name-after-text";
        }
    }
    /* a table cell dropped for its links, beside a cell of the same path
     * that is content, is a data table's entry: the product, place or
     * item a row names, linked to its own page ("linked-cell"; a layout
     * table's menu cell is longer) */
    for (size_t i = 0; i < n; i++) {
        text_block *b = &d->blocks[i];
        if (b->cls != TEXT_BOILERPLATE || strcmp(b->reason, "link-density") != 0 ||
            b->weight >= GOOD_WEIGHT || (strcmp(b->tag, "td") != 0 && strcmp(b->tag, "th") != 0))
            continue;
        size_t from = i > LINKED_CELL_REACH ? i - LINKED_CELL_REACH : 0;
        for (size_t j = from; j < n && j <= i + LINKED_CELL_REACH; j++) {
            const text_block *c = &d->blocks[j];
            if (j == i || c->cls != TEXT_CONTENT || strcmp(c->reason, "linked-cell") == 0 ||
                strcmp(c->path, b->path) != 0)
                continue;
            b->cls = TEXT_CONTENT;
            b->reason = "linked-cell";
            break;
        }
    }
    /* the headline just before the main container (the last h1 or h2 at
     * most four blocks before it, under header or aside words too) - when
     * the container does not open with its own h1: then an h1 before it
     * is the site's name in the page's header (an aggregator's pages all
     * began with it, and its roundups matched "under one headline") */
    if (main_el != UINT32_MAX && first_in_main < n && d->blocks[first_in_main].heading != 1)
        for (size_t i = first_in_main; i-- > 0;) {
            text_block *b = &d->blocks[i];
            /* a wrapper's header or aside words do not hide it: the
             * headline sits in the article's header, a layout's "aside"
             * column of title and byline */
            if (state[i] == 1 &&
                !((b->heading == 1 || b->heading == 2) &&
                  (strcmp(b->reason, "hint:header") == 0 || strcmp(b->reason, "hint:aside") == 0)))
                continue;
            if (b->heading == 1 || b->heading == 2) {
                b->cls = TEXT_CONTENT;
                b->reason = "headline";
                /* a short heading right after the headline (no content
                 * between them) and before the container, left outside
                 * it, is the headline's subtitle (the dek over a picture
                 * and a byline: "subheadline") */
                for (size_t j = i + 1; j < first_in_main; j++) {
                    text_block *c = &d->blocks[j];
                    if (c->cls == TEXT_CONTENT) break;
                    if (c->heading && c->weight < GOOD_WEIGHT && c->cls == TEXT_BOILERPLATE &&
                        strcmp(c->reason, "outside-main") == 0) {
                        c->cls = TEXT_CONTENT;
                        c->reason = "subheadline";
                    }
                }
                break;
            }
            if (first_in_main - i > 4) break;
        }
    free(in_core);
    free(good_kids);
    free(teaser);
    free(state);
}

/* Kept so text_doc_classify can run again. */
typedef struct doc_private {
    elem *elems;
    size_t n_elems;
    uint32_t *elem_of;
    char site[SITE_NAME_MAX]; /* the extractor's og:site_name */
} doc_private;

typedef struct text_doc_full {
    text_doc d;
    doc_private p;
} text_doc_full;

static int has_long_text(const text_doc *d)
{
    for (size_t i = 0; i < d->n_blocks; i++)
        if (d->blocks[i].cls == TEXT_CONTENT && d->blocks[i].weight >= GOOD_WEIGHT) return 1;
    return 0;
}

/* A page showing no long text to a browser running scripts, while its
 * noscript elements hold some, is read as a browser without scripts reads
 * it (a blog platform writing each post from a script template, with the
 * same post in noscript): the noscript contents, each as a div, are
 * extracted as a page of their own and replace *out when they hold long
 * text (the page's title and encoding decision are kept).  Errors leave
 * *out as it was. */
static void noscript_fallback(text_extractor *x, text_doc **out)
{
    text_extract_options o = x->opt;
    o.charset = "utf-8"; /* the kept contents are decoded already */
    text_extractor *y = text_extractor_new(&o);
    if (y == NULL) return;
    y->no_fallback = 1;
    memcpy(y->site, x->site, sizeof y->site);
    text_doc *alt = NULL;
    int rc = text_extractor_push(y, "<html><body>", 12);
    if (rc == 0) rc = text_extractor_push(y, x->noscript.data, x->noscript.len);
    if (rc == 0) rc = text_extractor_push(y, "</body></html>", 14);
    if (rc == 0) rc = text_extractor_finish(y, &alt);
    text_extractor_free(y);
    if (rc < 0 || alt == NULL) return;
    if (!has_long_text(alt)) {
        text_doc_free(alt);
        return;
    }
    alt->charset = (*out)->charset;
    free(alt->title);
    alt->title = (*out)->title;
    (*out)->title = NULL;
    text_doc_free(*out);
    *out = alt;
}

int text_extractor_finish(text_extractor *x, text_doc **out)
{
    *out = NULL;
    if (x->rc < 0) return x->rc;
    if (x->done) return FA_EINVAL;
    x->done = 1;
    int rc = fa_charset_finish(x->cs);
    if (rc < 0 && x->rc == 0) x->rc = rc;
    if (x->rc < 0) return x->rc;
    if (x->ctx == NULL && start_parser(x) < 0) return x->rc ? x->rc : FA_ENOMEM;
    if (x->carry.len > 0) strip_raw(x, x->carry.data, x->carry.len, 1);
    htmlParseChunk(x->ctx, NULL, 0, 1);
    flush_block(x);
    if (x->rc < 0) return x->rc;
    text_doc_full *f = calloc(1, sizeof *f);
    if (f == NULL) return FA_ENOMEM;
    text_doc *d = &f->d;
    d->charset = *fa_charset_decoder_decision(x->cs);
    d->blocks = calloc(x->n_blocks ? x->n_blocks : 1, sizeof *d->blocks);
    f->p.elem_of = calloc(x->n_blocks ? x->n_blocks : 1, sizeof *f->p.elem_of);
    if (d->blocks == NULL || f->p.elem_of == NULL) {
        free(d->blocks);
        free(f->p.elem_of);
        free(f);
        return FA_ENOMEM;
    }
    d->arena_ = x->arena;
    fa_buf_init(&x->arena, 0);
    d->n_blocks = x->n_blocks;
    for (size_t i = 0; i < x->n_blocks; i++) {
        const raw_block *r = &x->blocks[i];
        text_block *b = &d->blocks[i];
        b->text = d->arena_.data + r->text_off;
        b->len = r->len;
        b->chars = r->chars;
        b->link_chars = r->link_chars;
        b->weight = r->weight;
        b->link_density = r->nonspace ? (float)r->link_chars / (float)r->nonspace : 0.0f;
        b->tag = r->tag;
        b->path = d->arena_.data + r->path_off;
        b->hints = r->hints;
        b->index = (uint32_t)i;
        b->depth = r->depth;
        b->heading = r->heading;
        f->p.elem_of[i] = r->elem;
    }
    if (x->title.len) {
        fa_buf t;
        fa_buf_init(&t, 8192);
        if (text_collapse_space(x->title.data, x->title.len, &t) == 0 && t.len)
            d->title = fa_buf_steal(&t, NULL);
        fa_buf_free(&t);
    }
    f->p.elems = x->elems;
    f->p.n_elems = x->n_elems;
    x->elems = NULL;
    x->n_elems = x->cap_elems = 0;
    memcpy(f->p.site, x->site, sizeof f->p.site);
    classify(d, x->opt.fragment, f->p.elems, f->p.n_elems, f->p.elem_of, f->p.site);
    *out = d;
    if (!x->opt.fragment && !x->no_fallback && x->noscript.len > 0 && !has_long_text(d))
        noscript_fallback(x, out);
    return 0;
}

void text_doc_classify(text_doc *d, int fragment)
{
    text_doc_full *f = (text_doc_full *)d;
    classify(d, fragment, f->p.elems, f->p.n_elems, f->p.elem_of, f->p.site);
}

void text_doc_free(text_doc *d)
{
    if (d == NULL) return;
    text_doc_full *f = (text_doc_full *)d;
    free(d->blocks);
    free(d->title);
    fa_buf_free(&d->arena_);
    free(f->p.elems);
    free(f->p.elem_of);
    free(f);
}

int text_doc_main_text(const text_doc *d, fa_buf *out)
{
    int rc = 0;
    for (size_t i = 0; i < d->n_blocks && rc == 0; i++) {
        if (d->blocks[i].cls != TEXT_CONTENT) continue;
        rc = fa_buf_append(out, d->blocks[i].text, d->blocks[i].len);
        if (rc == 0) rc = fa_buf_append(out, "\n", 1);
    }
    return rc;
}

int text_extract_html(const char *html, size_t len, const text_extract_options *opt, text_doc **out)
{
    *out = NULL;
    text_extractor *x = text_extractor_new(opt);
    if (x == NULL) return FA_ENOMEM;
    int rc = 0;
    for (size_t off = 0; off < len && rc == 0;) {
        size_t n = len - off > 65536 ? 65536 : len - off;
        rc = text_extractor_push(x, html + off, n);
        off += n;
    }
    if (rc == 0) rc = text_extractor_finish(x, out);
    text_extractor_free(x);
    return rc;
}

/* ---- WordPress REST ---- */

int text_extract_wp_json(const char *json, size_t len, const text_extract_options *opt,
                         text_doc **out)
{
    *out = NULL;
    size_t max = opt && opt->max_input ? opt->max_input : DEF_MAX_INPUT;
    if (len > max) return FA_ETOOBIG;
    /* the JSON's encoding decided as for any response */
    fa_buf utf8;
    fa_buf_init(&utf8, max * 3 + 16);
    fa_charset_options co = {.http_charset = opt ? opt->charset : NULL};
    fa_charset_decision cs;
    int rc0 = fa_charset_decode_all(&co, json, len, &utf8, &cs);
    if (rc0 < 0) {
        fa_buf_free(&utf8);
        return rc0;
    }
    char err[128];
    yajl_val root = yajl_tree_parse(utf8.data ? utf8.data : "", err, sizeof err);
    fa_buf_free(&utf8);
    if (root == NULL) return FA_EPARSE;
    yajl_val post = root;
    if (YAJL_IS_ARRAY(root)) post = root->u.array.len ? root->u.array.values[0] : NULL;
    const char *content_path[] = {"content", "rendered", NULL};
    const char *title_path[] = {"title", "rendered", NULL};
    yajl_val c = post ? yajl_tree_get(post, content_path, yajl_t_string) : NULL;
    yajl_val t = post ? yajl_tree_get(post, title_path, yajl_t_string) : NULL;
    if (c == NULL) {
        yajl_tree_free(root);
        return FA_EPARSE;
    }
    text_extract_options o = opt ? *opt : (text_extract_options){0};
    o.fragment = 1;
    text_extractor *x = text_extractor_new(&o);
    int rc = x ? 0 : FA_ENOMEM;
    if (rc == 0 && t) {
        const char *tv = YAJL_GET_STRING(t);
        rc = text_extractor_push(x, "<h1>", 4);
        if (rc == 0) rc = text_extractor_push(x, tv, strlen(tv));
        if (rc == 0) rc = text_extractor_push(x, "</h1>", 5);
    }
    if (rc == 0) {
        const char *cv = YAJL_GET_STRING(c);
        rc = text_extractor_push(x, cv, strlen(cv));
    }
    if (rc == 0) rc = text_extractor_finish(x, out);
    if (rc == 0) (*out)->charset = cs;
    text_extractor_free(x);
    yajl_tree_free(root);
    return rc;
}
