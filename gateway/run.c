/* gateway/run.c - start serving, wait for signals, reload, stop cleanly */
#include "gateway/run.h"

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "core/log.h"
#include "core/seal.h"
#include "federation/oidc.h"
#include "gateway/app.h"
#include "gateway/conf.h"
#include "gateway/metrics.h"
#include "gateway/sdnotify.h"
#include "gateway/server.h"

#define SHUTDOWN_GRACE_SECONDS 10

struct run_state {
	struct gw_server *srv;
	const char *conf_path;	/* NULL: dev mode, nothing to re-read */
	int64_t next_refresh;	/* monotonic seconds; 0: no timer */
};

/* Block the signals we handle before any thread exists; sigwait them. */
static void
block_signals(sigset_t *set)
{
	sigemptyset(set);
	sigaddset(set, SIGTERM);
	sigaddset(set, SIGINT);
	sigaddset(set, SIGHUP);
	pthread_sigmask(SIG_BLOCK, set, NULL);
	signal(SIGPIPE, SIG_IGN);
}

static int64_t
mono_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec;
}

static int
listen_same(const struct gw_conf *a, const struct gw_conf *b)
{
	if (a->n_listen != b->n_listen)
		return 0;
	for (size_t i = 0; i < a->n_listen; i++)
		if (a->listen[i].port != b->listen[i].port ||
		    strcmp(a->listen[i].host, b->listen[i].host) != 0)
			return 0;
	return 1;
}

/* The sockets and the thread pool belong to the server, not the app. */
static void
warn_restart_only(const struct gw_conf *cur, const struct gw_conf *next)
{
	if (!listen_same(cur, next))
		log_warnx("reload: listen changed; it takes effect at the next "
			  "restart (still listening on the old addresses)");
	if ((cur->metrics_listen.host == NULL) !=
	    (next->metrics_listen.host == NULL) ||
	    (cur->metrics_listen.host != NULL &&
	     (cur->metrics_listen.port != next->metrics_listen.port ||
	      strcmp(cur->metrics_listen.host,
		     next->metrics_listen.host) != 0)))
		log_warnx("reload: metrics_listen changed; it takes effect at "
			  "the next restart");
	if (cur->threads != next->threads)
		log_warnx("reload: threads changed; it takes effect at the "
			  "next restart");
}

/*
 * Build a complete successor of cur from the config file, or nothing:
 * every check that can fail runs before the swap, so a bad file, an
 * unreadable key ring or an unreachable metadata_url leaves cur serving.
 */
static struct gw_app *
build_successor(const char *path, struct gw_app *cur)
{
	struct core_err err = {0};
	struct gw_conf *conf;
	struct gw_app *app;
	int nerr = 0;

	conf = gw_conf_load(path, stderr, &nerr);
	if (conf == NULL) {
		log_warnx("reload: %s: %d error%s", path, nerr,
			  nerr == 1 ? "" : "s");
		return NULL;
	}
	warn_restart_only(cur->conf, conf);
	app = gw_app_new(conf);
	if (app == NULL)
		return NULL;
	/* Keys already fetched stay usable if the IdP is down right now. */
	fed_oidc_set_adopt_keys(app->oidc, cur->oidc);
	/* A bad jwks_file is a config error; an IdP that does not answer is
	 * not (the provider is degraded and retried on demand, as at start). */
	if (fed_oidc_set_prefetch(app->oidc, &err) == -1) {
		log_warnx("reload: providers: %s", err.msg);
		gw_app_unref(app);
		return NULL;
	}
	return app;
}

static void
reload(struct run_state *rs, const char *why)
{
	struct gw_app *cur, *app;

	if (rs->conf_path == NULL) {
		log_warnx("%s: the embedded dev configuration cannot be "
			  "reloaded; restart `fedgate dev` instead", why);
		return;
	}
	log_info("%s: reloading %s", why, rs->conf_path);
	cur = gw_server_app_acquire(rs->srv);
	app = build_successor(rs->conf_path, cur);
	if (app == NULL) {
		log_warnx("reload failed: keeping the running configuration");
		gw_server_reload_done(rs->srv, 0);
	} else {
		gw_app_inherit(app, cur);
		gw_server_swap_app(rs->srv, app);
		gw_server_reload_done(rs->srv, 1);
		log_info("reload: %s: configuration applied (key %s active)",
			 rs->conf_path, core_keyring_active_id(app->keyring));
		gw_app_unref(app);
	}
	gw_app_unref(cur);
}

/* Metadata refresh is a full reload: one checked path, one swap. */
static void
schedule_refresh(struct run_state *rs)
{
	struct gw_app *app = gw_server_app_acquire(rs->srv);
	int every = app->metadata_refresh_seconds;

	gw_app_unref(app);
	rs->next_refresh = every > 0 && rs->conf_path != NULL
			       ? mono_now() + every : 0;
}

/* Returns the signal that ended the wait, 0 when the timer is due. */
static int
wait_signal(const sigset_t *set, const struct run_state *rs)
{
	struct timespec ts = {0};
	int sig;

	if (rs->next_refresh == 0)
		return sigwaitinfo(set, NULL);
	ts.tv_sec = rs->next_refresh - mono_now();
	if (ts.tv_sec <= 0)
		return 0;
	sig = sigtimedwait(set, NULL, &ts);
	if (sig == -1 && errno == EAGAIN)
		return 0;
	return sig;
}

static void
wait_for_shutdown(const sigset_t *set, struct run_state *rs)
{
	schedule_refresh(rs);
	for (;;) {
		int sig = wait_signal(set, rs);

		if (sig == -1) {
			if (errno == EINTR)
				continue;
			log_warn("sigwait");
			return;
		}
		if (sig == 0) {
			reload(rs, "metadata refresh");
			schedule_refresh(rs);
			continue;
		}
		if (sig == SIGHUP) {
			/* systemctl reload waits for READY=1 after this, so
			 * it returns once the new config serves (or failed:
			 * the journal and /metrics tell which). */
			gw_sdnotify_reloading();
			reload(rs, "SIGHUP");
			gw_sdnotify(gw_server_last_reload_ok(rs->srv)
				    ? "READY=1\nSTATUS=serving (reloaded)"
				    : "READY=1\nSTATUS=serving (reload "
				      "failed: previous configuration kept)");
			schedule_refresh(rs);
			continue;
		}
		gw_sdnotify("STOPPING=1");
		log_info("signal %d: shutting down, letting requests finish", sig);
		return;
	}
}

int
gw_run(struct gw_app *app, const char *conf_path, gw_ready_fn on_ready,
       void *arg)
{
	struct core_err err = {0};
	struct run_state rs = {0};
	sigset_t set;

	block_signals(&set);
	rs.conf_path = conf_path;
	gw_metrics_init();
	rs.srv = gw_server_start(app, &err);
	if (rs.srv == NULL) {
		log_warnx("%s", err.msg);
		gw_app_unref(app);
		return 1;
	}
	/* Keys are fetched after listening so /healthz answers meanwhile;
	 * providers without keys show as degraded on /readyz. */
	if (fed_oidc_set_prefetch(app->oidc, &err) == -1)
		log_warnx("providers: %s", err.msg);
	if (on_ready != NULL)
		on_ready(app, rs.srv, arg);
	/* From here the server's reference alone keeps it: a reload frees
	 * the first app once its requests are done. */
	gw_app_unref(app);
	log_info("fedgate %s ready", GW_VERSION);
	gw_sdnotify("READY=1\nSTATUS=serving");
	wait_for_shutdown(&set, &rs);
	gw_server_stop(rs.srv, SHUTDOWN_GRACE_SECONDS);
	log_info("stopped");
	return 0;
}
