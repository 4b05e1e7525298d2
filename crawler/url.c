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
    /* A resolved URL is its own resolution (one URL, one identity): libcurl
     * 7.88 normalises some parts only on the next parse - a host it
     * percent-decoded to a number ("%380" -> "80") becomes an IPv4 address
     * ("0.0.0.80") then - so the result is parsed again until it stays the
     * same (a fuzz finding; twice is as far as any input went). */
    for (int pass = 0; pass < 3; pass++) {
        char *again = NULL;
        if (curl_url_set(u, CURLUPART_URL, s, 0) != CURLUE_OK ||
            curl_url_get(u, CURLUPART_URL, &again, 0) != CURLUE_OK) {
            curl_free(again);
            goto out; /* not a URL once written out */
        }
        int same = strcmp(again, s) == 0;
        curl_free(s);
        s = again;
        if (same) break;
    }
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
