/* gateway/sdnotify.c - the sd_notify(3) datagram, written by hand
 *
 * libsystemd is one more library for one sendto(); the protocol is
 * stable and documented in sd_notify(3): the address is a file system
 * path or, with a leading '@', a Linux abstract socket name.
 */
#include "gateway/sdnotify.h"

#include <sys/socket.h>
#include <sys/un.h>

#include <errno.h>
#include <inttypes.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "core/log.h"

/* Fill *sun from the variable; the socklen_t to use, or 0 if malformed. */
static socklen_t
notify_addr(const char *path, struct sockaddr_un *sun)
{
	size_t n = strlen(path);

	memset(sun, 0, sizeof(*sun));
	sun->sun_family = AF_UNIX;
	if ((path[0] != '/' && path[0] != '@') || n < 2 ||
	    n > sizeof(sun->sun_path))
		return 0;
	memcpy(sun->sun_path, path, n);
	/* An abstract name has no trailing NUL: its length is exact. */
	if (path[0] == '@')
		sun->sun_path[0] = '\0';
	else if (n == sizeof(sun->sun_path))
		return 0;
	return (socklen_t)(offsetof(struct sockaddr_un, sun_path) + n +
			   (path[0] == '/'));
}

int
gw_sdnotify(const char *state)
{
	const char *path = getenv(GW_SDNOTIFY_ENV);
	struct sockaddr_un sun;
	socklen_t len;
	ssize_t sent;
	int fd;

	if (path == NULL || path[0] == '\0')
		return 0;
	len = notify_addr(path, &sun);
	if (len == 0) {
		log_warnx("%s: $%s is neither a path nor an @abstract name",
			  __func__, GW_SDNOTIFY_ENV);
		return -1;
	}
	fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd == -1) {
		log_warn("%s: socket", __func__);
		return -1;
	}
	sent = sendto(fd, state, strlen(state), MSG_NOSIGNAL,
		      (struct sockaddr *)&sun, len);
	if (sent == -1)
		log_warn("%s: sendto $%s", __func__, GW_SDNOTIFY_ENV);
	close(fd);
	return sent == (ssize_t)strlen(state) ? 1 : -1;
}

int
gw_sdnotify_reloading(void)
{
	char msg[GW_SDNOTIFY_MAX];
	struct timespec ts;

	/* systemd matches the reload to this moment (notify-reload). */
	clock_gettime(CLOCK_MONOTONIC, &ts);
	snprintf(msg, sizeof(msg), "RELOADING=1\nMONOTONIC_USEC=%" PRIu64,
		 (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u);
	return gw_sdnotify(msg);
}
