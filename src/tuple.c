// SPDX-License-Identifier: GPL-2.0
/*
 * Packet to flow key.  Reads headers only through skb_header_pointer()
 * (or hdr(), its inline common case), so
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
#include <net/ndisc.h>
#include <net/tcp.h>
#include <kunit/visibility.h>

#include <ctlite/compat.h>
#include <ctlite/ctlite.h>

/*
 * skb_header_pointer(), with its common case inline: a header in the
 * linear part is read in place.  The kernel's own copy is left out of
 * line by the compiler here, a call per header of every packet.
 */
static __always_inline const void *hdr(const struct sk_buff *skb, int offset,
				       int len, void *buf)
{
	if (likely((int)skb_headlen(skb) - offset >= len))
		return skb->data + offset;
	return skb_header_pointer(skb, offset, len, buf);
}

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
static __always_inline enum ctlite_parse
parse_l4(const struct sk_buff *skb, unsigned int thoff, struct ctlite_key *key,
	 struct ctlite_pkt *pkt)
{
	/* filled by hdr() when the header is not linear, read only then */
	union {
		struct tcphdr tcp;
		struct udphdr udp;
		struct icmphdr icmp;
		struct icmp6hdr icmp6;
	} buf __uninitialized;
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
		th = hdr(skb, thoff, sizeof(buf.tcp), &buf.tcp);
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
		uh = hdr(skb, thoff, sizeof(buf.udp), &buf.udp);
		if (!uh)
			return CTLITE_PARSE_INVALID;
		key->port[0] = uh->source;
		key->port[1] = uh->dest;
		return CTLITE_PARSE_OK;
	case IPPROTO_ICMP:
		ih = hdr(skb, thoff, sizeof(buf.icmp), &buf.icmp);
		if (!ih)
			return CTLITE_PARSE_INVALID;
		/* Errors belong to the flow they quote; other types are noise */
		if (ih->type != ICMP_ECHO && ih->type != ICMP_ECHOREPLY)
			return CTLITE_PARSE_IGNORE;
		key->port[0] = ih->un.echo.id;
		key->port[1] = ih->un.echo.id;
		return CTLITE_PARSE_OK;
	case IPPROTO_ICMPV6:
		i6h = hdr(skb, thoff, sizeof(buf.icmp6), &buf.icmp6);
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

static __always_inline enum ctlite_parse
parse_ipv4(const struct sk_buff *skb, u32 net_id, struct ctlite_key *key,
	   struct ctlite_pkt *pkt)
{
	unsigned int nhoff = skb_network_offset(skb);
	const struct iphdr *iph;
	struct iphdr buf __uninitialized;

	iph = hdr(skb, nhoff, sizeof(buf), &buf);
	if (!iph || iph->version != 4 || iph->ihl < sizeof(*iph) / 4)
		return CTLITE_PARSE_INVALID;
	/*
	 * A fragment is not a flow's packet until it is reassembled: the
	 * first carries ports, but not the whole segment a state depends on
	 */
	if (iph->frag_off & htons(IP_MF | IP_OFFSET))
		return CTLITE_PARSE_FRAGMENT;
	ctlite_key_start(key, net_id, AF_INET, iph->protocol);
	key->addr.ip[0] = iph->saddr;
	key->addr.ip[1] = iph->daddr;
	return parse_l4(skb, nhoff + iph->ihl * 4, key, pkt);
}

static __always_inline enum ctlite_parse
parse_ipv6(const struct sk_buff *skb, u32 net_id, struct ctlite_key *key,
	   struct ctlite_pkt *pkt)
{
	unsigned int nhoff = skb_network_offset(skb);
	const struct ipv6hdr *ip6h;
	struct ipv6hdr buf __uninitialized;
	__be16 frag_off;
	u8 nexthdr;
	int thoff;

	ip6h = hdr(skb, nhoff, sizeof(buf), &buf);
	if (!ip6h || ip6h->version != 6)
		return CTLITE_PARSE_INVALID;
	nexthdr = ip6h->nexthdr;
	thoff = ipv6_skip_exthdr(skb, nhoff + sizeof(*ip6h), &nexthdr, &frag_off);
	if (thoff < 0)
		return CTLITE_PARSE_INVALID;
	/* a fragment, first or not (an atomic fragment is a whole packet) */
	if (frag_off & htons(IP6_OFFSET | IP6_MF))
		return CTLITE_PARSE_FRAGMENT;
	ctlite_key_start(key, net_id, AF_INET6, nexthdr);
	key->addr.ip6[0] = ip6h->saddr;
	key->addr.ip6[1] = ip6h->daddr;
	return parse_l4(skb, thoff, key, pkt);
}

/**
 * ctlite_parse_skb() - the canonical flow key of a packet
 * @skb: packet with its network header set
 * @family: NFPROTO_IPV4 or NFPROTO_IPV6 (the hook's family)
 * @net_id: the packet's network namespace (net->ns.inum)
 * @key: filled in when the packet is trackable (an IPv4 key up to its
 *	 second address: ctlite_key_start())
 * @pkt: filled in with the direction and, for TCP, flags and sequence
 *	 numbers when the packet is trackable; for other protocols its TCP
 *	 fields are left as they were
 *
 * Return: CTLITE_PARSE_OK with @key and @pkt set; CTLITE_PARSE_INVALID
 * for a malformed packet (truncated, bad lengths, a TCP flag combination
 * nf_conntrack calls invalid); CTLITE_PARSE_FRAGMENT for a fragment,
 * first or not (ctlite_defrag() reassembles it); CTLITE_PARSE_IGNORE for
 * one that is not a flow's packet of its own (an ICMP error or other
 * non-echo ICMP).  Inline into the tracking hook, which fastpath.c builds in
 * one unit with this file; others call the out-of-line copy.
 */
__always_inline enum ctlite_parse
ctlite_parse_skb(const struct sk_buff *skb, u8 family, u32 net_id,
		 struct ctlite_key *key, struct ctlite_pkt *pkt)
{
	enum ctlite_parse ret;

	/*
	 * No clearing of @pkt first: TCP's parse writes every field, and
	 * for other protocols only the direction is read (3 instructions a
	 * packet)
	 */
	if (family == NFPROTO_IPV4)
		ret = parse_ipv4(skb, net_id, key, pkt);
	else
		ret = parse_ipv6(skb, net_id, key, pkt);
	if (ret == CTLITE_PARSE_OK)
		pkt->src_is_1 = ctlite_key_canonicalize(key);
	return ret;
}
EXPORT_SYMBOL_IF_KUNIT(ctlite_parse_skb);

/*
 * The ports of a quoted packet's L4 header at @thoff, as parse_l4() reads
 * them from a whole one: an ICMP error quotes at least 8 bytes of it
 * (RFC 792), enough for ports and an echo id, not for a TCP header
 */
static bool quoted_ports(const struct sk_buff *skb, unsigned int thoff,
			 struct ctlite_key *key)
{
	u8 own_icmp = key->family == AF_INET ? IPPROTO_ICMP : IPPROTO_ICMPV6;
	__be16 buf[4];
	const __be16 *p;
	u8 type;

	switch (key->proto) {
	case IPPROTO_TCP:
	case IPPROTO_UDP:
	case IPPROTO_UDPLITE:
		p = skb_header_pointer(skb, thoff, 2 * sizeof(*p), buf);
		if (!p)
			return false;
		key->port[0] = p[0];
		key->port[1] = p[1];
		return true;
	case IPPROTO_ICMP:
	case IPPROTO_ICMPV6:
		/* ICMP in IPv6, or ICMPv6 in IPv4: another protocol, no id */
		if (key->proto != own_icmp)
			return true;
		p = skb_header_pointer(skb, thoff, sizeof(buf), buf);
		if (!p)
			return false;
		/* an error about an echo; errors about errors are about nothing */
		type = *(const u8 *)p;
		if (own_icmp == IPPROTO_ICMP ?
		    type != ICMP_ECHO && type != ICMP_ECHOREPLY :
		    type != ICMPV6_ECHO_REQUEST && type != ICMPV6_ECHO_REPLY)
			return false;
		key->port[0] = p[2];
		key->port[1] = p[2];
		return true;
	default:
		return true;
	}
}

static bool icmp_is_error(u8 type)
{
	switch (type) {
	case ICMP_DEST_UNREACH:
	case ICMP_SOURCE_QUENCH:
	case ICMP_REDIRECT:
	case ICMP_TIME_EXCEEDED:
	case ICMP_PARAMETERPROB:
		return true;
	default:
		return false;
	}
}

static enum ctlite_other other_ipv4(const struct sk_buff *skb, u32 net_id,
				    struct ctlite_key *key)
{
	unsigned int nhoff = skb_network_offset(skb), off;
	const struct iphdr *iph;
	const struct icmphdr *ih;
	struct iphdr buf, ibuf;
	struct icmphdr hbuf;
	__be32 daddr;

	iph = hdr(skb, nhoff, sizeof(buf), &buf);
	if (!iph || iph->protocol != IPPROTO_ICMP ||
	    (iph->frag_off & htons(IP_MF | IP_OFFSET)))
		return CTLITE_OTHER_NONE;
	/* the pointer may be into the skb, not @buf: keep what is needed */
	daddr = iph->daddr;
	off = nhoff + iph->ihl * 4;
	ih = skb_header_pointer(skb, off, sizeof(hbuf), &hbuf);
	if (!ih || !icmp_is_error(ih->type))
		return CTLITE_OTHER_NONE;
	off += sizeof(*ih);
	/*
	 * The quoted header: a packet this flow sent, coming back to its
	 * sender.  An error addressed to anyone else is not about it.
	 */
	iph = hdr(skb, off, sizeof(ibuf), &ibuf);
	if (!iph || iph->version != 4 || iph->ihl < sizeof(*iph) / 4 ||
	    (iph->frag_off & htons(IP_OFFSET)) || iph->saddr != daddr)
		return CTLITE_OTHER_NONE;
	ctlite_key_init(key, net_id, AF_INET, iph->protocol);
	key->addr.ip[0] = iph->saddr;
	key->addr.ip[1] = iph->daddr;
	return quoted_ports(skb, off + iph->ihl * 4, key) ?
	       CTLITE_OTHER_ERROR : CTLITE_OTHER_NONE;
}

/* ICMPv6 that nf_conntrack never tracks (its noct_valid_new): ND and MLD */
static bool icmp6_is_noct(u8 type)
{
	switch (type) {
	case ICMPV6_MGM_QUERY:
	case ICMPV6_MGM_REPORT:
	case ICMPV6_MGM_REDUCTION:
	case NDISC_ROUTER_SOLICITATION:
	case NDISC_ROUTER_ADVERTISEMENT:
	case NDISC_NEIGHBOUR_SOLICITATION:
	case NDISC_NEIGHBOUR_ADVERTISEMENT:
	case NDISC_REDIRECT:
	case ICMPV6_MLD2_REPORT:
		return true;
	default:
		return false;
	}
}

static enum ctlite_other other_ipv6(const struct sk_buff *skb, u32 net_id,
				    struct ctlite_key *key)
{
	unsigned int nhoff = skb_network_offset(skb);
	const struct ipv6hdr *ip6h;
	const struct icmp6hdr *ih;
	struct ipv6hdr buf, ibuf;
	struct icmp6hdr hbuf;
	struct in6_addr daddr;
	__be16 frag_off;
	u8 nexthdr;
	int off;

	ip6h = hdr(skb, nhoff, sizeof(buf), &buf);
	if (!ip6h)
		return CTLITE_OTHER_NONE;
	/* the pointer may be into the skb, not @buf: keep what is needed */
	daddr = ip6h->daddr;
	nexthdr = ip6h->nexthdr;
	off = ipv6_skip_exthdr(skb, nhoff + sizeof(*ip6h), &nexthdr, &frag_off);
	if (off < 0 || nexthdr != IPPROTO_ICMPV6 ||
	    (frag_off & htons(IP6_OFFSET | IP6_MF)))
		return CTLITE_OTHER_NONE;
	ih = skb_header_pointer(skb, off, sizeof(hbuf), &hbuf);
	if (!ih)
		return CTLITE_OTHER_NONE;
	if (icmp6_is_noct(ih->icmp6_type))
		return CTLITE_OTHER_NOCT;
	if (ih->icmp6_type & ICMPV6_INFOMSG_MASK)
		return CTLITE_OTHER_NONE;
	off += sizeof(*ih);
	ip6h = hdr(skb, off, sizeof(ibuf), &ibuf);
	if (!ip6h || ip6h->version != 6 ||
	    ipv6_addr_cmp(&ip6h->saddr, &daddr))
		return CTLITE_OTHER_NONE;
	nexthdr = ip6h->nexthdr;
	off = ipv6_skip_exthdr(skb, off + sizeof(*ip6h), &nexthdr, &frag_off);
	if (off < 0 || (frag_off & htons(IP6_OFFSET)))
		return CTLITE_OTHER_NONE;
	ctlite_key_init(key, net_id, AF_INET6, nexthdr);
	key->addr.ip6[0] = ip6h->saddr;
	key->addr.ip6[1] = ip6h->daddr;
	return quoted_ports(skb, off, key) ? CTLITE_OTHER_ERROR : CTLITE_OTHER_NONE;
}

/**
 * ctlite_parse_other() - what a packet that is not a flow's own is about
 * @skb: a packet ctlite_parse_skb() found CTLITE_PARSE_IGNORE
 * @family: NFPROTO_IPV4 or NFPROTO_IPV6
 * @net_id: the packet's namespace's id in keys
 * @key: for an ICMP error, the key of the flow of the packet it quotes
 * @pkt: for an ICMP error, the quoted packet's direction
 *
 * An ICMP or ICMPv6 error (destination unreachable, fragmentation needed
 * or packet too big, time exceeded, parameter problem, redirect, source
 * quench) quotes the header of a packet it is about, which must have
 * come from the error's destination.
 *
 * Return: CTLITE_OTHER_ERROR with @key and @pkt set, CTLITE_OTHER_NOCT
 * for neighbour discovery and MLD, or CTLITE_OTHER_NONE.
 */
enum ctlite_other ctlite_parse_other(const struct sk_buff *skb, u8 family,
				     u32 net_id, struct ctlite_key *key,
				     struct ctlite_pkt *pkt)
{
	enum ctlite_other ret;

	*pkt = (struct ctlite_pkt){};
	if (family == NFPROTO_IPV4)
		ret = other_ipv4(skb, net_id, key);
	else
		ret = other_ipv6(skb, net_id, key);
	if (ret == CTLITE_OTHER_ERROR)
		pkt->src_is_1 = ctlite_key_canonicalize(key);
	return ret;
}
EXPORT_SYMBOL_IF_KUNIT(ctlite_parse_other);
