// SPDX-License-Identifier: GPL-2.0
/*
 * ctlite-peer: the traffic peers of the guest tests, and the few things
 * the tests do inside a network namespace, in one small program.
 *
 *   ctlite-peer [-n NETNS] MODE ARGS...
 *
 *   tcp-server ADDR PORT [SECS]      echo every line back, for SECS
 *                                    (default 120) seconds
 *   tcp-session ADDR PORT [SPORT]    connect (from SPORT), print
 *                                    "connected", then for each stdin line
 *                                    send it and print the echo ("" on
 *                                    error)
 *   tcp-connect ADDR PORT [SPORT]    connect, exchange one line, close
 *   tcp-rst ADDR PORT [SPORT]        the same, but close with an RST
 *                                    (SO_LINGER 0)
 *   tcp-rr ADDR PORT N [SIZE]        one connection, N request-response
 *                                    transactions of SIZE (default 64)
 *                                    bytes each way, TCP_NODELAY; prints
 *                                    "N SECONDS": transactions and the
 *                                    time they took (the benchmark's
 *                                    two-way flow, against tcp-server)
 *   tcp-clients ADDR PORT N [SECS]   N clients one after another, each
 *                                    given SECS (default 2) to connect and
 *                                    be answered; prints "SERVED N": how
 *                                    many were answered, of how many
 *   syn-flood ADDR PORT N SEED [PPS] N SYNs from random 10.99.0.10-250
 *                                    sources and ports (IPv4, raw socket),
 *                                    the same for the same SEED, at most
 *                                    PPS a second (default: no limit)
 *   udp-server ADDR PORT [SECS]      echo datagrams, for SECS (120) s
 *   udp-send ADDR PORT N [SPORT]     N datagrams from N source ports (from
 *                                    SPORT on), no waiting
 *   udp-ask ADDR PORT [SIZE]         send one datagram of SIZE bytes
 *                                    (default 4; above the MTU it goes
 *                                    in fragments), expect it back
 *   forge ADDR PORT SRC SPORT FLAGS SEQ ACK N [SEQSTEP [ACKSTEP]]
 *                                    N TCP segments (IPv4, raw socket)
 *                                    from SRC:SPORT, any address, with
 *                                    FLAGS (letters of SFRPAU), the k-th
 *                                    with sequence number SEQ + k * SEQSTEP
 *                                    and acknowledgment ACK + k * ACKSTEP;
 *                                    SEQ or ACK "r": random (the same each
 *                                    run); what an off-path host can send;
 *                                    "+ ADDR PORT SRC ..." adds a group,
 *                                    sent after it from the same process
 *   sysctl NAME[=VALUE]...           print or write net sysctls (NAME as
 *                                    sysctl(8) spells it)
 *   hold                             sleep until killed
 *   exec COMMAND [ARGS]...           run COMMAND (what `ip netns exec`
 *                                    does, without its remount of /sys,
 *                                    which no test needs: 0.4 s less)
 *
 * -n NETNS runs it in /run/netns/NETNS; for sysctl, -n takes a
 * comma-separated list and does the same in each namespace in turn.
 *
 * Why C: the guest tests run in a debug kernel under TCG, where starting
 * python3 costs 2.5 s and `ip netns exec` 0.7 s, and a test run starts
 * peers hundreds of times.  This one, linked static, starts in about 0.1 s
 * and enters the namespace itself.
 *
 * Exit status 0 on success, 1 when the exchange failed (with the reason on
 * stderr), 2 on bad usage.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/ip.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

enum {
	LINE_MAX_BYTES = 4096,	/* one echo, as the tests send them */
	SERVER_CONNS = 256,	/* connections one echo server holds at once */
	CONNECT_SECS = 5,	/* tcp-connect, tcp-rst, tcp-session, udp-ask */
	SERVER_SECS = 120,	/* servers end by themselves after this */
};

/* user space has no <linux/compiler.h> or <linux/kernel.h> */
#define __noreturn __attribute__((noreturn))
#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

static const char *prog = "ctlite-peer";
static const char *mode;

static __noreturn void bad_usage(const char *why)
{
	fprintf(stderr, "%s: %s\n", prog, why);
	fprintf(stderr, "usage: %s [-n NETNS] MODE ADDR PORT [ARGS]\n"
		"       %s [-n NETNS[,NETNS...]] sysctl NAME[=VALUE]...\n"
		"       %s [-n NETNS] hold\n"
		"       %s [-n NETNS] exec COMMAND [ARGS]...\n"
		"MODE: tcp-server, tcp-session, tcp-connect, tcp-rst, tcp-rr, tcp-clients,\n"
		"      syn-flood, udp-server, udp-send or udp-ask\n", prog, prog, prog, prog);
	exit(2);
}

/* The exchange failed: say why, as the tests print it */
static __noreturn void fail(const char *what)
{
	fprintf(stderr, "%s %s failed: %s\n", prog, mode, what);
	exit(1);
}

static __noreturn void fail_errno(const char *what)
{
	char buf[256];

	snprintf(buf, sizeof(buf), "%s: %s", what, strerror(errno));
	fail(buf);
}

static unsigned long parse_num(const char *s, const char *what, unsigned long max)
{
	unsigned long v;
	char *end;

	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno || end == s || *end || *s == '-' || v > max) {
		char buf[128];

		snprintf(buf, sizeof(buf), "bad %s '%s' (0..%lu)", what, s, max);
		bad_usage(buf);
	}
	return v;
}

/* Enter /run/netns/NAME */
static void enter_netns(const char *name)
{
	char path[256];
	int fd;

	snprintf(path, sizeof(path), "/run/netns/%s", name);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0 || setns(fd, CLONE_NEWNET)) {
		fprintf(stderr, "%s: cannot enter network namespace %s: %s\n",
			prog, name, strerror(errno));
		exit(1);
	}
	close(fd);
}

struct addr {
	struct sockaddr_storage ss;
	socklen_t len;
	int family;
};

static void parse_addr(const char *s, unsigned long port, struct addr *a)
{
	struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&a->ss;
	struct sockaddr_in *s4 = (struct sockaddr_in *)&a->ss;

	memset(a, 0, sizeof(*a));
	if (inet_pton(AF_INET, s, &s4->sin_addr) == 1) {
		s4->sin_family = AF_INET;
		s4->sin_port = htons((uint16_t)port);
		a->len = sizeof(*s4);
	} else if (inet_pton(AF_INET6, s, &s6->sin6_addr) == 1) {
		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons((uint16_t)port);
		a->len = sizeof(*s6);
	} else {
		char buf[128];

		snprintf(buf, sizeof(buf), "bad address '%s'", s);
		bad_usage(buf);
	}
	a->family = a->ss.ss_family;
}

/* The wildcard address of A's family, at PORT */
static void any_addr(const struct addr *a, unsigned long port, struct addr *any)
{
	memset(any, 0, sizeof(*any));
	any->family = a->family;
	any->ss.ss_family = (sa_family_t)a->family;
	if (a->family == AF_INET) {
		((struct sockaddr_in *)&any->ss)->sin_port = htons((uint16_t)port);
		any->len = sizeof(struct sockaddr_in);
	} else {
		((struct sockaddr_in6 *)&any->ss)->sin6_port = htons((uint16_t)port);
		any->len = sizeof(struct sockaddr_in6);
	}
}

static void set_timeout(int fd, unsigned int secs)
{
	struct timeval tv = { .tv_sec = secs };

	/* Linux bounds connect() by the send timeout */
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* A connected TCP socket from SPORT (0: any), or -1 with errno set */
static int tcp_connect_to(const struct addr *a, unsigned long sport, unsigned int secs)
{
	struct addr src;
	int fd, err;

	fd = socket(a->family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	set_timeout(fd, secs);
	if (sport) {
		any_addr(a, sport, &src);
		if (bind(fd, (struct sockaddr *)&src.ss, src.len))
			goto err;
	}
	if (connect(fd, (const struct sockaddr *)&a->ss, a->len))
		goto err;
	return fd;
err:
	err = errno;
	close(fd);
	errno = err;
	return -1;
}

/* Send LINE, and whether exactly it came back */
static bool echo_once(int fd, const char *line)
{
	size_t len = strlen(line), got = 0;
	char buf[LINE_MAX_BYTES];
	ssize_t n;

	if (send(fd, line, len, MSG_NOSIGNAL) != (ssize_t)len)
		return false;
	while (got < len) {
		n = recv(fd, buf + got, sizeof(buf) - got, 0);
		if (n <= 0)
			return false;
		got += n;
	}
	return got == len && !memcmp(buf, line, len);
}

/* tcp-connect and tcp-rst: one exchange, then a FIN or an RST */
static int tcp_exchange(const struct addr *a, unsigned long sport, bool rst)
{
	struct linger lg = { .l_onoff = 1, .l_linger = 0 };
	int fd;

	fd = tcp_connect_to(a, sport, CONNECT_SECS);
	if (fd < 0)
		fail_errno("connect");
	if (!echo_once(fd, "hello\n"))
		fail("no echo");
	if (rst && setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg)))
		fail_errno("SO_LINGER");
	close(fd);
	return 0;
}

static int tcp_clients(const struct addr *a, unsigned long n, unsigned long secs)
{
	unsigned long i, served = 0;
	int fd;

	for (i = 0; i < n; i++) {
		/* refused, or dropped by a full table: counted out */
		fd = tcp_connect_to(a, 0, secs);
		if (fd < 0)
			continue;
		served += echo_once(fd, "hello\n");
		close(fd);
	}
	printf("%lu %lu\n", served, n);
	return 0;
}

/*
 * tcp-rr: N transactions on one connection, each a SIZE-byte request and
 * its echo.  With TCP_NODELAY each is two segments through the router, the
 * request and the answer (which carries the request's ACK; the next
 * request carries the answer's): a server's flow in both directions.
 */
static int tcp_rr(const struct addr *a, unsigned long n, unsigned long size)
{
	char buf[LINE_MAX_BYTES];
	unsigned long i;
	int fd, one = 1;
	size_t got;
	ssize_t r;
	double t0;

	if (!size)
		bad_usage("tcp-rr's SIZE is at least 1");
	fd = tcp_connect_to(a, 0, CONNECT_SECS);
	if (fd < 0)
		fail_errno("connect");
	if (setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one)))
		fail_errno("TCP_NODELAY");
	memset(buf, 'x', size);
	t0 = now();
	for (i = 0; i < n; i++) {
		if (send(fd, buf, size, MSG_NOSIGNAL) != (ssize_t)size)
			fail_errno("send");
		for (got = 0; got < size; got += r) {
			r = recv(fd, buf + got, size - got, 0);
			if (r <= 0)
				fail(r ? strerror(errno) : "connection closed");
		}
	}
	printf("%lu %.6f\n", n, now() - t0);
	close(fd);
	return 0;
}

static int tcp_session(const struct addr *a, unsigned long sport)
{
	char line[LINE_MAX_BYTES], buf[LINE_MAX_BYTES];
	ssize_t n;
	size_t len;
	int fd;

	fd = tcp_connect_to(a, sport, CONNECT_SECS);
	if (fd < 0)
		fail_errno("connect");
	printf("connected\n");
	fflush(stdout);
	while (fgets(line, sizeof(line), stdin)) {
		len = strlen(line);
		n = -1;
		if (send(fd, line, len, MSG_NOSIGNAL) == (ssize_t)len)
			n = recv(fd, buf, sizeof(buf) - 1, 0);
		if (n < 0)
			fprintf(stderr, "%s: %s\n", prog, strerror(errno));
		if (n < 0)
			n = 0;
		/* the echo without its line end, as a line of its own */
		while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == '\r'))
			n--;
		buf[n] = '\0';
		printf("%s\n", buf);
		fflush(stdout);
	}
	close(fd);
	return 0;
}

/* Echo lines back to every client until SECS have passed */
static int tcp_server(const struct addr *a, unsigned long secs)
{
	struct pollfd pf[SERVER_CONNS + 1];
	double end = now() + secs;
	char buf[LINE_MAX_BYTES];
	int fd, one = 1, i, n = 1;
	ssize_t got;

	fd = socket(a->family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		fail_errno("socket");
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(fd, (const struct sockaddr *)&a->ss, a->len))
		fail_errno("bind");
	if (listen(fd, 64))
		fail_errno("listen");
	pf[0].fd = fd;
	pf[0].events = POLLIN;
	while (now() < end) {
		if (poll(pf, n, 1000) < 0 && errno != EINTR)
			fail_errno("poll");
		/* answer whatever is ready at once: a slow echo looks like a failure */
		for (i = n - 1; i >= 1; i--) {
			if (!pf[i].revents)
				continue;
			got = recv(pf[i].fd, buf, sizeof(buf), MSG_DONTWAIT);
			if (got < 0 && (errno == EAGAIN || errno == EINTR))
				continue;
			/* blocking send: an echo is small */
			if (got > 0 && send(pf[i].fd, buf, got, MSG_NOSIGNAL) == got)
				continue;
			close(pf[i].fd);
			pf[i] = pf[--n];
		}
		if (pf[0].revents & POLLIN) {
			int c = accept4(fd, NULL, NULL, SOCK_CLOEXEC);

			if (c >= 0 && n <= SERVER_CONNS) {
				pf[n].fd = c;
				pf[n].events = POLLIN;
				pf[n].revents = 0;
				n++;
			} else if (c >= 0) {
				close(c);
			}
		}
	}
	return 0;
}

/* The largest datagram udp-ask sends and udp-server echoes */
#define DGRAM_MAX	16384

static int udp_server(const struct addr *a, unsigned long secs)
{
	struct sockaddr_storage peer;
	static char buf[DGRAM_MAX];
	double end = now() + secs;
	socklen_t plen;
	ssize_t got;
	int fd;

	fd = socket(a->family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		fail_errno("socket");
	if (bind(fd, (const struct sockaddr *)&a->ss, a->len))
		fail_errno("bind");
	set_timeout(fd, 1);
	while (now() < end) {
		plen = sizeof(peer);
		got = recvfrom(fd, buf, sizeof(buf), 0, (struct sockaddr *)&peer, &plen);
		if (got >= 0)
			sendto(fd, buf, got, 0, (struct sockaddr *)&peer, plen);
	}
	return 0;
}

static int udp_send(const struct addr *a, unsigned long n, unsigned long sport)
{
	struct addr src;
	unsigned long i;
	int fd;

	if (sport && sport + n - 1 > 65535)
		bad_usage("source ports beyond 65535");
	for (i = 0; i < n; i++) {
		fd = socket(a->family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
		if (fd < 0)
			fail_errno("socket");
		any_addr(a, sport ? sport + i : 0, &src);
		if (sport && bind(fd, (struct sockaddr *)&src.ss, src.len))
			fail_errno("bind");
		/* dropped by the table: that is what some tests want */
		sendto(fd, "x", 1, 0, (const struct sockaddr *)&a->ss, a->len);
		close(fd);
	}
	return 0;
}

static int udp_ask(const struct addr *a, unsigned long size)
{
	static char out[DGRAM_MAX], in[DGRAM_MAX];
	unsigned long i;
	ssize_t got;
	int fd;

	for (i = 0; i < size; i++)
		out[i] = "ping"[i % 4];
	fd = socket(a->family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		fail_errno("socket");
	set_timeout(fd, CONNECT_SECS);
	if (sendto(fd, out, size, 0, (const struct sockaddr *)&a->ss, a->len) !=
	    (ssize_t)size)
		fail_errno("sendto");
	got = recv(fd, in, sizeof(in), 0);
	if (got < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
		fail("no answer in 5 s");
	if (got < 0)
		fail_errno("recv");
	if (got != (ssize_t)size || memcmp(in, out, size))
		fail("a different answer");
	return 0;
}

/* xorshift64*: small, and the same sequence everywhere */
static uint64_t rng_state;

static uint64_t rnd(void)
{
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return rng_state * 0x2545F4914F6CDD1DULL;
}

/* The flag byte of a TCP header: FIN, SYN, RST, PSH, ACK, URG from bit 0 */
static void tcp_flag_byte_set(struct tcphdr *th, uint8_t flags)
{
	((uint8_t *)th)[13] = flags;
}

static uint16_t csum_fold(uint32_t sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

static uint32_t csum_add(uint32_t sum, const void *data, size_t n)
{
	const uint8_t *p = data;

	for (; n > 1; n -= 2, p += 2)
		sum += (uint32_t)p[0] << 8 | p[1];
	if (n)
		sum += (uint32_t)p[0] << 8;
	return sum;
}

/* Argument I after ADDR PORT, or DFLT when there are fewer */
static unsigned long num_arg(int argc, char **argv, int i, const char *what,
			     unsigned long max, unsigned long dflt)
{
	return argc > i ? parse_num(argv[i], what, max) : dflt;
}

/* The checksum of an IPv4 TCP segment @tcp of @len bytes, header included */
static uint16_t tcp4_csum(uint32_t src, uint32_t dst, const void *tcp, size_t len)
{
	struct {
		uint32_t src, dst;
		uint8_t zero, proto;
		uint16_t len;
	} pseudo = {
		.src = src, .dst = dst, .proto = IPPROTO_TCP, .len = htons(len),
	};

	return csum_fold(csum_add(csum_add(0, &pseudo, sizeof(pseudo)), tcp, len));
}

/* An IPv4 TCP segment without options, as a raw socket sends it */
struct raw_tcp4 {
	struct iphdr ip;
	struct tcphdr tcp;
};

/*
 * Fill @pkt from @saddr:@sport to @daddr:@dport (network order) with
 * @seq, @ack (host order), the TCP flag byte @flags and a 64 KiB window,
 * checksummed; the kernel fills in the IP checksum, id and total length
 */
static void raw_tcp4_fill(struct raw_tcp4 *pkt, uint32_t saddr, uint16_t sport,
			  uint32_t daddr, uint16_t dport, uint32_t seq,
			  uint32_t ack, uint8_t flags)
{
	memset(pkt, 0, sizeof(*pkt));
	pkt->ip.version = 4;
	pkt->ip.ihl = 5;
	pkt->ip.ttl = 64;
	pkt->ip.protocol = IPPROTO_TCP;
	pkt->ip.saddr = saddr;
	pkt->ip.daddr = daddr;
	pkt->tcp.source = sport;
	pkt->tcp.dest = dport;
	pkt->tcp.seq = htonl(seq);
	pkt->tcp.ack_seq = htonl(ack);
	pkt->tcp.doff = 5;
	tcp_flag_byte_set(&pkt->tcp, flags);
	pkt->tcp.window = htons(65535);
	pkt->tcp.check = htons(tcp4_csum(pkt->ip.saddr, pkt->ip.daddr, &pkt->tcp,
					 sizeof(pkt->tcp)));
}

/*
 * Half-open connections whose answers go nowhere: the sources are
 * addresses no host has, so the SYN-ACKs die in ARP and no RST comes.
 */
static int syn_flood(const struct addr *a, unsigned long n, unsigned long seed,
		     unsigned long pps)
{
	const struct sockaddr_in *dst = (const struct sockaddr_in *)&a->ss;
	struct raw_tcp4 pkt;
	double start = now();
	unsigned long i;
	int fd;

	if (a->family != AF_INET)
		bad_usage("syn-flood is IPv4 only");
	fd = socket(AF_INET, SOCK_RAW | SOCK_CLOEXEC, IPPROTO_RAW);
	if (fd < 0)
		fail_errno("raw socket");
	rng_state = seed * 0x9E3779B97F4A7C15ULL + 1;
	for (i = 0; i < n; i++) {
		/* in this order, so a seed gives the same SYNs */
		uint32_t saddr = htonl(0x0a630000 | (10 + rnd() % 241));
		uint16_t sport = htons((uint16_t)(1024 + rnd() % 64512));
		uint32_t seq = (uint32_t)rnd();

		raw_tcp4_fill(&pkt, saddr, sport, dst->sin_addr.s_addr,
			      dst->sin_port, seq, 0, TH_SYN);
		/* dropped by a full table: what some tests want */
		sendto(fd, &pkt, sizeof(pkt), 0, (const struct sockaddr *)dst, sizeof(*dst));
		if (pps) {
			double due = start + (double)(i + 1) / pps;
			double wait = due - now();

			if (wait > 0) {
				struct timespec ts = {
					.tv_sec = (time_t)wait,
					.tv_nsec = (long)((wait - (time_t)wait) * 1e9),
				};

				nanosleep(&ts, NULL);
			}
		}
	}
	return 0;
}

/* A flag letter string (S, F, R, P, A, U) as the TCP flag bits */
static uint8_t parse_flags(const char *s)
{
	static const char letters[] = "FSRPAU";
	uint8_t flags = 0;
	const char *c;

	for (; *s; s++) {
		c = strchr(letters, *s);
		if (!c)
			bad_usage("FLAGS are letters of SFRPAU");
		flags |= 1 << (c - letters);
	}
	return flags;
}

/* A 32-bit number, or "r" for random */
static bool parse_seq(const char *s, uint32_t *v)
{
	if (!strcmp(s, "r"))
		return true;
	*v = (uint32_t)parse_num(s, "sequence number", UINT32_MAX);
	return false;
}

/* One forge group: N segments to a from argv's SRC SPORT FLAGS SEQ ACK N... */
static void forge_group(int fd, const struct addr *a, int argc, char **argv)
{
	const struct sockaddr_in *dst = (const struct sockaddr_in *)&a->ss;
	struct raw_tcp4 pkt;
	uint32_t seq = 0, ack = 0, seqstep, ackstep;
	bool rseq, rack;
	struct addr src;
	unsigned long n, i;
	uint8_t flags;

	if (argc < 6 || argc > 8)
		bad_usage("forge needs SRC SPORT FLAGS SEQ ACK N [SEQSTEP [ACKSTEP]]");
	if (a->family != AF_INET)
		bad_usage("forge is IPv4 only");
	parse_addr(argv[0], parse_num(argv[1], "source port", 65535), &src);
	if (src.family != AF_INET)
		bad_usage("forge is IPv4 only");
	flags = parse_flags(argv[2]);
	rseq = parse_seq(argv[3], &seq);
	rack = parse_seq(argv[4], &ack);
	n = parse_num(argv[5], "count", 100000000);
	seqstep = num_arg(argc, argv, 6, "sequence step", UINT32_MAX, 0);
	ackstep = num_arg(argc, argv, 7, "acknowledgment step", UINT32_MAX, 0);

	for (i = 0; i < n; i++) {
		uint32_t sq = rseq ? (uint32_t)rnd() : seq + (uint32_t)(i * seqstep);
		uint32_t ak = rack ? (uint32_t)rnd() : ack + (uint32_t)(i * ackstep);

		raw_tcp4_fill(&pkt, ((struct sockaddr_in *)&src.ss)->sin_addr.s_addr,
			      ((struct sockaddr_in *)&src.ss)->sin_port,
			      dst->sin_addr.s_addr, dst->sin_port, sq, ak, flags);
		if (sendto(fd, &pkt, sizeof(pkt), 0, (const struct sockaddr *)dst,
			   sizeof(*dst)) < 0)
			fail_errno("sendto");
	}
}

/*
 * What an off-path host can send: TCP segments with any source address,
 * flags and numbers, in sweeps or at random; groups after a "+" start
 * with their own ADDR PORT, and the random numbers run on across them
 * (one process for a whole attack: each costs 0.3 s in the debug guest)
 */
static int forge_segments(const struct addr *a, int argc, char **argv)
{
	struct addr next;
	int fd, len;

	fd = socket(AF_INET, SOCK_RAW | SOCK_CLOEXEC, IPPROTO_RAW);
	if (fd < 0)
		fail_errno("raw socket");
	rng_state = 0x9E3779B97F4A7C15ULL;
	for (;;) {
		for (len = 0; len < argc && strcmp(argv[len], "+"); len++)
			;
		forge_group(fd, a, len, argv);
		if (len == argc)
			break;
		argc -= len + 1;
		argv += len + 1;
		if (argc < 2)
			bad_usage("a forge group after '+' needs ADDR PORT");
		parse_addr(argv[0], parse_num(argv[1], "port", 65535), &next);
		a = &next;
		argc -= 2;
		argv += 2;
	}
	close(fd);
	return 0;
}

/*
 * sysctl NAME[=VALUE]: /proc/sys of the namespace this process is in (a
 * net sysctl is looked up in the opener's namespace)
 */
static int one_sysctl(const char *arg)
{
	char path[512], val[256], *p;
	const char *eq = strchr(arg, '=');
	size_t len = eq ? (size_t)(eq - arg) : strlen(arg);
	ssize_t n;
	int fd;

	if (!len || len > 200)
		bad_usage("bad sysctl name");
	snprintf(path, sizeof(path), "/proc/sys/%.*s", (int)len, arg);
	for (p = path + strlen("/proc/sys/"); *p; p++)
		if (*p == '.')
			*p = '/';
	fd = open(path, (eq ? O_WRONLY : O_RDONLY) | O_CLOEXEC);
	if (fd < 0) {
		fprintf(stderr, "%s: %.*s: %s\n", prog, (int)len, arg, strerror(errno));
		return 1;
	}
	if (eq) {
		n = write(fd, eq + 1, strlen(eq + 1));
		if (n < 0)
			fprintf(stderr, "%s: %s: %s\n", prog, arg, strerror(errno));
	} else {
		n = read(fd, val, sizeof(val) - 1);
		if (n >= 0) {
			val[n] = '\0';
			fputs(val, stdout);
		} else {
			fprintf(stderr, "%s: %s: %s\n", prog, arg, strerror(errno));
		}
	}
	close(fd);
	return n < 0;
}

static bool known_mode(const char *m)
{
	static const char *const modes[] = {
		"tcp-server", "tcp-session", "tcp-connect", "tcp-rst", "tcp-rr", "tcp-clients",
		"syn-flood", "udp-server", "udp-send", "udp-ask", "forge", "hold",
	};
	size_t i;

	for (i = 0; i < ARRAY_SIZE(modes); i++)
		if (!strcmp(m, modes[i]))
			return true;
	return false;
}

int main(int argc, char **argv)
{
	const char *netns = NULL;
	unsigned long port = 0;
	struct addr a;
	int opt, rc;

	while ((opt = getopt(argc, argv, "+n:")) != -1) {
		if (opt != 'n')
			bad_usage("unknown option");
		netns = optarg;
	}
	argc -= optind;
	argv += optind;
	if (argc < 1)
		bad_usage("no mode");
	mode = argv[0];

	if (!strcmp(mode, "sysctl")) {
		char *list = netns ? strdup(netns) : NULL, *save = NULL, *ns;
		int i;

		if (argc < 2)
			bad_usage("sysctl needs a NAME or NAME=VALUE");
		rc = 0;
		ns = list ? strtok_r(list, ",", &save) : NULL;
		do {
			if (ns)
				enter_netns(ns);
			for (i = 1; i < argc; i++)
				rc |= one_sysctl(argv[i]);
		} while (ns && (ns = strtok_r(NULL, ",", &save)));
		free(list);
		return rc;
	}

	if (!strcmp(mode, "exec")) {
		if (argc < 2)
			bad_usage("exec needs a COMMAND");
		if (netns)
			enter_netns(netns);
		execvp(argv[1], argv + 1);
		fprintf(stderr, "%s: cannot run %s: %s\n", prog, argv[1], strerror(errno));
		return errno == ENOENT ? 127 : 126;
	}

	if (!known_mode(mode)) {
		char buf[128];

		snprintf(buf, sizeof(buf), "unknown mode '%s'", mode);
		bad_usage(buf);
	}
	if (netns)
		enter_netns(netns);
	if (!strcmp(mode, "hold")) {
		for (;;)
			pause();
	}
	if (argc < 3)
		bad_usage("ADDR and PORT are needed");
	port = parse_num(argv[2], "port", 65535);
	parse_addr(argv[1], port, &a);
	argc -= 3;
	argv += 3;
	/* no SIGPIPE from a peer that went away mid-echo */
	signal(SIGPIPE, SIG_IGN);

	if (!strcmp(mode, "tcp-server"))
		return tcp_server(&a, num_arg(argc, argv, 0, "seconds", 1000000, SERVER_SECS));
	if (!strcmp(mode, "tcp-session"))
		return tcp_session(&a, num_arg(argc, argv, 0, "source port", 65535, 0));
	if (!strcmp(mode, "tcp-connect"))
		return tcp_exchange(&a, num_arg(argc, argv, 0, "source port", 65535, 0), false);
	if (!strcmp(mode, "tcp-rst"))
		return tcp_exchange(&a, num_arg(argc, argv, 0, "source port", 65535, 0), true);
	if (!strcmp(mode, "tcp-rr")) {
		if (argc < 1)
			bad_usage("tcp-rr needs N");
		return tcp_rr(&a, num_arg(argc, argv, 0, "transactions", 100000000, 0),
			      num_arg(argc, argv, 1, "size", LINE_MAX_BYTES, 64));
	}
	if (!strcmp(mode, "tcp-clients")) {
		if (argc < 1)
			bad_usage("tcp-clients needs N");
		return tcp_clients(&a, num_arg(argc, argv, 0, "clients", 1000000, 0),
				   num_arg(argc, argv, 1, "seconds", 3600, 2));
	}
	if (!strcmp(mode, "syn-flood")) {
		if (argc < 2)
			bad_usage("syn-flood needs N and SEED");
		return syn_flood(&a, num_arg(argc, argv, 0, "count", 100000000, 0),
				 num_arg(argc, argv, 1, "seed", ~0UL, 0),
				 num_arg(argc, argv, 2, "rate", 100000000, 0));
	}
	if (!strcmp(mode, "udp-server"))
		return udp_server(&a, num_arg(argc, argv, 0, "seconds", 1000000, SERVER_SECS));
	if (!strcmp(mode, "udp-send")) {
		if (argc < 1)
			bad_usage("udp-send needs N");
		return udp_send(&a, num_arg(argc, argv, 0, "datagrams", 65535, 0),
				num_arg(argc, argv, 1, "source port", 65535, 0));
	}
	if (!strcmp(mode, "udp-ask"))
		return udp_ask(&a, num_arg(argc, argv, 0, "bytes", DGRAM_MAX, 4));
	if (!strcmp(mode, "forge"))
		return forge_segments(&a, argc, argv);
	bad_usage("unknown mode");
}
