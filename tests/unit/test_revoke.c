/* tests/unit/test_revoke.c - revocation keys, times, record and check */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "core/store.h"
#include "core/timeutil.h"
#include "federation/mint.h"
#include "gateway/revoke.h"

#define AKID1 "ASIAAAAAAAAAAAAAAAA2"
#define AKID2 "ASIAAAAAAAAAAAAAAAA3"
#define ROLE1 "arn:aws:iam::111122223333:role/dev"
#define ROLE2 "arn:aws:iam::111122223333:role/ops"
#define GOOGLE_ARN "arn:aws:iam::111122223333:oidc-provider/accounts.google.com"

/* ---- keys ---- */

static const struct key_case {
	struct gw_revocation r;
	enum core_code code;		/* CORE_OK: valid */
	const char *prefix;
} key_cases[] = {
	{{GW_REVOKE_SESSION, AKID1, NULL, NULL, NULL, 0}, CORE_OK, "s:ASIA"},
	{{GW_REVOKE_SESSION, "AKIAAAAAAAAAAAAAAAA2", NULL, NULL, NULL, 0},
	 CORE_EINVALID_PARAM, NULL},
	{{GW_REVOKE_SESSION, "ASIAAAAAAAAAAAAAAAA", NULL, NULL, NULL, 0},
	 CORE_EINVALID_PARAM, NULL},
	{{GW_REVOKE_SESSION, "ASIAaaaaaaaaaaaaaaa2", NULL, NULL, NULL, 0},
	 CORE_EINVALID_PARAM, NULL},
	{{GW_REVOKE_SESSION, NULL, NULL, NULL, NULL, 0}, CORE_EMISSING_PARAM,
	 NULL},
	{{GW_REVOKE_ROLE, NULL, ROLE1, NULL, NULL, 0}, CORE_OK, "r:"},
	{{GW_REVOKE_ROLE, NULL, "arn:aws:iam::1:user/x", NULL, NULL, 0},
	 CORE_EINVALID_PARAM, NULL},
	{{GW_REVOKE_ROLE, NULL, "", NULL, NULL, 0}, CORE_EMISSING_PARAM, NULL},
	{{GW_REVOKE_ROLE, NULL, "arn:aws:iam::1:role/a\nb", NULL, NULL, 0},
	 CORE_EINVALID_PARAM, NULL},
	{{GW_REVOKE_SUBJECT, NULL, NULL, "alice", "accounts.google.com", 0},
	 CORE_OK, "p:"},
	{{GW_REVOKE_SUBJECT, NULL, NULL, "a b c", "corp-saml", 0}, CORE_OK,
	 "p:"},
	{{GW_REVOKE_SUBJECT, NULL, NULL, "alice", NULL, 0}, CORE_EMISSING_PARAM,
	 NULL},
	{{GW_REVOKE_SUBJECT, NULL, NULL, NULL, "corp", 0}, CORE_EMISSING_PARAM,
	 NULL},
};

static void
test_keys(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(key_cases) / sizeof(key_cases[0]); i++) {
		const struct key_case *c = &key_cases[i];
		struct core_err err = {0};
		char key[GW_REVOKE_KEY_MAX];
		int rc = gw_revoke_key(&c->r, key, sizeof(key), &err);

		if (c->code == CORE_OK) {
			assert_int_equal(rc, 0);
			assert_int_equal(strncmp(key, c->prefix,
						 strlen(c->prefix)), 0);
			/* Store keys: printable, no spaces. */
			for (const char *p = key; *p != '\0'; p++)
				assert_true(*p > 0x20 && *p < 0x7f);
		} else {
			assert_int_equal(rc, -1);
			assert_int_equal(err.code, c->code);
		}
	}
}

static void
test_long_arg(void **state)
{
	char big[GW_REVOKE_MAX_ARG + 2];
	struct gw_revocation r = {GW_REVOKE_SUBJECT, NULL, NULL, big, "p", 0};
	struct core_err err = {0};
	char key[GW_REVOKE_KEY_MAX];

	(void)state;
	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	assert_int_equal(gw_revoke_key(&r, key, sizeof(key), &err), -1);
	assert_int_equal(err.code, CORE_EINVALID_PARAM);
	big[GW_REVOKE_MAX_ARG] = '\0';
	assert_int_equal(gw_revoke_key(&r, key, sizeof(key), &err), 0);
}

static void
test_provider_spellings(void **state)
{
	static const char *const same[] = {
		"accounts.google.com", "https://accounts.google.com", GOOGLE_ARN,
	};
	char first[GW_REVOKE_KEY_MAX], key[GW_REVOKE_KEY_MAX];
	struct gw_revocation r = {GW_REVOKE_SUBJECT, NULL, NULL, "alice", NULL,
				  0};

	(void)state;
	for (size_t i = 0; i < 3; i++) {
		r.provider = same[i];
		assert_int_equal(gw_revoke_key(&r, key, sizeof(key), NULL), 0);
		if (i == 0)
			memcpy(first, key, sizeof(key));
		assert_string_equal(key, first);
	}
	assert_string_equal(gw_revoke_provider_id(
	    "arn:aws:iam::1:saml-provider/corp"), "corp");
	/* Another subject, another key. */
	r.subject = "bob";
	assert_int_equal(gw_revoke_key(&r, key, sizeof(key), NULL), 0);
	assert_string_not_equal(key, first);
}

/* ---- times ---- */

static const struct time_case {
	const char *in;
	int rc;
	int64_t want;			/* with now = 1800000000 */
} time_cases[] = {
	{NULL, 0, 1800000000},
	{"", 0, 1800000000},
	{"1700000000", 0, 1700000000},
	{"2023-11-14T22:13:20Z", 0, 1700000000},
	{"1800000060", 0, 1800000060},		/* within the slack */
	{"1800000061", -1, 0},			/* future */
	{"2099-01-01T00:00:00Z", -1, 0},
	{"yesterday", -1, 0},
	{"0", -1, 0},
	{"-5", -1, 0},
};

static void
test_times(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(time_cases) / sizeof(time_cases[0]);
	     i++) {
		struct core_err err = {0};
		int64_t t = -1;
		int rc = gw_revoke_parse_time(time_cases[i].in, 1800000000, &t,
					      &err);

		assert_int_equal(rc, time_cases[i].rc);
		if (rc == 0)
			assert_int_equal(t, time_cases[i].want);
		else
			assert_int_equal(err.code, CORE_EINVALID_PARAM);
	}
}

/* ---- record and check ---- */

struct sess {
	char akid[24], role[64], sub[32], prov[80];
	struct fed_session s;
};

static void
sess_init(struct sess *x, const char *akid, const char *role,
	  const char *sub, const char *prov, int64_t issued_at)
{
	memset(x, 0, sizeof(*x));
	snprintf(x->akid, sizeof(x->akid), "%s", akid);
	x->s.access_key_id = x->akid;
	if (role != NULL) {
		snprintf(x->role, sizeof(x->role), "%s", role);
		x->s.role_arn = x->role;
	}
	if (sub != NULL) {
		snprintf(x->sub, sizeof(x->sub), "%s", sub);
		snprintf(x->prov, sizeof(x->prov), "%s", prov);
		x->s.subject = x->sub;
		x->s.federated_provider = x->prov;
	}
	x->s.issued_at = issued_at;
}

static int
revoked(struct core_store *st, struct sess *x)
{
	struct core_err err = {0};
	int rc = gw_revoke_check(st, &x->s, &err);

	if (rc == 0)
		return 0;
	assert_int_equal(err.code, CORE_EACCESS);
	assert_string_equal(err.reason, "session_revoked");
	return 1;
}

static void
test_session(void **state)
{
	struct core_store *st = core_store_open_memory(100);
	int64_t now = core_now(), t = 0;
	struct gw_revocation r = {GW_REVOKE_SESSION, AKID1, NULL, NULL, NULL, 0};
	struct sess a, b;

	(void)state;
	sess_init(&a, AKID1, ROLE1, NULL, NULL, now - 10);
	sess_init(&b, AKID2, ROLE1, NULL, NULL, now - 10);
	assert_int_equal(revoked(st, &a), 0);
	assert_int_equal(gw_revoke_record(st, &r, now, &t, NULL), 0);
	assert_int_equal(t, now);
	assert_int_equal(revoked(st, &a), 1);
	assert_int_equal(revoked(st, &b), 0);
	/* Even a session "issued later" with that id stays revoked. */
	a.s.issued_at = now + 100;
	assert_int_equal(revoked(st, &a), 1);
	core_store_close(st);
}

static void
test_role(void **state)
{
	struct core_store *st = core_store_open_memory(100);
	int64_t now = core_now(), t = 0;
	struct gw_revocation r = {GW_REVOKE_ROLE, NULL, ROLE1, NULL, NULL,
				  now - 100};
	struct sess old, at, young, other;

	(void)state;
	sess_init(&old, AKID1, ROLE1, NULL, NULL, now - 101);
	sess_init(&at, AKID1, ROLE1, NULL, NULL, now - 100);
	sess_init(&young, AKID1, ROLE1, NULL, NULL, now - 50);
	sess_init(&other, AKID2, ROLE2, NULL, NULL, now - 500);
	assert_int_equal(gw_revoke_record(st, &r, now, &t, NULL), 0);
	assert_int_equal(t, now - 100);
	assert_int_equal(revoked(st, &old), 1);
	assert_int_equal(revoked(st, &at), 0);
	assert_int_equal(revoked(st, &young), 0);
	assert_int_equal(revoked(st, &other), 0);
	/* Widening to now catches young; narrowing again keeps now. */
	r.issued_before = now;
	assert_int_equal(gw_revoke_record(st, &r, now, &t, NULL), 0);
	assert_int_equal(revoked(st, &young), 1);
	r.issued_before = now - 200;
	assert_int_equal(gw_revoke_record(st, &r, now, &t, NULL), 0);
	assert_int_equal(t, now);
	assert_int_equal(revoked(st, &young), 1);
	/* A user session (no role) is untouched by role records. */
	young.s.role_arn = NULL;
	assert_int_equal(revoked(st, &young), 0);
	core_store_close(st);
}

static void
test_subject(void **state)
{
	struct core_store *st = core_store_open_memory(100);
	int64_t now = core_now();
	struct gw_revocation r = {GW_REVOKE_SUBJECT, NULL, NULL, "alice",
				  "https://accounts.google.com", 0};
	struct sess alice, bob, alice_saml, fresh;

	(void)state;
	sess_init(&alice, AKID1, ROLE1, "alice", GOOGLE_ARN, now - 5);
	sess_init(&bob, AKID1, ROLE1, "bob", GOOGLE_ARN, now - 5);
	sess_init(&alice_saml, AKID1, ROLE1, "alice",
		  "arn:aws:iam::111122223333:saml-provider/corp", now - 5);
	sess_init(&fresh, AKID1, ROLE1, "alice", GOOGLE_ARN, now + 1);
	assert_int_equal(gw_revoke_record(st, &r, now, NULL, NULL), 0);
	assert_int_equal(revoked(st, &alice), 1);
	assert_int_equal(revoked(st, &bob), 0);
	assert_int_equal(revoked(st, &alice_saml), 0);
	assert_int_equal(revoked(st, &fresh), 0);
	core_store_close(st);
}

static void
test_expired_not_stored(void **state)
{
	struct core_store *st = core_store_open_memory(100);
	int64_t now = core_now();
	struct gw_revocation r = {GW_REVOKE_ROLE, NULL, ROLE1, NULL, NULL,
				  now - GW_REVOKE_ROLE_TTL - 1};

	(void)state;
	assert_int_equal(gw_revoke_record(st, &r, now, NULL, NULL), 0);
	assert_int_equal(core_store_count(st), 0);
	r.issued_before = now - 10;
	assert_int_equal(gw_revoke_record(st, &r, now, NULL, NULL), 0);
	assert_int_equal(core_store_count(st), 1);
	core_store_close(st);
}

/* Nothing listens on port 1: every read fails, and checks fail closed. */
static void
test_store_down(void **state)
{
	struct core_err err = {0};
	struct core_store *st = core_store_open("redis://127.0.0.1:1", &err);
	struct gw_revocation r = {GW_REVOKE_SESSION, AKID1, NULL, NULL, NULL, 0};
	struct sess a;

	(void)state;
	assert_non_null(st);
	sess_init(&a, AKID1, ROLE1, NULL, NULL, core_now());
	assert_int_equal(gw_revoke_check(st, &a.s, &err), -1);
	assert_int_equal(err.code, CORE_EUNAVAILABLE);
	memset(&err, 0, sizeof(err));
	assert_int_equal(gw_revoke_record(st, &r, core_now(), NULL, &err), -1);
	assert_int_equal(err.code, CORE_EUNAVAILABLE);
	core_store_close(st);
}

/* Garbage under a key of ours revokes rather than lets through. */
static void
test_garbage_value(void **state)
{
	struct core_store *st = core_store_open_memory(100);
	struct gw_revocation r = {GW_REVOKE_ROLE, NULL, ROLE1, NULL, NULL, 0};
	char key[GW_REVOKE_KEY_MAX];
	struct sess a;

	(void)state;
	assert_int_equal(gw_revoke_key(&r, key, sizeof(key), NULL), 0);
	assert_int_equal(core_store_set(st, GW_REVOKE_NS, key, "junk",
					core_now() + 60, NULL), 0);
	sess_init(&a, AKID1, ROLE1, NULL, NULL, core_now());
	assert_int_equal(revoked(st, &a), 1);
	core_store_close(st);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_keys),
		cmocka_unit_test(test_long_arg),
		cmocka_unit_test(test_provider_spellings),
		cmocka_unit_test(test_times),
		cmocka_unit_test(test_session),
		cmocka_unit_test(test_role),
		cmocka_unit_test(test_subject),
		cmocka_unit_test(test_expired_not_stored),
		cmocka_unit_test(test_store_down),
		cmocka_unit_test(test_garbage_value),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
