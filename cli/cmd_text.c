/*
 * cmd_text.c - `feedarc text DIR [URL]`: the main text of archived pages,
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
    int64_t date_ns;
} text_hit;

typedef struct text_ctx {
    const char *want; /* URL, or NULL for every record */
    yajl_gen g;
    int write_failed;
    /* the last metadata record's target and feedarc-document */
    char *meta_target, *meta_document;
    const char *meta_segment;
    text_hit best;
    int found;
} text_ctx;

static void hit_free(text_hit *h)
{
    free(h->url);
    free(h->date);
    free(h->record_id);
    free(h->text);
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

static int text_emit(text_ctx *c, const char *url, const char *date, const char *id,
                     const char *text, size_t len)
{
    const unsigned char *buf;
    size_t n;
    yajl_gen_map_open(c->g);
    gen_kv(c->g, "url", url, url ? strlen(url) : 0);
    gen_kv(c->g, "date", date, date ? strlen(date) : 0);
    gen_kv(c->g, "record_id", id, id ? strlen(id) : 0);
    gen_kv(c->g, "text", text, len);
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
        return 0;
    }
    if (type != WARC_TYPE_CONVERSION) return 0;
    const char *ct = warc_record_field(rec, "Content-Type");
    if (ct && strncasecmp(ct, "text/plain", 10) != 0) return 0;
    const char *date = warc_record_field(rec, "WARC-Date");
    const char *id = warc_record_field(rec, "WARC-Record-ID");
    if (c->want == NULL)
        return text_emit(c, uri, date, id, (const char *)rec->block, rec->block_len);

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
    c->best.text_len = rec->block_len;
    c->best.date_ns = t;
    c->found = 1;
    return 0;
}

int cmd_text(int argc, char **argv)
{
    if (argc < 2 || argc > 3 || argv[1][0] == '-') {
        fprintf(stderr, "usage: feedarc text DIR [URL] (see feedarc help text)\n");
        return EXIT_USAGE;
    }
    const char *dir = argv[1];
    struct stat st;
    int e = stat(dir, &st) < 0 ? errno : 0;
    if (e || !S_ISDIR(st.st_mode)) {
        fprintf(stderr, "feedarc text: %s: %s\n", dir, e ? strerror(e) : "not a folder");
        return 66;
    }
    text_ctx c = {.want = argc == 3 ? argv[2] : NULL};
    unsigned faults = 0;
    int exit_code = 0;
    if ((c.g = yajl_gen_alloc(NULL)) == NULL) {
        fprintf(stderr, "feedarc text: out of memory\n");
        return EXIT_SOFTWARE;
    }
    int rc = cli__archive_scan(dir, "text", text_record, &c, &faults);
    if (rc == 0 && c.want && c.found)
        rc = text_emit(&c, c.best.url, c.best.date, c.best.record_id, c.best.text, c.best.text_len);
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
    yajl_gen_free(c.g);
    return exit_code;
}
