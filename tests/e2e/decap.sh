# SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
# shellcheck shell=bash
#
# End-to-end tests of the receive path: tests/e2e/esp_send.py (Scapy's ESP,
# or its own python3-cryptography builder where Scapy cannot) sends
# ESP-in-UDP from the peer namespace; udpesp_xdp redirects it to udpespd's
# AF_XDP workers, which decrypt it and hand the inner packet to the stack
# through udpesp0, where a UDP listener must receive it byte for byte.
# Sourced by run.sh; uses lib.sh. Two tests change the topology lib.sh
# built: test_decap_napt puts a NAPT namespace between peer and gateway,
# test_decap_multiqueue gives the veth two RX queues.

DECAP_TESTS="test_decap_tunnel_gcm test_decap_suites test_decap_transport_nat
	test_decap_outer_ipv6 test_decap_selector_and_esn test_decap_selectors test_decap_nat_mapping
	test_decap_suite_matrix test_decap_invalid test_decap_napt
	test_decap_multiqueue"

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

# The machine may be a loaded 2-core VM: every wait is a poll with room.
DEC_WAIT=10

# udpespd in the gateway namespace, its socket in $UET_TMP, the XDP program
# attached by it (native mode) and udpesp0 addressed as the inner side.
# The listener takes 5000 (inner traffic) and 4500: whatever udpesp_xdp
# passes up instead of taking would land there.
dec_up() {
	local sock=$UET_TMP/udpespd.sock
	nsenter --net="/run/netns/$UET_NS_GW" -- "$UET_DAEMON" --foreground \
		--socket "$sock" --pin-dir "$UET_PIN" --max-sa 1024 \
		--log "$UET_TMP/udpespd.log" --debug &
	UET_PIDS+=($!)
	uet_wait $DEC_WAIT test -S "$sock" || { fail "udpespd did not start: $(tail -5 "$UET_TMP/udpespd.log")"; return; }
	DEC_SOCK=$sock
	dctl link attach dev "$UET_DEV_GW" || { fail "link attach failed"; return; }
	q nsx "$UET_NS_GW" sysctl -qw net.ipv4.conf.all.rp_filter=0 net.ipv4.conf.default.rp_filter=0 &&
		q nsx "$UET_NS_GW" ip addr add "$INNER_GW4/24" dev udpesp0 &&
		q nsx "$UET_NS_GW" ip route add "$INNER_PEER_NET" dev udpesp0 &&
		q nsx "$UET_NS_GW" sysctl -qw net.ipv4.conf.udpesp0.rp_filter=0 ||
		{ fail "cannot address udpesp0"; return; }
	# The worker exists once its socket is registered.
	uet_wait $DEC_WAIT dec_has_worker || { fail "no AF_XDP worker on $UET_DEV_GW: $(tail -5 "$UET_TMP/udpespd.log")"; return; }
	uet_listen rx 5000 4500 || return
}

# AF_XDP workers (RX queues) of the gateway veth, as "WORKERS QUEUES",
# from udpespd's log line written once every socket is in udpesp_xsks.
# (bpftool cannot tell: an XSKMAP has no lookup from userspace, so a dump
# lists every index with "Operation not supported".)
dec_workers() {
	sed -n 's/.*: \([0-9]*\) of \([0-9]*\) RX queues have an AF_XDP worker$/\1 \2/p' \
		"$UET_TMP/udpespd.log" | tail -1
}
dec_has_worker() {
	local w
	read -ra w <<<"$(dec_workers)"
	[ "${w[0]:-0}" -gt 0 ] && [ "${w[0]}" = "${w[1]}" ]
}

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

# dec_sa VAR SA-ADD-WORDS...: add an SA, its handle into VAR.
dec_sa() {
	local -n h_=$1
	shift
	h_=$(dctl_out -j sa add "$@" | jq -r '.handle // empty')
	# The first 8 words name the SA; keys come later.
	[ -n "$h_" ] || fail "sa add ${*:1:8} ... failed: $(tail -2 "$UET_LOG")"
}

# esp PEER-ARGS...: send with esp_send.py from the peer namespace. Its
# arguments hold keys: they stay out of the messages.
esp() { q nsx "$UET_NS_PEER" "$SCAPY_PY" "$UET_ESP_SEND" "$@" || { fail "esp_send.py failed: $(tail -1 "$UET_LOG")"; return; }; }

# Many packets from one esp_send.py (Scapy loads once): dec_line adds one
# argument list to the file $DEC_BATCH, esp_batch sends them all in order.
dec_line() { printf '%q ' "$@" >>"$DEC_BATCH" && echo >>"$DEC_BATCH"; }
esp_batch() { esp --batch "$DEC_BATCH" && : >"$DEC_BATCH"; }

# A global counter through the daemon (includes the workers' share).
dstat() { dctl_out -j stats | jq -r --arg n "$1" '.counters[$n] // "missing"'; }
# dstat_is NAME VALUE: wait for the counter to reach VALUE. (uet_wait
# runs its command again each time: a $(...) in its arguments would not.)
dstat_eq() { [ "$(dstat "$1")" = "$2" ]; }
dstat_is() { uet_wait $DEC_WAIT dstat_eq "$1" "$2" || fail "$1 is $(dstat "$1"), want $2"; }
sa_stat() { dctl_out -j stats | jq -r --argjson h "$1" --arg f "$2" '.sa[] | select(.handle == $h) | .[$f]'; }

# What changed between two `udpespctl -j stats`, as sorted compact JSON:
# {"counters": {NAME: delta}, "sa": {"HANDLE": {FIELD: delta}}}, zeros
# left out. Left out as well: the counters in DEC_IGNORE (those every ESP
# packet moves, and those background traffic moves before any port is
# looked at: MLD reports carry a hop-by-hop header), the outbound ones
# (Tx*, XfrmOut*: the stack may send through udpesp0, and nothing here is
# about that path), outbound SAs (handles in DEC_OUT_SAS), and per SA all
# but DEC_SA_FIELDS (the receive path's packet count and drop reasons).
DEC_IGNORE='["RxEncap", "RxEsp", "RxXskRedirect", "RxIpv6ExtHdr", "RxIpFragment"]'
DEC_SA_FIELDS='["packets", "replay", "integrity_failed", "bad_padding", "bad_next_header",
	"tmpl_mismatch", "no_worker", "hdr_error", "inner_error", "dummy", "ecn_dropped"]'
dec_delta() {
	jq -cnS --argjson a "$1" --argjson b "$2" --argjson ignore "$DEC_IGNORE" \
		--argjson fields "$DEC_SA_FIELDS" --argjson out "${DEC_OUT_SAS:-[]}" '
		def minus($o): with_entries(.value -= ($o[.key] // 0) | select(.value != 0));
		{counters: ($b.counters | minus($a.counters) | delpaths($ignore | map([.]))
			| with_entries(select(.key | test("^(Tx|XfrmOut)") | not))),
		 sa: ([$b.sa[] | .handle as $h | select([$h] | inside($out) | not)
			| {key: ($h | tostring),
			   value: (with_entries(select(.key | IN($fields[])))
				| minus([$a.sa[] | select(.handle == $h)][0] // {}))}
			| select(.value != {})] | from_entries)}'
}

# dec_delta_is BEFORE WANT: wait until the change since BEFORE is WANT
# (JSON, any key order); on timeout say what it is. Every packet ends in
# exactly one of these counters, so once the sums match, all were counted.
dec_delta_now() { DEC_GOT=$(dec_delta "$1" "$(dctl_out -j stats)"); [ "$DEC_GOT" = "$2" ]; }
dec_delta_is() {
	local want DEC_OUT_SAS
	want=$(jq -cS . <<<"$2") || { fail "bad JSON in the test: $2"; return; }
	DEC_OUT_SAS=$(dctl_out -j sa list | jq -c '[.[] | select(.dir == "out") | .handle]') ||
		{ fail "udpespctl -j sa list"; return; }
	uet_wait $DEC_WAIT dec_delta_now "$1" "$want" ||
		fail "counters moved by $DEC_GOT, want $want"
}

hexof() { printf '%s' "$1" | od -An -tx1 | tr -d ' \n'; }

# hexbytes N SEED: N bytes SEED, SEED+1, ... in hex (test keys).
hexbytes() {
	local i out=
	for ((i = 0; i < $1; i++)); do out+=$(printf %02x $((($2 + i) & 255))); done
	echo "$out"
}

# dec_expect_rx PORT v4|v6 HEX: wait for this payload at the listener.
dec_expect_rx() {
	uet_wait $DEC_WAIT uet_received rx "$@" ||
		fail "payload $3 to port $1 ($2) never arrived; got: $(tr '\n' ';' <"$UET_TMP/rx.rx")"
}

# dec_rx_is FILE: what the listener got is exactly FILE's lines (any order).
dec_rx_is() {
	local extra missing
	extra=$(sort "$UET_TMP/rx.rx" | comm -23 - <(sort "$1") | tr '\n' ';')
	missing=$(sort "$UET_TMP/rx.rx" | comm -13 - <(sort "$1") | tr '\n' ';')
	[ -z "$extra$missing" ] || fail "listener: unexpected [$extra] missing [$missing]"
}

# dec_suite NAME: the SA words (DEC_SA_ALG) and esp_send.py words
# (DEC_ESP_ALG) of a suite, with test keys, and its smallest ESP (DEC_MIN:
# header, IV, 2 trailer bytes padded to the block, ICV). NAME is gcm-BITS,
# gmac-BITS, chacha, cbc-BITS-sha256|384|512 or null-sha256|384|512.
dec_suite() {
	local -a w
	local key akey hash trunc
	IFS=- read -ra w <<<"$1"
	case ${w[0]} in
	gcm | gmac | chacha)
		local alg='rfc4106(gcm(aes))' bits=${w[1]:-256}
		[ "${w[0]}" = gmac ] && alg='rfc4543(gcm(aes))'
		[ "${w[0]}" = chacha ] && alg='rfc7539esp(chacha20,poly1305)'
		key=$(hexbytes $((bits / 8 + 4)) $((0x10 + bits)))
		DEC_SA_ALG=(aead "$alg" "0x$key" 128)
		DEC_ESP_ALG=(--suite "${w[0]}" --key "$key")
		DEC_MIN=$((8 + 8 + 4 + 16))
		return
		;;
	gcm8 | gcm12 | ccm8 | ccm12 | ccm16)
		# RFC 4106 / 4309 with an 8, 12 or 16-byte ICV; CCM's salt is 3 bytes.
		local icv=${w[0]#???} alg='rfc4106(gcm(aes))' salt=4
		[ "${w[0]:0:3}" = ccm ] && alg='rfc4309(ccm(aes))' salt=3
		key=$(hexbytes $((w[1] / 8 + salt)) $((0x20 + w[1] + icv)))
		DEC_SA_ALG=(aead "$alg" "0x$key" $((icv * 8)))
		DEC_ESP_ALG=(--suite "${w[0]}" --key "$key")
		DEC_MIN=$((8 + 8 + 4 + icv))
		return
		;;
	cbc) key=$(hexbytes $((w[1] / 8)) $((0x60 + w[1]))) hash=${w[2]} ;;
	null) key='' hash=${w[1]} ;;
	*) fail "unknown suite $1"; return ;;
	esac
	# RFC 4868: the key as long as the hash, the ICV half of it.
	trunc=$((${hash#sha} / 2))
	akey=$(hexbytes $((${hash#sha} / 8)) $((0x80 + trunc)))
	if [ -n "$key" ]; then
		DEC_SA_ALG=(enc 'cbc(aes)' "0x$key")
		DEC_MIN=$((8 + 16 + 16 + trunc / 8))
	else
		DEC_SA_ALG=(enc 'ecb(cipher_null)' '')
		DEC_MIN=$((8 + 4 + trunc / 8))
	fi
	DEC_SA_ALG+=(auth-trunc "hmac($hash)" "0x$akey" "$trunc")
	DEC_ESP_ALG=(--suite "${w[0]}-$hash" --key "$key" --auth-key "$akey")
}

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
	dec_expect_rx 5000 v4 "$p1" || return
	esp "${tun[@]}" --payload "$p2" --seq 2 || return
	dec_expect_rx 5000 v4 "$p2" || return
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
	dec_expect_rx 5000 v4 "$p" || return
	p=$(hexof aes-cbc-hmac-sha256)
	esp "${common[@]}" --suite cbc-sha256 --key "$K_AES" --auth-key "$K_SHA256" --spi 0x2002 --payload "$p" || return
	dec_expect_rx 5000 v4 "$p" || return
	p=$(hexof aes-cbc-hmac-sha512)
	esp "${common[@]}" --suite cbc-sha512 --key "$K_AES" --auth-key "$K_SHA512" --spi 0x2003 --payload "$p" || return
	dec_expect_rx 5000 v4 "$p" || return
	p=$(hexof null-hmac-sha256)
	esp "${common[@]}" --suite null-sha256 --key "" --auth-key "$K_SHA256" --spi 0x2004 --payload "$p" || return
	dec_expect_rx 5000 v4 "$p" || return
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
	dec_expect_rx 5000 v4 "$p" || return
	# Without the original address the checksum is recomputed in full.
	dctl sa flush || { fail "sa flush"; return; }
	dec_sa_in 0x3002 transport enc 'cbc(aes)' "0x$K_AES" auth-trunc 'hmac(sha256)' "0x$K_SHA256" 128 \
		encap espinudp 4500 4500 0.0.0.0 || return
	p=$(hexof "transport, NAT-OA unknown")
	esp --to "$UET_GW4" --suite cbc-sha256 --key "$K_AES" --auth-key "$K_SHA256" --spi 0x3002 \
		--mode transport --inner-src "$UET_PEER4" --orig-src 203.0.113.77 \
		--inner-dst "$UET_GW4" --dport 5000 --payload "$p" --seq 1 || return
	dec_expect_rx 5000 v4 "$p"
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
	dec_expect_rx 5000 v4 "$p"
}

# Several selectors, protocols and ports on one inbound SA: an authentic
# packet is delivered when it matches any of them (RFC 4301 5.2), and
# dropped as XfrmInTmplMismatch when it matches none.
test_decap_selectors() {
	local p n=0
	dec_up || return
	dec_sa_in 0x5002 tunnel aead 'rfc4106(gcm(aes))' "0x$K_GCM" 128 \
		encap espinudp 4500 4500 0.0.0.0 \
		sel src 203.0.113.0/25 dst "$INNER_GW4" proto udp dport 5000 \
		sel src 203.0.113.128/25 dst "$INNER_GW4/32" || return
	local tun=(--to "$UET_GW4" --suite gcm --key "$K_GCM" --spi 0x5002 --mode tunnel)
	p=$(hexof "first selector: udp to 5000")
	esp "${tun[@]}" --inner-src "$INNER_PEER4" --inner-dst "$INNER_GW4" --dport 5000 \
		--payload "$p" --seq 1 || return
	dec_expect_rx 5000 v4 "$p" || return
	p=$(hexof "second selector: any protocol, any port")
	esp "${tun[@]}" --inner-src 203.0.113.200 --inner-dst "$INNER_GW4" --dport 5000 \
		--payload "$p" --seq 2 || return
	dec_expect_rx 5000 v4 "$p" || return
	# Each of these misses every selector: port, source, destination.
	for args in "--inner-src $INNER_PEER4 --inner-dst $INNER_GW4 --dport 5001" \
		"--inner-src 198.51.100.77 --inner-dst $INNER_GW4 --dport 5000" \
		"--inner-src $INNER_PEER4 --inner-dst 198.51.100.2 --dport 5000"; do
		n=$((n + 1))
		# shellcheck disable=SC2086 # the words of one case
		esp "${tun[@]}" $args --payload "$(hexof "miss $n")" --seq $((n + 2)) || return
		dstat_is XfrmInTmplMismatch "$n" || return
	done
	dstat_is DecapOk 2 || return
	# Transport mode (L2TP/IPsec's kind of SA): protocol and ports hold;
	# the addresses would meet the outer ones, which a NAT rewrites, so a
	# selector naming the peer's private address still takes its packets.
	dec_sa_in 0x5003 transport aead 'rfc4106(gcm(aes))' "0x$K_GCM" 128 \
		encap espinudp 4500 4500 0.0.0.0 sel src 10.0.0.7 proto udp dport 5000 || return
	local tr=(--to "$UET_GW4" --suite gcm --key "$K_GCM" --spi 0x5003 --mode transport
		--inner-src "$UET_PEER4" --inner-dst "$UET_GW4")
	p=$(hexof "transport, udp/5000")
	esp "${tr[@]}" --dport 5000 --payload "$p" --seq 1 || return
	dec_expect_rx 5000 v4 "$p" || return
	esp "${tr[@]}" --dport 5001 --payload "$(hexof "transport, udp/5001")" --seq 2 || return
	dstat_is XfrmInTmplMismatch 4 || return
	dstat_is DecapOk 3
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
	dec_expect_rx 5000 v4 "$p" || return
	p=$(hexof "esn after the wrap")
	esp "${tun[@]}" --inner-src "$INNER_PEER4" --payload "$p" --seq 2 --esn-hi 1 || return
	dec_expect_rx 5000 v4 "$p" || return
	# Inner source outside sel: authentic, but refused (RFC 3948 3.1.1).
	p=$(hexof "outside the selector")
	esp "${tun[@]}" --inner-src 198.51.100.77 --payload "$p" --seq 3 --esn-hi 1 || return
	dstat_is XfrmInTmplMismatch 1 || return
	! uet_received rx 5000 v4 "$p" || fail "a packet outside the selector was delivered"
}

# dec_monitor FILE: `udpespctl -j monitor` into FILE, returning once it
# is subscribed, that is once it has reported a throwaway SA's deletion.
dec_monitor() {
	local i
	: >"$1"
	nsenter --net="/run/netns/$UET_NS_GW" -- "$UET_CTL" -s "$DEC_SOCK" -j monitor >"$1" 2>>"$UET_LOG" &
	UET_PIDS+=($!)
	for ((i = 0; i < DEC_WAIT; i++)); do
		dec_monitor_sync "$1" 1 && return
		[ -z "$REASON" ] || return
	done
	fail "udpespctl monitor reported nothing: $(tail -2 "$UET_LOG")"
}

# dec_monitor_sync FILE [SECONDS]: every event raised so far is in FILE.
# A throwaway outbound SA (to an address no mapping touches) is added and
# deleted; udpespd handles requests and queued events in order, so once
# the deletion is reported, whatever was queued before it is too.
dec_monitor_sync() {
	local h n
	n=$(grep -c '"sa-deleted"' "$1")
	dec_sa h dir out src "$UET_GW4" dst 192.0.2.254 spi 0xfff0 mode tunnel \
		aead 'rfc4106(gcm(aes))' "0x$K_GCM" 128 encap espinudp 4500 4500 0.0.0.0 &&
		dctl sa del handle "$h" || { fail "throwaway SA for the monitor"; return; }
	uet_wait "${2:-$DEC_WAIT}" dec_lines_over "$1" '"sa-deleted"' "$n"
}

# dec_lines_over FILE PATTERN N: more than N lines of FILE match PATTERN.
dec_lines_over() { [ "$(grep -c -- "$2" "$1")" -gt "$3" ]; }

# dec_mappings FILE: the ports of the mapping events so far, one a line.
dec_mappings() { jq -r 'select(.event == "mapping") | .port' "$1" 2>>"$UET_LOG"; }
# dec_mapping_to FILE N PORT: the N-th mapping event is there, to PORT.
dec_mapping_to() { [ "$(dec_mappings "$1" | sed -n "$2p")" = "$3" ]; }

# dec_encap HANDLE FIELD: sport or dport of an SA as `sa show` reports it.
dec_encap() { dctl_out -j sa show handle "$1" | jq -r --arg f "$2" '.. | objects | select(has($f)) | .[$f]' | head -1; }

# The peer's NAT gives it a new port: after an authenticated packet from
# there, the outbound SA follows and `monitor` reports the mapping; a
# forged packet from yet another port changes nothing.
test_decap_nat_mapping() {
	local p h_in h_out mon=$UET_TMP/monitor.out
	dec_up && dec_monitor "$mon" || return
	dec_sa h_in dir in src "$UET_PEER4" dst "$UET_GW4" spi 0x6001 mode tunnel \
		aead 'rfc4106(gcm(aes))' "0x$K_GCM" 128 encap espinudp 4500 4500 0.0.0.0 || return
	dec_sa h_out dir out src "$UET_GW4" dst "$UET_PEER4" spi 0x6002 mode tunnel \
		aead 'rfc4106(gcm(aes))' "0x$K_GCM" 128 encap espinudp 4500 4500 0.0.0.0 || return
	local tun=(--to "$UET_GW4" --suite gcm --key "$K_GCM" --spi 0x6001 --mode tunnel
		--inner-src "$INNER_PEER4" --inner-dst "$INNER_GW4" --dport 5000)
	p=$(hexof "forged, from port 4999")
	esp "${tun[@]}" --sport 4999 --payload "$p" --seq 1 --tamper || return
	dstat_is XfrmInStateProtoError 1 || return
	p=$(hexof "from the new mapping")
	esp "${tun[@]}" --sport 4501 --payload "$p" --seq 2 || return
	dec_expect_rx 5000 v4 "$p" || return
	uet_wait $DEC_WAIT dec_mapping_to "$mon" 1 4501 || { fail "no mapping event to 4501: $(cat "$mon")"; return; }
	dec_monitor_sync "$mon" || { fail "monitor: no sa-deleted event"; return; }
	[ "$(dec_mappings "$mon" | wc -l)" = 1 ] || fail "want one mapping event: $(cat "$mon")" || return
	[ "$(dec_encap "$h_out" dport)" = 4501 ] ||
		fail "outbound SA did not follow: $(dctl_out -j sa show handle "$h_out")" || return
	[ "$(dec_encap "$h_in" sport)" = 4501 ] ||
		fail "inbound SA does not record the new port: $(dctl_out -j sa show handle "$h_in")"
}

# ---- every suite -----------------------------------------------------------

DEC_SUITES="gcm-128 gcm-192 gcm-256 chacha gmac-128 gmac-192 gmac-256
	gcm8-128 gcm12-256 ccm8-128 ccm12-192 ccm16-256
	cbc-128-sha256 cbc-128-sha384 cbc-128-sha512
	cbc-256-sha256 cbc-256-sha384 cbc-256-sha512
	null-sha256 null-sha384 null-sha512"

# Inner IPv6 for the tunnels of the suite matrix.
INNER_GW6=2001:db8:100::1
INNER_PEER6_NET=2001:db8:200::/64
INNER_PEER6=2001:db8:200::5

# Each suite three times: tunnel mode over IPv4 (IPv4 inside), transport
# mode over IPv6, and tunnel mode over IPv6 (IPv6 inside) with ESN, its
# two packets on either side of 2^32 (the window starts at 2^32 - 2).
# The first tunnel SA also gets a packet from esp_send.py's own builder
# (the one the invalid-packet test relies on); AES-GMAC, and CBC or NULL
# under ESN, are always built there (Scapy lacks GMAC and leaves seq hi
# out of an HMAC). Payload lengths step by one byte from suite to suite,
# so pad lengths vary. Every payload must arrive byte for byte, and
# nothing else may move but DecapOk and the SAs' packet counts.
test_decap_suite_matrix() {
	local s i=0 n=0 h4 h6 he p pad before port fam seq hi lo b want=$UET_TMP/matrix.want
	local -a builder
	local -A h_tun h_tr h_esn
	DEC_BATCH=$UET_TMP/matrix.batch
	: >"$DEC_BATCH"
	: >"$want"
	dec_up || return
	q nsx "$UET_NS_GW" ip addr add "$INNER_GW6/64" dev udpesp0 nodad &&
		q nsx "$UET_NS_GW" ip route add "$INNER_PEER6_NET" dev udpesp0 ||
		{ fail "cannot give udpesp0 an IPv6 address"; return; }
	for s in $DEC_SUITES; do
		i=$((i + 1))
		dec_suite "$s" || return
		dec_sa h4 dir in src "$UET_PEER4" dst "$UET_GW4" spi $((0x7000 + i)) mode tunnel \
			"${DEC_SA_ALG[@]}" encap espinudp 4500 4500 0.0.0.0 sel src "$INNER_PEER_NET" || return
		dec_sa h6 dir in src "$UET_PEER6" dst "$UET_GW6" spi $((0x7100 + i)) mode transport \
			"${DEC_SA_ALG[@]}" encap espinudp 4500 4500 :: || return
		dec_sa he dir in src "$UET_PEER6" dst "$UET_GW6" spi $((0x7200 + i)) mode tunnel \
			"${DEC_SA_ALG[@]}" encap espinudp 4500 4500 :: replay-window 128 flag esn \
			replay-seq 0xfffffffe replay-seq-hi 0 sel src "$INNER_PEER6_NET" || return
		h_tun[$s]=$h4 h_tr[$s]=$h6 h_esn[$s]=$he
		pad=$(printf "%${i}s" '' | tr ' ' .)
		for seq in 1 2; do
			builder=(--builder own) b=own
			[ $seq = 1 ] && builder=() b=default
			p=$(hexof "$s, tunnel, IPv4 outer, $b builder $pad")
			dec_line --to "$UET_GW4" "${DEC_ESP_ALG[@]}" --spi $((0x7000 + i)) --mode tunnel \
				--inner-src "$INNER_PEER4" --inner-dst "$INNER_GW4" --dport 5000 \
				--payload "$p" --seq $seq "${builder[@]}"
			echo "5000 v4 $p" >>"$want"
		done
		p=$(hexof "$s, transport, IPv6 outer $pad")
		dec_line --to "$UET_GW6" "${DEC_ESP_ALG[@]}" --spi $((0x7100 + i)) --mode transport \
			--inner-src "$UET_PEER6" --inner-dst "$UET_GW6" --dport 5000 --payload "$p" --seq 1
		echo "5000 v6 $p" >>"$want"
		for seq in "0 4294967295" "1 1"; do
			read -r hi lo <<<"$seq"
			p=$(hexof "$s, tunnel, IPv6 outer and inner, ESN $hi:$lo $pad")
			dec_line --to "$UET_GW6" "${DEC_ESP_ALG[@]}" --spi $((0x7200 + i)) --mode tunnel \
				--inner-src "$INNER_PEER6" --inner-dst "$INNER_GW6" --dport 5000 \
				--payload "$p" --seq "$lo" --esn-hi "$hi"
			echo "5000 v6 $p" >>"$want"
		done
		n=$((n + 5))
	done
	before=$(dctl_out -j stats)
	esp_batch || return
	while read -r port fam p; do
		dec_expect_rx "$port" "$fam" "$p" || return
	done <"$want"
	dec_delta_is "$before" "$(for s in $DEC_SUITES; do
		printf '{"%s":{"packets":2},"%s":{"packets":1},"%s":{"packets":2}}\n' \
			"${h_tun[$s]}" "${h_tr[$s]}" "${h_esn[$s]}"
	done | jq -cs --argjson n $n '{counters: {DecapOk: $n}, sa: add}')" || return
	dec_rx_is "$want"
}

# ---- invalid packets -------------------------------------------------------

# dec_good SA FAM SEQ TEXT [OPTIONS...]: a batch line for a packet of the
# SA whose esp_send.py words are in the array named SA, expected at the
# listener (the file $DEC_WANT). dec_bad SA SEQ TEXT OPTIONS...: one
# expected nowhere.
dec_good() {
	local -n sa_=$1
	dec_line "${sa_[@]}" --seq "$3" --payload "$(hexof "$4")" "${@:5}"
	echo "5000 $2 $(hexof "$4")" >>"$DEC_WANT"
}
dec_bad() {
	local -n sa_=$1
	dec_line "${sa_[@]}" --seq "$2" --payload "$(hexof "$3")" "${@:4}"
}

# Every kind of bad packet, each on an SA whose suite and mode it suits
# (all with a replay window: 0 would turn the check off, as in XFRM).
# First the ones too short for their suite, which udpesp_xdp drops itself;
# then the rest in one stream (one queue, so processed in order) with good
# ones in between and a good one last. Each kind moves exactly its own
# global counter and per-SA field; only the good ones arrive, byte for
# byte, and nothing is passed up to port 4500. Authentic but undeliverable
# packets (bad padding, bad next header) leave the window alone, so their
# sequence number is accepted afterwards; a dummy packet (next header 59)
# takes its number (RFC 4303 2.6: authentic and well formed, only not for
# delivery), as does an authentic CE-over-Not-ECT one (RFC 6040 4.2).
# Also: sequence number 0, one below the window, an inner
# packet that is not what next header says, and TFC padding (stripped).
# shellcheck disable=SC2034 # A B C D are read by dec_good/dec_bad (namerefs)
test_decap_invalid() {
	local a b c d before
	local -a A B C D
	DEC_BATCH=$UET_TMP/invalid.batch DEC_WANT=$UET_TMP/invalid.want
	: >"$DEC_BATCH"
	: >"$DEC_WANT"
	dec_up || return
	# A: AES-GCM-128, tunnel, IPv4 outer, sel src 203.0.113.0/24.
	dec_suite gcm-128 && local amin=$DEC_MIN &&
		dec_sa a dir in src "$UET_PEER4" dst "$UET_GW4" spi 0x8001 mode tunnel \
			"${DEC_SA_ALG[@]}" encap espinudp 4500 4500 0.0.0.0 replay-window 64 sel src "$INNER_PEER_NET" || return
	A=(--to "$UET_GW4" "${DEC_ESP_ALG[@]}" --spi 0x8001 --mode tunnel
		--inner-src "$INNER_PEER4" --inner-dst "$INNER_GW4" --dport 5000)
	# B: AES-CBC-256 with HMAC-SHA-384-192, transport, IPv6 outer.
	dec_suite cbc-256-sha384 && local bmin=$DEC_MIN &&
		dec_sa b dir in src "$UET_PEER6" dst "$UET_GW6" spi 0x8002 mode transport \
			"${DEC_SA_ALG[@]}" encap espinudp 4500 4500 :: replay-window 64 || return
	B=(--to "$UET_GW6" "${DEC_ESP_ALG[@]}" --spi 0x8002 --mode transport
		--inner-src "$UET_PEER6" --inner-dst "$UET_GW6" --dport 5000)
	# C: AES-GMAC-256, tunnel, IPv4 outer.
	dec_suite gmac-256 && local cmin=$DEC_MIN &&
		dec_sa c dir in src "$UET_PEER4" dst "$UET_GW4" spi 0x8003 mode tunnel \
			"${DEC_SA_ALG[@]}" encap espinudp 4500 4500 0.0.0.0 replay-window 64 || return
	C=(--to "$UET_GW4" "${DEC_ESP_ALG[@]}" --spi 0x8003 --mode tunnel
		--inner-src "$INNER_PEER4" --inner-dst "$INNER_GW4" --dport 5000)
	# D: NULL with HMAC-SHA-512-256, transport, IPv4 outer.
	dec_suite null-sha512 && local dmin=$DEC_MIN &&
		dec_sa d dir in src "$UET_PEER4" dst "$UET_GW4" spi 0x8004 mode transport \
			"${DEC_SA_ALG[@]}" encap espinudp 4500 4500 0.0.0.0 replay-window 64 || return
	D=(--to "$UET_GW4" "${DEC_ESP_ALG[@]}" --spi 0x8004 --mode transport
		--inner-src "$UET_PEER4" --inner-dst "$UET_GW4" --dport 5000)

	# Shorter than the suite allows: udpesp_xdp drops these, so they
	# are ESP to it (RxEsp) but never reach a worker (RxXskRedirect).
	dec_bad A 1 "A1 truncated" --truncate $((amin - 1))
	dec_bad B 1 "B1 truncated" --truncate $((bmin - 1))
	dec_bad C 1 "C1 truncated" --truncate $((cmin - 1))
	dec_bad D 1 "D1 truncated" --truncate $((dmin - 1))
	before=$(dctl_out -j stats)
	esp_batch || return
	DEC_IGNORE='["RxIpv6ExtHdr", "RxIpFragment"]' dec_delta_is "$before" "$(jq -cn \
		--arg a "$a" --arg b "$b" --arg c "$c" --arg d "$d" '{
		counters: {RxEncap: 4, RxEsp: 4, XfrmInHdrError: 4},
		sa: {($a): {hdr_error: 1}, ($b): {hdr_error: 1}, ($c): {hdr_error: 1},
			($d): {hdr_error: 1}}}')" || return

	dec_good A v4 1 "A1"
	dec_bad A 2 "A2 tampered" --tamper
	dec_bad A 1 "A1 replayed"
	# Long enough, but no longer whole cipher blocks: the worker drops it.
	dec_bad B 1 "B1 one byte short" --truncate -1
	dec_bad A 3 "A3 bad padding" --bad-pad
	dec_good A v4 3 "A3 after bad padding"
	dec_bad B 1 "B1 bad padding" --bad-pad
	dec_bad C 1 "C1 bad padding" --bad-pad
	dec_bad A 4 "A4 next header UDP in tunnel mode" --nh 17
	dec_bad D 1 "D1 next header IPIP in transport mode" --nh 4
	dec_good A v4 4 "A4 after bad next header"
	dec_bad A 5 "A5 dummy" --nh 59
	dec_bad A 5 "A5 after the dummy took 5"
	dec_bad D 2 "D2 dummy" --nh 59
	dec_bad A 6 "A6 outside the selector" --inner-src 198.51.100.77
	dec_bad A 7 "A7 IPv4 inside, next header 41" --nh 41
	dec_bad A 0 "A0 sequence number 0"
	dec_good A v4 100 "A100 jumps ahead"
	dec_bad A 20 "A20 below the window"
	# TFC padding after the inner packet is not delivered (RFC 4303 2.7).
	dec_good A v4 101 "A101 TFC padding" --tfc 13
	dec_good D v4 3 "D3 TFC padding" --tfc 7
	dec_good B v6 2 "B2"
	dec_good C v4 2 "C2"
	# RFC 6040: CE on the outer header over an ECT(0) inner packet is
	# delivered (marked CE); over a Not-ECT one it cannot be, and drops.
	dec_good A v4 98 "A98 outer CE, inner ECT(0)" --outer-tos 3 --inner-tos 2
	dec_bad A 99 "A99 outer CE, inner Not-ECT" --outer-tos 3
	dec_good A v4 102 "A102 last"
	before=$(dctl_out -j stats)
	esp_batch || return
	dec_expect_rx 5000 v4 "$(hexof "A102 last")" || return
	dec_delta_is "$before" "$(jq -cn --arg a "$a" --arg b "$b" --arg c "$c" --arg d "$d" '{
		counters: {DecapOk: 10, XfrmInStateProtoError: 1, XfrmInStateSeqError: 4,
			XfrmInHdrError: 1, DecapBadPadding: 3, DecapBadNextHeader: 2,
			DecapDummy: 2, XfrmInTmplMismatch: 1, XfrmInStateModeError: 1,
			DecapEcnDrop: 1},
		sa: {($a): {packets: 7, integrity_failed: 1, replay: 4, bad_padding: 1,
				bad_next_header: 1, dummy: 1, tmpl_mismatch: 1, inner_error: 1,
				ecn_dropped: 1},
			($b): {packets: 1, hdr_error: 1, bad_padding: 1},
			($c): {packets: 1, bad_padding: 1},
			($d): {packets: 1, bad_next_header: 1, dummy: 1}}}')" || return
	dec_rx_is "$DEC_WANT"
}

# ---- through a NAPT ----------------------------------------------------------
#
#   netns peer [uet-peer 203.0.113.130/25, default via .129]
#     | veth
#   netns nat  [nat-peer 203.0.113.129/25] -- nftables snat, random ports --
#              [nat-gw   192.0.2.2/24]
#     | veth
#   netns gw   [uet-gw   192.0.2.1/24]  <- udpesp_xdp, udpespd
#
# The gateway sees the peer as 192.0.2.2 (lib.sh's peer address, so its
# SAs are the usual ones) at whatever port the NAPT picked.

DEC_NS_NAT=$UET_PREFIX-nat
NAPT_PEER4=203.0.113.130
NAPT_NAT_IN=203.0.113.129

# dec_napt_rule PORTS: the NAPT maps UDP to 4500 from the peer to
# 192.0.2.2:PORTS (a range), picking a port at random.
dec_napt_rule() {
	nsx "$DEC_NS_NAT" nft -f - >>"$UET_LOG" 2>&1 <<-NFT || fail "nft: cannot set the NAPT rule"
		table ip napt
		flush table ip napt
		table ip napt {
			chain post {
				type nat hook postrouting priority srcnat; policy accept;
				oifname "nat-gw" udp dport 4500 snat to $UET_PEER4:$1 random
			}
		}
	NFT
}

# Replace lib.sh's direct veth by peer <-> nat <-> gw.
dec_napt_up() {
	local t
	t=$(uet_missing_tools nft conntrack)
	[ -z "$t" ] || { skip "missing tools: $t"; return; }
	q ip -n "$UET_NS_GW" link del "$UET_DEV_GW" &&
		q ip netns add "$DEC_NS_NAT" &&
		q ip -n "$UET_NS_GW" link add "$UET_DEV_GW" type veth peer name nat-gw netns "$DEC_NS_NAT" &&
		q ip -n "$UET_NS_PEER" link add "$UET_DEV_PEER" type veth peer name nat-peer netns "$DEC_NS_NAT" ||
		{ fail "cannot build peer <-> nat <-> gw"; return; }
	q ip -n "$UET_NS_GW" addr add "$UET_GW4/24" dev "$UET_DEV_GW" &&
		q ip -n "$DEC_NS_NAT" addr add "$UET_PEER4/24" dev nat-gw &&
		q ip -n "$DEC_NS_NAT" addr add "$NAPT_NAT_IN/25" dev nat-peer &&
		q ip -n "$UET_NS_PEER" addr add "$NAPT_PEER4/25" dev "$UET_DEV_PEER" &&
		q ip -n "$DEC_NS_NAT" link set lo up &&
		q ip -n "$UET_NS_GW" link set "$UET_DEV_GW" up &&
		q ip -n "$DEC_NS_NAT" link set nat-gw up &&
		q ip -n "$DEC_NS_NAT" link set nat-peer up &&
		q ip -n "$UET_NS_PEER" link set "$UET_DEV_PEER" up &&
		q ip -n "$UET_NS_PEER" route add default via "$NAPT_NAT_IN" &&
		q nsx "$DEC_NS_NAT" sysctl -qw net.ipv4.ip_forward=1 ||
		{ fail "cannot configure peer <-> nat <-> gw"; return; }
	dec_napt_rule 40000-40499
}

# The extra namespace goes whatever happens; lib.sh removes the others.
dec_napt_down() {
	[ -e "/run/netns/$DEC_NS_NAT" ] && ip netns del "$DEC_NS_NAT" 2>/dev/null
	return 0
}

# dec_napt_port SPORT: the port the NAPT gave the peer's UDP port SPORT
# (the reply direction's destination port in its conntrack entry).
dec_napt_port() {
	nsx "$DEC_NS_NAT" conntrack -L -p udp --orig-port-src "$1" 2>>"$UET_LOG" |
		sed -n 's/.*dport=\([0-9][0-9]*\).*/\1/p' | head -1
}

# dec_napt_follows N SPORT LO HI H_IN H_OUT TEXT SEQ: the peer sends from
# SPORT; the payload arrives; the NAPT port is in LO-HI; it is the N-th
# mapping event; both SAs show it. Sets DEC_PORT.
dec_napt_follows() {
	local n=$1 sport=$2 lo=$3 hi=$4 h_in=$5 h_out=$6 p
	p=$(hexof "$7")
	esp --to "$UET_GW4" --sport "$sport" "${DEC_ESP_ALG[@]}" --spi 0x9001 --mode tunnel \
		--inner-src "$INNER_PEER4" --inner-dst "$INNER_GW4" --dport 5000 --payload "$p" --seq "$8" &&
		dec_expect_rx 5000 v4 "$p" || return
	DEC_PORT=$(dec_napt_port "$sport")
	[[ $DEC_PORT =~ ^[0-9]+$ ]] && [ "$DEC_PORT" -ge "$lo" ] && [ "$DEC_PORT" -le "$hi" ] ||
		{ fail "NAPT port for $sport is '$DEC_PORT', want $lo-$hi"; return; }
	echo "NAPT: peer port $sport -> $UET_PEER4:$DEC_PORT" >>"$UET_LOG"
	uet_wait $DEC_WAIT dec_mapping_to "$DEC_MON" "$n" "$DEC_PORT" ||
		{ fail "mapping event $n is not to port $DEC_PORT: $(dec_mappings "$DEC_MON" | tr '\n' ' ')"; return; }
	dec_monitor_sync "$DEC_MON" || { fail "monitor: no sa-deleted event"; return; }
	[ "$(dec_mappings "$DEC_MON" | wc -l)" = "$n" ] ||
		{ fail "want $n mapping events, got: $(dec_mappings "$DEC_MON" | tr '\n' ' ')"; return; }
	[ "$(dec_encap "$h_in" sport)" = "$DEC_PORT" ] ||
		{ fail "sa show of the inbound SA: $(dctl_out -j sa show handle "$h_in")"; return; }
	[ "$(dctl_out -j sa show handle "$h_in" | jq -r '.. | objects | select(has("src")) | .src' | head -1)" = "$UET_PEER4" ] ||
		{ fail "inbound SA src moved: $(dctl_out -j sa show handle "$h_in")"; return; }
	[ "$(dec_encap "$h_out" dport)" = "$DEC_PORT" ] ||
		fail "outbound SA did not follow: $(dctl_out -j sa show handle "$h_out")"
}

# ESP from port 4500 behind a NAPT that maps it to a random port: the
# mapping is reported and followed. Then the NAPT forgets it (conntrack
# entry deleted, the port range moved, as after a NAPT restart), then the
# peer moves to another port: each time the mapping follows, exactly one
# event each, and traffic keeps arriving; a forged packet from yet another
# port changes nothing.
test_decap_napt() {
	local rc
	trap 'dec_napt_down; uet_teardown' EXIT
	dec_napt_test
	rc=$?
	dec_napt_down
	trap uet_teardown EXIT
	return $rc
}

dec_napt_test() {
	local h_in h_out p1 p2 p3 before
	DEC_MON=$UET_TMP/monitor.out
	dec_napt_up && dec_up && dec_monitor "$DEC_MON" || return
	dec_suite gcm-256
	dec_sa h_in dir in src "$UET_PEER4" dst "$UET_GW4" spi 0x9001 mode tunnel \
		"${DEC_SA_ALG[@]}" encap espinudp 4500 4500 0.0.0.0 replay-window 64 \
		sel src "$INNER_PEER_NET" || return
	dec_sa h_out dir out src "$UET_GW4" dst "$UET_PEER4" spi 0x9002 mode tunnel \
		"${DEC_SA_ALG[@]}" encap espinudp 4500 4500 0.0.0.0 || return
	dec_napt_follows 1 4500 40000 40499 "$h_in" "$h_out" "behind the NAPT" 1 || return
	p1=$DEC_PORT
	# The NAPT forgets the mapping and now maps into another range.
	dec_napt_rule 40500-40999 &&
		q nsx "$DEC_NS_NAT" conntrack -D -p udp --orig-port-src 4500 ||
		{ fail "cannot make the NAPT forget port $p1"; return; }
	dec_napt_follows 2 4500 40500 40999 "$h_in" "$h_out" "NAPT rebound" 2 || return
	p2=$DEC_PORT
	# The peer itself moves: a new flow through the NAPT, a new port.
	dec_napt_follows 3 4501 40500 40999 "$h_in" "$h_out" "peer rebound" 3 || return
	p3=$DEC_PORT
	[ "$p2" != "$p3" ] || fail "two flows share NAPT port $p2" || return
	# Same flow again: delivered, no new event. Forged from another
	# port: dropped, no event either.
	before=$(dctl_out -j stats)
	esp --to "$UET_GW4" --sport 4502 "${DEC_ESP_ALG[@]}" --spi 0x9001 --mode tunnel \
		--inner-src "$INNER_PEER4" --inner-dst "$INNER_GW4" --dport 5000 \
		--payload "$(hexof forged)" --seq 4 --tamper &&
		dec_napt_follows 3 4501 40500 40999 "$h_in" "$h_out" "same flow" 5 || return
	[ "$DEC_PORT" = "$p3" ] || fail "the flow moved from $p3 to $DEC_PORT" || return
	dec_delta_is "$before" "{\"counters\":{\"DecapOk\":1,\"XfrmInStateProtoError\":1},
		\"sa\":{\"$h_in\":{\"packets\":1,\"integrity_failed\":1}}}" || return
	! uet_received rx 5000 v4 "$(hexof forged)" || fail "a forged packet was delivered"
}

# ---- two RX queues -----------------------------------------------------------

# Replace lib.sh's veth by one with two RX and two TX queues on each end,
# addressed as before. The peer's veth picks a TX queue per flow (its
# hash), and the gateway's end receives on the RX queue of that number.
dec_mq_up() {
	local mac
	q ip -n "$UET_NS_GW" link del "$UET_DEV_GW" &&
		q ip -n "$UET_NS_GW" link add "$UET_DEV_GW" numtxqueues 2 numrxqueues 2 type veth \
			peer name "$UET_DEV_PEER" netns "$UET_NS_PEER" numtxqueues 2 numrxqueues 2 ||
		{ fail "cannot create a veth with two queues"; return; }
	q ip -n "$UET_NS_GW" addr add "$UET_GW4/24" dev "$UET_DEV_GW" &&
		q ip -n "$UET_NS_GW" addr add "$UET_GW6/64" dev "$UET_DEV_GW" nodad &&
		q ip -n "$UET_NS_PEER" addr add "$UET_PEER4/24" dev "$UET_DEV_PEER" &&
		q ip -n "$UET_NS_PEER" addr add "$UET_PEER6/64" dev "$UET_DEV_PEER" nodad &&
		q ip -n "$UET_NS_GW" link set "$UET_DEV_GW" up &&
		q ip -n "$UET_NS_PEER" link set "$UET_DEV_PEER" up ||
		{ fail "cannot configure the two-queue veth"; return; }
	mac=$(uet_gw_link -j | jq -r '.[0].address')
	q ip -n "$UET_NS_PEER" neigh replace "$UET_GW4" lladdr "$mac" dev "$UET_DEV_PEER" nud permanent ||
		fail "cannot add a neighbour"
}

# UDP datagrams the gateway's stack dropped for a full socket buffer.
dec_rcvbuf_errors() {
	nsx "$UET_NS_GW" awk '$1 == "Udp:" && !h { for (i = 2; i <= NF; i++) col[$i] = i; h = 1; next }
		$1 == "Udp:" { print $col["RcvbufErrors"] }' /proc/net/snmp
}

# dec_rxq_stat N NAME: a per-queue counter of the gateway's veth (ethtool -S).
dec_rxq_stat() {
	nsx "$UET_NS_GW" ethtool -S "$UET_DEV_GW" 2>>"$UET_LOG" |
		sed -n "s/^ *rx_queue_$1_$2: *\([0-9]*\)$/\1/p"
}

# The daemon opens one AF_XDP worker per RX queue. One SA's traffic comes
# from 16 source ports, so both queues carry it (checked with the veth's
# per-queue counters), and every sequence number is sent twice, from two
# neighbouring ports that often land on different queues: the copies race
# through XDP's pre-check and both workers. The window must stay exact:
# each number delivered once (DecapOk = distinct numbers), each copy
# counted as a replay, nothing else. The window (1024) is wider than all
# the numbers sent, so a late packet can never fall below it: any loss or
# double would be a bug. The log shows how many copies XDP dropped.
test_decap_multiqueue() {
	# 128 tiny datagrams fit in the listener's default socket buffer even
	# if it is not scheduled at all meanwhile.
	local n=128 h before q r0 r1 d0 d1 want=$UET_TMP/mq.want seq t
	local -a sports=()
	t=$(uet_missing_tools ethtool)
	[ -z "$t" ] || { skip "missing tools: $t"; return; }
	dec_mq_up && dec_up || return
	[ "$(dec_workers)" = "2 2" ] ||
		{ fail "workers and RX queues: $(dec_workers), want 2 2"; return; }
	dec_suite gcm-128
	dec_sa h dir in src "$UET_PEER4" dst "$UET_GW4" spi 0xa001 mode tunnel \
		"${DEC_SA_ALG[@]}" encap espinudp 4500 4500 0.0.0.0 replay-window 1024 || return
	for ((q = 0; q < 16; q++)); do sports+=(--sport $((4600 + q))); done
	: >"$want"
	for ((seq = 1; seq <= n; seq++)); do
		echo "5000 v4 $(hexof "two queues")$(printf %08x $seq)" >>"$want"
	done
	r0=$(dec_rxq_stat 0 xdp_redirect) r1=$(dec_rxq_stat 1 xdp_redirect)
	d0=$(dec_rxq_stat 0 xdp_drops) d1=$(dec_rxq_stat 1 xdp_drops)
	before=$(dctl_out -j stats)
	esp --to "$UET_GW4" "${sports[@]}" --copies 2 "${DEC_ESP_ALG[@]}" --spi 0xa001 \
		--mode tunnel --inner-src "$INNER_PEER4" --inner-dst "$INNER_GW4" --dport 5000 \
		--payload "$(hexof "two queues")" --tag-seq --seq 1-$n || return
	dec_delta_is "$before" "{\"counters\":{\"DecapOk\":$n,\"XfrmInStateSeqError\":$n},
		\"sa\":{\"$h\":{\"packets\":$n,\"replay\":$n}}}" || return
	r0=$(($(dec_rxq_stat 0 xdp_redirect) - r0)) r1=$(($(dec_rxq_stat 1 xdp_redirect) - r1))
	d0=$(($(dec_rxq_stat 0 xdp_drops) - d0)) d1=$(($(dec_rxq_stat 1 xdp_drops) - d1))
	echo "queue 0: $r0 redirected, $d0 dropped in XDP; queue 1: $r1 redirected, $d1 dropped in XDP" >>"$UET_LOG"
	[ $((r0 + r1 + d0 + d1)) = $((2 * n)) ] ||
		fail "the queues saw $((r0 + r1 + d0 + d1)) packets, want $((2 * n))" || return
	[ "$r0" -gt 0 ] && [ "$r1" -gt 0 ] ||
		fail "one queue carried nothing: queue 0 $r0, queue 1 $r1 redirected" || return
	uet_wait $DEC_WAIT dec_lines_over "$UET_TMP/rx.rx" '^5000 ' $((n - 1))
	dec_rx_is "$want" || fail "$REASON (UDP RcvbufErrors: $(dec_rcvbuf_errors))"
}
