/* fa_digest.c - SHA-1 via OpenSSL EVP, base32, UUIDs; see fa_digest.h. */
#include "common/fa_digest.h"

#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

struct fa_sha1 {
    EVP_MD_CTX *ctx;
};

fa_sha1 *fa_sha1_new(void)
{
    fa_sha1 *s = calloc(1, sizeof *s);
    if (s == NULL)
        return NULL;
    s->ctx = EVP_MD_CTX_new();
    if (s->ctx == NULL || EVP_DigestInit_ex(s->ctx, EVP_sha1(), NULL) != 1) {
        fa_sha1_free(s);
        return NULL;
    }
    return s;
}

void fa_sha1_update(fa_sha1 *s, const void *data, size_t len)
{
    if (len)
        EVP_DigestUpdate(s->ctx, data, len);
}

void fa_sha1_final(fa_sha1 *s, uint8_t out[20])
{
    unsigned int n = 20;
    EVP_DigestFinal_ex(s->ctx, out, &n);
    EVP_DigestInit_ex(s->ctx, EVP_sha1(), NULL);
}

void fa_sha1_free(fa_sha1 *s)
{
    if (s == NULL)
        return;
    EVP_MD_CTX_free(s->ctx);
    free(s);
}

void fa_sha1_oneshot(const void *data, size_t len, uint8_t out[20])
{
    unsigned int n = 20;
    EVP_Digest(data, len, out, &n, EVP_sha1(), NULL);
}

size_t fa_base32_encode(const uint8_t *data, size_t len, char *out)
{
    static const char alpha[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
    size_t o = 0;
    uint32_t acc = 0;
    int bits = 0;
    for (size_t i = 0; i < len; i++) {
        acc = (acc << 8) | data[i];
        bits += 8;
        while (bits >= 5) {
            out[o++] = alpha[(acc >> (bits - 5)) & 31];
            bits -= 5;
        }
    }
    if (bits > 0)
        out[o++] = alpha[(acc << (5 - bits)) & 31];
    while (o % 8)
        out[o++] = '=';
    out[o] = '\0';
    return o;
}

void fa_sha1_label(const uint8_t digest[20], char out[38])
{
    memcpy(out, "sha1:", 5);
    fa_base32_encode(digest, 20, out + 5);
}

void fa_uuid_urn(char out[48])
{
    uint8_t u[16];
    size_t got = 0;
    while (got < sizeof u) {
        ssize_t n = getrandom(u + got, sizeof u - got, 0);
        if (n > 0)
            got += (size_t)n;
    }
    u[6] = (uint8_t)((u[6] & 0x0f) | 0x40);
    u[8] = (uint8_t)((u[8] & 0x3f) | 0x80);
    snprintf(out, 48,
             "<urn:uuid:%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x>",
             u[0], u[1], u[2], u[3], u[4], u[5], u[6], u[7], u[8], u[9], u[10], u[11], u[12],
             u[13], u[14], u[15]);
}
