/* gateway/server.c - not written yet */
