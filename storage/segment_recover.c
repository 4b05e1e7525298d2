/* segment_recover.c - crash recovery of .open segments and scans of closed
 * ones; see segment_recover.h. */
#include "storage/segment_recover.h"
#include "storage/cdxj.h"
#include "common/fa_err.h"
#include "common/fa_fs.h"
#include "common/fa_log.h"
#include "storage/warc_format.h"
#include "storage/warc_reader.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define OPEN_SUFFIX ".open"
#define SEGMENT_SUFFIX ".warc.zst"

static int has_suffix(const char *s, const char *suffix)
{
    size_t n = strlen(s), m = strlen(suffix);
    return n > m && strcmp(s + n - m, suffix) == 0;
}

static size_t http_head_len(const uint8_t *b, size_t n)
{
    for (size_t i = 0; i + 3 < n; i++)
        if (b[i] == '\r' && b[i + 1] == '\n' && b[i + 2] == '\r' && b[i + 3] == '\n')
            return i + 4;
    return n;
}

static int report(const char *segment, const warc_record *rec, segment_response_cb cb, void *ud)
{
    if (cb == NULL)
        return 0;
    const char *pd = warc_record_field(rec, "WARC-Payload-Digest");
    segment_response_info info = {
        .segment = segment,
        .target_uri = warc_record_field(rec, "WARC-Target-URI"),
        .record_id = warc_record_field(rec, "WARC-Record-ID"),
        .payload_digest = pd ? pd : "",
        .warc_date = warc_record_field(rec, "WARC-Date"),
        .offset = rec->offset,
        .length = rec->length,
        .http_head = (const char *)rec->block,
        .http_head_len = http_head_len(rec->block, rec->block_len),
    };
    if (info.target_uri == NULL || info.record_id == NULL || info.warc_date == NULL)
        return 0;
    return cb(ud, &info);
}

/* Reads path; returns the end offset of the last whole unit (warcinfo, or
 * request+response pair, or a lone record of another type) in *good_end,
 * reporting responses as it goes when cb is given. */
static int scan(const char *path, const char *segment, segment_response_cb cb, void *ud,
                uint64_t *good_end, int *clean, char *err, size_t errlen)
{
    warc_reader *r = NULL;
    int rc = warc_reader_open(path, 0, &r, err, errlen);
    if (rc < 0)
        return rc;
    /* digests are checked as records stream by; only heads are held */
    warc_reader_set_block_limit(r, 1u << 20);
    *good_end = 0;
    *clean = 0;
    warc_record rec;
    char why[256];
    while ((rc = warc_reader_next(r, &rec)) == 1) {
        if (warc_record_verify_digests(&rec, why, sizeof why) < 0)
            break;
        warc_type type = warc_type_of(warc_record_field(&rec, "WARC-Type"));
        if (type == WARC_TYPE_REQUEST) continue; /* whole only with its response */
        if (type == WARC_TYPE_RESPONSE || type == WARC_TYPE_REVISIT) {
            rc = report(segment, &rec, cb, ud);
            if (rc < 0)
                goto out;
        }
        *good_end = rec.offset + rec.length;
    }
    if (rc == 0)
        *clean = 1;
    rc = 0;
out:
    warc_reader_close(r);
    return rc;
}

int segment_scan_responses(const char *path, segment_response_cb cb, void *ud, char *err,
                           size_t errlen)
{
    const char *slash = strrchr(path, '/');
    uint64_t end;
    int clean;
    return scan(path, slash ? slash + 1 : path, cb, ud, &end, &clean, err, errlen);
}

static int recover_one(const char *dir, const char *open_name, segment_response_cb cb, void *ud,
                       char *err, size_t errlen)
{
    char path[4096], final_path[4096], final_name[1024];
    size_t base = strlen(open_name) - strlen(OPEN_SUFFIX);
    if (base >= sizeof final_name)
        return FA_EINVAL;
    memcpy(final_name, open_name, base);
    final_name[base] = '\0';
    snprintf(path, sizeof path, "%s/%s", dir, open_name);
    snprintf(final_path, sizeof final_path, "%s/%s", dir, final_name);
    uint64_t good_end = 0;
    int clean = 0;
    int rc = scan(path, final_name, cb, ud, &good_end, &clean, err, errlen);
    if (rc < 0 && rc != FA_ECORRUPT && rc != FA_EPARSE)
        return rc;
    if (good_end == 0) {
        fa_log_warn("warc", "%s holds no complete record: removed", path);
        if (unlink(path) < 0) {
            snprintf(err, errlen, "%s: cannot remove: %s", path, strerror(errno));
            return fa_err_from_errno(errno);
        }
        return 0;
    }
    int fd = open(path, O_WRONLY | O_CLOEXEC);
    if (fd < 0 || ftruncate(fd, (off_t)good_end) < 0 || fsync(fd) < 0) {
        int e = errno;
        snprintf(err, errlen, "%s: cannot truncate to %llu bytes: %s", path,
                 (unsigned long long)good_end, strerror(e));
        if (fd >= 0)
            close(fd);
        return fa_err_from_errno(e);
    }
    close(fd);
    if (access(final_path, F_OK) == 0) {
        snprintf(err, errlen, "%s: cannot recover: %s already exists", path, final_path);
        return FA_EINVAL;
    }
    if (rename(path, final_path) < 0) {
        snprintf(err, errlen, "%s: rename: %s", path, strerror(errno));
        return fa_err_from_errno(errno);
    }
    int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd >= 0) {
        fsync(dfd);
        close(dfd);
    }
    fa_log_info("warc", "recovered %s: kept %llu bytes of whole records%s", final_path,
                (unsigned long long)good_end, clean ? "" : ", cut a partial record");
    /* the index kept in memory died with the writer: rebuild it */
    char why[512] = "";
    if (cdxj_index_segment(dir, final_name, NULL, why, sizeof why) < 0)
        fa_log_warn("warc", "%s: no index written (%s); `feedarc index %s` rebuilds it",
                    final_path, why, dir);
    return 1;
}

static int is_open_segment(void *ud, const char *name)
{
    (void)ud;
    return has_suffix(name, SEGMENT_SUFFIX OPEN_SUFFIX);
}

int segment_recover_dir(const char *dir, segment_response_cb cb, void *ud, char *err,
                        size_t errlen)
{
    /* listed first: recovery renames entries of the folder being read */
    char **names = NULL;
    size_t n = 0;
    int rc = 0;
    if (fa_dir_list(dir, is_open_segment, NULL, &names, &n) < 0) {
        if (errno == ENOENT)
            return 0; /* no archive yet */
        snprintf(err, errlen, "%s: %s", dir, strerror(errno));
        return fa_err_from_errno(errno);
    }
    int recovered = 0;
    for (size_t i = 0; rc >= 0 && i < n; i++) {
        rc = recover_one(dir, names[i], cb, ud, err, errlen);
        if (rc > 0)
            recovered++;
    }
    fa_dir_list_free(names, n);
    return rc < 0 ? rc : recovered;
}

int segment_oldest_open(const char *dir, char *out, size_t outlen)
{
    DIR *d = opendir(dir);
    if (d == NULL)
        return errno == ENOENT ? 0 : fa_err_from_errno(errno);
    int found = 0;
    struct dirent *de;
    while ((de = readdir(d))) {
        if (!has_suffix(de->d_name, SEGMENT_SUFFIX OPEN_SUFFIX))
            continue;
        size_t base = strlen(de->d_name) - strlen(OPEN_SUFFIX);
        if (base >= outlen)
            continue;
        if (!found || strncmp(de->d_name, out, base) < 0 ||
            (strncmp(de->d_name, out, base) == 0 && out[base] != '\0')) {
            memcpy(out, de->d_name, base);
            out[base] = '\0';
            found = 1;
        }
    }
    closedir(d);
    return found;
}

/* 1 when name is a closed warc.zst segment, or (readable set) a .warc.gz
 * or .warc file. */
static int listed(const char *name, int readable)
{
    return has_suffix(name, SEGMENT_SUFFIX) ||
           (readable && (has_suffix(name, ".warc.gz") || has_suffix(name, ".warc")));
}

static int list_names(const char *dir, const char *from, int readable,
                      int (*fn)(void *ud, const char *name), void *ud);

int segment_list_from(const char *dir, const char *from,
                      int (*fn)(void *ud, const char *name), void *ud)
{
    return list_names(dir, from, 0, fn, ud);
}

int segment_list_readable(const char *dir, int (*fn)(void *ud, const char *name), void *ud)
{
    return list_names(dir, NULL, 1, fn, ud);
}

typedef struct list_filter {
    const char *from;
    int readable;
} list_filter;

static int keep_listed(void *ud, const char *name)
{
    const list_filter *f = ud;
    return listed(name, f->readable) && !(f->from && *f->from && strcmp(name, f->from) < 0);
}

static int list_names(const char *dir, const char *from, int readable,
                      int (*fn)(void *ud, const char *name), void *ud)
{
    list_filter f = {from, readable};
    char **names;
    size_t n;
    int rc = 0;
    if (fa_dir_list(dir, keep_listed, &f, &names, &n) < 0)
        return errno == ENOENT ? 0 : fa_err_from_errno(errno);
    for (size_t i = 0; rc == 0 && i < n; i++)
        rc = fn(ud, names[i]);
    fa_dir_list_free(names, n);
    return rc;
}
