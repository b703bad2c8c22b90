// SPDX-License-Identifier: GPL-2.0
/*
 * ctlite: the operator's command for ctlite.ko, over its generic netlink
 * family (include/ctlite/ctlite_netlink.h), on libmnl.
 *
 *   ctlite list [FILTER] [-o extended|conntrack|json] [--netns INUM|all]
 *   ctlite count | stats [-o json] | status
 *   ctlite delete FILTER | flush
 *   ctlite events [-o json] [-e new,assured,destroy] [-c COUNT]
 *   ctlite top [FILTER] [-n N]
 *   ctlite metrics
 *
 * One function per subcommand; every flow is printed by print_flow(),
 * every error the kernel gives is printed with its extack message.  Exit
 * codes (ctlite(8)): 0 done, 1 nothing matched, 2 usage, 3 the module is
 * not loaded, 4 not permitted, 5 any other failure.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include <libmnl/libmnl.h>
#include <linux/genetlink.h>
#include <linux/netlink.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <ctlite/ctlite_netlink.h>

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

enum {
	EXIT_DONE = 0,
	EXIT_NONE = 1,		/* nothing matched */
	EXIT_USAGE = 2,
	EXIT_NOMODULE = 3,
	EXIT_PERM = 4,
	EXIT_FAIL = 5,
};

enum format { FMT_PLAIN, FMT_EXTENDED, FMT_CONNTRACK, FMT_JSON };

static const char *const stat_names[CTLITE_STAT_NUM] = CTLITE_STAT_NAMES;

static const char *const tcp_states[CTLITE_TCP_NUM] = {
	"NONE", "SYN_SENT", "SYN_RECV", "ESTABLISHED", "FIN_WAIT",
	"CLOSE_WAIT", "LAST_ACK", "TIME_WAIT", "CLOSE",
};

static const char *const reasons[] = {
	[CTLITE_REASON_EXPIRED] = "expired",
	[CTLITE_REASON_RST] = "rst",
	[CTLITE_REASON_EARLY_DROP] = "early_drop",
	[CTLITE_REASON_FLUSH] = "flush",
	[CTLITE_REASON_DELETE] = "delete",
	[CTLITE_REASON_REUSED] = "reused",
};

static const char *prog = "ctlite";

/* The netlink conversation */
static struct mnl_socket *nl;
static uint16_t family_id;
static uint32_t mcgrp_id;
static unsigned int seq;
/* a dump message is at most 32 KiB; an event burst fills what recv gives */
static char buf[65536];

/* What the last request's error said */
static int last_errno;
static char last_msg[256];

/* One flow as the kernel tells it */
struct flow {
	uint8_t family;
	uint8_t proto;
	uint8_t state;
	bool has_state;
	uint8_t src[16];
	uint8_t dst[16];
	uint16_t sport;
	uint16_t dport;
	uint32_t status;
	uint32_t timeout;
	uint32_t netns;
	bool has_netns;
};

/* What the options asked for */
struct opts {
	enum format format;
	/* the filter */
	uint8_t family;
	int proto;		/* -1: any */
	uint8_t src[16], dst[16];
	int src_bits, dst_bits;	/* -1: none */
	int sport, dport;	/* -1: any */
	uint32_t states;
	uint32_t status, status_mask;
	bool netns_given;
	uint32_t netns;		/* 0: all */
	/* others */
	long top_n;
	long count;
	unsigned int events;	/* 1 << enum ctlite_event */
	long rcvbuf;		/* events: the socket's buffer, bytes */
	bool per_cpu;
};

static void __attribute__((format(printf, 1, 2))) warn_msg(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "%s: ", prog);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

static void __attribute__((noreturn, format(printf, 2, 3)))
die(int code, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "%s: ", prog);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(code);
}

/* --- netlink ------------------------------------------------------------- */

/* An NLMSG_ERROR: the errno, and the kernel's extack message if any */
static int error_cb(const struct nlmsghdr *nlh, void *data)
{
	const struct nlmsgerr *err = mnl_nlmsg_get_payload(nlh);
	const struct nlattr *attr;
	unsigned int off;

	(void)data;
	if (nlh->nlmsg_len < mnl_nlmsg_size(sizeof(*err)))
		return MNL_CB_ERROR;
	if (!err->error)
		return MNL_CB_STOP;	/* the ack */
	last_errno = -err->error;
	last_msg[0] = '\0';
	if (!(nlh->nlmsg_flags & NLM_F_ACK_TLVS))
		return MNL_CB_ERROR;
	/* the TLVs follow the error and, unless capped, the request */
	off = sizeof(*err);
	if (!(nlh->nlmsg_flags & NLM_F_CAPPED))
		off += err->msg.nlmsg_len - sizeof(struct nlmsghdr);
	mnl_attr_for_each(attr, nlh, off) {
		if (mnl_attr_get_type(attr) == NLMSGERR_ATTR_MSG &&
		    mnl_attr_validate(attr, MNL_TYPE_NUL_STRING) >= 0)
			snprintf(last_msg, sizeof(last_msg), "%s",
				 mnl_attr_get_str(attr));
	}
	return MNL_CB_ERROR;
}

static int noop_cb(const struct nlmsghdr *nlh, void *data)
{
	(void)nlh;
	(void)data;
	return MNL_CB_OK;
}

/* A dump's end; an error found mid-dump rides on it */
static int done_cb(const struct nlmsghdr *nlh, void *data)
{
	int err = 0;

	(void)data;
	if (mnl_nlmsg_get_payload_len(nlh) >= sizeof(err))
		memcpy(&err, mnl_nlmsg_get_payload(nlh), sizeof(err));
	if (err < 0) {
		last_errno = -err;
		return MNL_CB_ERROR;
	}
	return MNL_CB_STOP;
}

static int overrun_cb(const struct nlmsghdr *nlh, void *data)
{
	(void)nlh;
	(void)data;
	last_errno = ENOSPC;
	return MNL_CB_ERROR;
}

/* libmnl ignores a control message whose entry here is NULL: fill them all */
static mnl_cb_t ctl_cbs[NLMSG_MIN_TYPE] = {
	[NLMSG_NOOP] = noop_cb,
	[NLMSG_ERROR] = error_cb,
	[NLMSG_DONE] = done_cb,
	[NLMSG_OVERRUN] = overrun_cb,
};

/* A request header for our family (or, with @id 0, genetlink's control) */
static struct nlmsghdr *start_msg(uint16_t type, uint8_t cmd, uint16_t flags)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	struct genlmsghdr *g;

	nlh->nlmsg_type = type;
	/* a dump ends with NLMSG_DONE; anything else with its ack */
	nlh->nlmsg_flags = NLM_F_REQUEST | flags |
			   (flags & NLM_F_DUMP ? 0 : NLM_F_ACK);
	nlh->nlmsg_seq = ++seq;
	g = mnl_nlmsg_put_extra_header(nlh, sizeof(*g));
	g->cmd = cmd;
	g->version = CTLITE_GENL_VERSION;
	return nlh;
}

/*
 * Send @nlh and run @cb on every answer until the ack or the dump's end.
 * Returns 0, or -1 with last_errno (and last_msg) set.
 */
static int talk(struct nlmsghdr *nlh, mnl_cb_t cb, void *data)
{
	unsigned int portid = mnl_socket_get_portid(nl);
	int ret;

	last_errno = 0;
	last_msg[0] = '\0';
	if (mnl_socket_sendto(nl, nlh, nlh->nlmsg_len) < 0) {
		last_errno = errno;
		return -1;
	}
	for (;;) {
		ret = mnl_socket_recvfrom(nl, buf, sizeof(buf));
		if (ret < 0) {
			last_errno = errno;
			return -1;
		}
		ret = mnl_cb_run2(buf, ret, seq, portid, cb, data, ctl_cbs,
				  NLMSG_MIN_TYPE);
		if (ret == MNL_CB_ERROR) {
			if (!last_errno)
				last_errno = errno ? errno : EPROTO;
			return -1;
		}
		if (ret == MNL_CB_STOP)
			return 0;
	}
}

/* Exit with what the kernel said about a failed request */
static void __attribute__((noreturn)) die_request(const char *what)
{
	if (last_errno == EPERM)
		die(EXIT_PERM, "%s: not permitted: %s", what,
		    last_msg[0] ? last_msg :
		    "this needs CAP_NET_ADMIN in this network namespace (run it as root)");
	if (last_msg[0])
		die(EXIT_FAIL, "%s: %s", what, last_msg);
	die(EXIT_FAIL, "%s: %s", what, strerror(last_errno));
}

static int mcgrp_cb(const struct nlattr *grp)
{
	const struct nlattr *a;
	const char *name = NULL;
	uint32_t id = 0;

	mnl_attr_for_each_nested(a, grp) {
		if (mnl_attr_get_type(a) == CTRL_ATTR_MCAST_GRP_NAME &&
		    mnl_attr_validate(a, MNL_TYPE_NUL_STRING) >= 0)
			name = mnl_attr_get_str(a);
		else if (mnl_attr_get_type(a) == CTRL_ATTR_MCAST_GRP_ID &&
			 mnl_attr_validate(a, MNL_TYPE_U32) >= 0)
			id = mnl_attr_get_u32(a);
	}
	if (name && !strcmp(name, CTLITE_GENL_MCGRP))
		mcgrp_id = id;
	return MNL_CB_OK;
}

static int family_cb(const struct nlmsghdr *nlh, void *data)
{
	const struct nlattr *a, *g;

	(void)data;
	mnl_attr_for_each(a, nlh, sizeof(struct genlmsghdr)) {
		switch (mnl_attr_get_type(a)) {
		case CTRL_ATTR_FAMILY_ID:
			if (mnl_attr_validate(a, MNL_TYPE_U16) >= 0)
				family_id = mnl_attr_get_u16(a);
			break;
		case CTRL_ATTR_MCAST_GROUPS:
			mnl_attr_for_each_nested(g, a)
				mcgrp_cb(g);
			break;
		}
	}
	return MNL_CB_OK;
}

/* Open the socket and find the family: exits if ctlite is not loaded */
static void connect_ctlite(void)
{
	struct nlmsghdr *nlh;
	int one = 1;

	nl = mnl_socket_open(NETLINK_GENERIC);
	if (!nl)
		die(EXIT_FAIL, "cannot open a netlink socket: %s", strerror(errno));
	if (mnl_socket_bind(nl, 0, MNL_SOCKET_AUTOPID) < 0)
		die(EXIT_FAIL, "cannot bind a netlink socket: %s", strerror(errno));
	/* the kernel's own words with its errors, and short acks */
	mnl_socket_setsockopt(nl, NETLINK_EXT_ACK, &one, sizeof(one));
	mnl_socket_setsockopt(nl, NETLINK_CAP_ACK, &one, sizeof(one));

	nlh = start_msg(GENL_ID_CTRL, CTRL_CMD_GETFAMILY, 0);
	((struct genlmsghdr *)mnl_nlmsg_get_payload(nlh))->version = 1;
	mnl_attr_put_strz(nlh, CTRL_ATTR_FAMILY_NAME, CTLITE_GENL_NAME);
	if (talk(nlh, family_cb, NULL) < 0) {
		if (last_errno == ENOENT)
			die(EXIT_NOMODULE,
			    "the ctlite module is not loaded (modprobe ctlite, or insmod ctlite.ko)");
		die_request("looking up the ctlite netlink family");
	}
	if (!family_id)
		die(EXIT_FAIL, "the kernel named no id for the ctlite family");
}

/* --- flows --------------------------------------------------------------- */

static int flow_attr_cb(const struct nlattr *a, void *data)
{
	struct flow *f = data;
	uint16_t len = mnl_attr_get_payload_len(a);

	switch (mnl_attr_get_type(a)) {
	case CTLITE_FLOW_FAMILY:
		if (mnl_attr_validate(a, MNL_TYPE_U8) >= 0)
			f->family = mnl_attr_get_u8(a);
		break;
	case CTLITE_FLOW_PROTO:
		if (mnl_attr_validate(a, MNL_TYPE_U8) >= 0)
			f->proto = mnl_attr_get_u8(a);
		break;
	case CTLITE_FLOW_SRC:
		if (len == 4 || len == 16)
			memcpy(f->src, mnl_attr_get_payload(a), len);
		break;
	case CTLITE_FLOW_DST:
		if (len == 4 || len == 16)
			memcpy(f->dst, mnl_attr_get_payload(a), len);
		break;
	case CTLITE_FLOW_SPORT:
		if (mnl_attr_validate(a, MNL_TYPE_U16) >= 0)
			f->sport = mnl_attr_get_u16(a);
		break;
	case CTLITE_FLOW_DPORT:
		if (mnl_attr_validate(a, MNL_TYPE_U16) >= 0)
			f->dport = mnl_attr_get_u16(a);
		break;
	case CTLITE_FLOW_STATE:
		if (mnl_attr_validate(a, MNL_TYPE_U8) >= 0) {
			f->state = mnl_attr_get_u8(a);
			f->has_state = true;
		}
		break;
	case CTLITE_FLOW_STATUS:
		if (mnl_attr_validate(a, MNL_TYPE_U32) >= 0)
			f->status = mnl_attr_get_u32(a);
		break;
	case CTLITE_FLOW_TIMEOUT:
		if (mnl_attr_validate(a, MNL_TYPE_U32) >= 0)
			f->timeout = mnl_attr_get_u32(a);
		break;
	case CTLITE_FLOW_NETNS:
		if (mnl_attr_validate(a, MNL_TYPE_U32) >= 0) {
			f->netns = mnl_attr_get_u32(a);
			f->has_netns = true;
		}
		break;
	}
	return MNL_CB_OK;
}

static int parse_flow(const struct nlattr *nest, struct flow *f)
{
	memset(f, 0, sizeof(*f));
	if (mnl_attr_parse_nested(nest, flow_attr_cb, f) < 0)
		return -1;
	return f->family == AF_INET || f->family == AF_INET6 ? 0 : -1;
}

static const char *const proto_names[] = CTLITE_PROTO_NAMES;

static const char *proto_name(uint8_t proto)
{
	return proto < ARRAY_SIZE(proto_names) && proto_names[proto] ?
	       proto_names[proto] : "unknown";
}

static const char *state_name(uint8_t state)
{
	return state < CTLITE_TCP_NUM ? tcp_states[state] : "?";
}

static void addr_str(uint8_t family, const uint8_t *a, char *s)
{
	if (!inet_ntop(family, a, s, INET6_ADDRSTRLEN))
		snprintf(s, INET6_ADDRSTRLEN, "?");
}

/* One direction's tuple, conntrack's spelling; @reply swaps it */
static void print_tuple(const struct flow *f, bool reply)
{
	char src[INET6_ADDRSTRLEN], dst[INET6_ADDRSTRLEN];
	uint16_t sport = reply ? f->dport : f->sport;
	uint16_t dport = reply ? f->sport : f->dport;

	addr_str(f->family, reply ? f->dst : f->src, src);
	addr_str(f->family, reply ? f->src : f->dst, dst);
	printf("src=%s dst=%s ", src, dst);
	switch (f->proto) {
	case IPPROTO_TCP:
	case IPPROTO_UDP:
	case IPPROTO_UDPLITE:
		printf("sport=%u dport=%u ", sport, dport);
		break;
	case IPPROTO_ICMP:
		printf("type=%u code=0 id=%u ", reply ? 0 : 8, f->sport);
		break;
	case IPPROTO_ICMPV6:
		printf("type=%u code=0 id=%u ", reply ? 129 : 128, f->sport);
		break;
	}
}

static void json_flow_fields(const struct flow *f)
{
	char src[INET6_ADDRSTRLEN], dst[INET6_ADDRSTRLEN];

	addr_str(f->family, f->src, src);
	addr_str(f->family, f->dst, dst);
	printf("\"family\":\"%s\",\"proto\":\"%s\",\"protonum\":%u,\"timeout\":%u,",
	       f->family == AF_INET6 ? "ipv6" : "ipv4", proto_name(f->proto),
	       f->proto, f->timeout);
	if (f->has_state)
		printf("\"state\":\"%s\",", state_name(f->state));
	printf("\"src\":\"%s\",\"dst\":\"%s\",\"sport\":%u,\"dport\":%u,",
	       src, dst, f->sport, f->dport);
	printf("\"seen_reply\":%s,\"assured\":%s",
	       f->status & CTLITE_STATUS_SEEN_REPLY ? "true" : "false",
	       f->status & CTLITE_STATUS_ASSURED ? "true" : "false");
	if (f->has_netns)
		printf(",\"netns\":%u", f->netns);
}

/* One flow in @fmt; JSON objects are separated by the caller */
static void print_flow(const struct flow *f, enum format fmt)
{
	bool unreplied = !(f->status & CTLITE_STATUS_SEEN_REPLY);
	bool assured = f->status & CTLITE_STATUS_ASSURED;

	if (fmt == FMT_JSON) {
		putchar('{');
		json_flow_fields(f);
		putchar('}');
		return;
	}
	if (fmt == FMT_EXTENDED)
		printf("%-8s %u ", f->family == AF_INET6 ? "ipv6" : "ipv4",
		       f->family == AF_INET6 ? 10 : 2);
	printf("%-8s %u %u ", proto_name(f->proto), f->proto, f->timeout);
	if (f->has_state)
		printf("%s ", state_name(f->state));
	print_tuple(f, false);
	if (unreplied)
		fputs("[UNREPLIED] ", stdout);
	if (fmt == FMT_CONNTRACK)
		print_tuple(f, true);
	if (assured)
		fputs("[ASSURED] ", stdout);
	if (fmt == FMT_CONNTRACK)
		fputs("mark=0 use=1", stdout);
	if (f->has_netns)
		printf(fmt == FMT_CONNTRACK ? " netns=%u" : "netns=%u", f->netns);
	putchar('\n');
}

/* --- options ------------------------------------------------------------- */

static void __attribute__((noreturn)) usage(int code)
{
	FILE *o = code ? stderr : stdout;

	fprintf(o,
		"Usage: %s COMMAND [OPTIONS]\n"
		"\n"
		"Commands:\n"
		"  list [FILTER] [-o extended|conntrack|json] [--netns INUM|all]\n"
		"                         the flows of this network namespace\n"
		"  count                  how many flows this namespace holds\n"
		"  stats [-o json] [--per-cpu]\n"
		"                         the counters, and the counts against the limits\n"
		"  status                 the table at a glance, and what to do next\n"
		"  delete FILTER          delete the flows the filter matches\n"
		"  flush                  delete every flow of this namespace\n"
		"  events [-o json] [-e new,assured,destroy] [-c COUNT] [-b BYTES]\n"
		"                         flows as they are made, assured and destroyed\n"
		"  top [FILTER] [-n N]    who fills the table: flows per source and state\n"
		"  metrics                Prometheus text, for node_exporter's textfile collector\n"
		"\n"
		"FILTER (conntrack's spelling):\n"
		"  -f, --family ipv4|ipv6       -p, --proto tcp|udp|udplite|icmp|icmpv6|NUM\n"
		"  -s, --src ADDR[/LEN]         -d, --dst ADDR[/LEN]   (the opener's, its peer's)\n"
		"  --sport PORT  --dport PORT   --state SYN_SENT,ESTABLISHED,... (TCP)\n"
		"  -u, --status ASSURED,SEEN_REPLY,UNREPLIED,UNASSURED\n"
		"\n"
		"Exit status: 0 done, 1 nothing matched, 2 usage, 3 module not loaded,\n"
		"4 not permitted, 5 other failure.  See ctlite(8).\n",
		prog);
	exit(code);
}

static long parse_num(const char *s, long min, long max, const char *what)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || end == s || *end || v < min || v > max)
		die(EXIT_USAGE, "%s: '%s' is not a number from %ld to %ld",
		    what, s, min, max);
	return v;
}

static int parse_proto(const char *s)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(proto_names); i++)
		if (proto_names[i] && !strcasecmp(s, proto_names[i]))
			return (int)i;
	/* iptables' and /etc/protocols' name for it */
	if (!strcasecmp(s, "ipv6-icmp"))
		return IPPROTO_ICMPV6;
	return parse_num(s, 1, 255, "--proto");
}

/* ADDR[/LEN] into @addr, @bits; sets or checks the family */
static void parse_addr(const char *arg, struct opts *o, uint8_t *addr,
		       int *bits, const char *what)
{
	char s[INET6_ADDRSTRLEN + 5], *slash;
	uint8_t family = strchr(arg, ':') ? AF_INET6 : AF_INET;
	int max = family == AF_INET6 ? 128 : 32;

	if (strlen(arg) >= sizeof(s))
		die(EXIT_USAGE, "%s: '%s' is not an address", what, arg);
	memcpy(s, arg, strlen(arg) + 1);
	slash = strchr(s, '/');
	if (slash)
		*slash++ = '\0';
	if (inet_pton(family, s, addr) != 1)
		die(EXIT_USAGE, "%s: '%s' is not an IPv4 or IPv6 address", what, s);
	if (o->family && o->family != family)
		die(EXIT_USAGE, "%s: '%s' is not of the family asked for", what, s);
	o->family = family;
	*bits = slash ? (int)parse_num(slash, 1, max, what) : max;
}

/* A comma-separated list of names into a bit mask */
static uint32_t parse_list(const char *arg, const char *const *names,
			   unsigned int n, const char *what)
{
	char *copy = strdup(arg), *tok, *save = NULL;
	uint32_t mask = 0;
	unsigned int i;

	if (!copy)
		die(EXIT_FAIL, "out of memory");
	for (tok = strtok_r(copy, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		for (i = 0; i < n; i++)
			if (names[i] && !strcasecmp(tok, names[i]))
				break;
		if (i == n) {
			warn_msg("%s: unknown name '%s'", what, tok);
			free(copy);
			exit(EXIT_USAGE);
		}
		mask |= 1U << i;
	}
	free(copy);
	if (!mask)
		die(EXIT_USAGE, "%s: an empty list", what);
	return mask;
}

static void parse_status(const char *arg, struct opts *o)
{
	static const char *const names[] = {
		"SEEN_REPLY", "ASSURED", "UNREPLIED", "UNASSURED",
	};
	uint32_t m = parse_list(arg, names, 4, "--status");

	if ((m & 1 && m & 4) || (m & 2 && m & 8))
		die(EXIT_USAGE, "--status: a flow cannot be both");
	o->status_mask = 0;
	o->status = 0;
	if (m & (1 | 4))
		o->status_mask |= CTLITE_STATUS_SEEN_REPLY;
	if (m & 1)
		o->status |= CTLITE_STATUS_SEEN_REPLY;
	if (m & (2 | 8))
		o->status_mask |= CTLITE_STATUS_ASSURED;
	if (m & 2)
		o->status |= CTLITE_STATUS_ASSURED;
}

enum { OPT_SPORT = 256, OPT_DPORT, OPT_STATE, OPT_NETNS, OPT_PER_CPU };

static void parse_opts(int argc, char **argv, struct opts *o)
{
	static const struct option longopts[] = {
		{ "family", required_argument, NULL, 'f' },
		{ "proto", required_argument, NULL, 'p' },
		{ "src", required_argument, NULL, 's' },
		{ "orig-src", required_argument, NULL, 's' },
		{ "dst", required_argument, NULL, 'd' },
		{ "orig-dst", required_argument, NULL, 'd' },
		{ "sport", required_argument, NULL, OPT_SPORT },
		{ "orig-port-src", required_argument, NULL, OPT_SPORT },
		{ "dport", required_argument, NULL, OPT_DPORT },
		{ "orig-port-dst", required_argument, NULL, OPT_DPORT },
		{ "state", required_argument, NULL, OPT_STATE },
		{ "status", required_argument, NULL, 'u' },
		{ "netns", required_argument, NULL, OPT_NETNS },
		{ "output", required_argument, NULL, 'o' },
		{ "event-mask", required_argument, NULL, 'e' },
		{ "count", required_argument, NULL, 'c' },
		{ "buffer-size", required_argument, NULL, 'b' },
		{ "per-cpu", no_argument, NULL, OPT_PER_CPU },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	static const char *const event_names[] = {
		[CTLITE_EVENT_NEW] = "NEW", [CTLITE_EVENT_ASSURED] = "ASSURED",
		[CTLITE_EVENT_DESTROY] = "DESTROY",
	};
	int c;

	memset(o, 0, sizeof(*o));
	o->proto = -1;
	o->src_bits = -1;
	o->dst_bits = -1;
	o->sport = -1;
	o->dport = -1;
	o->top_n = 10;
	o->events = ~0U;
	o->rcvbuf = 8 << 20;
	while ((c = getopt_long(argc, argv, "f:p:s:d:u:o:e:c:b:n:h", longopts, NULL)) != -1) {
		switch (c) {
		case 'f':
			if (!strcmp(optarg, "ipv4") || !strcmp(optarg, "inet"))
				c = AF_INET;
			else if (!strcmp(optarg, "ipv6") || !strcmp(optarg, "inet6"))
				c = AF_INET6;
			else
				die(EXIT_USAGE, "--family: ipv4 or ipv6, not '%s'", optarg);
			if (o->family && o->family != c)
				die(EXIT_USAGE, "--family: the addresses are of the other one");
			o->family = c;
			break;
		case 'p':
			o->proto = parse_proto(optarg);
			break;
		case 's':
			parse_addr(optarg, o, o->src, &o->src_bits, "--src");
			break;
		case 'd':
			parse_addr(optarg, o, o->dst, &o->dst_bits, "--dst");
			break;
		case OPT_SPORT:
			o->sport = parse_num(optarg, 0, 65535, "--sport");
			break;
		case OPT_DPORT:
			o->dport = parse_num(optarg, 0, 65535, "--dport");
			break;
		case OPT_STATE:
			o->states = parse_list(optarg, tcp_states, CTLITE_TCP_NUM, "--state");
			break;
		case 'u':
			parse_status(optarg, o);
			break;
		case OPT_NETNS:
			o->netns_given = true;
			o->netns = strcmp(optarg, "all") ?
				parse_num(optarg, 1, UINT32_MAX, "--netns") : 0;
			break;
		case 'o':
			if (!strcmp(optarg, "extended"))
				o->format = FMT_EXTENDED;
			else if (!strcmp(optarg, "conntrack"))
				o->format = FMT_CONNTRACK;
			else if (!strcmp(optarg, "json"))
				o->format = FMT_JSON;
			else
				die(EXIT_USAGE, "--output: extended, conntrack or json, not '%s'",
				    optarg);
			break;
		case 'e':
			o->events = parse_list(optarg, event_names, 4, "--event-mask");
			break;
		case 'c':
			o->count = parse_num(optarg, 1, LONG_MAX, "--count");
			break;
		case 'b':
			o->rcvbuf = parse_num(optarg, 4096, 1 << 30, "--buffer-size");
			break;
		case 'n':
			o->top_n = parse_num(optarg, 1, 1000000, "-n");
			break;
		case OPT_PER_CPU:
			o->per_cpu = true;
			break;
		case 'h':
			usage(EXIT_DONE);
		default:
			usage(EXIT_USAGE);
		}
	}
	if (optind < argc)
		die(EXIT_USAGE, "unexpected argument '%s' (see %s --help)", argv[optind], prog);
	if (o->states && o->proto >= 0 && o->proto != IPPROTO_TCP)
		die(EXIT_USAGE, "--state: only TCP flows have a state");
	if (o->states && o->proto < 0)
		o->proto = IPPROTO_TCP;
}

static bool filter_given(const struct opts *o)
{
	return o->family || o->proto >= 0 || o->src_bits >= 0 || o->dst_bits >= 0 ||
	       o->sport >= 0 || o->dport >= 0 || o->states || o->status_mask;
}

static void put_filter(struct nlmsghdr *nlh, const struct opts *o)
{
	unsigned int alen = o->family == AF_INET6 ? 16 : 4;
	struct nlattr *nest;

	if (!filter_given(o) && !o->netns_given)
		return;
	nest = mnl_attr_nest_start(nlh, CTLITE_A_FILTER);
	if (o->family)
		mnl_attr_put_u8(nlh, CTLITE_FILTER_FAMILY, o->family);
	if (o->proto >= 0)
		mnl_attr_put_u8(nlh, CTLITE_FILTER_PROTO, o->proto);
	if (o->src_bits >= 0) {
		mnl_attr_put(nlh, CTLITE_FILTER_SRC, alen, o->src);
		mnl_attr_put_u8(nlh, CTLITE_FILTER_SRC_PREFIX, o->src_bits);
	}
	if (o->dst_bits >= 0) {
		mnl_attr_put(nlh, CTLITE_FILTER_DST, alen, o->dst);
		mnl_attr_put_u8(nlh, CTLITE_FILTER_DST_PREFIX, o->dst_bits);
	}
	if (o->sport >= 0)
		mnl_attr_put_u16(nlh, CTLITE_FILTER_SPORT, o->sport);
	if (o->dport >= 0)
		mnl_attr_put_u16(nlh, CTLITE_FILTER_DPORT, o->dport);
	if (o->states)
		mnl_attr_put_u32(nlh, CTLITE_FILTER_STATE, o->states);
	if (o->status_mask) {
		mnl_attr_put_u32(nlh, CTLITE_FILTER_STATUS, o->status);
		mnl_attr_put_u32(nlh, CTLITE_FILTER_STATUS_MASK, o->status_mask);
	}
	if (o->netns_given)
		mnl_attr_put_u32(nlh, CTLITE_FILTER_NETNS, o->netns);
	mnl_attr_nest_end(nlh, nest);
}

/* --- dumps --------------------------------------------------------------- */

/* Run @each on every flow the filter passes; returns how many */
struct walk {
	void (*each)(const struct flow *f, void *data);
	void *data;
	unsigned long n;
};

static int dump_cb(const struct nlmsghdr *nlh, void *data)
{
	struct walk *w = data;
	const struct nlattr *a;
	struct flow f;

	mnl_attr_for_each(a, nlh, sizeof(struct genlmsghdr)) {
		if (mnl_attr_get_type(a) != CTLITE_A_FLOW || parse_flow(a, &f))
			continue;
		w->each(&f, w->data);
		w->n++;
	}
	return MNL_CB_OK;
}

static unsigned long dump(const struct opts *o,
			  void (*each)(const struct flow *f, void *data),
			  void *data)
{
	struct walk w = { .each = each, .data = data };
	struct nlmsghdr *nlh;

	nlh = start_msg(family_id, CTLITE_CMD_GET, NLM_F_DUMP);
	put_filter(nlh, o);
	if (talk(nlh, dump_cb, &w) < 0) {
		/*
		 * Linux 6.1 drops the words of an error found as a dump
		 * starts (6.12 passes them on): say what the kernel would
		 */
		if (!last_msg[0] && o->netns_given && last_errno == ENOENT)
			snprintf(last_msg, sizeof(last_msg),
				 "no namespace with that inode number (%u; lsns -t net lists them)",
				 o->netns);
		else if (!last_msg[0] && o->netns_given && last_errno == EPERM)
			snprintf(last_msg, sizeof(last_msg),
				 "other namespaces are listed only from the initial one, with CAP_NET_ADMIN");
		die_request("listing flows");
	}
	return w.n;
}

struct list_state {
	enum format format;
	unsigned long n;
};

static void list_one(const struct flow *f, void *data)
{
	struct list_state *s = data;

	if (s->format == FMT_JSON)
		fputs(s->n ? ",\n" : "\n", stdout);
	print_flow(f, s->format);
	s->n++;
}

static int cmd_list(const struct opts *o)
{
	struct list_state s = { .format = o->format };
	unsigned long n;

	if (o->format == FMT_JSON)
		putchar('[');
	n = dump(o, list_one, &s);
	if (o->format == FMT_JSON)
		fputs(n ? "\n]\n" : "]\n", stdout);
	/* as conntrack -L does, where a script does not read it */
	fprintf(stderr, "%s: %lu flow entries have been shown.\n", prog, n);
	return EXIT_DONE;
}

/* --- counters ------------------------------------------------------------ */

struct stats {
	uint32_t count, limit, table_count, table_max, buckets;
	uint32_t entry4, entry6;
	uint64_t total[CTLITE_STAT_NUM];
	uint64_t drops_minute;
	unsigned int cpus;
	struct {
		uint32_t id;
		uint64_t c[CTLITE_STAT_NUM];
	} cpu[1024];
};

static void parse_counters(const struct nlattr *nest, uint64_t *c, uint32_t *cpu)
{
	const struct nlattr *a;
	unsigned int type;

	mnl_attr_for_each_nested(a, nest) {
		type = mnl_attr_get_type(a);
		if (type >= 1 && type <= CTLITE_STAT_NUM &&
		    mnl_attr_validate(a, MNL_TYPE_U64) >= 0)
			c[type - 1] = mnl_attr_get_u64(a);
		else if (type == CTLITE_STATS_CPU_ID && cpu &&
			 mnl_attr_validate(a, MNL_TYPE_U32) >= 0)
			*cpu = mnl_attr_get_u32(a);
	}
}

static int stats_cb(const struct nlmsghdr *nlh, void *data)
{
	struct stats *st = data;
	const struct nlattr *top, *a;

	mnl_attr_for_each(top, nlh, sizeof(struct genlmsghdr)) {
		if (mnl_attr_get_type(top) != CTLITE_A_STATS)
			continue;
		mnl_attr_for_each_nested(a, top) {
			uint32_t v = 0;

			if (mnl_attr_get_payload_len(a) == 4)
				v = mnl_attr_get_u32(a);
			switch (mnl_attr_get_type(a)) {
			case CTLITE_STATS_COUNT:
				st->count = v;
				break;
			case CTLITE_STATS_LIMIT:
				st->limit = v;
				break;
			case CTLITE_STATS_TABLE_COUNT:
				st->table_count = v;
				break;
			case CTLITE_STATS_TABLE_MAX:
				st->table_max = v;
				break;
			case CTLITE_STATS_BUCKETS:
				st->buckets = v;
				break;
			case CTLITE_STATS_ENTRY4_BYTES:
				st->entry4 = v;
				break;
			case CTLITE_STATS_ENTRY6_BYTES:
				st->entry6 = v;
				break;
			case CTLITE_STATS_DROPS_LAST_MINUTE:
				if (mnl_attr_validate(a, MNL_TYPE_U64) >= 0)
					st->drops_minute = mnl_attr_get_u64(a);
				break;
			case CTLITE_STATS_TOTAL:
				parse_counters(a, st->total, NULL);
				break;
			case CTLITE_STATS_CPU:
				if (st->cpus < ARRAY_SIZE(st->cpu)) {
					parse_counters(a, st->cpu[st->cpus].c,
						       &st->cpu[st->cpus].id);
					st->cpus++;
				}
				break;
			}
		}
	}
	return MNL_CB_OK;
}

static struct stats *get_stats(void)
{
	struct stats *st = calloc(1, sizeof(*st));

	if (!st)
		die(EXIT_FAIL, "out of memory");
	if (talk(start_msg(family_id, CTLITE_CMD_STATS, 0), stats_cb, st) < 0) {
		free(st);
		die_request("reading the counters");
	}
	return st;
}

static int cmd_count(void)
{
	struct stats *st = get_stats();

	printf("%u\n", st->count);
	free(st);
	return EXIT_DONE;
}

static void print_counters(const uint64_t *c, bool json)
{
	unsigned int i;

	for (i = 0; i < CTLITE_STAT_NUM; i++) {
		/* unconfirmed is a level: a CPU's own may be "negative" */
		int64_t v = i == CTLITE_STAT_UNCONFIRMED ? (int32_t)c[i] : (int64_t)c[i];

		if (json)
			printf("%s\"%s\":%lld", i ? "," : "", stat_names[i], (long long)v);
		else
			printf(" %s=%lld", stat_names[i], (long long)v);
	}
}

static int cmd_stats(const struct opts *o)
{
	struct stats *st = get_stats();
	unsigned int i;

	if (o->format == FMT_JSON) {
		printf("{\"entries\":%u,\"limit\":%u,\"table_entries\":%u,",
		       st->count, st->limit, st->table_count);
		printf("\"table_max\":%u,\"buckets\":%u,\"total\":{",
		       st->table_max, st->buckets);
		print_counters(st->total, true);
		printf("},\"cpus\":[");
		for (i = 0; i < st->cpus; i++) {
			printf("%s{\"cpu\":%u,", i ? "," : "", st->cpu[i].id);
			print_counters(st->cpu[i].c, true);
			putchar('}');
		}
		printf("]}\n");
		free(st);
		return EXIT_DONE;
	}
	printf("entries=%u limit=%u table_entries=%u table_max=%u buckets=%u\n",
	       st->count, st->limit, st->table_count, st->table_max, st->buckets);
	if (o->per_cpu) {
		for (i = 0; i < st->cpus; i++) {
			printf("cpu=%-4u", st->cpu[i].id);
			print_counters(st->cpu[i].c, false);
			putchar('\n');
		}
	}
	printf("total   ");
	print_counters(st->total, false);
	putchar('\n');
	free(st);
	return EXIT_DONE;
}

/* --- changes ------------------------------------------------------------- */

static int deleted_cb(const struct nlmsghdr *nlh, void *data)
{
	const struct nlattr *a;

	mnl_attr_for_each(a, nlh, sizeof(struct genlmsghdr)) {
		if (mnl_attr_get_type(a) == CTLITE_A_DELETED &&
		    mnl_attr_validate(a, MNL_TYPE_U32) >= 0)
			*(uint32_t *)data = mnl_attr_get_u32(a);
	}
	return MNL_CB_OK;
}

static int cmd_delete(const struct opts *o)
{
	struct nlmsghdr *nlh;
	uint32_t n = 0;

	if (!filter_given(o))
		die(EXIT_USAGE, "delete needs a filter (-s, -p, ...); 'flush' deletes every flow");
	if (o->netns_given)
		die(EXIT_USAGE, "--netns: delete in the namespace (ip netns exec NAME ctlite ...)");
	nlh = start_msg(family_id, CTLITE_CMD_DEL, 0);
	put_filter(nlh, o);
	if (talk(nlh, deleted_cb, &n) < 0)
		die_request("deleting flows");
	fprintf(stderr, "%s: %u flow entries have been deleted.\n", prog, n);
	return n ? EXIT_DONE : EXIT_NONE;
}

static int cmd_flush(void)
{
	uint32_t n = 0;

	if (talk(start_msg(family_id, CTLITE_CMD_FLUSH, 0), deleted_cb, &n) < 0)
		die_request("flushing the table");
	fprintf(stderr, "%s: %u flow entries have been deleted.\n", prog, n);
	return EXIT_DONE;
}

/* --- events -------------------------------------------------------------- */

/* Events shown so far, for the line a signal ends the command with */
static unsigned long events_shown;

/*
 * SIGINT or SIGTERM: every event line is out already (stdout is line
 * buffered); say how many, with what is safe in a handler, and go
 */
static void on_signal(int sig)
{
	char line[96], digits[24];
	unsigned long n = events_shown;
	size_t len = 0, d = 0;
	const char *p;
	ssize_t unused;

	(void)sig;
	do {
		digits[d++] = '0' + n % 10;
		n /= 10;
	} while (n);
	for (p = "ctlite: "; *p; p++)
		line[len++] = *p;
	while (d)
		line[len++] = digits[--d];
	for (p = " flow events have been shown.\n"; *p; p++)
		line[len++] = *p;
	unused = write(STDERR_FILENO, line, len);
	(void)unused;
	_exit(EXIT_DONE);
}

struct events {
	const struct opts *o;
	unsigned long shown;
};

static int event_cb(const struct nlmsghdr *nlh, void *data)
{
	static const char *const names[] = {
		[CTLITE_EVENT_NEW] = "NEW", [CTLITE_EVENT_ASSURED] = "ASSURED",
		[CTLITE_EVENT_DESTROY] = "DESTROY",
	};
	struct events *ev = data;
	const struct nlattr *a;
	uint8_t event = 0, reason = 0;
	struct flow f;
	bool have = false;

	mnl_attr_for_each(a, nlh, sizeof(struct genlmsghdr)) {
		switch (mnl_attr_get_type(a)) {
		case CTLITE_A_EVENT:
			if (mnl_attr_validate(a, MNL_TYPE_U8) >= 0)
				event = mnl_attr_get_u8(a);
			break;
		case CTLITE_A_REASON:
			if (mnl_attr_validate(a, MNL_TYPE_U8) >= 0)
				reason = mnl_attr_get_u8(a);
			break;
		case CTLITE_A_FLOW:
			have = !parse_flow(a, &f);
			break;
		}
	}
	if (!have || event < CTLITE_EVENT_NEW || event > CTLITE_EVENT_DESTROY ||
	    !(ev->o->events & (1U << event)))
		return MNL_CB_OK;
	if (ev->o->format == FMT_JSON) {
		printf("{\"event\":\"%s\",", names[event]);
		if (reason)
			printf("\"reason\":\"%s\",",
			       reason < ARRAY_SIZE(reasons) &&
			       reasons[reason] ? reasons[reason] : "unknown");
		json_flow_fields(&f);
		printf("}\n");
	} else {
		printf("%9s ", names[event]);
		if (reason) {
			/* print_flow() ends the line: the reason goes first */
			printf("reason=%s ",
			       reason < ARRAY_SIZE(reasons) &&
			       reasons[reason] ? reasons[reason] : "unknown");
		}
		print_flow(&f, ev->o->format == FMT_EXTENDED ? FMT_EXTENDED : FMT_PLAIN);
	}
	ev->shown++;
	events_shown = ev->shown;
	if (ev->o->count && (long)ev->shown >= ev->o->count)
		return MNL_CB_STOP;
	return MNL_CB_OK;
}

static int cmd_events(const struct opts *o)
{
	struct events ev = { .o = o };
	struct sigaction sa = { .sa_handler = on_signal };
	int grp = mcgrp_id, rcvbuf = (int)o->rcvbuf, one = 1, fd, ret;
	unsigned long lost = 0;

	if (!mcgrp_id)
		die(EXIT_FAIL, "the kernel's ctlite family has no events group");
	if (mnl_socket_setsockopt(nl, NETLINK_ADD_MEMBERSHIP, &grp, sizeof(grp)) < 0) {
		if (errno == EPERM)
			die(EXIT_PERM, "events: not permitted: %s",
			    "listening needs CAP_NET_ADMIN in this network namespace (run it as root)");
		die(EXIT_FAIL, "events: cannot join the events group: %s", strerror(errno));
	}
	/*
	 * A burst of events (a flush) should not overflow a slow terminal:
	 * root may pass net.core.rmem_max, as conntrack -E does; anyone else
	 * gets at most that
	 */
	fd = mnl_socket_get_fd(nl);
	/*
	 * An event this socket has no room for then fails the kernel's
	 * broadcast, which counts it in events_lost; without this option only
	 * the socket would know (ENOBUFS), as conntrack -E's reliable mode
	 */
	if (mnl_socket_setsockopt(nl, NETLINK_BROADCAST_ERROR, &one, sizeof(one)) < 0)
		warn_msg("events: lost events will not be counted: %s", strerror(errno));
	if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &rcvbuf, sizeof(rcvbuf)) &&
	    setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf)))
		warn_msg("events: cannot set the buffer to %d bytes: %s", rcvbuf, strerror(errno));
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	setvbuf(stdout, NULL, _IOLBF, 0);
	/* from here no event is missed: scripts wait for this line */
	fprintf(stderr, "%s: listening for events (interrupt to stop)\n", prog);
	for (;;) {
		ret = mnl_socket_recvfrom(nl, buf, sizeof(buf));
		if (ret < 0) {
			if (errno == EINTR)
				continue;
			if (errno == ENOBUFS) {
				/* the kernel counts them too: events_lost */
				lost++;
				warn_msg("events were lost: %s",
					 "this listener fell behind (see events_lost in 'ctlite stats')");
				continue;
			}
			die(EXIT_FAIL, "events: %s", strerror(errno));
		}
		ret = mnl_cb_run(buf, ret, 0, 0, event_cb, &ev);
		if (ret == MNL_CB_STOP)
			break;
		if (ret == MNL_CB_ERROR)
			die(EXIT_FAIL, "events: a message the command cannot read");
	}
	fprintf(stderr, "%s: %lu flow events have been shown%s.\n", prog, ev.shown,
		lost ? ", some were lost" : "");
	return EXIT_DONE;
}

/* --- top ----------------------------------------------------------------- */

/* A tally keyed by up to 17 bytes, open addressing */
struct tally {
	struct slot {
		uint8_t key[17];
		bool used;
		unsigned long n;
	} *slots;
	size_t size, used;
};

static uint64_t key_hash(const uint8_t *k)
{
	uint64_t h = 1469598103934665603ULL;	/* FNV-1a */
	int i;

	for (i = 0; i < 17; i++)
		h = (h ^ k[i]) * 1099511628211ULL;
	return h;
}

static void tally_add(struct tally *t, const uint8_t *key)
{
	size_t i;

	if ((t->used + 1) * 2 > t->size) {
		struct tally bigger = { .size = t->size ? t->size * 2 : 1024 };

		bigger.slots = calloc(bigger.size, sizeof(*bigger.slots));
		if (!bigger.slots)
			die(EXIT_FAIL, "out of memory");
		for (i = 0; i < t->size; i++) {
			if (t->slots[i].used) {
				size_t j = key_hash(t->slots[i].key) & (bigger.size - 1);

				while (bigger.slots[j].used)
					j = (j + 1) & (bigger.size - 1);
				bigger.slots[j] = t->slots[i];
				bigger.used++;
			}
		}
		free(t->slots);
		*t = bigger;
	}
	i = key_hash(key) & (t->size - 1);
	while (t->slots[i].used && memcmp(t->slots[i].key, key, 17))
		i = (i + 1) & (t->size - 1);
	if (!t->slots[i].used) {
		memcpy(t->slots[i].key, key, 17);
		t->slots[i].used = true;
		t->used++;
	}
	t->slots[i].n++;
}

static int by_count(const void *a, const void *b)
{
	const struct slot *x = a, *y = b;

	if (x->n != y->n)
		return x->n < y->n ? 1 : -1;
	return memcmp(x->key, y->key, 17);
}

/* The used slots, biggest first */
static size_t tally_sorted(struct tally *t)
{
	size_t i, n = 0;

	for (i = 0; i < t->size; i++)
		if (t->slots[i].used)
			t->slots[n++] = t->slots[i];
	qsort(t->slots, n, sizeof(*t->slots), by_count);
	return n;
}

struct top {
	struct tally sources, states;
};

/* A flow's state for top and metrics: proto and TCP state, or status */
static void state_key(const struct flow *f, uint8_t *key)
{
	memset(key, 0, 17);
	key[0] = f->proto;
	if (f->has_state)
		key[1] = f->state;
	else if (f->status & CTLITE_STATUS_ASSURED)
		key[1] = 2;
	else if (f->status & CTLITE_STATUS_SEEN_REPLY)
		key[1] = 1;
	key[2] = f->has_state;
}

static const char *state_key_name(const uint8_t *key)
{
	static const char *const other[] = { "UNREPLIED", "REPLIED", "ASSURED" };

	if (key[2])
		return state_name(key[1]);
	return other[key[1] < 3 ? key[1] : 0];
}

static void top_one(const struct flow *f, void *data)
{
	struct top *t = data;
	uint8_t key[17] = { f->family };

	memcpy(key + 1, f->src, f->family == AF_INET6 ? 16 : 4);
	tally_add(&t->sources, key);
	state_key(f, key);
	tally_add(&t->states, key);
}

static int cmd_top(const struct opts *o)
{
	struct top t = { 0 };
	char addr[INET6_ADDRSTRLEN];
	unsigned long total;
	size_t i, n;

	total = dump(o, top_one, &t);
	printf("%lu flows in this namespace%s\n\n", total,
	       filter_given(o) ? " that pass the filter" : "");
	if (!total) {
		free(t.sources.slots);
		free(t.states.slots);
		return EXIT_DONE;
	}
	printf("%10s %6s  %s\n", "flows", "share", "source (the address that opened them)");
	n = tally_sorted(&t.sources);
	for (i = 0; i < n && (long)i < o->top_n; i++) {
		addr_str(t.sources.slots[i].key[0], t.sources.slots[i].key + 1, addr);
		printf("%10lu %5.1f%%  %s\n", t.sources.slots[i].n,
		       100.0 * t.sources.slots[i].n / total, addr);
	}
	if (n > (size_t)o->top_n)
		printf("%10s %6s  (%zu more sources)\n", "", "", n - o->top_n);
	printf("\n%10s %6s  %s\n", "flows", "share", "protocol and state");
	n = tally_sorted(&t.states);
	for (i = 0; i < n; i++)
		printf("%10lu %5.1f%%  %s %s\n", t.states.slots[i].n,
		       100.0 * t.states.slots[i].n / total,
		       proto_name(t.states.slots[i].key[0]),
		       state_key_name(t.states.slots[i].key));
	free(t.sources.slots);
	free(t.states.slots);
	return EXIT_DONE;
}

/* --- status and metrics -------------------------------------------------- */

/* A number from a file (a sysctl), or -1 */
static long read_long(const char *path)
{
	FILE *f = fopen(path, "r");
	long v = -1;

	if (!f)
		return -1;
	if (fscanf(f, "%ld", &v) != 1)
		v = -1;
	fclose(f);
	return v;
}

static const char *on_off(long v)
{
	return v < 0 ? "?" : v ? "on" : "off";
}

static int cmd_status(void)
{
	struct stats *st = get_stats();
	double fill = st->table_max ? 100.0 * st->table_count / st->table_max : 0;
	double ns_fill = st->limit ? 100.0 * st->count / st->limit : 0;
	uint64_t drops = st->total[CTLITE_STAT_DROP] +
			 st->total[CTLITE_STAT_CHAIN_TOO_LONG] +
			 st->total[CTLITE_STAT_ALLOC_FAILED];
	double mib = ((double)st->table_count * st->entry4 +
		      (double)st->buckets * sizeof(void *)) / (1 << 20);

	printf("table:      %u of %u entries (%.1f%% full), %u buckets, about %.1f MiB\n",
	       st->table_count, st->table_max, fill, st->buckets, mib);
	printf("namespace:  %u entries, its limit %u (%.1f%%)\n",
	       st->count, st->limit, ns_fill);
	printf("switches:   early_drop %s, rst_evict %s\n",
	       on_off(read_long("/proc/sys/net/ctlite/early_drop")),
	       on_off(read_long("/proc/sys/net/ctlite/rst_evict")));
	printf("dropped:    %llu new flows in the last minute, %llu since the module was loaded\n",
	       (unsigned long long)st->drops_minute, (unsigned long long)drops);
	printf("            (full %llu, chain too long %llu, no memory %llu);\n",
	       (unsigned long long)st->total[CTLITE_STAT_DROP],
	       (unsigned long long)st->total[CTLITE_STAT_CHAIN_TOO_LONG],
	       (unsigned long long)st->total[CTLITE_STAT_ALLOC_FAILED]);
	printf("            early drops %llu, RST evictions %llu\n",
	       (unsigned long long)st->total[CTLITE_STAT_EARLY_DROP],
	       (unsigned long long)st->total[CTLITE_STAT_RST_EVICT]);
	if (fill >= 95 || ns_fill >= 95)
		printf("next step:  nearly full.  See who fills it: ctlite top.\n"
		       "            If the flows are real, raise the limit:\n"
		       "            sysctl -w net.ctlite.max=%u (%u bytes per entry)\n",
		       st->table_max * 2, st->entry4);
	else if (fill >= 80 || ns_fill >= 80)
		printf("next step:  above 80%%: watch it (ctlite top shows who fills it),\n"
		       "            and plan a higher net.ctlite.max before flows are dropped\n");
	else if (st->total[CTLITE_STAT_CHAIN_TOO_LONG])
		printf("next step:  chains grew too long: hashsize was set by hand too small;\n"
		       "            leave it unset so the table grows, or raise net.ctlite.buckets\n");
	else
		printf("next step:  nothing to do\n");
	free(st);
	return EXIT_DONE;
}

static void metric(const char *name, const char *type, const char *help,
		   uint64_t v)
{
	printf("# HELP %s %s\n# TYPE %s %s\n%s %llu\n", name, help, name,
	       type, name, (unsigned long long)v);
}

static int cmd_metrics(void)
{
	struct stats *st = get_stats();
	struct opts all;
	struct top t = { 0 };
	unsigned int i;
	size_t n;

	metric("ctlite_entries", "gauge", "Flows this network namespace holds.", st->count);
	metric("ctlite_entries_limit", "gauge",
	       "Most flows this network namespace may hold.", st->limit);
	metric("ctlite_table_entries", "gauge",
	       "Flows the table holds, every namespace.", st->table_count);
	metric("ctlite_table_max", "gauge", "The table's limit (net.ctlite.max).",
	       st->table_max);
	metric("ctlite_buckets", "gauge", "Hash buckets of the table.", st->buckets);
	metric("ctlite_entry_bytes", "gauge", "Bytes of one IPv4 entry.", st->entry4);
	for (i = 0; i < CTLITE_STAT_NUM; i++) {
		char name[64], help[96];

		if (i == CTLITE_STAT_UNCONFIRMED) {
			metric("ctlite_unconfirmed", "gauge",
			       "First packets of new flows not yet past the firewall.",
			       (uint64_t)(int64_t)(int32_t)st->total[i]);
			continue;
		}
		snprintf(name, sizeof(name), "ctlite_%s_total", stat_names[i]);
		snprintf(help, sizeof(help),
			 "The %s counter of /proc/net/stat/ctlite, summed over CPUs.",
			 stat_names[i]);
		metric(name, "counter", help, st->total[i]);
	}
	/* entries per state: a walk of this namespace's flows */
	memset(&all, 0, sizeof(all));
	all.proto = -1;
	all.src_bits = -1;
	all.dst_bits = -1;
	all.sport = -1;
	all.dport = -1;
	dump(&all, top_one, &t);
	printf("# HELP ctlite_entries_by_state Flows by protocol and state.\n"
	       "# TYPE ctlite_entries_by_state gauge\n");
	n = tally_sorted(&t.states);
	for (i = 0; i < n; i++)
		printf("ctlite_entries_by_state{proto=\"%s\",state=\"%s\"} %lu\n",
		       proto_name(t.states.slots[i].key[0]),
		       state_key_name(t.states.slots[i].key), t.states.slots[i].n);
	free(t.sources.slots);
	free(t.states.slots);
	free(st);
	return EXIT_DONE;
}

/* --- main ---------------------------------------------------------------- */

int main(int argc, char **argv)
{
	static const struct {
		const char *name;
		bool filter;	/* takes a filter */
	} cmds[] = {
		{ "list", true }, { "count", false }, { "stats", false },
		{ "status", false }, { "delete", true }, { "flush", false },
		{ "events", false }, { "top", true }, { "metrics", false },
	};
	const char *cmd;
	struct opts o;
	size_t i;
	int ret;

	if (argc < 2)
		usage(EXIT_USAGE);
	cmd = argv[1];
	if (!strcmp(cmd, "-h") || !strcmp(cmd, "--help") || !strcmp(cmd, "help"))
		usage(EXIT_DONE);
	for (i = 0; i < ARRAY_SIZE(cmds); i++)
		if (!strcmp(cmd, cmds[i].name))
			break;
	if (i == ARRAY_SIZE(cmds))
		die(EXIT_USAGE, "unknown command '%s' (see %s --help)", cmd, prog);
	parse_opts(argc - 1, argv + 1, &o);
	if (!cmds[i].filter && (filter_given(&o) || o.netns_given))
		die(EXIT_USAGE, "%s takes no filter", cmd);

	connect_ctlite();
	if (!strcmp(cmd, "list"))
		ret = cmd_list(&o);
	else if (!strcmp(cmd, "count"))
		ret = cmd_count();
	else if (!strcmp(cmd, "stats"))
		ret = cmd_stats(&o);
	else if (!strcmp(cmd, "status"))
		ret = cmd_status();
	else if (!strcmp(cmd, "delete"))
		ret = cmd_delete(&o);
	else if (!strcmp(cmd, "flush"))
		ret = cmd_flush();
	else if (!strcmp(cmd, "events"))
		ret = cmd_events(&o);
	else if (!strcmp(cmd, "top"))
		ret = cmd_top(&o);
	else
		ret = cmd_metrics();
	mnl_socket_close(nl);
	if (fflush(stdout) || ferror(stdout))
		die(EXIT_FAIL, "writing the output: %s", strerror(errno));
	return ret;
}
