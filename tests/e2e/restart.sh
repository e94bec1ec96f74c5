# SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
# shellcheck shell=bash
#
# udpespd dies and comes back without dropping the tunnel (issue 16): the
# tunnel of tunnel.sh with numbered UDP datagrams both ways while the
# gateway's udpespd is killed (-9) or stopped (SIGTERM) and started again,
# RST_ROUNDS times; a new udpespd started while the old one runs (upgrade);
# a packet replayed across a restart; the keyring that holds the keys.
# Sourced by run.sh after tunnel.sh (uses tun_daemon_up, tctl).

RESTART_TESTS="test_restart_kill9 test_restart_sigterm test_restart_upgrade
	test_restart_replay test_restart_keystore"

RST_ROUNDS=${RST_ROUNDS:-20}
RST_KEYRING=$UET_ROOT/tests/e2e/keyring.py
RST_FLOW=$UET_ROOT/tests/e2e/flow.py
RST_GW_PID=

# The gateway's udpespd, again: no link attach (it adopts the kept one).
rst_gw_start() {
	nsenter --net="/run/netns/$UET_NS_GW" -- "$UET_DAEMON" --foreground \
		--socket "$UET_TMP/gw.sock" --pin-dir "$UET_BPFFS/gw" --max-sa 64 \
		--keepalive 1 --log "$UET_TMP/gw.log" "$@" &
	RST_GW_PID=$!
	UET_PIDS+=("$RST_GW_PID")
}

rst_gw_ready() { nsx "$UET_NS_GW" "$UET_CTL" -s "$UET_TMP/gw.sock" -j sa list >/dev/null 2>&1; }

rst_gw() { nsx "$UET_NS_GW" "$UET_CTL" -s "$UET_TMP/gw.sock" "$@" 2>>"$UET_LOG"; }

# sa list without what moves with traffic (oseq/seq, use_time).
rst_sa_static() { rst_gw -j sa list | jq -cS 'map(del(.seq, .oseq, .use_time))'; }

# Both daemons, an SA each way, udpesp0 addressed on both sides.
rst_tunnel_up() {
	local gcm_in gcm_out
	gcm_in=$(od -An -tx1 -N20 /dev/urandom | tr -d ' \n')
	gcm_out=$(od -An -tx1 -N20 /dev/urandom | tr -d ' \n')
	tun_daemon_up "$UET_NS_GW" gw "$UET_DEV_GW" || return
	RST_GW_PID=${UET_PIDS[-1]}
	tun_daemon_up "$UET_NS_PEER" peer "$UET_DEV_PEER" || return
	tun_gcm_pair_up "$gcm_in" "$gcm_out" replay-window 64 || return
	q nsx "$UET_NS_PEER" ping -c 2 -i 0.2 -W 5 -I "$PEER_INNER4" "$INNER_GW4" ||
		fail "ping through the tunnel failed"
}

# rst_recv NS NAME PORT: a numbered-datagram receiver (flow.py recv).
rst_recv() {
	local ready=$UET_TMP/$2.ready
	rm -f "$ready"
	: >"$UET_TMP/$2.rx"
	nsenter --net="/run/netns/$1" -- "$PYTHON" "$RST_FLOW" recv "$ready" \
		"$UET_TMP/$2.rx" "$3" >>"$UET_LOG" 2>&1 &
	UET_PIDS+=($!)
	uet_wait 5 test -e "$ready" || { fail "receiver $2 did not start"; return; }
	UET_PIDS+=("$(cat "$ready")")
}

# rst_send NS ADDR PORT SECONDS: a datagram every 10 ms, in the background.
rst_send() {
	nsenter --net="/run/netns/$1" -- "$PYTHON" "$RST_FLOW" send "$2" "$3" 10 "$4" \
		>>"$UET_LOG" 2>&1 &
	UET_PIDS+=($!)
}

rst_rx_count() { wc -l <"$UET_TMP/$1.rx"; }

# Lines 1..N received, each once, in order.
rst_tcp_done() { awk '$0 != NR { exit 1 } END { exit NR < 10 }' "$UET_TMP/tcp.rx"; }

# rst_flowing NAME N: more than N datagrams received so far.
rst_flowing() { [ "$(rst_rx_count "$1")" -gt "$2" ]; }

# rst_capture [NS DEV]: ESP on an outer link, by default the gateway's.
# What the link sends is all there; what XDP redirects to AF_XDP on
# receive never reaches the capture.
rst_capture() {
	nsenter --net="/run/netns/${1:-$UET_NS_GW}" -- dumpcap -q -i "${2:-$UET_DEV_GW}" -f "udp port 4500" \
		-w "$UET_TMP/outer.pcapng" >>"$UET_LOG" 2>&1 &
	UET_PIDS+=($!)
	RST_CAP_PID=$!
	uet_wait 10 test -s "$UET_TMP/outer.pcapng" || { fail "dumpcap did not start"; return; }
	sleep 0.5
}

# (SPI, sequence number) pairs seen more than once in the capture.
rst_dup_pairs() {
	kill -INT "$RST_CAP_PID" 2>/dev/null
	wait "$RST_CAP_PID" 2>/dev/null
	tshark -r "$UET_TMP/outer.pcapng" -Y esp -T fields -e esp.spi -e esp.sequence \
		2>>"$UET_LOG" | sort | uniq -d
}

rst_esp_count() {
	tshark -r "$UET_TMP/outer.pcapng" -Y esp -T fields -e esp.spi 2>>"$UET_LOG" | wc -l
}

# rst_rounds SIGNAL: restart the gateway's udpespd RST_ROUNDS times under
# traffic both ways; sa list, counters, traffic and (SPI, seq) checked.
rst_rounds() {
	local sig=$1 before after st0 st1 n0 m0 t0 i miss tcp_pid
	miss=$(uet_missing_tools dumpcap tshark jq)
	[ -z "$miss" ] || { skip "needs $miss"; return; }
	rst_tunnel_up || return
	rst_capture || return
	rst_recv "$UET_NS_GW" in 5001 || return
	rst_recv "$UET_NS_PEER" out 5002 || return
	: >"$UET_TMP/events"
	rst_send "$UET_NS_PEER" "$INNER_GW4" 5001 $((RST_ROUNDS * 4 + 30))
	nsenter --net="/run/netns/$UET_NS_GW" -- "$PYTHON" "$RST_FLOW" send "$PEER_INNER4" 5002 10 \
		$((RST_ROUNDS * 4 + 30)) >>"$UET_LOG" 2>&1 &
	UET_PIDS+=($!)
	# And one TCP connection, peer -> gw, that must outlive every restart.
	rm -f "$UET_TMP/tcp.ready" "$UET_TMP/tcp.stop"
	: >"$UET_TMP/tcp.rx"
	nsenter --net="/run/netns/$UET_NS_GW" -- "$PYTHON" "$RST_FLOW" tcprecv "$UET_TMP/tcp.ready" \
		"$UET_TMP/tcp.rx" 5003 >>"$UET_LOG" 2>&1 &
	UET_PIDS+=($!)
	uet_wait 5 test -e "$UET_TMP/tcp.ready" || { fail "TCP receiver did not start"; return; }
	nsenter --net="/run/netns/$UET_NS_PEER" -- "$PYTHON" "$RST_FLOW" tcpsend "$INNER_GW4" 5003 10 \
		"$UET_TMP/tcp.stop" 2>>"$UET_LOG" &
	tcp_pid=$!
	UET_PIDS+=("$tcp_pid")
	uet_wait 10 rst_flowing in 20 && uet_wait 10 rst_flowing out 20 ||
		{ fail "no traffic through the tunnel before the first restart"; return; }
	t0=$(date +%s)
	for i in $(seq 1 "$RST_ROUNDS"); do
		before=$(rst_sa_static)
		st0=$(rst_gw -j stats)
		n0=$(rst_rx_count in)
		m0=$(rst_rx_count out)
		date +%s%N >>"$UET_TMP/events"
		kill "-$sig" "$RST_GW_PID"
		wait "$RST_GW_PID" 2>/dev/null
		rst_gw_start
		uet_wait 10 rst_gw_ready || { fail "round $i: udpespd did not come back: $(tail -3 "$UET_TMP/gw.log")"; return; }
		after=$(rst_sa_static)
		[ "$before" = "$after" ] || { fail "round $i: sa list changed: before $before after $after; log: $(grep -i "adopt\|kept\|state\|removed\|keys\|udpespd 0" "$UET_TMP/gw.log" | tail -8)"; return; }
		st1=$(rst_gw -j stats)
		jq -e -n --argjson a "$st0" --argjson b "$st1" \
			'[$a.sa[] as $x | $b.sa[] | select(.handle == $x.handle) | .packets >= $x.packets and .bytes >= $x.bytes] | length == 2 and all' >/dev/null ||
			{ fail "round $i: counters went down: before $(jq -c .sa <<<"$st0") after $(jq -c .sa <<<"$st1")"; return; }
		uet_wait 10 rst_flowing in $((n0 + 5)) && uet_wait 10 rst_flowing out $((m0 + 5)) ||
			{ fail "round $i: traffic did not resume (in $(rst_rx_count in) out $(rst_rx_count out))"; return; }
		[ $(($(date +%s) - t0)) -lt 300 ] || { fail "round $i: over 300 s"; return; }
	done
	# Last datagram before the signal to the first after it, each way.
	echo "  $sig x $RST_ROUNDS, peer -> gw (gw inbound): $("$PYTHON" "$RST_FLOW" gaps "$UET_TMP/in.rx" "$UET_TMP/events")" >&2
	echo "  $sig x $RST_ROUNDS, gw -> peer (gw outbound): $("$PYTHON" "$RST_FLOW" gaps "$UET_TMP/out.rx" "$UET_TMP/events")" >&2
	# The TCP connection lived through it all, every line in order.
	touch "$UET_TMP/tcp.stop"
	wait "$tcp_pid" || { fail "the TCP connection broke: $(grep '^tcp:' "$UET_LOG" | tail -1)"; return; }
	uet_wait 10 rst_tcp_done || { fail "TCP lines missing: $(tail -c 40 "$UET_TMP/tcp.rx" | tr '\n' ' ')"; return; }
	echo "  TCP: one connection, $(wc -l <"$UET_TMP/tcp.rx") lines in order across the restarts" >&2
	local dups
	dups=$(rst_dup_pairs)
	[ -z "$dups" ] || { fail "(SPI, seq) sent twice: $(head -5 <<<"$dups" | tr '\n' ' ')"; return; }
	echo "  $(rst_esp_count) ESP packets captured, no (SPI, seq) twice" >&2
}

test_restart_kill9() { rst_rounds KILL; }
test_restart_sigterm() { rst_rounds TERM; }

# A new udpespd while the old one runs waits for it, then adopts; one that
# the old one never makes room for gives up after 10 s, naming it.
test_restart_upgrade() {
	local old before n0 st
	rst_tunnel_up || return
	rst_recv "$UET_NS_GW" in 5001 || return
	rst_send "$UET_NS_PEER" "$INNER_GW4" 5001 40
	uet_wait 10 rst_flowing in 20 || { fail "no traffic before the upgrade"; return; }
	before=$(rst_sa_static)
	old=$RST_GW_PID
	rst_gw_start
	uet_wait 5 grep -q "runs on it; waiting" "$UET_TMP/gw.log" ||
		{ fail "the new udpespd did not wait for the old one"; return; }
	kill -0 "$RST_GW_PID" 2>/dev/null || { fail "the new udpespd exited while the old one ran"; return; }
	n0=$(rst_rx_count in)
	kill -TERM "$old"
	wait "$old" 2>/dev/null
	uet_wait 10 rst_gw_ready || { fail "the new udpespd did not take over"; return; }
	[ "$(rst_sa_static)" = "$before" ] || { fail "sa list changed: $(rst_sa_static)"; return; }
	uet_wait 10 rst_flowing in $((n0 + 5)) || { fail "traffic did not resume after the upgrade"; return; }
	grep -q "adopted 2 SAs" "$UET_TMP/gw.log" || { fail "no adoption in the log"; return; }
	# udpespctl state says what was taken over.
	st=$(rst_gw -j state)
	jq -e '.kept and .adopted and .adopted_sas == 2 and .dropped_sas == 0 and
		.adopted_links == 1 and .key_batches == 1 and .seq_block == 1048576' <<<"$st" >/dev/null ||
		{ fail "udpespctl state: $st"; return; }
	rst_gw state >>"$UET_LOG"
	# A third one while the new one stays: refused, clearly.
	nsenter --net="/run/netns/$UET_NS_GW" -- "$UET_DAEMON" --foreground \
		--socket "$UET_TMP/gw.sock" --pin-dir "$UET_BPFFS/gw" --max-sa 64 \
		--log "$UET_TMP/third.log" && { fail "a second udpespd ran on the same state"; return; }
	grep -q "still runs on .*stop it first" "$UET_TMP/third.log" ||
		{ fail "no clear refusal: $(tail -2 "$UET_TMP/third.log")"; return; }
	[ "$(rst_sa_static)" = "$before" ] || { fail "the refused udpespd changed the SAs"; return; }
	# Nor one on another state file (or one older than the lock) whose
	# socket is taken: it sees a udpespd answer there and gives up.
	nsenter --net="/run/netns/$UET_NS_GW" -- "$UET_DAEMON" --foreground \
		--socket "$UET_TMP/gw.sock" --state "$UET_TMP/other.state" --pin-dir "$UET_BPFFS/gw" \
		--max-sa 64 --log "$UET_TMP/fourth.log" && { fail "a udpespd took a live socket"; return; }
	grep -q "another udpespd answers on .*stop it first" "$UET_TMP/fourth.log" ||
		{ fail "no clear refusal: $(tail -2 "$UET_TMP/fourth.log")"; return; }
	[ "$(rst_sa_static)" = "$before" ] || fail "the refused udpespd changed the SAs"
}

# A packet the peer sent before the restart, sent again after it: the
# window kept in the pinned maps drops it as a replay.
test_restart_replay() {
	local payload st n n0
	[ -z "$(uet_missing_tools dumpcap tshark jq)" ] || { skip "needs dumpcap, tshark, jq"; return; }
	rst_tunnel_up || return
	rst_capture "$UET_NS_PEER" "$UET_DEV_PEER" || return
	rst_recv "$UET_NS_GW" in 5001 || return
	# A few, apart: the capture may start late on a loaded machine.
	q nsx "$UET_NS_PEER" "$PYTHON" "$RST_FLOW" send "$INNER_GW4" 5001 300 1.4 ||
		{ fail "send"; return; }
	uet_wait 10 rst_flowing in 2 || { fail "the datagrams did not arrive"; return; }
	sleep 0.5
	n0=$(rst_rx_count in)
	kill -INT "$RST_CAP_PID"
	wait "$RST_CAP_PID" 2>/dev/null
	payload=$(tshark -r "$UET_TMP/outer.pcapng" -Y "esp.spi == 0x1001" -T fields -e udp.payload \
		2>>"$UET_LOG" | tail -1)
	[ -n "$payload" ] || { fail "no ESP packet of SPI 0x1001 captured: $(tshark -r "$UET_TMP/outer.pcapng" -T fields -e esp.spi -e udp.length 2>&1 | head -5)"; return; }
	kill -KILL "$RST_GW_PID"
	wait "$RST_GW_PID" 2>/dev/null
	rst_gw_start
	uet_wait 10 rst_gw_ready || { fail "udpespd did not come back"; return; }
	uet_wait 10 tun_workers_up || { fail "no AF_XDP workers after the restart"; return; }
	q nsx "$UET_NS_PEER" "$PYTHON" - "$UET_PEER4" "$UET_GW4" "$payload" <<'PY' || { fail "replay send"; return; }
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind((sys.argv[1], 4500))
s.sendto(bytes.fromhex(sys.argv[3].replace(":", "")), (sys.argv[2], 4500))
PY
	rst_replayed() {
		st=$(rst_gw -j stats)
		[ "$(jq '.sa[] | select(.handle == 1) | .replay' <<<"$st")" -ge 1 ]
	}
	uet_wait 5 rst_replayed || { fail "not dropped as a replay: $(jq -c .sa <<<"$st")"; return; }
	sleep 0.3
	n=$(rst_rx_count in)
	[ "$n" = "$n0" ] || fail "the replayed datagram was delivered again ($n received, $n0 before)"
}

# Where the keys live: possessor-only, no key byte in the state file,
# wiped as SAs go (after a restart too), gone with sa flush and with
# --flush-on-exit.
test_restart_keystore() {
	local key st desc id len0 len1
	key=$(od -An -tx1 -N20 /dev/urandom | tr -d ' \n')
	st=$UET_TMP/gw.state
	tun_daemon_up "$UET_NS_GW" gw "$UET_DEV_GW" || return
	RST_GW_PID=${UET_PIDS[-1]}
	for spi in 0x3001 0x3002; do
		tctl "$UET_NS_GW" gw sa add dir in src "$UET_PEER4" dst "$UET_GW4" spi $spi mode tunnel \
			aead 'rfc4106(gcm(aes))' "0x$key" 128 encap espinudp 4500 4500 0.0.0.0 \
			sel src "$INNER_PEER_NET" dst 198.51.100.0/24 || return
	done
	desc=$("$PYTHON" "$RST_KEYRING" desc "$st") || { fail "no keyring named in $st"; return; }
	[ "$("$PYTHON" "$RST_KEYRING" count "$desc")" = 1 ] || { fail "expected one key batch in $desc"; return; }
	id=$("$PYTHON" "$RST_KEYRING" ids "$desc")
	"$PYTHON" - "$st" "$key" <<'PY' || { fail "key bytes in the state file"; return; }
import sys
sys.exit(bytes.fromhex(sys.argv[2])[:16] in open(sys.argv[1], "rb").read())
PY
	grep -qi "$key" "$UET_TMP/gw.log" && { fail "key in the log"; return; }
	# Not for anyone else: nobody cannot read it, nor can root without possessing it.
	setpriv --reuid=65534 --regid=65534 --clear-groups "$PYTHON" "$RST_KEYRING" read "$id" \
		>>"$UET_LOG" 2>&1 && { fail "uid 65534 read the key batch $id"; return; }
	len0=$("$PYTHON" - "$RST_KEYRING" "$desc" <<'PY'
import runpy, sys
sys.argv = [sys.argv[1], "ids", sys.argv[2]]
kr = runpy.run_path(sys.argv[0])
ring = kr["find"](sys.argv[2])
import ctypes
buf = ctypes.create_string_buffer(65536)
print(kr["keyctl"](11, kr["ids"](ring)[0], buf, 65536))
PY
)
	# After a kill -9 and a restart the adopted SAs' keys go with them.
	kill -KILL "$RST_GW_PID"
	wait "$RST_GW_PID" 2>/dev/null
	rst_gw_start
	uet_wait 10 rst_gw_ready || { fail "udpespd did not come back"; return; }
	[ "$(rst_gw -j sa list | jq length)" = 2 ] || { fail "SAs not adopted"; return; }
	rst_gw sa del handle 1 >>"$UET_LOG" || { fail "sa del"; return; }
	len1=$("$PYTHON" - "$RST_KEYRING" "$desc" <<'PY'
import runpy, sys, ctypes
sys.argv = [sys.argv[1], "ids", sys.argv[2]]
kr = runpy.run_path(sys.argv[0])
ring = kr["find"](sys.argv[2])
buf = ctypes.create_string_buffer(65536)
print(kr["keyctl"](11, kr["ids"](ring)[0], buf, 65536))
PY
)
	[ -n "$len0" ] && [ -n "$len1" ] && [ "$len1" -lt "$len0" ] ||
		{ fail "the deleted SA's key stayed in the batch ($len0 -> $len1 bytes)"; return; }
	rst_gw sa flush >>"$UET_LOG" || { fail "sa flush"; return; }
	[ "$("$PYTHON" "$RST_KEYRING" count "$desc")" = 0 ] || { fail "keys left after sa flush"; return; }
	# --flush-on-exit: SAs deleted, keyring and state gone.
	tctl "$UET_NS_GW" gw sa add dir in src "$UET_PEER4" dst "$UET_GW4" spi 0x3003 mode tunnel \
		aead 'rfc4106(gcm(aes))' "0x$key" 128 encap espinudp 4500 4500 0.0.0.0 \
		sel src "$INNER_PEER_NET" dst 198.51.100.0/24 || return
	kill -TERM "$RST_GW_PID"
	wait "$RST_GW_PID" 2>/dev/null
	[ "$("$PYTHON" "$RST_KEYRING" count "$desc")" = 1 ] || { fail "SIGTERM did not keep the key"; return; }
	rst_gw_start --flush-on-exit
	uet_wait 10 rst_gw_ready || { fail "udpespd did not come back"; return; }
	[ "$(rst_gw -j sa list | jq length)" = 1 ] || { fail "SA not adopted after SIGTERM"; return; }
	kill -TERM "$RST_GW_PID"
	wait "$RST_GW_PID" 2>/dev/null
	[ "$("$PYTHON" "$RST_KEYRING" count "$desc")" = -1 ] || { fail "--flush-on-exit left the keyring"; return; }
	[ ! -s "$st" ] || fail "--flush-on-exit left the state file's contents"
}
