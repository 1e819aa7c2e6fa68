/* federation/presets.c - not written yet */
