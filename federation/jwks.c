/* federation/jwks.c - not written yet */
