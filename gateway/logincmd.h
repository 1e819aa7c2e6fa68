/* gateway/logincmd.h - `fedgate login`: the login page's CLI hand-off
 *
 *   fedgate login --url URL [--role ARN] [--duration S]
 *                 [--format credential_process|env|ini] [--no-browser]
 *                 [--no-cache] [--timeout S]
 *
 * Protocol (server side: gateway/login.c):
 *  1. Listen on 127.0.0.1:0 (one-shot). Make a random state (16 bytes)
 *     and a PKCE-style verifier (32 bytes), both base64url; challenge =
 *     base64url(SHA-256(verifier)).
 *  2. Open the browser ($BROWSER if set, else xdg-open; --no-browser only
 *     prints) at URL/login?cli_port=P&cli_state=STATE&cli_challenge=CH
 *     [&role=ARN][&duration=S]. The URL always goes to stderr too.
 *  3. The user signs in and confirms; fedgate redirects the browser to
 *     http://127.0.0.1:P/callback?code=CODE&state=STATE. CODE is opaque
 *     (sealed by fedgate, bound to CH, single use, valid 2 minutes): it is
 *     worthless without the verifier, which never leaves this process.
 *     Any other request, or a wrong state, gets 400/404 and is ignored.
 *  4. POST URL/login/cli/redeem (application/x-www-form-urlencoded:
 *     code=CODE&code_verifier=VERIFIER) -> 200 application/json
 *     {"Version":1,"AccessKeyId":..,"SecretAccessKey":..,"SessionToken":..,
 *      "Expiration":"YYYY-MM-DDTHH:MM:SSZ"} or 4xx
 *     {"Error":{"Code":..,"Message":..}}.
 *  5. Print in the chosen format on stdout (credential_process: that JSON,
 *     exactly what ~/.aws/config credential_process expects; env: export
 *     lines; ini: a [default]-less credentials block).
 * Cache: $XDG_CACHE_HOME/fedgate (else ~/.cache/fedgate), directory 0700,
 * one file per (url, role, duration), 0600, reused while more than 15
 * minutes remain, so an SDK calling credential_process does not open a
 * browser each time. --no-cache skips reading it (a fresh result is still
 * written). Only https URLs, or http on a loopback host.
 */
#ifndef GW_LOGINCMD_H
#define GW_LOGINCMD_H

/** argv[0] is "login". Exit status: 0 ok, 1 failed, 2 usage. */
int gw_login_cmd(int argc, char **argv);

#endif /* GW_LOGINCMD_H */
