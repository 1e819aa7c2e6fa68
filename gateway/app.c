/* gateway/app.c - not written yet */
