/*
 * policy_bench.c: load client for Postfix policy servers (mxgrey-policyd,
 * postgrey). N clients, one persistent connection each, each sends a
 * request and waits for its answer, as Postfix's smtpd does. Every run
 * walks the same tuples in the same order, so two servers see the same
 * load. Prints requests/s and latency percentiles.
 *
 * usage: policy_bench [-c clients] [-n requests] [-k tuples] host port
 */
#include <sys/socket.h>
#include <sys/types.h>

#include <netinet/in.h>
#include <netinet/tcp.h>

#include <arpa/inet.h>
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

struct client {
	pthread_t thread;
	int id;
	long requests; /* to send */
	long tuples;   /* distinct tuples walked through */
	double *lat;   /* seconds, one per request */
	long done;
	long greylisted, accepted, other;
	int failed;
};

static const char *host;
static int port;

static double
now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int
connect_to(void)
{
	struct sockaddr_in sin;
	int fd, on = 1;

	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_port = htons((unsigned short)port);
	if (inet_pton(AF_INET, host, &sin.sin_addr) != 1)
		return -1;
	if ((fd = socket(AF_INET, SOCK_STREAM, 0)) == -1)
		return -1;
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &on, sizeof(on));
	if (connect(fd, (struct sockaddr *)&sin, sizeof(sin)) == -1) {
		close(fd);
		return -1;
	}
	return fd;
}

/* Read one answer (up to the empty line) into buf. */
static int
read_answer(int fd, char *buf, size_t size)
{
	size_t len = 0;
	ssize_t n;

	while (len + 1 < size) {
		n = read(fd, buf + len, size - 1 - len);
		if (n <= 0)
			return -1;
		len += (size_t)n;
		buf[len] = '\0';
		if (len >= 2 && strcmp(buf + len - 2, "\n\n") == 0)
			return 0;
	}
	return -1;
}

static void *
run(void *arg)
{
	struct client *c = arg;
	char req[1024], ans[1024];
	long i, t;
	double t0;
	int fd, n;

	if ((fd = connect_to()) == -1) {
		c->failed = 1;
		return NULL;
	}
	for (i = 0; i < c->requests; i++) {
		/* the same global tuple sequence for every server */
		t = (i * 7919 + c->id * 104729) % c->tuples;
		n = snprintf(req, sizeof(req),
		    "request=smtpd_access_policy\nprotocol_state=RCPT\n"
		    "protocol_name=ESMTP\nclient_address=10.%ld.%ld.%ld\n"
		    "client_name=unknown\nreverse_client_name=unknown\n"
		    "helo_name=client%ld.example.org\n"
		    "sender=sender%ld@example.org\n"
		    "recipient=rcpt%ld@example.net\nrecipient_count=0\n"
		    "queue_id=\ninstance=%x.%lx.0\nsize=0\n\n",
		    (t >> 16) & 255, (t >> 8) & 255, t & 255, t, t, t, c->id,
		    i);
		t0 = now();
		if (write(fd, req, (size_t)n) != n ||
		    read_answer(fd, ans, sizeof(ans)) == -1) {
			c->failed = 1;
			break;
		}
		c->lat[c->done++] = now() - t0;
		if (strncmp(ans, "action=DUNNO", 12) == 0 ||
		    strncmp(ans, "action=PREPEND", 14) == 0)
			c->accepted++;
		else if (strncmp(ans, "action=DEFER_IF_PERMIT", 22) == 0 ||
		    strncmp(ans, "action=451", 10) == 0)
			c->greylisted++;
		else
			c->other++;
	}
	close(fd);
	return NULL;
}

static int
cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

int
main(int argc, char *argv[])
{
	struct client *cl;
	double *all, t0, el;
	long nreq = 10000, ntup = 1000, total = 0, k = 0, g = 0, a = 0, o = 0;
	int nc = 1, ch, i;

	while ((ch = getopt(argc, argv, "c:k:n:")) != -1) {
		switch (ch) {
		case 'c':
			nc = atoi(optarg);
			break;
		case 'k':
			ntup = atol(optarg);
			break;
		case 'n':
			nreq = atol(optarg);
			break;
		default:
			goto usage;
		}
	}
	if (argc - optind != 2 || nc < 1 || nreq < 1 || ntup < 1)
		goto usage;
	host = argv[optind];
	port = atoi(argv[optind + 1]);
	if ((cl = calloc((size_t)nc, sizeof(*cl))) == NULL)
		return 1;
	for (i = 0; i < nc; i++) {
		cl[i].id = i;
		cl[i].requests = nreq / nc;
		cl[i].tuples = ntup;
		if ((cl[i].lat = calloc(
		         (size_t)cl[i].requests, sizeof(double))) == NULL)
			return 1;
	}
	t0 = now();
	for (i = 0; i < nc; i++)
		pthread_create(&cl[i].thread, NULL, run, &cl[i]);
	for (i = 0; i < nc; i++)
		pthread_join(cl[i].thread, NULL);
	el = now() - t0;
	for (i = 0; i < nc; i++) {
		if (cl[i].failed) {
			fprintf(stderr,
			    "policy_bench: client %d failed after "
			    "%ld requests\n",
			    i, cl[i].done);
			return 1;
		}
		total += cl[i].done;
	}
	if ((all = calloc((size_t)total, sizeof(double))) == NULL)
		return 1;
	for (i = 0; i < nc; i++) {
		memcpy(all + k, cl[i].lat, (size_t)cl[i].done * sizeof(double));
		k += cl[i].done;
		g += cl[i].greylisted;
		a += cl[i].accepted;
		o += cl[i].other;
	}
	qsort(all, (size_t)total, sizeof(double), cmp);
	printf("clients=%d requests=%ld seconds=%.3f req/s=%.0f "
	       "p50_us=%.0f p90_us=%.0f p99_us=%.0f p999_us=%.0f max_us=%.0f "
	       "greylisted=%ld accepted=%ld other=%ld\n",
	    nc, total, el, (double)total / el, all[total / 2] * 1e6,
	    all[(total * 90) / 100] * 1e6, all[(total * 99) / 100] * 1e6,
	    all[(total * 999) / 1000] * 1e6, all[total - 1] * 1e6, g, a, o);
	return 0;
usage:
	fprintf(stderr,
	    "usage: policy_bench [-c clients] [-n requests] [-k tuples] "
	    "host port\n");
	return 2;
}
