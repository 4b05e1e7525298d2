/* demo_http.c - see demo_http.h. */
#include "demo/demo_http.h"

#include "common/fa_err.h"

#include <curl/curl.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

static size_t on_data(char *p, size_t size, size_t n, void *ud)
{
    return fa_buf_append(ud, p, size * n) < 0 ? 0 : size * n;
}

int demo_http_get(const char *url, const char *const *req_headers, int head, demo_http *r)
{
    memset(r, 0, sizeof *r);
    fa_buf_init(&r->headers, 1 << 20);
    fa_buf_init(&r->body, 64 << 20);
    CURL *c = curl_easy_init();
    struct curl_slist *hl = NULL;
    for (size_t i = 0; req_headers && req_headers[i]; i++)
        hl = curl_slist_append(hl, req_headers[i]);
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, hl);
    curl_easy_setopt(c, CURLOPT_USERAGENT, "demo-test/1.0");
    curl_easy_setopt(c, CURLOPT_NOBODY, head ? 1L : 0L);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_data);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, &r->body);
    curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_data);
    curl_easy_setopt(c, CURLOPT_HEADERDATA, &r->headers);
    curl_easy_setopt(c, CURLOPT_TIMEOUT, 20L);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_NOPROXY, "*");
    CURLcode cc = curl_easy_perform(c);
    if (cc != CURLE_OK) fprintf(stderr, "GET %s: %s\n", url, curl_easy_strerror(cc));
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &r->status);
    curl_easy_getinfo(c, CURLINFO_TOTAL_TIME, &r->seconds);
    curl_slist_free_all(hl);
    curl_easy_cleanup(c);
    if (r->body.data == NULL) fa_buf_puts(&r->body, "");
    if (r->headers.data == NULL) fa_buf_puts(&r->headers, "");
    return cc == CURLE_OK ? 0 : FA_EFETCH;
}

int demo_http_header(const demo_http *r, const char *name, char *out, size_t outlen)
{
    size_t nl = strlen(name);
    const char *p = r->headers.data;
    while (p && *p) {
        const char *eol = strchr(p, '\n');
        if (strncasecmp(p, name, nl) == 0 && p[nl] == ':') {
            const char *v = p + nl + 1;
            while (*v == ' ')
                v++;
            size_t n = (size_t)((eol ? eol : v + strlen(v)) - v);
            while (n && (v[n - 1] == '\r' || v[n - 1] == ' '))
                n--;
            snprintf(out, outlen, "%.*s", (int)n, v);
            return 0;
        }
        p = eol ? eol + 1 : NULL;
    }
    return -1;
}

void demo_http_free(demo_http *r)
{
    fa_buf_free(&r->headers);
    fa_buf_free(&r->body);
}
