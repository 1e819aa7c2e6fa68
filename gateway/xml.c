/* gateway/xml.c - not written yet */
