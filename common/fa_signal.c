/* fa_signal.c - recording handlers for SIGTERM, SIGINT, SIGHUP.  See fa_signal.h. */
#include "common/fa_signal.h"
#include "common/fa_err.h"

#include <signal.h>
#include <stdatomic.h>
#include <string.h>

/* lock-free atomics are async-signal-safe (C11 7.14.1.1) */
static atomic_int first_stop;
static atomic_ulong stops, hups;
static atomic_int installed;

static void on_signal(int sig)
{
    if (sig == SIGHUP) {
        atomic_fetch_add(&hups, 1);
        return;
    }
    int none = 0;
    atomic_compare_exchange_strong(&first_stop, &none, sig);
    atomic_fetch_add(&stops, 1);
}

/* SIGINT and SIGHUP ignored by whoever started us (nohup, a shell's
 * background job) stay ignored, as the shell meant. */
static int take_unless_ignored(int sig, const struct sigaction *sa)
{
    struct sigaction old;
    if (sigaction(sig, NULL, &old) < 0) return -1;
    if (old.sa_handler == SIG_IGN) return 0;
    return sigaction(sig, sa, NULL);
}

int fa_signal_install(void)
{
    if (atomic_exchange(&installed, 1)) return 0;
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sa.sa_flags = SA_RESTART;
    sigemptyset(&sa.sa_mask);
    if (sigaction(SIGTERM, &sa, NULL) < 0 || take_unless_ignored(SIGINT, &sa) < 0 ||
        take_unless_ignored(SIGHUP, &sa) < 0) {
        atomic_store(&installed, 0);
        return FA_EIO;
    }
    return 0;
}

int fa_signal_stop_first(void)
{
    return atomic_load(&first_stop);
}

unsigned long fa_signal_stops(void)
{
    return atomic_load(&stops);
}

unsigned long fa_signal_hups(void)
{
    return atomic_load(&hups);
}
