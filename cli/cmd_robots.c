/*
 * cmd_robots.c - `feedarc robots FILE AGENT URL...`: what a local
 * robots.txt says about some URLs for one crawler.
 *
 * A debugging aid for site owners and for us: it runs exactly the parser
 * and matcher the crawler uses (crawler/robots/robots_rules.h) and prints, for each
 * URL, the verdict and the rule that decided it with its line number:
 *
 *   disallow http://x/private/a  (line 3: disallow: /private/)
 *   allow http://x/news/  (no matching rule)
 *
 * Like the crawler it parses only the first 500 KiB of the file (RFC 9309
 * §2.5), so only that much is read.  Exit status: 0 when every URL was
 * answered, 64 bad usage, 66 FILE cannot be opened, 74 reading it failed,
 * 70 out of memory.
 */
#include "cli/cli.h"
#include "common/fa_buf.h"
#include "common/fa_err.h"
#include "crawler/robots/robots_rules.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { CMD_ROBOTS_EXIT_NOINPUT = 66 }; /* EX_NOINPUT */

/* Reads up to max bytes of f into buf.  Returns 0 or FA_EIO / FA_ENOMEM. */
static int read_head(FILE *f, size_t max, fa_buf *buf)
{
    char chunk[16384];
    while (buf->len < max) {
        size_t want = max - buf->len < sizeof chunk ? max - buf->len : sizeof chunk;
        size_t got = fread(chunk, 1, want, f);
        if (got > 0) {
            int rc = fa_buf_append(buf, chunk, got);
            if (rc < 0) return rc;
        }
        if (got < want) return ferror(f) ? FA_EIO : 0;
    }
    return 0;
}

static void print_verdict(const char *url, const robots_verdict *v)
{
    printf("%s %s  ", v->allowed ? "allow" : "disallow", url);
    switch (v->reason) {
    case ROBOTS_BY_RULE:
        printf("(line %d: %s)\n", v->line, v->rule);
        break;
    case ROBOTS_BY_ROBOTS_TXT:
        printf("(/robots.txt is always allowed)\n");
        break;
    case ROBOTS_BY_UNAVAILABLE:
        printf("(robots.txt unavailable)\n");
        break;
    case ROBOTS_BY_DEFAULT:
    default:
        printf("(no matching rule)\n");
        break;
    }
}

int cmd_robots(int argc, char **argv)
{
    if (argc < 4) {
        fprintf(stderr, "usage: feedarc robots FILE AGENT URL...  (see feedarc help robots)\n");
        return EXIT_USAGE;
    }
    const char *file = argv[1], *agent = argv[2];
    int code = 0;
    robots_rules *rules = NULL;
    char *path = NULL;
    fa_buf body;
    /* One byte past the limit tells the parser whether the file goes on. */
    fa_buf_init(&body, (size_t)ROBOTS_MAX_BODY + 1);

    FILE *f = strcmp(file, "-") == 0 ? stdin : fopen(file, "rb");
    if (f == NULL) {
        fprintf(stderr, "feedarc robots: cannot open %s: %s\n", file, strerror(errno));
        code = CMD_ROBOTS_EXIT_NOINPUT;
        goto out;
    }
    int rc = read_head(f, (size_t)ROBOTS_MAX_BODY + 1, &body);
    if (f != stdin) fclose(f);
    if (rc < 0) {
        fprintf(stderr, "feedarc robots: reading %s: %s\n", file,
                rc == FA_EIO ? strerror(errno) : fa_strerror(rc));
        code = rc == FA_EIO ? EXIT_IOERR : EXIT_SOFTWARE;
        goto out;
    }
    rules = robots_rules_parse(body.data, body.len, agent);
    if (rules == NULL) {
        fprintf(stderr, "feedarc robots: out of memory\n");
        code = EXIT_SOFTWARE;
        goto out;
    }
    for (int i = 3; i < argc; i++) {
        size_t cap = strlen(argv[i]) + 2;
        char *p = realloc(path, cap);
        if (p == NULL) {
            fprintf(stderr, "feedarc robots: out of memory\n");
            code = EXIT_SOFTWARE;
            goto out;
        }
        path = p;
        robots_path_from_url(argv[i], path, cap); /* cannot fail: cap suffices */
        robots_verdict v;
        robots_rules_check(rules, path, &v);
        print_verdict(argv[i], &v);
    }
    if (fflush(stdout) != 0) code = EXIT_IOERR;
out:
    free(path);
    robots_rules_free(rules);
    fa_buf_free(&body);
    return code;
}
