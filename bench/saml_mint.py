#!/usr/bin/python3
"""Mint benchmark SAML responses and the IdP metadata that verifies them.

Uses Debian's python3-cryptography only (run with /usr/bin/python3). Two
subcommands:

  saml_mint.py metadata --cert PEM --entity-id ID --out FILE
      write IdP metadata (an EntityDescriptor with one signing certificate).

  saml_mint.py responses --key PEM --cert PEM --issuer ID --audience SP \
                         --recipient URL --role-arn ARN --provider-arn ARN \
                         --count N --out FILE [--jobs J] [--ttl SECONDS]
      write N distinct SAML responses, one per line, each the form value
      of SAMLAssertion: base64 of the XML, then percent-encoded ('+', '/'
      and '=' escaped). Every response carries its own assertion ID,
      Response ID, NameID and RoleSessionName and is valid from now
      (NotBefore now - 60 s) to now + TTL (default 3600 s).

The responses look like Microsoft Entra ID's for the gallery app "AWS
Single-Account Access" (Entra's default: only the Assertion is signed,
RSA-SHA256 with SHA-256 digests, enveloped + exclusive C14N, the signing
certificate in KeyInfo, tenant/object id, display name, authentication
methods and two group object ids as claims), about 6.5 KB of XML each
(8.7 KB as the encoded form value).

Why not xmlsec1 or lasso for signing: one process per document would take
minutes for the tens of thousands a run needs. Instead every element is
written directly in its exclusive-C14N form (namespace declarations where
exc-c14n puts them, attributes in c14n order, no empty-element tags,
c14n escaping), so the canonical octets of the Assertion (minus the
enveloped Signature) and of SignedInfo are the document's own bytes; one
SHA-256 and one RSA signature per document, on J processes. bench/saml.sh
verifies every document with xmlsec (bench/xmlsec_verify.c) and fedgate
must accept every one, so a canonicalisation mistake cannot go unnoticed.
"""

import argparse
import base64
import hashlib
import multiprocessing
import os
import sys
import time
import urllib.parse

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding

NS_SAMLP = "urn:oasis:names:tc:SAML:2.0:protocol"
NS_SAML = "urn:oasis:names:tc:SAML:2.0:assertion"
NS_DS = "http://www.w3.org/2000/09/xmldsig#"
NS_MD = "urn:oasis:names:tc:SAML:2.0:metadata"
RSA_SHA256 = "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256"
SHA256 = "http://www.w3.org/2001/04/xmlenc#sha256"
EXC_C14N = "http://www.w3.org/2001/10/xml-exc-c14n#"
ENVELOPED = "http://www.w3.org/2000/09/xmldsig#enveloped-signature"
EMAIL = "urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress"
BEARER = "urn:oasis:names:tc:SAML:2.0:cm:bearer"
AWS = "https://aws.amazon.com/SAML/Attributes/"
MS = "http://schemas.microsoft.com/"
XS = "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/"
TENANT = "9188040d-6c67-4c5b-b112-36a304b66dad"
GROUPS = 2		# group object ids: with them the XML is ~6 KB


def esc_text(s):
    """Escape text as exclusive C14N writes it (also valid XML)."""
    return (s.replace("&", "&amp;").replace("<", "&lt;")
            .replace(">", "&gt;").replace("\r", "&#xD;"))


def esc_attr(s):
    """Escape an attribute value as exclusive C14N writes it."""
    return (s.replace("&", "&amp;").replace("<", "&lt;")
            .replace('"', "&quot;").replace("\t", "&#x9;")
            .replace("\n", "&#xA;").replace("\r", "&#xD;"))


def iso(t):
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(t))


def cert_b64(pem):
    return "".join(pem.strip().splitlines()[1:-1])


# ---------------------------------------------------------------- metadata

def cmd_metadata(args):
    with open(args.cert) as f:
        c = cert_b64(f.read())
    with open(args.out, "w") as f:
        f.write('<?xml version="1.0"?>\n'
                '<md:EntityDescriptor xmlns:md="%s" xmlns:ds="%s" '
                'entityID="%s"><md:IDPSSODescriptor '
                'protocolSupportEnumeration="%s"><md:KeyDescriptor '
                'use="signing"><ds:KeyInfo><ds:X509Data><ds:X509Certificate>'
                '%s</ds:X509Certificate></ds:X509Data></ds:KeyInfo>'
                '</md:KeyDescriptor><md:SingleSignOnService Binding="urn:'
                'oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect" Location='
                '"%s/sso"/></md:IDPSSODescriptor></md:EntityDescriptor>\n'
                % (NS_MD, NS_DS, esc_attr(args.entity_id), NS_SAMLP, c,
                   esc_attr(args.entity_id.rstrip("/"))))


# ---------------------------------------------------------------- responses

def attribute(name, values):
    # Attribute's attributes in c14n order: Name < NameFormat.
    return ('<saml:Attribute Name="%s">%s</saml:Attribute>' % (
        esc_attr(name), "".join('<saml:AttributeValue>%s</saml:AttributeValue>'
                                % esc_text(v) for v in values)))


def attributes(n, user, role_value):
    oid = "3f2504e0-4f89-11d3-9a0c-%012x" % n
    groups = ["e7a9c1f2-%04x-4000-8000-%012x" % (g, n % 97)
              for g in range(GROUPS)]
    return [
        (MS + "identity/claims/tenantid", [TENANT]),
        (MS + "identity/claims/objectidentifier", [oid]),
        (MS + "identity/claims/displayname", ["Bench User %d" % n]),
        (MS + "identity/claims/identityprovider",
         ["https://sts.windows.net/%s/" % TENANT]),
        (MS + "claims/authnmethodsreferences",
         [MS + "ws/2008/06/identity/authenticationmethod/password",
          MS + "claims/multipleauthn"]),
        (XS + "givenname", ["Bench"]),
        (XS + "surname", ["User %d" % n]),
        (XS + "emailaddress", [user]),
        (XS + "name", [user]),
        (MS + "ws/2008/06/identity/claims/groups", groups),
        (AWS + "Role", [role_value]),
        (AWS + "RoleSessionName", [user]),
        (AWS + "SessionDuration", ["3600"]),
    ]


def assertion_c14n(p, aid, n, now, sig=""):
    """The Assertion in exclusive-C14N form; sig goes after the Issuer."""
    user = "bench.user%d@contoso.example" % n
    noa = iso(now + p["ttl"])
    attrs = "".join(attribute(k, v) for k, v in
                    attributes(n, user, p["role_value"]))
    return (
        '<saml:Assertion xmlns:saml="%s" ID="%s" IssueInstant="%s" '
        'Version="2.0"><saml:Issuer>%s</saml:Issuer>%s'
        '<saml:Subject><saml:NameID Format="%s">%s</saml:NameID>'
        '<saml:SubjectConfirmation Method="%s"><saml:SubjectConfirmationData '
        'NotOnOrAfter="%s" Recipient="%s"></saml:SubjectConfirmationData>'
        '</saml:SubjectConfirmation></saml:Subject>'
        '<saml:Conditions NotBefore="%s" NotOnOrAfter="%s">'
        '<saml:AudienceRestriction><saml:Audience>%s</saml:Audience>'
        '</saml:AudienceRestriction></saml:Conditions>'
        '<saml:AttributeStatement>%s</saml:AttributeStatement>'
        '<saml:AuthnStatement AuthnInstant="%s" SessionIndex="%s" '
        'SessionNotOnOrAfter="%s"><saml:AuthnContext><saml:AuthnContextClassRef>'
        'urn:oasis:names:tc:SAML:2.0:ac:classes:PasswordProtectedTransport'
        '</saml:AuthnContextClassRef></saml:AuthnContext></saml:AuthnStatement>'
        '</saml:Assertion>'
        % (NS_SAML, aid, iso(now), esc_text(p["issuer"]), sig, EMAIL,
           esc_text(user), BEARER, noa, esc_attr(p["recipient"]),
           iso(now - 60), noa, esc_text(p["audience"]), attrs, iso(now - 5),
           aid.replace("_a", "_s", 1), iso(now + 8 * 3600)))


def signed_info(aid, digest, ns):
    # ns: the xmlns:ds declaration c14n puts on SignedInfo as the apex;
    # inside the document it is inherited from ds:Signature instead.
    return ('<ds:SignedInfo%s><ds:CanonicalizationMethod Algorithm="%s">'
            '</ds:CanonicalizationMethod><ds:SignatureMethod Algorithm="%s">'
            '</ds:SignatureMethod><ds:Reference URI="#%s"><ds:Transforms>'
            '<ds:Transform Algorithm="%s"></ds:Transform><ds:Transform '
            'Algorithm="%s"></ds:Transform></ds:Transforms><ds:DigestMethod '
            'Algorithm="%s"></ds:DigestMethod><ds:DigestValue>%s'
            '</ds:DigestValue></ds:Reference></ds:SignedInfo>'
            % (ns, EXC_C14N, RSA_SHA256, aid, ENVELOPED, EXC_C14N, SHA256,
               digest))


_key = None
_params = None


def _init(params):
    global _key, _params
    _params = params
    with open(params["key"], "rb") as f:
        _key = serialization.load_pem_private_key(f.read(), password=None)


def one(n):
    """Response number n, as the percent-encoded base64 form value."""
    p = _params
    now = int(time.time())
    tag = os.urandom(12).hex()
    aid = "_a%s%08x" % (tag, n)
    digest = base64.b64encode(hashlib.sha256(
        assertion_c14n(p, aid, n, now).encode()).digest()).decode()
    si = signed_info(aid, digest, ' xmlns:ds="%s"' % NS_DS).encode()
    sv = base64.b64encode(_key.sign(si, padding.PKCS1v15(),
                                    hashes.SHA256())).decode()
    sig = ('<ds:Signature xmlns:ds="%s">%s<ds:SignatureValue>%s'
           '</ds:SignatureValue><ds:KeyInfo><ds:X509Data><ds:X509Certificate>'
           '%s</ds:X509Certificate></ds:X509Data></ds:KeyInfo></ds:Signature>'
           % (NS_DS, signed_info(aid, digest, ""), sv, p["cert"]))
    xml = ('<samlp:Response xmlns:samlp="%s" xmlns:saml="%s" ID="_r%s%08x" '
           'Version="2.0" IssueInstant="%s" Destination="%s">'
           '<saml:Issuer>%s</saml:Issuer><samlp:Status><samlp:StatusCode '
           'Value="urn:oasis:names:tc:SAML:2.0:status:Success"/>'
           '</samlp:Status>%s</samlp:Response>'
           % (NS_SAMLP, NS_SAML, tag, n, iso(now), esc_attr(p["recipient"]),
              esc_text(p["issuer"]), assertion_c14n(p, aid, n, now, sig)))
    b64 = base64.b64encode(xml.encode()).decode()
    return urllib.parse.quote(b64, safe=""), len(xml)


def cmd_responses(args):
    with open(args.cert) as f:
        cert = cert_b64(f.read())
    params = {"key": args.key, "cert": cert, "issuer": args.issuer,
              "audience": args.audience, "recipient": args.recipient,
              "role_value": "%s,%s" % (args.role_arn, args.provider_arn),
              "ttl": args.ttl}
    # A different starting number per call keeps NameIDs apart between
    # sets; the random tag alone already makes every ID unique.
    base = int(time.time() * 1000) % 10**9 * 1000
    nums = range(base, base + args.count)
    total = 0
    with multiprocessing.Pool(args.jobs, _init, (params,)) as pool, \
            open(args.out, "w") as out:
        for line, size in pool.imap(one, nums, chunksize=64):
            out.write(line + "\n")
            total += size
    print("saml_mint: %d responses, %.0f bytes of XML each on average"
          % (args.count, total / args.count), file=sys.stderr)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    sub = ap.add_subparsers(dest="cmd", required=True)
    m = sub.add_parser("metadata")
    m.add_argument("--cert", required=True)
    m.add_argument("--entity-id", required=True)
    m.add_argument("--out", required=True)
    r = sub.add_parser("responses")
    for a in ("key", "cert", "issuer", "audience", "recipient", "role-arn",
              "provider-arn", "out"):
        r.add_argument("--" + a, required=True)
    r.add_argument("--count", type=int, required=True)
    r.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    r.add_argument("--ttl", type=int, default=3600)
    args = ap.parse_args()
    if args.cmd == "metadata":
        cmd_metadata(args)
    else:
        if args.count < 1 or args.jobs < 1 or args.ttl < 60:
            ap.error("--count and --jobs must be >= 1, --ttl >= 60")
        cmd_responses(args)


if __name__ == "__main__":
    main()
