# SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
#
# Shared by tests/e2e/run.sh and tests/demo/demo.sh (source it, don't run
# it). It builds a throwaway world and tears it down again:
#
#   private mount namespace (unshare -m) with its own bpffs on /sys/fs/bpf
#     netns $UET_NS_PEER  [uet-peer 192.0.2.2 2001:db8::2]
#        | veth (nothing else: traffic never leaves the two namespaces)
#     netns $UET_NS_GW    [uet-gw   192.0.2.1 2001:db8::1]  <- udpesp_xdp
#
# Only documentation addresses (RFC 5737, RFC 3849) are used.
#
# Why nsenter and not `ip netns exec` / `ip -n` for anything touching
# bpffs: both make a new mount namespace and remount /sys for the target
# netns, which hides our bpffs. iproute2 then mounts a fresh bpffs of its
# own to pin into, and that one vanishes when `ip` exits: the attach
# "works" but the pinned maps are lost. `nsenter --net` switches only the
# network namespace, so `ip link ... xdp obj` pins into our bpffs.

# shellcheck disable=SC2034 # UET_* variables are for the sourcing scripts
UET_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
UET_BUILD=$UET_ROOT/${BUILD:-build}
UET_OBJ=$UET_BUILD/udpesp.bpf.o
UET_CTL=$UET_BUILD/udpespctl
UET_UDP=$UET_ROOT/tests/e2e/udp.py
PYTHON=${PYTHON:-python3}
# Resolve wrappers (pyenv shims) once: faster, and the pid we start is python's.
PYTHON=$("$PYTHON" -c 'import sys; print(sys.executable)' 2>/dev/null || echo "$PYTHON")

UET_BPFFS=/sys/fs/bpf
# Where iproute2 pins LIBBPF_PIN_BY_NAME maps (xdp/ and ip/ are symlinks to tc/).
UET_PIN=$UET_BPFFS/tc/globals
UET_MAPS=(udpesp_ports udpesp_parser udpesp_sa udpesp_replay udpesp_sa_stats
	udpesp_stats udpesp_xsks udpesp_xsk_base udpesp_xsk_cnt udpesp_xsk_sa udpesp_kf_prog)

# $$ is stable across the re-exec (unshare execs in place): the names are
# unique per run, so concurrent runs never touch each other's namespaces.
UET_PREFIX=uet-$$
UET_NS_PEER=$UET_PREFIX-peer
UET_NS_GW=$UET_PREFIX-gw
# Interface names live inside the namespaces: no clash with the host.
UET_DEV_PEER=uet-peer
UET_DEV_GW=uet-gw
UET_GW4=192.0.2.1
UET_PEER4=192.0.2.2
UET_GW6=2001:db8::1
UET_PEER6=2001:db8::2

UET_TMP=
UET_LOG=/dev/null
UET_PIDS=()
REASON=

# ---- the private mount namespace ------------------------------------------

# Re-executes the calling script under `unshare -m` once (guard variable),
# so every mount below dies with this process. Returns 1, with REASON set,
# if that is impossible; the caller decides what to skip.
uet_enter_mntns() {
	[ -n "${UET_IN_MNTNS:-}" ] && return 0
	if ! unshare --mount --propagation private true 2>/dev/null; then
		REASON="cannot create a mount namespace (unshare -m)"
		return 1
	fi
	export UET_IN_MNTNS=$$
	exec unshare --mount --propagation private -- "$BASH" "$(readlink -f "$0")" "$@"
}

# A new bpffs instance over /sys/fs/bpf: every mount of bpffs is a separate
# instance, so the host's pins (if any) are hidden, never touched.
uet_bpffs_mount() {
	[ -n "${UET_IN_MNTNS:-}" ] || { REASON="not in a private mount namespace"; return 1; }
	mount -t bpf bpf "$UET_BPFFS" || { REASON="cannot mount bpffs on $UET_BPFFS"; return 1; }
	[ "$(stat -f -c %T "$UET_BPFFS")" = bpf_fs ] || { REASON="$UET_BPFFS is not bpffs"; return 1; }
}

uet_tmp_init() {
	UET_TMP=$(mktemp -d /tmp/udpesp-e2e.XXXXXX) || return 1
}

# Everything this run created, in reverse order. Safe to call twice.
uet_teardown() {
	uet_env_down
	mountpoint -q "$UET_BPFFS" && [ "$(stat -f -c %T "$UET_BPFFS")" = bpf_fs ] &&
		[ -n "${UET_IN_MNTNS:-}" ] && umount "$UET_BPFFS" 2>/dev/null
	[ -n "$UET_TMP" ] && rm -rf "$UET_TMP"
	UET_TMP=
}

# EXIT runs the teardown; INT/TERM/HUP exit so that EXIT runs it (once).
uet_traps() {
	trap uet_teardown EXIT
	trap 'echo "interrupted" >&2; exit 130' INT
	trap 'exit 143' TERM
	trap 'exit 129' HUP
}

# ---- small tools ----------------------------------------------------------

fail() { REASON="$*"; return 1; }
skip() { REASON="$*"; return 2; }

# Run quietly, keeping output in the test's log (shown on failure). With
# UET_ECHO=1 (the demo) show the command first, paths relative to the repo.
UET_ECHO=${UET_ECHO:-0}
q() {
	[ "$UET_ECHO" = 1 ] && uet_echo "$@"
	"$@" >>"$UET_LOG" 2>&1
}
uet_echo() {
	local cmd="$*"
	[ "$1" = nsx ] && cmd="nsenter --net=/run/netns/$2 ${*:3}"
	cmd=${cmd//"$PYTHON"/python3}
	echo "  \$ ${cmd//"$UET_ROOT/"/}"
}

# Run a command in a network namespace only (our mount namespace, our bpffs).
nsx() {
	local ns=$1
	shift
	nsenter --net="/run/netns/$ns" -- "$@"
}

# uet_wait SECONDS CMD...: poll CMD until it succeeds (short steps, no fixed sleep).
uet_wait() {
	local tries=$(($1 * 50))
	shift
	while ! "$@"; do
		tries=$((tries - 1))
		[ $tries -gt 0 ] || return 1
		sleep 0.02
	done
}

# Which of the tools a test needs are missing (empty when none).
uet_missing_tools() {
	local t missing=
	for t in "$@"; do
		command -v "$t" >/dev/null 2>&1 || missing="$missing $t"
	done
	echo "${missing# }"
}

# Bytes as bpftool wants them: "hex 01 02 ...".
hex_le32() { printf '%02x %02x %02x %02x' $(($1 & 255)) $(($1 >> 8 & 255)) $(($1 >> 16 & 255)) $(($1 >> 24 & 255)); }
hex_be32() { printf '%02x %02x %02x %02x' $(($1 >> 24 & 255)) $(($1 >> 16 & 255)) $(($1 >> 8 & 255)) $(($1 & 255)); }
hex_be16() { printf '%02x %02x' $(($1 >> 8 & 255)) $(($1 & 255)); }
hex_zero() { local i out=; for ((i = 0; i < $1; i++)); do out+="00 "; done; echo "${out% }"; }
# IPv4 address into the 16 bytes of an addr[4] field (addr[0], rest zero).
hex_addr4() {
	local -a o
	IFS=. read -ra o <<<"$1"
	printf '%02x %02x %02x %02x %s' "${o[0]}" "${o[1]}" "${o[2]}" "${o[3]}" "$(hex_zero 12)"
}

# uet_map_update MAP "KEY BYTES" "VALUE BYTES": one entry of a pinned map;
# bpftool wants one argument per byte.
uet_map_update() {
	local -a k v
	read -ra k <<<"$2"
	read -ra v <<<"$3"
	q bpftool map update pinned "$UET_PIN/$1" key hex "${k[@]}" value hex "${v[@]}"
}

# ---- the two namespaces ---------------------------------------------------

uet_env_up() {
	local mac
	q ip netns add "$UET_NS_PEER" || { fail "ip netns add $UET_NS_PEER"; return; }
	q ip netns add "$UET_NS_GW" || { fail "ip netns add $UET_NS_GW"; return; }
	q ip -n "$UET_NS_GW" link add "$UET_DEV_GW" type veth \
		peer name "$UET_DEV_PEER" netns "$UET_NS_PEER" ||
		{ fail "cannot create a veth pair"; return; }
	q ip -n "$UET_NS_GW" addr add "$UET_GW4/24" dev "$UET_DEV_GW" &&
		q ip -n "$UET_NS_GW" addr add "$UET_GW6/64" dev "$UET_DEV_GW" nodad &&
		q ip -n "$UET_NS_PEER" addr add "$UET_PEER4/24" dev "$UET_DEV_PEER" &&
		q ip -n "$UET_NS_PEER" addr add "$UET_PEER6/64" dev "$UET_DEV_PEER" nodad &&
		q ip -n "$UET_NS_GW" link set lo up && q ip -n "$UET_NS_PEER" link set lo up &&
		q ip -n "$UET_NS_GW" link set "$UET_DEV_GW" up &&
		q ip -n "$UET_NS_PEER" link set "$UET_DEV_PEER" up ||
		{ fail "cannot configure the veth pair"; return; }
	# Permanent neighbours: the first datagram goes out at once, no ARP/ND race.
	mac=$(uet_gw_link -j | jq -r '.[0].address')
	q ip -n "$UET_NS_PEER" neigh replace "$UET_GW4" lladdr "$mac" dev "$UET_DEV_PEER" nud permanent &&
		q ip -n "$UET_NS_PEER" neigh replace "$UET_GW6" lladdr "$mac" dev "$UET_DEV_PEER" nud permanent ||
		{ fail "cannot add neighbours"; return; }
}

# Stop every process a test started (UET_PIDS) and wait for it. A pid
# that leads a process group (started under setsid) takes its group
# along: tshark's dumpcap, a shell's children. What ignores SIGTERM for
# 5 s gets SIGKILL.
uet_kill_pids() {
	local pid i
	for pid in "${UET_PIDS[@]}"; do
		kill -TERM -- "-$pid" 2>/dev/null || kill -TERM "$pid" 2>/dev/null
	done
	for pid in "${UET_PIDS[@]}"; do
		for ((i = 0; i < 250; i++)); do
			kill -0 "$pid" 2>/dev/null || break
			sleep 0.02
		done
		kill -KILL -- "-$pid" 2>/dev/null || kill -KILL "$pid" 2>/dev/null
		wait "$pid" 2>/dev/null
	done
	UET_PIDS=()
}

# What a run left behind (empty when nothing): processes that carry this
# run's mark in their environment, its network namespaces, mounts of
# them, pins in its bpffs. Every child inherits UET_RUN_MARK. Run it in
# the runner's shell itself: the pids are listed once, before any helper
# of this function starts.
export UET_RUN_MARK=$UET_PREFIX
uet_leftovers() {
	local f pid
	for f in /proc/[0-9]*/environ; do
		pid=${f#/proc/}
		pid=${pid%/environ}
		[ "$pid" = $$ ] || [ "$pid" = "$BASHPID" ] && continue
		grep -qz "^UET_RUN_MARK=$UET_PREFIX\$" "$f" 2>/dev/null || continue
		echo "process $pid: $(tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | cut -c1-80)"
	done
	for f in /run/netns/"$UET_PREFIX"-*; do
		[ -e "$f" ] && echo "network namespace ${f##*/}"
	done
	grep -F "/run/netns/$UET_PREFIX-" /proc/self/mountinfo | awk '{print "mount " $5}'
	if [ "$(stat -f -c %T "$UET_BPFFS" 2>/dev/null)" = bpf_fs ] && [ -n "${UET_IN_MNTNS:-}" ]; then
		# progs.debug, maps.debug: the kernel's own (bpf_preload), in every bpffs.
		find "$UET_BPFFS" -mindepth 1 ! -name progs.debug ! -name maps.debug 2>/dev/null |
			sed 's/^/pin /'
	fi
}

# Undo uet_env_up and whatever a test attached or pinned. Deleting the
# gateway namespace destroys its veth and with it the XDP program.
uet_env_down() {
	local ns st
	uet_kill_pids
	# udpespd keeps its SAs for the next start (issue 16): not across tests.
	[ -n "$UET_TMP" ] && while read -r st; do
		"$PYTHON" "$UET_ROOT/tests/e2e/keyring.py" purge "$st" >>"$UET_LOG" 2>&1
		rm -f "$st"
	done < <(find "$UET_TMP" -name '*.state' 2>/dev/null)
	for ns in "$UET_NS_GW" "$UET_NS_PEER"; do
		[ -e "/run/netns/$ns" ] && ip netns del "$ns" 2>/dev/null
	done
	# Every pin of every test (tc/, xdp/, ip/, a test's own --pin-dir) in
	# our private bpffs, but the kernel's own iterators.
	if [ -n "${UET_IN_MNTNS:-}" ] && [ "$(stat -f -c %T "$UET_BPFFS" 2>/dev/null)" = bpf_fs ]; then
		find "$UET_BPFFS" -mindepth 1 -maxdepth 1 ! -name progs.debug ! -name maps.debug \
			-exec rm -rf {} + 2>/dev/null
	fi
}

# ---- udpesp in the gateway namespace -------------------------------------

# uet_attach [xdp|xdpgeneric|xdpdrv]: the contract command, run in the
# gateway's network namespace only (see the top of this file).
uet_attach() {
	q nsx "$UET_NS_GW" ip link set dev "$UET_DEV_GW" "${1:-xdp}" obj "$UET_OBJ" sec xdp ||
		{ fail "ip link set dev $UET_DEV_GW ${1:-xdp} obj $UET_OBJ sec xdp failed"; return; }
}

uet_detach() {
	q nsx "$UET_NS_GW" ip link set dev "$UET_DEV_GW" "${1:-xdp}" off ||
		{ fail "ip link set dev $UET_DEV_GW ${1:-xdp} off failed"; return; }
}

# `ip link show` of the gateway veth; extra ip options (-j, -d) first.
# stderr goes to the log: resolving "link-netns" makes ip open every name
# in /run/netns, and those of a concurrent run are plain files in our
# mount namespace ("Peer netns reference is invalid"), which is harmless.
uet_gw_link() { ip -n "$UET_NS_GW" "$@" link show dev "$UET_DEV_GW" 2>>"$UET_LOG"; }

# The "xdp" object of the gateway veth as iproute2 reports it ("null" if none).
uet_xdp_json() { uet_gw_link -j -d | jq -c '.[0].xdp'; }

# uet_parser_add PORT FAMILY HANDLE: a parser entry for any interface and
# any local address (struct udpesp_parser_key/_val of include/udpesp/abi.h).
uet_parser_add() {
	uet_map_update udpesp_parser \
		"$(hex_le32 0) $(hex_be16 "$1") $(printf %02x "$2") 00 $(hex_zero 16)" \
		"$(hex_le32 "$3") 01 00 00 00" ||
		{ fail "bpftool: cannot add parser entry port $1 family $2"; return; }
}

# uet_ports_set PORT N: udpesp_ports[PORT].entries = N (host-order index).
uet_ports_set() {
	uet_map_update udpesp_ports "$(hex_le32 "$1")" "$(hex_le32 "$2")" ||
		{ fail "bpftool: cannot set udpesp_ports[$1]"; return; }
}

# Parser entries for UDP 4500 over IPv4 and IPv6, as udpespd would add them.
uet_parser_4500() {
	uet_parser_add 4500 2 1 && uet_parser_add 4500 10 2 && uet_ports_set 4500 2
}

# uet_stat NAME: one global counter, via udpespctl -j stats.
uet_stat() {
	"$UET_CTL" -P "$UET_PIN" -j stats 2>>"$UET_LOG" | jq -r --arg n "$1" '.counters[$n] // "missing"'
}

# ---- a client behind a NAPT and a gateway (the demo's and the bench's) -----
#
#   client c0 198.51.100.130/25 -> nat n0 .129/25 | n1 192.0.2.2/24 -> gateway g0 192.0.2.1/24
#
# Inner addresses on udpesp0: client 203.0.113.2, gateway 203.0.113.1.
CLIENT_OUT=198.51.100.130
NAT_IN=198.51.100.129
NAT_OUT=192.0.2.2
GW_OUT=192.0.2.1
CLIENT_INNER=203.0.113.2
GW_INNER=203.0.113.1

# uet_napt3_up CLIENT NAT GW: the three namespaces above, links up, the
# client's default route via the NAT, the NAT forwarding (its nftables
# rules are the caller's). Output goes to the log.
uet_napt3_up() {
	local c=$1 n=$2 g=$3 ns
	for ns in "$c" "$n" "$g"; do ip netns add "$ns" || return; done
	{
		ip -n "$c" link add c0 type veth peer name n0 netns "$n" &&
			ip -n "$n" link add n1 type veth peer name g0 netns "$g" &&
			ip -n "$c" addr add "$CLIENT_OUT/25" dev c0 &&
			ip -n "$n" addr add "$NAT_IN/25" dev n0 &&
			ip -n "$n" addr add "$NAT_OUT/24" dev n1 &&
			ip -n "$g" addr add "$GW_OUT/24" dev g0 &&
			for ns in "$c" "$n" "$g"; do ip -n "$ns" link set lo up; done &&
			ip -n "$c" link set c0 up && ip -n "$n" link set n0 up &&
			ip -n "$n" link set n1 up && ip -n "$g" link set g0 up &&
			ip -n "$c" route add default via "$NAT_IN" &&
			nsx "$n" sysctl -qw net.ipv4.ip_forward=1
	} >>"$UET_LOG" 2>&1
}

# ---- traffic ---------------------------------------------------------------

# uet_listen NAME PORT...: UDP listener in the gateway namespace; returns
# once its sockets are bound. Datagrams land in $UET_TMP/NAME.rx.
uet_listen() {
	local name=$1 ready=$UET_TMP/$1.ready
	shift
	rm -f "$ready" "$UET_TMP/$name.rx"
	: >"$UET_TMP/$name.rx"
	# nsenter itself, not the nsx function: a function would run in a
	# forked subshell and $! would not be the listener.
	nsenter --net="/run/netns/$UET_NS_GW" -- "$PYTHON" "$UET_UDP" listen \
		"$ready" "$UET_TMP/$name.rx" "$@" >>"$UET_LOG" 2>&1 &
	UET_PIDS+=($!)
	uet_wait 5 test -e "$ready" || { fail "listener on $* did not start"; return; }
	# Its own pid too, in case a wrapper sits between nsenter and python.
	UET_PIDS+=("$(cat "$ready")")
}

# uet_send ADDR PORT HEX...: datagrams from the peer namespace, in order.
uet_send() {
	q nsx "$UET_NS_PEER" "$PYTHON" "$UET_UDP" send "$@" || { fail "sending to $1 port $2 failed"; return; }
}

# uet_received NAME PORT v4|v6 HEX: did exactly this payload arrive?
uet_received() { grep -qx "$2 $3 $4" "$UET_TMP/$1.rx"; }

# uet_expect_rx NAME PORT v4|v6 HEX: wait for it to arrive byte for byte.
uet_expect_rx() {
	uet_wait 10 uet_received "$@" ||
		fail "payload $4 to port $2 ($3) never arrived; got: $(tr '\n' ';' <"$UET_TMP/$1.rx")"
}
