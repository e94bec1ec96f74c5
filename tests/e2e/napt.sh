# SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
# shellcheck shell=bash
#
# A whole tunnel through a NAPT, udpesp on both ends, and a LAN behind the
# gateway:
#
#   netns peer [uet-peer 203.0.113.130/25]   udpesp0 203.0.113.5/32
#     | veth                                   (the client)
#   netns nat  [nat-peer 203.0.113.129/25] -- nftables snat, random ports --
#              [nat-gw   192.0.2.2/24]
#     | veth
#   netns gw   [uet-gw   192.0.2.1/24]       udpesp0 198.51.100.1/32
#              [gw-lan   198.51.100.65/26]
#     | veth
#   netns lan  [lan-gw   198.51.100.70/26]   (a host behind the gateway)
#
# One SA per direction on each end (AES-GCM-128, random keys). The
# gateway's SAs name the client as the NAPT's 192.0.2.2 at port 4500, as
# IKE would before it learns the port: the client speaks first, and the
# gateway follows the mapping its authenticated packets show. Sourced by
# run.sh after decap.sh and tunnel.sh (uses their helpers).

NAPT_TESTS="test_napt_tcp_udp_both_ways test_napt_rebind_mid_stream
	test_napt_keepalive_interval test_napt_path_mtu"

NAPT_NS_LAN=$UET_PREFIX-lan
NAPT_CLIENT_IN=203.0.113.5
NAPT_GW_IN=198.51.100.1
NAPT_LAN_GW=198.51.100.65
NAPT_LAN_HOST=198.51.100.70
NAPT_KEEPALIVE=1

# napt_run BODY: BODY with the NAT and LAN namespaces removed afterwards,
# whatever happens (lib.sh removes the others).
napt_run() {
	local rc
	trap 'napt_down; uet_teardown' EXIT
	"$@"
	rc=$?
	napt_down
	trap uet_teardown EXIT
	return $rc
}

napt_down() {
	dec_napt_down
	[ -e "/run/netns/$NAPT_NS_LAN" ] && ip netns del "$NAPT_NS_LAN" 2>/dev/null
	return 0
}

# The LAN behind the gateway, reached through the gateway's routing.
napt_lan_up() {
	q ip netns add "$NAPT_NS_LAN" &&
		q ip -n "$UET_NS_GW" link add gw-lan type veth peer name lan-gw netns "$NAPT_NS_LAN" &&
		q ip -n "$UET_NS_GW" addr add "$NAPT_LAN_GW/26" dev gw-lan &&
		q ip -n "$NAPT_NS_LAN" addr add "$NAPT_LAN_HOST/26" dev lan-gw &&
		q ip -n "$UET_NS_GW" link set gw-lan up &&
		q ip -n "$NAPT_NS_LAN" link set lo up &&
		q ip -n "$NAPT_NS_LAN" link set lan-gw up &&
		q ip -n "$NAPT_NS_LAN" route add default via "$NAPT_LAN_GW" &&
		q nsx "$UET_NS_GW" sysctl -qw net.ipv4.ip_forward=1 ||
		fail "cannot build the LAN behind the gateway"
}

# The topology above with udpespd on both ends, SAs, inner addresses and
# routes; then the client pings the gateway, so the gateway learns where
# the NAPT put it. NAPT_KEEPALIVE sets both daemons' --keepalive.
napt_tunnel_up() {
	local k_in k_out
	dec_napt_up || return
	napt_lan_up || return
	k_in=$(od -An -tx1 -N20 /dev/urandom | tr -d ' \n')
	k_out=$(od -An -tx1 -N20 /dev/urandom | tr -d ' \n')
	TUN_KEEPALIVE=$NAPT_KEEPALIVE tun_daemon_up "$UET_NS_GW" gw "$UET_DEV_GW" || return
	TUN_KEEPALIVE=$NAPT_KEEPALIVE tun_daemon_up "$UET_NS_PEER" peer "$UET_DEV_PEER" || return
	local gcm=(aead 'rfc4106(gcm(aes))') encap=(encap espinudp 4500 4500 0.0.0.0)
	local c2g=(sel src "$NAPT_CLIENT_IN/32" dst 198.51.100.0/24)
	local g2c=(sel src 198.51.100.0/24 dst "$NAPT_CLIENT_IN/32")
	tctl "$UET_NS_GW" gw sa add dir in src "$UET_PEER4" dst "$UET_GW4" spi 0x3001 mode tunnel \
		"${gcm[@]}" "0x$k_in" 128 "${encap[@]}" "${c2g[@]}" &&
		tctl "$UET_NS_GW" gw sa add dir out src "$UET_GW4" dst "$UET_PEER4" spi 0x4001 mode tunnel \
			"${gcm[@]}" "0x$k_out" 128 "${encap[@]}" "${g2c[@]}" &&
		tctl "$UET_NS_PEER" peer sa add dir in src "$UET_GW4" dst "$NAPT_PEER4" spi 0x4001 mode tunnel \
			"${gcm[@]}" "0x$k_out" 128 "${encap[@]}" "${g2c[@]}" &&
		tctl "$UET_NS_PEER" peer sa add dir out src "$NAPT_PEER4" dst "$UET_GW4" spi 0x3001 mode tunnel \
			"${gcm[@]}" "0x$k_in" 128 "${encap[@]}" "${c2g[@]}" || return
	q nsx "$UET_NS_GW" ip addr add "$NAPT_GW_IN/32" dev udpesp0 &&
		q nsx "$UET_NS_GW" ip route add "$NAPT_CLIENT_IN/32" dev udpesp0 src "$NAPT_GW_IN" &&
		q nsx "$UET_NS_PEER" ip addr add "$NAPT_CLIENT_IN/32" dev udpesp0 &&
		q nsx "$UET_NS_PEER" ip route add 198.51.100.0/24 dev udpesp0 src "$NAPT_CLIENT_IN" ||
		{ fail "inner addressing"; return; }
	uet_wait 10 tun_workers_up || { fail "no AF_XDP workers"; return; }
	q nsx "$UET_NS_PEER" ping -c 2 -i 0.2 -W 5 "$NAPT_GW_IN" ||
		{ fail "the client cannot ping the gateway through the tunnel"; return; }
	napt_port_in 40000 40499 || fail "the gateway did not learn the NAPT's port"
}

# napt_sa FIELD HANDLE: a field of the gateway's SA (sport, dport, ...).
napt_sa() {
	nsx "$UET_NS_GW" "$UET_CTL" -s "$UET_TMP/gw.sock" -j sa show handle "$2" 2>>"$UET_LOG" |
		jq -r --arg f "$1" '.. | objects | select(has($f)) | .[$f]' | head -1
}

# napt_port_in LO HI: the gateway's inbound SA (1) came from, and its
# outbound SA (2) sends to, the same NAPT port, within LO-HI.
napt_port_in() {
	local p
	p=$(napt_sa sport 1)
	[[ $p =~ ^[0-9]+$ ]] && [ "$p" -ge "$1" ] && [ "$p" -le "$2" ] && [ "$(napt_sa dport 2)" = "$p" ]
}

# napt_counter SIDE NAME: a global counter of gw's or peer's udpespd.
napt_counter() {
	local ns=$UET_NS_GW
	[ "$1" = peer ] && ns=$UET_NS_PEER
	nsx "$ns" "$UET_CTL" -s "$UET_TMP/$1.sock" -j stats 2>>"$UET_LOG" | jq -r --arg n "$2" '.counters[$n]'
}

# napt_iperf NAME ARGS...: iperf3 from the client to the gateway's inner
# address (JSON in $UET_TMP/NAME.json), a one-off server on the gateway.
napt_iperf() {
	local name=$1
	shift
	nsenter --net="/run/netns/$UET_NS_GW" -- iperf3 -s -1 -B "$NAPT_GW_IN" >>"$UET_LOG" 2>&1 &
	UET_PIDS+=($!)
	uet_wait 5 napt_iperf_listening || { fail "iperf3 server did not start"; return; }
	nsx "$UET_NS_PEER" iperf3 -c "$NAPT_GW_IN" -B "$NAPT_CLIENT_IN" -J "$@" \
		>"$UET_TMP/$name.json" 2>>"$UET_LOG" ||
		{ fail "iperf3 $*: $(jq -r '.error // empty' "$UET_TMP/$name.json" 2>/dev/null)"; return; }
}

napt_iperf_listening() { nsx "$UET_NS_GW" ss -Htln "sport = :5201" | grep -q .; }

# napt_iperf_bytes NAME: bytes the receiving side counted.
napt_iperf_bytes() { jq -r '.end.sum_received.bytes // .end.sum.bytes // 0 | floor' "$UET_TMP/$1.json"; }

# TCP and UDP both ways through the tunnel and the NAPT: iperf3 TCP from
# the client and back (-R), then UDP datagrams, byte for byte, each way.
test_napt_tcp_udp_both_ways() { napt_run napt_both_ways; }
napt_both_ways() {
	local p b
	napt_tunnel_up || return
	napt_iperf tcp_up -t 2 || return
	napt_iperf tcp_down -t 2 -R || return
	for b in tcp_up tcp_down; do
		[ "$(napt_iperf_bytes $b)" -gt 1000000 ] ||
			fail "$b: only $(napt_iperf_bytes $b) bytes through the tunnel" || return
	done
	# UDP, exact payloads: client -> gateway, then gateway -> client.
	uet_listen rx 5000 || return
	p=$(hexof "client to gateway through the NAPT")
	q nsx "$UET_NS_PEER" "$PYTHON" "$UET_UDP" send "$NAPT_GW_IN" 5000 "$p" || { fail "udp send"; return; }
	uet_expect_rx rx 5000 v4 "$p" || return
	napt_listen_client || return
	p=$(hexof "gateway to client through the NAPT")
	q nsx "$UET_NS_GW" "$PYTHON" "$UET_UDP" send "$NAPT_CLIENT_IN" 5001 "$p" || { fail "udp send"; return; }
	uet_expect_rx crx 5001 v4 "$p" || return
	# Nothing the gateway routed to the client failed to leave. (Packets
	# matching no SA are counted, not failed: logged for the record.)
	echo "gw XfrmOutNoStates $(napt_counter gw XfrmOutNoStates):" \
		"$(grep 'no SA for' "$UET_TMP/gw.log" | tail -3 | tr '\n' ';')" >>"$UET_LOG"
	[ "$(napt_counter gw XfrmOutError)" = 0 ] ||
		fail "gw failed to send $(napt_counter gw XfrmOutError) packets: $(grep 'outbound' "$UET_TMP/gw.log" | tail -3 | tr '\n' ';')"
}

# A UDP listener on port 5001 in the client's namespace ($UET_TMP/crx.rx).
napt_listen_client() {
	local ready=$UET_TMP/crx.ready
	: >"$UET_TMP/crx.rx"
	nsenter --net="/run/netns/$UET_NS_PEER" -- "$PYTHON" "$UET_UDP" listen \
		"$ready" "$UET_TMP/crx.rx" 5001 >>"$UET_LOG" 2>&1 &
	UET_PIDS+=($!)
	uet_wait 5 test -e "$ready" || { fail "client listener did not start"; return; }
	UET_PIDS+=("$(cat "$ready")")
}

# The NAPT forgets the client mid-stream (its conntrack entry deleted,
# its port range moved, as after a NAPT restart) while the client sends
# TCP to the gateway: its next packets arrive from a new port, the
# gateway follows, its ACKs reach the client again, and the stream
# recovers and completes. (The client speaks: a NAT only learns a
# mapping from inside, and until then nothing from the gateway can reach
# the client; with only the gateway sending, recovery would wait for
# the client's IKE liveness check, which is not udpesp's.)
test_napt_rebind_mid_stream() { napt_run napt_rebind; }
napt_rebind() {
	local iperf old new last
	napt_tunnel_up || return
	old=$(napt_sa sport 1)
	nsenter --net="/run/netns/$UET_NS_GW" -- iperf3 -s -1 -B "$NAPT_GW_IN" >>"$UET_LOG" 2>&1 &
	UET_PIDS+=($!)
	uet_wait 5 napt_iperf_listening || { fail "iperf3 server did not start"; return; }
	nsenter --net="/run/netns/$UET_NS_PEER" -- iperf3 -c "$NAPT_GW_IN" -B "$NAPT_CLIENT_IN" \
		-t 6 -i 1 -J >"$UET_TMP/rebind.json" 2>>"$UET_LOG" &
	iperf=$!
	UET_PIDS+=($iperf)
	sleep 2
	dec_napt_rule 41000-41499 || return
	q nsx "$DEC_NS_NAT" conntrack -D -p udp --orig-port-src 4500 ||
		{ fail "conntrack -D found no entry for the client"; return; }
	echo "rebind: NAPT entry for port $old deleted" >>"$UET_LOG"
	wait "$iperf" || { fail "iperf3 failed across the rebind: $(jq -r '.error // empty' "$UET_TMP/rebind.json")"; return; }
	uet_wait 5 napt_port_in 41000 41499 ||
		{ fail "the gateway's SAs did not follow: in sport $(napt_sa sport 1), out dport $(napt_sa dport 2)"; return; }
	new=$(napt_sa sport 1)
	echo "rebind: client now at NAPT port $new" >>"$UET_LOG"
	# The stream ran on: data in the last two seconds (the rebind was at 2 s).
	last=$(jq '[.intervals[-2:][].sum.bytes] | add | floor' "$UET_TMP/rebind.json")
	[ "$last" -gt 100000 ] || fail "after the rebind only $last bytes in the last 2 s"
}

# NAT-keepalives at the configured interval (2 s here), from both ends,
# while idle; none while traffic flows. Captured in the NAT namespace
# (udpesp_xdp drops keepalives before a capture on the receiver would see
# them): a 1-byte 0xFF UDP payload on port 4500 (RFC 3948 4).
test_napt_keepalive_interval() { napt_run napt_keepalive; }
napt_keepalive() {
	local pcap=$UET_TMP/ka.pcap cap rows src n gaps
	[ -z "$(uet_missing_tools tshark)" ] || { skip "tshark not installed"; return; }
	NAPT_KEEPALIVE=2 napt_tunnel_up || return
	setsid nsenter --net="/run/netns/$DEC_NS_NAT" -- tshark -n -q -i nat-gw -f "udp port 4500" \
		-w "$pcap" >>"$UET_LOG" 2>&1 &
	cap=$!
	UET_PIDS+=($cap)
	uet_wait 10 test -s "$pcap" || { fail "tshark did not start capturing"; return; }
	# Busy for 4 s (a ping every 0.2 s both ways), then idle for 9 s.
	local busy_from
	busy_from=$(date +%s.%N)
	q nsx "$UET_NS_PEER" ping -c 20 -i 0.2 -W 2 "$NAPT_GW_IN" || { fail "ping"; return; }
	local idle_from
	idle_from=$(date +%s.%N)
	sleep 9
	kill "$cap" 2>/dev/null
	wait "$cap" 2>/dev/null
	# epoch time, source, UDP length, payload of every capture row.
	tshark -n -r "$pcap" -T fields -E separator=' ' -e frame.time_epoch -e ip.src \
		-e udp.length -e udp.payload >"$UET_TMP/ka.txt" 2>>"$UET_LOG"
	cat "$UET_TMP/ka.txt" >>"$UET_LOG"
	for src in "$UET_PEER4" "$UET_GW4"; do
		# Keepalives of this end: after the NAPT the client is 192.0.2.2.
		# (Those before the pings began were due to the set-up's idleness.)
		rows=$(awk -v s="$src" -v b="$busy_from" \
			'$1 > b + 0.5 && $2 == s && $3 == 9 && $4 == "ff" { print $1 }' "$UET_TMP/ka.txt")
		n=$(grep -c . <<<"$rows")
		[ "$n" -ge 3 ] || { fail "$src: $n keepalives in 9 idle seconds, want >= 3"; return; }
		# None while busy: the first comes at least an interval after the pings.
		awk -v t="$idle_from" 'NR == 1 && $1 < t + 1.5 { exit 1 }' <<<"$rows" ||
			{ fail "$src: keepalive at $(head -1 <<<"$rows") though traffic flowed until $idle_from"; return; }
		# Between keepalives: the interval (2 s), give or take the 1 s timer
		# and a busy machine's scheduling.
		gaps=$(awk 'NR > 1 { printf "%.2f ", $1 - p } { p = $1 }' <<<"$rows")
		echo "$src keepalive gaps: $gaps" >>"$UET_LOG"
		for g in $gaps; do
			awk -v g="$g" 'BEGIN { exit !(g >= 1.5 && g <= 3.6) }' ||
				{ fail "$src: keepalives $g s apart, want 2 (gaps: $gaps)"; return; }
		done
	done
	# Received keepalives are dropped in XDP and counted, nothing more.
	[ "$(napt_counter gw RxKeepalive)" -ge 3 ] && [ "$(napt_counter peer RxKeepalive)" -ge 3 ] ||
		fail "RxKeepalive: gw $(napt_counter gw RxKeepalive), peer $(napt_counter peer RxKeepalive)"
}

# Path MTU: the gateway's udpesp0 MTU is the outer MTU (1500) less the
# SA's worst-case overhead. A host on the LAN behind the gateway sends to
# the client: a DF packet one byte over gets ICMP "fragmentation needed"
# naming that MTU from the gateway, one that just fits goes through, and a
# larger one without DF is fragmented before encryption and arrives.
# Then the outer interface's MTU falls, and udpesp0's follows; then a
# link beyond it shrinks, and a router's ICMP lowers udpesp0's MTU too.
test_napt_path_mtu() { napt_run napt_path_mtu; }
napt_path_mtu() {
	local mtu out sent_before
	napt_tunnel_up || return
	mtu=$(napt_tun_mtu)
	# AES-GCM-128: 1500 - 20 (IP) - 8 (UDP) - 8 (SPI, seq) - 8 (IV) - 16
	# (ICV) = 1440 for payload, pad length and next header, 4-aligned.
	[ "$mtu" = 1438 ] || { fail "udpesp0 MTU $mtu, want 1438"; return; }
	sent_before=$(napt_counter gw TxEsp)
	out=$(nsx "$NAPT_NS_LAN" ping -c 1 -W 3 -M do -s $((mtu - 28 + 1)) "$NAPT_CLIENT_IN" 2>&1)
	echo "$out" >>"$UET_LOG"
	grep -q "Frag needed and DF set (mtu = $mtu)" <<<"$out" ||
		{ fail "no ICMP fragmentation-needed with MTU $mtu: $out"; return; }
	[ "$(napt_counter gw TxEsp)" = "$sent_before" ] || fail "the too-big packet was sent anyway" || return
	q nsx "$NAPT_NS_LAN" ping -c 2 -i 0.2 -W 3 -M do -s $((mtu - 28)) "$NAPT_CLIENT_IN" ||
		{ fail "a DF packet of exactly $mtu bytes did not make it through"; return; }
	q nsx "$NAPT_NS_LAN" ping -c 2 -i 0.2 -W 3 -M dont -s 3000 "$NAPT_CLIENT_IN" ||
		{ fail "a 3028-byte packet without DF did not make it through in fragments"; return; }
	[ "$(napt_counter gw XfrmOutError)" = 0 ] || fail "gw XfrmOutError $(napt_counter gw XfrmOutError)" || return
	# The outer interface's MTU drops to 1450: udpesp0 follows (1450 - 62,
	# down to a 4-byte multiple for payload, pad length and next header).
	q nsx "$UET_NS_GW" ip link set dev "$UET_DEV_GW" mtu 1450 || { fail "ip link set mtu"; return; }
	uet_wait 5 napt_tun_mtu_is 1386 ||
		{ fail "udpesp0 MTU $(napt_tun_mtu) after the outer MTU fell to 1450, want 1386"; return; }
	# A link beyond the gateway shrinks to 1400 (the NAT's inside): the
	# first packet that no longer fits is lost there, and the NAT's ICMP
	# fragmentation-needed about it lowers udpesp0's MTU to 1338; from
	# then on the LAN host gets its own ICMP error naming 1338.
	q nsx "$DEC_NS_NAT" ip link set dev nat-peer mtu 1400 &&
		q nsx "$UET_NS_PEER" ip link set dev "$UET_DEV_PEER" mtu 1400 || { fail "ip link set mtu"; return; }
	q nsx "$NAPT_NS_LAN" ping -c 1 -W 1 -M do -s $((1386 - 28)) "$NAPT_CLIENT_IN"
	uet_wait 5 napt_tun_mtu_is 1338 ||
		{ fail "udpesp0 MTU $(napt_tun_mtu) after the NAT's ICMP about 1400, want 1338"; return; }
	out=$(nsx "$NAPT_NS_LAN" ping -c 1 -W 3 -M do -s $((1338 - 28 + 1)) "$NAPT_CLIENT_IN" 2>&1)
	echo "$out" >>"$UET_LOG"
	grep -q "Frag needed and DF set (mtu = 1338)" <<<"$out" ||
		{ fail "no ICMP fragmentation-needed with MTU 1338 after the path shrank: $out"; return; }
	q nsx "$NAPT_NS_LAN" ping -c 2 -i 0.2 -W 3 -M do -s $((1338 - 28)) "$NAPT_CLIENT_IN" ||
		fail "a DF packet of 1338 bytes did not make it through the shrunk path"
}

napt_tun_mtu() { nsx "$UET_NS_GW" ip -j link show dev udpesp0 | jq -r '.[0].mtu'; }
napt_tun_mtu_is() { [ "$(napt_tun_mtu)" = "$1" ]; }
