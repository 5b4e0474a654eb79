# SPDX-License-Identifier: MIT
# Mica: the one entry point.
#   make        build everything           make run    boot Mica in QEMU
#   make test   every test suite           make bench  benchmark tables
#   make fuzz   fuzzers, bounded time      make clean  remove build/
#   make soak   hostile-domain soak (SOAK_SEEDS x SOAK_CALLS)
#   make xtf    Xen's XTF suite under Mica (docs/xtf.md)
#
# Each component has a Makefile with the targets all, test, bench, fuzz and
# clean; it builds into $(BUILD)/<component> and its test target leaves JUnit
# XML in $(RESULTS) through scripts/run-suite.  A component whose build fails
# is counted as a failed test, so `make test` never passes on a broken tree.

BUILD    := $(CURDIR)/build
RESULTS  := $(BUILD)/results
COMPONENTS := hypercall-abi ring-io hypervisor dom0-tools guest-patches tests
export BUILD RESULTS

FUZZ_SECONDS ?= 60
export FUZZ_SECONDS

# `make run`: Debian's stock Linux as the default (privileged) domain, with
# a shell on the serial console; until Linux dom0 tools exist it is the only
# domain.  The hello ISO (the guest test kit's kernel) is the boot benchmark.
ISO := $(BUILD)/mica.iso
HELLO_ISO := $(BUILD)/mica-hello.iso
LINUX := $(BUILD)/linux
DOM0_MEM := 512M

.PHONY: all deps run test bench fuzz soak clean xtf $(COMPONENTS)

all: deps $(COMPONENTS) $(ISO) $(HELLO_ISO)

deps:
	@bash scripts/deps.sh

$(COMPONENTS):
	@$(MAKE) --no-print-directory -C $@ all

$(ISO): $(BUILD)/hypervisor/mica.elf $(LINUX)/vmlinux $(LINUX)/initramfs.cpio.gz scripts/mkiso
	@scripts/mkiso --out $@ --hypervisor $(BUILD)/hypervisor/mica.elf \
	  --cmdline "loglvl=info dom0_mem=$(DOM0_MEM) dom0_max_vcpus=2" \
	  --module $(LINUX)/vmlinux "vmlinux console=hvc0" \
	  --module $(LINUX)/initramfs.cpio.gz "initramfs"

$(HELLO_ISO): $(BUILD)/hypervisor/mica.elf $(BUILD)/guests/hello.elf scripts/mkiso
	@scripts/mkiso --out $@ --hypervisor $(BUILD)/hypervisor/mica.elf \
	  --cmdline "loglvl=info" --module $(BUILD)/guests/hello.elf "hello console=hvc0"

# QEMU's exit status says how Mica ended (power.h): 33 is a clean
# power-off, which make should not call an error.
run: all
	@scripts/qemu --iso $(ISO); rc=$$?; [ $$rc -eq 33 ] || exit $$rc

# Build each component as a counted check, then run its suites; the summary
# line closes the run and decides the exit status.
test: deps
	@rm -rf $(RESULTS); mkdir -p $(RESULTS)
	@for c in $(COMPONENTS); do \
	  scripts/run-suite check build-$$c -- $(MAKE) --no-print-directory -C $$c all; \
	done
	@for c in $(COMPONENTS); do \
	  $(MAKE) --no-print-directory -C $$c test || \
	    scripts/run-suite check test-target-$$c -- sh -c "echo make -C $$c test failed; exit 1"; \
	done
	@scripts/test-summary $(RESULTS)

# XTF, Xen's own test suite, under Mica (docs/xtf.md); needs ../shared/xtf.
xtf: deps hypervisor
	@mkdir -p $(RESULTS)
	@$(MAKE) --no-print-directory -C tests xtf

bench: all
	@for c in $(COMPONENTS); do $(MAKE) --no-print-directory -C $$c bench || exit 1; done
	@echo '== boot: Mica with the hello test kernel as dom0 =='
	@scripts/bench-boot $(HELLO_ISO) 3
	@echo '== in a guest: the bench test kernel as dom0 (TSC ticks) =='
	@scripts/bench-guest $(BUILD)/guests/bench.elf $(BUILD)/hypervisor/mica.elf
	@echo '== two domains: events, grants, context switch (pair kernel) =='
	@scripts/bench-domains $(BUILD)/hypervisor/mica.elf $(BUILD)/guests/pair.elf
	@echo '== boot: Debian Linux 6.1 as the default domain and as two guests =='
	@scripts/bench-linux $(BUILD)/hypervisor/mica.elf $(LINUX) 3
	@echo '== toolstack: xl create of a Debian guest from dom0, xl list =='
	@scripts/bench-xl $(ISO) 3

# Long runs on demand: the hostile-domain scenario over many seeds.
SOAK_SEEDS ?= 20
SOAK_CALLS ?= 50000
soak: all
	@scripts/soak-chaos $(BUILD)/hypervisor/mica.elf $(BUILD)/guests $(SOAK_SEEDS) $(SOAK_CALLS)

fuzz: deps
	@for c in $(COMPONENTS); do $(MAKE) --no-print-directory -C $$c fuzz || exit 1; done

clean:
	rm -rf $(BUILD)
