/*
 * redis_test_util.h - a real redis-server for a test: started on a random
 * loopback port with its own temporary folder, stopped (and the folder
 * removed) at the end.  Tests that need it exit 77 (skipped) with the
 * reason when redis-server is not installed (Debian: redis-server, listed
 * in deploy/debian-packages.txt).
 */
#ifndef REDIS_TEST_UTIL_H
#define REDIS_TEST_UTIL_H

#include <sys/types.h>

typedef struct redis_test_server {
    pid_t pid; /* 0 when not running */
    int port;
    char dir[256];     /* mkdtemp'd; redis.log and any dump live here */
    char url[128];     /* "redis://127.0.0.1:PORT/0" */
    char password[64]; /* requirepass, "" = none */
    int appendonly;    /* redis_test_start_aof: AOF, fsync'd at every write */
} redis_test_server;

/* The redis-server binary found in PATH, or NULL. */
const char *redis_test_binary(void);

/* Exits 77 with a message when redis-server is not installed. */
void redis_test_require(void);

/* Starts a server (requirepass password unless NULL/"") and waits until it
 * answers PING.  Returns 0 or -1 (message on stderr). */
int redis_test_start(redis_test_server *s, const char *password);

/* The same with appendonly yes (appendfsync always) when appendonly is
 * non-zero: what it holds survives redis_test_halt + redis_test_restart. */
int redis_test_start_aof(redis_test_server *s, const char *password, int appendonly);

/* Stops it (SIGTERM, then SIGKILL after 5 s) but keeps the folder and
 * port, so redis_test_restart brings it back where it was. */
void redis_test_halt(redis_test_server *s);
int redis_test_restart(redis_test_server *s);

/* SIGSTOP / SIGCONT: a Redis that stops answering without closing. */
void redis_test_freeze(redis_test_server *s);
void redis_test_thaw(redis_test_server *s);

/* Stops it and removes its folder. */
void redis_test_stop(redis_test_server *s);

/* Runs one command on a fresh blocking connection and returns the reply as
 * an integer (integer replies) or -1; for checks. */
long long redis_test_int(redis_test_server *s, const char *fmt, ...);

/* As redis_test_int, the reply as a malloc'd string (string, status or
 * error replies), or NULL. */
char *redis_test_str(redis_test_server *s, const char *fmt, ...);

#endif
