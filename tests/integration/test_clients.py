"""Unmodified AWS clients against fedgate: Debian's awscli v2 (/usr/bin/aws)
and boto3/botocore (python3-boto3), including the web-identity token file
credential provider."""
import datetime
import json
import os
import subprocess
import time
import unittest

import boto3
import botocore
import botocore.config
import botocore.credentials
import botocore.session
from botocore.exceptions import ClientError

import fedgate_harness as H
from fedgate_harness import ROLE_ARN

AWS_CLI = "/usr/bin/aws"        # Debian's awscli 2.9.19, not a pyenv shim
CLIENT_TIMEOUT = 30


def clean_env(home):
    """Environment with no AWS settings or credentials of the caller."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env.update({"HOME": home, "AWS_EC2_METADATA_DISABLED": "true",
                "AWS_CONFIG_FILE": os.path.join(home, "nonexistent-config"),
                "AWS_SHARED_CREDENTIALS_FILE":
                os.path.join(home, "nonexistent-credentials"),
                "AWS_PAGER": ""})
    return env


class ClientCase(H.FedgateCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.home = os.path.join(cls.tmp, "home")
        os.mkdir(cls.home)

    def setUp(self):
        # botocore reads os.environ; isolate it per test
        self._saved_env = dict(os.environ)
        os.environ.clear()
        os.environ.update(clean_env(self.home))

    def tearDown(self):
        os.environ.clear()
        os.environ.update(self._saved_env)


class TestAwsCli(ClientCase):
    def _aws(self, token, session="cli-session"):
        if not os.access(AWS_CLI, os.X_OK):
            self.skipTest(f"{AWS_CLI} not installed (Debian awscli)")
        cmd = [AWS_CLI, "sts", "assume-role-with-web-identity",
               "--endpoint-url", self.fg.url,
               "--role-arn", ROLE_ARN,
               "--role-session-name", session,
               "--web-identity-token", token,
               "--output", "json"]
        return subprocess.run(cmd, env=clean_env(self.home),
                              capture_output=True, text=True,
                              timeout=CLIENT_TIMEOUT)

    def test_success(self):
        p = self._aws(self.idp.token("rsa1"))
        self.assertEqual(p.returncode, 0, p.stderr)
        out = json.loads(p.stdout)
        c = out["Credentials"]
        self.assertRegex(c["AccessKeyId"], r"\AASIA[A-Z2-7]{16}\Z")
        self.assertEqual(len(c["SecretAccessKey"]), 40)
        self.assertTrue(c["SessionToken"])
        self.assertTrue(c["Expiration"])
        self.assertEqual(out["SubjectFromWebIdentityToken"], "user-1")
        self.assertEqual(out["AssumedRoleUser"]["Arn"],
                         f"arn:aws:sts::{H.ACCOUNT}:assumed-role/"
                         f"{H.ROLE}/cli-session")
        self.assertEqual(out["Audience"], H.AUDIENCE)
        self.assertEqual(out["Provider"], self.idp.issuer)
        self.assertIsInstance(out["PackedPolicySize"], int)

    def test_expired_error(self):
        now = int(time.time())
        tok = self.idp.token("rsa1", claims=self.idp.claims(
            iat=now - 900, exp=now - 300))
        p = self._aws(tok)
        self.assertEqual(p.returncode, 254, p.stderr)
        self.assertIn("An error occurred (ExpiredTokenException)",
                      p.stderr)
        self.assertNotIn(tok, p.stderr)

    def test_access_denied_error(self):
        p = self._aws(self.idp.token("rsa1", sub="admin-1"))
        self.assertEqual(p.returncode, 254, p.stderr)
        self.assertIn("An error occurred (AccessDenied)", p.stderr)


class TestBoto3(ClientCase):
    def _client(self, unsigned=True):
        kw = {"endpoint_url": self.fg.url, "region_name": "us-east-1"}
        if unsigned:
            kw["config"] = botocore.config.Config(
                signature_version=botocore.UNSIGNED,
                retries={"max_attempts": 1})
        return boto3.session.Session().client("sts", **kw)

    def _check(self, resp, session):
        c = resp["Credentials"]
        self.assertRegex(c["AccessKeyId"], r"\AASIA[A-Z2-7]{16}\Z")
        self.assertIsInstance(c["Expiration"], datetime.datetime)
        self.assertIsNotNone(c["Expiration"].tzinfo)
        left = (c["Expiration"] -
                datetime.datetime.now(datetime.timezone.utc))
        self.assertAlmostEqual(left.total_seconds(), 3600, delta=10)
        self.assertEqual(resp["AssumedRoleUser"]["Arn"],
                         f"arn:aws:sts::{H.ACCOUNT}:assumed-role/"
                         f"{H.ROLE}/{session}")
        self.assertTrue(resp["AssumedRoleUser"]["AssumedRoleId"]
                        .endswith(":" + session))
        self.assertEqual(resp["SubjectFromWebIdentityToken"], "user-1")
        self.assertEqual(resp["Audience"], H.AUDIENCE)
        self.assertEqual(resp["ResponseMetadata"]["HTTPStatusCode"], 200)
        self.assertTrue(resp["ResponseMetadata"]["RequestId"])

    def test_unsigned_client(self):
        r = self._client().assume_role_with_web_identity(
            RoleArn=ROLE_ARN, RoleSessionName="boto",
            WebIdentityToken=self.idp.token("ec1"))
        self._check(r, "boto")

    def test_client_without_credentials(self):
        # no credentials anywhere: botocore must not try to sign this op
        r = self._client(unsigned=False).assume_role_with_web_identity(
            RoleArn=ROLE_ARN, RoleSessionName="nocreds",
            WebIdentityToken=self.idp.token("ps1"))
        self._check(r, "nocreds")

    def test_invalid_token_client_error(self):
        tok = self.idp.token("rsa1", aud="not-ours")
        with self.assertRaises(ClientError) as cm:
            self._client().assume_role_with_web_identity(
                RoleArn=ROLE_ARN, RoleSessionName="boto",
                WebIdentityToken=tok)
        err = cm.exception.response
        self.assertEqual(err["Error"]["Code"], "InvalidIdentityToken")
        self.assertEqual(err["Error"]["Type"], "Sender")
        self.assertEqual(err["ResponseMetadata"]["HTTPStatusCode"], 400)
        self.assertTrue(err["ResponseMetadata"]["RequestId"])
        self.assertNotIn(tok, str(cm.exception))

    def test_validation_error_duration(self):
        with self.assertRaises(ClientError) as cm:
            self._client().assume_role_with_web_identity(
                RoleArn=ROLE_ARN, RoleSessionName="boto",
                WebIdentityToken=self.idp.token("rsa1"),
                DurationSeconds=43200)
        self.assertEqual(cm.exception.response["Error"]["Code"],
                         "ValidationError")

    def test_web_identity_token_file_provider(self):
        """AWS_WEB_IDENTITY_TOKEN_FILE + AWS_ROLE_ARN + AWS_ROLE_SESSION_NAME.

        Debian's botocore 1.29 ignores AWS_ENDPOINT_URL_STS, so the
        provider is built as botocore's resolver builds it, with a client
        creator that adds endpoint_url. The token file keeps its trailing
        newline, which botocore sends verbatim.
        """
        path = os.path.join(self.tmp, "token")
        with open(path, "w") as f:
            f.write(self.idp.token("rsa1") + "\n")
        os.environ.update({"AWS_WEB_IDENTITY_TOKEN_FILE": path,
                           "AWS_ROLE_ARN": ROLE_ARN,
                           "AWS_ROLE_SESSION_NAME": "from-file",
                           "AWS_DEFAULT_REGION": "us-east-1"})
        bs = botocore.session.Session()
        calls = []

        def creator(service, **kw):
            calls.append(service)
            kw.setdefault("region_name", "us-east-1")
            return bs.create_client(service, endpoint_url=self.fg.url,
                                    **kw)
        provider = botocore.credentials.AssumeRoleWithWebIdentityProvider(
            load_config=lambda: bs.full_config,
            client_creator=creator, profile_name="default", cache={})
        bs.register_component(
            "credential_provider",
            botocore.credentials.CredentialResolver([provider]))
        creds = boto3.session.Session(
            botocore_session=bs).get_credentials()
        self.assertIsNotNone(creds)
        self.assertEqual(creds.method, "assume-role-with-web-identity")
        frozen = creds.get_frozen_credentials()
        self.assertEqual(calls, ["sts"])
        self.assertRegex(frozen.access_key, r"\AASIA[A-Z2-7]{16}\Z")
        self.assertEqual(len(frozen.secret_key), 40)
        self.assertTrue(frozen.token)
        rec = H.audit_find(self.fg, lambda r: (
            r.get("requestParameters") or {}).get("roleSessionName")
                           == "from-file")
        self.assertIsNotNone(rec, "no audit record for the file provider")
        self.assertEqual(
            rec["responseElements"]["credentials"]["accessKeyId"],
            frozen.access_key)


if __name__ == "__main__":
    unittest.main()
