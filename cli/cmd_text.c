/*
 * cmd_text.c - `feedarc text DIR... [URL]`: the main text of archived pages,
 * from the `conversion` records the dedup engine writes next to each
 * response (text/plain, boilerplate removed, one block a line, a block
 * copied from another archived document starting `[copied from URL] `).
 *
 * One JSON line per conversion record, in archive order:
 *
 *   {"url": "...", "date": "2026-11-23T15:37:00.123456Z",
 *    "record_id": "<urn:uuid:...>", "text": "..."}
 *
 * With URL, only the newest conversion of that page (by WARC-Date, the
 * later one read on a tie).  URL matches the record's WARC-Target-URI, or
 * the `feedarc-document` of the metadata record written just before it for
 * the same target (the URL as the source gave it).  Invalid UTF-8 becomes
 * U+FFFD.  Segments are streamed; with URL only the best record so far is
 * kept in memory.
 *
 * Several folders (a cluster's nodes' archives, docs/SCALING.md) are read
 * as one collection, one after the other; the last argument is the URL
 * when it has "://" in it.
 *
 * With --blocks, each line also gets "blocks": the blocks of the text
 * copied from other archived documents, from the metadata record's
 * feedarc-copied-block lines (docs/DEDUP.md):
 *
 *   "blocks": [{"start": 120, "end": 512, "url": "...", "record_id": "<urn:...>",
 *               "text": "the block"}]
 *
 * start/end are code points into "text" ([start, end)); a line whose range
 * falls outside the text is skipped.
 */
#include "cli/cli.h"
#include "common/fa_err.h"
#include "common/fa_time.h"
#include "dedup/findings_record.h"
#include "storage/warc_format.h"
#include "storage/warc_reader.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <yajl/yajl_gen.h>

typedef struct text_hit {
    char *url, *date, *record_id, *text;
    size_t text_len;
    char *blocks; /* feedarc-copied-block values, one a line, or NULL */
    int64_t date_ns;
} text_hit;

typedef struct text_ctx {
    const char *want; /* URL, or NULL for every record */
    yajl_gen g;
    int write_failed;
    /* the last metadata record's target and feedarc-document */
    char *meta_target, *meta_document;
    const char *meta_segment;
    char *meta_blocks; /* its feedarc-copied-block values, one a line */
    int with_blocks;   /* --blocks */
    text_hit best;
    int found;
} text_ctx;

static void hit_free(text_hit *h)
{
    free(h->url);
    free(h->date);
    free(h->record_id);
    free(h->text);
    free(h->blocks);
    memset(h, 0, sizeof *h);
}

static void gen_kv(yajl_gen g, const char *k, const char *v, size_t len)
{
    yajl_gen_string(g, (const unsigned char *)k, strlen(k));
    if (v == NULL)
        yajl_gen_null(g);
    else
        cli__gen_string(g, v, len);
}

/* Byte offset of code point cp in text[0..len), or len + 1 past the end. */
static size_t byte_of_char(const char *text, size_t len, size_t cp)
{
    size_t i = 0, n = 0;
    for (; i < len; i++) {
        if (((unsigned char)text[i] & 0xC0) == 0x80) continue;
        if (n++ == cp) return i;
    }
    return n == cp ? len : len + 1;
}

/* "blocks": the copied blocks named by lines "START END URL RECORD-ID". */
static void gen_blocks(yajl_gen g, const char *lines, const char *text, size_t len)
{
    yajl_gen_string(g, (const unsigned char *)"blocks", 6);
    yajl_gen_array_open(g);
    for (const char *p = lines; p && *p;) {
        const char *nl = strchr(p, '\n');
        size_t ll = nl ? (size_t)(nl - p) : strlen(p);
        char line[4096], url[4096], rid[512];
        unsigned long long start, end;
        if (ll < sizeof line) {
            memcpy(line, p, ll);
            line[ll] = 0;
            size_t bs, be;
            if (sscanf(line, "%llu %llu %4095s %511s", &start, &end, url, rid) == 4 &&
                start <= end && (bs = byte_of_char(text, len, start)) <= len &&
                (be = byte_of_char(text, len, end)) <= len) {
                yajl_gen_map_open(g);
                yajl_gen_string(g, (const unsigned char *)"start", 5);
                yajl_gen_integer(g, (long long)start);
                yajl_gen_string(g, (const unsigned char *)"end", 3);
                yajl_gen_integer(g, (long long)end);
                gen_kv(g, "url", url, strlen(url));
                gen_kv(g, "record_id", strcmp(rid, "-") ? rid : NULL, strlen(rid));
                gen_kv(g, "text", text + bs, be - bs);
                yajl_gen_map_close(g);
            }
        }
        p = nl ? nl + 1 : NULL;
    }
    yajl_gen_array_close(g);
}

static int text_emit(text_ctx *c, const char *url, const char *date, const char *id,
                     const char *text, size_t len, const char *blocks)
{
    const unsigned char *buf;
    size_t n;
    yajl_gen_map_open(c->g);
    gen_kv(c->g, "url", url, url ? strlen(url) : 0);
    gen_kv(c->g, "date", date, date ? strlen(date) : 0);
    gen_kv(c->g, "record_id", id, id ? strlen(id) : 0);
    gen_kv(c->g, "text", text, len);
    if (c->with_blocks) gen_blocks(c->g, blocks, text, len);
    yajl_gen_map_close(c->g);
    yajl_gen_get_buf(c->g, &buf, &n);
    if (fwrite(buf, 1, n, stdout) != n || putchar('\n') == EOF) c->write_failed = 1;
    yajl_gen_clear(c->g);
    yajl_gen_reset(c->g, NULL);
    return c->write_failed ? FA_EIO : 0;
}

static int take_document(void *ud, enum findings_field f, const char *name, size_t name_len,
                         const char *value, size_t value_len)
{
    char **out = ud;
    (void)name;
    (void)name_len;
    if (f != FINDINGS_DOCUMENT) return 0;
    *out = strndup(value, value_len);
    return -1; /* the first one: stop */
}

/* The feedarc-document of a findings record, copied; NULL if none. */
static char *document_of(const warc_record *rec)
{
    char *doc = NULL;
    findings_record_foreach(rec->block, rec->block_len, take_document, &doc);
    return doc;
}

/* The values of a warc-fields block's feedarc-copied-block lines, one a
 * line (at most 1 MiB), or NULL. */
static char *copied_blocks_of(const warc_record *rec)
{
    const char *p = (const char *)rec->block, *end = p + rec->block_len;
    static const char key[] = "feedarc-copied-block:";
    char *out = NULL;
    size_t n = 0;
    while (p < end) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        const char *le = nl ? nl : end;
        if ((size_t)(le - p) > sizeof key - 1 && strncasecmp(p, key, sizeof key - 1) == 0) {
            const char *v = p + sizeof key - 1;
            while (v < le && (*v == ' ' || *v == '\t'))
                v++;
            while (le > v && (le[-1] == '\r' || le[-1] == ' ' || le[-1] == '\t'))
                le--;
            size_t l = (size_t)(le - v);
            if (n + l + 2 > (1u << 20)) break;
            char *o = realloc(out, n + l + 2);
            if (o == NULL) break;
            out = o;
            memcpy(out + n, v, l);
            n += l;
            out[n++] = '\n';
            out[n] = 0;
        }
        p = nl ? nl + 1 : end;
    }
    return out;
}

static int text_record(void *ud, const char *segment, const warc_record *rec)
{
    text_ctx *c = ud;
    warc_type type = warc_type_of(warc_record_field(rec, "WARC-Type"));
    const char *uri = warc_record_field(rec, "WARC-Target-URI");
    if (type == WARC_TYPE_METADATA) {
        free(c->meta_target);
        free(c->meta_document);
        c->meta_target = uri ? strdup(uri) : NULL;
        c->meta_document = document_of(rec);
        c->meta_segment = segment;
        free(c->meta_blocks);
        c->meta_blocks = c->with_blocks ? copied_blocks_of(rec) : NULL;
        return 0;
    }
    if (type != WARC_TYPE_CONVERSION) return 0;
    const char *ct = warc_record_field(rec, "Content-Type");
    if (ct && strncasecmp(ct, "text/plain", 10) != 0) return 0;
    const char *date = warc_record_field(rec, "WARC-Date");
    const char *id = warc_record_field(rec, "WARC-Record-ID");
    /* the metadata record written with this conversion (same target, same segment) */
    const char *blocks =
        uri && c->meta_target && c->meta_segment == segment && strcmp(c->meta_target, uri) == 0
            ? c->meta_blocks
            : NULL;
    if (c->want == NULL)
        return text_emit(c, uri, date, id, (const char *)rec->block, rec->block_len, blocks);

    int match = uri && strcmp(uri, c->want) == 0;
    if (!match && uri && c->meta_document && c->meta_target && c->meta_segment == segment &&
        strcmp(c->meta_target, uri) == 0 && strcmp(c->meta_document, c->want) == 0)
        match = 1;
    if (!match) return 0;
    int64_t t = INT64_MIN;
    if (date) fa_time_parse_rfc3339(date, &t);
    if (c->found && t < c->best.date_ns) return 0;
    hit_free(&c->best);
    c->best.url = strdup(uri);
    c->best.date = date ? strdup(date) : NULL;
    c->best.record_id = id ? strdup(id) : NULL;
    c->best.text = malloc(rec->block_len + 1);
    if (c->best.url == NULL || (date && c->best.date == NULL) || (id && !c->best.record_id) ||
        c->best.text == NULL)
        return FA_ENOMEM;
    memcpy(c->best.text, rec->block, rec->block_len);
    if (blocks && (c->best.blocks = strdup(blocks)) == NULL) return FA_ENOMEM;
    c->best.text_len = rec->block_len;
    c->best.date_ns = t;
    c->found = 1;
    return 0;
}

int cmd_text(int argc, char **argv)
{
    int with_blocks = argc >= 2 && strcmp(argv[1], "--blocks") == 0;
    if (with_blocks) argc--, argv++;
    const char *want = argc >= 3 && strstr(argv[argc - 1], "://") ? argv[argc - 1] : NULL;
    int n_dirs = argc - 1 - (want != NULL);
    if (n_dirs < 1 || argv[1][0] == '-') {
        fprintf(stderr, "usage: feedarc text [--blocks] DIR... [URL] (see feedarc help text)\n");
        return EXIT_USAGE;
    }
    const char *dir = argv[1];
    for (int i = 1; i <= n_dirs; i++) {
        struct stat st;
        int e = stat(argv[i], &st) < 0 ? errno : 0;
        if (e || !S_ISDIR(st.st_mode)) {
            fprintf(stderr, "feedarc text: %s: %s\n", argv[i], e ? strerror(e) : "not a folder");
            return 66;
        }
    }
    text_ctx c = {.want = want, .with_blocks = with_blocks};
    unsigned faults = 0;
    int exit_code = 0;
    if ((c.g = yajl_gen_alloc(NULL)) == NULL) {
        fprintf(stderr, "feedarc text: out of memory\n");
        return EXIT_SOFTWARE;
    }
    int rc = 0;
    for (int i = 1; i <= n_dirs && rc == 0; i++) {
        dir = argv[i];
        free(c.meta_target); /* a metadata record pairs with a conversion of its own folder */
        c.meta_target = NULL;
        rc = cli__archive_scan(dir, "text", text_record, &c, &faults);
    }
    if (rc == 0 && c.want && c.found)
        rc = text_emit(&c, c.best.url, c.best.date, c.best.record_id, c.best.text, c.best.text_len,
                       c.best.blocks);
    if (rc == 0 && fflush(stdout) == EOF) c.write_failed = 1;
    if (c.write_failed) {
        fprintf(stderr, "feedarc text: writing: %s\n", strerror(errno));
        exit_code = EXIT_IOERR;
    } else if (rc == FA_ENOMEM) {
        fprintf(stderr, "feedarc text: out of memory\n");
        exit_code = EXIT_SOFTWARE;
    } else if (rc < 0) {
        fprintf(stderr, "feedarc text: %s: %s\n", dir, fa_strerror(rc));
        exit_code = 66;
    } else if (faults) {
        exit_code = 65;
    } else if (c.want && !c.found) {
        fprintf(stderr, "feedarc text: no conversion record for %s\n", c.want);
        exit_code = 1;
    }
    hit_free(&c.best);
    free(c.meta_target);
    free(c.meta_document);
    free(c.meta_blocks);
    yajl_gen_free(c.g);
    return exit_code;
}
