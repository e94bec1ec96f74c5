# SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
# shellcheck shell=bash
#
# End-to-end tests of the receive path: Scapy's ESP (tests/e2e/esp_send.py)
# sends ESP-in-UDP from the peer namespace; udpesp_xdp redirects it to
# udpespd's AF_XDP worker, which decrypts it and hands the inner packet to
# the stack through udpesp0, where a UDP listener must receive it byte for
# byte. Sourced by run.sh; uses lib.sh.

DECAP_TESTS="test_decap_tunnel_gcm test_decap_suites test_decap_transport_nat
	test_decap_outer_ipv6 test_decap_selector_and_esn test_decap_nat_mapping"

UET_ESP_SEND=$UET_ROOT/tests/e2e/esp_send.py
# Debian's Python: the one that sees python3-scapy.
SCAPY_PY=${SCAPY_PY:-/usr/bin/python3}
UET_DAEMON=$UET_ROOT/build/udpespd
INNER_GW4=198.51.100.1
INNER_PEER_NET=203.0.113.0/24
INNER_PEER4=203.0.113.5

# Test keys (never real ones): AES-128 key + 4-byte salt, and others.
K_GCM=00112233445566778899aabbccddeeff01020304
K_CHACHA=000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1fa0a1a2a3
K_AES=8899aabbccddeeff0011223344556677
K_SHA256=0102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f20
K_SHA512=$K_SHA256$K_SHA256

# udpespd in the gateway namespace, its socket in $UET_TMP, the XDP program
# attached by it (native mode) and udpesp0 addressed as the inner side.
dec_up() {
	local sock=$UET_TMP/udpespd.sock
	nsenter --net="/run/netns/$UET_NS_GW" -- "$UET_DAEMON" --foreground \
		--socket "$sock" --pin-dir "$UET_PIN" --max-sa 1024 \
		--log "$UET_TMP/udpespd.log" --debug &
	UET_PIDS+=($!)
	uet_wait 10 test -S "$sock" || { fail "udpespd did not start: $(tail -5 "$UET_TMP/udpespd.log")"; return; }
	DEC_SOCK=$sock
	dctl link attach dev "$UET_DEV_GW" || { fail "link attach failed"; return; }
	q nsx "$UET_NS_GW" sysctl -qw net.ipv4.conf.all.rp_filter=0 net.ipv4.conf.default.rp_filter=0 &&
		q nsx "$UET_NS_GW" ip addr add "$INNER_GW4/24" dev udpesp0 &&
		q nsx "$UET_NS_GW" ip route add "$INNER_PEER_NET" dev udpesp0 &&
		q nsx "$UET_NS_GW" sysctl -qw net.ipv4.conf.udpesp0.rp_filter=0 ||
		{ fail "cannot address udpesp0"; return; }
	# The worker exists once its socket is registered.
	uet_wait 5 dec_has_worker || { fail "no AF_XDP worker on $UET_DEV_GW: $(tail -5 "$UET_TMP/udpespd.log")"; return; }
	uet_listen rx 5000 || return
}

dec_has_worker() { [ "$(bpftool -j map dump pinned "$UET_PIN/udpesp_xsks" 2>/dev/null | jq length)" -gt 0 ]; }

# udpespctl against the test daemon; output to the log.
dctl() { q nsx "$UET_NS_GW" "$UET_CTL" -s "$DEC_SOCK" "$@"; }
dctl_out() { nsx "$UET_NS_GW" "$UET_CTL" -s "$DEC_SOCK" "$@" 2>>"$UET_LOG"; }

# dec_sa_in SPI MODE ALG-ARGS... [-- EXTRA...]: an inbound SA from the peer.
dec_sa_in() {
	local spi=$1 mode=$2
	shift 2
	dctl sa add dir in src "$UET_PEER4" dst "$UET_GW4" spi "$spi" mode "$mode" \
		"$@" || { fail "sa add spi $spi failed: $(tail -2 "$UET_LOG")"; return; }
}

# esp PEER-ARGS...: send with esp_send.py from the peer namespace.
esp() { q nsx "$UET_NS_PEER" "$SCAPY_PY" "$UET_ESP_SEND" "$@" || { fail "esp_send.py $* failed"; return; }; }

# A global counter through the daemon (includes the workers' share).
dstat() { dctl_out -j stats | jq -r --arg n "$1" '.counters[$n] // "missing"'; }
# dstat_is NAME VALUE: wait for the counter to reach VALUE.
dstat_is() { uet_wait 3 test "$(dstat "$1")" = "$2" || fail "$1 is $(dstat "$1"), want $2"; }
sa_stat() { dctl_out -j stats | jq -r --argjson h "$1" --arg f "$2" '.sa[] | select(.handle == $h) | .[$f]'; }

hexof() { printf '%s' "$1" | od -An -tx1 | tr -d ' \n'; }

test_decap_tunnel_gcm() {
	local p1 p2 p3
	dec_up || return
	dec_sa_in 0x1001 tunnel aead 'rfc4106(gcm(aes))' "0x$K_GCM" 128 \
		encap espinudp 4500 4500 0.0.0.0 replay-window 64 \
		sel src "$INNER_PEER_NET" dst 198.51.100.0/24 || return
	p1=$(hexof "first datagram through udpesp") p2=$(hexof second) p3=$(hexof tampered)
	local tun=(--to "$UET_GW4" --suite gcm --key "$K_GCM" --spi 0x1001 --mode tunnel
		--inner-src "$INNER_PEER4" --inner-dst "$INNER_GW4" --dport 5000)
	esp "${tun[@]}" --payload "$p1" --seq 1 || return
	uet_expect_rx rx 5000 v4 "$p1" || return
	esp "${tun[@]}" --payload "$p2" --seq 2 || return
	uet_expect_rx rx 5000 v4 "$p2" || return
	dstat_is DecapOk 2 || return
	dstat_is RxXskRedirect 2 || return
	# The same packet again: the window says it was seen.
	esp "${tun[@]}" --payload "$p1" --seq 1 || return
	dstat_is XfrmInStateSeqError 1 || return
	# One flipped ICV bit: dropped as an integrity failure, never delivered.
	esp "${tun[@]}" --payload "$p3" --seq 3 --tamper || return
	dstat_is XfrmInStateProtoError 1 || return
	! uet_received rx 5000 v4 "$p3" || { fail "a tampered packet was delivered"; return; }
	[ "$(sa_stat 1 packets)" = 2 ] || fail "SA 1 packets = $(sa_stat 1 packets), want 2" || return
	[ "$(sa_stat 1 replay)" = 1 ] || fail "SA 1 replay = $(sa_stat 1 replay), want 1" || return
	[ "$(sa_stat 1 integrity_failed)" = 1 ] ||
		fail "SA 1 integrity_failed = $(sa_stat 1 integrity_failed), want 1" || return
	# After the tampered seq 3, the authentic seq 3 is still accepted.
	esp "${tun[@]}" --payload "$p2" --seq 3 || return
	dstat_is DecapOk 3
}

test_decap_suites() {
	local p
	dec_up || return
	dec_sa_in 0x2001 tunnel aead 'rfc7539esp(chacha20,poly1305)' "0x$K_CHACHA" 128 \
		encap espinudp 4500 4500 0.0.0.0 || return
	dec_sa_in 0x2002 tunnel enc 'cbc(aes)' "0x$K_AES" auth-trunc 'hmac(sha256)' "0x$K_SHA256" 128 \
		encap espinudp 4500 4500 0.0.0.0 || return
	dec_sa_in 0x2003 tunnel enc 'cbc(aes)' "0x$K_AES" auth-trunc 'hmac(sha512)' "0x$K_SHA512" 256 \
		encap espinudp 4500 4500 0.0.0.0 || return
	dec_sa_in 0x2004 tunnel enc 'ecb(cipher_null)' '' auth-trunc 'hmac(sha256)' "0x$K_SHA256" 128 \
		encap espinudp 4500 4500 0.0.0.0 || return
	local common=(--to "$UET_GW4" --mode tunnel --inner-src "$INNER_PEER4"
		--inner-dst "$INNER_GW4" --dport 5000 --seq 1)
	p=$(hexof chacha20-poly1305)
	esp "${common[@]}" --suite chacha --key "$K_CHACHA" --spi 0x2001 --payload "$p" || return
	uet_expect_rx rx 5000 v4 "$p" || return
	p=$(hexof aes-cbc-hmac-sha256)
	esp "${common[@]}" --suite cbc-sha256 --key "$K_AES" --auth-key "$K_SHA256" --spi 0x2002 --payload "$p" || return
	uet_expect_rx rx 5000 v4 "$p" || return
	p=$(hexof aes-cbc-hmac-sha512)
	esp "${common[@]}" --suite cbc-sha512 --key "$K_AES" --auth-key "$K_SHA512" --spi 0x2003 --payload "$p" || return
	uet_expect_rx rx 5000 v4 "$p" || return
	p=$(hexof null-hmac-sha256)
	esp "${common[@]}" --suite null-sha256 --key "" --auth-key "$K_SHA256" --spi 0x2004 --payload "$p" || return
	uet_expect_rx rx 5000 v4 "$p" || return
	dstat_is DecapOk 4
}

# Transport mode behind a NAT: the peer computed its UDP checksum with its
# own address 203.0.113.9; the stack accepts the datagram only if udpesp
# fixed the checksum for the address it arrived from (RFC 3948 3.1.2).
test_decap_transport_nat() {
	local p
	dec_up || return
	dec_sa_in 0x3001 transport aead 'rfc4106(gcm(aes))' "0x$K_GCM" 128 \
		encap espinudp 4500 4500 203.0.113.9 || return
	p=$(hexof "transport, NAT-OA known")
	esp --to "$UET_GW4" --suite gcm --key "$K_GCM" --spi 0x3001 --mode transport \
		--inner-src "$UET_PEER4" --orig-src 203.0.113.9 --inner-dst "$UET_GW4" \
		--dport 5000 --payload "$p" --seq 1 || return
	uet_expect_rx rx 5000 v4 "$p" || return
	# Without the original address the checksum is recomputed in full.
	dctl sa flush || { fail "sa flush"; return; }
	dec_sa_in 0x3002 transport enc 'cbc(aes)' "0x$K_AES" auth-trunc 'hmac(sha256)' "0x$K_SHA256" 128 \
		encap espinudp 4500 4500 0.0.0.0 || return
	p=$(hexof "transport, NAT-OA unknown")
	esp --to "$UET_GW4" --suite cbc-sha256 --key "$K_AES" --auth-key "$K_SHA256" --spi 0x3002 \
		--mode transport --inner-src "$UET_PEER4" --orig-src 203.0.113.77 \
		--inner-dst "$UET_GW4" --dport 5000 --payload "$p" --seq 1 || return
	uet_expect_rx rx 5000 v4 "$p"
}

test_decap_outer_ipv6() {
	local p
	dec_up || return
	dctl sa add dir in src "$UET_PEER6" dst "$UET_GW6" spi 0x4001 mode tunnel \
		aead 'rfc4106(gcm(aes))' "0x$K_GCM" 128 encap espinudp 4500 4500 :: ||
		{ fail "sa add over IPv6 failed"; return; }
	p=$(hexof "IPv4 inside IPv6 outer")
	esp --to "$UET_GW6" --suite gcm --key "$K_GCM" --spi 0x4001 --mode tunnel \
		--inner-src "$INNER_PEER4" --inner-dst "$INNER_GW4" --dport 5000 --payload "$p" --seq 1 || return
	uet_expect_rx rx 5000 v4 "$p"
}

test_decap_selector_and_esn() {
	local p
	dec_up || return
	# ESN: the window starts at 2^32 - 2, so seq_hi is 1 after the wrap.
	dec_sa_in 0x5001 tunnel aead 'rfc4106(gcm(aes))' "0x$K_GCM" 128 \
		encap espinudp 4500 4500 0.0.0.0 replay-window 128 flag esn \
		replay-seq 0xfffffffe replay-seq-hi 0 \
		sel src "$INNER_PEER_NET" || return
	local tun=(--to "$UET_GW4" --suite gcm --key "$K_GCM" --spi 0x5001 --mode tunnel
		--inner-dst "$INNER_GW4" --dport 5000)
	p=$(hexof "esn before the wrap")
	esp "${tun[@]}" --inner-src "$INNER_PEER4" --payload "$p" --seq 4294967295 --esn-hi 0 || return
	uet_expect_rx rx 5000 v4 "$p" || return
	p=$(hexof "esn after the wrap")
	esp "${tun[@]}" --inner-src "$INNER_PEER4" --payload "$p" --seq 2 --esn-hi 1 || return
	uet_expect_rx rx 5000 v4 "$p" || return
	# Inner source outside sel: authentic, but refused (RFC 3948 3.1.1).
	p=$(hexof "outside the selector")
	esp "${tun[@]}" --inner-src 198.51.100.77 --payload "$p" --seq 3 --esn-hi 1 || return
	dstat_is XfrmInTmplMismatch 1 || return
	! uet_received rx 5000 v4 "$p" || fail "a packet outside the selector was delivered"
}

# The peer's NAT gives it a new port: after an authenticated packet from
# there, the outbound SA follows and `monitor` reports the mapping; a
# forged packet from yet another port changes nothing.
test_decap_nat_mapping() {
	local p mon=$UET_TMP/monitor.out
	dec_up || return
	dec_sa_in 0x6001 tunnel aead 'rfc4106(gcm(aes))' "0x$K_GCM" 128 \
		encap espinudp 4500 4500 0.0.0.0 || return
	dctl sa add dir out src "$UET_GW4" dst "$UET_PEER4" spi 0x6002 mode tunnel \
		aead 'rfc4106(gcm(aes))' "0x$K_GCM" 128 encap espinudp 4500 4500 0.0.0.0 ||
		{ fail "outbound sa add failed"; return; }
	nsenter --net="/run/netns/$UET_NS_GW" -- "$UET_CTL" -s "$DEC_SOCK" -j monitor >"$mon" 2>>"$UET_LOG" &
	UET_PIDS+=($!)
	sleep 0.3
	local tun=(--to "$UET_GW4" --suite gcm --key "$K_GCM" --spi 0x6001 --mode tunnel
		--inner-src "$INNER_PEER4" --inner-dst "$INNER_GW4" --dport 5000)
	p=$(hexof "forged, from port 4999")
	esp "${tun[@]}" --sport 4999 --payload "$p" --seq 1 --tamper || return
	dstat_is XfrmInStateProtoError 1 || return
	p=$(hexof "from the new mapping")
	esp "${tun[@]}" --sport 4501 --payload "$p" --seq 2 || return
	uet_expect_rx rx 5000 v4 "$p" || return
	uet_wait 3 grep -q '"mapping"' "$mon" || { fail "no mapping event: $(cat "$mon")"; return; }
	[ "$(grep -c '"mapping"' "$mon")" = 1 ] || fail "want one mapping event: $(cat "$mon")" || return
	[ "$(dctl_out -j sa show handle 2 | jq -r '.. | objects | select(has("dport")) | .dport' | head -1)" = 4501 ] ||
		fail "outbound SA did not follow: $(dctl_out -j sa show handle 2)" || return
	[ "$(dctl_out -j sa show handle 1 | jq -r '.. | objects | select(has("sport")) | .sport' | head -1)" = 4501 ] ||
		fail "inbound SA does not record the new port: $(dctl_out -j sa show handle 1)"
}
