/* gateway/audit.c - not written yet */
