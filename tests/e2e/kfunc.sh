# SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
# shellcheck shell=bash
#
# End-to-end tests of the in-kernel (kfunc) backend: Scapy's AES-GCM
# ESP from the peer namespace, decapsulated by udpesp_kf_xdp inside XDP
# (no AF_XDP redirect, no worker) and passed up on the gateway's veth to
# a UDP listener. Sourced by run.sh after decap.sh, whose helpers
# (dec_up, dctl, esp, dstat_is, sa_stat, ...) it uses.

KFUNC_TESTS="test_kfunc_tunnel_gcm test_kfunc_gcm_short_icv test_kfunc_transport_and_auto
	test_kfunc_same_as_xsk test_kfunc_nat_mapping test_kfunc_nat_mapping_adopted
	test_kfunc_selectors"

# udpespd as dec_up starts it, plus what XDP_PASS of an inner packet on
# the veth needs: the veth accepts sources routed via udpesp0.
kf_up() {
	dec_up || return
	q nsx "$UET_NS_GW" sysctl -qw "net.ipv4.conf.$UET_DEV_GW.rp_filter=0" ||
		{ fail "rp_filter on $UET_DEV_GW"; return; }
	grep -q 'kfunc backend ready' "$UET_TMP/udpespd.log" ||
		{ skip "kfunc backend unavailable: $(grep -o 'kfunc backend unavailable.*' "$UET_TMP/udpespd.log")"; return; }
}

# kf_offload HANDLE: the backend `sa show` names.
kf_offload() { dctl_out -j sa show handle "$1" | jq -r '.offload'; }

test_kfunc_tunnel_gcm() {
	local h p1 p2 p3
	kf_up || return
	dec_sa h dir in src "$UET_PEER4" dst "$UET_GW4" spi 0x6001 mode tunnel \
		aead 'rfc4106(gcm(aes))' "0x$K_GCM" 128 encap espinudp 4500 4500 0.0.0.0 \
		replay-window 64 sel src "$INNER_PEER_NET" offload kfunc || return
	[ "$(kf_offload "$h")" = kfunc ] || { fail "sa show: offload $(kf_offload "$h")"; return; }
	p1=$(hexof "decrypted inside XDP") p2=$(hexof "second, in the kernel") p3=$(hexof tampered)
	local tun=(--to "$UET_GW4" --suite gcm --key "$K_GCM" --spi 0x6001 --mode tunnel
		--inner-src "$INNER_PEER4" --inner-dst "$INNER_GW4" --dport 5000)
	esp "${tun[@]}" --payload "$p1" --seq 1 || return
	dec_expect_rx 5000 v4 "$p1" || return
	esp "${tun[@]}" --payload "$p2" --seq 2 || return
	dec_expect_rx 5000 v4 "$p2" || return
	dstat_is DecapOk 2 || return
	# Nothing went through userspace.
	dstat_is RxXskRedirect 0 || return
	esp "${tun[@]}" --payload "$p1" --seq 1 || return
	dstat_is XfrmInStateSeqError 1 || return
	esp "${tun[@]}" --payload "$p3" --seq 3 --tamper || return
	dstat_is XfrmInStateProtoError 1 || return
	! uet_received rx 5000 v4 "$p3" || { fail "a tampered packet was delivered"; return; }
	[ "$(sa_stat "$h" packets)" = 2 ] || { fail "SA packets $(sa_stat "$h" packets), want 2"; return; }
	[ "$(sa_stat "$h" replay)" = 1 ] || { fail "SA replay $(sa_stat "$h" replay), want 1"; return; }
	[ "$(sa_stat "$h" integrity_failed)" = 1 ] ||
		{ fail "SA integrity_failed $(sa_stat "$h" integrity_failed), want 1"; return; }
	# Outside the selector: authentic, but not delivered.
	esp --to "$UET_GW4" --suite gcm --key "$K_GCM" --spi 0x6001 --mode tunnel \
		--inner-src 198.51.100.99 --inner-dst "$INNER_GW4" --dport 5000 \
		--payload "$p3" --seq 4 || return
	dstat_is XfrmInTmplMismatch 1 || return
	# RFC 6040: outer CE over a Not-ECT inner packet is dropped.
	esp "${tun[@]}" --payload "$p3" --seq 5 --outer-tos 0x03 --inner-tos 0 || return
	dstat_is DecapEcnDrop 1 || return
	[ "$(sa_stat "$h" ecn_dropped)" = 1 ] || { fail "SA ecn_dropped $(sa_stat "$h" ecn_dropped)"; return; }
	# Deleted: the context goes, the SPI is unknown again (passed up).
	dctl sa del handle "$h" || { fail "sa del"; return; }
	esp "${tun[@]}" --payload "$p2" --seq 6 || return
	dstat_is XfrmInNoStates 1
}

# AES-GCM with 8 and 12-byte ICVs inside XDP too: the truncated tag is
# compared there, a flipped ICV bit dropped and counted.
test_kfunc_gcm_short_icv() {
	local h icv spi p1 p2 n=0
	kf_up || return
	for icv in 8 12; do
		spi=$((0x6100 + icv))
		dec_sa h dir in src "$UET_PEER4" dst "$UET_GW4" spi "$spi" mode tunnel \
			aead 'rfc4106(gcm(aes))' "0x$K_GCM" $((icv * 8)) encap espinudp 4500 4500 \
			0.0.0.0 replay-window 64 sel src "$INNER_PEER_NET" offload kfunc || return
		[ "$(kf_offload "$h")" = kfunc ] || { fail "ICV $icv: offload $(kf_offload "$h")"; return; }
		p1=$(hexof "a $icv-byte ICV checked inside XDP") p2=$(hexof "tampered $icv")
		local tun=(--to "$UET_GW4" --suite "gcm$icv" --key "$K_GCM" --spi "$spi"
			--mode tunnel --inner-src "$INNER_PEER4" --inner-dst "$INNER_GW4" --dport 5000)
		esp "${tun[@]}" --payload "$p1" --seq 1 || return
		dec_expect_rx 5000 v4 "$p1" || return
		n=$((n + 1))
		dstat_is DecapOk $n || return
		esp "${tun[@]}" --payload "$p2" --seq 2 --tamper || return
		dstat_is XfrmInStateProtoError $n || return
		[ "$(sa_stat "$h" integrity_failed)" = 1 ] ||
			{ fail "ICV $icv: integrity_failed $(sa_stat "$h" integrity_failed)"; return; }
	done
	dstat_is RxXskRedirect 0
}

test_kfunc_transport_and_auto() {
	local h1 h2 h3 h4 p
	kf_up || return
	dec_sa h1 dir in src "$UET_PEER4" dst "$UET_GW4" spi 0x6101 mode transport \
		aead 'rfc4106(gcm(aes))' "0x$(hexbytes 36 7)" 128 \
		encap espinudp 4500 4500 203.0.113.9 offload kfunc || return
	dec_sa h2 dir in src "$UET_PEER4" dst "$UET_GW4" spi 0x6102 mode tunnel \
		aead 'rfc7539esp(chacha20,poly1305)' "0x$K_CHACHA" 128 \
		encap espinudp 4500 4500 0.0.0.0 offload auto || return
	dec_sa h3 dir out src "$UET_GW4" dst "$UET_PEER4" spi 0x6103 mode tunnel \
		aead 'rfc4106(gcm(aes))' "0x$K_GCM" 128 encap espinudp 4500 4500 0.0.0.0 \
		sel src 198.51.100.0/24 dst 192.0.2.200/32 offload auto || return
	# auto: AES-GCM inbound gets the kernel only if its AES is accelerated
	# (udpespd logs which); ChaCha20 and outbound SAs never do.
	local want=xsk
	grep -q 'offload auto uses it' "$UET_TMP/udpespd.log" && want=kfunc
	dec_sa h4 dir in src "$UET_PEER4" dst "$UET_GW4" spi 0x6104 mode tunnel \
		aead 'rfc4106(gcm(aes))' "0x$K_GCM" 128 encap espinudp 4500 4500 0.0.0.0 \
		offload auto || return
	[ "$(kf_offload "$h4")" = $want ] || { fail "GCM auto got $(kf_offload "$h4"), want $want"; return; }
	[ "$(kf_offload "$h2")" = xsk ] || { fail "ChaCha20 auto got $(kf_offload "$h2")"; return; }
	[ "$(kf_offload "$h3")" = xsk ] || { fail "outbound auto got $(kf_offload "$h3")"; return; }
	# Transport mode through a NAT: checksum fixed from the NAT-OA.
	p=$(hexof "transport mode, kernel crypto, NAT-OA")
	esp --to "$UET_GW4" --suite gcm --key "$(hexbytes 36 7)" --spi 0x6101 --mode transport \
		--inner-src "$UET_PEER4" --orig-src 203.0.113.9 --inner-dst "$UET_GW4" \
		--dport 5000 --payload "$p" --seq 1 || return
	dec_expect_rx 5000 v4 "$p" || return
	# The ChaCha20 SA still decapsulates on the AF_XDP path.
	p=$(hexof "chacha via AF_XDP")
	esp --to "$UET_GW4" --suite chacha --key "$K_CHACHA" --spi 0x6102 --mode tunnel \
		--inner-src "$INNER_PEER4" --inner-dst "$INNER_GW4" --dport 5000 --payload "$p" --seq 1 || return
	dec_expect_rx 5000 v4 "$p" || return
	dstat_is RxXskRedirect 1 || return
	dstat_is DecapOk 2
}

# One packet to an xsk SA and the same inner packet to a kfunc SA with
# the same key: what the stack receives (captured on the gateway, both
# behind udpesp0 and the veth) is the same IP packet byte for byte.
test_kfunc_same_as_xsk() {
	local hx hk p a b
	kf_up || return
	dec_sa hx dir in src "$UET_PEER4" dst "$UET_GW4" spi 0x6201 mode tunnel \
		aead 'rfc4106(gcm(aes))' "0x$K_GCM" 128 encap espinudp 4500 4500 0.0.0.0 offload xsk || return
	dec_sa hk dir in src "$UET_PEER4" dst "$UET_GW4" spi 0x6202 mode tunnel \
		aead 'rfc4106(gcm(aes))' "0x$K_GCM" 128 encap espinudp 4500 4500 0.0.0.0 offload kfunc || return
	# Its own process group (setsid execs: $! is tshark's pid and group),
	# so that dumpcap, tshark's child, goes with it.
	setsid nsenter --net="/run/netns/$UET_NS_GW" -- tshark -q -i any -f 'udp dst port 5000' \
		-w "$UET_TMP/inner.pcap" >/dev/null 2>&1 &
	UET_PIDS+=($!)
	sleep 2
	p=$(hexof "the same inner packet both ways")
	for spi in 0x6201 0x6202; do
		esp --to "$UET_GW4" --suite gcm --key "$K_GCM" --spi $spi --mode tunnel \
			--inner-src "$INNER_PEER4" --inner-dst "$INNER_GW4" --dport 5000 \
			--payload "$p" --seq 1 || return
	done
	dstat_is DecapOk 2 || return
	sleep 1
	uet_kill_pids
	# The IP packets (linktype-independent: from the IPv4 header on).
	mapfile -t pk < <("$SCAPY_PY" -c '
import sys
from scapy.all import rdpcap, IP
for p in rdpcap(sys.argv[1]):
    if IP in p: print(bytes(p[IP]).hex())' "$UET_TMP/inner.pcap")
	[ "${#pk[@]}" = 2 ] || { fail "captured ${#pk[@]} inner packets, want 2"; return; }
	a=${pk[0]} b=${pk[1]}
	[ "$a" = "$b" ] || fail "inner packets differ: xsk $a kfunc $b"
}

# test_decap_nat_mapping with the inbound SA on the kfunc backend: XDP
# sees the peer's new port in an authenticated packet and reports it
# (udpesp_kf_peer), once; a forged packet from another port changes
# nothing, and no packet goes through userspace.
test_kfunc_nat_mapping() {
	local p h_in h_out mon=$UET_TMP/monitor.out
	kf_up && dec_monitor "$mon" || return
	dec_sa h_in dir in src "$UET_PEER4" dst "$UET_GW4" spi 0x6301 mode tunnel \
		aead 'rfc4106(gcm(aes))' "0x$K_GCM" 128 encap espinudp 4500 4500 0.0.0.0 \
		offload kfunc || return
	[ "$(kf_offload "$h_in")" = kfunc ] || { fail "sa show: offload $(kf_offload "$h_in")"; return; }
	dec_sa h_out dir out src "$UET_GW4" dst "$UET_PEER4" spi 0x6302 mode tunnel \
		aead 'rfc4106(gcm(aes))' "0x$K_GCM" 128 encap espinudp 4500 4500 0.0.0.0 || return
	local tun=(--to "$UET_GW4" --suite gcm --key "$K_GCM" --spi 0x6301 --mode tunnel
		--inner-src "$INNER_PEER4" --inner-dst "$INNER_GW4" --dport 5000)
	p=$(hexof "forged, from port 4999")
	esp "${tun[@]}" --sport 4999 --payload "$p" --seq 1 --tamper || return
	dstat_is XfrmInStateProtoError 1 || return
	dec_monitor_sync "$mon" || { fail "monitor: no sa-deleted event"; return; }
	[ -z "$(dec_mappings "$mon")" ] || { fail "a forged packet moved the peer: $(cat "$mon")"; return; }
	[ "$(dec_encap "$h_out" dport)" = 4500 ] ||
		{ fail "a forged packet moved the outbound SA: $(dctl_out -j sa show handle "$h_out")"; return; }
	p=$(hexof "from the new mapping, via XDP")
	esp "${tun[@]}" --sport 4501 --payload "$p" --seq 2 || return
	dec_expect_rx 5000 v4 "$p" || return
	uet_wait "$DEC_WAIT" dec_mapping_to "$mon" 1 4501 || { fail "no mapping event to 4501: $(cat "$mon")"; return; }
	dec_monitor_sync "$mon" || { fail "monitor: no sa-deleted event"; return; }
	[ "$(dec_mappings "$mon" | wc -l)" = 1 ] || { fail "want one mapping event: $(cat "$mon")"; return; }
	[ "$(dec_encap "$h_out" dport)" = 4501 ] ||
		{ fail "outbound SA did not follow: $(dctl_out -j sa show handle "$h_out")"; return; }
	[ "$(dec_encap "$h_in" sport)" = 4501 ] ||
		{ fail "inbound SA does not record the new port: $(dctl_out -j sa show handle "$h_in")"; return; }
	# The same mapping again: reported once, not per packet.
	p=$(hexof "again from 4501")
	esp "${tun[@]}" --sport 4501 --payload "$p" --seq 3 || return
	dec_expect_rx 5000 v4 "$p" || return
	dec_monitor_sync "$mon" || { fail "monitor: no sa-deleted event"; return; }
	[ "$(dec_mappings "$mon" | wc -l)" = 1 ] || { fail "a second mapping event: $(cat "$mon")"; return; }
	dstat_is DecapOk 2 || return
	dstat_is RxXskRedirect 0
}

# The same after a restart: the new udpespd loads the backend for the
# kept kfunc SA before its event loop exists, and must still read the
# mappings XDP reports.
test_kfunc_nat_mapping_adopted() {
	local p h_in h_out pid mon=$UET_TMP/monitor.out
	kf_up || return
	dec_sa h_in dir in src "$UET_PEER4" dst "$UET_GW4" spi 0x6401 mode tunnel \
		aead 'rfc4106(gcm(aes))' "0x$K_GCM" 128 encap espinudp 4500 4500 0.0.0.0 \
		offload kfunc || return
	dec_sa h_out dir out src "$UET_GW4" dst "$UET_PEER4" spi 0x6402 mode tunnel \
		aead 'rfc4106(gcm(aes))' "0x$K_GCM" 128 encap espinudp 4500 4500 0.0.0.0 || return
	pid=${UET_PIDS[0]}
	kill -TERM "$pid" && wait "$pid" 2>/dev/null
	: >"$UET_TMP/udpespd.log"
	nsenter --net="/run/netns/$UET_NS_GW" -- "$UET_DAEMON" --foreground \
		--socket "$DEC_SOCK" --pin-dir "$UET_PIN" --max-sa 1024 \
		--log "$UET_TMP/udpespd.log" --debug &
	UET_PIDS+=($!)
	uet_wait "$DEC_WAIT" q dctl_out link list || { fail "udpespd did not restart: $(tail -5 "$UET_TMP/udpespd.log")"; return; }
	grep -q 'kfunc backend ready' "$UET_TMP/udpespd.log" || { fail "no kfunc backend after the restart"; return; }
	[ "$(kf_offload "$h_in")" = kfunc ] || { fail "not adopted on kfunc: $(kf_offload "$h_in")"; return; }
	dec_monitor "$mon" || return
	local tun=(--to "$UET_GW4" --suite gcm --key "$K_GCM" --spi 0x6401 --mode tunnel
		--inner-src "$INNER_PEER4" --inner-dst "$INNER_GW4" --dport 5000)
	p=$(hexof "new mapping, adopted SA")
	esp "${tun[@]}" --sport 4501 --payload "$p" --seq 1 || return
	dec_expect_rx 5000 v4 "$p" || return
	uet_wait "$DEC_WAIT" dec_mapping_to "$mon" 1 4501 || { fail "no mapping event to 4501: $(cat "$mon")"; return; }
	[ "$(dec_encap "$h_out" dport)" = 4501 ] ||
		fail "outbound SA did not follow: $(dctl_out -j sa show handle "$h_out")"
}

# Selectors inside XDP: one selector of addresses, source and destination
# both checked as on the AF_XDP path; more (several, protocol, ports) are
# refused by offload kfunc with the reason, and offload auto leaves them
# to AF_XDP.
test_kfunc_selectors() {
	local h h2 p out
	kf_up || return
	out=$(nsx "$UET_NS_GW" "$UET_CTL" -s "$DEC_SOCK" sa add dir in src "$UET_PEER4" \
		dst "$UET_GW4" spi 0x6201 mode tunnel \
		aead 'rfc4106(gcm(aes))' "0x$K_GCM" 128 encap espinudp 4500 4500 0.0.0.0 \
		sel src "$INNER_PEER_NET" sel src 192.0.2.0/24 offload kfunc 2>&1)
	grep -q "offload kfunc checks one address selector inside XDP; this SA has several" \
		<<<"$out" || { fail "two selectors on offload kfunc: $out"; return; }
	dec_sa h2 dir in src "$UET_PEER4" dst "$UET_GW4" spi 0x6202 mode tunnel \
		aead 'rfc4106(gcm(aes))' "0x$K_GCM" 128 encap espinudp 4500 4500 0.0.0.0 \
		sel src "$INNER_PEER_NET" proto udp dport 5000 offload auto || return
	[ "$(kf_offload "$h2")" = xsk ] || { fail "ports on offload auto got $(kf_offload "$h2")"; return; }
	dec_sa h dir in src "$UET_PEER4" dst "$UET_GW4" spi 0x6203 mode tunnel \
		aead 'rfc4106(gcm(aes))' "0x$K_GCM" 128 encap espinudp 4500 4500 0.0.0.0 \
		sel src "$INNER_PEER_NET" dst "$INNER_GW4/32" offload kfunc || return
	local tun=(--to "$UET_GW4" --suite gcm --key "$K_GCM" --spi 0x6203 --mode tunnel
		--inner-src "$INNER_PEER4" --dport 5000)
	p=$(hexof "inside both prefixes")
	esp "${tun[@]}" --inner-dst "$INNER_GW4" --payload "$p" --seq 1 || return
	dec_expect_rx 5000 v4 "$p" || return
	esp "${tun[@]}" --inner-dst 198.51.100.2 --payload "$(hexof "another destination")" \
		--seq 2 || return
	dstat_is XfrmInTmplMismatch 1 || return
	[ "$(sa_stat "$h" tmpl_mismatch)" = 1 ] || { fail "SA tmpl_mismatch $(sa_stat "$h" tmpl_mismatch)"; return; }
	dstat_is RxXskRedirect 0
}
