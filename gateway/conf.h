/* gateway/conf.h - configuration (YAML or JSON), fully checked at load */
#ifndef GW_CONF_H
#define GW_CONF_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "federation/oidc.h"
#include "federation/saml.h"

struct trust_policy;

#define GW_CONF_MAX_LISTEN 8

struct gw_named_policy {
	char *name;
	char *json;			/* canonical JSON text (for session tokens, explain) */
	struct trust_policy *policy;	/* compiled, TRUST_KIND_IDENTITY */
	char *arn;			/* managed policies only: arn:aws:iam::ACCT:policy/NAME;
					   NULL for inline (role/user) policies */
};

struct gw_tag {
	char *key;			/* IAM tag key, 1..128 */
	char *value;			/* 0..256 */
};

/* A long-term access key of an IAM user ("AKIA..."). */
struct gw_access_key {
	char *id;			/* ^AKIA[A-Z0-9]{12,124}$, unique across users */
	char *secret;			/* 16..128 chars, from secret_file / secret_env /
					   inline secret (inline only if the config file
					   is not readable by group/other); wiped on free */
	int line;
};

struct gw_user {
	char *name;			/* [\w+=,.@-]{1,64}, unique per account */
	char *account_id;		/* default: conf account_id */
	char *path;			/* "/" default */
	char *arn;			/* arn:aws:iam::ACCT:user{path}NAME */
	char *user_id;			/* "AIDA" + 17 base32 of SHA-256(arn) (stable) */
	struct gw_access_key *keys;
	size_t n_keys;
	struct gw_named_policy *policies; /* inline permission policies */
	size_t n_policies;
	char **managed_policy_arns;	/* attached managed policies (must exist) */
	size_t n_managed_policy_arns;
	struct gw_tag *tags;		/* principal tags: aws:PrincipalTag/K */
	size_t n_tags;
	int line;
};

struct gw_role {
	char *name;
	char *account_id;
	char *arn;			/* arn:aws:iam::ACCT:role/NAME (path allowed: role/path/NAME) */
	char *role_id;			/* AROA... (fed_mint_role_id) */
	int max_session_duration;	/* 900..43200, default 3600 */
	char *trust_json;
	struct trust_policy *trust;	/* compiled, TRUST_KIND_TRUST */
	struct gw_named_policy *policies;
	size_t n_policies;
	char **managed_policy_arns;	/* attached managed policies (must exist) */
	size_t n_managed_policy_arns;
	struct gw_tag *tags;		/* role tags: become aws:PrincipalTag/K of its
					   sessions and iam:ResourceTag/K when assumed */
	size_t n_tags;
	int line;			/* config line, for messages */
};

/* The login page ([4/5]): a provider with a login: block. */
enum gw_login_kind { GW_LOGIN_OIDC, GW_LOGIN_SAML };

#define GW_LOGIN_MAX_SCOPES 16

struct gw_login_provider {
	char *name;			/* the provider's name (URL path /login/NAME) */
	enum gw_login_kind kind;
	char *display_name;		/* default: name */
	char *initials;			/* 1..3 characters; default from display_name */
	/* OIDC only */
	char *issuer;			/* copy of the provider's issuer */
	char *client_id;		/* must be one of the provider's audiences */
	char *client_secret;		/* NULL: public client (PKCE only); wiped on free */
	char **scopes;			/* default: openid email profile */
	size_t n_scopes;
	char *hosted_domain;		/* Google Workspace hd: sent, and the hd claim must equal it */
	char *authorization_endpoint;	/* NULL: from discovery */
	char *token_endpoint;		/* NULL: from discovery */
	int http_timeout_seconds;	/* the provider's, default 5 */
	int line;
};

/* login: block (web session settings). */
struct gw_web_conf {
	char *title;			/* page title; default "fedgate" */
	int session_lifetime;		/* seconds, default 28800 (8 h) */
	int idle_timeout;		/* seconds, default 3600 */
};

/* One token bucket: refilled at requests per per_seconds, holding at
 * most burst tokens (gateway/ratelimit.h). */
struct gw_rate_limit {
	int requests;			/* 1..1000000; 0: no limit */
	int per_seconds;		/* 1..3600 */
	int burst;			/* 1..1000000; 0: requests */
};

struct gw_listen {
	char *host;			/* "127.0.0.1", "::1", "0.0.0.0" */
	int port;			/* 0: pick a free port (tests) */
};

struct gw_conf {
	char *path;			/* file it was read from, or "<dev>" */
	struct gw_listen listen[GW_CONF_MAX_LISTEN];
	size_t n_listen;
	struct gw_listen metrics_listen; /* host NULL: /metrics is served on
					   the listen addresses; else only here */
	char *public_url;
	char *account_id;		/* default "000000000000" */
	char *state_dir;
	char *store;			/* "memory" */
	size_t store_memory_max_entries; /* memory store bound; 0: default
					   CORE_STORE_MEM_MAX */
	int clock_skew_seconds;		/* default 60, 0..600 */
	char *audit_log;		/* "stdout" | "off" | PATH */
	int threads;			/* HTTP worker threads; default: cores */
	size_t max_body_bytes;		/* default 64 KiB, 1 KiB..1 MiB */

	struct fed_oidc_config *providers; /* moved into a fed_oidc_set at start */
	size_t n_providers;
	int *provider_lines;

	struct gw_role *roles;
	size_t n_roles;

	struct gw_user *users;
	size_t n_users;

	/* managed_policies: {NAME: policy} -> arn:aws:iam::<account_id>:policy/NAME;
	   an entry may also be {account_id: "...", document: policy}. */
	struct gw_named_policy *managed_policies;
	size_t n_managed_policies;

	/* SAML ([3/5]): providers[] entries with type: saml, and the saml_sp:
	   block (defaults: entity_id "urn:fedgate:sp", acs_url
	   public_url + "/saml/acs"). Moved into a fed_saml at start. */
	struct fed_saml_idp_config *saml_idps;
	size_t n_saml_idps;
	int *saml_idp_lines;
	struct fed_saml_sp_config saml_sp;

	/* rate_limits: {per_source_ip: {requests, per_seconds},
	   per_provider: {...}}; absent: unlimited (gateway/ratelimit.h) */
	struct gw_rate_limit rl_source_ip;
	struct gw_rate_limit rl_provider;

	/* accounts: {"111122223333": "prod"} human names (login page, [4/5]) */
	char **account_ids;
	char **account_names;
	size_t n_accounts;

	/* Login page ([4/5]): providers with a login: block, in config order. */
	struct gw_login_provider *logins;
	size_t n_logins;
	struct gw_web_conf web;
};

/**
 * Load and check a config file (YAML 1.1 via libyaml; JSON is valid YAML).
 * Every problem is reported on errout as "FILE:LINE: message" (all of them,
 * not just the first). Unknown keys, duplicates, bad values, unparseable
 * policies (MalformedPolicyDocument messages), world-readable secret files
 * are errors. Returns NULL if there was any error; *nerrors gets the count.
 */
struct gw_conf *gw_conf_load(const char *path, FILE *errout, int *nerrors);

/** Same, from a string in memory (dev config, tests); name used in messages. */
struct gw_conf *gw_conf_load_string(const char *text, size_t len,
				    const char *name, FILE *errout,
				    int *nerrors);

void gw_conf_free(struct gw_conf *c);

/** Find a role by its ARN (exact). NULL if none. */
const struct gw_role *gw_conf_find_role(const struct gw_conf *c,
					const char *arn);

/**
 * Find the user owning access key id (exact, constant-time over the id is
 * not needed: ids are not secret). *key is set to the key. NULL if none.
 */
const struct gw_user *gw_conf_find_user_by_key(const struct gw_conf *c,
					       const char *access_key_id,
					       const struct gw_access_key **key);

/** Find a user by ARN (exact). NULL if none. */
const struct gw_user *gw_conf_find_user(const struct gw_conf *c,
					const char *arn);

/** Index of the SAML provider named by a saml-provider ARN
 * (arn:aws:iam::ACCT:saml-provider/NAME, ACCT any configured account), or -1. */
int gw_conf_find_saml_idp(const struct gw_conf *c, const char *principal_arn);

/** The login provider named name, or NULL. */
const struct gw_login_provider *gw_conf_find_login(const struct gw_conf *c,
						   const char *name);

/** Human name of an account from accounts:, or NULL. */
const char *gw_conf_account_name(const struct gw_conf *c, const char *account_id);

/** Find a managed policy by ARN (exact). NULL if none. */
const struct gw_named_policy *gw_conf_find_managed_policy(
    const struct gw_conf *c, const char *arn);

#endif /* GW_CONF_H */
