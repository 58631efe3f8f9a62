# SPDX-License-Identifier: GPL-2.0
#
# bpfpoke top-level build.
#
#   make deps          install the Debian packages everything here uses
#   make               module (against KVER's headers), agent, selftests
#   make check [T=x]   host tests, then kselftests inside an L1 KVM host
#                      booted under QEMU; T= runs the tests whose name has x
#   make vmshell       an interactive shell in that L1, modules loaded
#   make lint          checkpatch --strict and sparse on kmod/
#   make demo          the main job on the built-in demo
#   make bench         benchmarks (ratios against baselines in one run)
#   make fuzz          libFuzzer targets, FUZZ_TIME=seconds each (60)
#   make clean
#
# KVER picks an installed kernel (default: the newest Debian one with image,
# modules and headers); the harness boots that same kernel as L1.

KVER ?= $(shell $(CURDIR)/scripts/kver.sh)
KDIR ?= /lib/modules/$(KVER)/build
BUILD ?= $(CURDIR)/build
T ?=

# kselftest headers and checkpatch.pl are used from the linux-source package,
# unpacked under $(BUILD) at build time, never copied into the tree.
LINUX_SOURCE_TAR ?= $(lastword $(sort $(wildcard /usr/src/linux-source-*.tar.xz)))
LSRC := $(BUILD)/linux-source
LSRC_STAMP := $(LSRC)/.unpacked
KSFT_INC := $(LSRC)/tools/testing/selftests
LSRC_FILES := tools/testing/selftests/kselftest.h \
	tools/testing/selftests/kselftest_harness.h \
	scripts/checkpatch.pl scripts/spelling.txt \
	scripts/const_structs.checkpatch

SUBMAKE := $(MAKE) --no-print-directory

.PHONY: all deps module agent guest selftests check check-run vmshell lint demo \
	bench fuzz clean

all: module agent guest selftests

deps:
	@scripts/deps.sh

module:
	$(SUBMAKE) -C $(KDIR) M=$(CURDIR) modules

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

check-run: all
	@selftests/check.sh "$(BUILD)" "$(KVER)" "$(CURDIR)/bpfpoke.ko" "$(T)"

vmshell: all
	@selftests/check.sh "$(BUILD)" "$(KVER)" "$(CURDIR)/bpfpoke.ko" "$(T)" shell

lint: $(LSRC_STAMP)
	$(LSRC)/scripts/checkpatch.pl --strict --no-tree --terse --show-types \
		-f kmod/*.c kmod/*.h uapi/linux/bpfpoke.h
	$(SUBMAKE) -C $(KDIR) M=$(CURDIR) C=2 CF="-Wsparse-error" modules

# The main job on the built-in demo: a Debian guest (KASLR on) runs
# guest/demo's BPF program; the host reads and writes its globals from the
# guest's RAM while it runs and signals over the named virtio-serial port,
# where bpfpoke-guest waits.  Each line says what happened.
demo: deps
	@$(SUBMAKE) all
	@BPFPOKE_BUILD=$(BUILD) KVER=$(KVER) BPFPOKE_GUEST_VARIANTS=kaslr \
		selftests/guest/run_mapping_test.sh

bench: deps
	@$(SUBMAKE) all
	@selftests/check.sh "$(BUILD)" "$(KVER)" "$(CURDIR)/bpfpoke.ko" "$(T)" bench

FUZZ_TIME ?= 60
fuzz: deps
	@$(SUBMAKE) selftests
	$(SUBMAKE) -C selftests/fuzz BUILD=$(BUILD)/fuzz run FUZZ_TIME=$(FUZZ_TIME)

clean:
	-$(SUBMAKE) -C $(KDIR) M=$(CURDIR) clean 2>/dev/null
	rm -rf $(BUILD)
