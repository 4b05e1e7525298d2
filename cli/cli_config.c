/* cli_config.c - the config as once, serve and status load it (cli.h). */
#include "cli/cli.h"
#include "crawler/source_list.h"

#include <stdlib.h>
#include <string.h>

config *cli_load_config(const char *path, char **errors)
{
    config *cfg = NULL;
    *errors = NULL;
    if (config_load_file(path, &cfg, errors) < 0) {
        if (*errors == NULL) *errors = strdup("invalid config\n");
        return NULL;
    }
    if (source_list_expand_opml(cfg, errors) < 0) {
        if (*errors == NULL) *errors = strdup("cannot read an OPML file of the config\n");
        config_free(cfg);
        return NULL;
    }
    return cfg;
}
