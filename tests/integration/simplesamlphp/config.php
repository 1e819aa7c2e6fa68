<?php
/*
 * SimpleSAMLphp 1.19 (Debian) as the test IdP of test_simplesamlphp.py.
 * Rendered into a per-run tmp dir (at-sign placeholders) and selected with
 * SIMPLESAMLPHP_CONFIG_DIR, so nothing under /etc/simplesamlphp is used.
 */
$config = [
    'baseurlpath' => '@BASEURL@/',
    'certdir' => '@DIR@/cert/',
    'loggingdir' => '@DIR@/log/',
    'datadir' => '@DIR@/data/',
    'tempdir' => '@DIR@/tmp',
    'metadatadir' => '@DIR@/metadata/',
    'technicalcontact_name' => 'fedgate tests',
    'technicalcontact_email' => 'test@example.com',
    'timezone' => 'UTC',
    'secretsalt' => '@SALT@',
    'auth.adminpassword' => '@ADMINPASS@',
    'admin.protectindexpage' => true,
    'admin.protectmetadata' => false,
    'logging.level' => SimpleSAML\Logger::DEBUG,
    'logging.handler' => 'file',
    'logging.logfile' => 'simplesamlphp.log',
    'enable.saml20-idp' => true,
    'module.enable' => ['exampleauth' => true, 'core' => true, 'saml' => true],
    'store.type' => 'phpsession',
    'session.cookie.secure' => false,
    'session.cookie.samesite' => null,
    'session.duration' => 8 * 60 * 60,
    'language.default' => 'en',
];
