/* gateway/authorize.c - /authorize: SigV4 + permission decision for proxies */
#include "gateway/authorize.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/log.h"
#include "core/mem.h"
#include "core/timeutil.h"
#include "gateway/app.h"
#include "gateway/audit.h"
#include "gateway/authn.h"
#include "gateway/authz.h"
#include "gateway/authzmsg.h"
#include "gateway/conf.h"
#include "trust/policy.h"

#define ORIG_URI_MAX (16 * 1024)

/* Percent-decode an S3 key; -1 on bad escapes or NUL. */
static int
decode_into(const char *s, size_t n, char *out, size_t outlen)
{
	size_t o = 0;

	for (size_t i = 0; i < n; i++) {
		int c = (unsigned char)s[i];

		if (c == '%') {
			unsigned v;

			if (i + 2 >= n)
				return -1;
			if (!isxdigit((unsigned char)s[i + 1]) ||
			    !isxdigit((unsigned char)s[i + 2]) ||
			    sscanf(s + i + 1, "%2x", &v) != 1 || v == 0)
				return -1;
			c = (int)v;
			i += 2;
		}
		if (o + 1 >= outlen)
			return -1;
		out[o++] = (char)c;
	}
	out[o] = '\0';
	return 0;
}

/* Query parameter names that do not change which S3 operation this is. */
static int
harmless_param(const char *name, size_t n)
{
	static const char *const ok[] = {
	    "X-Amz-Algorithm", "X-Amz-Credential", "X-Amz-Date",
	    "X-Amz-Expires", "X-Amz-SignedHeaders", "X-Amz-Signature",
	    "X-Amz-Security-Token", "x-id", "list-type", "prefix",
	    "delimiter", "max-keys", "continuation-token", "encoding-type",
	    "marker", "start-after", "fetch-owner", "uploadId", "partNumber",
	    "uploads", NULL,
	};

	for (size_t i = 0; ok[i] != NULL; i++)
		if (strlen(ok[i]) == n && strncmp(ok[i], name, n) == 0)
			return 1;
	return 0;
}

static int
query_is_plain(const char *q)
{
	while (q != NULL && *q != '\0') {
		size_t n = strcspn(q, "=&");

		if (n > 0 && !harmless_param(q, n))
			return 0;
		q += strcspn(q, "&");
		if (*q == '&')
			q++;
	}
	return 1;
}

/*
 * Keys a proxy could store under another name are refused: "." and ".."
 * segments and empty segments are normalized away by nginx ($uri) but not
 * by SigV4 or S3, so "uploads/alice/../bob/x" would be allowed as alice's
 * and written as bob's. Encoded '/' and '\' are refused for the same reason.
 */
static int
key_is_safe(const char *raw, const char *key)
{
	const char *seg = key;

	if (strcasestr(raw, "%2f") != NULL || strcasestr(raw, "%5c") != NULL ||
	    strchr(key, '\\') != NULL)
		return 0;
	for (;;) {
		size_t n = strcspn(seg, "/");

		if (n == 0 || (n == 1 && seg[0] == '.') ||
		    (n == 2 && seg[0] == '.' && seg[1] == '.'))
			return 0;
		if (seg[n] == '\0')
			return 1;
		seg += n + 1;
	}
}

static int
has_param(const char *q, const char *name)
{
	size_t n = strlen(name);

	while (q != NULL && *q != '\0') {
		if (strncmp(q, name, n) == 0 && (q[n] == '\0' || q[n] == '=' ||
						 q[n] == '&'))
			return 1;
		q += strcspn(q, "&");
		if (*q == '&')
			q++;
	}
	return 0;
}

/* The action S3 documents for each operation (multipart ones included). */
static int
s3_action(const char *method, int has_key, const char *q, struct gw_s3_op *op)
{
	const char *a = NULL;
	int get = !strcmp(method, "GET") || !strcmp(method, "HEAD");
	int upload = has_param(q, "uploadId");

	if (has_key && (!strcmp(method, "PUT") || !strcmp(method, "POST")))
		a = "s3:PutObject"; /* incl. initiate/part/complete multipart */
	else if (has_key && get)
		a = upload ? "s3:ListMultipartUploadParts" : "s3:GetObject";
	else if (has_key && !strcmp(method, "DELETE"))
		a = upload ? "s3:AbortMultipartUpload" : "s3:DeleteObject";
	else if (!has_key && get)
		a = has_param(q, "uploads") ? "s3:ListBucketMultipartUploads"
					    : "s3:ListBucket";
	if (a == NULL)
		return -1;
	snprintf(op->action, sizeof(op->action), "%s", a);
	return 0;
}

/* S3 bucket naming rules: 3..63 of [a-z0-9.-], starting and ending with a
 * letter or digit (so never "." or ".."). */
static int
bucket_is_valid(const char *b)
{
	size_t n = strlen(b);

	if (n < 3 || n > 63 || strspn(b, "abcdefghijklmnopqrstuvwxyz0123456789.-") != n)
		return 0;
	return isalnum((unsigned char)b[0]) && isalnum((unsigned char)b[n - 1]);
}

int
gw_s3_map(const char *method, const char *raw_path, const char *raw_query,
	  struct gw_s3_op *op)
{
	const char *p = raw_path, *slash;
	char key[1025]; /* S3 keys: up to 1,024 bytes */
	int has_key;

	memset(op, 0, sizeof(*op));
	if (p[0] != '/' || !query_is_plain(raw_query))
		return -1;
	p++;
	slash = strchr(p, '/');
	if (decode_into(p, slash ? (size_t)(slash - p) : strlen(p), op->bucket,
			sizeof(op->bucket)) == -1 || !bucket_is_valid(op->bucket))
		return -1;
	has_key = slash != NULL && slash[1] != '\0';
	if (has_key && (decode_into(slash + 1, strlen(slash + 1), key,
				    sizeof(key)) == -1 ||
			!key_is_safe(slash + 1, key)))
		return -1;
	if (s3_action(method, has_key, raw_query, op) == -1)
		return -1;
	if (has_key)
		snprintf(op->resource, sizeof(op->resource), "arn:aws:s3:::%s/%s",
			 op->bucket, key);
	else
		snprintf(op->resource, sizeof(op->resource), "arn:aws:s3:::%s",
			 op->bucket);
	return 0;
}

/* The original request, as the proxy describes it. */
struct orig_req {
	const char *method;
	char *path;
	const char *query;
	struct gw_signed_msg m;
};

/*
 * The subrequest has no body, so proxies drop or zero its Content-Length;
 * a client that signed content-length (the JS SDK does) signed the
 * original one, which the proxy passes as X-Original-Content-Length.
 */
static void
set_content_length(struct orig_req *o, const char *clen)
{
	size_t n = o->m.msg.n_headers;

	if (clen == NULL)
		return;
	for (size_t i = 0; i < n; i++) {
		if (strcasecmp(o->m.headers[i].name, "Content-Length") == 0) {
			o->m.headers[i].value = clen;
			return;
		}
	}
	if (n < sizeof(o->m.headers) / sizeof(o->m.headers[0])) {
		o->m.headers[n].name = "Content-Length";
		o->m.headers[n].value = clen;
		o->m.msg.n_headers = n + 1;
	}
}

static int
orig_from_headers(const struct gw_req *req, struct orig_req *o,
		  struct core_err *err)
{
	const char *uri = gw_req_header(req, "X-Original-URI");
	const char *q, *clen = gw_req_header(req, "X-Original-Content-Length");

	o->method = gw_req_header(req, "X-Original-Method");
	if (o->method == NULL || uri == NULL || uri[0] != '/' ||
	    strlen(uri) > ORIG_URI_MAX) {
		core_err_set(err, CORE_EVALIDATION, "proxy_headers",
			     "X-Original-Method and X-Original-URI are required");
		return -1;
	}
	q = strchr(uri, '?');
	o->path = core_xstrndup(uri, q ? (size_t)(q - uri) : strlen(uri));
	o->query = q ? q + 1 : NULL;
	gw_authn_msg_from_req(req, &o->m);
	o->m.msg.method = o->method;
	o->m.msg.raw_path = o->path;
	o->m.msg.raw_query = o->query;
	/* The subrequest has no body: hashes come from x-amz-content-sha256,
	 * and a signed content-length is the original one. */
	o->m.msg.body = NULL;
	o->m.msg.body_len = 0;
	set_content_length(o, clen);
	return 0;
}

static int
choose_op(const struct gw_req *req, const struct orig_req *o,
	  struct gw_s3_op *op, struct core_err *err)
{
	const char *a = gw_req_header(req, "X-Fedgate-Action");
	const char *r = gw_req_header(req, "X-Fedgate-Resource");

	/* Explicit mapping set by the proxy config (which must also clear
	 * these headers when clients send them). */
	if (a != NULL || r != NULL) {
		memset(op, 0, sizeof(*op));
		if (a == NULL || r == NULL || strlen(a) >= sizeof(op->action) ||
		    strlen(r) >= sizeof(op->resource) || strchr(a, ':') == NULL) {
			core_err_set(err, CORE_EVALIDATION, "proxy_headers",
				     "X-Fedgate-Action needs X-Fedgate-Resource "
				     "and the form service:Action");
			return -1;
		}
		snprintf(op->action, sizeof(op->action), "%s", a);
		snprintf(op->resource, sizeof(op->resource), "%s", r);
		return 0;
	}
	/* CopyObject also needs s3:GetObject on the source: not mapped, so
	 * refused rather than authorized as a plain PutObject. */
	if (gw_req_header(req, "x-amz-copy-source") != NULL ||
	    gw_s3_map(o->method, o->path, o->query, op) == -1) {
		core_err_set(err, CORE_EACCESS, "operation_unsupported",
			     "This request does not map to an S3 operation "
			     "fedgate authorizes");
		return -1;
	}
	return 0;
}

static void
deny(struct gw_app *app, struct gw_resp *resp, const struct gw_req *req,
     const struct gw_principal *p, const struct gw_s3_op *op,
     enum trust_decision d, const char *trace, struct core_err *err)
{
	char *msg = gw_authzmsg_encode(app, p, op->action, op->resource, d,
				       trace);

	core_err_set(err, CORE_EACCESS,
		     d == TRUST_EXPLICIT_DENY ? "explicit_deny" : "implicit_deny",
		     "User: %s is not authorized to perform: %s on resource: "
		     "%.1152s", p->arn, op->action, op->resource);
	gw_resp_error(resp, req, err);
	if (msg != NULL)
		gw_resp_header(resp, "X-Fedgate-Authorization-Message", msg);
	free(msg);
}

static void
allow(struct gw_resp *resp, const struct gw_principal *p)
{
	gw_resp_text(resp, 200, "application/json", "{\"allowed\":true}\n");
	gw_resp_header(resp, "X-Fedgate-Principal-Arn", p->arn);
	gw_resp_header(resp, "X-Fedgate-Account", p->account);
	gw_resp_header(resp, "X-Fedgate-Session-Name", p->name);
	gw_resp_header(resp, "X-Fedgate-User-Id", p->user_id);
}

static void
audit(struct gw_app *app, const struct gw_req *req,
      const struct gw_principal *p, int authenticated,
      const struct gw_s3_op *op, enum trust_decision d,
      const struct core_err *err)
{
	struct gw_audit_event ev = {0};

	ev.event_name = "Authorize";
	ev.request_id = req->request_id;
	ev.source_ip = req->source_ip;
	ev.user_agent = req->user_agent;
	ev.time = core_now();
	if (authenticated) {
		ev.identity_type = p->kind == GW_PRINCIPAL_ROLE_SESSION
				       ? "AssumedRole" : "IAMUser";
		ev.principal_id = p->user_id;
		ev.arn = p->arn;
		ev.account_id = p->account;
		ev.caller_key_id = p->access_key_id;
	}
	ev.action = op->action[0] ? op->action : "unknown";
	ev.resource = op->resource;
	ev.decision = authenticated && op->action[0] ? trust_decision_name(d)
						     : NULL;
	ev.err = err->code != CORE_OK ? err : NULL;
	gw_audit_log(app->audit, &ev);
}

void
gw_authorize_handle(struct gw_app *app, struct gw_req *req,
		    struct gw_resp *resp)
{
	struct core_err err = {0};
	struct orig_req o = {0};
	struct gw_principal p = {0};
	struct gw_s3_op op = {0};
	enum trust_decision d = TRUST_IMPLICIT_DENY;
	struct trust_ctx *ctx;
	struct core_buf trace;
	int authn = 0;

	core_buf_init(&trace, 8 * 1024);
	if (orig_from_headers(req, &o, &err) == 0 &&
	    gw_authn_verify(app, &o.m.msg, NULL, core_now(), &p, &err) == 0) {
		authn = 1;
		if (choose_op(req, &o, &op, &err) == 0) {
			ctx = trust_ctx_new();
			gw_authz_principal_keys(app, ctx, &p, req->source_ip,
						core_now());
			trust_ctx_set_action(ctx, op.action);
			trust_ctx_set_resource(ctx, op.resource);
			d = gw_authz_permissions(app, &p, ctx, &trace);
			trust_ctx_free(ctx);
		}
	}
	if (err.code != CORE_OK) {
		gw_resp_error(resp, req, &err);
		/* Not authenticated: 401, so proxies can ask for credentials;
		 * a store outage (revocations unreadable) stays 503. */
		if (!authn && err.code != CORE_EUNAVAILABLE)
			resp->status = 401;
	} else if (d == TRUST_ALLOW) {
		allow(resp, &p);
	} else {
		deny(app, resp, req, &p, &op, d, trace.data, &err);
	}
	if (err.code != CORE_OK)
		gw_resp_header(resp, "X-Fedgate-Error-Code",
			       core_code_sts(err.code));
	audit(app, req, &p, authn, &op, d, &err);
	core_buf_reset(&trace);
	free(o.path);
	gw_principal_clear(&p);
}
