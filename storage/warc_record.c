/* warc_record.c - HTTP/WARC syntax shared by writer and reader; see
 * warc_record.h for the rules. */
#include "storage/warc_record.h"

#include <ctype.h>
#include <string.h>
#include <strings.h>

size_t warc__http_head_len(const void *msg, size_t len)
{
    const char *p = msg;
    /* memchr-driven: each '\n' is a candidate end of an empty line. */
    const char *q = p, *end = p + len;
    while (q < end) {
        const char *nl = memchr(q, '\n', (size_t)(end - q));
        if (nl == NULL || nl + 1 >= end) return 0;
        if (nl[1] == '\n') return (size_t)(nl + 2 - p);
        if (nl[1] == '\r' && nl + 2 < end && nl[2] == '\n') return (size_t)(nl + 3 - p);
        q = nl + 1;
    }
    return 0;
}

static int token_in(const char *v, size_t n, const char *tok)
{
    size_t tl = strlen(tok);
    for (size_t i = 0; i + tl <= n; i++) {
        if (strncasecmp(v + i, tok, tl) != 0) continue;
        int left_ok = i == 0 || v[i - 1] == ' ' || v[i - 1] == ',' || v[i - 1] == '\t';
        int right_ok = i + tl == n || v[i + tl] == ' ' || v[i + tl] == ',' || v[i + tl] == '\t' ||
                       v[i + tl] == '\r' || v[i + tl] == ';';
        if (left_ok && right_ok) return 1;
    }
    return 0;
}

int warc__http_is_chunked(const void *head, size_t head_len)
{
    static const char name[] = "transfer-encoding:";
    const size_t nl = sizeof name - 1;
    const char *p = head, *end = p + head_len;
    /* Skip the start line, then look at each header line. */
    const char *line = memchr(p, '\n', head_len);
    while (line != NULL && line + 1 < end) {
        line++;
        const char *eol = memchr(line, '\n', (size_t)(end - line));
        size_t n = eol ? (size_t)(eol - line) : (size_t)(end - line);
        if (n > nl && strncasecmp(line, name, nl) == 0 && token_in(line + nl, n - nl, "chunked"))
            return 1;
        line = eol;
    }
    return 0;
}

int warc__value_ok(const char *s, size_t max_len)
{
    size_t i = 0;
    for (; s[i]; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c < 0x20 || c == 0x7f || i >= max_len) return 0;
    }
    return 1;
}

static int hexnib(int c)
{
    if (c >= '0' && c <= '9') return c - '0';
    c = tolower(c);
    return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

int warc__digest_matches(const char *stored, const uint8_t digest[20])
{
    while (*stored == ' ' || *stored == '\t')
        stored++;
    if (strncasecmp(stored, "sha1:", 5) != 0 && strncasecmp(stored, "sha-1:", 6) != 0) return -1;
    const char *v = strchr(stored, ':') + 1;
    size_t n = strlen(v);
    while (n && (v[n - 1] == ' ' || v[n - 1] == '\t'))
        n--;
    if (n == 40) { /* base16, as some tools write it */
        for (size_t i = 0; i < 20; i++) {
            int hi = hexnib((unsigned char)v[2 * i]), lo = hexnib((unsigned char)v[2 * i + 1]);
            if (hi < 0 || lo < 0 || (uint8_t)(hi << 4 | lo) != digest[i]) return 0;
        }
        return 1;
    }
    char b32[40];
    fa_base32_encode(digest, 20, b32);
    return n == 32 && strncasecmp(v, b32, 32) == 0;
}
