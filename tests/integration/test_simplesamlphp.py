"""AssumeRoleWithSAML with responses from real IdP software: Debian's
SimpleSAMLphp 1.19 (php -S on loopback, config dir of this test, signing key
made per run), driven through its login form by an HTTP client with a cookie
jar, as a browser would be. The IdP's metadata, as SimpleSAMLphp exports it,
is fedgate's metadata_file. Clients: plain HTTP, /usr/bin/aws, boto3.

Skipped (each case, with the reason) when php-cli, php-xml, php-mbstring or
simplesamlphp are not installed; `tools/install-deps --test` installs them.
"""
import base64
import datetime
import hashlib
import json
import os
import subprocess
import time
import unittest
import xml.etree.ElementTree as ET

import boto3
import botocore
import botocore.config
from botocore.exceptions import ClientError

import fedgate_harness as H
from fedgate_harness import ACCOUNT, NS, expect_error

AWS_CLI = "/usr/bin/aws"        # Debian's awscli, not a pyenv shim
CLIENT_TIMEOUT = 30
TEMPLATES = os.path.join(os.path.dirname(os.path.abspath(__file__)),
                         "simplesamlphp")
SSP_MISSING = H.simplesamlphp_missing()

PROVIDER = "ssp"
PROVIDER_ARN = f"arn:aws:iam::{ACCOUNT}:saml-provider/{PROVIDER}"
SP_ENTITY = "urn:fedgate:sp"
ROLE_DEV = "ssp-dev"            # alice: "role,provider"
ROLE_OPS = "ssp-ops"            # alice: "provider,role" (Okta's order)
ROLE_OTHER = "ssp-other"        # bob's only Role value; not configured
ALICE_PW = "alice-" + os.urandom(6).hex()
BOB_PW = "bob-" + os.urandom(6).hex()
SAMLP = "urn:oasis:names:tc:SAML:2.0:protocol"
SAML = "urn:oasis:names:tc:SAML:2.0:assertion"
DS = "http://www.w3.org/2000/09/xmldsig#"
MD = "urn:oasis:names:tc:SAML:2.0:metadata"
ARWS = "AssumeRoleWithSAML"


def role_arn(name):
    return f"arn:aws:iam::{ACCOUNT}:role/{name}"


def saml_role(name, conditions):
    return {"name": name, "max_session_duration": 7200,
            "trust_policy": {
                "Version": "2012-10-17",
                "Statement": [{
                    "Effect": "Allow",
                    "Principal": {"Federated": PROVIDER_ARN},
                    "Action": "sts:AssumeRoleWithSAML",
                    "Condition": conditions}]}}


def q(name):
    return f"{{{NS}}}{name}"


def sp_keypair(key, cert):
    """fedgate's SP key (decrypts EncryptedAssertion) and certificate."""
    os.makedirs(os.path.dirname(key), mode=0o700, exist_ok=True)
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048",
                    "-sha256", "-nodes", "-days", "2",
                    "-subj", "/CN=fedgate-test-sp",
                    "-keyout", key, "-out", cert],
                   check=True, capture_output=True, timeout=60)
    os.chmod(key, 0o600)      # fedgate refuses a group/other-readable key


def clean_env(home):
    """Environment with no AWS settings or credentials of the caller."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env.update({"HOME": home, "AWS_EC2_METADATA_DISABLED": "true",
                "AWS_CONFIG_FILE": os.path.join(home, "nonexistent-config"),
                "AWS_SHARED_CREDENTIALS_FILE":
                os.path.join(home, "nonexistent-credentials"),
                "AWS_DEFAULT_REGION": "us-east-1", "AWS_PAGER": ""})
    return env


@unittest.skipIf(SSP_MISSING, f"SimpleSAMLphp IdP unavailable: {SSP_MISSING}")
class SspCase(H.FedgateCase):
    """A SimpleSAMLphp IdP and a fedgate registered with it as the SP
    (entity id urn:fedgate:sp, ACS = fedgate's public_url + /saml/acs)."""
    idp_running = False
    start_fedgate = False

    @classmethod
    def setUpClass(cls):
        super().setUpClass()        # tmp dir, fedgate port (not started)
        cls.home = os.path.join(cls.tmp, "home")
        os.mkdir(cls.home)
        cls.acs = cls.fg.url + "/saml/acs"
        cls.sp_key = os.path.join(cls.tmp, "sp", "sp.key")
        cls.sp_cert = os.path.join(cls.tmp, "sp", "sp.crt")
        cls.ssp = H.SimpleSAMLphp(cls.tmp, TEMPLATES, {
            "ACCOUNT": ACCOUNT, "PROVIDER": PROVIDER, "ROLE": ROLE_DEV,
            "ROLE2": ROLE_OPS, "OTHERROLE": ROLE_OTHER,
            "ALICEPASS": ALICE_PW, "BOBPASS": BOB_PW,
            "SP_ENTITY": SP_ENTITY, "SP_ACS": cls.acs,
            "SP_CERT": cls.sp_cert})
        try:
            sp_keypair(cls.sp_key, cls.sp_cert)
            cls.ssp.start()
            cls.idp_metadata = cls.ssp.metadata()
            cls.metadata_file = os.path.join(cls.tmp, "ssp-metadata.xml")
            with open(cls.metadata_file, "wb") as f:
                f.write(cls.idp_metadata)
            cls.fg.config = cls.make_saml_config()
            cls.fg.start()
        except Exception:
            cls.ssp.stop()
            cls._cleanup()
            raise

    @classmethod
    def saml_provider(cls):
        return {"name": PROVIDER, "type": "saml",
                "metadata_file": cls.metadata_file}

    @classmethod
    def make_saml_config(cls):
        aud = {"SAML:aud": cls.acs}
        return {
            "listen": f"127.0.0.1:{cls.fg.port}",
            "public_url": cls.fg.url,
            "account_id": ACCOUNT,
            "state_dir": os.path.join(cls.tmp, "state"),
            "clock_skew_seconds": 60,
            "audit_log": cls.fg.audit_path,
            "providers": [cls.saml_provider()],
            "saml_sp": {"entity_id": SP_ENTITY, "cert_file": cls.sp_cert,
                        "key_file": cls.sp_key},
            "roles": [
                saml_role(ROLE_DEV, {"StringEquals": aud}),
                saml_role(ROLE_OPS, {
                    "StringEquals": dict(aud, **{
                        "SAML:iss": cls.ssp.entity_id,
                        "SAML:sub_type": "persistent"}),
                    "ForAnyValue:StringEquals": {
                        "SAML:mail": "alice@example.com"}}),
            ],
        }

    @classmethod
    def tearDownClass(cls):
        cls.ssp.stop()
        super().tearDownClass()

    def run(self, result=None):
        before = (len(result.failures) + len(result.errors)
                  if result is not None else 0)
        r = super().run(result)
        if result is not None and \
                len(result.failures) + len(result.errors) > before:
            H.diag(self.ssp.logs(2000))
            H.diag("--- audit (tail) ---\n" + "\n".join(
                json.dumps(a) for a in self.fg.audit_records()[-4:]))
        return r

    # -- helpers --
    def login(self, user="alice", sp=SP_ENTITY):
        pw = {"alice": ALICE_PW, "bob": BOB_PW}[user]
        return self.ssp.idp_initiated(sp, user, pw)

    def assume(self, saml_response, role=ROLE_DEV, principal=PROVIDER_ARN,
               **extra):
        p = {"Action": ARWS, "Version": "2011-06-15",
             "RoleArn": role_arn(role), "PrincipalArn": principal,
             "SAMLAssertion": saml_response}
        p.update(extra)
        return self.fg.sts(p)

    def audit_reason(self, request_id):
        """The audit log's reason for the refused request request_id."""
        rec = H.audit_find(self.fg,
                           lambda r: r.get("requestID") == request_id)
        self.assertIsNotNone(rec, f"no audit record for {request_id}")
        self.assertEqual(rec["eventName"], ARWS)
        self.assertEqual(rec["userIdentity"]["type"], "SAMLUser")
        return rec.get("reason")

    def name_qualifier(self):
        raw = f"{self.ssp.entity_id}{ACCOUNT}/{PROVIDER}".encode()
        return base64.b64encode(hashlib.sha1(raw).digest()).decode()

    def boto3_client(self):
        return boto3.session.Session().client(
            "sts", endpoint_url=self.fg.url, region_name="us-east-1",
            config=botocore.config.Config(
                signature_version=botocore.UNSIGNED,
                retries={"max_attempts": 1}))

    def check_result(self, resp, role, session, duration):
        """The full AssumeRoleWithSAMLResponse, field order as AWS."""
        self.assertEqual(resp.status, 200, resp)
        self.assertTrue(resp.headers.get("content-type", "")
                        .startswith("text/xml"))
        root = resp.xml()
        self.assertEqual(root.tag, q("AssumeRoleWithSAMLResponse"))
        res = root.find(q("AssumeRoleWithSAMLResult"))
        self.assertIsNotNone(res, resp)
        order = [c.tag[len(NS) + 2:] for c in res]
        self.assertEqual(order, ["Credentials", "AssumedRoleUser",
                                 "PackedPolicySize", "Subject",
                                 "SubjectType", "Issuer", "Audience",
                                 "NameQualifier"])
        f = {c.tag[len(NS) + 2:]: (c.text or "") for c in res}
        self.assertEqual(f["Subject"], "alice")
        self.assertEqual(f["SubjectType"], "persistent")
        self.assertEqual(f["Issuer"], self.ssp.entity_id)
        self.assertEqual(f["Audience"], self.acs)
        self.assertEqual(f["NameQualifier"], self.name_qualifier())
        aru = res.find(q("AssumedRoleUser"))
        self.assertEqual(aru.find(q("Arn")).text,
                         f"arn:aws:sts::{ACCOUNT}:assumed-role/"
                         f"{role}/{session}")
        cred = {c.tag[len(NS) + 2:]: (c.text or "")
                for c in res.find(q("Credentials"))}
        self.assertRegex(cred["AccessKeyId"], r"\AASIA[A-Z2-7]{16}\Z")
        self.assertEqual(len(cred["SecretAccessKey"]), 40)
        self.assertTrue(cred["SessionToken"])
        exp = datetime.datetime.strptime(
            cred["Expiration"], "%Y-%m-%dT%H:%M:%SZ").replace(
                tzinfo=datetime.timezone.utc)
        self.assertAlmostEqual(exp.timestamp(), time.time() + duration,
                               delta=10, msg=cred["Expiration"])
        return f, cred


class TestSimpleSAMLphpIdP(SspCase):
    def test_idp_metadata_and_response_shape(self):
        """What fedgate is fed is what SimpleSAMLphp really makes:
        metadata with a signing key, a Response signed at both levels
        with RSA-SHA256, unsolicited, aimed at fedgate's ACS."""
        md = ET.fromstring(self.idp_metadata)
        self.assertEqual(md.get("entityID"), self.ssp.entity_id)
        certs = md.findall(f".//{{{MD}}}KeyDescriptor/{{{DS}}}KeyInfo//"
                           f"{{{DS}}}X509Certificate")
        self.assertTrue(certs, "no certificate in the IdP metadata")
        with open(self.ssp.cert_path) as f:
            pem = "".join(ln for ln in f.read().splitlines()
                          if not ln.startswith("-----"))
        self.assertEqual({"".join(c.text.split()) for c in certs}, {pem},
                         "metadata names a key other than this run's")
        login = self.login()
        self.assertEqual(login.action, self.acs)
        r = ET.fromstring(login.xml)
        self.assertEqual(r.tag, f"{{{SAMLP}}}Response")
        self.assertEqual(r.get("Destination"), self.acs)
        self.assertIsNone(r.get("InResponseTo"))
        a = r.find(f"{{{SAML}}}Assertion")
        for el in (r, a):
            sig = el.find(f"{{{DS}}}Signature")
            self.assertIsNotNone(sig, el.tag)
            self.assertEqual(sig.find(f".//{{{DS}}}SignatureMethod")
                             .get("Algorithm"),
                             "http://www.w3.org/2001/04/xmldsig-more#"
                             "rsa-sha256")
            self.assertEqual(sig.find(f".//{{{DS}}}Reference").get("URI"),
                             "#" + el.get("ID"))
        self.assertEqual(a.find(f".//{{{SAML}}}Audience").text, SP_ENTITY)

    def test_http_success_fields(self):
        """Plain Query API call: 200 and every field as AWS returns it;
        SessionDuration 1800 shortens the default 3600."""
        login = self.login()
        resp = self.assume(login.saml_response)
        f, cred = self.check_result(resp, ROLE_DEV, "alice@example.com",
                                    1800)
        aid = ET.fromstring(login.xml).find(f"{{{SAML}}}Assertion").get("ID")
        rec = H.audit_find(self.fg, lambda r: r.get("eventName") == ARWS and
                           cred["AccessKeyId"] in json.dumps(r))
        self.assertIsNotNone(rec, "no audit record for the success")
        text = json.dumps(rec)
        self.assertIn("SAMLUser", text)
        self.assertIn(aid, text)
        self.assertNotIn(login.saml_response[:200], text)

    def test_provider_first_role_value_and_conditions(self):
        """alice's second Role value is "provider,role"; ssp-ops' trust
        policy also checks SAML:iss, SAML:sub_type and SAML:mail."""
        resp = self.assume(self.login().saml_response, role=ROLE_OPS)
        self.check_result(resp, ROLE_OPS, "alice@example.com", 1800)

    def test_aws_cli(self):
        if not os.access(AWS_CLI, os.X_OK):
            self.skipTest(f"{AWS_CLI} not installed (Debian awscli)")
        login = self.login()
        p = subprocess.run(
            [AWS_CLI, "sts", "assume-role-with-saml",
             "--endpoint-url", self.fg.url, "--role-arn", role_arn(ROLE_DEV),
             "--principal-arn", PROVIDER_ARN,
             "--saml-assertion", login.saml_response, "--output", "json"],
            env=clean_env(self.home), capture_output=True, text=True,
            timeout=CLIENT_TIMEOUT)
        self.assertEqual(p.returncode, 0, p.stderr)
        out = json.loads(p.stdout)
        self.assertRegex(out["Credentials"]["AccessKeyId"],
                         r"\AASIA[A-Z2-7]{16}\Z")
        self.assertEqual(out["AssumedRoleUser"]["Arn"],
                         f"arn:aws:sts::{ACCOUNT}:assumed-role/{ROLE_DEV}/"
                         "alice@example.com")
        self.assertEqual(out["Subject"], "alice")
        self.assertEqual(out["SubjectType"], "persistent")
        self.assertEqual(out["Issuer"], self.ssp.entity_id)
        self.assertEqual(out["Audience"], self.acs)
        self.assertEqual(out["NameQualifier"], self.name_qualifier())
        # the same response again: single use
        p = subprocess.run(
            [AWS_CLI, "sts", "assume-role-with-saml",
             "--endpoint-url", self.fg.url, "--role-arn", role_arn(ROLE_DEV),
             "--principal-arn", PROVIDER_ARN,
             "--saml-assertion", login.saml_response],
            env=clean_env(self.home), capture_output=True, text=True,
            timeout=CLIENT_TIMEOUT)
        self.assertEqual(p.returncode, 254, p.stderr)
        self.assertIn("(InvalidIdentityToken)", p.stderr)

    def test_boto3_fresh_login_and_replay(self):
        """Two logins (two browsers): the second response works with
        boto3; the first, once used, is refused as a replay."""
        first = self.login()
        self.check_result(self.assume(first.saml_response), ROLE_DEV,
                          "alice@example.com", 1800)
        second = self.login()
        self.assertNotEqual(first.saml_response, second.saml_response)
        sts = self.boto3_client()
        out = sts.assume_role_with_saml(
            RoleArn=role_arn(ROLE_DEV), PrincipalArn=PROVIDER_ARN,
            SAMLAssertion=second.saml_response, DurationSeconds=900)
        self.assertEqual(out["Subject"], "alice")
        self.assertEqual(out["Issuer"], self.ssp.entity_id)
        self.assertEqual(out["Audience"], self.acs)
        self.assertEqual(out["NameQualifier"], self.name_qualifier())
        left = (out["Credentials"]["Expiration"] -
                datetime.datetime.now(datetime.timezone.utc))
        self.assertAlmostEqual(left.total_seconds(), 900, delta=10)
        with self.assertRaises(ClientError) as cm:
            sts.assume_role_with_saml(
                RoleArn=role_arn(ROLE_DEV), PrincipalArn=PROVIDER_ARN,
                SAMLAssertion=first.saml_response)
        err = cm.exception.response
        self.assertEqual(err["Error"]["Code"], "InvalidIdentityToken")
        self.assertEqual(err["ResponseMetadata"]["HTTPStatusCode"], 400)
        self.assertNotIn(first.saml_response[:100], str(cm.exception))
        self.assertEqual(
            self.audit_reason(err["ResponseMetadata"]["RequestId"]),
            "replay")

    def test_idp_session_reuse_new_assertion(self):
        """A second SSO in the same browser: no login form, a new
        assertion ID, accepted."""
        opener = self.ssp.browser()
        a = self.ssp.idp_initiated(SP_ENTITY, "alice", ALICE_PW, opener)
        b = self.ssp.idp_initiated(SP_ENTITY, "alice", "not-asked", opener)
        ida = ET.fromstring(a.xml).find(f"{{{SAML}}}Assertion").get("ID")
        idb = ET.fromstring(b.xml).find(f"{{{SAML}}}Assertion").get("ID")
        self.assertNotEqual(ida, idb)
        self.check_result(self.assume(b.saml_response), ROLE_DEV,
                          "alice@example.com", 1800)
        self.check_result(self.assume(a.saml_response), ROLE_DEV,
                          "alice@example.com", 1800)

    def test_role_not_in_attribute_access_denied(self):
        """bob's Role attribute names ssp-other, not ssp-dev."""
        login = self.login("bob")
        resp = self.assume(login.saml_response)
        msg, rid = expect_error(self, resp, "AccessDenied", 403,
                                login.saml_response)
        self.assertNotIn(login.saml_response[:100], msg)
        # the gate is the Role attribute: ssp-dev's trust policy alone
        # (SAML:aud) would let bob in
        self.assertEqual(self.audit_reason(rid), "trust_policy_denied")

    def test_role_not_in_attribute_nor_configured(self):
        """bob asking for the role his attribute names, which fedgate does
        not know: refused, never a credential."""
        login = self.login("bob")
        resp = self.assume(login.saml_response, role=ROLE_OTHER)
        _, rid = expect_error(self, resp, "AccessDenied", 403,
                              login.saml_response)
        self.assertEqual(self.audit_reason(rid), "role_unknown")

    def test_wrong_principal_arn(self):
        """PrincipalArn of a provider that is not configured."""
        login = self.login()
        resp = self.assume(login.saml_response,
                           principal=f"arn:aws:iam::{ACCOUNT}:"
                           "saml-provider/nope")
        _, rid = expect_error(self, resp, "InvalidIdentityToken", 400,
                              login.saml_response)
        self.assertEqual(self.audit_reason(rid), "provider_unknown")

    def test_sp_initiated_refused_on_api(self):
        """SP-initiated flow (AuthnRequest by HTTP-Redirect): SimpleSAMLphp
        answers with InResponseTo and echoes RelayState; the STS API
        never issued that request, so it refuses the response."""
        login, rid = self.ssp.sp_initiated(SP_ENTITY, self.acs, "alice",
                                           ALICE_PW,
                                           relay_state="role-picker")
        r = ET.fromstring(login.xml)
        self.assertEqual(r.get("InResponseTo"), rid)
        self.assertEqual(login.relay_state, "role-picker")
        self.assertEqual(login.action, self.acs)
        resp = self.assume(login.saml_response)
        _, rid = expect_error(self, resp, "InvalidIdentityToken", 400,
                              login.saml_response)
        self.assertEqual(self.audit_reason(rid), "in_response_to")

    def test_sp_metadata(self):
        """fedgate's own SP metadata names what SimpleSAMLphp was told."""
        r = self.fg.get("/saml/metadata")
        self.assertEqual(r.status, 200, r)
        md = ET.fromstring(r.body)
        self.assertEqual(md.get("entityID"), SP_ENTITY)
        acs = md.findall(f".//{{{MD}}}AssertionConsumerService")
        self.assertIn(self.acs, [a.get("Location") for a in acs])


class TestSimpleSAMLphpVariants(SspCase):
    """The same IdP and users, with SimpleSAMLphp's per-SP knobs
    (saml20-sp-remote.php): which signing/encryption modes a real IdP
    produces that fedgate accepts, and which it refuses."""

    def variant(self, suffix):
        login = self.login(sp=f"{SP_ENTITY}:{suffix}")
        return login, ET.fromstring(login.xml)

    def accepted(self, suffix):
        login, r = self.variant(suffix)
        auds = [a.text for a in r.iter(f"{{{SAML}}}Audience")]
        if auds:        # encrypted: not visible here
            self.assertEqual(auds, [f"{SP_ENTITY}:{suffix}", SP_ENTITY])
        self.check_result(self.assume(login.saml_response), ROLE_DEV,
                          "alice@example.com", 1800)
        return r

    def refused(self, login, reasons):
        resp = self.assume(login.saml_response)
        _, rid = expect_error(self, resp, "InvalidIdentityToken", 400,
                              login.saml_response)
        self.assertIn(self.audit_reason(rid), reasons)

    def test_assertion_signed_only(self):
        r = self.accepted("assertion-signed")
        self.assertIsNone(r.find(f"{{{DS}}}Signature"))
        self.assertIsNotNone(r.find(f"{{{SAML}}}Assertion/{{{DS}}}Signature"))

    def test_response_signed_only(self):
        r = self.accepted("response-signed")
        self.assertIsNotNone(r.find(f"{{{DS}}}Signature"))
        self.assertIsNone(r.find(f"{{{SAML}}}Assertion/{{{DS}}}Signature"))

    def test_encrypted_assertion(self):
        r = self.accepted("encrypted")
        self.assertIsNone(r.find(f"{{{SAML}}}Assertion"))
        self.assertIsNotNone(r.find(f"{{{SAML}}}EncryptedAssertion"))

    def test_unsigned_refused(self):
        login, r = self.variant("unsigned")
        self.assertIsNone(r.find(f".//{{{DS}}}Signature"))
        self.refused(login, ("signature_missing",))

    def test_rsa_sha1_refused(self):
        login, r = self.variant("sha1")
        algs = {m.get("Algorithm")
                for m in r.iter(f"{{{DS}}}SignatureMethod")}
        self.assertEqual(algs, {"http://www.w3.org/2000/09/xmldsig#"
                                "rsa-sha1"})
        self.refused(login, ("sha1",))

    def test_other_acs_refused(self):
        login, r = self.variant("other-acs")
        self.assertEqual(r.get("Destination"),
                         "http://127.0.0.1:9/saml/acs")
        self.refused(login, ("destination_mismatch", "recipient_mismatch"))

    def test_other_audience_refused(self):
        login = self.login(sp="urn:other:sp")
        auds = [a.text for a in
                ET.fromstring(login.xml).iter(f"{{{SAML}}}Audience")]
        self.assertEqual(auds, ["urn:other:sp"])
        self.refused(login, ("audience_mismatch",))


class TestMetadataUrl(SspCase):
    """fedgate fetches the IdP metadata from SimpleSAMLphp itself
    (metadata_url; http:// is allowed on loopback)."""

    @classmethod
    def saml_provider(cls):
        return {"name": PROVIDER, "type": "saml",
                "metadata_url": cls.ssp.entity_id, "refresh_seconds": 60}

    def test_success_with_fetched_metadata(self):
        self.check_result(self.assume(self.login().saml_response),
                          ROLE_DEV, "alice@example.com", 1800)


if __name__ == "__main__":
    unittest.main()
