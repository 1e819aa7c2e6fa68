/* gateway/sts.c - not written yet */
