/* archive_lock.c - the archive folder's writer lock; see archive_lock.h. */
#include "storage/archive_lock.h"

#include "common/fa_fs.h"
#include "common/fa_err.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

struct archive_lock {
    int fd;
};

static void set_err(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void set_err(char *err, size_t errlen, const char *fmt, ...)
{
    if (err == NULL || errlen == 0) return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
}

int archive_lock_take(const char *dir, archive_lock **out, char *err, size_t errlen)
{
    if (out == NULL) return FA_EINVAL;
    *out = NULL;
    if (dir == NULL || *dir == '\0') return FA_EINVAL;
    char path[PATH_MAX], pid[32];
    if (snprintf(path, sizeof path, "%s/%s", dir, ARCHIVE_LOCK_FILE) >= (int)sizeof path) {
        set_err(err, errlen, "archive folder \"%s\": path too long", dir);
        return FA_EINVAL;
    }
    if (fa_mkdir_p(dir) < 0) {
        int e = errno;
        set_err(err, errlen, "cannot create the archive folder %s: %s", dir, strerror(e));
        return fa_err_from_errno(e);
    }
    int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (fd < 0) {
        int e = errno;
        if (e == EACCES || e == EPERM || e == EROFS)
            set_err(err, errlen, "archive folder %s is not writable (its lock file %s: %s)", dir,
                    path, strerror(e));
        else
            set_err(err, errlen, "cannot open lock file %s: %s", path, strerror(e));
        return fa_err_from_errno(e);
    }
    if (flock(fd, LOCK_EX | LOCK_NB) < 0) {
        int e = errno;
        if (e != EWOULDBLOCK) {
            set_err(err, errlen, "cannot lock %s: %s", path, strerror(e));
            close(fd);
            return fa_err_from_errno(e);
        }
        ssize_t n = pread(fd, pid, sizeof pid - 1, 0);
        pid[n > 0 ? n : 0] = '\0';
        pid[strcspn(pid, "\n")] = '\0';
        set_err(err, errlen, "archive %s is locked by another feedarc (pid %s)", dir,
                pid[0] ? pid : "unknown");
        close(fd);
        return FA_EACCES;
    }
    int len = snprintf(pid, sizeof pid, "%ld\n", (long)getpid());
    if (ftruncate(fd, 0) < 0 || pwrite(fd, pid, (size_t)len, 0) != len) {
        int e = errno;
        set_err(err, errlen, "cannot write lock file %s: %s", path, strerror(e));
        close(fd);
        return fa_err_from_errno(e);
    }
    archive_lock *l = malloc(sizeof *l);
    if (l == NULL) {
        close(fd);
        return FA_ENOMEM;
    }
    l->fd = fd;
    *out = l;
    return 0;
}

void archive_lock_release(archive_lock *l)
{
    if (l == NULL) return;
    close(l->fd); /* releases the flock */
    free(l);
}
