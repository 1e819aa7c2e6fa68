"""`fedgate dev`: the printed commands work exactly as printed, and the
login page works end to end with the built-in issuer's sign-in form."""
import base64
import hashlib
import html
import html.parser
import http.client
import json
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import unittest
import urllib.parse
import urllib.request

BIN = os.environ.get("FEDGATE_BIN", "build/gateway/fedgate")
CLIENT_ID = "fedgate-dev"
DEV_ROLE = "arn:aws:iam::000000000000:role/dev-role"
MOBILE_ROLE = "arn:aws:iam::000000000000:role/mobile-upload"
READONLY_ROLE = "arn:aws:iam::111111111111:role/readonly"


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def b64url(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def pkce_pair():
    verifier = b64url(secrets.token_bytes(32))
    return verifier, b64url(hashlib.sha256(verifier.encode()).digest())


def jwt_payload(tok):
    p = tok.split(".")[1]
    return json.loads(base64.urlsafe_b64decode(p + "=" * (-len(p) % 4)))


class Forms(html.parser.HTMLParser):
    """Every <form> of a page: action, method, and its named fields."""

    def __init__(self):
        super().__init__()
        self.forms = []

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "form":
            self.forms.append({"id": a.get("id"), "action": a.get("action"),
                               "method": a.get("method"), "fields": {}})
        elif tag in ("input", "textarea") and self.forms and "name" in a:
            self.forms[-1]["fields"][a["name"]] = a.get("value") or ""


def forms(page):
    p = Forms()
    p.feed(page)
    return p.forms


class Browser:
    """Plain HTTP with a cookie jar; redirects are followed by the test,
    one hop at a time, so each hop can be checked."""

    def __init__(self, port):
        self.port = port
        self.cookies = {}

    def request(self, method, target, form=None, headers=None):
        u = urllib.parse.urlsplit(target)
        self_host = u.netloc in ("", f"127.0.0.1:{self.port}")
        assert self_host, f"browser sent off-site: {target}"
        path = u.path + (("?" + u.query) if u.query else "")
        h = dict(headers or {})
        body = None
        if form is not None:
            body = urllib.parse.urlencode(form)
            h["Content-Type"] = "application/x-www-form-urlencoded"
        if self.cookies:
            h["Cookie"] = "; ".join(f"{k}={v}"
                                    for k, v in self.cookies.items())
        c = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        try:
            c.request(method, path, body=body, headers=h)
            r = c.getresponse()
            text = r.read().decode("utf-8", "replace")
        finally:
            c.close()
        for sc in r.headers.get_all("Set-Cookie") or []:
            name, _, rest = sc.partition("=")
            value = rest.split(";", 1)[0]
            if value == "" or "max-age=0" in sc.lower():
                self.cookies.pop(name.strip(), None)
            else:
                self.cookies[name.strip()] = value
        return r.status, r.headers, text

    def get(self, target):
        return self.request("GET", target)

    def post(self, target, form, headers=None):
        return self.request("POST", target, form, headers)


class DevMode(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp(prefix="fedgate-devtest-")
        cls.port = free_port()
        cls.url = f"http://127.0.0.1:{cls.port}"
        cls.errf = open(os.path.join(cls.tmp, "stderr"), "w+")
        cls.outf = open(os.path.join(cls.tmp, "stdout"), "w+")
        cls.proc = subprocess.Popen(
            [BIN, "dev", "--port", str(cls.port), "--state-dir",
             os.path.join(cls.tmp, "state")],
            stdout=cls.outf, stderr=cls.errf)
        deadline = time.time() + 15
        while time.time() < deadline:
            cls.errf.seek(0)
            if "Ctrl-C stops" in cls.errf.read():
                return
            if cls.proc.poll() is not None:
                break
            time.sleep(0.1)
        cls.tearDownClass()
        raise RuntimeError("fedgate dev did not come up")

    @classmethod
    def tearDownClass(cls):
        rc = None
        if cls.proc.poll() is None:
            cls.proc.send_signal(signal.SIGTERM)
            try:
                rc = cls.proc.wait(10)
            except subprocess.TimeoutExpired:
                cls.proc.kill()
        cls.errf.seek(0)
        err = cls.errf.read()
        cls.errf.close()
        cls.outf.close()
        shutil.rmtree(cls.tmp, ignore_errors=True)
        # A sanitizer report (ASan build) or an unclean exit fails the class.
        bad = [m for m in ("ERROR: AddressSanitizer", "ERROR: LeakSanitizer",
                           "runtime error:") if m in err]
        if rc != 0 or bad:
            raise AssertionError(f"fedgate dev: exit {rc} on SIGTERM "
                                 f"{bad}\n{err[-4000:]}")

    def printed(self):
        self.errf.seek(0)
        return self.errf.read()

    def run_printed(self, prefix):
        lines = [l.strip() for l in self.printed().splitlines()
                 if l.strip().startswith(prefix)]
        self.assertTrue(lines, f"no printed line starting with {prefix}")
        env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"),
               "HOME": self.tmp, "AWS_EC2_METADATA_DISABLED": "true"}
        return [subprocess.run(["bash", "-c", l], capture_output=True,
                               text=True, env=env, timeout=60) for l in lines]

    def test_printed_aws_command_returns_credentials(self):
        results = self.run_printed("aws sts assume-role-with-web-identity")
        self.assertEqual(len(results), 2)  # dev-role and mobile-upload
        for r in results:
            self.assertEqual(r.returncode, 0, r.stderr)
            creds = json.loads(r.stdout)["Credentials"]
            self.assertRegex(creds["AccessKeyId"], r"^ASIA[A-Z2-7]{16}$")
            self.assertEqual(len(creds["SecretAccessKey"]), 40)
            self.assertTrue(creds["SessionToken"])

    def test_printed_curl_command_returns_xml(self):
        (r,) = self.run_printed("curl -s")
        self.assertEqual(r.returncode, 0)
        self.assertIn("<AssumeRoleWithWebIdentityResponse", r.stdout)
        self.assertIn("<AccessKeyId>ASIA", r.stdout)

    def test_mobile_role_needs_custom_claim(self):
        tok = urllib.request.urlopen(
            f"{self.url}/dev/idp/token?sub=user-1").read().decode()
        body = ("Action=AssumeRoleWithWebIdentity&Version=2011-06-15"
                "&RoleArn=arn:aws:iam::000000000000:role/mobile-upload"
                "&RoleSessionName=phone&WebIdentityToken=" + tok).encode()
        try:
            urllib.request.urlopen(self.url + "/", body)
            self.fail("role admitted a token without app=photos")
        except urllib.error.HTTPError as e:
            self.assertEqual(e.code, 403)
            self.assertIn("<Code>AccessDenied</Code>", e.read().decode())
        # ...and the decision trace explains why, without the token.
        time.sleep(0.2)
        log = self.printed()
        self.assertIn("decision trace", log)
        self.assertNotIn(tok, log)

    def test_discovery_and_jwks(self):
        disc = json.load(urllib.request.urlopen(
            f"{self.url}/dev/idp/.well-known/openid-configuration"))
        self.assertEqual(disc["issuer"], f"{self.url}/dev/idp")
        jwks = json.load(urllib.request.urlopen(disc["jwks_uri"]))
        self.assertEqual(jwks["keys"][0]["kty"], "RSA")
        ready = json.load(urllib.request.urlopen(f"{self.url}/readyz"))
        self.assertEqual(ready["status"], "ready")

    def test_audit_lines_on_stdout(self):
        self.run_printed("curl -s")
        time.sleep(0.2)
        self.outf.seek(0)
        events = [json.loads(l) for l in self.outf.read().splitlines()
                  if l.startswith("{")]
        self.assertTrue(any(e["eventName"] == "AssumeRoleWithWebIdentity"
                            and e.get("errorCode") is None for e in events))
        for e in events:
            self.assertNotIn("SessionToken", json.dumps(e))

    # ---- the login page with the built-in issuer ----

    def authorize_params(self, **over):
        verifier, challenge = pkce_pair()
        p = {"response_type": "code", "client_id": CLIENT_ID,
             "redirect_uri": f"{self.url}/oidc/callback",
             "scope": "openid email", "state": b64url(os.urandom(16)),
             "nonce": b64url(os.urandom(16)), "code_challenge": challenge,
             "code_challenge_method": "S256"}
        p.update(over)
        return p, verifier

    def issue_code(self, params, user="alice", email="alice@example.test",
                   claims=""):
        """POST the sign-in form directly; the code from the redirect."""
        b = Browser(self.port)
        form = dict(params, username=user, email=email, claims=claims)
        status, hdrs, body = b.post("/dev/idp/authorize", form)
        self.assertEqual(status, 302, body)
        loc = urllib.parse.urlsplit(hdrs["Location"])
        self.assertEqual(f"{loc.scheme}://{loc.netloc}{loc.path}",
                         f"{self.url}/oidc/callback")
        q = urllib.parse.parse_qs(loc.query)
        self.assertEqual(q["state"], [params["state"]])
        return q["code"][0]

    def redeem(self, code, verifier, **over):
        form = {"grant_type": "authorization_code", "code": code,
                "redirect_uri": f"{self.url}/oidc/callback",
                "code_verifier": verifier, "client_id": CLIENT_ID}
        form.update(over)
        status, _, body = Browser(self.port).post("/dev/idp/oauth/token",
                                                  form)
        return status, json.loads(body)

    def sign_in(self, user="alice", email="alice@example.test", claims="",
                start="/login"):
        """Browser sign-in from /login to the roles page: (browser, page)."""
        b = Browser(self.port)
        status, _, page = b.get(start)
        self.assertEqual(status, 200)
        self.assertIn('data-provider="dev" href="/login/dev"', page)
        self.assertIn("Dev sign-in (any name)", page)
        status, hdrs, _ = b.get("/login/dev")
        self.assertEqual(status, 302)
        self.assertTrue(hdrs["Location"].startswith(
            f"{self.url}/dev/idp/authorize?"), hdrs["Location"])
        status, hdrs, page = b.get(hdrs["Location"])
        self.assertEqual(status, 200, page)
        csp = hdrs["Content-Security-Policy"]
        self.assertIn("default-src 'none'", csp)
        self.assertNotIn("unsafe-inline", csp)
        self.assertNotIn("<script>", page)
        self.assertNotIn("style=", page)
        self.assertIn("any name works; this issuer exists only in dev mode",
                      html.unescape(page).lower())
        (form,) = forms(page)
        self.assertEqual(form["action"], "/dev/idp/authorize")
        self.assertEqual(form["fields"]["username"], "alice")
        self.assertEqual(form["fields"]["email"], "alice@example.test")
        self.assertEqual(form["fields"]["code_challenge_method"], "S256")
        fields = dict(form["fields"], username=user, email=email,
                      claims=claims)
        status, hdrs, _ = b.post(form["action"], fields)
        self.assertEqual(status, 302)
        self.assertTrue(hdrs["Location"].startswith(
            f"{self.url}/oidc/callback?code="), hdrs["Location"])
        status, hdrs, page = b.get(hdrs["Location"])
        self.assertEqual(status, 303, page)
        self.assertEqual(hdrs["Location"], "/roles")
        status, _, page = b.get("/roles")
        self.assertEqual(status, 200)
        return b, page

    @staticmethod
    def listed_roles(page):
        return set(re.findall(r'<li class="role" data-role-arn="([^"]+)"',
                              page))

    def test_browser_sign_in_to_credentials(self):
        b, page = self.sign_in()
        self.assertEqual(self.listed_roles(page), {DEV_ROLE, READONLY_ROLE})
        # mobile-upload wants sub user-* and app=photos: not alice's.
        self.assertNotIn("mobile-upload", page)
        sandbox = re.search(r'<section class="account" '
                            r'data-account="111111111111">(.*?)</section>',
                            page, re.S)
        self.assertIsNotNone(sandbox, page)
        self.assertIn("sandbox", sandbox.group(1))
        self.assertIn(READONLY_ROLE, sandbox.group(1))
        choose = [f for f in forms(page)
                  if f["fields"].get("role_arn") == DEV_ROLE]
        self.assertEqual(len(choose), 1)
        csrf = choose[0]["fields"]["csrf"]
        self.assertTrue(csrf)
        status, _, page = b.post("/credentials", {
            "csrf": csrf, "role_arn": DEV_ROLE, "duration": "3600"})
        self.assertEqual(status, 200, page)
        m = re.search(r'<pre id="cred-process"[^>]*>(.*?)</pre>', page, re.S)
        self.assertIsNotNone(m, page)
        creds = json.loads(html.unescape(m.group(1)))
        self.assertRegex(creds["AccessKeyId"], r"^ASIA[A-Z2-7]{16}$")
        import boto3
        sts = boto3.client(
            "sts", endpoint_url=self.url, region_name="us-east-1",
            aws_access_key_id=creds["AccessKeyId"],
            aws_secret_access_key=creds["SecretAccessKey"],
            aws_session_token=creds["SessionToken"])
        ident = sts.get_caller_identity()
        self.assertEqual(ident["Arn"], "arn:aws:sts::000000000000:"
                         "assumed-role/dev-role/alice@example.test")
        # Audited as a web sign-in, without the session's secrets.
        time.sleep(0.2)
        self.outf.seek(0)
        lines = [l for l in self.outf.read().splitlines()
                 if l.startswith("{")]
        events = [json.loads(l) for l in lines]
        self.assertTrue(any(e["eventName"] == "WebLogin"
                            and e.get("errorCode") is None
                            for e in events), events)
        for l in lines:
            self.assertNotIn(creds["SessionToken"], l)
            self.assertNotIn(creds["SecretAccessKey"], l)

    def test_cli_hand_off_confirm_and_cancel(self):
        """A role picked during a CLI hand-off needs a confirmation;
        Cancel forgets the hand-off and the ordinary picker comes back."""
        _, challenge = pkce_pair()
        start = ("/login?cli_port=45678&cli_state=" + b64url(os.urandom(16))
                 + "&cli_challenge=" + challenge)
        b, page = self.sign_in(start=start)
        self.assertIn("fedgate-cli", b.cookies)
        self.assertIn("fedgate CLI", page)
        choose = [f for f in forms(page)
                  if f["fields"].get("role_arn") == DEV_ROLE]
        status, hdrs, page = b.post("/credentials", {
            "csrf": choose[0]["fields"]["csrf"], "role_arn": DEV_ROLE,
            "duration": "3600"})
        # Not issued yet: the confirm page, the only one allowed to send
        # the browser to 127.0.0.1.
        self.assertEqual(status, 200, page)
        self.assertIn('id="cli-send"', page)
        self.assertIn("127.0.0.1:45678", page)
        self.assertNotIn("cred-process", page)
        self.assertIn("http://127.0.0.1:*",
                      hdrs["Content-Security-Policy"])
        status, hdrs, _ = b.get("/login/cli/cancel")
        self.assertEqual(status, 303)
        self.assertEqual(hdrs["Location"], "/roles")
        self.assertNotIn("fedgate-cli", b.cookies)
        status, hdrs, page = b.get("/roles")
        self.assertEqual(status, 200)
        self.assertNotIn("fedgate CLI", page)
        self.assertNotIn("127.0.0.1:*", hdrs["Content-Security-Policy"])

    def test_sign_in_with_extra_claims_admits_mobile_role(self):
        _, page = self.sign_in(user="user-7", email="",
                               claims='{"app": "photos"}')
        self.assertEqual(self.listed_roles(page),
                         {DEV_ROLE, MOBILE_ROLE, READONLY_ROLE})

    def test_token_endpoint_code_exchange(self):
        params, verifier = self.authorize_params()
        code = self.issue_code(params, claims='{"groups": ["dev"]}')
        status, body = self.redeem(code, verifier)
        self.assertEqual(status, 200, body)
        self.assertEqual(body["token_type"], "Bearer")
        self.assertEqual(body["expires_in"], 300)
        claims = jwt_payload(body["id_token"])
        self.assertEqual(claims["iss"], f"{self.url}/dev/idp")
        self.assertEqual(claims["aud"], CLIENT_ID)
        self.assertEqual(claims["sub"], "alice")
        self.assertEqual(claims["nonce"], params["nonce"])
        self.assertEqual(claims["email"], "alice@example.test")
        self.assertIs(claims["email_verified"], True)
        self.assertEqual(claims["groups"], ["dev"])
        self.assertLessEqual(claims["exp"] - claims["iat"], 300)
        # A code is good once.
        self.assertEqual(self.redeem(code, verifier),
                         (400, {"error": "invalid_grant"}))

    def test_token_endpoint_refuses_wrong_verifier_and_spends_code(self):
        params, verifier = self.authorize_params()
        code = self.issue_code(params)
        other, _ = pkce_pair()
        self.assertEqual(self.redeem(code, other),
                         (400, {"error": "invalid_grant"}))
        # The failed attempt spent the code: no second guess.
        self.assertEqual(self.redeem(code, verifier),
                         (400, {"error": "invalid_grant"}))

    def test_token_endpoint_refuses_other_mismatches(self):
        params, verifier = self.authorize_params()
        code = self.issue_code(params)
        self.assertEqual(self.redeem(code, verifier,
                                     redirect_uri=f"{self.url}/other"),
                         (400, {"error": "invalid_grant"}))
        self.assertEqual(self.redeem("no-such-code", verifier),
                         (400, {"error": "invalid_grant"}))
        self.assertEqual(self.redeem("x", verifier, client_id="other"),
                         (401, {"error": "invalid_client"}))
        self.assertEqual(self.redeem("x", verifier, grant_type="password"),
                         (400, {"error": "unsupported_grant_type"}))
        # Basic client authentication: fedgate-dev with any password.
        params, verifier = self.authorize_params()
        code = self.issue_code(params)
        basic = base64.b64encode(b"fedgate-dev:anything").decode()
        form = {"grant_type": "authorization_code", "code": code,
                "redirect_uri": f"{self.url}/oidc/callback",
                "code_verifier": verifier}
        status, _, body = Browser(self.port).post(
            "/dev/idp/oauth/token", form,
            {"Authorization": "Basic " + basic})
        self.assertEqual(status, 200, body)
        self.assertIn("id_token", json.loads(body))

    def test_authorize_refuses_foreign_redirect_uri(self):
        evil = "https://evil.example/oidc/callback"
        for over in ({"redirect_uri": evil},
                     {"redirect_uri": f"{self.url}/oidc/callback/../x"},
                     {"redirect_uri": f"{self.url}/oidc/callback?x=1"}):
            params, _ = self.authorize_params(**over)
            b = Browser(self.port)
            for status, hdrs, body in (
                    b.get("/dev/idp/authorize?" +
                          urllib.parse.urlencode(params)),
                    b.post("/dev/idp/authorize",
                           dict(params, username="alice"))):
                self.assertEqual(status, 400, body)
                self.assertIsNone(hdrs["Location"])
                self.assertIn("redirect_uri", body)
                self.assertNotIn("evil.example", body)

    def test_authorize_refuses_bad_requests(self):
        for over in ({"code_challenge_method": "plain"},
                     {"code_challenge": ""},
                     {"client_id": "someone-else"},
                     {"response_type": "token"},
                     {"scope": "email"},
                     {"state": ""}):
            params, _ = self.authorize_params(**over)
            status, hdrs, _ = Browser(self.port).get(
                "/dev/idp/authorize?" + urllib.parse.urlencode(params))
            self.assertEqual(status, 400, over)
            self.assertIsNone(hdrs["Location"])
        params, _ = self.authorize_params()
        for claims in ('{"sub": "root"}', '{"aud": "x"}', "[1]", "{"):
            status, hdrs, _ = Browser(self.port).post(
                "/dev/idp/authorize",
                dict(params, username="alice", claims=claims))
            self.assertEqual(status, 400, claims)
            self.assertIsNone(hdrs["Location"])

    def test_callback_with_wrong_state(self):
        b = Browser(self.port)
        status, hdrs, _ = b.get("/login/dev")
        self.assertEqual(status, 302)
        q = urllib.parse.parse_qs(urllib.parse.urlsplit(
            hdrs["Location"]).query)
        params = {k: v[0] for k, v in q.items()}
        code = self.issue_code(params)
        status, _, page = b.get("/oidc/callback?" + urllib.parse.urlencode(
            {"code": code, "state": "not-" + params["state"]}))
        self.assertEqual(status, 403)
        m = re.search(r'<code id="error-code">([^<]*)</code>', page)
        self.assertEqual(m.group(1), "InvalidState")
        self.assertNotIn("fedgate-session", b.cookies)

    def test_discovery_advertises_code_flow(self):
        with urllib.request.urlopen(
                f"{self.url}/dev/idp/.well-known/openid-configuration") as r:
            disc = json.load(r)
        self.assertEqual(disc["authorization_endpoint"],
                         f"{self.url}/dev/idp/authorize")
        self.assertEqual(disc["token_endpoint"],
                         f"{self.url}/dev/idp/oauth/token")
        self.assertIn("code", disc["response_types_supported"])
        self.assertEqual(disc["code_challenge_methods_supported"], ["S256"])
        self.assertEqual(disc["grant_types_supported"],
                         ["authorization_code"])

    def test_printed_login_lines(self):
        out = self.printed()
        self.assertIn(f"Sign in with a browser: {self.url}/login", out)
        self.assertIn(f"fedgate login --url {self.url} --format env", out)

    def test_printed_fedgate_login_command(self):
        """The printed `fedgate login` line, with $BROWSER played by this
        test over plain HTTP, ends with working credentials in env form."""
        (line,) = [l.strip() for l in self.printed().splitlines()
                   if l.strip().startswith("fedgate login")]
        work = tempfile.mkdtemp(dir=self.tmp)
        bindir = os.path.join(work, "bin")
        os.mkdir(bindir)
        os.symlink(os.path.abspath(BIN), os.path.join(bindir, "fedgate"))
        urls = os.path.join(work, "urls")
        browser = os.path.join(work, "browser")
        with open(browser, "w") as f:
            f.write(f'#!/bin/sh\nprintf "%s\\n" "$1" >> {urls}\n')
        os.chmod(browser, 0o755)
        env = {"PATH": bindir + ":" + os.environ.get("PATH", "/usr/bin"),
               "HOME": work, "XDG_CACHE_HOME": os.path.join(work, "cache"),
               "BROWSER": browser}
        p = subprocess.Popen(["bash", "-c", line], stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, text=True, env=env)
        try:
            deadline = time.time() + 15
            while not os.path.exists(urls) and time.time() < deadline:
                time.sleep(0.1)
            with open(urls) as f:
                url = f.read().split("\n")[0]
            self.assertTrue(url.startswith(f"{self.url}/login?"), url)
            b, page = self.sign_in(start=url)
            self.assertIn("Send to fedgate CLI", page)
            choose = [f for f in forms(page)
                      if f["fields"].get("role_arn") == DEV_ROLE]
            status, _, page = b.post("/credentials",
                                     dict(choose[0]["fields"],
                                          duration="3600"))
            self.assertEqual(status, 200, page)
            (send,) = [f for f in forms(page) if f["id"] == "cli-send"]
            status, hdrs, _ = b.post(send["action"], send["fields"])
            self.assertEqual(status, 303)
            cb = urllib.parse.urlsplit(hdrs["Location"])
            self.assertEqual((cb.hostname, cb.path), ("127.0.0.1",
                                                      "/callback"))
            c = http.client.HTTPConnection("127.0.0.1", cb.port, timeout=15)
            c.request("GET", cb.path + "?" + cb.query)
            c.getresponse().read()
            c.close()
            out, err = p.communicate(timeout=30)
        finally:
            if p.poll() is None:
                p.kill()
                p.wait()
        self.assertEqual(p.returncode, 0, err)
        exports = dict(re.findall(r"^export (AWS_[A-Z_]+)=(\S+)$", out, re.M))
        self.assertRegex(exports.get("AWS_ACCESS_KEY_ID", ""),
                         r"^ASIA[A-Z2-7]{16}$")
        import boto3
        sts = boto3.client(
            "sts", endpoint_url=self.url, region_name="us-east-1",
            aws_access_key_id=exports["AWS_ACCESS_KEY_ID"],
            aws_secret_access_key=exports["AWS_SECRET_ACCESS_KEY"].strip("'"),
            aws_session_token=exports["AWS_SESSION_TOKEN"].strip("'"))
        self.assertEqual(sts.get_caller_identity()["Arn"],
                         "arn:aws:sts::000000000000:assumed-role/dev-role/"
                         "alice@example.test")


if __name__ == "__main__":
    unittest.main()
