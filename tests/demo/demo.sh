#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
#
# `make demo`: a whole tunnel through a NAT with udpesp on both ends.
#
#   client ──veth── nat (nftables masquerade) ──veth── gateway
#   inner 203.0.113.2                                  inner 203.0.113.1
#   198.51.100.130/25   198.51.100.129 | 192.0.2.2     192.0.2.1
#
# udpesp is attached to the client's and the gateway's veth with `ip link`,
# udpespd runs on each and adopts those maps, one SA per direction
# (AES-GCM-128, fresh random keys) is added with udpespctl, then ping and
# iperf3 run through the tunnel. Everything lives in network namespaces and
# a private mount namespace (bpffs) and is removed on exit, also on Ctrl-C
# or failure. Exits non-zero if udpesp did not behave as described.
set -u

# shellcheck source=tests/e2e/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/../e2e/lib.sh"
# shellcheck source=tests/demo/demo_lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/demo_lib.sh"

NS_CLIENT=$UET_PREFIX-client
NS_NAT=$UET_PREFIX-nat
NS_GW=$UET_PREFIX-gw
# iproute2 pins into $TC_BPF_MNT/tc/globals: one bpffs per end.
PIN_CLIENT=$UET_BPFFS/client/tc/globals
PIN_GW=$UET_BPFFS/tc/globals
DAEMON=$UET_ROOT/build/udpespd
DEMO_TIME=${DEMO_TIME:-3}

client_ctl() { nsx "$NS_CLIENT" "$UET_CTL" -s "$UET_TMP/client.sock" "$@"; }
gw_ctl() { nsx "$NS_GW" "$UET_CTL" -s "$UET_TMP/gw.sock" "$@"; }

demo_down() {
	local ns
	uet_kill_pids
	for ns in "$NS_CLIENT" "$NS_NAT" "$NS_GW"; do
		[ -e "/run/netns/$ns" ] && ip netns del "$ns" 2>/dev/null
	done
	[ -n "$UET_TMP" ] && rm -rf "$UET_TMP"
	UET_TMP=
}

[ "$(id -u)" -eq 0 ] || die "needs root (XDP, network namespaces, bpffs)"
uet_enter_mntns "$@" || die "$REASON"
cd "$UET_ROOT" || exit 1
trap demo_down EXIT
trap 'echo "interrupted" >&2; exit 130' INT
trap 'exit 143' TERM
uet_tmp_init || die "mktemp failed"
UET_LOG=$UET_TMP/demo.log
missing=$(uet_missing_tools ip bpftool jq nsenter nft ping iperf3 mount)
[ -z "$missing" ] || die "missing tools: $missing (make deps)"
[ -e "$UET_OBJ" ] && [ -x "$UET_CTL" ] && [ -x "$DAEMON" ] || die "build/ is incomplete: run make"
uet_bpffs_mount || die "$REASON"

say "1. Three network namespaces: a client behind a NAPT, the NAPT, a gateway (documentation addresses)."
uet_napt3_up "$NS_CLIENT" "$NS_NAT" "$NS_GW" || die "cannot build the namespaces"
echo "   client $CLIENT_OUT -> nat $NAT_IN | $NAT_OUT -> gateway $GW_OUT"
run nsx "$NS_NAT" nft add table ip nat
run nsx "$NS_NAT" nft add chain ip nat post '{ type nat hook postrouting priority 100; }'
run nsx "$NS_NAT" nft add rule ip nat post oifname n1 masquerade

say "2. Attach udpesp with iproute2 on both ends (TC_BPF_MNT gives the client its own bpffs):"
mkdir -p "$UET_BPFFS/client"
run env TC_BPF_MNT="$UET_BPFFS/client" nsenter --net="/run/netns/$NS_CLIENT" ip link set dev c0 xdp obj "$UET_OBJ" sec xdp
run nsenter --net="/run/netns/$NS_GW" ip link set dev g0 xdp obj "$UET_OBJ" sec xdp
ip -n "$NS_GW" link show dev g0 | sed -n 's/^ *\(prog\/xdp.*\)/   gateway g0: \1/p'

say "3. udpespd on each end adopts the pinned maps and opens its AF_XDP workers:"
for side in client gw; do
	ns=$NS_GW pin=$PIN_GW
	[ $side = client ] && ns=$NS_CLIENT pin=$PIN_CLIENT
	# --flush-on-exit: the demo's SAs and their keys in the kernel keyring
	# go when it ends (by default udpespd keeps them for its next start).
	uet_echo nsenter --net="/run/netns/$ns" "$DAEMON" --foreground --pin-dir "$pin" --socket "$UET_TMP/$side.sock" --flush-on-exit
	nsenter --net="/run/netns/$ns" -- "$DAEMON" --foreground --pin-dir "$pin" \
		--socket "$UET_TMP/$side.sock" --keepalive 5 --log "$UET_TMP/$side.log" --flush-on-exit &
	UET_PIDS+=($!)
	uet_wait 10 test -S "$UET_TMP/$side.sock" || die "udpespd ($side) did not start"
done
uet_wait 10 grep -q "AF_XDP worker" "$UET_TMP/gw.log" || die "no AF_XDP worker on the gateway"
uet_wait 10 grep -q "AF_XDP worker" "$UET_TMP/client.log" || die "no AF_XDP worker on the client"
grep -h "AF_XDP worker" "$UET_TMP/client.log" "$UET_TMP/gw.log" | sed 's/^.*info: /   /'

say "4. One SA per direction, AES-GCM-128 with fresh random keys (never printed),"
echo "   each read from a file only root can read (@FILE), so no key is in any command line:"
K_UP=@$UET_TMP/up.key
K_DOWN=@$UET_TMP/down.key
(
	umask 077
	printf '0x%s\n' "$(od -An -tx1 -N20 /dev/urandom | tr -d ' \n')" >"${K_UP#@}" &&
		printf '0x%s\n' "$(od -An -tx1 -N20 /dev/urandom | tr -d ' \n')" >"${K_DOWN#@}"
) || die "cannot write the key files"
AEAD=(aead 'rfc4106(gcm(aes))')
SEL_UP=(sel src "$CLIENT_INNER/32" dst "$GW_INNER/32")
SEL_DOWN=(sel src "$GW_INNER/32" dst "$CLIENT_INNER/32")
sa() { # sa SIDE ARGS...: udpespctl sa add, shown as run
	local side=$1
	shift
	echo "  \$ udpespctl ($side) sa add $*"
	"${side}_ctl" sa add "$@" | sed 's/^/    -> /' || die "sa add on $side failed"
	[ "${PIPESTATUS[0]}" = 0 ] || die "sa add on $side failed"
}
# The gateway sees the client as the NAPT's address.
sa gw dir in src "$NAT_OUT" dst "$GW_OUT" spi 0xc001 mode tunnel "${AEAD[@]}" "$K_UP" 128 \
	encap espinudp 4500 4500 0.0.0.0 replay-window 128 "${SEL_UP[@]}"
sa gw dir out src "$GW_OUT" dst "$NAT_OUT" spi 0x9001 mode tunnel "${AEAD[@]}" "$K_DOWN" 128 \
	encap espinudp 4500 4500 0.0.0.0 "${SEL_DOWN[@]}"
sa client dir in src "$GW_OUT" dst "$CLIENT_OUT" spi 0x9001 mode tunnel "${AEAD[@]}" "$K_DOWN" 128 \
	encap espinudp 4500 4500 0.0.0.0 replay-window 128 "${SEL_DOWN[@]}"
sa client dir out src "$CLIENT_OUT" dst "$GW_OUT" spi 0xc001 mode tunnel "${AEAD[@]}" "$K_UP" 128 \
	encap espinudp 4500 4500 0.0.0.0 "${SEL_UP[@]}"
{
	ip -n "$NS_CLIENT" addr add "$CLIENT_INNER/24" dev udpesp0 &&
		ip -n "$NS_GW" addr add "$GW_INNER/24" dev udpesp0 &&
		for ns in "$NS_CLIENT" "$NS_GW"; do
			nsx "$ns" sysctl -qw net.ipv4.conf.all.rp_filter=0 net.ipv4.conf.udpesp0.rp_filter=0
		done
} >>"$UET_LOG" 2>&1 || die "cannot address udpesp0"
echo "   udpesp0: client $CLIENT_INNER, gateway $GW_INNER (MTU $(ip -n "$NS_GW" -j link show udpesp0 | jq .[0].mtu), set by udpespd for the SAs)"

say "5. Through the tunnel: ping, then iperf3 (TCP, ${DEMO_TIME} s) from the client to the gateway:"
run nsx "$NS_CLIENT" ping -c 3 -i 0.2 -W 5 -I "$CLIENT_INNER" "$GW_INNER"
nsenter --net="/run/netns/$NS_GW" -- iperf3 -s -1 -B "$GW_INNER" >>"$UET_LOG" 2>&1 &
UET_PIDS+=($!)
sleep 0.5
uet_echo nsenter --net="/run/netns/$NS_CLIENT" iperf3 -c "$GW_INNER" -B "$CLIENT_INNER" -t "$DEMO_TIME"
nsx "$NS_CLIENT" iperf3 -c "$GW_INNER" -B "$CLIENT_INNER" -t "$DEMO_TIME" -f m >"$UET_TMP/iperf.out" 2>&1 ||
	{ cat "$UET_TMP/iperf.out"; die "iperf3 failed"; }
grep -E "sender|receiver" "$UET_TMP/iperf.out" | sed 's/^/   /'

say "6. What udpesp counted on the gateway (global counters by reason, then per SA):"
run gw_ctl stats
for c in DecapOk TxEsp RxXskRedirect; do
	[ "$(gw_ctl -j stats | jq -r ".counters.$c")" -gt 0 ] || die "gateway $c is 0"
done
for c in XfrmInStateProtoError XfrmInStateSeqError; do
	[ "$(gw_ctl -j stats | jq -r ".counters.$c")" = 0 ] || die "gateway $c is not 0"
done

say "The inbound SA in the XDP map, as bpftool prints it (no keys in any map):"
run bpftool map dump pinned "$PIN_GW/udpesp_sa"

say "What you saw: the client's packets left udpesp0, were encrypted by udpespd and sent
as ESP in UDP from port 4500; the NAPT rewrote their source; on the gateway udpesp_xdp
found the SA in XDP, redirected each packet to an AF_XDP worker that checked the replay
window, verified and decrypted it, and handed the inner packet to the stack through
udpesp0; the replies went back the same way. Everything is removed now."
