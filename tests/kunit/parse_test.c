// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit tests for packet to key: well-formed packets give the flow's key,
 * malformed ones are refused without reading past the data the skb has
 * (each skb is allocated to its exact length, so KASAN would catch it).
 */
#include <kunit/test.h>
#include <linux/icmp.h>
#include <linux/icmpv6.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <linux/skbuff.h>
#include <linux/tcp.h>
#include <linux/udp.h>
#include <net/ip.h>
#include <net/ipv6.h>
#include <net/tcp.h>

#include <ctlite/ctlite.h>

#define NET	77

/* An skb holding exactly @len bytes of @data, network header at 0 */
static struct sk_buff *packet(struct kunit *test, const void *data,
			      unsigned int len)
{
	struct sk_buff *skb = alloc_skb(len, GFP_KERNEL);

	KUNIT_ASSERT_NOT_NULL(test, skb);
	skb_put_data(skb, data, len);
	skb_reset_network_header(skb);
	return skb;
}

static enum ctlite_parse parse(struct kunit *test, u8 family, const void *data,
			       unsigned int len, struct ctlite_key *key,
			       bool *src_is_1)
{
	struct sk_buff *skb = packet(test, data, len);
	struct ctlite_pkt pkt;
	enum ctlite_parse ret = ctlite_parse_skb(skb, family, NET, key, &pkt);

	*src_is_1 = pkt.src_is_1;
	kfree_skb(skb);
	return ret;
}

struct v4_tcp {
	struct iphdr ip;
	struct tcphdr tcp;
} __packed;

static void v4_tcp_packet(struct v4_tcp *p, u32 saddr, u16 sport, u32 daddr,
			  u16 dport)
{
	memset(p, 0, sizeof(*p));
	p->ip.version = 4;
	p->ip.ihl = 5;
	p->ip.protocol = IPPROTO_TCP;
	p->ip.tot_len = htons(sizeof(*p));
	p->ip.saddr = htonl(saddr);
	p->ip.daddr = htonl(daddr);
	p->tcp.source = htons(sport);
	p->tcp.dest = htons(dport);
	p->tcp.doff = 5;
	p->tcp.syn = 1;
}

static void tcp_packet_gives_canonical_key(struct kunit *test)
{
	struct ctlite_key key;
	struct v4_tcp p;
	bool src_is_1;

	v4_tcp_packet(&p, 0x0a000002, 40000, 0x0a000001, 80);
	KUNIT_ASSERT_EQ(test, CTLITE_PARSE_OK,
			parse(test, NFPROTO_IPV4, &p, sizeof(p), &key, &src_is_1));
	KUNIT_EXPECT_EQ(test, key.net_id, (u32)NET);
	KUNIT_EXPECT_EQ(test, key.family, (u8)AF_INET);
	KUNIT_EXPECT_EQ(test, key.proto, (u8)IPPROTO_TCP);
	/* 10.0.0.1:80 is the lower endpoint, so the source is endpoint 1 */
	KUNIT_EXPECT_TRUE(test, src_is_1);
	KUNIT_EXPECT_EQ(test, ntohl(key.addr.ip[0]), 0x0a000001U);
	KUNIT_EXPECT_EQ(test, ntohs(key.port[0]), 80);
	KUNIT_EXPECT_EQ(test, ntohl(key.addr.ip[1]), 0x0a000002U);
	KUNIT_EXPECT_EQ(test, ntohs(key.port[1]), 40000);
}

static void tcp_flags_and_sequence_numbers_are_read(struct kunit *test)
{
	struct ctlite_key key;
	struct ctlite_pkt pkt;
	struct sk_buff *skb;
	struct v4_tcp p;

	v4_tcp_packet(&p, 0x0a000001, 80, 0x0a000002, 40000);
	p.tcp.ack = 1;
	p.tcp.seq = htonl(0xfffffff0);
	p.tcp.ack_seq = htonl(12345);
	skb = packet(test, &p, sizeof(p));
	KUNIT_EXPECT_EQ(test, CTLITE_PARSE_OK,
			ctlite_parse_skb(skb, NFPROTO_IPV4, NET, &key, &pkt));
	kfree_skb(skb);
	KUNIT_EXPECT_FALSE(test, pkt.src_is_1);
	KUNIT_EXPECT_EQ(test, pkt.tcp_flags, (u8)(TCPHDR_SYN | TCPHDR_ACK));
	KUNIT_EXPECT_EQ(test, pkt.seq, 0xfffffff0U);
	KUNIT_EXPECT_EQ(test, pkt.ack, 12345U);
}

static void truncated_and_bad_headers_are_invalid(struct kunit *test)
{
	struct ctlite_key key;
	struct v4_tcp p;
	bool src_is_1;
	unsigned int len;

	v4_tcp_packet(&p, 1, 1, 2, 2);
	/* every length short of a full TCP header */
	for (len = 0; len < sizeof(p); len++)
		KUNIT_EXPECT_EQ_MSG(test, CTLITE_PARSE_INVALID,
				    parse(test, NFPROTO_IPV4, &p, len, &key, &src_is_1),
				    "length %u", len);
	p.ip.ihl = 4;
	KUNIT_EXPECT_EQ(test, CTLITE_PARSE_INVALID,
			parse(test, NFPROTO_IPV4, &p, sizeof(p), &key, &src_is_1));
	p.ip.ihl = 15;	/* options past the end of the packet */
	KUNIT_EXPECT_EQ(test, CTLITE_PARSE_INVALID,
			parse(test, NFPROTO_IPV4, &p, sizeof(p), &key, &src_is_1));
	p.ip.ihl = 5;
	p.tcp.doff = 4;
	KUNIT_EXPECT_EQ(test, CTLITE_PARSE_INVALID,
			parse(test, NFPROTO_IPV4, &p, sizeof(p), &key, &src_is_1));
	p.tcp.doff = 6;	/* 4 bytes of options the packet does not have */
	KUNIT_EXPECT_EQ(test, CTLITE_PARSE_INVALID,
			parse(test, NFPROTO_IPV4, &p, sizeof(p), &key, &src_is_1));
	p.tcp.doff = 5;
	p.ip.version = 6;
	KUNIT_EXPECT_EQ(test, CTLITE_PARSE_INVALID,
			parse(test, NFPROTO_IPV4, &p, sizeof(p), &key, &src_is_1));
}

static void fragments_first_or_not_go_to_reassembly(struct kunit *test)
{
	struct ctlite_key key;
	struct v4_tcp p;
	bool src_is_1;

	v4_tcp_packet(&p, 1, 1, 2, 2);
	p.ip.frag_off = htons(IP_DF);	/* not a fragment */
	KUNIT_EXPECT_EQ(test, CTLITE_PARSE_OK,
			parse(test, NFPROTO_IPV4, &p, sizeof(p), &key, &src_is_1));
	/* the first fragment has the ports, not the whole segment */
	p.ip.frag_off = htons(IP_MF);
	KUNIT_EXPECT_EQ(test, CTLITE_PARSE_FRAGMENT,
			parse(test, NFPROTO_IPV4, &p, sizeof(p), &key, &src_is_1));
	p.ip.frag_off = htons(185);	/* a later one, only 20 bytes here */
	KUNIT_EXPECT_EQ(test, CTLITE_PARSE_FRAGMENT,
			parse(test, NFPROTO_IPV4, &p, sizeof(p.ip), &key, &src_is_1));
}

/* nf_conntrack's tcp_valid_flags, written out the other way round */
static bool flags_valid(u8 flags)
{
	flags &= ~(TCPHDR_ECE | TCPHDR_CWR | TCPHDR_PSH);
	switch (flags & ~TCPHDR_URG) {
	case TCPHDR_SYN:
	case TCPHDR_ACK:
	case TCPHDR_FIN | TCPHDR_ACK:
		return true;
	case TCPHDR_SYN | TCPHDR_ACK:
	case TCPHDR_RST:
	case TCPHDR_RST | TCPHDR_ACK:
		return !(flags & TCPHDR_URG);
	default:
		return false;
	}
}

static void tcp_flag_combinations_nf_conntrack_refuses_are_invalid(struct kunit *test)
{
	unsigned int flags, valid = 0;
	struct ctlite_key key;
	struct v4_tcp p;
	bool src_is_1;

	v4_tcp_packet(&p, 1, 1, 2, 2);
	for (flags = 0; flags < 256; flags++) {
		tcp_flag_byte(&p.tcp) = flags;
		KUNIT_EXPECT_EQ_MSG(test, parse(test, NFPROTO_IPV4, &p, sizeof(p),
						&key, &src_is_1),
				    flags_valid(flags) ? CTLITE_PARSE_OK :
				    CTLITE_PARSE_INVALID, "flags 0x%02x", flags);
		valid += flags_valid(flags);
	}
	/* 9 combinations, each with any of ECE, CWR and PSH */
	KUNIT_EXPECT_EQ(test, valid, 9U * 8U);
}

struct v4_tcp_opts {
	struct iphdr ip;
	struct tcphdr tcp;
	u8 opt[12];
	u8 data[100];
} __packed;

static void tcp_window_length_and_scale_are_read(struct kunit *test)
{
	static const u8 opts[12] = {
		TCPOPT_MSS, TCPOLEN_MSS, 0x05, 0xb4,
		TCPOPT_NOP, TCPOPT_WINDOW, TCPOLEN_WINDOW, 7,
		TCPOPT_NOP, TCPOPT_NOP, TCPOPT_NOP, TCPOPT_EOL,
	};
	struct v4_tcp_opts p = { };
	struct ctlite_key key;
	struct ctlite_pkt pkt;
	struct sk_buff *skb;

	p.ip.version = 4;
	p.ip.ihl = 5;
	p.ip.protocol = IPPROTO_TCP;
	p.ip.saddr = htonl(1);
	p.ip.daddr = htonl(2);
	p.tcp.doff = (sizeof(p.tcp) + sizeof(p.opt)) / 4;
	p.tcp.syn = 1;
	p.tcp.window = htons(64240);
	memcpy(p.opt, opts, sizeof(opts));

	skb = packet(test, &p, sizeof(p));
	KUNIT_ASSERT_EQ(test, CTLITE_PARSE_OK,
			ctlite_parse_skb(skb, NFPROTO_IPV4, NET, &key, &pkt));
	kfree_skb(skb);
	KUNIT_EXPECT_EQ(test, pkt.win, (u16)64240);
	KUNIT_EXPECT_EQ(test, pkt.len, 100U);
	KUNIT_EXPECT_EQ(test, pkt.wscale, (u8)7);

	/* more than RFC 7323's 14 is 14 */
	p.opt[7] = 20;
	skb = packet(test, &p, sizeof(p));
	ctlite_parse_skb(skb, NFPROTO_IPV4, NET, &key, &pkt);
	kfree_skb(skb);
	KUNIT_EXPECT_EQ(test, pkt.wscale, (u8)CTLITE_WSCALE_MAX);

	/* an option whose length runs past the header: no scale */
	p.opt[1] = 40;
	skb = packet(test, &p, sizeof(p));
	KUNIT_EXPECT_EQ(test, CTLITE_PARSE_OK,
			ctlite_parse_skb(skb, NFPROTO_IPV4, NET, &key, &pkt));
	kfree_skb(skb);
	KUNIT_EXPECT_EQ(test, pkt.wscale, (u8)CTLITE_WSCALE_NONE);

	/* only a SYN's options count */
	p.opt[1] = TCPOLEN_MSS;
	p.tcp.syn = 0;
	p.tcp.ack = 1;
	skb = packet(test, &p, sizeof(p));
	ctlite_parse_skb(skb, NFPROTO_IPV4, NET, &key, &pkt);
	kfree_skb(skb);
	KUNIT_EXPECT_EQ(test, pkt.wscale, (u8)CTLITE_WSCALE_NONE);
	KUNIT_EXPECT_EQ(test, pkt.len, 100U);
}

/* IPv4 protocol 58 is not ICMPv6, nor IPv6's next header 1 ICMP */
static void icmp_is_parsed_only_in_its_own_family(struct kunit *test)
{
	struct {
		struct iphdr ip;
		struct icmp6hdr icmp6;
	} __packed p4 = {
		.ip = { .version = 4, .ihl = 5, .protocol = IPPROTO_ICMPV6,
			.saddr = htonl(1), .daddr = htonl(2) },
		.icmp6 = { .icmp6_type = ICMPV6_ECHO_REQUEST,
			   .icmp6_identifier = htons(99) },
	};
	struct {
		struct ipv6hdr ip6;
		struct icmphdr icmp;
	} __packed p6 = {
		.ip6 = { .version = 6, .nexthdr = IPPROTO_ICMP },
		.icmp = { .type = ICMP_DEST_UNREACH },
	};
	struct ctlite_key key;
	bool src_is_1;

	/* tracked as another protocol: the address pair, no id */
	KUNIT_EXPECT_EQ(test, CTLITE_PARSE_OK,
			parse(test, NFPROTO_IPV4, &p4, sizeof(p4), &key, &src_is_1));
	KUNIT_EXPECT_EQ(test, key.proto, (u8)IPPROTO_ICMPV6);
	KUNIT_EXPECT_EQ(test, ntohs(key.port[0]), 0);
	KUNIT_EXPECT_EQ(test, ntohs(key.port[1]), 0);
	/* not an ICMP error to ignore, but another protocol too */
	KUNIT_EXPECT_EQ(test, CTLITE_PARSE_OK,
			parse(test, NFPROTO_IPV6, &p6, sizeof(p6), &key, &src_is_1));
	KUNIT_EXPECT_EQ(test, key.proto, (u8)IPPROTO_ICMP);
	KUNIT_EXPECT_EQ(test, ntohs(key.port[0]), 0);
}

static void icmp_echo_is_tracked_by_id_and_errors_ignored(struct kunit *test)
{
	struct {
		struct iphdr ip;
		struct icmphdr icmp;
	} __packed p = {
		.ip = { .version = 4, .ihl = 5, .protocol = IPPROTO_ICMP,
			.saddr = htonl(0x0a000001), .daddr = htonl(0x0a000002) },
		.icmp = { .type = ICMP_ECHO, .un.echo.id = htons(4242) },
	};
	struct ctlite_key key;
	bool src_is_1;

	KUNIT_ASSERT_EQ(test, CTLITE_PARSE_OK,
			parse(test, NFPROTO_IPV4, &p, sizeof(p), &key, &src_is_1));
	KUNIT_EXPECT_EQ(test, ntohs(key.port[0]), 4242);
	KUNIT_EXPECT_EQ(test, ntohs(key.port[1]), 4242);
	KUNIT_EXPECT_FALSE(test, src_is_1);
	p.icmp.type = ICMP_DEST_UNREACH;
	KUNIT_EXPECT_EQ(test, CTLITE_PARSE_IGNORE,
			parse(test, NFPROTO_IPV4, &p, sizeof(p), &key, &src_is_1));
	KUNIT_EXPECT_EQ(test, CTLITE_PARSE_INVALID,
			parse(test, NFPROTO_IPV4, &p, sizeof(p) - 1, &key, &src_is_1));
}

struct v6_frag_udp {
	struct ipv6hdr ip6;
	struct frag_hdr frag;
	struct udphdr udp;
} __packed;

static void ipv6_extension_headers_and_fragments(struct kunit *test)
{
	struct v6_frag_udp p = {
		.ip6 = { .version = 6, .nexthdr = NEXTHDR_FRAGMENT,
			 .payload_len = htons(sizeof(struct frag_hdr) +
					      sizeof(struct udphdr)) },
		.frag = { .nexthdr = IPPROTO_UDP, .frag_off = 0 },
		.udp = { .source = htons(5353), .dest = htons(53) },
	};
	struct ctlite_key key;
	bool src_is_1;

	p.ip6.saddr.s6_addr[15] = 1;
	p.ip6.daddr.s6_addr[15] = 2;
	KUNIT_ASSERT_EQ(test, CTLITE_PARSE_OK,
			parse(test, NFPROTO_IPV6, &p, sizeof(p), &key, &src_is_1));
	KUNIT_EXPECT_EQ(test, key.family, (u8)AF_INET6);
	KUNIT_EXPECT_EQ(test, key.proto, (u8)IPPROTO_UDP);
	KUNIT_EXPECT_EQ(test, ntohs(key.port[0]), 5353);
	/* cut inside the fragment header, then inside the UDP header */
	KUNIT_EXPECT_EQ(test, CTLITE_PARSE_INVALID,
			parse(test, NFPROTO_IPV6, &p, sizeof(p.ip6) + 4, &key, &src_is_1));
	KUNIT_EXPECT_EQ(test, CTLITE_PARSE_INVALID,
			parse(test, NFPROTO_IPV6, &p, sizeof(p) - 1, &key, &src_is_1));
	/* a first fragment, and a later one */
	p.frag.frag_off = htons(IP6_MF);
	KUNIT_EXPECT_EQ(test, CTLITE_PARSE_FRAGMENT,
			parse(test, NFPROTO_IPV6, &p, sizeof(p), &key, &src_is_1));
	p.frag.frag_off = htons(64 << 3);
	KUNIT_EXPECT_EQ(test, CTLITE_PARSE_FRAGMENT,
			parse(test, NFPROTO_IPV6, &p, sizeof(p) - sizeof(p.udp),
			      &key, &src_is_1));
}

static void icmpv6_neighbour_discovery_is_ignored(struct kunit *test)
{
	struct {
		struct ipv6hdr ip6;
		struct icmp6hdr icmp6;
	} __packed p = {
		.ip6 = { .version = 6, .nexthdr = IPPROTO_ICMPV6 },
		.icmp6 = { .icmp6_type = NDISC_NEIGHBOUR_SOLICITATION },
	};
	struct ctlite_key key;
	bool src_is_1;

	KUNIT_EXPECT_EQ(test, CTLITE_PARSE_IGNORE,
			parse(test, NFPROTO_IPV6, &p, sizeof(p), &key, &src_is_1));
	p.icmp6.icmp6_type = ICMPV6_ECHO_REQUEST;
	p.icmp6.icmp6_identifier = htons(7);
	KUNIT_EXPECT_EQ(test, CTLITE_PARSE_OK,
			parse(test, NFPROTO_IPV6, &p, sizeof(p), &key, &src_is_1));
	KUNIT_EXPECT_EQ(test, ntohs(key.port[1]), 7);
}

static void other_protocols_are_tracked_by_address_pair(struct kunit *test)
{
	struct iphdr ip = {
		.version = 4, .ihl = 5, .protocol = IPPROTO_GRE,
		.saddr = htonl(0x0a000001), .daddr = htonl(0x0a000002),
	};
	struct ctlite_key key;
	bool src_is_1;

	KUNIT_ASSERT_EQ(test, CTLITE_PARSE_OK,
			parse(test, NFPROTO_IPV4, &ip, sizeof(ip), &key, &src_is_1));
	KUNIT_EXPECT_EQ(test, key.proto, (u8)IPPROTO_GRE);
	KUNIT_EXPECT_EQ(test, ntohs(key.port[0]), 0);
	KUNIT_EXPECT_EQ(test, ntohs(key.port[1]), 0);
}

struct v4_icmp_error {
	struct iphdr ip;
	struct icmphdr icmp;
	struct iphdr inner;
	__be16 ports[2];
	__be32 seq;		/* the 8 bytes of TCP an error quotes */
} __packed;

/*
 * A destination unreachable from @from to the sender of @quoted: the key
 * it gives is the quoted flow's, in the quoted packet's direction
 */
static void icmp_error_gives_the_quoted_flows_key(struct kunit *test)
{
	/* cleared: an IPv4 key's bytes after its addresses are left as found */
	struct ctlite_key flow = {}, quoted = {};
	struct v4_icmp_error e = {};
	struct ctlite_pkt pkt;
	struct sk_buff *skb;
	struct v4_tcp syn;
	bool src_is_1, ignored;

	v4_tcp_packet(&syn, 0x0a000002, 40000, 0x0a000001, 80);
	KUNIT_ASSERT_EQ(test, parse(test, NFPROTO_IPV4, &syn, sizeof(syn), &flow,
				    &src_is_1), CTLITE_PARSE_OK);

	e.ip.version = 4;
	e.ip.ihl = 5;
	e.ip.protocol = IPPROTO_ICMP;
	e.ip.tot_len = htons(sizeof(e));
	e.ip.saddr = htonl(0x0a000009);		/* a router on the way */
	e.ip.daddr = syn.ip.saddr;		/* back to the SYN's sender */
	e.icmp.type = ICMP_DEST_UNREACH;
	e.icmp.code = ICMP_FRAG_NEEDED;
	e.inner = syn.ip;
	e.ports[0] = syn.tcp.source;
	e.ports[1] = syn.tcp.dest;
	/* the plain parse leaves it to ctlite_parse_other() */
	KUNIT_EXPECT_EQ(test, parse(test, NFPROTO_IPV4, &e, sizeof(e), &quoted,
				    &ignored), CTLITE_PARSE_IGNORE);

	skb = packet(test, &e, sizeof(e));
	KUNIT_EXPECT_EQ(test, ctlite_parse_other(skb, NFPROTO_IPV4, NET, &quoted, &pkt),
			CTLITE_OTHER_ERROR);
	KUNIT_EXPECT_EQ(test, memcmp(&quoted, &flow, sizeof(flow)), 0);
	KUNIT_EXPECT_EQ(test, pkt.src_is_1, src_is_1);
	kfree_skb(skb);

	/* addressed to anyone but the quoted packet's sender: not about it */
	e.ip.daddr = htonl(0x0a000003);
	skb = packet(test, &e, sizeof(e));
	KUNIT_EXPECT_EQ(test, ctlite_parse_other(skb, NFPROTO_IPV4, NET, &quoted, &pkt),
			CTLITE_OTHER_NONE);
	kfree_skb(skb);

	/* cut inside the quoted ports: nothing to look up */
	e.ip.daddr = syn.ip.saddr;
	skb = packet(test, &e, offsetof(struct v4_icmp_error, ports) + 2);
	KUNIT_EXPECT_EQ(test, ctlite_parse_other(skb, NFPROTO_IPV4, NET, &quoted, &pkt),
			CTLITE_OTHER_NONE);
	kfree_skb(skb);
}

static struct kunit_case parse_cases[] = {
	KUNIT_CASE(tcp_packet_gives_canonical_key),
	KUNIT_CASE(tcp_flags_and_sequence_numbers_are_read),
	KUNIT_CASE(truncated_and_bad_headers_are_invalid),
	KUNIT_CASE(fragments_first_or_not_go_to_reassembly),
	KUNIT_CASE(tcp_flag_combinations_nf_conntrack_refuses_are_invalid),
	KUNIT_CASE(tcp_window_length_and_scale_are_read),
	KUNIT_CASE(icmp_is_parsed_only_in_its_own_family),
	KUNIT_CASE(icmp_echo_is_tracked_by_id_and_errors_ignored),
	KUNIT_CASE(ipv6_extension_headers_and_fragments),
	KUNIT_CASE(icmpv6_neighbour_discovery_is_ignored),
	KUNIT_CASE(other_protocols_are_tracked_by_address_pair),
	KUNIT_CASE(icmp_error_gives_the_quoted_flows_key),
	{}
};

static struct kunit_suite parse_suite = {
	.name = "ctlite_parse",
	.test_cases = parse_cases,
};

kunit_test_suites(&parse_suite);
