/* test_store.c - core/store: URLs, the memory backend, and the Redis
 * backend against a redis-server this test starts on a free port (skipped,
 * with a message, when redis-server is not installed). The same behaviour
 * table runs on both backends. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <sys/socket.h>
#include <sys/wait.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "core/err.h"
#include "core/store.h"
#include "core/timeutil.h"

#define NOW 1700000000LL
#define AS16 "aaaaaaaaaaaaaaaa"
#define AS AS16 AS16 AS16 AS16 AS16 AS16 AS16 AS16 AS16	/* 144 */

/* ---- URLs ---- */

static void
test_url_check(void **state)
{
	static const struct {
		const char *url;
		int ok, has_pw;
		const char *msg;	/* substring of the refusal */
	} cases[] = {
	    {"memory", 1, 0, NULL},
	    {"redis://127.0.0.1:6379", 1, 0, NULL},
	    {"redis://redis.internal:6379/0", 1, 0, NULL},
	    {"redis://r-1.example.net:1/255", 1, 0, NULL},
	    {"redis://[::1]:6379/2", 1, 0, NULL},
	    {"redis://:s3cret@127.0.0.1:6379/1", 1, 1, NULL},
	    {"redis://:p%40ss@h:6379", 1, 1, NULL},
	    {"redis://:a@b@h:6379", 1, 1, NULL},
	    {"", 0, 0, "must be 'memory'"},
	    {"Memory", 0, 0, "must be 'memory'"},
	    {"memcached://h:1", 0, 0, "must be 'memory'"},
	    {"rediss://h:6380", 0, 0, "TLS"},
	    {"redis://localhost", 0, 0, "a port is required"},
	    {"redis://h:", 0, 0, "port must be"},
	    {"redis://h:0", 0, 0, "port must be"},
	    {"redis://h:65536", 0, 0, "port must be"},
	    {"redis://h:06379", 0, 0, "port must be"},
	    {"redis://h:+1", 0, 0, "port must be"},
	    {"redis://h:6379/", 0, 0, "database"},
	    {"redis://h:6379/256", 0, 0, "database"},
	    {"redis://h:6379/01", 0, 0, "database"},
	    {"redis://h:6379/0/1", 0, 0, "database"},
	    {"redis://h:6379?db=1", 0, 0, "no query"},
	    {"redis://h:6379#x", 0, 0, "no query"},
	    {"redis://:6379", 0, 0, "bad host"},
	    {"redis://h_1:6379", 0, 0, "bad host"},
	    {"redis://[::1:6379", 0, 0, "IPv6"},
	    {"redis://[]:6379", 0, 0, "IPv6"},
	    {"redis://user:pw@h:6379", 0, 0, "only a password"},
	    {"redis://:@h:6379", 0, 0, "only a password"},
	    {"redis://@h:6379", 0, 0, "only a password"},
	    {"redis://:p%4@h:6379", 0, 0, "%-escape"},
	    {"redis://:p%20w@h:6379", 0, 0, "control characters"},
	    {"redis://:p%00w@h:6379", 0, 0, "control characters"},
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int pw = -1;
		const char *msg = core_store_url_check(cases[i].url, &pw);

		if (cases[i].ok && msg != NULL)
			fail_msg("%s: refused: %s", cases[i].url, msg);
		if (!cases[i].ok && (msg == NULL ||
				     strstr(msg, cases[i].msg) == NULL))
			fail_msg("%s: got %s", cases[i].url,
				 msg ? msg : "accepted");
		if (cases[i].ok && pw != cases[i].has_pw)
			fail_msg("%s: has_password %d", cases[i].url, pw);
		/* A message never repeats the password. */
		if (msg != NULL && strstr(msg, "s3cret") != NULL)
			fail_msg("%s: password echoed", cases[i].url);
	}
}

static void
test_url_parse(void **state)
{
	struct core_store_url u;
	char longpw[200];

	(void)state;
	assert_null(core_store_url_parse("redis://:p%40ss%2F@10.0.0.7:7000/3",
					 &u));
	assert_string_equal(u.host, "10.0.0.7");
	assert_int_equal(u.port, 7000);
	assert_int_equal(u.db, 3);
	assert_string_equal(u.password, "p@ss/");
	assert_null(core_store_url_parse("redis://[fe80::1]:1", &u));
	assert_string_equal(u.host, "fe80::1");
	assert_int_equal(u.db, 0);
	assert_string_equal(u.password, "");
	snprintf(longpw, sizeof(longpw), "redis://:%.*s@h:1", 129, AS);
	assert_non_null(core_store_url_parse(longpw, &u));
	snprintf(longpw, sizeof(longpw), "redis://:%.*s@h:1", 128, AS);
	assert_null(core_store_url_parse(longpw, &u));
	assert_int_equal(strlen(u.password), 128);
}

static void
test_open(void **state)
{
	struct core_err err = {0};
	struct core_store *s;

	(void)state;
	s = core_store_open("memory", &err);
	assert_non_null(s);
	assert_string_equal(core_store_describe(s), "memory");
	core_store_close(s);
	s = core_store_open("redis://:pw@127.0.0.1:1/4", &err);
	assert_non_null(s);	/* lazily connected: nothing listens on 1 */
	assert_string_equal(core_store_describe(s), "redis://127.0.0.1:1/4");
	core_store_close(s);
	s = core_store_open("redis://[::1]:6379", &err);
	assert_string_equal(core_store_describe(s), "redis://[::1]:6379/0");
	core_store_close(s);
	assert_null(core_store_open("redis://h", &err));
	assert_int_equal(err.code, CORE_ECONFIG);
	core_store_close(NULL);
}

/* ---- behaviour, for any backend ---- */

/* Unique keys per run: a Redis may keep keys of an earlier run. */
static void
ukey(char *out, size_t n, const char *base)
{
	static unsigned seq;

	snprintf(out, n, "%s-%ld-%d-%u", base, (long)time(NULL), (int)getpid(),
		 seq++);
}

static void
check_add_once(struct core_store *s)
{
	struct core_err err = {0};
	char k[96], k2[96];
	int64_t now = core_now();

	ukey(k, sizeof(k), "a");
	ukey(k2, sizeof(k2), "b");
	assert_int_equal(core_store_add_once(s, "t", k, now + 60, &err), 1);
	assert_int_equal(core_store_add_once(s, "t", k, now + 60, &err), 0);
	assert_int_equal(core_store_add_once(s, "t", k, now + 999, &err), 0);
	/* Namespaces and keys are separate. */
	assert_int_equal(core_store_add_once(s, "t2", k, now + 60, &err), 1);
	assert_int_equal(core_store_add_once(s, "t", k2, now + 60, &err), 1);
	/* Already expired: nothing recorded, so never a replay. */
	assert_int_equal(core_store_add_once(s, "t", "old", now - 1, &err), 1);
	assert_int_equal(core_store_add_once(s, "t", "old", now - 1, &err), 1);
	assert_int_equal(err.code, CORE_OK);
}

static void
check_bad_input(struct core_store *s)
{
	static const struct {
		const char *name, *ns, *key;
	} cases[] = {
	    {"empty ns", "", "k"},
	    {"upper ns", "NS", "k"},
	    {"colon ns", "a:b", "k"},
	    {"long ns", "abcdefghijklmnopqrstuvwxyz0123456", "k"},
	    {"empty key", "t", ""},
	    {"space key", "t", "a b"},
	    {"newline key", "t", "a\nb"},
	    {"del key", "t", "a\x7f"},
	};
	char longkey[CORE_STORE_MAX_KEY + 2];
	uint64_t before = core_store_errors(s);
	int64_t n = 0;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct core_err err = {0};

		if (core_store_add_once(s, cases[i].ns, cases[i].key,
					core_now() + 60, &err) != -1 ||
		    err.code != CORE_EINTERNAL)
			fail_msg("%s: accepted", cases[i].name);
	}
	memset(longkey, 'k', sizeof(longkey));
	longkey[CORE_STORE_MAX_KEY + 1] = '\0';
	assert_int_equal(core_store_set(s, "t", longkey, "v", core_now() + 9,
					NULL), -1);
	longkey[CORE_STORE_MAX_KEY] = '\0';
	assert_int_equal(core_store_del(s, "t", longkey, NULL), 0);
	assert_int_equal(core_store_incr_window(s, "t", "k", 0, NOW, &n, NULL),
			 -1);
	assert_int_equal(core_store_incr_window(s, "t", "k", 86401, NOW, &n,
						NULL), -1);
	assert_int_equal(core_store_add_once(s, "t", "k", -5, NULL), -1);
	/* Caller bugs are not store failures. */
	assert_int_equal(core_store_errors(s), before);
}

static void
check_incr(struct core_store *s)
{
	struct core_err err = {0};
	char k[96], k2[96];
	int64_t n = 0, t = core_now();

	ukey(k, sizeof(k), "ip");
	ukey(k2, sizeof(k2), "ip");
	t -= t % 60;	/* the start of a 60 s window */
	for (int64_t want = 1; want <= 5; want++) {
		assert_int_equal(core_store_incr_window(s, "rl", k, 60,
							t + want, &n, &err), 0);
		assert_int_equal(n, want);
	}
	assert_int_equal(core_store_incr_window(s, "rl", k2, 60, t + 59, &n,
						&err), 0);
	assert_int_equal(n, 1);
	/* The next window starts from zero. */
	assert_int_equal(core_store_incr_window(s, "rl", k, 60, t + 60, &n,
						&err), 0);
	assert_int_equal(n, 1);
	assert_int_equal(core_store_incr_window(s, "rl", k, 60, t + 119, &n,
						&err), 0);
	assert_int_equal(n, 2);
	assert_int_equal(err.code, CORE_OK);
}

/*
 * Token buckets give the same answers on both backends: {3 per 10 s,
 * burst 3} taken at ms offsets from a base time, then a burst of 100
 * raced by 8 threads (no refill worth a token meanwhile).
 */
static void
check_bucket(struct core_store *s)
{
	static const struct {
		int64_t at_ms;
		int allowed;
	} hits[] = {
	    {0, 1}, {0, 1}, {1, 1}, {2, 0}, {3332, 0}, {3334, 1}, {3335, 0},
	    {10002, 1}, {10002, 1}, {10002, 0},
	    {9000, 0},			/* a clock behind refills nothing */
	    {90000000, 1}, {90000000, 1}, {90000000, 1}, {90000000, 0},
	};
	struct core_err err = {0};
	int64_t base = (core_now() - 86400) * 1000;
	char k[96];
	int ok = -1;

	ukey(k, sizeof(k), "tb");
	for (size_t i = 0; i < sizeof(hits) / sizeof(hits[0]); i++) {
		assert_int_equal(core_store_take_token(s, "rl", k, 3, 10, 3,
						       base + hits[i].at_ms,
						       &ok, &err), 0);
		if (ok != hits[i].allowed)
			fail_msg("hit %zu at +%lld ms: got %d, want %d", i,
				 (long long)hits[i].at_ms, ok,
				 hits[i].allowed);
	}
	assert_int_equal(err.code, CORE_OK);
	/* Caller bugs: no such bucket. */
	assert_int_equal(core_store_take_token(s, "rl", k, 0, 10, 3, base, &ok,
					       NULL), -1);
	assert_int_equal(core_store_take_token(s, "rl", k, 3, 0, 3, base, &ok,
					       NULL), -1);
	assert_int_equal(core_store_take_token(s, "rl", k, 3, 10, 1000001,
					       base, &ok, NULL), -1);
}

struct bucket_race {
	struct core_store *s;
	const char *key;
	int won;
};

static void *
bucket_race_main(void *arg)
{
	struct bucket_race *r = arg;
	int ok = 0;

	for (int i = 0; i < 50; i++)
		if (core_store_take_token(r->s, "rl", r->key, 1, 3600, 100,
					  core_now() * 1000, &ok, NULL) == 0 &&
		    ok)
			r->won++;
	return NULL;
}

/* 8 threads x 50 takes from a bucket of 100: exactly 100 succeed. */
static void
check_bucket_race(struct core_store *s)
{
	struct bucket_race r[8];
	pthread_t th[8];
	char k[96];
	int total = 0;

	ukey(k, sizeof(k), "tbr");
	for (int i = 0; i < 8; i++) {
		r[i] = (struct bucket_race){s, k, 0};
		assert_int_equal(pthread_create(&th[i], NULL, bucket_race_main,
						&r[i]), 0);
	}
	for (int i = 0; i < 8; i++) {
		pthread_join(th[i], NULL);
		total += r[i].won;
	}
	assert_int_equal(total, 100);
}

static void
check_set_get(struct core_store *s)
{
	struct core_err err = {0};
	char k[96], buf[64], big[CORE_STORE_MAX_VALUE + 2];
	int64_t now = core_now();

	ukey(k, sizeof(k), "rev");
	assert_int_equal(core_store_get(s, "rev", k, buf, sizeof(buf), &err),
			 0);
	assert_string_equal(buf, "");
	assert_int_equal(core_store_set(s, "rev", k, "before=1700000000",
					now + 60, &err), 0);
	assert_int_equal(core_store_get(s, "rev", k, buf, sizeof(buf), &err),
			 1);
	assert_string_equal(buf, "before=1700000000");
	assert_int_equal(core_store_set(s, "rev", k, "x", now + 60, &err), 0);
	assert_int_equal(core_store_get(s, "rev", k, buf, sizeof(buf), &err),
			 1);
	assert_string_equal(buf, "x");
	/* Too small a buffer is an error, not a truncated value. */
	assert_int_equal(core_store_get(s, "rev", k, buf, 1, &err), -1);
	assert_int_equal(err.code, CORE_EINTERNAL);
	memset(&err, 0, sizeof(err));
	/* add_once keys read as "1", as in Redis. */
	assert_int_equal(core_store_add_once(s, "rev", "once", now + 60, &err),
			 1);
	assert_int_equal(core_store_get(s, "rev", "once", buf, sizeof(buf),
					&err), 1);
	assert_string_equal(buf, "1");
	assert_int_equal(core_store_del(s, "rev", "once", &err), 1);
	/* Deleted, and an expiry in the past deletes. */
	assert_int_equal(core_store_del(s, "rev", k, &err), 1);
	assert_int_equal(core_store_del(s, "rev", k, &err), 0);
	assert_int_equal(core_store_set(s, "rev", k, "y", now + 60, &err), 0);
	assert_int_equal(core_store_set(s, "rev", k, "z", now - 1, &err), 0);
	assert_int_equal(core_store_get(s, "rev", k, buf, sizeof(buf), &err),
			 0);
	memset(big, 'v', sizeof(big));
	big[CORE_STORE_MAX_VALUE + 1] = '\0';
	assert_int_equal(core_store_set(s, "rev", k, big, now + 60, &err), -1);
	assert_int_equal(err.code, CORE_EINTERNAL);
}

struct race {
	struct core_store *s;
	const char *prefix;
	int won;
};

static void *
race_main(void *arg)
{
	struct race *r = arg;
	char k[64];

	for (int i = 0; i < 200; i++) {
		snprintf(k, sizeof(k), "%s-%d", r->prefix, i);
		if (core_store_add_once(r->s, "race", k, core_now() + 60,
					NULL) == 1)
			r->won++;
	}
	return NULL;
}

/* Each key is won by exactly one of the threads racing for it. */
static void
check_race(struct core_store *s)
{
	struct race r[8];
	pthread_t th[8];
	char prefix[64];
	int total = 0;

	ukey(prefix, sizeof(prefix), "r");
	for (int i = 0; i < 8; i++) {
		r[i] = (struct race){s, prefix, 0};
		assert_int_equal(pthread_create(&th[i], NULL, race_main, &r[i]),
				 0);
	}
	for (int i = 0; i < 8; i++) {
		pthread_join(th[i], NULL);
		total += r[i].won;
	}
	assert_int_equal(total, 200);
}

/* ---- memory backend ---- */

static void
test_mem_behaviour(void **state)
{
	struct core_store *s = core_store_open_memory(10000);

	(void)state;
	check_add_once(s);
	check_bad_input(s);
	check_incr(s);
	check_bucket(s);
	check_bucket_race(s);
	check_set_get(s);
	check_race(s);
	assert_int_equal(core_store_errors(s), 0);
	core_store_close(s);
}

/* Caller's clock: entries expire at expires_at, reusable afterwards. */
static void
test_mem_expiry(void **state)
{
	struct core_store *s = core_store_open_memory(100);
	struct core_err err = {0};

	(void)state;
	assert_int_equal(core_store_add_once_at(s, "t", "k", NOW + 10, NOW,
						&err), 1);
	assert_int_equal(core_store_add_once_at(s, "t", "k", NOW + 10,
						NOW + 9, &err), 0);
	assert_int_equal(core_store_add_once_at(s, "t", "k", NOW + 20,
						NOW + 10, &err), 1);
	assert_int_equal(core_store_add_once_at(s, "t", "k", NOW + 30,
						NOW + 19, &err), 0);
	assert_int_equal(core_store_count(s), 1);
	/* A purge (at most once a minute) drops what expired. */
	assert_int_equal(core_store_add_once_at(s, "t", "j", NOW + 500,
						NOW + 100, &err), 1);
	assert_int_equal(core_store_count(s), 1);
	core_store_close(s);
}

/* Full of unexpired entries: refuse (fail closed), never evict early. */
static void
test_mem_bounded(void **state)
{
	struct core_store *s = core_store_open_memory(3);
	struct core_err err = {0};
	char k[16];
	int64_t n = 0;

	(void)state;
	for (int i = 0; i < 3; i++) {
		snprintf(k, sizeof(k), "k%d", i);
		assert_int_equal(core_store_add_once_at(s, "t", k,
		    NOW + 100 + i * 100, NOW, &err), 1);
	}
	assert_int_equal(core_store_add_once_at(s, "t", "k3", NOW + 100,
						NOW + 1, &err), -1);
	assert_int_equal(err.code, CORE_EUNAVAILABLE);
	assert_string_equal(err.reason, "store_full");
	assert_int_equal(core_store_errors(s), 1);
	/* Every kind of new entry is refused; existing ones still answer. */
	assert_int_equal(core_store_incr_window(s, "t", "c", 60, NOW + 1, &n,
						NULL), -1);
	assert_int_equal(core_store_add_once_at(s, "t", "k0", NOW + 100,
						NOW + 1, NULL), 0);
	assert_int_equal(core_store_errors(s), 2);
	/* A flood of unique keys keeps the store at its bound. */
	for (int i = 0; i < 1000; i++) {
		snprintf(k, sizeof(k), "f%d", i);
		assert_int_equal(core_store_add_once_at(s, "t", k, NOW + 50,
							NOW + 2, NULL), -1);
	}
	assert_int_equal(core_store_count(s), 3);
	/* Once k0 expired there is room again. */
	assert_int_equal(core_store_add_once_at(s, "t", "k3", NOW + 500,
						NOW + 100, NULL), 1);
	assert_int_equal(core_store_count(s), 3);
	assert_int_equal(core_store_add_once_at(s, "t", "k1", NOW + 500,
						NOW + 101, NULL), 0);
	core_store_close(s);
}

/* ---- Redis backend against a private redis-server ---- */

struct redis_srv {
	pid_t pid;
	int port;
	char dir[64];
};

static struct redis_srv srv = {.pid = -1};
static const char *no_redis;	/* why the Redis tests are skipped */

static int
free_port(void)
{
	struct sockaddr_in a = {.sin_family = AF_INET};
	socklen_t len = sizeof(a);
	int fd = socket(AF_INET, SOCK_STREAM, 0), port = -1;

	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (fd >= 0 && bind(fd, (struct sockaddr *)&a, sizeof(a)) == 0 &&
	    getsockname(fd, (struct sockaddr *)&a, &len) == 0)
		port = ntohs(a.sin_port);
	if (fd >= 0)
		close(fd);
	return port;
}

static int
port_open(int port)
{
	struct sockaddr_in a = {.sin_family = AF_INET};
	int fd = socket(AF_INET, SOCK_STREAM, 0), ok;

	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	a.sin_port = htons((uint16_t)port);
	ok = fd >= 0 && connect(fd, (struct sockaddr *)&a, sizeof(a)) == 0;
	if (fd >= 0)
		close(fd);
	return ok;
}

static const char *
redis_bin(void)
{
	static const char *const paths[] = {"/usr/bin/redis-server",
					    "/usr/local/bin/redis-server"};

	for (size_t i = 0; i < 2; i++)
		if (access(paths[i], X_OK) == 0)
			return paths[i];
	return NULL;
}

/* redis-server in the foreground, no persistence, loopback only. */
static int
redis_start(const char *password)
{
	char port[16];
	const char *bin = redis_bin();

	snprintf(port, sizeof(port), "%d", srv.port);
	srv.pid = fork();
	if (srv.pid == 0) {
		int fd = open("/dev/null", O_WRONLY);

		dup2(fd, 1);
		dup2(fd, 2);
		if (password != NULL)
			execl(bin, bin, "--port", port, "--bind", "127.0.0.1",
			      "--save", "", "--appendonly", "no",
			      "--daemonize", "no", "--dir", srv.dir,
			      "--requirepass", password, (char *)NULL);
		else
			execl(bin, bin, "--port", port, "--bind", "127.0.0.1",
			      "--save", "", "--appendonly", "no",
			      "--daemonize", "no", "--dir", srv.dir,
			      (char *)NULL);
		_exit(127);
	}
	for (int i = 0; i < 200 && srv.pid > 0; i++) {
		if (port_open(srv.port))
			return 0;
		usleep(25000);
	}
	return -1;
}

static void
redis_stop(void)
{
	if (srv.pid > 0) {
		kill(srv.pid, SIGTERM);
		waitpid(srv.pid, NULL, 0);
	}
	srv.pid = -1;
}

static int
redis_setup(void **state)
{
	(void)state;
	if (redis_bin() == NULL) {
		no_redis = "redis-server not installed: Redis backend tests "
			   "skipped";
		fprintf(stderr, "# %s\n", no_redis);
		return 0;
	}
	snprintf(srv.dir, sizeof(srv.dir), "/tmp/fedgate-store-XXXXXX");
	if (mkdtemp(srv.dir) == NULL || (srv.port = free_port()) < 0 ||
	    redis_start(NULL) == -1) {
		fprintf(stderr, "# could not start redis-server\n");
		return -1;
	}
	return 0;
}

static int
redis_teardown(void **state)
{
	(void)state;
	redis_stop();
	if (srv.dir[0] != '\0')
		rmdir(srv.dir);
	return 0;
}

static struct core_store *
redis_open(const char *userinfo, int db)
{
	struct core_err err = {0};
	struct core_store *s;
	char url[128];

	snprintf(url, sizeof(url), "redis://%s127.0.0.1:%d/%d", userinfo,
		 srv.port, db);
	s = core_store_open(url, &err);
	if (s == NULL)
		fail_msg("open %s: %s", url, err.msg);
	return s;
}

#define NEED_REDIS() do {						\
	if (no_redis != NULL)						\
		skip();							\
} while (0)

static void
test_redis_behaviour(void **state)
{
	struct core_store *s;

	(void)state;
	NEED_REDIS();
	s = redis_open("", 0);
	check_add_once(s);
	check_bad_input(s);
	check_incr(s);
	check_bucket(s);
	check_bucket_race(s);
	check_set_get(s);
	check_race(s);
	assert_int_equal(core_store_errors(s), 0);
	assert_int_equal(core_store_count(s), 0);
	core_store_close(s);
}

/* Two stores on one Redis see the same keys (two fedgate instances);
 * another database does not. */
static void
test_redis_shared(void **state)
{
	struct core_store *a, *b, *c;
	char k[96];
	int64_t now = core_now();

	(void)state;
	NEED_REDIS();
	a = redis_open("", 1);
	b = redis_open("", 1);
	c = redis_open("", 2);
	ukey(k, sizeof(k), "id");
	assert_int_equal(core_store_add_once(a, "saml_replay", k, now + 60,
					     NULL), 1);
	assert_int_equal(core_store_add_once(b, "saml_replay", k, now + 60,
					     NULL), 0);
	assert_int_equal(core_store_add_once(c, "saml_replay", k, now + 60,
					     NULL), 1);
	core_store_close(a);
	core_store_close(b);
	core_store_close(c);
}

/* Expiry is Redis's own: after the TTL the key may be used again. */
static void
test_redis_expiry(void **state)
{
	struct core_store *s;
	char k[96];
	int64_t now = core_now();

	(void)state;
	NEED_REDIS();
	s = redis_open("", 0);
	ukey(k, sizeof(k), "ttl");
	assert_int_equal(core_store_add_once_at(s, "t", k, now + 1, now, NULL),
			 1);
	assert_int_equal(core_store_add_once_at(s, "t", k, now + 1, now, NULL),
			 0);
	usleep(1100000);
	assert_int_equal(core_store_add_once_at(s, "t", k, now + 10, now,
						NULL), 1);
	core_store_close(s);
}

/* Down: fail closed and count; back: reconnect without a new store. */
static void
test_redis_down_and_back(void **state)
{
	struct core_store *s;
	struct core_err err = {0};
	char k[96];
	int rc = -1;

	(void)state;
	NEED_REDIS();
	s = redis_open("", 0);
	ukey(k, sizeof(k), "down");
	assert_int_equal(core_store_add_once(s, "t", k, core_now() + 60, NULL),
			 1);
	redis_stop();
	assert_int_equal(core_store_add_once(s, "t", k, core_now() + 60, &err),
			 -1);
	assert_int_equal(err.code, CORE_EUNAVAILABLE);
	assert_string_equal(err.reason, "store_unavailable");
	assert_int_equal(core_store_incr_window(s, "t", k, 60, core_now(),
						&(int64_t){0}, NULL), -1);
	assert_int_equal(core_store_get(s, "t", k, (char[8]){0}, 8, NULL), -1);
	assert_true(core_store_errors(s) >= 3);
	assert_int_equal(redis_start(NULL), 0);
	/* Backoff: each connection retries at most once a second. */
	for (int i = 0; i < 40 && rc != 1; i++) {
		rc = core_store_add_once(s, "t", k, core_now() + 60, NULL);
		if (rc != 1)
			usleep(100000);
	}
	assert_int_equal(rc, 1);	/* a fresh server: the key is new */
	core_store_close(s);
}

/* Password from the URL or $FEDGATE_REDIS_PASSWORD; a wrong one fails. */
static void
test_redis_password(void **state)
{
	struct core_store *s;
	struct core_err err = {0};

	(void)state;
	NEED_REDIS();
	redis_stop();
	assert_int_equal(redis_start("t0ps3cret-pw"), 0);
	s = redis_open(":t0ps3cret-pw@", 0);
	assert_int_equal(core_store_add_once(s, "t", "pw1", core_now() + 60,
					     &err), 1);
	core_store_close(s);
	s = redis_open(":wrong@", 0);
	assert_int_equal(core_store_add_once(s, "t", "pw2", core_now() + 60,
					     &err), -1);
	assert_int_equal(err.code, CORE_EUNAVAILABLE);
	core_store_close(s);
	s = redis_open("", 0);
	assert_int_equal(core_store_add_once(s, "t", "pw3", core_now() + 60,
					     NULL), -1);
	core_store_close(s);
	setenv(CORE_STORE_PASSWORD_ENV, "t0ps3cret-pw", 1);
	s = redis_open("", 0);
	assert_int_equal(core_store_add_once(s, "t", "pw1", core_now() + 60,
					     NULL), 0);
	core_store_close(s);
	unsetenv(CORE_STORE_PASSWORD_ENV);
	redis_stop();
	assert_int_equal(redis_start(NULL), 0);
}

/* Nothing listens: an error, not a hang, and later calls back off. */
static void
test_redis_unreachable(void **state)
{
	struct core_store *s;
	struct core_err err = {0};
	char url[64];
	int64_t t0 = core_now();

	(void)state;
	snprintf(url, sizeof(url), "redis://127.0.0.1:%d", free_port());
	s = core_store_open(url, &err);
	assert_non_null(s);
	for (int i = 0; i < 50; i++)
		assert_int_equal(core_store_add_once(s, "t", "k",
						     core_now() + 60, NULL), -1);
	assert_int_equal(core_store_errors(s), 50);
	assert_true(core_now() - t0 <= 2);
	core_store_close(s);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_url_check),
		cmocka_unit_test(test_url_parse),
		cmocka_unit_test(test_open),
		cmocka_unit_test(test_mem_behaviour),
		cmocka_unit_test(test_mem_expiry),
		cmocka_unit_test(test_mem_bounded),
		cmocka_unit_test(test_redis_unreachable),
		cmocka_unit_test(test_redis_behaviour),
		cmocka_unit_test(test_redis_shared),
		cmocka_unit_test(test_redis_expiry),
		cmocka_unit_test(test_redis_password),
		cmocka_unit_test(test_redis_down_and_back),
	};

	/* redis_setup only notes a missing redis-server: the memory tests
	 * run either way. */
	signal(SIGPIPE, SIG_IGN);
	return cmocka_run_group_tests(tests, redis_setup, redis_teardown);
}
