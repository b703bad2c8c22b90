// SPDX-License-Identifier: GPL-2.0
/*
 * Packet to flow key.  Reads headers only through skb_header_pointer(), so
 * a truncated or lying packet can never make us read past its data; what
 * cannot be parsed is reported, and the caller leaves it untracked.
 * Stateless: no locks.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/icmp.h>
#include <linux/icmpv6.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <linux/tcp.h>
#include <linux/udp.h>
#include <net/ip.h>
#include <net/ipv6.h>
#include <net/tcp.h>
#include <kunit/visibility.h>

#include <ctlite/ctlite.h>

/*
 * The flag combinations a TCP segment may carry, after ECE, CWR and PSH
 * are masked off: nf_conntrack's tcp_valid_flags.  Anything else (SYN+FIN,
 * SYN+RST, FIN without ACK, no flags at all, ...) is malformed.
 */
static const u8 tcp_valid_flags[(TCPHDR_FIN | TCPHDR_SYN | TCPHDR_RST |
				 TCPHDR_ACK | TCPHDR_URG) + 1] = {
	[TCPHDR_SYN] = 1,
	[TCPHDR_SYN | TCPHDR_URG] = 1,
	[TCPHDR_SYN | TCPHDR_ACK] = 1,
	[TCPHDR_RST] = 1,
	[TCPHDR_RST | TCPHDR_ACK] = 1,
	[TCPHDR_FIN | TCPHDR_ACK] = 1,
	[TCPHDR_FIN | TCPHDR_ACK | TCPHDR_URG] = 1,
	[TCPHDR_ACK] = 1,
	[TCPHDR_ACK | TCPHDR_URG] = 1,
};

/*
 * The window scale option of a SYN whose header is @th, at @thoff; the
 * options are read only for SYNs, the only segments that may carry it
 */
static u8 tcp_wscale(const struct sk_buff *skb, unsigned int thoff,
		     const struct tcphdr *th)
{
	unsigned int len = th->doff * 4 - sizeof(*th), i = 0;
	u8 buf[MAX_TCP_OPTION_SPACE];
	const u8 *opt;

	if (!len)
		return CTLITE_WSCALE_NONE;
	opt = skb_header_pointer(skb, thoff + sizeof(*th), len, buf);
	if (!opt)
		return CTLITE_WSCALE_NONE;
	while (i < len) {
		switch (opt[i]) {
		case TCPOPT_EOL:
			return CTLITE_WSCALE_NONE;
		case TCPOPT_NOP:
			i++;
			continue;
		}
		/* a kind, then a length that covers both */
		if (i + 1 >= len || opt[i + 1] < 2 || opt[i + 1] > len - i)
			return CTLITE_WSCALE_NONE;
		if (opt[i] == TCPOPT_WINDOW && opt[i + 1] == TCPOLEN_WINDOW)
			return min_t(u8, opt[i + 2], CTLITE_WSCALE_MAX);
		i += opt[i + 1];
	}
	return CTLITE_WSCALE_NONE;
}

/*
 * Ports, or the echo id twice, of the L4 header at @thoff; for TCP also
 * what the state machine reads.  ICMP is read as ICMP only in IPv4, and
 * ICMPv6 only in IPv6: elsewhere each is another protocol.
 */
static enum ctlite_parse parse_l4(const struct sk_buff *skb, unsigned int thoff,
				  struct ctlite_key *key, struct ctlite_pkt *pkt)
{
	union {
		struct tcphdr tcp;
		struct udphdr udp;
		struct icmphdr icmp;
		struct icmp6hdr icmp6;
	} buf;
	const struct tcphdr *th;
	const struct udphdr *uh;
	const struct icmphdr *ih;
	const struct icmp6hdr *i6h;

	u8 proto = key->proto;

	if ((proto == IPPROTO_ICMP && key->family != AF_INET) ||
	    (proto == IPPROTO_ICMPV6 && key->family != AF_INET6))
		proto = IPPROTO_RAW;	/* no parser: the default case */

	switch (proto) {
	case IPPROTO_TCP:
		th = skb_header_pointer(skb, thoff, sizeof(buf.tcp), &buf.tcp);
		/* the whole header within the packet, and flags that go together */
		if (!th || th->doff < sizeof(*th) / 4 ||
		    thoff + th->doff * 4 > skb->len)
			return CTLITE_PARSE_INVALID;
		pkt->tcp_flags = tcp_flag_byte(th);
		if (!tcp_valid_flags[pkt->tcp_flags &
				     ~(TCPHDR_ECE | TCPHDR_CWR | TCPHDR_PSH)])
			return CTLITE_PARSE_INVALID;
		key->port[0] = th->source;
		key->port[1] = th->dest;
		pkt->seq = ntohl(th->seq);
		pkt->ack = ntohl(th->ack_seq);
		pkt->win = ntohs(th->window);
		pkt->len = skb->len - thoff - th->doff * 4;
		pkt->wscale = th->syn ? tcp_wscale(skb, thoff, th) : CTLITE_WSCALE_NONE;
		return CTLITE_PARSE_OK;
	case IPPROTO_UDP:
	case IPPROTO_UDPLITE:
		uh = skb_header_pointer(skb, thoff, sizeof(buf.udp), &buf.udp);
		if (!uh)
			return CTLITE_PARSE_INVALID;
		key->port[0] = uh->source;
		key->port[1] = uh->dest;
		return CTLITE_PARSE_OK;
	case IPPROTO_ICMP:
		ih = skb_header_pointer(skb, thoff, sizeof(buf.icmp), &buf.icmp);
		if (!ih)
			return CTLITE_PARSE_INVALID;
		/* Errors belong to the flow they quote; other types are noise */
		if (ih->type != ICMP_ECHO && ih->type != ICMP_ECHOREPLY)
			return CTLITE_PARSE_IGNORE;
		key->port[0] = ih->un.echo.id;
		key->port[1] = ih->un.echo.id;
		return CTLITE_PARSE_OK;
	case IPPROTO_ICMPV6:
		i6h = skb_header_pointer(skb, thoff, sizeof(buf.icmp6), &buf.icmp6);
		if (!i6h)
			return CTLITE_PARSE_INVALID;
		/* neighbour discovery, MLD and errors are not flows */
		if (i6h->icmp6_type != ICMPV6_ECHO_REQUEST &&
		    i6h->icmp6_type != ICMPV6_ECHO_REPLY)
			return CTLITE_PARSE_IGNORE;
		key->port[0] = i6h->icmp6_identifier;
		key->port[1] = i6h->icmp6_identifier;
		return CTLITE_PARSE_OK;
	default:
		/* other protocols: the address pair alone */
		return CTLITE_PARSE_OK;
	}
}

static enum ctlite_parse parse_ipv4(const struct sk_buff *skb, u32 net_id,
				    struct ctlite_key *key, struct ctlite_pkt *pkt)
{
	unsigned int nhoff = skb_network_offset(skb);
	const struct iphdr *iph;
	struct iphdr buf;

	iph = skb_header_pointer(skb, nhoff, sizeof(buf), &buf);
	if (!iph || iph->version != 4 || iph->ihl < sizeof(*iph) / 4)
		return CTLITE_PARSE_INVALID;
	/*
	 * A fragment is not a flow's packet until it is reassembled: the
	 * first carries ports, but not the whole segment a state depends on
	 */
	if (iph->frag_off & htons(IP_MF | IP_OFFSET))
		return CTLITE_PARSE_IGNORE;
	ctlite_key_init(key, net_id, AF_INET, iph->protocol);
	key->addr.ip[0] = iph->saddr;
	key->addr.ip[1] = iph->daddr;
	return parse_l4(skb, nhoff + iph->ihl * 4, key, pkt);
}

static enum ctlite_parse parse_ipv6(const struct sk_buff *skb, u32 net_id,
				    struct ctlite_key *key, struct ctlite_pkt *pkt)
{
	unsigned int nhoff = skb_network_offset(skb);
	const struct ipv6hdr *ip6h;
	struct ipv6hdr buf;
	__be16 frag_off;
	u8 nexthdr;
	int thoff;

	ip6h = skb_header_pointer(skb, nhoff, sizeof(buf), &buf);
	if (!ip6h || ip6h->version != 6)
		return CTLITE_PARSE_INVALID;
	nexthdr = ip6h->nexthdr;
	thoff = ipv6_skip_exthdr(skb, nhoff + sizeof(*ip6h), &nexthdr, &frag_off);
	if (thoff < 0)
		return CTLITE_PARSE_INVALID;
	/* a fragment, first or not (an atomic fragment is a whole packet) */
	if (frag_off & htons(IP6_OFFSET | IP6_MF))
		return CTLITE_PARSE_IGNORE;
	ctlite_key_init(key, net_id, AF_INET6, nexthdr);
	key->addr.ip6[0] = ip6h->saddr;
	key->addr.ip6[1] = ip6h->daddr;
	return parse_l4(skb, thoff, key, pkt);
}

/**
 * ctlite_parse_skb() - the canonical flow key of a packet
 * @skb: packet with its network header set
 * @family: NFPROTO_IPV4 or NFPROTO_IPV6 (the hook's family)
 * @net_id: the packet's network namespace (net->ns.inum)
 * @key: filled in when the packet is trackable
 * @pkt: filled in with the direction and, for TCP, flags and sequence
 *	 numbers when the packet is trackable
 *
 * Return: CTLITE_PARSE_OK with @key and @pkt set; CTLITE_PARSE_INVALID
 * for a malformed packet (truncated, bad lengths, a TCP flag combination
 * nf_conntrack calls invalid); CTLITE_PARSE_IGNORE for one that is not a
 * flow's packet of its own (a fragment, an ICMP error or other non-echo
 * ICMP).
 */
enum ctlite_parse ctlite_parse_skb(const struct sk_buff *skb, u8 family,
				   u32 net_id, struct ctlite_key *key,
				   struct ctlite_pkt *pkt)
{
	enum ctlite_parse ret;

	memset(pkt, 0, sizeof(*pkt));
	if (family == NFPROTO_IPV4)
		ret = parse_ipv4(skb, net_id, key, pkt);
	else
		ret = parse_ipv6(skb, net_id, key, pkt);
	if (ret == CTLITE_PARSE_OK)
		pkt->src_is_1 = ctlite_key_canonicalize(key);
	return ret;
}
EXPORT_SYMBOL_IF_KUNIT(ctlite_parse_skb);
