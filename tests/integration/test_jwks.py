"""JWKS behaviour with a live test IdP: rotation, unknown kid refetch and
its rate limit, IdP outages, weak keys, jwks_uri and jwks_file."""
import json
import os
import time
import unittest

import fedgate_harness as H
from fedgate_harness import expect_error

# jwks_min_refetch_seconds is 1 in the test configs; wait a bit longer so a
# refetch is allowed again.
REFETCH_WAIT = 1.2


def _settle(idp, path="/oidc/jwks", quiet=0.3, limit=3.0):
    """Count of `path` once it stopped changing (a refetch may finish
    just after the response)."""
    deadline = time.monotonic() + limit
    last = idp.count(path)
    stable_since = time.monotonic()
    while time.monotonic() < deadline:
        time.sleep(0.05)
        n = idp.count(path)
        if n != last:
            last, stable_since = n, time.monotonic()
        elif time.monotonic() - stable_since >= quiet:
            break
    return last


class TestRotation(H.FedgateCase):
    def test_rotation_new_kid_after_one_refetch(self):
        H.parse_success(self, self.fg.assume(self.idp.token("rsa1")))
        time.sleep(REFETCH_WAIT)
        c0 = _settle(self.idp)
        new = self.idp.add_key(H.IdPKey.rsa("rsa2"))
        self.idp.set_keys([k for k in self.idp.keys if k.kid != "rsa1"])
        tok = self.idp.token(new.kid)
        H.parse_success(self, self.fg.assume(tok))
        self.assertEqual(_settle(self.idp), c0 + 1,
                         "expected exactly one JWKS refetch")
        # the new key is cached now: no further fetch
        H.parse_success(self, self.fg.assume(self.idp.token(new.kid)))
        self.assertEqual(_settle(self.idp), c0 + 1)

    def test_unknown_kid_refetched_once_then_rejected(self):
        H.parse_success(self, self.fg.assume(self.idp.token("ec1")))
        time.sleep(REFETCH_WAIT)
        c0 = _settle(self.idp)
        stranger = H.IdPKey.rsa("stranger")
        tok = self.idp.token("stranger", key=stranger)
        expect_error(self, self.fg.assume(tok), "InvalidIdentityToken",
                     400, tok)
        self.assertEqual(_settle(self.idp), c0 + 1,
                         "expected exactly one JWKS refetch")
        # a burst of unknown kids inside the rate-limit window
        t0 = time.monotonic()
        for i in range(20):
            k = H.IdPKey.ec(f"burst{i}")
            t = self.idp.token(k.kid, key=k)
            expect_error(self, self.fg.assume(t),
                         "InvalidIdentityToken", 400, t)
        elapsed = time.monotonic() - t0
        n = _settle(self.idp) - (c0 + 1)
        # one more refetch per full second that passed, at most
        self.assertLessEqual(n, int(elapsed) + 1,
                             f"{n} refetches in {elapsed:.2f}s")


class TestIdPDownAfterFirstFetch(H.FedgateCase):
    def test_cached_keys_survive_outage(self):
        for kid in ("rsa1", "ec1", "ps1"):
            H.parse_success(self, self.fg.assume(self.idp.token(kid)))
        self.idp.stop()
        H.parse_success(self, self.fg.assume(self.idp.token("rsa1")))
        # a refetch (unknown kid) fails against the dead IdP ...
        time.sleep(REFETCH_WAIT)
        k = H.IdPKey.rsa("unknown")
        t = self.idp.token("unknown", key=k)
        expect_error(self, self.fg.assume(t), "InvalidIdentityToken",
                     400, t)
        # ... and the last good keys are still used
        for kid in ("rsa1", "ec1", "ps1"):
            H.parse_success(self, self.fg.assume(self.idp.token(kid)))
        r = self.fg.get("/readyz")
        self.assertEqual(r.status, 200, r)


class TestIdPDownFromStart(H.FedgateCase):
    idp_running = False

    def test_1_idp_communication_error(self):
        tok = self.idp.token("rsa1")
        expect_error(self, self.fg.assume(tok), "IDPCommunicationError",
                     400, tok)

    def test_2_readyz_degraded(self):
        r = self.fg.get("/readyz")
        self.assertEqual(r.status, 503, r)
        self.assertIn("testidp", r.text())
        json.loads(r.body)
        self.assertEqual(self.fg.get("/healthz").status, 200)

    def test_3_recovers_when_idp_comes_up(self):
        self.idp.start()
        try:
            deadline = time.monotonic() + 8
            while True:
                r = self.fg.assume(self.idp.token("rsa1"))
                if r.status == 200 or time.monotonic() > deadline:
                    break
                time.sleep(0.25)
            H.parse_success(self, r)
        finally:
            self.idp.stop()


class TestWeakRsaKeyIgnored(H.FedgateCase):
    @classmethod
    def make_keys(cls):
        return [H.IdPKey.rsa("weak", bits=1024), H.IdPKey.rsa("rsa1")]

    def test_good_key_works_weak_rejected(self):
        H.parse_success(self, self.fg.assume(self.idp.token("rsa1")))
        tok = self.idp.token("weak")
        expect_error(self, self.fg.assume(tok), "InvalidIdentityToken",
                     400, tok)
        r = self.fg.get("/readyz")
        self.assertEqual(r.status, 200, r)


class TestExplicitJwksUri(H.FedgateCase):
    @classmethod
    def make_config(cls, port, tmp, idp):
        cfg = H.base_config(port, tmp, idp)
        cfg["providers"][0]["jwks_uri"] = idp.issuer + "/jwks"
        return cfg

    def test_no_discovery(self):
        H.parse_success(self, self.fg.assume(self.idp.token("ec1")))
        self.assertGreaterEqual(self.idp.count(), 1)
        self.assertEqual(self.idp.count(
            "/oidc/.well-known/openid-configuration"), 0)


class TestStaticJwksFile(H.FedgateCase):
    idp_running = False

    @classmethod
    def make_config(cls, port, tmp, idp):
        path = os.path.join(tmp, "jwks.json")
        with open(path, "w") as f:
            json.dump(idp.jwks(), f)
        cfg = H.base_config(port, tmp, idp)
        cfg["providers"][0]["jwks_file"] = path
        return cfg

    def test_static_keys(self):
        for kid in ("rsa1", "ec1", "ps1"):
            H.parse_success(self, self.fg.assume(self.idp.token(kid)))
        stranger = H.IdPKey.rsa("x")
        t = self.idp.token("x", key=stranger)
        expect_error(self, self.fg.assume(t), "InvalidIdentityToken",
                     400, t)
        self.assertEqual(sum(self.idp.hits.values()), 0)
        r = self.fg.get("/readyz")
        self.assertEqual(r.status, 200, r)


if __name__ == "__main__":
    unittest.main()
