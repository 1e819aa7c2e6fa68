/* core/mem.c - not written yet */
