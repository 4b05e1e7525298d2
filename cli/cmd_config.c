/*
 * cmd_config.c - `feedarc config check FILE`: validate a config and print
 * the effective config (every default filled in, paths absolute) as YAML,
 * or every error as "file:line: path: what" on stderr.
 *
 * Exit status: 0 valid (the YAML on stdout); 78 (EX_CONFIG) invalid or
 * unreadable; 64 bad usage; 70 the config cannot be written back.
 */
#include "cli/cli.h"
#include "common/fa_err.h"
#include "config/config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int config_check(const char *path, int quiet)
{
    config *cfg = NULL;
    char *errors = NULL, *yaml = NULL;
    int code = 0;
    if (config_load_file(path, &cfg, &errors) < 0) {
        fprintf(stderr, "%s", errors ? errors : "invalid config\n");
        free(errors);
        return EXIT_CONFIG;
    }
    if (!quiet) {
        int rc = config_dump(cfg, &yaml);
        if (rc < 0) {
            fprintf(stderr, "feedarc: %s: cannot write the effective config: %s\n", path,
                    fa_strerror(rc));
            code = EXIT_SOFTWARE;
        } else if (fputs(yaml, stdout) == EOF || fflush(stdout) != 0) {
            perror("feedarc: stdout");
            code = EXIT_IOERR;
        }
    }
    free(yaml);
    config_free(cfg);
    return code;
}

int cmd_config(int argc, char **argv)
{
    /* argv[0] = "config", argv[1] = the action */
    int quiet = 0;
    const char *path = NULL;
    if (argc < 2 || strcmp(argv[1], "check") != 0) {
        fprintf(stderr, "usage: feedarc config check [-q] FILE (see feedarc help config)\n");
        return EXIT_USAGE;
    }
    for (int i = 2; i < argc; i++) {
        if (strcmp(argv[i], "-q") == 0 || strcmp(argv[i], "--quiet") == 0) {
            quiet = 1;
        } else if (path == NULL && argv[i][0] != '-') {
            path = argv[i];
        } else {
            fprintf(stderr, "feedarc config check: unexpected argument '%s'\n", argv[i]);
            return EXIT_USAGE;
        }
    }
    if (path == NULL) {
        fprintf(stderr, "usage: feedarc config check [-q] FILE (see feedarc help config)\n");
        return EXIT_USAGE;
    }
    return config_check(path, quiet);
}
