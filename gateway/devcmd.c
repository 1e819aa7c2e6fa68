/* gateway/devcmd.c - `fedgate dev`: embedded config + built-in issuer */
#include "gateway/devcmd.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/log.h"
#include "core/mem.h"
#include "gateway/app.h"
#include "gateway/conf.h"
#include "gateway/devidp.h"
#include "gateway/run.h"

/*
 * The development config. Loopback only: the dev issuer mints tokens for
 * anyone who asks, so it must never be reachable from elsewhere.
 * %1$d is the port, %2$s the state dir.
 */
static const char dev_yaml[] =
    "listen: 127.0.0.1:%1$d\n"
    "public_url: http://127.0.0.1:%1$d\n"
    "account_id: \"000000000000\"\n"
    "state_dir: %2$s\n"
    "store: memory\n"
    "clock_skew_seconds: 60\n"
    "audit_log: stdout\n"
    "login: {title: \"fedgate dev\"}\n"
    "accounts: {\"000000000000\": dev, \"111111111111\": sandbox}\n"
    "providers:\n"
    "  - name: dev\n"
    "    type: oidc\n"
    "    issuer: http://127.0.0.1:%1$d/dev/idp\n"
    "    audiences: [\"" GW_DEVIDP_AUDIENCE "\"]\n"
    "    jwks_min_refetch_seconds: 1\n"
    "    login:\n"
    "      client_id: " GW_DEVIDP_AUDIENCE "\n"
    "      display_name: \"Dev sign-in (any name)\"\n"
    "      initials: DEV\n"
    "roles:\n"
    "  - name: dev-role\n"
    "    max_session_duration: 43200\n"
    "    trust_policy:\n"
    "      Version: \"2012-10-17\"\n"
    "      Statement:\n"
    "        - Sid: DevIssuer\n"
    "          Effect: Allow\n"
    "          Principal: {Federated: \"arn:aws:iam::000000000000:oidc-provider/127.0.0.1:%1$d/dev/idp\"}\n"
    "          Action: [\"sts:AssumeRoleWithWebIdentity\", \"sts:TagSession\", \"sts:SetSourceIdentity\"]\n"
    "          Condition:\n"
    "            StringEquals: {\"127.0.0.1:%1$d/dev/idp:aud\": \"" GW_DEVIDP_AUDIENCE "\"}\n"
    "    policies:\n"
    "      everything:\n"
    "        Version: \"2012-10-17\"\n"
    "        Statement: [{Effect: Allow, Action: \"*\", Resource: \"*\"}]\n"
    "  - name: mobile-upload\n"
    "    max_session_duration: 3600\n"
    "    trust_policy:\n"
    "      Version: \"2012-10-17\"\n"
    "      Statement:\n"
    "        - Sid: PhotosAppUsers\n"
    "          Effect: Allow\n"
    "          Principal: {Federated: \"arn:aws:iam::000000000000:oidc-provider/127.0.0.1:%1$d/dev/idp\"}\n"
    "          Action: sts:AssumeRoleWithWebIdentity\n"
    "          Condition:\n"
    "            StringEquals:\n"
    "              \"127.0.0.1:%1$d/dev/idp:aud\": \"" GW_DEVIDP_AUDIENCE "\"\n"
    "              \"127.0.0.1:%1$d/dev/idp:app\": photos\n"
    "            StringLike: {\"127.0.0.1:%1$d/dev/idp:sub\": \"user-*\"}\n"
    "    policies:\n"
    "      upload:\n"
    "        Version: \"2012-10-17\"\n"
    "        Statement:\n"
    "          - Effect: Allow\n"
    "            Action: [s3:PutObject, s3:GetObject]\n"
    "            Resource: \"arn:aws:s3:::uploads/${127.0.0.1:%1$d/dev/idp:sub}/*\"\n"
    "  - name: readonly\n"
    "    account_id: \"111111111111\"\n"
    "    max_session_duration: 14400\n"
    "    trust_policy:\n"
    "      Version: \"2012-10-17\"\n"
    "      Statement:\n"
    "        - Sid: DevIssuer\n"
    "          Effect: Allow\n"
    "          Principal: {Federated: \"arn:aws:iam::111111111111:oidc-provider/127.0.0.1:%1$d/dev/idp\"}\n"
    "          Action: sts:AssumeRoleWithWebIdentity\n"
    "          Condition:\n"
    "            StringEquals: {\"127.0.0.1:%1$d/dev/idp:aud\": \"" GW_DEVIDP_AUDIENCE "\"}\n"
    "    policies:\n"
    "      read:\n"
    "        Version: \"2012-10-17\"\n"
    "        Statement:\n"
    "          - Effect: Allow\n"
    "            Action: [\"s3:Get*\", \"s3:List*\", \"sts:GetCallerIdentity\"]\n"
    "            Resource: \"*\"\n";

char *
gw_dev_config(int port, const char *state_dir)
{
	return core_xasprintf(dev_yaml, port, state_dir);
}

static void
print_instructions(struct gw_app *app, struct gw_server *srv, void *arg)
{
	const char *url = app->conf->public_url;

	(void)srv;
	(void)arg;
	fprintf(stderr,
		"\nfedgate dev is running at %1$s (state in %2$s)\n"
		"Built-in OIDC issuer: %1$s/dev/idp (audience " GW_DEVIDP_AUDIENCE ")\n\n"
		"Exchange a dev ID token for credentials with the AWS CLI:\n\n"
		"  aws sts assume-role-with-web-identity --endpoint-url %1$s "
		"--role-arn arn:aws:iam::000000000000:role/dev-role "
		"--role-session-name alice --web-identity-token "
		"\"$(curl -s '%1$s/dev/idp/token?sub=alice')\"\n\n"
		"or with curl:\n\n"
		"  curl -s %1$s/ -d Action=AssumeRoleWithWebIdentity "
		"-d Version=2011-06-15 "
		"-d RoleArn=arn:aws:iam::000000000000:role/dev-role "
		"-d RoleSessionName=alice "
		"--data-urlencode \"WebIdentityToken=$(curl -s '%1$s/dev/idp/token?sub=alice')\"\n\n"
		"Custom claims reach trust policies as 127.0.0.1:PORT/dev/idp:<claim>; the\n"
		"mobile-upload role wants app=photos and sub user-*:\n\n"
		"  aws sts assume-role-with-web-identity --endpoint-url %1$s "
		"--role-arn arn:aws:iam::000000000000:role/mobile-upload "
		"--role-session-name phone --web-identity-token "
		"\"$(curl -s -G '%1$s/dev/idp/token' -d sub=user-42 "
		"--data-urlencode 'claims={\"app\":\"photos\"}')\"\n\n"
		"Sign in with a browser: %1$s/login\n"
		"(the built-in issuer's sign-in page takes any name), or "
		"from a terminal:\n\n"
		"  fedgate login --url %1$s --format env\n\n"
		"Decision traces of trust policies are logged below. Ctrl-C stops.\n\n",
		url, app->conf->state_dir);
}

int
gw_dev_main(int port, const char *state_dir)
{
	char tmpl[] = "/tmp/fedgate-dev-XXXXXX";
	char *yaml;
	struct gw_conf *conf;
	struct gw_app *app;
	int nerr = 0;

	if (port <= 0) {
		fprintf(stderr, "fedgate dev: --port must be 1..65535\n");
		return 2;
	}
	if (state_dir == NULL && (state_dir = mkdtemp(tmpl)) == NULL) {
		fprintf(stderr, "fedgate dev: mkdtemp: %s\n", strerror(errno));
		return 1;
	}
	yaml = gw_dev_config(port, state_dir);
	conf = gw_conf_load_string(yaml, strlen(yaml), "<dev config>", stderr,
				   &nerr);
	free(yaml);
	if (conf == NULL)
		return 1;
	app = gw_app_new(conf);
	if (app == NULL)
		return 1;
	app->devidp = gw_devidp_new(app->conf->public_url);
	return gw_run(app, NULL, print_instructions, NULL);
}
