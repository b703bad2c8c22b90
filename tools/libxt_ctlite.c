// SPDX-License-Identifier: GPL-2.0
/*
 * libxt_ctlite.so: the iptables and ip6tables side of `-m ctlite`, the
 * match on what ctlite's connection tracking made of a packet.  Options
 * and their spelling are xt_conntrack's, so a ruleset moves from
 * nf_conntrack to ctlite by replacing `-m conntrack` with `-m ctlite`:
 *
 *   [!] --ctstate INVALID,NEW,ESTABLISHED,RELATED,UNTRACKED
 *   [!] --ctdir ORIGINAL|REPLY
 *   [!] --ctstatus NONE,SEEN_REPLY,ASSURED,CONFIRMED
 *
 * Built against Debian's libxtables-dev by `make tools`.
 */
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <xtables.h>

#include <ctlite/xt_ctlite.h>

enum { O_CTSTATE, O_CTDIR, O_CTSTATUS };

struct name {
	const char *name;
	unsigned int bit;
};

static const struct name states[] = {
	{ "INVALID", XT_CTLITE_STATE_INVALID },
	{ "NEW", XT_CTLITE_STATE_NEW },
	{ "ESTABLISHED", XT_CTLITE_STATE_ESTABLISHED },
	{ "RELATED", XT_CTLITE_STATE_RELATED },
	{ "UNTRACKED", XT_CTLITE_STATE_UNTRACKED },
	{ NULL, 0 },
};

static const struct name statuses[] = {
	{ "NONE", 0 },
	{ "SEEN_REPLY", XT_CTLITE_STATUS_SEEN_REPLY },
	{ "ASSURED", XT_CTLITE_STATUS_ASSURED },
	{ "CONFIRMED", XT_CTLITE_STATUS_CONFIRMED },
	{ NULL, 0 },
};

/* xt_conntrack's names that ctlite cannot answer, and why */
static const struct name refused[] = {
	{ "SNAT", 0 }, { "DNAT", 0 }, { "EXPECTED", 0 }, { NULL, 0 },
};

static void ctlite_help(void)
{
	printf("ctlite match options (what ctlite's connection tracking made of a packet):\n"
"[!] --ctstate {INVALID|NEW|ESTABLISHED|RELATED|UNTRACKED}[,...]\n"
"                               the packet's state\n"
"[!] --ctdir {ORIGINAL|REPLY}   the packet's direction in its flow\n"
"[!] --ctstatus {NONE|SEEN_REPLY|ASSURED|CONFIRMED}[,...]\n"
"                               what is known of the packet's flow\n");
}

static const struct xt_option_entry ctlite_opts[] = {
	{ .name = "ctstate", .id = O_CTSTATE, .type = XTTYPE_STRING,
	  .flags = XTOPT_INVERT },
	{ .name = "ctdir", .id = O_CTDIR, .type = XTTYPE_STRING,
	  .flags = XTOPT_INVERT },
	{ .name = "ctstatus", .id = O_CTSTATUS, .type = XTTYPE_STRING,
	  .flags = XTOPT_INVERT },
	XTOPT_TABLEEND,
};

/* A comma-separated list of names from @table, as bits */
static unsigned int parse_list(const char *arg, const struct name *table,
			       const char *option, const char *allowed)
{
	char buf[256], *tok, *save = NULL;
	unsigned int bits = 0, names = 0;
	size_t len = strlen(arg);
	const struct name *n;

	if (len >= sizeof(buf))
		xtables_error(PARAMETER_PROBLEM,
			      "ctlite: --%s: list too long", option);
	memcpy(buf, arg, len + 1);
	for (tok = strtok_r(buf, ",", &save); tok;
	     tok = strtok_r(NULL, ",", &save)) {
		for (n = table; n->name; n++)
			if (strcasecmp(tok, n->name) == 0)
				break;
		if (n->name) {
			bits |= n->bit;
			names++;
			continue;
		}
		for (n = refused; n->name; n++)
			if (strcasecmp(tok, n->name) == 0)
				xtables_error(PARAMETER_PROBLEM,
					      "ctlite: --%s %s: ctlite does no NAT and has no expectations; use -m conntrack for it",
					      option, n->name);
		xtables_error(PARAMETER_PROBLEM,
			      "ctlite: --%s: unknown \"%s\" (one or more of %s)",
			      option, tok, allowed);
	}
	if (!names)
		xtables_error(PARAMETER_PROBLEM,
			      "ctlite: --%s needs one or more of %s", option,
			      allowed);
	return bits;
}

static void ctlite_parse(struct xt_option_call *cb)
{
	struct xt_ctlite_mtinfo *info = cb->data;
	unsigned int flag;

	xtables_option_parse(cb);
	switch (cb->entry->id) {
	case O_CTSTATE:
		flag = XT_CTLITE_STATE;
		info->state_mask = parse_list(cb->arg, states, "ctstate",
					      "INVALID,NEW,ESTABLISHED,RELATED,UNTRACKED");
		break;
	case O_CTDIR:
		flag = XT_CTLITE_DIRECTION;
		if (strcasecmp(cb->arg, "ORIGINAL") == 0)
			info->direction = XT_CTLITE_DIR_ORIGINAL;
		else if (strcasecmp(cb->arg, "REPLY") == 0)
			info->direction = XT_CTLITE_DIR_REPLY;
		else
			xtables_error(PARAMETER_PROBLEM,
				      "ctlite: --ctdir: unknown \"%s\" (ORIGINAL or REPLY)",
				      cb->arg);
		break;
	case O_CTSTATUS:
		flag = XT_CTLITE_STATUS;
		info->status_mask = parse_list(cb->arg, statuses, "ctstatus",
					       "NONE,SEEN_REPLY,ASSURED,CONFIRMED");
		break;
	default:
		return;
	}
	info->match_flags |= flag;
	if (cb->invert)
		info->invert_flags |= flag;
}

static void ctlite_check(struct xt_fcheck_call *cb)
{
	if (!cb->xflags)
		xtables_error(PARAMETER_PROBLEM,
			      "ctlite: give at least one of --ctstate, --ctdir, --ctstatus");
}

static void print_list(unsigned int bits, const struct name *table)
{
	const struct name *n;
	const char *sep = "";

	if (!bits) {
		/* only --ctstatus can be empty: NONE */
		printf("NONE");
		return;
	}
	for (n = table; n->name; n++) {
		if (n->bit && (bits & n->bit)) {
			printf("%s%s", sep, n->name);
			sep = ",";
		}
	}
}

/* @prefix: "" for iptables -L, "--" for iptables -S and iptables-save */
static void print_info(const struct xt_ctlite_mtinfo *info, const char *prefix)
{
	if (info->match_flags & XT_CTLITE_STATE) {
		printf("%s %sctstate ",
		       info->invert_flags & XT_CTLITE_STATE ? " !" : "", prefix);
		print_list(info->state_mask, states);
	}
	if (info->match_flags & XT_CTLITE_DIRECTION)
		printf("%s %sctdir %s",
		       info->invert_flags & XT_CTLITE_DIRECTION ? " !" : "",
		       prefix,
		       info->direction == XT_CTLITE_DIR_REPLY ? "REPLY" : "ORIGINAL");
	if (info->match_flags & XT_CTLITE_STATUS) {
		printf("%s %sctstatus ",
		       info->invert_flags & XT_CTLITE_STATUS ? " !" : "", prefix);
		print_list(info->status_mask, statuses);
	}
}

static void ctlite_print(const void *ip, const struct xt_entry_match *match,
			 int numeric)
{
	(void)ip;
	(void)numeric;
	printf(" ctlite");
	print_info((const void *)match->data, "");
}

static void ctlite_save(const void *ip, const struct xt_entry_match *match)
{
	(void)ip;
	print_info((const void *)match->data, "--");
}

static struct xtables_match ctlite_match = {
	.family = NFPROTO_UNSPEC,
	.name = "ctlite",
	.revision = 0,
	.version = XTABLES_VERSION,
	.size = XT_ALIGN(sizeof(struct xt_ctlite_mtinfo)),
	.userspacesize = XT_ALIGN(sizeof(struct xt_ctlite_mtinfo)),
	.help = ctlite_help,
	.print = ctlite_print,
	.save = ctlite_save,
	.x6_parse = ctlite_parse,
	.x6_fcheck = ctlite_check,
	.x6_options = ctlite_opts,
};

static void __attribute__((constructor)) ctlite_mt_ldr(void)
{
	xtables_register_match(&ctlite_match);
}
