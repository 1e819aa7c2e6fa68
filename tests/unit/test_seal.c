/* tests/unit/test_seal.c - key ring, AES-256-GCM sealing, session tokens */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <sys/types.h>
#include <sys/stat.h>

#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/b64.h"
#include "core/err.h"
#include "core/seal.h"
#include "core/timeutil.h"
#include "federation/mint.h"

#define AAD "test-purpose-v1"
#define MINT_AAD "fedgate-session-v1"
#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

struct fixture {
	char dir[64];
	struct core_keyring *kr;
};

static int
rm_cb(const char *p, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(p);
}

static int
setup(void **state)
{
	struct fixture *fx = calloc(1, sizeof(*fx));
	struct core_err err = {0};

	assert_non_null(fx);
	strcpy(fx->dir, "/tmp/fedgate-test-seal-XXXXXX");
	assert_non_null(mkdtemp(fx->dir));
	fx->kr = core_keyring_load_or_create(fx->dir, &err);
	if (fx->kr == NULL)
		fail_msg("load_or_create: %s", err.msg);
	*state = fx;
	return 0;
}

static int
teardown(void **state)
{
	struct fixture *fx = *state;

	core_keyring_free(fx->kr);
	nftw(fx->dir, rm_cb, 8, FTW_DEPTH | FTW_PHYS);
	free(fx);
	return 0;
}

static char *
path_in(const struct fixture *fx, const char *name)
{
	static char buf[256];

	snprintf(buf, sizeof(buf), "%s/%s", fx->dir, name);
	return buf;
}

static void
write_file(const char *path, const char *data, mode_t mode)
{
	int fd;

	unlink(path);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, mode);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, data, strlen(data)), (ssize_t)strlen(data));
	assert_int_equal(fchmod(fd, mode), 0);
	close(fd);
}

static struct core_keyring *
reload(struct fixture *fx)
{
	struct core_err err = {0};

	core_keyring_free(fx->kr);
	fx->kr = core_keyring_load(fx->dir, &err);
	if (fx->kr == NULL)
		fail_msg("load: %s", err.msg);
	return fx->kr;
}

/* The key id a blob names, as hex, from its header. */
static void
blob_key_id(const char *blob, char out[9])
{
	uint8_t *raw;
	size_t n = 0;

	raw = core_b64url_decode(blob, strlen(blob), &n);
	assert_non_null(raw);
	assert_true(n >= 33);
	snprintf(out, 9, "%02x%02x%02x%02x", raw[1], raw[2], raw[3], raw[4]);
	free(raw);
}

static void
expect_open(const struct core_keyring *kr, const char *aad, const char *blob,
	    const char *want, const char *name)
{
	size_t n = 0;
	uint8_t *pt = core_unseal(kr, aad, blob, strlen(blob), &n);

	if (pt == NULL)
		fail_msg("%s: unseal failed", name);
	if (n != strlen(want) || memcmp(pt, want, n) != 0)
		fail_msg("%s: wrong plaintext", name);
	free(pt);
}

static void
expect_refused(const struct core_keyring *kr, const char *aad, const char *blob,
	       size_t len, const char *name)
{
	size_t n = 12345;
	uint8_t *pt = core_unseal(kr, aad, blob, len, &n);

	if (pt != NULL) {
		free(pt);
		fail_msg("%s: unseal accepted a bad blob", name);
	}
	if (n != 12345)
		fail_msg("%s: *ptlen written on failure", name);
}

/* ---- sealing ---- */

static void
test_roundtrip(void **state)
{
	struct fixture *fx = *state;
	static const size_t lens[] = {0, 1, 15, 16, 17, 100, 4096};
	uint8_t buf[4096];
	size_t i, n;

	for (i = 0; i < sizeof(buf); i++)
		buf[i] = (uint8_t)(i * 7); /* includes NUL bytes */
	for (i = 0; i < NELEM(lens); i++) {
		char *a = core_seal(fx->kr, AAD, buf, lens[i]);
		char *b = core_seal(fx->kr, AAD, buf, lens[i]);
		uint8_t *pt;

		assert_non_null(a);
		assert_non_null(b);
		if (strcmp(a, b) == 0)
			fail_msg(
			    "len %zu: two seals are identical (nonce reuse)",
			    lens[i]);
		if (strspn(
			a,
			"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
			"0123456789-_") != strlen(a))
			fail_msg("len %zu: not base64url", lens[i]);
		pt = core_unseal(fx->kr, AAD, a, strlen(a), &n);
		assert_non_null(pt);
		assert_int_equal(n, lens[i]);
		assert_memory_equal(pt, buf, lens[i]);
		assert_int_equal(pt[n], 0);
		free(pt);
		free(a);
		free(b);
	}
}

/* Flip one bit in each region of the blob: every change must be caught. */
static void
test_tamper_regions(void **state)
{
	struct fixture *fx = *state;
	static const struct {
		const char *name;
		long off; /* negative: from the end */
	} cases[] = {
	    {"version", 0},	    {"key id first", 1},
	    {"key id last", 4},	    {"nonce first", 5},
	    {"nonce last", 16},	    {"ciphertext first", 17},
	    {"ciphertext mid", 30}, {"tag first", -16},
	    {"tag last", -1},
	};
	const char *msg = "session secret payload 0123456789";
	char *blob = core_seal(fx->kr, AAD, (const uint8_t *)msg, strlen(msg));
	uint8_t *raw;
	size_t n = 0, i, off;

	assert_non_null(blob);
	raw = core_b64url_decode(blob, strlen(blob), &n);
	assert_non_null(raw);
	assert_int_equal(n, 1 + 4 + 12 + strlen(msg) + 16);
	for (i = 0; i < NELEM(cases); i++) {
		char *bad;

		off = cases[i].off < 0 ? n + (size_t)cases[i].off
				       : (size_t)cases[i].off;
		raw[off] ^= 0x01;
		bad = core_b64url_encode(raw, n);
		expect_refused(fx->kr, AAD, bad, strlen(bad), cases[i].name);
		free(bad);
		raw[off] ^= 0x01;
	}
	/* And every single byte, exhaustively. */
	for (off = 0; off < n; off++) {
		char *bad;

		raw[off] ^= 0x80;
		bad = core_b64url_encode(raw, n);
		expect_refused(fx->kr, AAD, bad, strlen(bad), "byte flip");
		free(bad);
		raw[off] ^= 0x80;
	}
	expect_open(fx->kr, AAD, blob, msg, "untouched");
	free(raw);
	free(blob);
}

static void
test_bad_blobs(void **state)
{
	struct fixture *fx = *state;
	static const struct {
		const char *name;
		size_t pos;
		char c; /* replace blob[pos] with c; 0: truncate at pos */
	} cases[] = {
	    {"truncated to empty", 0, 0},
	    {"truncated to header", 7, 0},
	    {"truncated to 44 chars", 44, 0},
	    {"plus", 10, '+'},
	    {"slash", 10, '/'},
	    {"padding", 10, '='},
	    {"space", 10, ' '},
	    {"newline", 10, '\n'},
	    {"dot", 10, '.'},
	    {"high byte", 10, (char)0xc3},
	};
	const char *msg = "hello";
	char *blob = core_seal(fx->kr, AAD, (const uint8_t *)msg, strlen(msg));
	char *big;
	size_t i, len = strlen(blob);

	for (i = 0; i < NELEM(cases); i++) {
		char *b = strdup(blob);

		if (cases[i].c == 0)
			b[cases[i].pos] = '\0';
		else
			b[cases[i].pos] = cases[i].c;
		expect_refused(fx->kr, AAD, b, strlen(b), cases[i].name);
		free(b);
	}
	/* The length is honoured, not strlen: one char short fails. */
	expect_refused(fx->kr, AAD, blob, len - 1, "short length");
	/* Appending "==" padding is not base64url without padding. */
	big = malloc(len + 3);
	snprintf(big, len + 3, "%s==", blob);
	expect_refused(fx->kr, AAD, big, strlen(big), "with padding");
	free(big);
	/* Oversized input is refused before decoding. */
	big = malloc(4 * 1024 * 1024);
	memset(big, 'A', 4 * 1024 * 1024);
	expect_refused(fx->kr, AAD, big, 4 * 1024 * 1024, "oversized");
	free(big);
	expect_refused(fx->kr, AAD, NULL, 0, "NULL blob");
	free(blob);
}

static void
test_wrong_aad(void **state)
{
	struct fixture *fx = *state;
	const char *msg = "payload";
	char *blob = core_seal(fx->kr, AAD, (const uint8_t *)msg, strlen(msg));
	char *blob2 = core_seal(fx->kr, "", (const uint8_t *)msg, strlen(msg));

	expect_refused(fx->kr, "test-purpose-v2", blob, strlen(blob), "v2");
	expect_refused(fx->kr, "", blob, strlen(blob), "empty aad");
	expect_refused(fx->kr, AAD "x", blob, strlen(blob), "longer aad");
	expect_refused(fx->kr, AAD, blob2, strlen(blob2), "sealed with empty");
	expect_open(fx->kr, "", blob2, msg, "empty aad both sides");
	assert_null(core_seal(fx->kr, NULL, (const uint8_t *)msg, 1));
	free(blob);
	free(blob2);
}

static void
test_unknown_key(void **state)
{
	struct fixture *fx = *state;
	struct core_keyring *other;
	struct core_err err = {0};
	const char *msg = "payload";
	char *blob;

	other = core_keyring_load_or_create(path_in(fx, "other"), &err);
	assert_non_null(other);
	assert_string_not_equal(core_keyring_active_id(other),
				core_keyring_active_id(fx->kr));
	blob = core_seal(other, AAD, (const uint8_t *)msg, strlen(msg));
	expect_refused(fx->kr, AAD, blob, strlen(blob), "other ring");
	expect_open(other, AAD, blob, msg, "own ring");
	free(blob);
	core_keyring_free(other);
}

/* ---- key ring ---- */

static void
test_rotation(void **state)
{
	struct fixture *fx = *state;
	struct core_err err = {0};
	char id1[9], id2[9], hdr[9];
	char *t1, *t2, *t3;

	strcpy(id1, core_keyring_active_id(fx->kr));
	t1 = core_seal(fx->kr, AAD, (const uint8_t *)"one", 3);
	blob_key_id(t1, hdr);
	assert_string_equal(hdr, id1);

	assert_int_equal(core_keyring_rotate(fx->dir, 1, &err), 0);
	reload(fx);
	assert_int_equal(core_keyring_count(fx->kr), 2);
	strcpy(id2, core_keyring_active_id(fx->kr));
	assert_string_not_equal(id1, id2);
	expect_open(fx->kr, AAD, t1, "one", "old token after rotation");
	t2 = core_seal(fx->kr, AAD, (const uint8_t *)"two", 3);
	blob_key_id(t2, hdr);
	assert_string_equal(hdr, id2);

	/* keep = 1 again: the first key falls off the ring. */
	assert_int_equal(core_keyring_rotate(fx->dir, 1, &err), 0);
	reload(fx);
	assert_int_equal(core_keyring_count(fx->kr), 2);
	expect_refused(fx->kr, AAD, t1, strlen(t1), "token of dropped key");
	expect_open(fx->kr, AAD, t2, "two", "token of kept key");
	t3 = core_seal(fx->kr, AAD, (const uint8_t *)"three", 5);
	blob_key_id(t3, hdr);
	assert_string_not_equal(hdr, id2);
	assert_string_equal(hdr, core_keyring_active_id(fx->kr));

	/* keep = 0 leaves only the new key. */
	assert_int_equal(core_keyring_rotate(fx->dir, 0, &err), 0);
	reload(fx);
	assert_int_equal(core_keyring_count(fx->kr), 1);
	expect_refused(fx->kr, AAD, t3, strlen(t3), "keep 0");
	free(t1);
	free(t2);
	free(t3);
}

static void
test_rotation_bounds(void **state)
{
	struct fixture *fx = *state;
	static const int bad[] = {-1, CORE_KEYRING_MAX_KEYS, 1000};
	size_t i;
	int k;

	for (i = 0; i < NELEM(bad); i++) {
		struct core_err err = {0};

		assert_int_equal(core_keyring_rotate(fx->dir, bad[i], &err),
				 -1);
		assert_int_equal(err.code, CORE_ECONFIG);
	}
	/* Filling the ring to the maximum stays loadable. */
	for (k = 0; k < CORE_KEYRING_MAX_KEYS + 2; k++) {
		struct core_err err = {0};

		assert_int_equal(core_keyring_rotate(
				     fx->dir, CORE_KEYRING_MAX_KEYS - 1, &err),
				 0);
	}
	reload(fx);
	assert_int_equal(core_keyring_count(fx->kr), CORE_KEYRING_MAX_KEYS);
}

static void
test_create_modes(void **state)
{
	struct fixture *fx = *state;
	struct core_keyring *kr;
	struct core_err err = {0};
	struct stat st;
	char dir[128], file[160], id[9];

	snprintf(dir, sizeof(dir), "%s/state", fx->dir);
	snprintf(file, sizeof(file), "%s/keyring.json", dir);
	umask(0);
	kr = core_keyring_load_or_create(dir, &err);
	umask(022);
	assert_non_null(kr);
	assert_int_equal(stat(dir, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0700);
	assert_int_equal(stat(file, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0600);
	assert_int_equal(core_keyring_count(kr), 1);
	assert_int_equal(strlen(core_keyring_active_id(kr)), 8);
	strcpy(id, core_keyring_active_id(kr));
	core_keyring_free(kr);
	/* A second start reuses the ring instead of adding a key. */
	kr = core_keyring_load_or_create(dir, &err);
	assert_non_null(kr);
	assert_int_equal(core_keyring_count(kr), 1);
	assert_string_equal(core_keyring_active_id(kr), id);
	core_keyring_free(kr);
	/* Plain load of a directory without a ring fails clearly. */
	kr = core_keyring_load(fx->dir, &err);
	assert_non_null(kr); /* fixture's own ring */
	core_keyring_free(kr);
	memset(&err, 0, sizeof(err));
	assert_int_equal(mkdir(path_in(fx, "empty"), 0700), 0);
	assert_null(core_keyring_load(path_in(fx, "empty"), &err));
	assert_int_equal(err.code, CORE_ECONFIG);
}

static void
test_file_modes(void **state)
{
	struct fixture *fx = *state;
	static const struct {
		mode_t mode;
		int ok;
	} cases[] = {
	    {0600, 1}, {0400, 1}, {0644, 0}, {0640, 0},
	    {0604, 0}, {0660, 0}, {0602, 0}, {0620, 0},
	};
	char file[160];
	size_t i;

	snprintf(file, sizeof(file), "%s/keyring.json", fx->dir);
	for (i = 0; i < NELEM(cases); i++) {
		struct core_err err = {0};
		struct core_keyring *kr;

		assert_int_equal(chmod(file, cases[i].mode), 0);
		kr = core_keyring_load(fx->dir, &err);
		if (cases[i].ok && kr == NULL)
			fail_msg("mode %04o refused: %s",
				 (unsigned)cases[i].mode, err.msg);
		if (!cases[i].ok && kr != NULL)
			fail_msg("mode %04o accepted", (unsigned)cases[i].mode);
		if (!cases[i].ok && (err.code != CORE_ECONFIG ||
				     strstr(err.msg, "chmod 600") == NULL))
			fail_msg("mode %04o: unclear error: %s",
				 (unsigned)cases[i].mode, err.msg);
		core_keyring_free(kr);
	}
	assert_int_equal(chmod(file, 0644), 0);
	{
		struct core_err err = {0};

		assert_null(core_keyring_load(fx->dir, &err));
		assert_non_null(strstr(err.msg, "mode 0644"));
		/* Rotation refuses an insecure ring too. */
		memset(&err, 0, sizeof(err));
		assert_int_equal(core_keyring_rotate(fx->dir, 1, &err), -1);
	}
	assert_int_equal(chmod(file, 0600), 0);
}

static void
test_dir_modes(void **state)
{
	struct fixture *fx = *state;
	static const struct {
		mode_t mode;
		int ok;
	} cases[] = {
	    {0700, 1}, {0755, 1}, {0770, 0}, {0702, 0}, {0777, 0},
	};
	size_t i;

	for (i = 0; i < NELEM(cases); i++) {
		struct core_err err = {0};
		struct core_keyring *kr;

		assert_int_equal(chmod(fx->dir, cases[i].mode), 0);
		kr = core_keyring_load(fx->dir, &err);
		if ((kr != NULL) != cases[i].ok)
			fail_msg("dir mode %04o: got %s (%s)",
				 (unsigned)cases[i].mode,
				 kr ? "accepted" : "refused", err.msg);
		core_keyring_free(kr);
	}
	assert_int_equal(chmod(fx->dir, 0700), 0);
}

static void
test_not_regular(void **state)
{
	struct fixture *fx = *state;
	struct core_err err = {0};
	char file[160];

	snprintf(file, sizeof(file), "%s/keyring.json", fx->dir);
	assert_int_equal(unlink(file), 0);
	assert_int_equal(mkfifo(file, 0600), 0);
	assert_null(core_keyring_load(fx->dir, &err));
	assert_int_equal(err.code, CORE_ECONFIG);
	assert_non_null(strstr(err.msg, "regular file"));
	unlink(file);
	memset(&err, 0, sizeof(err));
	assert_int_equal(mkdir(file, 0700), 0);
	assert_null(core_keyring_load(fx->dir, &err));
	assert_int_equal(err.code, CORE_ECONFIG);
	rmdir(file);
}

#define K32 "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA="
#define K32B "BBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBA="

static void
test_bad_ring_files(void **state)
{
	struct fixture *fx = *state;
	static const struct {
		const char *name;
		const char *json;
	} cases[] = {
	    {"not json", "{"},
	    {"empty", ""},
	    {"array", "[]"},
	    {"version 2", "{\"version\":2,\"keys\":[{\"id\":\"00000001\","
			  "\"created\":1,\"key\":\"" K32 "\"}]}"},
	    {"no keys", "{\"version\":1,\"keys\":[]}"},
	    {"keys missing", "{\"version\":1}"},
	    {"unknown member",
	     "{\"version\":1,\"x\":1,\"keys\":[{\"id\":"
	     "\"00000001\",\"created\":1,\"key\":\"" K32 "\"}]}"},
	    {"duplicate member",
	     "{\"version\":1,\"version\":1,\"keys\":[{"
	     "\"id\":\"00000001\",\"created\":1,\"key\":\"" K32 "\"}]}"},
	    {"duplicate id",
	     "{\"version\":1,\"keys\":[{\"id\":\"00000001\","
	     "\"created\":1,\"key\":\"" K32 "\"},{\"id\":"
	     "\"00000001\",\"created\":2,\"key\":\"" K32B "\"}]}"},
	    {"short key", "{\"version\":1,\"keys\":[{\"id\":\"00000001\","
			  "\"created\":1,\"key\":\"AAAAAAAAAAAAAAAAAAAAAAAAAAAA"
			  "AAAAAAAAAA==\"}]}"},
	    {"key not base64", "{\"version\":1,\"keys\":[{\"id\":\"00000001\","
			       "\"created\":1,\"key\":\"!!!!\"}]}"},
	    {"id uppercase", "{\"version\":1,\"keys\":[{\"id\":\"0000000A\","
			     "\"created\":1,\"key\":\"" K32 "\"}]}"},
	    {"id 7 chars", "{\"version\":1,\"keys\":[{\"id\":\"0000001\","
			   "\"created\":1,\"key\":\"" K32 "\"}]}"},
	    {"created string", "{\"version\":1,\"keys\":[{\"id\":\"00000001\","
			       "\"created\":\"1\",\"key\":\"" K32 "\"}]}"},
	    {"created negative",
	     "{\"version\":1,\"keys\":[{\"id\":"
	     "\"00000001\",\"created\":-5,\"key\":\"" K32 "\"}]}"},
	    {"key member extra",
	     "{\"version\":1,\"keys\":[{\"id\":"
	     "\"00000001\",\"created\":1,\"key\":\"" K32 "\",\"alg\":\"x\"}]}"},
	};
	char file[160];
	size_t i;

	snprintf(file, sizeof(file), "%s/keyring.json", fx->dir);
	for (i = 0; i < NELEM(cases); i++) {
		struct core_err err = {0};
		struct core_keyring *kr;

		write_file(file, cases[i].json, 0600);
		kr = core_keyring_load(fx->dir, &err);
		if (kr != NULL) {
			core_keyring_free(kr);
			fail_msg("%s: accepted", cases[i].name);
		}
		if (err.code != CORE_ECONFIG)
			fail_msg("%s: code %d", cases[i].name, err.code);
	}
}

static void
test_ring_limits(void **state)
{
	struct fixture *fx = *state;
	struct core_err err = {0};
	char file[160], *json, *big;
	size_t i, off = 0, cap = 8192;

	snprintf(file, sizeof(file), "%s/keyring.json", fx->dir);
	/* One key too many. */
	json = malloc(cap);
	off += (size_t)snprintf(json + off, cap - off,
				"{\"version\":1,\"keys\":[");
	for (i = 0; i < CORE_KEYRING_MAX_KEYS + 1; i++)
		off += (size_t)snprintf(json + off, cap - off,
					"%s{\"id\":\"%08zx\",\"created\":%zu,"
					"\"key\":\"" K32 "\"}",
					i ? "," : "", i + 1, i);
	snprintf(json + off, cap - off, "]}");
	write_file(file, json, 0600);
	assert_null(core_keyring_load(fx->dir, &err));
	assert_int_equal(err.code, CORE_ECONFIG);
	free(json);
	/* Over 64 KiB: refused without being parsed. */
	big = malloc(70 * 1024);
	memset(big, ' ', 70 * 1024 - 1);
	big[70 * 1024 - 1] = '\0';
	memcpy(big,
	       "{\"version\":1,\"keys\":[{\"id\":\"00000001\",\"created\":1,"
	       "\"key\":\"" K32 "\"}]}",
	       strlen("{\"version\":1,\"keys\":[{\"id\":\"00000001\","
		      "\"created\":1,\"key\":\"" K32 "\"}]}"));
	write_file(file, big, 0600);
	memset(&err, 0, sizeof(err));
	assert_null(core_keyring_load(fx->dir, &err));
	assert_non_null(strstr(err.msg, "larger"));
	free(big);
}

/* The active key is the newest by "created", wherever it is in the file. */
static void
test_active_is_newest(void **state)
{
	struct fixture *fx = *state;
	char file[160], hdr[9];
	char *blob;

	snprintf(file, sizeof(file), "%s/keyring.json", fx->dir);
	write_file(file,
		   "{\"version\":1,\"keys\":["
		   "{\"id\":\"0000000b\",\"created\":200,\"key\":\"" K32B "\"},"
		   "{\"id\":\"0000000a\",\"created\":100,\"key\":\"" K32
		   "\"}]}",
		   0600);
	reload(fx);
	assert_int_equal(core_keyring_count(fx->kr), 2);
	assert_string_equal(core_keyring_active_id(fx->kr), "0000000b");
	blob = core_seal(fx->kr, AAD, (const uint8_t *)"x", 1);
	blob_key_id(blob, hdr);
	assert_string_equal(hdr, "0000000b");
	free(blob);
	/* Rotation keeps the newest, not the last-listed, key. */
	{
		struct core_err err = {0};

		assert_int_equal(core_keyring_rotate(fx->dir, 1, &err), 0);
	}
	reload(fx);
	assert_int_equal(core_keyring_count(fx->kr), 2);
	blob = core_seal(fx->kr, AAD, (const uint8_t *)"x", 1);
	blob_key_id(blob, hdr);
	assert_string_not_equal(hdr, "0000000b");
	assert_string_not_equal(hdr, "0000000a");
	free(blob);
}

/* ---- session credentials ---- */

static int
cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static void
test_mint_key_formats(void **state)
{
	static const char b32[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
	static const char sk_alpha[] =
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	enum { N = 1000 };
	struct fed_session s = {0};
	char **aks = calloc(N, sizeof(char *)),
	     **sks = calloc(N, sizeof(char *));
	int seen_ak[256] = {0}, seen_sk[256] = {0};
	size_t i, j;

	(void)state;
	for (i = 0; i < N; i++) {
		fed_mint_new_keys(&s); /* replaces the previous pair */
		assert_int_equal(strlen(s.access_key_id), 20);
		assert_memory_equal(s.access_key_id, "ASIA", 4);
		assert_int_equal(strspn(s.access_key_id + 4, b32), 16);
		assert_int_equal(strlen(s.secret_access_key), 40);
		assert_int_equal(strspn(s.secret_access_key, sk_alpha), 40);
		for (j = 4; j < 20; j++)
			seen_ak[(unsigned char)s.access_key_id[j]] = 1;
		for (j = 0; j < 40; j++)
			seen_sk[(unsigned char)s.secret_access_key[j]] = 1;
		aks[i] = strdup(s.access_key_id);
		sks[i] = strdup(s.secret_access_key);
	}
	/* 16,000 and 40,000 draws: every symbol shows up (P(miss) ~ 2^-700). */
	for (j = 0; j < 32; j++)
		if (!seen_ak[(unsigned char)b32[j]])
			fail_msg("access key never used %c", b32[j]);
	for (j = 0; j < 64; j++)
		if (!seen_sk[(unsigned char)sk_alpha[j]])
			fail_msg("secret never used %c", sk_alpha[j]);
	qsort(aks, N, sizeof(char *), cmp_str);
	qsort(sks, N, sizeof(char *), cmp_str);
	for (i = 1; i < N; i++) {
		assert_string_not_equal(aks[i - 1], aks[i]);
		assert_string_not_equal(sks[i - 1], sks[i]);
	}
	for (i = 0; i < N; i++) {
		free(aks[i]);
		free(sks[i]);
	}
	free(aks);
	free(sks);
	free(s.access_key_id);
	free(s.secret_access_key);
}

/*
 * Uniformity: 10,000 pairs give 160,000 base32 and 400,000 secret symbols
 * (expected 5,000 and 6,250 each, sd ~70 and ~78). The bounds are 6 sd
 * wide, so a true failure is ~1e-7 likely, while a modulo-biased draw
 * (e.g. some symbols at 3/4 of the rate) lands far outside them.
 */
static void
test_mint_key_uniform(void **state)
{
	static const char b32[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
	static const char sk_alpha[] =
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	struct fed_session s = {0};
	long ak[256] = {0}, sk[256] = {0};
	size_t i, j;

	(void)state;
	for (i = 0; i < 10000; i++) {
		fed_mint_new_keys(&s);
		for (j = 4; j < 20; j++)
			ak[(unsigned char)s.access_key_id[j]]++;
		for (j = 0; j < 40; j++)
			sk[(unsigned char)s.secret_access_key[j]]++;
	}
	for (j = 0; j < 32; j++)
		if (ak[(unsigned char)b32[j]] < 5000 - 420 ||
		    ak[(unsigned char)b32[j]] > 5000 + 420)
			fail_msg("access key symbol %c: %ld of 160000", b32[j],
				 ak[(unsigned char)b32[j]]);
	for (j = 0; j < 64; j++)
		if (sk[(unsigned char)sk_alpha[j]] < 6250 - 470 ||
		    sk[(unsigned char)sk_alpha[j]] > 6250 + 470)
			fail_msg("secret symbol %c: %ld of 400000", sk_alpha[j],
				 sk[(unsigned char)sk_alpha[j]]);
	free(s.access_key_id);
	free(s.secret_access_key);
}

static void
test_mint_role_id(void **state)
{
	static const struct {
		const char *arn;
		const char *want;
	} cases[] = {
	    /* Golden values: base32(SHA-256(arn))[:17], computed with Python,
	     * so ids stay stable across builds and instances. */
	    {"arn:aws:iam::111122223333:role/mobile-upload",
	     "AROAOKUXQXQCWO6OFLNXR"},
	    {"arn:aws:iam::000000000000:role/a", "AROAIVBDDTENWKUFE35AK"},
	};
	size_t i;

	(void)state;
	for (i = 0; i < NELEM(cases); i++) {
		char *a = fed_mint_role_id(cases[i].arn);
		char *b = fed_mint_role_id(cases[i].arn);

		assert_string_equal(a, cases[i].want);
		assert_string_equal(a, b);
		assert_int_equal(strlen(a), 21);
		assert_int_equal(
		    strspn(a + 4, "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"), 17);
		free(a);
		free(b);
	}
	assert_null(fed_mint_role_id(NULL));
}

static struct fed_session *
full_session(int64_t now)
{
	struct fed_session *s = calloc(1, sizeof(*s));

	fed_mint_new_keys(s);
	s->account = strdup("111122223333");
	s->role_arn = strdup("arn:aws:iam::111122223333:role/mobile-upload");
	s->role_id = fed_mint_role_id(s->role_arn);
	s->session_name = strdup("app-session@x.y");
	s->assumed_role_arn = strdup("arn:aws:sts::111122223333:assumed-role/"
				     "mobile-upload/app-session@x.y");
	s->source_identity = strdup("alice");
	s->session_policy = strdup("{\"Version\":\"2012-10-17\",\"Statement\":"
				   "[{\"Effect\":\"Allow\",\"Action\":\"s3:*\","
				   "\"Resource\":\"*\"}]}");
	s->n_policy_arns = 2;
	s->policy_arns = calloc(2, sizeof(char *));
	s->policy_arns[0] = strdup("arn:aws:iam::aws:policy/ReadOnlyAccess");
	s->policy_arns[1] = strdup("arn:aws:iam::111122223333:policy/p2");
	s->n_tags = 3;
	s->tags = calloc(3, sizeof(struct fed_session_tag));
	s->tags[0].key = strdup("team");
	s->tags[0].value = strdup("blue");
	s->tags[0].transitive = 1;
	s->tags[1].key = strdup("project");
	s->tags[1].value = strdup("caf\xc3\xa9 \"quoted\"");
	s->tags[2].key = strdup("empty");
	s->tags[2].value = strdup("");
	s->federated_provider = strdup("accounts.google.com");
	s->subject = strdup("1234567890");
	s->chained = 1;
	s->issued_at = now;
	s->expires_at = now + 3600;
	return s;
}

#define SAME_STR(f)                                                            \
	do {                                                                   \
		if ((a->f == NULL) != (b->f == NULL) ||                        \
		    (a->f != NULL && strcmp(a->f, b->f) != 0))                 \
			fail_msg("field " #f " differs");                      \
	} while (0)

static void
same_session(const struct fed_session *a, const struct fed_session *b)
{
	size_t i;

	SAME_STR(access_key_id);
	SAME_STR(secret_access_key);
	SAME_STR(account);
	SAME_STR(role_arn);
	SAME_STR(role_id);
	SAME_STR(session_name);
	SAME_STR(assumed_role_arn);
	SAME_STR(source_identity);
	SAME_STR(session_policy);
	SAME_STR(federated_provider);
	SAME_STR(subject);
	assert_int_equal(a->chained, b->chained);
	assert_int_equal(a->issued_at, b->issued_at);
	assert_int_equal(a->expires_at, b->expires_at);
	assert_int_equal(a->n_policy_arns, b->n_policy_arns);
	for (i = 0; i < a->n_policy_arns; i++)
		assert_string_equal(a->policy_arns[i], b->policy_arns[i]);
	assert_int_equal(a->n_tags, b->n_tags);
	for (i = 0; i < a->n_tags; i++) {
		assert_string_equal(a->tags[i].key, b->tags[i].key);
		assert_string_equal(a->tags[i].value, b->tags[i].value);
		assert_int_equal(a->tags[i].transitive, b->tags[i].transitive);
	}
}

static void
test_mint_roundtrip(void **state)
{
	struct fixture *fx = *state;
	int64_t now = 1700000000;
	struct fed_session *s = full_session(now), *got = NULL;
	struct core_err err = {0};
	char *tok;

	tok = fed_mint_seal(fx->kr, s, &err);
	assert_non_null(tok);
	assert_true(strlen(tok) <= FED_MINT_TOKEN_MAX);
	/* The secret must not be readable in the token. */
	assert_null(strstr(tok, s->secret_access_key));
	assert_int_equal(
	    fed_mint_unseal(fx->kr, tok, strlen(tok), now, &got, &err), 0);
	assert_int_equal(err.code, CORE_OK);
	same_session(s, got);
	fed_session_free(got);
	free(tok);

	/* Minimal session: optional members stay NULL/empty, role_id derived.
	 */
	free(s->source_identity);
	free(s->session_policy);
	free(s->federated_provider);
	free(s->subject);
	free(s->role_id);
	s->source_identity = s->session_policy = NULL;
	s->federated_provider = s->subject = s->role_id = NULL;
	for (size_t i = 0; i < s->n_tags; i++) {
		free(s->tags[i].key);
		free(s->tags[i].value);
	}
	free(s->tags);
	s->tags = NULL;
	s->n_tags = 0;
	free(s->policy_arns[0]);
	free(s->policy_arns[1]);
	free(s->policy_arns);
	s->policy_arns = NULL;
	s->n_policy_arns = 0;
	s->chained = 0;
	tok = fed_mint_seal(fx->kr, s, &err);
	assert_non_null(tok);
	got = NULL;
	assert_int_equal(
	    fed_mint_unseal(fx->kr, tok, strlen(tok), now, &got, &err), 0);
	assert_string_equal(got->role_id, "AROAOKUXQXQCWO6OFLNXR");
	s->role_id = strdup("AROAOKUXQXQCWO6OFLNXR");
	same_session(s, got);
	fed_session_free(got);
	free(tok);
	fed_session_free(s);
}

static void
test_mint_seal_refuses(void **state)
{
	struct fixture *fx = *state;
	struct fed_session *s = full_session(1000);
	struct core_err err = {0};

	free(s->account);
	s->account = NULL;
	assert_null(fed_mint_seal(fx->kr, s, &err));
	assert_int_equal(err.code, CORE_EINTERNAL);
	s->account = strdup("\xff\xfe not utf-8");
	memset(&err, 0, sizeof(err));
	assert_null(fed_mint_seal(fx->kr, s, &err));
	assert_int_equal(err.code, CORE_EINTERNAL);
	fed_session_free(s);
}

static void
test_mint_expiry(void **state)
{
	struct fixture *fx = *state;
	static const struct {
		const char *name;
		int64_t now_delta; /* relative to expires_at */
		enum core_code want;
	} cases[] = {
	    {"one second left", -1, CORE_OK},
	    {"exactly at expiry", 0, CORE_EEXPIRED_SESSION},
	    {"long past", 86400, CORE_EEXPIRED_SESSION},
	};
	struct fed_session *s = full_session(core_now());
	struct core_err err = {0};
	char *tok = fed_mint_seal(fx->kr, s, &err);
	size_t i;

	assert_non_null(tok);
	for (i = 0; i < NELEM(cases); i++) {
		struct fed_session *got = NULL;
		int rc;

		memset(&err, 0, sizeof(err));
		rc = fed_mint_unseal(fx->kr, tok, strlen(tok),
				     s->expires_at + cases[i].now_delta, &got,
				     &err);
		if (err.code != cases[i].want ||
		    (rc == 0) != (cases[i].want == CORE_OK))
			fail_msg("%s: rc %d code %s", cases[i].name, rc,
				 core_code_sts(err.code));
		if (rc == -1 && got != NULL)
			fail_msg("%s: out written on failure", cases[i].name);
		if (rc == -1 &&
		    strcmp(err.msg, "The security token included in the "
				    "request is expired") != 0)
			fail_msg("%s: message %s", cases[i].name, err.msg);
		fed_session_free(got);
	}
	free(tok);
	fed_session_free(s);
}

static void
expect_invalid(const struct core_keyring *kr, const char *tok, size_t len,
	       const char *name)
{
	struct fed_session *got = NULL;
	struct core_err err = {0};

	if (fed_mint_unseal(kr, tok, len, 1000, &got, &err) != -1)
		fail_msg("%s: accepted", name);
	if (got != NULL)
		fail_msg("%s: out written", name);
	if (err.code != CORE_EINVALID_CLIENT ||
	    strcmp(err.msg, "The security token included in the request is "
			    "invalid.") != 0)
		fail_msg("%s: code %s msg %s", name, core_code_sts(err.code),
			 err.msg);
}

static void
test_mint_tampered(void **state)
{
	struct fixture *fx = *state;
	struct fed_session *s = full_session(900);
	struct core_err err = {0};
	char *tok = fed_mint_seal(fx->kr, s, &err), *bad, *big;
	size_t len = strlen(tok), i;

	assert_non_null(tok);
	for (i = 0; i < len; i += len / 7 + 1) {
		bad = strdup(tok);
		bad[i] = bad[i] == 'A' ? 'B' : 'A';
		expect_invalid(fx->kr, bad, len, "flipped char");
		free(bad);
	}
	expect_invalid(fx->kr, tok, len - 1, "truncated");
	expect_invalid(fx->kr, tok, 0, "empty");
	expect_invalid(fx->kr, NULL, 0, "NULL");
	/* Over the maximum: refused even though a prefix would be valid. */
	big = malloc(FED_MINT_TOKEN_MAX + 2);
	memset(big, 'A', FED_MINT_TOKEN_MAX + 1);
	memcpy(big, tok, len);
	big[FED_MINT_TOKEN_MAX + 1] = '\0';
	expect_invalid(fx->kr, big, FED_MINT_TOKEN_MAX + 1, "over max");
	free(big);
	/* A blob sealed for another purpose does not open as a session. */
	bad = core_seal(fx->kr, "other-purpose", (const uint8_t *)"{}", 2);
	expect_invalid(fx->kr, bad, strlen(bad), "other aad");
	free(bad);
	free(tok);
	fed_session_free(s);
}

/* Authentic blobs whose JSON is not a well-formed v1 session. */
static void
test_mint_strict_json(void **state)
{
	struct fixture *fx = *state;
#define BASE                                                                   \
	"\"ak\":\"ASIAAAAAAAAAAAAAAAAA\",\"sk\":\"s\",\"acct\":\"1\","         \
	"\"role\":\"r\",\"rid\":\"AROA\",\"sn\":\"n\",\"arn\":\"a\","          \
	"\"iat\":1,\"exp\":5000"
	static const struct {
		const char *name;
		const char *json;
		int ok;
	} cases[] = {
	    {"valid", "{\"v\":1," BASE "}", 1},
	    {"valid with all optional",
	     "{\"v\":1," BASE ",\"si\":\"x\",\"pol\":\"{}\",\"parns\":[\"p\"],"
	     "\"tags\":[{\"k\":\"a\",\"v\":\"b\",\"t\":false}],\"fp\":\"f\","
	     "\"sub\":\"s\",\"ch\":true}",
	     1},
	    {"version 2", "{\"v\":2," BASE "}", 0},
	    {"version missing", "{" BASE "}", 0},
	    {"unknown member", "{\"v\":1," BASE ",\"zz\":1}", 0},
	    {"duplicate member", "{\"v\":1," BASE ",\"sk\":\"t\"}", 0},
	    {"missing arn",
	     "{\"v\":1,\"ak\":\"A\",\"sk\":\"s\",\"acct\":\"1\","
	     "\"role\":\"r\",\"rid\":\"R\",\"sn\":\"n\","
	     "\"iat\":1,\"exp\":5000}",
	     0},
	    {"exp string",
	     "{\"v\":1,\"ak\":\"A\",\"sk\":\"s\",\"acct\":\"1\","
	     "\"role\":\"r\",\"rid\":\"R\",\"sn\":\"n\","
	     "\"arn\":\"a\",\"iat\":1,\"exp\":\"5000\"}",
	     0},
	    {"sk number",
	     "{\"v\":1,\"ak\":\"A\",\"sk\":7,\"acct\":\"1\","
	     "\"role\":\"r\",\"rid\":\"R\",\"sn\":\"n\","
	     "\"arn\":\"a\",\"iat\":1,\"exp\":5000}",
	     0},
	    {"ch not bool", "{\"v\":1," BASE ",\"ch\":1}", 0},
	    {"parns not strings", "{\"v\":1," BASE ",\"parns\":[1]}", 0},
	    {"tag missing t",
	     "{\"v\":1," BASE ",\"tags\":[{\"k\":\"a\","
	     "\"v\":\"b\"}]}",
	     0},
	    {"tag extra member",
	     "{\"v\":1," BASE ",\"tags\":[{\"k\":\"a\","
	     "\"v\":\"b\",\"t\":true,\"x\":1}]}",
	     0},
	    {"si null", "{\"v\":1," BASE ",\"si\":null}", 0},
	    {"array", "[1]", 0},
	    {"trailing garbage", "{\"v\":1," BASE "} x", 0},
	    {"not json", "v=1", 0},
	};
#undef BASE
	size_t i;

	for (i = 0; i < NELEM(cases); i++) {
		struct fed_session *got = NULL;
		struct core_err err = {0};
		char *tok =
		    core_seal(fx->kr, MINT_AAD, (const uint8_t *)cases[i].json,
			      strlen(cases[i].json));
		int rc;

		assert_non_null(tok);
		rc =
		    fed_mint_unseal(fx->kr, tok, strlen(tok), 1000, &got, &err);
		if ((rc == 0) != cases[i].ok)
			fail_msg("%s: rc %d (%s)", cases[i].name, rc, err.msg);
		if (!cases[i].ok && err.code != CORE_EINVALID_CLIENT)
			fail_msg("%s: code %s", cases[i].name,
				 core_code_sts(err.code));
		fed_session_free(got);
		free(tok);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
	    T(test_roundtrip),	       T(test_tamper_regions),
	    T(test_bad_blobs),	       T(test_wrong_aad),
	    T(test_unknown_key),       T(test_rotation),
	    T(test_rotation_bounds),   T(test_create_modes),
	    T(test_file_modes),	       T(test_dir_modes),
	    T(test_not_regular),       T(test_bad_ring_files),
	    T(test_ring_limits),       T(test_active_is_newest),
	    T(test_mint_key_formats),  T(test_mint_key_uniform),
	    T(test_mint_role_id),      T(test_mint_roundtrip),
	    T(test_mint_seal_refuses), T(test_mint_expiry),
	    T(test_mint_tampered),     T(test_mint_strict_json),
#undef T
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
