/* gateway/app.c - application state and the router */
#include "gateway/app.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/log.h"
#include "core/mem.h"
#include "core/seal.h"
#include "core/store.h"
#include "core/timeutil.h"
#include "federation/oidc.h"
#include "federation/replay.h"
#include "federation/saml.h"
#include "gateway/audit.h"
#include "gateway/authorize.h"
#include "gateway/conf.h"
#include "gateway/devidp.h"
#include "gateway/login.h"
#include "gateway/metrics.h"
#include "gateway/ratelimit.h"
#include "gateway/sts.h"

static char *
dup_or_null(const char *s)
{
	return s != NULL ? core_xstrdup(s) : NULL;
}

/* fed_saml_new consumes its configs; the conf keeps its own, intact, for
 * gw_conf_find_saml_idp and so that a loaded conf is never mutated. */
static void
copy_saml_configs(const struct gw_conf *conf, struct fed_saml_sp_config *sp,
		  struct fed_saml_idp_config *idps)
{
	const struct fed_saml_sp_config *c = &conf->saml_sp;

	sp->entity_id = dup_or_null(c->entity_id);
	sp->acs_url = dup_or_null(c->acs_url);
	sp->n_recipients = c->n_recipients;
	sp->recipients = core_xcalloc(c->n_recipients + 1,
				      sizeof(*sp->recipients));
	for (size_t i = 0; i < c->n_recipients; i++)
		sp->recipients[i] = core_xstrdup(c->recipients[i]);
	sp->cert_file = dup_or_null(c->cert_file);
	sp->key_file = dup_or_null(c->key_file);
	sp->allow_sha1 = c->allow_sha1;
	for (size_t i = 0; i < conf->n_saml_idps; i++) {
		const struct fed_saml_idp_config *ic = &conf->saml_idps[i];

		idps[i].name = dup_or_null(ic->name);
		idps[i].metadata_file = dup_or_null(ic->metadata_file);
		idps[i].metadata_url = dup_or_null(ic->metadata_url);
		idps[i].preset = dup_or_null(ic->preset);
		idps[i].refresh_seconds = ic->refresh_seconds;
	}
}

/* One validator for all SAML IdPs, built once (~100 ms): never per request. */
static int
start_saml(struct gw_app *app, struct core_err *err)
{
	const struct gw_conf *conf = app->conf;
	struct fed_saml_sp_config sp = {0};
	struct fed_saml_idp_config *idps;

	/* run.c reloads on this schedule: how a metadata_url is refetched. */
	for (size_t i = 0; i < conf->n_saml_idps; i++) {
		int r = conf->saml_idps[i].refresh_seconds;

		if (conf->saml_idps[i].metadata_url != NULL && r > 0 &&
		    (app->metadata_refresh_seconds == 0 ||
		     r < app->metadata_refresh_seconds))
			app->metadata_refresh_seconds = r;
	}
	idps = core_xcalloc(conf->n_saml_idps, sizeof(*idps));
	copy_saml_configs(conf, &sp, idps);
	/* Takes the copies' contents, whatever it returns. */
	app->saml = fed_saml_new(&sp, idps, conf->n_saml_idps, err);
	free(idps);
	return app->saml == NULL ? -1 : 0;
}

struct gw_app *
gw_app_new(struct gw_conf *conf)
{
	struct gw_app *app = core_xcalloc(1, sizeof(*app));
	struct core_err err = {0};
	struct core_store *store;

	atomic_init(&app->refs, 1);
	app->conf = conf;
	app->started_at = core_now();
	app->keyring = core_keyring_load_or_create(conf->state_dir, &err);
	if (app->keyring == NULL)
		goto fail;
	app->audit = gw_audit_open(conf->audit_log, &err);
	if (app->audit == NULL)
		goto fail;
	/* Made even without SAML providers: a reload may add one, and the
	 * replay cache (the store's owner) is what reloads carry over. */
	if (strcmp(conf->store, "memory") == 0 &&
	    conf->store_memory_max_entries > 0)
		store = core_store_open_memory(conf->store_memory_max_entries);
	else
		store = core_store_open(conf->store, &err);
	if (store == NULL)
		goto fail;
	app->saml_replay = fed_saml_replay_new_store(store);
	/* The provider set takes the configs over; conf keeps zeroed slots. */
	app->oidc = fed_oidc_set_new(conf->providers, conf->n_providers);
	if (conf->n_saml_idps > 0 && start_saml(app, &err) == -1)
		goto fail;
	app->login = gw_login_new(conf);
	return app;
fail:
	log_warnx("%s", err.msg);
	gw_app_free(app);
	return NULL;
}

void
gw_app_free(struct gw_app *app)
{
	if (app == NULL)
		return;
	fed_oidc_set_free(app->oidc);
	fed_saml_free(app->saml);
	gw_login_free(app->login);
	core_keyring_free(app->keyring);
	gw_audit_close(app->audit);
	if (!app->state_moved) {
		fed_saml_replay_free(app->saml_replay);
		gw_devidp_free(app->devidp);
	}
	gw_conf_free(app->conf);
	free(app);
}

struct gw_app *
gw_app_ref(struct gw_app *app)
{
	if (app != NULL)
		atomic_fetch_add(&app->refs, 1);
	return app;
}

void
gw_app_unref(struct gw_app *app)
{
	/* seq_cst: whatever a holder wrote (state_moved) is seen by the
	 * thread that frees. */
	if (app != NULL && atomic_fetch_sub(&app->refs, 1) == 1)
		gw_app_free(app);
}

void
gw_app_inherit(struct gw_app *app, struct gw_app *old)
{
	if (old->state_moved)
		return;
	/* Replays across a reload must still be refused: keep the IDs seen. */
	if (old->saml_replay != NULL) {
		if (strcmp(old->conf->store, app->conf->store) != 0)
			log_warnx("reload: store: the new setting takes effect "
				  "on restart; still using %s",
				  core_store_describe(
				      fed_saml_replay_store(old->saml_replay)));
		fed_saml_replay_free(app->saml_replay);
		app->saml_replay = old->saml_replay;
	}
	/* Tokens the dev IdP minted must still verify against its JWKS. */
	if (old->devidp != NULL) {
		gw_devidp_free(app->devidp);
		app->devidp = old->devidp;
	}
	old->state_moved = 1;
}

static void
handle_readyz(struct gw_app *app, struct gw_resp *resp)
{
	struct core_buf *b = &resp->body;
	size_t n = fed_oidc_set_count(app->oidc);
	int ready = app->keyring != NULL && core_keyring_count(app->keyring) > 0;

	core_buf_reset(b);
	core_buf_printf(b, "{\"keyring\":{\"keys\":%zu,\"active\":\"%s\"},"
			"\"providers\":[", core_keyring_count(app->keyring),
			core_keyring_active_id(app->keyring));
	for (size_t i = 0; i < n; i++) {
		int ok = fed_oidc_provider_ready(app->oidc, i);

		core_buf_printf(b, "%s{\"name\":\"", i ? "," : "");
		core_buf_put_json(b, fed_oidc_provider_name(app->oidc, i));
		core_buf_printf(b, "\",\"status\":\"%s\"}",
				ok ? "ready" : "degraded");
		ready &= ok;
	}
	core_buf_printf(b, "],\"status\":\"%s\"}\n", ready ? "ready" : "degraded");
	resp->status = ready ? 200 : 503;
	resp->content_type = "application/json";
}

static void
handle_saml_metadata(struct gw_app *app, struct gw_resp *resp)
{
	char *xml = fed_saml_sp_metadata(app->saml);

	gw_resp_text(resp, xml ? 200 : 500, "application/samlmetadata+xml",
		     xml ? xml : "");
	free(xml);
}

static int
path_is(const char *path, const char *prefix)
{
	size_t n = strlen(prefix);

	return strncmp(path, prefix, n) == 0 &&
	       (path[n] == '\0' || path[n] == '/');
}

void
gw_app_handle(struct gw_app *app, struct gw_req *req, struct gw_resp *resp)
{
	int get = strcmp(req->method, "GET") == 0 ||
		  strcmp(req->method, "HEAD") == 0;
	struct core_err err = {0};

	/* Probes and /metrics are never rate limited: only the STS API
	 * and /authorize are (gateway/ratelimit.h). */
	if (strcmp(req->path, "/healthz") == 0 && get) {
		gw_resp_text(resp, 200, "application/json", "{\"status\":\"ok\"}\n");
	} else if (strcmp(req->path, "/readyz") == 0 && get) {
		handle_readyz(app, resp);
	} else if (strcmp(req->path, GW_METRICS_PATH) == 0 && get) {
		gw_metrics_handle(app, resp);
	} else if (strcmp(req->path, "/saml/metadata") == 0 && get &&
		 app->saml != NULL) {
		handle_saml_metadata(app, resp);
	} else if (strcmp(req->path, GW_AUTHORIZE_PATH) == 0 &&
		 (get || strcmp(req->method, "POST") == 0)) {
		if (gw_ratelimit_request(app, req, "Authorize", resp) == 0)
			gw_authorize_handle(app, req, resp);
	} else if (gw_login_route(app, req, resp)) {
		/* the login page ([4/5]): handled */
	} else if (app->devidp != NULL && path_is(req->path, GW_DEVIDP_PATH)) {
		gw_devidp_handle(app->devidp, req, resp);
	} else if (strcmp(req->path, "/") == 0) {
		if (!get && strcmp(req->method, "POST") != 0) {
			core_err_set(&err, CORE_EMETHOD, "method",
				     "The STS API accepts GET and POST only");
			gw_resp_error(resp, req, &err);
		} else if (gw_ratelimit_request(app, req,
		    gw_form_get(&req->form, "Action"), resp) == 0)
			gw_sts_handle(app, req, resp);
	} else {
		core_err_set(&err, CORE_ENOT_FOUND, "not_found",
			     "No such resource; the STS API is served at /");
		gw_resp_error(resp, req, &err);
	}
}
