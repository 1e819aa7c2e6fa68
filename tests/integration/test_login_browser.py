"""The login page ([4/5]) end to end in headless Chromium.

Debian's /usr/bin/chromium is driven by playwright-core (tests/js/
login_flows.mjs) through fedgate's pages and two real IdPs: Debian's
SimpleSAMLphp 1.19 (SP-initiated with signed AuthnRequests that it
validates, and IdP-initiated) and panva's oidc-provider from npm (tests/js/
oidc_provider.mjs; code flow, PKCE required). The credentials a page shows
are used with boto3 against fedgate. Negative cases replay or tamper with
what a real browser got, over plain HTTP where a browser adds nothing.
`fedgate login` runs with $BROWSER set to a script that hands its URL to
Playwright.

Screenshots of each page: <build dir>/tests/artifacts/screenshots/
login_browser/ (or $FEDGATE_ARTIFACTS/screenshots/login_browser), printed
as TAP comments. Each case is skipped, with the reason, when chromium,
node or the npm modules (tests/js: npm ci) are missing; the SAML cases
also when SimpleSAMLphp is.
"""
import datetime
import http.client
import json
import os
import re
import shutil
import stat
import subprocess
import time
import unittest
import urllib.parse
from unittest import mock

import boto3
import botocore.config
import botocore.session

import fedgate_harness as H

HERE = os.path.dirname(os.path.abspath(__file__))
JS_DIR = os.path.join(HERE, os.pardir, "js")
FLOWS = os.path.join(JS_DIR, "login_flows.mjs")
OP_SCRIPT = os.path.join(JS_DIR, "oidc_provider.mjs")
SSP_BASE = os.path.join(HERE, "simplesamlphp")
SSP_LOGIN = os.path.join(SSP_BASE, "login")
CHROMIUM = "/usr/bin/chromium"
NODE = shutil.which("node") or "/usr/bin/node"
NPM = shutil.which("npm") or "/usr/bin/npm"
FLOW_TIMEOUT = 90

ACCT_A, ACCT_B = "111111111111", "222222222222"
ACCOUNTS = {ACCT_A: "prod", ACCT_B: "staging"}
SAML_PROVIDER = "ssp"
OIDC_PROVIDER = "corp"
SP_ENTITY = "urn:fedgate:login-sp"
CLIENT_ID = "fedgate-web"
PW = {u: f"{u}-{os.urandom(6).hex()}" for u in
      ("alice", "bob", "dana", "erin")}
OIDC_USERS = {
    "dana": {"email": "dana@example.com", "name": "Dana Admin",
             "groups": ["admins", "dev"]},
    "erin": {"email": "erin@example.com", "name": "Erin Dev",
             "groups": ["dev"]},
}
ISSUE_EVENTS = ("AssumeRoleWithSAML", "AssumeRoleWithWebIdentity")


def arn(acct, name):
    return f"arn:aws:iam::{acct}:role/{name}"


def assumed(acct, role, session):
    return f"arn:aws:sts::{acct}:assumed-role/{role}/{session}"


# alice's four SAML roles (two per account) and bob's one
SSP_ADMIN, SSP_DEV = arn(ACCT_A, "ssp-admin"), arn(ACCT_A, "ssp-dev")
SSP_RO, SSP_DEPLOY = arn(ACCT_B, "ssp-readonly"), arn(ACCT_B, "ssp-deploy")
# dana: both OIDC roles; erin: oidc-dev only; nobody: oidc-root
OIDC_ADMIN, OIDC_DEV = arn(ACCT_A, "oidc-admin"), arn(ACCT_B, "oidc-dev")
OIDC_ROOT = arn(ACCT_A, "oidc-root")

_ready = {}


def browser_missing():
    """None when Chromium, node and tests/js's modules can be used (npm ci
    is tried once when the modules are absent), else why not."""
    if "why" in _ready:
        return _ready["why"]
    why = None
    if not os.access(CHROMIUM, os.X_OK):
        why = f"{CHROMIUM} not installed (Debian chromium)"
    elif not os.access(NODE, os.X_OK):
        why = "node not installed (Debian nodejs)"
    else:
        mods = [os.path.join(JS_DIR, "node_modules", m, "package.json")
                for m in ("playwright-core", "oidc-provider")]
        if not all(map(os.path.isfile, mods)) and os.access(NPM, os.X_OK):
            try:
                subprocess.run([NPM, "ci", "--no-audit", "--no-fund",
                                "--loglevel=error"], cwd=JS_DIR,
                               capture_output=True, timeout=300)
            except (OSError, subprocess.TimeoutExpired):
                pass
        if not all(map(os.path.isfile, mods)):
            why = ("npm modules playwright-core/oidc-provider missing "
                   "(cd tests/js && npm ci)")
    _ready["why"] = why
    return why


def artifacts_dir():
    root = os.environ.get("FEDGATE_ARTIFACTS")
    if not root:
        build = os.path.dirname(os.path.dirname(os.path.abspath(
            H.fedgate_bin())))
        root = os.path.join(build, "tests", "artifacts")
    return os.path.join(root, "screenshots", "login_browser")


def saml_role(acct, name, acs):
    return {"name": name, "account_id": acct, "max_session_duration": 7200,
            "trust_policy": {"Version": "2012-10-17", "Statement": [{
                "Effect": "Allow",
                "Principal": {"Federated": f"arn:aws:iam::{acct}:"
                              f"saml-provider/{SAML_PROVIDER}"},
                "Action": "sts:AssumeRoleWithSAML",
                "Condition": {"StringEquals": {"SAML:aud": acs}}}]}}


def oidc_role(acct, name, hp, group, max_session=7200, client_id=CLIENT_ID):
    return {"name": name, "account_id": acct,
            "max_session_duration": max_session,
            "trust_policy": {"Version": "2012-10-17", "Statement": [{
                "Effect": "Allow",
                "Principal": {"Federated": f"arn:aws:iam::{acct}:"
                              f"oidc-provider/{hp}"},
                "Action": "sts:AssumeRoleWithWebIdentity",
                "Condition": {
                    "StringEquals": {f"{hp}:aud": client_id},
                    "ForAnyValue:StringEquals": {f"{hp}:groups": group}}}]}}


def parse_exp(s):
    return datetime.datetime.strptime(s, "%Y-%m-%dT%H:%M:%SZ").replace(
        tzinfo=datetime.timezone.utc).timestamp()


class OidcProvider:
    """tests/js/oidc_provider.mjs on a free loopback port."""

    def __init__(self, tmp, redirect_uri):
        self.port = H.free_port()
        self.issuer = f"http://127.0.0.1:{self.port}"
        self.host_path = f"127.0.0.1:{self.port}"
        self.secret = os.urandom(24).hex()
        self.log_path = os.path.join(tmp, "oidc-provider.log")
        users = {u: dict(c, password=PW[u]) for u, c in OIDC_USERS.items()}
        self.args = [NODE, OP_SCRIPT, str(self.port), json.dumps({
            "redirect_uris": [redirect_uri], "client_secret": self.secret,
            "users": users})]
        self.proc = None

    def start(self, timeout=20):
        log = open(self.log_path, "ab")
        try:
            self.proc = subprocess.Popen(self.args, cwd=JS_DIR,
                                         stdin=subprocess.DEVNULL,
                                         stdout=subprocess.PIPE, stderr=log)
        finally:
            log.close()
        deadline = time.monotonic() + timeout
        line = self.proc.stdout.readline().decode().strip()
        if line != f"READY {self.port}" or time.monotonic() > deadline:
            self.stop()
            raise RuntimeError(f"oidc-provider did not start ({line!r})\n"
                               f"{self.logs()}")
        return self

    def stop(self):
        if self.proc is None:
            return
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)
        self.proc.stdout.close()

    def logs(self, limit=3000):
        try:
            with open(self.log_path, "rb") as f:
                return ("--- oidc-provider (tail) ---\n" +
                        f.read().decode("utf-8", "replace")[-limit:])
        except OSError:
            return ""


class Web:
    """A cookie-keeping HTTP client for fedgate's pages (no redirects
    followed), for the cases where a browser adds nothing."""

    def __init__(self, fg, cookies=None):
        self.fg = fg
        self.cookies = dict(cookies or {})

    @classmethod
    def from_browser(cls, fg, cookies):
        return cls(fg, {c["name"]: c["value"] for c in cookies
                        if c["domain"] in ("127.0.0.1", ".127.0.0.1")})

    def request(self, method, path, form=None, cookies=None):
        jar = self.cookies if cookies is None else cookies
        h = {}
        if jar:
            h["Cookie"] = "; ".join(f"{k}={v}" for k, v in jar.items())
        body = None
        if form is not None:
            body = urllib.parse.urlencode(form).encode()
            h["Content-Type"] = H.FORM
        conn = http.client.HTTPConnection("127.0.0.1", self.fg.port,
                                          timeout=H.REQ_TIMEOUT)
        try:
            conn.request(method, path, body=body, headers=h)
            r = conn.getresponse()
            resp = H.Response(r.status, r.getheaders(), r.read())
            resp.set_cookies = {}
            for k, v in r.getheaders():
                if k.lower() == "set-cookie":
                    name, _, rest = v.partition("=")
                    value = rest.split(";", 1)[0]
                    resp.set_cookies[name] = value
                    if cookies is None:
                        if value == "" or "Max-Age=0" in v:
                            self.cookies.pop(name, None)
                        else:
                            self.cookies[name] = value
            return resp
        finally:
            conn.close()

    def get(self, path, **kw):
        return self.request("GET", path, **kw)

    def post(self, path, form, **kw):
        return self.request("POST", path, form=form, **kw)


def error_code(resp):
    """code#error-code of a fedgate error page, or None."""
    m = re.search(r'<code[^>]*id="error-code"[^>]*>([^<]*)</code>',
                  resp.text())
    return m.group(1).strip() if m else None


def csrf_of(text):
    m = re.search(r'name="csrf"[^>]*value="([^"]+)"', text) or \
        re.search(r'value="([^"]+)"[^>]*name="csrf"', text)
    return m.group(1) if m else None


class LoginCase(H.FedgateCase):
    """oidc-provider + SimpleSAMLphp (when installed) + one fedgate whose
    login page offers both."""
    idp_running = False
    start_fedgate = False
    use_ssp = True
    client_id = CLIENT_ID

    @classmethod
    def setUpClass(cls):
        # skipped per case (setUp), so every case gets its TAP line
        cls.why = browser_missing()
        if cls.why:
            return
        super().setUpClass()
        cls.ssp_missing = H.simplesamlphp_missing()
        cls.ssp = cls.op = None
        cls.acs = cls.fg.url + "/saml/acs"
        cls.shots = artifacts_dir()
        if not _ready.get("cleaned"):     # this run's pictures only
            shutil.rmtree(cls.shots, ignore_errors=True)
            _ready["cleaned"] = True
        os.makedirs(cls.shots, exist_ok=True)
        try:
            cls.op = OidcProvider(cls.tmp, cls.fg.url + "/oidc/callback")
            cls.op.start()
            cls.secret_file = os.path.join(cls.tmp, "client-secret")
            with open(cls.secret_file, "w") as f:
                f.write(cls.op.secret)
            os.chmod(cls.secret_file, 0o600)
            cls.sp_key = os.path.join(cls.tmp, "sp", "sp.key")
            cls.sp_cert = os.path.join(cls.tmp, "sp", "sp.crt")
            os.makedirs(os.path.dirname(cls.sp_key), mode=0o700)
            subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048",
                            "-sha256", "-nodes", "-days", "2",
                            "-subj", "/CN=fedgate-login-sp",
                            "-keyout", cls.sp_key, "-out", cls.sp_cert],
                           check=True, capture_output=True, timeout=60)
            os.chmod(cls.sp_key, 0o600)
            if not cls.use_ssp:
                cls.ssp_missing = "not used by this class"
            if not cls.ssp_missing:
                cls.start_ssp()
            cls.fg.config = cls.login_config()
            cls.fg.start()
        except Exception:
            cls.stop_idps()
            cls._cleanup()
            raise

    @classmethod
    def start_ssp(cls):
        """SimpleSAMLphp from the base templates plus simplesamlphp/login/
        (users with several roles, fedgate as an SP whose AuthnRequests
        must be signed)."""
        tdir = os.path.join(cls.tmp, "ssp-templates")
        os.makedirs(os.path.join(tdir, "metadata"))
        for rel, src in (("config.php", SSP_BASE),
                         ("metadata/saml20-idp-hosted.php", SSP_BASE),
                         ("authsources.php", SSP_LOGIN),
                         ("metadata/saml20-sp-remote.php", SSP_LOGIN)):
            shutil.copyfile(os.path.join(src, rel), os.path.join(tdir, rel))
        cls.ssp = H.SimpleSAMLphp(cls.tmp, tdir, {
            "ACCOUNT_A": ACCT_A, "ACCOUNT_B": ACCT_B,
            "PROVIDER": SAML_PROVIDER, "ALICEPASS": PW["alice"],
            "BOBPASS": PW["bob"], "SP_ENTITY": SP_ENTITY,
            "SP_ACS": cls.acs, "SP_CERT": cls.sp_cert})
        cls.ssp.start()
        cls.metadata_file = os.path.join(cls.tmp, "ssp-metadata.xml")
        with open(cls.metadata_file, "wb") as f:
            f.write(cls.ssp.metadata())

    @classmethod
    def login_config(cls):
        hp = cls.op.host_path
        providers = [{
            "name": OIDC_PROVIDER, "type": "oidc", "issuer": cls.op.issuer,
            "audiences": [cls.client_id], "algorithms": ["RS256"],
            "login": {"client_id": cls.client_id,
                      "display_name": "Corporate sign-in",
                      "initials": "CS"}}]
        if cls.client_id == CLIENT_ID:
            providers[0]["login"]["client_secret_file"] = cls.secret_file
        roles = [oidc_role(ACCT_A, "oidc-admin", hp, "admins", 3600,
                           cls.client_id),
                 oidc_role(ACCT_B, "oidc-dev", hp, "dev",
                           client_id=cls.client_id),
                 oidc_role(ACCT_A, "oidc-root", hp, "root",
                           client_id=cls.client_id)]
        if cls.ssp is not None:
            providers.append({
                "name": SAML_PROVIDER, "type": "saml",
                "metadata_file": cls.metadata_file,
                "login": {"display_name": "SimpleSAMLphp",
                          "initials": "SS"}})
            roles += [saml_role(a, n, cls.acs) for a, n in (
                (ACCT_A, "ssp-admin"), (ACCT_A, "ssp-dev"),
                (ACCT_B, "ssp-readonly"), (ACCT_B, "ssp-deploy"))]
        return {
            "listen": f"127.0.0.1:{cls.fg.port}",
            "public_url": cls.fg.url,
            "account_id": ACCT_A,
            "state_dir": os.path.join(cls.tmp, "state"),
            "clock_skew_seconds": 60,
            "audit_log": cls.fg.audit_path,
            "accounts": ACCOUNTS,
            "login": {"title": "Example Corp AWS access",
                      "session_lifetime_seconds": 3600,
                      "idle_timeout_seconds": 900},
            "saml_sp": {"entity_id": SP_ENTITY, "cert_file": cls.sp_cert,
                        "key_file": cls.sp_key},
            "providers": providers,
            "roles": roles,
        }

    @classmethod
    def stop_idps(cls):
        if cls.op is not None:
            cls.op.stop()
        if cls.ssp is not None:
            cls.ssp.stop()

    @classmethod
    def tearDownClass(cls):
        if cls.why:
            return
        cls.stop_idps()
        super().tearDownClass()

    def setUp(self):
        if self.why:
            self.skipTest(self.why)

    def run(self, result=None):
        before = (len(result.failures) + len(result.errors)
                  if result is not None else 0)
        r = super().run(result)
        if result is not None and not self.why and \
                len(result.failures) + len(result.errors) > before:
            H.diag(self.op.logs(1500) if self.op else "")
            if self.ssp is not None:
                H.diag(self.ssp.logs(1500))
            H.diag("--- audit (tail) ---\n" + "\n".join(
                json.dumps(a) for a in self.fg.audit_records()[-6:]))
        return r

    # -- helpers --
    def need_ssp(self):
        if self.ssp_missing:
            self.skipTest(f"SimpleSAMLphp IdP unavailable: "
                          f"{self.ssp_missing}")

    def browser(self, flow, label="", expect_ok=True, **params):
        """Run one flow of login_flows.mjs; its JSON result."""
        params.setdefault("base", self.fg.url)
        params.setdefault("shots", self.shots)
        params["prefix"] = self._testMethodName.replace("test_", "") + \
            (f"-{label}" if label else "")
        p = subprocess.run([NODE, FLOWS, flow, json.dumps(params)],
                           cwd=JS_DIR, capture_output=True, text=True,
                           timeout=FLOW_TIMEOUT)
        try:
            out = json.loads(p.stdout.strip().splitlines()[-1])
        except (IndexError, ValueError):
            self.fail(f"login_flows.mjs {flow}: no JSON result "
                      f"(exit {p.returncode})\n{p.stdout[-1000:]}\n"
                      f"{p.stderr[-2000:]}")
        for s in out.get("screenshots", []):
            H.diag(f"screenshot: {s}")
        if expect_ok and not out.get("ok"):
            self.fail(f"browser flow {flow} failed: {out.get('error')} at "
                      f"{out.get('error_at')}\npages: "
                      f"{json.dumps(out.get('pages'))}\n{p.stderr[-2000:]}")
        return out

    def saml_flow(self, flow, user, **kw):
        self.need_ssp()
        return self.browser(flow, provider=SAML_PROVIDER, idp="ssp",
                            user=user, password=PW[user], **kw)

    def oidc_flow(self, flow, user, **kw):
        return self.browser(flow, provider=OIDC_PROVIDER, idp="oidc",
                            user=user, password=PW[user], **kw)

    def idp_initiated_url(self):
        return (self.ssp.url + "/saml2/idp/SSOService.php?" +
                urllib.parse.urlencode({"spentityid": SP_ENTITY}))

    def sts_client(self, creds):
        """boto3 STS with the credential_process JSON's keys, at fedgate."""
        return boto3.session.Session(
            aws_access_key_id=creds["AccessKeyId"],
            aws_secret_access_key=creds["SecretAccessKey"],
            aws_session_token=creds["SessionToken"]).client(
                "sts", endpoint_url=self.fg.url, region_name="us-east-1",
                config=botocore.config.Config(
                    retries={"max_attempts": 1}))

    def check_creds(self, creds, want_arn, duration=None):
        """credential_process JSON shape, then who boto3 says they are."""
        self.assertEqual(creds["Version"], 1, creds)
        self.assertRegex(creds["AccessKeyId"], r"\AASIA[A-Z2-7]{16}\Z")
        self.assertEqual(len(creds["SecretAccessKey"]), 40)
        self.assertGreater(len(creds["SessionToken"]), 40)
        if duration is not None:
            self.assertAlmostEqual(parse_exp(creds["Expiration"]),
                                   time.time() + duration, delta=30,
                                   msg=creds["Expiration"])
        me = self.sts_client(creds).get_caller_identity()
        self.assertEqual(me["Arn"], want_arn)
        self.assertEqual(me["Account"], want_arn.split(":")[4])
        return me

    def check_credentials_page(self, c, want_arn, duration):
        """Every form of the credentials page names the same keys."""
        p = c["process"]
        self.assertIsNotNone(p, f"pre#cred-process is not JSON: "
                             f"{c['process_text']!r}")
        self.check_creds(p, want_arn, duration)
        self.assertIn(f"export AWS_ACCESS_KEY_ID={p['AccessKeyId']}",
                      c["env"])
        self.assertIn(f"export AWS_SECRET_ACCESS_KEY="
                      f"{p['SecretAccessKey']}", c["env"])
        self.assertIn(f"export AWS_SESSION_TOKEN={p['SessionToken']}",
                      c["env"])
        self.assertIn(f"aws_access_key_id = {p['AccessKeyId']}",
                      re.sub(r"[ \t]*=[ \t]*", " = ", c["ini"]))
        self.assertIn(p["SessionToken"], c["ini"])
        self.assertEqual(parse_exp(c["expiration"].replace(".000", "")),
                         parse_exp(p["Expiration"]))
        self.assertTrue(c["countdown"], "span#countdown is empty")
        self.assertTrue(c["has_refresh"], "no form#refresh")
        self.assertTrue({"cred-env", "cred-ini", "cred-process"} <=
                        set(c["copy_buttons"]), c["copy_buttons"])

    def issued(self):
        """Audit records of credentials really issued (not refusals)."""
        return [r for r in self.fg.audit_records()
                if r.get("eventName") in ISSUE_EVENTS and
                (r.get("responseElements") or {}).get("credentials")]

    def events(self, name):
        return [r for r in self.fg.audit_records()
                if r.get("eventName") == name]

    def assert_not_signed_in(self, resp):
        """GET /roles without a valid session: 303 to /login, or a 401
        page; never the picker."""
        if resp.status == 303:
            loc = resp.headers.get("location", "")
            self.assertEqual(urllib.parse.urlsplit(loc).path, "/login", loc)
        else:
            self.assertEqual(resp.status, 401, resp)
            self.assertIn(error_code(resp), ("SessionExpired", "NotSignedIn"))
        self.assertNotIn("role-filter", resp.text())
        self.assertNotIn("cred-process", resp.text())

    def session_for(self, user):
        """A real signed-in session (SAML, SP-initiated): (Web, landing)."""
        out = self.saml_flow("session", user, label=user)
        web = Web.from_browser(self.fg, out["cookies"])
        self.assertIn("fedgate-session", web.cookies, out["cookies"])
        return web, out["landing"]


class TestLoginPages(LoginCase):
    def test_login_page_without_js_and_headers(self):
        """GET /login: both providers as plain links, strict CSP, no
        caching; /roles without a session goes to /login."""
        r = self.fg.get("/login")
        self.assertEqual(r.status, 200, r)
        text = r.text()
        self.assertIn(f'data-provider="{OIDC_PROVIDER}"', text)
        self.assertIn(f'href="/login/{OIDC_PROVIDER}"', text)
        self.assertIn("Corporate sign-in", text)
        self.assertIn("Example Corp AWS access", text)
        if self.ssp is not None:
            self.assertIn(f'href="/login/{SAML_PROVIDER}"', text)
        csp = r.headers.get("content-security-policy", "")
        for d in ("default-src 'none'", "frame-ancestors 'none'",
                  "form-action 'self'"):
            self.assertIn(d, csp)
        self.assertIn("no-store", r.headers.get("cache-control", ""))
        self.assertEqual(r.headers.get("x-frame-options"), "DENY")
        self.assertNotRegex(text, r"(src|href)=\"https?://")
        self.assert_not_signed_in(self.fg.get("/roles"))
        # in the browser, without JavaScript: the buttons, and an error
        # page a newcomer can read (a callback with no flow of this browser)
        out = self.browser("visit", no_js=True, paths=[
            "/login", "/oidc/callback?code=abc&state=def", "/roles"])
        login, err, roles = out["visited"]
        self.assertEqual((login["kind"], login["status"]), ("login", 200))
        self.assertFalse(login["signed_in"])
        self.assertEqual(err["kind"], "error", err)
        self.assertIn(err["status"], (400, 403))
        self.assertTrue(err["error"]["title"] and err["error"]["message"])
        self.assertRegex(err["error"]["code"], r"\A[A-Z][A-Za-z]+\Z")
        self.assertEqual((roles["path"], roles["kind"]), ("/login", "login"))

    def test_saml_sp_initiated_picker_credentials_refresh_logout(self):
        """alice (four roles in two accounts) via SimpleSAMLphp's login
        form: the picker groups by account with names, the filter works;
        the chosen role's keys are who boto3 says; refresh gives new keys;
        logout ends the session."""
        self.need_ssp()
        n_login = len(self.events("WebLogin"))
        out = self.saml_flow("web", "alice", filter="deploy",
                             role_arn=SSP_RO, duration=900, refresh=True,
                             logout=True, countdown=True)
        # the IdP was really asked (signed AuthnRequest over Redirect)
        idp_pages = [p for p in out["pages"]
                     if p["url"].startswith(self.ssp.url)]
        self.assertTrue(any("SAMLRequest" in p["url"] and
                            "Signature" in p["url"] for p in idp_pages),
                        idp_pages)
        land = out["landing"]
        self.assertEqual(land["kind"], "roles", land)
        self.assertTrue(land["signed_in"])
        accts = {s["account"]: s for s in land["roles"]}
        self.assertEqual(set(accts), {ACCT_A, ACCT_B})
        self.assertIn("prod", accts[ACCT_A]["heading"])
        self.assertIn(ACCT_A, accts[ACCT_A]["heading"])
        self.assertIn("staging", accts[ACCT_B]["heading"])
        self.assertEqual(sorted(r["arn"] for r in accts[ACCT_A]["roles"]),
                         [SSP_ADMIN, SSP_DEV])
        self.assertEqual(sorted(r["arn"] for r in accts[ACCT_B]["roles"]),
                         [SSP_DEPLOY, SSP_RO])
        self.assertEqual(out["filtered"], [SSP_DEPLOY])
        self.assertEqual(sorted(out["unfiltered"]),
                         sorted([SSP_ADMIN, SSP_DEV, SSP_RO, SSP_DEPLOY]))
        # durations stop at the role's max (7200)
        ro = [r for r in accts[ACCT_B]["roles"] if r["arn"] == SSP_RO][0]
        self.assertIn("900", ro["durations"])
        self.assertTrue(all(int(d) <= 7200 for d in ro["durations"]), ro)
        c = out["credentials"]
        self.check_credentials_page(
            c, assumed(ACCT_B, "ssp-readonly", "alice@example.com"), 900)
        ticks = c["countdown_ticks"]
        self.assertNotEqual(ticks[0], ticks[1],
                            "the countdown does not tick (fedgate.js)")
        self.assertRegex(ticks[1], r"\bmin\b")
        # refresh: new keys for the same role, no new IdP login
        ref = out["refreshed"]
        self.assertEqual(ref["kind"], "credentials", ref)
        c2 = ref["credentials"]
        self.assertNotEqual(c2["process"]["AccessKeyId"],
                            c["process"]["AccessKeyId"])
        self.check_credentials_page(
            c2, assumed(ACCT_B, "ssp-readonly", "alice@example.com"), 900)
        self.assertFalse([p for p in out["pages"][-4:]
                          if p["url"].startswith(self.ssp.url)])
        # logout, then /roles is the login page again
        self.assertFalse(out["signed_out"]["signed_in"])
        self.assertEqual(out["after_logout"]["path"], "/login",
                         out["after_logout"])
        # no CSP violation or script error on fedgate's own pages
        self.assertEqual([e for e in out["console_errors"]
                          if e["url"].startswith(self.fg.url) and
                          not e["url"].endswith("/favicon.ico")], [])
        # audit: login, role choice, two issues, logout; no secrets
        self.assertEqual(len(self.events("WebLogin")), n_login + 1)
        sel = [r for r in self.events("WebRoleSelected")
               if SSP_RO in json.dumps(r)]
        self.assertTrue(sel, "no WebRoleSelected record")
        iss = [r for r in self.issued()
               if c["process"]["AccessKeyId"] in json.dumps(r) or
               c2["process"]["AccessKeyId"] in json.dumps(r)]
        self.assertEqual(len(iss), 2, iss)
        self.assertTrue(self.events("WebLogout"))
        text = json.dumps(self.fg.audit_records())
        for secret in (c["process"]["SecretAccessKey"],
                       c["process"]["SessionToken"][:40]):
            self.assertNotIn(secret, text)

    def test_saml_idp_initiated_one_role_skips_picker(self):
        """bob from SimpleSAMLphp's IdP-initiated URL (no AuthnRequest):
        one admitted role, so the credentials page comes straight away."""
        self.need_ssp()
        out = self.saml_flow("web", "bob", start=self.idp_initiated_url())
        self.assertFalse([p for p in out["pages"]
                          if "SAMLRequest" in p["url"]], out["pages"])
        land = out["landing"]
        self.assertEqual(land["kind"], "credentials", land)
        self.check_credentials_page(
            land["credentials"], assumed(ACCT_A, "ssp-dev",
                                         "bob@example.com"), 3600)

    def test_oidc_code_pkce_picker(self):
        """dana via oidc-provider (code flow, PKCE S256, state, nonce):
        her groups admit two roles in two accounts."""
        out = self.oidc_flow("web", "dana", role_arn=OIDC_ADMIN,
                             duration=900, copy=True)
        auth = [p for p in out["pages"]
                if p["url"].startswith(self.op.issuer + "/auth")]
        self.assertTrue(auth, out["pages"])
        q = auth[0]["url"].split("?", 1)[1].split("&")
        for k in ("response_type", "client_id", "redirect_uri", "state",
                  "nonce", "code_challenge", "code_challenge_method"):
            self.assertIn(k, q)
        land = out["landing"]
        self.assertEqual(land["kind"], "roles", land)
        got = {s["account"]: [r["arn"] for r in s["roles"]]
               for s in land["roles"]}
        self.assertEqual(got, {ACCT_A: [OIDC_ADMIN], ACCT_B: [OIDC_DEV]})
        # oidc-admin's max is 1 h: the menu stops there
        adm = land["roles"][[s["account"] for s in land["roles"]]
                            .index(ACCT_A)]["roles"][0]
        self.assertTrue(all(int(d) <= 3600 for d in adm["durations"]), adm)
        c = out["credentials"]
        self.check_credentials_page(
            c, assumed(ACCT_A, "oidc-admin", "dana@example.com"), 900)
        self.assertEqual(json.loads(out["copied"]), c["process"],
                         "the copy button did not copy the JSON")
        rec = [r for r in self.events("AssumeRoleWithWebIdentity")
               if c["process"]["AccessKeyId"] in json.dumps(r)]
        self.assertEqual(len(rec), 1, rec)

    def test_oidc_one_role_skips_picker_without_js(self):
        """erin's groups admit one role: the credentials page straight
        after sign-in; with JavaScript off, as the pages promise."""
        out = self.oidc_flow("web", "erin", no_js=True)
        land = out["landing"]
        self.assertEqual(land["kind"], "credentials", land)
        self.check_credentials_page(
            land["credentials"], assumed(ACCT_B, "oidc-dev",
                                         "erin@example.com"), 3600)

    def test_oidc_wrong_password_stays_at_idp(self):
        """The IdP's form really checks: no fedgate session without it."""
        out = self.browser("web", provider=OIDC_PROVIDER, idp="oidc",
                           user="dana", password="wrong",
                           expect_idp_error=True)
        self.assertTrue(out["idp_error"]["at_idp"], out["idp_error"])
        self.assertIn("Wrong username or password",
                      out["idp_error"]["message"] or "")
        self.assertFalse([p for p in out["pages"]
                          if p["url"].startswith(self.fg.url + "/oidc")])


class TestPublicClient(LoginCase):
    """A provider login: block with no client secret: the public client
    fedgate-public, PKCE alone binds the code to this browser."""
    use_ssp = False
    client_id = "fedgate-public"

    def test_public_client_code_pkce(self):
        out = self.oidc_flow("web", "dana", role_arn=OIDC_DEV)
        self.assertEqual(out["landing"]["kind"], "roles", out["landing"])
        self.check_credentials_page(
            out["credentials"], assumed(ACCT_B, "oidc-dev",
                                        "dana@example.com"), 3600)


class TestLoginRefusals(LoginCase):
    def test_tampered_and_forged_session_cookies(self):
        """A flipped byte, an expired or idle session sealed with the real
        key ring: never signed in, nothing issued. The same cookie resealed
        unchanged still works, so the forging itself is sound."""
        web, land = self.session_for("alice")
        self.assertEqual(land["kind"], "roles", land)
        csrf = land["csrf"]
        self.assertTrue(csrf)
        r = web.get("/roles")
        self.assertEqual(r.status, 200, r)
        self.assertIn("role-filter", r.text())
        value = web.cookies["fedgate-session"]
        n_issued = len(self.issued())
        mid = len(value) // 2
        flipped = value[:mid] + ("A" if value[mid] != "A" else "B") + \
            value[mid + 1:]
        bad = {"fedgate-session": flipped}
        self.assert_not_signed_in(web.get("/roles", cookies=bad))
        r = web.post("/credentials", {"csrf": csrf, "role_arn": SSP_DEV,
                                      "duration": "900"}, cookies=bad)
        self.assertIn(r.status, (401, 303), r)
        self.assertNotIn("cred-process", r.text())
        # forged with the key ring: the web session JSON of websess.c
        keys = H.keyring_keys(os.path.join(self.tmp, "state"))
        sess = H.web_cookie_open(keys, "session", value)
        self.assertEqual(sess["csrf"], csrf)
        kid, key = keys[-1]
        now = int(time.time())
        same = H.web_cookie_seal(kid, key, "session", sess)
        self.assertEqual(web.get("/roles", cookies={
            "fedgate-session": same}).status, 200)
        for name, change in (
                ("expired", {"iat": now - 3600 - 120, "seen": now - 10}),
                ("idle", {"seen": now - 900 - 60}),
                ("future", {"iat": now + 3600})):
            with self.subTest(name):
                forged = H.web_cookie_seal(kid, key, "session",
                                           dict(sess, **change))
                jar = {"fedgate-session": forged}
                self.assert_not_signed_in(web.get("/roles", cookies=jar))
                r = web.post("/credentials", {
                    "csrf": csrf, "role_arn": SSP_DEV, "duration": "900"},
                    cookies=jar)
                self.assertIn(r.status, (401, 303), r)
                self.assertNotIn("cred-process", r.text())
        self.assertEqual(len(self.issued()), n_issued)

    def test_csrf_missing_or_wrong(self):
        """POST /credentials and /logout without the session's CSRF token:
        refused, nothing issued, the session still alive; with it, the
        same form works (so the refusal was the token)."""
        web, land = self.session_for("alice")
        csrf = land["csrf"]
        n_issued = len(self.issued())
        form = {"role_arn": SSP_DEV, "duration": "900"}
        r = web.post("/credentials", form)
        self.assertIn(r.status, (400, 403), r)
        self.assertIn(error_code(r), ("MissingCSRFToken", "InvalidCSRFToken"))
        r = web.post("/credentials", dict(form, csrf=csrf[:-2] + "xx"))
        self.assertEqual(r.status, 403, r)
        self.assertEqual(error_code(r), "InvalidCSRFToken")
        r = web.post("/logout", {})
        self.assertIn(r.status, (400, 403), r)
        r = web.post("/logout", {"csrf": "0" * len(csrf)})
        self.assertEqual(r.status, 403, r)
        self.assertEqual(error_code(r), "InvalidCSRFToken")
        self.assertEqual(len(self.issued()), n_issued)
        self.assertEqual(web.get("/roles").status, 200)
        r = web.post("/credentials", dict(form, csrf=csrf))
        self.assertEqual(r.status, 200, r)
        self.assertIn("cred-process", r.text())
        self.assertEqual(len(self.issued()), n_issued + 1)
        # a real logout ends the session for a copied cookie too
        old = dict(web.cookies)
        r = web.post("/logout", {"csrf": csrf})
        self.assertEqual(r.status, 200, r)
        self.assert_not_signed_in(web.get("/roles", cookies=old))
        r = web.post("/credentials", dict(form, csrf=csrf), cookies=old)
        self.assertIn(r.status, (401, 303), r)
        self.assertEqual(len(self.issued()), n_issued + 1)

    def test_role_not_admitted(self):
        """bob's Role attribute names ssp-dev only: ssp-admin (whose trust
        policy alone would let him in) and an OIDC role are refused."""
        self.need_ssp()
        out = self.saml_flow("session", "bob", label="bob",
                             start=self.idp_initiated_url())
        web = Web.from_browser(self.fg, out["cookies"])
        csrf = out["landing"]["csrf"]
        self.assertTrue(csrf, out["landing"])
        n_issued = len(self.issued())
        for role in (SSP_ADMIN, OIDC_ADMIN, arn(ACCT_A, "no-such-role")):
            with self.subTest(role):
                r = web.post("/credentials", {"csrf": csrf, "role_arn": role,
                                              "duration": "900"})
                self.assertEqual(r.status, 403, r)
                self.assertEqual(error_code(r), "AccessDenied")
                self.assertNotIn("ASIA", r.text())
        self.assertEqual(len(self.issued()), n_issued)

    def test_relay_state_from_another_browser(self):
        """Browsers A and B both start SP-initiated logins; A's
        SAMLResponse + RelayState posted with B's cookies is refused,
        B's own is accepted."""
        a = self.saml_flow("capture", "alice", label="A",
                           stop_at="/saml/acs")
        b = self.saml_flow("capture", "alice", label="B",
                           stop_at="/saml/acs")
        fa, fb = a["request"]["form"], b["request"]["form"]
        self.assertTrue(fa.get("RelayState") and fb.get("RelayState"))
        self.assertNotEqual(fa["RelayState"], fb["RelayState"])
        web_b = Web.from_browser(self.fg, b["cookies"])
        self.assertIn("fedgate-flow", web_b.cookies)
        r = web_b.post("/saml/acs", fa)
        self.assertIn(r.status, (400, 403), r)
        self.assertIn(error_code(r), ("InvalidRelayState", "InvalidState"))
        self.assertNotIn("fedgate-session", r.set_cookies)
        # A's RelayState with B's own response: refused as well
        r = web_b.post("/saml/acs", dict(fb, RelayState=fa["RelayState"]))
        self.assertIn(r.status, (400, 403), r)
        self.assertNotIn("fedgate-session", r.set_cookies)
        r = Web.from_browser(self.fg, b["cookies"]).post("/saml/acs", fb)
        self.assertEqual(r.status, 303, r)
        self.assertEqual(r.headers.get("location"), "/roles")
        self.assertTrue(r.set_cookies.get("fedgate-session"))

    def test_saml_response_replayed(self):
        """The same SAMLResponse twice: accepted once. SP-initiated (with
        the flow cookie it was made for) and IdP-initiated."""
        cap = self.saml_flow("capture", "alice", label="sp",
                             stop_at="/saml/acs")
        web = Web.from_browser(self.fg, cap["cookies"])
        r = web.post("/saml/acs", cap["request"]["form"])
        self.assertEqual(r.status, 303, r)
        self.assertTrue(r.set_cookies.get("fedgate-session"))
        r = Web.from_browser(self.fg, cap["cookies"]).post(
            "/saml/acs", cap["request"]["form"])
        self.assertIn(r.status, (400, 403), r)
        self.assertTrue(error_code(r), r)
        self.assertNotIn("fedgate-session", r.set_cookies)
        idp = self.saml_flow("capture", "bob", label="idp",
                             start=self.idp_initiated_url(),
                             stop_at="/saml/acs")
        form = idp["request"]["form"]
        r = Web(self.fg).post("/saml/acs", form)
        self.assertEqual(r.status, 303, r)
        self.assertTrue(r.set_cookies.get("fedgate-session"))
        r = Web(self.fg).post("/saml/acs", form)
        self.assertIn(r.status, (400, 403), r)
        self.assertNotIn("fedgate-session", r.set_cookies)
        fails = [x for x in self.events("WebLogin")
                 if "replay" in json.dumps(x)]
        self.assertTrue(fails, "no WebLogin failure naming the replay")

    def test_oidc_state_mismatch(self):
        """The callback's state must be the one this browser's flow cookie
        holds: a changed state, or another browser's code and state, are
        refused; the browser's own callback works."""
        a = self.oidc_flow("capture", "dana", label="A",
                           stop_at="/oidc/callback")
        b = self.oidc_flow("capture", "dana", label="B",
                           stop_at="/oidc/callback")
        qa, qb = a["request"]["query"], b["request"]["query"]
        self.assertTrue(qa.get("code") and qa.get("state"))
        web_a = Web.from_browser(self.fg, a["cookies"])
        web_b = Web.from_browser(self.fg, b["cookies"])
        tampered = dict(qa, state=qa["state"][:-3] + "abc")
        r = web_a.get("/oidc/callback?" + urllib.parse.urlencode(tampered))
        self.assertEqual(r.status, 403, r)
        self.assertEqual(error_code(r), "InvalidState")
        self.assertNotIn("fedgate-session", r.set_cookies)
        r = web_b.get("/oidc/callback?" + urllib.parse.urlencode(qa))
        self.assertEqual(r.status, 403, r)
        self.assertEqual(error_code(r), "InvalidState")
        self.assertNotIn("fedgate-session", r.set_cookies)
        r = Web.from_browser(self.fg, b["cookies"]).get(
            "/oidc/callback?" + urllib.parse.urlencode(qb))
        self.assertEqual(r.status, 303, r)
        self.assertEqual(r.headers.get("location"), "/roles")
        self.assertTrue(r.set_cookies.get("fedgate-session"))


class TestLoginCli(LoginCase):
    """`fedgate login` with $BROWSER handing the URL to Playwright."""

    def setUp(self):
        super().setUp()
        self.home = os.path.join(self.tmp, "home-" + self._testMethodName)
        os.makedirs(self.home)
        self.url_file = os.path.join(self.home, "browser-url")
        self.browser_sh = os.path.join(self.home, "browser.sh")
        with open(self.browser_sh, "w") as f:
            f.write(f'#!/bin/sh\nprintf "%s\\n" "$1" > "{self.url_file}.tmp"'
                    f' && mv "{self.url_file}.tmp" "{self.url_file}"\n')
        os.chmod(self.browser_sh, stat.S_IRWXU)
        self.env = {k: v for k, v in os.environ.items()
                    if not k.startswith("AWS_")}
        self.env.update({"HOME": self.home, "BROWSER": self.browser_sh,
                         "XDG_CACHE_HOME": os.path.join(self.home, "cache")})

    def login_argv(self, role):
        return [H.fedgate_bin(), "login", "--url", self.fg.url,
                "--role", role, "--format", "credential_process",
                "--timeout", "60"]

    def wait_url(self, proc, timeout=15):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if os.path.exists(self.url_file):
                with open(self.url_file) as f:
                    return f.read().strip()
            if proc.poll() is not None:
                break
            time.sleep(0.05)
        proc.kill()
        out, err = proc.communicate()
        self.fail(f"fedgate login never opened the browser: {err}")

    def test_cli_login_cache_and_credential_process(self):
        argv = self.login_argv(OIDC_ADMIN)
        proc = subprocess.Popen(argv, env=self.env, stdin=subprocess.DEVNULL,
                                stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, text=True)
        try:
            url = self.wait_url(proc)
            u = urllib.parse.urlsplit(url)
            q = urllib.parse.parse_qs(u.query)
            self.assertEqual(f"{u.scheme}://{u.netloc}{u.path}",
                             self.fg.url + "/login")
            for k in ("cli_port", "cli_state", "cli_challenge"):
                self.assertIn(k, q)
            self.assertEqual(q["role"], [OIDC_ADMIN])
            out = self.oidc_flow("cli", "dana", start=url)
            self.assertEqual(out["landing"]["kind"], "cli-confirm")
            self.assertIn(q["cli_port"][0], out["landing"]["cli_text"])
            self.assertIn("oidc-admin", out["landing"]["cli_text"])
            self.assertTrue(out["cli_page"]["url"].startswith(
                f"http://127.0.0.1:{q['cli_port'][0]}/callback"))
            self.assertEqual(out["cli_page"]["status"], 200, out["cli_page"])
            stdout, stderr = proc.communicate(timeout=30)
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.communicate()
        self.assertEqual(proc.returncode, 0, stderr)
        self.assertIn(url, stderr)          # the URL goes to stderr too
        creds = json.loads(stdout)
        self.check_creds(creds, assumed(ACCT_A, "oidc-admin",
                                        "dana@example.com"), 3600)
        self.assertNotIn(creds["SecretAccessKey"], stderr)
        # the code the browser carried is worthless to anyone else: the
        # CLI redeemed it once, and it is bound to the CLI's verifier
        self.assertEqual(out["cli_callback"].get("state"),
                         q["cli_state"][0])
        r = Web(self.fg).post("/login/cli/redeem", {
            "code": out["cli_callback"]["code"],
            "code_verifier": H.b64url(os.urandom(32))})
        self.assertIn(r.status, (400, 403), r)
        self.assertTrue(json.loads(r.body)["Error"]["Code"], r)
        self.assertNotIn("ASIA", r.text())
        # again: the cached result, no browser
        os.unlink(self.url_file)
        t0 = time.monotonic()
        p = subprocess.run(argv, env=self.env, stdin=subprocess.DEVNULL,
                           capture_output=True, text=True, timeout=20)
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertEqual(json.loads(p.stdout), creds)
        self.assertLess(time.monotonic() - t0, 5)
        self.assertFalse(os.path.exists(self.url_file),
                         "the cached run opened a browser")
        cache = os.path.join(self.env["XDG_CACHE_HOME"], "fedgate")
        self.assertEqual(stat.S_IMODE(os.stat(cache).st_mode), 0o700)
        for name in os.listdir(cache):
            self.assertEqual(stat.S_IMODE(os.stat(
                os.path.join(cache, name)).st_mode), 0o600)
        # as credential_process of a profile: boto3 runs the command
        cfg = os.path.join(self.home, "aws-config")
        with open(cfg, "w") as f:
            f.write("[profile fedgate]\nregion = us-east-1\n"
                    "credential_process = " + " ".join(argv) + "\n")
        with mock.patch.dict(os.environ, {
                "HOME": self.home, "BROWSER": self.browser_sh,
                "XDG_CACHE_HOME": self.env["XDG_CACHE_HOME"],
                "AWS_CONFIG_FILE": cfg,
                "AWS_SHARED_CREDENTIALS_FILE": cfg + ".none",
                "AWS_EC2_METADATA_DISABLED": "true"}):
            for k in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY",
                      "AWS_SESSION_TOKEN", "AWS_PROFILE"):
                os.environ.pop(k, None)
            s = boto3.session.Session(
                botocore_session=botocore.session.Session(),
                profile_name="fedgate")
            me = s.client("sts", endpoint_url=self.fg.url,
                          region_name="us-east-1").get_caller_identity()
            got = s.get_credentials().get_frozen_credentials()
        self.assertEqual(me["Arn"], assumed(ACCT_A, "oidc-admin",
                                            "dana@example.com"))
        self.assertEqual(got.access_key, creds["AccessKeyId"])
        self.assertFalse(os.path.exists(self.url_file))


if __name__ == "__main__":
    unittest.main()
