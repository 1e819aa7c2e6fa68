"""Adversarial integration tests against the real fedgate binary: session
tags and source identity from token claims, the trust-policy language end
to end, protocol abuse on the HTTP/Query layer, token abuse, concurrency
with an exact audit count, and SIGTERM with requests in flight."""
import base64
import concurrent.futures
import http.client
import http.server
import json
import signal
import socket
import threading
import time
import unittest
import urllib.parse

import fedgate_harness as H
from fedgate_harness import ACCOUNT, AUDIENCE, ROLE_ARN, expect_error

TAGS = "https://aws.amazon.com/tags"
SRCID = "https://aws.amazon.com/source_identity"
AWI = "sts:AssumeRoleWithWebIdentity"


def role_arn(name):
    return f"arn:aws:iam::{ACCOUNT}:role/{name}"


def provider_arn(host_path):
    return f"arn:aws:iam::{ACCOUNT}:oidc-provider/{host_path}"


def stmt(principal, action, cond=None, effect="Allow"):
    s = {"Effect": effect, "Principal": {"Federated": principal},
         "Action": action}
    if cond is not None:
        s["Condition"] = cond
    return s


def role(name, *statements):
    return {"name": name, "max_session_duration": 3600,
            "trust_policy": {"Version": "2012-10-17",
                             "Statement": list(statements)}}


def q(name):
    return f"{{{H.NS}}}{name}"


def parse_raw_response(data):
    """An H.Response from raw HTTP/1.x bytes (Content-Length bodies)."""
    head, sep, body = data.partition(b"\r\n\r\n")
    if not sep:
        raise AssertionError(f"no complete HTTP response: {data[:200]!r}")
    lines = head.split(b"\r\n")
    status = int(lines[0].split()[1])
    headers = []
    for line in lines[1:]:
        k, _, v = line.decode("latin-1").partition(":")
        headers.append((k.strip(), v.strip()))
    return H.Response(status, headers, body)


def strict_audit_lines(fg):
    """Every audit line, decoded as strict UTF-8 and parsed as JSON."""
    try:
        with open(fg.audit_path, "rb") as f:
            raw = f.read()
    except FileNotFoundError:
        return []
    out = []
    for i, line in enumerate(raw.split(b"\n")):
        if not line.strip():
            continue
        try:
            out.append(json.loads(line.decode("utf-8")))
        except (UnicodeDecodeError, ValueError) as e:
            raise AssertionError(f"audit line {i + 1} is not UTF-8 JSON "
                                 f"({e}): {line[:300]!r}")
    return out


def wait_audit_rid(tc, fg, rid, timeout=5):
    """The audit record of request `rid`; its line must be strict UTF-8
    JSON (other lines are not judged here)."""
    deadline = time.monotonic() + timeout
    needle = f'"requestID":"{rid}"'.encode()
    while True:
        try:
            with open(fg.audit_path, "rb") as f:
                lines = [ln for ln in f.read().split(b"\n") if needle in ln]
        except FileNotFoundError:
            lines = []
        if lines:
            tc.assertEqual(len(lines), 1, f"{len(lines)} lines for {rid}")
            try:
                rec = json.loads(lines[0].decode("utf-8"))
            except (UnicodeDecodeError, ValueError) as e:
                tc.fail(f"audit line of {rid} is not UTF-8 JSON ({e}): "
                        f"{lines[0][:600]!r}")
            tc.assertEqual(rec.get("requestID"), rid)
            return rec
        if time.monotonic() > deadline:
            tc.fail(f"no audit record for request {rid}")
        time.sleep(0.05)


class AdvCase(H.FedgateCase):
    """Helpers shared by all classes below."""

    def ok(self, tok, arn=ROLE_ARN, session="s1", sub="user-1", **kw):
        name = arn.rsplit("/", 1)[1]
        r = self.fg.assume(tok, session=session, role_arn=arn, **kw)
        return H.parse_success(self, r, sub=sub, session=session,
                               role=name)

    def err(self, tok, code, status=400, arn=ROLE_ARN, session="s1",
            **kw):
        r = self.fg.assume(tok, session=session, role_arn=arn, **kw)
        return expect_error(self, r, code, status, tok)

    def tok(self, idp=None, kid="rsa1", **claims):
        idp = idp or self.idp
        return idp.token(kid, claims=idp.claims(**claims))


# ------------------------------------------------------- session tags ---

class TestSessionTags(AdvCase):
    @classmethod
    def make_config(cls, port, tmp, idp):
        hp = idp.host_path
        p = provider_arn(hp)
        aud = {"StringEquals": {f"{hp}:aud": AUDIENCE}}
        roles = [
            role("notag-role", stmt(p, AWI, aud)),
            role("tag-role", stmt(p, [AWI, "sts:TagSession"], aud)),
            role("tag-cond-role",
                 stmt(p, AWI, aud),
                 stmt(p, "sts:TagSession", {
                     "StringEquals": {"aws:RequestTag/Project":
                                      "Automation"},
                     "ForAllValues:StringEquals": {
                         "aws:TagKeys": ["Project", "CostCenter"]}})),
        ]
        return H.base_config(port, tmp, idp, roles=roles)

    AWS_SHAPE = {"principal_tags": {"Project": ["Automation"],
                                    "CostCenter": ["987654"]},
                 "transitive_tag_keys": ["Project"]}

    def tagged(self, tags, **kw):
        return self.tok(**{TAGS: tags}, **kw)

    def test_tags_need_tag_session(self):
        arn = role_arn("notag-role")
        msg, _ = self.err(self.tagged(self.AWS_SHAPE), "AccessDenied", 403,
                          arn=arn)
        self.assertIn("sts:TagSession", msg)
        # the same role admits the same identity without tags
        self.ok(self.tok(), arn=arn)

    def test_tags_allowed_aws_shape(self):
        arn = role_arn("tag-role")
        plain = self.ok(self.tok(), arn=arn)
        tagged = self.ok(self.tagged(self.AWS_SHAPE), arn=arn)
        # tags count towards the packed size (sts-wire.md §2)
        self.assertGreater(tagged["PackedPolicySize"],
                           plain["PackedPolicySize"])

    def test_tags_allowed_array_shape(self):
        tags = [{"principal_tags": {"Department": ["Engineering"]}},
                {"principal_tags": {"Team": ["blue"]},
                 "transitive_tag_keys": ["Team"]}]
        self.ok(self.tagged(tags), arn=role_arn("tag-role"))

    def test_request_tag_condition(self):
        arn = role_arn("tag-cond-role")
        self.ok(self.tagged({"principal_tags": {"Project": ["Automation"]}}),
                arn=arn)
        self.err(self.tagged({"principal_tags": {"Project": ["Other"]}}),
                 "AccessDenied", 403, arn=arn)
        # aws:RequestTag/Project missing: StringEquals is false
        self.err(self.tagged({"principal_tags": {"CostCenter": ["1"]}}),
                 "AccessDenied", 403, arn=arn)

    def test_tag_keys_for_all_values(self):
        arn = role_arn("tag-cond-role")
        self.ok(self.tagged(self.AWS_SHAPE), arn=arn)
        extra = {"principal_tags": {"Project": ["Automation"],
                                    "Department": ["Sales"]}}
        self.err(self.tagged(extra), "AccessDenied", 403, arn=arn)

    def test_multi_valued_tag(self):
        for tags in ({"principal_tags": {"Project": ["a", "b"]}},
                     [{"principal_tags": {"Project": ["a", "b"]}}],
                     {"principal_tags": {"Project": []}}):
            with self.subTest(tags=tags):
                self.err(self.tagged(tags), "InvalidIdentityToken",
                         arn=role_arn("tag-role"))

    def test_tag_count_limit(self):
        arn = role_arn("tag-role")
        fifty = {f"k{i:02d}": ["v"] for i in range(50)}
        self.ok(self.tagged({"principal_tags": fifty}), arn=arn)
        fifty_one = dict(fifty, k50=["v"])
        self.err(self.tagged({"principal_tags": fifty_one}),
                 "InvalidIdentityToken", arn=arn)
        # the limit holds across the array shape's objects too
        split = [{"principal_tags": fifty}, {"principal_tags": {"z": ["v"]}}]
        self.err(self.tagged(split), "InvalidIdentityToken", arn=arn)

    def test_reserved_and_colliding_keys(self):
        arn = role_arn("tag-role")
        for pt in ({"aws:Project": ["x"]}, {"AWS:project": ["x"]},
                   {"Project": ["a"], "project": ["b"]}):
            with self.subTest(pt=pt):
                self.err(self.tagged({"principal_tags": pt}),
                         "InvalidIdentityToken", arn=arn)


# ---------------------------------------------------- source identity ---

class TestSourceIdentity(AdvCase):
    @classmethod
    def make_config(cls, port, tmp, idp):
        hp = idp.host_path
        p = provider_arn(hp)
        aud = {"StringEquals": {f"{hp}:aud": AUDIENCE}}
        roles = [
            role("si-none", stmt(p, AWI, aud)),
            role("si-role", stmt(p, [AWI, "sts:SetSourceIdentity"], aud)),
            role("si-cond", stmt(p, AWI, aud),
                 stmt(p, "sts:SetSourceIdentity",
                      {"StringLike": {"sts:SourceIdentity": "admin-*"}})),
        ]
        return H.base_config(port, tmp, idp, roles=roles)

    def test_needs_set_source_identity(self):
        arn = role_arn("si-none")
        msg, _ = self.err(self.tok(**{SRCID: "alice"}), "AccessDenied",
                          403, arn=arn)
        self.assertIn("sts:SetSourceIdentity", msg)
        out = self.ok(self.tok(), arn=arn)
        self.assertNotIn("SourceIdentity", out)

    def test_source_identity_in_response(self):
        r = self.fg.assume(self.tok(**{SRCID: "alice@example.com"}),
                           role_arn=role_arn("si-role"))
        out = H.parse_success(self, r, role="si-role")
        self.assertEqual(out.get("SourceIdentity"), "alice@example.com")
        res = r.xml().find(q("AssumeRoleWithWebIdentityResult"))
        self.assertEqual(list(res)[-1].tag, q("SourceIdentity"))

    def test_source_identity_condition(self):
        arn = role_arn("si-cond")
        out = self.ok(self.tok(**{SRCID: "admin-alice"}), arn=arn)
        self.assertEqual(out.get("SourceIdentity"), "admin-alice")
        self.err(self.tok(**{SRCID: "bob-1"}), "AccessDenied", 403, arn=arn)

    def test_invalid_source_identity(self):
        for v in ("a b", "x", "y" * 65, "a/b", 42, ["admin-a"]):
            with self.subTest(v=v):
                self.err(self.tok(**{SRCID: v}), "InvalidIdentityToken",
                         arn=role_arn("si-role"))


# ---------------------------------------------- trust-policy language ---

class TestTrustLanguage(AdvCase):
    @classmethod
    def setUpClass(cls):
        cls.idp2 = H.TestIdP().start()
        try:
            super().setUpClass()
        except Exception:
            cls.idp2.stop()
            raise

    @classmethod
    def tearDownClass(cls):
        try:
            super().tearDownClass()
        finally:
            cls.idp2.stop()

    @classmethod
    def make_config(cls, port, tmp, idp):
        hp, hp2 = idp.host_path, cls.idp2.host_path
        p = provider_arn(hp)
        aud = {f"{hp}:aud": AUDIENCE}

        def one(name, cond, principal=p):
            c = dict(cond)
            c["StringEquals"] = dict(c.get("StringEquals", {}), **aud)
            return role(name, stmt(principal, AWI, c))
        roles = [
            one("var-role", {"StringLike": {
                "sts:RoleSessionName": f"${{{hp}:sub}}"}}),
            one("vardef-role", {"StringEquals": {
                "sts:RoleSessionName": f"${{{hp}:nick, 'anon'}}"}}),
            one("varlit-role", {"StringLike": {
                f"{hp}:email": f"${{{hp}:sub}}@example.com"}}),
            one("anyvalue-role", {"ForAnyValue:StringEquals": {
                f"{hp}:groups": ["admins", "ops"]}}),
            role("deny-role",
                 stmt(p, AWI, {"StringEquals": aud}),
                 stmt(p, "sts:*", {"StringEquals": {f"{hp}:sub":
                                                    "user-banned"}},
                      effect="Deny")),
            one("ip-ok-role", {"IpAddress": {"aws:SourceIp":
                                             "127.0.0.0/8"}}),
            one("ip-no-role", {"IpAddress": {"aws:SourceIp": "10.0.0.0/8"}}),
            one("num-role", {"NumericLessThan": {f"{hp}:level": "5"}}),
            one("bool-role", {"Bool": {f"{hp}:email_verified": "true"}}),
            one("date-role", {"DateGreaterThan": {
                "aws:CurrentTime": "2020-01-01T00:00:00Z"}}),
            one("date-future-role", {"DateGreaterThan": {
                "aws:CurrentTime": "2999-01-01T00:00:00Z"}}),
            one("ifexists-role", {"StringEqualsIfExists": {
                f"{hp}:team": "blue"}}),
            one("null-role", {"Null": {f"{hp}:email": "false",
                                       f"{hp}:admin": "true"}}),
            role("idp2-role", stmt(provider_arn(hp2), AWI, {
                "StringEquals": {f"{hp2}:aud": AUDIENCE}})),
            one("bare-role", {}, principal=hp),
        ]
        providers = [
            {"name": "testidp", "type": "oidc", "issuer": idp.issuer,
             "audiences": [AUDIENCE], "algorithms": ["RS256", "ES256"],
             "jwks_min_refetch_seconds": 1},
            {"name": "otheridp", "type": "oidc", "issuer": cls.idp2.issuer,
             "audiences": [AUDIENCE], "algorithms": ["RS256", "ES256"],
             "jwks_min_refetch_seconds": 1},
        ]
        return H.base_config(port, tmp, idp, roles=roles,
                             providers=providers)

    def test_variable_session_name_is_sub(self):
        arn = role_arn("var-role")
        self.ok(self.tok(sub="user-7"), arn=arn, session="user-7",
                sub="user-7")
        self.err(self.tok(sub="user-7"), "AccessDenied", 403, arn=arn,
                 session="user-8")

    def test_variable_value_wildcards_are_literal(self):
        arn = role_arn("var-role")
        # sub "us*" must not act as a pattern matching "useful"
        self.err(self.tok(sub="us*"), "AccessDenied", 403, arn=arn,
                 session="useful")
        arn = role_arn("varlit-role")
        self.ok(self.tok(sub="user-1", email="user-1@example.com"), arn=arn)
        self.err(self.tok(sub="*", email="mallory@example.com"),
                 "AccessDenied", 403, arn=arn)

    def test_variable_default(self):
        arn = role_arn("vardef-role")
        self.ok(self.tok(), arn=arn, session="anon")
        self.err(self.tok(), "AccessDenied", 403, arn=arn, session="bob")
        self.ok(self.tok(nick="bob"), arn=arn, session="bob")
        self.err(self.tok(nick="bob"), "AccessDenied", 403, arn=arn,
                 session="anon")

    def test_for_any_value_on_array_claim(self):
        arn = role_arn("anyvalue-role")
        self.ok(self.tok(groups=["dev", "ops"]), arn=arn)
        self.ok(self.tok(groups="admins"), arn=arn)
        for groups in (["dev"], [], None):
            with self.subTest(groups=groups):
                self.err(self.tok(groups=groups), "AccessDenied", 403,
                         arn=arn)

    def test_deny_wins(self):
        arn = role_arn("deny-role")
        self.ok(self.tok(), arn=arn)
        self.err(self.tok(sub="user-banned"), "AccessDenied", 403, arn=arn)

    def test_source_ip(self):
        self.ok(self.tok(), arn=role_arn("ip-ok-role"))
        self.err(self.tok(), "AccessDenied", 403, arn=role_arn("ip-no-role"))

    def test_numeric_claim(self):
        arn = role_arn("num-role")
        self.ok(self.tok(level=3), arn=arn)
        self.ok(self.tok(level=4.5), arn=arn)
        for level in (5, 7, "abc", None):
            with self.subTest(level=level):
                self.err(self.tok(level=level), "AccessDenied", 403, arn=arn)

    def test_bool_claim(self):
        arn = role_arn("bool-role")
        self.ok(self.tok(email_verified=True), arn=arn)
        for v in (False, None):
            with self.subTest(v=v):
                self.err(self.tok(email_verified=v), "AccessDenied", 403,
                         arn=arn)

    def test_current_time(self):
        self.ok(self.tok(), arn=role_arn("date-role"))
        self.err(self.tok(), "AccessDenied", 403,
                 arn=role_arn("date-future-role"))

    def test_if_exists_missing_claim(self):
        arn = role_arn("ifexists-role")
        self.ok(self.tok(), arn=arn)
        self.ok(self.tok(team="blue"), arn=arn)
        self.err(self.tok(team="red"), "AccessDenied", 403, arn=arn)

    def test_null_check(self):
        arn = role_arn("null-role")
        self.ok(self.tok(email="a@example.com"), arn=arn)
        self.err(self.tok(), "AccessDenied", 403, arn=arn)
        self.err(self.tok(email="a@example.com", admin=True),
                 "AccessDenied", 403, arn=arn)

    def test_role_trusting_other_provider(self):
        arn = role_arn("idp2-role")
        self.err(self.tok(), "AccessDenied", 403, arn=arn)
        r = self.fg.assume(self.tok(idp=self.idp2), role_arn=arn)
        H.parse_success(self, r, role="idp2-role", issuer=self.idp2.issuer)
        # and the other way round: idp2's token on a role trusting idp
        self.err(self.tok(idp=self.idp2), "AccessDenied", 403,
                 arn=role_arn("date-role"))

    def test_bare_issuer_principal(self):
        self.ok(self.tok(), arn=role_arn("bare-role"))
        self.err(self.tok(idp=self.idp2), "AccessDenied", 403,
                 arn=role_arn("bare-role"))


# ---------------------------------------------------- protocol abuse ---

class TestProtocolAbuse(AdvCase):
    MAX_BODY = 16384

    @classmethod
    def make_config(cls, port, tmp, idp):
        return H.base_config(port, tmp, idp, max_body_bytes=cls.MAX_BODY)

    def post(self, body, path="/", ctype=H.FORM, headers=None):
        h = {"Content-Type": ctype}
        h.update(headers or {})
        if isinstance(body, str):
            body = body.encode()
        return H.http_request(self.fg.port, "POST", path, body=body,
                              headers=h)

    def awi_body(self, tok, **over):
        p = {"Action": "AssumeRoleWithWebIdentity", "Version": "2011-06-15",
             "RoleArn": ROLE_ARN, "RoleSessionName": "s1",
             "WebIdentityToken": tok}
        p.update(over)
        return urllib.parse.urlencode(p)

    def test_duplicate_parameter(self):
        tok = self.tok()
        base = self.awi_body(tok)
        for body in (base + "&RoleSessionName=s2",
                     base + "&Action=AssumeRoleWithWebIdentity",
                     "Version=2011-06-15&" + base):
            with self.subTest(body=body[-40:]):
                expect_error(self, self.post(body), "ValidationError", 400,
                             tok)
        # across query string and body
        r = self.post(base, path="/?Version=2011-06-15")
        expect_error(self, r, "ValidationError", 400, tok)
        r = self.post(base, path="/?RoleSessionName=other")
        expect_error(self, r, "ValidationError", 400, tok)
        # control: the same body alone is accepted
        H.parse_success(self, self.post(base))

    def test_bad_percent_encoding(self):
        tok = self.tok()
        base = self.awi_body(tok)
        for tail in ("&Pad=%zz", "&Pad=%4", "&Pad=%", "&Pad=%00",
                     "&%G1=x", "&RoleSessionName%=s1"):
            with self.subTest(tail=tail):
                expect_error(self, self.post(base + tail),
                             "ValidationError", 400, tok)
        r = H.http_request(self.fg.port, "GET", "/?" + base + "&x=%G0")
        expect_error(self, r, "ValidationError", 400, tok)

    def test_json_body(self):
        tok = self.tok()
        body = json.dumps({"Action": "AssumeRoleWithWebIdentity",
                           "Version": "2011-06-15", "RoleArn": ROLE_ARN,
                           "RoleSessionName": "s1",
                           "WebIdentityToken": tok})
        r = self.post(body, ctype="application/json")
        expect_error(self, r, "UnsupportedMediaType", 415, tok)
        # form parameters in the query do not rescue a JSON body
        r = self.post(body, ctype="application/json",
                      path="/?" + self.awi_body(tok))
        expect_error(self, r, "UnsupportedMediaType", 415, tok)

    def test_wrong_version(self):
        r = self.post(self.awi_body(self.tok(), Version="2010-01-01"))
        expect_error(self, r, "InvalidAction", 400)
        r = self.fg.get("/?Action=AssumeRoleWithWebIdentity"
                        "&Version=2010-01-01")
        expect_error(self, r, "InvalidAction", 400)

    def test_missing_action(self):
        expect_error(self, self.post("Version=2011-06-15"),
                     "MissingAction", 400)
        expect_error(self, self.post("Action=&Version=2011-06-15"),
                     "MissingAction", 400)
        expect_error(self, self.fg.get("/"), "MissingAction", 400)

    def test_methods_and_paths(self):
        for method in ("PUT", "DELETE", "PATCH"):
            with self.subTest(method=method):
                r = H.http_request(self.fg.port, method, "/",
                                   body=self.awi_body(self.tok()).encode(),
                                   headers={"Content-Type": H.FORM})
                expect_error(self, r, "MethodNotAllowed", 405)
        for path in ("/nonexistent", "/healthz/x", "//", "/./healthz",
                     "/%2e%2e/healthz"):
            with self.subTest(path=path):
                expect_error(self, self.fg.get(path), "NotFound", 404)

    def test_long_query_string(self):
        path = ("/?Action=AssumeRoleWithWebIdentity&Version=2011-06-15"
                "&Pad=" + "a" * 40000)
        r = self.fg.get(path)
        self.assertEqual(r.status, 413, r)
        self.assertEqual(r.error()[1], "RequestEntityTooLarge")
        self.assertEqual(self.fg.get("/healthz").status, 200)

    def _chunked(self, body, piece=4096):
        conn = http.client.HTTPConnection("127.0.0.1", self.fg.port,
                                          timeout=H.REQ_TIMEOUT)
        try:
            conn.putrequest("POST", "/")
            conn.putheader("Content-Type", H.FORM)
            conn.putheader("Transfer-Encoding", "chunked")
            conn.endheaders()
            try:
                for i in range(0, len(body), piece):
                    part = body[i:i + piece]
                    conn.send(b"%x\r\n" % len(part) + part + b"\r\n")
                conn.send(b"0\r\n\r\n")
            except OSError:
                pass        # the server may answer and close early
            r = conn.getresponse()
            return H.Response(r.status, r.getheaders(), r.read())
        finally:
            conn.close()

    def test_chunked_body(self):
        tok = self.tok()
        ok = self.awi_body(tok).encode()
        self.assertLess(len(ok), self.MAX_BODY)
        H.parse_success(self, self._chunked(ok, piece=500))
        big = ok + b"&Pad=" + b"a" * (2 * self.MAX_BODY)
        r = self._chunked(big)
        self.assertEqual(r.status, 413, r)
        self.assertEqual(r.error()[1], "RequestEntityTooLarge")
        self.assertNotIn(tok, r.text())
        self.assertEqual(self.fg.get("/healthz").status, 200)

    def test_header_flood(self):
        hdrs = b"".join(b"X-Pad-%03d: %s\r\n" % (i, b"a" * 1000)
                        for i in range(100))
        req = (b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n" + hdrs +
               b"Connection: close\r\n\r\n")
        self.assertGreater(len(req), 100 * 1000)
        resp = H.raw_exchange(self.fg.port, req)
        if resp:
            self.assertRegex(resp[:16], rb"\AHTTP/1\.[01] 4\d\d ",
                             resp[:200])
        self.assertIsNone(self.fg.proc.poll(), "fedgate died")
        self.assertEqual(self.fg.get("/healthz").status, 200)

    def _bad_value(self, name, raw):
        """Send parameter `name` as raw bytes; expect a well-formed
        ValidationError and a strict-UTF-8 JSON audit line."""
        tok = self.tok()
        p = {"Action": "AssumeRoleWithWebIdentity", "Version": "2011-06-15",
             "RoleArn": ROLE_ARN, "RoleSessionName": "s1",
             "WebIdentityToken": tok}
        p[name] = raw
        body = "&".join(
            k + "=" + urllib.parse.quote_from_bytes(
                v if isinstance(v, bytes) else v.encode(), safe="")
            for k, v in p.items())
        r = self.post(body, headers={"User-Agent": "adv-test"})
        try:
            r.body.decode("utf-8")
        except UnicodeDecodeError as e:
            self.fail(f"response is not UTF-8: {e}")
        _, rid = expect_error(self, r, "ValidationError", 400, tok)
        wait_audit_rid(self, self.fg, rid)

    def test_control_chars_session_name(self):
        for raw in (b"ab\x01cd", b"ab\x1b[31mcd", b"ab\x7fcd", b"ab\tcd",
                    b"ab\ncd", b"ab\xff\xfecd", b"ab\xc3\x28cd",
                    b"ab\xc0\xafcd", "ab\u202ecd".encode(),
                    "\u00e9t\u00e9".encode()):
            with self.subTest(raw=raw):
                self._bad_value("RoleSessionName", raw)

    def test_control_chars_role_arn(self):
        for raw in (ROLE_ARN.encode() + b"\x01",
                    ROLE_ARN.encode() + b"\x1b[2J",
                    ROLE_ARN.encode() + b"\x7f",
                    ROLE_ARN.encode() + b"\xff\xfe",
                    ROLE_ARN.encode() + b"\xc0\xaf",
                    ROLE_ARN.encode() + "\u009b".encode()):
            with self.subTest(raw=raw[-8:]):
                self._bad_value("RoleArn", raw)

    def test_invalid_utf8_user_agent_audited(self):
        tok = self.tok()
        r = self.post(self.awi_body(tok),
                      headers={"User-Agent": "ua-\xff\xfe-\x01"})
        out = H.parse_success(self, r)
        rec = wait_audit_rid(self, self.fg, out["RequestId"])
        # Invalid bytes become U+FFFD; the control character survives
        # only JSON-escaped (wait_audit_rid decodes the line strictly).
        self.assertEqual(rec.get("userAgent"), "ua-\ufffd\ufffd-\x01")


# -------------------------------------------------------- token abuse ---

class AttackerServer:
    """Loopback HTTP server that counts every request it receives."""

    def __init__(self, jwks):
        self.jwks = jwks
        self.hits = 0
        self.lock = threading.Lock()
        srv = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def _any(self):
                with srv.lock:
                    srv.hits += 1
                data = json.dumps(srv.jwks).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)
            do_GET = do_POST = do_HEAD = _any

            def log_message(self, *a):
                pass
        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0),
                                                      Handler)
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever,
                                       kwargs={"poll_interval": 0.05},
                                       daemon=True)
        self.thread.start()

    def url(self, path):
        return f"http://127.0.0.1:{self.port}{path}"

    def count(self):
        with self.lock:
            return self.hits

    def stop(self):
        self.server.shutdown()
        self.server.server_close()


def _b64d(s):
    return base64.urlsafe_b64decode(s + "=" * (-len(s) % 4))


class TestTokenAbuse(AdvCase):
    SKEW = 60

    @classmethod
    def setUpClass(cls):
        cls.rogue = H.IdPKey.rsa("rogue")
        cls.attacker = AttackerServer({"keys": [cls.rogue.jwk()]})
        try:
            super().setUpClass()
        except Exception:
            cls.attacker.stop()
            raise

    @classmethod
    def tearDownClass(cls):
        try:
            super().tearDownClass()
        finally:
            cls.attacker.stop()

    @classmethod
    def make_config(cls, port, tmp, idp):
        return H.base_config(port, tmp, idp, clock_skew_seconds=cls.SKEW)

    def bad(self, tok, code="InvalidIdentityToken"):
        return self.err(tok, code)

    def test_jku_x5u_never_fetched(self):
        # sanity: the attacker server answers when asked
        c = http.client.HTTPConnection("127.0.0.1", self.attacker.port,
                                       timeout=5)
        c.request("GET", "/probe")
        self.assertEqual(c.getresponse().status, 200)
        c.close()
        base = self.attacker.count()
        self.assertEqual(base, 1)
        claims = self.idp.claims()
        for kid in ("rogue", "rsa1"):
            for hdr in ({"jku": self.attacker.url("/jwks")},
                        {"x5u": self.attacker.url("/cert.pem")},
                        {"jku": self.attacker.url("/jwks"),
                         "x5u": self.attacker.url("/cert.pem"),
                         "jwk": self.rogue.jwk()}):
                with self.subTest(kid=kid, hdr=sorted(hdr)):
                    tok = self.idp.token(kid, claims=claims,
                                         key=self.rogue, headers=hdr)
                    self.bad(tok)
        self.assertEqual(self.attacker.count(), base,
                         "fedgate fetched a URL named in a token header")

    def test_kid_of_other_key(self):
        claims = self.idp.claims()
        # kid names rsa1, an RSA key of the same IdP signed it
        self.bad(self.idp.token("rsa1", claims=claims,
                                key=self.idp.key("ps1"), alg="RS256"))
        # kid names the EC key, an RSA signature is presented
        self.bad(self.idp.token("ec1", claims=claims,
                                key=self.idp.key("rsa1"), alg="RS256"))
        # kid names the RSA key, an ES256 signature is presented
        self.bad(self.idp.token("rsa1", claims=claims,
                                key=self.idp.key("ec1"), alg="ES256"))
        # control: the right key under the same claims is accepted
        self.ok(self.idp.token("rsa1", claims=claims))

    def test_signature_transplant(self):
        a = self.idp.token("rsa1", claims=self.idp.claims(sub="user-a"))
        b = self.idp.token("rsa1", claims=self.idp.claims(sub="user-b"))
        ha, pa, sa = a.split(".")
        hb, pb, sb = b.split(".")
        self.bad(f"{ha}.{pb}.{sa}")
        self.bad(f"{ha}.{pa}.{sb}")
        # ES256 header + payload under an RS256 token's signature
        e = self.idp.token("ec1", claims=self.idp.claims(sub="user-a"))
        he, pe, _ = e.split(".")
        self.bad(f"{he}.{pe}.{sa}")
        self.ok(a, sub="user-a")

    def test_jwe_shaped(self):
        for alg in ({"alg": "RSA-OAEP", "enc": "A256GCM", "kid": "rsa1"},
                    {"alg": "dir", "enc": "A128CBC-HS256"},
                    {"alg": "RS256", "kid": "rsa1"}):
            with self.subTest(alg=alg["alg"]):
                parts = [H.b64url(json.dumps(alg)),
                         H.b64url(b"\x01" * 256), H.b64url(b"\x02" * 12),
                         H.b64url(json.dumps(self.idp.claims())),
                         H.b64url(b"\x03" * 16)]
                self.bad(".".join(parts))
        # a valid JWS with two extra segments appended
        self.bad(self.idp.token("rsa1") + ".AAAA.AAAA")

    def test_crit_registered_name(self):
        self.bad(self.idp.token("rsa1", headers={"crit": ["exp"]}))
        self.bad(self.idp.token("rsa1", headers={"crit": []}))

    def test_exp_as_string(self):
        for exp in ("9999999999", "1e10", None, True, [9999999999]):
            with self.subTest(exp=exp):
                c = self.idp.claims()
                c["exp"] = exp
                self.bad(self.idp.token("rsa1", claims=c))

    def test_nbf_skew_boundary(self):
        now = int(time.time())
        # exactly now + skew: the server's clock can only be later
        tok = self.idp.token("rsa1", claims=self.idp.claims(
            nbf=now + self.SKEW))
        self.ok(tok)
        now = int(time.time())
        tok = self.idp.token("rsa1", claims=self.idp.claims(
            nbf=now + self.SKEW + 5))
        self.bad(tok)

    def test_exp_skew_boundary(self):
        now = int(time.time())
        self.ok(self.idp.token("rsa1", claims=self.idp.claims(
            iat=now - 600, exp=now - self.SKEW + 3)))
        now = int(time.time())
        self.bad(self.idp.token("rsa1", claims=self.idp.claims(
            iat=now - 600, exp=now - self.SKEW - 3)),
            "ExpiredTokenException")

    def _token_of_len(self, n):
        """A validly signed RS256 token of exactly n characters."""
        claims = self.idp.claims()

        def mk(pad, extra):
            return self.idp.token("rsa1", claims=dict(claims, pad="p" * pad),
                                  headers={"x": "h" * extra})
        for extra in range(4):      # base64 cannot hit every length
            pad = 0
            for _ in range(8):
                d = n - len(mk(pad, extra))
                if abs(d) <= 3:
                    break
                pad = max(0, pad + d * 3 // 4)
            for p in range(max(0, pad - 4), pad + 5):
                t = mk(p, extra)
                if len(t) == n:
                    return t
        self.fail(f"could not build a {n}-character token")

    def test_token_size_boundary(self):
        t20000 = self._token_of_len(20000)
        self.ok(t20000)
        self.ok(t20000 + "\n")
        h, p, s = t20000.split(".")
        sig = bytearray(_b64d(s))
        sig[0] ^= 1
        bad = f"{h}.{p}.{H.b64url(bytes(sig))}"
        self.assertEqual(len(bad), 20000)
        self.bad(bad)
        t20001 = self._token_of_len(20001)
        self.err(t20001, "ValidationError")


# ------------------------------------------------ concurrency, lifecycle ---

class TestConcurrency(AdvCase):
    N = 200
    THREADS = 16

    def test_mixed_load_and_audit(self):
        rogue = H.IdPKey.rsa("rsa1")
        now = int(time.time())
        kinds = []
        for i in range(self.N):
            k = i % 5
            if k == 0:
                tok = self.tok(sub=f"user-{i}")
            elif k == 1:
                tok = self.idp.token("rsa1", key=rogue)
            elif k == 2:
                tok = self.idp.token("rsa1", claims=self.idp.claims(
                    iat=now - 900, exp=now - 300))
            elif k == 3:
                tok = self.tok(sub=f"admin-{i}")
            else:
                tok = self.tok()
            kinds.append((i, k, tok))
        codes = {1: ("InvalidIdentityToken", 400),
                 2: ("ExpiredTokenException", 400),
                 3: ("AccessDenied", 403), 4: ("ValidationError", 400)}
        before = len(strict_audit_lines(self.fg))

        def call(item):
            i, k, tok = item
            session = f"c{i:03d}" if k != 4 else "x"
            return item, self.fg.assume(tok, session=session)

        with concurrent.futures.ThreadPoolExecutor(self.THREADS) as ex:
            results = list(ex.map(call, kinds))
        rids = {}
        for (i, k, tok), r in results:
            with self.subTest(i=i, kind=k):
                if k == 0:
                    out = H.parse_success(self, r, sub=f"user-{i}",
                                          session=f"c{i:03d}")
                    rids[out["RequestId"]] = (i, None)
                else:
                    code, status = codes[k]
                    _, rid = expect_error(self, r, code, status, tok)
                    rids[rid] = (i, code)
        self.assertEqual(len(rids), self.N, "request ids not unique")

        deadline = time.monotonic() + 5
        while True:
            recs = strict_audit_lines(self.fg)[before:]
            if len(recs) >= self.N or time.monotonic() > deadline:
                break
            time.sleep(0.05)
        time.sleep(0.2)          # nothing beyond the 200 arrives later
        recs = strict_audit_lines(self.fg)[before:]
        self.assertEqual(len(recs), self.N)
        seen = [rec.get("requestID") for rec in recs]
        self.assertEqual(len(set(seen)), self.N, "duplicate requestID")
        self.assertEqual(set(seen), set(rids))
        for rec in recs:
            i, code = rids[rec["requestID"]]
            self.assertEqual(rec.get("errorCode"), code, rec)
        self.assertEqual(self.fg.get("/healthz").status, 200)


class TestShutdown(AdvCase):
    CLIENTS = 8

    def _slow_client(self, body, ready, go, out, idx):
        try:
            s = socket.create_connection(("127.0.0.1", self.fg.port),
                                         timeout=20)
            head = (b"POST / HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                    b"Content-Type: " + H.FORM.encode() + b"\r\n"
                    b"Content-Length: " + str(len(body)).encode() +
                    b"\r\nConnection: close\r\n\r\n")
            half = len(body) // 2
            s.sendall(head + body[:half])
            ready.release()
            go.wait(10)
            rest = body[half:]
            step = len(rest) // 4 + 1
            for i in range(0, len(rest), step):
                time.sleep(0.2)
                s.sendall(rest[i:i + step])
            data = b""
            while True:
                b = s.recv(65536)
                if not b:
                    break
                data += b
            s.close()
            out[idx] = data
        except Exception as e:      # reported by the main thread
            out[idx] = e
            ready.release()

    def test_sigterm_with_slow_clients(self):
        n0 = len(strict_audit_lines(self.fg))
        ready = threading.Semaphore(0)
        go = threading.Event()
        out = [None] * self.CLIENTS
        threads = []
        for i in range(self.CLIENTS):
            body = urllib.parse.urlencode({
                "Action": "AssumeRoleWithWebIdentity",
                "Version": "2011-06-15", "RoleArn": ROLE_ARN,
                "RoleSessionName": f"slow{i}",
                "WebIdentityToken": self.tok()}).encode()
            t = threading.Thread(target=self._slow_client,
                                 args=(body, ready, go, out, i),
                                 daemon=True)
            t.start()
            threads.append(t)
        for _ in range(self.CLIENTS):
            self.assertTrue(ready.acquire(timeout=10))
        time.sleep(0.3)     # let the server read the headers
        t0 = time.monotonic()
        self.fg.proc.send_signal(signal.SIGTERM)
        go.set()
        rc = self.fg.proc.wait(15)
        elapsed = time.monotonic() - t0
        for t in threads:
            t.join(5)
        self.assertEqual(rc, 0, self.fg.logs())
        self.assertLess(elapsed, 15)
        for i, data in enumerate(out):
            with self.subTest(client=i):
                self.assertIsInstance(data, bytes, data)
                H.parse_success(self, parse_raw_response(data),
                                session=f"slow{i}")
        recs = strict_audit_lines(self.fg)[n0:]
        self.assertEqual(len(recs), self.CLIENTS)
        self.assertTrue(all(r.get("errorCode") is None for r in recs), recs)


if __name__ == "__main__":
    unittest.main()
