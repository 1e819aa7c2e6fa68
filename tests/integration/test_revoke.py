"""Revocation of issued sessions ([5/5] item 2).

The signed action Action=RevokeSessions (a fedgate extension, SigV4 by a
user allowed fedgate:Revoke) revokes one session by access key id, a
role's sessions issued before a time, or a subject's sessions of one
provider; revoked sessions then fail both signed STS calls and /authorize
while others keep working. `fedgate revoke` writes to a Redis store and
every instance sharing it enforces the revocation; with `store: memory`
it refuses. With Redis down, session-signed calls fail closed (503).
"""
import os
import subprocess
import time
import unittest
import urllib.parse

import botocore.auth as ba
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

import fedgate_harness as H
from fedgate_harness import expect_error
from test_redis import RedisServer

REGION = "us-east-1"
ACCT = H.ACCOUNT
ADMIN = ("AKIAFEDGATEADMIN0001", "admin-secret/Abcdefghijklmnop+01234567")
SCOPED = ("AKIAFEDGATESCOPED001", "scoped-secret/Abcdefghijklmno+0123456")
ALICE = ("AKIAFEDGATEALICE0001", "alice-secret/Abcdefghijklmnop+0123456")
APP_ROLES = ("app", "app2", "app3")
BUCKET_POLICY = {"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Action": "s3:GetObject",
     "Resource": "arn:aws:s3:::bucket/*"}]}


def role_arn(name):
    return f"arn:aws:iam::{ACCT}:role/{name}"


def allow(actions, resources="*"):
    return {"Version": "2012-10-17",
            "Statement": [{"Effect": "Allow", "Action": actions,
                           "Resource": resources}]}


def config(port, tmp, idp, store="memory"):
    alice = f"arn:aws:iam::{ACCT}:user/alice"
    roles = [dict(H.web_role(idp.host_path), policies={"s3": BUCKET_POLICY})]
    for name in APP_ROLES:
        roles.append({"name": name, "max_session_duration": 3600,
                      "policies": {"s3": BUCKET_POLICY},
                      "trust_policy": {"Version": "2012-10-17", "Statement": [
                          {"Effect": "Allow", "Principal": {"AWS": alice},
                           "Action": "sts:AssumeRole"}]}})
    users = [
        {"name": "admin", "access_keys": [{"id": ADMIN[0],
                                           "secret": ADMIN[1]}],
         "policies": {"revoke": allow("fedgate:Revoke")}},
        {"name": "scoped", "access_keys": [{"id": SCOPED[0],
                                            "secret": SCOPED[1]}],
         "policies": {"revoke": allow("fedgate:Revoke", role_arn("app3"))}},
        {"name": "alice", "access_keys": [{"id": ALICE[0],
                                           "secret": ALICE[1]}],
         "policies": {"sts": allow("sts:AssumeRole")}},
    ]
    return H.base_config(port, tmp, idp, roles=roles, users=users,
                         store=store)


def sign_sts(port, creds, params):
    body = urllib.parse.urlencode(params)
    req = AWSRequest(method="POST", url=f"http://127.0.0.1:{port}/",
                     data=body,
                     headers={"Content-Type": H.FORM + "; charset=utf-8"})
    ba.SigV4Auth(Credentials(*creds), "sts", REGION).add_auth(req)
    return H.http_request(port, "POST", "/", body=body.encode(),
                          headers=dict(req.headers.items()))


def authorize(port, creds, path="/bucket/key"):
    req = AWSRequest(method="GET", url=f"http://127.0.0.1:{port}{path}",
                     data=b"")
    ba.S3SigV4Auth(Credentials(*creds), "s3", REGION).add_auth(req)
    h = dict(req.headers.items())
    h["Host"] = f"127.0.0.1:{port}"
    h["X-Original-Method"] = "GET"
    h["X-Original-URI"] = path
    return H.http_request(port, "GET", "/authorize", headers=h)


def creds_from(tc, resp):
    tc.assertEqual(resp.status, 200, resp)
    c = resp.xml().find(f".//{{{H.NS}}}Credentials")
    return tuple(c.find(f"{{{H.NS}}}{k}").text
                 for k in ("AccessKeyId", "SecretAccessKey", "SessionToken"))


def gci(port, creds):
    return sign_sts(port, creds, {"Action": "GetCallerIdentity",
                                  "Version": "2011-06-15"})


def revoke(port, creds, **params):
    p = {"Action": "RevokeSessions", "Version": "2011-06-15"}
    p.update(params)
    return sign_sts(port, creds, p)


class Mixin:
    """Assertions shared by the memory and Redis cases."""

    def assume(self, role, session="s", port=None):
        return creds_from(self, sign_sts(
            port or self.fg.port, ALICE,
            {"Action": "AssumeRole", "Version": "2011-06-15",
             "RoleArn": role_arn(role), "RoleSessionName": session}))

    def web(self, sub, session="w"):
        tok = self.idp.token(claims=self.idp.claims(sub=sub))
        return creds_from(self, self.fg.assume(tok, session=session))

    def works(self, creds, port=None):
        port = port or self.fg.port
        self.assertEqual(gci(port, creds).status, 200)
        self.assertEqual(authorize(port, creds).status, 200)

    def revoked(self, creds, port=None):
        port = port or self.fg.port
        msg, _ = expect_error(self, gci(port, creds), "AccessDenied", 403)
        self.assertIn("revoked", msg)
        r = authorize(port, creds)
        self.assertEqual(r.status, 401, r)
        self.assertEqual(r.headers.get("x-fedgate-error-code"),
                         "AccessDenied")

    def revoke_ok(self, creds=ADMIN, port=None, **params):
        r = revoke(port or self.fg.port, creds, **params)
        self.assertEqual(r.status, 200, r)
        root = r.xml()
        self.assertEqual(root.tag, f"{{{H.NS}}}RevokeSessionsResponse")
        self.assertIsNotNone(root.find(f".//{{{H.NS}}}Target"))
        return r


class RevokeMemoryTest(Mixin, H.FedgateCase):
    @classmethod
    def make_config(cls, fg_port, tmp, idp):
        return config(fg_port, tmp, idp)

    @classmethod
    def setUpClass(cls):
        # Inline secrets are accepted only from a 0600 config file.
        old = os.umask(0o077)
        try:
            super().setUpClass()
        finally:
            os.umask(old)

    def test_session_by_access_key_id(self):
        one, two = self.assume("app", "one"), self.assume("app", "two")
        self.works(one)
        self.works(two)
        self.revoke_ok(AccessKeyId=one[0])
        self.revoked(one)
        self.works(two)
        rec = H.audit_find(self.fg, lambda r: r.get("eventName") ==
                           "RevokeSessions" and one[0] in
                           str(r.get("requestParameters", r)))
        self.assertIsNotNone(rec, "no audit record of the revocation")
        # A long-term key is not a session: nothing to revoke.
        expect_error(self, revoke(self.fg.port, ADMIN,
                                  AccessKeyId=ALICE[0]),
                     "InvalidParameterValue", 400)

    def test_role_issued_before(self):
        old1, old2 = self.assume("app2", "o1"), self.assume("app2", "o2")
        other = self.assume("app", "other")
        time.sleep(1.1)   # "issued before now" must cover them
        self.revoke_ok(RoleArn=role_arn("app2"))
        self.revoked(old1)
        self.revoked(old2)
        self.works(other)
        self.works(self.assume("app2", "new"))
        # An explicit time before they were issued leaves them alone...
        fresh = self.assume("app", "fresh")
        self.revoke_ok(RoleArn=role_arn("app"),
                       IssuedBefore="2020-01-01T00:00:00Z")
        self.works(fresh)
        # ...and a time in the future is refused.
        expect_error(self, revoke(self.fg.port, ADMIN,
                                  RoleArn=role_arn("app"),
                                  IssuedBefore=str(int(time.time()) + 3600)),
                     "InvalidParameterValue", 400)
        self.works(fresh)

    def test_subject_and_provider(self):
        a1, a2 = self.web("user-7", "a1"), self.web("user-7", "a2")
        other = self.web("user-8", "b1")
        self.works(a1)
        time.sleep(1.1)
        self.revoke_ok(Subject="user-7", Provider=self.idp.issuer)
        self.revoked(a1)
        self.revoked(a2)
        self.works(other)
        self.works(self.web("user-7", "again"))

    def test_permission(self):
        s = self.assume("app3", "pp")
        for params in ({"AccessKeyId": s[0]},
                       {"Subject": "user-1", "Provider": "x"},
                       {"RoleArn": role_arn("app3")}):
            with self.subTest(params=params):
                expect_error(self, revoke(self.fg.port, ALICE, **params),
                             "AccessDenied", 403)
        # Scoped to role app3: that role yes, anything wider no.
        expect_error(self, revoke(self.fg.port, SCOPED, AccessKeyId=s[0]),
                     "AccessDenied", 403)
        expect_error(self, revoke(self.fg.port, SCOPED,
                                  RoleArn=role_arn("app")),
                     "AccessDenied", 403)
        self.works(s)
        time.sleep(1.1)
        self.revoke_ok(SCOPED, RoleArn=role_arn("app3"))
        self.revoked(s)
        # Revoked session credentials cannot revoke either.
        expect_error(self, revoke(self.fg.port, s, RoleArn=role_arn("app")),
                     "AccessDenied", 403)

    def test_parameters(self):
        cases = [
            ({}, "ValidationError"),
            ({"RoleArn": role_arn("app"), "AccessKeyId": ADMIN[0]},
             "ValidationError"),
            ({"AccessKeyId": "ASIAAAAAAAAAAAAAAAA2", "IssuedBefore": "1"},
             "ValidationError"),
            ({"Subject": "user-1"}, "MissingParameter"),
            ({"RoleArn": "arn:aws:iam::1:user/x"}, "InvalidParameterValue"),
            ({"RoleArn": role_arn("app"), "IssuedBefore": "soon"},
             "InvalidParameterValue"),
        ]
        for params, code in cases:
            with self.subTest(params=params):
                expect_error(self, revoke(self.fg.port, ADMIN, **params),
                             code, 400)

    def test_cli_refuses_memory_store(self):
        p = subprocess.run([H.fedgate_bin(), "revoke", "-c", self.fg.conf_path,
                            "--session", "ASIAAAAAAAAAAAAAAAA2"],
                           capture_output=True, text=True, timeout=30)
        self.assertEqual(p.returncode, 1, p)
        self.assertIn("store: memory", p.stderr)
        self.assertIn("RevokeSessions", p.stderr)
        p = subprocess.run([H.fedgate_bin(), "revoke", "-c", self.fg.conf_path,
                            "--role", role_arn("app"), "--session",
                            "ASIAAAAAAAAAAAAAAAA2"],
                           capture_output=True, text=True, timeout=30)
        self.assertEqual(p.returncode, 2, p)


class RevokeRedisTest(Mixin, unittest.TestCase):
    """Two instances sharing one redis-server (and one key ring)."""

    @classmethod
    def setUpClass(cls):
        import tempfile
        cls.tmp = tempfile.mkdtemp(prefix="fedgate-revoke-")
        cls.redis = RedisServer(cls.tmp)
        cls.idp = H.TestIdP()
        cls.fgs = []
        old = os.umask(0o077)   # inline secrets: 0600 config files
        try:
            cls.redis.start()
            cls.idp.start()
            for name in ("a", "b"):
                tmp = os.path.join(cls.tmp, name)
                os.makedirs(tmp)
                fg = H.Fedgate(tmp)
                fg.config = config(fg.port, tmp, cls.idp, cls.redis.url)
                # One key ring: a session from A is valid on B.
                fg.config["state_dir"] = os.path.join(cls.tmp, "state")
                cls.fgs.append(fg)
                fg.start()
        except Exception:
            cls.cleanup()
            raise
        finally:
            os.umask(old)
        cls.fg, cls.b = cls.fgs

    @classmethod
    def cleanup(cls):
        for fg in cls.fgs:
            fg.kill()
        cls.redis.stop()
        cls.idp.stop()

    @classmethod
    def tearDownClass(cls):
        bad = []
        for fg in cls.fgs:
            rc = fg.stop()
            if rc != 0 or any(m in fg.output() for m in H.SANITIZER_MARKS):
                bad.append(f"{fg.port}: exit {rc}\n{fg.logs()}")
        cls.cleanup()
        if bad:
            raise AssertionError("\n".join(bad))

    def cli(self, *args):
        return subprocess.run([H.fedgate_bin(), "revoke", "-c",
                               self.fg.conf_path, *args],
                              capture_output=True, text=True, timeout=30)

    def test_1_cli_revokes_across_instances(self):
        one, two = self.assume("app", "one"), self.assume("app", "two")
        self.works(one, self.b.port)
        p = self.cli("--session", one[0])
        self.assertEqual(p.returncode, 0, p)
        self.assertIn(one[0], p.stdout)
        for port in (self.fg.port, self.b.port):
            self.revoked(one, port)
            self.works(two, port)
        old = self.assume("app2", "old")
        time.sleep(1.1)
        p = self.cli("--role", role_arn("app2"), "--issued-before",
                     time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()))
        self.assertEqual(p.returncode, 0, p)
        self.revoked(old, self.b.port)
        self.works(self.assume("app2", "new", port=self.b.port))
        p = self.cli("--session", "not-a-key")
        self.assertEqual(p.returncode, 1, p)

    def test_2_admin_action_on_a_enforced_by_b(self):
        a1 = self.web("user-5", "a1")
        time.sleep(1.1)
        self.revoke_ok(Subject="user-5", Provider=self.idp.host_path)
        self.revoked(a1, self.b.port)

    def test_3_redis_down_fails_closed(self):
        s = self.assume("app3", "xx")
        self.works(s, self.b.port)
        self.redis.stop()
        try:
            expect_error(self, gci(self.b.port, s), "ServiceUnavailable",
                         503)
            self.assertEqual(authorize(self.b.port, s).status, 503)
            # Long-term keys are not sessions: no store needed.
            self.assertEqual(gci(self.b.port, ALICE).status, 200)
            expect_error(self, revoke(self.b.port, ADMIN, AccessKeyId=s[0]),
                         "ServiceUnavailable", 503)
            p = self.cli("--session", s[0])
            self.assertEqual(p.returncode, 1, p)
        finally:
            self.redis.start()
        deadline = time.monotonic() + 15
        while gci(self.b.port, s).status != 200:
            self.assertLess(time.monotonic(), deadline, "no recovery")
            time.sleep(0.2)


if __name__ == "__main__":
    unittest.main()
