/* core/seal.c - key ring and AES-256-GCM sealing with key ids
 *
 * Ring file DIR/keyring.json:
 *   {"version":1,"keys":[{"id":"8 hex","created":EPOCH,"key":"base64"},...]}
 * Keys are kept sorted by "created" (oldest first); the newest seals, all
 * of them open. Sealed blob, base64url without padding:
 *   0x01 || key id (4) || nonce (12) || AES-256-GCM ciphertext || tag (16)
 * The version byte and key id are authenticated as AAD together with the
 * caller's purpose string, so neither can be swapped without detection.
 *
 * Nonces are 96 random bits per seal. NIST SP 800-38D §8.3 limits random
 * IVs to 2^32 invocations per key (collision probability <= 2^-32); a
 * nonce collision under GCM leaks the XOR of plaintexts and the GHASH key.
 * Operators must therefore rotate (`fedgate keygen`) well before 2^32
 * seals per key; at 1,000 sessions/s that is about 136 years, so a
 * rotation schedule of days or months leaves a huge margin.
 */
#include "core/seal.h"

#include <sys/types.h>
#include <sys/file.h>
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "core/b64.h"
#include "core/log.h"
#include "core/mem.h"
#include "core/secret.h"
#include "core/timeutil.h"

#define KR_FILE "keyring.json"
#define KR_FILE_MAX (64 * 1024) /* refuse bigger ring files unread */
#define KR_ID_LEN 4
#define KR_OUT_MAX (CORE_KEYRING_MAX_KEYS * 128 + 64)

#define SEAL_VERSION 0x01
#define SEAL_HDR_LEN (1 + KR_ID_LEN)
#define SEAL_NONCE_LEN 12
#define SEAL_TAG_LEN 16
#define SEAL_OVERHEAD (SEAL_HDR_LEN + SEAL_NONCE_LEN + SEAL_TAG_LEN)
#define SEAL_PT_MAX (1024 * 1024) /* generic cap; callers cap lower */
#define SEAL_B64_MAX CORE_B64_ENCODED_LEN(SEAL_PT_MAX + SEAL_OVERHEAD)
#define SEAL_AAD_MAX 1024

struct core_key {
	uint8_t id[KR_ID_LEN];
	char hex[2 * KR_ID_LEN + 1];
	int64_t created;
	uint8_t key[CORE_SEAL_KEY_LEN];
};

struct core_keyring {
	EVP_CIPHER *cipher; /* fetched once; shareable across threads */
	size_t n;
	struct core_key
	    keys[CORE_KEYRING_MAX_KEYS]; /* by created, oldest first */
};

static struct core_keyring *
kr_new(void)
{
	return core_xcalloc(1, sizeof(struct core_keyring));
}

void
core_keyring_free(struct core_keyring *kr)
{
	if (kr == NULL)
		return;
	EVP_CIPHER_free(kr->cipher);
	OPENSSL_cleanse(kr, sizeof(*kr));
	free(kr);
}

size_t
core_keyring_count(const struct core_keyring *kr)
{
	return kr == NULL ? 0 : kr->n;
}

const char *
core_keyring_active_id(const struct core_keyring *kr)
{
	if (kr == NULL || kr->n == 0)
		return NULL;
	return kr->keys[kr->n - 1].hex;
}

static void
kr_hex(const uint8_t id[KR_ID_LEN], char out[2 * KR_ID_LEN + 1])
{
	static const char hx[] = "0123456789abcdef";
	size_t i;

	for (i = 0; i < KR_ID_LEN; i++) {
		out[2 * i] = hx[id[i] >> 4];
		out[2 * i + 1] = hx[id[i] & 0xf];
	}
	out[2 * KR_ID_LEN] = '\0';
}

/* Strict: exactly 8 lowercase hex digits, the only form we write. */
static int
kr_unhex(const char *s, uint8_t id[KR_ID_LEN])
{
	size_t i;
	int v;

	if (strlen(s) != 2 * KR_ID_LEN)
		return -1;
	for (i = 0; i < 2 * KR_ID_LEN; i++) {
		if (s[i] >= '0' && s[i] <= '9')
			v = s[i] - '0';
		else if (s[i] >= 'a' && s[i] <= 'f')
			v = s[i] - 'a' + 10;
		else
			return -1;
		if (i % 2 == 0)
			id[i / 2] = (uint8_t)(v << 4);
		else
			id[i / 2] |= (uint8_t)v;
	}
	return 0;
}

static const struct core_key *
kr_find(const struct core_keyring *kr, const uint8_t id[KR_ID_LEN])
{
	size_t i;

	/* Key ids are public (they travel in every blob): no need for
	 * constant time here. */
	for (i = 0; i < kr->n; i++)
		if (memcmp(kr->keys[i].id, id, KR_ID_LEN) == 0)
			return &kr->keys[i];
	return NULL;
}

/* Stable insertion sort by created: equal times keep file order, so the
 * last-written of two same-second keys stays active. */
static void
kr_sort(struct core_keyring *kr)
{
	struct core_key tmp;
	size_t i, j;

	for (i = 1; i < kr->n; i++) {
		tmp = kr->keys[i];
		for (j = i; j > 0 && kr->keys[j - 1].created > tmp.created; j--)
			kr->keys[j] = kr->keys[j - 1];
		kr->keys[j] = tmp;
	}
	OPENSSL_cleanse(&tmp, sizeof(tmp));
}

/*
 * Open DIR (creating it 0700 if asked) and check that nobody but us (or
 * root) can replace files in it, as OpenBSD's check_file_secrecy does.
 */
static int
kr_open_dir(const char *dir, int create, struct core_err *err)
{
	struct stat st;
	int fd;

	if (create && mkdir(dir, 0700) == -1 && errno != EEXIST) {
		core_err_set(err, CORE_ECONFIG, "keyring_dir",
			     "cannot create key ring directory %s: %s", dir,
			     strerror(errno));
		return -1;
	}
	fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd == -1) {
		core_err_set(err, CORE_ECONFIG, "keyring_dir",
			     "cannot open key ring directory %s: %s", dir,
			     strerror(errno));
		return -1;
	}
	if (fstat(fd, &st) == -1 || (st.st_mode & 022) != 0 ||
	    (st.st_uid != geteuid() && st.st_uid != 0)) {
		core_err_set(err, CORE_ECONFIG, "keyring_dir_mode",
			     "key ring directory %s must be owned by uid %u "
			     "and not writable by group or other (mode %04o); "
			     "run chmod 700 %s",
			     dir, (unsigned)geteuid(),
			     (unsigned)(st.st_mode & 07777), dir);
		close(fd);
		return -1;
	}
	return fd;
}

static int
kr_check_file(int fd, const char *dir, struct core_err *err)
{
	struct stat st;

	if (fstat(fd, &st) == -1 || !S_ISREG(st.st_mode)) {
		core_err_set(err, CORE_ECONFIG, "keyring_file",
			     "%s/" KR_FILE " must be a regular file", dir);
		return -1;
	}
	if (st.st_uid != geteuid()) {
		core_err_set(err, CORE_ECONFIG, "keyring_owner",
			     "%s/" KR_FILE " is owned by uid %u, must be owned "
			     "by the gateway's uid %u",
			     dir, (unsigned)st.st_uid, (unsigned)geteuid());
		return -1;
	}
	if ((st.st_mode & 077) != 0) {
		core_err_set(err, CORE_ECONFIG, "keyring_mode",
			     "%s/" KR_FILE " must not be readable by group or "
			     "other (mode %04o); run chmod 600 %s/" KR_FILE,
			     dir, (unsigned)(st.st_mode & 07777), dir);
		return -1;
	}
	if (st.st_size > KR_FILE_MAX) {
		core_err_set(err, CORE_ECONFIG, "keyring_size",
			     "%s/" KR_FILE " is larger than %d bytes", dir,
			     KR_FILE_MAX);
		return -1;
	}
	return 0;
}

/*
 * Read DIR/keyring.json into *buf (caller wipes and frees). *absent is
 * set (and 0 returned) when the file does not exist.
 */
static int
kr_read(int dirfd, const char *dir, char **buf, size_t *len, int *absent,
	struct core_err *err)
{
	char *b;
	size_t n = 0;
	ssize_t r = 0;
	int fd;

	*absent = 0;
	fd = openat(dirfd, KR_FILE,
		    O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd == -1 && errno == ENOENT) {
		*absent = 1;
		return 0;
	}
	if (fd == -1) {
		core_err_set(err, CORE_ECONFIG, "keyring_file",
			     "cannot open %s/" KR_FILE ": %s", dir,
			     strerror(errno));
		return -1;
	}
	if (kr_check_file(fd, dir, err) == -1) {
		close(fd);
		return -1;
	}
	/* The size was checked, but the file may grow under us: the read
	 * itself is bounded too. */
	b = core_xmalloc(KR_FILE_MAX + 1);
	while (n <= KR_FILE_MAX) {
		r = read(fd, b + n, KR_FILE_MAX + 1 - n);
		if (r == -1 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		n += (size_t)r;
	}
	close(fd);
	if (r == -1 || n > KR_FILE_MAX) {
		core_err_set(err, CORE_ECONFIG, "keyring_file",
			     "cannot read %s/" KR_FILE, dir);
		core_secret_free(b, KR_FILE_MAX + 1);
		return -1;
	}
	*buf = b;
	*len = n;
	return 0;
}

/* jansson frees without wiping: scrub the key strings we can reach. */
static void
kr_json_wipe(json_t *root)
{
	json_t *keys, *k, *v;
	size_t i;

	keys = json_object_get(root, "keys");
	json_array_foreach (keys, i, k) {
		v = json_object_get(k, "key");
		if (json_is_string(v))
			OPENSSL_cleanse((char *)(uintptr_t)json_string_value(v),
					json_string_length(v));
	}
}

static int
kr_parse_key(json_t *k, size_t idx, const char *dir, struct core_key *out,
	     struct core_err *err)
{
	json_error_t jerr;
	json_int_t created;
	const char *id, *b64;
	uint8_t *raw;
	size_t rawlen = 0;

	if (json_unpack_ex(k, &jerr, JSON_STRICT, "{s:s, s:I, s:s}", "id", &id,
			   "created", &created, "key", &b64) == -1) {
		core_err_set(err, CORE_ECONFIG, "keyring_syntax",
			     "%s/" KR_FILE ": keys[%zu]: %s", dir, idx,
			     jerr.text);
		return -1;
	}
	if (kr_unhex(id, out->id) == -1 || created < 0) {
		core_err_set(err, CORE_ECONFIG, "keyring_syntax",
			     "%s/" KR_FILE
			     ": keys[%zu]: id must be 8 lowercase "
			     "hex digits and created a non-negative epoch",
			     dir, idx);
		return -1;
	}
	raw = core_b64_decode(b64, strlen(b64), &rawlen);
	if (raw == NULL || rawlen != CORE_SEAL_KEY_LEN) {
		core_err_set(err, CORE_ECONFIG, "keyring_syntax",
			     "%s/" KR_FILE ": keys[%zu]: key must be base64 of "
			     "%d bytes",
			     dir, idx, CORE_SEAL_KEY_LEN);
		core_secret_free(raw, rawlen);
		return -1;
	}
	memcpy(out->key, raw, CORE_SEAL_KEY_LEN);
	core_secret_free(raw, rawlen);
	kr_hex(out->id, out->hex);
	out->created = (int64_t)created;
	return 0;
}

static int
kr_parse(const char *buf, size_t len, const char *dir, struct core_keyring *kr,
	 struct core_err *err)
{
	json_error_t jerr;
	json_int_t version;
	json_t *root, *keys = NULL;
	size_t i, j, n;
	int rc = -1;

	root = json_loadb(buf, len, JSON_REJECT_DUPLICATES, &jerr);
	if (root == NULL) {
		core_err_set(err, CORE_ECONFIG, "keyring_syntax",
			     "%s/" KR_FILE ":%d: %s", dir, jerr.line,
			     jerr.text);
		return -1;
	}
	if (json_unpack_ex(root, &jerr, JSON_STRICT, "{s:I, s:o}", "version",
			   &version, "keys", &keys) == -1) {
		core_err_set(err, CORE_ECONFIG, "keyring_syntax",
			     "%s/" KR_FILE ": %s", dir, jerr.text);
		goto out;
	}
	n = json_array_size(keys);
	if (version != 1 || !json_is_array(keys) || n == 0 ||
	    n > CORE_KEYRING_MAX_KEYS) {
		core_err_set(err, CORE_ECONFIG, "keyring_syntax",
			     "%s/" KR_FILE ": want version 1 and 1..%d keys",
			     dir, CORE_KEYRING_MAX_KEYS);
		goto out;
	}
	for (i = 0; i < n; i++) {
		if (kr_parse_key(json_array_get(keys, i), i, dir, &kr->keys[i],
				 err) == -1)
			goto out;
		for (j = 0; j < i; j++) {
			if (memcmp(kr->keys[j].id, kr->keys[i].id, KR_ID_LEN) ==
			    0) {
				core_err_set(err, CORE_ECONFIG,
					     "keyring_duplicate",
					     "%s/" KR_FILE ": duplicate key id "
					     "%s",
					     dir, kr->keys[i].hex);
				goto out;
			}
		}
	}
	kr->n = n;
	kr_sort(kr);
	rc = 0;
out:
	kr_json_wipe(root);
	json_decref(root);
	return rc;
}

/* Load the ring at dirfd into a new struct; *kr NULL when absent. */
static int
kr_load_at(int dirfd, const char *dir, struct core_keyring **out,
	   struct core_err *err)
{
	struct core_keyring *kr;
	char *buf = NULL;
	size_t len = 0;
	int absent;

	*out = NULL;
	if (kr_read(dirfd, dir, &buf, &len, &absent, err) == -1)
		return -1;
	if (absent)
		return 0;
	kr = kr_new();
	if (kr_parse(buf, len, dir, kr, err) == -1) {
		core_secret_free(buf, KR_FILE_MAX + 1);
		core_keyring_free(kr);
		return -1;
	}
	core_secret_free(buf, KR_FILE_MAX + 1);
	*out = kr;
	return 0;
}

struct core_keyring *
core_keyring_load(const char *dir, struct core_err *err)
{
	struct core_keyring *kr = NULL;
	int dirfd;

	dirfd = kr_open_dir(dir, 0, err);
	if (dirfd == -1)
		return NULL;
	if (kr_load_at(dirfd, dir, &kr, err) == 0 && kr == NULL)
		core_err_set(err, CORE_ECONFIG, "keyring_missing",
			     "no key ring in %s; run fedgate keygen", dir);
	close(dirfd);
	if (kr == NULL)
		return NULL;
	kr->cipher = EVP_CIPHER_fetch(NULL, "AES-256-GCM", NULL);
	if (kr->cipher == NULL) {
		core_err_set(err, CORE_ECONFIG, "openssl",
			     "OpenSSL has no AES-256-GCM");
		core_keyring_free(kr);
		return NULL;
	}
	return kr;
}

/* Serialize into out[KR_OUT_MAX]; the caller wipes it. */
static int
kr_format(const struct core_keyring *kr, char *out, size_t outsz)
{
	size_t i, off;
	char *b64;
	int n;

	n = snprintf(out, outsz, "{\"version\":1,\"keys\":[\n");
	off = (size_t)n;
	for (i = 0; i < kr->n; i++) {
		b64 = core_b64_encode(kr->keys[i].key, CORE_SEAL_KEY_LEN);
		n = snprintf(
		    out + off, outsz - off,
		    "{\"id\":\"%s\",\"created\":%lld,\"key\":\"%s\"}%s\n",
		    kr->keys[i].hex, (long long)kr->keys[i].created, b64,
		    i + 1 < kr->n ? "," : "");
		core_secret_free(b64, strlen(b64));
		if (n < 0 || (size_t)n >= outsz - off)
			return -1;
		off += (size_t)n;
	}
	n = snprintf(out + off, outsz - off, "]}\n");
	if (n < 0 || (size_t)n >= outsz - off)
		return -1;
	return (int)(off + (size_t)n);
}

static int
kr_write_all(int fd, const char *p, size_t n)
{
	ssize_t r;

	while (n > 0) {
		r = write(fd, p, n);
		if (r == -1 && errno == EINTR)
			continue;
		if (r <= 0)
			return -1;
		p += r;
		n -= (size_t)r;
	}
	return 0;
}

/* Atomic replace: O_EXCL tmp file (0600), fsync, rename, fsync DIR. */
static int
kr_write(int dirfd, const char *dir, const struct core_keyring *kr,
	 struct core_err *err)
{
	char tmp[64], out[KR_OUT_MAX];
	uint32_t rnd;
	int fd, len, rc = -1;

	len = kr_format(kr, out, sizeof(out));
	if (len < 0)
		goto out;
	core_random(&rnd, sizeof(rnd));
	snprintf(tmp, sizeof(tmp), "." KR_FILE ".%ld.%08x", (long)getpid(),
		 (unsigned)rnd);
	fd = openat(dirfd, tmp,
		    O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd == -1)
		goto out;
	if (kr_write_all(fd, out, (size_t)len) == -1 || fsync(fd) == -1) {
		close(fd);
		unlinkat(dirfd, tmp, 0);
		goto out;
	}
	if (close(fd) == -1 || renameat(dirfd, tmp, dirfd, KR_FILE) == -1) {
		unlinkat(dirfd, tmp, 0);
		goto out;
	}
	/* The rename is durable only once the directory entry is. */
	(void)fsync(dirfd);
	rc = 0;
out:
	if (rc == -1)
		core_err_set(err, CORE_ECONFIG, "keyring_write",
			     "cannot write %s/" KR_FILE ": %s", dir,
			     len < 0 ? "too many keys" : strerror(errno));
	OPENSSL_cleanse(out, sizeof(out));
	return rc;
}

/* A fresh key, newer than and distinct from every key in old. */
static void
kr_new_key(const struct core_keyring *old, struct core_key *k)
{
	int64_t now = core_now();

	do {
		core_random(k->id, KR_ID_LEN);
	} while (old != NULL && kr_find(old, k->id) != NULL);
	kr_hex(k->id, k->hex);
	core_random(k->key, CORE_SEAL_KEY_LEN);
	/* If the clock went back, still sort after the previous key so the
	 * new key becomes the active one. */
	if (old != NULL && old->n > 0 && old->keys[old->n - 1].created >= now)
		now = old->keys[old->n - 1].created + 1;
	k->created = now;
}

static int
kr_rotate(const char *dir, int keep, int only_if_absent, struct core_err *err)
{
	struct core_keyring *old = NULL, *kr = NULL;
	size_t i, from;
	int dirfd, rc = -1;

	if (keep < 0 || keep > CORE_KEYRING_MAX_KEYS - 1) {
		core_err_set(err, CORE_ECONFIG, "keyring_keep",
			     "keep must be 0..%d", CORE_KEYRING_MAX_KEYS - 1);
		return -1;
	}
	dirfd = kr_open_dir(dir, 1, err);
	if (dirfd == -1)
		return -1;
	/* Serialize concurrent rotations (two instances starting at once)
	 * so that neither drops the other's new key. */
	if (flock(dirfd, LOCK_EX) == -1) {
		core_err_set(err, CORE_ECONFIG, "keyring_lock",
			     "cannot lock %s: %s", dir, strerror(errno));
		goto out;
	}
	if (kr_load_at(dirfd, dir, &old, err) == -1)
		goto out;
	if (old != NULL && only_if_absent) {
		rc = 0;
		goto out;
	}
	kr = kr_new();
	from =
	    (old != NULL && old->n > (size_t)keep) ? old->n - (size_t)keep : 0;
	for (i = from; old != NULL && i < old->n; i++)
		kr->keys[kr->n++] = old->keys[i];
	kr_new_key(old, &kr->keys[kr->n++]);
	if (kr_write(dirfd, dir, kr, err) == -1)
		goto out;
	log_info("%s: %s: new active key %s, %zu older kept", __func__, dir,
		 kr->keys[kr->n - 1].hex, kr->n - 1);
	rc = 0;
out:
	core_keyring_free(old);
	core_keyring_free(kr);
	close(dirfd); /* releases the lock */
	return rc;
}

int
core_keyring_rotate(const char *dir, int keep, struct core_err *err)
{
	return kr_rotate(dir, keep, 0, err);
}

struct core_keyring *
core_keyring_load_or_create(const char *dir, struct core_err *err)
{
	if (kr_rotate(dir, 0, 1, err) == -1)
		return NULL;
	return core_keyring_load(dir, err);
}

char *
core_seal(const struct core_keyring *kr, const char *aad, const uint8_t *pt,
	  size_t ptlen)
{
	const struct core_key *k;
	EVP_CIPHER_CTX *ctx = NULL;
	uint8_t *blob, *ct;
	size_t aadlen, bloblen;
	char *out = NULL;
	int n = 0, fin = 0;

	if (kr == NULL || kr->n == 0 || aad == NULL ||
	    (pt == NULL && ptlen > 0) || ptlen > SEAL_PT_MAX)
		return NULL;
	aadlen = strlen(aad);
	if (aadlen > SEAL_AAD_MAX)
		return NULL;
	k = &kr->keys[kr->n - 1];
	bloblen = SEAL_OVERHEAD + ptlen;
	blob = core_xmalloc(bloblen);
	blob[0] = SEAL_VERSION;
	memcpy(blob + 1, k->id, KR_ID_LEN);
	core_random(blob + SEAL_HDR_LEN, SEAL_NONCE_LEN);
	ct = blob + SEAL_HDR_LEN + SEAL_NONCE_LEN;

	ctx = EVP_CIPHER_CTX_new();
	if (ctx == NULL ||
	    EVP_EncryptInit_ex2(ctx, kr->cipher, k->key, blob + SEAL_HDR_LEN,
				NULL) != 1 ||
	    EVP_EncryptUpdate(ctx, NULL, &n, blob, SEAL_HDR_LEN) != 1 ||
	    EVP_EncryptUpdate(ctx, NULL, &n, (const uint8_t *)aad,
			      (int)aadlen) != 1)
		goto out;
	n = 0;
	if (ptlen > 0 && EVP_EncryptUpdate(ctx, ct, &n, pt, (int)ptlen) != 1)
		goto out;
	if (EVP_EncryptFinal_ex(ctx, ct + n, &fin) != 1 ||
	    (size_t)n + (size_t)fin != ptlen ||
	    EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_AEAD_GET_TAG, SEAL_TAG_LEN,
				ct + ptlen) != 1)
		goto out;
	out = core_b64url_encode(blob, bloblen);
out:
	if (out == NULL)
		log_warnx("%s: AES-256-GCM encryption failed", __func__);
	EVP_CIPHER_CTX_free(ctx);
	free(blob);
	return out;
}

/* Decrypt and verify; 0 and pt filled, or -1. */
static int
seal_open(const struct core_keyring *kr, const struct core_key *k,
	  const char *aad, uint8_t *raw, size_t rawlen, uint8_t *pt)
{
	EVP_CIPHER_CTX *ctx;
	uint8_t *nonce = raw + SEAL_HDR_LEN, *ct = nonce + SEAL_NONCE_LEN;
	size_t ctlen = rawlen - SEAL_OVERHEAD;
	int n = 0, fin = 0, rc = -1;

	ctx = EVP_CIPHER_CTX_new();
	if (ctx == NULL ||
	    EVP_DecryptInit_ex2(ctx, kr->cipher, k->key, nonce, NULL) != 1 ||
	    EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_AEAD_SET_TAG, SEAL_TAG_LEN,
				ct + ctlen) != 1 ||
	    EVP_DecryptUpdate(ctx, NULL, &n, raw, SEAL_HDR_LEN) != 1 ||
	    EVP_DecryptUpdate(ctx, NULL, &n, (const uint8_t *)aad,
			      (int)strlen(aad)) != 1)
		goto out;
	n = 0;
	if (ctlen > 0 && EVP_DecryptUpdate(ctx, pt, &n, ct, (int)ctlen) != 1)
		goto out;
	/* The tag is checked here; until then pt is unauthenticated. */
	if (EVP_DecryptFinal_ex(ctx, pt + n, &fin) != 1 ||
	    (size_t)n + (size_t)fin != ctlen)
		goto out;
	rc = 0;
out:
	EVP_CIPHER_CTX_free(ctx);
	return rc;
}

uint8_t *
core_unseal(const struct core_keyring *kr, const char *aad, const char *blob,
	    size_t bloblen, size_t *ptlen)
{
	const struct core_key *k;
	uint8_t *raw, *pt = NULL;
	size_t rawlen = 0, ctlen;

	if (kr == NULL || aad == NULL || blob == NULL || ptlen == NULL ||
	    bloblen > SEAL_B64_MAX || strlen(aad) > SEAL_AAD_MAX)
		return NULL;
	raw = core_b64url_decode(blob, bloblen, &rawlen);
	if (raw == NULL || rawlen < SEAL_OVERHEAD || raw[0] != SEAL_VERSION)
		goto out;
	k = kr_find(kr, raw + 1);
	if (k == NULL)
		goto out;
	ctlen = rawlen - SEAL_OVERHEAD;
	pt = core_xmalloc(ctlen + 1);
	if (seal_open(kr, k, aad, raw, rawlen, pt) == -1) {
		core_secret_free(pt, ctlen + 1);
		pt = NULL;
		goto out;
	}
	pt[ctlen] = '\0';
	*ptlen = ctlen;
out:
	free(raw);
	return pt;
}
