/*
 * listen.c: listening sockets for mxgrey-policyd.
 */
#include <sys/types.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include <netinet/in.h>

#include <errno.h>
#include <netdb.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "daemon.h"
#include "listen.h"

#define BACKLOG 128

static int
listen_unix(const char *path, int mode, uid_t owner, gid_t group, char *err,
    size_t errsize)
{
	struct sockaddr_un sun;
	struct stat st;
	int fd = -1;

	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	if (*path == '\0') {
		snprintf(err, errsize, "unix socket path is empty");
		goto fail;
	}
	if (strlen(path) >= sizeof(sun.sun_path)) {
		snprintf(err, errsize,
		    "unix:%s: socket path too long (%zu bytes, at most %zu)",
		    path, strlen(path), sizeof(sun.sun_path) - 1);
		goto fail;
	}
	memcpy(sun.sun_path, path, strlen(path) + 1);
	if (lstat(path, &st) == 0 && S_ISSOCK(st.st_mode))
		(void)unlink(path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd == -1 || bind(fd, (struct sockaddr *)&sun, sizeof(sun)) == -1 ||
	    chmod(path, (mode_t)mode) == -1 ||
	    (owner != (uid_t)-1 && chown(path, owner, group) == -1) ||
	    listen(fd, BACKLOG) == -1) {
		snprintf(err, errsize, "unix:%s: %s", path, strerror(errno));
		goto fail;
	}
	return fd;
fail:
	if (fd != -1)
		close(fd);
	return -1;
}

static int
listen_inet(const char *spec, char *err, size_t errsize)
{
	struct addrinfo hints, *res = NULL;
	char host[256];
	const char *port, *h = "127.0.0.1", *colon, *given = spec;
	size_t hl;
	int fd = -1, on = 1, rc;

	if (spec[0] == '[') {
		colon = strstr(spec, "]:");
		if (colon == NULL) {
			snprintf(err, errsize,
			    "bad listen address 'inet:%s': no port", spec);
			goto fail;
		}
		hl = (size_t)(colon - spec - 1);
		port = colon + 2;
		spec++;
	} else if ((colon = strrchr(spec, ':')) != NULL) {
		hl = (size_t)(colon - spec);
		port = colon + 1;
	} else {
		hl = 0;
		port = spec;
	}
	if (*port == '\0') {
		snprintf(err, errsize, "bad listen address 'inet:%s': no port",
		    given);
		goto fail;
	}
	if (!mxg_daemon_port_ok(port, strlen(port))) {
		snprintf(err, errsize,
		    "bad listen address 'inet:%s': port '%s' is not a number "
		    "from 1 to 65535",
		    given, port);
		goto fail;
	}
	if (hl >= sizeof(host)) {
		snprintf(err, errsize, "inet: host name too long");
		goto fail;
	}
	if (hl > 0) {
		memcpy(host, spec, hl);
		host[hl] = '\0';
		h = host;
	}
	memset(&hints, 0, sizeof(hints));
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
	if ((rc = getaddrinfo(h, port, &hints, &res)) != 0) {
		snprintf(
		    err, errsize, "inet:%s:%s: %s", h, port, gai_strerror(rc));
		goto fail;
	}
	fd = socket(res->ai_family,
	    res->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, res->ai_protocol);
	if (fd == -1 ||
	    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof(on)) == -1 ||
	    (res->ai_family == AF_INET6 &&
	        setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &on, sizeof(on)) ==
	            -1) ||
	    bind(fd, res->ai_addr, res->ai_addrlen) == -1 ||
	    listen(fd, BACKLOG) == -1) {
		snprintf(
		    err, errsize, "inet:%s:%s: %s", h, port, strerror(errno));
		goto fail;
	}
	freeaddrinfo(res);
	return fd;
fail:
	if (fd != -1)
		close(fd);
	if (res != NULL)
		freeaddrinfo(res);
	return -1;
}

int
mxg_listen(const char *spec, int mode, uid_t owner, gid_t group, char *err,
    size_t errsize)
{
	if (strncmp(spec, "unix:", 5) == 0)
		return listen_unix(spec + 5, mode, owner, group, err, errsize);
	if (strncmp(spec, "local:", 6) == 0)
		return listen_unix(spec + 6, mode, owner, group, err, errsize);
	if (spec[0] == '/')
		return listen_unix(spec, mode, owner, group, err, errsize);
	if (strncmp(spec, "inet:", 5) == 0)
		return listen_inet(spec + 5, err, errsize);
	snprintf(err, errsize, "%s: not inet:HOST:PORT or unix:PATH", spec);
	return -1;
}
