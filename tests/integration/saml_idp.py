"""A test SAML 2.0 IdP for the integration tests: fresh keys and metadata,
and signed Responses made at test time with CURRENT times (fedgate checks
them against its real clock), so no fixture ever goes stale.

Signing is done by the xmlsec1 command (Debian's xmlsec1), the same library
real xmlsec-based IdPs sign with; the approach is that of
tests/data/saml/gen.py (the static fixtures of the unit tests).
EncryptedAssertion is made as Entra ID makes it: aes256-cbc content key
transported with rsa-oaep-mgf1p to the SP certificate.

Only Debian's python3 with stdlib and python3-cryptography, plus xmlsec1.
"""
import base64
import datetime
import hashlib
import os
import subprocess
import tempfile
import time
import uuid
from xml.sax.saxutils import escape, quoteattr

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives import padding as sympad
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from cryptography.x509.oid import NameOID

XMLSEC1 = "/usr/bin/xmlsec1"

NS_SAMLP = "urn:oasis:names:tc:SAML:2.0:protocol"
NS_SAML = "urn:oasis:names:tc:SAML:2.0:assertion"
NS_DS = "http://www.w3.org/2000/09/xmldsig#"
NS_MD = "urn:oasis:names:tc:SAML:2.0:metadata"
NS_XENC = "http://www.w3.org/2001/04/xmlenc#"
RSA_SHA256 = "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256"
RSA_SHA512 = "http://www.w3.org/2001/04/xmldsig-more#rsa-sha512"
SHA256 = "http://www.w3.org/2001/04/xmlenc#sha256"
SHA512 = "http://www.w3.org/2001/04/xmlenc#sha512"
EXC_C14N = "http://www.w3.org/2001/10/xml-exc-c14n#"
ENVELOPED = "http://www.w3.org/2000/09/xmldsig#enveloped-signature"

FMT_PERSISTENT = "urn:oasis:names:tc:SAML:2.0:nameid-format:persistent"
FMT_TRANSIENT = "urn:oasis:names:tc:SAML:2.0:nameid-format:transient"
FMT_EMAIL = "urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress"
FMT_UNSPECIFIED = "urn:oasis:names:tc:SAML:1.1:nameid-format:unspecified"

AWS_ATTR = "https://aws.amazon.com/SAML/Attributes/"
A_ROLE = AWS_ATTR + "Role"
A_RSN = AWS_ATTR + "RoleSessionName"
A_DURATION = AWS_ATTR + "SessionDuration"
A_SOURCE = AWS_ATTR + "SourceIdentity"
A_TRANSITIVE = AWS_ATTR + "TransitiveTagKeys"


def A_TAG(key):
    return AWS_ATTR + "PrincipalTag:" + key


def iso(delta, now=None):
    """UTC xs:dateTime `delta` seconds from now (or from `now`)."""
    t = (now if now is not None else time.time()) + delta
    return datetime.datetime.fromtimestamp(
        int(t), datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def new_id():
    """A fresh xs:ID (must not start with a digit)."""
    return "_" + uuid.uuid4().hex


class KeyPair:
    """RSA key and self-signed certificate, written as PEM files in `dir`."""

    def __init__(self, dir, name, bits=2048):
        self.key = rsa.generate_private_key(public_exponent=65537,
                                            key_size=bits)
        subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
        now = datetime.datetime.now(datetime.timezone.utc)
        self.cert = (x509.CertificateBuilder().subject_name(subject)
                     .issuer_name(subject).public_key(self.key.public_key())
                     .serial_number(x509.random_serial_number())
                     .not_valid_before(now - datetime.timedelta(days=1))
                     .not_valid_after(now + datetime.timedelta(days=30))
                     .sign(self.key, hashes.SHA256()))
        self.key_pem = self.key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption()).decode()
        self.cert_pem = self.cert.public_bytes(
            serialization.Encoding.PEM).decode()
        self.key_path = os.path.join(dir, name + ".key")
        self.cert_path = os.path.join(dir, name + ".crt")
        fd = os.open(self.key_path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC,
                     0o600)
        with os.fdopen(fd, "w") as f:
            f.write(self.key_pem)
        with open(self.cert_path, "w") as f:
            f.write(self.cert_pem)

    @property
    def cert_b64(self):
        return "".join(self.cert_pem.strip().splitlines()[1:-1])


def attribute(name, values, typed=False):
    t = ' xsi:type="xs:string"' if typed else ""
    vals = "".join("<saml:AttributeValue%s>%s</saml:AttributeValue>"
                   % (t, escape(v)) for v in values)
    return ('<saml:Attribute Name=%s NameFormat="urn:oasis:names:tc:SAML:'
            '2.0:attrname-format:uri">%s</saml:Attribute>'
            % (quoteattr(name), vals))


class SamlIdP:
    """One IdP: entity id, signing key(s), metadata file, response maker.

    `keys` are all published in the metadata (rollover); `key` signs.
    """

    def __init__(self, dir, name, entity_id, n_keys=1):
        self.dir = dir
        self.name = name
        self.entity_id = entity_id
        self.keys = [KeyPair(dir, f"{name}-sig{i}") for i in range(n_keys)]
        self.key = self.keys[0]
        self.metadata_path = os.path.join(dir, f"{name}-metadata.xml")
        with open(self.metadata_path, "w") as f:
            f.write(self.metadata())

    def metadata(self):
        kds = "".join(
            '<md:KeyDescriptor use="signing"><ds:KeyInfo><ds:X509Data>'
            '<ds:X509Certificate>%s</ds:X509Certificate></ds:X509Data>'
            '</ds:KeyInfo></md:KeyDescriptor>' % k.cert_b64
            for k in self.keys)
        return ('<?xml version="1.0"?>\n'
                '<md:EntityDescriptor xmlns:md="%s" xmlns:ds="%s" '
                'entityID=%s><md:IDPSSODescriptor '
                'protocolSupportEnumeration="%s">%s'
                '<md:SingleSignOnService Binding="urn:oasis:names:tc:SAML:'
                '2.0:bindings:HTTP-Redirect" Location="https://idp.invalid/'
                'sso"/></md:IDPSSODescriptor></md:EntityDescriptor>\n'
                % (NS_MD, NS_DS, quoteattr(self.entity_id), NS_SAMLP, kds))

    # ------------------------------------------------------- documents ---

    def assertion(self, aid, recipient, audience, nameid="alice@example.test",
                  fmt=FMT_EMAIL, attrs=(), typed=False, nb=-60, noa=300,
                  scd_noa=None, session_noa=28800, method="bearer",
                  issuer=None, in_response_to=None, now=None):
        """saml:Assertion text. Times are offsets in seconds from now;
        session_noa None: no SessionNotOnOrAfter."""
        scd_noa = noa if scd_noa is None else scd_noa
        sess = (' SessionNotOnOrAfter="%s"' % iso(session_noa, now)
                if session_noa is not None else "")
        astmt = ""
        if attrs:
            astmt = ("<saml:AttributeStatement>%s</saml:AttributeStatement>"
                     % "".join(attribute(n, v, typed) for n, v in attrs))
        fmt_attr = " Format=%s" % quoteattr(fmt) if fmt else ""
        irt = (" InResponseTo=%s" % quoteattr(in_response_to)
               if in_response_to else "")
        return (
            '<saml:Assertion xmlns:saml="%s" '
            'xmlns:xs="http://www.w3.org/2001/XMLSchema" '
            'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" '
            'ID="%s" Version="2.0" IssueInstant="%s">'
            '<saml:Issuer>%s</saml:Issuer>'
            '<saml:Subject><saml:NameID%s>%s</saml:NameID>'
            '<saml:SubjectConfirmation '
            'Method="urn:oasis:names:tc:SAML:2.0:cm:%s">'
            '<saml:SubjectConfirmationData%s NotOnOrAfter="%s" '
            'Recipient=%s/>'
            '</saml:SubjectConfirmation></saml:Subject>'
            '<saml:Conditions NotBefore="%s" NotOnOrAfter="%s">'
            '<saml:AudienceRestriction><saml:Audience>%s</saml:Audience>'
            '</saml:AudienceRestriction></saml:Conditions>'
            '<saml:AuthnStatement AuthnInstant="%s"%s SessionIndex="%s">'
            '<saml:AuthnContext><saml:AuthnContextClassRef>urn:oasis:names:'
            'tc:SAML:2.0:ac:classes:PasswordProtectedTransport'
            '</saml:AuthnContextClassRef></saml:AuthnContext>'
            '</saml:AuthnStatement>%s</saml:Assertion>'
            % (NS_SAML, aid, iso(-5, now),
               escape(issuer or self.entity_id), fmt_attr, escape(nameid),
               method, irt, iso(scd_noa, now), quoteattr(recipient),
               iso(nb, now), iso(noa, now), escape(audience),
               iso(-10, now), sess, new_id(), astmt))

    def response(self, body, rid, destination=None, status="Success",
                 issuer=None, in_response_to=None, now=None):
        d = " Destination=%s" % quoteattr(destination) if destination else ""
        if in_response_to:
            d += " InResponseTo=%s" % quoteattr(in_response_to)
        return ('<samlp:Response xmlns:samlp="%s" xmlns:saml="%s" ID="%s" '
                'Version="2.0" IssueInstant="%s"%s>'
                '<saml:Issuer>%s</saml:Issuer><samlp:Status><samlp:StatusCode'
                ' Value="urn:oasis:names:tc:SAML:2.0:status:%s"/>'
                '</samlp:Status>%s</samlp:Response>'
                % (NS_SAMLP, NS_SAML, rid, iso(-5, now), d,
                   escape(issuer or self.entity_id), status, body))

    def sign(self, xml, ref, key=None, sigalg=RSA_SHA256, digalg=SHA256):
        """Signature template after the Issuer of the element with ID ref
        (SAML core §5.4.1 placement), signed by the xmlsec1 command."""
        key = key or self.key
        start = xml.index('ID="%s"' % ref)
        at = xml.index("</saml:Issuer>", start) + len("</saml:Issuer>")
        tmpl = ('<ds:Signature xmlns:ds="%s"><ds:SignedInfo>'
                '<ds:CanonicalizationMethod Algorithm="%s"/>'
                '<ds:SignatureMethod Algorithm="%s"/>'
                '<ds:Reference URI="#%s"><ds:Transforms>'
                '<ds:Transform Algorithm="%s"/><ds:Transform Algorithm="%s"/>'
                '</ds:Transforms><ds:DigestMethod Algorithm="%s"/>'
                '<ds:DigestValue></ds:DigestValue></ds:Reference>'
                '</ds:SignedInfo><ds:SignatureValue></ds:SignatureValue>'
                '<ds:KeyInfo><ds:X509Data></ds:X509Data></ds:KeyInfo>'
                '</ds:Signature>'
                % (NS_DS, EXC_C14N, sigalg, ref, ENVELOPED, EXC_C14N,
                   digalg))
        xml = xml[:at] + tmpl + xml[at:]
        with tempfile.TemporaryDirectory(dir=self.dir) as td:
            src = os.path.join(td, "in.xml")
            dst = os.path.join(td, "out.xml")
            with open(src, "w") as f:
                f.write(xml)
            p = subprocess.run(
                [XMLSEC1, "--sign", "--privkey-pem",
                 "%s,%s" % (key.key_path, key.cert_path),
                 "--id-attr:ID", NS_SAMLP + ":Response",
                 "--id-attr:ID", NS_SAML + ":Assertion",
                 "--output", dst, src],
                capture_output=True, text=True, timeout=20)
            if p.returncode != 0:
                raise RuntimeError(f"xmlsec1 --sign failed: {p.stderr}")
            with open(dst) as f:
                out = f.read()
        if out.startswith("<?xml"):
            out = out[out.index("?>") + 2:].lstrip()
        return out

    def build(self, recipient, audience, sign="assertion", encrypt_to=None,
              destination=True, status="Success", sigalg=RSA_SHA256,
              digalg=SHA256, key=None, **akw):
        """A complete Response; returns (base64 text, info dict).

        sign: "assertion" | "response" | "both" | "none".
        encrypt_to: a KeyPair (the SP's): wrap the (signed) assertion in
        EncryptedAssertion. destination True: Destination = recipient.
        status != "Success": no assertion at all (as IdPs send errors).
        in_response_to (in akw): on the Response and the confirmation.
        akw: passed to assertion() (nameid, fmt, attrs, times, ...).
        """
        now = time.time()
        aid, rid = new_id(), new_id()
        body = ""
        if status == "Success":
            body = self.assertion(aid, recipient, audience, now=now, **akw)
            if sign in ("assertion", "both"):
                body = self.sign(body, aid, key, sigalg, digalg)
            if encrypt_to is not None:
                body = encrypt_assertion(body, encrypt_to)
        dest = recipient if destination is True else destination
        xml = self.response(body, rid, dest or None, status,
                            in_response_to=akw.get("in_response_to"),
                            now=now)
        if sign in ("response", "both") or status != "Success":
            xml = self.sign(xml, rid, key, sigalg, digalg)
        b64 = base64.b64encode(xml.encode()).decode()
        return b64, {"assertion_id": aid, "response_id": rid, "xml": xml,
                     "nameid": akw.get("nameid", "alice@example.test")}


def encrypt_assertion(assertion_xml, sp):
    """EncryptedAssertion for the SP KeyPair `sp` (aes256-cbc +
    rsa-oaep-mgf1p, as Entra ID sends it)."""
    k, iv = os.urandom(32), os.urandom(16)
    p = sympad.PKCS7(128).padder()
    data = p.update(assertion_xml.encode()) + p.finalize()
    e = Cipher(algorithms.AES(k), modes.CBC(iv)).encryptor()
    ct = iv + e.update(data) + e.finalize()
    ek = sp.key.public_key().encrypt(k, padding.OAEP(
        mgf=padding.MGF1(hashes.SHA1()), algorithm=hashes.SHA1(), label=None))
    return ('<saml:EncryptedAssertion><xenc:EncryptedData xmlns:xenc="%s" '
            'Type="%sElement"><xenc:EncryptionMethod '
            'Algorithm="%saes256-cbc"/><ds:KeyInfo xmlns:ds="%s">'
            '<xenc:EncryptedKey><xenc:EncryptionMethod '
            'Algorithm="%srsa-oaep-mgf1p"/><xenc:CipherData>'
            '<xenc:CipherValue>%s</xenc:CipherValue></xenc:CipherData>'
            '</xenc:EncryptedKey></ds:KeyInfo><xenc:CipherData>'
            '<xenc:CipherValue>%s</xenc:CipherValue></xenc:CipherData>'
            '</xenc:EncryptedData></saml:EncryptedAssertion>'
            % (NS_XENC, NS_XENC, NS_XENC, NS_DS, NS_XENC,
               base64.b64encode(ek).decode(), base64.b64encode(ct).decode()))


def name_qualifier(issuer, account, provider_name):
    """AWS's NameQualifier: base64(sha1(issuer + account + "/" + name))."""
    md = hashlib.sha1(f"{issuer}{account}/{provider_name}".encode()).digest()
    return base64.b64encode(md).decode()
