/*
 * cmd_export.c - `feedarc export [--wacz] DIR OUT [--since T] [--until T]
 * [--url-prefix P] [--level N] [--quiet]`: the archive (or the selected
 * part of it) as a standard .warc.gz with its CDXJ index (OUT.cdxj), or as
 * a WACZ package that ReplayWeb.page opens.  The work is warc_export()
 * (storage/warc_export.h); this file parses the command line and draws the
 * progress line.
 *
 * Progress: on a terminal (stderr is a tty, and not --quiet), one line
 * redrawn at most five times a second: records, MB of WARC read and
 * written, MB/s, the source file being read.  Otherwise nothing until the
 * one-line summary on stdout.
 *
 * Exit status: 0 exported; 64 bad usage; 65 a source file is corrupt; 66
 * DIR cannot be read; 73 OUT cannot be written (74 on a write error while
 * writing it).
 */
#include "cli/cli.h"
#include "common/fa_err.h"
#include "common/fa_time.h"
#include "storage/warc_export.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

typedef struct export_progress {
    uint64_t start_ns, last_ns;
    int drawn;
} export_progress;

static void draw(void *ud, const warc_export_stats *st)
{
    export_progress *p = ud;
    uint64_t now = fa_time_mono_ns();
    if (now - p->last_ns < 200000000ULL && st->segment) return;
    p->last_ns = now;
    double secs = (double)(now - p->start_ns) / 1e9;
    fprintf(stderr, "\r\033[Kexport: %llu records, %.1f MB WARC -> %.1f MB, %.0f MB/s%s%s",
            (unsigned long long)st->records_written, (double)st->warc_bytes / 1e6,
            (double)st->out_bytes / 1e6, secs > 0 ? (double)st->warc_bytes / 1e6 / secs : 0.0,
            st->segment ? "  " : "", st->segment ? st->segment : "");
    p->drawn = 1;
}

static int has_suffix(const char *s, const char *suffix)
{
    size_t n = strlen(s), m = strlen(suffix);
    return n >= m && strcmp(s + n - m, suffix) == 0;
}

int cmd_export(int argc, char **argv)
{
    static const struct option opts[] = {{"wacz", no_argument, NULL, 'w'},
                                         {"since", required_argument, NULL, 's'},
                                         {"until", required_argument, NULL, 'u'},
                                         {"url-prefix", required_argument, NULL, 'p'},
                                         {"level", required_argument, NULL, 'l'},
                                         {"quiet", no_argument, NULL, 'q'},
                                         {NULL, 0, NULL, 0}};
    char since[15] = "", until[15] = "", err[1024];
    warc_export_options o = {.software = "feedarc " FEEDARC_VERSION,
                             .level = WARC_EXPORT_DEFAULT_LEVEL};
    int quiet = 0, ch;
    optind = 1;
    while ((ch = getopt_long(argc, argv, "ws:u:p:l:q", opts, NULL)) != -1) {
        switch (ch) {
        case 'w':
            o.wacz = 1;
            break;
        case 's':
        case 'u':
            if (warc_export_time_bound(optarg, ch == 'u', ch == 's' ? since : until) < 0) {
                fprintf(stderr,
                        "feedarc export: --%s %s: want YYYY[MM[DD[hh[mm[ss]]]]] or an ISO 8601 "
                        "date-time\n",
                        ch == 's' ? "since" : "until", optarg);
                return EXIT_USAGE;
            }
            break;
        case 'p':
            o.url_prefix = optarg;
            break;
        case 'l': {
            char *end;
            long l = strtol(optarg, &end, 10);
            if (*end || l < 0 || l > 3) {
                fprintf(stderr, "feedarc export: --level %s: want 0 to 3\n", optarg);
                return EXIT_USAGE;
            }
            o.level = (int)l;
            break;
        }
        case 'q':
            quiet = 1;
            break;
        default:
            return EXIT_USAGE;
        }
    }
    if (optind + 2 != argc) {
        fprintf(stderr, "usage: feedarc export [--wacz] DIR OUT [--since T] [--until T] "
                        "[--url-prefix P] (see feedarc help export)\n");
        return EXIT_USAGE;
    }
    const char *dir = argv[optind], *out = argv[optind + 1];
    if (!o.wacz && has_suffix(out, ".wacz")) o.wacz = 1; /* the name says it */
    if (o.wacz && !has_suffix(out, ".wacz"))
        fprintf(stderr, "feedarc export: note: %s does not end in .wacz\n", out);
    if (!o.wacz && !has_suffix(out, ".warc.gz"))
        fprintf(stderr, "feedarc export: note: %s does not end in .warc.gz\n", out);
    if (since[0] && until[0] && strcmp(since, until) > 0) {
        fprintf(stderr, "feedarc export: --since is after --until\n");
        return EXIT_USAGE;
    }
    o.since = since;
    o.until = until;
    struct stat st;
    int e = stat(dir, &st) < 0 ? errno : 0;
    if (e || !S_ISDIR(st.st_mode)) {
        fprintf(stderr, "feedarc export: %s: %s\n", dir, e ? strerror(e) : "not a folder");
        return 66;
    }
    char folder[4096];
    const char *slash = strrchr(out, '/');
    snprintf(folder, sizeof folder, "%.*s", slash ? (int)(slash - out) + 1 : 1, slash ? out : ".");
    if (access(folder, W_OK) < 0) {
        fprintf(stderr, "feedarc export: %s: cannot write there: %s\n", out, strerror(errno));
        return EXIT_CANTCREAT;
    }
    export_progress p = {.start_ns = fa_time_mono_ns()};
    if (!quiet && isatty(STDERR_FILENO)) {
        o.progress = draw;
        o.progress_ud = &p;
    }
    warc_export_stats s;
    int rc = warc_export(dir, out, &o, &s, err, sizeof err);
    if (p.drawn) fputs("\r\033[K", stderr);
    if (rc < 0) {
        fprintf(stderr, "feedarc export: %s\n", err);
        if (rc == FA_ECORRUPT || rc == FA_EPARSE || rc == FA_ETOOBIG) return 65;
        if (rc == FA_ENOSPC || rc == FA_EIO) return EXIT_IOERR;
        return strstr(err, out) ? EXIT_CANTCREAT : 66;
    }
    double secs = (double)(fa_time_mono_ns() - p.start_ns) / 1e9;
    if (!quiet) {
        printf("%s: %llu of %llu records from %llu files, %.1f MB of WARC -> %.1f MB, %llu index "
               "lines",
               out, (unsigned long long)s.records_written, (unsigned long long)s.records_read,
               (unsigned long long)s.segments, (double)s.warc_bytes / 1e6,
               (double)s.out_bytes / 1e6, (unsigned long long)s.index_lines);
        if (o.wacz) printf(", %llu pages", (unsigned long long)s.pages);
        printf(", %.2f s\n", secs);
    }
    return fflush(stdout) == EOF ? EXIT_IOERR : 0;
}
