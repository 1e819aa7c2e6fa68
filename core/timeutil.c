/* core/timeutil.c - not written yet */
