<?php
/*
 * fedgate as the SP: its entity id and ACS (public_url + /saml/acs).
 * Response and Assertion both signed, RSA-SHA256, HTTP-POST binding.
 */
$fedgate = [
    'AssertionConsumerService' => '@SP_ACS@',
    'NameIDFormat' => 'urn:oasis:names:tc:SAML:2.0:nameid-format:persistent',
    'attributes.NameFormat' => 'urn:oasis:names:tc:SAML:2.0:attrname-format:uri',
    'attributes' => [
        'uid',
        'mail',
        'https://aws.amazon.com/SAML/Attributes/Role',
        'https://aws.amazon.com/SAML/Attributes/RoleSessionName',
        'https://aws.amazon.com/SAML/Attributes/SessionDuration',
    ],
    'saml20.sign.response' => true,
    'saml20.sign.assertion' => true,
    'signature.algorithm' => 'http://www.w3.org/2001/04/xmldsig-more#rsa-sha256',
];
$metadata['@SP_ENTITY@'] = $fedgate;

/*
 * Variants of the same SP under other entity ids (IdP-initiated with
 * spentityid=<id>). 'audience' adds fedgate's entity id as a second
 * Audience, so each differs from the real SP only in what it names.
 */
$variant = function (array $o) use ($fedgate) {
    return array_merge($fedgate, ['audience' => ['@SP_ENTITY@']], $o);
};
/* Entra ID's default: only the Assertion signed. */
$metadata['@SP_ENTITY@:assertion-signed'] = $variant(['saml20.sign.response' => false]);
$metadata['@SP_ENTITY@:response-signed'] = $variant(['saml20.sign.assertion' => false]);
$metadata['@SP_ENTITY@:unsigned'] = $variant([
    'saml20.sign.response' => false,
    'saml20.sign.assertion' => false,
]);
$metadata['@SP_ENTITY@:sha1'] = $variant([
    'signature.algorithm' => 'http://www.w3.org/2000/09/xmldsig#rsa-sha1',
]);
/* EncryptedAssertion for fedgate's SP certificate (RSA-OAEP + AES-128-CBC). */
$metadata['@SP_ENTITY@:encrypted'] = $variant([
    'assertion.encryption' => true,
    'certificate' => '@SP_CERT@',
]);
/* Made for an ACS that is not fedgate's: Recipient and Destination differ. */
$metadata['@SP_ENTITY@:other-acs'] = $variant([
    'AssertionConsumerService' => 'http://127.0.0.1:9/saml/acs',
]);
/* Another SP behind the same ACS URL: Audience does not name fedgate. */
$metadata['urn:other:sp'] = $fedgate;
