/* fa_digest.c - SHA-1 via OpenSSL EVP, base32, UUIDs; see fa_digest.h. */
#include "common/fa_digest.h"

#include <openssl/evp.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

struct fa_sha1 {
    EVP_MD_CTX *ctx;
};

/* OpenSSL 3 looks the algorithm up in its provider store (a lock and a
 * search) on every init given EVP_sha1(); an algorithm fetched once is
 * used as it is (0.9% of a crawl's CPU went to those lookups).  Kept for
 * the process's life. */
static const EVP_MD *sha1_md;
static pthread_once_t sha1_once = PTHREAD_ONCE_INIT;

static void sha1_fetch(void)
{
#if OPENSSL_VERSION_NUMBER >= 0x30000000L
    sha1_md = EVP_MD_fetch(NULL, "SHA1", NULL);
#endif
    if (sha1_md == NULL) sha1_md = EVP_sha1();
}

static const EVP_MD *sha1(void)
{
    pthread_once(&sha1_once, sha1_fetch);
    return sha1_md;
}

fa_sha1 *fa_sha1_new(void)
{
    fa_sha1 *s = calloc(1, sizeof *s);
    if (s == NULL)
        return NULL;
    s->ctx = EVP_MD_CTX_new();
    if (s->ctx == NULL || EVP_DigestInit_ex(s->ctx, sha1(), NULL) != 1) {
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
    EVP_DigestInit_ex(s->ctx, sha1(), NULL);
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
    EVP_Digest(data, len, out, &n, sha1(), NULL);
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

/* The random bytes of record ids come from getrandom 512 bytes (32 ids)
 * at a time, per thread: one system call per record was 16,500 calls in
 * the bench's first run (a system call costs ~1.5 us on the VMs the
 * benchmarks run on).  A forked child starts with an empty buffer, so it
 * never repeats its parent's ids. */
static _Thread_local struct {
    uint8_t b[512];
    size_t pos; /* next unused byte; sizeof b = empty */
    int init;
} uuid_pool;
static pthread_once_t uuid_once = PTHREAD_ONCE_INIT;

static void uuid_pool_forget(void)
{
    uuid_pool.pos = sizeof uuid_pool.b; /* in the child: its only thread */
}

static void uuid_atfork(void)
{
    (void)pthread_atfork(NULL, NULL, uuid_pool_forget);
}

static void uuid_random(uint8_t u[16])
{
    if (!uuid_pool.init) {
        pthread_once(&uuid_once, uuid_atfork);
        uuid_pool.pos = sizeof uuid_pool.b;
        uuid_pool.init = 1;
    }
    if (uuid_pool.pos + 16 > sizeof uuid_pool.b) {
        size_t got = 0;
        while (got < sizeof uuid_pool.b) {
            ssize_t n = getrandom(uuid_pool.b + got, sizeof uuid_pool.b - got, 0);
            if (n > 0) got += (size_t)n;
        }
        uuid_pool.pos = 0;
    }
    memcpy(u, uuid_pool.b + uuid_pool.pos, 16);
    memset(uuid_pool.b + uuid_pool.pos, 0, 16); /* used once */
    uuid_pool.pos += 16;
}

void fa_uuid_urn(char out[48])
{
    static const char hex[] = "0123456789abcdef";
    uint8_t u[16];
    uuid_random(u);
    u[6] = (uint8_t)((u[6] & 0x0f) | 0x40);
    u[8] = (uint8_t)((u[8] & 0x3f) | 0x80);
    char *o = out;
    memcpy(o, "<urn:uuid:", 10);
    o += 10;
    for (int i = 0; i < 16; i++) {
        if (i == 4 || i == 6 || i == 8 || i == 10) *o++ = '-';
        *o++ = hex[u[i] >> 4];
        *o++ = hex[u[i] & 15];
    }
    *o++ = '>';
    *o = '\0';
}
