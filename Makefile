# SPDX-License-Identifier: GPL-2.0
#
# ctlite: build the module against a kernel tree (default: the running
# kernel's), or build, boot and test it in a QEMU guest (make check).

KDIR ?= /lib/modules/$(shell uname -r)/build
# Guest kernel series for check/kernel/lint: 6.1 (default)
KERNEL ?= 6.1
export KERNEL

VM := tests/vm

.PHONY: all modules check demo stress bench bench-quick kernel lint install clean help

all: modules

modules:
	@if [ ! -f "$(KDIR)/Makefile" ]; then \
		echo "ctlite: no kernel build tree at $(KDIR); install linux-headers-$$(uname -r) or set KDIR=, or run 'make check' to build and test in a VM"; \
		exit 1; \
	fi
	$(MAKE) -C $(KDIR) M=$(CURDIR) modules

check:
	@$(VM)/check.sh

demo:
	@$(VM)/check.sh demo

stress:
	@$(VM)/check.sh stress

bench:
	@$(VM)/check.sh bench full

bench-quick:
	@$(VM)/check.sh bench quick

kernel:
	@$(VM)/deps.sh check
	@$(VM)/kernel.sh build debug

lint:
	@$(VM)/lint.sh

install: modules
	$(MAKE) -C $(KDIR) M=$(CURDIR) modules_install

clean:
	@if [ -f "$(KDIR)/Makefile" ]; then $(MAKE) -C $(KDIR) M=$(CURDIR) clean; fi
	rm -rf build
	find . \( -name '*.o' -o -name '*.ko' -o -name '*.mod' -o -name '*.mod.c' \
		-o -name '.*.cmd' -o -name '*.order' -o -name '*.symvers' \) \
		-not -path './.git/*' -delete

help:
	@echo 'ctlite targets:'
	@echo '  make [modules]  build ctlite.ko against KDIR (default $(KDIR))'
	@echo '  make install    install it there (INSTALL_MOD_PATH respected) and run depmod'
	@echo '  make check      on Debian 12 as root: install what is needed, build the'
	@echo '                  debug guest kernel (cached in ~/.cache/ctlite), run KUnit'
	@echo '                  and guest tests in QEMU; ends with "N passed, N failed"'
	@echo '  make demo       the same set-up, then a guest tells the story of a table'
	@echo '                  filled by a SYN flood and its live fixes, with real numbers'
	@echo '  make stress    the long reliability run: 1,000,000 fuzzed packets, then'
	@echo '                  10 minutes of concurrent stress; prints a table of figures'
	@echo '  make bench      build a non-debug guest kernel (cached) and measure no'
	@echo '                  tracking, nf_conntrack and ctlite side by side; writes'
	@echo '                  docs/benchmarks.md (about 25 minutes)'
	@echo '  make bench-quick  the same in a few minutes with small tables (CI);'
	@echo '                  only checks that every figure was produced'
	@echo '  make kernel     only build (or find) the debug guest kernel'
	@echo '  make lint       checkpatch --strict, sparse (C=2) and W=1; zero findings'
	@echo '  make clean      remove build output'
	@echo 'Variables: KDIR, KERNEL (guest kernel series, default 6.1),'
	@echo '  CTLITE_ONLY (glob of guest scripts), CTLITE_TIMEOUT, CTLITE_ACCEL, CTLITE_MEM'
