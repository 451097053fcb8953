/*
 * mxg_dnstest.h: a real DNS server (Debian's dnsmasq) for the lookup
 * tests, on 127.0.0.1 at a free port, with the test zones below; a
 * "silent" UDP socket that receives queries and never answers; and a
 * delaying UDP relay in front of dnsmasq (every query waits delay_ms
 * before it is passed on), to measure round trips on loopback.
 *
 * Every child dies with the test program even if that crashes (the relay
 * by PR_SET_PDEATHSIG, dnsmasq through its keeper and a pipe);
 * mxg_dnstest_stop() ends them normally.
 */
#ifndef MXG_DNSTEST_H
#define MXG_DNSTEST_H

#include <sys/types.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define DNSMASQ "/usr/sbin/dnsmasq"

struct mxg_dnstest {
	char dir[256];
	char log[512];
	int port;        /* dnsmasq, UDP and TCP */
	int silent_port; /* receives, never answers */
	int silent_fd;
	int relay_port; /* delays each query, then dnsmasq */
	pid_t dnsmasq;  /* its keeper, which outlives nothing */
	int life_fd;    /* the keeper ends dnsmasq when this closes */
	pid_t relay;
	int v6; /* dnsmasq listens on ::1 too */
};

/* Can we bind to ::1 here? */
static inline int
dnstest_have_v6(void)
{
	struct sockaddr_in6 sin6;
	int fd, ok;

	if ((fd = socket(AF_INET6, SOCK_DGRAM, 0)) == -1)
		return 0;
	memset(&sin6, 0, sizeof(sin6));
	sin6.sin6_family = AF_INET6;
	sin6.sin6_addr = in6addr_loopback;
	ok = bind(fd, (struct sockaddr *)&sin6, sizeof(sin6)) == 0;
	close(fd);
	return ok;
}

/* A UDP socket bound to 127.0.0.1 at a free port. */
static inline int
dnstest_udp(int *port)
{
	struct sockaddr_in sin;
	socklen_t len = sizeof(sin);
	int fd;

	if ((fd = socket(AF_INET, SOCK_DGRAM, 0)) == -1)
		return -1;
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (bind(fd, (struct sockaddr *)&sin, sizeof(sin)) == -1 ||
	    getsockname(fd, (struct sockaddr *)&sin, &len) == -1) {
		close(fd);
		return -1;
	}
	*port = ntohs(sin.sin_port);
	return fd;
}

/* A port free for both UDP and TCP on 127.0.0.1 (now). */
static inline int
dnstest_free_port(void)
{
	struct sockaddr_in sin;
	int port, u, t, ok;

	for (;;) {
		if ((u = dnstest_udp(&port)) == -1)
			return -1;
		t = socket(AF_INET, SOCK_STREAM, 0);
		memset(&sin, 0, sizeof(sin));
		sin.sin_family = AF_INET;
		sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		sin.sin_port = htons((unsigned short)port);
		ok = t != -1 &&
		    bind(t, (struct sockaddr *)&sin, sizeof(sin)) == 0;
		close(u);
		if (t != -1)
			close(t);
		if (ok)
			return port;
	}
}

/* Send one A query for name to port; 1 if any reply came within 200ms. */
static inline int
dnstest_ping(int port, const char *name)
{
	unsigned char q[300];
	struct sockaddr_in sin;
	struct pollfd pfd;
	size_t n = 12;
	const char *p, *dot;
	int fd, ok = 0;

	memset(q, 0, 12);
	q[0] = 0x42;
	q[2] = 0x01; /* RD */
	q[5] = 1;    /* one question */
	for (p = name; *p != '\0'; p = *dot ? dot + 1 : dot) {
		if ((dot = strchr(p, '.')) == NULL)
			dot = p + strlen(p);
		q[n++] = (unsigned char)(dot - p);
		memcpy(q + n, p, (size_t)(dot - p));
		n += (size_t)(dot - p);
	}
	q[n++] = 0;
	q[n++] = 0;
	q[n++] = 1; /* A */
	q[n++] = 0;
	q[n++] = 1; /* IN */
	if ((fd = socket(AF_INET, SOCK_DGRAM, 0)) == -1)
		return 0;
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	sin.sin_port = htons((unsigned short)port);
	if (sendto(fd, q, n, 0, (struct sockaddr *)&sin, sizeof(sin)) > 0) {
		pfd.fd = fd;
		pfd.events = POLLIN;
		ok = poll(&pfd, 1, 200) == 1;
	}
	close(fd);
	return ok;
}

static inline long
dnstest_ms(const struct timespec *a, const struct timespec *b)
{
	return (long)(b->tv_sec - a->tv_sec) * 1000 +
	    (b->tv_nsec - a->tv_nsec) / 1000000L;
}

/*
 * The relay: queries from clients wait delay_ms, then go to dnsmasq;
 * answers go straight back. Runs in a child until killed.
 */
static inline void
dnstest_relay(int cfd, int upstream_port, long delay_ms)
{
	struct held {
		unsigned char buf[1500];
		ssize_t len;
		struct sockaddr_in from;
		struct timespec due;
		int used;
	} q[64];
	struct sockaddr_in clients[65536], up, from;
	unsigned char buf[4096];
	struct pollfd pfd[2];
	struct timespec now;
	socklen_t fl;
	ssize_t n;
	long wait, w;
	int ufd, i, port;

	memset(q, 0, sizeof(q));
	memset(&up, 0, sizeof(up));
	up.sin_family = AF_INET;
	up.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	up.sin_port = htons((unsigned short)upstream_port);
	if ((ufd = dnstest_udp(&port)) == -1)
		_exit(1);
	for (;;) {
		clock_gettime(CLOCK_MONOTONIC, &now);
		wait = -1;
		for (i = 0; i < 64; i++) {
			if (!q[i].used)
				continue;
			w = dnstest_ms(&now, &q[i].due);
			if (w <= 0) {
				sendto(ufd, q[i].buf, (size_t)q[i].len, 0,
				    (struct sockaddr *)&up, sizeof(up));
				q[i].used = 0;
				continue;
			}
			if (wait < 0 || w < wait)
				wait = w;
		}
		pfd[0].fd = cfd;
		pfd[0].events = POLLIN;
		pfd[1].fd = ufd;
		pfd[1].events = POLLIN;
		if (poll(pfd, 2, (int)wait) < 0 && errno != EINTR)
			_exit(1);
		if (pfd[0].revents & POLLIN) {
			for (i = 0; i < 64 && q[i].used; i++)
				;
			fl = sizeof(from);
			n = recvfrom(cfd, buf, sizeof(buf), 0,
			    (struct sockaddr *)&from, &fl);
			if (i < 64 && n >= 12 && n <= 1500) {
				memcpy(q[i].buf, buf, (size_t)n);
				q[i].len = n;
				clients[buf[0] << 8 | buf[1]] = from;
				clock_gettime(CLOCK_MONOTONIC, &q[i].due);
				q[i].due.tv_sec += delay_ms / 1000;
				q[i].due.tv_nsec +=
				    (delay_ms % 1000) * 1000000L;
				if (q[i].due.tv_nsec >= 1000000000L) {
					q[i].due.tv_sec++;
					q[i].due.tv_nsec -= 1000000000L;
				}
				q[i].used = 1;
			}
		}
		if (pfd[1].revents & POLLIN) {
			n = recv(ufd, buf, sizeof(buf), 0);
			if (n >= 12)
				sendto(cfd, buf, (size_t)n, 0,
				    (struct sockaddr *)&clients[buf[0] << 8 |
				        buf[1]],
				    sizeof(struct sockaddr_in));
		}
	}
}

/*
 * dnsmasq changes its credentials, which clears PR_SET_PDEATHSIG: a
 * keeper process runs it instead and ends it (SIGTERM) as soon as the
 * test program's end of the life pipe closes, whether the test stops it
 * or dies. The keeper exits with dnsmasq too.
 */
static inline void
dnstest_keeper(int life, const char *conf)
{
	struct pollfd pfd;
	char c;
	pid_t d;
	int st;

	if ((d = fork()) == -1)
		_exit(1);
	if (d == 0) {
		close(life);
		execl(DNSMASQ, "dnsmasq", conf, (char *)NULL);
		_exit(127);
	}
	pfd.fd = life;
	pfd.events = POLLIN;
	for (;;) {
		if (waitpid(d, &st, WNOHANG) == d)
			_exit(1); /* dnsmasq gave up by itself */
		if (poll(&pfd, 1, 100) == 1 && read(life, &c, 1) <= 0)
			break; /* EOF: the test is gone or done */
	}
	kill(d, SIGTERM);
	waitpid(d, &st, 0);
	_exit(0);
}

/*
 * Start everything. zones is the dnsmasq configuration of the test
 * records (one option per line); "@SILENT@" in it becomes the silent
 * port. Returns 0, 77 when dnsmasq is missing (skip), -1 on failure.
 */
static inline int
mxg_dnstest_start(struct mxg_dnstest *t, const char *name, const char *zones,
    long relay_delay_ms)
{
	char conf[320], cwd[200], *z, *at;
	int life[2];
	pid_t parent;
	FILE *f;
	int i, rfd, attempts = 0;

	memset(t, 0, sizeof(*t));
	t->silent_fd = -1;
	t->life_fd = -1;
	if (access(DNSMASQ, X_OK) != 0) {
		printf("skip: " DNSMASQ " not installed (Debian package "
		       "dnsmasq-base)\n");
		return 77;
	}
	if (system("mkdir -p tests/tmp") != 0)
		return -1;
	snprintf(
	    t->dir, sizeof(t->dir), "tests/tmp/%s.%ld", name, (long)getpid());
	if (mkdir(t->dir, 0755) == -1 && errno != EEXIST)
		return -1;
	if ((t->silent_fd = dnstest_udp(&t->silent_port)) == -1)
		return -1;
again: /* the free port can be taken before dnsmasq binds it: retry */
	if ((t->port = dnstest_free_port()) == -1)
		return -1;
	if (getcwd(cwd, sizeof(cwd)) == NULL)
		return -1;
	/* dnsmasq wants an absolute path for its log file */
	snprintf(t->log, sizeof(t->log), "%s/%s/dnsmasq.log", cwd, t->dir);
	snprintf(conf, sizeof(conf), "%s/dnsmasq.conf", t->dir);
	if ((f = fopen(conf, "w")) == NULL)
		return -1;
	fprintf(f,
	    "port=%d\nlisten-address=127.0.0.1\nbind-interfaces\n"
	    "no-resolv\nno-hosts\nkeep-in-foreground\nlog-queries\n"
	    "log-facility=%s\npid-file=\nlocal-ttl=300\n",
	    t->port, t->log);
	if (geteuid() == 0)
		fprintf(f, "user=root\n");
	if ((t->v6 = dnstest_have_v6()) != 0)
		fprintf(f, "listen-address=::1\n");
	if ((z = strdup(zones)) == NULL) {
		fclose(f);
		return -1;
	}
	for (at = z; (at = strstr(at, "@SILENT@")) != NULL;) {
		*at = '\0';
		fprintf(f, "%s%d", z, t->silent_port);
		memmove(z, at + 8, strlen(at + 8) + 1);
		at = z;
	}
	fprintf(f, "%s\n", z);
	free(z);
	if (fclose(f) != 0)
		return -1;
	snprintf(conf, sizeof(conf), "--conf-file=%s/dnsmasq.conf", t->dir);
	parent = getpid();
	if (pipe(life) == -1)
		return -1;
	if ((t->dnsmasq = fork()) == -1)
		return -1;
	if (t->dnsmasq == 0) {
		close(life[1]);
		dnstest_keeper(life[0], conf);
	}
	close(life[0]);
	t->life_fd = life[1];
	fcntl(t->life_fd, F_SETFD, FD_CLOEXEC);
	for (i = 0; i < 50; i++) {
		if (dnstest_ping(t->port, "ready.invalid"))
			break;
		if (waitpid(t->dnsmasq, NULL, WNOHANG) == t->dnsmasq) {
			t->dnsmasq = 0;
			close(t->life_fd);
			t->life_fd = -1;
			if (++attempts < 3) {
				printf("dnsmasq could not start on port %d, "
				       "trying another\n",
				    t->port);
				goto again;
			}
			printf("dnsmasq exited; see %s\n", t->log);
			return -1;
		}
	}
	if (i == 50) {
		printf("dnsmasq does not answer on port %d\n", t->port);
		return -1;
	}
	if (relay_delay_ms > 0) {
		if ((rfd = dnstest_udp(&t->relay_port)) == -1)
			return -1;
		if ((t->relay = fork()) == -1)
			return -1;
		if (t->relay == 0) {
			prctl(PR_SET_PDEATHSIG, SIGKILL);
			if (getppid() != parent)
				_exit(1);
			dnstest_relay(rfd, t->port, relay_delay_ms);
			_exit(0);
		}
		close(rfd);
	}
	return 0;
}

/* Stop the children, close the silent socket. */
static inline void
mxg_dnstest_stop(struct mxg_dnstest *t)
{
	if (t->relay > 0) {
		kill(t->relay, SIGKILL);
		waitpid(t->relay, NULL, 0);
		t->relay = 0;
	}
	if (t->life_fd != -1) {
		close(t->life_fd); /* the keeper ends dnsmasq, then itself */
		t->life_fd = -1;
	}
	if (t->dnsmasq > 0) {
		waitpid(t->dnsmasq, NULL, 0);
		t->dnsmasq = 0;
	}
	if (t->silent_fd != -1) {
		close(t->silent_fd);
		t->silent_fd = -1;
	}
}

/*
 * Lines of the dnsmasq log that contain needle: queries the server got
 * (dnsmasq writes its log asynchronously, so callers wait for a marker).
 */
static inline int
mxg_dnstest_count(const struct mxg_dnstest *t, const char *needle)
{
	char line[1024];
	FILE *f;
	int n = 0;

	if ((f = fopen(t->log, "r")) == NULL)
		return -1;
	while (fgets(line, sizeof(line), f) != NULL)
		if (strstr(line, needle) != NULL)
			n++;
	fclose(f);
	return n;
}

/* Wait (at most 3 s) until needle shows in the log; its count then. */
static inline int
mxg_dnstest_await(const struct mxg_dnstest *t, const char *needle)
{
	struct timespec ts = { 0, 20000000L };
	int i, n = 0;

	for (i = 0; i < 150; i++) {
		if ((n = mxg_dnstest_count(t, needle)) > 0)
			return n;
		nanosleep(&ts, NULL);
	}
	return n;
}

#endif
