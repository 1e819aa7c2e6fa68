/* gateway/form.c - not written yet */
