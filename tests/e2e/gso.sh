# SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
# shellcheck shell=bash
#
# End-to-end tests of udpespd --gso on (the default): TSO/USO super-packets
# read from udpesp0 and cut into ESP packets, GRO super-packets written
# back. A tunnel between two daemons as in tunnel.sh (whose helpers these
# use), IPv4 and IPv6 inner, AES-GCM-16. Sourced by run.sh after tunnel.sh.

GSO_TESTS="test_gso_tcp_bulk_both_ways test_gso_mixed_flows test_gso_tshark_segments
	test_gso_off_talks_to_on test_gso_transport_mode test_gso_every_suite test_gso_option"

# Megabytes of the bulk transfer each way (1 GB each way: under a minute
# on a busy 2-core machine).
GSO_E2E_MB=${GSO_E2E_MB:-1024}
GSO_BULK=$UET_ROOT/tests/e2e/bulk.py
GSO_GW6=2001:db8:100::1
GSO_PEER6=2001:db8:200::5

# Both daemons, one SA each way for IPv4 inner (SPI 0x1001 peer -> gw,
# 0x2001 gw -> peer) and one for IPv6 inner (0x1002, 0x2002); inner
# addresses and routes. The gw -> peer keys stay in GSO_KEY4/GSO_KEY6.
gso_tunnel_up() {
	local k_in4 k_in6 aead=(aead 'rfc4106(gcm(aes))') e=(encap espinudp 4500 4500 0.0.0.0)
	k_in4=$(od -An -tx1 -N20 /dev/urandom | tr -d ' \n')
	k_in6=$(od -An -tx1 -N20 /dev/urandom | tr -d ' \n')
	GSO_KEY4=$(od -An -tx1 -N20 /dev/urandom | tr -d ' \n')
	GSO_KEY6=$(od -An -tx1 -N20 /dev/urandom | tr -d ' \n')
	TUN_ARGS=${GSO_GW_ARGS:-} tun_daemon_up "$UET_NS_GW" gw "$UET_DEV_GW" || return
	TUN_ARGS=${GSO_PEER_ARGS:-} tun_daemon_up "$UET_NS_PEER" peer "$UET_DEV_PEER" || return
	local s4=(sel src "$INNER_PEER_NET" dst 198.51.100.0/24)
	local r4=(sel src 198.51.100.0/24 dst "$INNER_PEER_NET")
	local s6=(sel src 2001:db8:200::/64 dst 2001:db8:100::/64)
	local r6=(sel src 2001:db8:100::/64 dst 2001:db8:200::/64)
	local gp=(src "$UET_GW4" dst "$UET_PEER4") pg=(src "$UET_PEER4" dst "$UET_GW4")
	tctl "$UET_NS_GW" gw sa add dir in "${pg[@]}" spi 0x1001 mode tunnel "${aead[@]}" \
		"0x$k_in4" 128 "${e[@]}" "${s4[@]}" &&
		tctl "$UET_NS_GW" gw sa add dir out "${gp[@]}" spi 0x2001 mode tunnel "${aead[@]}" \
			"0x$GSO_KEY4" 128 "${e[@]}" "${r4[@]}" &&
		tctl "$UET_NS_GW" gw sa add dir in "${pg[@]}" spi 0x1002 mode tunnel "${aead[@]}" \
			"0x$k_in6" 128 "${e[@]}" "${s6[@]}" &&
		tctl "$UET_NS_GW" gw sa add dir out "${gp[@]}" spi 0x2002 mode tunnel "${aead[@]}" \
			"0x$GSO_KEY6" 128 "${e[@]}" "${r6[@]}" &&
		tctl "$UET_NS_PEER" peer sa add dir in "${gp[@]}" spi 0x2001 mode tunnel "${aead[@]}" \
			"0x$GSO_KEY4" 128 "${e[@]}" "${r4[@]}" &&
		tctl "$UET_NS_PEER" peer sa add dir out "${pg[@]}" spi 0x1001 mode tunnel "${aead[@]}" \
			"0x$k_in4" 128 "${e[@]}" "${s4[@]}" &&
		tctl "$UET_NS_PEER" peer sa add dir in "${gp[@]}" spi 0x2002 mode tunnel "${aead[@]}" \
			"0x$GSO_KEY6" 128 "${e[@]}" "${r6[@]}" &&
		tctl "$UET_NS_PEER" peer sa add dir out "${pg[@]}" spi 0x1002 mode tunnel "${aead[@]}" \
			"0x$k_in6" 128 "${e[@]}" "${s6[@]}" || return
	q nsx "$UET_NS_GW" ip addr add "$INNER_GW4/24" dev udpesp0 &&
		q nsx "$UET_NS_GW" ip route add "$INNER_PEER_NET" dev udpesp0 &&
		q nsx "$UET_NS_GW" ip addr add "$GSO_GW6/64" dev udpesp0 nodad &&
		q nsx "$UET_NS_GW" ip route add 2001:db8:200::/64 dev udpesp0 &&
		q nsx "$UET_NS_PEER" ip addr add "$PEER_INNER4/24" dev udpesp0 &&
		q nsx "$UET_NS_PEER" ip route add 198.51.100.0/24 dev udpesp0 src "$PEER_INNER4" &&
		q nsx "$UET_NS_PEER" ip addr add "$GSO_PEER6/64" dev udpesp0 nodad &&
		q nsx "$UET_NS_PEER" ip route add 2001:db8:100::/64 dev udpesp0 src "$GSO_PEER6" ||
		{ fail "inner addressing"; return; }
	uet_wait 10 tun_workers_up || { fail "no AF_XDP workers"; return; }
	# The offloads udpesp0 offers, for the log.
	nsx "$UET_NS_GW" ethtool -k udpesp0 2>&1 | grep -E 'segmentation|checksumming' >>"$UET_LOG"
}

# gso_tcp NAME FROM_NS TO_NS DST MB: start a receiver in TO_NS and a
# sender of a random file of MB megabytes in FROM_NS, in the background;
# gso_tcp_check NAME waits for both and compares bytes and SHA-256.
gso_tcp() {
	local name=$1 from=$2 to=$3 dst=$4 mb=$5 port=$((6000 + RANDOM % 1000))
	head -c "${mb}M" /dev/urandom >"$UET_TMP/$name.bin" || { fail "no random file"; return; }
	rm -f "$UET_TMP/$name.ready" "$UET_TMP/$name.rx" "$UET_TMP/$name.tx"
	nsenter --net="/run/netns/$to" -- timeout 400 "$PYTHON" "$GSO_BULK" tcp-recv \
		"$UET_TMP/$name.ready" $port "$UET_TMP/$name.rx" >>"$UET_LOG" 2>&1 &
	UET_PIDS+=($!)
	uet_wait 10 test -e "$UET_TMP/$name.ready" || { fail "$name: receiver did not start"; return; }
	nsenter --net="/run/netns/$from" -- timeout 400 "$PYTHON" "$GSO_BULK" tcp-send \
		"$dst" $port "$UET_TMP/$name.bin" >"$UET_TMP/$name.tx" 2>>"$UET_LOG" &
	UET_PIDS+=($!)
	eval "GSO_PID_$name=$!"
}

gso_tcp_check() {
	local name=$1 pid
	eval "pid=\$GSO_PID_$name"
	wait "$pid" || { fail "$name: the sender failed (or took over 400 s)"; return; }
	uet_wait 30 test -s "$UET_TMP/$name.rx" || { fail "$name: the receiver reported nothing"; return; }
	[ -s "$UET_TMP/$name.tx" ] && [ "$(cat "$UET_TMP/$name.rx")" = "$(cat "$UET_TMP/$name.tx")" ] ||
		fail "$name: sent $(cat "$UET_TMP/$name.tx"), received $(cat "$UET_TMP/$name.rx")" || return
	rm -f "$UET_TMP/$name.bin"
}

# gso_link NS rx|tx: udpesp0's packet count in NS (super-packets count once).
gso_link() { nsx "$1" ip -s -j link show udpesp0 | jq -r ".[0].stats64.$2.packets"; }
gso_stat() { nsx "$1" "$UET_CTL" -s "$UET_TMP/$2.sock" -j stats | jq -r ".counters.$3"; }
# gso_sa_packets NS NAME HANDLE: that SA's packets counter.
gso_sa_packets() {
	nsx "$1" "$UET_CTL" -s "$UET_TMP/$2.sock" -j stats | jq -r ".sa[] | select(.handle == $3) | .packets"
}

# A GSO_E2E_MB transfer each way over IPv4 inner arrives with the SHA-256
# it left with; the stack saw fewer packets than ESP carried both ways
# (super-packets were read from and written to udpesp0).
test_gso_tcp_bulk_both_ways() {
	local t0 secs dec0 rx0 tx0 esp0 dec rx tx esp in0 out0 in out
	gso_tunnel_up || return
	dec0=$(gso_stat "$UET_NS_GW" gw DecapOk) rx0=$(gso_link "$UET_NS_GW" rx)
	esp0=$(gso_stat "$UET_NS_PEER" peer TxEsp) tx0=$(gso_link "$UET_NS_PEER" tx)
	# Handle 1 on the gateway: inbound 0x1001; 2 on the peer: outbound 0x1001.
	in0=$(gso_sa_packets "$UET_NS_GW" gw 1) out0=$(gso_sa_packets "$UET_NS_PEER" peer 2)
	t0=$(date +%s)
	gso_tcp up "$UET_NS_PEER" "$UET_NS_GW" "$INNER_GW4" "$GSO_E2E_MB" || return
	gso_tcp_check up || return
	secs=$(($(date +%s) - t0))
	echo "peer -> gw: $GSO_E2E_MB MB in $secs s" >>"$UET_LOG"
	dec=$(($(gso_stat "$UET_NS_GW" gw DecapOk) - dec0)) rx=$(($(gso_link "$UET_NS_GW" rx) - rx0))
	esp=$(($(gso_stat "$UET_NS_PEER" peer TxEsp) - esp0)) tx=$(($(gso_link "$UET_NS_PEER" tx) - tx0))
	echo "gw: $dec ESP packets decapsulated, $rx written to udpesp0; peer: $tx read from udpesp0, $esp ESP sent" >>"$UET_LOG"
	[ "$rx" -lt $((dec / 2)) ] || fail "gw: $rx packets written to udpesp0 for $dec ESP packets: no coalescing" || return
	[ "$tx" -lt $((esp / 2)) ] || fail "peer: $tx packets read from udpesp0 for $esp ESP packets: no TSO" || return
	# SA counters count ESP packets, not super-packets.
	in=$(($(gso_sa_packets "$UET_NS_GW" gw 1) - in0)) out=$(($(gso_sa_packets "$UET_NS_PEER" peer 2) - out0))
	[ "$in" = "$dec" ] || fail "gw: inbound SA counted $in packets, DecapOk grew by $dec" || return
	[ "$out" = "$esp" ] || fail "peer: outbound SA counted $out packets, TxEsp grew by $esp" || return
	t0=$(date +%s)
	gso_tcp down "$UET_NS_GW" "$UET_NS_PEER" "$PEER_INNER4" "$GSO_E2E_MB" || return
	gso_tcp_check down || return
	echo "gw -> peer: $GSO_E2E_MB MB in $(($(date +%s) - t0)) s" >>"$UET_LOG"
}

# At the same time: TCP over IPv6 inner one way, TCP over IPv4 the other,
# UDP datagrams of mixed sizes (1 to 3000 bytes, the largest fragmented
# before encryption) and UDP GSO sends (USO) over IPv6: every byte arrives.
test_gso_mixed_flows() {
	local ready=$UET_TMP/udp.ready ready6=$UET_TMP/udp6.ready
	gso_tunnel_up || return
	rm -f "$ready" "$ready6" "$UET_TMP/udp.rx" "$UET_TMP/udp6.rx"
	nsenter --net="/run/netns/$UET_NS_GW" -- timeout 120 "$PYTHON" "$GSO_BULK" udp-recv "$ready" \
		5300 "$UET_TMP/udp.rx" 300 >>"$UET_LOG" 2>&1 &
	UET_PIDS+=($!)
	nsenter --net="/run/netns/$UET_NS_PEER" -- timeout 120 "$PYTHON" "$GSO_BULK" udp-recv "$ready6" \
		5301 "$UET_TMP/udp6.rx" 400 >>"$UET_LOG" 2>&1 &
	UET_PIDS+=($!)
	uet_wait 10 test -e "$ready" || { fail "UDP receiver did not start"; return; }
	uet_wait 10 test -e "$ready6" || { fail "UDP receiver did not start"; return; }
	gso_tcp six "$UET_NS_PEER" "$UET_NS_GW" "$GSO_GW6" 64 || return
	gso_tcp four "$UET_NS_GW" "$UET_NS_PEER" "$PEER_INNER4" 64 || return
	nsx "$UET_NS_PEER" timeout 120 "$PYTHON" "$GSO_BULK" udp-send "$INNER_GW4" 5300 7 300 \
		>"$UET_TMP/udp.tx" 2>>"$UET_LOG" || { fail "UDP sender"; return; }
	nsx "$UET_NS_GW" timeout 120 "$PYTHON" "$GSO_BULK" udp-send "$GSO_PEER6" 5301 8 100 1200 \
		>"$UET_TMP/udp6.tx" 2>>"$UET_LOG" || { fail "UDP GSO sender"; return; }
	gso_tcp_check six || return
	gso_tcp_check four || return
	uet_wait 20 gso_lines "$UET_TMP/udp.rx" 300 || fail "UDP: $(wc -l <"$UET_TMP/udp.rx") of 300 datagrams" || return
	uet_wait 20 gso_lines "$UET_TMP/udp6.rx" 400 || fail "UDP GSO: $(wc -l <"$UET_TMP/udp6.rx") of 400 datagrams" || return
	[ "$(sort "$UET_TMP/udp.rx")" = "$(sort "$UET_TMP/udp.tx")" ] ||
		fail "UDP: datagrams differ: $(diff <(sort "$UET_TMP/udp.tx") <(sort "$UET_TMP/udp.rx") | head -5)" || return
	[ "$(sort "$UET_TMP/udp6.rx")" = "$(sort "$UET_TMP/udp6.tx")" ] ||
		fail "UDP GSO: datagrams differ: $(diff <(sort "$UET_TMP/udp6.tx") <(sort "$UET_TMP/udp6.rx") | head -5)"
}

# The gateway with --gso off, the peer with --gso on: the same ESP on the
# wire, so 64 MB each way and the mixed flows arrive as they left; the
# gateway's udpesp0 sees one packet per ESP packet.
test_gso_off_talks_to_on() {
	local dec0 rx0 dec rx
	GSO_GW_ARGS="--gso off" gso_tunnel_up || return
	nsx "$UET_NS_GW" ethtool -k udpesp0 | grep -q 'tcp-segmentation-offload: off' ||
		fail "--gso off: udpesp0 offers TSO" || return
	dec0=$(gso_stat "$UET_NS_GW" gw DecapOk) rx0=$(gso_link "$UET_NS_GW" rx)
	gso_tcp up "$UET_NS_PEER" "$UET_NS_GW" "$INNER_GW4" 64 || return
	gso_tcp_check up || return
	dec=$(($(gso_stat "$UET_NS_GW" gw DecapOk) - dec0)) rx=$(($(gso_link "$UET_NS_GW" rx) - rx0))
	[ "$rx" -ge "$dec" ] || fail "--gso off: $rx packets written to udpesp0 for $dec ESP packets" || return
	gso_tcp down "$UET_NS_GW" "$UET_NS_PEER" "$GSO_PEER6" 64 || return
	gso_tcp_check down
}

# Transport mode between the two hosts' own addresses: TCP (and only TCP,
# by policy routing, so that ESP itself stays off udpesp0) goes through
# udpesp0 both ways; 128 MB each way arrive as they left, coalesced.
test_gso_transport_mode() {
	local k1 k2 e=(encap espinudp 4500 4500 0.0.0.0) a=(aead 'rfc4106(gcm(aes))') dec0 rx0 dec rx
	k1=$(od -An -tx1 -N20 /dev/urandom | tr -d ' \n')
	k2=$(od -An -tx1 -N20 /dev/urandom | tr -d ' \n')
	tun_daemon_up "$UET_NS_GW" gw "$UET_DEV_GW" || return
	tun_daemon_up "$UET_NS_PEER" peer "$UET_DEV_PEER" || return
	tctl "$UET_NS_GW" gw sa add dir in src "$UET_PEER4" dst "$UET_GW4" spi 0x5001 \
		mode transport "${a[@]}" "0x$k1" 128 "${e[@]}" &&
		tctl "$UET_NS_GW" gw sa add dir out src "$UET_GW4" dst "$UET_PEER4" spi 0x5002 \
			mode transport "${a[@]}" "0x$k2" 128 "${e[@]}" &&
		tctl "$UET_NS_PEER" peer sa add dir in src "$UET_GW4" dst "$UET_PEER4" spi 0x5002 \
			mode transport "${a[@]}" "0x$k2" 128 "${e[@]}" &&
		tctl "$UET_NS_PEER" peer sa add dir out src "$UET_PEER4" dst "$UET_GW4" spi 0x5001 \
			mode transport "${a[@]}" "0x$k1" 128 "${e[@]}" || return
	q nsx "$UET_NS_GW" ip route add "$UET_PEER4" dev udpesp0 src "$UET_GW4" table 100 &&
		q nsx "$UET_NS_GW" ip rule add ipproto tcp to "$UET_PEER4" lookup 100 &&
		q nsx "$UET_NS_PEER" ip route add "$UET_GW4" dev udpesp0 src "$UET_PEER4" table 100 &&
		q nsx "$UET_NS_PEER" ip rule add ipproto tcp to "$UET_GW4" lookup 100 ||
		{ fail "policy routing into udpesp0"; return; }
	uet_wait 10 tun_workers_up || { fail "no AF_XDP workers"; return; }
	dec0=$(gso_stat "$UET_NS_GW" gw DecapOk) rx0=$(gso_link "$UET_NS_GW" rx)
	gso_tcp up "$UET_NS_PEER" "$UET_NS_GW" "$UET_GW4" 128 || return
	gso_tcp_check up || return
	dec=$(($(gso_stat "$UET_NS_GW" gw DecapOk) - dec0)) rx=$(($(gso_link "$UET_NS_GW" rx) - rx0))
	[ "$dec" -gt 50000 ] || fail "transport: only $dec ESP packets decapsulated for 128 MB" || return
	[ "$rx" -lt $((dec / 2)) ] || fail "transport: $rx packets written to udpesp0 for $dec ESP packets" || return
	gso_tcp down "$UET_NS_GW" "$UET_NS_PEER" "$UET_PEER4" 128 || return
	gso_tcp_check down
}

# hexkey BYTES: a random key.
gso_key() { od -An -tx1 -N"$1" /dev/urandom | tr -d ' \n'; }

# The other suites (AES-GCM is everywhere above): one SA pair each in
# turn, 16 MB each way through it.
test_gso_every_suite() {
	local name e=(encap espinudp 4500 4500 0.0.0.0) spi=0x6000
	tun_daemon_up "$UET_NS_GW" gw "$UET_DEV_GW" || return
	tun_daemon_up "$UET_NS_PEER" peer "$UET_DEV_PEER" || return
	q nsx "$UET_NS_GW" ip addr add "$INNER_GW4/24" dev udpesp0 &&
		q nsx "$UET_NS_GW" ip route add "$INNER_PEER_NET" dev udpesp0 &&
		q nsx "$UET_NS_PEER" ip addr add "$PEER_INNER4/24" dev udpesp0 &&
		q nsx "$UET_NS_PEER" ip route add 198.51.100.0/24 dev udpesp0 src "$PEER_INNER4" ||
		{ fail "inner addressing"; return; }
	for name in chacha20-poly1305 aes-gmac-128 aes-cbc-128-sha256 null-sha512; do
		local up dn
		case $name in
		chacha20-poly1305)
			up=(aead 'rfc7539esp(chacha20,poly1305)' "0x$(gso_key 36)" 128)
			dn=(aead 'rfc7539esp(chacha20,poly1305)' "0x$(gso_key 36)" 128) ;;
		aes-gmac-128)
			up=(aead 'rfc4543(gcm(aes))' "0x$(gso_key 20)" 128)
			dn=(aead 'rfc4543(gcm(aes))' "0x$(gso_key 20)" 128) ;;
		aes-cbc-128-sha256)
			up=(enc 'cbc(aes)' "0x$(gso_key 16)" auth-trunc 'hmac(sha256)' "0x$(gso_key 32)" 128)
			dn=(enc 'cbc(aes)' "0x$(gso_key 16)" auth-trunc 'hmac(sha256)' "0x$(gso_key 32)" 128) ;;
		null-sha512)
			up=(enc 'ecb(cipher_null)' '' auth-trunc 'hmac(sha512)' "0x$(gso_key 64)" 256)
			dn=(enc 'ecb(cipher_null)' '' auth-trunc 'hmac(sha512)' "0x$(gso_key 64)" 256) ;;
		esac
		spi=$((spi + 2))
		tctl "$UET_NS_GW" gw sa flush && tctl "$UET_NS_PEER" peer sa flush || return
		local s4=(sel src "$INNER_PEER_NET" dst 198.51.100.0/24)
		local r4=(sel src 198.51.100.0/24 dst "$INNER_PEER_NET")
		tctl "$UET_NS_GW" gw sa add dir in src "$UET_PEER4" dst "$UET_GW4" spi $spi mode tunnel \
			"${up[@]}" "${e[@]}" "${s4[@]}" &&
			tctl "$UET_NS_PEER" peer sa add dir out src "$UET_PEER4" dst "$UET_GW4" spi $spi \
				mode tunnel "${up[@]}" "${e[@]}" "${s4[@]}" &&
			tctl "$UET_NS_GW" gw sa add dir out src "$UET_GW4" dst "$UET_PEER4" spi $((spi + 1)) \
				mode tunnel "${dn[@]}" "${e[@]}" "${r4[@]}" &&
			tctl "$UET_NS_PEER" peer sa add dir in src "$UET_GW4" dst "$UET_PEER4" \
				spi $((spi + 1)) mode tunnel "${dn[@]}" "${e[@]}" "${r4[@]}" || return
		uet_wait 10 tun_workers_up || { fail "no AF_XDP workers"; return; }
		gso_tcp up "$UET_NS_PEER" "$UET_NS_GW" "$INNER_GW4" 16 || return
		gso_tcp_check up || { fail "$name: $REASON"; return; }
		gso_tcp down "$UET_NS_GW" "$UET_NS_PEER" "$PEER_INNER4" 16 || return
		gso_tcp_check down || { fail "$name: $REASON"; return; }
	done
}

# --gso takes on or off, nothing else; --help and the man page list it.
test_gso_option() {
	local out rc
	out=$("$UET_DAEMON" --gso maybe 2>&1)
	rc=$?
	[ $rc = 2 ] && [ "$out" = 'Error: --gso "maybe": expected on or off' ] ||
		fail "udpespd --gso maybe: exit $rc, \"$out\"" || return
	"$UET_DAEMON" --help | grep -q -- '--gso MODE' || fail "--help does not list --gso" || return
	grep -qF '\-\-gso' "$UET_ROOT/docs/udpespd.8" || fail "udpespd.8 does not document --gso"
}

gso_lines() { [ -s "$1" ] && [ "$(wc -l <"$1")" -ge "$2" ]; }

# What the gateway sends while TSO and USO hand it super-packets, captured
# on its veth and decrypted by tshark: every ESP packet's ICV good, every
# sequence number used once and none skipped (each segment its own ESP
# packet), no outer IP packet over the veth's MTU, no inner one over
# udpesp0's; and more ESP packets than udpesp0 handed over.
test_gso_tshark_segments() {
	local conf=$UET_TMP/gso-wireshark pcap=$UET_TMP/gso-seg.pcap cap ready=$UET_TMP/u.ready
	local mtu tmtu tx0 tx esp spi
	[ -z "$(uet_missing_tools tshark)" ] || { skip "tshark not installed"; return; }
	gso_tunnel_up || return
	# Names of their own: other tests of this run leave theirs in UET_TMP.
	rm -rf "$conf" "$pcap" "$ready" "$UET_TMP/u.rx"
	mkdir -m 0700 "$conf" && : >"$conf/esp_sa" && chmod 0600 "$conf/esp_sa" || { fail "mkdir"; return; }
	printf '"IPv4","*","*","0x00002001","AES-GCM with 16 octet ICV [RFC4106]","0x%s","NULL",""\n' \
		"$GSO_KEY4" >>"$conf/esp_sa"
	printf '"IPv4","*","*","0x00002002","AES-GCM with 16 octet ICV [RFC4106]","0x%s","NULL",""\n' \
		"$GSO_KEY6" >>"$conf/esp_sa"
	nsenter --net="/run/netns/$UET_NS_GW" -- tshark -n -q -i "$UET_DEV_GW" \
		-f "udp port 4500 and src host $UET_GW4" -w "$pcap" >>"$UET_LOG" 2>&1 &
	cap=$!
	UET_PIDS+=($cap)
	uet_wait 10 test -s "$pcap" || { fail "tshark did not start capturing"; return; }
	nsenter --net="/run/netns/$UET_NS_PEER" -- timeout 60 "$PYTHON" "$GSO_BULK" udp-recv "$ready" \
		5302 "$UET_TMP/u.rx" 80 >>"$UET_LOG" 2>&1 &
	UET_PIDS+=($!)
	uet_wait 10 test -e "$ready" || { fail "UDP receiver did not start"; return; }
	tx0=$(gso_link "$UET_NS_GW" tx)
	gso_tcp seg "$UET_NS_GW" "$UET_NS_PEER" "$PEER_INNER4" 4 || return
	gso_tcp_check seg || return
	nsx "$UET_NS_GW" "$PYTHON" "$GSO_BULK" udp-send "$GSO_PEER6" 5302 9 20 1000 \
		>"$UET_TMP/u.tx" 2>>"$UET_LOG" || { fail "UDP GSO sender"; return; }
	uet_wait 20 gso_lines "$UET_TMP/u.rx" 80 || fail "UDP GSO: $(wc -l <"$UET_TMP/u.rx") of 80 datagrams" || return
	tx=$(($(gso_link "$UET_NS_GW" tx) - tx0))
	sleep 1 # let the capture write the last frames
	kill "$cap" 2>/dev/null
	wait "$cap" 2>/dev/null
	mtu=$(ip -n "$UET_NS_GW" -j link show dev "$UET_DEV_GW" | jq -r '.[0].mtu')
	tmtu=$(ip -n "$UET_NS_GW" -j link show dev udpesp0 | jq -r '.[0].mtu')
	WIRESHARK_CONFIG_DIR=$conf tshark -n -r "$pcap" -o esp.enable_encryption_decode:TRUE \
		-o esp.enable_authentication_check:TRUE -T fields -E separator=';' -E aggregator=',' \
		-e esp.spi -e esp.sequence -e esp.icv_good -e ip.len -e ipv6.plen \
		>"$UET_TMP/seg.txt" 2>>"$UET_LOG"
	esp=$(wc -l <"$UET_TMP/seg.txt")
	echo "udpesp0 handed over $tx packets, $esp ESP packets left (MTU $mtu, udpesp0 $tmtu)" >>"$UET_LOG"
	head -3 "$UET_TMP/seg.txt" >>"$UET_LOG"
	[ "$esp" -gt $((2 * tx)) ] || fail "$esp ESP packets for $tx read from udpesp0: no segmentation" || return
	for spi in 0x00002001 0x00002002; do
		awk -F';' -v s=$spi -v mtu="$mtu" -v tmtu="$tmtu" '
			$1 == s { n++; seq[$2]++; if ($2 > max) max = $2; if (min == "" || $2 < min) min = $2
				split($4, len, ",")
				inner = s == "0x00002002" ? $5 + 40 : len[2]
				if ($3 != 1 && nbad++ < 5) bad = bad " icv:" $2
				if (len[1] > mtu && nbad++ < 5) bad = bad " outer:" len[1]
				if ((inner == "" || inner > tmtu) && nbad++ < 5) bad = bad " inner:" inner }
			END { for (q in seq) if (seq[q] > 1 && nbad++ < 5) bad = bad " twice:" q
				if (n < 20) bad = bad " only " n " packets"
				if (max - min + 1 != n) bad = bad " " n " packets for numbers " min ".." max
				if (bad != "") { print s ":" bad; exit 1 } }' "$UET_TMP/seg.txt" >>"$UET_LOG" ||
			fail "SPI $spi: $(tail -1 "$UET_LOG" | cut -c1-300)" || return
	done
}
