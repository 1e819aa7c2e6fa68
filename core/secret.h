/* core/secret.h - randomness and constant-time comparison */
#ifndef CORE_SECRET_H
#define CORE_SECRET_H

#include <stddef.h>
#include <stdint.h>

/** Fill from the OpenSSL CSPRNG; aborts if it fails (never weak bytes). */
void core_random(void *buf, size_t n);

/** Constant-time equality of two buffers of possibly different length. */
int core_secret_eq(const void *a, size_t alen, const void *b, size_t blen)
    __attribute__((warn_unused_result));

/** Wipe then free. NULL is a no-op. */
void core_secret_free(void *p, size_t n);

/** SHA-256 of data as 64 lowercase hex chars into out[65]. */
void core_sha256_hex(const void *data, size_t n, char out[65]);

#endif /* CORE_SECRET_H */
