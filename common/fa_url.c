/* fa_url.c - see fa_url.h. */
#include "common/fa_url.h"

#include <strings.h>

size_t fa_url_http_prefix(const char *url, int *https)
{
    size_t n = 0;
    int s = 0;
    if (url == NULL)
        n = 0;
    else if (strncasecmp(url, "http://", 7) == 0)
        n = 7;
    else if (strncasecmp(url, "https://", 8) == 0)
        n = 8, s = 1;
    if (https) *https = s;
    return n;
}
