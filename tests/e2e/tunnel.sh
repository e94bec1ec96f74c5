# SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
# shellcheck shell=bash
#
# End-to-end tests of a whole tunnel: udpespd on both ends (each in its
# namespace, each with its own pin directory on the test's bpffs), one SA
# per direction, traffic both ways through udpesp0 on each side. Sourced
# by run.sh after decap.sh (uses its dec_* helpers).

TUNNEL_TESTS="test_tunnel_both_ways test_tunnel_every_suite test_tunnel_tshark_decrypts
	test_tunnel_seq_exhaustion test_tunnel_df_modes test_tunnel_selectors_pick_sa"

PEER_INNER4=203.0.113.5

# udpespd in namespace NS, socket $UET_TMP/NAME.sock, maps under NAME/;
# NAT-keepalives every TUN_KEEPALIVE seconds (default 1); more options in
# TUN_ARGS.
tun_daemon_up() {
	local ns=$1 name=$2 dev=$3 sock=$UET_TMP/$2.sock
	nsenter --net="/run/netns/$ns" -- "$UET_DAEMON" --foreground --socket "$sock" \
		--pin-dir "$UET_BPFFS/$name" --max-sa 64 --keepalive "${TUN_KEEPALIVE:-1}" \
		--log "$UET_TMP/$name.log" --debug ${TUN_ARGS:-} &
	UET_PIDS+=($!)
	# Answering, not just a socket file: a killed udpespd leaves its file behind.
	uet_wait 10 q nsx "$ns" "$UET_CTL" -s "$sock" link list ||
		{ fail "udpespd ($name) did not start: $(tail -3 "$UET_TMP/$name.log")"; return; }
	# A restarted udpespd adopts the link its predecessor kept attached.
	if ! nsx "$ns" "$UET_CTL" -s "$sock" link list 2>/dev/null | grep -q "dev $dev "; then
		q nsx "$ns" "$UET_CTL" -s "$sock" link attach dev "$dev" ||
			{ fail "$name: link attach"; return; }
	fi
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

# One AES-GCM SA each way on both daemons (tun_daemon_up'd as gw and
# peer), udpesp0 addressed on both sides, the workers up. Peer -> gateway
# uses key gcm_in, gateway -> peer gcm_out; more words (replay-window N)
# go to the gateway's inbound SA.
tun_gcm_pair_up() {
	local gcm_in=$1 gcm_out=$2 aead=(aead 'rfc4106(gcm(aes))')
	shift 2
	tctl "$UET_NS_GW" gw sa add dir in src "$UET_PEER4" dst "$UET_GW4" spi 0x1001 mode tunnel \
		"${aead[@]}" "0x$gcm_in" 128 encap espinudp 4500 4500 0.0.0.0 "$@" \
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
}

test_tunnel_both_ways() {
	local gcm_in gcm_out p
	gcm_in=$(od -An -tx1 -N20 /dev/urandom | tr -d ' \n')
	gcm_out=$(od -An -tx1 -N20 /dev/urandom | tr -d ' \n')
	tun_daemon_up "$UET_NS_GW" gw "$UET_DEV_GW" || return
	tun_daemon_up "$UET_NS_PEER" peer "$UET_DEV_PEER" || return
	tun_gcm_pair_up "$gcm_in" "$gcm_out" || return

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

# The suites of RFC 8221 beyond AES-GCM-16 (issue 14), as "aead/enc NAME
# KEY-BYTES BITS [auth NAME KEY-BYTES BITS]" for tun_suite_words.
TUN_SUITES=(
	"aead rfc4106(gcm(aes)) 20 64"
	"aead rfc4106(gcm(aes)) 36 96"
	"aead rfc4309(ccm(aes)) 19 64"
	"aead rfc4309(ccm(aes)) 27 128"
	"aead rfc4309(ccm(aes)) 35 96"
	"aead rfc4543(gcm(aes)) 36 128"
	"enc cbc(aes) 16 - hmac(sha1) 20 96"
	"enc rfc3686(ctr(aes)) 20 - hmac(sha1) 20 96"
	"enc rfc3686(ctr(aes)) 28 - hmac(sha256) 32 128"
	"enc rfc3686(ctr(aes)) 36 - xcbc(aes) 16 96"
	"enc cbc(aes) 32 - xcbc(aes) 16 96"
	"enc ecb(cipher_null) 0 - xcbc(aes) 16 96"
)

# tun_suite_words SUITE: its SA words with fresh random keys, in TUN_WORDS.
tun_suite_words() {
	local kind name len bits aname alen abits k
	read -r kind name len bits aname alen abits <<<"$1"
	k=
	[ "$len" -gt 0 ] && k=0x$(od -An -tx1 -N"$len" /dev/urandom | tr -d ' \n')
	if [ "$kind" = aead ]; then
		TUN_WORDS=(aead "$name" "$k" "$bits")
		return
	fi
	TUN_WORDS=(enc "$name" "$k" auth-trunc "$aname"
		"0x$(od -An -tx1 -N"$alen" /dev/urandom | tr -d ' \n')" "$abits")
}

# Every suite in turn between two udpespd: ESN on, both outbound SAs
# started just below 2^32 so that the pings cross it; ping both ways and
# UDP byte for byte; each side encapsulated and decapsulated every packet
# (no integrity, replay or padding drop). Then both SA sets are flushed.
test_tunnel_every_suite() {
	local i suite p st side ns words_in words_out n=0
	tun_daemon_up "$UET_NS_GW" gw "$UET_DEV_GW" || return
	tun_daemon_up "$UET_NS_PEER" peer "$UET_DEV_PEER" || return
	q nsx "$UET_NS_GW" ip addr add "$INNER_GW4/24" dev udpesp0 &&
		q nsx "$UET_NS_GW" ip route add "$INNER_PEER_NET" dev udpesp0 &&
		q nsx "$UET_NS_PEER" ip addr add "$PEER_INNER4/24" dev udpesp0 &&
		q nsx "$UET_NS_PEER" ip route add 198.51.100.0/24 dev udpesp0 src "$PEER_INNER4" ||
		{ fail "inner addressing"; return; }
	uet_listen rx 5000 || return
	for i in "${!TUN_SUITES[@]}"; do
		suite=${TUN_SUITES[i]}
		tun_suite_words "$suite"
		words_in=("${TUN_WORDS[@]}")
		tun_suite_words "$suite"
		words_out=("${TUN_WORDS[@]}")
		local in_esn=(replay-window 64 flag esn replay-seq 0xfffffff0)
		local out_esn=(flag esn replay-oseq 0xfffffffe)
		tctl "$UET_NS_GW" gw sa add dir in src "$UET_PEER4" dst "$UET_GW4" spi 0x1001 \
			mode tunnel "${words_in[@]}" encap espinudp 4500 4500 0.0.0.0 "${in_esn[@]}" \
			sel src "$INNER_PEER_NET" dst 198.51.100.0/24 &&
			tctl "$UET_NS_GW" gw sa add dir out src "$UET_GW4" dst "$UET_PEER4" spi 0x2001 \
				mode tunnel "${words_out[@]}" encap espinudp 4500 4500 0.0.0.0 \
				"${out_esn[@]}" sel src 198.51.100.0/24 dst "$INNER_PEER_NET" &&
			tctl "$UET_NS_PEER" peer sa add dir in src "$UET_GW4" dst "$UET_PEER4" spi 0x2001 \
				mode tunnel "${words_out[@]}" encap espinudp 4500 4500 0.0.0.0 \
				"${in_esn[@]}" sel src 198.51.100.0/24 dst "$INNER_PEER_NET" &&
			tctl "$UET_NS_PEER" peer sa add dir out src "$UET_PEER4" dst "$UET_GW4" spi 0x1001 \
				mode tunnel "${words_in[@]}" encap espinudp 4500 4500 0.0.0.0 \
				"${out_esn[@]}" sel src "$INNER_PEER_NET" dst 198.51.100.0/24 ||
			{ fail "$suite: sa add"; return; }
		uet_wait 10 tun_workers_up || { fail "no AF_XDP workers"; return; }
		q nsx "$UET_NS_PEER" ping -c 3 -i 0.2 -W 5 -I "$PEER_INNER4" "$INNER_GW4" ||
			{ fail "$suite: ping through the tunnel failed"; return; }
		p=$(printf 'suite %d through udpesp' "$i" | od -An -tx1 | tr -d ' \n')
		q nsx "$UET_NS_PEER" "$PYTHON" "$UET_UDP" send "$INNER_GW4" 5000 "$p" ||
			{ fail "$suite: udp send"; return; }
		uet_expect_rx rx 5000 v4 "$p" || { fail "$suite: UDP payload"; return; }
		n=$((n + 3))
		for side in gw peer; do
			ns=$UET_NS_GW
			[ $side = peer ] && ns=$UET_NS_PEER
			st=$(nsx "$ns" "$UET_CTL" -s "$UET_TMP/$side.sock" -j stats 2>>"$UET_LOG")
			[ "$(jq -r '.counters.DecapOk' <<<"$st")" -ge "$n" ] &&
				[ "$(jq -r '.counters.TxEsp' <<<"$st")" -ge "$n" ] ||
				fail "$side, $suite: $(jq -c .counters <<<"$st")" || return
			for c in XfrmInStateProtoError XfrmInStateSeqError DecapBadPadding; do
				[ "$(jq -r ".counters.$c" <<<"$st")" = 0 ] ||
					fail "$side, $suite: $c $(jq -c .counters <<<"$st")" || return
			done
		done
		# The outbound sequence number went past 2^32 (ESN, RFC 4304).
		[ "$(nsx "$UET_NS_PEER" "$UET_CTL" -s "$UET_TMP/peer.sock" -j sa list |
			jq '[.[] | select(.dir == "out") | .oseq] | max')" -gt $((0xffffffff)) ] ||
			fail "$suite: peer outbound seq did not cross 2^32" || return
		tctl "$UET_NS_GW" gw sa flush && tctl "$UET_NS_PEER" peer sa flush || return
	done
}

tun_workers_up() {
	[ "$(bpftool -j map dump pinned "$UET_BPFFS/gw/udpesp_xsks" 2>/dev/null | jq length)" -gt 0 ] &&
		[ "$(bpftool -j map dump pinned "$UET_BPFFS/peer/udpesp_xsks" 2>/dev/null | jq length)" -gt 0 ]
}

tun_keepalives_seen() {
	[ "$(nsx "$UET_NS_PEER" "$UET_CTL" -s "$UET_TMP/peer.sock" -j stats 2>/dev/null | jq -r '.counters.RxKeepalive')" -ge 1 ]
}

# The gateway alone sends to the peer, whose veth is captured by tshark.
tun_gw_sender() {
	tun_daemon_up "$UET_NS_GW" gw "$UET_DEV_GW" || return
	q nsx "$UET_NS_GW" ip addr add "$INNER_GW4/24" dev udpesp0 &&
		q nsx "$UET_NS_GW" ip route add "$INNER_PEER_NET" dev udpesp0 ||
		{ fail "inner addressing"; return; }
}

# tun_gw_send DST HEX: one UDP datagram from the gateway into the tunnel.
tun_gw_send() {
	q nsx "$UET_NS_GW" "$PYTHON" "$UET_UDP" send "$1" 9 "$2" || fail "udp send to $1"
}

# Every suite tshark 4.0 can decrypt (AES-GCM with 8, 12 and 16-byte
# ICVs, AES-CBC, AES-CTR and NULL, with HMAC-SHA-1-96 or HMAC-SHA-256/
# 384/512; it has no AES-CCM, ChaCha20-Poly1305, GMAC, AES-XCBC-MAC or
# ESN, which the unit tests check with python-cryptography instead), name,
# then its SA words: "name aead-key-bytes|- enc|- enc-key-bytes hash|-
# icv-or-trunc-bits tshark-enc".
TUN_TSHARK_SUITES=(
	"gcm128 20 - - - 128 AES-GCM with 16 octet ICV [RFC4106]"
	"gcm192 28 - - - 128 AES-GCM with 16 octet ICV [RFC4106]"
	"gcm256 36 - - - 128 AES-GCM with 16 octet ICV [RFC4106]"
	"gcm128_icv8 20 - - - 64 AES-GCM with 8 octet ICV [RFC4106]"
	"gcm256_icv12 36 - - - 96 AES-GCM with 12 octet ICV [RFC4106]"
	"cbc128 - cbc(aes) 16 sha256 128 AES-CBC [RFC3602]"
	"cbc192 - cbc(aes) 24 sha384 192 AES-CBC [RFC3602]"
	"cbc256 - cbc(aes) 32 sha512 256 AES-CBC [RFC3602]"
	"cbc128_sha1 - cbc(aes) 16 sha1 96 AES-CBC [RFC3602]"
	"ctr128_sha1 - rfc3686(ctr(aes)) 20 sha1 96 AES-CTR [RFC3686]"
	"ctr256_sha256 - rfc3686(ctr(aes)) 36 sha256 128 AES-CTR [RFC3686]"
	"null256 - ecb(cipher_null) 0 sha256 128 NULL"
	"null384 - ecb(cipher_null) 0 sha384 192 NULL"
	"null512 - ecb(cipher_null) 0 sha512 256 NULL"
	"null_sha1 - ecb(cipher_null) 0 sha1 96 NULL"
)

# What udpesp sends, decrypted by tshark (Debian's) with the SAs' keys in
# its ESP SA table: one outbound SA per suite above, over IPv4 and over
# IPv6, one datagram each. Every ICV correct, every inner
# datagram the one sent, the outer UDP checksum 0 over IPv4 (RFC 3948
# 2.1) and correct over IPv6 (RFC 8200 8.1).
test_tunnel_tshark_decrypts() {
	local conf=$UET_TMP/wireshark pcap=$UET_TMP/peer.pcap i n=0 p fam
	local -a payloads dsts spis fams
	[ -z "$(uet_missing_tools tshark)" ] || { skip "tshark not installed"; return; }
	tun_gw_sender || return
	mkdir -m 0700 "$conf" || { fail "mkdir"; return; }
	: >"$conf/esp_sa"
	chmod 0600 "$conf/esp_sa"
	for fam in 4 6; do
		local src=$UET_GW4 dst=$UET_PEER4 any=0.0.0.0 tfam=IPv4
		[ $fam = 6 ] && src=$UET_GW6 dst=$UET_PEER6 any=:: tfam=IPv6
		for i in "${!TUN_TSHARK_SUITES[@]}"; do
			local name aead_len enc enc_len hash bits tenc k ak words spi
			read -r name aead_len enc enc_len hash bits tenc <<<"${TUN_TSHARK_SUITES[i]}"
			n=$((n + 1))
			spi=$((0x7000 + n))
			spis[n]=$(printf '0x%08x' $spi)
			fams[n]=$fam
			dsts[n]=203.0.113.$((fam == 4 ? 21 + i : 61 + i))
			payloads[n]=$(hexof "$name over IPv$fam through udpesp, checked by tshark")
			if [ "$aead_len" != - ]; then
				k=$(od -An -tx1 -N"$aead_len" /dev/urandom | tr -d ' \n')
				words=(aead 'rfc4106(gcm(aes))' "0x$k" "$bits")
				printf '"%s","*","*","%s","%s","0x%s","NULL",""\n' "$tfam" "${spis[n]}" "$tenc" "$k" >>"$conf/esp_sa"
			else
				local akl=20 tauth="HMAC-SHA-1-96 [RFC2404]" ek=
				if [ "$hash" != sha1 ]; then
					akl=$((bits / 4))
					tauth="HMAC-SHA-${hash#sha}-$bits [RFC4868]"
				fi
				ak=$(od -An -tx1 -N$akl /dev/urandom | tr -d ' \n')
				if [ "$enc_len" = 0 ]; then
					words=(enc "$enc" '')
				else
					ek=$(od -An -tx1 -N"$enc_len" /dev/urandom | tr -d ' \n')
					words=(enc "$enc" "0x$ek")
				fi
				words+=(auth-trunc "hmac($hash)" "0x$ak" "$bits")
				printf '"%s","*","*","%s","%s","%s","%s","0x%s"\n' "$tfam" \
					"${spis[n]}" "$tenc" "${ek:+0x$ek}" "$tauth" "$ak" >>"$conf/esp_sa"
			fi
			tctl "$UET_NS_GW" gw sa add dir out src "$src" dst "$dst" mode tunnel \
				encap espinudp 4500 4500 "$any" spi "$spi" "${words[@]}" \
				sel dst "${dsts[n]}/32" || return
		done
	done
	setsid nsenter --net="/run/netns/$UET_NS_PEER" -- tshark -n -q -i "$UET_DEV_PEER" -f "udp port 4500" \
		-w "$pcap" >>"$UET_LOG" 2>&1 &
	UET_PIDS+=($!)
	local capture=$!
	uet_wait 10 test -s "$pcap" || { fail "tshark did not start capturing"; return; }
	for i in $(seq 1 $n); do
		tun_gw_send "${dsts[i]}" "${payloads[i]}" || return
	done
	uet_wait 10 tun_sent $n || { fail "TxEsp did not reach $n"; return; }
	sleep 1 # let the capture write the last frame
	kill "$capture" 2>/dev/null
	wait "$capture" 2>/dev/null
	WIRESHARK_CONFIG_DIR=$conf tshark -n -r "$pcap" -o esp.enable_encryption_decode:TRUE \
		-o esp.enable_authentication_check:TRUE -o udp.check_checksum:TRUE \
		-T fields -E separator=';' -e esp.spi -e esp.icv_good -e esp.icv_bad \
		-e ip.dst -e udp.checksum -e udp.checksum.status -e data.data \
		>"$UET_TMP/tshark.out" 2>>"$UET_LOG"
	cat "$UET_TMP/tshark.out" >>"$UET_LOG"
	for i in $(seq 1 $n); do
		local good bad ipdst csum cstat data want_csum
		p=$(grep "^${spis[i]};" "$UET_TMP/tshark.out") || { fail "no ESP with SPI ${spis[i]} captured"; return; }
		IFS=';' read -r _ good bad ipdst csum cstat data <<<"$p"
		[ "$good" = 1 ] && [ "$bad" = 0 ] || fail "SPI ${spis[i]}: ICV not marked good: $p" || return
		[[ $ipdst == *"${dsts[i]}"* ]] || fail "SPI ${spis[i]}: inner destination not ${dsts[i]}: $p" || return
		[ "$data" = "${payloads[i]}" ] || fail "SPI ${spis[i]}: inner payload differs: $p" || return
		# Wireshark's checksum status: 1 good, 3 not present (zero).
		want_csum=3
		[ "${fams[i]}" = 6 ] && want_csum=1
		[[ $cstat == "$want_csum",* || $cstat == "$want_csum" ]] ||
			fail "SPI ${spis[i]} (IPv${fams[i]}): outer UDP checksum $csum status $cstat, want $want_csum: $p" || return
	done
}

tun_sent() { [ "$(nsx "$UET_NS_GW" "$UET_CTL" -s "$UET_TMP/gw.sock" -j stats | jq -r .counters.TxEsp)" -ge "$1" ]; }

# An outbound SA started two numbers before 2^32 sends two packets, then
# stops and hard-expires instead of wrapping (RFC 4303 3.3.3); the soft
# event comes first.
test_tunnel_seq_exhaustion() {
	local mon=$UET_TMP/monitor.out k i
	k=$(od -An -tx1 -N20 /dev/urandom | tr -d ' \n')
	tun_gw_sender || return
	nsenter --net="/run/netns/$UET_NS_GW" -- "$UET_CTL" -s "$UET_TMP/gw.sock" -j monitor >"$mon" 2>>"$UET_LOG" &
	UET_PIDS+=($!)
	# The monitor is listening once it reports a throwaway SA.
	uet_wait 10 tun_monitor_ready "$mon" "$k" || { fail "monitor never reported an event"; return; }
	tctl "$UET_NS_GW" gw sa add dir out src "$UET_GW4" dst "$UET_PEER4" spi 0x7101 mode tunnel \
		aead 'rfc4106(gcm(aes))' "0x$k" 128 encap espinudp 4500 4500 0.0.0.0 \
		replay-oseq 0xfffffffd || return
	local before
	before=$(nsx "$UET_NS_GW" "$UET_CTL" -s "$UET_TMP/gw.sock" -j stats | jq -r .counters.TxEsp)
	for i in 1 2 3 4; do
		tun_gw_send 203.0.113.20 "0$i" || return
	done
	uet_wait 10 grep -q '"sa-hard-expired"' "$mon" || { fail "no hard expiry: $(cat "$mon")"; return; }
	grep -q '"sa-soft-expired"' "$mon" || fail "no soft expiry before the hard one: $(cat "$mon")" || return
	local st
	st=$(nsx "$UET_NS_GW" "$UET_CTL" -s "$UET_TMP/gw.sock" -j stats)
	[ "$(jq -r .counters.TxEsp <<<"$st")" = $((before + 2)) ] ||
		fail "TxEsp $(jq -r .counters.TxEsp <<<"$st"), want $before + 2" || return
	[ "$(jq -r .counters.XfrmOutStateSeqError <<<"$st")" -ge 1 ] || fail "XfrmOutStateSeqError: $st" || return
	uet_wait 10 tun_no_sa || fail "the exhausted SA is still there"
}

tun_no_sa() { [ "$(nsx "$UET_NS_GW" "$UET_CTL" -s "$UET_TMP/gw.sock" -j sa list | jq length)" = 0 ]; }

# tun_monitor_ready FILE KEY: add and delete a throwaway SA; true once the
# monitor writing FILE reported it.
tun_monitor_ready() {
	# A selector nothing uses: the host's own traffic must not go through it.
	tctl "$UET_NS_GW" gw sa add dir out src "$UET_GW4" dst "$UET_PEER4" spi 0x7fff mode tunnel \
		aead 'rfc4106(gcm(aes))' "0x$2" 128 encap espinudp 4500 4500 0.0.0.0 \
		sel src 203.0.113.254/32 dst 203.0.113.254/32 &&
		tctl "$UET_NS_GW" gw sa del dst "$UET_PEER4" spi 0x7fff || return
	grep -q '"sa-added"' "$1"
}

# The outer IPv4 DF bit under --df copy (the default), set and clear:
# copied from the inner packet (ping -M do / -M dont), or forced either
# way. Seen by tshark on the peer's veth (the outer header only: nothing
# is decrypted here).
test_tunnel_df_modes() {
	local pcap=$UET_TMP/df.pcap cap mode k got want before
	[ -z "$(uet_missing_tools tshark)" ] || { skip "tshark not installed"; return; }
	setsid nsenter --net="/run/netns/$UET_NS_PEER" -- tshark -n -q -i "$UET_DEV_PEER" -f "udp port 4500" \
		-w "$pcap" >>"$UET_LOG" 2>&1 &
	cap=$!
	UET_PIDS+=($cap)
	uet_wait 10 test -s "$pcap" || { fail "tshark did not start capturing"; return; }
	# Each mode: a daemon, an SA whose SPI names the mode, one ping with
	# DF and one without (no reply: nothing answers on the peer).
	for mode in copy set clear; do
		k=$(od -An -tx1 -N20 /dev/urandom | tr -d ' \n')
		# --flush-on-exit: each mode a fresh daemon, not the last one's SAs adopted.
		TUN_ARGS="--df $mode --flush-on-exit" tun_gw_sender || return
		tctl "$UET_NS_GW" gw sa add dir out src "$UET_GW4" dst "$UET_PEER4" mode tunnel \
			encap espinudp 4500 4500 0.0.0.0 spi "$(df_spi $mode)" \
			aead 'rfc4106(gcm(aes))' "0x$k" 128 sel dst 203.0.113.40/32 || return
		# (Counters live in the pinned maps, across daemons.)
		before=$(nsx "$UET_NS_GW" "$UET_CTL" -s "$UET_TMP/gw.sock" -j stats | jq -r .counters.TxEsp)
		q nsx "$UET_NS_GW" ping -c 1 -W 0.3 -M do -s 100 203.0.113.40
		q nsx "$UET_NS_GW" ping -c 1 -W 0.3 -M dont -s 101 203.0.113.40
		uet_wait 10 tun_sent $((before + 2)) || { fail "$mode: TxEsp did not grow by 2"; return; }
		kill "${UET_PIDS[-1]}" && wait "${UET_PIDS[-1]}"
		unset 'UET_PIDS[-1]'
	done
	sleep 1
	kill "$cap" 2>/dev/null
	wait "$cap" 2>/dev/null
	# SPI and outer DF of each packet, in the order sent (DF, then not).
	tshark -n -r "$pcap" -T fields -E separator=' ' -e esp.spi -e ip.flags.df \
		>"$UET_TMP/df.txt" 2>>"$UET_LOG"
	cat "$UET_TMP/df.txt" >>"$UET_LOG"
	for mode in copy set clear; do
		got=$(awk -v s="$(printf '0x%08x' "$(df_spi $mode)")" '$1 == s { printf "%s", $2 }' "$UET_TMP/df.txt")
		case $mode in copy) want=10 ;; set) want=11 ;; clear) want=00 ;; esac
		[ "$got" = "$want" ] || fail "--df $mode: outer DF of (DF, no-DF) inner packets is '$got', want $want" || return
	done
}

df_spi() { case $1 in copy) echo 0x7501 ;; set) echo 0x7502 ;; clear) echo 0x7503 ;; esac; }

# tun_sa_packets SIDE DIR SPI: packets the SA of that SPI counted.
tun_sa_packets() {
	local ns=$UET_NS_GW sock=$UET_TMP/$1.sock h
	[ "$1" = peer ] && ns=$UET_NS_PEER
	h=$(nsx "$ns" "$UET_CTL" -s "$sock" -j sa list |
		jq -r --arg d "$2" --argjson s "$3" '.[] | select(.dir == $d and .spi == $s) | .handle')
	nsx "$ns" "$UET_CTL" -s "$sock" -j stats | jq -r --argjson h "${h:-0}" '.sa[] | select(.handle == $h) | .packets'
}
tun_sa_packets_are() { [ "$(tun_sa_packets "$1" "$2" "$3")" = "$4" ]; }

# Outbound, the most specific selector wins (RFC 4301 4.4.1): UDP to
# port 6000 leaves the peer on the SA whose selector names protocol and
# port, the rest on the SA for the whole subnet; the gateway's inbound
# SA of each SPI, with the same selector, takes exactly its own.
test_tunnel_selectors_pick_sa() {
	local k1 k2 k3 p5 p6 aead=(aead 'rfc4106(gcm(aes))')
	k1=$(od -An -tx1 -N20 /dev/urandom | tr -d ' \n')
	k2=$(od -An -tx1 -N20 /dev/urandom | tr -d ' \n')
	k3=$(od -An -tx1 -N20 /dev/urandom | tr -d ' \n')
	tun_daemon_up "$UET_NS_GW" gw "$UET_DEV_GW" || return
	tun_daemon_up "$UET_NS_PEER" peer "$UET_DEV_PEER" || return
	tun_gcm_pair_up "$k1" "$k2" || return
	local port6000=(sel src "$INNER_PEER_NET" dst 198.51.100.0/24 proto udp dport 6000)
	tctl "$UET_NS_GW" gw sa add dir in src "$UET_PEER4" dst "$UET_GW4" spi 0x1002 mode tunnel \
		"${aead[@]}" "0x$k3" 128 encap espinudp 4500 4500 0.0.0.0 "${port6000[@]}" || return
	tctl "$UET_NS_PEER" peer sa add dir out src "$UET_PEER4" dst "$UET_GW4" spi 0x1002 \
		mode tunnel "${aead[@]}" "0x$k3" 128 encap espinudp 4500 4500 0.0.0.0 \
		"${port6000[@]}" || return
	uet_listen rx 5000 6000 || return
	p5=$(hexof "to port 5000: the subnet's SA")
	p6=$(hexof "to port 6000: the SA for udp/6000")
	q nsx "$UET_NS_PEER" "$PYTHON" "$UET_UDP" send "$INNER_GW4" 5000 "$p5" || { fail "udp send"; return; }
	q nsx "$UET_NS_PEER" "$PYTHON" "$UET_UDP" send "$INNER_GW4" 6000 "$p6" || { fail "udp send"; return; }
	uet_expect_rx rx 5000 v4 "$p5" || return
	uet_expect_rx rx 6000 v4 "$p6" || return
	uet_wait 5 tun_sa_packets_are gw in 4098 1 ||
		fail "gw SA 0x1002 counted $(tun_sa_packets gw in 4098) packets, want 1" || return
	# The subnet's SA: the datagram to 5000, nothing for 6000 (an
	# IPv6 router solicitation or two may ride along: not UDP).
	[ "$(nsx "$UET_NS_GW" "$UET_CTL" -s "$UET_TMP/gw.sock" -j stats | jq -r .counters.XfrmInTmplMismatch)" = 0 ] ||
		fail "gw: a packet arrived on an SA whose selectors do not take it" || return
	[ "$(tun_sa_packets peer out 4098)" = 1 ] ||
		fail "peer SA 0x1002 sent $(tun_sa_packets peer out 4098) packets, want 1"
}
