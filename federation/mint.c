/* federation/mint.c - not written yet */
