/* gateway/login_cache.c - `fedgate login`: the credential cache
 *
 * An SDK calls credential_process for every new client, so the command
 * keeps its last result on disk and reuses it while more than 15 minutes
 * remain, instead of opening a browser each time. The entries are live
 * AWS credentials: the directory and every file must be this user's and
 * private (0700/0600), nothing is followed through a symlink (O_NOFOLLOW
 * on an fd of the directory), a defect of any kind is a miss rather than
 * an error, and an entry is replaced atomically. Separate from the
 * command (logincmd.c) because these file-system rules are a concern of
 * their own, reviewed on their own.
 */
#include "gateway/logincmd_int.h"

#include <sys/types.h>
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/mem.h"
#include "core/secret.h"
#include "core/timeutil.h"

#define LOGIN_CACHE_MIN_LEFT 900  /* reuse while more than 15 min remain */

static void
cache_warn(const char *what, const char *detail)
{
	fprintf(stderr, LOGIN_PREFIX "not using the cache: %s%s%s\n", what,
		detail != NULL ? ": " : "", detail != NULL ? detail : "");
}

/* Someone else's, or readable by others: neither trusted nor used. */
static int
private_to_us(const struct stat *st)
{
	return st->st_uid == geteuid() && (st->st_mode & 077) == 0;
}

/* $XDG_CACHE_HOME/fedgate or ~/.cache/fedgate as a directory fd, or -1. */
int
gw_login_cache_open(void)
{
	const char *xdg = getenv("XDG_CACHE_HOME"), *home = getenv("HOME");
	struct stat st;
	char *base;
	int bfd, dfd = -1;

	/* XDG Base Directory spec: a relative path is invalid, ignore it. */
	if (xdg != NULL && xdg[0] == '/')
		base = core_xstrdup(xdg);
	else if (home != NULL && home[0] == '/')
		base = core_xasprintf("%s/.cache", home);
	else {
		cache_warn("neither $XDG_CACHE_HOME nor $HOME is set", NULL);
		return -1;
	}
	if (mkdir(base, 0700) == -1 && errno != EEXIST)
		cache_warn(base, strerror(errno));
	else if ((bfd = open(base, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) == -1)
		cache_warn(base, strerror(errno));
	else {
		if (mkdirat(bfd, "fedgate", 0700) == -1 && errno != EEXIST)
			cache_warn(base, strerror(errno));
		else if ((dfd = openat(bfd, "fedgate", O_RDONLY | O_DIRECTORY |
				       O_NOFOLLOW | O_CLOEXEC)) == -1)
			cache_warn("fedgate cache directory", strerror(errno));
		else if (fstat(dfd, &st) == -1 || !private_to_us(&st)) {
			cache_warn("fedgate cache directory is not private to "
				   "this user (want mode 0700)", base);
			close(dfd);
			dfd = -1;
		}
		close(bfd);
	}
	free(base);
	return dfd;
}

/* First 32 hex of SHA-256(url "\n" role "\n" duration). */
void
gw_login_cache_name(const char *url, const char *role, long duration,
		    char name[33])
{
	char *key = core_xasprintf("%s\n%s\n%ld", url,
				   role != NULL ? role : "", duration);
	char hex[65];

	core_sha256_hex(key, strlen(key), hex);
	free(key);
	memcpy(name, hex, 32);
	name[32] = '\0';
}

static int
read_all(int fd, char *buf, size_t max, size_t *len)
{
	ssize_t n;

	*len = 0;
	while (*len < max) {
		n = read(fd, buf + *len, max - *len);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1)
			return -1;
		if (n == 0)
			break;
		*len += (size_t)n;
	}
	return 0;
}

/* 0 with *c filled when a usable entry exists; any defect is a miss. */
int
gw_login_cache_read(int dfd, const char *name, struct login_creds *c)
{
	char *buf = core_xmalloc(LOGIN_MAX_RESPONSE + 1);
	struct stat st;
	size_t len;
	int fd, rc = -1;

	fd = openat(dfd, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
	if (fd == -1)
		goto out;
	if (fstat(fd, &st) == -1 || !S_ISREG(st.st_mode) ||
	    st.st_size > LOGIN_MAX_RESPONSE) {
		cache_warn("cache entry is not a small regular file", name);
		goto out;
	}
	if (!private_to_us(&st)) {
		cache_warn("cache entry is not private to this user", name);
		goto out;
	}
	if (read_all(fd, buf, LOGIN_MAX_RESPONSE, &len) == -1 ||
	    gw_login_creds_parse(buf, len, c) == -1)
		goto out;
	if (c->expires - core_now() <= LOGIN_CACHE_MIN_LEFT) {
		gw_login_creds_clear(c);
		goto out;
	}
	rc = 0;
out:
	if (fd != -1)
		close(fd);
	core_secret_free(buf, LOGIN_MAX_RESPONSE + 1);
	return rc;
}

/* Atomic replace: a reader sees the old entry or the new, never half. */
void
gw_login_cache_write(int dfd, const char *name, const char *data, size_t len)
{
	char tmp[64];
	size_t off = 0;
	ssize_t n;
	int fd;

	snprintf(tmp, sizeof(tmp), "%s.tmp.%ld", name, (long)getpid());
	unlinkat(dfd, tmp, 0);
	fd = openat(dfd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW |
		    O_CLOEXEC, 0600);
	if (fd == -1) {
		cache_warn("cannot write the cache", strerror(errno));
		return;
	}
	while (off < len) {
		n = write(fd, data + off, len - off);
		if (n == -1 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		off += (size_t)n;
	}
	if (off != len || fsync(fd) == -1) {
		cache_warn("cannot write the cache", strerror(errno));
		close(fd);
		unlinkat(dfd, tmp, 0);
		return;
	}
	if (close(fd) == -1 || renameat(dfd, tmp, dfd, name) == -1) {
		cache_warn("cannot write the cache", strerror(errno));
		unlinkat(dfd, tmp, 0);
	}
}
