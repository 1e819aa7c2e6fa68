"""The AWS SDK for JavaScript v3 (@aws-sdk/client-sts from npm, pinned in
tests/js/package.json + package-lock.json) against fedgate: GetCallerIdentity
with a user's long-term keys and with role-session credentials, AssumeRole,
GetSessionToken, and an error's name and status.

The SDK signs a different header set than botocore (amz-sdk-invocation-id,
amz-sdk-request, x-amz-user-agent...). It is installed into
tests/js/node_modules at test time with `npm install`; without node/npm (on
Debian: the nodejs and npm packages) or without registry access the tests
are skipped, never failed.
"""
import json
import os
import shutil
import subprocess
import time

import test_signed_sts as S
from test_signed_sts import ACCT_A, USERS, role_arn, session_arn, uarn

JS_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)),
                      os.pardir, "js")
NODE = shutil.which("node") or "/usr/bin/node"
NPM = shutil.which("npm") or "/usr/bin/npm"
_install = {}


def js_sdk_ready():
    """None if the SDK can be used, else why not (cached per run)."""
    if "why" in _install:
        return _install["why"]
    why = None
    if not (os.access(NODE, os.X_OK) and os.access(NPM, os.X_OK)):
        why = "node/npm not installed (Debian: nodejs npm)"
    elif not os.path.isdir(os.path.join(JS_DIR, "node_modules", "@aws-sdk",
                                        "client-sts")):
        try:
            p = subprocess.run([NPM, "install", "--no-audit", "--no-fund",
                                "--loglevel=error"], cwd=JS_DIR,
                               capture_output=True, text=True, timeout=300)
            if p.returncode != 0:
                why = f"npm install failed: {p.stderr.strip()[-300:]}"
        except (OSError, subprocess.TimeoutExpired) as e:
            why = f"npm install failed: {e}"
    _install["why"] = why
    return why


class TestJsSdk(S.SignedCase):
    def setUp(self):
        super().setUp()
        why = js_sdk_ready()
        if why:
            self.skipTest(why)

    def js(self, op, creds, params=None):
        env = {k: v for k, v in os.environ.items()
               if not k.startswith("AWS_")}
        env.update({"HOME": self.home, "AWS_REGION": S.REGION,
                    "AWS_EC2_METADATA_DISABLED": "true",
                    "AWS_CONFIG_FILE": "/nonexistent",
                    "AWS_SHARED_CREDENTIALS_FILE": "/nonexistent",
                    "AWS_ACCESS_KEY_ID": creds[0],
                    "AWS_SECRET_ACCESS_KEY": creds[1]})
        if creds[2] is not None:
            env["AWS_SESSION_TOKEN"] = creds[2]
        args = [NODE, os.path.join(JS_DIR, "sts_client.mjs"), self.fg.url,
                op]
        if params is not None:
            args.append(json.dumps(params))
        p = subprocess.run(args, env=env, cwd=JS_DIR, capture_output=True,
                           text=True, timeout=S.CLI_TIMEOUT)
        self.assertEqual(p.returncode, 0, p.stderr)
        return json.loads(p.stdout)

    def user(self, name):
        return USERS[name][:2] + (None,)

    def test_get_caller_identity_user(self):
        r = self.js("GetCallerIdentity", self.user("alice"))
        self.assertTrue(r["ok"], r)
        out = r["output"]
        self.assertEqual(out["Arn"], uarn("alice"))
        self.assertEqual(out["Account"], ACCT_A)
        self.assertEqual(out["UserId"], S.unique_id("AIDA", uarn("alice")))
        self.assertEqual(out["$metadata"]["httpStatusCode"], 200)
        self.assertTrue(out["$metadata"]["requestId"])

    def test_assume_role_and_use_session(self):
        r = self.js("AssumeRole", self.user("alice"), {
            "RoleArn": role_arn("hop1"), "RoleSessionName": "js-sess",
            "DurationSeconds": 1800,
            "Tags": [{"Key": "project", "Value": "blue"}],
            "TransitiveTagKeys": ["project"],
            "SourceIdentity": "alice-js"})
        self.assertTrue(r["ok"], r)
        out = r["output"]
        self.assertEqual(out["AssumedRoleUser"]["Arn"],
                         session_arn("hop1", "js-sess"))
        self.assertEqual(out["SourceIdentity"], "alice-js")
        c = out["Credentials"]
        self.assertRegex(c["AccessKeyId"], r"\AASIA[A-Z2-7]{16}\Z")
        # the SDK turns Expiration into a Date, serialized as ISO 8601
        self.assertAlmostEqual(S.parse_time(c["Expiration"].split(".")[0] +
                                            "Z"),
                               time.time() + 1800, delta=10)
        creds = (c["AccessKeyId"], c["SecretAccessKey"], c["SessionToken"])
        me = self.js("GetCallerIdentity", creds)
        self.assertTrue(me["ok"], me)
        self.assertEqual(me["output"]["Arn"], session_arn("hop1", "js-sess"))
        # and chaining from the JS session: the 1-hour cap
        r = self.js("AssumeRole", creds, {
            "RoleArn": role_arn("hop2"), "RoleSessionName": "js2",
            "DurationSeconds": 7200})
        self.assertFalse(r["ok"], r)
        self.assertEqual(r["name"], "ValidationError")
        self.assertEqual(r["status"], 400)
        self.assertIn(S.CHAIN_MSG, r["message"])

    def test_get_session_token(self):
        r = self.js("GetSessionToken", self.user("bob"),
                    {"DurationSeconds": 3600})
        self.assertTrue(r["ok"], r)
        c = r["output"]["Credentials"]
        me = self.js("GetCallerIdentity", (c["AccessKeyId"],
                                           c["SecretAccessKey"],
                                           c["SessionToken"]))
        self.assertEqual(me["output"]["Arn"], uarn("bob"))

    def test_errors(self):
        r = self.js("AssumeRole", self.user("bob"), {
            "RoleArn": role_arn("r-account"), "RoleSessionName": "js"})
        self.assertFalse(r["ok"], r)
        self.assertEqual(r["name"], "AccessDenied")
        self.assertEqual(r["status"], 403)
        self.assertIn(f"User: {uarn('bob')} is not authorized", r["message"])
        r = self.js("GetCallerIdentity", (USERS["alice"][0], "x" * 40, None))
        self.assertEqual((r["ok"], r["name"], r["status"]),
                         (False, "SignatureDoesNotMatch", 403), r)

