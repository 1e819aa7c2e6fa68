"""The mobile upload, for real: an ID token from the test IdP is traded for
credentials with boto3's assume_role_with_web_identity, and boto3's
put_object goes to a real nginx (Debian's, conf/nginx/fedgate-s3-upload.conf)
that asks fedgate /authorize (auth_request) and stores PUTs with its DAV
module. The role may write only under uploads/${<issuer>:sub}/.

Each refusal is checked three ways: the status and S3 error code the SDK
sees, the files under the upload root (nothing written), and the Authorize
line fedgate wrote to its audit log.
"""
import grp
import os
import pwd
import time
import unittest
import urllib.error
import urllib.request

import boto3
from botocore import UNSIGNED
from botocore.auth import S3SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.config import Config
from botocore.credentials import Credentials
from botocore.exceptions import ClientError

import fedgate_harness as H

ROLE = "mobile-upload"
ROLE_ARN = f"arn:aws:iam::{H.ACCOUNT}:role/{ROLE}"
REGION = "us-east-1"
BUCKET = "uploads"
CONF = os.path.join(os.environ.get("FEDGATE_SRC", os.path.join(
    os.path.dirname(__file__), "..", "..")), "conf", "nginx",
    "fedgate-s3-upload.conf")
# one request per SDK call: a retried request would add audit lines
NO_RETRY = {"total_max_attempts": 1}


def mobile_role(hp):
    role = H.web_role(hp, name=ROLE, max_session=3600)
    role["policies"] = {"upload": {
        "Version": "2012-10-17",
        "Statement": [{
            "Effect": "Allow",
            "Action": ["s3:PutObject", "s3:GetObject"],
            "Resource": f"arn:aws:s3:::{BUCKET}/${{{hp}:sub}}/*",
        }],
    }}
    return role


def worker_user():
    """nginx's `user` directive: ourselves (ignored when not root)."""
    return (f"{pwd.getpwuid(os.geteuid()).pw_name} "
            f"{grp.getgrgid(os.getegid()).gr_name}")


class MobileUpload(H.FedgateCase):
    @classmethod
    def make_config(cls, fg_port, tmp, idp):
        return H.base_config(fg_port, tmp, idp,
                             roles=[mobile_role(idp.host_path)])

    @classmethod
    def setUpClass(cls):
        if H.nginx_bin() is None:
            raise unittest.SkipTest("nginx not installed (Debian nginx)")
        cls._env = dict(os.environ)
        for k in [k for k in os.environ if k.startswith("AWS_")]:
            del os.environ[k]
        os.environ.update({"AWS_CONFIG_FILE": "/nonexistent/config",
                           "AWS_SHARED_CREDENTIALS_FILE":
                           "/nonexistent/credentials",
                           "AWS_EC2_METADATA_DISABLED": "true"})
        super().setUpClass()
        cls.root = os.path.join(cls.tmp, "www")
        os.makedirs(os.path.join(cls.root, BUCKET))
        cls.nginx = H.Nginx(cls.tmp, CONF, {
            "USER": worker_user(), "FEDGATE": f"127.0.0.1:{cls.fg.port}",
            "ROOT": cls.root})
        try:
            cls.nginx.start()
        except Exception:
            cls._cleanup()
            raise
        cls._creds = {}

    @classmethod
    def tearDownClass(cls):
        cls.nginx.stop()
        os.environ.clear()
        os.environ.update(cls._env)
        super().tearDownClass()

    def run(self, result=None):
        before = (len(result.failures) + len(result.errors)
                  if result is not None else 0)
        r = super().run(result)
        if result is not None and \
                len(result.failures) + len(result.errors) > before:
            H.diag(self.nginx.logs())
        return r

    # -- clients --
    def creds(self, sub):
        """Session credentials for sub, from boto3's unsigned STS call."""
        if sub not in self._creds:
            sts = boto3.client("sts", endpoint_url=self.fg.url,
                               region_name=REGION,
                               config=Config(signature_version=UNSIGNED,
                                             retries=NO_RETRY))
            try:
                out = sts.assume_role_with_web_identity(
                    RoleArn=ROLE_ARN, RoleSessionName=f"app-{sub}",
                    WebIdentityToken=self.idp.token("rsa1", sub=sub))
            finally:
                sts.close()
            self.assertEqual(out["SubjectFromWebIdentityToken"], sub)
            self._creds[sub] = out["Credentials"]
        return self._creds[sub]

    def s3(self, c):
        return boto3.client(
            "s3", endpoint_url=self.nginx.url, region_name=REGION,
            aws_access_key_id=c["AccessKeyId"],
            aws_secret_access_key=c["SecretAccessKey"],
            aws_session_token=c["SessionToken"],
            config=Config(s3={"addressing_style": "path"},
                          signature_version="s3v4", retries=NO_RETRY))

    def signed(self, c, method, path, body=b"", headers=None):
        """A request signed by botocore's own S3 SigV4 signer."""
        req = AWSRequest(method=method, url=self.nginx.url + path,
                         data=body, headers=dict(headers or {}))
        S3SigV4Auth(Credentials(c["AccessKeyId"], c["SecretAccessKey"],
                                c["SessionToken"]),
                    "s3", REGION).add_auth(req)
        return req

    def send(self, req, path=None, extra=None):
        """Send a signed request to nginx as is (raw path, no
        normalization by the client)."""
        extra = extra or {}
        low = {k.lower() for k in extra}
        h = {k: v for k, v in req.headers.items() if k.lower() not in low}
        h.update(extra)
        url = req.url[len(self.nginx.url):]
        return H.http_request(self.nginx.port, req.method, path or url,
                              body=req.body, headers=h)

    def authorize(self, req):
        """Ask fedgate /authorize directly, as nginx would."""
        path = req.url[len(self.nginx.url):]
        h = {k: v for k, v in req.headers.items()
             if k.lower() != "content-length"}
        h.update({"Content-Length": "0", "X-Original-Method": req.method,
                  "X-Original-URI": path,
                  "Host": f"127.0.0.1:{self.nginx.port}",
                  "X-Original-Content-Length": str(len(req.body or b""))})
        return H.http_request(self.fg.port, "GET", "/authorize", headers=h)

    # -- observations --
    def files(self):
        """{relative path: bytes} of everything under the upload root."""
        out = {}
        for d, _, names in os.walk(self.root):
            for n in names:
                p = os.path.join(d, n)
                with open(p, "rb") as f:
                    out[os.path.relpath(p, self.root)] = f.read()
        return out

    def audit_count(self):
        return len(self.fg.audit_records())

    def new_authorize(self, since, want=1):
        recs = self.fg.audit_records(want=since + want)[since:]
        auth = [r for r in recs if r.get("eventName") == "Authorize"]
        self.assertEqual(len(auth), want, recs)
        return auth

    def assert_s3_error(self, cm, code, status=403):
        e = cm.exception.response
        self.assertEqual(e["ResponseMetadata"]["HTTPStatusCode"], status, e)
        self.assertEqual(e["Error"]["Code"], code, e)

    def assert_denied_xml(self, resp, code):
        self.assertEqual(resp.status, 403, resp)
        self.assertIn(f"<Code>{code}</Code>", resp.text(), resp)

    # -- tests --
    def test_put_object_lands_on_disk(self):
        c = self.creds("user-alice")
        data = os.urandom(200 * 1024) + b"\x00\r\n end"
        n0 = self.audit_count()
        out = self.s3(c).put_object(Bucket=BUCKET,
                                    Key="user-alice/photo.jpg", Body=data,
                                    ContentType="image/jpeg")
        self.assertIn(out["ResponseMetadata"]["HTTPStatusCode"], (200, 201))
        path = os.path.join(self.root, BUCKET, "user-alice", "photo.jpg")
        with open(path, "rb") as f:
            self.assertEqual(f.read(), data)
        (rec,) = self.new_authorize(n0)
        req = rec["requestParameters"]
        self.assertEqual(req["action"], "s3:PutObject")
        self.assertEqual(req["resource"],
                         f"arn:aws:s3:::{BUCKET}/user-alice/photo.jpg")
        self.assertEqual(req["decision"], "allowed")
        self.assertEqual(rec["userIdentity"]["arn"],
                         f"arn:aws:sts::{H.ACCOUNT}:assumed-role/{ROLE}/"
                         "app-user-alice")
        self.assertEqual(rec["userIdentity"]["accessKeyId"],
                         c["AccessKeyId"])
        self.assertNotIn("errorCode", rec)
        # nginx knows who it was (auth_request_set -> access log)
        with open(self.nginx.access_path) as f:
            self.assertIn('principal="arn:aws:sts::', f.read())

    def test_get_own_object(self):
        c = self.creds("user-alice")
        s3 = self.s3(c)
        data = b"hello from alice " * 100
        s3.put_object(Bucket=BUCKET, Key="user-alice/get.txt", Body=data)
        n0 = self.audit_count()
        got = s3.get_object(Bucket=BUCKET, Key="user-alice/get.txt")
        self.assertEqual(got["Body"].read(), data)
        (rec,) = self.new_authorize(n0)
        self.assertEqual(rec["requestParameters"]["action"], "s3:GetObject")
        self.assertEqual(rec["requestParameters"]["decision"], "allowed")

    def test_other_users_prefix_denied(self):
        c = self.creds("user-alice")
        before = self.files()
        n0 = self.audit_count()
        with self.assertRaises(ClientError) as cm:
            self.s3(c).put_object(Bucket=BUCKET, Key="user-bob/x",
                                  Body=b"not alice's")
        self.assert_s3_error(cm, "AccessDenied")
        self.assertEqual(self.files(), before)
        self.assertFalse(os.path.exists(
            os.path.join(self.root, BUCKET, "user-bob")))
        (rec,) = self.new_authorize(n0)
        req = rec["requestParameters"]
        self.assertEqual(req["action"], "s3:PutObject")
        self.assertEqual(req["resource"], f"arn:aws:s3:::{BUCKET}/user-bob/x")
        self.assertEqual(req["decision"], "implicitDeny")
        self.assertEqual(rec["errorCode"], "AccessDenied")

    def test_prefix_follows_the_token_subject(self):
        """${<issuer>:sub} is per session: bob writes his own prefix and
        alice cannot read it."""
        bob = self.s3(self.creds("user-bob"))
        bob.put_object(Bucket=BUCKET, Key="user-bob/notes.txt", Body=b"bob")
        with open(os.path.join(self.root, BUCKET, "user-bob",
                               "notes.txt"), "rb") as f:
            self.assertEqual(f.read(), b"bob")
        n0 = self.audit_count()
        with self.assertRaises(ClientError) as cm:
            self.s3(self.creds("user-alice")).get_object(
                Bucket=BUCKET, Key="user-bob/notes.txt")
        self.assert_s3_error(cm, "AccessDenied")
        (rec,) = self.new_authorize(n0)
        self.assertEqual(rec["requestParameters"]["decision"],
                         "implicitDeny")

    def test_list_bucket_denied(self):
        n0 = self.audit_count()
        with self.assertRaises(ClientError) as cm:
            self.s3(self.creds("user-alice")).list_objects_v2(
                Bucket=BUCKET)
        self.assert_s3_error(cm, "AccessDenied")
        (rec,) = self.new_authorize(n0)
        self.assertEqual(rec["requestParameters"]["action"], "s3:ListBucket")
        self.assertEqual(rec["requestParameters"]["resource"],
                         f"arn:aws:s3:::{BUCKET}")
        self.assertEqual(rec["requestParameters"]["decision"],
                         "implicitDeny")

    def test_hand_signed_request_and_tampered_signature(self):
        c = self.creds("user-alice")
        # control: botocore's signer + http.client is a valid request
        ok = self.signed(c, "PUT", f"/{BUCKET}/user-alice/hand.bin",
                         body=b"signed by hand")
        r = self.send(ok)
        self.assertEqual(r.status, 201, r)
        # a client that signs Content-Length too (nginx passes it to
        # fedgate as X-Original-Content-Length; the subrequest has none)
        body = b"length signed"
        ok = self.signed(c, "PUT", f"/{BUCKET}/user-alice/hand-len.bin",
                         body=body,
                         headers={"Content-Length": str(len(body))})
        self.assertIn("content-length",
                      ok.headers["Authorization"].split("SignedHeaders=")[1]
                      .split(",")[0].split(";"))
        r = self.send(ok)
        self.assertEqual(r.status, 201, r)
        self.assertEqual(self.files()[f"{BUCKET}/user-alice/hand-len.bin"],
                         body)
        before = self.files()
        req = self.signed(c, "PUT", f"/{BUCKET}/user-alice/tampered.bin",
                          body=b"tampered")
        auth = req.headers["Authorization"]
        i = auth.rindex("Signature=") + len("Signature=") + 17
        flipped = "0" if auth[i] != "0" else "1"
        req.headers["Authorization"] = auth[:i] + flipped + auth[i + 1:]
        n0 = self.audit_count()
        r = self.send(req)
        self.assert_denied_xml(r, "SignatureDoesNotMatch")
        self.assertEqual(self.files(), before)
        (rec,) = self.new_authorize(n0)
        self.assertEqual(rec["errorCode"], "SignatureDoesNotMatch")
        self.assertIsNone(rec["requestParameters"].get("decision"))
        # the same request, straight to fedgate: 401 and the code header
        d = self.authorize(req)
        self.assertEqual(d.status, 401, d)
        self.assertEqual(d.headers.get("x-fedgate-error-code"),
                         "SignatureDoesNotMatch")

    def test_signed_for_another_key_is_refused(self):
        """A valid signature for alice's key, replayed on bob's path."""
        c = self.creds("user-alice")
        req = self.signed(c, "PUT", f"/{BUCKET}/user-alice/a.bin",
                          body=b"x")
        before = self.files()
        r = self.send(req, path=f"/{BUCKET}/user-bob/a.bin")
        self.assert_denied_xml(r, "SignatureDoesNotMatch")
        self.assertEqual(self.files(), before)

    def test_client_cannot_choose_action_or_uri(self):
        """X-Fedgate-* and X-Original-* sent by the client never reach
        fedgate: nginx replaces them."""
        c = self.creds("user-alice")
        req = self.signed(c, "PUT", f"/{BUCKET}/user-bob/spoof.bin",
                          body=b"spoof")
        before = self.files()
        n0 = self.audit_count()
        r = self.send(req, extra={
            "X-Fedgate-Action": "s3:PutObject",
            "X-Fedgate-Resource":
            f"arn:aws:s3:::{BUCKET}/user-alice/spoof.bin",
            "X-Original-URI": f"/{BUCKET}/user-alice/spoof.bin",
            "X-Original-Method": "GET"})
        self.assert_denied_xml(r, "AccessDenied")
        self.assertEqual(self.files(), before)
        (rec,) = self.new_authorize(n0)
        self.assertEqual(rec["requestParameters"]["resource"],
                         f"arn:aws:s3:::{BUCKET}/user-bob/spoof.bin")
        self.assertEqual(rec["requestParameters"]["action"], "s3:PutObject")

    def test_paths_nginx_would_normalize_are_refused(self):
        """nginx stores at its normalized $uri: a raw path that
        normalizes into another prefix must never be allowed."""
        c = self.creds("user-alice")
        before = self.files()
        # validly signed raw paths (SigV4 for S3 signs the path as sent):
        # refused by fedgate's key check, not by the signature
        for raw in (f"/{BUCKET}/user-alice/../user-bob/dot.bin",
                    f"/{BUCKET}/../{BUCKET}/user-alice/dot.bin",
                    f"/{BUCKET}/user-alice/./dot.bin",
                    f"/{BUCKET}/user-alice//dot.bin"):
            with self.subTest(raw=raw):
                n0 = self.audit_count()
                r = self.send(self.signed(c, "PUT", raw, body=b"evil"))
                self.assert_denied_xml(r, "AccessDenied")
                (rec,) = self.new_authorize(n0)
                self.assertEqual(rec["reason"], "operation_unsupported")
        # encoded dots and slashes: botocore signs "%" literally, so
        # these fail earlier (signature); either way, refused
        for raw in (f"/{BUCKET}/user-alice/%2e%2e/user-bob/dot.bin",
                    f"/{BUCKET}/user-alice%2fdot.bin"):
            with self.subTest(raw=raw):
                r = self.send(self.signed(c, "PUT", raw, body=b"evil"))
                self.assertEqual(r.status, 403, r)
        self.assertEqual(self.files(), before)

    def test_aws_chunked_body_refused(self):
        """nginx would store the chunk framing as the object: refused
        before anything is written (whatever the signature)."""
        c = self.creds("user-alice")
        body = b"5;chunk-signature=00\r\nhello\r\n0\r\n\r\n"
        before = self.files()
        for extra in ({"x-amz-content-sha256":
                       "STREAMING-UNSIGNED-PAYLOAD-TRAILER"},
                      {"Content-Encoding": "aws-chunked"}):
            with self.subTest(extra=extra):
                # set after signing: botocore's signer would replace a
                # x-amz-content-sha256 (the refusal precedes auth anyway)
                req = self.signed(c, "PUT", f"/{BUCKET}/user-alice/chunk",
                                  body=body)
                r = self.send(req, extra=extra)
                self.assertEqual(r.status, 501, r)
                self.assertIn("<Code>NotImplemented</Code>", r.text())
        self.assertEqual(self.files(), before)

    def test_delete_not_granted(self):
        s3 = self.s3(self.creds("user-alice"))
        s3.put_object(Bucket=BUCKET, Key="user-alice/keep.txt", Body=b"k")
        n0 = self.audit_count()
        with self.assertRaises(ClientError) as cm:
            s3.delete_object(Bucket=BUCKET, Key="user-alice/keep.txt")
        self.assert_s3_error(cm, "AccessDenied")
        self.assertEqual(self.files()[f"{BUCKET}/user-alice/keep.txt"], b"k")
        (rec,) = self.new_authorize(n0)
        self.assertEqual(rec["requestParameters"]["action"],
                         "s3:DeleteObject")
        self.assertEqual(rec["requestParameters"]["decision"],
                         "implicitDeny")

    def forged(self, sub, mutate, kid=None, key=None):
        """alice's real session token, opened with fedgate's key ring,
        changed by mutate(session) and sealed again under (kid, key)
        (default: fedgate's active key)."""
        c = dict(self.creds(sub))
        keys = H.keyring_keys(os.path.join(self.tmp, "state"))
        session = H.session_unseal(keys, c["SessionToken"])
        self.assertEqual(session["ak"], c["AccessKeyId"])
        mutate(session)
        akid, akey = keys[-1]
        c["SessionToken"] = H.session_seal(kid or akid, key or akey, session)
        return c

    def test_forged_token_control(self):
        """The forging helper reproduces tokens fedgate accepts, so the
        refusals below are about expiry and keys, not the format."""
        c = self.forged("user-alice", lambda s: None)
        self.s3(c).put_object(Bucket=BUCKET, Key="user-alice/forged-ok",
                              Body=b"ok")
        self.assertIn(f"{BUCKET}/user-alice/forged-ok", self.files())

    def test_expired_session(self):
        now = int(time.time())

        def expire(s):
            s["iat"] = now - 3600
            s["exp"] = now - 60
        c = self.forged("user-alice", expire)
        before = self.files()
        n0 = self.audit_count()
        with self.assertRaises(ClientError) as cm:
            self.s3(c).put_object(Bucket=BUCKET, Key="user-alice/late",
                                  Body=b"too late")
        self.assert_s3_error(cm, "ExpiredToken")
        self.assertEqual(self.files(), before)
        (rec,) = self.new_authorize(n0)
        self.assertEqual(rec["errorCode"], "ExpiredToken")
        self.assertEqual(rec["reason"], "session_token_expired")
        d = self.authorize(self.signed(c, "PUT", f"/{BUCKET}/user-alice/l",
                                       body=b"x"))
        self.assertEqual(d.status, 401, d)
        self.assertEqual(d.headers.get("x-fedgate-error-code"),
                         "ExpiredToken")

    def test_token_from_another_key_ring(self):
        cases = {
            "unknown key id": (os.urandom(4), os.urandom(32)),
            "known key id, other key": (None, os.urandom(32)),
        }
        for name, (kid, key) in cases.items():
            with self.subTest(name):
                c = self.forged("user-alice", lambda s: None, kid=kid,
                                key=key)
                before = self.files()
                n0 = self.audit_count()
                with self.assertRaises(ClientError) as cm:
                    self.s3(c).put_object(Bucket=BUCKET,
                                          Key="user-alice/foreign",
                                          Body=b"foreign")
                self.assert_s3_error(cm, "InvalidClientTokenId")
                self.assertEqual(self.files(), before)
                (rec,) = self.new_authorize(n0)
                self.assertEqual(rec["errorCode"], "InvalidClientTokenId")

    def test_presigned_put_until_it_expires(self):
        s3 = self.s3(self.creds("user-alice"))
        t0 = int(time.time())
        urls = [s3.generate_presigned_url(
            "put_object", Params={"Bucket": BUCKET,
                                  "Key": f"user-alice/pre-{i}.txt"},
            ExpiresIn=2) for i in (1, 2)]
        self.assertIn("X-Amz-Security-Token=", urls[0])

        def put(url, data):
            req = urllib.request.Request(url, data=data, method="PUT")
            try:
                with urllib.request.urlopen(req, timeout=10) as r:
                    return r.status, r.read()
            except urllib.error.HTTPError as e:
                return e.code, e.read()
        st, body = put(urls[0], b"presigned 1")
        self.assertIn(st, (200, 201), body)
        pre1 = os.path.join(self.root, BUCKET, "user-alice", "pre-1.txt")
        with open(pre1, "rb") as f:
            self.assertEqual(f.read(), b"presigned 1")
        # X-Amz-Date is t0 or earlier, valid through t0 + 2 (inclusive)
        time.sleep(max(0.0, t0 + 3.5 - time.time()))
        before = self.files()
        n0 = self.audit_count()
        st, body = put(urls[1], b"presigned 2")
        self.assertEqual(st, 403, body)
        self.assertIn(b"<Code>RequestExpired</Code>", body)
        st, body = put(urls[0], b"overwritten")
        self.assertEqual(st, 403, body)
        self.assertEqual(self.files(), before)
        recs = self.new_authorize(n0, want=2)
        self.assertEqual([r["errorCode"] for r in recs],
                         ["RequestExpired"] * 2)


if __name__ == "__main__":
    unittest.main()
