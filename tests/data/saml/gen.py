#!/usr/bin/python3
"""Generate the SAML fixtures for tests/unit/test_saml.c and the seeds of
tests/fuzz/corpus/fuzz_saml/.

Run from anywhere: /usr/bin/python3 tests/data/saml/gen.py
Needs Debian's python3-cryptography and the xmlsec1 command (signing is done
by xmlsec1 itself, so the signatures are what a real xmlsec-based IdP makes).

Every document is valid at NOW (2030-01-01T00:00:00Z); the tests pass that
time to fed_saml_validate. The keys are for tests only. Each run makes new
keys, so the whole directory (and tests/data/saml/fuzz_material.h) is
rewritten together.

Documents are written as XML (<case>.xml); the tests base64-encode them.
The adversarial ones are edits of signed documents, made after signing,
the way an attacker holding one genuine response would make them.
"""
import base64
import datetime
import os
import re
import subprocess
import tempfile

from cryptography import x509
from cryptography.hazmat.primitives import hashes, padding as sympad, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from cryptography.x509.oid import NameOID

HERE = os.path.dirname(os.path.abspath(__file__))
CORPUS = os.path.join(HERE, "..", "..", "fuzz", "corpus", "fuzz_saml")

NOW = datetime.datetime(2030, 1, 1, 0, 0, 0, tzinfo=datetime.timezone.utc)
SP = "urn:fedgate:sp"
ACS = "https://fedgate.example.test/saml/acs"
AWS_ACS = "https://signin.aws.amazon.com/saml"
IDP = "https://idp.example.test/saml"
ENTRA = "https://sts.windows.net/9188040d-6c67-4c5b-b112-36a304b66dad/"

NS_SAMLP = "urn:oasis:names:tc:SAML:2.0:protocol"
NS_SAML = "urn:oasis:names:tc:SAML:2.0:assertion"
NS_DS = "http://www.w3.org/2000/09/xmldsig#"
NS_MD = "urn:oasis:names:tc:SAML:2.0:metadata"
RSA_SHA256 = "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256"
RSA_SHA1 = "http://www.w3.org/2000/09/xmldsig#rsa-sha1"
SHA256 = "http://www.w3.org/2001/04/xmlenc#sha256"
SHA1 = "http://www.w3.org/2000/09/xmldsig#sha1"
EXC_C14N = "http://www.w3.org/2001/10/xml-exc-c14n#"
ENVELOPED = "http://www.w3.org/2000/09/xmldsig#enveloped-signature"
EMAIL = "urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress"
PERSISTENT = "urn:oasis:names:tc:SAML:2.0:nameid-format:persistent"
ROLE = "https://aws.amazon.com/SAML/Attributes/Role"
RSN = "https://aws.amazon.com/SAML/Attributes/RoleSessionName"
ROLE_VALUE = ("arn:aws:iam::111122223333:role/Admin,"
              "arn:aws:iam::111122223333:saml-provider/test-idp")


def iso(delta):
    return (NOW + datetime.timedelta(seconds=delta)).strftime(
        "%Y-%m-%dT%H:%M:%SZ")


def write(name, data, mode="w"):
    with open(os.path.join(HERE, name), mode) as f:
        f.write(data)


# ---------------------------------------------------------------- keys

def make_key(name, cn):
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn)])
    cert = (x509.CertificateBuilder().subject_name(subject)
            .issuer_name(subject).public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(datetime.datetime(2020, 1, 1))
            .not_valid_after(datetime.datetime(2099, 1, 1))
            .sign(key, hashes.SHA256()))
    kpem = key.private_bytes(serialization.Encoding.PEM,
                             serialization.PrivateFormat.PKCS8,
                             serialization.NoEncryption()).decode()
    cpem = cert.public_bytes(serialization.Encoding.PEM).decode()
    write(name + ".key", kpem)
    write(name + ".crt", cpem)
    return {"key": key, "kpem": kpem, "cpem": cpem,
            "kpath": os.path.join(HERE, name + ".key"),
            "cpath": os.path.join(HERE, name + ".crt"),
            "b64": "".join(cpem.strip().splitlines()[1:-1])}


def idp_metadata(entity, certs):
    kds = "".join(
        '<md:KeyDescriptor use="signing"><ds:KeyInfo><ds:X509Data>'
        '<ds:X509Certificate>%s</ds:X509Certificate></ds:X509Data>'
        '</ds:KeyInfo></md:KeyDescriptor>' % c["b64"] for c in certs)
    return ('<?xml version="1.0"?>\n'
            '<md:EntityDescriptor xmlns:md="%s" xmlns:ds="%s" entityID="%s">'
            '<md:IDPSSODescriptor protocolSupportEnumeration="%s">%s'
            '<md:SingleSignOnService Binding="urn:oasis:names:tc:SAML:2.0:'
            'bindings:HTTP-Redirect" Location="%s/sso"/>'
            '</md:IDPSSODescriptor></md:EntityDescriptor>\n'
            % (NS_MD, NS_DS, entity, NS_SAMLP, kds, entity.rstrip("/")))


# ---------------------------------------------------------------- documents

def attribute(name, values, typed=False, fmt=None):
    nf = ' NameFormat="%s"' % fmt if fmt else ""
    t = ' xsi:type="xs:string"' if typed else ""
    return ('<saml:Attribute Name="%s"%s>%s</saml:Attribute>' % (
        name, nf, "".join('<saml:AttributeValue%s>%s</saml:AttributeValue>'
                          % (t, v) for v in values)))


DEFAULT_ATTRS = [(ROLE, [ROLE_VALUE]), (RSN, ["alice"]),
                 ("urn:oid:0.9.2342.19200300.100.1.3", ["alice@example.test"]),
                 ("groups", ["admins", "devs", "ops"])]


def assertion(aid="_a1", issuer=IDP, nameid="alice@example.test", fmt=EMAIL,
              recipient=ACS, audiences=((SP,),), nb=-60, noa=300, scd_noa=300,
              irt=None, attrs=None, typed=False, session=28800,
              method="bearer", conditions=True, nb_s=None, noa_s=None):
    scd_irt = ' InResponseTo="%s"' % irt if irt else ""
    conds = ""
    if conditions:
        ars = "".join("<saml:AudienceRestriction>%s</saml:AudienceRestriction>"
                      % "".join("<saml:Audience>%s</saml:Audience>" % a
                                for a in ar) for ar in audiences)
        conds = '<saml:Conditions NotBefore="%s" NotOnOrAfter="%s">%s' \
                '</saml:Conditions>' % (nb_s or iso(nb), noa_s or iso(noa), ars)
    attrs = DEFAULT_ATTRS if attrs is None else attrs
    astmt = ""
    if attrs:
        astmt = "<saml:AttributeStatement>%s</saml:AttributeStatement>" % \
            "".join(attribute(n, v, typed) for n, v in attrs)
    sess = ' SessionNotOnOrAfter="%s"' % iso(session) if session else ""
    return (
        '<saml:Assertion xmlns:saml="%s" xmlns:xs="http://www.w3.org/2001/'
        'XMLSchema" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" '
        'ID="%s" Version="2.0" IssueInstant="%s">'
        '<saml:Issuer>%s</saml:Issuer>'
        '<saml:Subject><saml:NameID Format="%s">%s</saml:NameID>'
        '<saml:SubjectConfirmation Method="urn:oasis:names:tc:SAML:2.0:cm:%s">'
        '<saml:SubjectConfirmationData%s NotOnOrAfter="%s" Recipient="%s"/>'
        '</saml:SubjectConfirmation></saml:Subject>%s'
        '<saml:AuthnStatement AuthnInstant="%s"%s SessionIndex="_s1">'
        '<saml:AuthnContext><saml:AuthnContextClassRef>urn:oasis:names:tc:'
        'SAML:2.0:ac:classes:PasswordProtectedTransport'
        '</saml:AuthnContextClassRef></saml:AuthnContext>'
        '</saml:AuthnStatement>%s</saml:Assertion>'
        % (NS_SAML, aid, iso(-10), issuer, fmt, nameid, method, scd_irt,
           iso(scd_noa), recipient, conds, iso(-20), sess, astmt))


def response(body, rid="_r1", issuer=IDP, dest=ACS, irt=None,
             status="Success"):
    d = ' Destination="%s"' % dest if dest else ""
    i = ' InResponseTo="%s"' % irt if irt else ""
    return ('<samlp:Response xmlns:samlp="%s" xmlns:saml="%s" ID="%s" '
            'Version="2.0" IssueInstant="%s"%s%s>'
            '<saml:Issuer>%s</saml:Issuer><samlp:Status><samlp:StatusCode '
            'Value="urn:oasis:names:tc:SAML:2.0:status:%s"/></samlp:Status>'
            '%s</samlp:Response>'
            % (NS_SAMLP, NS_SAML, rid, iso(-10), d, i, issuer, status, body))


def sig_template(ref, sigalg=RSA_SHA256, digalg=SHA256):
    return ('<ds:Signature xmlns:ds="%s"><ds:SignedInfo>'
            '<ds:CanonicalizationMethod Algorithm="%s"/>'
            '<ds:SignatureMethod Algorithm="%s"/>'
            '<ds:Reference URI="#%s"><ds:Transforms>'
            '<ds:Transform Algorithm="%s"/><ds:Transform Algorithm="%s"/>'
            '</ds:Transforms><ds:DigestMethod Algorithm="%s"/>'
            '<ds:DigestValue></ds:DigestValue></ds:Reference></ds:SignedInfo>'
            '<ds:SignatureValue></ds:SignatureValue><ds:KeyInfo><ds:X509Data>'
            '</ds:X509Data></ds:KeyInfo></ds:Signature>'
            % (NS_DS, EXC_C14N, sigalg, ref, ENVELOPED, EXC_C14N, digalg))


def strip_decl(xml):
    return re.sub(r"^<\?xml[^>]*\?>\s*", "", xml)


def sign(xml, ref, key, sigalg=RSA_SHA256, digalg=SHA256):
    """Put a signature template after the Issuer of the element whose ID is
    ref (SAML core §5.4.1 placement) and let xmlsec1 sign it."""
    start = xml.index('ID="%s"' % ref)
    at = xml.index("</saml:Issuer>", start) + len("</saml:Issuer>")
    xml = xml[:at] + sig_template(ref, sigalg, digalg) + xml[at:]
    with tempfile.TemporaryDirectory() as td:
        src, dst = os.path.join(td, "in.xml"), os.path.join(td, "out.xml")
        with open(src, "w") as f:
            f.write(xml)
        subprocess.run(
            ["xmlsec1", "--sign", "--privkey-pem",
             "%s,%s" % (key["kpath"], key["cpath"]),
             "--id-attr:ID", NS_SAMLP + ":Response",
             "--id-attr:ID", NS_SAML + ":Assertion",
             "--output", dst, src], check=True)
        with open(dst) as f:
            return strip_decl(f.read())


def encrypt_assertion(assertion_xml, sp):
    """EncryptedAssertion as Entra ID makes it: aes256-cbc content key
    transported with rsa-oaep-mgf1p to the SP certificate."""
    k, iv = os.urandom(32), os.urandom(16)
    p = sympad.PKCS7(128).padder()
    data = p.update(assertion_xml.encode()) + p.finalize()
    e = Cipher(algorithms.AES(k), modes.CBC(iv)).encryptor()
    ct = iv + e.update(data) + e.finalize()
    ek = sp["key"].public_key().encrypt(k, padding.OAEP(
        mgf=padding.MGF1(hashes.SHA1()), algorithm=hashes.SHA1(), label=None))
    xenc = "http://www.w3.org/2001/04/xmlenc#"
    return ('<saml:EncryptedAssertion><xenc:EncryptedData xmlns:xenc="%s" '
            'Type="%sElement"><xenc:EncryptionMethod Algorithm="%saes256-cbc"/>'
            '<ds:KeyInfo xmlns:ds="%s"><xenc:EncryptedKey>'
            '<xenc:EncryptionMethod Algorithm="%srsa-oaep-mgf1p"/>'
            '<xenc:CipherData><xenc:CipherValue>%s</xenc:CipherValue>'
            '</xenc:CipherData></xenc:EncryptedKey></ds:KeyInfo>'
            '<xenc:CipherData><xenc:CipherValue>%s</xenc:CipherValue>'
            '</xenc:CipherData></xenc:EncryptedData></saml:EncryptedAssertion>'
            % (xenc, xenc, xenc, NS_DS, xenc, base64.b64encode(ek).decode(),
               base64.b64encode(ct).decode()))


def extract(xml, tag, nth=0):
    """The nth <tag ...>...</tag> element (no nesting of the same tag)."""
    starts = [m.start() for m in re.finditer("<%s[ >]" % re.escape(tag), xml)]
    s = starts[nth]
    e = xml.index("</%s>" % tag, s) + len("</%s>" % tag)
    return xml[s:e]


# ---------------------------------------------------------------- cases

def build(k):
    idp_a, idp_b, entra, evil, sp = k["idp-a"], k["idp-b"], k["entra"], \
        k["evil"], k["sp"]
    c = {}

    def signed_a(a=None, key=idp_a, **kw):
        return sign(a or assertion(**kw), "_a1", key)

    # --- valid
    a_signed = signed_a()
    c["ok_assertion_signed"] = response(a_signed)
    c["ok_response_signed"] = sign(response(assertion()), "_r1", idp_a)
    c["ok_both_signed"] = sign(response(a_signed), "_r1", idp_a)
    c["ok_rollover"] = response(signed_a(key=idp_b))
    c["ok_encrypted"] = response(encrypt_assertion(a_signed, sp))
    c["ok_encrypted_response_signed"] = sign(
        response(encrypt_assertion(assertion(), sp)), "_r1", idp_a)
    c["ok_aws_recipient"] = response(signed_a(recipient=AWS_ACS),
                                     dest=AWS_ACS)
    c["ok_no_destination"] = response(a_signed, dest=None)
    c["ok_multi_audience"] = response(signed_a(
        audiences=(("urn:other:sp", SP),)))
    c["ok_in_response_to"] = response(signed_a(irt="_req1"), irt="_req1")
    c["ok_skew"] = response(signed_a(noa=-30, scd_noa=-30))
    azure_attrs = [
        ("http://schemas.microsoft.com/identity/claims/tenantid",
         ["9188040d-6c67-4c5b-b112-36a304b66dad"]),
        ("http://schemas.microsoft.com/identity/claims/objectidentifier",
         ["3f2504e0-4f89-11d3-9a0c-0305e82c3301"]),
        ("http://schemas.microsoft.com/identity/claims/displayname",
         ["Alice Example"]),
        ("http://schemas.microsoft.com/identity/claims/identityprovider",
         [ENTRA]),
        ("http://schemas.microsoft.com/claims/authnmethodsreferences",
         ["http://schemas.microsoft.com/ws/2008/06/identity/"
          "authenticationmethod/password",
          "http://schemas.microsoft.com/claims/multipleauthn"]),
        ("http://schemas.xmlsoap.org/ws/2005/05/identity/claims/emailaddress",
         ["alice@contoso.example"]),
        ("http://schemas.microsoft.com/ws/2008/06/identity/claims/groups",
         ["e7a9c1f2-0000-4000-8000-000000000001",
          "e7a9c1f2-0000-4000-8000-000000000002"]),
        (ROLE, ["arn:aws:iam::111122223333:role/Admin,"
                "arn:aws:iam::111122223333:saml-provider/entra"]),
        (RSN, ["alice@contoso.example"])]
    c["ok_azure"] = response(
        sign(assertion(aid="_a1", issuer=ENTRA, nameid="alice@contoso.example",
                       attrs=azure_attrs), "_a1", entra),
        issuer=ENTRA)
    okta_attrs = [(ROLE, [ROLE_VALUE, "arn:aws:iam::111122223333:role/Dev,"
                          "arn:aws:iam::111122223333:saml-provider/test-idp"]),
                  (RSN, ["alice@example.test"]),
                  ("https://aws.amazon.com/SAML/Attributes/SessionDuration",
                   ["3600"]),
                  ("https://aws.amazon.com/SAML/Attributes/PrincipalTag:Dept",
                   ["Eng"])]
    c["ok_okta"] = sign(response(sign(assertion(attrs=okta_attrs, typed=True),
                                      "_a1", idp_a)), "_r1", idp_a)
    google_attrs = [(ROLE, [ROLE_VALUE]), (RSN, ["alice@example.test"])]
    c["ok_google"] = sign(response(assertion(
        fmt="urn:oasis:names:tc:SAML:1.1:nameid-format:unspecified",
        attrs=google_attrs)), "_r1", idp_a)
    # Comment inside signed text: exc-c14n drops comments, so the signature
    # holds; the value must be read whole (SAML core has no comments in
    # values; Duo/CVE-2017-11427 class).
    c["ok_comment_signed"] = response(signed_a(
        nameid="alice@good.com<!---->.evil.com"))
    c["comment_nameid_after_signing"] = response(signed_a(
        nameid="alice@good.com.evil.com")).replace(
        "alice@good.com.evil.com", "alice@good.com<!---->.evil.com")
    c["comment_role_after_signing"] = response(a_signed).replace(
        "role/Admin,", "role/Adm<!-- x -->in,")

    # --- signature
    c["unsigned"] = response(assertion())
    c["evil_key_keyinfo"] = response(signed_a(key=evil))
    c["evil_key_both"] = sign(response(signed_a(key=evil)), "_r1", evil)
    c["attr_changed"] = response(a_signed).replace(">admins<", ">root<")
    c["nameid_changed"] = sign(response(assertion()), "_r1", idp_a).replace(
        "alice@example.test</saml:NameID>", "admin@example.test</saml:NameID>")
    c["resp_signed_assertion_changed"] = c["ok_response_signed"].replace(
        ">devs<", ">root<")
    c["sha1"] = response(sign(assertion(), "_a1", idp_a, RSA_SHA1, SHA1))
    c["sha1_digest"] = response(sign(assertion(), "_a1", idp_a, RSA_SHA256,
                                     SHA1))
    c["xpath_transform"] = response(a_signed).replace(
        '<ds:Transform Algorithm="%s"/>' % EXC_C14N,
        '<ds:Transform Algorithm="http://www.w3.org/TR/1999/REC-xpath-19991116">'
        '<ds:XPath>not(ancestor-or-self::ds:Signature)</ds:XPath>'
        '</ds:Transform>', 1)
    c["hmac"] = response(a_signed).replace(
        RSA_SHA256, "http://www.w3.org/2001/04/xmldsig-more#hmac-sha256")
    c["inclusive_c14n"] = response(a_signed).replace(
        '<ds:CanonicalizationMethod Algorithm="%s"/>' % EXC_C14N,
        '<ds:CanonicalizationMethod Algorithm="http://www.w3.org/TR/2001/'
        'REC-xml-c14n-20010315"/>')
    c["empty_reference"] = response(a_signed).replace('URI="#_a1"', 'URI=""')
    c["wrong_entra_key"] = response(sign(assertion(issuer=ENTRA), "_a1",
                                         idp_a), issuer=ENTRA)

    # --- wrapping (SAML Raider XSW1-8 and the row-18 variant)
    evil_a = assertion(aid="_evil", nameid="admin@example.test",
                       attrs=[(ROLE, ["arn:aws:iam::111122223333:role/Root,"
                                      "arn:aws:iam::111122223333:saml-"
                                      "provider/test-idp"])])
    rs = c["ok_response_signed"]
    rsig = extract(rs, "ds:Signature")
    orig_resp = rs
    # XSW1: evil Response root; the signature (still over #_r1) holds the
    # original Response as a child.
    c["xsw1"] = response(evil_a, rid="_evilr").replace(
        "</saml:Issuer>", "</saml:Issuer>" + rsig.replace(
            "</ds:Signature>", orig_resp + "</ds:Signature>"), 1)
    # XSW2: as XSW1, the original Response detached before the signature.
    c["xsw2"] = response(evil_a, rid="_evilr").replace(
        "</saml:Issuer>", "</saml:Issuer>" + orig_resp + rsig, 1)
    asig = extract(a_signed, "ds:Signature")
    # XSW3: evil assertion (same ID) before the signed one.
    c["xsw3"] = response(evil_a.replace('ID="_evil"', 'ID="_a1"') + a_signed)
    c["xsw3_other_id"] = response(evil_a + a_signed)
    # XSW4: the signed assertion wrapped inside the evil one.
    c["xsw4"] = response(evil_a.replace("</saml:Assertion>",
                                        a_signed + "</saml:Assertion>"))
    # XSW5: evil assertion carrying a copy of the signature, the original
    # (unsigned) appended at the end.
    a_nosig = a_signed.replace(asig, "")
    c["xsw5"] = response(evil_a.replace(
        "</saml:Issuer>", "</saml:Issuer>" + asig, 1) + a_nosig)
    # XSW6: evil assertion with the copied signature holding the original.
    c["xsw6"] = response(evil_a.replace(
        "</saml:Issuer>", "</saml:Issuer>" + asig.replace(
            "</ds:Signature>", "<ds:Object>" + a_nosig +
            "</ds:Object></ds:Signature>"), 1))
    # XSW7: original inside samlp:Extensions, evil assertion after.
    c["xsw7"] = response(evil_a).replace(
        "<samlp:Status>", "<samlp:Extensions>" + a_signed +
        "</samlp:Extensions><samlp:Status>", 1)
    # XSW8: evil assertion, copied signature, Object with the original
    # stripped of its signature.
    c["xsw8"] = response(evil_a.replace('ID="_evil"', 'ID="_a1"').replace(
        "</saml:Issuer>", "</saml:Issuer>" + asig.replace(
            "</ds:Signature>", "<ds:Object>" + a_nosig +
            "</ds:Object></ds:Signature>"), 1))
    c["xsw_advice"] = response(evil_a.replace(
        "<saml:Conditions", "<saml:Advice>" + a_signed +
        "</saml:Advice><saml:Conditions", 1))
    c["two_assertions"] = response(a_signed + sign(assertion(aid="_a2"),
                                                   "_a2", idp_a))
    c["no_assertion"] = sign(response(""), "_r1", idp_a)
    c["extra_assertion_appended"] = c["ok_response_signed"].replace(
        "</samlp:Response>", evil_a + "</samlp:Response>")

    # --- DTD / entities
    lol = ('<?xml version="1.0"?>\n<!DOCTYPE lolz [<!ENTITY lol "lol">'
           + "".join('<!ENTITY lol%d "%s">' % (i, ("&lol%d;" % (i - 1)
                                                    if i else "&lol;") * 10)
                     for i in range(10)) + ']>\n')
    c["billion_laughs"] = lol + response(a_signed).replace(
        "alice@example.test</saml:NameID>", "&lol9;</saml:NameID>")
    c["xxe_file"] = ('<?xml version="1.0"?>\n<!DOCTYPE r [<!ENTITY x SYSTEM '
                     '"file:///etc/passwd">]>\n' + response(a_signed).replace(
                         "alice@example.test</saml:NameID>",
                         "&x;</saml:NameID>"))
    c["doctype_lowercase"] = '<!doctype samlp:Response>' + response(a_signed)

    # --- Status / issuer
    c["status_responder"] = sign(response("", status="Responder"), "_r1",
                                 idp_a)
    c["issuer_unknown"] = response(sign(assertion(issuer="https://evil.test/"),
                                        "_a1", evil),
                                   issuer="https://evil.test/")
    c["issuer_mismatch"] = sign(response(assertion(issuer=ENTRA)), "_r1",
                                idp_a)

    # --- conditions and confirmation (all correctly signed)
    c["audience_wrong"] = response(signed_a(audiences=(("urn:other:sp",),)))
    c["audience_extra_restriction"] = response(signed_a(
        audiences=((SP,), ("urn:other:sp",))))
    c["audience_missing"] = response(signed_a(conditions=False))
    c["recipient_wrong"] = response(signed_a(
        recipient="https://evil.example/acs"))
    c["destination_wrong"] = response(a_signed,
                                      dest="https://evil.example/acs")
    c["expired"] = response(signed_a(noa=-3600, scd_noa=-3600))
    c["scd_expired"] = response(signed_a(scd_noa=-3600))
    c["not_yet_valid"] = response(signed_a(nb=3600))
    c["time_offset"] = response(signed_a(nb_s="2029-12-31T23:00:00+00:00"))
    c["time_garbage"] = response(signed_a(noa_s="tomorrow"))
    c["no_bearer"] = response(signed_a(method="holder-of-key"))
    c["irt_unknown"] = response(signed_a(irt="_req9"), irt="_req9")
    c["irt_scd_mismatch"] = response(signed_a(irt="_req2"), irt="_req1")
    return c


def c_string(name, text):
    out = ["static const char %s[] =" % name]
    for line in text.splitlines(True):
        out.append('    "%s"' % line.replace("\\", "\\\\").replace('"', '\\"')
                   .replace("\n", "\\n"))
    return "\n".join(out) + ";\n"


def main():
    for f in os.listdir(HERE):
        if f.endswith((".xml", ".key", ".crt")):
            os.remove(os.path.join(HERE, f))
    k = {n: make_key(n, n) for n in ("idp-a", "idp-b", "entra", "evil", "sp")}
    write("idp-metadata.xml", idp_metadata(IDP, [k["idp-a"], k["idp-b"]]))
    write("entra-metadata.xml", idp_metadata(ENTRA, [k["entra"]]))
    cases = build(k)
    for name, xml in sorted(cases.items()):
        write("%s.xml" % name, xml)
    # Fuzz seeds: the first byte picks the mode of fuzz_saml.c ('B': the rest
    # is base64 text; anything else: the rest is the document).
    # Seeds are overwritten, never deleted: the corpus also holds
    # regression inputs found by fuzzing (regress_*).
    os.makedirs(CORPUS, exist_ok=True)
    for name in ("ok_assertion_signed", "ok_both_signed", "ok_encrypted",
                 "xsw3", "xsw7", "comment_nameid_after_signing",
                 "audience_extra_restriction", "billion_laughs"):
        with open(os.path.join(CORPUS, name), "wb") as f:
            f.write(b"X" + cases[name].encode())
    with open(os.path.join(CORPUS, "b64_ok_response_signed"), "wb") as f:
        f.write(b"B" + base64.encodebytes(
            cases["ok_response_signed"].encode()))
    hdr = ("/* tests/data/saml/fuzz_material.h - generated by gen.py: the\n"
           " * fuzz target reads no files. Test keys only. */\n"
           + c_string("FUZZ_IDP_METADATA",
                      open(os.path.join(HERE, "idp-metadata.xml")).read())
           + c_string("FUZZ_SP_CERT", k["sp"]["cpem"])
           + c_string("FUZZ_SP_KEY", k["sp"]["kpem"]))
    write("fuzz_material.h", hdr)


if __name__ == "__main__":
    main()
