"""AssumeRoleWithWebIdentity over HTTP against the real fedgate binary:
success XML shape, every rejection with its wire code, parameter limits,
the audit log and the ops endpoints."""
import json
import re
import time
import unittest

from cryptography.hazmat.primitives.asymmetric.utils import (
    decode_dss_signature, encode_dss_signature)

import fedgate_harness as H
from fedgate_harness import AUDIENCE, ROLE_ARN, ACCOUNT, expect_error


def _role_arns_out(msg):
    return re.sub(r"arn:aws:iam::\d{12}:role/[\w+=,.@/-]+", "ROLE", msg)


class StsTestBase(H.FedgateCase):
    @classmethod
    def make_config(cls, port, tmp, idp):
        hp = idp.host_path
        web = H.web_role(hp)
        roles = [
            web,
            # every top-level claim is a condition key
            H.web_role(hp, name="repo-role", max_session=3600,
                       conditions={"StringEquals": {
                           f"{hp}:aud": AUDIENCE,
                           f"{hp}:repository_owner": "acme"}}),
        ]
        # a managed policy, attachable as a session PolicyArn
        return H.base_config(port, tmp, idp, roles=roles, managed_policies={
            "upload": {
                "Version": "2012-10-17",
                "Statement": [{"Effect": "Allow", "Action": "s3:PutObject",
                               "Resource": "arn:aws:s3:::bucket/*"}]}})


class TestValidTokens(StsTestBase):
    def _ok(self, kid, **kw):
        tok = self.idp.token(kid)
        t0 = time.time()
        r = self.fg.assume(tok, **kw)
        return H.parse_success(self, r, issuer=self.idp.issuer, t0=t0)

    def test_rs256(self):
        self._ok("rsa1")

    def test_es256(self):
        self._ok("ec1")

    def test_ps256(self):
        self._ok("ps1")

    def test_post_without_charset(self):
        self._ok("rsa1", content_type=H.FORM)

    def test_get_query(self):
        self._ok("rsa1", method="GET")

    def test_credentials_differ_per_call(self):
        a = self._ok("rsa1")
        b = self._ok("rsa1")
        self.assertNotEqual(a["AccessKeyId"], b["AccessKeyId"])
        self.assertNotEqual(a["SecretAccessKey"], b["SecretAccessKey"])
        self.assertNotEqual(a["RequestId"], b["RequestId"])

    def test_duration_seconds(self):
        tok = self.idp.token("rsa1")
        for d in (900, 7200):
            t0 = time.time()
            r = self.fg.assume(tok, extra={"DurationSeconds": str(d)})
            H.parse_success(self, r, duration=d, t0=t0)

    def test_session_name_charset(self):
        name = "a+=,.@-_Z9" + "x" * 54  # 64 chars, full class
        tok = self.idp.token("rsa1")
        r = self.fg.assume(tok, session=name)
        H.parse_success(self, r, session=name)

    def test_trailing_newline_tolerated(self):
        tok = self.idp.token("rsa1") + "\n"
        H.parse_success(self, self.fg.assume(tok))

    def test_aud_array(self):
        tok = self.idp.token("rsa1", aud=["other", AUDIENCE])
        H.parse_success(self, self.fg.assume(tok))

    def test_custom_claim_condition(self):
        arn = f"arn:aws:iam::{ACCOUNT}:role/repo-role"
        ok = self.idp.token("rsa1", repository_owner="acme")
        H.parse_success(self, self.fg.assume(ok, role_arn=arn),
                        role="repo-role")
        bad = self.idp.token("rsa1", repository_owner="evil")
        expect_error(self, self.fg.assume(bad, role_arn=arn),
                     "AccessDenied", 403, bad)
        none = self.idp.token("rsa1")
        expect_error(self, self.fg.assume(none, role_arn=arn),
                     "AccessDenied", 403, none)

    def test_session_policy(self):
        pol = json.dumps({"Version": "2012-10-17", "Statement": [{
            "Effect": "Allow", "Action": "s3:GetObject",
            "Resource": "arn:aws:s3:::bucket/*"}]})
        tok = self.idp.token("rsa1")
        plain = H.parse_success(self, self.fg.assume(tok))
        r = self.fg.assume(tok, extra={
            "Policy": pol,
            "PolicyArns.member.1.arn":
                f"arn:aws:iam::{ACCOUNT}:policy/upload"})
        with_pol = H.parse_success(self, r)
        self.assertGreaterEqual(with_pol["PackedPolicySize"],
                                plain["PackedPolicySize"])

    def test_unknown_policy_arn(self):
        tok = self.idp.token("rsa1")
        arn = f"arn:aws:iam::{ACCOUNT}:policy/not-configured"
        r = self.fg.assume(tok, extra={"PolicyArns.member.1.arn": arn})
        self.assertEqual(r.status, 400, r)
        self.assertIn(r.error()[1], ("InvalidParameterValue",
                                     "ValidationError"))
        self.assertNotIn(tok, r.text())

    def test_skew_tolerated(self):
        now = int(time.time())
        # exp 30 s ago and nbf/iat 30 s ahead: inside the 60 s skew
        c = self.idp.claims(exp=now - 30, nbf=now + 30, iat=now + 30)
        H.parse_success(self, self.fg.assume(self.idp.token(
            "rsa1", claims=c)))


class TestRejections(StsTestBase):
    def _err(self, tok, code, status=400, **kw):
        return expect_error(self, self.fg.assume(tok, **kw), code, status,
                            tok)

    def test_expired(self):
        now = int(time.time())
        tok = self.idp.token("rsa1", claims=self.idp.claims(
            iat=now - 600, exp=now - 61))
        self._err(tok, "ExpiredTokenException")

    def test_wrong_issuer(self):
        c = self.idp.claims(iss="http://127.0.0.1:1/other")
        self._err(self.idp.token("rsa1", claims=c),
                  "InvalidIdentityToken")
        # same host, issuer differs only by a trailing slash
        c = self.idp.claims(iss=self.idp.issuer + "/")
        self._err(self.idp.token("rsa1", claims=c),
                  "InvalidIdentityToken")

    def test_wrong_audience(self):
        self._err(self.idp.token("rsa1", aud="someone-else"),
                  "InvalidIdentityToken")
        self._err(self.idp.token("rsa1", aud=["x", "y"]),
                  "InvalidIdentityToken")

    def test_azp_not_ours(self):
        tok = self.idp.token("rsa1", aud=[AUDIENCE, "x"], azp="x")
        self._err(tok, "InvalidIdentityToken")

    def test_bad_signature(self):
        tok = self.idp.token("rsa1")
        h, p, s = tok.split(".")
        sig = bytearray(H.base64.urlsafe_b64decode(s + "=" * (-len(s) % 4)))
        sig[10] ^= 0x01
        self._err(f"{h}.{p}.{H.b64url(bytes(sig))}", "InvalidIdentityToken")
        # payload swapped under a valid signature
        other = self.idp.token("rsa1", sub="user-2").split(".")[1]
        self._err(f"{h}.{other}.{s}", "InvalidIdentityToken")

    def test_signed_by_other_key_same_kid(self):
        rogue = H.IdPKey.rsa("rsa1")
        self._err(self.idp.token("rsa1", key=rogue), "InvalidIdentityToken")

    def test_alg_none(self):
        c = self.idp.claims()
        for alg in ("none", "None", "NONE"):
            tok = H.raw_token({"alg": alg, "kid": "rsa1"}, c)
            self._err(tok, "InvalidIdentityToken")

    def test_hs256_with_public_key(self):
        pem = self.idp.key("rsa1").public_pem()
        tok = H.hs256_token(pem, {"alg": "HS256", "kid": "rsa1",
                                  "typ": "JWT"}, self.idp.claims())
        self._err(tok, "InvalidIdentityToken")

    def test_alg_not_allowed_for_key(self):
        # RS384 is not in the provider's allow-list
        self._err(self.idp.token("rsa1", alg="RS384"),
                  "InvalidIdentityToken")

    def test_es256_der_signature(self):
        tok = self.idp.token("ec1")
        h, p, s = tok.split(".")
        raw = H.base64.urlsafe_b64decode(s + "=" * (-len(s) % 4))
        r = int.from_bytes(raw[:32], "big")
        sv = int.from_bytes(raw[32:], "big")
        der = encode_dss_signature(r, sv)
        self.assertEqual(decode_dss_signature(der), (r, sv))
        self._err(f"{h}.{p}.{H.b64url(der)}", "InvalidIdentityToken")

    def test_unknown_kid(self):
        stranger = H.IdPKey.rsa("nobody")
        self._err(self.idp.token("nobody", key=stranger),
                  "InvalidIdentityToken")

    def test_missing_exp(self):
        c = self.idp.claims()
        del c["exp"]
        self._err(self.idp.token("rsa1", claims=c), "InvalidIdentityToken")

    def test_nbf_in_future(self):
        c = self.idp.claims(nbf=int(time.time()) + 600)
        self._err(self.idp.token("rsa1", claims=c), "InvalidIdentityToken")

    def test_iat_in_future(self):
        now = int(time.time())
        c = self.idp.claims(iat=now + 600, exp=now + 1200)
        self._err(self.idp.token("rsa1", claims=c), "InvalidIdentityToken")

    def test_malformed(self):
        good = self.idp.token("rsa1")
        h, p, s = good.split(".")
        for tok in ("abcdefghijklmnopqrstuvwxyz", "a.b.c", f"{h}.{p}",
                    f"{h}.{p}.{s}.x.y", f"{h}.!!!.{s}",
                    H.raw_token("not json", self.idp.claims(), b"x"),
                    H.raw_token({"alg": "RS256", "kid": "rsa1"}, "[1,2]",
                                b"sig")):
            with self.subTest(tok=tok[:40]):
                self._err(tok, "InvalidIdentityToken")

    def test_jwe_refused(self):
        # five-part compact JWE
        hdr = H.b64url(json.dumps({"alg": "RSA-OAEP", "enc": "A256GCM",
                                   "kid": "rsa1"}))
        self._err(f"{hdr}.AAAA.AAAA.AAAA.AAAA", "InvalidIdentityToken")

    def test_crit_unknown(self):
        tok = self.idp.token("rsa1", headers={"crit": ["exp-x"],
                                              "exp-x": 1})
        self._err(tok, "InvalidIdentityToken")

    def test_duplicate_member(self):
        k = self.idp.key("rsa1")
        c = self.idp.claims()
        body = json.dumps(c)[:-1] + ', "sub": "user-evil"}'
        h = H.b64url(json.dumps({"alg": "RS256", "kid": "rsa1"}))
        p = H.b64url(body)
        from cryptography.hazmat.primitives import hashes
        from cryptography.hazmat.primitives.asymmetric import padding
        sig = k.private_key.sign(f"{h}.{p}".encode(), padding.PKCS1v15(),
                                 hashes.SHA256())
        self._err(f"{h}.{p}.{H.b64url(sig)}", "InvalidIdentityToken")

    def test_sub_control_char(self):
        for sub in ("user-1\x00x", "user-1\nx", "user-1\x7f"):
            with self.subTest(sub=repr(sub)):
                self._err(self.idp.token("rsa1", sub=sub),
                          "InvalidIdentityToken")

    def test_jku_never_fetched(self):
        rogue = H.IdPKey.rsa("rogue")
        before = self.idp.count("/oidc/evil-jwks")
        tok = self.idp.token("rogue", key=rogue, headers={
            "jku": self.idp.issuer + "/evil-jwks",
            "x5u": self.idp.issuer + "/evil-jwks",
            "jwk": rogue.jwk()})
        self._err(tok, "InvalidIdentityToken")
        self.assertEqual(self.idp.count("/oidc/evil-jwks"), before)

    def test_trust_condition_not_met(self):
        tok = self.idp.token("rsa1", sub="admin-1")
        self._err(tok, "AccessDenied", 403)

    def test_unknown_role_same_as_untrusted(self):
        tok = self.idp.token("rsa1", sub="admin-1")
        m1, _ = self._err(tok, "AccessDenied", 403)
        good = self.idp.token("rsa1")
        arn = f"arn:aws:iam::{ACCOUNT}:role/does-not-exist"
        m2, _ = self._err(good, "AccessDenied", 403, role_arn=arn)
        self.assertEqual(_role_arns_out(m1), _role_arns_out(m2))

    def test_duration_above_role_max(self):
        r = self.fg.assume(self.idp.token("rsa1"),
                           extra={"DurationSeconds": "7201"})
        msg, _ = expect_error(self, r, "ValidationError")
        self.assertEqual(msg, "The requested DurationSeconds exceeds the "
                         "MaxSessionDuration set for this role.")

    def test_duration_out_of_range(self):
        tok = self.idp.token("rsa1")
        for d in ("899", "43201", "abc", "", "-1", "3600.0", "1e3",
                  "99999999999999999999"):
            with self.subTest(d=d):
                r = self.fg.assume(tok, extra={"DurationSeconds": d})
                expect_error(self, r, "ValidationError", 400, tok)

    def test_bad_session_name(self):
        tok = self.idp.token("rsa1")
        for name in ("a", "x" * 65, "a b", "\u00e4bc", "a/b", "a:b"):
            with self.subTest(name=name[:10]):
                r = self.fg.assume(tok, session=name)
                expect_error(self, r, "ValidationError", 400, tok)

    def test_missing_session_name(self):
        tok = self.idp.token("rsa1")
        r = self.fg.assume(tok, session=None)
        self.assertEqual(r.status, 400, r)
        self.assertIn(r.error()[1], ("MissingParameter", "ValidationError"))

    def test_missing_token(self):
        expect_error(self, self.fg.assume(None), "MissingParameter")

    def test_missing_role_arn(self):
        r = self.fg.assume(self.idp.token("rsa1"), role_arn=None)
        self.assertEqual(r.status, 400, r)
        self.assertIn(r.error()[1], ("MissingParameter", "ValidationError"))

    def test_token_too_long(self):
        tok = self.idp.token("rsa1", pad="x" * 20500)
        self.assertGreater(len(tok), 20000)
        self._err(tok, "ValidationError")

    def test_body_too_large(self):
        body = b"Action=AssumeRoleWithWebIdentity&Version=2011-06-15&x=" + \
                b"a" * (2 * 1024 * 1024)
        req = (b"POST / HTTP/1.1\r\nHost: 127.0.0.1\r\n"
               b"Content-Type: application/x-www-form-urlencoded\r\n"
               b"Content-Length: " + str(len(body)).encode() +
               b"\r\nConnection: close\r\n\r\n") + body
        resp = H.raw_exchange(self.fg.port, req)
        self.assertRegex(resp[:40], rb"\AHTTP/1\.[01] 413 ",
                         resp[:200])
        # the server still answers afterwards
        self.assertEqual(self.fg.get("/healthz").status, 200)

    def test_unknown_action(self):
        r = self.fg.sts({"Action": "FlyToTheMoon", "Version": "2011-06-15"})
        expect_error(self, r, "InvalidAction")
        r = self.fg.sts({"Version": "2011-06-15"})
        self.assertEqual(r.status, 400, r)

    def test_policy_not_json(self):
        tok = self.idp.token("rsa1")
        r = self.fg.assume(tok, extra={"Policy": "{not json"})
        expect_error(self, r, "MalformedPolicyDocument", 400, tok)

    def test_provider_id_refused(self):
        tok = self.idp.token("rsa1")
        r = self.fg.assume(tok, extra={"ProviderId": "graph.facebook.com"})
        self.assertEqual(r.status, 400, r)
        typ, code, msg, _ = r.error()
        self.assertIn("ProviderId", msg)
        self.assertNotIn(tok, r.text())

    def test_oversized_role_arn(self):
        tok = self.idp.token("rsa1")
        r = self.fg.assume(tok, role_arn=ROLE_ARN + "x" * 2100)
        expect_error(self, r, "ValidationError", 400, tok)


class TestAuditAndOps(StsTestBase):
    def test_healthz_readyz(self):
        self.assertEqual(self.fg.get("/healthz").status, 200)
        # make sure keys were fetched at least once
        H.parse_success(self, self.fg.assume(self.idp.token("rsa1")))
        r = self.fg.get("/readyz")
        self.assertEqual(r.status, 200, r)
        json.loads(r.body)

    def test_audit_log(self):
        n0 = len(self.fg.audit_records())
        ok_tok = self.idp.token("rsa1")
        ok = H.parse_success(self, self.fg.assume(ok_tok, session="aud-ok"),
                             session="aud-ok")
        bad_sig = self.idp.token("rsa1", key=H.IdPKey.rsa("rsa1"))
        wrong_aud = self.idp.token("rsa1", aud="nope")
        now = int(time.time())
        expired = self.idp.token("rsa1", claims=self.idp.claims(
            iat=now - 900, exp=now - 300))
        denied = self.idp.token("rsa1", sub="admin-9")
        fails = {}
        for name, tok, code, status in (
            ("signature", bad_sig, "InvalidIdentityToken", 400),
            ("audience", wrong_aud, "InvalidIdentityToken", 400),
            ("expired", expired, "ExpiredTokenException", 400),
            ("denied", denied, "AccessDenied", 403)):
            _, rid = expect_error(self, self.fg.assume(tok), code,
                                  status, tok)
            fails[name] = (rid, code)
        recs = self.fg.audit_records(n0 + 5)[n0:]
        self.assertEqual(len(recs), 5, recs)
        by_id = {r.get("requestID"): r for r in recs}

        s = by_id.get(ok["RequestId"])
        self.assertIsNotNone(s, f"no audit record for {ok['RequestId']}")
        self.assertEqual(s["eventName"], "AssumeRoleWithWebIdentity")
        self.assertEqual(s["userIdentity"]["type"], "WebIdentityUser")
        self.assertNotIn("errorCode", {k: v for k, v in s.items()
                                       if v is not None})
        self.assertEqual(
            s["responseElements"]["credentials"]["accessKeyId"],
            ok["AccessKeyId"])
        self.assertEqual(s["requestParameters"]["roleArn"], ROLE_ARN)
        self.assertEqual(s["requestParameters"]["roleSessionName"],
                         "aud-ok")
        self.assertIn("eventTime", s)
        self.assertIn("sourceIPAddress", s)

        reasons = {"signature": "signature_invalid",
                   "audience": "audience_mismatch", "expired": "expired"}
        for name, (rid, code) in fails.items():
            with self.subTest(name=name):
                rec = by_id.get(rid)
                self.assertIsNotNone(rec, f"no record for {rid}")
                self.assertEqual(rec["eventName"],
                                 "AssumeRoleWithWebIdentity")
                self.assertEqual(rec["errorCode"], code)
                self.assertEqual(rec["userIdentity"]["type"],
                                 "WebIdentityUser")
                self.assertTrue(rec.get("reason"), rec)
                if name in reasons:
                    self.assertEqual(rec["reason"], reasons[name])

        # secrets nowhere: audit file, server stdout/stderr
        with open(self.fg.audit_path) as f:
            audit = f.read()
        out = self.fg.output()
        for label, secret in (("token", ok_tok),
                              ("signature", ok_tok.split(".")[2]),
                              ("bad token", bad_sig),
                              ("expired token", expired),
                              ("secret", ok["SecretAccessKey"]),
                              ("session token", ok["SessionToken"])):
            self.assertNotIn(secret, audit, f"{label} in audit log")
            self.assertNotIn(secret, out, f"{label} in server output")


if __name__ == "__main__":
    unittest.main()
