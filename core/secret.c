/* core/secret.c - CSPRNG, constant-time comparison, hashing */
#include "core/secret.h"

#include <stdio.h>
#include <stdlib.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

void
core_random(void *buf, size_t n)
{
	/* Never continue with weak randomness: keys and nonces depend on it. */
	if (n > 0 && RAND_bytes(buf, (int)n) != 1) {
		fprintf(stderr, "fedgate: RAND_bytes failed\n");
		abort();
	}
}

int
core_secret_eq(const void *a, size_t alen, const void *b, size_t blen)
{
	/* Length is not secret here (fixed-size secrets); content is. */
	if (alen != blen)
		return 0;
	return CRYPTO_memcmp(a, b, alen) == 0;
}

void
core_secret_free(void *p, size_t n)
{
	if (p == NULL)
		return;
	OPENSSL_cleanse(p, n);
	free(p);
}

void
core_sha256_hex(const void *data, size_t n, char out[65])
{
	static const char hex[] = "0123456789abcdef";
	unsigned char md[32];
	unsigned int mdlen = 0;
	int i;

	if (EVP_Digest(data, n, md, &mdlen, EVP_sha256(), NULL) != 1 ||
	    mdlen != 32)
		abort();
	for (i = 0; i < 32; i++) {
		out[2 * i] = hex[md[i] >> 4];
		out[2 * i + 1] = hex[md[i] & 15];
	}
	out[64] = '\0';
}
