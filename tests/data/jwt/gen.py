#!/usr/bin/python3
"""Generate the static JWT fixtures: test keys, their JWKS, and the seed
corpus of tests/fuzz/corpus/fuzz_jwt/.

Run from the repository root: /usr/bin/python3 tests/data/jwt/gen.py
The keys are for tests only. After regenerating, paste jwks.json into
FUZZ_JWKS in tests/fuzz/fuzz_jwt.c (the fuzz target must not read files).
"""
import base64
import json
import os

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa, utils

HERE = os.path.dirname(os.path.abspath(__file__))
CORPUS = os.path.join(HERE, "..", "..", "fuzz", "corpus", "fuzz_jwt")
ISS = "https://idp.example"
EXP = 4102444800  # 2100-01-01; the fuzz target verifies at 1700000000


def b64u(b):
    return base64.urlsafe_b64encode(b).rstrip(b"=").decode()


def uint(n, length=None):
    length = length or (n.bit_length() + 7) // 8
    return b64u(n.to_bytes(length, "big"))


def load_or_make(name, make):
    path = os.path.join(HERE, name)
    if os.path.exists(path):
        with open(path, "rb") as f:
            return serialization.load_pem_private_key(f.read(), None)
    key = make()
    with open(path, "wb") as f:
        f.write(key.private_bytes(serialization.Encoding.PEM,
                                  serialization.PrivateFormat.PKCS8,
                                  serialization.NoEncryption()))
    return key


def rsa_jwk(key, kid):
    pub = key.public_key().public_numbers()
    return {"kty": "RSA", "kid": kid, "use": "sig", "n": uint(pub.n),
            "e": uint(pub.e)}


def ec_jwk(key, kid):
    pub = key.public_key().public_numbers()
    return {"kty": "EC", "kid": kid, "crv": "P-256", "x": uint(pub.x, 32),
            "y": uint(pub.y, 32)}


def sign(key, alg, header, claims):
    hdr = dict(header, alg=alg)
    si = (b64u(json.dumps(hdr).encode()) + "." +
          b64u(json.dumps(claims).encode())).encode()
    h = {"256": hashes.SHA256(), "384": hashes.SHA384(),
         "512": hashes.SHA512()}[alg[2:]]
    if alg.startswith("RS"):
        sig = key.sign(si, padding.PKCS1v15(), h)
    elif alg.startswith("PS"):
        sig = key.sign(si, padding.PSS(padding.MGF1(h), h.digest_size), h)
    else:
        r, s = utils.decode_dss_signature(key.sign(si, ec.ECDSA(h)))
        sig = r.to_bytes(32, "big") + s.to_bytes(32, "big")
    return si.decode() + "." + b64u(sig)


def main():
    rsa_key = load_or_make("rsa.pem", lambda: rsa.generate_private_key(
        65537, 2048))
    ec_key = load_or_make("ec.pem", lambda: ec.generate_private_key(
        ec.SECP256R1()))
    small = rsa.generate_private_key(65537, 1024)
    jwks = {"keys": [rsa_jwk(rsa_key, "rsa1"), ec_jwk(ec_key, "ec1")]}
    with open(os.path.join(HERE, "jwks.json"), "w") as f:
        json.dump(jwks, f, separators=(",", ":"))
        f.write("\n")

    base = {"iss": ISS, "aud": "app1", "sub": "user1", "exp": EXP,
            "iat": 1699999990}
    seeds = {
        "rs256.jwt": sign(rsa_key, "RS256", {"kid": "rsa1"}, base),
        "ps256.jwt": sign(rsa_key, "PS256", {"kid": "rsa1"}, base),
        "es256.jwt": sign(ec_key, "ES256", {"kid": "ec1"}, base),
        "google.jwt": sign(rsa_key, "RS256", {"kid": "rsa1"}, dict(
            base, iss="accounts.google.com", aud="goog-client",
            azp="app2")),
        "tags.jwt": sign(rsa_key, "RS256", {"kid": "rsa1"}, dict(
            base, email="a@b.c", groups=["g1", "g2"],
            **{"https://aws.amazon.com/tags": {
                "principal_tags": {"Project": ["X"]},
                "transitive_tag_keys": ["Project"]},
               "https://aws.amazon.com/source_identity": "admin"})),
        "tags_array.jwt": sign(rsa_key, "RS256", {"kid": "rsa1"}, dict(
            base, **{"https://aws.amazon.com/tags": [
                {"principal_tags": {"D": ["E"]}}]})),
        "expired.jwt": sign(rsa_key, "RS256", {"kid": "rsa1"}, dict(
            base, exp=1600000000)),
        "crit.jwt": sign(rsa_key, "RS256", {"kid": "rsa1", "crit": ["x"]},
                         base),
        "none.jwt": b64u(b'{"alg":"none"}') + "." +
        b64u(json.dumps(base).encode()) + ".",
        "jwe.jwt": "eyJhbGciOiJSU0EtT0FFUCJ9.a.b.c.d",
        "jwks_ok.json": json.dumps(jwks),
        "jwks_mixed.json": json.dumps({"keys": [
            rsa_jwk(small, "small"), dict(rsa_jwk(rsa_key, "e"), use="enc"),
            {"kty": "oct", "k": "AAAA"}, ec_jwk(ec_key, "ec1")]}),
    }
    os.makedirs(CORPUS, exist_ok=True)
    for name, text in seeds.items():
        with open(os.path.join(CORPUS, name), "w") as f:
            f.write(text)


if __name__ == "__main__":
    main()
