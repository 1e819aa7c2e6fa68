<?php
/*
 * fedgate's login page as the SP (test_login_browser.py): the ACS of its
 * /saml/metadata, Response and Assertion signed with RSA-SHA256, and
 * AuthnRequests must be signed with fedgate's SP key (validate.authnrequest):
 * SimpleSAMLphp checks the HTTP-Redirect signature against this certificate.
 */
$metadata['@SP_ENTITY@'] = [
    'AssertionConsumerService' => [[
        'Binding' => 'urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST',
        'Location' => '@SP_ACS@',
    ]],
    'certificate' => '@SP_CERT@',
    'validate.authnrequest' => true,
    'NameIDFormat' => 'urn:oasis:names:tc:SAML:2.0:nameid-format:persistent',
    'attributes.NameFormat' => 'urn:oasis:names:tc:SAML:2.0:attrname-format:uri',
    'attributes' => [
        'uid',
        'mail',
        'https://aws.amazon.com/SAML/Attributes/Role',
        'https://aws.amazon.com/SAML/Attributes/RoleSessionName',
    ],
    'saml20.sign.response' => true,
    'saml20.sign.assertion' => true,
    'signature.algorithm' => 'http://www.w3.org/2001/04/xmldsig-more#rsa-sha256',
];
