/* federation/fetch.c - not written yet */
