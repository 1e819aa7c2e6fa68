/* gateway/devidp.c - not written yet */
