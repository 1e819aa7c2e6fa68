"""Operations features of [5/5] against the real fedgate binary.

- JWT jti replay protection (`replay_protection: true` per OIDC provider):
  the same token twice is refused as a replay (InvalidIdentityToken, audit
  reason "replay", fedgate_replay_rejections_total) while a provider
  without it accepts the same token twice; a token without jti is keyed by
  its hash; a request refused for a bad parameter does not spend the token;
  across two instances on a real redis-server, and with Redis stopped the
  replay-protected provider fails closed (503 ServiceUnavailable) while the
  other keeps working.
- `metrics_listen`: /metrics only on that address, 404 on the API listener.
- sd_notify: READY=1, RELOADING=1 + MONOTONIC_USEC then READY=1 around
  SIGHUP, STOPPING=1 on SIGTERM, to a path and to an abstract socket.
- `store_memory_max_entries`: a flood of unique SAML assertion IDs fills the
  memory store; further ones are refused (503, fail closed), nothing is
  evicted early (a replay of an accepted one is still a replay).
- SAML `metadata_url` returning garbage (not XML, XML without keys, 500,
  oversized): at start fedgate refuses to start; at reload the last good
  metadata keeps serving (README "When something fails").
IdP JWKS rotation and IdP down are covered by test_jwks.py
(TestRotation, TestIdpDown*) and test_reload.py (TestIdpDownDuringReload).
"""
import hashlib
import http.server
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import tempfile
import threading
import time
import unittest

import fedgate_harness as H
import saml_idp as S
from fedgate_harness import ACCOUNT, expect_error
from test_redis import REDIS_BIN, RedisServer

SP_ENTITY = "urn:fedgate:sp:ops"
CORP = "https://idp.ops.test/saml"
CORP_ARN = f"arn:aws:iam::{ACCOUNT}:saml-provider/corp"
SAML_ROLE = f"arn:aws:iam::{ACCOUNT}:role/SamlRole"
OTHER_ROLE = f"arn:aws:iam::{ACCOUNT}:role/other-role"


def metric(fg, name, port=None):
    """Value of an unlabelled sample of fg's /metrics (0 if absent)."""
    r = H.http_request(port or fg.port, "GET", "/metrics")
    for ln in r.text().splitlines():
        if ln.startswith(name + " "):
            return float(ln.split(" ", 1)[1])
    return 0.0


def saml_role():
    return {"name": "SamlRole", "trust_policy": {
        "Version": "2012-10-17", "Statement": [{
            "Effect": "Allow", "Principal": {"Federated": CORP_ARN},
            "Action": "sts:AssumeRoleWithSAML"}]}}


def start_env(fg, env, **kw):
    saved = dict(os.environ)
    os.environ.update(env)
    try:
        return fg.start(**kw)
    finally:
        os.environ.clear()
        os.environ.update(saved)


def audit_reason(tc, fg, rid):
    rec = H.audit_find(fg, lambda x: x.get(
        "requestID", x.get("requestId")) == rid)
    tc.assertIsNotNone(rec, f"no audit line for request {rid}")
    return rec.get("reason")


# ------------------------------------------------------ jti replay ---

class ReplayMemoryCase(H.FedgateCase):
    """testidp with replay_protection, otheridp without (memory store)."""

    @classmethod
    def make_config(cls, fg_port, tmp, idp):
        cls.idp2 = H.TestIdP().start()
        providers = [
            {"name": "testidp", "type": "oidc", "issuer": idp.issuer,
             "audiences": [H.AUDIENCE], "algorithms": ["RS256"],
             "replay_protection": True},
            {"name": "otheridp", "type": "oidc", "issuer": cls.idp2.issuer,
             "audiences": [H.AUDIENCE], "algorithms": ["RS256"]},
        ]
        roles = [H.web_role(idp.host_path),
                 H.web_role(cls.idp2.host_path, name="other-role")]
        return H.base_config(fg_port, tmp, idp, roles=roles,
                             providers=providers)

    @classmethod
    def tearDownClass(cls):
        try:
            super().tearDownClass()
        finally:
            cls.idp2.stop()

    def replayed(self, r, token):
        msg, rid = expect_error(self, r, "InvalidIdentityToken", 400,
                                token=token)
        self.assertIn("already used", msg)
        self.assertEqual(audit_reason(self, self.fg, rid), "replay")

    def test_same_token_twice_refused(self):
        before = metric(self.fg, "fedgate_replay_rejections_total")
        tok = self.idp.token("rsa1", jti="jti-" + os.urandom(8).hex())
        self.assertEqual(self.fg.assume(tok, session="s-a").status, 200)
        self.replayed(self.fg.assume(tok, session="s-b"), tok)
        self.replayed(self.fg.assume(tok, session="s-c"), tok)
        self.assertEqual(metric(self.fg, "fedgate_replay_rejections_total")
                         - before, 2)
        # another jti from the same IdP is a new token
        tok2 = self.idp.token("rsa1", jti="jti-" + os.urandom(8).hex())
        self.assertEqual(self.fg.assume(tok2).status, 200)

    def test_token_without_jti_keyed_by_hash(self):
        t1 = self.idp.token("rsa1", sub="user-nojti-1")
        t2 = self.idp.token("rsa1", sub="user-nojti-2")
        self.assertNotIn("jti", json.loads(H._unb64url(t1.split(".")[1])))
        self.assertEqual(self.fg.assume(t1).status, 200)
        self.assertEqual(self.fg.assume(t2).status, 200)
        self.replayed(self.fg.assume(t1), t1)

    def test_refused_request_does_not_spend(self):
        tok = self.idp.token("rsa1", jti="jti-" + os.urandom(8).hex())
        expect_error(self, self.fg.assume(tok, extra={
            "DurationSeconds": "100"}), "ValidationError", 400)
        expect_error(self, self.fg.assume(tok, role_arn=OTHER_ROLE),
                     "AccessDenied", 403)
        self.assertEqual(self.fg.assume(tok).status, 200)
        self.replayed(self.fg.assume(tok), tok)

    def test_provider_without_protection_accepts_twice(self):
        tok = self.idp2.token("rsa1", jti="same-jti")
        for s in ("s-x", "s-y", "s-z"):
            r = self.fg.assume(tok, session=s, role_arn=OTHER_ROLE)
            self.assertEqual(r.status, 200, r)

    def test_check_rejects_bad_value(self):
        cfg = json.loads(json.dumps(self.fg.config))
        cfg["providers"][0]["replay_protection"] = "yes"
        path = os.path.join(self.tmp, "bad.yaml")
        with open(path, "w") as f:
            f.write(H.to_yaml(cfg))
        p = subprocess.run([H.fedgate_bin(), "check", "-c", path],
                           capture_output=True, text=True, timeout=30)
        self.assertEqual(p.returncode, 1, p)
        self.assertRegex(p.stderr, rf"{re.escape(path)}:\d+: "
                         r"providers\[0\]\.replay_protection: ")


@unittest.skipUnless(os.access(REDIS_BIN, os.X_OK),
                     "redis-server not installed")
class TestReplayRedis(unittest.TestCase):
    """Two instances on one real redis-server; then Redis stopped."""

    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp(prefix="fedgate-jti-")
        cls.fgs = []
        cls.redis = RedisServer(cls.tmp)
        cls.idp = H.TestIdP()
        cls.idp2 = H.TestIdP()
        try:
            cls.redis.start()
            cls.idp.start()
            cls.idp2.start()
            cls.a = cls.instance("a")
            cls.b = cls.instance("b")
        except Exception:
            cls.cleanup()
            raise

    @classmethod
    def instance(cls, name):
        tmp = os.path.join(cls.tmp, name)
        os.makedirs(tmp)
        fg = H.Fedgate(tmp)
        providers = [
            {"name": "testidp", "type": "oidc", "issuer": cls.idp.issuer,
             "audiences": [H.AUDIENCE], "algorithms": ["RS256"],
             "replay_protection": True},
            {"name": "otheridp", "type": "oidc", "issuer": cls.idp2.issuer,
             "audiences": [H.AUDIENCE], "algorithms": ["RS256"]},
        ]
        roles = [H.web_role(cls.idp.host_path),
                 H.web_role(cls.idp2.host_path, name="other-role")]
        fg.config = H.base_config(fg.port, tmp, cls.idp, roles=roles,
                                  providers=providers, store=cls.redis.url)
        cls.fgs.append(fg)
        return fg.start()

    @classmethod
    def cleanup(cls):
        for fg in cls.fgs:
            fg.kill()
        cls.redis.stop()
        cls.idp.stop()
        cls.idp2.stop()
        if not os.environ.get("FEDGATE_KEEP_TMP"):
            shutil.rmtree(cls.tmp, ignore_errors=True)

    @classmethod
    def tearDownClass(cls):
        rcs = [fg.stop() for fg in cls.fgs]
        outs = [fg.output() for fg in cls.fgs]
        cls.cleanup()
        bad = [m for o in outs for m in H.SANITIZER_MARKS if m in o]
        if any(rc != 0 for rc in rcs) or bad:
            raise AssertionError(f"fedgate stop: exits {rcs} {bad}")

    def test_1_replay_across_instances(self):
        jti = "jti-" + os.urandom(8).hex()
        tok = self.idp.token("rsa1", jti=jti, lifetime=300)
        self.assertEqual(self.a.assume(tok).status, 200)
        msg, _ = expect_error(self, self.b.assume(tok),
                              "InvalidIdentityToken", 400, token=tok)
        self.assertIn("already used", msg)
        expect_error(self, self.a.assume(tok), "InvalidIdentityToken", 400)
        cli = shutil.which("redis-cli")
        if cli is None:
            return
        key = ("fedgate:jti:testidp:" +
               hashlib.sha256(jti.encode()).hexdigest())
        ttl = int(subprocess.run(
            [cli, "-p", str(self.redis.port), "PTTL", key],
            capture_output=True, text=True, timeout=10).stdout)
        # until exp + clock skew (60 s), not longer
        self.assertGreater(ttl, 300 * 1000)
        self.assertLessEqual(ttl, (300 + 60 + 2) * 1000)

    def test_2_redis_down_fails_closed(self):
        before = metric(self.a, "fedgate_store_errors_total")
        self.redis.stop()
        try:
            tok = self.idp.token("rsa1", jti="jti-" + os.urandom(8).hex())
            r = self.a.assume(tok)
            self.assertEqual(r.status, 503, r)
            typ, code, msg, _ = r.error()
            self.assertEqual((typ, code), ("Receiver", "ServiceUnavailable"))
            self.assertNotIn(tok[:30], msg)
            # a provider without replay protection does not need Redis
            r = self.a.assume(self.idp2.token("rsa1"), role_arn=OTHER_ROLE)
            self.assertEqual(r.status, 200, r)
            self.assertGreaterEqual(
                metric(self.a, "fedgate_store_errors_total") - before, 1)
        finally:
            self.redis.start()
        # the refused token was not spent: accepted once Redis is back
        deadline = time.monotonic() + 10
        while True:
            r = self.a.assume(tok)
            if r.status == 200 or time.monotonic() > deadline:
                break
            time.sleep(0.2)
        self.assertEqual(r.status, 200, r)
        expect_error(self, self.b.assume(tok), "InvalidIdentityToken", 400)


# -------------------------------------------------- metrics_listen ---

class TestMetricsListen(H.FedgateCase):
    @classmethod
    def make_config(cls, fg_port, tmp, idp):
        cls.mport = H.free_port()
        return H.base_config(fg_port, tmp, idp,
                             metrics_listen=f"127.0.0.1:{cls.mport}")

    def test_metrics_only_on_metrics_listen(self):
        self.assertEqual(self.fg.assume(self.idp.token()).status, 200)
        r = H.http_request(self.mport, "GET", "/metrics")
        self.assertEqual(r.status, 200, r)
        self.assertIn("fedgate_build_info", r.text())
        self.assertRegex(r.text(), r'fedgate_credentials_issued_total\{'
                         r'action="AssumeRoleWithWebIdentity"')
        # not on the API listener
        r = self.fg.get("/metrics")
        self.assertEqual(r.status, 404, r)
        self.assertNotIn("fedgate_build_info", r.text())
        # nothing else on the metrics address
        for path in ("/", "/healthz", "/metrics/x"):
            r = H.http_request(self.mport, "GET", path)
            self.assertEqual(r.status, 404, (path, r))
        r = H.http_request(self.mport, "POST", "/metrics", body=b"x=1",
                           headers={"Content-Type": H.FORM})
        self.assertEqual(r.status, 404, r)
        # the API and probes stay on the main listener
        self.assertEqual(self.fg.get("/healthz").status, 200)
        self.assertIn(f":{self.mport} only", self.fg.output())

    def test_check_errors(self):
        for bad, want in (("127.0.0.1", "expected \"host:port\""),
                          ("127.0.0.1:99999", "port must be"),
                          ("::1:9100", "must be bracketed")):
            with self.subTest(bad=bad):
                cfg = json.loads(json.dumps(self.fg.config))
                cfg["metrics_listen"] = bad
                path = os.path.join(self.tmp, "bad.yaml")
                with open(path, "w") as f:
                    f.write(H.to_yaml(cfg))
                p = subprocess.run([H.fedgate_bin(), "check", "-c", path],
                                   capture_output=True, text=True,
                                   timeout=30)
                self.assertEqual(p.returncode, 1, p)
                self.assertRegex(p.stderr, rf"{re.escape(path)}:\d+: "
                                 rf"metrics_listen: .*{re.escape(want)}")


# -------------------------------------------------------- sd_notify ---

class NotifyListener:
    """A datagram socket standing in for systemd's notify socket."""

    def __init__(self, tmp, abstract=False):
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        if abstract:
            name = f"fedgate-test-{os.getpid()}-{os.urandom(4).hex()}"
            self.sock.bind("\0" + name)
            self.env = "@" + name
        else:
            self.env = os.path.join(tmp, "notify.sock")
            self.sock.bind(self.env)
        self.sock.settimeout(0.2)

    def next(self, timeout=10):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                return self.sock.recv(4096).decode()
            except socket.timeout:
                continue
        raise AssertionError("no sd_notify message")

    def close(self):
        self.sock.close()


class TestSdNotify(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="fedgate-notify-")
        self.idp = H.TestIdP().start()

    def tearDown(self):
        self.idp.stop()
        if not os.environ.get("FEDGATE_KEEP_TMP"):
            shutil.rmtree(self.tmp, ignore_errors=True)

    def run_cycle(self, abstract):
        ln = NotifyListener(self.tmp, abstract)
        fg = H.Fedgate(self.tmp)
        fg.config = H.base_config(fg.port, self.tmp, self.idp)
        try:
            start_env(fg, {"NOTIFY_SOCKET": ln.env})
            msg = ln.next()
            self.assertTrue(msg.startswith("READY=1"), msg)
            # listeners were up when READY=1 was sent
            self.assertEqual(fg.get("/healthz").status, 200)
            fg.proc.send_signal(signal.SIGHUP)
            msg = ln.next()
            self.assertRegex(msg, r"\ARELOADING=1\nMONOTONIC_USEC=\d+\Z")
            usec = int(msg.rsplit("=", 1)[1])
            self.assertLessEqual(usec, time.monotonic_ns() // 1000)
            msg = ln.next()
            self.assertTrue(msg.startswith("READY=1\nSTATUS=serving "
                                           "(reloaded)"), msg)
            # a failed reload still ends with READY=1, saying so
            with open(fg.conf_path, "a") as f:
                f.write("no_such_key: 1\n")
            fg.proc.send_signal(signal.SIGHUP)
            self.assertTrue(ln.next().startswith("RELOADING=1"))
            self.assertIn("reload failed", ln.next())
            self.assertEqual(fg.assume(self.idp.token()).status, 200)
            fg.proc.send_signal(signal.SIGTERM)
            self.assertEqual(ln.next(), "STOPPING=1")
            self.assertEqual(fg.proc.wait(10), 0)
        finally:
            fg.kill()
            ln.close()

    def test_path_socket(self):
        self.run_cycle(abstract=False)

    def test_abstract_socket(self):
        self.run_cycle(abstract=True)

    def test_without_notify_socket(self):
        """No $NOTIFY_SOCKET: nothing to send, nothing logged."""
        fg = H.Fedgate(self.tmp)
        fg.config = H.base_config(fg.port, self.tmp, self.idp)
        saved = os.environ.pop("NOTIFY_SOCKET", None)
        try:
            fg.start()
            self.assertEqual(fg.stop(), 0)
            self.assertNotIn("sdnotify", fg.output())
        finally:
            fg.kill()
            if saved is not None:
                os.environ["NOTIFY_SOCKET"] = saved

    def test_bad_notify_socket_is_not_fatal(self):
        fg = H.Fedgate(self.tmp)
        fg.config = H.base_config(fg.port, self.tmp, self.idp)
        try:
            start_env(fg, {"NOTIFY_SOCKET": "relative/path"})
            self.assertEqual(fg.assume(self.idp.token()).status, 200)
            self.assertEqual(fg.stop(), 0)
            self.assertIn("NOTIFY_SOCKET", fg.output())
        finally:
            fg.kill()


# -------------------------------------------- memory store bounded ---

class TestMemoryStoreCap(H.FedgateCase):
    CAP = 20

    @classmethod
    def make_config(cls, fg_port, tmp, idp):
        cls.corp = S.SamlIdP(tmp, "corp", CORP)
        cls.acs = f"http://127.0.0.1:{fg_port}/saml/acs"
        providers = [{"name": "testidp", "type": "oidc",
                      "issuer": idp.issuer, "audiences": [H.AUDIENCE]},
                     {"name": "corp", "type": "saml",
                      "metadata_file": cls.corp.metadata_path}]
        return H.base_config(fg_port, tmp, idp, providers=providers,
                             roles=[H.web_role(idp.host_path), saml_role()],
                             saml_sp={"entity_id": SP_ENTITY},
                             store_memory_max_entries=cls.CAP,
                             max_body_bytes=262144)

    def saml(self, b64):
        return self.fg.sts({"Action": "AssumeRoleWithSAML",
                            "Version": "2011-06-15", "RoleArn": SAML_ROLE,
                            "PrincipalArn": CORP_ARN, "SAMLAssertion": b64})

    def assertion(self):
        b64, _ = self.corp.build(self.acs, SP_ENTITY, attrs=[
            (S.A_ROLE, [f"{SAML_ROLE},{CORP_ARN}"]), (S.A_RSN, ["alice"])])
        return b64

    def test_flood_refused_when_full(self):
        before = metric(self.fg, "fedgate_store_errors_total")
        accepted = []
        for _ in range(self.CAP):
            b64 = self.assertion()
            r = self.saml(b64)
            self.assertEqual(r.status, 200, r)
            accepted.append(b64)
        # full of unexpired IDs: new ones refused, fail closed
        for _ in range(5):
            r = self.saml(self.assertion())
            self.assertEqual(r.status, 503, r)
            self.assertEqual(r.error()[1], "ServiceUnavailable")
        self.assertGreaterEqual(
            metric(self.fg, "fedgate_store_errors_total") - before, 5)
        # nothing was evicted to make room: the first is still a replay
        expect_error(self, self.saml(accepted[0]), "InvalidIdentityToken",
                     400)
        # OIDC without replay protection does not need the store
        self.assertEqual(self.fg.assume(self.idp.token()).status, 200)
        self.assertIn("memory store full", self.fg.output())

    def test_check_bounds(self):
        for bad in (0, 1000001, "x"):
            with self.subTest(bad=bad):
                cfg = json.loads(json.dumps(self.fg.config))
                cfg["store_memory_max_entries"] = bad
                path = os.path.join(self.tmp, "bad.yaml")
                with open(path, "w") as f:
                    f.write(H.to_yaml(cfg))
                p = subprocess.run([H.fedgate_bin(), "check", "-c", path],
                                   capture_output=True, text=True,
                                   timeout=30)
                self.assertEqual(p.returncode, 1, p)
                self.assertRegex(p.stderr, rf"{re.escape(path)}:\d+: "
                                 r"store_memory_max_entries: ")


# ---------------------------------------- metadata_url returning garbage ---

class MetadataServer:
    """Serves /md with a settable status and body."""

    def __init__(self):
        self.status, self.body = 200, b""
        srv = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self):
                self.send_response(srv.status)
                self.send_header("Content-Type", "application/xml")
                self.send_header("Content-Length", str(len(srv.body)))
                self.end_headers()
                try:
                    self.wfile.write(srv.body)
                except OSError:
                    pass    # fedgate hung up on an oversized document

            def log_message(self, *a):
                pass
        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0),
                                                     Handler)
        self.httpd.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/md"
        threading.Thread(target=self.httpd.serve_forever,
                         kwargs={"poll_interval": 0.05}, daemon=True).start()

    def stop(self):
        self.httpd.shutdown()
        self.httpd.server_close()


NO_KEYS = (b'<?xml version="1.0"?>\n<md:EntityDescriptor xmlns:md='
           b'"urn:oasis:names:tc:SAML:2.0:metadata" entityID="' +
           CORP.encode() + b'"><md:IDPSSODescriptor protocolSupport'
           b'Enumeration="urn:oasis:names:tc:SAML:2.0:protocol"/>'
           b'</md:EntityDescriptor>\n')
GARBAGE = [
    ("not_xml", 200, b"this is not XML at all {\x00\xff"),
    ("xml_without_keys", 200, NO_KEYS),
    ("http_500", 500, b"<html>oops</html>"),
    ("oversized", 200, b"<x>" + b"A" * (1024 * 1024 + 10) + b"</x>"),
    ("empty", 200, b""),
]


class TestMetadataGarbage(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp(prefix="fedgate-md-")
        cls.idp = H.TestIdP().start()
        cls.md = MetadataServer()
        cls.corp = S.SamlIdP(cls.tmp, "corp", CORP)
        with open(cls.corp.metadata_path, "rb") as f:
            cls.good = f.read()

    @classmethod
    def tearDownClass(cls):
        cls.md.stop()
        cls.idp.stop()
        if not os.environ.get("FEDGATE_KEEP_TMP"):
            shutil.rmtree(cls.tmp, ignore_errors=True)

    def fedgate(self, name):
        tmp = os.path.join(self.tmp, name)
        os.makedirs(tmp, exist_ok=True)
        fg = H.Fedgate(tmp)
        providers = [{"name": "testidp", "type": "oidc",
                      "issuer": self.idp.issuer, "audiences": [H.AUDIENCE]},
                     {"name": "corp", "type": "saml",
                      "metadata_url": self.md.url}]
        fg.config = H.base_config(fg.port, tmp, self.idp,
                                  providers=providers,
                                  roles=[H.web_role(self.idp.host_path),
                                         saml_role()],
                                  saml_sp={"entity_id": SP_ENTITY},
                                  max_body_bytes=262144)
        fg.acs = f"http://127.0.0.1:{fg.port}/saml/acs"
        return fg

    def saml_ok(self, fg):
        b64, _ = self.corp.build(fg.acs, SP_ENTITY, attrs=[
            (S.A_ROLE, [f"{SAML_ROLE},{CORP_ARN}"]), (S.A_RSN, ["alice"])])
        r = fg.sts({"Action": "AssumeRoleWithSAML", "Version": "2011-06-15",
                    "RoleArn": SAML_ROLE, "PrincipalArn": CORP_ARN,
                    "SAMLAssertion": b64})
        self.assertEqual(r.status, 200, r)

    def test_at_start_refuses_to_start(self):
        for name, status, body in GARBAGE:
            with self.subTest(case=name):
                self.md.status, self.md.body = status, body
                fg = self.fedgate("start-" + name)
                try:
                    with self.assertRaises(RuntimeError) as cm:
                        fg.start(ready_timeout=20)
                    self.assertIn("exited with 1", str(cm.exception))
                    self.assertIn("corp", fg.output())
                finally:
                    fg.kill()

    def test_at_reload_last_good_kept(self):
        self.md.status, self.md.body = 200, self.good
        fg = self.fedgate("reload")
        fg.start(ready_timeout=20)
        try:
            self.saml_ok(fg)
            for name, status, body in GARBAGE:
                with self.subTest(case=name):
                    self.md.status, self.md.body = status, body
                    n = fg.output().count("reload failed")
                    fg.proc.send_signal(signal.SIGHUP)
                    deadline = time.monotonic() + 20
                    while fg.output().count("reload failed") == n:
                        self.assertLess(time.monotonic(), deadline,
                                        fg.logs())
                        time.sleep(0.05)
                    self.assertEqual(metric(
                        fg, "fedgate_config_last_reload_successful"), 0)
                    self.saml_ok(fg)
                    self.assertEqual(fg.assume(self.idp.token()).status,
                                     200)
            self.md.status, self.md.body = 200, self.good
            n = fg.output().count("configuration applied")
            fg.proc.send_signal(signal.SIGHUP)
            deadline = time.monotonic() + 20
            while fg.output().count("configuration applied") == n:
                self.assertLess(time.monotonic(), deadline, fg.logs())
                time.sleep(0.05)
            self.assertEqual(metric(
                fg, "fedgate_config_last_reload_successful"), 1)
            self.saml_ok(fg)
            self.assertEqual(fg.stop(), 0)
            marks = [m for m in H.SANITIZER_MARKS if m in fg.output()]
            self.assertEqual(marks, [], fg.logs())
        finally:
            fg.kill()


if __name__ == "__main__":
    unittest.main()
