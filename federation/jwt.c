/* federation/jwt.c - not written yet */
