/* url.c - URL resolution and host keys over libcurl's CURLU; see url.h. */
#include "crawler/url.h"
#include "common/fa_err.h"
#include "common/fa_limits.h"

#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static int scheme_ok(CURLU *u)
{
    char *scheme = NULL;
    int ok = curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) == CURLUE_OK &&
             (strcasecmp(scheme, "http") == 0 || strcasecmp(scheme, "https") == 0);
    curl_free(scheme);
    return ok;
}

int url_resolve(const char *base, const char *ref, char **out)
{
    int rc = FA_EINVAL;
    char *s = NULL;
    CURLU *u = curl_url();
    if (u == NULL)
        return FA_ENOMEM;
    if (base && curl_url_set(u, CURLUPART_URL, base, 0) != CURLUE_OK)
        goto out;
    /* RFC 3986 5.2.2: an empty reference or a fragment alone names the base
     * document itself; libcurl 7.88 resolves both to the base's folder. */
    if (base && (ref[0] == '\0' || ref[0] == '#'))
        ref = base;
    if (curl_url_set(u, CURLUPART_URL, ref, 0) != CURLUE_OK)
        goto out;
    if (!scheme_ok(u))
        goto out;
    /* No fragment: it is never sent to the server. */
    curl_url_set(u, CURLUPART_FRAGMENT, NULL, 0);
    if (curl_url_get(u, CURLUPART_URL, &s, 0) != CURLUE_OK)
        goto out;
    if (strlen(s) >= FA_URL_MAX) {
        rc = FA_ETOOBIG;
        goto out;
    }
    *out = strdup(s);
    rc = *out ? 0 : FA_ENOMEM;
out:
    curl_free(s);
    curl_url_cleanup(u);
    return rc;
}

int url_host_key(const char *url, char *out, size_t outlen)
{
    int rc = FA_EINVAL;
    char *scheme = NULL, *host = NULL, *port = NULL;
    CURLU *u = curl_url();
    if (u == NULL)
        return FA_ENOMEM;
    if (curl_url_set(u, CURLUPART_URL, url, 0) != CURLUE_OK || !scheme_ok(u))
        goto out;
    if (curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) != CURLUE_OK ||
        curl_url_get(u, CURLUPART_HOST, &host, 0) != CURLUE_OK ||
        curl_url_get(u, CURLUPART_PORT, &port, CURLU_DEFAULT_PORT) != CURLUE_OK)
        goto out;
    for (char *p = host; *p; p++)
        if (*p >= 'A' && *p <= 'Z')
            *p = (char)(*p - 'A' + 'a');
    int n = snprintf(out, outlen, "%s://%s:%s", scheme, host, port);
    rc = (n > 0 && (size_t)n < outlen) ? 0 : FA_EINVAL;
out:
    curl_free(scheme);
    curl_free(host);
    curl_free(port);
    curl_url_cleanup(u);
    return rc;
}
