"""Shared state on a real redis-server (Debian's), started by this test on
127.0.0.1 on a free port with a temp dir: nothing global is needed.

Two fedgate instances on different ports share one Redis: a SAML assertion
accepted by one is refused as a replay by the other. With Redis stopped,
AssumeRoleWithSAML fails closed (503 ServiceUnavailable) while
AssumeRoleWithWebIdentity still works; with Redis back, fedgate reconnects
by itself. Also: the password from $FEDGATE_REDIS_PASSWORD, and `store:`
errors reported as FILE:LINE by `fedgate check`.
"""
import os
import shutil
import signal
import subprocess
import tempfile
import time
import unittest

import fedgate_harness as H
import saml_idp as S

REDIS_BIN = "/usr/bin/redis-server"
ACCT = H.ACCOUNT
AWS_SIGNIN = "https://signin.aws.amazon.com/saml"
SP_ENTITY = "urn:fedgate:sp:redis-test"
CORP = "https://idp.corp.test/saml"
SAML_ROLE = f"arn:aws:iam::{ACCT}:role/SamlRole"
CORP_ARN = f"arn:aws:iam::{ACCT}:saml-provider/corp"
RECOVER_SECONDS = 10


class RedisServer:
    """One redis-server in the foreground: no persistence, loopback."""

    def __init__(self, tmp, password=None):
        self.dir = tempfile.mkdtemp(prefix="redis-", dir=tmp)
        self.port = H.free_port()
        self.password = password
        self.proc = None

    def start(self, timeout=10):
        args = [REDIS_BIN, "--port", str(self.port), "--bind", "127.0.0.1",
                "--save", "", "--appendonly", "no", "--daemonize", "no",
                "--dir", self.dir]
        if self.password:
            args += ["--requirepass", self.password]
        log = open(os.path.join(self.dir, "redis.log"), "ab")
        try:
            self.proc = subprocess.Popen(args, stdin=subprocess.DEVNULL,
                                         stdout=log, stderr=log)
        finally:
            log.close()
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"redis-server exited with "
                                   f"{self.proc.returncode}")
            if H.port_open(self.port):
                return self
            time.sleep(0.05)
        self.stop()
        raise RuntimeError("redis-server not ready")

    def stop(self):
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)
        self.proc = None

    @property
    def url(self):
        return f"redis://127.0.0.1:{self.port}/0"


def saml_role():
    return {"name": "SamlRole", "max_session_duration": 3600,
            "trust_policy": {"Version": "2012-10-17", "Statement": [{
                "Effect": "Allow",
                "Principal": {"Federated": CORP_ARN},
                "Action": ["sts:AssumeRoleWithSAML", "sts:TagSession"]}]}}


class RedisCase(unittest.TestCase):
    """fedgate A and B on one Redis, an OIDC IdP and a SAML IdP."""

    @classmethod
    def setUpClass(cls):
        if not os.access(REDIS_BIN, os.X_OK):
            raise unittest.SkipTest(f"{REDIS_BIN} not installed "
                                    "(Debian package redis-server)")
        cls.tmp = tempfile.mkdtemp(prefix="fedgate-redis-")
        cls.fgs = []
        cls.redis = RedisServer(cls.tmp)
        cls.idp = H.TestIdP()
        try:
            cls.redis.start()
            cls.idp.start()
            cls.corp = S.SamlIdP(cls.tmp, "corp", CORP)
            cls.a = cls.instance("a", cls.redis.url)
            cls.b = cls.instance("b", cls.redis.url)
        except Exception:
            cls.cleanup()
            raise

    @classmethod
    def instance(cls, name, store, env=None, start=True):
        tmp = os.path.join(cls.tmp, name)
        os.makedirs(tmp)
        fg = H.Fedgate(tmp)
        hp = cls.idp.issuer.split("://", 1)[1]
        fg.config = H.base_config(
            fg.port, tmp, cls.idp, store=store,
            roles=[H.web_role(hp), saml_role()],
            providers=[{"name": "testidp", "type": "oidc",
                        "issuer": cls.idp.issuer,
                        "audiences": [H.AUDIENCE],
                        "algorithms": ["RS256", "ES256", "PS256"]},
                       {"name": "corp", "type": "saml",
                        "metadata_file": cls.corp.metadata_path}],
            saml_sp={"entity_id": SP_ENTITY, "recipients": [AWS_SIGNIN]})
        cls.fgs.append(fg)
        if start:
            saved = dict(os.environ)
            os.environ.update(env or {})
            try:
                fg.start()
            finally:
                os.environ.clear()
                os.environ.update(saved)
        return fg

    @classmethod
    def cleanup(cls):
        for fg in cls.fgs:
            fg.kill()
        cls.redis.stop()
        cls.idp.stop()
        if not os.environ.get("FEDGATE_KEEP_TMP"):
            shutil.rmtree(cls.tmp, ignore_errors=True)

    @classmethod
    def tearDownClass(cls):
        bad = []
        for fg in cls.fgs:
            rc = fg.stop()
            out = fg.output()
            marks = [m for m in H.SANITIZER_MARKS if m in out]
            if (fg.proc is not None and rc != 0) or marks:
                bad.append(f"exit {rc} {marks}\n{fg.logs()}")
        cls.cleanup()
        if bad:
            raise AssertionError("fedgate stop:\n" + "\n".join(bad))

    def run(self, result=None):
        before = (len(result.failures) + len(result.errors)
                  if result is not None else 0)
        r = super().run(result)
        if result is not None and \
                len(result.failures) + len(result.errors) > before:
            for fg in self.fgs:
                for line in fg.logs().splitlines():
                    print(f"# {line}", flush=True)
        return r

    # ------------------------------------------------------- helpers ---

    def assertion(self):
        b64, _ = self.corp.build(AWS_SIGNIN, SP_ENTITY, attrs=[
            (S.A_ROLE, [f"{SAML_ROLE},{CORP_ARN}"]),
            (S.A_RSN, ["alice"])])
        return b64

    @staticmethod
    def saml(fg, b64):
        return fg.sts({"Action": "AssumeRoleWithSAML",
                       "Version": "2011-06-15", "RoleArn": SAML_ROLE,
                       "PrincipalArn": CORP_ARN, "SAMLAssertion": b64})

    def refused(self, r, status, code):
        self.assertEqual(r.status, status, r)
        typ, got, msg, _ = r.error()
        self.assertEqual(got, code, r)
        self.assertEqual(typ, "Receiver" if status >= 500 else "Sender")
        return msg

    def until_ok(self, fn):
        """fedgate backs off reconnecting (once a second per connection):
        recovery takes a moment, not a restart."""
        deadline = time.monotonic() + RECOVER_SECONDS
        while True:
            r = fn()
            if r.status == 200 or time.monotonic() > deadline:
                return r
            time.sleep(0.2)


class TestSharedReplay(RedisCase):
    def test_replay_refused_by_other_instance(self):
        b64 = self.assertion()
        r = self.saml(self.a, b64)
        self.assertEqual(r.status, 200, r)
        msg = self.refused(self.saml(self.b, b64), 400,
                           "InvalidIdentityToken")
        self.assertIn("already used", msg)
        self.refused(self.saml(self.a, b64), 400, "InvalidIdentityToken")
        # and the other way round
        b64 = self.assertion()
        self.assertEqual(self.saml(self.b, b64).status, 200)
        self.refused(self.saml(self.a, b64), 400, "InvalidIdentityToken")

    def test_keys_in_redis(self):
        """Replay keys are hashed and prefixed, and expire."""
        b64 = self.assertion()
        self.assertEqual(self.saml(self.a, b64).status, 200)
        cli = shutil.which("redis-cli")
        if cli is None:
            self.skipTest("redis-cli not installed")
        keys = subprocess.run(
            [cli, "-p", str(self.redis.port), "--scan", "--pattern",
             "fedgate:saml_replay:*"], capture_output=True, text=True,
            timeout=10).stdout.split()
        self.assertTrue(keys)
        for k in keys:
            self.assertRegex(k, r"\Afedgate:saml_replay:[0-9a-f]{64}\Z")
        ttl = int(subprocess.run(
            [cli, "-p", str(self.redis.port), "PTTL", keys[0]],
            capture_output=True, text=True, timeout=10).stdout)
        self.assertGreater(ttl, 0)
        self.assertLessEqual(ttl, (300 + 60 + 5) * 1000)

    def test_zz_redis_down_fails_closed_then_recovers(self):
        self.redis.stop()
        try:
            for fg in (self.a, self.b):
                b64 = self.assertion()
                msg = self.refused(self.saml(fg, b64), 503,
                                   "ServiceUnavailable")
                self.assertNotIn(b64[:40], msg)
                # OIDC does not need the store (no jti replay protection)
                r = fg.assume(self.idp.token())
                self.assertEqual(r.status, 200, r)
            # the refusal spent nothing: once back, it is accepted
            pending = self.assertion()
            self.refused(self.saml(self.a, pending), 503,
                         "ServiceUnavailable")
        finally:
            self.redis.start()
        r = self.until_ok(lambda: self.saml(self.a, pending))
        self.assertEqual(r.status, 200, r)
        self.refused(self.saml(self.b, pending), 400,
                     "InvalidIdentityToken")
        r = self.until_ok(lambda: self.saml(self.b, self.assertion()))
        self.assertEqual(r.status, 200, r)
        for fg in (self.a, self.b):
            self.assertIn("unreachable", fg.output())
            self.assertIn("reachable again", fg.output())


class TestPassword(RedisCase):
    """A Redis with requirepass: the password from the environment."""

    def test_password_from_env(self):
        red = RedisServer(self.tmp, password="Redis-pw-0123456789")
        red.start()
        try:
            good = self.instance("pw-good", red.url, env={
                "FEDGATE_REDIS_PASSWORD": "Redis-pw-0123456789"})
            bad = self.instance("pw-bad", red.url, env={
                "FEDGATE_REDIS_PASSWORD": "wrong"})
            b64 = self.assertion()
            self.assertEqual(self.saml(good, b64).status, 200)
            self.refused(self.saml(good, b64), 400, "InvalidIdentityToken")
            self.refused(self.saml(bad, self.assertion()), 503,
                         "ServiceUnavailable")
            self.assertNotIn("Redis-pw-0123456789", good.output())
            self.assertIn("AUTH failed", bad.output())
        finally:
            red.stop()

    def test_check_errors(self):
        """`store:` is checked strictly, reported as FILE:LINE."""
        fg = self.instance("check", "memory", start=False)
        cases = [
            ("redis://127.0.0.1", "a port is required"),
            ("redis://127.0.0.1:0/0", "port must be 1..65535"),
            ("redis://127.0.0.1:6379/999", "database must be"),
            ("rediss://127.0.0.1:6380", "TLS"),
            ("redis://u:p@127.0.0.1:6379", "only a password"),
            ("memcached://x:1", "must be 'memory'"),
        ]
        for store, want in cases:
            with self.subTest(store=store):
                fg.config["store"] = store
                fg.write_config()
                os.chmod(fg.conf_path, 0o600)
                p = subprocess.run([H.fedgate_bin(), "check", "-c",
                                    fg.conf_path], capture_output=True,
                                   text=True, timeout=30)
                self.assertEqual(p.returncode, 1, p)
                self.assertRegex(p.stderr, rf"{fg.conf_path}:\d+: store: "
                                 rf".*{want}")
        # a password in the URL only from a private file
        fg.config["store"] = "redis://:Secret-pw-42@127.0.0.1:6379/1"
        fg.write_config()
        os.chmod(fg.conf_path, 0o644)
        p = subprocess.run([H.fedgate_bin(), "check", "-c", fg.conf_path],
                           capture_output=True, text=True, timeout=30)
        self.assertEqual(p.returncode, 1, p)
        self.assertIn("mode 0600", p.stderr)
        self.assertNotIn("Secret-pw-42", p.stderr + p.stdout)
        os.chmod(fg.conf_path, 0o600)
        p = subprocess.run([H.fedgate_bin(), "check", "-c", fg.conf_path],
                           capture_output=True, text=True, timeout=30)
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertNotIn("Secret-pw-42", p.stderr + p.stdout)


if __name__ == "__main__":
    unittest.main()
