"""The SigV4-signed STS actions of [2/5] with real clients: Debian's awscli
(/usr/bin/aws, profiles holding the long-term keys of configured users) and
boto3/botocore (python3-boto3). GetCallerIdentity, AssumeRole (same account,
cross-account, role chaining, ExternalId, tags, SourceIdentity, condition
keys, session policies), GetSessionToken, SigV4 failures (including session
tokens crafted under the key ring, or under another ring), and
DecodeAuthorizationMessage of a denial from /authorize; audit lines.
"""
import base64
import contextlib
import datetime
import hashlib
import json
import os
import subprocess
import time
import types
import unittest
import urllib.parse

import boto3
import botocore.auth as ba
import botocore.config
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials
from botocore.exceptions import ClientError
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

import fedgate_harness as H
from fedgate_harness import expect_error

AWS_CLI = "/usr/bin/aws"        # Debian's awscli 2.9.19, not a pyenv shim
CLI_TIMEOUT = 30
REGION = "us-east-1"
ACCT_A = H.ACCOUNT              # 111122223333: the users' home account
ACCT_B = "444455556666"         # another account (cross-account roles)
SEAL_AAD = b"fedgate-session-v1"
B32 = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"
CHAIN_MSG = ("The requested DurationSeconds exceeds the 1 hour session "
             "limit for roles assumed by role chaining.")
ROLE_MAX_MSG = ("The requested DurationSeconds exceeds the "
                "MaxSessionDuration set for this role.")


def unique_id(prefix, arn):
    """fedgate's stable ids: prefix + base32 of SHA-256(arn)'s first 85 bits
    (federation/mint.c), so a trust condition on aws:userid can be written
    before the user ever calls."""
    md = hashlib.sha256(arn.encode()).digest()
    out = prefix
    for i in range(17):
        bit = i * 5
        v = (md[bit // 8] << 8 | md[bit // 8 + 1]) >> (11 - bit % 8) & 0x1f
        out += B32[v]
    return out


def user_arn(name, path="/", acct=ACCT_A):
    return f"arn:aws:iam::{acct}:user{path}{name}"


def role_arn(name, acct=ACCT_A, path="/"):
    return f"arn:aws:iam::{acct}:role{path}{name}"


def session_arn(role, session, acct=ACCT_A):
    return f"arn:aws:sts::{acct}:assumed-role/{role}/{session}"


# name -> (access key id, secret, path, account, how the secret is given)
USERS = {
    "alice": ("AKIAFEDGATEALICE0001", "alice-secret/Abcdefghijklmnop+0123456",
              "/eng/", ACCT_A, "file"),
    "bob": ("AKIAFEDGATEBOB000001", "bob-secret/Abcdefghijklmnopq+01234567",
            "/", ACCT_A, "env"),
    "carol": ("AKIAFEDGATECAROL0001", "carol-secret/Abcdefghijklm+012345678",
              "/", ACCT_A, "inline"),
    "dave": ("AKIAFEDGATEDAVE00001", "dave-secret/Abcdefghijklmnop+01234567",
             "/", ACCT_A, "file"),
    "ben": ("AKIAFEDGATEBEN000001", "ben-secret/Abcdefghijklmnopq+012345678",
            "/", ACCT_B, "file"),
}
BOB_ENV = "FEDGATE_IT_BOB_SECRET"


def uarn(name):
    _, _, path, acct, _ = USERS[name]
    return user_arn(name, path, acct)


def allow(actions, resources="*"):
    return {"Version": "2012-10-17",
            "Statement": [{"Effect": "Allow", "Action": actions,
                           "Resource": resources}]}


def aws_trust(principals, actions=("sts:AssumeRole",), cond=None):
    st = {"Effect": "Allow", "Principal": {"AWS": principals},
          "Action": list(actions)}
    if cond is not None:
        st["Condition"] = cond
    return {"Version": "2012-10-17", "Statement": [st]}


CHAIN_ACTIONS = ("sts:AssumeRole", "sts:TagSession", "sts:SetSourceIdentity")


def role_cfg(name, trust, acct=None, max_session=3600, policies=None,
             path=None, **extra):
    r = {"name": name, "max_session_duration": max_session,
         "trust_policy": trust}
    if acct is not None:
        r["account_id"] = acct
    if path is not None:
        r["path"] = path
    if policies is not None:
        r["policies"] = policies
    r.update(extra)
    return r


S3_BOTH = allow(["s3:GetObject", "s3:PutObject"],
                ["arn:aws:s3:::bucket-a/*", "arn:aws:s3:::bucket-b/*"])


def roles_config(idp_host_path):
    alice, bob, dave = uarn("alice"), uarn("bob"), uarn("dave")
    chain_perm = {"chain": allow(list(CHAIN_ACTIONS))}
    cond_key_roles = [
        role_cfg("k-arn", aws_trust("*", cond={
            "StringEquals": {"aws:PrincipalArn": alice}})),
        role_cfg("k-account", aws_trust("*", cond={
            "StringEquals": {"aws:PrincipalAccount": ACCT_A}})),
        role_cfg("k-userid", aws_trust("*", cond={
            "StringEquals": {"aws:userid": unique_id("AIDA", alice)}})),
        role_cfg("k-username", aws_trust("*", cond={
            "StringEquals": {"aws:username": "alice"}})),
    ]
    return [
        H.web_role(idp_host_path),
        # trust names users: enough within the account, no identity policy
        role_cfg("r-named", aws_trust([alice, bob, dave])),
        # trust names the account: the caller's own policy must allow too
        role_cfg("r-account", aws_trust(ACCT_A)),
        role_cfg("r-path", aws_trust(alice), path="/team/"),
        role_cfg("r-long", aws_trust(alice), max_session=43200),
        role_cfg("r-ext", aws_trust(ACCT_A, cond={
            "StringEquals": {"sts:ExternalId": "ext-123"}})),
        role_cfg("r-team", aws_trust(ACCT_A, cond={
            "StringEquals": {"aws:PrincipalTag/team": "data"}})),
        role_cfg("r-acct-tags", aws_trust(ACCT_A, actions=(
            "sts:AssumeRole", "sts:TagSession"))),
        role_cfg("r-reqtag", aws_trust(alice, actions=(
            "sts:AssumeRole", "sts:TagSession"), cond={
            "StringEqualsIfExists": {"aws:RequestTag/project": "blue"}})),
        # a chain: alice -> hop1 -> hop2 -> hop3 (needs PrincipalTag)
        role_cfg("hop1", aws_trust(alice, CHAIN_ACTIONS), max_session=7200,
                 policies=chain_perm, tags={"team": "data"}),
        role_cfg("hop2", aws_trust(role_arn("hop1"), CHAIN_ACTIONS),
                 max_session=7200, policies=chain_perm),
        role_cfg("hop3", aws_trust(role_arn("hop2"), CHAIN_ACTIONS, cond={
            "StringEquals": {"aws:PrincipalTag/project": "blue"}}),
            policies=chain_perm),
        role_cfg("r-srcid", aws_trust(role_arn("hop1"), cond={
            "StringEquals": {"aws:SourceIdentity": "alice-src"}})),
        role_cfg("r-s3", aws_trust(alice), policies={"s3": S3_BOTH}),
        # account B
        role_cfg("rb-account", aws_trust(ACCT_A), acct=ACCT_B),
        role_cfg("rb-root", aws_trust(f"arn:aws:iam::{ACCT_A}:root"),
                 acct=ACCT_B),
        role_cfg("rb-bob", aws_trust(bob), acct=ACCT_B),
        role_cfg("rb-own", aws_trust(ACCT_B), acct=ACCT_B),
        role_cfg("rb-hop1", aws_trust(role_arn("hop1")), acct=ACCT_B),
    ] + cond_key_roles


def users_config(tmp):
    out = []
    pol = {
        "alice": {"sts": allow(["sts:AssumeRole", "sts:TagSession",
                                "sts:SetSourceIdentity",
                                "sts:DecodeAuthorizationMessage"])},
        "carol": {"a-only": allow("sts:AssumeRole",
                                  f"arn:aws:iam::{ACCT_A}:role/*")},
        "dave": {"no": {"Version": "2012-10-17", "Statement": [
            {"Effect": "Deny", "Action": "sts:AssumeRole",
             "Resource": role_arn("r-named")}]}},
        "ben": {"sts": allow("sts:AssumeRole")},
    }
    tags = {"alice": {"team": "data"}, "bob": {"team": "ops"},
            "carol": {"team": "ops"}}
    for name, (akid, secret, path, acct, how) in USERS.items():
        key = {"id": akid}
        if how == "file":
            p = os.path.join(tmp, f"{name}.secret")
            fd = os.open(p, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            with os.fdopen(fd, "w") as f:
                f.write(secret + "\n")
            key["secret_file"] = p
        elif how == "env":
            key["secret_env"] = BOB_ENV
        else:
            key["secret"] = secret
        u = {"name": name, "access_keys": [key]}
        if path != "/":
            u["path"] = path
        if acct != ACCT_A:
            u["account_id"] = acct
        if name in pol:
            u["policies"] = pol[name]
        if name in tags:
            u["tags"] = tags[name]
        out.append(u)
    return out


# ------------------------------------------------------------- helpers ---

@contextlib.contextmanager
def signing_clock(offset):
    """Shift botocore's signing clock by `offset` (a timedelta)."""
    real = ba.datetime

    class Shifted(datetime.datetime):
        @classmethod
        def utcnow(cls):
            return real.datetime.utcnow() + offset
    ba.datetime = types.SimpleNamespace(
        datetime=Shifted, timezone=datetime.timezone,
        timedelta=datetime.timedelta)
    try:
        yield
    finally:
        ba.datetime = real


def sign_sts(port, ak, sk, token=None, params=None, offset=None,
             service="sts", drop=()):
    """POST / signed with botocore's SigV4Auth; returns an H.Response."""
    params = params or {"Action": "GetCallerIdentity",
                        "Version": "2011-06-15"}
    body = urllib.parse.urlencode(params)
    req = AWSRequest(method="POST", url=f"http://127.0.0.1:{port}/",
                     data=body,
                     headers={"Content-Type":
                              H.FORM + "; charset=utf-8"})
    with signing_clock(offset or datetime.timedelta(0)):
        ba.SigV4Auth(Credentials(ak, sk, token), service,
                     REGION).add_auth(req)
    headers = {k: v for k, v in req.headers.items() if k not in drop}
    return H.http_request(port, "POST", "/", body=body.encode(),
                          headers=headers)


def s3_signed_headers(port, creds, method, path):
    """Headers of an S3 request signed by botocore's S3SigV4Auth, as nginx
    would forward them to /authorize (plus Host)."""
    req = AWSRequest(method=method, url=f"http://127.0.0.1:{port}{path}",
                     data=b"")
    ba.S3SigV4Auth(Credentials(*creds), "s3", REGION).add_auth(req)
    h = dict(req.headers.items())
    h["Host"] = f"127.0.0.1:{port}"
    return h


def authorize(port, creds, method, path):
    h = s3_signed_headers(port, creds, method, path)
    h["X-Original-Method"] = method
    h["X-Original-URI"] = path
    return H.http_request(port, "GET", "/authorize", headers=h)


def b64url_decode(s):
    return base64.urlsafe_b64decode(s + "=" * (-len(s) % 4))


def load_keyring(state_dir):
    with open(os.path.join(state_dir, "keyring.json")) as f:
        ring = json.load(f)
    return {bytes.fromhex(k["id"]): base64.b64decode(k["key"])
            for k in ring["keys"]}


def unseal(ring, token):
    raw = b64url_decode(token)
    hdr, nonce, ct = raw[:5], raw[5:17], raw[17:]
    pt = AESGCM(ring[hdr[1:]]).decrypt(nonce, ct, hdr + SEAL_AAD)
    return json.loads(pt)


def seal(key_id, key, session):
    """core/seal.c's format: 0x01 || key id || nonce || ct || tag, b64url,
    with (version || key id || purpose) as AAD."""
    hdr = b"\x01" + key_id
    nonce = os.urandom(12)
    ct = AESGCM(key).encrypt(nonce, json.dumps(
        session, separators=(",", ":")).encode(), hdr + SEAL_AAD)
    return H.b64url(hdr + nonce + ct)


def parse_time(s):
    if isinstance(s, datetime.datetime):
        return s.timestamp()
    return datetime.datetime.strptime(
        s.replace("+00:00", "Z"), "%Y-%m-%dT%H:%M:%SZ").replace(
        tzinfo=datetime.timezone.utc).timestamp()


def creds_of(resp):
    c = resp["Credentials"]
    return (c["AccessKeyId"], c["SecretAccessKey"], c["SessionToken"])


# --------------------------------------------------------------- base ---

class SignedCase(H.FedgateCase):
    """fedgate with users (secret file / env / inline), roles in two
    accounts, a managed policy; awscli profiles for every user."""

    @classmethod
    def make_config(cls, fg_port, tmp, idp):
        return H.base_config(
            fg_port, tmp, idp, roles=roles_config(idp.host_path),
            users=users_config(tmp),
            managed_policies={
                "read-b": allow("s3:GetObject", "arn:aws:s3:::bucket-b/*"),
            })

    @classmethod
    def setUpClass(cls):
        # The inline secret is accepted only from a 0600 config file.
        old_umask = os.umask(0o077)
        saved = os.environ.get(BOB_ENV)
        os.environ[BOB_ENV] = USERS["bob"][1]
        try:
            super().setUpClass()
        finally:
            os.umask(old_umask)
            if saved is None:
                os.environ.pop(BOB_ENV, None)
            else:
                os.environ[BOB_ENV] = saved
        cls.home = os.path.join(cls.tmp, "home")
        os.makedirs(os.path.join(cls.home, ".aws"))
        with open(os.path.join(cls.home, ".aws", "credentials"), "w") as f:
            for name, (akid, secret, _, _, _) in USERS.items():
                f.write(f"[{name}]\naws_access_key_id = {akid}\n"
                        f"aws_secret_access_key = {secret}\n\n")
        with open(os.path.join(cls.home, ".aws", "config"), "w") as f:
            for name in USERS:
                f.write(f"[profile {name}]\nregion = {REGION}\n\n")

    def setUp(self):
        # botocore reads os.environ: no AWS settings of the caller
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

    # -- awscli --
    def cli_env(self, profile=None, creds=None):
        env = {k: v for k, v in os.environ.items()
               if not k.startswith("AWS_")}
        env.update({"HOME": self.home, "AWS_EC2_METADATA_DISABLED": "true",
                    "AWS_REGION": REGION, "AWS_DEFAULT_REGION": REGION,
                    "AWS_PAGER": "", "AWS_RETRY_MODE": "standard",
                    "AWS_MAX_ATTEMPTS": "1"})
        if profile is not None:
            env["AWS_PROFILE"] = profile
        if creds is not None:
            env.update({"AWS_ACCESS_KEY_ID": creds[0],
                        "AWS_SECRET_ACCESS_KEY": creds[1],
                        "AWS_SESSION_TOKEN": creds[2]})
        return env

    def aws(self, *args, profile=None, creds=None):
        """(returncode, parsed JSON or None, stderr)."""
        if not os.access(AWS_CLI, os.X_OK):
            self.skipTest(f"{AWS_CLI} not installed (Debian awscli)")
        p = subprocess.run([AWS_CLI, "--endpoint-url", self.fg.url,
                            "--output", "json", *args],
                           env=self.cli_env(profile, creds),
                           capture_output=True, text=True,
                           timeout=CLI_TIMEOUT)
        out = json.loads(p.stdout) if p.returncode == 0 and \
            p.stdout.strip() else None
        return p.returncode, out, p.stderr

    def aws_ok(self, *args, **kw):
        rc, out, err = self.aws(*args, **kw)
        self.assertEqual(rc, 0, err)
        return out

    def aws_err(self, code, *args, **kw):
        rc, out, err = self.aws(*args, **kw)
        self.assertEqual(rc, 254, f"want {code}, got rc {rc}: {out} {err}")
        self.assertIn(f"An error occurred ({code})", err)
        return err

    # -- boto3 --
    def sts(self, user=None, creds=None):
        if user is not None:
            creds = USERS[user][:2] + (None,)
        s = boto3.session.Session(
            aws_access_key_id=creds[0], aws_secret_access_key=creds[1],
            aws_session_token=creds[2], region_name=REGION)
        return s.client("sts", endpoint_url=self.fg.url,
                        config=botocore.config.Config(
                            retries={"max_attempts": 1}))

    def assume(self, role, session="s1", user=None, creds=None, **kw):
        return self.sts(user, creds).assume_role(
            RoleArn=role, RoleSessionName=session, **kw)

    def denied(self, role, session="s1", user=None, creds=None,
               code="AccessDenied", status=403, **kw):
        with self.assertRaises(ClientError) as cm:
            self.assume(role, session, user, creds, **kw)
        r = cm.exception.response
        self.assertEqual(r["Error"]["Code"], code, r)
        self.assertEqual(r["ResponseMetadata"]["HTTPStatusCode"], status)
        return r["Error"]["Message"]

    def chain(self, *hops, user="alice", **first_kw):
        """Assume hops in turn; returns the last response."""
        r = self.assume(role_arn(hops[0]), "h1", user=user, **first_kw)
        for i, hop in enumerate(hops[1:]):
            r = self.assume(role_arn(hop), f"h{i + 2}", creds=creds_of(r))
        return r


# ---------------------------------------------------- GetCallerIdentity ---

class TestCallerIdentity(SignedCase):
    def test_cli_user_with_path(self):
        out = self.aws_ok("sts", "get-caller-identity", profile="alice")
        self.assertEqual(out, {
            "UserId": unique_id("AIDA", uarn("alice")),
            "Account": ACCT_A,
            "Arn": f"arn:aws:iam::{ACCT_A}:user/eng/alice"})
        self.assertRegex(out["UserId"], r"\AAIDA[A-Z2-7]{17}\Z")

    def test_cli_user_secret_env_and_inline(self):
        for name in ("bob", "carol", "ben"):
            with self.subTest(user=name):
                out = self.aws_ok("sts", "get-caller-identity",
                                  profile=name)
                self.assertEqual(out["Arn"], uarn(name))
                self.assertEqual(out["Account"], USERS[name][3])

    def test_cli_assumed_role_session(self):
        r = self.assume(role_arn("r-named"), "cli-sess", user="bob")
        out = self.aws_ok("sts", "get-caller-identity", creds=creds_of(r))
        self.assertEqual(out["Arn"], session_arn("r-named", "cli-sess"))
        self.assertEqual(out["Account"], ACCT_A)
        self.assertEqual(out["UserId"],
                         unique_id("AROA", role_arn("r-named")) +
                         ":cli-sess")
        self.assertEqual(out["UserId"],
                         r["AssumedRoleUser"]["AssumedRoleId"])

    def test_boto3_user_and_session(self):
        me = self.sts("alice").get_caller_identity()
        self.assertEqual(me["Arn"], uarn("alice"))
        self.assertEqual(me["UserId"], unique_id("AIDA", uarn("alice")))
        self.assertEqual(me["Account"], ACCT_A)
        path_arn = role_arn("r-path", path="/team/")
        self.denied(role_arn("r-path"), user="alice")   # path is part
        r = self.assume(path_arn, "b3", user="alice")
        self.assertEqual(r["AssumedRoleUser"]["Arn"],
                         session_arn("r-path", "b3"))   # no role path
        me = self.sts(creds=creds_of(r)).get_caller_identity()
        self.assertEqual(me["Arn"], session_arn("r-path", "b3"))
        self.assertEqual(me["UserId"], unique_id("AROA", path_arn) + ":b3")

    def test_get_session_token_session_is_the_user(self):
        r = self.sts("alice").get_session_token()
        me = self.sts(creds=creds_of(r)).get_caller_identity()
        self.assertEqual(me["Arn"], uarn("alice"))
        self.assertEqual(me["UserId"], unique_id("AIDA", uarn("alice")))
        self.assertEqual(me["Account"], ACCT_A)

    def test_cross_account_session_identity(self):
        r = self.assume(role_arn("rb-account", ACCT_B), "xx", user="alice")
        me = self.sts(creds=creds_of(r)).get_caller_identity()
        self.assertEqual(me["Account"], ACCT_B)
        self.assertEqual(me["Arn"], session_arn("rb-account", "xx", ACCT_B))

    def test_presigned_get_caller_identity(self):
        """The presigned-URL form, as aws-iam-authenticator and Vault's
        IAM auth use it (GET with X-Amz-* in the query)."""
        url = self.sts("alice").generate_presigned_url(
            "get_caller_identity", ExpiresIn=60, HttpMethod="GET")
        self.assertRegex(url, r"&X-Amz-Signature=[0-9a-f]{64}\Z")
        path = url.split(str(self.fg.port), 1)[1]
        r = H.http_request(self.fg.port, "GET", path)
        self.assertEqual(r.status, 200, r)
        self.assertIn(f"<Arn>{uarn('alice')}</Arn>", r.text())
        bad = path[:-1] + ("0" if path[-1] != "0" else "1")
        expect_error(self, H.http_request(self.fg.port, "GET", bad),
                     "SignatureDoesNotMatch", 403)
        # without HttpMethod botocore signs the model's POST: GET differs
        url = self.sts("alice").generate_presigned_url(
            "get_caller_identity", ExpiresIn=60)
        r = H.http_request(self.fg.port, "GET",
                           url.split(str(self.fg.port), 1)[1])
        expect_error(self, r, "SignatureDoesNotMatch", 403)

    def test_no_authorization(self):
        r = self.fg.sts({"Action": "GetCallerIdentity",
                         "Version": "2011-06-15"})
        expect_error(self, r, "MissingAuthenticationToken", 403)


# ------------------------------------------------------- AssumeRole ---

class TestAssumeRole(SignedCase):
    def test_cli_trust_names_user(self):
        out = self.aws_ok("sts", "assume-role", "--role-arn",
                          role_arn("r-named"), "--role-session-name",
                          "bob-cli", profile="bob")
        c = out["Credentials"]
        self.assertRegex(c["AccessKeyId"], r"\AASIA[A-Z2-7]{16}\Z")
        self.assertEqual(len(c["SecretAccessKey"]), 40)
        self.assertTrue(c["SessionToken"])
        self.assertAlmostEqual(parse_time(c["Expiration"]),
                               time.time() + 3600, delta=10)
        self.assertEqual(out["AssumedRoleUser"], {
            "Arn": session_arn("r-named", "bob-cli"),
            "AssumedRoleId": unique_id("AROA", role_arn("r-named")) +
            ":bob-cli"})
        self.assertEqual(out["PackedPolicySize"], 0)
        self.assertNotIn("SourceIdentity", out)

    def test_cli_trust_names_account_needs_identity_policy(self):
        out = self.aws_ok("sts", "assume-role", "--role-arn",
                          role_arn("r-account"), "--role-session-name",
                          "a1", profile="alice")
        self.assertEqual(out["AssumedRoleUser"]["Arn"],
                         session_arn("r-account", "a1"))
        err = self.aws_err("AccessDenied", "sts", "assume-role",
                           "--role-arn", role_arn("r-account"),
                           "--role-session-name", "b1", profile="bob")
        self.assertIn(f"User: {uarn('bob')} is not authorized to perform: "
                      f"sts:AssumeRole on resource: "
                      f"{role_arn('r-account')}", err)

    def test_explicit_deny_in_identity_policy_wins(self):
        msg = self.denied(role_arn("r-named"), user="dave")
        self.assertEqual(msg, f"User: {uarn('dave')} is not authorized to "
                         f"perform: sts:AssumeRole on resource: "
                         f"{role_arn('r-named')}")

    def test_unknown_role_same_answer(self):
        msg = self.denied(role_arn("no-such-role"), user="alice")
        self.assertEqual(msg, f"User: {uarn('alice')} is not authorized to "
                         f"perform: sts:AssumeRole on resource: "
                         f"{role_arn('no-such-role')}")

    def test_cli_cross_account(self):
        out = self.aws_ok("sts", "assume-role", "--role-arn",
                          role_arn("rb-account", ACCT_B),
                          "--role-session-name", "xa", profile="alice")
        self.assertEqual(out["AssumedRoleUser"]["Arn"],
                         session_arn("rb-account", "xa", ACCT_B))
        self.assertTrue(out["AssumedRoleUser"]["AssumedRoleId"].startswith(
            unique_id("AROA", role_arn("rb-account", ACCT_B))))
        # bob has no identity policy; carol's allows only account A roles
        for user in ("bob", "carol"):
            with self.subTest(user=user):
                self.aws_err("AccessDenied", "sts", "assume-role",
                             "--role-arn", role_arn("rb-account", ACCT_B),
                             "--role-session-name", "xb", profile=user)

    def test_cross_account_principal_forms(self):
        r = self.assume(role_arn("rb-root", ACCT_B), user="alice")
        self.assertEqual(r["AssumedRoleUser"]["Arn"],
                         session_arn("rb-root", "s1", ACCT_B))
        # trust names bob, but bob's own account grants nothing
        self.denied(role_arn("rb-bob", ACCT_B), user="bob")
        self.denied(role_arn("rb-bob", ACCT_B), user="alice")
        # B trusts only itself: A's identity policy is not enough
        self.denied(role_arn("rb-own", ACCT_B), user="alice")
        r = self.assume(role_arn("rb-own", ACCT_B), user="ben")
        self.assertEqual(r["AssumedRoleUser"]["Arn"],
                         session_arn("rb-own", "s1", ACCT_B))

    def test_duration(self):
        r = self.assume(role_arn("r-long"), user="alice",
                        DurationSeconds=43200)
        left = r["Credentials"]["Expiration"].timestamp() - time.time()
        self.assertAlmostEqual(left, 43200, delta=10)
        err = self.aws_err("ValidationError", "sts", "assume-role",
                           "--role-arn", role_arn("r-named"),
                           "--role-session-name", "dd",
                           "--duration-seconds", "7200", profile="alice")
        self.assertIn(ROLE_MAX_MSG, err)
        r = self.assume(role_arn("r-named"), user="alice",
                        DurationSeconds=900)
        left = r["Credentials"]["Expiration"].timestamp() - time.time()
        self.assertAlmostEqual(left, 900, delta=10)

    def test_external_id(self):
        r = self.assume(role_arn("r-ext"), user="alice",
                        ExternalId="ext-123")
        self.assertEqual(r["AssumedRoleUser"]["Arn"],
                         session_arn("r-ext", "s1"))
        self.denied(role_arn("r-ext"), user="alice", ExternalId="ext-124")
        self.denied(role_arn("r-ext"), user="alice")
        out = self.aws_ok("sts", "assume-role", "--role-arn",
                          role_arn("r-ext"), "--role-session-name", "ee",
                          "--external-id", "ext-123", profile="alice")
        self.assertEqual(out["AssumedRoleUser"]["Arn"],
                         session_arn("r-ext", "ee"))

    def test_principal_tag_from_user_tags(self):
        self.assume(role_arn("r-team"), user="alice")      # team=data
        self.denied(role_arn("r-team"), user="carol")      # team=ops

    def test_condition_keys(self):
        cases = [("k-arn", ["alice"], ["carol", "ben"]),
                 ("k-account", ["alice", "carol"], ["ben"]),
                 ("k-userid", ["alice"], ["carol", "ben"]),
                 ("k-username", ["alice"], ["carol", "ben"])]
        for role, ok, no in cases:
            for user in ok:
                with self.subTest(role=role, user=user, want="allow"):
                    self.assume(role_arn(role), user=user)
            for user in no:
                with self.subTest(role=role, user=user, want="deny"):
                    self.denied(role_arn(role), user=user)

    def test_tags_need_tag_session(self):
        msg = self.denied(role_arn("r-named"), user="alice",
                          Tags=[{"Key": "project", "Value": "blue"}])
        self.assertIn("sts:TagSession", msg)
        r = self.assume(role_arn("r-reqtag"), user="alice",
                        Tags=[{"Key": "project", "Value": "blue"}])
        self.assertGreater(r["PackedPolicySize"], 0)
        # aws:RequestTag/project in the trust condition
        self.denied(role_arn("r-reqtag"), user="alice",
                    Tags=[{"Key": "project", "Value": "red"}])

    def test_tags_need_tag_session_in_identity_policy_too(self):
        tags = [{"Key": "project", "Value": "blue"}]
        # trust names the account and allows TagSession; carol's own
        # policy allows sts:AssumeRole only
        self.assume(role_arn("r-acct-tags"), user="carol")
        msg = self.denied(role_arn("r-acct-tags"), user="carol", Tags=tags)
        self.assertEqual(msg, f"User: {uarn('carol')} is not authorized to "
                         f"perform: sts:TagSession on resource: "
                         f"{role_arn('r-acct-tags')}")
        self.assume(role_arn("r-acct-tags"), user="alice", Tags=tags)

    def test_source_identity_needs_set_source_identity(self):
        msg = self.denied(role_arn("r-named"), user="alice",
                          SourceIdentity="alice-src")
        self.assertIn("sts:SetSourceIdentity", msg)
        r = self.assume(role_arn("hop1"), user="alice",
                        SourceIdentity="alice-src")
        self.assertEqual(r["SourceIdentity"], "alice-src")

    def test_cli_all_parameters(self):
        out = self.aws_ok(
            "sts", "assume-role", "--role-arn", role_arn("hop1"),
            "--role-session-name", "full", "--duration-seconds", "7200",
            "--tags", "Key=project,Value=blue", "Key=env,Value=dev",
            "--transitive-tag-keys", "project",
            "--source-identity", "alice-cli",
            "--policy", json.dumps(allow("sts:AssumeRole")),
            "--policy-arns", f"arn=arn:aws:iam::{ACCT_A}:policy/read-b",
            profile="alice")
        self.assertEqual(out["SourceIdentity"], "alice-cli")
        self.assertEqual(out["AssumedRoleUser"]["Arn"],
                         session_arn("hop1", "full"))
        self.assertGreater(out["PackedPolicySize"], 0)
        self.assertAlmostEqual(parse_time(out["Credentials"]["Expiration"]),
                               time.time() + 7200, delta=10)

    def test_parameter_validation(self):
        """Values botocore would refuse before sending: signed by hand."""
        ak, sk = USERS["alice"][:2]
        base = {"Action": "AssumeRole", "Version": "2011-06-15",
                "RoleArn": role_arn("r-named"), "RoleSessionName": "s1"}
        cases = [({"RoleSessionName": "x"}, "ValidationError"),
                 ({"RoleSessionName": "a b"}, "ValidationError"),
                 ({"RoleArn": "not-an-arn"}, "ValidationError"),
                 ({"DurationSeconds": "899"}, "ValidationError"),
                 ({"ExternalId": "x"}, "ValidationError"),
                 ({"RoleSessionName": None}, "MissingParameter")]
        for change, code in cases:
            with self.subTest(change=change):
                p = dict(base, **change)
                p = {k: v for k, v in p.items() if v is not None}
                r = sign_sts(self.fg.port, ak, sk, params=p)
                expect_error(self, r, code, 400)


# ------------------------------------------------------ role chaining ---

class TestChaining(SignedCase):
    def test_cli_chain_one_hour_cap(self):
        r = self.assume(role_arn("hop1"), "first", user="alice",
                        DurationSeconds=7200)
        creds = creds_of(r)
        err = self.aws_err("ValidationError", "sts", "assume-role",
                           "--role-arn", role_arn("hop2"),
                           "--role-session-name", "second",
                           "--duration-seconds", "7200", creds=creds)
        self.assertIn(CHAIN_MSG, err)
        out = self.aws_ok("sts", "assume-role", "--role-arn",
                          role_arn("hop2"), "--role-session-name", "second",
                          "--duration-seconds", "3600", creds=creds)
        self.assertEqual(out["AssumedRoleUser"]["Arn"],
                         session_arn("hop2", "second"))
        self.assertAlmostEqual(parse_time(out["Credentials"]["Expiration"]),
                               time.time() + 3600, delta=10)
        me = self.aws_ok("sts", "get-caller-identity",
                         creds=creds_of(out))
        self.assertEqual(me["Arn"], session_arn("hop2", "second"))

    def test_trust_naming_role_admits_its_sessions_only(self):
        self.chain("hop1", "hop2")
        # a user cannot take hop2 directly, nor a session of another role
        self.denied(role_arn("hop2"), user="alice")
        r = self.assume(role_arn("r-named"), user="alice")
        self.denied(role_arn("hop2"), creds=creds_of(r))

    def test_transitive_tags_carried(self):
        tags = [{"Key": "project", "Value": "blue"}]
        r = self.chain("hop1", "hop2", "hop3", Tags=tags,
                       TransitiveTagKeys=["project"])
        self.assertEqual(r["AssumedRoleUser"]["Arn"],
                         session_arn("hop3", "h3"))
        self.assertGreater(r["PackedPolicySize"], 0)   # inherited tag
        # not transitive: hop2's session has no project tag, hop3 refuses
        r1 = self.assume(role_arn("hop1"), "h1", user="alice", Tags=tags)
        r2 = self.assume(role_arn("hop2"), "h2", creds=creds_of(r1))
        self.denied(role_arn("hop3"), "h3", creds=creds_of(r2))
        # hop1's own session carries the tag as aws:PrincipalTag (hop2
        # needs none), so a direct hop1 -> hop3 would still be refused by
        # hop3's Principal: only hop2 sessions are trusted
        self.denied(role_arn("hop3"), "h3", creds=creds_of(r1))

    def test_transitive_key_cannot_be_overridden(self):
        r1 = self.assume(role_arn("hop1"), "h1", user="alice",
                         Tags=[{"Key": "project", "Value": "blue"}],
                         TransitiveTagKeys=["project"])
        msg = self.denied(role_arn("hop2"), "h2", creds=creds_of(r1),
                          Tags=[{"Key": "Project", "Value": "red"}],
                          code="InvalidParameterValue", status=400)
        self.assertIn("Project", msg)
        # other keys may be added
        r2 = self.assume(role_arn("hop2"), "h2", creds=creds_of(r1),
                         Tags=[{"Key": "env", "Value": "dev"}])
        self.assertGreater(r2["PackedPolicySize"], 0)

    def test_transitive_key_must_be_a_tag(self):
        self.denied(role_arn("hop1"), user="alice",
                    Tags=[{"Key": "project", "Value": "blue"}],
                    TransitiveTagKeys=["other"],
                    code="InvalidParameterValue", status=400)

    def test_role_tags_and_session_tags(self):
        """hop1's role tag team=data is aws:PrincipalTag/team of its
        sessions; a session tag with the same key wins over it."""
        r1 = self.assume(role_arn("hop1"), "h1", user="alice")
        self.assume(role_arn("r-team"), "h2", creds=creds_of(r1))
        r1 = self.assume(role_arn("hop1"), "h1", user="alice",
                         Tags=[{"Key": "Team", "Value": "ops"}])
        self.denied(role_arn("r-team"), "h2", creds=creds_of(r1))
        # role tags are not transitive: hop2 has none
        r2 = self.chain("hop1", "hop2")
        self.denied(role_arn("r-team"), "h3", creds=creds_of(r2))

    def test_cross_account_chaining(self):
        r1 = self.assume(role_arn("hop1"), "h1", user="alice")
        for role in ("rb-hop1", "rb-account"):
            with self.subTest(role=role):
                r = self.assume(role_arn(role, ACCT_B), "xh",
                                creds=creds_of(r1))
                self.assertEqual(r["AssumedRoleUser"]["Arn"],
                                 session_arn(role, "xh", ACCT_B))
        # r-named's sessions have no permission policy: A side denies
        r1 = self.assume(role_arn("r-named"), "h1", user="alice")
        self.denied(role_arn("rb-account", ACCT_B), "xh", creds=creds_of(r1))

    def test_source_identity_is_sticky(self):
        r1 = self.assume(role_arn("hop1"), "h1", user="alice",
                         SourceIdentity="alice-src")
        self.assertEqual(r1["SourceIdentity"], "alice-src")
        msg = self.denied(role_arn("hop2"), "h2", creds=creds_of(r1),
                          SourceIdentity="mallory")
        self.assertIn("alice-src", msg)
        r2 = self.assume(role_arn("hop2"), "h2", creds=creds_of(r1),
                         SourceIdentity="alice-src")
        self.assertEqual(r2["SourceIdentity"], "alice-src")
        # not repeated: still carried into the next session
        r3 = self.assume(role_arn("hop2"), "h3", creds=creds_of(r1))
        self.assertEqual(r3["SourceIdentity"], "alice-src")

    def test_source_identity_condition_key(self):
        r1 = self.assume(role_arn("hop1"), "h1", user="alice",
                         SourceIdentity="alice-src")
        r2 = self.assume(role_arn("r-srcid"), "h2", creds=creds_of(r1))
        self.assertEqual(r2["SourceIdentity"], "alice-src")
        r1 = self.assume(role_arn("hop1"), "h1", user="alice")
        self.denied(role_arn("r-srcid"), "h2", creds=creds_of(r1))

    def test_session_policy_limits_chaining(self):
        """hop2's trust names hop1's role ARN. A grant to the role ARN in a
        resource policy is limited by the session's policy (sts-wire.md
        §4: "intersection of the session policies and the resource-based
        policies"), so a session policy allowing only s3 stops chaining."""
        r1 = self.assume(role_arn("hop1"), "h1", user="alice",
                         Policy=json.dumps(allow("s3:GetObject")))
        self.denied(role_arn("hop2"), "h2", creds=creds_of(r1))
        r1 = self.assume(role_arn("hop1"), "h1", user="alice",
                         Policy=json.dumps(allow("sts:AssumeRole")))
        self.assume(role_arn("hop2"), "h2", creds=creds_of(r1))


# --------------------------------------------------- session policies ---

class TestSessionPolicies(SignedCase):
    def decide(self, creds, method, path):
        return authorize(self.fg.port, creds, method, path).status

    def test_no_session_policy(self):
        c = creds_of(self.assume(role_arn("r-s3"), user="alice"))
        self.assertEqual(self.decide(c, "GET", "/bucket-a/x"), 200)
        self.assertEqual(self.decide(c, "PUT", "/bucket-b/x"), 200)
        self.assertEqual(self.decide(c, "PUT", "/bucket-c/x"), 403)

    def test_inline_policy_restricts(self):
        pol = allow("s3:GetObject", "arn:aws:s3:::bucket-a/*")
        r = self.assume(role_arn("r-s3"), user="alice",
                        Policy=json.dumps(pol, indent=2))
        compact = len(json.dumps(pol, separators=(",", ":")))
        self.assertEqual(r["PackedPolicySize"], -(-compact * 100 // 2048))
        c = creds_of(r)
        self.assertEqual(self.decide(c, "GET", "/bucket-a/x"), 200)
        self.assertEqual(self.decide(c, "PUT", "/bucket-a/x"), 403)
        self.assertEqual(self.decide(c, "GET", "/bucket-b/x"), 403)

    def test_cli_policy_arns(self):
        out = self.aws_ok("sts", "assume-role", "--role-arn",
                          role_arn("r-s3"), "--role-session-name", "pa",
                          "--policy-arns",
                          f"arn=arn:aws:iam::{ACCT_A}:policy/read-b",
                          profile="alice")
        self.assertGreater(out["PackedPolicySize"], 0)
        c = creds_of(out)
        self.assertEqual(self.decide(c, "GET", "/bucket-b/x"), 200)
        self.assertEqual(self.decide(c, "GET", "/bucket-a/x"), 403)
        self.assertEqual(self.decide(c, "PUT", "/bucket-b/x"), 403)

    def test_unknown_policy_arn(self):
        self.denied(role_arn("r-s3"), user="alice",
                    PolicyArns=[{"arn": f"arn:aws:iam::{ACCT_A}:policy/nope"}],
                    code="InvalidParameterValue", status=400)

    def test_cli_malformed_policy(self):
        self.aws_err("MalformedPolicyDocument", "sts", "assume-role",
                     "--role-arn", role_arn("r-s3"),
                     "--role-session-name", "mm",
                     "--policy", '{"Version":"2012-10-17","Statement":[{',
                     profile="alice")
        self.denied(role_arn("r-s3"), user="alice",
                    Policy=json.dumps({"Statement": [{"Effect": "Maybe",
                                                      "Action": "*",
                                                      "Resource": "*"}]}),
                    code="MalformedPolicyDocument", status=400)

    def test_packed_policy_too_large(self):
        tags = [{"Key": f"k{i:02d}", "Value": "v" * 200} for i in range(12)]
        self.denied(role_arn("hop1"), user="alice", Tags=tags,
                    code="PackedPolicyTooLarge", status=400)


# ---------------------------------------------------- GetSessionToken ---

class TestGetSessionToken(SignedCase):
    def test_cli_default_duration(self):
        out = self.aws_ok("sts", "get-session-token", profile="alice")
        c = out["Credentials"]
        self.assertRegex(c["AccessKeyId"], r"\AASIA[A-Z2-7]{16}\Z")
        self.assertAlmostEqual(parse_time(c["Expiration"]),
                               time.time() + 43200, delta=10)

    def test_limits(self):
        r = self.sts("bob").get_session_token(DurationSeconds=129600)
        left = r["Credentials"]["Expiration"].timestamp() - time.time()
        self.assertAlmostEqual(left, 129600, delta=10)
        r = self.sts("bob").get_session_token(DurationSeconds=900)
        left = r["Credentials"]["Expiration"].timestamp() - time.time()
        self.assertAlmostEqual(left, 900, delta=10)
        err = self.aws_err("ValidationError", "sts", "get-session-token",
                           "--duration-seconds", "129601", profile="bob")
        self.assertIn("129600", err)

    def test_session_credentials_refused(self):
        gst = creds_of(self.sts("alice").get_session_token())
        role = creds_of(self.assume(role_arn("r-named"), user="alice"))
        for name, creds in (("user session", gst), ("role session", role)):
            with self.subTest(creds=name):
                err = self.aws_err("AccessDenied", "sts",
                                   "get-session-token", creds=creds)
                self.assertIn("session credentials", err)

    def test_user_session_can_assume_role(self):
        gst = creds_of(self.sts("bob").get_session_token())
        r = self.assume(role_arn("r-named"), "via-gst", creds=gst)
        self.assertEqual(r["AssumedRoleUser"]["Arn"],
                         session_arn("r-named", "via-gst"))
        # not role chaining: the role's own maximum applies, not 1 hour
        gst = creds_of(self.sts("alice").get_session_token())
        r = self.assume(role_arn("r-long"), "via-gst", creds=gst,
                        DurationSeconds=43200)
        left = r["Credentials"]["Expiration"].timestamp() - time.time()
        self.assertAlmostEqual(left, 43200, delta=10)


# --------------------------------------------------- SigV4 failures ---

class TestSigV4Failures(SignedCase):
    def ok(self, resp):
        self.assertEqual(resp.status, 200, resp)
        return resp

    def test_user_key_signed_by_hand(self):
        ak, sk = USERS["alice"][:2]
        r = self.ok(sign_sts(self.fg.port, ak, sk))
        self.assertIn(uarn("alice"), r.text())

    def test_wrong_secret(self):
        ak, sk = USERS["alice"][:2]
        r = sign_sts(self.fg.port, ak, sk[:-1] + "X")
        msg, _ = expect_error(self, r, "SignatureDoesNotMatch", 403)
        self.assertNotIn(sk, r.text())

    def test_unknown_user_key(self):
        r = sign_sts(self.fg.port, "AKIAFEDGATENOBODY001", "x" * 40)
        msg, _ = expect_error(self, r, "InvalidClientTokenId", 403)
        self.assertEqual(msg, "The security token included in the request "
                         "is invalid.")

    def test_request_expired(self):
        ak, sk = USERS["alice"][:2]
        for minutes in (-20, 20):
            with self.subTest(minutes=minutes):
                r = sign_sts(self.fg.port, ak, sk,
                             offset=datetime.timedelta(minutes=minutes))
                expect_error(self, r, "RequestExpired", 400)
        # within the 15 minutes either way
        self.ok(sign_sts(self.fg.port, ak, sk,
                         offset=datetime.timedelta(minutes=-14)))

    def test_user_key_with_session_token(self):
        ak, sk = USERS["alice"][:2]
        r = sign_sts(self.fg.port, ak, sk, token="not-a-token")
        expect_error(self, r, "InvalidClientTokenId", 403)

    def session(self):
        r = self.assume(role_arn("r-named"), "craft", user="alice")
        return creds_of(r)

    def test_session_signed_by_hand(self):
        ak, sk, tok = self.session()
        r = self.ok(sign_sts(self.fg.port, ak, sk, tok))
        self.assertIn(session_arn("r-named", "craft"), r.text())

    def test_asia_without_token(self):
        ak, sk, _ = self.session()
        r = sign_sts(self.fg.port, ak, sk)
        expect_error(self, r, "InvalidClientTokenId", 403)

    def test_token_of_another_session(self):
        ak, sk, _ = self.session()
        _, _, tok2 = self.session()
        r = sign_sts(self.fg.port, ak, sk, tok2)
        expect_error(self, r, "InvalidClientTokenId", 403)

    def test_tampered_token(self):
        ak, sk, tok = self.session()
        i = len(tok) // 2
        bad = tok[:i] + ("A" if tok[i] != "A" else "B") + tok[i + 1:]
        r = sign_sts(self.fg.port, ak, sk, bad)
        expect_error(self, r, "InvalidClientTokenId", 403)

    def test_expired_session(self):
        ak, sk, tok = self.session()
        ring = load_keyring(self.fg.config["state_dir"])
        s = unseal(ring, tok)
        self.assertEqual(s["ak"], ak)
        now = int(time.time())
        s["iat"], s["exp"] = now - 4000, now - 400
        key_id = b64url_decode(tok)[1:5]
        expired = seal(key_id, ring[key_id], s)
        r = sign_sts(self.fg.port, ak, sk, expired)
        expect_error(self, r, "ExpiredToken", 403)
        # the same reseal with a future exp is accepted: the crafting is
        # right, only the expiry differs
        s["exp"] = now + 400
        self.ok(sign_sts(self.fg.port, ak, sk, seal(key_id, ring[key_id],
                                                    s)))

    def test_token_from_another_key_ring(self):
        ak, sk, tok = self.session()
        ring = load_keyring(self.fg.config["state_dir"])
        s = unseal(ring, tok)
        key_id = b64url_decode(tok)[1:5]
        other_id = bytes(b ^ 0xff for b in key_id)
        for name, kid in (("other key id", other_id),
                          ("same key id, other key", key_id)):
            with self.subTest(ring=name):
                forged = seal(kid, os.urandom(32), s)
                r = sign_sts(self.fg.port, ak, sk, forged)
                expect_error(self, r, "InvalidClientTokenId", 403)

    def test_wrong_service_scope(self):
        ak, sk = USERS["alice"][:2]
        r = sign_sts(self.fg.port, ak, sk, service="s3")
        self.assertEqual(r.status // 100, 4, r)
        self.assertNotEqual(r.status, 200)

    def test_boto3_client_error_shape(self):
        with self.assertRaises(ClientError) as cm:
            self.sts(creds=("AKIAFEDGATENOBODY001", "x" * 40, None)) \
                .get_caller_identity()
        r = cm.exception.response
        self.assertEqual(r["Error"]["Code"], "InvalidClientTokenId")
        self.assertEqual(r["ResponseMetadata"]["HTTPStatusCode"], 403)


# ------------------------------------------ DecodeAuthorizationMessage ---

class TestDecodeAuthorizationMessage(SignedCase):
    def denial(self):
        r = self.assume(role_arn("r-s3"), "dec", user="alice")
        resp = authorize(self.fg.port, creds_of(r), "PUT",
                         "/bucket-z/secret.txt")
        self.assertEqual(resp.status, 403, resp)
        msg = resp.headers.get("x-fedgate-authorization-message")
        self.assertTrue(msg, resp.headers)
        return msg

    def test_cli_decode(self):
        enc = self.denial()
        out = self.aws_ok("sts", "decode-authorization-message",
                          "--encoded-message", enc, profile="alice")
        d = json.loads(out["DecodedMessage"])
        self.assertIs(d["allowed"], False)
        self.assertIs(d["explicitDeny"], False)
        self.assertEqual(d["context"]["action"], "s3:PutObject")
        self.assertEqual(d["context"]["resource"],
                         "arn:aws:s3:::bucket-z/secret.txt")
        self.assertEqual(d["context"]["principal"]["arn"],
                         session_arn("r-s3", "dec"))

    def test_not_allowed(self):
        enc = self.denial()
        err = self.aws_err("AccessDenied", "sts",
                           "decode-authorization-message",
                           "--encoded-message", enc, profile="bob")
        self.assertIn("sts:DecodeAuthorizationMessage", err)

    def test_invalid_message(self):
        self.aws_err("InvalidAuthorizationMessageException", "sts",
                     "decode-authorization-message", "--encoded-message",
                     "bm90IGEgbWVzc2FnZQ", profile="alice")


# -------------------------------------------------------------- audit ---

class TestAudit(SignedCase):
    def records(self, rid):
        H.audit_find(self.fg, lambda r: r.get("requestID") == rid)
        return [r for r in self.fg.audit_records()
                if r.get("requestID") == rid]

    def test_signed_calls_audited_once_without_secrets(self):
        ak = USERS["alice"][0]
        me = self.sts("alice").get_caller_identity()
        r = self.assume(role_arn("r-named"), "aud", user="alice")
        me2 = self.sts(creds=creds_of(r)).get_caller_identity()
        gst = self.sts("bob").get_session_token()
        r2 = self.assume(role_arn("hop1"), "aud1", user="alice")
        r3 = self.assume(role_arn("hop2"), "aud2", creds=creds_of(r2))
        with self.assertRaises(ClientError) as cm:
            self.sts("bob").assume_role(RoleArn=role_arn("r-account"),
                                        RoleSessionName="no")
        cases = [
            (me, "GetCallerIdentity", "IAMUser", uarn("alice"), ak),
            (r, "AssumeRole", "IAMUser", uarn("alice"), ak),
            (me2, "GetCallerIdentity", "AssumedRole",
             session_arn("r-named", "aud"), r["Credentials"]["AccessKeyId"]),
            (gst, "GetSessionToken", "IAMUser", uarn("bob"),
             USERS["bob"][0]),
            (r3, "AssumeRole", "AssumedRole", session_arn("hop1", "aud1"),
             r2["Credentials"]["AccessKeyId"]),
            (cm.exception.response, "AssumeRole", "IAMUser", uarn("bob"),
             USERS["bob"][0]),
        ]
        for resp, event, typ, arn, key in cases:
            rid = resp["ResponseMetadata"]["RequestId"]
            with self.subTest(event=event, arn=arn):
                recs = self.records(rid)
                self.assertEqual(len(recs), 1, recs)
                rec = recs[0]
                self.assertEqual(rec["eventName"], event)
                ui = rec["userIdentity"]
                self.assertEqual(ui["type"], typ)
                self.assertEqual(ui["arn"], arn)
                self.assertEqual(ui["accessKeyId"], key)
        ok = self.records(r["ResponseMetadata"]["RequestId"])[0]
        self.assertEqual(ok["responseElements"]["assumedRoleUser"]["arn"],
                         session_arn("r-named", "aud"))
        self.assertEqual(ok["requestParameters"]["roleArn"],
                         role_arn("r-named"))
        denied = self.records(
            cm.exception.response["ResponseMetadata"]["RequestId"])[0]
        self.assertEqual(denied["errorCode"], "AccessDenied")
        with open(self.fg.audit_path) as f:
            text = f.read()
        secrets = [u[1] for u in USERS.values()] + [
            r["Credentials"]["SecretAccessKey"],
            r["Credentials"]["SessionToken"],
            gst["Credentials"]["SecretAccessKey"],
            gst["Credentials"]["SessionToken"]] + [
            x["Credentials"][k] for x in (r2, r3)
            for k in ("SecretAccessKey", "SessionToken")]
        logs = self.fg.output()
        for i, s in enumerate(secrets):
            with self.subTest(secret=i):
                self.assertNotIn(s, text)
                self.assertNotIn(s, logs)


if __name__ == "__main__":
    unittest.main()
