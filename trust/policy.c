/* trust/policy.c - not written yet */
