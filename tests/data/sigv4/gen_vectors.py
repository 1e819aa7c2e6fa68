#!/usr/bin/python3
"""Generate SigV4 test vectors with Debian's botocore (independent signer).

Run with Debian's interpreter (python3-botocore 1.29, no awscrt):

    /usr/bin/python3 tests/data/sigv4/gen_vectors.py > tests/data/sigv4/vectors.jsonl
    /usr/bin/python3 tests/data/sigv4/gen_vectors.py --corpus tests/fuzz/corpus/fuzz_sigv4

Each output line is one JSON object:

    name          short description
    service       signing service ("s3" means no path normalization and
                  single encoding)
    method        HTTP method
    path          raw request path, exactly as on the request line
    query         raw query (after '?'), "" if none
    headers       [[name, value], ...] as sent (order and repeats kept),
                  including Host, which botocore leaves to the HTTP layer
    body_hex      request body in hex
    presigned     true for the X-Amz-* query form
    payload_signed  false when the body is not covered by the signature
                  (UNSIGNED-PAYLOAD), so flipping a body byte must still pass
    authorization the Authorization header value botocore produced (also in
                  headers), or null for presigned
    signature     the expected signature (lowercase hex)
    canonical_request  botocore's canonical request text

Requests come from two paths: real boto3 clients whose HTTP send is
intercepted by a 'before-send' handler (serializer and signer exactly as a
user gets them), and hand-built AWSRequests signed with the SigV4 classes
for shapes the clients do not produce on their own (repeated query names,
empty values, odd header spacing, the JS SDK v3 header set).

Each request is signed twice: by botocore's Python signer and by aws-c-auth
(botocore.crt, python3-awscrt), two independent implementations. The JS SDK
v3 vectors come from gen_js_vectors.mjs (vectors_js.jsonl).

The clock is fixed by replacing botocore.auth's datetime module, and the
credentials are fixed, so the output is reproducible.
"""

import datetime
import json
import os
import sys
import types
from urllib.parse import urlsplit

import boto3
import botocore.auth as ba
import botocore.crt.auth as crt_auth
from botocore.awsrequest import AWSRequest, AWSResponse
from botocore.config import Config
from botocore.credentials import Credentials

AKID = "AKIDEXAMPLE"
SECRET = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"
SESSION_AKID = "ASIAFEDGATEEXAMPLE01"
SESSION_SECRET = "9drTJvcXLB89EXAMPLELB8923FB892xMFI+/abcd"
TOKEN = ("FwoGZXIvYXdzEXAMPLE//////////wEaDFAKE+TOKEN/with=base64"
         "+chars/and/slashes==")


class FixedDT(datetime.datetime):
    """2015-08-30T12:36:00Z, the timestamp of AWS's documented example."""

    @classmethod
    def utcnow(cls):
        return cls(2015, 8, 30, 12, 36, 0)


_fixed = types.SimpleNamespace(datetime=FixedDT, timezone=datetime.timezone)
ba.datetime = _fixed
crt_auth.datetime = _fixed

PY_SIGNERS = {"v4": ba.SigV4Auth, "v4-query": ba.SigV4QueryAuth,
              "s3v4": ba.S3SigV4Auth, "s3v4-query": ba.S3SigV4QueryAuth}
CRT_SIGNERS = {"v4": crt_auth.CrtSigV4Auth,
               "v4-query": crt_auth.CrtSigV4QueryAuth,
               "s3v4": crt_auth.CrtS3SigV4Auth,
               "s3v4-query": crt_auth.CrtS3SigV4QueryAuth}
signer_kind = ["crt"]


def use_signers(kind):
    """boto3 clients pick their signer class from AUTH_TYPE_MAPS."""
    signer_kind[0] = kind
    ba.AUTH_TYPE_MAPS.update(PY_SIGNERS if kind == "botocore" else
                             CRT_SIGNERS)

# Record the canonical request each signer builds.
_last_cr = []
_orig_cr = ba.SigV4Auth.canonical_request


def _rec_cr(self, request):
    cr = _orig_cr(self, request)
    _last_cr.append(cr)
    return cr


ba.SigV4Auth.canonical_request = _rec_cr

out = []
PINNED = {"user-agent": "Boto3 (gen_vectors.py)",
          "amz-sdk-invocation-id": "00000000-0000-4000-8000-000000000000"}


def host_of(url):
    return ba._host_from_url(url)


def emit(name, service, method, url, headers, body, presigned,
         payload_signed):
    parts = urlsplit(url)
    hdrs = [[k, v] for k, v in headers]
    if not any(k.lower() == "host" for k, _ in hdrs):
        hdrs.insert(0, ["Host", host_of(url)])
    auth = None
    if presigned:
        sig = [p.split("=", 1)[1] for p in parts.query.split("&")
               if p.startswith("X-Amz-Signature=")][0]
    else:
        auth = [v for k, v in hdrs if k.lower() == "authorization"][0]
        sig = auth.rsplit("Signature=", 1)[1]
    if isinstance(body, str):
        body = body.encode()
    # Unsigned headers that vary between runs (random invocation id, the
    # kernel version in User-Agent) are pinned so the output is stable.
    signed = (auth.split("SignedHeaders=")[1].split(",")[0].split(";")
              if auth else [])
    for h in hdrs:
        if h[0].lower() not in signed and h[0].lower() in PINNED:
            h[1] = PINNED[h[0].lower()]
    out.append({
        "signer": signer_kind[0],
        "name": "%s: %s" % (signer_kind[0], name), "service": service, "method": method,
        "path": parts.path, "query": parts.query, "headers": hdrs,
        "body_hex": (body or b"").hex(), "presigned": presigned,
        "payload_signed": payload_signed, "authorization": auth,
        "signature": sig, "canonical_request": _last_cr[-1] if _last_cr else None,
    })


def header_items(h):
    """All (name, value) pairs in order, repeats kept (HTTPHeaders.items)."""
    return [(k, v.decode() if isinstance(v, bytes) else v)
            for k, v in h.items()]


# ---- real boto3 clients, send intercepted ------------------------------

class Capture:
    def __init__(self):
        self.req = None

    def __call__(self, request, **kwargs):
        self.req = request
        return AWSResponse(request.url, 200, {}, None)


def client(service, endpoint, creds, **cfg):
    sess = boto3.session.Session(
        aws_access_key_id=creds[0], aws_secret_access_key=creds[1],
        aws_session_token=creds[2] if len(creds) > 2 else None,
        region_name="us-east-1")
    c = sess.client(service, endpoint_url=endpoint,
                    config=Config(signature_version="s3v4"
                                  if service == "s3" else "v4",
                                  s3={"addressing_style": "path"}, **cfg))
    cap = Capture()
    c.meta.events.register("before-send", cap)
    return c, cap


def call(c, cap, op, **kw):
    _last_cr.clear()
    try:
        getattr(c, op)(**kw)
    except Exception:
        pass  # the stub response does not parse; the request is captured
    r = cap.req
    cap.req = None
    body = r.body
    if hasattr(body, "read"):
        body.seek(0)
        body = body.read()
    return r, body


def client_vectors():
    sess_creds = (SESSION_AKID, SESSION_SECRET, TOKEN)
    # STS GetCallerIdentity as awscli/boto3 sign it: a POST form body and
    # SignedHeaders=content-type;host;x-amz-date;x-amz-security-token.
    for ep in ("https://sts.amazonaws.com", "http://127.0.0.1:8080"):
        c, cap = client("sts", ep, sess_creds)
        r, body = call(c, cap, "get_caller_identity")
        emit("sts GetCallerIdentity " + ep, "sts", r.method, r.url,
             header_items(r.headers), body, False, True)
    c, cap = client("sts", "https://sts.amazonaws.com", (AKID, SECRET))
    r, body = call(c, cap, "assume_role",
                   RoleArn="arn:aws:iam::111122223333:role/demo",
                   RoleSessionName="s1", ExternalId="a b+c/d=e~f")
    emit("sts AssumeRole long-term key", "sts", r.method, r.url,
         header_items(r.headers), body, False, True)

    # S3 over plain http: the payload hash is always signed.
    keys = ["uploads/user1/photo.jpg", "dir/with space/a b.txt",
            "unicode/\u00e9t\u00e9/\u6587\u4ef6.bin", "plus+sign/a+b",
            "tilde~/x~y", "percent%/100%25.txt", "odd/!$&'()*,;=:@.txt",
            "dots/./x/../y", "slashes//double"]
    c, cap = client("s3", "http://127.0.0.1:9000", sess_creds)
    for k in keys:
        r, body = call(c, cap, "put_object", Bucket="uploads", Key=k,
                       Body=b"hello " + k.encode())
        emit("s3 PUT signed body " + k, "s3", r.method, r.url,
             header_items(r.headers), body, False, True)
    r, body = call(c, cap, "get_object", Bucket="uploads", Key=keys[1])
    emit("s3 GET", "s3", r.method, r.url, header_items(r.headers), body,
         False, True)
    r, body = call(c, cap, "list_objects_v2", Bucket="uploads",
                   Prefix="dir/with space/", Delimiter="/", MaxKeys=5)
    emit("s3 ListObjectsV2 query", "s3", r.method, r.url,
         header_items(r.headers), body, False, True)

    # S3 with payload signing off: x-amz-content-sha256: UNSIGNED-PAYLOAD.
    c, cap = client("s3", "https://s3.us-east-1.amazonaws.com", sess_creds,
                    )
    c.meta.config.s3["payload_signing_enabled"] = False
    r, body = call(c, cap, "put_object", Bucket="uploads",
                   Key="unsigned/data.bin", Body=b"\x00\x01binary\xff")
    emit("s3 PUT UNSIGNED-PAYLOAD", "s3", r.method, r.url,
         header_items(r.headers), body, False, False)

    # Presigned URLs (S3SigV4QueryAuth: UNSIGNED-PAYLOAD, host only).
    for creds in (sess_creds, (AKID, SECRET)):
        c, cap = client("s3", "http://127.0.0.1:9000", creds)
        for op, k, exp in (("put_object", "uploads/user1/new file.txt",
                            900),
                           ("get_object", "uploads/user1/\u00e9+~.txt",
                            604800)):
            _last_cr.clear()
            url = c.generate_presigned_url(
                op, Params={"Bucket": "uploads", "Key": k}, ExpiresIn=exp)
            m = "PUT" if op == "put_object" else "GET"
            body = b"presigned body" if m == "PUT" else b""
            emit("s3 presigned %s %s token=%s" % (m, k, len(creds) > 2),
                 "s3", m, url, [], body, True, False)


# ---- hand-built requests ------------------------------------------------

def sign(kind, service, method, url, headers, body=b"", creds=None,
         **kw):
    signer_cls = (PY_SIGNERS if signer_kind[0] == "botocore" else
                  CRT_SIGNERS)[kind]
    _last_cr.clear()
    creds = creds or (AKID, SECRET)
    r = AWSRequest(method, url, headers=dict(headers) if isinstance(
        headers, dict) else None, data=body)
    if not isinstance(headers, dict):
        for k, v in headers:
            r.headers[k] = v
    signer_cls(Credentials(*creds), service, "us-east-1", **kw).add_auth(r)
    return r


def manual_vectors():
    r = sign("v4", "iam", "GET",
             "https://iam.amazonaws.com/?Action=ListUsers&Version=2010-05-08",
             {"Content-Type":
              "application/x-www-form-urlencoded; charset=utf-8",
              "Host": "iam.amazonaws.com"})
    emit("AWS documented example (iam ListUsers)", "iam", "GET", r.url,
         header_items(r.headers), b"", False, True)

    # Repeated names and empty values; raw order differs from sorted order.
    url = ("https://example.amazonaws.com/?b=2&a=&a=z&a=1&c&Zeta=%20x"
           "&b=10&empty=")
    r = sign("v4", "execute-api", "GET", url, {})
    emit("query repeated names, empty values", "execute-api", "GET", r.url,
         header_items(r.headers), b"", False, True)

    # Header values: leading/trailing whitespace, inner runs of spaces,
    # a header given twice.
    r = sign("v4", "sts", "POST", "https://sts.amazonaws.com/",
             [("Content-Type", "application/x-www-form-urlencoded"),
              ("X-Amz-Meta-Note", "   a   b    c  "),
              ("X-Amz-Meta-Multi", "first  value"),
              ("X-Amz-Meta-Multi", " second\tvalue ")],
             b"Action=GetCallerIdentity&Version=2011-06-15")
    emit("header whitespace and repeated header", "sts", "POST", r.url,
         header_items(r.headers), r.body, False, True)

    # A Date header instead of X-Amz-Date: botocore rewrites it in RFC
    # 1123 form ("-0000") and signs it; the scope still uses ISO 8601.
    r = sign("v4", "sts", "POST", "https://sts.amazonaws.com/",
             {"Date": "placeholder",
              "Content-Type": "application/x-www-form-urlencoded"},
             b"Action=GetCallerIdentity&Version=2011-06-15")
    emit("Date header instead of X-Amz-Date", "sts", "POST", r.url,
         header_items(r.headers), r.body, False, True)

    # Non-S3 path: dot segments, double slashes, double encoding.
    r = sign("v4", "execute-api", "GET",
             "https://api.example.com/a/./b//c/../d%20e/f~g%2Fh/", {})
    emit("non-s3 path normalization and double encoding", "execute-api",
         "GET", r.url, header_items(r.headers), b"", False, True)

    # The header set the JS SDK v3 signs for STS.
    body = b"Action=GetCallerIdentity&Version=2011-06-15"
    r = sign("v4", "sts", "POST", "https://sts.us-east-1.amazonaws.com/",
             [("amz-sdk-invocation-id", "8e0b5d2e-3f0a-4e55-9d1c-0c7d1f1f2a3b"),
              ("amz-sdk-request", "attempt=1; max=3"),
              ("content-length", str(len(body))),
              ("content-type", "application/x-www-form-urlencoded"),
              ("host", "sts.us-east-1.amazonaws.com"),
              ("x-amz-content-sha256", ba.sha256(body).hexdigest()),
              ("x-amz-user-agent", "aws-sdk-js/3.400.0")],
             body, creds=(SESSION_AKID, SESSION_SECRET, TOKEN))
    emit("JS SDK v3 header set", "sts", "POST", r.url,
         header_items(r.headers), body, False, True)

    # Presigned STS GetCallerIdentity (the EKS token shape): SigV4QueryAuth
    # hashes the (empty) body.
    r = sign("v4-query", "sts", "GET",
             "https://sts.amazonaws.com/?Action=GetCallerIdentity"
             "&Version=2011-06-15",
             [("x-k8s-aws-id", "my-cluster")], b"",
             creds=(SESSION_AKID, SESSION_SECRET, TOKEN), expires=60)
    emit("presigned STS GetCallerIdentity (EKS token)", "sts", "GET", r.url,
         header_items(r.headers), b"", True, True)



def write_corpus(d):
    """Seeds for tests/fuzz/fuzz_sigv4.c: method, path and query lines,
    "name: value" header lines, an empty line, then the body."""
    os.makedirs(d, exist_ok=True)
    for i, v in enumerate(out):
        head = "%s\n%s\n%s\n" % (v["method"], v["path"], v["query"])
        head += "".join("%s: %s\n" % (k, val) for k, val in v["headers"])
        with open(os.path.join(d, "vec%02d" % i), "wb") as f:
            f.write(head.encode() + b"\n" + bytes.fromhex(v["body_hex"]))


for kind in ("crt", "botocore"):
    use_signers(kind)
    client_vectors()
    manual_vectors()
if len(sys.argv) == 3 and sys.argv[1] == "--corpus":
    write_corpus(sys.argv[2])
else:
    for v in out:
        print(json.dumps(v, ensure_ascii=False, sort_keys=True))
