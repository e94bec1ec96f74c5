#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
#
# End-to-end tests of udpesp_xdp attached with `ip link`, in the style of
# xdp-tools' test_runner.sh: each test_<scenario> gets a fresh pair of
# network namespaces (see lib.sh), prints PASS/FAIL/SKIP, and the run ends
# with exactly one line "N passed, N failed, N skipped".
#
# Usage: tests/e2e/run.sh [test_name ...]     (default: ALL_TESTS)
# Needs root; otherwise every test is skipped. Nothing reaches the host's
# /sys/fs/bpf or its network: the run has its own mount namespace and bpffs.
set -u

ALL_TESTS="test_ip_link_attach test_bpftool_typed_maps
	test_udp_other_port_and_ike_pass test_unknown_spi_passes
	test_detach_leaves_nothing test_generic_mode"

# shellcheck source=tests/e2e/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
# shellcheck source=tests/e2e/decap.sh
. "$(dirname "${BASH_SOURCE[0]}")/decap.sh"
ALL_TESTS="$ALL_TESTS $DECAP_TESTS"
. "$(dirname "${BASH_SOURCE[0]}")/kfunc.sh"; ALL_TESTS="$ALL_TESTS $KFUNC_TESTS" # shellcheck source=tests/e2e/kfunc.sh
# shellcheck source=tests/e2e/tunnel.sh
. "$(dirname "${BASH_SOURCE[0]}")/tunnel.sh"
ALL_TESTS="$ALL_TESTS $TUNNEL_TESTS"
# shellcheck source=tests/e2e/gso.sh
. "$(dirname "${BASH_SOURCE[0]}")/gso.sh"
ALL_TESTS="$ALL_TESTS $GSO_TESTS"
# shellcheck source=tests/e2e/restart.sh
. "$(dirname "${BASH_SOURCE[0]}")/restart.sh"
ALL_TESTS="$ALL_TESTS $RESTART_TESTS"
# shellcheck source=tests/e2e/napt.sh
. "$(dirname "${BASH_SOURCE[0]}")/napt.sh"
ALL_TESTS="$ALL_TESTS $NAPT_TESTS"
# shellcheck source=tests/e2e/harden.sh
. "$(dirname "${BASH_SOURCE[0]}")/harden.sh"
ALL_TESTS="$ALL_TESTS $HARDEN_TESTS"
# shellcheck source=tests/e2e/ctl.sh
. "$(dirname "${BASH_SOURCE[0]}")/ctl.sh"
ALL_TESTS="$ALL_TESTS $CTL_TESTS"
# shellcheck source=tests/e2e/swan.sh
. "$(dirname "${BASH_SOURCE[0]}")/swan.sh"
ALL_TESTS="$ALL_TESTS $SWAN_TESTS"

# Payloads (hex). IKE: the 4-byte non-ESP marker, then an IKE_SA_INIT header.
IKE=00000000$(printf '%s' 0123456789abcdef 0000000000000000 21202208 00000000 0000001c)
KEEPALIVE=ff
# ESP with SPI 0x1001, sequence number 1, and 16 bytes that no SA will read.
ESP_UNKNOWN=00001001000000015a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a
OTHER=48656c6c6f2c20706f727420353030300a # "Hello, port 5000\n"

# bpftool prints __be fields as plain integers read in host byte order.
host_is_le() { [ "$(printf '\001\000' | od -An -tu2 | tr -d ' ')" = 1 ]; }

# ---- tests -------------------------------------------------------------

test_ip_link_attach() {
	local xdp prog_id pinned_ids prog_ids m n

	uet_attach || return
	xdp=$(uet_xdp_json)
	[ "$(jq -r '.prog.name' <<<"$xdp")" = udpesp_xdp ] ||
		fail "ip -j link show: xdp is $xdp, want prog udpesp_xdp" || return
	# 1 = XDP_ATTACHED_DRV: veth runs the program in its own NAPI loop.
	[ "$(jq -r '.mode' <<<"$xdp")" = 1 ] || fail "want native mode (1), got $xdp" || return
	uet_gw_link | grep -Eq "prog/xdp id [0-9]+ name udpesp_xdp" ||
		fail "ip link show does not report prog/xdp ... name udpesp_xdp" || return

	for m in "${UET_MAPS[@]}"; do
		[ -e "$UET_PIN/$m" ] || fail "$m not pinned under $UET_PIN" || return
		[ "$(bpftool -j map show pinned "$UET_PIN/$m" 2>>"$UET_LOG" | jq -r .name)" = "$m" ] ||
			fail "$UET_PIN/$m is not the map $m" || return
	done
	n=$(find "$UET_PIN" -mindepth 1 | wc -l)
	[ "$n" = "${#UET_MAPS[@]}" ] || fail "$n pins under $UET_PIN, want ${#UET_MAPS[@]}" || return

	# The pins must be the maps the attached program uses, not leftovers
	# (the workers' counter arrays are pinned but never used by XDP).
	prog_id=$(jq -r '.prog.id' <<<"$xdp")
	prog_ids=$(bpftool -j prog show id "$prog_id" | jq -c '.map_ids | sort')
	pinned_ids=$(for m in "${UET_MAPS[@]}"; do
		case $m in udpesp_xsk_cnt | udpesp_xsk_sa) continue ;; esac
		bpftool -j map show pinned "$UET_PIN/$m" | jq .id
	done | jq -sc 'sort')
	[ "$prog_ids" = "$pinned_ids" ] ||
		fail "prog $prog_id uses maps $prog_ids, pinned are $pinned_ids" || return
}

test_bpftool_typed_maps() {
	local dump key val spi_want port_want daddr_want missing
	local -a kb

	uet_attach && uet_parser_add 4500 2 1 || return
	# struct udpesp_sa_key {spi 0x1001, AF_INET, daddr 192.0.2.1} ->
	# struct udpesp_sa {handle 7, slot 3, parser 1, flags ESN, backend xsk,
	#   mode tunnel, alg AES-GCM-16, encap espinudp, min_len 64, gen 5}
	key="$(hex_be32 0x1001) 02 00 00 00 $(hex_addr4 "$UET_GW4")"
	val="$(hex_le32 7) $(hex_le32 3) $(hex_le32 1) $(hex_le32 2) 01 01 01 01 40 00 00 00 $(hex_le32 5) $(hex_le32 0)"
	uet_map_update udpesp_sa "$key" "$val" ||
		fail "bpftool map update udpesp_sa failed" || return

	dump=$(bpftool -j map dump pinned "$UET_PIN/udpesp_sa" 2>>"$UET_LOG")
	echo "udpesp_sa: $dump" >>"$UET_LOG"
	[ "$(jq length <<<"$dump")" = 1 ] || fail "udpesp_sa dump has $(jq length <<<"$dump") entries, want 1" || return
	# bpftool 7.1 JSON: [{"key":[raw bytes],"value":[raw bytes],"formatted":{"key":{...},"value":{...}}}]
	[ "$(jq -c '.[0].formatted.key | keys_unsorted' <<<"$dump")" = '["spi","family","pad","daddr"]' ] ||
		fail "udpesp_sa key fields: $(jq -c '.[0].formatted.key' <<<"$dump")" || return
	missing=$(jq -c '["handle","slot","parser","flags","backend","mode","alg","encap","min_len","gen"]
		- (.[0].formatted.value | keys)' <<<"$dump")
	[ "$missing" = "[]" ] || fail "udpesp_sa value lacks fields $missing" || return
	[ "$(jq -c '.[0].formatted.value | [.handle,.slot,.parser,.flags,.backend,.mode,.alg,.encap,.min_len,.gen]' <<<"$dump")" = "[7,3,1,2,1,1,1,1,64,5]" ] ||
		fail "udpesp_sa value: $(jq -c '.[0].formatted.value' <<<"$dump")" || return
	# BTF has no byte order: a __be32 prints as the u32 its bytes make on this host.
	if host_is_le; then
		spi_want=$((0x01100000)) daddr_want=$((0x010200c0)) port_want=$((0x9411))
	else
		spi_want=$((0x1001)) daddr_want=$((0xc0000201)) port_want=4500
	fi
	[ "$(jq -c '.[0].formatted.key | [.spi,.family,.daddr]' <<<"$dump")" = "[$spi_want,2,[$daddr_want,0,0,0]]" ] ||
		fail "udpesp_sa key: $(jq -c '.[0].formatted.key' <<<"$dump")" || return
	# Without -j bpftool prints the same structure, field names included.
	bpftool map dump pinned "$UET_PIN/udpesp_sa" | grep -q '"slot": 3' ||
		fail "plain bpftool map dump udpesp_sa shows no \"slot\": 3" || return

	dump=$(bpftool -j map dump pinned "$UET_PIN/udpesp_parser" 2>>"$UET_LOG")
	echo "udpesp_parser: $dump" >>"$UET_LOG"
	[ "$(jq -c '.[0].formatted | [.key.ifindex,.key.port,.key.family,.key.addr,.value.handle,.value.encap]' <<<"$dump")" = "[0,$port_want,2,[0,0,0,0],1,1]" ] ||
		fail "udpesp_parser entry: $(jq -c '.[0].formatted' <<<"$dump")" || return
	# The port pre-filter is a plain array: key and value print as numbers too.
	uet_ports_set 4500 1 || return
	read -ra kb <<<"$(hex_le32 4500)"
	[ "$(bpftool -j map lookup pinned "$UET_PIN/udpesp_ports" key hex "${kb[@]}" |
		jq -c '.formatted')" = '{"key":4500,"value":{"entries":1,"variants":0,"pad":0}}' ] ||
		fail "udpesp_ports[4500] does not print as {key 4500, value {entries 1, variants 0, pad 0}}" || return
}

# Shared by the native and generic tests: over IPv4 and then IPv6, a
# keepalive and an IKE packet to 4500 (the IKE one doubles as the marker
# that everything before it has been through XDP), plus datagrams to 5000.
check_ike_keepalive() {
	local fam addr n=0 got

	uet_listen rx 4500 5000 || return
	for fam in v4 v6; do
		n=$((n + 1))
		addr=$UET_GW4
		[ $fam = v6 ] && addr=$UET_GW6
		# Not a parser port: even a keepalive-looking byte must arrive.
		uet_send "$addr" 5000 "$KEEPALIVE" "$OTHER" "$IKE" &&
			uet_send "$addr" 4500 "$KEEPALIVE" "$IKE" || return
		uet_expect_rx rx 5000 $fam "$KEEPALIVE" && uet_expect_rx rx 5000 $fam "$OTHER" &&
			uet_expect_rx rx 5000 $fam "$IKE" && uet_expect_rx rx 4500 $fam "$IKE" || return
		! uet_received rx 4500 $fam "$KEEPALIVE" ||
			fail "NAT-keepalive to 4500 ($fam) reached the socket" || return
		got=$(uet_stat RxKeepalive)
		[ "$got" = $n ] || fail "RxKeepalive is $got after $n keepalive(s), want $n" || return
		got=$(uet_stat RxIke)
		[[ "$got" =~ ^[0-9]+$ ]] && [ "$got" -ge $n ] ||
			fail "RxIke is $got after $n IKE packet(s), want >= $n" || return
	done
	# Nothing else at 4500: exactly the two IKE packets.
	got=$(grep -c '^4500 ' "$UET_TMP/rx.rx")
	[ "$got" = 2 ] || fail "$got datagrams at port 4500, want the 2 IKE packets" || return
}

test_udp_other_port_and_ike_pass() {
	uet_attach && uet_parser_4500 || return
	check_ike_keepalive
}

test_unknown_spi_passes() {
	local got

	uet_attach && uet_parser_4500 && uet_listen rx 4500 || return
	uet_send "$UET_GW4" 4500 "$ESP_UNKNOWN" && uet_expect_rx rx 4500 v4 "$ESP_UNKNOWN" || return
	got=$(uet_stat XfrmInNoStates)
	[ "$got" = 1 ] || fail "XfrmInNoStates is $got, want 1" || return
	got=$(uet_stat RxEsp)
	[ "$got" = 1 ] || fail "RxEsp is $got, want 1" || return
	uet_send "$UET_GW6" 4500 "$ESP_UNKNOWN" && uet_expect_rx rx 4500 v6 "$ESP_UNKNOWN" || return
	got=$(uet_stat XfrmInNoStates)
	[ "$got" = 2 ] || fail "XfrmInNoStates is $got after IPv6 too, want 2" || return
}

# IDs, not names: other suites may load their own udpesp_xdp meanwhile.
prog_gone() { ! bpftool prog show id "$1" >/dev/null 2>&1; }
maps_gone() {
	local id
	for id in "$@"; do
		bpftool map show id "$id" >/dev/null 2>&1 && return 1
	done
	return 0
}

# "Nothing behind": after `xdp off` the program is gone at once; the maps
# live on while pinned (that is what lets udpespd re-adopt them) and go
# once the pins are removed.
detach_check() {
	local mode=$1 prog_id id left
	local -a map_ids

	prog_id=$(uet_xdp_json | jq -r '.prog.id')
	mapfile -t map_ids < <(bpftool -j prog show id "$prog_id" | jq -r '.map_ids[]')
	[ ${#map_ids[@]} -gt 0 ] || fail "prog $prog_id has no maps" || return
	uet_detach "$mode" || return
	[ "$(uet_xdp_json)" = null ] || fail "xdp still attached after $mode off: $(uet_xdp_json)" || return
	if uet_gw_link | grep -q 'prog/xdp'; then
		fail "ip link show still lists prog/xdp"
		return
	fi
	uet_wait 2 prog_gone "$prog_id" || fail "prog id $prog_id still loaded after $mode off" || return
	if maps_gone "${map_ids[@]}"; then
		fail "maps went away while still pinned"
		return
	fi
	rm -f "${UET_MAPS[@]/#/$UET_PIN/}"
	uet_wait 3 maps_gone "${map_ids[@]}" || {
		left=$(for id in "${map_ids[@]}"; do bpftool -j map show id "$id" 2>/dev/null | jq -r .name; done)
		fail "maps left after unpinning: $(tr '\n' ' ' <<<"$left")"
		return
	}
	left=$(bpftool -j prog show | jq -r --argjson id "$prog_id" '.[] | select(.id == $id) | .name')
	[ -z "$left" ] || fail "bpftool prog show still lists $left ($prog_id)" || return
}

test_detach_leaves_nothing() {
	uet_attach && uet_parser_4500 || return
	detach_check xdp
}

test_generic_mode() {
	local xdp

	uet_attach xdpgeneric || return
	xdp=$(uet_xdp_json)
	# 2 = XDP_ATTACHED_SKB
	[ "$(jq -c '[.mode, .prog.name]' <<<"$xdp")" = '[2,"udpesp_xdp"]' ] ||
		fail "want generic mode (2) and udpesp_xdp, got $xdp" || return
	uet_gw_link | grep -q ' xdpgeneric ' ||
		fail "ip link show does not say xdpgeneric" || return
	uet_parser_4500 && check_ike_keepalive || return
	detach_check xdpgeneric
}

# ---- runner ------------------------------------------------------------

passed=0 failed=0 skipped=0

report() { # report NAME RC
	case $2 in
	0) echo "PASS $1"; passed=$((passed + 1)) ;;
	2) echo "SKIP $1: $REASON"; skipped=$((skipped + 1)) ;;
	*)
		echo "FAIL $1: ${REASON:-returned $2}"
		failed=$((failed + 1))
		[ -s "$UET_LOG" ] && tail -n 15 "$UET_LOG" | sed 's/^/    | /'
		;;
	esac
}

summary() {
	echo "$passed passed, $failed failed, $skipped skipped"
	[ "$failed" -eq 0 ]
}

# Every selected test skipped or failed for one reason (no environment).
all_as() {
	local rc=$1 t
	for t in $tests; do report "$t" "$rc"; done
	summary
	exit
}

tests=
for arg in "${@:-$ALL_TESTS}"; do
	for t in $arg; do
		[[ $t == test_* ]] || t=test_$t
		declare -F "$t" >/dev/null || { echo "unknown test: $t (have: $(tr -s '[:space:]' ' ' <<<"$ALL_TESTS"))" >&2; exit 2; }
		tests="$tests $t"
	done
done

REASON="needs root (XDP, network namespaces, bpffs)"
[ "$(id -u)" -eq 0 ] || all_as 2
uet_enter_mntns "$@" || all_as 2
cd "$UET_ROOT" || exit 1
uet_traps
uet_tmp_init || { REASON="mktemp failed"; all_as 1; }
missing=$(uet_missing_tools ip bpftool jq nsenter "$PYTHON" mount)
[ -z "$missing" ] || { REASON="missing tools: $missing"; all_as 2; }
uet_bpffs_mount || all_as 2
for f in "$UET_OBJ" "$UET_CTL"; do
	[ -e "$f" ] || { REASON="$f not built (run make)"; all_as 1; }
done

for t in $tests; do
	UET_LOG=$UET_TMP/$t.log
	: >"$UET_LOG"
	REASON=
	if uet_env_up; then
		"$t"
		rc=$?
	else
		rc=1 REASON="setup: $REASON"
	fi
	uet_env_down
	report "$t" "$rc"
done
# Nothing a test started may outlive the suite.
UET_LOG=$UET_TMP/leftovers.log
uet_leftovers >"$UET_LOG"
if [ -s "$UET_LOG" ]; then
	REASON="left behind: $(head -5 "$UET_LOG" | tr '\n' ';')"
	report suite_leftovers 1
else
	report suite_leftovers 0
fi
summary
