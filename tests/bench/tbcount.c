// SPDX-License-Identifier: GPL-2.0
/*
 * A QEMU TCG plugin (QEMU 7.2, plugin API 1): how many times each
 * translated block ran, so a guest's instructions can be counted per
 * function exactly.  Arguments: out=PREFIX (dumps go to PREFIX.0,
 * PREFIX.1, ...), mark=ADDR (hex, a guest kernel function the guest calls
 * between phases: each call dumps the counts since the last and clears
 * them).  A dump's lines: block address, instructions, runs; user space
 * is one line, address 0, whose runs are its instructions.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "qemu-plugin-api.h"

QEMU_PLUGIN_EXPORT int qemu_plugin_version = 1;

/* blocks a run may translate: the guest kernel has some 100,000 */
#define SLOTS 4194304u
/* x86-64: the kernel's half of the address space */
#define KERNEL_START 0xffff800000000000ull

struct rec {
	unsigned long long va;
	unsigned long long n;	/* instructions, 0: a free slot */
	unsigned long long runs;
};

static struct rec *tab, *user;
static const char *prefix = "tbcount";
static unsigned long long mark;
static unsigned int dumps, used;

static struct rec *slot(unsigned long long va, unsigned long long n)
{
	unsigned long long h = (va ^ n << 48) * 0x9e3779b97f4a7c15ull;
	unsigned int i = h >> 42;

	for (;; i = (i + 1) & (SLOTS - 1)) {
		if (tab[i].va == va && tab[i].n == n)
			return &tab[i];
		if (!tab[i].n) {
			/* half full: later blocks go uncounted, and say so */
			if (++used > SLOTS / 2)
				return NULL;
			tab[i].va = va;
			tab[i].n = n;
			return &tab[i];
		}
	}
}

static void dump(void)
{
	char name[4096];
	FILE *f;
	unsigned int i;

	snprintf(name, sizeof(name), "%s.%u", prefix, dumps++);
	f = fopen(name, "w");
	if (!f) {
		perror(name);
		return;
	}
	for (i = 0; i < SLOTS; i++) {
		if (!tab[i].n || !tab[i].runs)
			continue;
		fprintf(f, "%llx %llu %llu\n", tab[i].va, tab[i].n,
			tab[i].runs);
		tab[i].runs = 0;
	}
	fclose(f);
}

static void on_mark(unsigned int vcpu, void *udata)
{
	(void)vcpu;
	(void)udata;
	dump();
}

static void on_trans(unsigned long long id, struct qemu_plugin_tb *tb)
{
	unsigned long long va = qemu_plugin_tb_vaddr(tb);
	size_t n = qemu_plugin_tb_n_insns(tb);
	struct rec *r;

	(void)id;
	if (mark && va == mark)
		qemu_plugin_register_vcpu_tb_exec_cb(tb, on_mark,
						     QEMU_PLUGIN_CB_NO_REGS, NULL);
	/*
	 * User space: one count of instructions for all of it.  Its blocks
	 * lie where each process's randomized layout put them, a new set per
	 * program run, and would fill the table in a long run
	 */
	if (va < KERNEL_START) {
		qemu_plugin_register_vcpu_tb_exec_inline(tb, QEMU_PLUGIN_INLINE_ADD_U64,
							 &user->runs, n);
		return;
	}
	r = slot(va, n);
	if (!r) {
		if (used == SLOTS / 2 + 1)
			fprintf(stderr, "tbcount: over %u blocks; later ones not counted\n",
				SLOTS / 2);
		return;
	}
	qemu_plugin_register_vcpu_tb_exec_inline(tb, QEMU_PLUGIN_INLINE_ADD_U64,
						 &r->runs, 1);
}

static void at_exit_dump(unsigned long long id, void *udata)
{
	(void)id;
	(void)udata;
	dump();
}

QEMU_PLUGIN_EXPORT
int qemu_plugin_install(unsigned long long id, const void *info,
			int argc, char **argv)
{
	int i;

	(void)info;
	for (i = 0; i < argc; i++) {
		if (!strncmp(argv[i], "out=", 4))
			prefix = argv[i] + 4;
		else if (!strncmp(argv[i], "mark=", 5))
			mark = strtoull(argv[i] + 5, NULL, 16);
	}
	tab = calloc(SLOTS, sizeof(*tab));
	if (!tab)
		return -1;
	/* user space's count: a block at address 0 of one instruction */
	user = slot(0, 1);
	qemu_plugin_register_vcpu_tb_trans_cb(id, on_trans);
	qemu_plugin_register_atexit_cb(id, at_exit_dump, NULL);
	return 0;
}
