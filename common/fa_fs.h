/*
 * fa_fs.h - small file-system helpers shared by storage/ and state/.
 */
#ifndef FA_FS_H
#define FA_FS_H

/* mkdir -p: creates path and its missing parents (mode 0755 before the
 * umask); an existing folder is fine.  Returns 0, or -1 with errno set
 * (ENAMETOOLONG for an empty path or one of PATH_MAX bytes or more). */
int fa_mkdir_p(const char *path);

#endif
