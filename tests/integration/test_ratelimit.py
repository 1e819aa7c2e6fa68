"""rate_limits (token buckets) against the real fedgate binary.

per_source_ip {requests 5, per_seconds 10}: a full bucket lets 5 STS
requests through at once, the 6th is refused with Throttling (400, "Rate
exceeded") in AWS's error shape, which boto3 parses (retries off);
/authorize takes from the same bucket and is refused too; /healthz, /readyz
and /metrics never are; one token comes back every 2 s (exactly one: the
next request after it is refused again); the refusal is audited (reason
rate_limited) and counted in /metrics. `burst` apart from the rate.
per_provider: AssumeRoleWithWebIdentity is throttled for one provider
while another provider's calls still succeed.
Two instances on one real redis-server share the count; with Redis
stopped, requests are let through (fail open) and counted as store errors.
"""
import os
import shutil
import subprocess
import tempfile
import time
import unittest

import boto3
import botocore
import botocore.config
from botocore.exceptions import ClientError

import fedgate_harness as H
from fedgate_harness import expect_error
from test_redis import REDIS_BIN, RedisServer

AWI = "AssumeRoleWithWebIdentity"


def sleep_until(t, margin=0.1):
    time.sleep(max(0.0, t - time.monotonic()) + margin)


class SourceIpCase(H.FedgateCase):
    PER = 10            # 5 per 10 s: one token every 2 s
    TOKEN = 2.0

    @classmethod
    def make_config(cls, fg_port, tmp, idp):
        return H.base_config(fg_port, tmp, idp, rate_limits={
            "per_source_ip": {"requests": 5, "per_seconds": cls.PER}})

    def _boto(self):
        return boto3.session.Session().client(
            "sts", endpoint_url=self.fg.url, region_name="us-east-1",
            config=botocore.config.Config(
                signature_version=botocore.UNSIGNED,
                retries={"max_attempts": 1}))

    def test_source_ip_limit(self):
        client = self._boto()
        token = self.idp.token("rsa1")
        self.assertEqual(self.fg.assume(token).status, 200)  # JWKS warm
        time.sleep(self.TOKEN + 0.1)    # the bucket is full again
        for i in range(5):
            r = self.fg.assume(token, session=f"s{i}")
            self.assertEqual(r.status, 200, r)
        emptied = time.monotonic()
        with self.assertRaises(ClientError) as cm:
            client.assume_role_with_web_identity(
                RoleArn=H.ROLE_ARN, RoleSessionName="boto",
                WebIdentityToken=token)
        e = cm.exception.response
        self.assertEqual(e["Error"]["Code"], "Throttling", e)
        self.assertEqual(e["Error"]["Message"], "Rate exceeded")
        self.assertEqual(e["ResponseMetadata"]["HTTPStatusCode"], 400)
        # Any STS call from this address, and /authorize, while it lasts.
        msg, _ = expect_error(self, self.fg.sts(
            {"Action": "GetCallerIdentity", "Version": "2011-06-15"}),
            "Throttling", 400)
        self.assertEqual(msg, "Rate exceeded")
        r = H.http_request(self.fg.port, "GET", "/authorize")
        self.assertEqual(r.status, 400, r)
        self.assertEqual(r.headers.get("x-fedgate-error-code"), "Throttling")
        # Probes and metrics are never limited.
        for path in ("/healthz", "/readyz", "/metrics"):
            self.assertEqual(self.fg.get(path).status, 200, path)
        self.assertLess(time.monotonic() - emptied, self.TOKEN,
                        "test too slow for the bucket's refill")
        # one token back after 2 s: one request, not a new window's five
        sleep_until(emptied + self.TOKEN)
        r = self.fg.assume(token, session="after")
        self.assertEqual(r.status, 200, r)
        expect_error(self, self.fg.assume(token, session="after2"),
                     "Throttling", 400)
        sleep_until(emptied + 2 * self.TOKEN)
        resp = client.assume_role_with_web_identity(
            RoleArn=H.ROLE_ARN, RoleSessionName="boto2",
            WebIdentityToken=token)
        self.assertIn("Credentials", resp)

        rec = H.audit_find(self.fg, lambda x: x.get("reason") ==
                           "rate_limited" and x.get("eventName") == AWI)
        self.assertIsNotNone(rec, "no audit record for the throttled call")
        self.assertEqual(rec["errorCode"], "Throttling")
        self.assertEqual(rec["sourceIPAddress"], "127.0.0.1")
        rec = H.audit_find(self.fg, lambda x: x.get("reason") ==
                           "rate_limited" and x.get("eventName") ==
                           "Authorize")
        self.assertIsNotNone(rec, "no audit record for /authorize")
        metrics = self.fg.get("/metrics").text()
        line = [ln for ln in metrics.splitlines()
                if ln.startswith("fedgate_sts_requests_total{") and
                f'action="{AWI}"' in ln and 'Throttling' in ln]
        self.assertEqual(len(line), 1, metrics)
        self.assertGreaterEqual(float(line[0].rsplit(" ", 1)[1]), 1)


class ProviderCase(H.FedgateCase):
    PER = 10            # 3 per 10 s: one token every 3.33 s

    @classmethod
    def make_config(cls, fg_port, tmp, idp):
        cls.idp2 = H.TestIdP().start()
        hp2 = cls.idp2.host_path
        providers = [
            {"name": "testidp", "type": "oidc", "issuer": idp.issuer,
             "audiences": [H.AUDIENCE], "algorithms": ["RS256"]},
            {"name": "otheridp", "type": "oidc", "issuer": cls.idp2.issuer,
             "audiences": [H.AUDIENCE], "algorithms": ["RS256"]},
        ]
        roles = [H.web_role(idp.host_path),
                 H.web_role(hp2, name="other-role")]
        return H.base_config(fg_port, tmp, idp, roles=roles,
                             providers=providers, rate_limits={
                                 "per_provider": {"requests": 3,
                                                  "per_seconds": cls.PER}})

    @classmethod
    def tearDownClass(cls):
        try:
            super().tearDownClass()
        finally:
            cls.idp2.stop()

    def test_provider_limit(self):
        other_arn = f"arn:aws:iam::{H.ACCOUNT}:role/other-role"
        t1 = self.idp.token("rsa1")
        t2 = self.idp2.token("rsa1")
        for i in range(3):
            r = self.fg.assume(t1, session=f"a{i}")
            self.assertEqual(r.status, 200, r)
        emptied = time.monotonic()
        msg, _ = expect_error(self, self.fg.assume(t1, session="a4"),
                              "Throttling", 400, token=t1)
        self.assertEqual(msg, "Rate exceeded")
        # Another provider has its own budget; no per-IP limit here.
        for i in range(3):
            r = self.fg.assume(t2, session=f"b{i}", role_arn=other_arn)
            self.assertEqual(r.status, 200, r)
        expect_error(self, self.fg.assume(t2, session="b4",
                                          role_arn=other_arn),
                     "Throttling", 400)
        # Unsigned/other calls with no provider are not counted.
        r = self.fg.sts({"Action": "GetCallerIdentity",
                         "Version": "2011-06-15"})
        self.assertNotEqual(r.error()[1], "Throttling")
        self.assertLess(time.monotonic() - emptied, self.PER / 3,
                        "test too slow for the bucket's refill")
        rec = H.audit_find(self.fg, lambda x: x.get("reason") ==
                           "rate_limited" and x.get("eventName") == AWI)
        self.assertIsNotNone(rec)
        self.assertEqual(rec["errorCode"], "Throttling")
        sleep_until(emptied + self.PER / 3)
        self.assertEqual(self.fg.assume(t1, session="a5").status, 200)


def metric(fg, name):
    """Value of an unlabelled sample in fg's /metrics."""
    for ln in fg.get("/metrics").text().splitlines():
        if ln.startswith(name + " "):
            return float(ln.split(" ", 1)[1])
    raise AssertionError(f"{name} not in /metrics")


class RedisSharedCase(unittest.TestCase):
    """fedgate A and B on one Redis: one per-IP bucket for both."""
    PER = 20            # 4 per 20 s: one token every 5 s

    @classmethod
    def setUpClass(cls):
        if not os.access(REDIS_BIN, os.X_OK):
            raise unittest.SkipTest(f"{REDIS_BIN} not installed "
                                    "(Debian package redis-server)")
        cls.tmp = tempfile.mkdtemp(prefix="fedgate-rl-")
        cls.fgs = []
        cls.redis = RedisServer(cls.tmp)
        cls.idp = H.TestIdP()
        try:
            cls.redis.start()
            cls.idp.start()
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
        fg.config = H.base_config(fg.port, tmp, cls.idp,
                                  store=cls.redis.url, rate_limits={
                                      "per_source_ip": {
                                          "requests": 4,
                                          "per_seconds": cls.PER}})
        cls.fgs.append(fg)
        return fg.start()

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
        rcs = [fg.stop() for fg in cls.fgs]
        outs = [fg.output() for fg in cls.fgs]
        cls.cleanup()
        bad = [m for o in outs for m in H.SANITIZER_MARKS if m in o]
        if any(rc != 0 for rc in rcs) or bad:
            raise AssertionError(f"fedgate stop: exits {rcs} {bad}")

    def test_1_shared_count(self):
        token = self.idp.token("rsa1")
        for i, fg in enumerate((self.a, self.b, self.a, self.b)):
            r = fg.assume(token, session=f"s{i}")
            self.assertEqual(r.status, 200, r)
        emptied = time.monotonic()
        for fg in (self.a, self.b):
            expect_error(self, fg.assume(token, session="over"),
                         "Throttling", 400)
        self.assertLess(time.monotonic() - emptied, self.PER / 4,
                        "test too slow for the bucket's refill")
        # the refill is shared too: one token, used by B, then none for A
        sleep_until(emptied + self.PER / 4)
        self.assertEqual(self.b.assume(token, session="refill").status, 200)
        expect_error(self, self.a.assume(token, session="over2"),
                     "Throttling", 400)
        cli = shutil.which("redis-cli")
        if cli is not None:
            keys = subprocess.run(
                [cli, "-p", str(self.redis.port), "--scan", "--pattern",
                 "fedgate:ratelimit:*"], capture_output=True, text=True,
                timeout=10).stdout.split()
            self.assertEqual(keys, ["fedgate:ratelimit:ip:127.0.0.1"])

    def test_2_redis_down_fails_open(self):
        token = self.idp.token("rsa1")
        before = metric(self.a, "fedgate_store_errors_total")
        self.redis.stop()
        try:
            # Beyond the limit, in one window or two: never Throttling.
            for i in range(6):
                r = self.a.assume(token, session=f"d{i}")
                self.assertEqual(r.status, 200, r)
            self.assertGreaterEqual(
                metric(self.a, "fedgate_store_errors_total") - before, 6)
        finally:
            self.redis.start()


class BurstCase(H.FedgateCase):
    """burst apart from the rate: 2 at once, then 1 per second."""

    @classmethod
    def make_config(cls, fg_port, tmp, idp):
        return H.base_config(fg_port, tmp, idp, rate_limits={
            "per_source_ip": {"requests": 1, "per_seconds": 1,
                              "burst": 2}})

    def test_burst(self):
        probe = {"Action": "GetCallerIdentity", "Version": "2011-06-15"}
        time.sleep(2.1)         # full: 2 tokens
        got = [self.fg.sts(probe).error()[1] for _ in range(4)]
        self.assertEqual(got[2:], ["Throttling", "Throttling"], got)
        self.assertNotIn("Throttling", got[:2])
        time.sleep(1.1)
        self.assertNotEqual(self.fg.sts(probe).error()[1], "Throttling")
        self.assertEqual(self.fg.sts(probe).error()[1], "Throttling")


if __name__ == "__main__":
    unittest.main()
