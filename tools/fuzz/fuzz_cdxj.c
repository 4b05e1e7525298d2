/*
 * fuzz_cdxj.c - libFuzzer target for the CDXJ side of storage/cdxj.c:
 * looking a URL up in a segment's index (cdxj_find: SURT of the URL, line
 * matching, JSON fields, timestamps), the k-way merge of sorted line
 * files (cdxj_merge), the JSON field reader and the HTTP head reader that
 * gives mime and status.
 *
 * Input: byte 0 options (bit 0: originals only; bit 1: a time to look
 * near), then the URL to look up up to the first LF, then the index text.
 * The index is written as <tmp>/fuzz-...warc.zst.cdxj beside an empty
 * segment in a folder made at the first run (removed at exit).  Built by
 * tools/fuzz/CMakeLists.txt; see tools/fuzz/README.md.
 */
#include "common/fa_buf.h"
#include "tools/fuzz/fuzz_util.h"
#include "storage/cdxj.h"

#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <unistd.h>

#define SEGMENT "fuzz-20261123153700-00000.warc.zst"

static char dir[PATH_MAX];

static void remove_dir(void)
{
    char p[PATH_MAX + 64];
    snprintf(p, sizeof p, "%s/" SEGMENT, dir);
    unlink(p);
    snprintf(p, sizeof p, "%s/" SEGMENT CDXJ_SUFFIX, dir);
    unlink(p);
    rmdir(dir);
}

static int write_file(const char *name, const void *data, size_t len)
{
    char p[PATH_MAX + 64];
    snprintf(p, sizeof p, "%s/%s", dir, name);
    int fd = open(p, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0) return -1;
    ssize_t w = len ? write(fd, data, len) : 0;
    close(fd);
    return w == (ssize_t)len ? 0 : -1;
}

static int setup(void)
{
    if (dir[0]) return 0;
    const char *tmp = getenv("TMPDIR");
    snprintf(dir, sizeof dir, "%s/fuzz-cdxj-XXXXXX", tmp && *tmp ? tmp : "/tmp");
    if (mkdtemp(dir) == NULL) {
        dir[0] = '\0';
        return -1;
    }
    atexit(remove_dir);
    return write_file(SEGMENT, "", 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (setup() < 0) return 0;
    fuzz_input in = {data, size};
    unsigned opt = fuzz_byte(&in);
    char *url = fuzz_take_until(&in, '\n');
    if (url == NULL) return 0;
    size_t sum = 0;
    char err[512] = "";
    cdxj_capture cap;
    if (write_file(SEGMENT CDXJ_SUFFIX, in.p, in.n) == 0) {
        int rc = cdxj_find(dir, url, opt & 2 ? "2026112315" : NULL, (int)(opt & 1), &cap, err,
                           sizeof err);
        if (rc == 1) sum += strlen(cap.segment) + strlen(cap.timestamp) + strlen(cap.status);
    }
    /* the index as two sorted-line files merged */
    FILE *f[2] = {
        fmemopen((void *)(uintptr_t)in.p, in.n / 2 ? in.n / 2 : 1, "r"),
        fmemopen((void *)(uintptr_t)(in.p + in.n / 2), in.n - in.n / 2 ? in.n - in.n / 2 : 1, "r")};
    char *merged = NULL;
    size_t merged_len = 0;
    FILE *out = open_memstream(&merged, &merged_len);
    if (in.n >= 2 && f[0] && f[1] && out) (void)cdxj_merge(f, 2, out);
    for (int i = 0; i < 2; i++)
        if (f[i]) fclose(f[i]);
    if (out) fclose(out);
    free(merged);
    /* each line's JSON fields */
    char *text = fuzz_strndup(in.p, in.n);
    if (text != NULL) {
        static const char *const keys[] = {"url",    "mime",   "status",  "digest",
                                           "length", "offset", "filename"};
        char v[64];
        for (char *line = text; line && *line;) {
            char *nl = strchr(line, '\n');
            if (nl) *nl = '\0';
            for (size_t k = 0; k < sizeof keys / sizeof keys[0]; k++)
                if (cdxj_json_field(line, keys[k], v, sizeof v)) sum += strlen(v);
            sum += cdxj_json_field(line, "url", v, 1) + cdxj_json_field(line, "x", v, 0);
            line = nl ? nl + 1 : NULL;
        }
        free(text);
    }
    char mime[128], status[4];
    cdxj__http_info(in.p, in.n, mime, status);
    sum += strlen(mime) + strlen(status);
    free(url);
    return (int)(sum & 0);
}
