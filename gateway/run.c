/* gateway/run.c - start serving, wait for a signal, stop cleanly */
#include "gateway/run.h"

#include <pthread.h>
#include <signal.h>

#include "core/log.h"
#include "federation/oidc.h"
#include "gateway/app.h"
#include "gateway/server.h"

#define SHUTDOWN_GRACE_SECONDS 10

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

static int
wait_for_shutdown(const sigset_t *set)
{
	for (;;) {
		int sig = 0;

		if (sigwait(set, &sig) != 0)
			return -1;
		if (sig == SIGHUP) {
			log_warnx("SIGHUP: configuration reload arrives in a "
				  "later release; restart to apply changes");
			continue;
		}
		log_info("signal %d: shutting down, letting requests finish", sig);
		return 0;
	}
}

int
gw_run(struct gw_app *app, gw_ready_fn on_ready, void *arg)
{
	struct core_err err = {0};
	struct gw_server *srv;
	sigset_t set;

	block_signals(&set);
	srv = gw_server_start(app, &err);
	if (srv == NULL) {
		log_warnx("%s", err.msg);
		gw_app_free(app);
		return 1;
	}
	/* Keys are fetched after listening so /healthz answers meanwhile;
	 * providers without keys show as degraded on /readyz. */
	if (fed_oidc_set_prefetch(app->oidc, &err) == -1)
		log_warnx("providers: %s", err.msg);
	if (on_ready != NULL)
		on_ready(app, srv, arg);
	log_info("fedgate %s ready", GW_VERSION);
	wait_for_shutdown(&set);
	gw_server_stop(srv, SHUTDOWN_GRACE_SECONDS);
	gw_app_free(app);
	log_info("stopped");
	return 0;
}

