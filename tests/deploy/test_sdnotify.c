/* test_sdnotify.c - fa_sdnotify against a real AF_UNIX datagram socket
 * named by NOTIFY_SOCKET (a path, then the abstract namespace), as systemd
 * sets it for Type=notify: READY=1, STOPPING=1, RELOADING=1, WATCHDOG=1,
 * STATUS= on one line; no-ops without NOTIFY_SOCKET; an unreachable socket
 * is an error; the watchdog interval from WATCHDOG_USEC/WATCHDOG_PID. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "common/fa_err.h"
#include "common/fa_sdnotify.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

/* Binds a datagram socket at name ('@' = abstract); returns its fd. */
static int bind_notify_socket(const char *name)
{
    struct sockaddr_un sa = {.sun_family = AF_UNIX};
    socklen_t len;
    int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    assert_true(fd >= 0);
    size_t n = strlen(name);
    assert_true(n < sizeof sa.sun_path);
    memcpy(sa.sun_path, name, n);
    if (name[0] == '@') sa.sun_path[0] = '\0';
    len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + n + (name[0] == '@' ? 0 : 1));
    assert_int_equal(bind(fd, (struct sockaddr *)&sa, len), 0);
    return fd;
}

/* The next datagram, as text (waits at most 2 s). */
static void receive(int fd, char *out, size_t cap)
{
    struct timeval tv = {2, 0};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    ssize_t n = recv(fd, out, cap - 1, 0);
    assert_true(n >= 0);
    out[n] = '\0';
}

static void each_message(int fd)
{
    char msg[1024];
    assert_int_equal(fa_sd_ready(), 1);
    receive(fd, msg, sizeof msg);
    assert_string_equal(msg, "READY=1");
    assert_int_equal(fa_sd_reloading(), 1);
    receive(fd, msg, sizeof msg);
    assert_string_equal(msg, "RELOADING=1");
    assert_int_equal(fa_sd_watchdog(), 1);
    receive(fd, msg, sizeof msg);
    assert_string_equal(msg, "WATCHDOG=1");
    assert_int_equal(fa_sd_status("polling %d sources,\n%d failing", 12, 1), 1);
    receive(fd, msg, sizeof msg);
    assert_string_equal(msg, "STATUS=polling 12 sources, 1 failing");
    char big[2000];
    memset(big, 'x', sizeof big - 1);
    big[sizeof big - 1] = '\0';
    assert_int_equal(fa_sd_status("%s", big), 1);
    receive(fd, msg, sizeof msg);
    assert_int_equal(strlen(msg), strlen("STATUS=") + 400);
    assert_int_equal(fa_sd_stopping(), 1);
    receive(fd, msg, sizeof msg);
    assert_string_equal(msg, "STOPPING=1");
    assert_int_equal(fa_sd_notify(NULL), FA_EINVAL);
    assert_int_equal(fa_sd_status(NULL), FA_EINVAL);
}

static void path_socket(void **state)
{
    (void)state;
    char dir[] = "/tmp/feedarc-notify-XXXXXX", path[128];
    assert_non_null(mkdtemp(dir));
    snprintf(path, sizeof path, "%s/notify", dir);
    int fd = bind_notify_socket(path);
    assert_int_equal(setenv("NOTIFY_SOCKET", path, 1), 0);
    each_message(fd);
    close(fd);
    /* the socket is gone: an error, not a crash or a hang */
    unlink(path);
    assert_true(fa_sd_ready() < 0);
    rmdir(dir);
    unsetenv("NOTIFY_SOCKET");
}

static void abstract_socket(void **state)
{
    (void)state;
    char name[64];
    snprintf(name, sizeof name, "@feedarc-test-notify-%ld", (long)getpid());
    int fd = bind_notify_socket(name);
    assert_int_equal(setenv("NOTIFY_SOCKET", name, 1), 0);
    each_message(fd);
    close(fd);
    unsetenv("NOTIFY_SOCKET");
}

static void not_under_systemd(void **state)
{
    (void)state;
    unsetenv("NOTIFY_SOCKET");
    assert_int_equal(fa_sd_ready(), 0);
    assert_int_equal(fa_sd_stopping(), 0);
    assert_int_equal(fa_sd_watchdog(), 0);
    assert_int_equal(fa_sd_status("x"), 0);
    unsetenv("WATCHDOG_USEC");
    assert_int_equal(fa_sd_watchdog_interval_ms(), 0);
}

static void watchdog_interval(void **state)
{
    (void)state;
    char pid[32];
    snprintf(pid, sizeof pid, "%ld", (long)getpid());
    setenv("WATCHDOG_USEC", "60000000", 1);
    setenv("WATCHDOG_PID", pid, 1);
    assert_int_equal(fa_sd_watchdog_interval_ms(), 60000);
    setenv("WATCHDOG_PID", "1", 1); /* meant for another process */
    assert_int_equal(fa_sd_watchdog_interval_ms(), 0);
    unsetenv("WATCHDOG_PID"); /* no pid: for us */
    setenv("WATCHDOG_USEC", "1500", 1);
    assert_int_equal(fa_sd_watchdog_interval_ms(), 1);
    setenv("WATCHDOG_USEC", "garbage", 1);
    assert_int_equal(fa_sd_watchdog_interval_ms(), 0);
    unsetenv("WATCHDOG_USEC");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(path_socket),
        cmocka_unit_test(abstract_socket),
        cmocka_unit_test(not_under_systemd),
        cmocka_unit_test(watchdog_interval),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
