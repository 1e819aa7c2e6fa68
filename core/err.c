/* core/err.c - not written yet */
