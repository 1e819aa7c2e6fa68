/* gateway/conf.c - not written yet */
