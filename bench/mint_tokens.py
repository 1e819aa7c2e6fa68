#!/usr/bin/python3
"""Mint benchmark ID tokens and the JWKS that verifies them.

Uses Debian's python3-jwt and python3-cryptography only (run with
/usr/bin/python3). Two subcommands:

  mint_tokens.py jwks OUT KID=PEM [KID=PEM ...]
      write a static JWKS with the public halves of the given private keys
      (RSA or EC P-256), one JWK per key, "kid" as given.

  mint_tokens.py tokens --key PEM --kid KID --alg RS256 --iss ISS \
                        --aud AUD --count N --out FILE [--ttl SECONDS]
      write N distinct signed ID tokens, one per line: every token has its
      own sub and jti, so a verifier cannot serve repeats from a cache.
"""

import argparse
import base64
import json
import os
import sys
import time
import uuid

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa


def b64url_uint(n, length=None):
    """Big-endian unsigned integer as unpadded base64url (RFC 7518 §6)."""
    if length is None:
        length = (n.bit_length() + 7) // 8
    raw = n.to_bytes(length, "big")
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def load_key(path):
    with open(path, "rb") as f:
        return serialization.load_pem_private_key(f.read(), password=None)


def public_jwk(key, kid):
    if isinstance(key, rsa.RSAPrivateKey):
        pub = key.public_key().public_numbers()
        return {"kty": "RSA", "kid": kid, "use": "sig", "alg": "RS256",
                "n": b64url_uint(pub.n), "e": b64url_uint(pub.e)}
    if isinstance(key, ec.EllipticCurvePrivateKey):
        if not isinstance(key.curve, ec.SECP256R1):
            raise SystemExit("only P-256 EC keys are supported")
        pub = key.public_key().public_numbers()
        # Coordinates are fixed-length (32 bytes) for P-256.
        return {"kty": "EC", "kid": kid, "use": "sig", "alg": "ES256",
                "crv": "P-256", "x": b64url_uint(pub.x, 32),
                "y": b64url_uint(pub.y, 32)}
    raise SystemExit("unsupported key type: %s" % type(key).__name__)


def cmd_jwks(args):
    keys = []
    for spec in args.keys:
        kid, sep, path = spec.partition("=")
        if not sep or not kid or not path:
            raise SystemExit("expected KID=PEM, got %r" % spec)
        keys.append(public_jwk(load_key(path), kid))
    write_atomic(args.out, json.dumps({"keys": keys}, indent=2) + "\n")
    return 0


def cmd_tokens(args):
    if args.count < 1:
        raise SystemExit("--count must be positive")
    key = load_key(args.key)
    now = int(time.time())
    run = uuid.uuid4().hex[:8]
    lines = []
    for i in range(args.count):
        claims = {
            "iss": args.iss,
            "aud": args.aud,
            "sub": "bench-%s-%06d" % (run, i),
            "jti": uuid.uuid4().hex,
            "iat": now,
            "exp": now + args.ttl,
        }
        tok = jwt.encode(claims, key, algorithm=args.alg,
                         headers={"kid": args.kid, "typ": "JWT"})
        if isinstance(tok, bytes):  # PyJWT < 2
            tok = tok.decode("ascii")
        lines.append(tok)
    if len(set(lines)) != len(lines):
        raise SystemExit("minted duplicate tokens")
    write_atomic(args.out, "\n".join(lines) + "\n")
    return 0


def write_atomic(path, text):
    tmp = path + ".tmp"
    with open(tmp, "w", encoding="ascii") as f:
        f.write(text)
    os.replace(tmp, path)


def main(argv):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = ap.add_subparsers(dest="cmd", required=True)

    j = sub.add_parser("jwks", help="write a JWKS for private keys")
    j.add_argument("out")
    j.add_argument("keys", nargs="+", metavar="KID=PEM")
    j.set_defaults(func=cmd_jwks)

    t = sub.add_parser("tokens", help="mint distinct signed ID tokens")
    t.add_argument("--key", required=True)
    t.add_argument("--kid", required=True)
    t.add_argument("--alg", required=True,
                   choices=["RS256", "RS384", "RS512", "PS256", "ES256"])
    t.add_argument("--iss", required=True)
    t.add_argument("--aud", required=True)
    t.add_argument("--count", type=int, default=1000)
    t.add_argument("--ttl", type=int, default=7200)
    t.add_argument("--out", required=True)
    t.set_defaults(func=cmd_tokens)

    args = ap.parse_args(argv)
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
