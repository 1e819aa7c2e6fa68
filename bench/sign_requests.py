#!/usr/bin/python3
"""Session credentials and pre-signed SigV4 requests for bench/authorize.sh.

Uses Debian's python3-boto3 / python3-botocore only (run with
/usr/bin/python3). Signatures are made by botocore's own SigV4 signers
(SigV4Auth for STS, S3SigV4Auth for S3), as an unmodified SDK makes them;
only the timestamp is chosen here, so that requests differ.

  sign_requests.py creds --endpoint URL --key-id AKIA... --secret-file F \\
                         --role-arn ARN --session-name NAME --out FILE
      AssumeRole with the user's long-term key, check the credentials with
      GetCallerIdentity, write {AccessKeyId, SecretAccessKey, SessionToken,
      UserId, Arn} as JSON (mode 0600).

  sign_requests.py authorize --creds FILE --count N --host HOST \\
                             --bucket B --out FILE [--spread S]
      N distinct S3 PutObject requests for /B/<UserId>/<n>.bin, each signed
      with the session credentials, written as GET /authorize lines with
      the headers nginx auth_request passes (X-Original-Method,
      X-Original-URI, Host, Authorization, X-Amz-Date,
      X-Amz-Security-Token, X-Amz-Content-SHA256).

  sign_requests.py gci --creds FILE --count N --host HOST --out FILE
                       [--spread S]
      N distinct GetCallerIdentity POSTs signed with the session credentials.

Distinct: authorize requests differ in key, payload hash and X-Amz-Date;
GetCallerIdentity requests (fixed body) in X-Amz-Date and the region of the
credential scope (fedgate accepts any region). Dates are spread over the
last S seconds (default 240), so every signature stays inside the
+-15-minute window for at least 15 min - S after signing: sign right
before each run.

Output, one request per line, tab-separated (values never contain tabs):
  METHOD <TAB> PATH <TAB> BODY <TAB> Name: value <TAB> Name: value ...
"""

import argparse
import datetime
import hashlib
import json
import os
import sys
from urllib.parse import quote

import boto3
from botocore.auth import SIGV4_TIMESTAMP, S3SigV4Auth, SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

GCI_BODY = "Action=GetCallerIdentity&Version=2011-06-15"
# Regions cycled through the credential scope of GetCallerIdentity requests.
REGIONS = ["us-east-1", "us-east-2", "us-west-1", "us-west-2", "eu-west-1",
           "eu-central-1", "ap-southeast-1", "ap-northeast-1", "sa-east-1",
           "ca-central-1"]


def sign_at(signer, request, when):
    """botocore's SigV4Auth.add_auth with a chosen timestamp."""
    request.context["timestamp"] = when.strftime(SIGV4_TIMESTAMP)
    signer._modify_request_before_signing(request)
    canonical = signer.canonical_request(request)
    string_to_sign = signer.string_to_sign(request, canonical)
    signer._inject_signature_to_request(
        request, signer.signature(string_to_sign, request))


def line(method, path, body, headers):
    fields = [method, path, body]
    for name, value in headers:
        if "\t" in value or "\n" in value:
            raise SystemExit("header %s contains a tab or newline" % name)
        fields.append("%s: %s" % (name, value))
    return "\t".join(fields) + "\n"


def write_private(path, text):
    tmp = path + ".tmp"
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as f:
        f.write(text)
    os.replace(tmp, path)


def load_creds(path):
    with open(path) as f:
        c = json.load(f)
    return c, Credentials(c["AccessKeyId"], c["SecretAccessKey"],
                          c["SessionToken"])


def timestamps(count, spread):
    now = datetime.datetime.now(datetime.timezone.utc).replace(tzinfo=None)
    for i in range(count):
        yield i, now - datetime.timedelta(seconds=i % spread)


def cmd_creds(args):
    with open(args.secret_file) as f:
        secret = f.read().strip()
    sts = boto3.client("sts", endpoint_url=args.endpoint,
                       region_name="us-east-1",
                       aws_access_key_id=args.key_id,
                       aws_secret_access_key=secret)
    out = sts.assume_role(RoleArn=args.role_arn,
                          RoleSessionName=args.session_name,
                          DurationSeconds=3600)["Credentials"]
    sess = boto3.client("sts", endpoint_url=args.endpoint,
                        region_name="us-east-1",
                        aws_access_key_id=out["AccessKeyId"],
                        aws_secret_access_key=out["SecretAccessKey"],
                        aws_session_token=out["SessionToken"])
    who = sess.get_caller_identity()
    creds = {k: out[k] for k in ("AccessKeyId", "SecretAccessKey",
                                 "SessionToken")}
    creds["UserId"] = who["UserId"]
    creds["Arn"] = who["Arn"]
    write_private(args.out, json.dumps(creds) + "\n")
    print("bench: session %s (%s)" % (who["Arn"], who["UserId"]),
          file=sys.stderr)
    return 0


def cmd_authorize(args):
    c, creds = load_creds(args.creds)
    signer = S3SigV4Auth(creds, "s3", "us-east-1")
    # botocore quotes S3 keys with safe='/~': the ':' of AROA...:session
    # travels as %3A, and S3 signs the path exactly as sent.
    prefix = "/%s/%s/" % (args.bucket, quote(c["UserId"], safe=""))
    out = []
    for i, when in timestamps(args.count, args.spread):
        path = "%s%06d.bin" % (prefix, i)
        body = ("bench object %d\n" % i).encode()
        req = AWSRequest(method="PUT", url="http://%s%s" % (args.host, path),
                         data=body)
        req.headers["X-Amz-Content-SHA256"] = hashlib.sha256(body).hexdigest()
        sign_at(signer, req, when)
        out.append(line("GET", "/authorize", "", [
            ("Host", args.host),
            ("X-Original-Method", "PUT"),
            ("X-Original-URI", path),
            ("Authorization", req.headers["Authorization"]),
            ("X-Amz-Date", req.headers["X-Amz-Date"]),
            ("X-Amz-Security-Token", req.headers["X-Amz-Security-Token"]),
            ("X-Amz-Content-SHA256", req.headers["X-Amz-Content-SHA256"]),
        ]))
    write_private(args.out, "".join(out))
    return 0


def cmd_gci(args):
    _, creds = load_creds(args.creds)
    out = []
    for i, when in timestamps(args.count, args.spread):
        region = REGIONS[(i // args.spread) % len(REGIONS)]
        req = AWSRequest(method="POST", url="http://%s/" % args.host,
                         data=GCI_BODY.encode())
        req.headers["Content-Type"] = \
            "application/x-www-form-urlencoded; charset=utf-8"
        sign_at(SigV4Auth(creds, "sts", region), req, when)
        out.append(line("POST", "/", GCI_BODY, [
            ("Host", args.host),
            ("Content-Type", req.headers["Content-Type"]),
            ("Authorization", req.headers["Authorization"]),
            ("X-Amz-Date", req.headers["X-Amz-Date"]),
            ("X-Amz-Security-Token", req.headers["X-Amz-Security-Token"]),
        ]))
    write_private(args.out, "".join(out))
    return 0


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    sub = ap.add_subparsers(dest="cmd", required=True)
    p = sub.add_parser("creds")
    for opt in ("--endpoint", "--key-id", "--secret-file", "--role-arn",
                "--session-name", "--out"):
        p.add_argument(opt, required=True)
    for name in ("authorize", "gci"):
        p = sub.add_parser(name)
        p.add_argument("--creds", required=True)
        p.add_argument("--count", type=int, required=True)
        p.add_argument("--host", required=True)
        p.add_argument("--out", required=True)
        p.add_argument("--spread", type=int, default=240)
        if name == "authorize":
            p.add_argument("--bucket", required=True)
    args = ap.parse_args()
    if args.cmd != "creds":
        if args.count < 1 or not 1 <= args.spread <= 600:
            raise SystemExit("--count must be positive, --spread 1..600")
        if args.cmd == "gci" and args.count > args.spread * len(REGIONS):
            raise SystemExit("at most %d distinct GetCallerIdentity requests"
                             % (args.spread * len(REGIONS)))
    return {"creds": cmd_creds, "authorize": cmd_authorize,
            "gci": cmd_gci}[args.cmd](args)


if __name__ == "__main__":
    sys.exit(main())
