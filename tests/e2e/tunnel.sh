# SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
# shellcheck shell=bash
#
# End-to-end tests of a whole tunnel: udpespd on both ends (each in its
# namespace, each with its own pin directory on the test's bpffs), one SA
# per direction, traffic both ways through udpesp0 on each side. Sourced
# by run.sh after decap.sh (uses its dec_* helpers).

TUNNEL_TESTS="test_tunnel_both_ways"

PEER_INNER4=203.0.113.5

# udpespd in namespace NS, socket $UET_TMP/NAME.sock, maps under NAME/.
tun_daemon_up() {
	local ns=$1 name=$2 dev=$3 sock=$UET_TMP/$2.sock
	nsenter --net="/run/netns/$ns" -- "$UET_DAEMON" --foreground --socket "$sock" \
		--pin-dir "$UET_BPFFS/$name" --max-sa 64 --keepalive 1 \
		--log "$UET_TMP/$name.log" --debug &
	UET_PIDS+=($!)
	uet_wait 10 test -S "$sock" || { fail "udpespd ($name) did not start: $(tail -3 "$UET_TMP/$name.log")"; return; }
	q nsx "$ns" "$UET_CTL" -s "$sock" link attach dev "$dev" || { fail "$name: link attach"; return; }
	q nsx "$ns" sysctl -qw net.ipv4.conf.all.rp_filter=0 net.ipv4.conf.default.rp_filter=0 \
		net.ipv4.conf.udpesp0.rp_filter=0 || { fail "$name: sysctl"; return; }
}

# tctl NS NAME ARGS...: udpespctl against that daemon.
tctl() {
	local ns=$1 name=$2
	shift 2
	q nsx "$ns" "$UET_CTL" -s "$UET_TMP/$name.sock" "$@" ||
		{ fail "$name: udpespctl $*: $(tail -2 "$UET_LOG")"; return; }
}

test_tunnel_both_ways() {
	local gcm_in gcm_out p mon=$UET_TMP/gw-monitor.out
	gcm_in=$(od -An -tx1 -N20 /dev/urandom | tr -d ' \n')
	gcm_out=$(od -An -tx1 -N20 /dev/urandom | tr -d ' \n')
	tun_daemon_up "$UET_NS_GW" gw "$UET_DEV_GW" || return
	tun_daemon_up "$UET_NS_PEER" peer "$UET_DEV_PEER" || return
	local aead=(aead 'rfc4106(gcm(aes))')
	# Peer -> gateway uses gcm_in, gateway -> peer gcm_out.
	tctl "$UET_NS_GW" gw sa add dir in src "$UET_PEER4" dst "$UET_GW4" spi 0x1001 mode tunnel \
		"${aead[@]}" "0x$gcm_in" 128 encap espinudp 4500 4500 0.0.0.0 \
		sel src "$INNER_PEER_NET" dst 198.51.100.0/24 || return
	tctl "$UET_NS_GW" gw sa add dir out src "$UET_GW4" dst "$UET_PEER4" spi 0x2001 mode tunnel \
		"${aead[@]}" "0x$gcm_out" 128 encap espinudp 4500 4500 0.0.0.0 \
		sel src 198.51.100.0/24 dst "$INNER_PEER_NET" || return
	tctl "$UET_NS_PEER" peer sa add dir in src "$UET_GW4" dst "$UET_PEER4" spi 0x2001 mode tunnel \
		"${aead[@]}" "0x$gcm_out" 128 encap espinudp 4500 4500 0.0.0.0 \
		sel src 198.51.100.0/24 dst "$INNER_PEER_NET" || return
	tctl "$UET_NS_PEER" peer sa add dir out src "$UET_PEER4" dst "$UET_GW4" spi 0x1001 mode tunnel \
		"${aead[@]}" "0x$gcm_in" 128 encap espinudp 4500 4500 0.0.0.0 \
		sel src "$INNER_PEER_NET" dst 198.51.100.0/24 || return
	q nsx "$UET_NS_GW" ip addr add "$INNER_GW4/24" dev udpesp0 &&
		q nsx "$UET_NS_GW" ip route add "$INNER_PEER_NET" dev udpesp0 &&
		q nsx "$UET_NS_PEER" ip addr add "$PEER_INNER4/24" dev udpesp0 &&
		q nsx "$UET_NS_PEER" ip route add 198.51.100.0/24 dev udpesp0 src "$PEER_INNER4" ||
		{ fail "inner addressing"; return; }
	uet_wait 10 tun_workers_up || { fail "no AF_XDP workers"; return; }
	nsenter --net="/run/netns/$UET_NS_GW" -- "$UET_CTL" -s "$UET_TMP/gw.sock" -j monitor >"$mon" 2>>"$UET_LOG" &
	UET_PIDS+=($!)

	# ICMP both ways: the echo goes out through the peer's outbound SA,
	# the reply through the gateway's.
	q nsx "$UET_NS_PEER" ping -c 3 -i 0.2 -W 5 -I "$PEER_INNER4" "$INNER_GW4" ||
		{ fail "ping through the tunnel failed"; return; }
	# UDP, byte for byte, to a socket on the gateway.
	uet_listen rx 5000 || return
	p=$(printf 'through udpesp both ways' | od -An -tx1 | tr -d ' \n')
	q nsx "$UET_NS_PEER" "$PYTHON" "$UET_UDP" send "$INNER_GW4" 5000 "$p" ||
		{ fail "udp send"; return; }
	uet_expect_rx rx 5000 v4 "$p" || return
	# Both daemons sent ESP and decapsulated what the other sent.
	for side in gw peer; do
		local ns=$UET_NS_GW
		[ $side = peer ] && ns=$UET_NS_PEER
		local st
		st=$(nsx "$ns" "$UET_CTL" -s "$UET_TMP/$side.sock" -j stats 2>>"$UET_LOG")
		[ "$(jq -r '.counters.TxEsp' <<<"$st")" -ge 3 ] ||
			fail "$side: TxEsp $(jq -c .counters <<<"$st")" || return
		[ "$(jq -r '.counters.DecapOk' <<<"$st")" -ge 3 ] ||
			fail "$side: DecapOk $(jq -c .counters <<<"$st")" || return
	done
	# sa show reports the outbound sequence number in use.
	[ "$(nsx "$UET_NS_GW" "$UET_CTL" -s "$UET_TMP/gw.sock" -j sa show handle 2 | jq -r '.oseq')" -ge 3 ] ||
		fail "gw outbound SA: seq not advancing: $(nsx "$UET_NS_GW" "$UET_CTL" -s "$UET_TMP/gw.sock" -j sa show handle 2)" || return
	# Idle: NAT-keepalives (1 s here) go out and the peer's XDP drops them.
	uet_wait 10 tun_keepalives_seen || fail "no keepalive reached the peer"
}

tun_workers_up() {
	[ "$(bpftool -j map dump pinned "$UET_BPFFS/gw/udpesp_xsks" 2>/dev/null | jq length)" -gt 0 ] &&
		[ "$(bpftool -j map dump pinned "$UET_BPFFS/peer/udpesp_xsks" 2>/dev/null | jq length)" -gt 0 ]
}

tun_keepalives_seen() {
	[ "$(nsx "$UET_NS_PEER" "$UET_CTL" -s "$UET_TMP/peer.sock" -j stats 2>/dev/null | jq -r '.counters.RxKeepalive')" -ge 1 ]
}
