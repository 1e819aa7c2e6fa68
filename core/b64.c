/* core/b64.c - not written yet */
