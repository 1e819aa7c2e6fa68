/* trust/eval.c - not written yet */
