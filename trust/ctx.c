/* trust/ctx.c - not written yet */
