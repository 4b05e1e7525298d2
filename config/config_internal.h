/*
 * config_internal.h - helpers shared by the files of config/ (prefix
 * config__); nothing outside config/ includes this.
 */
#ifndef CONFIG_INTERNAL_H
#define CONFIG_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include "config/config.h"

/* Largest config file (or string) config_load_* accepts. */
#define CONFIG__MAX_FILE_SIZE ((size_t)CONFIG_MAX_FILE_SIZE)

/* Writes ms as the shortest exact duration ("15m", "1500ms", "0s") into
 * out (at least 32 bytes). */
void config__format_duration(uint64_t ms, char out[32]);

/* Writes bytes in the largest unit that divides it exactly, binary or
 * decimal ("1GiB", "1536KiB", "1TB", "100") into out (at least 32 bytes). */
void config__format_size(uint64_t bytes, char out[32]);

/* (issue 15) 1 when s is a valid cluster.node: 1..CONFIG_NODE_NAME_MAX bytes of
 * [A-Za-z0-9._-], not starting with '.' or '-'. */
int config__node_name_ok(const char *s);

#endif
