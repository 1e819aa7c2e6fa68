"""GET /metrics against the real fedgate binary.

Successful and refused AssumeRoleWithWebIdentity / AssumeRoleWithSAML
calls, then a scrape: exact counter deltas by action, result, wire code,
provider and reason; a replayed assertion in the replay counter; the
histogram consistent; per-provider gauges (key age, certificate expiry);
a failed then a good reload in fedgate_config_last_reload_successful; the
text strictly in Prometheus exposition format 0.0.4, and never a subject,
session name, token, address or ARN in it.
"""
import datetime
import re
import signal
import time
import unittest

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.x509.oid import NameOID

import fedgate_harness as H
import saml_idp as S
from fedgate_harness import ACCOUNT, expect_error

SP_ENTITY = "urn:fedgate:sp:metrics"
AWI = "AssumeRoleWithWebIdentity"
ARWS = "AssumeRoleWithSAML"
CTYPE = "text/plain; version=0.0.4; charset=utf-8"

_NAME = r"[a-zA-Z_:][a-zA-Z0-9_:]*"
_LABEL = r'([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\\n]|\\[\\"n])*)"'
_SAMPLE = re.compile(rf"({_NAME})(?:\{{((?:{_LABEL},?)*)\}})? (?P<value>\S+)\Z")
_UNESC = {"\\\\": "\\", '\\"': '"', "\\n": "\n"}


def parse_exposition(text):
    """{(name, ((label, value), ...)): float}; strict 0.0.4 checks."""
    assert text.endswith("\n"), "exposition must end with a newline"
    types, helps, out = {}, set(), {}
    for line in text[:-1].split("\n"):
        if line.startswith("# HELP "):
            name = line.split(" ", 3)[2]
            assert name not in helps, f"HELP twice: {name}"
            helps.add(name)
            continue
        if line.startswith("# TYPE "):
            _, _, name, typ = line.split(" ")
            assert typ in ("counter", "gauge", "histogram"), line
            assert name not in types, f"TYPE twice: {name}"
            types[name] = typ
            continue
        m = _SAMPLE.match(line)
        assert m, f"not a sample line: {line!r}"
        name, labels = m.group(1), m.group(2) or ""
        base = re.sub(r"_(bucket|sum|count)\Z", "", name)
        assert name in types or types.get(base) == "histogram", \
            f"sample before its TYPE: {line!r}"
        lv = tuple(sorted(
            (k, re.sub(r'\\[\\"n]', lambda e: _UNESC[e.group(0)], v))
            for k, v in re.findall(_LABEL, labels)))
        key = (name, lv)
        assert key not in out, f"duplicate series: {line!r}"
        out[key] = float(m.group("value"))
    return out, types


def series(name, **labels):
    return (name, tuple(sorted(labels.items())))


def make_cert(key, days):
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME,
                                            "short-lived")])
    now = datetime.datetime.now(datetime.timezone.utc)
    return (x509.CertificateBuilder().subject_name(subject)
            .issuer_name(subject).public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(days=1))
            .not_valid_after(now + datetime.timedelta(days=days))
            .sign(key, hashes.SHA256()))


class MetricsCase(H.FedgateCase):
    """OIDC testidp, an OIDC provider nobody serves, a SAML IdP "corp"
    whose second signing certificate expires first."""

    @classmethod
    def make_config(cls, fg_port, tmp, idp):
        cls.saml = S.SamlIdP(tmp, "corp", "https://idp.corp.test/saml",
                             n_keys=2)
        k = cls.saml.keys[1]
        k.cert = make_cert(k.key, 10)
        k.cert_pem = k.cert.public_bytes(
            serialization.Encoding.PEM).decode()
        with open(cls.saml.metadata_path, "w") as f:
            f.write(cls.saml.metadata())
        cls.cert_expiry = min(
            int(kp.cert.not_valid_after.replace(
                tzinfo=datetime.timezone.utc).timestamp())
            for kp in cls.saml.keys)
        cls.acs = f"http://127.0.0.1:{fg_port}/saml/acs"
        cls.dead_port = H.free_port()
        hp = idp.host_path
        providers = [
            {"name": "testidp", "type": "oidc", "issuer": idp.issuer,
             "audiences": [H.AUDIENCE], "algorithms": ["RS256"],
             "jwks_min_refetch_seconds": 1},
            {"name": "deadidp", "type": "oidc",
             "issuer": f"http://127.0.0.1:{cls.dead_port}/oidc",
             "audiences": [H.AUDIENCE], "http_timeout_seconds": 2},
            {"name": "corp", "type": "saml",
             "metadata_file": cls.saml.metadata_path},
        ]
        prov = f"arn:aws:iam::{ACCOUNT}:saml-provider/corp"
        roles = [H.web_role(hp),
                 {"name": "SamlRole", "max_session_duration": 3600,
                  "trust_policy": {"Version": "2012-10-17", "Statement": [{
                      "Effect": "Allow", "Principal": {"Federated": prov},
                      "Action": "sts:AssumeRoleWithSAML"}]}}]
        return H.base_config(fg_port, tmp, idp, roles=roles,
                             providers=providers,
                             max_body_bytes=262144,
                             saml_sp={"entity_id": SP_ENTITY})

    def scrape(self):
        r = self.fg.get("/metrics")
        self.assertEqual(r.status, 200, r)
        self.assertEqual(r.headers.get("content-type"), CTYPE)
        text = r.text()
        samples, types = parse_exposition(text)
        return text, samples, types

    def delta(self, before, after, key):
        return after.get(key, 0.0) - before.get(key, 0.0)

    def saml_call(self, b64):
        return self.fg.sts({
            "Action": ARWS, "Version": "2011-06-15",
            "RoleArn": f"arn:aws:iam::{ACCOUNT}:role/SamlRole",
            "PrincipalArn": f"arn:aws:iam::{ACCOUNT}:saml-provider/corp",
            "SAMLAssertion": b64})

    # ------------------------------------------------------------ tests ---

    def test_sts_counters_exact(self):
        _, before, _ = self.scrape()
        secrets = []
        for i in range(3):
            sub, sess = f"user-metrics-{i}", f"sess-private-{i}"
            tok = self.idp.token("rsa1", sub=sub)
            secrets += [sub, sess, tok.split(".")[1]]
            H.parse_success(self, self.fg.assume(tok, session=sess),
                            sub=sub, session=sess)
        now = int(time.time())
        expired = self.idp.token("rsa1", claims=self.idp.claims(
            sub="user-expired", iat=now - 900, exp=now - 300))
        bad_sig = self.idp.token("rsa1", key=H.IdPKey.rsa("rsa1"),
                                 sub="user-badsig")
        foreign = H.TestIdP()       # an issuer no provider has
        unknown_iss = foreign.token("rsa1", sub="user-foreign")
        denied = self.idp.token("rsa1", sub="admin-denied")
        secrets += ["user-expired", "user-badsig", "user-foreign",
                    "admin-denied"]
        for tok, code, status in ((expired, "ExpiredTokenException", 400),
                                  (bad_sig, "InvalidIdentityToken", 400),
                                  (unknown_iss, "InvalidIdentityToken", 400),
                                  ("not-a-jwt", "InvalidIdentityToken", 400),
                                  (denied, "AccessDenied", 403)):
            expect_error(self, self.fg.assume(tok, session="sess-private-x"),
                         code, status)
        expect_error(self, self.fg.sts({"Version": "2011-06-15"}),
                     "MissingAction", 400)
        expect_error(self, self.fg.sts({"Action": "Nope\"Evil",
                                        "Version": "2011-06-15"}),
                     "InvalidAction", 400)
        self.assertEqual(self.fg.get("/no-such-thing").status, 404)
        text, after, _ = self.scrape()

        def d(name, **labels):
            return self.delta(before, after, series(name, **labels))
        sts = "fedgate_sts_requests_total"
        self.assertEqual(d(sts, action=AWI, result="ok", error_code=""), 3)
        self.assertEqual(d(sts, action=AWI, result="error",
                           error_code="ExpiredTokenException"), 1)
        self.assertEqual(d(sts, action=AWI, result="error",
                           error_code="InvalidIdentityToken"), 3)
        self.assertEqual(d(sts, action=AWI, result="error",
                           error_code="AccessDenied"), 1)
        self.assertEqual(d(sts, action="other", result="error",
                           error_code="MissingAction"), 1)
        self.assertEqual(d(sts, action="other", result="error",
                           error_code="InvalidAction"), 1)
        self.assertEqual(d("fedgate_credentials_issued_total", action=AWI,
                           provider="testidp"), 3)
        tvf = "fedgate_token_validation_failures_total"
        self.assertEqual(d(tvf, provider="testidp", reason="expired"), 1)
        self.assertEqual(d(tvf, provider="testidp",
                           reason="signature_invalid"), 1)
        self.assertEqual(d(tvf, provider="", reason="issuer_unknown"), 1)
        self.assertEqual(d(tvf, provider="", reason="malformed"), 1)
        total_tvf = sum(v - before.get(k, 0) for k, v in after.items()
                        if k[0] == tvf)
        self.assertEqual(total_tvf, 4, "AccessDenied is no token failure")
        http = "fedgate_http_requests_total"
        # the first scrape is counted once it was sent
        self.assertEqual(d(http, code="200"), 3 + 1)
        self.assertEqual(d(http, code="400"), 4 + 2)
        self.assertEqual(d(http, code="403"), 1)
        self.assertEqual(d(http, code="404"), 1)
        hist = "fedgate_http_request_duration_seconds"
        self.assertEqual(d(hist + "_count"), 3 + 5 + 2 + 1 + 1)
        self.assertEqual(after[series(hist + "_count")],
                         after[series(hist + "_bucket", le="+Inf")])
        self.assertGreater(d(hist + "_sum"), 0)
        for s in secrets + ["127.0.0.1", "arn:aws", "Evil", "Nope",
                            self.idp.issuer]:
            self.assertNotIn(s, text)

    def test_saml_and_replay(self):
        _, before, _ = self.scrape()
        b64, info = self.saml.build(self.acs, SP_ENTITY,
                                    nameid="carol.secret@example.test",
                                    attrs=[(S.A_ROLE, [
                                        f"arn:aws:iam::{ACCOUNT}:role/"
                                        f"SamlRole,arn:aws:iam::{ACCOUNT}:"
                                        f"saml-provider/corp"]),
                                        (S.A_RSN, ["carol-session"])])
        r = self.saml_call(b64)
        self.assertEqual(r.status, 200, r)
        expect_error(self, self.saml_call(b64), "InvalidIdentityToken", 400)
        text, after, _ = self.scrape()

        def d(name, **labels):
            return self.delta(before, after, series(name, **labels))
        self.assertEqual(d("fedgate_sts_requests_total", action=ARWS,
                           result="ok", error_code=""), 1)
        self.assertEqual(d("fedgate_sts_requests_total", action=ARWS,
                           result="error",
                           error_code="InvalidIdentityToken"), 1)
        self.assertEqual(d("fedgate_credentials_issued_total", action=ARWS,
                           provider="corp"), 1)
        self.assertEqual(d("fedgate_token_validation_failures_total",
                           provider="corp", reason="replay"), 1)
        self.assertEqual(d("fedgate_replay_rejections_total"), 1)
        for s in ("carol", info["assertion_id"], "saml-provider"):
            self.assertNotIn(s, text)

    def test_gauges_and_build_info(self):
        # keys are fetched after fedgate starts listening: wait for both
        # providers' first fetch outcome before reading the gauges
        deadline = time.monotonic() + 15
        while True:
            text, m, types = self.scrape()
            if (series("fedgate_idp_keys_age_seconds", provider="testidp")
                    in m and m.get(series("fedgate_jwks_fetch_total",
                                          provider="deadidp",
                                          result="error"), 0) >= 1):
                break
            self.assertLess(time.monotonic(), deadline,
                            "providers' first key fetch never showed up")
            time.sleep(0.1)
        self.assertEqual(m[series("fedgate_build_info", version="0.1.0")], 1)
        self.assertEqual(types["fedgate_http_request_duration_seconds"],
                         "histogram")
        for name in ("fedgate_store_errors_total",
                     "fedgate_replay_rejections_total",
                     "fedgate_jwks_fetch_total",
                     "fedgate_sts_requests_total"):
            self.assertEqual(types[name], "counter", name)
        self.assertEqual(m[series("fedgate_store_errors_total")], 0)
        age = m[series("fedgate_idp_keys_age_seconds", provider="testidp")]
        self.assertGreaterEqual(age, 0)
        self.assertLess(age, 600)
        # no keys, no age: absence rather than a misleading number
        self.assertNotIn(series("fedgate_idp_keys_age_seconds",
                                provider="deadidp"), m)
        self.assertEqual(m[series(
            "fedgate_idp_certificate_expiry_timestamp_seconds",
            provider="corp")], self.cert_expiry)
        self.assertGreaterEqual(m[series("fedgate_jwks_fetch_total",
                                         provider="testidp",
                                         result="ok")], 1)
        self.assertGreaterEqual(m[series("fedgate_jwks_fetch_total",
                                         provider="deadidp",
                                         result="error")], 1)
        self.assertNotIn(series("fedgate_jwks_fetch_total",
                                provider="deadidp", result="ok"), m)
        # buckets cumulative, in order
        buckets = sorted(
            (float("inf") if dict(k[1])["le"] == "+Inf"
             else float(dict(k[1])["le"]), v)
            for k, v in m.items()
            if k[0] == "fedgate_http_request_duration_seconds_bucket")
        self.assertEqual(len(buckets), 13)
        self.assertEqual([v for _, v in buckets],
                         sorted(v for _, v in buckets))
        head = H.http_request(self.fg.port, "HEAD", "/metrics")
        self.assertEqual(head.status, 200)
        self.assertEqual(H.http_request(self.fg.port, "POST", "/metrics",
                                        body=b"").status, 404)

    def test_reload_outcome(self):
        err_path = self.fg.err_path

        def log():
            with open(err_path, "rb") as f:
                return f.read().decode("utf-8", "replace")

        def hup_and_wait(marker):
            n = log().count(marker)
            self.fg.proc.send_signal(signal.SIGHUP)
            deadline = time.monotonic() + 15
            while log().count(marker) == n:
                self.assertLess(time.monotonic(), deadline, log()[-2000:])
                time.sleep(0.05)
        good = H.to_yaml(self.fg.config)
        _, m, _ = self.scrape()
        self.assertEqual(m[series("fedgate_config_last_reload_successful")],
                         1)
        failures = m[series("fedgate_config_reload_failures_total")]
        try:
            with open(self.fg.conf_path, "w") as f:
                f.write(good + "no_such_key: 1\n")
            hup_and_wait("reload failed: keeping the running configuration")
            _, m, _ = self.scrape()
            self.assertEqual(
                m[series("fedgate_config_last_reload_successful")], 0)
            self.assertEqual(
                m[series("fedgate_config_reload_failures_total")],
                failures + 1)
        finally:
            with open(self.fg.conf_path, "w") as f:
                f.write(good)
        hup_and_wait("configuration applied")
        _, m, _ = self.scrape()
        self.assertEqual(m[series("fedgate_config_last_reload_successful")],
                         1)
        # counters live for the process, not for one configuration
        self.assertGreaterEqual(m[series("fedgate_jwks_fetch_total",
                                         provider="deadidp",
                                         result="error")], 2)


if __name__ == "__main__":
    unittest.main()
