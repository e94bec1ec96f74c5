# SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
#
# udpesp: XDP offload for UDP-encapsulated ESP. Everything generated goes
# to build/. `make help` lists the targets.

UDPESP_VERSION := 0.1.0

BUILD    := build
CLANG    ?= clang-19
BPFTOOL  ?= bpftool
CC       ?= gcc
ARCH     := $(shell uname -m | sed -e 's/x86_64/x86/' -e 's/aarch64/arm64/')

# Debian keeps asm/ headers under the multiarch directory. Expanded when
# used (=, not :=), so that `make deps check` on a machine without gcc
# yet asks gcc only after deps installed it.
CLANG_SYS_INC = -idirafter /usr/include/$(shell $(CC) -dumpmachine)

BPF_CFLAGS = -g -O2 -target bpf -D__TARGET_ARCH_$(ARCH) -std=gnu11 \
	-Wall -Wextra -Werror -Wno-compare-distinct-pointer-types \
	-fno-stack-protector -Iinclude $(CLANG_SYS_INC)

CFLAGS ?= -O2 -g
CFLAGS += -std=gnu11 -Wall -Wextra -Werror -Iinclude -Idaemon -I$(BUILD) \
	-DUDPESP_VERSION='"$(UDPESP_VERSION)"'
DEPFLAGS = -MMD -MP

PKGS    := libbpf libxdp libnl-route-3.0
LIBS    := $(shell pkg-config --libs $(PKGS) 2>/dev/null || echo -lbpf -lxdp -lnl-route-3 -lnl-3 -lelf -lz)
CFLAGS  += $(shell pkg-config --cflags $(PKGS) 2>/dev/null)

ifeq ($(V),1)
Q :=
msg :=
else
Q := @
msg = @printf '  %-9s %s\n' "$(1)" "$(2)";
endif

# Every Debian package the project needs: build, tests, demo, benchmarks.
DEPS_PKGS := make gcc pkg-config clang-19 llvm-19 bpftool libbpf-dev libxdp-dev \
	xdp-tools libelf-dev zlib1g-dev libnl-3-dev libnl-route-3-dev \
	libcriterion-dev libipsec-mb-dev libssl-dev iproute2 iputils-ping \
	procps jq python3 python3-scapy python3-cryptography \
	tshark nftables conntrack ethtool iperf3 gnuplot-nox clang-format-19 \
	strongswan-charon strongswan-swanctl libcharon-extra-plugins dpkg-dev \
	libclang-rt-19-dev gdb

BPF_OBJS   := $(BUILD)/udpesp.bpf.o $(BUILD)/udpesp_kf.bpf.o
# The kfunc backend takes replay->lock with 32-bit atomics (BPF v3).
$(BUILD)/udpesp_kf.bpf.o: BPF_CFLAGS += -mcpu=v3
BENCH_BPF  := $(patsubst tests/bench/%.bpf.c,$(BUILD)/%.bpf.o,$(wildcard tests/bench/*.bpf.c))
SKELS      := $(patsubst %.bpf.o,%.skel.h,$(BPF_OBJS) $(BENCH_BPF))

# ESP crypto: intel-ipsec-mb by default, OpenSSL libcrypto with CRYPTO=openssl.
CRYPTO ?= ipsecmb
ifeq ($(CRYPTO),openssl)
CRYPTO_LIBS := -lcrypto
else ifeq ($(CRYPTO),ipsecmb)
CRYPTO_LIBS := -lIPSec_MB
else
$(error CRYPTO must be ipsecmb or openssl, not '$(CRYPTO)')
endif
LIBS += $(CRYPTO_LIBS)
TEST_LIBS := $(LIBS) -lcriterion

# The parts (docs/HACKING.md): the ESP engine, what both programs share,
# and the objects of each program that the tests link as well.
ESP_SRCS    := daemon/esp/esp_crypto_$(CRYPTO).c daemon/esp/esp_decap.c daemon/esp/esp_encap.c \
	daemon/esp/esp_gso.c daemon/esp/esp_gro.c daemon/esp/esp_sel.c
COMMON_SRCS := daemon/common/maps.c daemon/common/loader.c daemon/common/ctl_proto.c \
	daemon/common/sa_check.c daemon/common/addr.c daemon/common/counter_names.c
CTL_LIB_SRCS := daemon/udpespctl/sa_parse.c daemon/udpespctl/json_writer.c \
	daemon/udpespctl/json_print.c
UDPESPD_LIB_SRCS := daemon/udpespd/sa_table.c daemon/udpespd/kfunc.c daemon/udpespd/pmtu.c \
	daemon/udpespd/sa_esp.c daemon/udpespd/evloop.c daemon/common/log.c \
	daemon/udpespd/spi_resv.c daemon/udpespd/keystore.c daemon/udpespd/persist.c
# The charon plugin's transform mapping and connection: plain C, unit-tested
# without strongSwan.
SWAN_LIB_SRCS := daemon/strongswan/xform.c daemon/strongswan/swan_conn.c
LIB_SRCS    := $(COMMON_SRCS) $(CTL_LIB_SRCS) $(UDPESPD_LIB_SRCS) $(ESP_SRCS) $(SWAN_LIB_SRCS)
LIB_OBJS   := $(patsubst %.c,$(BUILD)/obj/%.o,$(LIB_SRCS))
PROGS      := $(BUILD)/udpespd $(BUILD)/udpespctl

UNIT_SRCS  := $(wildcard tests/unit/*.c)
BPFT_SRCS  := $(wildcard tests/bpf/*.c)
# One binary per tests/bench/bench_*.c with a main(); the other .c files
# there are helpers linked into each.
BENCH_MAINS   := $(shell grep -l '^int main\b' tests/bench/bench_*.c 2>/dev/null)
BENCH_HELPERS := $(filter-out $(BENCH_MAINS) %.bpf.c,$(wildcard tests/bench/*.c))
BENCH_BINS    := $(patsubst tests/bench/%.c,$(BUILD)/tests/%,$(BENCH_MAINS))
UNIT_TEST  := $(BUILD)/tests/unit_tests
BPF_TEST   := $(BUILD)/tests/bpf_tests
BENCH_XDP  := $(BUILD)/tests/bench_xdp
BENCH_SA   := $(BUILD)/tests/bench_sa_install
BENCH_DECAP := $(BUILD)/tests/bench_decap

.PHONY: all bpf daemon tests deps check test-unit test-bpf e2e demo \
	bench-xdp bench-sa bench-decap bench format format-check clean help install
.DELETE_ON_ERROR:
.SECONDARY:

all: bpf daemon tests

bpf: $(BPF_OBJS) $(SKELS)
daemon: $(PROGS)
tests: $(if $(UNIT_SRCS),$(UNIT_TEST)) $(if $(BPFT_SRCS),$(BPF_TEST)) \
	$(BENCH_BINS)

$(BUILD) $(BUILD)/tests:
	$(Q)mkdir -p $@

$(BUILD)/%.bpf.o: bpf/%.bpf.c | $(BUILD)
	$(call msg,CLANG,$@)
	$(Q)$(CLANG) $(BPF_CFLAGS) $(DEPFLAGS) -c $< -o $@

$(BUILD)/%.bpf.o: tests/bench/%.bpf.c | $(BUILD)
	$(call msg,CLANG,$@)
	$(Q)$(CLANG) $(BPF_CFLAGS) $(DEPFLAGS) -c $< -o $@

$(BUILD)/%.skel.h: $(BUILD)/%.bpf.o
	$(call msg,GEN-SKEL,$@)
	$(Q)$(BPFTOOL) gen skeleton $< name $* > $@

# A userspace object waits only for the skeletons its source includes
# (generated headers must exist before its first compile); -MMD tracks
# every other header.
skels_of = $(addprefix $(BUILD)/,$(shell sed -n 's/^\#include "\([a-z0-9_]*\.skel\.h\)".*/\1/p' $(1) 2>/dev/null))
.SECONDEXPANSION:
$(BUILD)/obj/%.o: %.c $$(call skels_of,$$*.c)
	$(call msg,CC,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(CFLAGS) $(DEPFLAGS) -c $< -o $@

DAEMON_OBJS := $(patsubst %.c,$(BUILD)/obj/%.o,\
	$(filter-out $(UDPESPD_LIB_SRCS),$(wildcard daemon/udpespd/*.c)))

$(BUILD)/udpespd: $(DAEMON_OBJS) $(LIB_OBJS)
	$(call msg,LINK,$@)
	$(Q)$(CC) $(CFLAGS) $^ $(LIBS) -o $@

# udpespctl: its own files, the control protocol, the SA checks, and map
# access for -P (libbpf); no ESP engine, crypto library, loader or skeleton.
CTL_SRCS := $(filter-out $(CTL_LIB_SRCS),$(wildcard daemon/udpespctl/*.c)) $(CTL_LIB_SRCS) \
	daemon/common/ctl_proto.c daemon/common/sa_check.c daemon/common/maps.c \
	daemon/common/addr.c daemon/common/counter_names.c
CTL_OBJS := $(patsubst %.c,$(BUILD)/obj/%.o,$(CTL_SRCS))
CTL_LIBS := $(shell pkg-config --libs libbpf 2>/dev/null || echo -lbpf -lelf -lz)

$(BUILD)/udpespctl: $(CTL_OBJS)
	$(call msg,LINK,$@)
	$(Q)$(CC) $(CFLAGS) $^ $(CTL_LIBS) -o $@

$(UNIT_TEST): $(patsubst %.c,$(BUILD)/obj/%.o,$(UNIT_SRCS)) $(LIB_OBJS) | $(BUILD)/tests
	$(call msg,LINK,$@)
	$(Q)$(CC) $(CFLAGS) $^ $(TEST_LIBS) -o $@

$(BPF_TEST): $(patsubst %.c,$(BUILD)/obj/%.o,$(BPFT_SRCS)) $(LIB_OBJS) | $(BUILD)/tests
	$(call msg,LINK,$@)
	$(Q)$(CC) $(CFLAGS) $^ $(TEST_LIBS) -o $@

# Unit tests include what tests/unit/gen_NAME.py writes to $(BUILD)/NAME.h.
UNIT_GEN := $(patsubst tests/unit/gen_%.py,$(BUILD)/%.h,$(wildcard tests/unit/gen_*.py))
$(UNIT_GEN): $(BUILD)/%.h: tests/unit/gen_%.py | $(BUILD)
	$(call msg,GEN,$@)
	$(Q)/usr/bin/python3 $< $@
# ... with the algorithms Scapy lacks, which they share.
$(UNIT_GEN): tests/unit/esp_algos.py
$(patsubst %.c,$(BUILD)/obj/%.o,$(UNIT_SRCS)): | $(UNIT_GEN)
# It reads daemon/esp/ to check what the ESP engine includes.
$(BUILD)/obj/tests/unit/test_layout.o: CFLAGS += -DUDPESP_SRCDIR='"$(CURDIR)"'
$(patsubst %.c,$(BUILD)/obj/%.o,$(BPFT_SRCS)): | $(UNIT_GEN)

# The ESP tests once more against OpenSSL, so that both crypto backends
# pass the same tests (suite unit-openssl of tests/run.sh).
ifeq ($(CRYPTO),ipsecmb)
UNIT_TEST_OPENSSL := $(BUILD)/tests/unit_tests_openssl
tests: $(UNIT_TEST_OPENSSL)
$(UNIT_TEST_OPENSSL): $(patsubst %.c,$(BUILD)/obj/%.o,$(wildcard tests/unit/test_esp_*.c)) \
		$(filter-out %/esp_crypto_ipsecmb.o,$(LIB_OBJS)) \
		$(BUILD)/obj/daemon/esp/esp_crypto_openssl.o | $(BUILD)/tests
	$(call msg,LINK,$@)
	$(Q)$(CC) $(CFLAGS) $^ $(filter-out $(CRYPTO_LIBS),$(TEST_LIBS)) -lcrypto -o $@
endif

$(BENCH_BINS): $(BUILD)/tests/%: $(BUILD)/obj/tests/bench/%.o \
		$(patsubst %.c,$(BUILD)/obj/%.o,$(BENCH_HELPERS)) $(LIB_OBJS) | $(BUILD)/tests
	$(call msg,LINK,$@)
	$(Q)$(CC) $(CFLAGS) $^ $(LIBS) -o $@

# The charon plugin (daemon/strongswan/), compiled against the strongSwan
# source tree `make deps` fetches, with swan_config.h for configure's
# config.h (check_config.sh compares it with the installed libraries).
SWAN_SRC    := $(BUILD)/strongswan/src
SWAN_PLUGIN := $(BUILD)/libstrongswan-kernel-udpesp.so
SWAN_SRCS   := $(wildcard daemon/strongswan/kernel_udpesp_*.c) daemon/strongswan/swan_conn.c \
	daemon/strongswan/xform.c daemon/common/ctl_proto.c
SWAN_OBJS   := $(patsubst %.c,$(BUILD)/swan/%.o,$(SWAN_SRCS))
SWAN_CFLAGS := -O2 -g -std=gnu11 -fPIC -fvisibility=hidden -Wall -Wextra -Werror \
	-Wno-unused-parameter -Wno-missing-field-initializers -Wno-sign-compare \
	-include daemon/strongswan/swan_config.h -Iinclude -Idaemon \
	-I$(SWAN_SRC)/src/libstrongswan -I$(SWAN_SRC)/src/libcharon

.PHONY: swan
all: swan
# Looked for when the rule runs, not when make starts: `make check` fetches
# the source (deps) in the same run.
swan:
	@if [ -e $(SWAN_SRC)/src/libcharon/daemon.h ]; then \
		$(MAKE) -s --no-print-directory $(SWAN_PLUGIN); \
	else echo "swan: no strongSwan source in $(SWAN_SRC) (make deps fetches it): $(SWAN_PLUGIN) not built"; fi

$(BUILD)/swan/config.ok: daemon/strongswan/swan_config.h daemon/strongswan/check_config.sh
	$(call msg,CHECK,$<)
	$(Q)mkdir -p $(@D)
	$(Q)daemon/strongswan/check_config.sh $< && touch $@

$(BUILD)/swan/%.o: %.c $(BUILD)/swan/config.ok
	$(call msg,CC,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(SWAN_CFLAGS) $(DEPFLAGS) -c $< -o $@

# Only the plugin's entry point is exported; charon resolves the rest.
$(SWAN_PLUGIN): $(SWAN_OBJS)
	$(call msg,LINK,$@)
	$(Q)$(CC) -shared $^ -lpthread -o $@

# Idempotent: apt runs only when a package is missing.
deps:
	@missing=$$(for p in $(DEPS_PKGS); do \
		dpkg-query -W -f='$${Status}\n' $$p 2>/dev/null | grep -q 'ok installed' || echo $$p; \
	done); \
	if [ -z "$$missing" ]; then echo "deps: all $(words $(DEPS_PKGS)) packages installed"; \
	else echo "deps: installing" $$missing; \
		apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y $(DEPS_PKGS); fi
	@daemon/strongswan/fetch_source.sh $(BUILD)

# Every test (unit, BPF, docs, end to end); ends with "N passed, N failed,
# N skipped", then the style check. No apt here: `make deps check` (the
# README's command) or .ci/run installs the packages first.
check: all
	$(Q)tests/run.sh
	$(Q)$(MAKE) --no-print-directory format-check

test-unit: $(UNIT_TEST) $(UNIT_TEST_OPENSSL)
	$(Q)tests/run.sh unit $(if $(UNIT_TEST_OPENSSL),unit-openssl)

test-bpf: $(BPF_TEST)
	$(Q)tests/run.sh bpf

e2e: all
	$(Q)tests/run.sh e2e

# The IKE-driven demo (strongSwan on both ends, udpesp under the gateway's
# charon); demo-manual: the same tunnel keyed by hand with udpespctl.
.PHONY: demo-manual
demo: deps all
	$(Q)tests/demo/demo_ike.sh

demo-manual: deps all
	$(Q)tests/demo/demo.sh

bench-xdp: $(BENCH_XDP)
	$(Q)$(BENCH_XDP)

# SAs per second through udpespd's control socket (starts its own udpespd).
bench-sa: $(BENCH_SA) $(BUILD)/udpespd
	$(Q)$(BENCH_SA)

# Decapsulated packets per second, veth -> XDP -> AF_XDP worker -> TUN,
# against each part alone (starts its own udpespd in namespaces).
$(BENCH_BINS): $(BUILD)/obj/daemon/udpespd/tun.o
bench-decap: $(BENCH_DECAP) $(BUILD)/udpespd
	$(Q)$(BENCH_DECAP)

# Every receive path against its baselines and ceilings in one run, then
# the SA table, SA installs and XDP on other traffic (tests/bench/run.sh):
# a table, build/bench/results.json, build/bench/pps.png. BENCH_QUICK=1:
# under 2 minutes; default under 10.
bench: $(PROGS) $(BPF_OBJS) $(BENCH_BINS)
	$(Q)tests/bench/run.sh

# ns per 1400-byte ESP packet through esp_crypto, every suite: bench_crypto
# on the backend CRYPTO= chose and, with ipsecmb, bench_crypto_openssl.
.PHONY: bench-crypto
ifeq ($(CRYPTO),ipsecmb)
BENCH_CRYPTO_OPENSSL := $(BUILD)/tests/bench_crypto_openssl
tests: $(BENCH_CRYPTO_OPENSSL)
$(BENCH_CRYPTO_OPENSSL): $(BUILD)/obj/tests/bench/bench_crypto.o \
		$(filter-out %/esp_crypto_ipsecmb.o,$(LIB_OBJS)) \
		$(BUILD)/obj/daemon/esp/esp_crypto_openssl.o | $(BUILD)/tests
	$(call msg,LINK,$@)
	$(Q)$(CC) $(CFLAGS) $^ $(filter-out $(CRYPTO_LIBS),$(LIBS)) -lcrypto -o $@
endif
bench-crypto: $(BUILD)/tests/bench_crypto $(BENCH_CRYPTO_OPENSSL)
	$(Q)$(BUILD)/tests/bench_crypto
	$(if $(BENCH_CRYPTO_OPENSSL),$(Q)$(BENCH_CRYPTO_OPENSSL))

# The kfunc backend (AES-GCM inside XDP) against the AF_XDP path, same frames.
.PHONY: bench-kfunc
bench-kfunc: $(BUILD)/tests/bench_kfunc
	$(Q)$(BUILD)/tests/bench_kfunc
bench: bench-kfunc

# The kernel keyring as the store of SA keys that outlive udpespd (issue 16):
# one key per SA against batched keys, 100,000 and 1,000,000 SAs.
.PHONY: bench-keystore
bench-keystore: $(BUILD)/tests/bench_keystore
	$(Q)$(BUILD)/tests/bench_keystore

# Style (.clang-format: the kernel's settings, 100 columns) with the
# clang-format that make deps installs.
CLANG_FORMAT ?= clang-format-19
FORMAT_SRCS = $(shell git ls-files '*.c' '*.h')
format:
	$(CLANG_FORMAT) -i $(FORMAT_SRCS)
format-check:
	$(call msg,FORMAT,$(words $(FORMAT_SRCS)) files)
	$(Q)$(CLANG_FORMAT) --dry-run --Werror $(FORMAT_SRCS)

# ---- Fuzzing and sanitizers (issue 13) ----
# libFuzzer harnesses in tests/fuzz/fuzz_NAME.c, each with its seed corpus
# in tests/fuzz/corpus/NAME/, built with clang-19 under ASan and UBSan into
# $(BUILD)/fuzz. `make fuzz FUZZ_SECONDS=N` runs each for N seconds (new
# inputs go to $(BUILD)/fuzz/corpus/NAME, crashes to $(BUILD)/fuzz/);
# tests/run.sh's suite `fuzz` runs each over its corpus for FUZZ_RUNS
# executions, so a regression fails `make check`.
FUZZ_DIR      := $(BUILD)/fuzz
FUZZ_SAN      := -fsanitize=address,undefined -fno-sanitize-recover=all
FUZZ_CFLAGS   := -g -O1 -fno-omit-frame-pointer $(FUZZ_SAN) -std=gnu11 -Wall -Wextra -Werror \
	-Iinclude -Idaemon -I$(BUILD) $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
FUZZ_LIB_SRCS := $(ESP_SRCS) daemon/common/ctl_proto.c daemon/common/sa_check.c \
	daemon/udpespctl/sa_parse.c daemon/common/maps.c daemon/common/addr.c daemon/udpespd/sa_esp.c
FUZZ_LIB_OBJS := $(patsubst %.c,$(FUZZ_DIR)/obj/%.o,$(FUZZ_LIB_SRCS))
FUZZ_NAMES    := $(patsubst tests/fuzz/fuzz_%.c,%,$(wildcard tests/fuzz/fuzz_*.c))
FUZZ_BINS     := $(patsubst %,$(FUZZ_DIR)/fuzz_%,$(FUZZ_NAMES))
FUZZ_SECONDS  ?= 60

.PHONY: fuzz fuzz-build
fuzz-build: $(FUZZ_BINS)

$(FUZZ_DIR)/obj/%.o: %.c
	$(call msg,CC-FUZZ,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CLANG) $(FUZZ_CFLAGS) -fsanitize=fuzzer-no-link $(DEPFLAGS) -c $< -o $@

$(FUZZ_DIR)/fuzz_%: $(FUZZ_DIR)/obj/tests/fuzz/fuzz_%.o $(FUZZ_LIB_OBJS)
	$(call msg,LINK,$@)
	$(Q)$(CLANG) $(FUZZ_CFLAGS) -fsanitize=fuzzer $^ $(LIBS) -o $@

fuzz: $(FUZZ_BINS)
	$(Q)for n in $(FUZZ_NAMES); do \
		mkdir -p $(FUZZ_DIR)/corpus/$$n && \
		echo "=== fuzz_$$n: $(FUZZ_SECONDS) s" && \
		$(FUZZ_DIR)/fuzz_$$n -max_total_time=$(FUZZ_SECONDS) \
			-artifact_prefix=$(FUZZ_DIR)/fuzz_$$n- -print_final_stats=1 \
			$(FUZZ_DIR)/corpus/$$n tests/fuzz/corpus/$$n || exit 1; \
	done

# The unit suites and udpespd built once more with clang-19 under ASan and
# UBSan (any report aborts), into their own build directory; tests/run.sh
# runs them as the suites unit-asan and ctl-asan.
SAN_BUILD := $(BUILD)/asan
.PHONY: asan
asan:
	$(Q)CFLAGS="-O1 -g -fno-omit-frame-pointer $(FUZZ_SAN)" $(MAKE) --no-print-directory \
		BUILD=$(SAN_BUILD) CC=$(CLANG) CRYPTO=$(CRYPTO) CLANG_SYS_INC="$(CLANG_SYS_INC)" \
		$(SAN_BUILD)/udpespd $(SAN_BUILD)/udpespctl $(SAN_BUILD)/tests/unit_tests
check: fuzz-build asan

PREFIX ?= /usr/local
# charon looks for plugins only in its own directory and reads its
# settings from /etc/strongswan.d: these do not follow PREFIX.
SWAN_PLUGINDIR ?= /usr/lib/ipsec/plugins
SWAN_CONFDIR ?= /etc/strongswan.d/charon
.PHONY: uninstall
install: all
	install -D -m 0755 $(BUILD)/udpespd $(DESTDIR)$(PREFIX)/sbin/udpespd
	install -D -m 0755 $(BUILD)/udpespctl $(DESTDIR)$(PREFIX)/sbin/udpespctl
	install -D -m 0644 $(BUILD)/udpesp.bpf.o $(DESTDIR)$(PREFIX)/lib/udpesp/udpesp.bpf.o
	install -D -m 0644 docs/udpespd.8 $(DESTDIR)$(PREFIX)/share/man/man8/udpespd.8
	install -D -m 0644 docs/udpespctl.8 $(DESTDIR)$(PREFIX)/share/man/man8/udpespctl.8
	install -d $(DESTDIR)$(PREFIX)/lib/systemd/system
	sed 's|/usr/local/sbin/|$(PREFIX)/sbin/|' docs/udpespd.service \
		> $(DESTDIR)$(PREFIX)/lib/systemd/system/udpespd.service
	$(if $(wildcard $(SWAN_PLUGIN)),install -D -m 0644 $(SWAN_PLUGIN) \
		$(DESTDIR)$(SWAN_PLUGINDIR)/libstrongswan-kernel-udpesp.so,@echo "install: $(SWAN_PLUGIN) not built (make deps): charon plugin not installed")
	$(if $(wildcard $(SWAN_PLUGIN)),install -D -m 0644 daemon/strongswan/kernel-udpesp.conf \
		$(DESTDIR)$(SWAN_CONFDIR)/kernel-udpesp.conf)

uninstall:
	rm -f $(DESTDIR)$(PREFIX)/sbin/udpespd $(DESTDIR)$(PREFIX)/sbin/udpespctl \
		$(DESTDIR)$(PREFIX)/lib/udpesp/udpesp.bpf.o \
		$(DESTDIR)$(PREFIX)/share/man/man8/udpespd.8 \
		$(DESTDIR)$(PREFIX)/share/man/man8/udpespctl.8 \
		$(DESTDIR)$(PREFIX)/lib/systemd/system/udpespd.service \
		$(DESTDIR)$(SWAN_PLUGINDIR)/libstrongswan-kernel-udpesp.so \
		$(DESTDIR)$(SWAN_CONFDIR)/kernel-udpesp.conf
	-rmdir $(DESTDIR)$(PREFIX)/lib/udpesp 2>/dev/null

clean:
	rm -rf $(BUILD)

help:
	@echo 'make            build build/udpesp.bpf.o, udpespd, udpespctl and the tests'
	@echo 'make deps       install the Debian packages udpesp needs (apt, as root)'
	@echo 'make check      run every test (root for the BPF and end-to-end ones), then format-check'
	@echo 'make deps check the same on a fresh machine: install the packages first'
	@echo 'make format-check  fail if clang-format-19 would change a file; make format: change them'
	@echo 'make demo       strongSwan (IKEv2) drives udpesp, in network namespaces'
	@echo 'make demo-manual the hand-keyed walk-through (udpespctl sa add)'
	@echo 'make install    udpespd, udpespctl, BPF object, man pages, unit, charon plugin (PREFIX, DESTDIR)'
	@echo 'make uninstall  removes what make install put there'
	@echo 'make bench      every receive path against its baselines and ceilings (BENCH_QUICK=1: short)'
	@echo 'make bench-xdp  ns per packet through BPF_PROG_TEST_RUN against a bare program'
	@echo 'make bench-sa   SAs per second through the udpespd control socket, up to 1,000,000'
	@echo 'make bench-decap decapsulated packets per second through the whole inbound path'
	@echo 'make bench-crypto ns per 1400-byte ESP packet, every suite, both crypto backends'
	@echo 'make bench-keystore SA keys in the kernel keyring: per-SA vs batched keys, 100k and 1M SAs'
	@echo 'make V=1        show full commands'

# Not into the strongSwan source tree (make deps): it has directories named *.d.
-include $(shell find $(BUILD) -path $(BUILD)/strongswan -prune -o -name '*.d' -type f -print 2>/dev/null)
