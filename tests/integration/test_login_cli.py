"""`fedgate login`, the CLI side: CONTRACT TESTS against a stand-in server.

These run the real `fedgate login` binary against FakeFedgate below, a
small http.server that plays fedgate's /login and /login/cli/redeem as the
PROTOCOL in gateway/logincmd.h describes them. It checks what the CLI
sends (challenge == b64url(sha256(verifier)), one-time codes, the form
encoding), and the test itself plays the browser: $BROWSER is a script
that records the URL it is given, the test GETs it from the fake (which
answers with the redirect to http://127.0.0.1:P/callback) and then follows
that redirect to the CLI's loopback listener.

They pin only the CLI's half of the contract. End-to-end tests against
the real gateway/login.c belong in their own file.
"""
import base64
import configparser
import hashlib
import http.client
import http.server
import json
import os
import re
import secrets
import shutil
import socket
import stat
import subprocess
import tempfile
import threading
import time
import unittest
import urllib.parse

import fedgate_harness as H

ROLE = "arn:aws:iam::111122223333:role/team/dev-role"
WAIT = 15  # seconds any single step may take


def b64url(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def iso(t):
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(t))


class FakeFedgate:
    """fedgate's /login and /login/cli/redeem, as the CLI expects them.

    mode selects what redeem answers: "ok", "error", "inject", "version2",
    "dupkey", "big", "redirect", "expired".
    """

    def __init__(self):
        self.lock = threading.Lock()
        self.codes = {}  # code -> {"challenge", "used"}
        self.logins = []  # query dicts of GET /login
        self.redeems = []  # form dicts of POST /login/cli/redeem
        self.other = []  # any other request path
        self.violations = []  # protocol breaches by the CLI
        self.mode = "ok"
        self.lifetime = 3600
        self.issued = []  # credential dicts handed out
        fake = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def log_message(self, *a):
                pass

            def do_GET(self):
                fake._get(self)

            def do_POST(self):
                fake._post(self)

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0),
                                                     Handler)
        self.port = self.httpd.server_address[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self.thread = threading.Thread(target=self.httpd.serve_forever,
                                       daemon=True)
        self.thread.start()

    def stop(self):
        self.httpd.shutdown()
        self.httpd.server_close()

    def requests(self):
        with self.lock:
            return len(self.logins) + len(self.redeems) + len(self.other)

    def _send(self, h, status, body, headers=()):
        data = body.encode() if isinstance(body, str) else body
        h.send_response(status)
        for k, v in headers:
            h.send_header(k, v)
        h.send_header("Content-Length", str(len(data)))
        h.end_headers()
        h.wfile.write(data)

    def _get(self, h):
        u = urllib.parse.urlsplit(h.path)
        if u.path != "/login":
            with self.lock:
                self.other.append(h.path)
            return self._send(h, 404, "not found")
        q = urllib.parse.parse_qs(u.query, keep_blank_values=True,
                                  strict_parsing=True)
        q = {k: v[0] for k, v in q.items()}
        with self.lock:
            self.logins.append(q)
        # A code with characters that must be percent-encoded both on the
        # callback and in the redeem form.
        code = "c+/=%&" + secrets.token_urlsafe(24)
        with self.lock:
            self.codes[code] = {"challenge": q["cli_challenge"],
                                "used": False}
        loc = (f"http://127.0.0.1:{q['cli_port']}/callback?" +
               urllib.parse.urlencode({"code": code,
                                       "state": q["cli_state"]}))
        self._send(h, 302, "", [("Location", loc)])

    def _creds(self):
        c = {"Version": 1,
             "AccessKeyId": "ASIA" + secrets.token_hex(8).upper(),
             "SecretAccessKey": b64url(os.urandom(30)),
             "SessionToken": "fg1." + b64url(os.urandom(120)),
             "Expiration": iso(int(time.time()) + self.lifetime)}
        with self.lock:
            self.issued.append(c)
        return c

    def _post(self, h):
        n = int(h.headers.get("Content-Length", "0"))
        body = h.rfile.read(n).decode()
        if h.path != "/login/cli/redeem":
            with self.lock:
                self.other.append(h.path)
            return self._send(h, 404, "not found")
        ctype = h.headers.get("Content-Type", "")
        form = urllib.parse.parse_qs(body, keep_blank_values=True,
                                     strict_parsing=True)
        form = {k: v[0] for k, v in form.items()}
        with self.lock:
            self.redeems.append(form)
            entry = self.codes.get(form.get("code"))
            problem = None
            if ctype != "application/x-www-form-urlencoded":
                problem = f"content type {ctype!r}"
            elif set(form) != {"code", "code_verifier"}:
                problem = f"form fields {sorted(form)}"
            elif entry is None:
                problem = "unknown code"
            elif entry["used"]:
                problem = "code used twice"
            elif b64url(hashlib.sha256(form["code_verifier"].encode())
                        .digest()) != entry["challenge"]:
                problem = "verifier does not match the challenge"
            if entry is not None:
                entry["used"] = True
            if problem:
                self.violations.append(problem)
        if problem:
            return self._json(h, 400, {"Error": {
                "Code": "InvalidGrant", "Message": problem}})
        return self._answer(h)

    def _json(self, h, status, doc):
        self._send(h, status, json.dumps(doc),
                   [("Content-Type", "application/json")])

    def _answer(self, h):
        mode = self.mode
        if mode == "error":
            return self._json(h, 400, {"Error": {
                "Code": "InvalidGrant",
                "Message": "the sign-in code has expired"}})
        if mode == "redirect":
            return self._send(h, 307, "", [
                ("Location", f"{self.url}/stolen")])
        c = self._creds()
        if mode == "inject":
            c["AccessKeyId"] = "ASIA$(touch pwned)"
        elif mode == "version2":
            c["Version"] = 2
        elif mode == "expired":
            c["Expiration"] = iso(int(time.time()) - 60)
        elif mode == "dupkey":
            text = json.dumps(c)[:-1] + ', "AccessKeyId": "ASIAOTHER"}'
            return self._send(h, 200, text,
                              [("Content-Type", "application/json")])
        elif mode == "big":
            c["Padding"] = "x" * 70000
        return self._json(h, 200, c)


class LoginCase(unittest.TestCase):
    """One temp HOME/XDG_CACHE_HOME and one FakeFedgate per test."""

    def setUp(self):
        self.bin = H.fedgate_bin()
        self.tmp = tempfile.mkdtemp(prefix="fedgate-login-")
        self.cache = os.path.join(self.tmp, "cache")
        self.browser_log = os.path.join(self.tmp, "browser.log")
        self.browser = os.path.join(self.tmp, "browser.sh")
        with open(self.browser, "w") as f:
            f.write("#!/bin/sh\n"
                    f"printf '%s %s\\n' \"$#\" \"$1\" >> '{self.browser_log}'\n"
                    "echo 'browser chatter on stdout'\n")
        os.chmod(self.browser, 0o755)
        self.fake = FakeFedgate()
        self.runs = 0

    def tearDown(self):
        self.fake.stop()
        if not os.environ.get("FEDGATE_KEEP_TMP"):
            shutil.rmtree(self.tmp, ignore_errors=True)

    def env(self, **extra):
        env = dict(os.environ)
        env.update(HOME=os.path.join(self.tmp, "home"),
                   XDG_CACHE_HOME=self.cache, BROWSER=self.browser,
                   # The redeem POST to a loopback URL must never go
                   # through a proxy: these point nowhere.
                   http_proxy="http://127.0.0.1:9", HTTPS_PROXY=
                   "http://127.0.0.1:9", ALL_PROXY="http://127.0.0.1:9")
        env.pop("no_proxy", None)
        env.pop("NO_PROXY", None)
        env.update(extra)
        return env

    def start(self, *args, url=None, env=None):
        self.runs += 1
        self.errfile = os.path.join(self.tmp, f"stderr.{self.runs}")
        err = open(self.errfile, "w")
        argv = [self.bin, "login", "--url", url or self.fake.url] + \
            list(args)
        p = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=err,
                             stdin=subprocess.DEVNULL,
                             env=env or self.env())
        err.close()
        return p

    def stderr(self):
        with open(self.errfile) as f:
            return f.read()

    def finish(self, p, timeout=WAIT):
        out, _ = p.communicate(timeout=timeout)
        return p.returncode, out.decode(), self.stderr()

    def browser_urls(self):
        try:
            with open(self.browser_log) as f:
                return [line.rstrip("\n") for line in f]
        except FileNotFoundError:
            return []

    def wait_browser(self, p, n=1):
        """The URL the n-th $BROWSER run got (it must get exactly one arg)."""
        end = time.time() + WAIT
        while time.time() < end:
            urls = self.browser_urls()
            if len(urls) >= n:
                argc, url = urls[n - 1].split(" ", 1)
                self.assertEqual(argc, "1", "BROWSER gets one argument")
                return url
            if p.poll() is not None:
                self.fail(f"fedgate login exited {p.returncode}: "
                          f"{self.stderr()}")
            time.sleep(0.05)
        self.fail("BROWSER was never run")

    def authorize(self, url):
        """Play the user at the login page: the redirect it answers with."""
        u = urllib.parse.urlsplit(url)
        c = http.client.HTTPConnection(u.hostname, u.port, timeout=WAIT)
        c.request("GET", u.path + "?" + u.query)
        r = c.getresponse()
        r.read()
        c.close()
        self.assertEqual(r.status, 302)
        return r.getheader("Location")

    def get(self, url, method="GET"):
        u = urllib.parse.urlsplit(url)
        c = http.client.HTTPConnection(u.hostname, u.port, timeout=WAIT)
        c.request(method, u.path + ("?" + u.query if u.query else ""))
        r = c.getresponse()
        body = r.read().decode()
        c.close()
        return r.status, r, body

    def login(self, *args, **kw):
        """A whole successful run: (stdout, stderr, login URL)."""
        p = self.start(*args, **kw)
        url = self.wait_browser(p, len(self.browser_urls()) + 1)
        status, _, body = self.get(self.authorize(url))
        self.assertEqual(status, 200, body)
        rc, out, err = self.finish(p)
        self.assertEqual(rc, 0, err)
        self.assertEqual(self.fake.violations, [])
        return out, err, url

    def cache_files(self):
        d = os.path.join(self.cache, "fedgate")
        return sorted(os.listdir(d)) if os.path.isdir(d) else []

    def cache_path(self, role="", duration=0, url=None):
        key = f"{url or self.fake.url}\n{role}\n{duration}".encode()
        return os.path.join(self.cache, "fedgate",
                            hashlib.sha256(key).hexdigest()[:32])

    def expected_json(self, c):
        return ('{"Version":1,"AccessKeyId":"%s","SecretAccessKey":"%s",'
                '"SessionToken":"%s","Expiration":"%s"}' %
                (c["AccessKeyId"], c["SecretAccessKey"], c["SessionToken"],
                 c["Expiration"]))


class TestLoginFlow(LoginCase):
    """CLI-side contract: the flow and the three output formats."""

    def test_credential_process_output_and_protocol(self):
        out, err, url = self.login("--role", ROLE, "--duration", "3600")
        issued = self.fake.issued[-1]
        self.assertEqual(out, self.expected_json(issued) + "\n")
        self.assertIn("fedgate login: open this URL to sign in:\n  " + url +
                      "\n", err)
        self.assertNotIn("browser chatter", out)
        # The login URL (PROTOCOL step 2).
        u = urllib.parse.urlsplit(url)
        self.assertEqual(f"{u.scheme}://{u.netloc}", self.fake.url)
        self.assertEqual(u.path, "/login")
        q = dict(urllib.parse.parse_qsl(u.query, strict_parsing=True))
        self.assertEqual(set(q), {"cli_port", "cli_state", "cli_challenge",
                                  "role", "duration"})
        self.assertRegex(q["cli_state"], r"^[A-Za-z0-9_-]{22}$")
        self.assertRegex(q["cli_challenge"], r"^[A-Za-z0-9_-]{43}$")
        self.assertEqual(q["role"], ROLE)
        self.assertEqual(q["duration"], "3600")
        self.assertTrue(1024 <= int(q["cli_port"]) <= 65535)
        # The redeem POST carried the verifier that hashes to it.
        form = self.fake.redeems[-1]
        self.assertRegex(form["code_verifier"], r"^[A-Za-z0-9_-]{43}$")
        self.assertNotIn(form["code_verifier"], err + out)
        self.assertEqual(len(self.fake.redeems), 1)
        # The loopback listener is gone with the process.
        self.assertFalse(H.port_open(int(q["cli_port"])))

    def test_no_role_no_duration(self):
        out, _, url = self.login()
        q = dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(url).query))
        self.assertEqual(set(q), {"cli_port", "cli_state", "cli_challenge"})
        self.assertEqual(json.loads(out)["AccessKeyId"],
                         self.fake.issued[-1]["AccessKeyId"])

    def test_env_format(self):
        out, _, _ = self.login("--format", "env", "--role", ROLE)
        c = self.fake.issued[-1]
        lines = out.splitlines()
        self.assertIn(f"export AWS_ACCESS_KEY_ID={c['AccessKeyId']}", lines)
        self.assertIn(f"export AWS_SECRET_ACCESS_KEY={c['SecretAccessKey']}",
                      lines)
        self.assertIn(f"export AWS_SESSION_TOKEN={c['SessionToken']}", lines)
        self.assertIn(f"# expires {c['Expiration']}", lines)
        # It is meant for eval in a shell.
        r = subprocess.run(["/bin/sh", "-c", 'eval "$1"; printf "%s|%s|%s" '
                            '"$AWS_ACCESS_KEY_ID" "$AWS_SECRET_ACCESS_KEY" '
                            '"$AWS_SESSION_TOKEN"', "sh", out],
                           capture_output=True, text=True, check=True)
        self.assertEqual(r.stdout, "|".join([c["AccessKeyId"],
                                             c["SecretAccessKey"],
                                             c["SessionToken"]]))

    def test_ini_format(self):
        out, _, _ = self.login("--format", "ini", "--role", ROLE)
        c = self.fake.issued[-1]
        cp = configparser.ConfigParser()
        cp.read_string(out)
        self.assertEqual(cp.sections(), ["dev-role"])
        self.assertEqual(dict(cp["dev-role"]), {
            "aws_access_key_id": c["AccessKeyId"],
            "aws_secret_access_key": c["SecretAccessKey"],
            "aws_session_token": c["SessionToken"]})
        out, _, _ = self.login("--format", "ini", "--no-cache")
        cp = configparser.ConfigParser()
        cp.read_string(out)
        self.assertEqual(cp.sections(), ["fedgate"])

    def test_no_browser_prints_only(self):
        p = self.start("--no-browser")
        end = time.time() + WAIT
        m = None
        while m is None and time.time() < end:
            m = re.search(r"open this URL to sign in:\n  (\S+)\n",
                          self.stderr())
            time.sleep(0.05)
        self.assertIsNotNone(m, self.stderr())
        status, _, _ = self.get(self.authorize(m.group(1)))
        self.assertEqual(status, 200)
        rc, out, err = self.finish(p)
        self.assertEqual(rc, 0, err)
        self.assertEqual(self.browser_urls(), [])
        self.assertEqual(json.loads(out)["Version"], 1)

    def test_wrong_state_ignored_then_right_state_accepted(self):
        p = self.start()
        url = self.wait_browser(p)
        cb = self.authorize(url)
        u = urllib.parse.urlsplit(cb)
        base = f"http://127.0.0.1:{u.port}"
        q = dict(urllib.parse.parse_qsl(u.query))
        wrong = urllib.parse.urlencode({"code": q["code"],
                                        "state": q["state"][:-1] + "A"
                                        if q["state"][-1] != "A" else
                                        q["state"][:-1] + "B"})
        for method, path, want in [
                ("GET", "/callback?" + wrong, 400),
                ("GET", "/callback?code=abc", 400),
                ("GET", "/callback?state=" + q["state"], 400),
                ("GET", "/callback", 400),
                ("GET", "/callback?%zz", 400),
                ("POST", "/callback?" + u.query, 400),
                ("GET", "/favicon.ico", 404),
                ("GET", "/callbackx?" + u.query, 404)]:
            with self.subTest(path=path, method=method):
                status, r, body = self.get(base + path, method)
                self.assertEqual(status, want)
                self.assertEqual(r.getheader("Cache-Control"), "no-store")
                self.assertIsNone(p.poll(), "a bad callback ended the wait")
        self.assertEqual(self.fake.redeems, [])
        status, r, body = self.get(cb)
        self.assertEqual(status, 200)
        self.assertIn("Signed in", body)
        self.assertIn("You can close this tab", body)
        self.assertEqual(r.getheader("Cache-Control"), "no-store")
        self.assertEqual(r.getheader("Connection"), "close")
        self.assertTrue(r.getheader("Content-Type").startswith("text/html"))
        self.assertNotIn(q["code"], body)
        rc, out, err = self.finish(p)
        self.assertEqual(rc, 0, err)
        self.assertIn("wrong state", err)
        self.assertEqual(self.fake.violations, [])

    def test_idle_connection_does_not_block_the_callback(self):
        """Browsers open spare connections; one sitting idle must not
        hold up the real callback."""
        p = self.start()
        cb = self.authorize(self.wait_browser(p))
        port = urllib.parse.urlsplit(cb).port
        idle = socket.create_connection(("127.0.0.1", port))
        try:
            t0 = time.time()
            status, _, _ = self.get(cb)
            self.assertEqual(status, 200)
            self.assertLess(time.time() - t0, 3)
        finally:
            idle.close()
        rc, _, err = self.finish(p)
        self.assertEqual(rc, 0, err)

    def test_timeout(self):
        p = self.start("--timeout", "10")
        self.wait_browser(p)
        t0 = time.time()
        rc, out, err = self.finish(p, timeout=30)
        self.assertEqual(rc, 1)
        self.assertEqual(out, "")
        self.assertIn("no sign-in within 10 seconds", err)
        self.assertGreater(time.time() - t0, 7)
        self.assertEqual(self.fake.redeems, [])


class TestRedeemAnswers(LoginCase):
    """CLI-side contract: what the CLI does with each redeem answer."""

    def run_mode(self, mode, *args):
        self.fake.mode = mode
        n = len(self.browser_urls()) + 1
        p = self.start(*args)
        status, _, _ = self.get(self.authorize(self.wait_browser(p, n)))
        self.assertEqual(status, 200)
        return self.finish(p)

    def test_server_error(self):
        rc, out, err = self.run_mode("error")
        self.assertEqual(rc, 1)
        self.assertEqual(out, "")
        self.assertIn("fedgate login: InvalidGrant: the sign-in code has "
                      "expired\n", err)
        self.assertEqual(self.cache_files(), [])

    def test_malformed_credentials_refused(self):
        for mode in ["inject", "version2", "dupkey", "big", "expired"]:
            with self.subTest(mode=mode):
                rc, out, err = self.run_mode(mode, "--format", "env")
                self.assertEqual(rc, 1, err)
                self.assertEqual(out, "")
                self.assertEqual(self.cache_files(), [])
        self.assertFalse(os.path.exists(os.path.join(self.tmp, "pwned")))

    def test_redirect_not_followed(self):
        rc, out, err = self.run_mode("redirect")
        self.assertEqual(rc, 1)
        self.assertEqual(out, "")
        self.assertIn("HTTP 307", err)
        self.assertEqual(self.fake.other, [])


class TestCache(LoginCase):
    """CLI-side contract: the credential cache."""

    def test_cache_written_private_and_reused(self):
        out, _, _ = self.login("--role", ROLE, "--duration", "7200")
        path = self.cache_path(ROLE, 7200)
        self.assertEqual(self.cache_files(), [os.path.basename(path)])
        self.assertEqual(stat.S_IMODE(os.stat(os.path.dirname(path))
                                      .st_mode), 0o700)
        self.assertEqual(stat.S_IMODE(os.stat(path).st_mode), 0o600)
        with open(path) as f:
            self.assertEqual(f.read(), out)
        before = self.fake.requests()
        for fmt in ["credential_process", "env"]:
            p = self.start("--role", ROLE, "--duration", "7200",
                           "--format", fmt)
            rc, out2, err = self.finish(p)
            self.assertEqual(rc, 0, err)
            if fmt == "credential_process":
                self.assertEqual(out2, out)
            else:
                self.assertIn("export AWS_ACCESS_KEY_ID=" +
                              json.loads(out)["AccessKeyId"], out2)
        self.assertEqual(self.fake.requests(), before)
        self.assertEqual(len(self.browser_urls()), 1)
        # Another role or duration is another entry.
        self.login("--role", ROLE)
        self.assertEqual(len(self.cache_files()), 2)

    def test_no_cache_skips_reading_but_writes(self):
        first, _, _ = self.login()
        second, _, _ = self.login("--no-cache")
        self.assertNotEqual(json.loads(first)["AccessKeyId"],
                            json.loads(second)["AccessKeyId"])
        with open(self.cache_path()) as f:
            self.assertEqual(f.read(), second)

    def write_cache(self, text, mode=0o600):
        path = self.cache_path()
        os.makedirs(os.path.dirname(path), mode=0o700, exist_ok=True)
        with open(path, "w") as f:
            f.write(text)
        os.chmod(path, mode)
        return path

    def cached(self, lifetime):
        return json.dumps({"Version": 1, "AccessKeyId": "ASIACACHED",
                           "SecretAccessKey": "cachedsecret",
                           "SessionToken": "cachedtoken",
                           "Expiration": iso(int(time.time()) + lifetime)})

    def test_cache_used_only_with_more_than_15_minutes_left(self):
        self.write_cache(self.cached(1200))
        p = self.start()
        rc, out, err = self.finish(p)
        self.assertEqual(rc, 0, err)
        self.assertEqual(json.loads(out)["AccessKeyId"], "ASIACACHED")
        self.assertEqual(self.fake.requests(), 0)
        path = self.write_cache(self.cached(600))
        out, _, _ = self.login()
        self.assertEqual(json.loads(out)["AccessKeyId"],
                         self.fake.issued[-1]["AccessKeyId"])
        with open(path) as f:
            self.assertEqual(f.read(), out)

    def test_corrupted_cache_ignored_and_replaced(self):
        for junk in ["not json", '{"Version":1}', self.cached(3600)[:-5],
                     self.cached(3600).replace("cachedtoken", "a b")]:
            with self.subTest(junk=junk):
                path = self.write_cache(junk)
                out, _, _ = self.login()
                self.assertEqual(json.loads(out)["AccessKeyId"],
                                 self.fake.issued[-1]["AccessKeyId"])
                with open(path) as f:
                    self.assertEqual(f.read(), out)

    def test_cache_not_private_is_not_used(self):
        self.write_cache(self.cached(3600), mode=0o644)
        out, err, _ = self.login()
        self.assertIn("not private", err)
        self.assertNotEqual(json.loads(out)["AccessKeyId"], "ASIACACHED")
        os.chmod(os.path.join(self.cache, "fedgate"), 0o755)
        self.write_cache(self.cached(3600))
        out, err, _ = self.login()
        self.assertIn("not private", err)
        self.assertNotEqual(json.loads(out)["AccessKeyId"], "ASIACACHED")
        with open(self.cache_path()) as f:
            self.assertIn("ASIACACHED", f.read(), "wrote to a shared dir")

    def test_cache_dir_symlink_refused(self):
        elsewhere = os.path.join(self.tmp, "elsewhere")
        os.makedirs(elsewhere, mode=0o700)
        os.makedirs(self.cache, mode=0o700)
        os.symlink(elsewhere, os.path.join(self.cache, "fedgate"))
        out, err, _ = self.login()
        self.assertIn("not using the cache", err)
        self.assertEqual(os.listdir(elsewhere), [])


class TestArguments(unittest.TestCase):
    """CLI-side contract: what is refused before anything is opened."""

    def test_refused_arguments(self):
        bin_ = H.fedgate_bin()
        tmp = tempfile.mkdtemp(prefix="fedgate-login-args-")
        self.addCleanup(shutil.rmtree, tmp, ignore_errors=True)
        log = os.path.join(tmp, "browser.log")
        browser = os.path.join(tmp, "browser.sh")
        with open(browser, "w") as f:
            f.write(f"#!/bin/sh\necho \"$1\" >> '{log}'\n")
        os.chmod(browser, 0o755)
        env = dict(os.environ, BROWSER=browser, XDG_CACHE_HOME=tmp)
        ok = "http://127.0.0.1:1"
        cases = [
            ["--url", "http://example.com"],
            ["--url", "http://10.0.0.1:8080"],
            ["--url", "http://127.0.0.1@example.com/"],
            ["--url", "http://localhost.example.com"],
            ["--url", "http://127.0.0.1:80x"],
            ["--url", "ftp://127.0.0.1"],
            ["--url", "https://example.com/?x=1"],
            ["--url", "https://"],
            [],
            ["--url", ok, "--duration", "899"],
            ["--url", ok, "--duration", "43201"],
            ["--url", ok, "--duration", "3600s"],
            ["--url", ok, "--format", "json"],
            ["--url", ok, "--timeout", "9"],
            ["--url", ok, "--timeout", "3601"],
            ["--url", ok, "--role", "arn:aws:iam::1111222233:role/x"],
            ["--url", ok, "--role", "arn:aws:iam::111122223333:user/x"],
            ["--url", ok, "--role", "arn:aws:iam::111122223333:role/"],
            ["--url", ok, "--role", "arn:aws:iam::111122223333:role/a b"],
            ["--url", ok, "extra"],
            ["--url", ok, "--bogus"],
        ]
        for args in cases:
            with self.subTest(args=args):
                r = subprocess.run([bin_, "login"] + args, env=env,
                                   capture_output=True, text=True,
                                   timeout=WAIT, stdin=subprocess.DEVNULL)
                self.assertEqual(r.returncode, 2, r.stderr)
                self.assertEqual(r.stdout, "")
                self.assertNotIn("open this URL", r.stderr)
        self.assertFalse(os.path.exists(log))
        r = subprocess.run([bin_, "--help"], capture_output=True, text=True)
        self.assertIn("fedgate login --url URL", r.stdout)


if __name__ == "__main__":
    unittest.main()
