"""The login page's server side at HTTP level: adversarial review cases.

No browser: the OIDC IdP is a Python stand-in (TestIdP's discovery + JWKS
plus an authorization-code token endpoint) whose codes the tests register
directly, so /oidc/callback is driven with a code and the state from the
authorization URL fedgate sent the browser to. oidc-provider (the panva IdP
of test_login_browser.py) cannot set a Google Workspace `hd` claim per
account without a change to its account claims, and every check here is on
fedgate's side of the exchange, so the stand-in is enough. SAML responses
are minted by saml_idp.SamlIdP; flow cookies are opened with the state
dir's key ring (fedgate_harness.web_cookie_open).
"""
import hashlib
import html.parser
import http.client
import http.server
import json
import os
import signal
import time
import unittest
import urllib.parse

import fedgate_harness as H
import saml_idp as S

CLIENT_ID = "fedgate-web"
HD = "example.com"
ACCT_A, ACCT_B = "111111111111", "222222222222"
SP_ENTITY = "urn:fedgate:login-http-sp"
SAML_NAME = "corp-saml"


def arn(acct, name):
    return f"arn:aws:iam::{acct}:role/{name}"


class CodeIdP(H.TestIdP):
    """TestIdP plus authorization/token endpoints. A test registers a code
    with the ID token it redeems for; the token endpoint checks the PKCE
    verifier against the challenge fedgate sent (RFC 7636 §4.6) and
    records what it was sent."""

    def __init__(self):
        super().__init__(keys=[H.IdPKey.rsa("rsa1", "RS256")])
        self.codes = {}         # code -> (id_token, code_challenge)
        self.token_requests = []

    def register(self, code, id_token, challenge):
        with self.lock:
            self.codes[code] = (id_token, challenge)

    def _handler(idp):
        base = H.TestIdP._handler(idp)

        class Handler(base):
            def do_GET(self):
                if self.path.split("?")[0] == \
                        "/oidc/.well-known/openid-configuration":
                    return self.reply(200, {
                        "issuer": idp.issuer,
                        "jwks_uri": idp.issuer + "/jwks",
                        "authorization_endpoint": idp.issuer + "/authorize",
                        "token_endpoint": idp.issuer + "/token",
                        "id_token_signing_alg_values_supported": ["RS256"]})
                return base.do_GET(self)

            def do_POST(self):
                n = int(self.headers.get("Content-Length", "0"))
                form = dict(urllib.parse.parse_qsl(
                    self.rfile.read(n).decode()))
                with idp.lock:
                    idp.token_requests.append(form)
                    entry = idp.codes.pop(form.get("code"), None)
                if self.path != "/oidc/token" or entry is None:
                    return self.reply(400, {"error": "invalid_grant"})
                token, challenge = entry
                got = H.b64url(hashlib.sha256(
                    form.get("code_verifier", "").encode()).digest())
                if got != challenge:
                    return self.reply(400, {"error": "invalid_grant"})
                return self.reply(200, {"access_token": "at",
                                        "token_type": "Bearer",
                                        "id_token": token})

            def reply(self, status, obj):
                data = json.dumps(obj).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)
        return Handler


class _ErrorPage(html.parser.HTMLParser):
    def __init__(self):
        super().__init__()
        self.ids, self.cur = {}, None

    def handle_starttag(self, tag, attrs):
        i = dict(attrs).get("id")
        if i in ("error-title", "error-message", "error-code"):
            self.cur = i
            self.ids[i] = ""

    def handle_endtag(self, tag):
        self.cur = None

    def handle_data(self, data):
        if self.cur:
            self.ids[self.cur] += data


def error_code(resp):
    p = _ErrorPage()
    p.feed(resp.text())
    return p.ids.get("error-code")


def set_cookies(resp):
    """{name: value} of every Set-Cookie of a request() response."""
    out = {}
    for line in resp.set_cookie:
        k, v = line.split(";")[0].split("=", 1)
        out[k.strip()] = v
    return out


def request(port, method, path, body=None, headers=None):
    """H.http_request, keeping every Set-Cookie line (its Response keeps
    one header of each name)."""
    conn = http.client.HTTPConnection("127.0.0.1", port,
                                      timeout=H.REQ_TIMEOUT)
    try:
        conn.request(method, path, body=body, headers=headers or {})
        r = conn.getresponse()
        resp = H.Response(r.status, r.getheaders(), r.read())
        resp.set_cookie = [v for k, v in r.getheaders()
                           if k.lower() == "set-cookie"]
        return resp
    finally:
        conn.close()


class LoginCase(H.FedgateCase):
    """FedgateCase with CodeIdP as the IdP."""

    @classmethod
    def setUpClass(cls):
        import tempfile
        cls.tmp = tempfile.mkdtemp(prefix="fedgate-it-")
        cls.idp = CodeIdP().start()
        cls.fg = H.Fedgate(cls.tmp)
        cls.fg.config = cls.make_config(cls.fg.port, cls.tmp, cls.idp)
        try:
            cls.fg.start()
        except Exception:
            cls._cleanup()
            raise

    def req(self, method, path, cookies=None, form=None):
        h = {}
        if cookies:
            h["Cookie"] = "; ".join(f"{k}={v}" for k, v in cookies.items())
        body = None
        if form is not None:
            body = urllib.parse.urlencode(form).encode()
            h["Content-Type"] = H.FORM
        return request(self.fg.port, method, path, body=body, headers=h)

    def alive(self):
        r = self.fg.get("/healthz")
        self.assertEqual(r.status, 200, "fedgate is not answering")


class OidcBase(LoginCase):
    """An OIDC login provider with hosted_domain, the roles its ID tokens
    may assume, and the code flow driven step by step."""

    @classmethod
    def make_config(cls, fg_port, tmp, idp):
        hp = idp.host_path
        fed = {"Federated": f"arn:aws:iam::{ACCT_A}:oidc-provider/{hp}"}

        def role(name, actions=("sts:AssumeRoleWithWebIdentity",),
                 cond=None):
            return {"name": name, "account_id": ACCT_A,
                    "max_session_duration": 7200,
                    "trust_policy": {"Version": "2012-10-17", "Statement": [{
                        "Effect": "Allow", "Principal": fed,
                        "Action": list(actions),
                        "Condition": cond or {"StringEquals": {
                            f"{hp}:aud": CLIENT_ID}}}]}}
        roles = [
            role("dev", cond={"StringEquals": {f"{hp}:aud": CLIENT_ID},
                              "StringLike": {f"{hp}:sub": "user-*"}}),
            role("tagged", actions=("sts:AssumeRoleWithWebIdentity",
                                    "sts:TagSession"),
                 cond={"StringEquals": {f"{hp}:aud": CLIENT_ID},
                       "StringLike": {f"{hp}:sub": "tagger-*"}}),
        ]
        return H.base_config(
            fg_port, tmp, idp, roles=roles,
            accounts={ACCT_A: "prod"},
            providers=[{
                "name": "corp", "type": "oidc", "issuer": idp.issuer,
                "audiences": [CLIENT_ID], "algorithms": ["RS256"],
                "jwks_min_refetch_seconds": 1,
                "login": {"client_id": CLIENT_ID, "hosted_domain": HD,
                          "display_name": "Corp", "initials": "C"}}])

    # -- the flow, step by step --

    def start(self):
        """GET /login/corp: (authorization URL query, flow cookies)."""
        r = self.req("GET", "/login/corp")
        self.assertEqual(r.status, 302, r)
        loc = urllib.parse.urlsplit(r.headers["location"])
        q = dict(urllib.parse.parse_qsl(loc.query))
        return q, set_cookies(r)

    def sign_in(self, sub="user-1", hd=HD, nonce=None, **claims):
        """The whole code flow with an ID token of these claims; returns
        the callback's response."""
        q, cookies = self.start()
        c = self.idp.claims(sub=sub, aud=CLIENT_ID,
                            nonce=nonce if nonce is not None else q["nonce"],
                            email=f"{sub}@{HD}", **claims)
        if hd is not None:
            c["hd"] = hd
        code = H.b64url(os.urandom(24))
        self.idp.register(code, self.idp.token(claims=c),
                          q["code_challenge"])
        return self.req("GET", "/oidc/callback?" + urllib.parse.urlencode(
            {"code": code, "state": q["state"]}), cookies=cookies)

    def login_audit(self, t0, reason=None):
        """The WebLogin record written since t0 (with this reason)."""
        def pred(rec):
            if rec.get("eventName") != "WebLogin":
                return False
            if reason is None:
                return "errorCode" not in rec
            return rec.get("reason") == reason
        return H.audit_find(self.fg, lambda rec: pred(rec) and
                            rec not in self.seen)

    def setUp(self):
        self.seen = self.fg.audit_records()


class OidcLogin(OidcBase):
    # -- hosted_domain --

    def test_authorization_url_carries_hd_and_pkce(self):
        q, cookies = self.start()
        self.assertEqual(q["hd"], HD)
        self.assertEqual(q["client_id"], CLIENT_ID)
        self.assertEqual(q["response_type"], "code")
        self.assertEqual(q["code_challenge_method"], "S256")
        self.assertEqual(len(q["code_challenge"]), 43)
        self.assertEqual(q["redirect_uri"], self.fg.url + "/oidc/callback")
        self.assertIn("fedgate-flow", cookies)

    def test_hd_of_the_hosted_domain_is_admitted(self):
        r = self.sign_in(hd=HD)
        self.assertEqual(r.status, 303, r)
        self.assertEqual(r.headers["location"], "/roles")
        self.assertIn("fedgate-session", set_cookies(r))
        rec = self.login_audit(0)
        self.assertIsNotNone(rec, "no WebLogin success audited")
        # the PKCE verifier fedgate sent matched (the stand-in checks it)
        self.assertEqual(self.idp.token_requests[-1]["grant_type"],
                         "authorization_code")

    def refused(self, r, reason):
        self.assertEqual(r.status, 403, r)
        self.assertEqual(error_code(r), "InvalidIdentityToken")
        self.assertNotIn("fedgate-session", set_cookies(r))
        rec = self.login_audit(0, reason)
        self.assertIsNotNone(rec, f"no WebLogin failure with reason "
                             f"{reason} audited")
        self.assertIn("errorCode", rec)

    def test_hd_of_another_domain_is_refused(self):
        self.refused(self.sign_in(hd="evil.example"), "hosted_domain")

    def test_hd_absent_is_refused(self):
        """A consumer Google account (no hd claim) may not sign in."""
        self.refused(self.sign_in(hd=None), "hosted_domain")

    def test_hd_as_a_suffix_is_refused(self):
        self.refused(self.sign_in(hd="sub." + HD), "hosted_domain")

    def test_nonce_of_another_flow_is_refused(self):
        self.refused(self.sign_in(nonce="not-this-flows-nonce"),
                     "nonce_mismatch")

    # -- findings --

    def test_identity_too_large_for_the_session_does_not_crash(self):
        """An ID token whose identity cannot be serialised for the web
        session (more claims than the session format allows) is a refused
        sign-in, not a NULL handed to the session writer."""
        extra = {f"c{i}": 1 for i in range(1001)}
        r = self.sign_in(**extra)
        self.alive()
        self.assertEqual(r.status, 400, r)
        self.assertEqual(error_code(r), "IdentityTooLarge")
        self.assertNotIn("fedgate-session", set_cookies(r))

    def test_session_tags_over_the_packed_limit_are_refused_like_sts(self):
        """AssumeRoleWithWebIdentity refuses tags beyond the packed
        allotment (PackedPolicyTooLarge); the browser must not issue them
        either."""
        tags = {"principal_tags": {f"k{i:02d}": ["v" * 250]
                                   for i in range(10)}}
        claims = {"https://aws.amazon.com/tags": tags}
        # the STS API's answer for the same identity
        tok = self.idp.token(claims=self.idp.claims(
            sub="tagger-1", aud=CLIENT_ID, **claims))
        api = self.fg.assume(tok, session="tagger-1",
                             role_arn=arn(ACCT_A, "tagged"))
        self.assertEqual(api.status, 400, api)
        self.assertEqual(api.error()[1], "PackedPolicyTooLarge")
        r = self.sign_in(sub="tagger-1", **claims)
        self.assertEqual(r.status, 303, r)
        cookies = set_cookies(r)
        sess = H.web_cookie_open(H.keyring_keys(
            self.fg.config["state_dir"]), "session",
            cookies["fedgate-session"])
        r = self.req("POST", "/credentials", cookies=cookies, form={
            "csrf": sess["csrf"], "role_arn": arn(ACCT_A, "tagged"),
            "duration": "3600"})
        self.assertEqual(r.status, 400, r)
        self.assertNotIn("AWS_SECRET_ACCESS_KEY", r.text())
        rec = H.audit_find(self.fg, lambda e: e.get("eventName") ==
                           "AssumeRoleWithWebIdentity" and
                           e.get("reason") == "packed_too_large")
        self.assertIsNotNone(rec, "the refused issue is not audited")


class ThrottledLogin(OidcBase):
    """The STS API's per-source-IP limit covers the sign-in steps."""

    @classmethod
    def make_config(cls, fg_port, tmp, idp):
        cfg = super().make_config(fg_port, tmp, idp)
        cfg["rate_limits"] = {"per_source_ip": {"requests": 3,
                                                "per_seconds": 3600}}
        return cfg

    def test_sign_in_steps_are_throttled_with_a_page(self):
        for _ in range(3):
            self.start()
        r = self.req("GET", "/login/corp")
        self.assertEqual(r.status, 429, r)
        self.assertEqual(error_code(r), "Throttling")
        self.assertTrue(r.headers["content-type"].startswith("text/html"))
        self.assertNotIn("location", r.headers)
        r = self.req("GET", "/oidc/callback?code=x&state=y")
        self.assertEqual(r.status, 429, r)
        # The page that lists the providers is not a sign-in step.
        self.assertEqual(self.req("GET", "/login").status, 200)


class DiscoveryCache(OidcBase):
    """Discovered endpoints are reused: an IdP down after the first
    sign-in does not stop fedgate from sending browsers to it."""

    def test_idp_down_keeps_last_discovered_endpoints(self):
        q1, _ = self.start()
        self.idp.stop()
        try:
            t0 = time.time()
            r = self.req("GET", "/login/corp")
            self.assertEqual(r.status, 302, r)
            self.assertLess(time.time() - t0, 2.0)
            loc = urllib.parse.urlsplit(r.headers["location"])
            q2 = dict(urllib.parse.parse_qsl(loc.query))
            self.assertNotEqual(q1["state"], q2["state"])
            self.assertEqual(q1["client_id"], q2["client_id"])
        finally:
            self.idp.start()


class DiscoveryDown(OidcBase):
    """An OIDC provider whose discovery document cannot be read: the
    browser gets a page saying so, not a redirect, and no flow starts."""

    @classmethod
    def make_config(cls, fg_port, tmp, idp):
        cfg = super().make_config(fg_port, tmp, idp)
        cfg["providers"][0]["issuer"] = \
            f"http://127.0.0.1:{H.free_port()}/nowhere"
        return cfg

    def test_unreachable_issuer_gives_a_502_page(self):
        r = self.req("GET", "/login/corp")
        self.assertEqual(r.status, 502, r)
        self.assertEqual(error_code(r), "IDPCommunicationError")
        self.assertNotIn("location", r.headers)
        self.assertEqual(set_cookies(r), {})
        self.alive()


class ReloadLogin(OidcBase):
    """Web sessions after a SIGHUP that changes the login providers: what
    the STS API stops accepting, the browser stops issuing too."""

    @classmethod
    def make_config(cls, fg_port, tmp, idp):
        cfg = OidcBase.make_config(fg_port, tmp, idp)
        # a second login provider keeps the login page on without corp
        other = f"http://127.0.0.1:{H.free_port()}/other"
        cfg["providers"].append({
            "name": "other", "type": "oidc", "issuer": other,
            "audiences": [CLIENT_ID], "algorithms": ["RS256"],
            "login": {"client_id": CLIENT_ID}})
        return cfg

    def setUp(self):
        super().setUp()
        self.base = json.loads(json.dumps(self.fg.config))

    def tearDown(self):
        self.reload(self.base)

    def reload(self, cfg):
        with open(self.fg.err_path, "rb") as f:
            before = f.read().count(b"configuration applied")
        with open(self.fg.conf_path, "w") as f:
            f.write(H.to_yaml(cfg))
        self.fg.proc.send_signal(signal.SIGHUP)
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            with open(self.fg.err_path, "rb") as f:
                if f.read().count(b"configuration applied") > before:
                    return
            self.assertIsNone(self.fg.proc.poll(), "fedgate exited")
            time.sleep(0.02)
        self.fail("reload not applied")

    def signed_in(self, sub="user-1"):
        r = self.sign_in(sub=sub)
        self.assertEqual(r.status, 303, r)
        cookies = set_cookies(r)
        sess = H.web_cookie_open(H.keyring_keys(
            self.fg.config["state_dir"]), "session",
            cookies["fedgate-session"])
        return cookies, sess["csrf"]

    def issue(self, cookies, csrf, role="dev"):
        return self.req("POST", "/credentials", cookies=cookies, form={
            "csrf": csrf, "role_arn": arn(ACCT_A, role),
            "duration": "3600"})

    def test_provider_removed_on_reload_ends_its_sessions(self):
        cookies, csrf = self.signed_in()
        self.assertEqual(self.issue(cookies, csrf).status, 200)
        cfg = json.loads(json.dumps(self.base))
        cfg["providers"] = [p for p in cfg["providers"]
                            if p["name"] != "corp"]
        self.reload(cfg)
        # the STS API no longer takes corp's tokens ...
        tok = self.idp.token(claims=self.idp.claims(sub="user-1",
                                                    aud=CLIENT_ID))
        api = self.fg.assume(tok, role_arn=arn(ACCT_A, "dev"))
        self.assertEqual(api.status, 400, api)
        # ... and a browser signed in with corp gets nothing either
        r = self.issue(cookies, csrf)
        self.assertEqual(r.status, 403, r)
        self.assertEqual(error_code(r), "AccessDenied")
        self.assertNotIn("AWS_SECRET_ACCESS_KEY", r.text())

    def test_hosted_domain_set_on_reload_applies_to_sessions(self):
        cfg = json.loads(json.dumps(self.base))
        for p in cfg["providers"]:
            p.get("login", {}).pop("hosted_domain", None)
        self.reload(cfg)
        r = self.sign_in(hd=None)
        self.assertEqual(r.status, 303, r)
        cookies = set_cookies(r)
        csrf = H.web_cookie_open(H.keyring_keys(
            self.fg.config["state_dir"]), "session",
            cookies["fedgate-session"])["csrf"]
        self.assertEqual(self.issue(cookies, csrf).status, 200)
        self.reload(self.base)      # hosted_domain: example.com again
        r = self.issue(cookies, csrf)
        self.assertEqual(r.status, 403, r)
        self.assertEqual(error_code(r), "AccessDenied")


class SamlLogin(LoginCase):
    """A SAML login provider (saml_idp.SamlIdP): the SP-initiated flow's
    bindings (InResponseTo, RelayState, single use) at HTTP level."""

    @classmethod
    def make_config(cls, fg_port, tmp, idp):
        cls.acs = f"http://127.0.0.1:{fg_port}/saml/acs"
        cls.saml = S.SamlIdP(tmp, SAML_NAME, "https://idp.example/saml")
        cls.sp = S.KeyPair(tmp, "sp")
        cls.prov = f"arn:aws:iam::{ACCT_A}:saml-provider/{SAML_NAME}"
        role = {"name": "saml-dev", "account_id": ACCT_A,
                "max_session_duration": 7200,
                "trust_policy": {"Version": "2012-10-17", "Statement": [{
                    "Effect": "Allow", "Principal": {"Federated": cls.prov},
                    "Action": "sts:AssumeRoleWithSAML"}]}}
        return H.base_config(
            fg_port, tmp, idp, roles=[role], max_body_bytes=262144,
            providers=[{"name": SAML_NAME, "type": "saml",
                        "metadata_file": cls.saml.metadata_path,
                        "login": {"display_name": "Corp SAML"}}],
            saml_sp={"entity_id": SP_ENTITY,
                     "cert_file": cls.sp.cert_path,
                     "key_file": cls.sp.key_path})

    def start(self):
        """GET /login/NAME: (flow cookies, request id, RelayState)."""
        r = self.req("GET", f"/login/{SAML_NAME}")
        self.assertEqual(r.status, 302, r)
        self.assertTrue(r.headers["location"].startswith(
            "https://idp.invalid/sso?SAMLRequest="), r.headers["location"])
        cookies = set_cookies(r)
        flow = H.web_cookie_open(H.keyring_keys(
            self.fg.config["state_dir"]), "flow", cookies["fedgate-flow"])
        return cookies, flow["rid"], flow["rs"]

    def response(self, in_response_to=None):
        attrs = [(S.A_ROLE, [f"{arn(ACCT_A, 'saml-dev')},{self.prov}"]),
                 (S.A_RSN, ["alice"])]
        b64, _ = self.saml.build(self.acs, SP_ENTITY, attrs=attrs,
                                 in_response_to=in_response_to)
        return b64

    def acs_post(self, b64, relay=None, cookies=None):
        form = {"SAMLResponse": b64}
        if relay is not None:
            form["RelayState"] = relay
        return self.req("POST", "/saml/acs", cookies=cookies, form=form)

    def test_sp_initiated_sign_in(self):
        cookies, rid, rs = self.start()
        r = self.acs_post(self.response(rid), rs, cookies)
        self.assertEqual(r.status, 303, r)
        self.assertEqual(r.headers["location"], "/roles")
        self.assertIn("fedgate-session", set_cookies(r))

    def test_response_to_another_browsers_request_is_refused(self):
        _, rid_a, _ = self.start()
        cookies_b, _, rs_b = self.start()
        r = self.acs_post(self.response(rid_a), rs_b, cookies_b)
        self.assertEqual(r.status, 403, r)
        self.assertNotIn("fedgate-session", set_cookies(r))

    def test_response_to_a_request_without_flow_is_refused(self):
        _, rid, rs = self.start()
        r = self.acs_post(self.response(rid), rs)
        self.assertEqual(r.status, 403, r)
        self.assertNotIn("fedgate-session", set_cookies(r))

    def test_relay_state_of_another_flow_is_refused(self):
        _, _, rs_a = self.start()
        cookies_b, rid_b, _ = self.start()
        r = self.acs_post(self.response(rid_b), rs_a, cookies_b)
        self.assertEqual(r.status, 403, r)
        self.assertEqual(error_code(r), "InvalidRelayState")

    def test_replayed_response_is_refused(self):
        b64 = self.response()
        self.assertEqual(self.acs_post(b64).status, 303)
        r = self.acs_post(b64)
        self.assertEqual(r.status, 403, r)
        self.assertNotIn("fedgate-session", set_cookies(r))


if __name__ == "__main__":
    unittest.main()
