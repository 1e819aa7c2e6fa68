/* gateway/main.c - fedgate: serve, dev, check, keygen, revoke */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>

#include "core/log.h"
#include "core/mem.h"
#include "core/seal.h"
#include "core/store.h"
#include "core/timeutil.h"
#include "federation/oidc.h"
#include "gateway/app.h"
#include "gateway/conf.h"
#include "gateway/devcmd.h"
#include "gateway/logincmd.h"
#include "gateway/revoke.h"
#include "gateway/run.h"


static void
usage(FILE *fp)
{
	fprintf(fp,
		"usage: fedgate serve -c FILE      run the gateway\n"
		"       fedgate check -c FILE      validate a config, report every problem\n"
		"       fedgate dev [--port N] [--state-dir DIR]\n"
		"                                  run with the built-in development config\n"
		"       fedgate keygen (-c FILE | --state-dir DIR) [--keep N]\n"
		"                                  create or rotate the session key ring\n"
		"       fedgate revoke -c FILE (--role ARN [--issued-before TIME] |\n"
		"                      --session ASIA... | --subject SUB --provider NAME\n"
		"                      [--issued-before TIME])\n"
		"                                  revoke issued sessions (Redis store)\n"
		"       fedgate login --url URL [--role ARN] [--duration S]\n"
		"                     [--format credential_process|env|ini]\n"
		"                     [--no-browser] [--no-cache] [--timeout S]\n"
		"                                  sign in with a browser, print AWS credentials\n"
		"       fedgate version\n");
}

struct cli {
	const char *config;
	const char *state_dir;
	int port;
	int keep;
	int verbose;
	const char *role, *session, *subject, *provider, *issued_before;
};

static int
parse_cli(int argc, char **argv, struct cli *o)
{
	static const struct option longopts[] = {
		{"config", required_argument, NULL, 'c'},
		{"state-dir", required_argument, NULL, 's'},
		{"port", required_argument, NULL, 'p'},
		{"keep", required_argument, NULL, 'k'},
		{"verbose", no_argument, NULL, 'v'},
		{"role", required_argument, NULL, 'R'},
		{"session", required_argument, NULL, 'S'},
		{"subject", required_argument, NULL, 'U'},
		{"provider", required_argument, NULL, 'P'},
		{"issued-before", required_argument, NULL, 'B'},
		{NULL, 0, NULL, 0},
	};
	int ch;
	char *end;

	memset(o, 0, sizeof(*o));
	o->port = 8080;
	o->keep = 2;
	optind = 1;
	while ((ch = getopt_long(argc, argv, "c:s:p:k:v", longopts, NULL)) != -1) {
		switch (ch) {
		case 'c': o->config = optarg; break;
		case 's': o->state_dir = optarg; break;
		case 'v': o->verbose = 1; break;
		case 'R': o->role = optarg; break;
		case 'S': o->session = optarg; break;
		case 'U': o->subject = optarg; break;
		case 'P': o->provider = optarg; break;
		case 'B': o->issued_before = optarg; break;
		case 'p':
		case 'k': {
			long v = strtol(optarg, &end, 10);

			if (*end != '\0' || v < 0 || v > 65535) {
				fprintf(stderr, "fedgate: bad number: %s\n", optarg);
				return -1;
			}
			*(ch == 'p' ? &o->port : &o->keep) = (int)v;
			break;
		}
		default:
			return -1;
		}
	}
	return optind == argc ? 0 : -1;
}

static struct gw_conf *
load_or_report(const char *path)
{
	int nerr = 0;
	struct gw_conf *conf = gw_conf_load(path, stderr, &nerr);

	if (conf == NULL)
		fprintf(stderr, "%s: %d error%s\n", path, nerr, nerr == 1 ? "" : "s");
	return conf;
}

/* Load -c FILE for serve/check; *rc is the exit status when NULL. */
static struct gw_conf *
conf_from_cli(const struct cli *o, int *rc)
{
	struct gw_conf *conf;

	*rc = 2;
	if (o->config == NULL) {
		usage(stderr);
		return NULL;
	}
	*rc = 1;
	conf = load_or_report(o->config);
	return conf;
}

static int
cmd_serve(const struct cli *o)
{
	struct gw_app *app;
	int rc;
	struct gw_conf *conf = conf_from_cli(o, &rc);

	if (conf == NULL)
		return rc;
	app = gw_app_new(conf);
	if (app == NULL)
		return 1;
	return gw_run(app, o->config, NULL, NULL);
}

static int
cmd_check(const struct cli *o)
{
	int rc;
	struct gw_conf *conf = conf_from_cli(o, &rc);

	if (conf == NULL)
		return rc;
	printf("%s: ok (%zu OIDC and %zu SAML provider%s, %zu role%s, "
	       "%zu user%s, %zu managed polic%s)\n", o->config,
	       conf->n_providers, conf->n_saml_idps,
	       conf->n_providers + conf->n_saml_idps == 1 ? "" : "s",
	       conf->n_roles, conf->n_roles == 1 ? "" : "s", conf->n_users,
	       conf->n_users == 1 ? "" : "s", conf->n_managed_policies,
	       conf->n_managed_policies == 1 ? "y" : "ies");
	gw_conf_free(conf);
	return 0;
}

static int
cmd_keygen(const struct cli *o)
{
	struct core_err err = {0};
	struct gw_conf *conf = NULL;
	const char *dir = o->state_dir;
	int rc = 0;

	if (dir == NULL && o->config != NULL) {
		conf = load_or_report(o->config);
		if (conf == NULL)
			return 1;
		dir = conf->state_dir;
	}
	if (dir == NULL) {
		usage(stderr);
		return 2;
	}
	if (core_keyring_rotate(dir, o->keep, &err) == -1) {
		fprintf(stderr, "fedgate keygen: %s\n", err.msg);
		rc = 1;
	} else {
		struct core_keyring *kr = core_keyring_load(dir, &err);

		if (kr != NULL)
			printf("%s/keyring.json: active key %s, %zu key%s\n", dir,
			       core_keyring_active_id(kr), core_keyring_count(kr),
			       core_keyring_count(kr) == 1 ? "" : "s");
		core_keyring_free(kr);
	}
	gw_conf_free(conf);
	return rc;
}

/* The revocation --role/--session/--subject ask for; -1 if not exactly one. */
static int
revoke_from_cli(const struct cli *o, struct gw_revocation *r)
{
	int forms = (o->role != NULL) + (o->session != NULL) +
		    (o->subject != NULL || o->provider != NULL);

	memset(r, 0, sizeof(*r));
	if (forms != 1 || (o->session != NULL && o->issued_before != NULL) ||
	    (o->subject != NULL) != (o->provider != NULL))
		return -1;
	r->kind = o->role != NULL ? GW_REVOKE_ROLE :
	    o->session != NULL ? GW_REVOKE_SESSION : GW_REVOKE_SUBJECT;
	r->role_arn = o->role;
	r->access_key_id = o->session;
	r->subject = o->subject;
	r->provider = o->provider;
	return 0;
}

static int
cmd_revoke(const struct cli *o)
{
	struct core_err err = {0};
	struct gw_revocation r;
	struct core_store *st = NULL;
	struct gw_conf *conf;
	int64_t now = core_now(), t;
	char when[32];
	int rc;

	if (revoke_from_cli(o, &r) == -1) {
		usage(stderr);
		return 2;
	}
	if ((conf = conf_from_cli(o, &rc)) == NULL)
		return rc;
	rc = 1;
	/* A memory store lives inside each fedgate process: a record made
	 * here would vanish with this command. */
	if (strcmp(conf->store, "memory") == 0) {
		fprintf(stderr, "fedgate revoke: %s uses \"store: memory\", which "
			"is private to each running fedgate; revoke through the "
			"running gateway instead: the signed STS action "
			"Action=RevokeSessions (see README, \"Revocation\"), or "
			"configure a redis:// store\n", o->config);
		goto out;
	}
	if (gw_revoke_parse_time(o->issued_before, now, &r.issued_before,
				 &err) == -1 ||
	    (st = core_store_open(conf->store, &err)) == NULL ||
	    gw_revoke_record(st, &r, now, &t, &err) == -1) {
		fprintf(stderr, "fedgate revoke: %s\n", err.msg);
		goto out;
	}
	core_time_iso8601(t, when, sizeof(when));
	if (r.kind == GW_REVOKE_SESSION)
		printf("revoked session %s in %s\n", r.access_key_id,
		       core_store_describe(st));
	else
		printf("revoked sessions of %s %s issued before %s in %s\n",
		       r.kind == GW_REVOKE_ROLE ? "role" : "subject",
		       r.kind == GW_REVOKE_ROLE ? r.role_arn : r.subject, when,
		       core_store_describe(st));
	rc = 0;
out:
	core_store_close(st);
	gw_conf_free(conf);
	return rc;
}

int
main(int argc, char **argv)
{
	struct cli o;
	const char *cmd = argc > 1 ? argv[1] : NULL;
	int rc;

	if (cmd == NULL || strcmp(cmd, "help") == 0 || strcmp(cmd, "--help") == 0 ||
	    strcmp(cmd, "-h") == 0) {
		usage(cmd == NULL ? stderr : stdout);
		return cmd == NULL ? 2 : 0;
	}
	if (strcmp(cmd, "version") == 0 || strcmp(cmd, "--version") == 0) {
		printf("fedgate %s\n", GW_VERSION);
		return 0;
	}
	/* Its own options; a client command, it sets up libcurl itself. */
	if (strcmp(cmd, "login") == 0)
		return gw_login_cmd(argc - 1, argv + 1);
	if (parse_cli(argc - 1, argv + 1, &o) == -1) {
		usage(stderr);
		return 2;
	}
	core_log_init(o.verbose ? CORE_LOG_DEBUG : CORE_LOG_INFO);
	/* lasso stamps ~240 log lines per SAML response with local time; with
	 * TZ unset glibc stat()s /etc/localtime for each (25 % of SAML CPU,
	 * measured with bench/saml.sh). An explicit TZ keeps local time. */
	setenv("TZ", ":/etc/localtime", 0);
	tzset();
	/* Before any thread: libcurl's global init is not thread-safe. */
	curl_global_init(CURL_GLOBAL_DEFAULT);
	if (strcmp(cmd, "serve") == 0)
		rc = cmd_serve(&o);
	else if (strcmp(cmd, "check") == 0)
		rc = cmd_check(&o);
	else if (strcmp(cmd, "keygen") == 0)
		rc = cmd_keygen(&o);
	else if (strcmp(cmd, "revoke") == 0)
		rc = cmd_revoke(&o);
	else if (strcmp(cmd, "dev") == 0)
		rc = gw_dev_main(o.port, o.state_dir);
	else {
		usage(stderr);
		rc = 2;
	}
	curl_global_cleanup();
	return rc;
}
