#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
#
# `make demo`: a short walk-through of udpesp's receive path, until the
# full demo with udpespd and real SAs exists. Two network namespaces
# (peer, gateway) joined by a veth pair, udpesp attached with `ip link`,
# one parser entry for UDP 4500, then a NAT-keepalive, an IKE packet and
# an ESP packet for an unknown SPI from the peer. Everything lives in its
# own mount namespace with a private bpffs and is removed on exit, also on
# Ctrl-C or failure. Exits non-zero if udpesp did not behave as described.
set -u

# shellcheck source=tests/e2e/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/../e2e/lib.sh"

IKE=00000000$(printf '%s' 0123456789abcdef 0000000000000000 21202208 00000000 0000001c)
KEEPALIVE=ff
ESP_UNKNOWN=00001001000000015a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a

say() { printf '\n%s\n' "$*"; }
show() { # show CMD...: print it (as lib.sh's q does), then run it
	uet_echo "$@"
	"$@" || die "'$*' failed"
}
die() {
	echo "demo: FAILED: $*" >&2
	[ -s "$UET_LOG" ] && tail -n 20 "$UET_LOG" | sed 's/^/  | /' >&2
	exit 1
}

[ "$(id -u)" -eq 0 ] || die "needs root (XDP, network namespaces, bpffs)"
uet_enter_mntns "$@" || die "$REASON"
cd "$UET_ROOT" || exit 1
uet_traps
uet_tmp_init || die "mktemp failed"
UET_LOG=$UET_TMP/demo.log
UET_ECHO=1
missing=$(uet_missing_tools ip bpftool jq nsenter "$PYTHON" mount)
[ -z "$missing" ] || die "missing tools: $missing (make deps)"
[ -e "$UET_OBJ" ] && [ -x "$UET_CTL" ] || die "build/ is incomplete: run make"
uet_bpffs_mount || die "$REASON"

say "1. Two network namespaces and a veth pair between them (documentation addresses):"
echo "   peer    $UET_NS_PEER  $UET_DEV_PEER  $UET_PEER4  $UET_PEER6"
echo "   gateway $UET_NS_GW  $UET_DEV_GW  $UET_GW4  $UET_GW6"
UET_ECHO=0 uet_env_up || die "$REASON"

say "2. Attach udpesp to the gateway's veth with iproute2 (on a host: ip link set dev eth0 xdp obj ...)."
echo "   nsenter switches only the network namespace, so iproute2 pins the maps into our bpffs:"
uet_attach xdp || die "$REASON"
echo "   pinned under $UET_PIN: $(cd "$UET_PIN" && echo *)"

say "3. A parser entry for UDP 4500 (what udpespd adds with the first inbound SA), written with bpftool:"
uet_parser_add 4500 2 1 && uet_ports_set 4500 1 || die "$REASON"
echo "   key: ifindex 0 (any), port 4500 in network order (11 94), family 2 (IPv4), address 0 (any)"
echo "   value: parser handle 1, encapsulation 1 (ESP in UDP, RFC 3948); udpesp_ports[4500] = 1 entry"

say "4. From the peer: a NAT-keepalive, an IKE packet and ESP for SPI 0x1001 (no such SA), all to UDP 4500:"
UET_ECHO=0 uet_listen rx 4500 || die "$REASON"
uet_send "$UET_GW4" 4500 "$KEEPALIVE" "$IKE" "$ESP_UNKNOWN" || die "$REASON"
uet_expect_rx rx 4500 v4 "$IKE" && uet_expect_rx rx 4500 v4 "$ESP_UNKNOWN" || die "$REASON"
! uet_received rx 4500 v4 "$KEEPALIVE" || die "the keepalive reached the socket"
echo "   The gateway's UDP socket on 4500 received:"
while read -r _ _ hex; do
	case $hex in
	00000000*) echo "     IKE, $((${#hex} / 2)) bytes, non-ESP marker intact (XDP_PASS)" ;;
	*) echo "     ESP SPI 0x${hex:0:8}, $((${#hex} / 2)) bytes: no SA here, so the stack decides (XDP_PASS)" ;;
	esac
done <"$UET_TMP/rx.rx"
echo "     but not the keepalive: udpesp counted and dropped it (XDP_DROP)."

say "5. What the tools show. ip link: the program on the veth, attached in native (driver) mode:"
uet_echo ip -n "$UET_NS_GW" link show dev "$UET_DEV_GW"
uet_gw_link || die "ip link show failed"

say "bpftool map show, for the maps of that program (the full list has every map on the host):"
prog_id=$(uet_xdp_json | jq -r '.prog.id')
for id in $(bpftool -j prog show id "$prog_id" | jq -r '.map_ids[]'); do
	bpftool map show id "$id" | head -n 1
done

say "bpftool prints entries by field name (BTF). BTF knows no byte order: port 4500 (bytes 11 94)
shows as 37905 on a little-endian host."
show bpftool map dump pinned "$UET_PIN/udpesp_parser"

say "udpespctl stats: counters named after /proc/net/xfrm_stat where Linux has one:"
show "$UET_CTL" -P "$UET_PIN" stats
for c in RxKeepalive:1 RxIke:1 RxEsp:1 XfrmInNoStates:1; do
	got=$(uet_stat "${c%%:*}")
	[ "$got" = "${c#*:}" ] || die "${c%%:*} is $got, want ${c#*:}"
done
echo "   RxKeepalive 1 (dropped), RxIke 1 (passed), RxEsp 1 and XfrmInNoStates 1 (unknown SPI, passed)."

say "Done: namespaces, veth, program and maps are removed on exit."
