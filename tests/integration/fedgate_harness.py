"""Shared helpers for the fedgate integration tests.

A test IdP (discovery + JWKS on loopback, keys generated here), a wrapper
that runs the real `fedgate serve` binary on a free port, an STS client that
speaks the Query API over plain HTTP, and parsers for AWS's XML shapes.
Only Debian's python3 with stdlib, python3-cryptography and python3-jwt.
"""
import base64
import hashlib
import hmac
import http.client
import http.server
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import unittest
import urllib.parse
import uuid
import xml.etree.ElementTree as ET

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa

NS = "https://sts.amazonaws.com/doc/2011-06-15/"
ACCOUNT = "111122223333"
AUDIENCE = "test-client"
ROLE = "web-role"
ROLE_ARN = f"arn:aws:iam::{ACCOUNT}:role/{ROLE}"
FORM = "application/x-www-form-urlencoded"
REQ_TIMEOUT = 10


def fedgate_bin():
    """Path of the binary under test; a clear error instead of a hang."""
    path = os.environ.get("FEDGATE_BIN")
    if not path:
        raise RuntimeError("FEDGATE_BIN is not set (path of the built "
                           "fedgate binary)")
    if not os.access(path, os.X_OK):
        raise RuntimeError(f"FEDGATE_BIN={path} is not an executable file")
    return path


def free_port():
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def port_open(port):
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.settimeout(0.5)
    try:
        s.connect(("127.0.0.1", port))
        return True
    except OSError:
        return False
    finally:
        s.close()


def b64url(data):
    if isinstance(data, str):
        data = data.encode()
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _int_b64(n, size=None):
    size = size or (n.bit_length() + 7) // 8
    return b64url(n.to_bytes(size, "big"))


# ---------------------------------------------------------------- YAML ---

_PLAIN_KEY = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")


def _is_block(v):
    if isinstance(v, dict):
        return bool(v)
    if isinstance(v, list):
        return any(isinstance(x, (dict, list)) for x in v)
    return False


def _yaml_lines(obj, ind):
    pad = " " * ind
    out = []
    if isinstance(obj, dict):
        for k, v in obj.items():
            key = k if _PLAIN_KEY.match(k) else json.dumps(k)
            if _is_block(v):
                out.append(f"{pad}{key}:")
                out.extend(_yaml_lines(v, ind + 2))
            else:
                out.append(f"{pad}{key}: {json.dumps(v)}")
    else:
        for v in obj:
            if _is_block(v):
                sub = _yaml_lines(v, ind + 2)
                out.append(f"{pad}- {sub[0].lstrip()}")
                out.extend(sub[1:])
            else:
                out.append(f"{pad}- {json.dumps(v)}")
    return out


def to_yaml(obj):
    """Block-style YAML; scalars as JSON (a subset of YAML flow style)."""
    return "\n".join(_yaml_lines(obj, 0)) + "\n"


# ----------------------------------------------------------------- IdP ---

class IdPKey:
    def __init__(self, kid, alg, private_key):
        self.kid = kid
        self.alg = alg
        self.private_key = private_key

    @classmethod
    def rsa(cls, kid, alg="RS256", bits=2048):
        key = rsa.generate_private_key(public_exponent=65537,
                                       key_size=bits)
        return cls(kid, alg, key)

    @classmethod
    def ec(cls, kid, alg="ES256"):
        return cls(kid, alg, ec.generate_private_key(ec.SECP256R1()))

    def public_pem(self):
        return self.private_key.public_key().public_bytes(
            serialization.Encoding.PEM,
            serialization.PublicFormat.SubjectPublicKeyInfo)

    def jwk(self):
        pub = self.private_key.public_key().public_numbers()
        if isinstance(self.private_key, rsa.RSAPrivateKey):
            d = {"kty": "RSA", "n": _int_b64(pub.n),
                 "e": _int_b64(pub.e)}
        else:
            d = {"kty": "EC", "crv": "P-256",
                 "x": _int_b64(pub.x, 32), "y": _int_b64(pub.y, 32)}
        d.update({"kid": self.kid, "alg": self.alg, "use": "sig"})
        return d


class TestIdP:
    """OIDC discovery + JWKS on 127.0.0.1; keys rotate, server stops/starts.

    Every request path is counted in `hits` so tests can assert how often
    fedgate refetched (and that it never fetched a URL a token named).
    """

    def __init__(self, keys=None, port=None):
        self.port = port or free_port()
        self.issuer = f"http://127.0.0.1:{self.port}/oidc"
        self.host_path = f"127.0.0.1:{self.port}/oidc"
        self.keys = list(keys) if keys is not None else [
            IdPKey.rsa("rsa1", "RS256"),
            IdPKey.ec("ec1", "ES256"),
            IdPKey.rsa("ps1", "PS256"),
        ]
        self.extra_jwks = []    # raw JWK dicts served as well
        self.hits = {}
        self.lock = threading.Lock()
        self.server = None
        self.thread = None

    # -- server --
    def _handler(idp):
        class H(http.server.BaseHTTPRequestHandler):
            def do_GET(self):
                path = self.path.split("?")[0]
                with idp.lock:
                    idp.hits[path] = idp.hits.get(path, 0) + 1
                if path == "/oidc/.well-known/openid-configuration":
                    body = {"issuer": idp.issuer,
                            "jwks_uri": idp.issuer + "/jwks",
                            "id_token_signing_alg_values_supported":
                            ["RS256", "ES256", "PS256"]}
                elif path == "/oidc/jwks":
                    body = idp.jwks()
                else:
                    self.send_error(404)
                    return
                data = json.dumps(body).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *a):
                pass
        return H

    def start(self):
        srv = http.server.ThreadingHTTPServer.__new__(
            http.server.ThreadingHTTPServer)
        srv.allow_reuse_address = True
        srv.daemon_threads = True
        http.server.ThreadingHTTPServer.__init__(
            srv, ("127.0.0.1", self.port), self._handler())
        self.server = srv
        self.thread = threading.Thread(target=srv.serve_forever,
                                       kwargs={"poll_interval": 0.05},
                                       daemon=True)
        self.thread.start()
        return self

    def stop(self):
        if self.server is not None:
            self.server.shutdown()
            self.server.server_close()
            self.server = None

    # -- keys --
    def jwks(self):
        with self.lock:
            return {"keys": [k.jwk() for k in self.keys] +
                    list(self.extra_jwks)}

    def key(self, kid):
        for k in self.keys:
            if k.kid == kid:
                return k
        raise KeyError(kid)

    def add_key(self, key):
        with self.lock:
            self.keys.append(key)
        return key

    def set_keys(self, keys):
        with self.lock:
            self.keys = list(keys)

    def count(self, path="/oidc/jwks"):
        with self.lock:
            return self.hits.get(path, 0)

    # -- tokens --
    def claims(self, sub="user-1", aud=AUDIENCE, lifetime=600, **extra):
        now = int(time.time())
        c = {"iss": self.issuer, "sub": sub, "aud": aud,
             "iat": now, "exp": now + lifetime}
        c.update(extra)
        return {k: v for k, v in c.items() if v is not None}

    def token(self, kid="rsa1", claims=None, key=None, alg=None,
              headers=None, **kw):
        """Signed compact JWS. `key` signs with a key not in the JWKS."""
        k = key or self.key(kid)
        h = {"kid": kid}
        h.update(headers or {})
        payload = claims if claims is not None else self.claims(**kw)
        return jwt.encode(payload, k.private_key,
                          algorithm=alg or k.alg, headers=h)


def raw_token(header, payload, sig=b""):
    """Compact JWS from raw parts (alg none, HS256, duplicate members)."""
    h = header if isinstance(header, (bytes, str)) else json.dumps(header)
    p = payload if isinstance(payload, (bytes, str)) else json.dumps(payload)
    return f"{b64url(h)}.{b64url(p)}.{b64url(sig) if sig else ''}"


def hs256_token(secret, header, payload):
    h = b64url(json.dumps(header))
    p = b64url(json.dumps(payload))
    mac = hmac.new(secret, f"{h}.{p}".encode(), hashlib.sha256).digest()
    return f"{h}.{p}.{b64url(mac)}"


# ------------------------------------------------------------ responses ---

class Response:
    def __init__(self, status, headers, body):
        self.status = status
        self.headers = {k.lower(): v for k, v in headers}
        self.body = body

    def text(self):
        return self.body.decode("utf-8", "replace")

    def xml(self):
        try:
            return ET.fromstring(self.body)
        except ET.ParseError as e:
            raise AssertionError(f"response is not XML ({e}): "
                                 f"{self.text()[:500]!r}")

    def error(self):
        """(Type, Code, Message, RequestId) of an ErrorResponse."""
        root = self.xml()
        if root.tag != f"{{{NS}}}ErrorResponse":
            raise AssertionError(f"not an ErrorResponse: "
                                 f"{self.text()[:500]!r}")
        err = root.find(f"{{{NS}}}Error")
        if err is None:
            raise AssertionError("ErrorResponse without Error")

        def t(el, name):
            x = el.find(f"{{{NS}}}{name}")
            return None if x is None else (x.text or "")
        return (t(err, "Type"), t(err, "Code"), t(err, "Message"),
                t(root, "RequestId"))

    def __repr__(self):
        return f"<HTTP {self.status} {self.text()[:300]!r}>"


def http_request(port, method, path, body=None, headers=None,
                 timeout=REQ_TIMEOUT):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        conn.request(method, path, body=body, headers=headers or {})
        r = conn.getresponse()
        return Response(r.status, r.getheaders(), r.read())
    finally:
        conn.close()


def raw_exchange(port, data, timeout=REQ_TIMEOUT):
    """Send raw bytes while reading concurrently, so a server that answers
    early (413) and closes is still heard before any reset."""
    s = socket.create_connection(("127.0.0.1", port), timeout=timeout)
    got = []

    def reader():
        try:
            while True:
                b = s.recv(65536)
                if not b:
                    break
                got.append(b)
        except OSError:
            pass
    t = threading.Thread(target=reader, daemon=True)
    t.start()
    try:
        s.sendall(data)
        s.shutdown(socket.SHUT_WR)
    except OSError:
        pass
    t.join(timeout)
    s.close()
    return b"".join(got)


# --------------------------------------------------------------- fedgate ---

def base_config(port, tmp, idp, roles=None, providers=None, **top):
    issuer = idp.issuer if hasattr(idp, "issuer") else idp
    hp = issuer.split("://", 1)[1]
    cfg = {
        "listen": f"127.0.0.1:{port}",
        "public_url": f"http://127.0.0.1:{port}",
        "account_id": ACCOUNT,
        "state_dir": os.path.join(tmp, "state"),
        "clock_skew_seconds": 60,
        "audit_log": os.path.join(tmp, "audit.jsonl"),
        "providers": providers or [{
            "name": "testidp",
            "type": "oidc",
            "issuer": issuer,
            "audiences": [AUDIENCE],
            "algorithms": ["RS256", "ES256", "PS256"],
            "jwks_min_refetch_seconds": 1,
        }],
        "roles": roles or [web_role(hp)],
    }
    cfg.update(top)
    return cfg


def trust_policy(host_path, conditions=None, action=None):
    cond = conditions if conditions is not None else {
        "StringEquals": {f"{host_path}:aud": AUDIENCE},
        "StringLike": {f"{host_path}:sub": "user-*"},
    }
    return {
        "Version": "2012-10-17",
        "Statement": [{
            "Effect": "Allow",
            "Principal": {"Federated":
                          f"arn:aws:iam::{ACCOUNT}:oidc-provider/{host_path}"},
            "Action": action or "sts:AssumeRoleWithWebIdentity",
            "Condition": cond,
        }],
    }


def web_role(host_path, name=ROLE, max_session=7200, conditions=None):
    return {"name": name, "max_session_duration": max_session,
            "trust_policy": trust_policy(host_path, conditions)}


class Fedgate:
    """One `fedgate serve` process with its own config, tmp dir and logs."""

    def __init__(self, tmp, config=None, port=None):
        self.tmp = tmp
        self.port = port or free_port()
        self.config = config
        self.proc = None
        self.conf_path = os.path.join(tmp, "fedgate.yaml")
        self.out_path = os.path.join(tmp, "fedgate.stdout")
        self.err_path = os.path.join(tmp, "fedgate.stderr")
        self.audit_path = os.path.join(tmp, "audit.jsonl")

    def write_config(self):
        with open(self.conf_path, "w") as f:
            f.write(to_yaml(self.config))

    def start(self, ready_timeout=10):
        self.write_config()
        out = open(self.out_path, "ab")
        err = open(self.err_path, "ab")
        try:
            self.proc = subprocess.Popen(
                [fedgate_bin(), "serve", "-c", self.conf_path],
                stdin=subprocess.DEVNULL, stdout=out, stderr=err,
                cwd=self.tmp)
        finally:
            out.close()
            err.close()
        deadline = time.monotonic() + ready_timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(
                    f"fedgate exited with {self.proc.returncode} "
                    f"before ready\n{self.logs()}")
            try:
                r = http_request(self.port, "GET", "/healthz",
                                 timeout=1)
                if r.status == 200:
                    return self
            except OSError:
                pass
            time.sleep(0.05)
        self.kill()
        raise RuntimeError(f"fedgate not ready on port {self.port} "
                           f"within {ready_timeout}s\n{self.logs()}")

    def stop(self, timeout=5):
        """SIGTERM; returns the exit code (None if it had to be killed)."""
        if self.proc is None:
            return None
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.kill()
                return None
        rc = self.proc.returncode
        return rc

    def kill(self):
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(5)

    def logs(self, limit=4000):
        parts = []
        for name, p in (("stdout", self.out_path),
                        ("stderr", self.err_path)):
            try:
                with open(p, "rb") as f:
                    data = f.read().decode("utf-8", "replace")
            except OSError:
                data = ""
            parts.append(f"--- fedgate {name} (tail) ---\n"
                         f"{data[-limit:]}")
        return "\n".join(parts)

    def output(self):
        data = b""
        for p in (self.out_path, self.err_path):
            try:
                with open(p, "rb") as f:
                    data += f.read()
            except OSError:
                pass
        return data.decode("utf-8", "replace")

    @property
    def url(self):
        return f"http://127.0.0.1:{self.port}"

    def get(self, path, **kw):
        return http_request(self.port, "GET", path, **kw)

    def sts(self, params, method="POST", content_type=FORM + "; charset=utf-8",
            headers=None):
        q = urllib.parse.urlencode(params)
        h = dict(headers or {})
        if method == "GET":
            return http_request(self.port, "GET", "/?" + q, headers=h)
        h["Content-Type"] = content_type
        return http_request(self.port, "POST", "/", body=q.encode(),
                            headers=h)

    def assume(self, token, session="s1", role_arn=ROLE_ARN, extra=None,
               **kw):
        p = {"Action": "AssumeRoleWithWebIdentity",
             "Version": "2011-06-15", "RoleArn": role_arn,
             "RoleSessionName": session}
        if token is not None:
            p["WebIdentityToken"] = token
        p.update(extra or {})
        return self.sts({k: v for k, v in p.items() if v is not None},
                        **kw)

    def audit_records(self, want=0, timeout=5):
        """Parsed audit lines; waits until at least `want` exist."""
        deadline = time.monotonic() + timeout
        while True:
            recs = []
            try:
                with open(self.audit_path) as f:
                    for line in f:
                        if line.strip():
                            recs.append(json.loads(line))
            except FileNotFoundError:
                pass
            if len(recs) >= want or time.monotonic() > deadline:
                return recs
            time.sleep(0.05)


def audit_find(fg, pred, timeout=5):
    """First audit record matching pred, waiting for it to be written."""
    deadline = time.monotonic() + timeout
    while True:
        for rec in fg.audit_records():
            if pred(rec):
                return rec
        if time.monotonic() > deadline:
            return None
        time.sleep(0.05)


def parse_success(testcase, resp, sub="user-1", session="s1",
                  role=ROLE, issuer=None, audience=AUDIENCE, duration=3600,
                  t0=None):
    """Check a full AssumeRoleWithWebIdentityResponse; returns a dict."""
    tc = testcase
    tc.assertEqual(resp.status, 200, resp)
    ctype = resp.headers.get("content-type", "")
    tc.assertTrue(ctype.startswith("text/xml"), ctype)
    root = resp.xml()

    def q(name):
        return f"{{{NS}}}{name}"
    tc.assertEqual(root.tag, q("AssumeRoleWithWebIdentityResponse"))
    tc.assertEqual([c.tag for c in root],
                   [q("AssumeRoleWithWebIdentityResult"),
                    q("ResponseMetadata")])
    res = root.find(q("AssumeRoleWithWebIdentityResult"))
    order = [c.tag[len(NS) + 2:] for c in res]
    want = ["Credentials", "SubjectFromWebIdentityToken",
            "AssumedRoleUser", "PackedPolicySize", "Provider", "Audience"]
    if "SourceIdentity" in order:
        want.append("SourceIdentity")
    tc.assertEqual(order, want, "Result children / order")
    cred = res.find(q("Credentials"))
    tc.assertEqual([c.tag[len(NS) + 2:] for c in cred],
                   ["AccessKeyId", "SecretAccessKey", "SessionToken",
                    "Expiration"])
    out = {c.tag[len(NS) + 2:]: (c.text or "") for c in cred}
    tc.assertRegex(out["AccessKeyId"], r"\AASIA[A-Z2-7]{16}\Z")
    tc.assertEqual(len(out["SecretAccessKey"]), 40)
    tc.assertRegex(out["SecretAccessKey"], r"\A[\x21-\x7e]{40}\Z")
    tc.assertGreater(len(out["SessionToken"]), 40)
    tc.assertRegex(out["Expiration"],
                   r"\A\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ\Z")
    exp = time.mktime(time.strptime(out["Expiration"],
                                    "%Y-%m-%dT%H:%M:%SZ")) - time.timezone
    now = t0 if t0 is not None else time.time()
    tc.assertAlmostEqual(exp, now + duration, delta=5,
                         msg=f"Expiration {out['Expiration']}")
    tc.assertEqual(res.find(q("SubjectFromWebIdentityToken")).text, sub)
    aru = res.find(q("AssumedRoleUser"))
    # AWS's own order (captured response in sts-wire.md §1.9)
    tc.assertEqual([c.tag[len(NS) + 2:] for c in aru],
                   ["Arn", "AssumedRoleId"])
    tc.assertRegex(aru.find(q("AssumedRoleId")).text,
                   r"\AAROA[A-Z0-9]{4,}:" + re.escape(session) + r"\Z")
    tc.assertEqual(aru.find(q("Arn")).text,
                   f"arn:aws:sts::{ACCOUNT}:assumed-role/{role}/{session}")
    pps = res.find(q("PackedPolicySize")).text
    tc.assertRegex(pps or "", r"\A\d+\Z")
    if issuer is not None:
        tc.assertEqual(res.find(q("Provider")).text, issuer)
    tc.assertEqual(res.find(q("Audience")).text, audience)
    rid = root.find(f"{q('ResponseMetadata')}/{q('RequestId')}").text
    uuid.UUID(rid)          # raises on anything but a UUID
    out.update({"RequestId": rid, "PackedPolicySize": int(pps),
                "AssumedRoleId": aru.find(q("AssumedRoleId")).text})
    si = res.find(q("SourceIdentity"))
    if si is not None:
        out["SourceIdentity"] = si.text
    return out


def expect_error(testcase, resp, code, status=400, token=None):
    """Assert an ErrorResponse with `code`/`status`; never echoing token."""
    tc = testcase
    tc.assertEqual(resp.status, status, resp)
    typ, got, msg, rid = resp.error()
    tc.assertEqual(got, code, resp)
    tc.assertIn(typ, ("Sender", "Receiver"))
    tc.assertTrue(msg, "empty error Message")
    tc.assertTrue(rid, "missing RequestId")
    if token:
        tc.assertNotIn(token, resp.text(), "error echoes the token")
        for part in token.split("."):
            if len(part) > 16:
                tc.assertNotIn(part, msg)
    return msg, rid


# ------------------------------------------------------------ test base ---

SANITIZER_MARKS = ("ERROR: AddressSanitizer", "ERROR: LeakSanitizer",
                   "runtime error:", "WARNING: ThreadSanitizer")


class FedgateCase(unittest.TestCase):
    """Base: per-class tmp dir, TestIdP and fedgate; logs on failure.

    Subclasses may override make_keys() / make_config() / idp_running.
    """
    idp_running = True
    start_fedgate = True

    @classmethod
    def make_keys(cls):
        return None

    @classmethod
    def make_config(cls, fg_port, tmp, idp):
        return base_config(fg_port, tmp, idp)

    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp(prefix="fedgate-it-")
        cls.idp = TestIdP(cls.make_keys())
        if cls.idp_running:
            cls.idp.start()
        cls.fg = Fedgate(cls.tmp)
        cls.fg.config = cls.make_config(cls.fg.port, cls.tmp, cls.idp)
        if cls.start_fedgate:
            try:
                cls.fg.start()
            except Exception:
                cls._cleanup()
                raise

    @classmethod
    def _cleanup(cls):
        cls.fg.kill()
        cls.idp.stop()
        if not os.environ.get("FEDGATE_KEEP_TMP"):
            shutil.rmtree(cls.tmp, ignore_errors=True)

    @classmethod
    def tearDownClass(cls):
        rc = cls.fg.stop()
        out = cls.fg.output()
        logs = cls.fg.logs()
        cls._cleanup()
        # a sanitizer report or an unclean exit fails the class
        bad = [m for m in SANITIZER_MARKS if m in out]
        if rc != 0 or bad:
            raise AssertionError(f"fedgate stop: exit {rc} on SIGTERM"
                                 f"{', ' + ', '.join(bad) if bad else ''}"
                                 f"\n{logs}")

    def run(self, result=None):
        before = (len(result.failures) + len(result.errors)
                  if result is not None else 0)
        r = super().run(result)
        if result is not None and \
                len(result.failures) + len(result.errors) > before:
            for line in self.fg.logs().splitlines():
                print(f"# {line}", flush=True)
        return r


def diag(msg):
    for line in str(msg).splitlines():
        print(f"# {line}", file=sys.stdout, flush=True)


# ---------------------------------------------------------------- nginx ---

def nginx_bin():
    """Debian's nginx (or $NGINX_BIN); None when not installed."""
    for p in (os.environ.get("NGINX_BIN"), "/usr/sbin/nginx",
              shutil.which("nginx")):
        if p and os.access(p, os.X_OK):
            return p
    return None


class Nginx:
    """A real nginx from a config template with @NAME@ placeholders, run
    unprivileged-capable under its own prefix (tmp/nginx) in the
    foreground, so the test owns exactly one master process."""

    def __init__(self, tmp, template, subst, port=None):
        self.port = port or free_port()
        self.prefix = os.path.join(tmp, "nginx")
        self.conf_path = os.path.join(self.prefix, "nginx.conf")
        self.err_path = os.path.join(self.prefix, "logs", "error.log")
        self.access_path = os.path.join(self.prefix, "logs", "access.log")
        self.out_path = os.path.join(self.prefix, "nginx.stderr")
        self.template = template
        self.subst = dict(subst)
        self.subst.setdefault("LISTEN", f"127.0.0.1:{self.port}")
        self.proc = None

    def render(self):
        with open(self.template) as f:
            text = f.read()
        for k, v in self.subst.items():
            text = text.replace(f"@{k}@", v)
        left = re.findall(r"@[A-Z_]+@", text)
        if left:
            raise RuntimeError(f"unsubstituted placeholders {left} in "
                               f"{self.template}")
        os.makedirs(os.path.join(self.prefix, "logs"), exist_ok=True)
        os.makedirs(os.path.join(self.prefix, "tmp"), exist_ok=True)
        with open(self.conf_path, "w") as f:
            f.write(text)
        return text

    def start(self, ready_timeout=10):
        self.render()
        out = open(self.out_path, "ab")
        try:
            self.proc = subprocess.Popen(
                [nginx_bin(), "-p", self.prefix + "/", "-c", self.conf_path,
                 "-g", "daemon off;"],
                stdin=subprocess.DEVNULL, stdout=out, stderr=out,
                cwd=self.prefix, start_new_session=True)
        finally:
            out.close()
        deadline = time.monotonic() + ready_timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"nginx exited with "
                                   f"{self.proc.returncode}\n{self.logs()}")
            if port_open(self.port):
                return self
            time.sleep(0.05)
        self.stop()
        raise RuntimeError(f"nginx not listening on {self.port}\n"
                           f"{self.logs()}")

    def stop(self, timeout=5):
        """SIGTERM (fast shutdown) to our master; its own process group
        (workers) is killed only if it does not exit."""
        if self.proc is None or self.proc.poll() is not None:
            return
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(5)

    def logs(self, limit=4000):
        parts = []
        for name, p in (("stderr", self.out_path),
                        ("error.log", self.err_path),
                        ("access.log", self.access_path)):
            try:
                with open(p, "rb") as f:
                    data = f.read().decode("utf-8", "replace")
            except OSError:
                data = ""
            parts.append(f"--- nginx {name} (tail) ---\n{data[-limit:]}")
        return "\n".join(parts)

    @property
    def url(self):
        return f"http://127.0.0.1:{self.port}"


# ------------------------------------------------------- session tokens ---
# The SessionToken format (core/seal.c, federation/mint.c), so tests can
# forge tokens a real key ring would or would not accept:
#   base64url(0x01 || key id(4) || nonce(12) || AES-256-GCM(ct) || tag(16))
#   AAD = 0x01 || key id || "fedgate-session-v1"; plaintext: compact JSON.

SESSION_AAD = b"fedgate-session-v1"


def keyring_keys(state_dir):
    """[(key id bytes, key bytes)] of state_dir/keyring.json, oldest first
    (the last one is the active key)."""
    with open(os.path.join(state_dir, "keyring.json")) as f:
        ring = json.load(f)
    keys = sorted(ring["keys"], key=lambda k: k["created"])
    return [(bytes.fromhex(k["id"]), base64.b64decode(k["key"]))
            for k in keys]


def _unb64url(s):
    return base64.urlsafe_b64decode(s + "=" * (-len(s) % 4))


def session_unseal(keys, token):
    """The session JSON (dict) inside token, opened with keys."""
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM
    raw = _unb64url(token)
    if raw[0] != 1:
        raise ValueError("not a version 1 sealed blob")
    hdr, nonce, ct = raw[:5], raw[5:17], raw[17:]
    for kid, key in keys:
        if kid == hdr[1:]:
            pt = AESGCM(key).decrypt(nonce, ct, hdr + SESSION_AAD)
            return json.loads(pt)
    raise KeyError(f"key id {hdr[1:].hex()} not in the ring")


def session_seal(kid, key, session):
    """Seal a session dict under (kid, key), as fedgate's mint does."""
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM
    hdr = b"\x01" + kid
    nonce = os.urandom(12)
    pt = json.dumps(session, separators=(",", ":")).encode()
    ct = AESGCM(key).encrypt(nonce, pt, hdr + SESSION_AAD)
    return b64url(hdr + nonce + ct)


# ------------------------------------------------------- SimpleSAMLphp ---
# A real SAML IdP: Debian's simplesamlphp 1.19 under `php -S` on loopback,
# with a config dir rendered from templates (SIMPLESAMLPHP_CONFIG_DIR), its
# signing key made with openssl per run, driven by an HTTP client with a
# cookie jar as a browser would be (ecosystem.md §4.2).

import html.parser      # noqa: E402  (section-local imports)
import http.cookiejar   # noqa: E402
import urllib.request   # noqa: E402
import zlib             # noqa: E402

SSP_WWW = "/usr/share/simplesamlphp/www"
PHP_BIN = "/usr/bin/php"


def simplesamlphp_missing():
    """None when php + simplesamlphp + php-xml are usable, else why not."""
    if not os.access(PHP_BIN, os.X_OK):
        return f"{PHP_BIN} not installed (Debian php-cli)"
    if not os.path.isfile(os.path.join(SSP_WWW, "saml2/idp/SSOService.php")):
        return f"{SSP_WWW} missing (Debian simplesamlphp)"
    if shutil.which("openssl") is None:
        return "openssl not installed"
    p = subprocess.run([PHP_BIN, "-r", "exit(class_exists('DOMDocument') "
                        "&& function_exists('mb_strlen') ? 0 : 1);"],
                       capture_output=True, timeout=20)
    if p.returncode != 0:
        return "php lacks DOM or mbstring (Debian php-xml, php-mbstring)"
    return None


class _Forms(html.parser.HTMLParser):
    """Every <form>: {"action", "method", "fields": {name: value}}."""

    def __init__(self):
        super().__init__()
        self.forms = []

    def handle_starttag(self, tag, attrs):
        a = {k: (v or "") for k, v in attrs}
        if tag == "form":
            self.forms.append({"action": a.get("action", ""),
                               "method": a.get("method", "get").lower(),
                               "fields": {}})
        elif tag == "input" and self.forms and a.get("name"):
            self.forms[-1]["fields"][a["name"]] = a.get("value", "")


def html_forms(text):
    p = _Forms()
    p.feed(text)
    return p.forms


class SamlLogin:
    """What the IdP hands the browser: the auto-submit form's target and
    fields, plus the decoded Response XML."""

    def __init__(self, action, fields):
        self.action = action
        self.fields = fields
        self.saml_response = fields["SAMLResponse"]
        self.relay_state = fields.get("RelayState")
        self.xml = base64.b64decode(self.saml_response)


class SimpleSAMLphp:
    """One `php -S` process serving SimpleSAMLphp from SSP_WWW."""

    def __init__(self, tmp, template_dir, subst, port=None):
        self.port = port or free_port()
        self.dir = os.path.join(tmp, "ssp")
        self.template_dir = template_dir
        self.subst = dict(subst)
        self.subst.setdefault("BASEURL", self.url)
        self.subst.setdefault("DIR", self.dir)
        self.subst.setdefault("SALT", uuid.uuid4().hex)
        self.subst.setdefault("ADMINPASS", uuid.uuid4().hex)
        self.out_path = os.path.join(self.dir, "php.stderr")
        self.log_path = os.path.join(self.dir, "log", "simplesamlphp.log")
        self.cert_path = os.path.join(self.dir, "cert", "idp.crt")
        self.proc = None

    @property
    def url(self):
        return f"http://127.0.0.1:{self.port}"

    @property
    def entity_id(self):
        return self.url + "/saml2/idp/metadata.php"

    def render(self):
        for sub in ("config", "metadata", "cert", "log", "data", "tmp",
                    "sess"):
            os.makedirs(os.path.join(self.dir, sub), exist_ok=True)
        for rel, dest in (("config.php", "config"),
                          ("authsources.php", "config"),
                          ("metadata/saml20-idp-hosted.php", "metadata"),
                          ("metadata/saml20-sp-remote.php", "metadata")):
            with open(os.path.join(self.template_dir, rel)) as f:
                text = f.read()
            for k, v in self.subst.items():
                text = text.replace(f"@{k}@", str(v))
            left = re.findall(r"@[A-Z0-9_]+@", text)
            if left:
                raise RuntimeError(f"unsubstituted placeholders {left} "
                                   f"in {rel}")
            with open(os.path.join(self.dir, dest,
                                   os.path.basename(rel)), "w") as f:
                f.write(text)
        # the IdP's signing key: fresh per run, never checked in
        subprocess.run(
            ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-sha256",
             "-nodes", "-days", "2", "-subj", "/CN=ssp-test-idp",
             "-keyout", os.path.join(self.dir, "cert", "idp.key"),
             "-out", self.cert_path],
            check=True, capture_output=True, timeout=60)

    def start(self, ready_timeout=20):
        self.render()
        env = dict(os.environ)
        env["SIMPLESAMLPHP_CONFIG_DIR"] = os.path.join(self.dir, "config")
        out = open(self.out_path, "ab")
        try:
            self.proc = subprocess.Popen(
                [PHP_BIN, "-d", "session.save_path=" +
                 os.path.join(self.dir, "sess"),
                 "-d", "display_errors=stderr",
                 "-S", f"127.0.0.1:{self.port}", "-t", SSP_WWW],
                stdin=subprocess.DEVNULL, stdout=out, stderr=out,
                cwd=self.dir, env=env)
        finally:
            out.close()
        deadline = time.monotonic() + ready_timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"php -S exited with "
                                   f"{self.proc.returncode}\n{self.logs()}")
            if port_open(self.port):
                return self
            time.sleep(0.05)
        self.stop()
        raise RuntimeError(f"php -S not listening on {self.port}\n"
                           f"{self.logs()}")

    def stop(self, timeout=5):
        if self.proc is None or self.proc.poll() is not None:
            return
        self.proc.terminate()
        try:
            self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(5)

    def logs(self, limit=4000):
        parts = []
        for name, p in (("php -S", self.out_path),
                        ("simplesamlphp.log", self.log_path)):
            try:
                with open(p, "rb") as f:
                    data = f.read().decode("utf-8", "replace")
            except OSError:
                data = ""
            parts.append(f"--- {name} (tail) ---\n{data[-limit:]}")
        return "\n".join(parts)

    def metadata(self):
        """The IdP's SAML 2.0 metadata (EntityDescriptor XML bytes)."""
        with self.browser().open(self.url + "/saml2/idp/metadata.php",
                                 timeout=REQ_TIMEOUT) as r:
            return r.read()

    # -- browser --
    @staticmethod
    def browser():
        """An opener with its own cookie jar (one browser profile); never
        through an http_proxy of the environment: the IdP is on loopback."""
        return urllib.request.build_opener(
            urllib.request.ProxyHandler({}),
            urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))

    @staticmethod
    def _post_form(base, text):
        forms = html_forms(text)
        for f in forms:
            if "SAMLResponse" in f["fields"]:
                return SamlLogin(urllib.parse.urljoin(base, f["action"]),
                                 f["fields"])
        raise AssertionError(f"no SAMLResponse form in {text[:800]!r}")

    def _login_form(self, opener, start_url, username, password):
        with opener.open(start_url, timeout=REQ_TIMEOUT) as r:
            url, text = r.geturl(), r.read().decode("utf-8", "replace")
        forms = [f for f in html_forms(text) if "AuthState" in f["fields"]]
        if not forms:
            return url, text        # an IdP session: no form this time
        f = forms[0]
        fields = dict(f["fields"])
        fields.update({"username": username, "password": password})
        target = urllib.parse.urljoin(url, f["action"] or url)
        with opener.open(target, data=urllib.parse.urlencode(
                fields).encode(), timeout=REQ_TIMEOUT) as r:
            return r.geturl(), r.read().decode("utf-8", "replace")

    def idp_initiated(self, sp_entity_id, username, password, opener=None,
                      relay_state=None):
        """Log in through the IdP-initiated SSO URL (an "AWS tile")."""
        q = {"spentityid": sp_entity_id}
        if relay_state is not None:
            q["RelayState"] = relay_state
        start = (self.url + "/saml2/idp/SSOService.php?" +
                 urllib.parse.urlencode(q))
        url, text = self._login_form(opener or self.browser(), start,
                                     username, password)
        return self._post_form(url, text)

    def sp_initiated(self, sp_entity_id, acs_url, username, password,
                     request_id=None, relay_state=None, opener=None):
        """Send an unsigned AuthnRequest by HTTP-Redirect, log in, return
        (SamlLogin, request ID)."""
        rid = request_id or "_" + uuid.uuid4().hex
        now = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
        req = (
            '<samlp:AuthnRequest xmlns:samlp="urn:oasis:names:tc:SAML:2.0:'
            'protocol" xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion" '
            f'ID="{rid}" Version="2.0" IssueInstant="{now}" '
            f'Destination="{self.url}/saml2/idp/SSOService.php" '
            f'AssertionConsumerServiceURL="{acs_url}" ProtocolBinding='
            '"urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST">'
            f'<saml:Issuer>{sp_entity_id}</saml:Issuer>'
            '</samlp:AuthnRequest>')
        co = zlib.compressobj(9, zlib.DEFLATED, -15)    # raw DEFLATE
        packed = co.compress(req.encode()) + co.flush()
        q = {"SAMLRequest": base64.b64encode(packed).decode()}
        if relay_state is not None:
            q["RelayState"] = relay_state
        start = (self.url + "/saml2/idp/SSOService.php?" +
                 urllib.parse.urlencode(q))
        opener = opener or self.browser()
        url, text = self._login_form(opener, start, username, password)
        return self._post_form(url, text), rid


# ---------------------------------------------------------- web cookies ---
# The login page's sealed cookies (gateway/websess.c): the blob of
# session_seal above, with the cookie's purpose string as the AAD suffix,
# over zlib-compressed compact JSON. The session's JSON members: sid, csrf,
# p (provider), k (kind), iat (sign-in time), seen (last use), u, id.

WEB_COOKIE_PURPOSES = {"session": b"fedgate-web-session-v1",
                       "flow": b"fedgate-web-flow-v1",
                       "cli": b"fedgate-web-cli-v1"}


def web_cookie_open(keys, kind, value):
    """The JSON (dict) inside a fedgate-session/-flow/-cli cookie value."""
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM
    raw = _unb64url(value)
    if raw[0] != 1:
        raise ValueError("not a version 1 sealed blob")
    hdr, nonce, ct = raw[:5], raw[5:17], raw[17:]
    for kid, key in keys:
        if kid == hdr[1:]:
            pt = AESGCM(key).decrypt(nonce, ct,
                                     hdr + WEB_COOKIE_PURPOSES[kind])
            return json.loads(zlib.decompress(pt))
    raise KeyError(f"key id {hdr[1:].hex()} not in the ring")


def web_cookie_seal(kid, key, kind, obj):
    """A cookie value fedgate's key ring opens, holding obj."""
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM
    hdr = b"\x01" + kid
    nonce = os.urandom(12)
    pt = zlib.compress(json.dumps(obj, separators=(",", ":")).encode(), 9)
    ct = AESGCM(key).encrypt(nonce, pt, hdr + WEB_COOKIE_PURPOSES[kind])
    return b64url(hdr + nonce + ct)
