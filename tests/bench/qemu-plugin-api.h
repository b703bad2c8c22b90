/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What tbcount.c calls of QEMU's TCG plugin API (QEMU 7.2, API version 1:
 * include/qemu/qemu-plugin.h there), declared by hand: Debian packages no
 * header for it.  An id is QEMU's qemu_plugin_id_t; op 0 is
 * QEMU_PLUGIN_INLINE_ADD_U64; flags 0 is QEMU_PLUGIN_CB_NO_REGS.
 */
#ifndef TBCOUNT_QEMU_PLUGIN_API_H
#define TBCOUNT_QEMU_PLUGIN_API_H

#include <stddef.h>

#define QEMU_PLUGIN_EXPORT __attribute__((visibility("default")))
#define QEMU_PLUGIN_INLINE_ADD_U64 0
#define QEMU_PLUGIN_CB_NO_REGS 0

struct qemu_plugin_tb;

void qemu_plugin_register_vcpu_tb_trans_cb(unsigned long long id,
					   void (*cb)(unsigned long long id,
						      struct qemu_plugin_tb *tb));
size_t qemu_plugin_tb_n_insns(const struct qemu_plugin_tb *tb);
unsigned long long qemu_plugin_tb_vaddr(const struct qemu_plugin_tb *tb);
void qemu_plugin_register_vcpu_tb_exec_inline(struct qemu_plugin_tb *tb,
					      int op, void *ptr,
					      unsigned long long imm);
void qemu_plugin_register_vcpu_tb_exec_cb(struct qemu_plugin_tb *tb,
					  void (*cb)(unsigned int vcpu,
						     void *udata),
					  int flags, void *udata);
void qemu_plugin_register_atexit_cb(unsigned long long id,
				    void (*cb)(unsigned long long id,
					       void *udata),
				    void *udata);

#endif
