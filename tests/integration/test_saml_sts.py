"""AssumeRoleWithSAML end to end: the real fedgate binary over HTTP, SAML
Responses made and signed at test time by saml_idp.SamlIdP (xmlsec1), real
clients (Debian's awscli, boto3 unsigned), and the session credentials used
for a SigV4-signed GetCallerIdentity.

Valid variants (Response signed, Assertion signed, both, EncryptedAssertion,
key rollover, Entra/Okta/Google-like attribute sets) are checked against
AWS's XML, element by element and in order; every refusal is checked for its
exact wire code and status, for a Message that never echoes the assertion,
and the audit log for the assertion ID (never the assertion).
"""
import base64
import json
import os
import re
import subprocess
import time
import unittest
import uuid
import xml.etree.ElementTree as ET

import boto3
import botocore.config
from botocore import UNSIGNED
from botocore.exceptions import ClientError

import fedgate_harness as H
import saml_idp as S

AWS_CLI = "/usr/bin/aws"        # Debian's awscli 2.9.19, not a pyenv shim
CLI_TIMEOUT = 30
REGION = "us-east-1"
ACCT = H.ACCOUNT
SP_ENTITY = "urn:fedgate:sp:test"
AWS_SIGNIN = "https://signin.aws.amazon.com/saml"
ENTRA_TENANT = "9188040d-6c67-4c5b-b112-36a304b66dad"
MS = "http://schemas.microsoft.com/identity/claims/"
XS = "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/"
MS_GROUPS = "http://schemas.microsoft.com/ws/2008/06/identity/claims/groups"
ENTITLEMENT = "urn:oid:1.3.6.1.4.1.5923.1.1.1.7"
GROUP_ID = "e7a9c1f2-0000-4000-8000-000000000001"
MD_NS = "urn:oasis:names:tc:SAML:2.0:metadata"
ROLE_MAX_MSG = ("The requested DurationSeconds exceeds the "
                "MaxSessionDuration set for this role.")

# provider name -> entity id
IDPS = {
    "corp": "https://idp.corp.test/saml",
    "entra": f"https://sts.windows.net/{ENTRA_TENANT}/",
    "okta": "http://www.okta.com/exk1fedgate0test",
    "google": "https://accounts.google.com/o/saml2?idpid=C01fedgate",
}


def role_arn(name, acct=ACCT):
    return f"arn:aws:iam::{acct}:role/{name}"


def prov_arn(name, acct=ACCT):
    return f"arn:aws:iam::{acct}:saml-provider/{name}"


def role_value(role, prov, provider_first=False):
    r, p = role_arn(role), prov_arn(prov)
    return f"{p},{r}" if provider_first else f"{r},{p}"


def q(name):
    return f"{{{H.NS}}}{name}"


def saml_trust(provs, cond=None, actions=("sts:AssumeRoleWithSAML",
                                          "sts:TagSession",
                                          "sts:SetSourceIdentity")):
    st = {"Effect": "Allow",
          "Principal": {"Federated": [prov_arn(p) for p in provs]},
          "Action": list(actions)}
    if cond:
        st["Condition"] = cond
    return {"Version": "2012-10-17", "Statement": [st]}


def iso_to_epoch(s):
    return time.mktime(time.strptime(s, "%Y-%m-%dT%H:%M:%SZ")) - time.timezone


class SamlCase(H.FedgateCase):
    """One fedgate with four SAML IdPs (corp with two signing keys, an
    Entra-, an Okta- and a Google-like one), an SP key pair for
    EncryptedAssertion and the roles below."""

    @classmethod
    def make_config(cls, fg_port, tmp, idp):
        cls.acs = f"http://127.0.0.1:{fg_port}/saml/acs"
        cls.idps = {n: S.SamlIdP(tmp, n, e, n_keys=2 if n == "corp" else 1)
                    for n, e in IDPS.items()}
        cls.sp = S.KeyPair(tmp, "sp")
        everyone = list(IDPS)
        nq_corp = S.name_qualifier(IDPS["corp"], ACCT, "corp")
        roles = [
            {"name": "SamlAdmin", "max_session_duration": 3600,
             "trust_policy": saml_trust(everyone, {
                 "StringEquals": {"SAML:aud": [cls.acs, AWS_SIGNIN]}})},
            {"name": "SamlLong", "max_session_duration": 43200,
             "trust_policy": saml_trust(everyone)},
            {"name": "AudRole", "max_session_duration": 3600,
             "trust_policy": saml_trust(["corp"], {
                 "StringEquals": {"SAML:aud": AWS_SIGNIN}})},
            {"name": "GroupsRole", "max_session_duration": 3600,
             "trust_policy": saml_trust(["corp"], {
                 "ForAnyValue:StringLike": {"SAML:groups": "admin*"}})},
            {"name": "KeysRole", "max_session_duration": 3600,
             "trust_policy": saml_trust(["corp"], {
                 "StringEquals": {
                     "SAML:iss": IDPS["corp"],
                     "SAML:sub": "alice@example.test",
                     "SAML:sub_type": "persistent",
                     "SAML:namequalifier": nq_corp,
                     "SAML:doc": f"{ACCT}/corp",
                     "SAML:mail": "alice@example.test"},
                 "ForAnyValue:StringEquals": {
                     "SAML:edupersonentitlement": "urn:x:aws-admin",
                     f"SAML:{ENTITLEMENT}": "urn:x:aws-admin"}})},
            {"name": "NoTagRole", "max_session_duration": 3600,
             "trust_policy": saml_trust(
                 ["corp"], actions=("sts:AssumeRoleWithSAML",))},
            {"name": "EntraRole", "max_session_duration": 3600,
             "trust_policy": saml_trust(["entra"], {
                 "StringEquals": {"SAML:mail": "alice@contoso.example",
                                  "SAML:iss": IDPS["entra"]},
                 "ForAnyValue:StringEquals": {
                     f"SAML:{MS_GROUPS}": GROUP_ID}})},
        ]
        providers = [{"name": n, "type": "saml",
                      "metadata_file": i.metadata_path}
                     for n, i in cls.idps.items()]
        return H.base_config(
            fg_port, tmp, idp, roles=roles, providers=providers,
            max_body_bytes=262144,
            saml_sp={"entity_id": SP_ENTITY,
                     "recipients": [AWS_SIGNIN],
                     "cert_file": cls.sp.cert_path,
                     "key_file": cls.sp.key_path})

    # ------------------------------------------------------- helpers ---

    def make(self, idp="corp", role="SamlAdmin", prov=None, session="alice",
             attrs=None, extra_attrs=(), recipient=None, **kw):
        """A fresh signed Response from `idp` naming (role, prov)."""
        prov = prov or idp
        if attrs is None:
            attrs = [(S.A_ROLE, [role_value(role, prov)])]
            if session is not None:
                attrs.append((S.A_RSN, [session]))
        attrs = list(attrs) + list(extra_attrs)
        return self.idps[idp].build(recipient or self.acs, SP_ENTITY,
                                    attrs=attrs, **kw)

    def call(self, b64, role="SamlAdmin", prov="corp", **extra):
        p = {"Action": "AssumeRoleWithSAML", "Version": "2011-06-15",
             "RoleArn": role_arn(role), "PrincipalArn": prov_arn(prov),
             "SAMLAssertion": b64}
        p.update(extra)
        return self.fg.sts(p)

    def ok(self, b64, info, role="SamlAdmin", prov="corp", session="alice",
           subject=None, subject_type=S.FMT_EMAIL, duration=3600,
           audience=None, source_identity=None, **extra):
        t0 = time.time()
        r = self.call(b64, role, prov, **extra)
        return self.check_success(r, info, role, prov, session,
                                  subject or info["nameid"], subject_type,
                                  audience or self.acs, duration, t0,
                                  source_identity)

    def check_success(self, r, info, role, prov, session, subject,
                      subject_type, audience, duration, t0,
                      source_identity=None):
        """Full AssumeRoleWithSAMLResponse, AWS's element order."""
        self.assertEqual(r.status, 200, r)
        self.assertTrue(r.headers.get("content-type", "")
                        .startswith("text/xml"))
        root = r.xml()
        self.assertEqual(root.tag, q("AssumeRoleWithSAMLResponse"))
        self.assertEqual([c.tag for c in root],
                         [q("AssumeRoleWithSAMLResult"),
                          q("ResponseMetadata")])
        res = root.find(q("AssumeRoleWithSAMLResult"))
        want = ["Credentials", "AssumedRoleUser", "PackedPolicySize",
                "Subject", "SubjectType", "Issuer", "Audience",
                "NameQualifier"]
        if source_identity is not None:
            want.append("SourceIdentity")
        self.assertEqual([c.tag[len(H.NS) + 2:] for c in res], want)
        cred = res.find(q("Credentials"))
        self.assertEqual([c.tag[len(H.NS) + 2:] for c in cred],
                         ["AccessKeyId", "SecretAccessKey", "SessionToken",
                          "Expiration"])
        out = {c.tag[len(H.NS) + 2:]: (c.text or "") for c in cred}
        self.assertRegex(out["AccessKeyId"], r"\AASIA[A-Z2-7]{16}\Z")
        self.assertRegex(out["SecretAccessKey"], r"\A[\x21-\x7e]{40}\Z")
        self.assertGreater(len(out["SessionToken"]), 40)
        exp = iso_to_epoch(out["Expiration"])
        self.assertAlmostEqual(exp, t0 + duration, delta=5,
                               msg=f"Expiration {out['Expiration']}")
        aru = res.find(q("AssumedRoleUser"))
        self.assertEqual([c.tag[len(H.NS) + 2:] for c in aru],
                         ["Arn", "AssumedRoleId"])
        self.assertEqual(aru.find(q("Arn")).text,
                         f"arn:aws:sts::{ACCT}:assumed-role/{role}/{session}")
        self.assertRegex(aru.find(q("AssumedRoleId")).text,
                         r"\AAROA[A-Z0-9]{4,}:" + re.escape(session) + r"\Z")
        self.assertRegex(res.find(q("PackedPolicySize")).text or "",
                         r"\A\d+\Z")
        self.assertEqual(res.find(q("Subject")).text, subject)
        self.assertEqual(res.find(q("SubjectType")).text, subject_type)
        self.assertEqual(res.find(q("Issuer")).text, IDPS[prov])
        self.assertEqual(res.find(q("Audience")).text, audience)
        self.assertEqual(res.find(q("NameQualifier")).text,
                         S.name_qualifier(IDPS[prov], ACCT, prov))
        if source_identity is not None:
            self.assertEqual(res.find(q("SourceIdentity")).text,
                             source_identity)
        rid = root.find(f"{q('ResponseMetadata')}/{q('RequestId')}").text
        uuid.UUID(rid)
        out["RequestId"] = rid
        out["PackedPolicySize"] = int(res.find(q("PackedPolicySize")).text)
        return out

    def err(self, r, code, b64, info=None, status=None, reason=None):
        """ErrorResponse with `code`; the Message never echoes the
        assertion, its XML or the NameID. `reason` (a string or a tuple of
        accepted ones): the audit line of this request must give it, so a
        refusal for another cause (say an unknown provider) cannot pass
        for the one under test."""
        if status is None:
            status = {"AccessDenied": 403, "IDPRejectedClaim": 403}.get(
                code, 400)
        msg, rid = H.expect_error(self, r, code, status)
        if reason is not None:
            want = (reason,) if isinstance(reason, str) else reason
            rec = H.audit_find(self.fg, lambda x: x.get("requestID",
                               x.get("requestId")) == rid)
            self.assertIsNotNone(rec, f"no audit line for request {rid}")
            self.assertIn(rec.get("reason"), want, rec)
            self.assertEqual(rec.get("errorCode"), code, rec)
        text = r.text()
        self.assertNotIn(b64[:40], text)
        for i in range(0, len(b64) - 32, 997):
            self.assertNotIn(b64[i:i + 32], text)
        self.assertNotIn("<saml", msg)
        self.assertNotIn("Assertion ID", msg)
        if info is not None:
            self.assertNotIn(info["nameid"], msg)
            self.assertNotIn(info["assertion_id"], msg)
        return msg


# =================================================================== valid

class TestValid(SamlCase):
    def test_assertion_signed(self):
        b64, info = self.make(sign="assertion", nameid="alice@example.test")
        self.ok(b64, info)

    def test_response_signed(self):
        b64, info = self.make(sign="response")
        self.ok(b64, info)

    def test_both_signed(self):
        b64, info = self.make(sign="both")
        self.ok(b64, info)

    def test_encrypted_assertion(self):
        b64, info = self.make(sign="assertion", encrypt_to=self.sp)
        self.assertIn("EncryptedAssertion", info["xml"])
        self.assertNotIn("alice@example.test", info["xml"])
        self.ok(b64, info)

    def test_encrypted_assertion_response_signed(self):
        b64, info = self.make(sign="response", encrypt_to=self.sp)
        self.ok(b64, info)

    def test_rollover_second_key(self):
        idp = self.idps["corp"]
        b64, info = self.make(key=idp.keys[1])
        self.ok(b64, info)

    def test_sha512_no_destination(self):
        b64, info = self.make(sigalg=S.RSA_SHA512, digalg=S.SHA512,
                              destination=False)
        self.ok(b64, info)

    def test_aws_signin_recipient(self):
        """Recipient from saml_sp.recipients: Audience (= SAML:aud) is it."""
        b64, info = self.make(role="AudRole", recipient=AWS_SIGNIN)
        self.ok(b64, info, role="AudRole", audience=AWS_SIGNIN)

    def test_subject_types(self):
        cases = [(S.FMT_PERSISTENT, "persistent"),
                 (S.FMT_TRANSIENT, "transient"),
                 ("urn:oasis:names:tc:SAML:2.0:nameid-format:entity",
                  "entity"),
                 # AWS strips only the SAML 2.0 nameid-format prefix
                 (S.FMT_EMAIL, S.FMT_EMAIL),
                 (S.FMT_UNSPECIFIED, S.FMT_UNSPECIFIED),
                 ("urn:example:custom-format", "urn:example:custom-format")]
        for fmt, want in cases:
            with self.subTest(fmt=fmt):
                b64, info = self.make(fmt=fmt, nameid="id-4711")
                self.ok(b64, info, subject_type=want)

    def test_role_pair_provider_first(self):
        b64, info = self.make(attrs=[
            (S.A_ROLE, [role_value("SamlLong", "corp"),
                        role_value("SamlAdmin", "corp", provider_first=True)]),
            (S.A_RSN, ["alice"])])
        self.ok(b64, info)

    def test_azure_like(self):
        """Entra ID: assertion signed RSA-SHA256 only, MS claim names,
        persistent NameID; trust policy on SAML:mail (mapped from the
        xmlsoap emailaddress claim), SAML:<MS groups claim>, SAML:iss."""
        attrs = [
            (MS + "tenantid", [ENTRA_TENANT]),
            (MS + "objectidentifier",
             ["3f2504e0-4f89-11d3-9a0c-0305e82c3301"]),
            (MS + "displayname", ["Alice Example"]),
            (MS + "identityprovider", [IDPS["entra"]]),
            ("http://schemas.microsoft.com/claims/authnmethodsreferences",
             ["http://schemas.microsoft.com/ws/2008/06/identity/"
              "authenticationmethod/password"]),
            (XS + "emailaddress", ["alice@contoso.example"]),
            (XS + "name", ["alice@contoso.example"]),
            (MS_GROUPS, ["e7a9c1f2-0000-4000-8000-000000000009", GROUP_ID]),
            (S.A_ROLE, [role_value("EntraRole", "entra")]),
            (S.A_RSN, ["alice@contoso.example"])]
        b64, info = self.make(idp="entra", attrs=attrs, sign="assertion",
                              fmt=S.FMT_PERSISTENT,
                              nameid="Zx3d9mQ1pLk0aBcDeFgHiJkLmNoPqRsT")
        self.ok(b64, info, role="EntraRole", prov="entra",
                session="alice@contoso.example", subject_type="persistent")
        # the same user outside the group: the trust policy refuses
        attrs[7] = (MS_GROUPS, ["e7a9c1f2-0000-4000-8000-000000000009"])
        b64, info = self.make(idp="entra", attrs=attrs, sign="assertion")
        self.err(self.call(b64, "EntraRole", "entra"), "AccessDenied", b64,
                 info, reason="trust_policy_denied")

    def test_okta_like(self):
        """Okta: Response and Assertion signed, xs:string typed values,
        Role values provider first, several roles, SessionDuration and a
        session tag."""
        attrs = [(S.A_ROLE, [role_value("SamlLong", "okta", True),
                             role_value("SamlAdmin", "okta", True)]),
                 (S.A_RSN, ["alice@example.test"]),
                 (S.A_DURATION, ["1800"]),
                 (S.A_TAG("Dept"), ["Eng"])]
        b64, info = self.make(idp="okta", attrs=attrs, sign="both",
                              typed=True, fmt=S.FMT_UNSPECIFIED,
                              nameid="alice@example.test")
        out = self.ok(b64, info, role="SamlLong", prov="okta",
                      session="alice@example.test",
                      subject_type=S.FMT_UNSPECIFIED, duration=1800)
        self.assertGreater(out["PackedPolicySize"], 0)

    def test_google_like(self):
        """Google Workspace: Response signed only, unspecified NameID,
        issuer with a query string, a custom multi-valued attribute."""
        attrs = [(S.A_ROLE, [role_value("SamlAdmin", "google")]),
                 (S.A_RSN, ["alice@example.test"]),
                 ("department", ["eng", "platform"])]
        b64, info = self.make(idp="google", attrs=attrs, sign="response",
                              fmt=S.FMT_UNSPECIFIED,
                              nameid="alice@example.test")
        self.ok(b64, info, prov="google", session="alice@example.test",
                subject_type=S.FMT_UNSPECIFIED)

    def test_source_identity(self):
        b64, info = self.make(extra_attrs=[(S.A_SOURCE, ["alice-src"])])
        self.ok(b64, info, source_identity="alice-src")

    def test_trust_policy_keys(self):
        """SAML:iss/sub/sub_type/namequalifier/doc/mail and an eduPerson
        attribute, by full name and by AWS's short key."""
        extra = [(XS + "emailaddress", ["alice@example.test"]),
                 (ENTITLEMENT, ["urn:x:other", "urn:x:aws-admin"])]
        b64, info = self.make(role="KeysRole", extra_attrs=extra,
                              fmt=S.FMT_PERSISTENT,
                              nameid="alice@example.test")
        self.ok(b64, info, role="KeysRole", subject_type="persistent")
        for name, kw in (
                ("sub", {"nameid": "mallory@example.test"}),
                ("sub_type", {"fmt": S.FMT_TRANSIENT}),
                ("mail", {"extra_attrs": [
                    (XS + "emailaddress", ["mallory@example.test"]),
                    extra[1]]}),
                ("entitlement", {"extra_attrs": [
                    extra[0], (ENTITLEMENT, ["urn:x:other"])]})):
            with self.subTest(key=name):
                args = {"nameid": "alice@example.test",
                        "fmt": S.FMT_PERSISTENT, "extra_attrs": extra}
                args.update(kw)
                b64, info = self.make(role="KeysRole", **args)
                self.err(self.call(b64, "KeysRole"), "AccessDenied", b64,
                         info, reason="trust_policy_denied")

    def test_groups_condition(self):
        b64, info = self.make(role="GroupsRole", extra_attrs=[
            ("groups", ["devs", "admins-eu"])])
        self.ok(b64, info, role="GroupsRole")

    def test_credentials_sign_get_caller_identity(self):
        b64, info = self.make(session="alice-gci")
        c = self.ok(b64, info, session="alice-gci")
        sess = boto3.session.Session(
            aws_access_key_id=c["AccessKeyId"],
            aws_secret_access_key=c["SecretAccessKey"],
            aws_session_token=c["SessionToken"], region_name=REGION)
        sts = sess.client("sts", endpoint_url=self.fg.url,
                          config=botocore.config.Config(
                              retries={"max_attempts": 1}))
        me = sts.get_caller_identity()
        self.assertEqual(me["Arn"], f"arn:aws:sts::{ACCT}:assumed-role/"
                                    f"SamlAdmin/alice-gci")
        self.assertEqual(me["Account"], ACCT)
        self.assertRegex(me["UserId"], r"\AAROA[A-Z0-9]{4,}:alice-gci\Z")

    def test_sp_metadata(self):
        r = self.fg.get("/saml/metadata")
        self.assertEqual(r.status, 200, r)
        self.assertIn("xml", r.headers.get("content-type", ""))
        root = ET.fromstring(r.body)
        self.assertEqual(root.tag, f"{{{MD_NS}}}EntityDescriptor")
        self.assertEqual(root.get("entityID"), SP_ENTITY)
        sp = root.find(f"{{{MD_NS}}}SPSSODescriptor")
        self.assertIsNotNone(sp, r.text())
        acs = [e.get("Location")
               for e in sp.findall(f"{{{MD_NS}}}AssertionConsumerService")]
        self.assertIn(self.acs, acs)
        certs = [e.text.replace("\n", "").strip() for e in root.iter(
            "{http://www.w3.org/2000/09/xmldsig#}X509Certificate")]
        self.assertIn(self.sp.cert_b64, certs)
        self.assertNotIn("PRIVATE", r.text())


# ================================================================ sessions

class TestSessionLength(SamlCase):
    def test_default_one_hour(self):
        b64, info = self.make(role="SamlLong", session_noa=None)
        self.ok(b64, info, role="SamlLong", duration=3600)

    def test_duration_seconds(self):
        b64, info = self.make(role="SamlLong")
        self.ok(b64, info, role="SamlLong", duration=7200,
                DurationSeconds="7200")

    def test_session_duration_shortens(self):
        b64, info = self.make(role="SamlLong",
                              extra_attrs=[(S.A_DURATION, ["1200"])])
        self.ok(b64, info, role="SamlLong", duration=1200,
                DurationSeconds="7200")

    def test_session_duration_never_extends(self):
        b64, info = self.make(role="SamlLong",
                              extra_attrs=[(S.A_DURATION, ["7200"])])
        self.ok(b64, info, role="SamlLong", duration=1800,
                DurationSeconds="1800")

    def test_session_not_on_or_after(self):
        b64, info = self.make(role="SamlLong", session_noa=1000,
                              extra_attrs=[(S.A_DURATION, ["7200"])])
        self.ok(b64, info, role="SamlLong", duration=1000,
                DurationSeconds="3600")

    def test_duration_seconds_above_role_max(self):
        b64, info = self.make()
        msg = self.err(self.call(b64, DurationSeconds="7200"),
                       "ValidationError", b64, info,
                       reason="duration_exceeds_role_max")
        self.assertEqual(msg, ROLE_MAX_MSG)

    def test_session_duration_above_role_max(self):
        b64, info = self.make(extra_attrs=[(S.A_DURATION, ["7200"])])
        self.err(self.call(b64), "ValidationError", b64, info,
                 reason="duration_exceeds_role_max")

    def test_session_tags_need_tag_session(self):
        tag = [(S.A_TAG("Dept"), ["Eng"]), (S.A_TRANSITIVE, ["Dept"])]
        b64, info = self.make(role="NoTagRole", extra_attrs=tag)
        msg = self.err(self.call(b64, "NoTagRole"), "AccessDenied", b64,
                       info, reason="trust_policy_denied")
        self.assertIn("sts:TagSession", msg)
        # without tags the same role is fine
        b64, info = self.make(role="NoTagRole")
        self.ok(b64, info, role="NoTagRole")
        # and SamlAdmin allows sts:TagSession: tags go into the session
        tag.append((S.A_TAG("Team"), ["Platform"]))
        b64, info = self.make(extra_attrs=tag + [(S.A_SOURCE, ["src-1"])])
        out = self.ok(b64, info, source_identity="src-1")
        self.assertGreater(out["PackedPolicySize"], 0)
        sess = H.session_unseal(
            H.keyring_keys(self.fg.config["state_dir"]), out["SessionToken"])
        self.assertEqual(sorted((t["k"], t["v"], t["t"])
                                for t in sess.get("tags", [])),
                         [("Dept", "Eng", True), ("Team", "Platform", False)],
                         sess)
        self.assertEqual(sess.get("si"), "src-1")
        self.assertEqual(sess.get("fp"), prov_arn("corp"))
        self.assertEqual(sess.get("sub"), info["nameid"])

    def test_source_identity_needs_set_source_identity(self):
        b64, info = self.make(role="NoTagRole",
                              extra_attrs=[(S.A_SOURCE, ["alice-src"])])
        msg = self.err(self.call(b64, "NoTagRole"), "AccessDenied", b64,
                       info, reason="trust_policy_denied")
        self.assertIn("sts:SetSourceIdentity", msg)


# ================================================================= refusals

class TestRefusals(SamlCase):
    def test_unsigned(self):
        b64, info = self.make(sign="none")
        self.err(self.call(b64), "InvalidIdentityToken", b64, info,
                 reason="signature_missing")

    def test_signed_by_unknown_key(self):
        other = S.KeyPair(self.tmp, "stranger")
        b64, info = self.make(key=other)
        self.err(self.call(b64), "InvalidIdentityToken", b64, info,
                 reason="signature_invalid")

    def test_replay(self):
        b64, info = self.make()
        self.ok(b64, info)
        self.err(self.call(b64), "InvalidIdentityToken", b64, info,
                 reason="replay")
        # also under another role the assertion is spent
        self.err(self.call(b64, "SamlLong"), "InvalidIdentityToken", b64,
                 info, reason="replay")

    def test_role_pair_mismatch(self):
        b64, info = self.make(role="SamlLong")
        msg = self.err(self.call(b64, "SamlAdmin"), "AccessDenied", b64,
                       info, reason="trust_policy_denied")
        self.assertEqual(msg, "Not authorized to perform "
                              "sts:AssumeRoleWithSAML")
        # the pair names another provider than PrincipalArn
        b64, info = self.make(prov="okta")
        self.err(self.call(b64, "SamlAdmin", "corp"), "AccessDenied", b64,
                 info, reason="trust_policy_denied")

    def test_role_unknown(self):
        b64, info = self.make(role="NoSuchRole")
        self.err(self.call(b64, "NoSuchRole"), "AccessDenied", b64, info,
                 reason="role_unknown")

    def test_trust_policy_aud(self):
        b64, info = self.make(role="AudRole")   # Recipient = ACS
        self.err(self.call(b64, "AudRole"), "AccessDenied", b64, info,
                 reason="trust_policy_denied")

    def test_trust_policy_groups(self):
        b64, info = self.make(role="GroupsRole", extra_attrs=[
            ("groups", ["devs", "ops"])])
        self.err(self.call(b64, "GroupsRole"), "AccessDenied", b64, info,
                 reason="trust_policy_denied")
        b64, info = self.make(role="GroupsRole")          # no groups at all
        self.err(self.call(b64, "GroupsRole"), "AccessDenied", b64, info,
                 reason="trust_policy_denied")

    def test_bad_role_session_name(self):
        for name in ("a", "bad name", "x" * 65, "al!ce", "\u00e9l\u00e8ve"):
            with self.subTest(name=name):
                b64, info = self.make(session=name)
                msg = self.err(self.call(b64), "InvalidIdentityToken", b64,
                               info, reason="session_name")
                self.assertIn("RoleSessionName", msg)
        b64, info = self.make(session=None)                  # missing
        self.err(self.call(b64), "InvalidIdentityToken", b64, info,
                 reason="session_name")

    def test_status_responder(self):
        b64, info = self.make(status="Responder")
        self.err(self.call(b64), "IDPRejectedClaim", b64, info, status=403,
                 reason="idp_rejected")

    def test_expired(self):
        b64, info = self.make(nb=-7200, noa=-3600)
        self.err(self.call(b64), "ExpiredTokenException", b64, info,
                 reason="expired")

    def test_within_skew(self):
        """clock_skew_seconds: 60 -- expired 20 s ago is still accepted."""
        b64, info = self.make(noa=-20)
        self.ok(b64, info)

    def test_not_yet_valid(self):
        b64, info = self.make(nb=600, noa=1200)
        self.err(self.call(b64), "InvalidIdentityToken", b64, info,
                 reason="not_yet_valid")

    def test_in_response_to_refused_on_api(self):
        """The API takes unsolicited responses only: fedgate issued no
        AuthnRequest, so any InResponseTo names one it never made."""
        b64, info = self.make(in_response_to="_req-never-issued")
        self.assertIn('InResponseTo="_req-never-issued"', info["xml"])
        self.err(self.call(b64), "InvalidIdentityToken", b64, info,
                 reason="in_response_to")

    def test_wrong_recipient(self):
        b64, info = self.make(recipient="https://evil.example/acs",
                              destination=self.acs)
        self.err(self.call(b64), "InvalidIdentityToken", b64, info,
                 reason="recipient_mismatch")

    def test_wrong_destination(self):
        b64, info = self.make(destination="https://evil.example/acs")
        self.err(self.call(b64), "InvalidIdentityToken", b64, info,
                 reason="destination_mismatch")

    def test_wrong_audience(self):
        b64, info = self.idps["corp"].build(
            self.acs, "urn:amazon:webservices",
            attrs=[(S.A_ROLE, [role_value("SamlAdmin", "corp")]),
                   (S.A_RSN, ["alice"])])
        self.err(self.call(b64), "InvalidIdentityToken", b64, info,
                 reason="audience_mismatch")

    def test_unknown_principal_arn(self):
        b64, info = self.make(prov="nosuch")
        self.err(self.call(b64, prov="nosuch"), "InvalidIdentityToken", b64,
                 info, reason="provider_unknown")

    def test_principal_arn_of_other_idp(self):
        """Signed by corp, PrincipalArn and Role pair name okta."""
        b64, info = self.make(prov="okta")
        self.err(self.call(b64, prov="okta"), "InvalidIdentityToken", b64,
                 info, reason="issuer_mismatch")

    def test_not_base64_or_not_xml(self):
        for junk in ("!!!!not base64!!!!",
                     base64.b64encode(b"<samlp:Response").decode(),
                     base64.b64encode(b"hello world, not xml").decode()):
            with self.subTest(junk=junk):
                r = self.call(junk)
                self.err(r, "InvalidIdentityToken", junk,
                         reason="malformed")

    def test_oversized_assertion(self):
        b64, info = self.make()
        big = b64 + "A" * (100001 - len(b64))
        self.assertEqual(len(big), 100001)
        msg = self.err(self.call(big), "ValidationError", big,
                       reason="parameter_invalid")
        self.assertIn("100000", msg)

    def test_size_limit_boundary(self):
        """A valid ~99 KB response, wrapped in 76-column lines as many
        HTTP-POST bindings send it, exactly 100,000 characters: accepted."""
        pad = [("padding", ["p" * 1000 + str(i) for i in range(64)])]
        b64, info = self.make(extra_attrs=pad)
        raw = base64.b64decode(b64)
        lines = base64.encodebytes(raw).decode()
        self.assertLess(len(lines), 100000)
        # extra line breaks (whitespace) to exactly the limit
        lines = "\n" * (100000 - len(lines)) + lines
        self.assertEqual(len(lines), 100000)
        self.ok(lines, info)

    def test_missing_parameters(self):
        b64, info = self.make()
        for drop in ("RoleArn", "PrincipalArn", "SAMLAssertion"):
            with self.subTest(drop=drop):
                p = {"Action": "AssumeRoleWithSAML",
                     "Version": "2011-06-15",
                     "RoleArn": role_arn("SamlAdmin"),
                     "PrincipalArn": prov_arn("corp"),
                     "SAMLAssertion": b64}
                del p[drop]
                self.err(self.fg.sts(p), "MissingParameter", b64, info,
                         reason="parameter_missing")


# =================================================================== audit

class TestAudit(SamlCase):
    def test_audit_saml_user_and_no_assertion(self):
        b64, info = self.make(session="alice-audit")
        self.ok(b64, info, session="alice-audit")
        bad, binfo = self.make(sign="none", session="alice-audit2")
        self.err(self.call(bad), "InvalidIdentityToken", bad, binfo)
        rec = H.audit_find(self.fg, lambda x: x.get("eventName") ==
                           "AssumeRoleWithSAML" and x.get(
                               "userIdentity", {}).get("tokenHash") ==
                           info["assertion_id"])
        self.assertIsNotNone(rec, self.fg.audit_records())
        ui = rec["userIdentity"]
        self.assertEqual(ui["type"], "SAMLUser")
        self.assertEqual(ui["identityProvider"], prov_arn("corp"))
        self.assertEqual(rec["requestParameters"]["roleArn"],
                         role_arn("SamlAdmin"))
        self.assertEqual(rec["requestParameters"]["roleSessionName"],
                         "alice-audit")
        self.assertEqual(rec["responseElements"]["assumedRoleUser"]["arn"],
                         f"arn:aws:sts::{ACCT}:assumed-role/SamlAdmin/"
                         f"alice-audit")
        # the failure is audited too (2 records at least)
        recs = self.fg.audit_records(want=2)
        saml = [x for x in recs if x.get("eventName") ==
                "AssumeRoleWithSAML"]
        self.assertGreaterEqual(len(saml), 2, recs)
        self.assertTrue(any(x.get("errorCode") == "InvalidIdentityToken"
                            for x in saml), saml)
        # neither assertion, nor any long piece of one, nor its XML
        with open(self.fg.audit_path) as f:
            log = f.read()
        out = self.fg.output()
        for text, where in ((log, "audit log"), (out, "server output")):
            for blob in (b64, bad):
                for i in range(0, len(blob) - 32, 499):
                    self.assertNotIn(blob[i:i + 32], text, where)
            self.assertNotIn("<saml", text, where)
            self.assertNotIn("SignatureValue", text, where)


# ================================================================= clients

class TestClients(SamlCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.home = os.path.join(cls.tmp, "home")
        os.mkdir(cls.home)

    def setUp(self):
        self._saved_env = dict(os.environ)
        for k in list(os.environ):
            if k.startswith("AWS_"):
                del os.environ[k]
        os.environ.update({"AWS_EC2_METADATA_DISABLED": "true",
                           "AWS_CONFIG_FILE": "/nonexistent",
                           "AWS_SHARED_CREDENTIALS_FILE": "/nonexistent"})

    def tearDown(self):
        os.environ.clear()
        os.environ.update(self._saved_env)

    def aws(self, b64, role="SamlAdmin", prov="corp", *extra):
        if not os.access(AWS_CLI, os.X_OK):
            self.skipTest(f"{AWS_CLI} not installed (Debian awscli)")
        env = {k: v for k, v in os.environ.items()
               if not k.startswith("AWS_")}
        env.update({"HOME": self.home, "AWS_EC2_METADATA_DISABLED": "true",
                    "AWS_PAGER": "",
                    "AWS_CONFIG_FILE": os.path.join(self.home, "nocfg"),
                    "AWS_SHARED_CREDENTIALS_FILE":
                    os.path.join(self.home, "nocreds")})
        return subprocess.run(
            [AWS_CLI, "sts", "assume-role-with-saml",
             "--endpoint-url", self.fg.url,
             "--role-arn", role_arn(role), "--principal-arn", prov_arn(prov),
             "--saml-assertion", b64, "--output", "json", *extra],
            env=env, capture_output=True, text=True, timeout=CLI_TIMEOUT)

    def test_awscli_success(self):
        b64, info = self.make(session="alice-cli",
                              extra_attrs=[(S.A_SOURCE, ["alice-src"])])
        p = self.aws(b64, "SamlAdmin", "corp", "--duration-seconds", "1800")
        self.assertEqual(p.returncode, 0, p.stderr)
        out = json.loads(p.stdout)
        self.assertEqual(out["AssumedRoleUser"]["Arn"],
                         f"arn:aws:sts::{ACCT}:assumed-role/SamlAdmin/"
                         f"alice-cli")
        self.assertRegex(out["Credentials"]["AccessKeyId"],
                         r"\AASIA[A-Z2-7]{16}\Z")
        self.assertEqual(out["Subject"], "alice@example.test")
        self.assertEqual(out["SubjectType"], S.FMT_EMAIL)
        self.assertEqual(out["Issuer"], IDPS["corp"])
        self.assertEqual(out["Audience"], self.acs)
        self.assertEqual(out["NameQualifier"],
                         S.name_qualifier(IDPS["corp"], ACCT, "corp"))
        self.assertEqual(out["SourceIdentity"], "alice-src")
        self.assertIn("PackedPolicySize", out)

    def test_awscli_invalid(self):
        b64, info = self.make(sign="none")
        p = self.aws(b64)
        self.assertEqual(p.returncode, 254, p.stderr)
        self.assertIn("An error occurred (InvalidIdentityToken)", p.stderr)
        self.assertNotIn(b64[:64], p.stderr)

    def test_boto3_unsigned(self):
        b64, info = self.make(idp="okta", prov="okta", session="alice-boto",
                              sign="both")
        sts = boto3.client("sts", endpoint_url=self.fg.url,
                           region_name=REGION,
                           config=botocore.config.Config(
                               signature_version=UNSIGNED,
                               retries={"max_attempts": 1}))
        out = sts.assume_role_with_saml(RoleArn=role_arn("SamlAdmin"),
                                        PrincipalArn=prov_arn("okta"),
                                        SAMLAssertion=b64)
        self.assertEqual(out["AssumedRoleUser"]["Arn"],
                         f"arn:aws:sts::{ACCT}:assumed-role/SamlAdmin/"
                         f"alice-boto")
        self.assertEqual(out["Issuer"], IDPS["okta"])
        self.assertEqual(out["NameQualifier"],
                         S.name_qualifier(IDPS["okta"], ACCT, "okta"))
        self.assertIsNotNone(out["Credentials"]["Expiration"].tzinfo)
        with self.assertRaises(ClientError) as cm:
            sts.assume_role_with_saml(RoleArn=role_arn("SamlAdmin"),
                                      PrincipalArn=prov_arn("okta"),
                                      SAMLAssertion=b64)        # replay
        self.assertEqual(cm.exception.response["Error"]["Code"],
                         "InvalidIdentityToken")

    def test_boto3_no_credentials_at_all(self):
        """botocore never signs AssumeRoleWithSAML: a client without any
        credentials works as well."""
        b64, info = self.make(session="alice-nocreds")
        sts = boto3.session.Session(region_name=REGION).client(
            "sts", endpoint_url=self.fg.url,
            config=botocore.config.Config(retries={"max_attempts": 1}))
        out = sts.assume_role_with_saml(RoleArn=role_arn("SamlAdmin"),
                                        PrincipalArn=prov_arn("corp"),
                                        SAMLAssertion=b64,
                                        DurationSeconds=900)
        self.assertEqual(out["Subject"], "alice@example.test")


class TestNameQualifierFormula(unittest.TestCase):
    def test_aws_documented_example(self):
        # IAM "About SAML 2.0-based federation" example
        self.assertEqual(S.name_qualifier("https://example.com/saml",
                                          "123456789012", "MySAMLIdP"),
                         "1uAJanUnBc2XeUkHURMht+xam2c=")


if __name__ == "__main__":
    unittest.main()
