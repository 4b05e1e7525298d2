/* fa_spool.c - memory-then-file body spool; see fa_spool.h. */
#include "common/fa_spool.h"
#include "common/fa_fs.h"
#include "common/fa_err.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <unistd.h>

void fa_spool_init(fa_spool *s, size_t mem_limit, uint64_t max_total, const char *tmp_dir)
{
    fa_buf_init(&s->mem, mem_limit);
    s->fd = -1;
    s->size = 0;
    s->mem_limit = mem_limit;
    s->max_total = max_total;
    s->tmp_dir = tmp_dir ? tmp_dir : "/tmp";
}

/* fa_write_all as an FA_E* code. */
static int write_all(int fd, const void *data, size_t len)
{
    return fa_write_all(fd, data, len) < 0 ? fa_err_from_errno(errno) : 0;
}

static int spill(fa_spool *s)
{
    int fd = open(s->tmp_dir, O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
    if (fd < 0)
        return fa_err_from_errno(errno);
    int rc = write_all(fd, s->mem.data, s->mem.len);
    if (rc < 0) {
        close(fd);
        return rc;
    }
    fa_buf_free(&s->mem);
    fa_buf_init(&s->mem, s->mem_limit);
    s->fd = fd;
    return 0;
}

int fa_spool_write(fa_spool *s, const void *data, size_t len)
{
    if (len > s->max_total || s->size > s->max_total - len)
        return FA_ETOOBIG;
    int rc;
    if (s->fd < 0 && s->mem.len + len > s->mem_limit) {
        rc = spill(s);
        if (rc < 0)
            return rc;
    }
    rc = s->fd < 0 ? fa_buf_append(&s->mem, data, len) : write_all(s->fd, data, len);
    if (rc < 0)
        return rc;
    s->size += len;
    return 0;
}

void fa_spool_expect(fa_spool *s, uint64_t len)
{
    if (s->fd >= 0 || len > s->mem_limit || len > s->max_total || len <= s->mem.len) return;
    (void)fa_buf_reserve(&s->mem, (size_t)len - s->mem.len);
}

int fa_spool_foreach(const fa_spool *s, int (*fn)(void *ud, const void *chunk, size_t len),
                     void *ud)
{
    if (s->fd < 0)
        return s->mem.len ? fn(ud, s->mem.data, s->mem.len) : 0;
    char *chunk = malloc(1 << 16);
    if (chunk == NULL)
        return FA_ENOMEM;
    int rc = 0;
    uint64_t off = 0;
    while (off < s->size) {
        ssize_t n = pread(s->fd, chunk, 1 << 16, (off_t)off);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            rc = n < 0 ? fa_err_from_errno(errno) : FA_EIO;
            break;
        }
        off += (uint64_t)n;
        rc = fn(ud, chunk, (size_t)n);
        if (rc < 0)
            break;
    }
    free(chunk);
    return rc;
}

void fa_spool_reset(fa_spool *s)
{
    if (s->fd >= 0) {
        close(s->fd);
        s->fd = -1;
    }
    fa_buf_reset(&s->mem);
    s->size = 0;
}

void fa_spool_free(fa_spool *s)
{
    if (s == NULL)
        return;
    if (s->fd >= 0)
        close(s->fd);
    s->fd = -1;
    fa_buf_free(&s->mem);
    s->size = 0;
}
