/*
 * fa_worker.c - worker threads give way to the event-loop thread; see
 * fa_worker.h.
 *
 * Linux keeps a nice value per thread: setpriority(PRIO_PROCESS, tid)
 * changes the calling thread's alone.  The step is relative to the
 * thread's nice value now (a process started under `nice -n 10` gets
 * workers at 15), capped at 19.
 */
#include "common/fa_worker.h"

#include <errno.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

int fa_worker_nice_step(void)
{
    const char *e = getenv("FEEDARC_WORKER_NICE");
    if (e == NULL || *e == '\0') return FA_WORKER_NICE;
    char *end;
    long v = strtol(e, &end, 10);
    if (*end != '\0' || v < 0) return FA_WORKER_NICE;
    return v > 19 ? 19 : (int)v;
}

void fa_worker_yield_to_loop(void)
{
    static _Thread_local int done;
    if (done) return;
    done = 1;
    int step = fa_worker_nice_step();
    if (step == 0) return;
    id_t tid = (id_t)syscall(SYS_gettid);
    errno = 0;
    int now = getpriority(PRIO_PROCESS, tid);
    if (now == -1 && errno != 0) return;
    int want = now + step > 19 ? 19 : now + step;
    if (want > now) (void)setpriority(PRIO_PROCESS, tid, want);
}
