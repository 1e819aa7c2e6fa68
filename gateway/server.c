/* gateway/server.c - HTTP plumbing on libmicrohttpd (thread pool + epoll)
 *
 * All limits are applied here, before a handler runs: header bytes
 * (MHD memory limit), body bytes (conf max_body_bytes -> 413 early when
 * Content-Length says so), query length, parameter count. Handlers receive
 * a complete gw_req.
 */
#include "gateway/server.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

#include <microhttpd.h>

#include "core/log.h"
#include "core/mem.h"
#include "core/secret.h"
#include "gateway/app.h"
#include "gateway/conf.h"
#include "gateway/http.h"
#include "gateway/metrics.h"

struct gw_server {
	pthread_mutex_t app_lock;	/* app pointer + taking a reference */
	struct gw_app *app;		/* current; the server holds a reference */
	atomic_int last_reload_ok;
	atomic_ulong reload_failures;
	atomic_int stopping;		/* refuse new connections (shutdown) */
	struct MHD_Daemon *daemons[GW_CONF_MAX_LISTEN];
	int fds[GW_CONF_MAX_LISTEN];
	int ports[GW_CONF_MAX_LISTEN];
	size_t n;
	/* metrics_listen: a daemon serving /metrics only (NULL: none, and
	 * /metrics is routed by the app on the listen addresses). */
	struct MHD_Daemon *metrics_daemon;
	int metrics_fd;
	int metrics_port;
};

/* Per-request state, created by the URI callback before headers are read. */
struct conn_ctx {
	struct gw_app *app;	/* referenced until the request completes */
	char *raw_path;		/* URI up to '?' */
	char *raw_query;	/* part of the URI after '?', or NULL */
	int query_too_long;
	struct core_buf body;
	int body_too_large;
	int started;
	uint64_t t0;		/* gw_metrics_now() at the first callback */
	int on_metrics;		/* accepted on the metrics_listen address */
};

static void
make_request_id(char out[GW_REQUEST_ID_LEN + 1])
{
	uint8_t r[16];

	core_random(r, sizeof(r));
	r[6] = (r[6] & 0x0f) | 0x40; /* UUID version 4, RFC 4122 §4.4 */
	r[8] = (r[8] & 0x3f) | 0x80;
	snprintf(out, GW_REQUEST_ID_LEN + 1,
		 "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-"
		 "%02x%02x%02x%02x%02x%02x",
		 r[0], r[1], r[2], r[3], r[4], r[5], r[6], r[7], r[8], r[9],
		 r[10], r[11], r[12], r[13], r[14], r[15]);
}

static void *
on_uri(void *cls, const char *uri, struct MHD_Connection *c)
{
	struct gw_server *srv = cls;
	struct conn_ctx *ctx = core_xcalloc(1, sizeof(*ctx));
	const char *q = strchr(uri, '?');

	/* Pinned here, not when the body is complete: a reload during a slow
	 * upload must not change the rules halfway through the request. */
	ctx->app = gw_server_app_acquire(srv);
	if (srv->metrics_daemon != NULL) {
		const union MHD_ConnectionInfo *ci = MHD_get_connection_info(
		    c, MHD_CONNECTION_INFO_DAEMON);

		ctx->on_metrics = ci != NULL &&
				  ci->daemon == srv->metrics_daemon;
	}
	core_buf_init(&ctx->body, ctx->app->conf->max_body_bytes);
	ctx->raw_path = q ? core_xstrndup(uri, (size_t)(q - uri))
			  : core_xstrdup(uri);
	if (q != NULL) {
		if (strlen(q + 1) > GW_MAX_QUERY_BYTES)
			ctx->query_too_long = 1;
		else
			ctx->raw_query = core_xstrdup(q + 1);
	}
	return ctx;
}

static void
on_completed(void *cls, struct MHD_Connection *c, void **con_cls,
	     enum MHD_RequestTerminationCode toe)
{
	struct conn_ctx *ctx = *con_cls;

	if (ctx == NULL)
		return;
	if (ctx->raw_query != NULL)
		core_secret_free(ctx->raw_query, strlen(ctx->raw_query));
	free(ctx->raw_path);
	core_buf_wipe(&ctx->body); /* may hold tokens */
	gw_app_unref(ctx->app);
	free(ctx);
	*con_cls = NULL;
}

static void
client_ip(struct MHD_Connection *c, char *out, size_t outlen)
{
	const union MHD_ConnectionInfo *ci =
	    MHD_get_connection_info(c, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
	const struct sockaddr *sa = ci ? ci->client_addr : NULL;

	snprintf(out, outlen, "unknown");
	if (sa == NULL)
		return;
	if (sa->sa_family == AF_INET)
		inet_ntop(AF_INET, &((const struct sockaddr_in *)sa)->sin_addr,
			  out, (socklen_t)outlen);
	else if (sa->sa_family == AF_INET6)
		inet_ntop(AF_INET6,
			  &((const struct sockaddr_in6 *)sa)->sin6_addr, out,
			  (socklen_t)outlen);
}

static int
is_form_type(const char *ct)
{
	static const char form[] = "application/x-www-form-urlencoded";
	size_t n = sizeof(form) - 1;

	/* Parameters such as "; charset=utf-8" (botocore) are allowed. */
	return ct != NULL && strncasecmp(ct, form, n) == 0 &&
	       (ct[n] == '\0' || ct[n] == ';' || ct[n] == ' ');
}

static int
resp_has_header(const struct gw_resp *resp, const char *name)
{
	for (size_t i = 0; i < resp->n_headers; i++)
		if (strcasecmp(resp->headers[i].name, name) == 0)
			return 1;
	return 0;
}

static enum MHD_Result
send_resp(struct MHD_Connection *c, struct gw_resp *resp, const char *rid,
	  uint64_t t0)
{
	struct MHD_Response *r;
	enum MHD_Result ret;

	r = MHD_create_response_from_buffer(resp->body.len,
					    resp->body.data ? resp->body.data : (char *)"",
					    MHD_RESPMEM_MUST_COPY);
	if (r == NULL)
		return MHD_NO;
	MHD_add_response_header(r, "Content-Type", resp->content_type);
	MHD_add_response_header(r, "x-amzn-RequestId", rid);
	/* Credentials must never be cached by proxies or browsers; only a
	 * handler that says otherwise (static assets) changes that. */
	if (!resp_has_header(resp, "Cache-Control"))
		MHD_add_response_header(r, "Cache-Control", "no-store");
	if (!resp_has_header(resp, "X-Content-Type-Options"))
		MHD_add_response_header(r, "X-Content-Type-Options", "nosniff");
	if (resp->location != NULL)
		MHD_add_response_header(r, "Location", resp->location);
	for (size_t i = 0; i < resp->n_headers; i++)
		MHD_add_response_header(r, resp->headers[i].name,
					resp->headers[i].value);
	ret = MHD_queue_response(c, (unsigned)resp->status, r);
	MHD_destroy_response(r);
	if (ret == MHD_YES)
		gw_metrics_http_request(resp->status, t0);
	return ret;
}

static enum MHD_Result
reply_error(struct MHD_Connection *c, const struct conn_ctx *ctx,
	    struct gw_req *req, enum core_code code, const char *msg)
{
	struct gw_resp resp = {0};
	struct core_err err = {0};
	enum MHD_Result ret;

	core_err_set(&err, code, "http_limit", "%s", msg);
	core_buf_init(&resp.body, 0);
	gw_resp_error(&resp, req, &err);
	ret = send_resp(c, &resp, req->request_id, ctx->t0);
	core_buf_reset(&resp.body);
	return ret;
}

/* First call for a request: only headers are known. Refuse early what we can. */
static enum MHD_Result
on_headers(struct MHD_Connection *c, struct conn_ctx *ctx)
{
	const char *cl = MHD_lookup_connection_value(c, MHD_HEADER_KIND,
						     MHD_HTTP_HEADER_CONTENT_LENGTH);
	struct gw_req req = {0};

	ctx->started = 1;
	ctx->t0 = gw_metrics_now();
	if (cl != NULL) {
		char *end;
		unsigned long long n = strtoull(cl, &end, 10);

		if (*end != '\0' || n > ctx->app->conf->max_body_bytes) {
			make_request_id(req.request_id);
			return reply_error(c, ctx, &req, CORE_ETOO_LARGE,
					   "Request body is larger than the "
					   "configured max_body_bytes");
		}
	}
	return MHD_YES;
}

static enum MHD_Result
collect_header(void *cls, enum MHD_ValueKind kind, const char *key,
	       const char *value)
{
	struct gw_req *req = cls;

	if (req->n_headers == GW_MAX_HEADERS) {
		req->n_headers++; /* marks overflow */
		return MHD_NO;
	}
	req->headers[req->n_headers].name = key;
	req->headers[req->n_headers].value = value ? value : "";
	req->n_headers++;
	return MHD_YES;
}

static void
build_req(struct MHD_Connection *c, struct conn_ctx *ctx, const char *url,
	  const char *method, struct gw_req *req)
{
	const char *ua;
	size_t ualen;

	memset(req, 0, sizeof(*req));
	make_request_id(req->request_id);
	req->method = method;
	req->path = url;
	req->raw_path = ctx->raw_path;
	req->raw_query = ctx->raw_query;
	MHD_get_connection_values(c, MHD_HEADER_KIND, collect_header, req);
	req->content_type = MHD_lookup_connection_value(
	    c, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_TYPE);
	ua = MHD_lookup_connection_value(c, MHD_HEADER_KIND,
					 MHD_HTTP_HEADER_USER_AGENT);
	ualen = ua ? strlen(ua) : 0;
	req->user_agent = ua && ualen <= GW_MAX_USER_AGENT ? ua : NULL;
	client_ip(c, req->source_ip, sizeof(req->source_ip));
	req->body = ctx->body.data ? ctx->body.data : "";
	req->body_len = ctx->body.len;
	gw_form_init(&req->form);
	if (ctx->raw_query != NULL &&
	    gw_form_parse(&req->form, ctx->raw_query, strlen(ctx->raw_query),
			  &req->form_err) == -1)
		req->form_error = 1;
	req->body_not_form = ctx->body.len > 0 &&
			     !is_form_type(req->content_type);
	if (!req->form_error && ctx->body.len > 0 && !req->body_not_form &&
	    gw_form_parse(&req->form, ctx->body.data, ctx->body.len,
			  &req->form_err) == -1)
		req->form_error = 1;
}

/*
 * With a metrics_listen address, /metrics is served there and nowhere
 * else, and nothing else is served there: operators put it on a private
 * interface precisely so that the public listeners do not expose it.
 */
static void
route(const struct gw_server *srv, const struct conn_ctx *ctx,
      struct gw_req *req, struct gw_resp *resp)
{
	int is_metrics = strcmp(req->path, GW_METRICS_PATH) == 0;
	struct core_err err = {0};

	if (srv->metrics_daemon == NULL) {
		gw_app_handle(ctx->app, req, resp);
	} else if (ctx->on_metrics && is_metrics &&
		   (strcmp(req->method, "GET") == 0 ||
		    strcmp(req->method, "HEAD") == 0)) {
		gw_metrics_handle(ctx->app, resp);
	} else if (ctx->on_metrics || is_metrics) {
		core_err_set(&err, CORE_ENOT_FOUND, "not_found",
			     ctx->on_metrics ? "Only GET /metrics is served "
			     "on this address" : "No such resource; the STS "
			     "API is served at /");
		gw_resp_error(resp, req, &err);
	} else {
		gw_app_handle(ctx->app, req, resp);
	}
}

static enum MHD_Result
on_request(void *cls, struct MHD_Connection *c, const char *url,
	   const char *method, const char *version, const char *upload_data,
	   size_t *upload_data_size, void **con_cls)
{
	struct gw_server *srv = cls;
	struct conn_ctx *ctx = *con_cls;
	struct gw_resp resp = {0};
	struct gw_req req;
	enum MHD_Result ret;

	if (!ctx->started)
		return on_headers(c, ctx);
	if (*upload_data_size > 0) {
		/* Chunked bodies have no Content-Length: cap while reading. */
		if (!ctx->body_too_large &&
		    core_buf_append(&ctx->body, upload_data,
				    *upload_data_size) == -1)
			ctx->body_too_large = 1;
		*upload_data_size = 0;
		return MHD_YES;
	}
	if (ctx->body_too_large || ctx->query_too_long) {
		memset(&req, 0, sizeof(req));
		make_request_id(req.request_id);
		return reply_error(c, ctx, &req, CORE_ETOO_LARGE,
				   ctx->body_too_large
				       ? "Request body is larger than the configured max_body_bytes"
				       : "Query string is too long");
	}
	build_req(c, ctx, url, method, &req);
	if (req.n_headers > GW_MAX_HEADERS) {
		gw_form_clear(&req.form);
		return reply_error(c, ctx, &req, CORE_EVALIDATION,
				   "Too many request headers");
	}
	core_buf_init(&resp.body, 0);
	resp.status = 500;
	resp.content_type = "text/plain";
	route(srv, ctx, &req, &resp);
	ret = send_resp(c, &resp, req.request_id, ctx->t0);
	gw_form_clear(&req.form);
	core_buf_wipe(&resp.body); /* may hold a secret access key */
	gw_resp_clear_headers(&resp);
	return ret;
}

static int
bind_listen(const struct gw_listen *l, int *port_out, struct core_err *err)
{
	struct addrinfo hints = {0}, *ai = NULL;
	char portstr[16];
	int fd = -1, one = 1, rc;
	union {
		struct sockaddr sa;
		struct sockaddr_storage ss;
	} addr;
	socklen_t alen = sizeof(addr);

	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_NUMERICHOST | AI_PASSIVE;
	snprintf(portstr, sizeof(portstr), "%d", l->port);
	rc = getaddrinfo(l->host, portstr, &hints, &ai);
	if (rc != 0) {
		core_err_set(err, CORE_ECONFIG, "listen", "listen %s:%d: %s",
			     l->host, l->port, gai_strerror(rc));
		return -1;
	}
	fd = socket(ai->ai_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd == -1 ||
	    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) == -1 ||
	    bind(fd, ai->ai_addr, ai->ai_addrlen) == -1 ||
	    listen(fd, 512) == -1 ||
	    getsockname(fd, &addr.sa, &alen) == -1) {
		core_err_set(err, CORE_ECONFIG, "listen", "listen %s:%d: %s",
			     l->host, l->port, strerror(errno));
		if (fd != -1)
			close(fd);
		freeaddrinfo(ai);
		return -1;
	}
	freeaddrinfo(ai);
	*port_out = ntohs(addr.ss.ss_family == AF_INET6
			      ? ((struct sockaddr_in6 *)&addr.ss)->sin6_port
			      : ((struct sockaddr_in *)&addr.ss)->sin_port);
	return fd;
}

/* During shutdown new connections are refused (closed at once). */
static enum MHD_Result
on_accept(void *cls, const struct sockaddr *addr, socklen_t addrlen)
{
	struct gw_server *srv = cls;

	(void)addr, (void)addrlen;
	return atomic_load(&srv->stopping) ? MHD_NO : MHD_YES;
}

static struct MHD_Daemon *
start_daemon(struct gw_server *srv, int fd, unsigned threads)
{
	return MHD_start_daemon(
	    MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL | MHD_USE_ERROR_LOG |
		MHD_USE_ITC,
	    0, on_accept, srv, on_request, srv,
	    MHD_OPTION_LISTEN_SOCKET, fd,
	    MHD_OPTION_THREAD_POOL_SIZE, threads ? threads : 2u,
	    MHD_OPTION_CONNECTION_LIMIT, 1024u,
	    MHD_OPTION_CONNECTION_TIMEOUT, 15u,
	    MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)GW_MAX_HEADER_BYTES * 2,
	    MHD_OPTION_URI_LOG_CALLBACK, on_uri, srv,
	    MHD_OPTION_NOTIFY_COMPLETED, on_completed, srv,
	    MHD_OPTION_END);
}

/* One small pool: scrapes come every few seconds, from one or two hosts. */
static int
start_metrics(struct gw_server *srv, const struct gw_listen *l,
	      struct core_err *err)
{
	int fd = bind_listen(l, &srv->metrics_port, err);

	if (fd == -1)
		return -1;
	srv->metrics_fd = fd;
	srv->metrics_daemon = start_daemon(srv, fd, 1);
	if (srv->metrics_daemon == NULL) {
		core_err_set(err, CORE_ECONFIG, "listen",
			     "cannot start HTTP server on %s:%d", l->host,
			     srv->metrics_port);
		return -1;
	}
	log_info("serving " GW_METRICS_PATH " on http://%s%s%s:%d only",
		 strchr(l->host, ':') ? "[" : "", l->host,
		 strchr(l->host, ':') ? "]" : "", srv->metrics_port);
	return 0;
}

struct gw_server *
gw_server_start(struct gw_app *app, struct core_err *err)
{
	struct gw_server *srv = core_xcalloc(1, sizeof(*srv));
	const struct gw_conf *conf = app->conf;

	pthread_mutex_init(&srv->app_lock, NULL);
	srv->app = gw_app_ref(app);
	atomic_init(&srv->last_reload_ok, 1);
	atomic_init(&srv->reload_failures, 0);
	for (size_t i = 0; i < conf->n_listen; i++) {
		int fd = bind_listen(&conf->listen[i], &srv->ports[i], err);

		if (fd == -1)
			goto fail;
		srv->fds[i] = fd;
		srv->n = i + 1;
		srv->daemons[i] = start_daemon(srv, fd,
		    (unsigned)conf->threads);
		if (srv->daemons[i] == NULL) {
			core_err_set(err, CORE_ECONFIG, "listen",
				     "cannot start HTTP server on %s:%d",
				     conf->listen[i].host, srv->ports[i]);
			goto fail;
		}
		log_info("listening on http://%s%s%s:%d",
			 strchr(conf->listen[i].host, ':') ? "[" : "",
			 conf->listen[i].host,
			 strchr(conf->listen[i].host, ':') ? "]" : "",
			 srv->ports[i]);
	}
	if (conf->metrics_listen.host != NULL &&
	    start_metrics(srv, &conf->metrics_listen, err) == -1)
		goto fail;
	return srv;
fail:
	gw_server_stop(srv, 0);
	return NULL;
}

int
gw_server_port(const struct gw_server *srv, size_t i)
{
	return i < srv->n ? srv->ports[i] : -1;
}

int
gw_server_metrics_port(const struct gw_server *srv)
{
	return srv->metrics_daemon != NULL ? srv->metrics_port : -1;
}

struct gw_app *
gw_server_app_acquire(struct gw_server *srv)
{
	struct gw_app *app;

	/* Under the lock so a concurrent swap cannot free the app between
	 * reading the pointer and taking the reference. */
	pthread_mutex_lock(&srv->app_lock);
	app = gw_app_ref(srv->app);
	pthread_mutex_unlock(&srv->app_lock);
	return app;
}

void
gw_server_swap_app(struct gw_server *srv, struct gw_app *app)
{
	struct gw_app *old;

	gw_app_ref(app);
	pthread_mutex_lock(&srv->app_lock);
	old = srv->app;
	srv->app = app;
	pthread_mutex_unlock(&srv->app_lock);
	gw_app_unref(old);
}

void
gw_server_reload_done(struct gw_server *srv, int ok)
{
	atomic_store(&srv->last_reload_ok, ok ? 1 : 0);
	gw_metrics_config_reload(ok);
	if (!ok)
		atomic_fetch_add(&srv->reload_failures, 1);
}

int
gw_server_last_reload_ok(struct gw_server *srv)
{
	return atomic_load(&srv->last_reload_ok);
}

unsigned long
gw_server_reload_failures(struct gw_server *srv)
{
	return atomic_load(&srv->reload_failures);
}

static unsigned
open_connections(struct gw_server *srv)
{
	unsigned total = 0;

	for (size_t i = 0; i < srv->n; i++) {
		const union MHD_DaemonInfo *di;

		if (srv->daemons[i] == NULL)
			continue;
		di = MHD_get_daemon_info(srv->daemons[i],
					 MHD_DAEMON_INFO_CURRENT_CONNECTIONS);
		if (di != NULL)
			total += di->num_connections;
	}
	return total;
}

void
gw_server_stop(struct gw_server *srv, int timeout_s)
{
	if (srv == NULL)
		return;
	/*
	 * Stop accepting first, then give in-flight requests time to finish.
	 * Not MHD_quiesce_daemon: in libmicrohttpd 0.9.75 it races with the
	 * epoll pool threads removing the same listen FD and aborts
	 * ("Failed to remove listen FD from epoll set"; seen in tests).
	 */
	atomic_store(&srv->stopping, 1);
	for (int waited = 0; waited < timeout_s * 10 && open_connections(srv) > 0;
	     waited++)
		usleep(100 * 1000);
	for (size_t i = 0; i < srv->n; i++) {
		/* MHD closes the listen socket it was given; only sockets
		 * that never reached a daemon are ours to close. */
		if (srv->daemons[i] != NULL)
			MHD_stop_daemon(srv->daemons[i]);
		else if (srv->fds[i] > 0)
			close(srv->fds[i]);
	}
	if (srv->metrics_daemon != NULL)
		MHD_stop_daemon(srv->metrics_daemon);
	else if (srv->metrics_fd > 0)
		close(srv->metrics_fd);
	/* Every request has completed and released its app by now. */
	gw_app_unref(srv->app);
	pthread_mutex_destroy(&srv->app_lock);
	free(srv);
}
