/* gateway/conf_table.h - the declarative key tables of the config loader
 *
 * Included once, by gateway/conf.c, after the validators and handlers it
 * names are declared. One row per key: type, slot, range and validator, as
 * in redis config.c static_configs[]. A key missing from a table is an
 * unknown key and therefore an error.
 */
#ifndef GW_CONF_TABLE_H
#define GW_CONF_TABLE_H

#include <stddef.h>

struct conf_ld;
struct cnode;

enum conf_type {
	CT_STR,		/* char * at off; validator check */
	CT_INT,		/* int at off; min..max */
	CT_SIZE,	/* size_t at off; min..max */
	CT_BOOL,	/* int at off: 1 for true, 0 for false */
	CT_STRLIST,	/* char ** at off, count at off_n; min..max items (min 1 if
			   required); check per item */
	CT_FN,		/* handler fn does everything */
};

/* Returns NULL when the value is acceptable, else a message. */
typedef const char *(*conf_check_fn)(const char *s, int plain);
typedef void (*conf_handler_fn)(struct conf_ld *ld, const struct cnode *v,
				void *obj, const char *path);

struct conf_field {
	const char *key;
	enum conf_type type;
	size_t off;
	size_t off_n;
	long long min, max;
	int required;
	conf_check_fn check;
	conf_handler_fn fn;
};

#define CONF_STR(k, st, f, req, chk) \
	{ (k), CT_STR, offsetof(st, f), 0, 0, 0, (req), (chk), NULL }
#define CONF_INT(k, st, f, lo, hi) \
	{ (k), CT_INT, offsetof(st, f), 0, (lo), (hi), 0, NULL, NULL }
#define CONF_SIZE(k, st, f, lo, hi) \
	{ (k), CT_SIZE, offsetof(st, f), 0, (lo), (hi), 0, NULL, NULL }
#define CONF_BOOL(k, st, f) \
	{ (k), CT_BOOL, offsetof(st, f), 0, 0, 1, 0, NULL, NULL }
#define CONF_LIST(k, st, f, nf, max, req, chk) \
	{ (k), CT_STRLIST, offsetof(st, f), offsetof(st, nf), (req), (max), \
	  (req), (chk), NULL }
#define CONF_FN(k, req, fn) \
	{ (k), CT_FN, 0, 0, 0, 0, (req), NULL, (fn) }

/* Top level: struct gw_conf. */
enum {
	TOP_LISTEN, TOP_PUBLIC_URL, TOP_ACCOUNT_ID, TOP_STATE_DIR, TOP_STORE,
	TOP_CLOCK_SKEW, TOP_AUDIT_LOG, TOP_THREADS, TOP_MAX_BODY,
	TOP_PROVIDERS, TOP_ROLES, TOP_MANAGED, TOP_ACCOUNTS, TOP_USERS,
	TOP_SAML_SP, TOP_RATE_LIMITS, TOP_LOGIN, TOP_METRICS_LISTEN,
	TOP_STORE_MEM_MAX, TOP_COUNT
};

static const struct conf_field conf_top[TOP_COUNT] = {
	[TOP_LISTEN] = CONF_FN("listen", 0, conf_listen),
	[TOP_PUBLIC_URL] = CONF_STR("public_url", struct gw_conf, public_url, 0,
				    check_public_url),
	[TOP_ACCOUNT_ID] = CONF_STR("account_id", struct gw_conf, account_id, 0,
				    check_account),
	[TOP_STATE_DIR] = CONF_STR("state_dir", struct gw_conf, state_dir, 0,
				   check_path),
	[TOP_STORE] = CONF_FN("store", 0, conf_store),
	[TOP_CLOCK_SKEW] = CONF_INT("clock_skew_seconds", struct gw_conf,
				    clock_skew_seconds, 0, 600),
	[TOP_AUDIT_LOG] = CONF_STR("audit_log", struct gw_conf, audit_log, 0,
				   check_audit),
	[TOP_THREADS] = CONF_INT("threads", struct gw_conf, threads, 1, 64),
	[TOP_MAX_BODY] = CONF_SIZE("max_body_bytes", struct gw_conf,
				   max_body_bytes, 1024, 1048576),
	[TOP_PROVIDERS] = CONF_FN("providers", 0, conf_providers),
	[TOP_ROLES] = CONF_FN("roles", 0, conf_roles),
	[TOP_MANAGED] = CONF_FN("managed_policies", 0, conf_managed_policies),
	[TOP_ACCOUNTS] = CONF_FN("accounts", 0, conf_accounts),
	[TOP_USERS] = CONF_FN("users", 0, conf_users),
	[TOP_SAML_SP] = CONF_FN("saml_sp", 0, conf_saml_sp),
	[TOP_RATE_LIMITS] = CONF_FN("rate_limits", 0, conf_rate_limits),
	[TOP_LOGIN] = CONF_FN("login", 0, conf_web),
	[TOP_METRICS_LISTEN] = CONF_FN("metrics_listen", 0,
				       conf_metrics_listen),
	[TOP_STORE_MEM_MAX] = CONF_SIZE("store_memory_max_entries",
					struct gw_conf,
					store_memory_max_entries, 1,
					CORE_STORE_MEM_MAX),
};

/* login: (top level): struct gw_web_conf. */
enum { WEB_TITLE, WEB_LIFETIME, WEB_IDLE, WEB_COUNT };

static const struct conf_field conf_web_tab[WEB_COUNT] = {
	[WEB_TITLE] = CONF_STR("title", struct gw_web_conf, title, 0,
			       check_title),
	[WEB_LIFETIME] = CONF_INT("session_lifetime_seconds",
				  struct gw_web_conf, session_lifetime, 300,
				  86400),
	[WEB_IDLE] = CONF_INT("idle_timeout_seconds", struct gw_web_conf,
			      idle_timeout, 60, 86400),
};

/* providers[].login of an OIDC provider: struct login_tmp. */
enum {
	LGN_DISPLAY, LGN_INITIALS, LGN_CLIENT_ID, LGN_SECRET_FILE,
	LGN_SECRET_ENV, LGN_SCOPES, LGN_HD, LGN_AUTHZ_EP, LGN_TOKEN_EP,
	LGN_COUNT
};

static const struct conf_field conf_oidc_login_tab[LGN_COUNT] = {
	[LGN_DISPLAY] = CONF_STR("display_name", struct login_tmp,
				 l.display_name, 0, check_title),
	[LGN_INITIALS] = CONF_STR("initials", struct login_tmp, l.initials, 0,
				  check_initials),
	[LGN_CLIENT_ID] = CONF_STR("client_id", struct login_tmp, l.client_id,
				   1, check_audience),
	[LGN_SECRET_FILE] = CONF_STR("client_secret_file", struct login_tmp,
				     kt.file, 0, check_path),
	[LGN_SECRET_ENV] = CONF_STR("client_secret_env", struct login_tmp,
				    kt.env, 0, check_env_name),
	[LGN_SCOPES] = CONF_LIST("scopes", struct login_tmp, l.scopes,
				 l.n_scopes, GW_LOGIN_MAX_SCOPES, 0,
				 check_scope),
	[LGN_HD] = CONF_STR("hosted_domain", struct login_tmp, l.hosted_domain,
			    0, check_hosted_domain),
	[LGN_AUTHZ_EP] = CONF_STR("authorization_endpoint", struct login_tmp,
				  l.authorization_endpoint, 0,
				  check_fetch_url),
	[LGN_TOKEN_EP] = CONF_STR("token_endpoint", struct login_tmp,
				  l.token_endpoint, 0, check_fetch_url),
};

/* providers[].login of a SAML provider: what the button shows. */
enum { SLG_DISPLAY, SLG_INITIALS, SLG_COUNT };

static const struct conf_field conf_saml_login_tab[SLG_COUNT] = {
	[SLG_DISPLAY] = CONF_STR("display_name", struct login_tmp,
				 l.display_name, 0, check_title),
	[SLG_INITIALS] = CONF_STR("initials", struct login_tmp, l.initials, 0,
				  check_initials),
};

/* rate_limits: struct gw_conf; each entry a struct gw_rate_limit. */
enum { RLS_SOURCE_IP, RLS_PROVIDER, RLS_COUNT };

static const struct conf_field conf_rate_limits_tab[RLS_COUNT] = {
	[RLS_SOURCE_IP] = CONF_FN("per_source_ip", 0, conf_rl_source_ip),
	[RLS_PROVIDER] = CONF_FN("per_provider", 0, conf_rl_provider),
};

/* Both keys required: a limit without its window means nothing. */
enum { RLV_REQUESTS, RLV_PER_SECONDS, RLV_BURST, RLV_COUNT };

static const struct conf_field conf_rate_limit_tab[RLV_COUNT] = {
	[RLV_REQUESTS] = { "requests", CT_INT,
			   offsetof(struct gw_rate_limit, requests), 0, 1,
			   1000000, 1, NULL, NULL },
	[RLV_PER_SECONDS] = { "per_seconds", CT_INT,
			      offsetof(struct gw_rate_limit, per_seconds), 0,
			      1, 3600, 1, NULL, NULL },
	[RLV_BURST] = CONF_INT("burst", struct gw_rate_limit, burst, 1,
			       1000000),
};

/* providers[]: struct prov_tmp (a fed_oidc_config plus loader-only keys). */
enum {
	PRV_NAME, PRV_TYPE, PRV_PRESET, PRV_ISSUER, PRV_ALIASES, PRV_AUDIENCES,
	PRV_JWKS_URI, PRV_JWKS_FILE, PRV_ALGS, PRV_REFRESH, PRV_REFETCH,
	PRV_TIMEOUT, PRV_LOGIN, PRV_REPLAY, PRV_COUNT
};

static const struct conf_field conf_provider[PRV_COUNT] = {
	[PRV_NAME] = CONF_STR("name", struct prov_tmp, c.name, 1, check_name),
	[PRV_TYPE] = CONF_STR("type", struct prov_tmp, type, 0, check_ptype),
	[PRV_PRESET] = CONF_STR("preset", struct prov_tmp, c.preset, 0,
				check_preset),
	[PRV_ISSUER] = CONF_STR("issuer", struct prov_tmp, c.issuer, 0,
				check_fetch_url),
	[PRV_ALIASES] = CONF_LIST("issuer_aliases", struct prov_tmp,
				  c.issuer_aliases, c.n_issuer_aliases,
				  CONF_MAX_ALIASES, 0, check_alias),
	[PRV_AUDIENCES] = CONF_LIST("audiences", struct prov_tmp, c.audiences,
				    c.n_audiences, FED_OIDC_MAX_AUDIENCES, 1,
				    check_audience),
	[PRV_JWKS_URI] = CONF_STR("jwks_uri", struct prov_tmp, c.jwks_uri, 0,
				  check_fetch_url),
	[PRV_JWKS_FILE] = CONF_STR("jwks_file", struct prov_tmp, c.jwks_file, 0,
				   check_path),
	[PRV_ALGS] = CONF_LIST("algorithms", struct prov_tmp, c.algorithms,
			       c.n_algorithms, FED_OIDC_MAX_ALGS, 0, check_alg),
	[PRV_REFRESH] = CONF_INT("jwks_refresh_seconds", struct prov_tmp,
				 c.jwks_refresh_seconds, 60, 86400),
	[PRV_REFETCH] = CONF_INT("jwks_min_refetch_seconds", struct prov_tmp,
				 c.jwks_min_refetch_seconds, 1, 3600),
	[PRV_TIMEOUT] = CONF_INT("http_timeout_seconds", struct prov_tmp,
				 c.http_timeout_seconds, 1, 60),
	[PRV_LOGIN] = CONF_FN("login", 0, conf_oidc_login),
	[PRV_REPLAY] = CONF_BOOL("replay_protection", struct prov_tmp,
				 c.replay_protection),
};

/*
 * providers[] entries with "type: saml": struct saml_tmp (a
 * fed_saml_idp_config plus the type). A separate table, so that OIDC keys
 * (audiences, issuer, ...) in a SAML provider are unknown keys, and the
 * other way round.
 */
enum {
	SPR_NAME, SPR_TYPE, SPR_PRESET, SPR_META_FILE, SPR_META_URL,
	SPR_REFRESH, SPR_LOGIN, SPR_COUNT
};

static const struct conf_field conf_saml_provider[SPR_COUNT] = {
	[SPR_NAME] = CONF_STR("name", struct saml_tmp, c.name, 1, check_name),
	[SPR_TYPE] = CONF_STR("type", struct saml_tmp, type, 1,
			      check_saml_type),
	[SPR_PRESET] = CONF_STR("preset", struct saml_tmp, c.preset, 0,
				check_saml_preset),
	[SPR_META_FILE] = CONF_STR("metadata_file", struct saml_tmp,
				   c.metadata_file, 0, check_path),
	[SPR_META_URL] = CONF_STR("metadata_url", struct saml_tmp,
				  c.metadata_url, 0, check_metadata_url),
	[SPR_REFRESH] = CONF_INT("refresh_seconds", struct saml_tmp,
				 c.refresh_seconds, 60, 86400),
	[SPR_LOGIN] = CONF_FN("login", 0, conf_saml_login),
};

/* saml_sp: struct fed_saml_sp_config itself; defaults come at the end. */
enum {
	SSP_ENTITY, SSP_ACS, SSP_RECIPIENTS, SSP_CERT, SSP_KEY, SSP_SHA1,
	SSP_COUNT
};

static const struct conf_field conf_saml_sp_tab[SSP_COUNT] = {
	[SSP_ENTITY] = CONF_STR("entity_id", struct fed_saml_sp_config,
				entity_id, 0, check_entity_id),
	[SSP_ACS] = CONF_STR("acs_url", struct fed_saml_sp_config, acs_url, 0,
			     check_public_url),
	[SSP_RECIPIENTS] = CONF_LIST("recipients", struct fed_saml_sp_config,
				     recipients, n_recipients,
				     CONF_MAX_RECIPIENTS, 0, check_public_url),
	[SSP_CERT] = CONF_STR("cert_file", struct fed_saml_sp_config,
			      cert_file, 0, check_path),
	[SSP_KEY] = CONF_STR("key_file", struct fed_saml_sp_config, key_file,
			     0, check_path),
	[SSP_SHA1] = CONF_BOOL("allow_sha1", struct fed_saml_sp_config,
			       allow_sha1),
};

/* roles[]: struct role_tmp (a gw_role plus its path). */
enum {
	ROL_NAME, ROL_PATH, ROL_ACCOUNT, ROL_MAX_DURATION, ROL_TRUST,
	ROL_POLICIES, ROL_MANAGED, ROL_TAGS, ROL_COUNT
};

static const struct conf_field conf_role[ROL_COUNT] = {
	[ROL_NAME] = CONF_STR("name", struct role_tmp, r.name, 1,
			      check_role_name),
	[ROL_PATH] = CONF_STR("path", struct role_tmp, path, 0, check_role_path),
	[ROL_ACCOUNT] = CONF_STR("account_id", struct role_tmp, r.account_id, 0,
				 check_account),
	[ROL_MAX_DURATION] = CONF_INT("max_session_duration", struct role_tmp,
				      r.max_session_duration, 900, 43200),
	[ROL_TRUST] = CONF_FN("trust_policy", 1, conf_trust_policy),
	[ROL_POLICIES] = CONF_FN("policies", 0, conf_role_policies),
	[ROL_MANAGED] = CONF_FN("managed_policies", 0, conf_role_managed),
	[ROL_TAGS] = CONF_FN("tags", 0, conf_role_tags),
};

/*
 * managed_policies.NAME in its long form (a mapping with "document" or
 * "account_id"): struct mpol_tmp. The short form is the policy itself.
 */
enum { MPL_ACCOUNT, MPL_DOCUMENT, MPL_COUNT };

static const struct conf_field conf_mpol[MPL_COUNT] = {
	[MPL_ACCOUNT] = CONF_STR("account_id", struct mpol_tmp, account_id, 0,
				 check_account),
	[MPL_DOCUMENT] = CONF_FN("document", 1, conf_mpol_document),
};

/* users[]: struct gw_user itself (ARN, user id and defaults come later). */
enum {
	USR_NAME, USR_ACCOUNT, USR_PATH, USR_KEYS, USR_POLICIES, USR_MANAGED,
	USR_TAGS, USR_COUNT
};

static const struct conf_field conf_user[USR_COUNT] = {
	[USR_NAME] = CONF_STR("name", struct gw_user, name, 1, check_role_name),
	[USR_ACCOUNT] = CONF_STR("account_id", struct gw_user, account_id, 0,
				 check_account),
	[USR_PATH] = CONF_STR("path", struct gw_user, path, 0, check_role_path),
	[USR_KEYS] = CONF_FN("access_keys", 0, conf_access_keys),
	[USR_POLICIES] = CONF_FN("policies", 0, conf_user_policies),
	[USR_MANAGED] = CONF_FN("managed_policies", 0, conf_user_managed),
	[USR_TAGS] = CONF_FN("tags", 0, conf_user_tags),
};

/*
 * users[].access_keys[]: struct key_tmp. Exactly one secret source; the
 * inline "secret" is a handler because whether it is allowed depends on the
 * config file's mode, not on the value.
 */
enum { KEY_ID, KEY_FILE, KEY_ENV, KEY_INLINE, KEY_COUNT };

static const struct conf_field conf_key[KEY_COUNT] = {
	[KEY_ID] = CONF_STR("id", struct key_tmp, k.id, 1, check_key_id),
	[KEY_FILE] = CONF_STR("secret_file", struct key_tmp, file, 0,
			      check_path),
	[KEY_ENV] = CONF_STR("secret_env", struct key_tmp, env, 0,
			     check_env_name),
	[KEY_INLINE] = CONF_FN("secret", 0, conf_key_inline),
};

#endif /* GW_CONF_TABLE_H */
