/* core/b64.c - strict base64 and base64url (RFC 4648) */
#include "core/b64.h"

#include <stdlib.h>
#include <string.h>

#include "core/mem.h"
#include "core/secret.h"

static const char std_alpha[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
static const char url_alpha[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

static int
b64_value(unsigned char c, int url)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == (url ? '-' : '+'))
		return 62;
	if (c == (url ? '_' : '/'))
		return 63;
	return -1;
}

/*
 * Decode n symbols (no padding). A final group of 1 symbol is impossible;
 * unused trailing bits must be zero (RFC 4648 §3.5), so one encoded form
 * maps to one byte string and tokens cannot be malleated.
 */
static uint8_t *
b64_decode_core(const char *in, size_t n, int url, size_t *outlen)
{
	uint8_t *out;
	uint32_t acc = 0;
	size_t i, o = 0;
	int bits = 0;

	if (n % 4 == 1)
		return NULL;
	out = core_xmalloc(n / 4 * 3 + 3 + 1);
	for (i = 0; i < n; i++) {
		int v = b64_value((unsigned char)in[i], url);

		if (v < 0) {
			/* Decoded bytes may be key material: wipe them. */
			core_secret_free(out, n / 4 * 3 + 3 + 1);
			return NULL;
		}
		acc = (acc << 6) | (uint32_t)v;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			out[o++] = (uint8_t)(acc >> bits);
			acc &= (1u << bits) - 1;
		}
	}
	if (acc != 0) {
		core_secret_free(out, n / 4 * 3 + 3 + 1);
		return NULL;
	}
	out[o] = '\0';
	*outlen = o;
	return out;
}

uint8_t *
core_b64url_decode(const char *in, size_t inlen, size_t *outlen)
{
	return b64_decode_core(in, inlen, 1, outlen);
}

uint8_t *
core_b64_decode(const char *in, size_t inlen, size_t *outlen)
{
	size_t pad = 0;

	if (inlen % 4 != 0)
		return NULL;
	while (pad < 2 && inlen > pad && in[inlen - 1 - pad] == '=')
		pad++;
	return b64_decode_core(in, inlen - pad, 0, outlen);
}

static char *
b64_encode_core(const uint8_t *in, size_t n, const char *alpha, int pad)
{
	char *out = core_xmalloc(CORE_B64_ENCODED_LEN(n) + 1);
	size_t i, o = 0;

	for (i = 0; i + 2 < n; i += 3) {
		uint32_t v = (uint32_t)in[i] << 16 | (uint32_t)in[i + 1] << 8 |
			     in[i + 2];
		out[o++] = alpha[v >> 18];
		out[o++] = alpha[(v >> 12) & 63];
		out[o++] = alpha[(v >> 6) & 63];
		out[o++] = alpha[v & 63];
	}
	if (i < n) {
		uint32_t v = (uint32_t)in[i] << 16;

		if (i + 1 < n)
			v |= (uint32_t)in[i + 1] << 8;
		out[o++] = alpha[v >> 18];
		out[o++] = alpha[(v >> 12) & 63];
		if (i + 1 < n)
			out[o++] = alpha[(v >> 6) & 63];
		else if (pad)
			out[o++] = '=';
		if (pad)
			out[o++] = '=';
	}
	out[o] = '\0';
	return out;
}

char *
core_b64url_encode(const uint8_t *in, size_t inlen)
{
	return b64_encode_core(in, inlen, url_alpha, 0);
}

char *
core_b64_encode(const uint8_t *in, size_t inlen)
{
	return b64_encode_core(in, inlen, std_alpha, 1);
}
