# SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
# shellcheck shell=bash
#
# End-to-end tests of issue 13's hardening, sourced by run.sh after
# ctl.sh and kfunc.sh, whose helpers they use: no key bytes in a core of
# the running daemon, what the kfunc maps show to root, and the control
# plane under AddressSanitizer and UndefinedBehaviorSanitizer.

HARDEN_TESTS="test_harden_core_has_no_keys test_harden_kf_maps_root_readable
	test_harden_ctl_asan test_harden_xsk_burst_counted test_harden_second_daemon_refused"

# harden_find_keys FILE KEY...: does FILE hold any 8 consecutive bytes of
# a key (raw bytes, as they would sit in memory)?
harden_find_keys() {
	/usr/bin/python3 - "$@" <<'PY'
import sys
data = open(sys.argv[1], "rb").read()
for k in sys.argv[2:]:
    k = bytes.fromhex(k[2:] if k.startswith("0x") else k)
    for i in range(len(k) - 7):
        if k[i:i + 8] in data:
            print("found bytes %d-%d of a %d-byte key at offset %d"
                  % (i, i + 7, len(k), data.find(k[i:i + 8])))
            sys.exit(0)
sys.exit(1)
PY
}

# A core of the running daemon (gcore as root: PR_SET_DUMPABLE 0 does not
# stop a CAP_SYS_PTRACE tracer, and gdb honours coredump_filter and
# MADV_DONTDUMP as the kernel does) after SAs with known keys were added:
# none of their bytes may be in it. Also: not dumpable, memory locked.
test_harden_core_has_no_keys() {
	local core found K_GCM K_GCM256 K_CHACHA K_CBC K_HMAC K_HMAC512 IN4 IN6 OUT4 GCM CBC
	[ -z "$(uet_missing_tools gcore)" ] || { skip "gcore (gdb) not installed"; return; }
	ctl_up || return
	ctl_add "${IN4[@]}" spi 0x7101 "${GCM[@]}" >/dev/null || return
	ctl_add "${OUT4[@]}" spi 0x7102 "${CBC[@]}" >/dev/null || return
	ctl_add "${IN6[@]}" spi 0x7103 aead 'rfc7539esp(chacha20,poly1305)' "$K_CHACHA" 128 \
		>/dev/null || return
	[ "$(cat "/proc/$CTL_PID/coredump_filter")" = 00000010 ] ||
		{ fail "coredump_filter is $(cat "/proc/$CTL_PID/coredump_filter"), want 00000010"; return; }
	grep -Eq '^VmLck:[[:space:]]+[1-9]' "/proc/$CTL_PID/status" ||
		{ fail "no locked memory: $(grep VmLck "/proc/$CTL_PID/status")"; return; }
	# Non-dumpable: /proc/PID/mem belongs to root:root even for root's daemon
	# (uid 0 either way); the kernel's own flag shows in the cores it refuses.
	core=$CTL_DIR/core
	timeout 60 gcore -o "$core" "$CTL_PID" >>"$UET_LOG" 2>&1 ||
		{ fail "gcore failed"; return; }
	[ -s "$core.$CTL_PID" ] || { fail "gcore wrote no core"; return; }
	found=$(harden_find_keys "$core.$CTL_PID" "$K_GCM" "$K_CBC" "$K_HMAC" "$K_CHACHA")
	rm -f "$core.$CTL_PID"
	[ -z "$found" ] || { fail "key in the core: $found"; return; }
	# With anonymous memory dumped again (as root may set it): the heap
	# still holds no raw HMAC key. The crypto contexts keep only the
	# HMAC's inner and outer states (AES key schedules begin with the key
	# itself, so those are not looked for); the daemon's copy of each SA
	# lost its keys once the contexts existed.
	echo 0x33 >"/proc/$CTL_PID/coredump_filter" || { fail "cannot reset coredump_filter"; return; }
	timeout 60 gcore -o "$core" "$CTL_PID" >>"$UET_LOG" 2>&1 || { fail "gcore failed"; return; }
	found=$(harden_find_keys "$core.$CTL_PID" "$K_HMAC")
	rm -f "$core.$CTL_PID"
	[ -z "$found" ] || { fail "HMAC key in the heap: $found"; return; }
	ctl_keys_hidden
}

# README ("Key material of the kfunc backend"): udpesp_kf_sa holds the
# salt and the GHASH table derived from H; BPF_F_WRONLY guards only the
# descriptor udpespd holds, so root (CAP_SYS_ADMIN) reads it by map id.
# The test checks exactly that claim: the salt of a kfunc SA is in
# `bpftool map dump id`, the AES key is not.
test_harden_kf_maps_root_readable() {
	local id hk dump key salt
	kf_up || return
	key=$(od -An -tx1 -N20 /dev/urandom | tr -d ' \n')
	salt=${key:32:8}
	dec_sa hk dir in src "$UET_PEER4" dst "$UET_GW4" spi 0x7201 mode tunnel \
		aead 'rfc4106(gcm(aes))' "0x$key" 128 encap espinudp 4500 4500 0.0.0.0 offload kfunc || return
	# The udpesp_kf_sa of this daemon (other runs may have their own):
	# the map ids of its descriptors, by name.
	id=$(bpftool -j map show 2>>"$UET_LOG" | jq -r --argjson ids \
		"[$(cat /proc/"${UET_PIDS[0]}"/fdinfo/* 2>/dev/null | sed -n 's/^map_id:[[:space:]]*//p' | paste -sd,)]" \
		'.[] | select(.name == "udpesp_kf_sa" and (.id as $i | $ids | index($i))) | .id')
	[ -n "$id" ] || { fail "udpespd holds no udpesp_kf_sa map"; return; }
	dump=$(bpftool -j map dump id "$id" 2>>"$UET_LOG" |
		jq -r '.[] | [.. | strings | select(test("^0x[0-9a-f]{2}$")) | .[2:]] | join("")' |
		tr -d '\n')
	[ -n "$dump" ] || { fail "bpftool map dump id $id read nothing: the README says root can"; return; }
	grep -q "$salt" <<<"$dump" || { fail "salt not in the dump of udpesp_kf_sa"; return; }
	grep -q "${key:0:16}" <<<"$dump" && { fail "AES key bytes in udpesp_kf_sa"; return; }
	return 0
}

# udpespd and udpespctl built with ASan and UBSan (make asan): 10,000 SAs
# added in batches and deleted, every kind of broken client; any report
# in the daemon's output fails the test, and so does a sanitizer exit.
test_harden_ctl_asan() {
	local asan=${HARDEN_ASAN:-$UET_ROOT/${BUILD:-build}/asan} i m
	local K_GCM K_GCM256 K_CHACHA K_CBC K_HMAC K_HMAC512 IN4 IN6 OUT4 GCM CBC
	[ -x "$asan/udpespd" ] && [ -x "$asan/udpespctl" ] || { skip "make asan not run"; return; }
	UET_DAEMON=$asan/udpespd UET_CTL=$asan/udpespctl CTL_MAX_SA=10240 \
		ASAN_OPTIONS=detect_leaks=1:abort_on_error=0:exitcode=99 \
		UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 ctl_up || return
	for ((i = 0; i < 10000; i++)); do
		printf 'dir in src 198.51.100.%d dst 192.0.2.1 spi %d mode tunnel aead rfc4106(gcm(aes)) 0x%s 128 encap espinudp 4500 4500 0.0.0.0\n' \
			$((i % 250 + 1)) $((0x10000 + i)) "${K_GCM#0x}"
	done >"$CTL_DIR/batch"
	UET_CTL=$asan/udpespctl ctl_ok sa add-batch "$CTL_DIR/batch" >/dev/null ||
		{ tail -n 20 "$CTL_DIR/udpespd.out" "$CTL_LOG" >>"$UET_LOG"; return 1; }
	[ "$(ctl_map_len udpesp_sa)" = 10000 ] || { fail "udpesp_sa has $(ctl_map_len udpesp_sa) entries"; return; }
	for m in partial-hdr partial-body; do
		timeout 2 "$PYTHON" "$UET_RAW" "$CTL_SOCK" "$m" >>"$UET_LOG" 2>&1
	done
	for m in oversize garbage bad-len "version 999" "encap 7"; do
		# shellcheck disable=SC2086 # the mode and its argument
		timeout 10 "$PYTHON" "$UET_RAW" "$CTL_SOCK" $m >>"$UET_LOG" 2>&1
	done
	head -c 100000 /dev/urandom | timeout 5 "$PYTHON" -c '
import socket, sys
s = socket.socket(socket.AF_UNIX); s.connect(sys.argv[1]); s.sendall(sys.stdin.buffer.read())' \
		"$CTL_SOCK" >>"$UET_LOG" 2>&1
	UET_CTL=$asan/udpespctl ctl_ok sa flush >/dev/null || return
	[ "$(ctl_map_len udpesp_sa)" = 0 ] || { fail "udpesp_sa not empty after flush"; return; }
	ctl_daemon_stop TERM || return
	if grep -Eq 'ERROR: AddressSanitizer|ERROR: LeakSanitizer|runtime error:' \
		"$CTL_DIR/udpespd.out" "$CTL_LOG"; then
		fail "sanitizer report: $(grep -Eh -m1 'ERROR: |runtime error:' "$CTL_DIR/udpespd.out" "$CTL_LOG")"
		return
	fi
	[ "$CTL_DAEMON_RC" = 0 ] || fail "udpespd exited with $CTL_DAEMON_RC"
}

# Counters every frame a worker takes ends in (its verdicts), and those of
# frames the AF_XDP socket itself dropped (XDP_STATISTICS, folded in by
# the workers).
HARDEN_VERDICTS='["DecapOk","DecapDummy","DecapBadPadding","DecapBadNextHeader",
	"DecapStaleSa","DecapEcnDrop","XfrmInError","XfrmInHdrError","XfrmInStateProtoError",
	"XfrmInStateModeError","XfrmInStateSeqError","XfrmInStateExpired",
	"XfrmInStateMismatch","XfrmInTmplMismatch","XfrmInBufferError"]'
HARDEN_RING='["RxXskDropped","RxXskRingFull","RxXskRingLeft"]'

# harden_sum JSON-ARRAY: the sum of those counters now.
harden_sum() {
	dctl_out -j stats | jq --argjson n "$1" '[.counters as $c | $n[] | $c[.] // 0] | add'
}

# A burst faster than the worker: with udpespd stopped (SIGSTOP, every
# thread), XDP keeps redirecting into the worker's 2048-entry RX ring, so
# most of 4000 valid frames are dropped by the socket. After SIGCONT,
# every redirected frame is in exactly one counter:
#   RxXskRedirect = worker verdicts + RxXskDropped + RxXskRingFull + RxXskRingLeft
# and the ring drops are not 0. Then SIGTERM: the counters stay as they were
# for frames still queued (RxXskRingLeft), which the daemon's log shows.
test_harden_xsk_burst_counted() {
	local h pid red ver ring i n=4000
	dec_up || return
	pid=${UET_PIDS[0]}
	dec_sa h dir in src "$UET_PEER4" dst "$UET_GW4" spi 0x7301 mode tunnel \
		aead 'rfc4106(gcm(aes))' "0x$K_GCM" 128 encap espinudp 4500 4500 0.0.0.0 offload xsk || return
	kill -STOP "$pid"
	timeout 120 nsenter --net="/run/netns/$UET_NS_PEER" -- "$SCAPY_PY" "$UET_ESP_SEND" \
		--to "$UET_GW4" --suite gcm --key "$K_GCM" --spi 0x7301 --mode tunnel \
		--inner-src "$INNER_PEER4" --inner-dst "$INNER_GW4" --dport 5000 \
		--payload 00 --seq 1-$n --builder own >>"$UET_LOG" 2>&1
	i=$?
	kill -CONT "$pid"
	[ $i = 0 ] || { fail "esp_send.py failed"; return; }
	# Settled: the worker idles (it folds the socket's counters then).
	for ((i = 0; i < 100; i++)); do
		red=$(dstat RxXskRedirect)
		ver=$(harden_sum "$HARDEN_VERDICTS")
		ring=$(harden_sum "$HARDEN_RING")
		[ "$red" = $n ] && [ $((ver + ring)) = "$red" ] && break
		sleep 0.1
	done
	echo "burst: RxXskRedirect $red = verdicts $ver + ring drops $ring ($(dctl_out -j stats | jq -c --argjson n "$HARDEN_RING" '[.counters as $c | $n[] | {(.): $c[.]}] | add'))" |
		tee -a "$UET_LOG" | { [ -n "${HARDEN_VERBOSE:-}" ] && cat >&2 || cat >/dev/null; }
	[ "$red" = $n ] || { fail "RxXskRedirect $red, want $n"; return; }
	[ $((ver + ring)) = "$red" ] ||
		{ fail "RxXskRedirect $red != verdicts $ver + ring drops $ring"; return; }
	[ "$ring" -gt 0 ] || { fail "the burst overflowed nothing (ring drops 0)"; return; }
	[ "$(dstat DecapOk)" -gt 0 ] || fail "nothing decapsulated after SIGCONT"
}

# A second udpespd on the same socket and pin directory, while the first
# runs, must leave both alone: before, it removed the socket file (the
# first became unreachable) and the first daemon's SAs from the maps
# ("left by an earlier udpespd"). It waits for the first to exit (issue
# 16), then refuses. After kill -9 of the first, a new one replaces the
# stale socket file and adopts the SA the first kept.
test_harden_second_daemon_refused() {
	local first rc K_GCM K_GCM256 K_CHACHA K_CBC K_HMAC K_HMAC512 IN4 IN6 OUT4 GCM CBC
	ctl_up || return
	first=$CTL_PID
	ctl_add "${IN4[@]}" spi 0x7401 "${GCM[@]}" >/dev/null || return
	timeout 20 nsenter --net="/run/netns/$UET_NS_GW" -- "$UET_DAEMON" --foreground \
		--socket "$CTL_SOCK" --pin-dir "$CTL_PIN" --log "$CTL_DIR/second.log" \
		--max-sa "${CTL_MAX_SA:-64}" --keepalive 0 >>"$UET_LOG" 2>&1
	rc=$?
	[ $rc = 1 ] || { fail "second udpespd exited with $rc, want 1"; return; }
	grep -q "another udpespd" "$CTL_DIR/second.log" ||
		{ fail "second udpespd did not say why: $(tail -1 "$CTL_DIR/second.log")"; return; }
	kill -0 "$first" || { fail "the first udpespd died"; return; }
	ctl_ok sa list || return
	ctl_has "spi 0x00007401" || { fail "the first daemon lost its SA: $(ctl_stdout)"; return; }
	[ "$(ctl_map_len udpesp_sa)" = 1 ] || { fail "udpesp_sa has $(ctl_map_len udpesp_sa) entries"; return; }

	ctl_daemon_stop KILL || return
	[ -S "$CTL_SOCK" ] || { fail "no stale socket file after SIGKILL"; return; }
	ctl_daemon_start || return
	ctl_ok sa list || return
	ctl_has "spi 0x00007401" || { fail "the restarted udpespd did not adopt the SA"; return; }
	[ "$(ctl_map_len udpesp_sa)" = 1 ] || fail "udpesp_sa has $(ctl_map_len udpesp_sa) entries"
}
