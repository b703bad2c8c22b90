// SPDX-License-Identifier: GPL-2.0
/*
 * ctlite-fuzz: send malformed and hostile IPv4/IPv6 packets at a tracker.
 *
 * Every packet goes out one of three ways, chosen per packet:
 *  - a packet socket on IFNAME, as an Ethernet frame to --dmac: the peer's
 *    PRE_ROUTING hook sees whatever survives the IP layer's own checks;
 *  - an IPv4 raw socket with IP_HDRINCL: this namespace's LOCAL_OUT hook
 *    sees any version, protocol, option bytes and L4 contents (Linux only
 *    checks the IHL against the length and rewrites tot_len and the sum);
 *  - an IPv6 raw socket (IPPROTO_RAW, header included): LOCAL_OUT sees any
 *    40 bytes or more, with no check at all.
 *
 * The packets are drawn from a seeded generator, so a seed names a run: the
 * same seed, count and mix send the same bytes in the same order.
 *
 * Mixes: "fuzz" (the default) draws every kind below; "flood" sends only
 * well-formed new flows (TCP SYN, UDP) from random spoofed sources, for
 * stress runs.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <linux/if_packet.h>
#include <net/ethernet.h>
#include <net/if.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

enum {
	FRAME_MAX = 1514,	/* a veth's default MTU plus Ethernet */
	BUF_MAX = 2048,		/* room for "oversized" packets */
	KNOWN_FLOWS = 64,	/* port pairs that recur, so entries change state */
	EXT_CHAIN_MAX = 24,	/* IPv6 extension headers in one chain */
};

/* What a packet is meant to test */
enum kind {
	K_RANDOM,	/* random bytes, random length, random ethertype */
	K_IP4_HEADER,	/* IPv4 header with bad version, IHL, lengths, sum */
	K_IP4_OPTIONS,	/* long IHL with random option bytes */
	K_TRUNCATED,	/* L4 header cut anywhere, from 0 bytes on */
	K_TCP_FLAGS,	/* every flag combination in turn, any data offset */
	K_FRAGMENT,	/* first and non-first fragments, IPv4 and IPv6 */
	K_IP6_EXT,	/* IPv6 extension chains: long, looping, cut, lying */
	K_ICMP_ERROR,	/* ICMP and ICMPv6 errors quoting known and unknown flows */
	K_LENGTH,	/* zero L4 bytes, the largest frame, beyond the MTU */
	K_VALID,	/* well-formed TCP, UDP and echo of the known flows */
	K_NUM
};

static const char *const kind_name[K_NUM] = {
	[K_RANDOM] = "random",
	[K_IP4_HEADER] = "ipv4-header",
	[K_IP4_OPTIONS] = "ipv4-options",
	[K_TRUNCATED] = "truncated",
	[K_TCP_FLAGS] = "tcp-flags",
	[K_FRAGMENT] = "fragment",
	[K_IP6_EXT] = "ipv6-ext",
	[K_ICMP_ERROR] = "icmp-error",
	[K_LENGTH] = "length",
	[K_VALID] = "valid",
};

enum path { P_PACKET, P_RAW4, P_RAW6, P_NUM };

static const char *const path_name[P_NUM] = { "packet", "raw4", "raw6" };

struct pkt {
	uint8_t buf[BUF_MAX];
	size_t len;		/* bytes from buf: the frame or the IP packet */
	enum path path;
};

static struct {
	struct in_addr src4, dst4;
	struct in6_addr src6, dst6;
	uint8_t smac[6], dmac[6];
	int ifindex;
	int fd[P_NUM];
	bool flood;
} cfg;

static uint64_t rng_state;
static unsigned int tcp_flag_turn;

/* xorshift64*: small, fast, and the same sequence everywhere */
static uint64_t rnd(void)
{
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return rng_state * 0x2545F4914F6CDD1DULL;
}

static uint32_t rnd_below(uint32_t n)
{
	return n ? (uint32_t)(rnd() % n) : 0;
}

static bool chance(unsigned int percent)
{
	return rnd_below(100) < percent;
}

static void rnd_bytes(uint8_t *p, size_t n)
{
	while (n--)
		*p++ = (uint8_t)rnd();
}

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = v >> 8;
	p[1] = (uint8_t)v;
}

static void put32(uint8_t *p, uint32_t v)
{
	put16(p, v >> 16);
	put16(p + 2, (uint16_t)v);
}

static uint32_t csum_add(uint32_t sum, const uint8_t *p, size_t n)
{
	for (; n > 1; n -= 2, p += 2)
		sum += (uint32_t)p[0] << 8 | p[1];
	if (n)
		sum += (uint32_t)p[0] << 8;
	return sum;
}

static uint16_t csum_fold(uint32_t sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

/* The pseudo-header sum of an L4 segment of @len bytes */
static uint32_t pseudo_sum(bool v6, const uint8_t *l3, uint8_t proto, size_t len)
{
	uint32_t sum = proto + (uint32_t)len;

	if (v6)
		return csum_add(sum, l3 + 8, 32);
	return csum_add(sum, l3 + 12, 8);
}

/* Set the checksum of the L4 header at @l4 (@len bytes to the end) */
static void l4_csum(bool v6, const uint8_t *l3, uint8_t proto, uint8_t *l4,
		    size_t len)
{
	size_t at;
	uint32_t sum;

	switch (proto) {
	case IPPROTO_TCP:
		at = 16;
		break;
	case IPPROTO_UDP:
		at = 6;
		break;
	case IPPROTO_ICMP:
	case IPPROTO_ICMPV6:
		at = 2;
		break;
	default:
		return;
	}
	if (len < at + 2)
		return;
	put16(l4 + at, 0);
	sum = proto == IPPROTO_ICMP ? 0 : pseudo_sum(v6, l3, proto, len);
	put16(l4 + at, csum_fold(csum_add(sum, l4, len)));
}

/* A source address: ours, or a random spoofed one (a new flow) */
static void src4(uint8_t *p, bool spoof)
{
	if (spoof)
		put32(p, 0xc6120000 | rnd_below(1 << 17));	/* 198.18.0.0/15 */
	else
		memcpy(p, &cfg.src4, 4);
}

static void src6(uint8_t *p, bool spoof)
{
	memcpy(p, &cfg.src6, 16);
	if (spoof) {
		put32(p, 0x20010db8);				/* 2001:db8::/32 */
		rnd_bytes(p + 4, 12);
	}
}

/* An IPv4 header at @p: 20 bytes plus @optlen random option bytes */
static size_t ip4_header(uint8_t *p, uint8_t proto, size_t optlen, bool spoof)
{
	p[0] = 0x40 | (uint8_t)(5 + optlen / 4);
	p[1] = 0;
	put16(p + 4, (uint16_t)rnd());
	put16(p + 6, 0);
	p[8] = 64;
	p[9] = proto;
	src4(p + 12, spoof);
	memcpy(p + 16, &cfg.dst4, 4);
	rnd_bytes(p + 20, optlen);
	return 20 + optlen;
}

/* Fix an IPv4 header's total length and sum for @total bytes */
static void ip4_finish(uint8_t *p, size_t total)
{
	size_t ihl = (p[0] & 0xf) * 4;

	put16(p + 2, (uint16_t)total);
	put16(p + 10, 0);
	put16(p + 10, csum_fold(csum_add(0, p, ihl < 20 ? 20 : ihl)));
}

static size_t ip6_header(uint8_t *p, uint8_t nexthdr, bool spoof)
{
	put32(p, 0x60000000 | rnd_below(1 << 20));
	p[6] = nexthdr;
	p[7] = 64;
	src6(p + 8, spoof);
	memcpy(p + 24, &cfg.dst6, 16);
	return 40;
}

static void ip6_finish(uint8_t *p, size_t total)
{
	put16(p + 4, (uint16_t)(total - 40));
}

/* Ports of a known flow (@i below KNOWN_FLOWS) or random ones */
static void ports(uint8_t *p, int i)
{
	if (i >= 0) {
		put16(p, (uint16_t)(20000 + i));
		put16(p + 2, (uint16_t)(30000 + i));
	} else {
		put16(p, (uint16_t)(1024 + rnd_below(64512)));
		put16(p + 2, (uint16_t)(1 + rnd_below(65535)));
	}
}

static int some_flow(void)
{
	return chance(60) ? (int)rnd_below(KNOWN_FLOWS) : -1;
}

/* An L4 header of @proto at @p, 8 to 20 bytes (plus TCP options); returns its length */
static size_t l4_header(uint8_t *p, uint8_t proto, int flow, uint8_t tcp_flags)
{
	size_t len;

	switch (proto) {
	case IPPROTO_TCP:
		ports(p, flow);
		put32(p + 4, (uint32_t)rnd());
		put32(p + 8, (uint32_t)rnd());
		len = 20;
		p[12] = 5 << 4;
		p[13] = tcp_flags;
		put16(p + 14, 65535);
		put16(p + 18, 0);
		return len;
	case IPPROTO_UDP:
		ports(p, flow);
		put16(p + 4, 8);
		return 8;
	case IPPROTO_ICMP:
		p[0] = chance(50) ? 8 : 0;	/* echo request or reply */
		p[1] = 0;
		put16(p + 4, (uint16_t)(flow >= 0 ? (uint64_t)(40000 + flow) : rnd()));
		put16(p + 6, (uint16_t)rnd());
		return 8;
	case IPPROTO_ICMPV6:
		p[0] = chance(50) ? 128 : 129;
		p[1] = 0;
		put16(p + 4, (uint16_t)(flow >= 0 ? (uint64_t)(40000 + flow) : rnd()));
		put16(p + 6, (uint16_t)rnd());
		return 8;
	default:
		rnd_bytes(p, 8);
		return 8;
	}
}

static uint8_t some_proto(bool v6)
{
	static const uint8_t v4[] = { IPPROTO_TCP, IPPROTO_UDP, IPPROTO_ICMP,
				      IPPROTO_UDPLITE, IPPROTO_GRE, IPPROTO_SCTP };
	static const uint8_t six[] = { IPPROTO_TCP, IPPROTO_UDP, IPPROTO_ICMPV6,
				       IPPROTO_UDPLITE, IPPROTO_GRE, IPPROTO_SCTP };

	if (chance(5))
		return (uint8_t)rnd();
	return v6 ? six[rnd_below(sizeof(six))] : v4[rnd_below(sizeof(v4))];
}

/*
 * An IP packet at @p (family @v6) carrying one L4 header of @proto and
 * @payload random bytes, sums right; returns its length
 */
static size_t ip_packet(uint8_t *p, bool v6, uint8_t proto, int flow,
			uint8_t tcp_flags, size_t payload, bool spoof)
{
	size_t l3 = v6 ? ip6_header(p, proto, spoof) : ip4_header(p, proto, 0, spoof);
	size_t l4 = l4_header(p + l3, proto, flow, tcp_flags);
	size_t total = l3 + l4 + payload;

	rnd_bytes(p + l3 + l4, payload);
	if (v6)
		ip6_finish(p, total);
	else
		ip4_finish(p, total);
	l4_csum(v6, p, proto, p + l3, l4 + payload);
	return total;
}

/* Send an IP packet built at @p by the way its family allows, chosen at random */
static void route(struct pkt *pk, bool v6)
{
	pk->path = chance(50) ? P_PACKET : v6 ? P_RAW6 : P_RAW4;
}

static size_t k_random(uint8_t *p, bool *v6)
{
	size_t len = rnd_below(FRAME_MAX - 14 + 1);

	*v6 = chance(50);
	rnd_bytes(p, len);
	if (len && chance(80))	/* mostly the right version, to get further */
		p[0] = (uint8_t)((*v6 ? 0x60 : 0x40) | (p[0] & 0xf));
	return len;
}

static size_t k_ip4_header(uint8_t *p)
{
	size_t len = ip_packet(p, false, some_proto(false), some_flow(), 0x02,
			       rnd_below(64), false);

	switch (rnd_below(6)) {
	case 0:
		p[0] = (uint8_t)(rnd_below(16) << 4 | 5);	/* version */
		break;
	case 1:
		p[0] = 0x40 | (uint8_t)rnd_below(16);		/* IHL */
		break;
	case 2:
		put16(p + 2, (uint16_t)rnd());			/* tot_len */
		break;
	case 3:
		put16(p + 10, (uint16_t)rnd());		/* sum */
		return len;
	case 4:
		len = rnd_below(20);				/* cut header */
		break;
	default:
		rnd_bytes(p, 20);				/* all of it */
		break;
	}
	put16(p + 10, 0);
	put16(p + 10, csum_fold(csum_add(0, p, 20)));
	return len;
}

static size_t k_ip4_options(uint8_t *p)
{
	uint8_t proto = some_proto(false);
	size_t optlen = 4 * (1 + rnd_below(10));
	size_t l3 = ip4_header(p, proto, optlen, false);
	size_t l4 = l4_header(p + l3, proto, some_flow(), 0x10);

	/* sometimes well-formed options: NOPs and an end */
	if (chance(30)) {
		memset(p + 20, 1, optlen);
		p[20 + optlen - 1] = 0;
	}
	ip4_finish(p, l3 + l4);
	l4_csum(false, p, proto, p + l3, l4);
	return l3 + l4;
}

static size_t k_truncated(uint8_t *p, bool v6)
{
	uint8_t proto = some_proto(v6);
	size_t len = ip_packet(p, v6, proto, some_flow(), 0x02, 0, false);
	size_t l3 = v6 ? 40 : 20;
	size_t cut = l3 + rnd_below((uint32_t)(len - l3 + 1));

	/* the IP header says what is really there, as a cut-off capture would */
	if (v6)
		ip6_finish(p, cut);
	else
		ip4_finish(p, cut);
	return cut;
}

static size_t k_tcp_flags(uint8_t *p, bool v6)
{
	uint8_t flags = (uint8_t)tcp_flag_turn++;	/* each of the 256 in turn */
	size_t len = ip_packet(p, v6, IPPROTO_TCP, some_flow(), flags,
			       rnd_below(32), false);
	size_t l3 = v6 ? 40 : 20;

	if (chance(25)) {
		/* a data offset from 0 to 15 words, whatever the length */
		p[l3 + 12] = (uint8_t)(rnd_below(16) << 4);
		l4_csum(v6, p, IPPROTO_TCP, p + l3, len - l3);
	}
	return len;
}

static size_t k_fragment(uint8_t *p, bool v6)
{
	uint8_t proto = some_proto(v6);
	bool first = chance(50);
	size_t payload = rnd_below(64);
	uint16_t off = first ? 0 : (uint16_t)(1 + rnd_below(8000));
	size_t l4len, len;

	if (!v6) {
		len = ip_packet(p, false, proto, some_flow(), 0x02, payload, false);
		if (!first)	/* a later fragment holds no L4 header */
			rnd_bytes(p + 20, len - 20);
		put16(p + 6, (uint16_t)((chance(70) ? 0x2000 : 0) | (off & 0x1fff)));
		ip4_finish(p, len);
		return len;
	}
	ip6_header(p, 44, false);
	p[40] = proto;
	p[41] = 0;
	put16(p + 42, (uint16_t)(off << 3 | (chance(70) ? 1 : 0)));
	put32(p + 44, (uint32_t)rnd());
	l4len = l4_header(p + 48, proto, some_flow(), 0x02);
	rnd_bytes(p + 48 + l4len, payload);
	if (!first)
		rnd_bytes(p + 48, l4len);
	len = 48 + l4len + payload;
	ip6_finish(p, len);
	return len;
}

static size_t k_ip6_ext(uint8_t *p)
{
	static const uint8_t ext[] = { 0, 43, 60, 44, 51, 59 };	/* HBH RT DST FRAG AH NONE */
	unsigned int i, n = 1 + rnd_below(EXT_CHAIN_MAX);
	uint8_t *nexthdr = p + 6;
	size_t at = 40, hlen;
	uint8_t proto = some_proto(true);

	ip6_header(p, 0, false);
	for (i = 0; i < n && at + 8 <= BUF_MAX - 64; i++) {
		uint8_t type = ext[rnd_below(sizeof(ext))];

		*nexthdr = type;
		if (type == 59)		/* no next header: the chain ends */
			break;
		nexthdr = p + at;
		if (type == 44) {
			hlen = 8;
			p[at + 1] = 0;
			put16(p + at + 2, (uint16_t)(rnd_below(2) ? 0 : rnd()));
			put32(p + at + 4, (uint32_t)rnd());
		} else if (type == 51) {
			p[at + 1] = (uint8_t)rnd_below(8);	/* 4-byte units, minus 2 */
			hlen = (p[at + 1] + 2) * 4;
			rnd_bytes(p + at + 2, hlen - 2);
		} else {
			p[at + 1] = (uint8_t)rnd_below(4);	/* 8-byte units, minus 1 */
			hlen = (p[at + 1] + 1) * 8;
			rnd_bytes(p + at + 2, hlen - 2);
		}
		/* now and then a length that runs past the end */
		if (chance(5))
			p[at + 1] = (uint8_t)rnd();
		at += hlen;
	}
	if (*nexthdr != 59) {
		*nexthdr = proto;
		at += l4_header(p + at, proto, some_flow(), 0x02);
	}
	/* cut the chain anywhere, or lie about the payload length */
	if (chance(20))
		at = 40 + rnd_below((uint32_t)(at - 40 + 1));
	ip6_finish(p, at);
	if (chance(10))
		put16(p + 4, (uint16_t)rnd());
	return at;
}

static size_t k_icmp_error(uint8_t *p, bool v6)
{
	uint8_t inner = chance(50) ? IPPROTO_TCP : IPPROTO_UDP;
	uint8_t proto = v6 ? IPPROTO_ICMPV6 : IPPROTO_ICMP;
	size_t l3 = v6 ? ip6_header(p, proto, false) : ip4_header(p, proto, 0, false);
	uint8_t *icmp = p + l3;
	size_t q, quoted, len;
	uint8_t tmp[BUF_MAX];

	if (v6) {
		static const uint8_t types[] = { 1, 2, 3, 4 };

		icmp[0] = types[rnd_below(sizeof(types))];
	} else {
		static const uint8_t types[] = { 3, 4, 5, 11, 12 };

		icmp[0] = types[rnd_below(sizeof(types))];
	}
	icmp[1] = (uint8_t)rnd_below(16);
	put32(icmp + 4, chance(50) ? 1280 : (uint32_t)rnd());
	/* the quoted packet: one of ours going back (a known flow or not) */
	q = ip_packet(tmp, v6, inner, some_flow(), 0x02, rnd_below(16), false);
	quoted = chance(30) ? rnd_below((uint32_t)q + 1) : q;
	memcpy(icmp + 8, tmp, quoted);
	len = l3 + 8 + quoted;
	if (v6)
		ip6_finish(p, len);
	else
		ip4_finish(p, len);
	l4_csum(v6, p, proto, icmp, len - l3);
	return len;
}

static size_t k_length(uint8_t *p, bool v6, enum path *path)
{
	size_t l3 = v6 ? 40 : 20;
	uint8_t proto = some_proto(v6);

	switch (rnd_below(3)) {
	case 0:	/* an IP header and nothing after it */
		if (v6)
			ip6_header(p, proto, false);
		else
			ip4_header(p, proto, 0, false);
		if (v6)
			ip6_finish(p, l3);
		else
			ip4_finish(p, l3);
		return l3;
	case 1:	/* the largest frame the link takes */
		return ip_packet(p, v6, proto, some_flow(), 0x10,
				 FRAME_MAX - 14 - l3 - 20, false);
	default: /* beyond the MTU: the kernel must refuse it */
		*path = v6 ? P_RAW6 : P_RAW4;
		return ip_packet(p, v6, proto, some_flow(), 0x10,
				 BUF_MAX - l3 - 40 - rnd_below(400), false);
	}
}

static size_t k_valid(uint8_t *p, bool v6)
{
	static const uint8_t flags[] = { 0x02, 0x12, 0x10, 0x18, 0x11, 0x04 };
	uint8_t proto = chance(40) ? IPPROTO_TCP : chance(60) ? IPPROTO_UDP :
			v6 ? IPPROTO_ICMPV6 : IPPROTO_ICMP;

	return ip_packet(p, v6, proto, (int)rnd_below(KNOWN_FLOWS),
			 flags[rnd_below(sizeof(flags))], rnd_below(64), false);
}

/* Flood mix: a new, well-formed flow from a random source */
static enum kind make_flood(struct pkt *pk)
{
	bool v6 = chance(30);
	uint8_t proto = chance(60) ? IPPROTO_TCP : IPPROTO_UDP;
	uint8_t *ip = pk->buf + 14;

	pk->len = ip_packet(ip, v6, proto, -1, 0x02, 0, true);
	pk->path = P_PACKET;
	pk->buf[12] = v6 ? 0x86 : 0x08;
	pk->buf[13] = v6 ? 0xdd : 0x00;
	return K_VALID;
}

/* Draw one packet: its bytes in pk->buf from offset 14 (after Ethernet) */
static enum kind make_packet(struct pkt *pk)
{
	enum kind kind = (enum kind)rnd_below(K_NUM);
	uint8_t *ip = pk->buf + 14;
	bool v6 = chance(50);
	size_t len;

	if (cfg.flood)
		return make_flood(pk);
	memset(pk->buf, 0, sizeof(pk->buf));
	route(pk, v6);
	switch (kind) {
	case K_RANDOM:
		len = k_random(ip, &v6);
		route(pk, v6);
		break;
	case K_IP4_HEADER:
		v6 = false;
		len = k_ip4_header(ip);
		route(pk, v6);
		break;
	case K_IP4_OPTIONS:
		v6 = false;
		len = k_ip4_options(ip);
		route(pk, v6);
		break;
	case K_TRUNCATED:
		len = k_truncated(ip, v6);
		break;
	case K_TCP_FLAGS:
		len = k_tcp_flags(ip, v6);
		break;
	case K_FRAGMENT:
		len = k_fragment(ip, v6);
		break;
	case K_IP6_EXT:
		v6 = true;
		len = k_ip6_ext(ip);
		route(pk, v6);
		break;
	case K_ICMP_ERROR:
		len = k_icmp_error(ip, v6);
		break;
	case K_LENGTH:
		len = k_length(ip, v6, &pk->path);
		break;
	default:
		len = k_valid(ip, v6);
		break;
	}
	pk->len = len;
	/* a random frame keeps a random ethertype now and then */
	if (kind == K_RANDOM && chance(20)) {
		put16(pk->buf + 12, (uint16_t)rnd());
		pk->path = P_PACKET;
	} else {
		put16(pk->buf + 12, v6 ? ETH_P_IPV6 : ETH_P_IP);
	}
	return kind;
}

static struct {
	unsigned long long sent[K_NUM], refused[K_NUM], by_path[P_NUM];
	unsigned long long total, total_refused;
	int first_errno[K_NUM];
} st;

static void send_packet(struct pkt *pk, enum kind kind)
{
	struct sockaddr_in to4 = { .sin_family = AF_INET, .sin_addr = cfg.dst4 };
	struct sockaddr_in6 to6 = { .sin6_family = AF_INET6, .sin6_addr = cfg.dst6 };
	struct sockaddr_ll ll = {
		.sll_family = AF_PACKET,
		.sll_ifindex = cfg.ifindex,
		.sll_halen = 6,
	};
	ssize_t n;

	switch (pk->path) {
	case P_PACKET:
		memcpy(pk->buf, cfg.dmac, 6);
		memcpy(pk->buf + 6, cfg.smac, 6);
		memcpy(ll.sll_addr, cfg.dmac, 6);
		n = sendto(cfg.fd[P_PACKET], pk->buf, pk->len + 14, 0,
			   (struct sockaddr *)&ll, sizeof(ll));
		break;
	case P_RAW4:
		n = sendto(cfg.fd[P_RAW4], pk->buf + 14, pk->len, 0,
			   (struct sockaddr *)&to4, sizeof(to4));
		break;
	default:
		n = sendto(cfg.fd[P_RAW6], pk->buf + 14, pk->len, 0,
			   (struct sockaddr *)&to6, sizeof(to6));
		break;
	}
	st.total++;
	st.sent[kind]++;
	st.by_path[pk->path]++;
	if (n < 0) {
		/* the kernel said no (EINVAL, EMSGSIZE...): also an outcome */
		st.refused[kind]++;
		st.total_refused++;
		if (!st.first_errno[kind])
			st.first_errno[kind] = errno;
	}
}

static void print_usage(void)
{
	fprintf(stderr,
		"usage: ctlite-fuzz --ifname DEV --dmac MAC --src4 A --dst4 A --src6 A --dst6 A\n"
		"                   [--seed N] [--count N] [--rate PPS] [--mix fuzz|flood]\n"
		"Sends COUNT (default 10000) packets drawn from SEED (default 1) through\n"
		"DEV's packet socket and this namespace's raw sockets, RATE per second at\n"
		"most (default: as fast as the kernel takes them), then prints what it sent.\n");
	exit(2);
}

static void parse_mac(const char *s, uint8_t *mac)
{
	if (sscanf(s, "%hhx:%hhx:%hhx:%hhx:%hhx:%hhx", &mac[0], &mac[1], &mac[2],
		   &mac[3], &mac[4], &mac[5]) != 6) {
		fprintf(stderr, "ctlite-fuzz: bad MAC address '%s'\n", s);
		exit(2);
	}
}

static unsigned long long parse_num(const char *s, const char *what)
{
	char *end;
	unsigned long long v;

	errno = 0;
	v = strtoull(s, &end, 0);
	if (errno || !*s || *end || *s == '-') {
		fprintf(stderr, "ctlite-fuzz: bad %s '%s'\n", what, s);
		exit(2);
	}
	return v;
}

static void parse_addr(int af, const char *s, void *dst)
{
	if (inet_pton(af, s, dst) != 1) {
		fprintf(stderr, "ctlite-fuzz: bad address '%s'\n", s);
		exit(2);
	}
}

static int open_socket(int domain, int type, int proto)
{
	int fd = socket(domain, type, proto);

	if (fd < 0) {
		perror("ctlite-fuzz: socket");
		exit(1);
	}
	return fd;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "ifname", required_argument, NULL, 'i' },
		{ "dmac", required_argument, NULL, 'm' },
		{ "src4", required_argument, NULL, '4' },
		{ "dst4", required_argument, NULL, 'd' },
		{ "src6", required_argument, NULL, '6' },
		{ "dst6", required_argument, NULL, 'e' },
		{ "seed", required_argument, NULL, 's' },
		{ "count", required_argument, NULL, 'c' },
		{ "rate", required_argument, NULL, 'r' },
		{ "mix", required_argument, NULL, 'x' },
		{ NULL, 0, NULL, 0 },
	};
	unsigned long long seed = 1, count = 10000, rate = 0, i;
	const char *ifname = NULL;
	int given = 0, opt, k, one = 1;
	struct timespec t0, t1, next;
	struct ifreq ifr;
	struct pkt pk;
	double secs;

	while ((opt = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (opt) {
		case 'i':
			ifname = optarg;
			given |= 1;
			break;
		case 'm':
			parse_mac(optarg, cfg.dmac);
			given |= 2;
			break;
		case '4':
			parse_addr(AF_INET, optarg, &cfg.src4);
			given |= 4;
			break;
		case 'd':
			parse_addr(AF_INET, optarg, &cfg.dst4);
			given |= 8;
			break;
		case '6':
			parse_addr(AF_INET6, optarg, &cfg.src6);
			given |= 16;
			break;
		case 'e':
			parse_addr(AF_INET6, optarg, &cfg.dst6);
			given |= 32;
			break;
		case 's':
			seed = parse_num(optarg, "seed");
			break;
		case 'c':
			count = parse_num(optarg, "count");
			break;
		case 'r':
			rate = parse_num(optarg, "rate");
			break;
		case 'x':
			if (!strcmp(optarg, "flood"))
				cfg.flood = true;
			else if (strcmp(optarg, "fuzz"))
				print_usage();
			break;
		default:
			print_usage();
		}
	}
	if (given != 63 || optind != argc)
		print_usage();

	/* xorshift must not start at 0 */
	rng_state = seed * 0x9E3779B97F4A7C15ULL + 1;
	cfg.ifindex = (int)if_nametoindex(ifname);
	if (!cfg.ifindex) {
		fprintf(stderr, "ctlite-fuzz: no interface %s\n", ifname);
		return 1;
	}
	cfg.fd[P_PACKET] = open_socket(AF_PACKET, SOCK_RAW, 0);
	cfg.fd[P_RAW4] = open_socket(AF_INET, SOCK_RAW, IPPROTO_RAW);
	cfg.fd[P_RAW6] = open_socket(AF_INET6, SOCK_RAW, IPPROTO_RAW);
	if (setsockopt(cfg.fd[P_RAW4], IPPROTO_IP, IP_HDRINCL, &one, sizeof(one)))
		perror("ctlite-fuzz: IP_HDRINCL");
	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", ifname);
	if (ioctl(cfg.fd[P_PACKET], SIOCGIFHWADDR, &ifr)) {
		perror("ctlite-fuzz: SIOCGIFHWADDR");
		return 1;
	}
	memcpy(cfg.smac, ifr.ifr_hwaddr.sa_data, 6);

	clock_gettime(CLOCK_MONOTONIC, &t0);
	next = t0;
	for (i = 0; i < count; i++) {
		enum kind kind = make_packet(&pk);

		send_packet(&pk, kind);
		if (rate) {
			next.tv_nsec += 1000000000 / rate;
			while (next.tv_nsec >= 1000000000) {
				next.tv_nsec -= 1000000000;
				next.tv_sec++;
			}
			clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &next, NULL);
		}
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	secs = (double)(t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) / 1e9;

	printf("ctlite-fuzz: seed %llu, mix %s: %llu packets in %.1f s (%.0f/s), %llu refused\n",
	       seed, cfg.flood ? "flood" : "fuzz", st.total, secs,
	       secs > 0 ? st.total / secs : 0.0, st.total_refused);
	printf("ctlite-fuzz: by path: %s %llu, %s %llu, %s %llu\n",
	       path_name[P_PACKET], st.by_path[P_PACKET], path_name[P_RAW4],
	       st.by_path[P_RAW4], path_name[P_RAW6], st.by_path[P_RAW6]);
	for (k = 0; k < K_NUM; k++) {
		if (!st.sent[k])
			continue;
		printf("ctlite-fuzz: %-12s %8llu sent, %6llu refused%s%s\n",
		       kind_name[k], st.sent[k], st.refused[k],
		       st.first_errno[k] ? ", first: " : "",
		       st.first_errno[k] ? strerror(st.first_errno[k]) : "");
	}
	return 0;
}
