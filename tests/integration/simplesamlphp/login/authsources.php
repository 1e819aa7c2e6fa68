<?php
/*
 * Users of test_login_browser.py (the login page, [4/5]). alice has four
 * roles in two accounts (the role picker groups and filters them), bob
 * exactly one (the picker is skipped). Each Role value pairs the role with
 * the saml-provider ARN of the role's own account.
 */
$config = [
    'admin' => ['core:AdminPassword'],
    'example-userpass' => [
        'exampleauth:UserPass',
        'alice:@ALICEPASS@' => [
            'uid' => ['alice'],
            'mail' => ['alice@example.com'],
            'https://aws.amazon.com/SAML/Attributes/Role' => [
                'arn:aws:iam::@ACCOUNT_A@:role/ssp-admin,arn:aws:iam::@ACCOUNT_A@:saml-provider/@PROVIDER@',
                'arn:aws:iam::@ACCOUNT_A@:saml-provider/@PROVIDER@,arn:aws:iam::@ACCOUNT_A@:role/ssp-dev',
                'arn:aws:iam::@ACCOUNT_B@:role/ssp-readonly,arn:aws:iam::@ACCOUNT_B@:saml-provider/@PROVIDER@',
                'arn:aws:iam::@ACCOUNT_B@:role/ssp-deploy,arn:aws:iam::@ACCOUNT_B@:saml-provider/@PROVIDER@',
            ],
            'https://aws.amazon.com/SAML/Attributes/RoleSessionName' => ['alice@example.com'],
        ],
        'bob:@BOBPASS@' => [
            'uid' => ['bob'],
            'mail' => ['bob@example.com'],
            'https://aws.amazon.com/SAML/Attributes/Role' => [
                'arn:aws:iam::@ACCOUNT_A@:role/ssp-dev,arn:aws:iam::@ACCOUNT_A@:saml-provider/@PROVIDER@',
            ],
            'https://aws.amazon.com/SAML/Attributes/RoleSessionName' => ['bob@example.com'],
        ],
    ],
];
