/*
 * cmd_index.c - `feedarc index DIR... [--all]`: writes the CDXJ index of every
 * closed segment that has none (every segment with --all), then DIR/index.cdxj,
 * the sorted merge of them all (streamed: one line per segment in memory).
 * See storage/cdxj.h for the line format.  Several folders (a cluster's
 * nodes' archives) are indexed each in place - an index names segments of
 * its own folder only - and `get DIR...` looks a URL up in all of them.
 *
 * Exit status: 0 written; 64 bad usage; 65 a segment is corrupt (run
 * feedarc verify); 66 DIR cannot be read; 73 an index cannot be written.
 */
#include "cli/cli.h"
#include "common/fa_err.h"
#include "storage/cdxj.h"

#include <getopt.h>
#include <stdio.h>

int cmd_index(int argc, char **argv)
{
    static const struct option opts[] = {{"all", no_argument, NULL, 'a'}, {NULL, 0, NULL, 0}};
    int all = 0, ch;
    optind = 1;
    while ((ch = getopt_long(argc, argv, "a", opts, NULL)) != -1) {
        if (ch != 'a') return EXIT_USAGE;
        all = 1;
    }
    if (optind >= argc) {
        fprintf(stderr, "usage: feedarc index DIR... [--all] (see feedarc help index)\n");
        return EXIT_USAGE;
    }
    for (int i = optind; i < argc; i++) {
        const char *dir = argv[i];
        char err[1024] = "";
        cdxj_dir_stats st;
        int rc = cdxj_index_dir(dir, all, &st, err, sizeof err);
        if (rc < 0) {
            fprintf(stderr, "feedarc index: %s\n", err[0] ? err : fa_strerror(rc));
            if (rc == FA_ECORRUPT || rc == FA_EPARSE || rc == FA_ETOOBIG) return 65;
            if (rc == FA_ENOENT) return 66;
            return EXIT_CANTCREAT;
        }
        printf("%s: %u segments, %u indexed now, %llu lines in %s/" CDXJ_MERGED "\n", dir,
               st.segments, st.rebuilt, (unsigned long long)st.lines, dir);
    }
    return 0;
}
