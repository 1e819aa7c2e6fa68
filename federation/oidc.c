/* federation/oidc.c - not written yet */
