/* gateway/authn.c - SigV4 verification against issued sessions and users */
#include "gateway/authn.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/log.h"
#include "core/secret.h"
#include "federation/mint.h"
#include "federation/replay.h"
#include "gateway/app.h"
#include "gateway/conf.h"
#include "gateway/http.h"
#include "gateway/revoke.h"

#define MSG_INVALID_TOKEN "The security token included in the request is invalid."

void
gw_authn_msg_from_req(const struct gw_req *req, struct gw_signed_msg *m)
{
	size_t n = req->n_headers < GW_MAX_HEADERS ? req->n_headers
						   : GW_MAX_HEADERS;

	memset(m, 0, sizeof(*m));
	for (size_t i = 0; i < n; i++) {
		m->headers[i].name = req->headers[i].name;
		m->headers[i].value = req->headers[i].value;
	}
	m->msg.method = req->method;
	m->msg.raw_path = req->raw_path;
	m->msg.raw_query = req->raw_query;
	m->msg.headers = m->headers;
	m->msg.n_headers = n;
	m->msg.body = (const uint8_t *)req->body;
	m->msg.body_len = req->body_len;
}

static int
resolve_user_key(struct gw_app *app, const struct fed_sigv4_auth *a,
		 struct gw_principal *p, const char **secret,
		 struct core_err *err)
{
	const struct gw_access_key *key = NULL;
	const struct gw_user *u =
	    gw_conf_find_user_by_key(app->conf, a->access_key_id, &key);

	/* A session token next to a long-term key is a confused client. */
	if (u == NULL || a->security_token != NULL) {
		core_err_set(err, CORE_EINVALID_CLIENT, "access_key_unknown",
			     MSG_INVALID_TOKEN);
		return -1;
	}
	p->kind = GW_PRINCIPAL_USER;
	p->user = u;
	p->account = u->account_id;
	p->arn = u->arn;
	p->name = u->name;
	p->access_key_id = key->id;
	snprintf(p->user_id, sizeof(p->user_id), "%s", u->user_id);
	*secret = key->secret;
	return 0;
}

static int
resolve_session(struct gw_app *app, const struct fed_sigv4_auth *a,
		int64_t now, struct gw_principal *p, const char **secret,
		struct core_err *err)
{
	struct fed_session *s = NULL;

	if (a->security_token == NULL) {
		core_err_set(err, CORE_EINVALID_CLIENT, "session_token_missing",
			     MSG_INVALID_TOKEN);
		return -1;
	}
	if (fed_mint_unseal(app->keyring, a->security_token,
			    strlen(a->security_token), now, &s, err) == -1)
		return -1;
	/* The token must be the one issued with this access key id. */
	if (!core_secret_eq(s->access_key_id, strlen(s->access_key_id),
			    a->access_key_id, strlen(a->access_key_id))) {
		fed_session_free(s);
		core_err_set(err, CORE_EINVALID_CLIENT, "access_key_mismatch",
			     MSG_INVALID_TOKEN);
		return -1;
	}
	/* Revocations live in the shared store; one that cannot be read
	 * refuses the session (fail closed, 503). */
	if (app->saml_replay != NULL &&
	    gw_revoke_check(fed_saml_replay_store(app->saml_replay), s,
			    err) == -1) {
		fed_session_free(s);
		return -1;
	}
	p->session = s;
	p->account = s->account;
	p->access_key_id = s->access_key_id;
	if (s->user_arn != NULL) {
		p->kind = GW_PRINCIPAL_USER_SESSION;
		p->user = gw_conf_find_user(app->conf, s->user_arn);
		p->arn = s->user_arn;
		p->name = s->session_name;
		snprintf(p->user_id, sizeof(p->user_id), "%s", s->user_id);
	} else {
		p->kind = GW_PRINCIPAL_ROLE_SESSION;
		p->role = gw_conf_find_role(app->conf, s->role_arn);
		p->arn = s->assumed_role_arn;
		p->name = s->session_name;
		snprintf(p->user_id, sizeof(p->user_id), "%s:%s", s->role_id,
			 s->session_name);
	}
	*secret = s->secret_access_key;
	return 0;
}

int
gw_authn_verify(struct gw_app *app, const struct fed_sigv4_msg *m,
		const char *service, int64_t now, struct gw_principal *out,
		struct core_err *err)
{
	struct fed_sigv4_auth a;
	const char *secret = NULL;
	int rc = -1;

	memset(out, 0, sizeof(*out));
	if (fed_sigv4_parse(m, &a, err) == -1)
		return -1;
	if (fed_sigv4_check_time(&a, now, err) == -1)
		goto out;
	if (service != NULL && strcmp(a.service, service) != 0) {
		core_err_set(err, CORE_EINCOMPLETE_SIG, "service_mismatch",
			     "Credential should be scoped to correct service: "
			     "'%s'.", service);
		goto out;
	}
	if (strncmp(a.access_key_id, "ASIA", 4) == 0)
		rc = resolve_session(app, &a, now, out, &secret, err);
	else
		rc = resolve_user_key(app, &a, out, &secret, err);
	if (rc == 0)
		rc = fed_sigv4_verify(m, &a, secret, err);
	if (rc == 0) {
		snprintf(out->signing_service, sizeof(out->signing_service),
			 "%s", a.service);
	} else {
		gw_principal_clear(out);
	}
out:
	fed_sigv4_auth_clear(&a);
	return rc;
}

void
gw_principal_clear(struct gw_principal *p)
{
	fed_session_free(p->session);
	memset(p, 0, sizeof(*p));
}
