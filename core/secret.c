/* core/secret.c - not written yet */
