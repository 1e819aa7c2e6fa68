/* trust/match.c - not written yet */
