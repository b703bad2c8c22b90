# SPDX-License-Identifier: GPL-2.0
#
# ctlite: build the module against a kernel tree (default: the running
# kernel's), or build, boot and test it in a QEMU guest (make check).

KDIR ?= /lib/modules/$(shell uname -r)/build
# Guest kernel series for check/kernel/lint: 6.1 (default)
KERNEL ?= 6.1
export KERNEL

VM := tests/vm

.PHONY: all modules tools check demo stress bench bench-quick bench-icount bench-tbprof kernel lint install \
	install-config dkms-install dkms-remove version clean help

# The release, from the one place it is written
VERSION := $(shell sed -n 's/^\#define CTLITE_VERSION "\(.*\)"/\1/p' include/ctlite/ctlite.h)

# Installed configuration (install-config): DESTDIR stages it elsewhere
DESTDIR ?=
CONFIGS := modprobe.d/ctlite.conf sysctl.d/90-ctlite.conf modules-load.d/ctlite.conf

# DKMS: the sources go to DKMS_SOURCETREE/ctlite-VERSION.  DKMS_FLAGS go to
# every dkms call (e.g. --dkmstree, --installtree), DKMS_KERNEL_FLAGS to
# the build (e.g. -k RELEASE --kernelsourcedir DIR; default: this kernel).
DKMS_SOURCETREE ?= /usr/src
DKMS_FLAGS ?=
DKMS_KERNEL_FLAGS ?=
DKMS := dkms --sourcetree $(DKMS_SOURCETREE) $(DKMS_FLAGS)
DKMS_DIR := $(DKMS_SOURCETREE)/ctlite-$(VERSION)
# What DKMS needs to build the module (Kbuild builds; the Makefile is not used)
DKMS_FILES := Kbuild dkms.conf LICENSE README.md src include tests/kunit

# The iptables extension: where iptables looks for it, and how to build it
XTLIBDIR ?= $(shell pkg-config --variable=xtlibdir xtables 2>/dev/null)
TOOLS_CFLAGS ?= -O2 -g
TOOLS := tools/libxt_ctlite.so tools/ctlite
# The ctlite command, its man page and bash completion
SBINDIR ?= /usr/local/sbin
MANDIR ?= /usr/local/share/man
COMPLETIONDIR ?= /usr/local/share/bash-completion/completions

all: modules

modules:
	@if [ ! -f "$(KDIR)/Makefile" ]; then \
		echo "ctlite: no kernel build tree at $(KDIR); install linux-headers-$$(uname -r) or set KDIR=, or run 'make check' to build and test in a VM"; \
		exit 1; \
	fi
	$(MAKE) -C $(KDIR) M=$(CURDIR) modules

# User space, against Debian's libraries (installed first when missing)
tools:
	@$(VM)/deps.sh tools
	@$(MAKE) --no-print-directory $(TOOLS)

tools/libxt_ctlite.so: tools/libxt_ctlite.c include/ctlite/xt_ctlite.h
	$(CC) $(TOOLS_CFLAGS) -Wall -Wextra -Werror -fPIC -shared -Iinclude \
		$$(pkg-config --cflags xtables) -o $@ $< $$(pkg-config --libs xtables)

tools/ctlite: tools/ctlite.c include/ctlite/ctlite_netlink.h
	$(CC) $(TOOLS_CFLAGS) -Wall -Wextra -Werror -Iinclude \
		$$(pkg-config --cflags libmnl) -o $@ $< $$(pkg-config --libs libmnl)

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

bench-icount:
	@$(VM)/check.sh bench icount

bench-tbprof:
	@$(VM)/check.sh bench tbprof

kernel:
	@$(VM)/deps.sh check
	@$(VM)/kernel.sh build debug

lint:
	@$(VM)/lint.sh

# modules_install runs depmod only where the tree has a System.map, which
# a distribution's headers package does not: run it here in every case
install: modules tools
	$(MAKE) -C $(KDIR) M=$(CURDIR) modules_install
	depmod -b "$(or $(INSTALL_MOD_PATH),/)" "$$(cat $(KDIR)/include/config/kernel.release)"
	@[ -n "$(XTLIBDIR)" ] || { echo "ctlite: pkg-config knows no xtables lib dir; set XTLIBDIR=" >&2; exit 1; }
	install -D -m 0644 tools/libxt_ctlite.so "$(DESTDIR)$(XTLIBDIR)/libxt_ctlite.so"
	install -D -m 0755 tools/ctlite "$(DESTDIR)$(SBINDIR)/ctlite"
	install -D -m 0755 scripts/ctlite-tune "$(DESTDIR)$(SBINDIR)/ctlite-tune"
	install -D -m 0644 tools/ctlite.8 "$(DESTDIR)$(MANDIR)/man8/ctlite.8"
	install -D -m 0644 tools/ctlite.bash-completion "$(DESTDIR)$(COMPLETIONDIR)/ctlite"

# Example configuration, what scripts/ctlite-tune prints for 4 GiB.  A file
# already there that differs is kept, and ours goes beside it as .new
# (modprobe and sysctl read only *.conf, so it changes nothing).
install-config:
	@for f in $(CONFIGS); do \
		dst="$(DESTDIR)/etc/$$f"; \
		install -d -m 0755 "$$(dirname "$$dst")" || exit 1; \
		if [ -e "$$dst" ] && ! cmp -s "scripts/$$f" "$$dst"; then \
			install -m 0644 "scripts/$$f" "$$dst.new" || exit 1; \
			echo "ctlite: kept $$dst, which differs; ours is $$dst.new"; \
		else \
			install -m 0644 "scripts/$$f" "$$dst" || exit 1; \
			echo "installed $$dst"; \
		fi; \
	done

# Add, build and install with DKMS; a failure leaves nothing behind
dkms-install:
	@command -v dkms >/dev/null || { echo "ctlite: dkms is not installed (apt-get install dkms)" >&2; exit 1; }
	@if [ -n "$$($(DKMS) status -m ctlite -v $(VERSION))" ]; then \
		echo "ctlite: ctlite/$(VERSION) is already added to DKMS; make dkms-remove first" >&2; exit 1; \
	fi
	rm -rf $(DKMS_DIR)
	mkdir -p $(DKMS_DIR)
	cp -a --parents $(DKMS_FILES) $(DKMS_DIR)/
	$(DKMS) add -m ctlite -v $(VERSION)
	@$(DKMS) install -m ctlite -v $(VERSION) $(DKMS_KERNEL_FLAGS) || { \
		echo "ctlite: dkms install failed (see above); removing ctlite/$(VERSION) again" >&2; \
		$(DKMS) remove -m ctlite -v $(VERSION) --all >/dev/null; \
		rm -rf $(DKMS_DIR); exit 1; }

# Uninstall from every kernel and forget the sources
dkms-remove:
	@command -v dkms >/dev/null || { echo "ctlite: dkms is not installed" >&2; exit 1; }
	@if [ -n "$$($(DKMS) status -m ctlite -v $(VERSION))" ]; then \
		echo "$(DKMS) remove -m ctlite -v $(VERSION) --all"; \
		$(DKMS) remove -m ctlite -v $(VERSION) --all || exit 1; \
	else \
		echo "ctlite: ctlite/$(VERSION) is not in DKMS"; \
	fi
	rm -rf $(DKMS_DIR)

version:
	@echo $(VERSION)

clean:
	@if [ -f "$(KDIR)/Makefile" ]; then $(MAKE) -C $(KDIR) M=$(CURDIR) clean; fi
	rm -rf build $(TOOLS)
	find . \( -name '*.o' -o -name '*.ko' -o -name '*.mod' -o -name '*.mod.c' \
		-o -name '.*.cmd' -o -name '*.order' -o -name '*.symvers' \) \
		-not -path './.git/*' -delete

help:
	@echo 'ctlite targets:'
	@echo '  make [modules]  build ctlite.ko against KDIR (default $(KDIR))'
	@echo '  make tools      the iptables extension tools/libxt_ctlite.so (-m ctlite)'
	@echo '                  and the ctlite command tools/ctlite (list, events, ...)'
	@echo '  make install    install the module there (INSTALL_MOD_PATH respected), run'
	@echo '                  depmod, put libxt_ctlite.so in XTLIBDIR, ctlite and'
	@echo '                  ctlite-tune in SBINDIR, with the man page and completion'
	@echo '                  (DESTDIR respected)'
	@echo '  make install-config  example /etc/modprobe.d, sysctl.d and modules-load.d'
	@echo '                  files (DESTDIR respected; differing files are kept)'
	@echo '  make dkms-install  add, build and install with DKMS (sources in'
	@echo '                  /usr/src/ctlite-$(VERSION)); make dkms-remove undoes it'
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
	@echo '  make bench-icount  the per-packet scenarios in a guest whose clock'
	@echo '                  counts instructions (QEMU -icount): figures noise cannot move'
	@echo '  make bench-tbprof  only the exact count by function of that run: each'
	@echo "                  tracker's added instructions per packet (7 minutes)"
	@echo '  make kernel     only build (or find) the debug guest kernel'
	@echo '  make lint       checkpatch --strict, sparse (C=2) and W=1; zero findings'
	@echo '  make version    print the release ($(VERSION))'
	@echo '  make clean      remove build output'
	@echo 'Variables: KDIR, KERNEL (guest kernel series: 6.1, the default, or 6.12;'
	@echo '  6.12 runs what differs there unless CTLITE_ONLY says otherwise),'
	@echo '  CTLITE_ONLY (comma-separated globs: kunit, a guest script, or'
	@echo '  SCRIPT:SCENARIO), CTLITE_ACCEL (kvm or tcg; default: kvm where it has'
	@echo '  booted a guest), CTLITE_TIMEOUT, CTLITE_BOOT_LIMIT, CTLITE_MEM,'
	@echo '  INSTALL_MOD_PATH, DESTDIR, DKMS_SOURCETREE, DKMS_FLAGS, DKMS_KERNEL_FLAGS'
