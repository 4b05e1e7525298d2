/*
 * fa_fs.h - small file-system helpers shared by storage/, storage/state/ and
 * common/: POSIX style, 0 or -1 with errno set (callers map errno with
 * fa_err_from_errno when they return FA_E* codes).
 */
#ifndef FA_FS_H
#define FA_FS_H

#include <stddef.h>
#include <stdint.h>

/* mkdir -p: creates path and its missing parents (mode 0755 before the
 * umask); an existing folder is fine.  Returns 0, or -1 with errno set
 * (ENAMETOOLONG for an empty path or one of PATH_MAX bytes or more). */
int fa_mkdir_p(const char *path);

/* Writes all len bytes of data to fd (at its offset), going on after short
 * writes and EINTR.  Returns 0, or -1 with errno set. */
int fa_write_all(int fd, const void *data, size_t len);

/* The same at file offset off (pwrite; fd's own offset is not moved). */
int fa_pwrite_all(int fd, const void *data, size_t len, uint64_t off);

/* The names in folder dir that keep(ud, name) accepts (every name but "."
 * and ".." when keep is NULL), sorted by strcmp, read whole before
 * returning (so the caller may rename entries while it goes through them).
 * On success *names (n entries, each malloc'ed; release with
 * fa_dir_list_free) is the caller's.  Returns 0, or -1 with errno set
 * (ENOENT: no such folder; ENOMEM). */
int fa_dir_list(const char *dir, int (*keep)(void *ud, const char *name), void *ud, char ***names,
                size_t *n);

/* Frees what fa_dir_list returned; NULL is accepted. */
void fa_dir_list_free(char **names, size_t n);

#endif
