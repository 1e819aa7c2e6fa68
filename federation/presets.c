/* federation/presets.c - well-known OIDC providers, config defaults */
#include "federation/oidc_int.h"

#include <stdlib.h>
#include <string.h>

static const char *const default_algs[] = {
	"RS256", "RS384", "RS512", "PS256", "ES256", "ES384"
};

static const struct {
	const char *name;
	enum fed_preset kind;
	const char *issuer;	/* NULL: the user must give it */
	const char *alias;
	const char *jwks_uri;	/* NULL: derived */
	const char *alg;	/* NULL: default list */
} presets[] = {
	{"google", FED_PRESET_GOOGLE, "https://accounts.google.com",
	 "accounts.google.com", "https://www.googleapis.com/oauth2/v3/certs",
	 "RS256"},
	{"cognito-identity", FED_PRESET_COGNITO_IDENTITY,
	 "https://cognito-identity.amazonaws.com", NULL,
	 "https://cognito-identity.amazonaws.com/.well-known/jwks_uri", NULL},
	{"cognito-user-pool", FED_PRESET_COGNITO_USER_POOL, NULL, NULL, NULL,
	 NULL},
	{"apple", FED_PRESET_APPLE, "https://appleid.apple.com", NULL,
	 "https://appleid.apple.com/auth/keys", "RS256"},
	{"facebook", FED_PRESET_FACEBOOK, "https://www.facebook.com",
	 "https://limited.facebook.com",
	 "https://limited.facebook.com/.well-known/oauth/openid/jwks/",
	 "RS256"},
};

#define NPRESETS (sizeof(presets) / sizeof(presets[0]))

enum fed_preset
fed_preset_kind(const char *preset)
{
	for (size_t i = 0; preset != NULL && i < NPRESETS; i++)
		if (strcmp(preset, presets[i].name) == 0)
			return presets[i].kind;
	return FED_PRESET_GENERIC;
}

/* https://cognito-idp.<region>.amazonaws.com/<pool id> */
static int
cognito_pool_issuer_ok(const char *iss)
{
	static const char pfx[] = "https://cognito-idp.";
	const char *p, *slash;

	if (iss == NULL || strncmp(iss, pfx, sizeof(pfx) - 1) != 0)
		return 0;
	p = iss + sizeof(pfx) - 1;
	slash = strchr(p, '/');
	if (slash == NULL || slash - p < 16 ||
	    strncmp(slash - 14, ".amazonaws.com", 14) != 0)
		return 0;
	return slash[1] != '\0' && strchr(slash + 1, '/') == NULL &&
	    strchr(slash + 1, '_') != NULL;
}

enum fed_preset
fed_preset_by_issuer(const char *issuer)
{
	for (size_t i = 0; issuer != NULL && i < NPRESETS; i++)
		if (presets[i].issuer != NULL &&
		    strcmp(issuer, presets[i].issuer) == 0)
			return presets[i].kind;
	if (cognito_pool_issuer_ok(issuer))
		return FED_PRESET_COGNITO_USER_POOL;
	return FED_PRESET_GENERIC;
}

static void
add_string(char ***arr, size_t *n, const char *s)
{
	for (size_t i = 0; i < *n; i++)
		if (strcmp((*arr)[i], s) == 0)
			return;
	*arr = core_xrealloc(*arr, (*n + 1) * sizeof(**arr));
	(*arr)[(*n)++] = core_xstrdup(s);
}

void
fed_oidc_config_defaults(struct fed_oidc_config *cfg)
{
	if (cfg->n_algorithms == 0)
		for (size_t i = 0; i < sizeof(default_algs) /
		     sizeof(default_algs[0]); i++)
			add_string(&cfg->algorithms, &cfg->n_algorithms,
				   default_algs[i]);
	if (cfg->jwks_refresh_seconds <= 0)
		cfg->jwks_refresh_seconds = 3600;
	if (cfg->jwks_min_refetch_seconds <= 0)
		cfg->jwks_min_refetch_seconds = 30;
	if (cfg->http_timeout_seconds <= 0)
		cfg->http_timeout_seconds = 5;
}

static int
preset_fill(struct fed_oidc_config *cfg, size_t i, struct core_err *err)
{
	if (presets[i].kind == FED_PRESET_COGNITO_USER_POOL) {
		if (!cognito_pool_issuer_ok(cfg->issuer)) {
			core_err_set(err, CORE_ECONFIG, NULL, "preset "
			    "cognito-user-pool needs issuer "
			    "https://cognito-idp.REGION.amazonaws.com/POOL_ID");
			return -1;
		}
		if (cfg->jwks_uri == NULL && cfg->jwks_file == NULL)
			cfg->jwks_uri = core_xasprintf(
			    "%s/.well-known/jwks.json", cfg->issuer);
		if (cfg->require_token_use == NULL)
			cfg->require_token_use = core_xstrdup("id");
		return 0;
	}
	if (cfg->issuer == NULL)
		cfg->issuer = core_xstrdup(presets[i].issuer);
	if (presets[i].alias != NULL)
		add_string(&cfg->issuer_aliases, &cfg->n_issuer_aliases,
			   presets[i].alias);
	if (cfg->jwks_uri == NULL && cfg->jwks_file == NULL)
		cfg->jwks_uri = core_xstrdup(presets[i].jwks_uri);
	if (cfg->n_algorithms == 0 && presets[i].alg != NULL)
		add_string(&cfg->algorithms, &cfg->n_algorithms,
			   presets[i].alg);
	return 0;
}

int
fed_oidc_apply_preset(struct fed_oidc_config *cfg, struct core_err *err)
{
	size_t i = NPRESETS;

	if (cfg->preset != NULL) {
		for (i = 0; i < NPRESETS; i++)
			if (strcmp(cfg->preset, presets[i].name) == 0)
				break;
		if (i == NPRESETS) {
			core_err_set(err, CORE_ECONFIG, NULL,
			    "unknown preset \"%s\" (google, "
			    "cognito-identity, cognito-user-pool, apple, "
			    "facebook)", cfg->preset);
			return -1;
		}
		if (preset_fill(cfg, i, err) == -1)
			return -1;
	}
	if (cfg->issuer == NULL) {
		core_err_set(err, CORE_ECONFIG, NULL, "issuer is required");
		return -1;
	}
	if (cfg->jwks_uri != NULL && cfg->jwks_file != NULL) {
		core_err_set(err, CORE_ECONFIG, NULL, "jwks_uri and jwks_file "
			     "are mutually exclusive");
		return -1;
	}
	for (size_t a = 0; a < cfg->n_algorithms; a++) {
		/* Only asymmetric JWS algorithms: never none, never HS*. */
		if (fed_alg_from_name(cfg->algorithms[a]) == FED_ALG_NONE) {
			core_err_set(err, CORE_ECONFIG, NULL, "algorithm "
				     "\"%s\" not supported (RS256..512, "
				     "PS256..512, ES256..512)",
				     cfg->algorithms[a]);
			return -1;
		}
	}
	fed_oidc_config_defaults(cfg);
	return 0;
}

static void
free_strings(char **arr, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(arr[i]);
	free(arr);
}

void
fed_oidc_config_clear(struct fed_oidc_config *cfg)
{
	if (cfg == NULL)
		return;
	free(cfg->name);
	free(cfg->preset);
	free(cfg->issuer);
	free_strings(cfg->issuer_aliases, cfg->n_issuer_aliases);
	free_strings(cfg->audiences, cfg->n_audiences);
	free(cfg->jwks_uri);
	free(cfg->jwks_file);
	free_strings(cfg->algorithms, cfg->n_algorithms);
	free(cfg->require_token_use);
	memset(cfg, 0, sizeof(*cfg));
}
