# SPDX-License-Identifier: GPL-2.0
#
# bpfpoke top-level build.
#
#   make deps          install the Debian packages everything here uses
#   make               module (against KVER's headers), agent, selftests
#   make check [T=x]   host tests, then kselftests and end-to-end tests inside
#                      an L1 KVM host booted under QEMU, on KVER and on the
#                      newest Debian kernel (7.3); T= runs the tests whose
#                      name has x (T=x,y: x or y)
#   make check-kernels the whole suite on 6.1, 6.12 and 7.3 in turn
#   make check-debug   the L1 suite on a debug build of KVER (lockdep, KASAN,
#                      KFENCE, kmemleak, fault injection...); builds that
#                      kernel once (~40 min on 2 cores), then cached
#   make vmshell       an interactive shell in that L1, modules loaded
#   make lint          checkpatch --strict and sparse on kmod/
#   make demo          the main job on the built-in demo
#   make bench         benchmarks (ratios against baselines in one run)
#   make fuzz          libFuzzer targets, FUZZ_TIME=seconds each (60)
#   make install       tools, libbpfpoke, headers, man pages, completion,
#                      udev rule; PREFIX (/usr/local), DESTDIR
#   make uninstall     removes exactly what install put
#   make dkms-install  bpfpoke.ko through DKMS (sources in /usr/src), for KVER
#   make dkms-remove
#   make clean
#
# KVER picks an installed kernel (default: the newest Debian one with image,
# modules and headers); the harness boots that same kernel as L1.

KVER ?= $(shell $(CURDIR)/scripts/kver.sh)
BUILD ?= $(CURDIR)/build
# The newest Debian kernel, the one sched_ext users run: `make check` runs
# the L1 tests on it too.  Its headers need Debian 13's toolchain, so it
# lives in the Debian 13 root that `make deps` makes (scripts/trixie-root.sh)
# and the module is built there (scripts/kbuild.sh).
LATEST_SERIES ?= 7.3
KVER_LATEST ?= $(shell $(CURDIR)/scripts/kver.sh --series $(LATEST_SERIES) 2>/dev/null)
# bpfpoke.ko for a kernel installed here is built in place; for one in the
# Debian 13 root, in the root and copied to $(BUILD)/kmod-KVER/.
KROOT := $(shell $(CURDIR)/scripts/kroot.sh $(KVER) 2>/dev/null)
KO := $(if $(KROOT),$(BUILD)/kmod-$(KVER)/bpfpoke.ko,$(CURDIR)/bpfpoke.ko)
T ?=

# kselftest headers and checkpatch.pl are used from the linux-source package,
# unpacked under $(BUILD) at build time, never copied into the tree.
LINUX_SOURCE_TAR ?= $(lastword $(sort $(wildcard /usr/src/linux-source-*.tar.xz)))
LSRC := $(BUILD)/linux-source
LSRC_STAMP := $(LSRC)/.unpacked-2
KSFT_INC := $(LSRC)/tools/testing/selftests
LSRC_FILES := tools/testing/selftests/kselftest.h \
	tools/testing/selftests/kselftest_harness.h \
	tools/testing/selftests/kselftest/runner.sh \
	tools/testing/selftests/kselftest/prefix.pl \
	scripts/checkpatch.pl scripts/spelling.txt \
	scripts/const_structs.checkpatch

SUBMAKE := $(MAKE) --no-print-directory

.PHONY: all deps module module-latest check-kernels check-debug check-debug-run agent guest selftests check check-run run_tests vmshell lint demo \
	demo-mem-file \
	bench fuzz clean

all: module agent guest selftests

deps:
	@scripts/deps.sh

module:
	@scripts/kbuild.sh $(KVER) $(if $(KROOT),-o $(KO)) modules

# bpfpoke.ko for KVER_LATEST, beside the default one.
LATEST_KO := $(BUILD)/kmod-$(KVER_LATEST)/bpfpoke.ko
module-latest:
	@test -n "$(KVER_LATEST)" || { echo "no $(LATEST_SERIES) kernel: run 'make deps'" >&2; exit 1; }
	@scripts/kbuild.sh $(KVER_LATEST) -o $(LATEST_KO) modules

agent:
	$(SUBMAKE) -C agent BUILD=$(BUILD)/agent

guest:
	$(SUBMAKE) -C guest BUILD=$(BUILD)/guest

$(LSRC_STAMP):
	@test -n "$(LINUX_SOURCE_TAR)" || \
		{ echo "linux-source is not installed: run 'make deps'" >&2; exit 1; }
	@rm -rf $(LSRC) && mkdir -p $(LSRC)
	tar -xJf $(LINUX_SOURCE_TAR) -C $(LSRC) --strip-components=1 \
		$(addprefix $(notdir $(LINUX_SOURCE_TAR:.tar.xz=))/,$(LSRC_FILES))
	@touch $@

selftests: $(LSRC_STAMP) agent
	$(SUBMAKE) -C selftests BUILD=$(BUILD) KSFT_INC=$(KSFT_INC)
	$(SUBMAKE) -C selftests/host KSFT_INC=$(KSFT_INC) OUTPUT=$(BUILD)/host-tests all
	$(SUBMAKE) -C selftests/fuzz BUILD=$(BUILD)/fuzz all seeds

# check installs what it needs first, then builds and runs in a new make so
# that KVER is computed after the kernel packages exist.
check: deps
	@$(SUBMAKE) check-run

check-run: all $(if $(KVER_LATEST),module-latest)
	@BPFPOKE_ALSO_KVER=$(KVER_LATEST) BPFPOKE_ALSO_MODULE=$(LATEST_KO) \
		selftests/check.sh "$(BUILD)" "$(KVER)" "$(KO)" "$(T)"

# The whole suite on each kernel of CHECK_SERIES, one after the other: the
# newest of each series here or in the Debian 13 root (6.1 is Debian 12's,
# 6.12 trixie's, installed into the root by this target).  Ends with one
# summary line per kernel.
CHECK_SERIES ?= 6.1 6.12 $(LATEST_SERIES)
check-kernels: deps
	@for s in $(CHECK_SERIES); do \
		[ -n "$$(scripts/kver.sh --series $$s 2>/dev/null)" ] || \
		scripts/trixie-root.sh --install-kernel "$$(scripts/trixie-root.sh --print-kver $$s)" || exit 1; \
	done
	@mkdir -p $(BUILD); rc=0; : > $(BUILD)/check-kernels.txt; \
	for s in $(CHECK_SERIES); do \
		k=$$(scripts/kver.sh --series $$s) || exit 1; \
		echo "== $$k"; \
		$(SUBMAKE) check-run KVER=$$k KVER_LATEST= || rc=1; \
		cp $(BUILD)/check/summary.txt $(BUILD)/check-kernels-$$k.txt; \
		echo "$$k: $$(tail -n 1 $(BUILD)/check/summary.txt)" >> $(BUILD)/check-kernels.txt; \
	done; cat $(BUILD)/check-kernels.txt; exit $$rc

# The L1 suite under a debug kernel built from KVER's linux-source and
# config (scripts/debug-kernel.sh, cached in /var/cache/bpfpoke/debug),
# with L2 guests on KVER itself; fault injection and a kmemleak scan after
# rmmod on top.  The L1 kernel log must hold no lockdep, KASAN, KFENCE,
# kmemleak, debug-objects, RCU, sleep-in-atomic or WARNING report.
# Results in $(BUILD)/check-debug/summary.txt.
check-debug: deps
	@k=$$(scripts/debug-kernel.sh $(KVER)) && \
		$(SUBMAKE) check-debug-run DEBUG_KVER=$$k

DEBUG_KO = $(BUILD)/kmod-$(DEBUG_KVER)/bpfpoke.ko
check-debug-run: all
	@test -n "$(DEBUG_KVER)" || { echo "check-debug-run: DEBUG_KVER unset: make check-debug" >&2; exit 1; }
	@scripts/kbuild.sh $(DEBUG_KVER) -o $(DEBUG_KO) modules
	@BPFPOKE_L2_KVER=$(KVER) BPFPOKE_VM_MEM=$${BPFPOKE_VM_MEM:-4096} \
		BPFPOKE_TEST_TIMEOUT=$${BPFPOKE_TEST_TIMEOUT:-1200} \
		BPFPOKE_VM_TIMEOUT=$${BPFPOKE_VM_TIMEOUT:-7200} \
		selftests/check.sh "$(BUILD)" "$(DEBUG_KVER)" "$(DEBUG_KO)" "$(T)" debug

# The kselftests the kselftest way, on a machine that is a KVM host itself
# with bpfpoke.ko loaded: `make && sudo insmod bpfpoke.ko && sudo make
# run_tests`.
run_tests: $(LSRC_STAMP) agent
	@$(SUBMAKE) -C selftests BUILD=$(BUILD) KSFT_INC=$(KSFT_INC) run_tests

vmshell: all
	@selftests/check.sh "$(BUILD)" "$(KVER)" "$(KO)" "$(T)" shell

# checkpatch of the host's linux-source and, for a kernel in the Debian 13
# root, that kernel's own (from its linux-source there); sparse against
# KVER's headers.
KSERIES := $(word 1,$(subst ., ,$(KVER))).$(word 2,$(subst ., ,$(KVER)))
KSRC_TAR := $(wildcard $(KROOT)/usr/src/linux-source-$(KSERIES).tar.xz)
KSRC_LINT := $(BUILD)/linux-source-$(KVER)
lint: $(LSRC_STAMP)
	$(LSRC)/scripts/checkpatch.pl --strict --no-tree --terse --show-types \
		-f kmod/*.c kmod/*.h uapi/linux/bpfpoke.h
	@if [ -n "$(KROOT)" ] && [ -n "$(KSRC_TAR)" ]; then \
		if [ ! -x $(KSRC_LINT)/scripts/checkpatch.pl ]; then \
			mkdir -p $(KSRC_LINT) && tar -xJf $(KSRC_TAR) -C $(KSRC_LINT) --strip-components=1 \
				$(addprefix $(notdir $(KSRC_TAR:.tar.xz=))/,scripts/checkpatch.pl \
				scripts/spelling.txt scripts/const_structs.checkpatch) || exit 1; \
		fi; \
		echo "checkpatch of $(notdir $(KSRC_TAR:.tar.xz=))"; \
		$(KSRC_LINT)/scripts/checkpatch.pl --strict --no-tree --terse --show-types \
			-f kmod/*.c kmod/*.h uapi/linux/bpfpoke.h || exit 1; \
	fi
	scripts/kbuild.sh $(KVER) $(if $(KROOT),-o $(KO)) C=2 CF="-Wsparse-error" modules
	@if [ -n "$(KROOT)" ] && ! scripts/trixie-root.sh --run sh -c \
		'printf "static inline int u(const int *q) { __typeof_unqual__(*q) v = *q; return v; }\n" > /tmp/tu.c && sparse -m64 /tmp/tu.c 2>&1 | grep -q error; test $$? = 1'; then \
		echo "lint: sparse NOT run on $(KVER): the Debian 13 root's sparse ($$(scripts/trixie-root.sh --run sparse --version)) cannot parse __typeof_unqual__, which $(KVER)'s headers use (the kernel's own checker-valid.sh test)"; \
	fi

# The main job on the built-in demo: boots L1 (Debian's kernel under QEMU
# TCG, kvm-amd and bpfpoke.ko loaded), where QEMU-KVM runs Debian guests
# (KASLR on).  Act 1: the guest's scheduler is scx_qmap from the kernel's
# own tools/sched_ext; the agent reads its counters from its arena and
# writes qa.test_error_cnt=1 through the module, and the guest shows the
# scheduler exiting with its own error.  Act 2: guest/demo's BPF target,
# loaded by bpfpoke-demo; the agent writes .bss crash=1 and a .data batch,
# signals the guest on its named port, and the demo prints what the guest
# saw (its skeleton view, a BPF program run, bpftool) and the time of each
# stage.
# `make demo-mem-file` does the module-free variant (a TCG guest with its
# RAM in a shared file, read and written with --mem-file).
# Its first act needs sched_ext: it boots KVER_LATEST unless KVER is given.
demo: deps
	@$(SUBMAKE) all module-latest
	@if [ "$(origin KVER)" = "command line" ] || [ "$(origin KVER)" = environment ]; then \
		selftests/check.sh "$(BUILD)" "$(KVER)" "$(KO)" "" demo; \
	else \
		selftests/check.sh "$(BUILD)" "$(KVER_LATEST)" "$(LATEST_KO)" "" demo; \
	fi

demo-mem-file: deps
	@$(SUBMAKE) all
	@BPFPOKE_BUILD=$(BUILD) KVER=$(KVER) BPFPOKE_GUEST_VARIANTS=kaslr \
		selftests/guest/run_mapping_test.sh

# The L1 benchmarks run on KVER and KVER_LATEST, then side by side.
bench: deps
	@$(SUBMAKE) all $(if $(KVER_LATEST),module-latest)
	@BPFPOKE_ALSO_KVER=$(KVER_LATEST) BPFPOKE_ALSO_MODULE=$(LATEST_KO) \
		selftests/check.sh "$(BUILD)" "$(KVER)" "$(KO)" "$(T)" bench

FUZZ_TIME ?= 60
fuzz: deps
	@$(SUBMAKE) selftests
	$(SUBMAKE) -C selftests/fuzz BUILD=$(BUILD)/fuzz run FUZZ_TIME=$(FUZZ_TIME)

# Installation.  DESTDIR stages the tree (packaging); paths inside the
# installed files are the final ones.  udev and sysusers.d read
# /usr/local/lib as well as /usr/lib (systemd's CONF_PATHS).  The agent's
# Makefile installs the CLI, libbpfpoke and its pkg-config file.
PREFIX ?= /usr/local
BINDIR ?= $(PREFIX)/bin
INCLUDEDIR ?= $(PREFIX)/include
MANDIR ?= $(PREFIX)/share/man
BASHCOMPDIR ?= $(PREFIX)/share/bash-completion/completions
UDEVRULESDIR ?= $(PREFIX)/lib/udev/rules.d
SYSUSERSDIR ?= $(PREFIX)/lib/sysusers.d
INSTALL ?= install
MAN_PAGES := docs/man/bpfpoke.8 docs/man/bpfpoke-guest.1 docs/man/bpfpoke.4

.PHONY: install uninstall dkms-install dkms-remove

install:
	$(SUBMAKE) -C agent BUILD=$(BUILD)/agent install
	$(SUBMAKE) -C guest BUILD=$(BUILD)/guest $(BUILD)/guest/bpfpoke-guest
	$(INSTALL) -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(INCLUDEDIR)/linux \
		$(DESTDIR)$(INCLUDEDIR)/bpfpoke $(DESTDIR)$(BASHCOMPDIR) \
		$(DESTDIR)$(UDEVRULESDIR) $(DESTDIR)$(SYSUSERSDIR) \
		$(addprefix $(DESTDIR)$(MANDIR)/man,1 4 8)
	$(INSTALL) -m 755 $(BUILD)/guest/bpfpoke-guest $(DESTDIR)$(BINDIR)/bpfpoke-guest
	$(INSTALL) -m 644 uapi/linux/bpfpoke.h $(DESTDIR)$(INCLUDEDIR)/linux/bpfpoke.h
	$(INSTALL) -m 644 uapi/bpfpoke/signal.h $(DESTDIR)$(INCLUDEDIR)/bpfpoke/signal.h
	$(foreach m,$(MAN_PAGES),$(INSTALL) -m 644 $(m) \
		$(DESTDIR)$(MANDIR)/man$(subst .,,$(suffix $(m)))/$(notdir $(m)) &&) true
	$(INSTALL) -m 644 completion/bpfpoke $(DESTDIR)$(BASHCOMPDIR)/bpfpoke
	$(INSTALL) -m 644 udev/60-bpfpoke.rules $(DESTDIR)$(UDEVRULESDIR)/60-bpfpoke.rules
	$(INSTALL) -m 644 udev/bpfpoke.sysusers $(DESTDIR)$(SYSUSERSDIR)/bpfpoke.conf

uninstall:
	$(SUBMAKE) -C agent BUILD=$(BUILD)/agent uninstall
	rm -f $(DESTDIR)$(BINDIR)/bpfpoke-guest \
	      $(DESTDIR)$(INCLUDEDIR)/linux/bpfpoke.h \
	      $(DESTDIR)$(INCLUDEDIR)/bpfpoke/signal.h \
	      $(foreach m,$(MAN_PAGES),$(DESTDIR)$(MANDIR)/man$(subst .,,$(suffix $(m)))/$(notdir $(m))) \
	      $(DESTDIR)$(BASHCOMPDIR)/bpfpoke \
	      $(DESTDIR)$(UDEVRULESDIR)/60-bpfpoke.rules \
	      $(DESTDIR)$(SYSUSERSDIR)/bpfpoke.conf
	rmdir $(DESTDIR)$(INCLUDEDIR)/bpfpoke 2>/dev/null || true

# DKMS rebuilds bpfpoke.ko for each kernel installed later (dkms.conf).
# dkms-install copies the module's sources (Kbuild, kmod/, the uapi
# header, dkms.conf) to DKMS_SOURCE_TREE/bpfpoke-VERSION, then dkms add,
# build and install for KVER (KVER=$(uname -r) for the running kernel);
# an earlier registration of the same version is removed first.
# DKMS_OPTS passes dkms options, e.g. --dkmstree/--installtree/--no-depmod
# for a trial run in temporary trees (selftests/host/dkms_test.sh).
# dkms runs make itself: none of this make's flags may reach it.
DKMS ?= dkms
DKMS_SOURCE_TREE ?= /usr/src
DKMS_OPTS ?=
DKMS_VERSION := $(shell sed -n 's/^PACKAGE_VERSION="\(.*\)"$$/\1/p' $(CURDIR)/dkms.conf)
DKMS_SRC := $(DKMS_SOURCE_TREE)/bpfpoke-$(DKMS_VERSION)
DKMS_FILES := dkms.conf Kbuild $(wildcard kmod/*.c kmod/*.h) uapi/linux/bpfpoke.h
DKMS_RUN = env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL $(DKMS)
DKMS_MOD := -m bpfpoke -v $(DKMS_VERSION) --sourcetree $(DKMS_SOURCE_TREE) $(DKMS_OPTS)

dkms-install:
	@command -v $(DKMS) >/dev/null || \
		{ echo "dkms is not installed: apt-get install dkms" >&2; exit 1; }
	@test -n "$(DKMS_VERSION)" -a -n "$(KVER)" || \
		{ echo "no PACKAGE_VERSION in dkms.conf, or no KVER" >&2; exit 1; }
	@test -z "$(KROOT)" || { echo "$(KVER) is in the Debian 13 root ($(KROOT)), not installed on this machine: DKMS installs for this machine's kernels (on a machine running $(KVER), make dkms-install KVER=$(KVER))" >&2; exit 1; }
	@if $(DKMS_RUN) status $(DKMS_MOD) | grep -q .; then \
		echo "dkms: removing the registered bpfpoke/$(DKMS_VERSION) first"; \
		$(DKMS_RUN) remove $(DKMS_MOD) --all; \
	fi
	rm -rf $(DKMS_SRC)
	$(INSTALL) -d $(DKMS_SRC)
	tar -cf - $(DKMS_FILES) | tar -xf - -C $(DKMS_SRC) --no-same-owner
	$(DKMS_RUN) add $(DKMS_MOD)
	$(DKMS_RUN) build $(DKMS_MOD) -k $(KVER)
	$(DKMS_RUN) install $(DKMS_MOD) -k $(KVER)

dkms-remove:
	@command -v $(DKMS) >/dev/null || \
		{ echo "dkms is not installed" >&2; exit 1; }
	@test -n "$(DKMS_VERSION)" || { echo "no PACKAGE_VERSION in dkms.conf" >&2; exit 1; }
	@if $(DKMS_RUN) status $(DKMS_MOD) | grep -q .; then \
		$(DKMS_RUN) remove $(DKMS_MOD) --all; \
	fi
	rm -rf $(DKMS_SRC)

clean:
	-scripts/kbuild.sh $(KVER) clean 2>/dev/null
	rm -rf $(BUILD)
