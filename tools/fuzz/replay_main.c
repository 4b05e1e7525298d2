/*
 * replay_main.c - the main() that turns a libFuzzer target into a replay
 * program: every file named on the command line, and every regular file of
 * every folder named (one level, in name order), is passed once to
 * LLVMFuzzerTestOneInput.  Built with the project's normal compiler (gcc),
 * without libFuzzer, so the suite replays every corpus and regression case
 * in the normal build and under ASan + UBSan (see tools/fuzz/CMakeLists.txt).
 *
 * An input that takes longer than FUZZ_REPLAY_TIMEOUT seconds (default 20)
 * is a hang: its name is printed and the program exits 1.  A crash is left
 * to the sanitizers (or the signal); each file's name is printed before it
 * runs, so the last name printed is the input that crashed.
 */
#include <dirent.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char current[4096];

static void on_alarm(int sig)
{
    static const char msg[] = "replay: HANG (timeout) on ";
    (void)sig;
    /* async-signal-safe: write(2) only */
    if (write(2, msg, sizeof msg - 1) < 0 || write(2, current, strlen(current)) < 0 ||
        write(2, "\n", 1) < 0) {
    }
    _exit(1);
}

static int cmp_names(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Runs one file; returns 0, or -1 when it cannot be read. */
static int run_file(const char *path, unsigned timeout_s)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL) {
        fprintf(stderr, "replay: cannot open %s\n", path);
        return -1;
    }
    size_t cap = 4096, len = 0;
    uint8_t *buf = malloc(cap);
    for (;;) {
        if (buf == NULL) break;
        if (len == cap) {
            uint8_t *n = realloc(buf, cap * 2);
            if (n == NULL) {
                free(buf);
                buf = NULL;
                break;
            }
            buf = n;
            cap *= 2;
        }
        size_t got = fread(buf + len, 1, cap - len, f);
        if (got == 0) break;
        len += got;
    }
    int bad = buf == NULL || ferror(f);
    fclose(f);
    if (bad) {
        free(buf);
        fprintf(stderr, "replay: cannot read %s\n", path);
        return -1;
    }
    snprintf(current, sizeof current, "%s", path);
    fprintf(stderr, "replay: %s (%zu bytes)\n", path, len);
    /* an exact-size copy, so ASan sees reads past the end of the input */
    uint8_t *copy = malloc(len ? len : 1);
    if (copy == NULL) {
        free(buf);
        return -1;
    }
    if (len) memcpy(copy, buf, len);
    free(buf);
    alarm(timeout_s);
    LLVMFuzzerTestOneInput(copy, len);
    alarm(0);
    free(copy);
    return 0;
}

int main(int argc, char **argv)
{
    const char *t = getenv("FUZZ_REPLAY_TIMEOUT");
    unsigned long tv = t ? strtoul(t, NULL, 10) : 0;
    unsigned timeout_s = tv > 0 && tv < 86400 ? (unsigned)tv : 20;
    signal(SIGALRM, on_alarm);
    unsigned files = 0;
    int status = 0;
    for (int i = 1; i < argc; i++) {
        struct stat st;
        if (stat(argv[i], &st) < 0) { /* a harness without regression cases yet */
            fprintf(stderr, "replay: %s: none (no such file or folder)\n", argv[i]);
            continue;
        }
        if (!S_ISDIR(st.st_mode)) {
            if (run_file(argv[i], timeout_s) < 0) status = 1;
            files++;
            continue;
        }
        DIR *d = opendir(argv[i]);
        if (d == NULL) {
            fprintf(stderr, "replay: cannot open folder %s\n", argv[i]);
            status = 1;
            continue;
        }
        char **names = NULL;
        size_t n = 0, cap = 0;
        struct dirent *e;
        while ((e = readdir(d)) != NULL) {
            if (e->d_name[0] == '.' || strcmp(e->d_name, "README.md") == 0) continue;
            if (n == cap) {
                cap = cap ? cap * 2 : 64;
                char **nn = realloc(names, cap * sizeof *names);
                if (nn == NULL) abort();
                names = nn;
            }
            size_t l = strlen(argv[i]) + strlen(e->d_name) + 2;
            names[n] = malloc(l);
            if (names[n] == NULL) abort();
            snprintf(names[n], l, "%s/%s", argv[i], e->d_name);
            n++;
        }
        closedir(d);
        if (n > 1) qsort(names, n, sizeof *names, cmp_names);
        for (size_t k = 0; k < n; k++) {
            if (stat(names[k], &st) == 0 && S_ISREG(st.st_mode)) {
                if (run_file(names[k], timeout_s) < 0) status = 1;
                files++;
            }
            free(names[k]);
        }
        free(names);
    }
    printf("replay: %u inputs run\n", files);
    return status;
}
