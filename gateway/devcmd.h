/* gateway/devcmd.h - `fedgate dev`: one command to a working gateway */
#ifndef GW_DEVCMD_H
#define GW_DEVCMD_H

/**
 * Run with the embedded development config on 127.0.0.1:port: key ring in
 * state_dir (a new temporary directory if NULL), the built-in OIDC issuer
 * at /dev/idp, sample roles, audit to stdout, and print ready-to-paste
 * commands. Returns the exit status.
 */
int gw_dev_main(int port, const char *state_dir);

/** The embedded dev config for a port and state dir (malloc'd YAML). */
char *gw_dev_config(int port, const char *state_dir);

#endif /* GW_DEVCMD_H */
