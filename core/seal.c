/* core/seal.c - not written yet */
