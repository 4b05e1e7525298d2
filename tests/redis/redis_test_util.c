/*
 * redis_test_util.c - see redis_test_util.h.
 */
#include "redis/redis_test_util.h"

#include <hiredis/hiredis.h>

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

const char *redis_test_binary(void)
{
    static char found[1024];
    const char *path = getenv("PATH");
    if (path == NULL || *path == '\0') path = "/usr/local/bin:/usr/bin:/bin";
    while (*path) {
        size_t n = strcspn(path, ":");
        snprintf(found, sizeof found, "%.*s/redis-server", (int)n, path);
        if (n > 0 && access(found, X_OK) == 0) return found;
        path += n;
        if (*path == ':') path++;
    }
    /* Debian installs it in /usr/bin; PATH under ctest may be minimal */
    if (access("/usr/bin/redis-server", X_OK) == 0) return "/usr/bin/redis-server";
    return NULL;
}

void redis_test_require(void)
{
    if (redis_test_binary() == NULL) {
        fprintf(stderr, "SKIP: redis-server is not installed (Debian: apt-get install "
                        "redis-server; it is in deploy/debian-packages.txt)\n");
        exit(77);
    }
}

static int ping(int port, const char *password)
{
    struct timeval tv = {0, 200000};
    redisContext *c = redisConnectWithTimeout("127.0.0.1", port, tv);
    int ok = 0;
    if (c != NULL && !c->err) {
        redisReply *r;
        if (password && *password) {
            r = redisCommand(c, "AUTH %s", password);
            if (r) freeReplyObject(r);
        }
        r = redisCommand(c, "PING");
        ok = r != NULL && r->type == REDIS_REPLY_STATUS && strcmp(r->str, "PONG") == 0;
        if (r) freeReplyObject(r);
    }
    if (c) redisFree(c);
    return ok;
}

static int spawn(redis_test_server *s)
{
    char port[16], log[300];
    snprintf(port, sizeof port, "%d", s->port);
    snprintf(log, sizeof log, "%s/redis.log", s->dir);
    pid_t pid = fork();
    if (pid < 0) return -1;
    if (pid == 0) {
        /* a test that fails or crashes before redis_test_stop takes its
         * server with it; no pipe of the test's stays open in the server */
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        int fd = open("/dev/null", O_RDWR);
        if (fd >= 0) {
            dup2(fd, 0);
            dup2(fd, 1);
            dup2(fd, 2);
        }
        const char *argv[32];
        int n = 0;
        argv[n++] = "redis-server";
        argv[n++] = "--port";
        argv[n++] = port;
        argv[n++] = "--bind";
        argv[n++] = "127.0.0.1";
        argv[n++] = "--dir";
        argv[n++] = s->dir;
        argv[n++] = "--logfile";
        argv[n++] = log;
        argv[n++] = "--save";
        argv[n++] = "";
        argv[n++] = "--appendonly";
        argv[n++] = s->appendonly ? "yes" : "no";
        if (s->appendonly) {
            argv[n++] = "--appendfsync";
            argv[n++] = "always";
        }
        argv[n++] = "--daemonize";
        argv[n++] = "no";
        argv[n++] = "--protected-mode";
        argv[n++] = "no";
        if (s->password[0]) {
            argv[n++] = "--requirepass";
            argv[n++] = s->password;
        }
        argv[n] = NULL;
        execv(redis_test_binary(), (char *const *)argv);
        _exit(127);
    }
    s->pid = pid;
    for (int i = 0; i < 100; i++) { /* 5 s */
        int status;
        if (waitpid(pid, &status, WNOHANG) == pid) {
            s->pid = 0;
            return -1; /* port taken, most likely */
        }
        if (ping(s->port, s->password)) return 0;
        usleep(50000);
    }
    kill(pid, SIGKILL);
    waitpid(pid, NULL, 0);
    s->pid = 0;
    return -1;
}

int redis_test_start(redis_test_server *s, const char *password)
{
    return redis_test_start_aof(s, password, 0);
}

int redis_test_start_aof(redis_test_server *s, const char *password, int appendonly)
{
    memset(s, 0, sizeof *s);
    s->appendonly = appendonly;
    if (redis_test_binary() == NULL) return -1;
    if (password) snprintf(s->password, sizeof s->password, "%s", password);
    const char *tmp = getenv("TMPDIR");
    snprintf(s->dir, sizeof s->dir, "%s/fa-redis-XXXXXX", tmp && *tmp ? tmp : "/tmp");
    if (mkdtemp(s->dir) == NULL) return -1;
    unsigned seed = (unsigned)getpid() ^ (unsigned)time(NULL) ^ (unsigned)clock();
    for (int tries = 0; tries < 8; tries++) {
        seed = seed * 1103515245u + 12345u;
        s->port = 20000 + (int)((seed >> 8) % 40000);
        if (spawn(s) == 0) {
            snprintf(s->url, sizeof s->url, "redis://127.0.0.1:%d/0", s->port);
            return 0;
        }
    }
    fprintf(stderr, "redis_test_start: no redis-server came up (see %s/redis.log)\n", s->dir);
    return -1;
}

void redis_test_halt(redis_test_server *s)
{
    if (s->pid <= 0) return;
    kill(s->pid, SIGCONT);
    kill(s->pid, SIGTERM);
    for (int i = 0; i < 100; i++) {
        if (waitpid(s->pid, NULL, WNOHANG) == s->pid) {
            s->pid = 0;
            return;
        }
        usleep(50000);
    }
    kill(s->pid, SIGKILL);
    waitpid(s->pid, NULL, 0);
    s->pid = 0;
}

int redis_test_restart(redis_test_server *s)
{
    redis_test_halt(s);
    for (int tries = 0; tries < 20; tries++) {
        if (spawn(s) == 0) return 0;
        usleep(100000);
    }
    return -1;
}

void redis_test_freeze(redis_test_server *s)
{
    if (s->pid > 0) kill(s->pid, SIGSTOP);
}

void redis_test_thaw(redis_test_server *s)
{
    if (s->pid > 0) kill(s->pid, SIGCONT);
}

static int rm_entry(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
    (void)sb;
    (void)flag;
    (void)ftw;
    return remove(path);
}

void redis_test_stop(redis_test_server *s)
{
    redis_test_halt(s);
    if (s->dir[0]) nftw(s->dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
    s->dir[0] = '\0';
}

static redisReply *vrun(redis_test_server *s, const char *fmt, va_list ap)
{
    struct timeval tv = {2, 0};
    redisContext *c = redisConnectWithTimeout("127.0.0.1", s->port, tv);
    redisReply *r = NULL;
    if (c != NULL && !c->err) {
        if (s->password[0]) {
            redisReply *a = redisCommand(c, "AUTH %s", s->password);
            if (a) freeReplyObject(a);
        }
        r = redisvCommand(c, fmt, ap);
    }
    if (c) redisFree(c);
    return r;
}

long long redis_test_int(redis_test_server *s, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    redisReply *r = vrun(s, fmt, ap);
    va_end(ap);
    long long v = r != NULL && r->type == REDIS_REPLY_INTEGER ? r->integer : -1;
    if (r) freeReplyObject(r);
    return v;
}

char *redis_test_str(redis_test_server *s, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    redisReply *r = vrun(s, fmt, ap);
    va_end(ap);
    char *v = NULL;
    if (r != NULL && (r->type == REDIS_REPLY_STRING || r->type == REDIS_REPLY_STATUS ||
                      r->type == REDIS_REPLY_ERROR))
        v = strndup(r->str, r->len);
    if (r) freeReplyObject(r);
    return v;
}
