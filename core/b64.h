/* core/b64.h - base64 (RFC 4648 §4) and base64url (§5) */
#ifndef CORE_B64_H
#define CORE_B64_H

#include <stddef.h>
#include <stdint.h>

/** Max decoded size of n encoded chars (for bounds checks before allocating). */
#define CORE_B64_DECODED_MAX(n) (((n) / 4 + 1) * 3)
#define CORE_B64_ENCODED_LEN(n) ((((n) + 2) / 3) * 4)

/**
 * Decode base64url without padding (JWS, RFC 7515 §2). Strict: rejects
 * '=', '+', '/', whitespace and non-zero trailing bits.
 * Returns a malloc'd buffer (NUL-terminated for convenience) and its length
 * in *outlen, or NULL on bad input.
 */
uint8_t *core_b64url_decode(const char *in, size_t inlen, size_t *outlen);

/** Encode as base64url without padding; malloc'd, NUL-terminated. */
char *core_b64url_encode(const uint8_t *in, size_t inlen);

/** Standard base64 with padding; decode tolerates no whitespace. */
uint8_t *core_b64_decode(const char *in, size_t inlen, size_t *outlen);
char *core_b64_encode(const uint8_t *in, size_t inlen);

#endif /* CORE_B64_H */
