<?php
/*
 * Static users (exampleauth:UserPass). Attribute names are the ones AWS
 * reads; alice's second Role value puts the provider ARN first (as Okta
 * does), bob's names a role that is not the one he asks for.
 */
$config = [
    'admin' => ['core:AdminPassword'],
    'example-userpass' => [
        'exampleauth:UserPass',
        'alice:@ALICEPASS@' => [
            'uid' => ['alice'],
            'mail' => ['alice@example.com'],
            'https://aws.amazon.com/SAML/Attributes/Role' => [
                'arn:aws:iam::@ACCOUNT@:role/@ROLE@,arn:aws:iam::@ACCOUNT@:saml-provider/@PROVIDER@',
                'arn:aws:iam::@ACCOUNT@:saml-provider/@PROVIDER@,arn:aws:iam::@ACCOUNT@:role/@ROLE2@',
            ],
            'https://aws.amazon.com/SAML/Attributes/RoleSessionName' => ['alice@example.com'],
            'https://aws.amazon.com/SAML/Attributes/SessionDuration' => ['1800'],
        ],
        'bob:@BOBPASS@' => [
            'uid' => ['bob'],
            'mail' => ['bob@example.com'],
            'https://aws.amazon.com/SAML/Attributes/Role' => [
                'arn:aws:iam::@ACCOUNT@:role/@OTHERROLE@,arn:aws:iam::@ACCOUNT@:saml-provider/@PROVIDER@',
            ],
            'https://aws.amazon.com/SAML/Attributes/RoleSessionName' => ['bob@example.com'],
        ],
    ],
];
