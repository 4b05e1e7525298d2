/*
 * archive_lock.h - one writing feedarc per archive folder.
 *
 * The state folder is locked by its backend (storage/state/state_sqlite.c); the
 * archive folder needs its own lock, since two configs may share one
 * storage.dir with different state_dirs.  Without it the second run's
 * recovery took the first run's live `.open` segment for a crash leftover
 * and renamed it under the running writer.
 *
 * The lock is <dir>/feedarc-archive.lock, flock(2)'d exclusively while
 * held and holding the holder's pid (for the message a second process
 * gets).  The kernel releases a flock when its process dies, so kill -9
 * leaves no stale lock; the file itself stays.  Only writers take it (a
 * crawl: once, serve, demo); reading commands (ls, get, verify,
 * dedup-report, text) never do and never touch `.open` files.
 *
 * The lock is per open file description: a process that takes it twice
 * for one folder is refused the second time like any other process.
 */
#ifndef ARCHIVE_LOCK_H
#define ARCHIVE_LOCK_H

#include <stddef.h>

#define ARCHIVE_LOCK_FILE "feedarc-archive.lock"

typedef struct archive_lock archive_lock;

/* Creates dir (and its parents) when missing, then takes its lock.  On 0
 * *out is the held lock (release with archive_lock_release).  Returns
 * FA_EACCES when another process holds it - err then names the folder and
 * the holder's pid ("archive /srv/a is locked by another feedarc (pid
 * 1234)") - or another negative code (cannot create the folder or the
 * file) with a message in err. */
int archive_lock_take(const char *dir, archive_lock **out, char *err, size_t errlen);

/* Releases the lock and frees l.  NULL is accepted. */
void archive_lock_release(archive_lock *l);

#endif
