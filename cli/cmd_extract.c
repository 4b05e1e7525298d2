/*
 * cmd_extract.c - `feedarc extract [--json] [--charset LABEL]
 * [--fragment|--wp-json] FILE|-`: the main text feedarc extracts from one
 * HTML document; `feedarc extract --batch FILE...`: from many, in one
 * process (each file's text followed by a NUL byte; tools/bench/extract_eval
 * scores an evaluation set this way).
 *
 * Runs exactly the extractor the dedup engine uses (dedup/text_extract.h),
 * streaming the file through libxml2's push parser in 64 KiB chunks, and
 * prints the content blocks, one per line.  With --json it prints one JSON
 * object: the title and every block with its class (content/boilerplate),
 * the rule that decided it and its signals (tag, path, characters, link
 * density, hints, position), so users can see and report what is kept.
 * The document's encoding is decided as the crawler decides it
 * (common/fa_charset.h; --charset stands for the Content-Type charset a
 * file lacks) and said on stderr as "encoding: EUC-KR (detected,
 * confidence 1.00)", and in the JSON.
 *
 * Exit status: 0 printed; 64 bad usage; 65 not parseable (--wp-json);
 * 66 FILE cannot be opened; 70 out of memory; 74 read error or a ceiling
 * (--batch: the status of the last file that failed; the others are still
 * printed).
 */
#include "cli/cli.h"
#include "common/fa_buf.h"
#include "common/fa_err.h"
#include "dedup/text_extract.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yajl/yajl_gen.h>

enum { EXTRACT_EXIT_DATAERR = 65, EXTRACT_EXIT_NOINPUT = 66 };

static void gen_str(yajl_gen g, const char *s)
{
    yajl_gen_string(g, (const unsigned char *)s, strlen(s));
}

static void gen_kv(yajl_gen g, const char *k, const char *v)
{
    gen_str(g, k);
    gen_str(g, v);
}

static void gen_num(yajl_gen g, const char *k, double v, int integer)
{
    gen_str(g, k);
    if (integer)
        yajl_gen_integer(g, (long long)v);
    else
        yajl_gen_double(g, (double)((long long)(v * 1000 + 0.5)) / 1000);
}

static void print_json(const text_doc *d)
{
    yajl_gen g = yajl_gen_alloc(NULL);
    if (g == NULL) return;
    yajl_gen_config(g, yajl_gen_beautify, 1);
    yajl_gen_config(g, yajl_gen_validate_utf8, 0);
    yajl_gen_map_open(g);
    gen_str(g, "title");
    if (d->title)
        gen_str(g, d->title);
    else
        yajl_gen_null(g);
    size_t content = 0, boiler = 0;
    for (size_t i = 0; i < d->n_blocks; i++) {
        if (d->blocks[i].cls == TEXT_CONTENT)
            content += d->blocks[i].chars;
        else
            boiler += d->blocks[i].chars;
    }
    char enc[256];
    fa_charset_describe(&d->charset, enc, sizeof enc);
    gen_kv(g, "encoding", enc);
    gen_num(g, "content_chars", (double)content, 1);
    gen_num(g, "boilerplate_chars", (double)boiler, 1);
    gen_str(g, "blocks");
    yajl_gen_array_open(g);
    for (size_t i = 0; i < d->n_blocks; i++) {
        const text_block *b = &d->blocks[i];
        yajl_gen_map_open(g);
        gen_num(g, "position", b->index, 1);
        gen_kv(g, "class", b->cls == TEXT_CONTENT ? "content" : "boilerplate");
        gen_kv(g, "reason", b->reason ? b->reason : "");
        gen_kv(g, "tag", b->tag);
        gen_kv(g, "path", b->path);
        gen_num(g, "chars", b->chars, 1);
        gen_num(g, "link_density", b->link_density, 0);
        gen_str(g, "hints");
        yajl_gen_array_open(g);
        for (unsigned h = 0; h < TEXT_HINT_COUNT; h++)
            if (b->hints & (1u << h)) gen_str(g, text_hint_name(h));
        yajl_gen_array_close(g);
        gen_kv(g, "text", b->text);
        yajl_gen_map_close(g);
    }
    yajl_gen_array_close(g);
    yajl_gen_map_close(g);
    const unsigned char *out;
    size_t len;
    yajl_gen_get_buf(g, &out, &len);
    fwrite(out, 1, len, stdout);
    yajl_gen_free(g);
}

/* Reads path (or stdin for "-") through the extractor into *out.  Returns 0
 * or a negative code (FA_ENOMEM, FA_EPARSE, FA_EIO, FA_ETOOBIG; FA_ENOENT
 * when the file cannot be opened, with errno's message on stderr). */
static int extract_file(const char *path, const text_extract_options *opt, int wp, text_doc **out)
{
    *out = NULL;
    FILE *f = strcmp(path, "-") == 0 ? stdin : fopen(path, "rb");
    if (f == NULL) {
        fprintf(stderr, "feedarc extract: %s: %s\n", path, strerror(errno));
        return FA_ENOENT;
    }
    text_doc *doc = NULL;
    int rc = 0;
    if (wp) {
        fa_buf all;
        fa_buf_init(&all, 32u << 20);
        char chunk[65536];
        size_t got;
        while (rc == 0 && (got = fread(chunk, 1, sizeof chunk, f)) > 0)
            rc = fa_buf_append(&all, chunk, got);
        if (rc == 0 && ferror(f)) rc = FA_EIO;
        if (rc == 0) rc = text_extract_wp_json(all.data ? all.data : "", all.len, opt, &doc);
        fa_buf_free(&all);
    } else {
        text_extractor *x = text_extractor_new(opt);
        if (x == NULL) rc = FA_ENOMEM;
        char chunk[65536];
        size_t got;
        while (rc == 0 && (got = fread(chunk, 1, sizeof chunk, f)) > 0)
            rc = text_extractor_push(x, chunk, got);
        if (rc == 0 && ferror(f)) rc = FA_EIO;
        if (rc == 0) rc = text_extractor_finish(x, &doc);
        text_extractor_free(x);
    }
    if (f != stdin) fclose(f);
    if (rc == 0 && doc == NULL) rc = FA_ENOMEM;
    if (rc < 0) {
        fprintf(stderr, "feedarc extract: %s: %s\n", path, fa_strerror(rc));
        return rc;
    }
    *out = doc;
    return 0;
}

static int exit_code(int rc)
{
    return rc == FA_ENOENT   ? EXTRACT_EXIT_NOINPUT
           : rc == FA_ENOMEM ? EXIT_SOFTWARE
           : rc == FA_EPARSE ? EXTRACT_EXIT_DATAERR
                             : EXIT_IOERR;
}

static void print_main_text(const text_doc *doc)
{
    for (size_t i = 0; i < doc->n_blocks; i++)
        if (doc->blocks[i].cls == TEXT_CONTENT) printf("%s\n", doc->blocks[i].text);
}

#define EXTRACT_USAGE                                                                              \
    "usage: feedarc extract [--json] [--charset LABEL] [--fragment|--wp-json] FILE|-\n"            \
    "       feedarc extract --batch [--charset LABEL] [--fragment|--wp-json] FILE...\n"

int cmd_extract(int argc, char **argv)
{
    static const struct option longopts[] = {{"json", no_argument, NULL, 'j'},
                                             {"fragment", no_argument, NULL, 'f'},
                                             {"wp-json", no_argument, NULL, 'w'},
                                             {"charset", required_argument, NULL, 'c'},
                                             {"batch", no_argument, NULL, 'b'},
                                             {NULL, 0, NULL, 0}};
    int json = 0, fragment = 0, wp = 0, batch = 0, c;
    const char *charset = NULL;
    optind = 1;
    while ((c = getopt_long(argc, argv, "jfwc:b", longopts, NULL)) != -1) {
        switch (c) {
        case 'c':
            charset = optarg;
            break;
        case 'j':
            json = 1;
            break;
        case 'f':
            fragment = 1;
            break;
        case 'w':
            wp = 1;
            break;
        case 'b':
            batch = 1;
            break;
        default:
            fputs(EXTRACT_USAGE, stderr);
            return EXIT_USAGE;
        }
    }
    if (batch ? (optind >= argc || json) : optind != argc - 1) {
        fputs(EXTRACT_USAGE, stderr);
        return EXIT_USAGE;
    }
    text_extract_options opt = {0};
    opt.fragment = fragment;
    opt.charset = charset;
    if (batch) {
        /* one process for many files: each file's main text, then a NUL
         * byte (also after a file that failed, whose text is empty) */
        int status = 0;
        for (int i = optind; i < argc; i++) {
            text_doc *doc = NULL;
            int rc = extract_file(argv[i], &opt, wp, &doc);
            if (rc < 0)
                status = exit_code(rc);
            else
                print_main_text(doc);
            text_doc_free(doc);
            putchar('\0');
        }
        return fflush(stdout) == 0 ? status : EXIT_IOERR;
    }
    text_doc *doc = NULL;
    int rc = extract_file(argv[optind], &opt, wp, &doc);
    if (rc < 0) return exit_code(rc);
    char enc[256];
    fa_charset_describe(&doc->charset, enc, sizeof enc);
    fprintf(stderr, "encoding: %s\n", enc);
    if (json)
        print_json(doc);
    else
        print_main_text(doc);
    text_doc_free(doc);
    return fflush(stdout) == 0 ? 0 : EXIT_IOERR;
}
