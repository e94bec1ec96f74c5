# SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
#
# End-to-end tests of the control plane, sourced by tests/e2e/run.sh after
# lib.sh: udpespd runs in the gateway namespace of lib.sh (nsenter --net,
# so it keeps our private bpffs), with its socket in the run's temporary
# directory and its maps pinned under $CTL_PIN, and udpespctl talks to it
# as a user would. What a test checks besides the command's own output:
#
#   * every refused command exits 1 (udpespd said no) or 2 (usage, nothing
#     sent), prints "Error: ..." naming the problem, and leaves the
#     `bpftool map dump pinned` output of every udpesp map byte-identical;
#   * no key ever shows: every test ends by searching everything udpespctl
#     printed, udpespd's log and the maps' raw bytes for any 8 consecutive
#     bytes of the keys it used (fresh random keys per test).

# shellcheck disable=SC2034 # CTL_TESTS is read by run.sh
CTL_TESTS="test_ctl_daemon_and_links test_ctl_sa_add_list_show_delete
	test_ctl_json_output test_ctl_bad_input_leaves_maps test_ctl_rfc8221_suites_accepted test_ctl_table_full
	test_ctl_batch_all_or_nothing test_ctl_keys_never_appear
	test_ctl_monitor_and_concurrent_clients test_ctl_broken_clients
	test_ctl_restart_adopts_maps test_ctl_sigterm_detaches_owned
	test_ctl_link_gone test_ctl_lifetimes test_ctl_unit_capabilities
	test_ctl_no_daemon test_ctl_usage_and_help
	test_ctl_slow_readers_do_not_block test_ctl_client_limit_and_no_fds
	test_ctl_churn_returns_memory test_ctl_sa_keys_from_file_and_stdin"

UET_DAEMON=$UET_BUILD/udpespd
UET_RAW=$UET_ROOT/tests/e2e/ctlraw.py
# Under tc/, which uet_env_down removes after every test.
CTL_PIN=$UET_BPFFS/tc/udpespd
# Every map but udpesp_xsks: an XSKMAP cannot be read from userspace
# (every lookup is EOPNOTSUPP), and no SA operation touches it.
CTL_DUMP_MAPS=()
for m in "${UET_MAPS[@]}"; do
	[ "$m" = udpesp_xsks ] || CTL_DUMP_MAPS+=("$m")
done
unset m

CTL_DIR='' CTL_SOCK='' CTL_LOG='' CTL_PID='' CTL_RC=''
CTL_WRAP=() # a command udpespd runs under (see test_ctl_unit_capabilities)
declare -A CTL_MON=() CTL_MON_BASE=()

# ---- set-up ----------------------------------------------------------------

ctl_hex() { od -An -tx1 -N"$1" /dev/urandom | tr -d ' \n'; }

# A directory, a socket path and fresh keys for this test. The keys go into
# $CTL_DIR/key-windows as every 8-byte run of their hex, which is what
# ctl_keys_hidden looks for.
ctl_prepare() {
	local k i
	[ -x "$UET_DAEMON" ] || { skip "$UET_DAEMON not built (run make)"; return; }
	CTL_DIR=$(mktemp -d "$UET_TMP/ctl.XXXXXX") || { fail "mktemp"; return; }
	CTL_SOCK=$CTL_DIR/run/udpespd.sock
	CTL_LOG=$CTL_DIR/udpespd.log
	CTL_PID=
	CTL_MON=() CTL_MON_BASE=()
	: >"$CTL_DIR/outputs"
	K_GCM=0x$(ctl_hex 20)     # AES-128 key + 4-byte salt
	K_GCM256=0x$(ctl_hex 36)  # AES-256 key + salt
	K_CHACHA=0x$(ctl_hex 36)  # ChaCha20 key + salt
	K_CBC=0x$(ctl_hex 16)     # AES-128-CBC
	K_HMAC=0x$(ctl_hex 32)    # HMAC-SHA-256
	K_HMAC512=0x$(ctl_hex 64) # HMAC-SHA-512
	for k in "$K_GCM" "$K_GCM256" "$K_CHACHA" "$K_CBC" "$K_HMAC" "$K_HMAC512"; do
		k=${k#0x}
		for ((i = 0; i + 16 <= ${#k}; i += 2)); do echo "${k:i:16}"; done
	done >"$CTL_DIR/key-windows"
	# SA words used throughout: an inbound IPv4 SA minus its SPI, etc.
	IN4=(dir in src 198.51.100.7 dst 192.0.2.1 mode tunnel
		encap espinudp 4500 4500 0.0.0.0)
	IN6=(dir in src 2001:db8::2 dst 2001:db8::1 mode tunnel
		encap espinudp 4500 4500 ::)
	OUT4=(dir out src 192.0.2.1 dst 198.51.100.7 mode tunnel
		encap espinudp 4500 4500 0.0.0.0)
	GCM=(aead 'rfc4106(gcm(aes))' "$K_GCM" 128)
	CBC=(enc 'cbc(aes)' "$K_CBC" auth-trunc 'hmac(sha256)' "$K_HMAC" 128)
}

# ctl_daemon_start [OPTION...]: udpespd in the gateway namespace; returns
# once it answers. CTL_MAX_SA (default 64) keeps the slot maps small.
ctl_daemon_start() {
	local i
	nsenter --net="/run/netns/$UET_NS_GW" -- "${CTL_WRAP[@]}" "$UET_DAEMON" --foreground \
		--socket "$CTL_SOCK" --pin-dir "$CTL_PIN" --log "$CTL_LOG" \
		--max-sa "${CTL_MAX_SA:-64}" --keepalive 0 "$@" >>"$CTL_DIR/udpespd.out" 2>&1 &
	CTL_PID=$!
	UET_PIDS+=("$CTL_PID")
	for ((i = 0; i < 500; i++)); do
		kill -0 "$CTL_PID" 2>/dev/null ||
			{ fail "udpespd exited at start: $(tail -n 3 "$CTL_LOG" "$CTL_DIR/udpespd.out" 2>&1)"; return; }
		nsx "$UET_NS_GW" "$UET_CTL" -s "$CTL_SOCK" parser list >/dev/null 2>&1 && return 0
		sleep 0.02
	done
	fail "udpespd did not answer within 10 s"
}

# ctl_daemon_stop SIGNAL: signal udpespd and wait (10 s at most) for it to
# exit; its exit status ends up in CTL_DAEMON_RC. stderr is dropped: that
# is where bash reports a job killed by a signal ("Killed").
ctl_daemon_stop() { ctl_daemon_stop_ "$@" 2>/dev/null; }

ctl_daemon_stop_() {
	local i
	kill -"$1" "$CTL_PID" 2>/dev/null || { fail "udpespd ($CTL_PID) is not running"; return; }
	for ((i = 0; i < 500; i++)); do
		kill -0 "$CTL_PID" 2>/dev/null || break
		sleep 0.02
	done
	kill -0 "$CTL_PID" 2>/dev/null && { fail "udpespd still running 10 s after SIG$1"; return; }
	wait "$CTL_PID"
	CTL_DAEMON_RC=$?
}

ctl_up() { ctl_prepare && ctl_daemon_start "$@"; }

# ---- running udpespctl -----------------------------------------------------

# A command line for the log, keys replaced by their names.
ctl_mask() {
	local s="$*" n
	for n in K_GCM256 K_GCM K_CHACHA K_CBC K_HMAC512 K_HMAC; do
		s=${s//"${!n}"/"<$n>"}
		s=${s//"${!n#0x}"/"<$n without 0x>"}
	done
	echo "$s"
}

# ctl ARG...: udpespctl in the gateway namespace, on this test's socket.
# Output in $CTL_DIR/stdout and stderr, exit status in CTL_RC; both
# outputs are also kept in $CTL_DIR/outputs for ctl_keys_hidden.
ctl() {
	timeout 30 nsenter --net="/run/netns/$UET_NS_GW" -- "$UET_CTL" -s "$CTL_SOCK" "$@" \
		>"$CTL_DIR/stdout" 2>"$CTL_DIR/stderr"
	CTL_RC=$?
	cat "$CTL_DIR/stdout" "$CTL_DIR/stderr" >>"$CTL_DIR/outputs"
	{
		echo "\$ udpespctl $(ctl_mask "$@")  [exit $CTL_RC]"
		cat "$CTL_DIR/stdout" "$CTL_DIR/stderr"
	} >>"$UET_LOG"
	return "$CTL_RC"
}

ctl_stdout() { cat "$CTL_DIR/stdout"; }
ctl_stderr() { cat "$CTL_DIR/stderr"; }

# ctl_ok ARG...: must exit 0 with nothing on stderr.
ctl_ok() {
	ctl "$@"
	[ "$CTL_RC" = 0 ] && [ ! -s "$CTL_DIR/stderr" ] ||
		fail "udpespctl $(ctl_mask "$@"): exit $CTL_RC: $(head -c 300 "$CTL_DIR/stderr")"
}

# ctl_expect TEXT: the last stdout, exactly.
ctl_expect() {
	[ "$(ctl_stdout)" = "$1" ] || fail "udpespctl printed \"$(ctl_stdout)\", want \"$1\""
}

# ctl_has REGEX: a line of the last stdout matches.
ctl_has() {
	grep -Eq -- "$1" "$CTL_DIR/stdout" || fail "no line matching /$1/ in: $(ctl_stdout)"
}

# ctl_refused STATUS TEXT... -- ARG...: udpespctl ARG... must exit with
# STATUS, print nothing on stdout, and begin stderr with "Error: " on a
# line holding every TEXT (fixed strings).
ctl_refused() {
	local want=$1 t
	local -a texts=()
	shift
	while [ "$1" != -- ]; do texts+=("$1"); shift; done
	shift
	ctl "$@"
	[ "$CTL_RC" = "$want" ] ||
		fail "udpespctl $(ctl_mask "$@"): exit $CTL_RC, want $want; stderr: $(ctl_stderr)" || return
	[ ! -s "$CTL_DIR/stdout" ] ||
		fail "udpespctl $(ctl_mask "$@") (refused) printed on stdout: $(ctl_stdout)" || return
	head -n 1 "$CTL_DIR/stderr" | grep -q '^Error: ' ||
		fail "udpespctl $(ctl_mask "$@"): stderr does not start with \"Error: \": $(ctl_stderr)" || return
	for t in "${texts[@]}"; do
		head -n 1 "$CTL_DIR/stderr" | grep -qF -- "$t" ||
			fail "udpespctl $(ctl_mask "$@"): message lacks \"$t\": $(ctl_stderr)" || return
	done
}

# "handle H parser P" of the last `sa add`, into CTL_H and CTL_P.
ctl_handles() {
	local w1 w3
	read -r w1 CTL_H w3 CTL_P <"$CTL_DIR/stdout"
	[ "$w1 $w3" = "handle parser" ] && [[ "$CTL_H$CTL_P" =~ ^[0-9]+$ ]] ||
		fail "sa add printed \"$(ctl_stdout)\", want \"handle H parser P\""
}

# ctl_add WORD...: `sa add` that must succeed; handles in CTL_H, CTL_P.
ctl_add() { ctl_ok sa add "$@" && ctl_handles; }

# ---- the maps ----------------------------------------------------------------

ctl_maps_dump() {
	local m
	for m in "${CTL_DUMP_MAPS[@]}"; do
		echo "== $m"
		bpftool map dump pinned "$CTL_PIN/$m" 2>&1
	done >"$1"
}

# ctl_maps_same WHAT: the maps are byte for byte as in $CTL_DIR/maps.before.
ctl_maps_same() {
	ctl_maps_dump "$CTL_DIR/maps.after"
	cmp -s "$CTL_DIR/maps.before" "$CTL_DIR/maps.after" && return
	fail "$1 changed the maps: $(diff "$CTL_DIR/maps.before" "$CTL_DIR/maps.after" | head -n 12 | tr '\n' ' ')"
}

# ctl_bad STATUS TEXT... -- ARG...: ctl_refused, and the maps unchanged.
ctl_bad() {
	local a
	ctl_refused "$@" || return
	for a in "$@"; do shift; [ "$a" = -- ] && break; done
	ctl_maps_same "udpespctl $(ctl_mask "$@")"
}

# ctl_map_len MAP: entries in a pinned hash map.
ctl_map_len() { bpftool -j map dump pinned "$CTL_PIN/$1" 2>>"$UET_LOG" | jq length; }

# Every byte of every map as hex, one line per entry (and per CPU).
ctl_maps_hex() {
	local m
	for m in "${CTL_DUMP_MAPS[@]}"; do
		bpftool -j map dump pinned "$CTL_PIN/$m" 2>/dev/null |
			jq -r '.[] | [.. | strings | select(test("^0x[0-9a-f]{2}$")) | .[2:]] | join("")'
	done
}

# No 8 consecutive key bytes in anything udpespctl printed, in udpespd's
# log and output, or in the maps (while the daemon's maps are pinned).
ctl_keys_hidden() {
	local f
	[ -d "$CTL_PIN" ] && ctl_maps_hex >"$CTL_DIR/maps.hex"
	for f in "$CTL_DIR/outputs" "$CTL_LOG" "$CTL_DIR/udpespd.out" "$CTL_DIR/maps.hex" \
		"$CTL_DIR"/mon-* "$CTL_DIR"/loop-*; do
		[ -e "$f" ] || continue
		if grep -qiFf "$CTL_DIR/key-windows" "$f"; then
			fail "key material in ${f##*/}: $(grep -iFf "$CTL_DIR/key-windows" "$f" | head -n 1 | cut -c1-60)..."
			return
		fi
	done
}

# ---- udpespctl monitor ---------------------------------------------------------

# ctl_monitor NAME [OPTION...]: `udpespctl [OPTION...] monitor` in the
# background, its output in $CTL_DIR/mon-NAME.
ctl_monitor() {
	local name=$1
	shift
	nsenter --net="/run/netns/$UET_NS_GW" -- "$UET_CTL" -s "$CTL_SOCK" "$@" monitor \
		>"$CTL_DIR/mon-$name" 2>&1 &
	CTL_MON[$name]=$!
	UET_PIDS+=($!)
}

# A monitor has subscribed once it prints events; nothing else says so.
# Add and delete a probe SA (port 4999, a parser entry of its own) until
# every monitor has shown its parser-removed event, then note how many
# lines each has printed: ctl_mon_new shows only what came after.
ctl_monitors_sync() {
	local try name seen
	for ((try = 1; try <= 10; try++)); do
		ctl_add dir in src 198.51.100.99 dst 192.0.2.1 spi $((0xfff0 + try)) \
			encap espinudp 4999 4999 0.0.0.0 "${GCM[@]}" &&
			ctl_ok sa del handle "$CTL_H" parser "$CTL_P" || return
		seen=1
		for name in "${!CTL_MON[@]}"; do
			uet_wait 2 grep -Eq "parser-removed.*handle\"?:? ?$CTL_P([^0-9]|\$)" \
				"$CTL_DIR/mon-$name" || seen=0
		done
		[ $seen = 1 ] && break
	done
	[ $seen = 1 ] || { fail "monitors never showed the probe's events"; return; }
	for name in "${!CTL_MON[@]}"; do
		CTL_MON_BASE[$name]=$(wc -l <"$CTL_DIR/mon-$name")
	done
}

# Lines a monitor printed after ctl_monitors_sync.
ctl_mon_new() { tail -n +$((${CTL_MON_BASE[$1]:-0} + 1)) "$CTL_DIR/mon-$1"; }

ctl_mon_has() { ctl_mon_new "$1" | grep -Eq -- "$2"; }

# ctl_mon_count NAME REGEX: how many new lines match.
ctl_mon_count() { ctl_mon_new "$1" | grep -Ec -- "$2"; }

ctl_mon_at_least() { [ "$(ctl_mon_count "$1" "$2")" -ge "$3" ]; }

# ctl_mon_wait NAME REGEX [SECONDS]: poll for the event (default 10 s).
ctl_mon_wait() {
	uet_wait "${3:-10}" ctl_mon_has "$1" "$2" ||
		fail "monitor $1 never printed /$2/; it has: $(ctl_mon_new "$1" | tr '\n' ';')"
}

# ---- tests ---------------------------------------------------------------------

test_ctl_daemon_and_links() {
	local id prog_ids pinned_ids m

	ctl_up || return
	[ "$(stat -c '%F %a %U' "$CTL_SOCK")" = "socket 600 root" ] ||
		fail "socket is $(stat -c '%F %a %U' "$CTL_SOCK"), want a socket, mode 600, root's" || return
	ctl_ok link list && ctl_expect "" || return

	ctl_ok link attach dev "$UET_DEV_GW" &&
		ctl_has "^attached dev $UET_DEV_GW ifindex [0-9]+ mode native prog-id [0-9]+ owned\$" || return
	[ "$(uet_xdp_json | jq -c '[.mode, .prog.name]')" = '[1,"udpesp_xdp"]' ] ||
		fail "after link attach: xdp is $(uet_xdp_json), want native udpesp_xdp" || return
	id=$(uet_xdp_json | jq -r .prog.id)
	ctl_ok link list && ctl_expect "dev $UET_DEV_GW ifindex $(uet_gw_link -j | jq '.[0].ifindex') mode native prog-id $id owned" || return
	# The attached program works on udpespd's pinned maps, not copies.
	prog_ids=$(bpftool -j prog show id "$id" | jq -c '.map_ids | sort')
	pinned_ids=$(for m in "${UET_MAPS[@]}"; do
		bpftool -j map show pinned "$CTL_PIN/$m" | jq .id
	done | jq -sc 'sort')
	[ "$(jq -nc --argjson p "$prog_ids" --argjson q "$pinned_ids" '$p - $q')" = "[]" ] ||
		fail "attached prog uses maps $prog_ids, udpespd pinned $pinned_ids" || return

	ctl_refused 1 "udpesp is already attached to $UET_DEV_GW (prog id $id)" -- \
		link attach dev "$UET_DEV_GW" || return
	ctl_ok link detach dev "$UET_DEV_GW" && ctl_expect "detached dev $UET_DEV_GW" || return
	[ "$(uet_xdp_json)" = null ] || fail "still attached after link detach: $(uet_xdp_json)" || return
	ctl_refused 1 "udpesp is not attached to $UET_DEV_GW" -- link detach dev "$UET_DEV_GW" || return

	ctl_ok link attach dev "$UET_DEV_GW" mode generic &&
		ctl_has "^attached dev $UET_DEV_GW ifindex [0-9]+ mode generic prog-id [0-9]+ owned\$" || return
	[ "$(uet_xdp_json | jq -c '[.mode, .prog.name]')" = '[2,"udpesp_xdp"]' ] ||
		fail "after link attach mode generic: xdp is $(uet_xdp_json)" || return
	ctl_ok link list && ctl_has "^dev $UET_DEV_GW .* mode generic .* owned\$" || return
	ctl_ok link detach dev "$UET_DEV_GW" || return
	[ "$(uet_xdp_json)" = null ] || fail "generic: still attached after detach" || return

	ctl_refused 1 'device "uet-nosuch" does not exist' -- link attach dev uet-nosuch &&
		ctl_refused 2 'mode: expected native or generic, got "turbo"' -- \
			link attach dev "$UET_DEV_GW" mode turbo &&
		ctl_refused 2 "link attach: dev IFNAME is required" -- link attach &&
		ctl_keys_hidden
}

test_ctl_sa_add_list_show_delete() {
	local dump slot
	local -a key

	ctl_up || return
	# Inbound adds that share (port, family, any interface) share a parser entry.
	ctl_ok sa add "${IN4[@]}" spi 0x1001 "${GCM[@]}" replay-window 128 flag esn \
		replay-seq 0x500 replay-seq-hi 2 && ctl_expect "handle 1 parser 1" || return
	ctl_ok sa add dir in src 198.51.100.8 dst 192.0.2.1 spi 0x1002 mode tunnel \
		aead 'rfc7539esp(chacha20,poly1305)' "$K_CHACHA" 128 \
		encap espinudp 4500 4500 0.0.0.0 replay-window 64 &&
		ctl_expect "handle 2 parser 1" || return
	ctl_ok sa add "${IN6[@]}" spi 0x1003 "${CBC[@]}" replay-window 32 &&
		ctl_expect "handle 3 parser 2" || return
	ctl_ok sa add "${OUT4[@]}" spi 0x2001 "${GCM[@]}" replay-oseq 0x77 &&
		ctl_expect "handle 4 parser 0" || return
	ctl_ok sa add dir in src 198.51.100.7 dst 192.0.2.1 spi 0x1004 mode transport \
		"${GCM[@]}" encap espinudp 4500 4501 0.0.0.0 sel src 198.51.100.0/24 &&
		ctl_expect "handle 5 parser 3" || return

	ctl_ok parser list && ctl_expect "parser 1 dev any port 4500 family inet encap espinudp users 2
parser 2 dev any port 4500 family inet6 encap espinudp users 1
parser 3 dev any port 4501 family inet encap espinudp users 1" || return
	# ESN window start (replay-seq-hi:replay-seq) and next outbound number.
	ctl_ok sa show handle 1 &&
		ctl_has '^handle 1 parser 1 dir in src 198\.51\.100\.7 dst 192\.0\.2\.1 spi 0x00001001 mode tunnel slot [0-9]+$' &&
		ctl_has '^	aead rfc4106\(gcm\(aes\)\) key 160 bits icv 128$' &&
		ctl_has '^	replay-window 128 flag esn seq 0x200000500$' || return
	slot=$(sed -n 's/.* slot \([0-9]*\)$/\1/p' "$CTL_DIR/stdout")
	ctl_ok sa show handle 4 && ctl_has '^	replay-window 0 oseq 0x77$' || return
	ctl_ok sa show dst 2001:db8::1 spi 0x1003 && ctl_has '^handle 3 parser 2 dir in ' &&
		ctl_has '^	enc cbc\(aes\) key 128 bits$' &&
		ctl_has '^	auth-trunc hmac\(sha256\) key 256 bits trunc 128$' || return
	ctl_ok sa show handle 5 && ctl_has '^	sel src 198\.51\.100\.0/24 dst any$' || return
	ctl_ok sa list || return
	[ "$(grep -c '^handle ' "$CTL_DIR/stdout")" = 5 ] || fail "sa list shows $(grep -c '^handle ' "$CTL_DIR/stdout") SAs, want 5" || return

	# The data path: inbound SAs only, and the window where XDP reads it.
	dump=$(bpftool -j map dump pinned "$CTL_PIN/udpesp_sa")
	[ "$(jq -c '[.[].formatted.value.handle] | sort' <<<"$dump")" = "[1,2,3,5]" ] ||
		fail "udpesp_sa holds handles $(jq -c '[.[].formatted.value.handle]' <<<"$dump"), want 1 2 3 5" || return
	read -ra key <<<"$(hex_le32 "$slot")"
	[ "$(bpftool -j map lookup pinned "$CTL_PIN/udpesp_replay" key hex "${key[@]}" |
		jq -c '.formatted.value | [.top, .window]')" = "[$((0x200000500)),128]" ] ||
		fail "udpesp_replay[$slot] is not {top 0x200000500, window 128}" || return
	[ "$(ctl_map_len udpesp_parser)" = 3 ] || fail "udpesp_parser has $(ctl_map_len udpesp_parser) entries, want 3" || return

	# Deleting with the parser handle removes the entry only once unused.
	ctl_ok sa del handle 1 parser 1 && ctl_expect "deleted handle 1
parser 1 still used by 1 SAs" || return
	ctl_ok sa del dst 192.0.2.1 spi 0x1002 parser 1 && ctl_expect "deleted dst 192.0.2.1 spi 0x00001002
parser 1 removed" || return
	ctl_ok sa del dst 2001:db8::1 spi 0x1003 && ctl_expect "deleted dst 2001:db8::1 spi 0x00001003" || return
	ctl_ok parser list && ctl_expect "parser 2 dev any port 4500 family inet6 encap espinudp users 0
parser 3 dev any port 4501 family inet encap espinudp users 1" || return
	ctl_refused 1 "no SA with handle 1" -- sa del handle 1 &&
		ctl_refused 1 "no SA with handle 1" -- sa show handle 1 &&
		ctl_refused 1 "no SA with dst 192.0.2.1 spi 0x1002" -- sa show dst 192.0.2.1 spi 0x1002 || return
	ctl_ok sa flush && ctl_expect "deleted 2 SAs, removed 2 parser entries" || return
	ctl_ok sa list && ctl_expect "" && ctl_ok parser list && ctl_expect "" || return
	[ "$(ctl_map_len udpesp_sa) $(ctl_map_len udpesp_parser)" = "0 0" ] ||
		fail "after flush: udpesp_sa has $(ctl_map_len udpesp_sa), udpesp_parser $(ctl_map_len udpesp_parser) entries" || return
	read -ra key <<<"$(hex_le32 4500)"
	[ "$(bpftool -j map lookup pinned "$CTL_PIN/udpesp_ports" key hex "${key[@]}" |
		jq -c .formatted.value.entries)" = 0 ] || fail "udpesp_ports[4500] not back to 0 entries" || return
	ctl_keys_hidden
}

test_ctl_json_output() {
	local names_json names_text

	ctl_up || return
	ctl_add "${IN4[@]}" spi 0x1001 "${GCM[@]}" replay-window 64 replay-seq 9 &&
		ctl_add "${OUT4[@]}" spi 0x2001 "${CBC[@]}" || return

	ctl_ok -j stats && jq -e '(.counters | type == "object" and .XfrmInNoStates == 0 and
		has("RxEsp") and has("XfrmInStateSeqError")) and ([.sa[].handle] | sort == [1, 2]) and
		(.sa[0] | .packets == 0 and .replay == 0 and has("integrity_failed"))' \
		"$CTL_DIR/stdout" >/dev/null || fail "-j stats: $(ctl_stdout)" || return
	# The same counters, by the same names, as the text output.
	names_json=$(jq -r '.counters | keys_unsorted[]' "$CTL_DIR/stdout")
	ctl_ok stats || return
	names_text=$(awk '/^handle /{exit} {print $1}' "$CTL_DIR/stdout")
	[ "$names_json" = "$names_text" ] || fail "-j stats and stats name different counters" || return

	ctl_ok -j sa list && jq -e 'type == "array" and length == 2 and
		(map(.handle) | sort) == [1, 2] and
		(.[] | select(.handle == 1) | .dir == "in" and .spi == 4097 and .seq == 9 and
			.replay_window == 64 and .aead.key_bits == 160 and .sel == []) and
		(.[] | select(.handle == 2) | .oseq == 0 and .enc.name == "cbc(aes)" and
			.auth.trunc_bits == 128) and
		([.. | objects | keys[] | select(. == "key")] == [])' \
		"$CTL_DIR/stdout" >/dev/null || fail "-j sa list: $(ctl_stdout)" || return
	ctl_ok -j sa show handle 1 && jq -e '.handle == 1 and .parser == 1 and .encap.dport == 4500' \
		"$CTL_DIR/stdout" >/dev/null || fail "-j sa show: $(ctl_stdout)" || return
	ctl_ok -j parser list && jq -e '. == [{"handle":1,"dev":null,"ifindex":0,"port":4500,
		"family":"inet","addr":null,"encap":"espinudp","users":1}]' \
		"$CTL_DIR/stdout" >/dev/null || fail "-j parser list: $(ctl_stdout)" || return
	ctl_ok -j link list && jq -e '. == []' "$CTL_DIR/stdout" >/dev/null ||
		fail "-j link list: $(ctl_stdout)" || return
	ctl_ok -j sa add "${IN4[@]}" spi 0x1002 "${GCM[@]}" &&
		jq -e '. == {"handle":3,"parser":1}' "$CTL_DIR/stdout" >/dev/null ||
		fail "-j sa add: $(ctl_stdout)" || return
	ctl_ok -j sa del handle 3 parser 1 && jq -e '. == {"deleted":1,"handle":3,"parser":1,
		"parser_removed":false,"parser_users":1}' "$CTL_DIR/stdout" >/dev/null ||
		fail "-j sa del: $(ctl_stdout)" || return
	ctl_ok -j sa flush && jq -e '. == {"deleted":2,"parsers_removed":1}' "$CTL_DIR/stdout" >/dev/null ||
		fail "-j sa flush: $(ctl_stdout)" || return
	ctl_ok -j stats && jq -e '.sa == []' "$CTL_DIR/stdout" >/dev/null ||
		fail "-j stats with no SA: $(ctl_stdout)" || return
	ctl_ok -j sa list && jq -e '. == []' "$CTL_DIR/stdout" >/dev/null ||
		fail "-j sa list with no SA: $(ctl_stdout)" || return
	ctl_keys_hidden
}

test_ctl_bad_input_leaves_maps() {
	local K8 K16 K19 K20
	K8=0x$(ctl_hex 8) K16=0x$(ctl_hex 16) K19=0x$(ctl_hex 19) K20=0x$(ctl_hex 20)

	ctl_up || return
	ctl_add "${IN4[@]}" spi 0x1001 "${GCM[@]}" replay-window 128 &&
		ctl_add "${OUT4[@]}" spi 0x2001 "${GCM[@]}" || return
	ctl_maps_dump "$CTL_DIR/maps.before"
	ctl_ok sa list && cp "$CTL_DIR/stdout" "$CTL_DIR/list.before" || return

	# Algorithms udpespd does not know, and keys of the wrong length.
	ctl_bad 1 'unknown AEAD "rfc9999(gcm(aes))"' 'accepted: rfc4106(gcm(aes))' -- \
		sa add "${IN4[@]}" spi 0x1101 aead 'rfc9999(gcm(aes))' "$K_GCM" 128 &&
		ctl_bad 1 'unknown encryption algorithm "cbc(serpent)"' 'accepted: cbc(aes)' -- \
			sa add "${IN4[@]}" spi 0x1101 enc 'cbc(serpent)' "$K_CBC" \
			auth-trunc 'hmac(sha256)' "$K_HMAC" 128 &&
		ctl_bad 1 'unknown integrity algorithm "hmac(whirlpool)"' 'accepted: hmac(sha256)' -- \
			sa add "${IN4[@]}" spi 0x1101 enc 'cbc(aes)' "$K_CBC" \
			auth-trunc 'hmac(whirlpool)' "$K_HMAC" 128 &&
		ctl_bad 1 'rfc4106(gcm(aes)) needs a 20, 28 or 36-byte key (128/192/256-bit key + 4-byte salt), got 16' -- \
			sa add "${IN4[@]}" spi 0x1101 aead 'rfc4106(gcm(aes))' "$K_CBC" 128 &&
		ctl_bad 1 'rfc7539esp(chacha20,poly1305) needs a 36-byte key (256-bit key + 4-byte salt), got 32' -- \
			sa add "${IN4[@]}" spi 0x1101 aead 'rfc7539esp(chacha20,poly1305)' "$K_HMAC" 128 &&
		ctl_bad 1 'cbc(aes) needs a 16, 24 or 32-byte key (128/192/256 bits), got 20' -- \
			sa add "${IN4[@]}" spi 0x1101 enc 'cbc(aes)' "$K_GCM" auth-trunc 'hmac(sha256)' "$K_HMAC" 128 &&
		ctl_bad 1 'hmac(sha256) needs a 32-byte (256-bit) key (RFC 4868), got 16' -- \
			sa add "${IN4[@]}" spi 0x1101 enc 'cbc(aes)' "$K_CBC" auth-trunc 'hmac(sha256)' "$K_CBC" 128 &&
		ctl_bad 1 'rfc4106(gcm(aes)): the ICV must be 64, 96 or 128 bits' 'got 32' -- \
			sa add "${IN4[@]}" spi 0x1101 aead 'rfc4106(gcm(aes))' "$K_GCM" 32 &&
		ctl_bad 1 'rfc4309(ccm(aes)) needs a 19, 27 or 35-byte key (128/192/256-bit key + 3-byte salt), got 20' -- \
			sa add "${IN4[@]}" spi 0x1101 aead 'rfc4309(ccm(aes))' "$K_GCM" 128 &&
		ctl_bad 1 'rfc4309(ccm(aes)): the ICV must be 64, 96 or 128 bits' 'got 112' -- \
			sa add "${IN4[@]}" spi 0x1101 aead 'rfc4309(ccm(aes))' "$K19" 112 &&
		ctl_bad 1 'rfc4543(gcm(aes)): the ICV must be 128 bits (RFC 4543), got 96' -- \
			sa add "${IN4[@]}" spi 0x1101 aead 'rfc4543(gcm(aes))' "$K_GCM" 96 &&
		ctl_bad 1 'rfc3686(ctr(aes)) needs a 20, 28 or 36-byte key (128/192/256-bit key + 4-byte nonce, RFC 3686), got 16' -- \
			sa add "${IN4[@]}" spi 0x1101 enc 'rfc3686(ctr(aes))' "$K_CBC" \
			auth-trunc 'hmac(sha256)' "$K_HMAC" 128 &&
		ctl_bad 1 'hmac(sha1) needs a 20-byte (160-bit) key (RFC 2404), got 16' -- \
			sa add "${IN4[@]}" spi 0x1101 enc 'cbc(aes)' "$K_CBC" auth-trunc 'hmac(sha1)' "$K16" 96 &&
		ctl_bad 1 'hmac(sha1): truncation must be 96 bits (HMAC-SHA-1-96, RFC 2404), got 128' -- \
			sa add "${IN4[@]}" spi 0x1101 enc 'cbc(aes)' "$K_CBC" auth-trunc 'hmac(sha1)' "$K20" 128 &&
		ctl_bad 1 'xcbc(aes) needs a 16-byte (128-bit) key (RFC 3566), got 20' -- \
			sa add "${IN4[@]}" spi 0x1101 enc 'cbc(aes)' "$K_CBC" auth-trunc 'xcbc(aes)' "$K20" 96 &&
		ctl_bad 1 'xcbc(aes): truncation must be 96 bits (AES-XCBC-MAC-96, RFC 3566), got 128' -- \
			sa add "${IN4[@]}" spi 0x1101 enc 'cbc(aes)' "$K_CBC" auth-trunc 'xcbc(aes)' "$K16" 128 || return

	# SPIs: 0 and 1-255 are reserved; a (dst, SPI) pair is unique.
	ctl_bad 1 'SPI 0 is reserved (RFC 4303 2.1): use one above 255' -- \
		sa add "${IN4[@]}" spi 0 "${GCM[@]}" &&
		ctl_bad 1 'SPI 1 is in 1-255, reserved by IANA' 'use one above 255' -- \
			sa add "${IN4[@]}" spi 1 "${GCM[@]}" &&
		ctl_bad 1 'SPI 255 is in 1-255' -- sa add "${IN4[@]}" spi 255 "${GCM[@]}" &&
		ctl_bad 1 'an SA with dst 192.0.2.1 spi 0x1001 already exists (handle 1)' -- \
			sa add dir in src 198.51.100.66 dst 192.0.2.1 spi 0x1001 mode tunnel \
			"${GCM[@]}" encap espinudp 4500 4500 0.0.0.0 || return

	# Anti-replay window and ESN.
	ctl_bad 1 'replay-window 4097 exceeds 4096' -- \
		sa add "${IN4[@]}" spi 0x1101 "${GCM[@]}" replay-window 4097 &&
		ctl_bad 1 'flag esn needs a replay-window above 0 on an inbound SA' -- \
			sa add "${IN4[@]}" spi 0x1101 "${GCM[@]}" flag esn &&
		ctl_bad 1 'flag esn needs a replay-window above 0' -- \
			sa add "${IN4[@]}" spi 0x1101 "${GCM[@]}" replay-window 0 flag esn &&
		ctl_bad 1 'replay-seq-hi needs flag esn' -- \
			sa add "${IN4[@]}" spi 0x1101 "${GCM[@]}" replay-window 32 replay-seq-hi 1 || return

	# Encapsulation: UDP ports, and espinudp only.
	ctl_bad 1 'encap: source port 0 is not a UDP port' -- \
		sa add dir in src 198.51.100.7 dst 192.0.2.1 spi 0x1101 mode tunnel "${GCM[@]}" \
		encap espinudp 0 4500 0.0.0.0 &&
		ctl_bad 1 'encap: destination port 0 is not a UDP port' -- \
			sa add dir in src 198.51.100.7 dst 192.0.2.1 spi 0x1101 mode tunnel "${GCM[@]}" \
			encap espinudp 4500 0 0.0.0.0 &&
		ctl_bad 2 'encap: expected espinudp (RFC 3948), got "espinudp-nonike"' -- \
			sa add dir in src 198.51.100.7 dst 192.0.2.1 spi 0x1101 mode tunnel "${GCM[@]}" \
			encap espinudp-nonike 4500 4500 0.0.0.0 &&
		ctl_bad 1 'UDP encapsulation is required: encap espinudp SPORT DPORT OADDR (RFC 3948)' -- \
			sa add dir in src 198.51.100.7 dst 192.0.2.1 spi 0x1101 mode tunnel "${GCM[@]}" || return

	# RFC 8221: what must not or should not be used any more.
	ctl_bad 1 'cbc(des) is refused (DES: RFC 8221 says MUST NOT)' -- \
		sa add "${IN4[@]}" spi 0x1101 enc 'cbc(des)' "$K8" auth-trunc 'hmac(sha256)' "$K_HMAC" 128 &&
		ctl_bad 1 'cbc(des3_ede) is refused (3DES: RFC 8221 says SHOULD NOT)' -- \
			sa add "${IN4[@]}" spi 0x1101 enc 'cbc(des3_ede)' "$K_GCM" \
			auth-trunc 'hmac(sha256)' "$K_HMAC" 128 &&
		ctl_bad 1 'hmac(md5) is refused (HMAC-MD5-96: RFC 8221 says MUST NOT)' -- \
			sa add "${IN4[@]}" spi 0x1101 enc 'cbc(aes)' "$K_CBC" auth-trunc 'hmac(md5)' "$K16" 96 &&
		ctl_bad 1 'md5 is refused (HMAC-MD5-96: RFC 8221 says MUST NOT)' -- \
			sa add "${IN4[@]}" spi 0x1101 enc 'cbc(aes)' "$K_CBC" auth md5 "$K16" &&
		ctl_bad 2 'proto: AH is not offloaded; RFC 8221 prefers ESP with NULL encryption' -- \
			sa add "${IN4[@]}" spi 0x1101 proto ah "${GCM[@]}" &&
		ctl_bad 1 'integrity without encryption is AH, which is not offloaded: RFC 8221' -- \
			sa add "${IN4[@]}" spi 0x1101 auth-trunc 'hmac(sha256)' "$K_HMAC" 128 || return

	# ESP without integrity, or without any algorithm.
	ctl_bad 1 'never offload unauthenticated ESP: enc "cbc(aes)" needs auth-trunc' 'RFC 8221 says MUST NOT' -- \
		sa add "${IN4[@]}" spi 0x1101 enc 'cbc(aes)' "$K_CBC" &&
		ctl_bad 1 'never offload unauthenticated ESP: enc "ecb(cipher_null)"' -- \
			sa add "${IN4[@]}" spi 0x1101 enc 'ecb(cipher_null)' '' &&
		ctl_bad 1 'no algorithm: give aead NAME KEY ICV_BITS' -- sa add "${IN4[@]}" spi 0x1101 || return

	# Selectors that do not parse, here and in del/show.
	ctl_bad 2 'sel src: prefix length in "203.0.113.0/33" is out of range (0-32 for IPv4)' -- \
		sa add "${IN4[@]}" spi 0x1101 "${GCM[@]}" sel src 203.0.113.0/33 &&
		ctl_bad 2 'sel dst: "198.18.0.0/x" is not an address prefix (ADDR[/LEN])' -- \
			sa add "${IN4[@]}" spi 0x1101 "${GCM[@]}" sel dst 198.18.0.0/x &&
		ctl_bad 2 'sel: expected src PREFIX, dst PREFIX, proto PROTO, sport or dport' -- \
			sa add "${IN4[@]}" spi 0x1101 "${GCM[@]}" sel &&
		ctl_bad 1 'transport mode keeps the outer family: sel is IPv6 but src and dst are IPv4' -- \
			sa add dir in src 198.51.100.7 dst 192.0.2.1 spi 0x1101 mode transport "${GCM[@]}" \
			encap espinudp 4500 4500 0.0.0.0 sel src 2001:db8:1::/48 &&
		ctl_bad 2 '"spi" is required with "dst"' -- sa del dst 192.0.2.1 &&
		ctl_bad 2 'handle: "x1" is not a number' -- sa show handle x1 &&
		ctl_bad 2 '"handle" and "dst"/"spi" exclude each other' -- \
			sa del handle 1 dst 192.0.2.1 spi 0x1001 || return

	# Handles that do not exist.
	ctl_bad 1 'parser entry 99 does not exist' -- sa add "${IN4[@]}" spi 0x1101 "${GCM[@]}" parser 99 &&
		ctl_bad 1 'parser entry 1 is for port 4500, not 4501' -- \
			sa add dir in src 198.51.100.7 dst 192.0.2.1 spi 0x1101 mode tunnel "${GCM[@]}" \
			encap espinudp 4500 4501 0.0.0.0 parser 1 &&
		ctl_bad 1 'parser entry 99 does not exist' -- sa del handle 1 parser 99 &&
		ctl_bad 1 'no SA with handle 42' -- sa del handle 42 &&
		ctl_bad 1 'no SA with dst 192.0.2.1 spi 0x4242' -- sa del dst 192.0.2.1 spi 0x4242 &&
		ctl_bad 1 "offload kfunc supports aead 'rfc4106(gcm(aes))' only" -- \
			sa add "${IN4[@]}" spi 0x1101 aead 'rfc7539esp(chacha20,poly1305)' "$K_CHACHA" 128 \
			offload kfunc &&
		ctl_bad 1 "offload kfunc supports aead 'rfc4106(gcm(aes))' only" -- \
			sa add "${IN4[@]}" spi 0x1101 aead 'rfc4309(ccm(aes))' "$K19" 128 offload kfunc || return

	# udpespd's own view did not move either.
	ctl_ok sa list && cmp -s "$CTL_DIR/stdout" "$CTL_DIR/list.before" ||
		fail "sa list changed: $(diff "$CTL_DIR/list.before" "$CTL_DIR/stdout" | tr '\n' ' ')" || return
	ctl_keys_hidden
}

# RFC 8221's MUST- (HMAC-SHA-1-96) and SHOULD NOT+ (AES-XCBC-MAC-96) go in,
# with a log line quoting the level; every new suite is accepted; GCM with an
# 8 or 12-byte ICV stays on the AF_XDP workers under offload auto.
test_ctl_rfc8221_suites_accepted() {
	local K16 K20 K19 K28 K36
	K16=0x$(ctl_hex 16) K19=0x$(ctl_hex 19) K20=0x$(ctl_hex 20) K28=0x$(ctl_hex 28)
	K36=0x$(ctl_hex 36)

	ctl_up || return
	ctl_add "${IN4[@]}" spi 0x1201 enc 'cbc(aes)' "$K_CBC" auth-trunc 'hmac(sha1)' "$K20" 96 &&
		ctl_add "${IN4[@]}" spi 0x1202 enc 'cbc(aes)' "$K_CBC" auth sha1 "$K20" &&
		ctl_add "${IN4[@]}" spi 0x1203 enc 'rfc3686(ctr(aes))' "$K20" \
			auth-trunc 'xcbc(aes)' "$K16" 96 &&
		ctl_add "${IN4[@]}" spi 0x1204 enc 'rfc3686(ctr(aes))' "$K36" \
			auth-trunc 'hmac(sha512)' "$K_HMAC512" 256 &&
		ctl_add "${IN4[@]}" spi 0x1205 aead 'rfc4309(ccm(aes))' "$K19" 64 &&
		ctl_add "${IN4[@]}" spi 0x1206 aead 'rfc4309(ccm(aes))' "0x$(ctl_hex 27)" 96 &&
		ctl_add "${IN4[@]}" spi 0x1207 aead 'rfc4309(ccm(aes))' "0x$(ctl_hex 35)" 128 &&
		ctl_add "${IN4[@]}" spi 0x1208 aead 'rfc4106(gcm(aes))' "$K28" 96 &&
		ctl_add "${OUT4[@]}" spi 0x2201 aead 'rfc4543(gcm(aes))' "$K36" 128 || return
	ctl_add "${IN4[@]}" spi 0x1209 aead 'rfc4106(gcm(aes))' "$K_GCM" 64 offload auto &&
		ctl_ok sa show handle "$CTL_H" && ctl_has 'offload xsk' || return
	grep -q "uses hmac(sha1): RFC 8221 says MUST- (must be implemented" "$CTL_LOG" ||
		fail "no RFC 8221 MUST- line in the log: $(tail -n 3 "$CTL_LOG")" || return
	grep -q "uses xcbc(aes): RFC 8221 says SHOULD NOT+" "$CTL_LOG" ||
		fail "no RFC 8221 SHOULD NOT+ line in the log" || return
	ctl_ok sa list && [ "$(grep -c '^handle ' "$CTL_DIR/stdout")" = 10 ] ||
		fail "want 10 SAs: $(ctl_stdout)" || return
	ctl_keys_hidden
}

test_ctl_table_full() {
	CTL_MAX_SA=4 ctl_up || return
	ctl_add "${IN4[@]}" spi 0x1001 "${GCM[@]}" && ctl_add "${IN4[@]}" spi 0x1002 "${GCM[@]}" &&
		ctl_add "${IN6[@]}" spi 0x1003 "${GCM[@]}" && ctl_add "${OUT4[@]}" spi 0x2001 "${GCM[@]}" || return
	ctl_maps_dump "$CTL_DIR/maps.before"
	ctl_bad 1 'SA table full (4 SAs); restart udpespd with a larger --max-sa' -- \
		sa add "${IN4[@]}" spi 0x1005 "${GCM[@]}" &&
		ctl_bad 1 'SA table full (4 SAs)' -- sa add "${OUT4[@]}" spi 0x2005 "${GCM[@]}" || return
	# One slot free again: a batch of two fits only half-way, so nothing goes in.
	ctl_ok sa del handle 2 || return
	ctl_maps_dump "$CTL_DIR/maps.before"
	printf '%s\n' "$(ctl_batch_line "${IN4[@]}" spi 0x1006 "${GCM[@]}")" \
		"$(ctl_batch_line "${IN4[@]}" spi 0x1007 "${GCM[@]}")" >"$CTL_DIR/two.txt"
	ctl_bad 1 'SA 2: SA table full (4 SAs); restart udpespd with a larger --max-sa' -- \
		sa add-batch "$CTL_DIR/two.txt" || return
	ctl_add "${IN4[@]}" spi 0x1006 "${GCM[@]}" && ctl_ok sa list || return
	[ "$(grep -c '^handle ' "$CTL_DIR/stdout")" = 4 ] || fail "want 4 SAs in a full table" || return
	ctl_keys_hidden
}

# One line of an add-batch file: the words, each quoted.
ctl_batch_line() {
	local w out=
	for w in "$@"; do out+="'$w' "; done
	echo "${out% }"
}

test_ctl_batch_all_or_nothing() {
	local f good1 good2 h0 p0

	ctl_up || return
	ctl_add "${IN4[@]}" spi 0x1001 "${GCM[@]}" replay-window 64 || return
	ctl_monitor batch
	ctl_monitors_sync || return
	h0=$CTL_H p0=$CTL_P # the probe's: handles go on from there
	ctl_maps_dump "$CTL_DIR/maps.before"
	ctl_ok parser list && cp "$CTL_DIR/stdout" "$CTL_DIR/parsers.before" || return
	f=$CTL_DIR/batch.txt
	# Two good SAs (the second needs a new parser entry), then a bad one.
	good1=$(ctl_batch_line "${IN4[@]}" spi 0x1201 "${GCM[@]}" replay-window 128 replay-seq 77)
	good2=$(ctl_batch_line "${IN6[@]}" spi 0x1202 "${CBC[@]}" replay-window 256)
	printf '%s\n' "$good1" "$good2" \
		"$(ctl_batch_line "${IN4[@]}" spi 0x1203 "${GCM[@]}" replay-window 5000)" >"$f"
	ctl_bad 1 'SA 3: replay-window 5000 exceeds 4096' -- sa add-batch "$f" || return
	grep -qF '(SAs 1 to 3 refused; 0 installed before them)' "$CTL_DIR/stderr" ||
		fail "add-batch does not say which SAs were refused: $(ctl_stderr)" || return
	printf '%s\n' "$good1" "$good2" "$(ctl_batch_line "${IN4[@]}" spi 0x1001 "${GCM[@]}")" >"$f"
	ctl_bad 1 'SA 3: an SA with dst 192.0.2.1 spi 0x1001 already exists (handle 1)' -- \
		sa add-batch "$f" || return
	printf '%s\n' "$good1" "$good2" "$(ctl_batch_line "${IN4[@]}" spi 0x1201 "${GCM[@]}")" >"$f"
	ctl_bad 1 'SA 3: an SA with dst 192.0.2.1 spi 0x1201 is also SA 1 of this batch' -- \
		sa add-batch "$f" || return
	printf '%s\n' "$good1" "$good2" "$(ctl_batch_line "${IN4[@]}" spi 0x1203 "${GCM[@]}" parser 42)" >"$f"
	ctl_bad 1 'SA 3: parser entry 42 does not exist' -- sa add-batch "$f" || return
	# A line that does not parse: nothing is sent at all.
	printf '%s\n' "$good1" "$good2" "$(ctl_batch_line "${IN4[@]}" spi 0x1203 "${GCM[@]}" replay-window lots)" >"$f"
	ctl_bad 2 "$f:3: replay-window: \"lots\" is not a number" -- sa add-batch "$f" || return
	ctl_ok parser list && cmp -s "$CTL_DIR/stdout" "$CTL_DIR/parsers.before" ||
		fail "parser entries changed: $(ctl_stdout)" || return
	# No SA of a refused batch was ever visible, not even as an event.
	! ctl_mon_has batch 'sa-added|parser-added' ||
		fail "refused batches raised events: $(ctl_mon_new batch | tr '\n' ';')" || return

	# And one that is fine: comments, blank lines, quoting; handles in order.
	{
		echo "# two SAs"
		echo
		echo "$good1"
		echo "   $good2   "
	} >"$f"
	ctl_ok sa add-batch "$f" && ctl_expect "handle $((h0 + 1)) parser 1
handle $((h0 + 2)) parser $((p0 + 1))" || return
	ctl_mon_wait batch "^sa-added handle $((h0 + 2)) " || return
	printf '%s\n' "$(ctl_batch_line "${OUT4[@]}" spi 0x2201 "${GCM[@]}")" \
		"$(ctl_batch_line "${OUT4[@]}" spi 0x2202 "${GCM[@]}")" >"$f"
	ctl_ok -j sa add-batch - <"$f" &&
		jq -e --argjson h "$h0" '. == [{"handle":($h + 3),"parser":0},{"handle":($h + 4),"parser":0}]' \
			"$CTL_DIR/stdout" >/dev/null ||
		fail "-j sa add-batch -: $(ctl_stdout)" || return
	ctl_keys_hidden
}

test_ctl_keys_never_appear() {
	local f

	ctl_up --debug || return
	[ "$(stat -c %a "$CTL_SOCK")" = 600 ] || fail "socket mode $(stat -c %a "$CTL_SOCK"), want 600" || return
	[ "$(stat -c %a "${CTL_SOCK%/*}")" = 750 ] ||
		fail "socket directory mode $(stat -c %a "${CTL_SOCK%/*}"), want 750" || return
	[ "$(stat -c %a "$CTL_LOG")" = 600 ] || fail "--log file mode $(stat -c %a "$CTL_LOG"), want 600" || return
	# Only root may talk to udpespd.
	nsenter --net="/run/netns/$UET_NS_GW" -- setpriv --reuid=65534 --regid=65534 --clear-groups -- \
		"$UET_CTL" -s "$CTL_SOCK" sa list >"$CTL_DIR/stdout" 2>"$CTL_DIR/stderr"
	[ $? = 1 ] && grep -q "^Error: cannot connect to udpespd at $CTL_SOCK: Permission denied" "$CTL_DIR/stderr" ||
		fail "user nobody was not refused: $(ctl_stderr)" || return

	# Every algorithm, so every key length passes through.
	ctl_add "${IN4[@]}" spi 0x1001 "${GCM[@]}" replay-window 64 &&
		ctl_add "${IN4[@]}" spi 0x1002 aead 'rfc4106(gcm(aes))' "$K_GCM256" 128 &&
		ctl_add "${IN4[@]}" spi 0x1003 aead 'rfc7539esp(chacha20,poly1305)' "$K_CHACHA" 128 &&
		ctl_add "${IN4[@]}" spi 0x1004 aead 'rfc4543(gcm(aes))' "$K_GCM" 128 &&
		ctl_add "${IN6[@]}" spi 0x1005 "${CBC[@]}" &&
		ctl_add "${IN6[@]}" spi 0x1006 enc 'cbc(aes)' "$K_CBC" auth-trunc 'hmac(sha512)' "$K_HMAC512" 256 &&
		ctl_add "${OUT4[@]}" spi 0x2001 enc 'ecb(cipher_null)' '' auth-trunc 'hmac(sha256)' "$K_HMAC" 128 &&
		ctl_ok sa list && ctl_ok -j sa list && ctl_ok sa show handle 6 && ctl_ok -j sa show handle 1 &&
		ctl_ok stats && ctl_ok parser list || return

	# Mistakes that carry a key: refused, and the key is not repeated.
	ctl_refused 2 'aead: expected NAME' 'got what looks like a KEY' -- \
		sa add "${IN4[@]}" spi 0x1101 aead "$K_GCM" "$K_GCM" 128 &&
		ctl_refused 2 'aead: KEY has an odd number of hex digits (41)' -- \
			sa add "${IN4[@]}" spi 0x1101 aead 'rfc4106(gcm(aes))' "${K_GCM}0" 128 &&
		ctl_refused 2 'aead: KEY must be 0x followed by hex digits' -- \
			sa add "${IN4[@]}" spi 0x1101 aead 'rfc4106(gcm(aes))' "${K_GCM#0x}" 128 &&
		ctl_refused 2 'spi: a 40-character word (hidden: it may be a key) is not a number' -- \
			sa add "${IN4[@]}" spi "${K_GCM#0x}" "${GCM[@]}" &&
		ctl_refused 2 'unknown keyword a 40-character word (hidden: it may be a key)' -- \
			sa add "${IN4[@]}" spi 0x1101 "${GCM[@]}" "${K_GCM#0x}" &&
		ctl_refused 1 'needs a 20, 28 or 36-byte key' 'got 64' -- \
			sa add "${IN4[@]}" spi 0x1101 aead 'rfc4106(gcm(aes))' "$K_HMAC512" 128 &&
		ctl_refused 1 'already exists (handle 1)' -- sa add "${IN4[@]}" spi 0x1001 "${GCM[@]}" || return
	f=$CTL_DIR/keys.txt
	printf '%s\n' "$(ctl_batch_line "${IN4[@]}" spi 0x1201 "${GCM[@]}")" \
		"$(ctl_batch_line "${IN4[@]}" spi 0x1202 aead "$K_GCM256" 128)" >"$f"
	ctl_refused 2 "$f:2: aead: expected NAME" "got what looks like a KEY" -- sa add-batch "$f" || return
	ctl_keys_hidden || return
	# Keys leave with the SAs; udpespd's exit path logs nothing of them either.
	ctl_ok sa flush && ctl_daemon_stop TERM || return
	[ "$CTL_DAEMON_RC" = 0 ] || fail "udpespd exited with $CTL_DAEMON_RC on SIGTERM" || return
	ctl_keys_hidden
}

test_ctl_monitor_and_concurrent_clients() {
	local p n i k rc spi
	local -a loops

	CTL_MAX_SA=256 ctl_up || return
	ctl_monitor text
	ctl_monitor json -j
	ctl_monitors_sync || return

	ctl_add "${IN4[@]}" spi 0x1001 "${GCM[@]}" || return
	p=$CTL_P
	ctl_mon_wait text "^parser-added handle $p port 4500\$" &&
		ctl_mon_wait text "^sa-added handle $CTL_H dst 192\.0\.2\.1 spi 0x00001001\$" || return
	ctl_ok sa del handle "$CTL_H" parser "$p" || return
	ctl_mon_wait text "^sa-deleted handle $CTL_H dst 192\.0\.2\.1 spi 0x00001001\$" &&
		ctl_mon_wait text "^parser-removed handle $p port 4500\$" || return
	# The JSON monitor saw the same events, one object per line.
	ctl_mon_wait json '"event":"parser-removed"' || return
	[ "$(ctl_mon_new json | jq -r .event | tr '\n' ' ')" = "$(ctl_mon_new text | awk '{print $1}' | tr '\n' ' ')" ] ||
		fail "JSON and text monitors differ: $(ctl_mon_new json | tr '\n' ' ')" || return
	ctl_mon_new json | jq -e -s 'map(has("time") and .time > 0) | all' >/dev/null ||
		fail "JSON events without a time" || return

	# Two clients adding at once, then deleting at once, with both monitors on.
	n=40
	for i in 1 2; do
		(
			for ((k = 0; k < n; k++)); do
				nsenter --net="/run/netns/$UET_NS_GW" -- "$UET_CTL" -s "$CTL_SOCK" sa add \
					"${IN4[@]}" spi $((i * 0x10000 + k + 0x100)) "${GCM[@]}" >>"$CTL_DIR/loop-$i.out" 2>&1
				echo $? >>"$CTL_DIR/loop-$i.rc"
			done
		) &
		loops+=($!)
	done
	for i in "${loops[@]}"; do wait "$i"; done
	loops=()
	rc=$(cat "$CTL_DIR"/loop-*.rc | sort -u | tr '\n' ' ')
	[ "$rc" = "0 " ] || fail "concurrent adds exited with: $rc; $(grep -h Error "$CTL_DIR"/loop-*.out | head -n 2)" || return
	[ "$(cat "$CTL_DIR"/loop-*.out | awk '{print $2}' | sort -u | wc -l)" = $((2 * n)) ] ||
		fail "concurrent adds did not get $((2 * n)) distinct handles" || return
	[ "$(awk '{print $4}' "$CTL_DIR"/loop-*.out | sort -u | wc -l)" = 1 ] ||
		fail "concurrent adds got several parser entries: $(awk '{print $4}' "$CTL_DIR"/loop-*.out | sort -u | tr '\n' ' ')" || return
	ctl_ok sa list && [ "$(grep -c '^handle ' "$CTL_DIR/stdout")" = $((2 * n)) ] ||
		fail "sa list shows $(grep -c '^handle ' "$CTL_DIR/stdout") SAs, want $((2 * n))" || return
	[ "$(ctl_map_len udpesp_sa)" = $((2 * n)) ] || fail "udpesp_sa has $(ctl_map_len udpesp_sa) entries" || return
	uet_wait 10 ctl_mon_at_least text '^sa-added ' $((2 * n)) ||
		fail "text monitor printed $(ctl_mon_count text '^sa-added ') sa-added events, want $((2 * n))" || return
	for i in 1 2; do
		(
			for ((k = 0; k < n; k++)); do
				spi=$((i * 0x10000 + k + 0x100))
				nsenter --net="/run/netns/$UET_NS_GW" -- "$UET_CTL" -s "$CTL_SOCK" sa del \
					dst 192.0.2.1 spi "$spi" >>"$CTL_DIR/loop-del-$i.out" 2>&1
				echo $? >>"$CTL_DIR/loop-del-$i.rc"
			done
		) &
		loops+=($!)
	done
	for i in "${loops[@]}"; do wait "$i"; done
	rc=$(cat "$CTL_DIR"/loop-del-*.rc | sort -u | tr '\n' ' ')
	[ "$rc" = "0 " ] || fail "concurrent deletes exited with: $rc" || return
	ctl_ok sa list && ctl_expect "" || return
	uet_wait 10 ctl_mon_at_least json '"event":"sa-deleted"' $((2 * n + 1)) ||
		fail "JSON monitor printed $(ctl_mon_count json '"event":"sa-deleted"') sa-deleted events, want $((2 * n + 1))" || return
	# Ctrl-C ends a monitor with status 0.
	kill -INT "${CTL_MON[text]}" && wait "${CTL_MON[text]}" ||
		fail "udpespctl monitor exited with $? on SIGINT" || return
	ctl_keys_hidden
}

test_ctl_broken_clients() {
	local raw pid1 pid2 version

	ctl_up || return
	raw=$CTL_DIR/raw
	version=$(sed -n 's/^#define UDPESP_CTL_VERSION \([0-9]*\)$/\1/p' "$UET_ROOT/include/udpesp/ctl.h")
	ctl_add "${IN4[@]}" spi 0x1001 "${GCM[@]}" || return
	# Clients stuck half-way through a header and through a payload must
	# not hold up anyone else, nor take udpespd down when they die.
	"$PYTHON" "$UET_RAW" "$CTL_SOCK" partial-hdr >"$raw.1" 2>&1 &
	pid1=$!
	"$PYTHON" "$UET_RAW" "$CTL_SOCK" partial-body >"$raw.2" 2>&1 &
	pid2=$!
	UET_PIDS+=("$pid1" "$pid2")
	uet_wait 5 grep -q sent "$raw.1" && uet_wait 5 grep -q sent "$raw.2" ||
		fail "partial clients did not start: $(cat "$raw.1" "$raw.2")" || return
	ctl_ok sa list && ctl_has '^handle 1 ' || return
	ctl_add "${IN4[@]}" spi 0x1002 "${GCM[@]}" || return
	kill -KILL "$pid1" "$pid2"
	wait "$pid1" "$pid2" 2>/dev/null
	ctl_ok sa list && [ "$(grep -c '^handle ' "$CTL_DIR/stdout")" = 2 ] ||
		fail "after killing the partial clients: $(ctl_stdout)" || return

	# Malformed messages: an error reply each, then the daemon hangs up on
	# the stream it can no longer follow; version and content errors keep it.
	ctl_raw oversize "reply ERROR EMSGSIZE bad message: Message too long" closed &&
		ctl_raw garbage "reply ERROR EBADMSG bad message: Bad message" closed &&
		ctl_raw bad-len "reply ERROR EBADMSG bad message: Bad message" closed &&
		ctl_raw wrap-len "reply ERROR EMSGSIZE bad message: Message too long" closed &&
		ctl_raw "version 99" "reply ERROR EPROTO protocol version 99 not supported (udpespd speaks $version)" open &&
		ctl_raw "encap 2" "reply ERROR EINVAL encapsulation type 2 is not offloaded: only espinudp (RFC 3948)" open ||
		return
	# The same raw SA with encap espinudp goes in: it was refused for its encap only.
	ctl_raw "encap 1" "reply SA_ADD 0 " open &&
		ctl_ok sa show dst 192.0.2.1 spi 0x7001 && ctl_has 'mode transport' || return
	kill -0 "$CTL_PID" || fail "udpespd died" || return
	grep -q 'bad message' "$CTL_LOG" || fail "udpespd did not log the bad messages" || return
	ctl_keys_hidden
}

# Seconds of CPU (user + system, in clock ticks) udpespd has used.
ctl_cpu_ticks() { awk '{print $14 + $15}' "/proc/$CTL_PID/stat"; }

# A measurement for the test's log and, with CTL_MEASURE=FILE, for FILE.
ctl_measure() {
	echo "$*" >>"$UET_LOG"
	[ -z "${CTL_MEASURE:-}" ] || echo "$*" >>"$CTL_MEASURE"
}

ctl_rss_kb() { awk '/^VmRSS:/ {print $2}' "/proc/$CTL_PID/status"; }

# Clients that queue STATS requests and never read the replies must not
# hold up anyone else: udpespd sent replies on its only control thread,
# blocking up to 5 s each (a HELLO waited 4.8 s behind one such client).
test_ctl_slow_readers_do_not_block() {
	local raw i ms out worst=0
	local -a pids

	ctl_up || return
	raw=$CTL_DIR/slow
	for ((i = 1; i <= 8; i++)); do
		ctl_add "${IN4[@]}" spi $((0x2000 + i)) "${GCM[@]}" || return
	done
	for ((i = 1; i <= 6; i++)); do
		"$PYTHON" "$UET_RAW" "$CTL_SOCK" slow-reader 3000 >"$raw.$i" 2>&1 &
		pids+=($!)
		UET_PIDS+=($!)
	done
	for ((i = 1; i <= 6; i++)); do
		uet_wait 20 grep -q '^sent' "$raw.$i" || fail "slow reader $i: $(cat "$raw.$i")" || return
	done
	# Their replies fill the sockets; a HELLO is still answered at once
	# (1 s: a bound for a loaded CI machine, not a benchmark).
	for ((i = 1; i <= 5; i++)); do
		out=$(timeout 30 "$PYTHON" "$UET_RAW" "$CTL_SOCK" hello-ms 2>&1)
		ms=${out#hello }
		[[ "$ms" =~ ^[0-9]+$ ]] || fail "hello-ms: $out" || return
		[ "$ms" -gt "$worst" ] && worst=$ms
	done
	ctl_measure "HELLO behind 6 slow readers: worst of 5 round trips $worst ms ($(cat "$raw".* | tr '\n' ' '))"
	[ "$worst" -lt 1000 ] || fail "a HELLO took $worst ms behind clients that do not read" || return
	ctl_ok sa list && [ "$(grep -c '^handle ' "$CTL_DIR/stdout")" = 8 ] ||
		fail "sa list behind slow readers: $(ctl_stdout | head -n 3)" || return
	kill "${pids[@]}" 2>/dev/null
	wait "${pids[@]}" 2>/dev/null
	kill -0 "$CTL_PID" || fail "udpespd died" || return
	ctl_ok stats || return
	ctl_keys_hidden
}

# At most 128 clients, the next ones told why; and out of file descriptors
# udpespd refuses clients instead of spinning on accept4 (EMFILE left the
# connection queued and the loop at 100% CPU).
test_ctl_client_limit_and_no_fds() {
	local raw pid n t0 t1 used soft

	ctl_up || return
	raw=$CTL_DIR/hold
	"$PYTHON" "$UET_RAW" "$CTL_SOCK" hold 130 >"$raw.1" 2>&1 &
	pid=$!
	UET_PIDS+=("$pid")
	uet_wait 30 grep -q '^held' "$raw.1" || fail "hold 130: $(cat "$raw.1")" || return
	grep -q '^ok 128 refused 2$' "$raw.1" &&
		grep -q '^refusal EBUSY udpespd serves at most 128 clients at once: try again later$' "$raw.1" ||
		fail "130 clients: $(cat "$raw.1" | tr '\n' ' ')" || return
	# udpespctl reads the reason, or finds the connection closed if its
	# HELLO went out after udpespd hung up.
	ctl parser list
	[ "$CTL_RC" = 1 ] && grep -Eq '^Error: (udpespd serves at most 128 clients at once|udpespd closed the connection)' \
		"$CTL_DIR/stderr" || fail "the 129th udpespctl: exit $CTL_RC: $(ctl_stderr)" || return
	kill "$pid" && wait "$pid" 2>/dev/null
	uet_wait 10 ctl parser list || fail "no client served after the 128 left: $(ctl_stderr)" || return

	# A few fds to spare, then 40 clients at once.
	n=$(ls "/proc/$CTL_PID/fd" | wc -l)
	soft=$(prlimit --pid "$CTL_PID" --nofile --output SOFT --noheadings) || fail "prlimit" || return
	prlimit --pid "$CTL_PID" --nofile=$((n + 3)): || fail "prlimit" || return
	"$PYTHON" "$UET_RAW" "$CTL_SOCK" hold 40 >"$raw.2" 2>&1 &
	pid=$!
	UET_PIDS+=("$pid")
	sleep 1
	t0=$(ctl_cpu_ticks)
	sleep 3
	t1=$(ctl_cpu_ticks)
	used=$((t1 - t0))
	ctl_measure "udpespd CPU while out of fds: $used ticks in 3 s"
	# Idle, it needs none; spinning, it takes what a busy machine leaves
	# it (27 of 200 ticks on a loaded 2-core CI machine, 300 on an idle one).
	[ "$used" -lt 10 ] || fail "udpespd used $used clock ticks in 3 s out of fds (spinning)" || return
	uet_wait 30 grep -q '^held' "$raw.2" || fail "hold 40: $(cat "$raw.2")" || return
	grep -q '^refusal EMFILE udpespd is out of file descriptors: try again later$' "$raw.2" ||
		fail "out of fds: $(cat "$raw.2" | tr '\n' ' ')" || return
	grep -q 'out of file descriptors' "$CTL_LOG" || fail "udpespd did not log it" || return
	kill "$pid" && wait "$pid" 2>/dev/null
	prlimit --pid "$CTL_PID" --nofile="$soft": || fail "prlimit back" || return
	uet_wait 10 ctl parser list || fail "no client served once fds were back: $(ctl_stderr)" || return
	kill -0 "$CTL_PID" || fail "udpespd died"
}

# 10,000-SA batches added and flushed again and again: the allocator kept
# the freed memory (45 MB grew to 225 MB). And a monitor that never reads
# its events is disconnected once its queue is full, logged once.
test_ctl_churn_returns_memory() {
	local f i rss rss0 raw head tail out

	CTL_MAX_SA=10240 ctl_up || return
	raw=$CTL_DIR/mon-noread
	"$PYTHON" "$UET_RAW" "$CTL_SOCK" monitor-noread >"$raw" 2>&1 &
	UET_PIDS+=($!)
	uet_wait 10 grep -q '^sent' "$raw" || fail "monitor-noread: $(cat "$raw")" || return
	# Pairs, as IKE daemons install them: 5,000 inbound, 5,000 outbound.
	f=$CTL_DIR/batch.txt
	head=$(ctl_batch_line "${IN4[@]}") tail=$(ctl_batch_line "${GCM[@]}")
	out=$(ctl_batch_line "${OUT4[@]}")
	for ((i = 0; i < 5000; i++)); do
		echo "$head 'spi' '$((0x10000 + i))' $tail"
		echo "$out 'spi' '$((0x20000 + i))' $tail"
	done >"$f"
	rss0=$(ctl_rss_kb)
	ctl_measure "churn: udpespd RSS $rss0 kB before"
	for ((i = 1; i <= 5; i++)); do
		ctl sa add-batch "$f" >/dev/null
		[ "$CTL_RC" = 0 ] || fail "add-batch $i: $(ctl_stderr | head -c 300)" || return
		ctl_ok sa flush || return
		sleep 2.5 # udpespd looks at its memory once a second
		rss=$(ctl_rss_kb)
		ctl_measure "churn cycle $i: udpespd RSS $rss kB after the flush"
		# Back near where it started: 10,000 SAs took some 30 MB.
		[ $((rss - rss0)) -lt 12288 ] ||
			fail "cycle $i: RSS $rss kB after the flush, $rss0 kB before the first batch" ||
			return
	done
	[ "$(grep -c 'does not read' "$CTL_LOG")" = 1 ] ||
		fail "the monitor that does not read: $(grep -c 'does not read' "$CTL_LOG") log lines, want 1" || return
	kill -0 "$CTL_PID" || fail "udpespd died" || return
	ctl_keys_hidden
}

# ctl_raw "MODE [ARG]" REPLY STATE: one ctlraw.py exchange; then udpespd
# must still serve a normal client.
ctl_raw() {
	local out
	# shellcheck disable=SC2086 # MODE and its argument are two words
	out=$(timeout 20 "$PYTHON" "$UET_RAW" "$CTL_SOCK" $1 2>&1)
	echo "ctlraw $1: $out" >>"$UET_LOG"
	[ "$out" = "$2
$3" ] || fail "ctlraw $1: got \"$out\", want \"$2\" then \"$3\"" || return
	kill -0 "$CTL_PID" 2>/dev/null || fail "udpespd died after ctlraw $1" || return
	ctl_ok parser list
}

test_ctl_restart_adopts_maps() {
	local h

	ctl_up || return
	ctl_ok link attach dev "$UET_DEV_GW" || return
	ctl_add "${IN4[@]}" spi 0x1001 "${GCM[@]}" && ctl_add "${IN4[@]}" spi 0x1002 "${GCM[@]}" &&
		ctl_add "${IN6[@]}" spi 0x1003 "${GCM[@]}" && ctl_add "${OUT4[@]}" spi 0x2001 "${GCM[@]}" &&
		ctl_add dir in src 198.51.100.7 dst 192.0.2.1 spi 0x1004 mode tunnel "${GCM[@]}" \
			encap espinudp 4500 4501 0.0.0.0 && ctl_expect "handle 5 parser 3" || return
	bpftool map dump pinned "$CTL_PIN/udpesp_parser" >"$CTL_DIR/parser.before"

	ctl_daemon_stop KILL || return
	[ -S "$CTL_SOCK" ] || fail "socket vanished with SIGKILL?" || return
	# Its keyring gone (as if removed by hand): nothing can be adopted,
	# the path of a udpespd that kept no state (restart.sh adopts).
	q "$PYTHON" "$UET_ROOT/tests/e2e/keyring.py" purge "$CTL_DIR/run/udpespd.state" ||
		fail "cannot remove the kept keyring" || return
	ctl_refused 1 "udpespd is not running (nothing listens at $CTL_SOCK)" -- sa list || return
	# The data path outlives the daemon: program attached, maps pinned.
	[ "$(uet_xdp_json | jq -r .prog.name)" = udpesp_xdp ] || fail "XDP gone with the daemon" || return
	[ "$(ctl_map_len udpesp_sa)" = 4 ] || fail "udpesp_sa lost its entries with the daemon" || return

	ctl_daemon_start || return
	grep -q 'removed 4 SAs left by an earlier udpespd: their keys are gone, add them again' "$CTL_LOG" ||
		fail "restarted udpespd did not report the 4 stale SAs" || return
	# Parser entries come back under their handles; SAs (keys lost) do not.
	ctl_ok parser list && [ "$(ctl_stdout | sort)" = "parser 1 dev any port 4500 family inet encap espinudp users 0
parser 2 dev any port 4500 family inet6 encap espinudp users 0
parser 3 dev any port 4501 family inet encap espinudp users 0" ] ||
		fail "parser entries after restart: $(ctl_stdout)" || return
	bpftool map dump pinned "$CTL_PIN/udpesp_parser" >"$CTL_DIR/parser.after"
	cmp -s "$CTL_DIR/parser.before" "$CTL_DIR/parser.after" ||
		fail "udpesp_parser changed across the restart" || return
	ctl_ok sa list && ctl_expect "" || return
	[ "$(ctl_map_len udpesp_sa)" = 0 ] || fail "stale SAs left in udpesp_sa" || return
	# The program attached by the dead daemon is listed, but no longer owned.
	ctl_ok link list && ctl_has "^dev $UET_DEV_GW ifindex [0-9]+ mode native prog-id [0-9]+\$" || return

	# New adds reuse the adopted entries; new entries get new handles.
	ctl_add "${IN4[@]}" spi 0x1001 "${GCM[@]}" && [ "$CTL_P" = 1 ] ||
		fail "re-added SA got parser $CTL_P, want the adopted 1" || return
	h=$CTL_H
	ctl_add dir in src 198.51.100.7 dst 192.0.2.1 spi 0x1005 mode tunnel "${GCM[@]}" \
		encap espinudp 4500 4502 0.0.0.0 && [ "$CTL_P" = 4 ] ||
		fail "new port got parser $CTL_P, want 4" || return
	ctl_ok sa show handle "$h" && ctl_has "^handle $h parser 1 dir in " || return
	[ "$(bpftool -j map dump pinned "$CTL_PIN/udpesp_sa" | jq -c '[.[].formatted.value.parser] | sort')" = "[1,4]" ] ||
		fail "udpesp_sa after restart does not name parsers 1 and 4" || return
	ctl_ok sa del handle "$h" parser 1 && ctl_expect "deleted handle $h
parser 1 removed" || return
	ctl_keys_hidden
}

test_ctl_sigterm_detaches_owned() {
	q ip -n "$UET_NS_GW" link add uet-t0 type veth peer name uet-t1 &&
		q ip -n "$UET_NS_GW" link set uet-t0 up && q ip -n "$UET_NS_GW" link set uet-t1 up ||
		{ fail "cannot add veth uet-t0"; return; }
	# Without --flush-on-exit SIGTERM keeps SAs and links for the next
	# udpespd (restart.sh); with it, what it attached goes.
	ctl_up --flush-on-exit || return
	ctl_ok link attach dev "$UET_DEV_GW" || return
	# Attached by iproute2 (its own maps under tc/globals): not udpespd's to remove.
	q nsx "$UET_NS_GW" ip link set dev uet-t0 xdpgeneric obj "$UET_OBJ" sec xdp ||
		{ fail "ip link set dev uet-t0 xdpgeneric obj failed"; return; }
	ctl_ok link list && ctl_has "^dev $UET_DEV_GW .* owned\$" &&
		ctl_has '^dev uet-t0 ifindex [0-9]+ mode generic prog-id [0-9]+$' || return
	ctl_add "${IN4[@]}" spi 0x1001 "${GCM[@]}" || return

	ctl_daemon_stop TERM || return
	[ "$CTL_DAEMON_RC" = 0 ] || fail "udpespd exited with $CTL_DAEMON_RC on SIGTERM" || return
	[ "$(uet_xdp_json)" = null ] || fail "udpesp_xdp still on $UET_DEV_GW after SIGTERM: $(uet_xdp_json)" || return
	[ "$(ip -n "$UET_NS_GW" -j -d link show dev uet-t0 | jq -r '.[0].xdp.prog.name')" = udpesp_xdp ] ||
		fail "SIGTERM detached the program iproute2 attached to uet-t0" || return
	[ ! -e "$CTL_SOCK" ] || fail "socket left behind after SIGTERM" || return
	grep -q 'signal 15: exiting' "$CTL_LOG" || fail "no exit message in the log" || return
	! grep -q 'warning.*detach' "$CTL_LOG" || fail "detach warnings on exit: $(grep warning "$CTL_LOG")" || return
	# The maps stay pinned for the next udpespd.
	[ -e "$CTL_PIN/udpesp_parser" ] || fail "maps unpinned on exit" || return
	ctl_keys_hidden
}

test_ctl_link_gone() {
	local ifindex h1 p1 p2

	q ip -n "$UET_NS_GW" link add uet-g0 type veth peer name uet-g1 &&
		q ip -n "$UET_NS_GW" link set uet-g0 up && q ip -n "$UET_NS_GW" link set uet-g1 up ||
		{ fail "cannot add veth uet-g0"; return; }
	ifindex=$(ip -n "$UET_NS_GW" -j link show dev uet-g0 | jq '.[0].ifindex')
	ctl_up || return
	ctl_monitor gone
	ctl_monitors_sync || return
	ctl_ok link attach dev uet-g0 || return
	ctl_add "${IN4[@]}" spi 0x1001 "${GCM[@]}" dev uet-g0 || return
	h1=$CTL_H p1=$CTL_P
	ctl_add "${IN4[@]}" spi 0x1002 "${GCM[@]}" || return
	p2=$CTL_P
	[ "$p1" != "$p2" ] || fail "SAs with and without dev share parser $p1" || return
	ctl_ok parser list &&
		ctl_has "^parser $p1 dev uet-g0 port 4500 family inet encap espinudp users 1\$" || return
	# offload auto: whichever backend it resolved to on this kernel.
	ctl_ok sa show handle "$h1" && ctl_has '^	dev uet-g0 offload (xsk|kfunc)$' || return

	q ip -n "$UET_NS_GW" link del uet-g0 || { fail "ip link del uet-g0"; return; }
	ctl_mon_wait gone "^link-gone ifindex $ifindex\$" &&
		ctl_mon_wait gone "^sa-deleted handle $h1 dst 192\.0\.2\.1 spi 0x00001001\$" &&
		ctl_mon_wait gone "^parser-removed handle $p1( |\$)" || return
	ctl_ok sa list && [ "$(grep '^handle ' "$CTL_DIR/stdout" | awk '{print $2}')" = "$CTL_H" ] ||
		fail "after the link went: $(ctl_stdout)" || return
	ctl_ok parser list && ctl_expect "parser $p2 dev any port 4500 family inet encap espinudp users 1" || return
	[ "$(ctl_map_len udpesp_sa) $(ctl_map_len udpesp_parser)" = "1 1" ] ||
		fail "maps after the link went: udpesp_sa $(ctl_map_len udpesp_sa), udpesp_parser $(ctl_map_len udpesp_parser)" || return
	grep -q "interface $ifindex disappeared" "$CTL_LOG" || fail "no log line for the vanished link" || return
	ctl_ok link list && ! ctl_has uet-g0 || fail "link list still shows uet-g0" || return
	# udpespd forgot that it owned the program there: nothing to detach on exit.
	ctl_daemon_stop TERM && [ "$CTL_DAEMON_RC" = 0 ] || fail "udpespd exit status $CTL_DAEMON_RC" || return
	! grep -q 'detaching from ifindex' "$CTL_LOG" || fail "udpespd tried to detach from the vanished link" || return
	ctl_keys_hidden
}

test_ctl_lifetimes() {
	local soft hard both t_add ev

	ctl_up || return
	ctl_monitor life
	ctl_monitor lifej -j
	ctl_monitors_sync || return
	ctl_add "${IN4[@]}" spi 0x1001 "${GCM[@]}" limit time-soft 1 && soft=$CTL_H &&
		ctl_add "${IN4[@]}" spi 0x1002 "${GCM[@]}" limit time-hard 2 && hard=$CTL_H &&
		ctl_add "${OUT4[@]}" spi 0x2001 "${GCM[@]}" limit time-soft 1 limit time-hard 3 && both=$CTL_H || return
	ctl_ok sa show handle "$hard" && ctl_has '^	limit time-hard 2 state valid ' || return
	ctl_ok -j sa show handle "$hard" && t_add=$(jq .add_time "$CTL_DIR/stdout") || return

	# Generous deadlines: the daemon checks once a second.
	ctl_mon_wait life "^sa-soft-expired handle $soft dst 192\.0\.2\.1 spi 0x00001001 limit time-soft\$" 15 &&
		ctl_mon_wait life "^sa-hard-expired handle $hard dst 192\.0\.2\.1 spi 0x00001002 limit time-hard\$" 15 &&
		ctl_mon_wait life "^sa-deleted handle $hard " 15 &&
		ctl_mon_wait life "^sa-soft-expired handle $both .* limit time-soft\$" 15 &&
		ctl_mon_wait life "^sa-hard-expired handle $both .* limit time-hard\$" 15 || return
	# Not early: the hard expiry came at least 2 s after the add (same clock, whole seconds).
	ev=$(ctl_mon_new lifej | jq -c --argjson h "$hard" 'select(.event == "sa-hard-expired" and .handle == $h)')
	[ -n "$ev" ] && [ $(($(jq .time <<<"$ev") - t_add)) -ge 2 ] ||
		fail "hard expiry at $(jq .time <<<"$ev"), added at $t_add: less than 2 s" || return

	ctl_refused 1 "no SA with handle $hard" -- sa show handle "$hard" &&
		ctl_refused 1 "no SA with handle $both" -- sa show handle "$both" || return
	ctl_ok sa show handle "$soft" && ctl_has '^	limit time-soft 1 state soft-expired ' || return
	[ "$(bpftool -j map dump pinned "$CTL_PIN/udpesp_sa" | jq -c '[.[].formatted.value.handle]')" = "[$soft]" ] ||
		fail "udpesp_sa still holds expired SAs" || return
	# A soft expiry is told once.
	sleep 1.2
	[ "$(ctl_mon_new life | grep -c "^sa-soft-expired handle $soft ")" = 1 ] ||
		fail "soft expiry of $soft reported $(ctl_mon_new life | grep -c "^sa-soft-expired handle $soft ") times" || return
	ctl_keys_hidden
}

# udpespd with exactly the capabilities docs/udpespd.service leaves it
# (and no_new_privs, as the unit sets): attach, SAs, clean exit.
test_ctl_unit_capabilities() {
	local unit=$UET_ROOT/docs/udpespd.service caps c bset=-all want rc

	caps=$(sed -n 's/^CapabilityBoundingSet=//p' "$unit")
	[ -n "$caps" ] || { fail "no CapabilityBoundingSet in $unit"; return; }
	for c in $caps; do
		c=${c#CAP_}
		bset+=",+${c,,}"
	done
	grep -q '^NoNewPrivileges=yes$' "$unit" || { fail "$unit does not set NoNewPrivileges"; return; }
	ctl_prepare || return
	CTL_WRAP=(setpriv --bounding-set "$bset" --no-new-privs --)
	# --flush-on-exit: the clean exit detaches and wipes the kept keys.
	ctl_daemon_start --flush-on-exit
	rc=$?
	CTL_WRAP=()
	[ $rc = 0 ] || return
	want=$(setpriv --bounding-set "$bset" -- sed -n 's/^CapEff:\t//p' /proc/self/status)
	[ "$(sed -n 's/^CapEff:\t//p' "/proc/$CTL_PID/status")" = "$want" ] ||
		fail "udpespd runs with CapEff $(sed -n 's/^CapEff:\t//p' "/proc/$CTL_PID/status"), want $want" || return
	ctl_ok link attach dev "$UET_DEV_GW" &&
		ctl_add "${IN4[@]}" spi 0x1001 "${GCM[@]}" replay-window 64 &&
		ctl_add "${OUT4[@]}" spi 0x2001 "${GCM[@]}" &&
		ctl_ok sa list && ctl_ok -j stats && ctl_ok sa del handle 1 parser 1 || return
	! grep -Eq 'error|Operation not permitted' "$CTL_LOG" ||
		fail "udpespd logged errors: $(grep -E 'error|not permitted' "$CTL_LOG" | head -n 2)" || return
	# Those capabilities are enough to keep SAs in the kernel keyring.
	! grep -q 'will not be kept' "$CTL_LOG" ||
		fail "SAs not kept under the unit's capabilities: $(grep 'will not be kept' "$CTL_LOG")" || return
	ctl_daemon_stop TERM && [ "$CTL_DAEMON_RC" = 0 ] ||
		fail "udpespd exit status $CTL_DAEMON_RC on SIGTERM" || return
	[ "$(uet_xdp_json)" = null ] || fail "not detached on SIGTERM: $(uet_xdp_json)" || return
	ctl_keys_hidden
}

# `sa add` with each key from a file (@FILE) or standard input (-): the
# SAs equal the one added with the key in argv, and they decrypt traffic
# (decap.sh's daemon, sender and listener), so the key read is the key.
test_ctl_sa_keys_from_file_and_stdin() {
	local kgcm kaes ksha f p1 p2 a b
	local -a sa tun

	dec_up || return
	kgcm=$(hexbytes 20 0x31) kaes=$(hexbytes 16 0x51) ksha=$(hexbytes 32 0x71)
	f=$UET_TMP/gcm.key
	(umask 077 && printf ' 0x%s\n' "$kgcm" >"$f") || { fail "cannot write $f"; return; }
	sa=(dir in src "$UET_PEER4" dst "$UET_GW4" mode tunnel encap espinudp 4500 4500 0.0.0.0
		sel src "$INNER_PEER_NET" dst 198.51.100.0/24)
	tun=(--to "$UET_GW4" --mode tunnel --inner-src "$INNER_PEER4" --inner-dst "$INNER_GW4"
		--dport 5000)
	dctl sa add "${sa[@]}" spi 0x1001 aead 'rfc4106(gcm(aes))' "0x$kgcm" 128 &&
		dctl sa add "${sa[@]}" spi 0x1002 aead 'rfc4106(gcm(aes))' "@$f" 128 ||
		{ fail "sa add with the key in argv, then from @FILE: $(tail -2 "$UET_LOG")"; return; }
	printf '0x%s\n0x%s\n' "$kaes" "$ksha" |
		q nsx "$UET_NS_GW" "$UET_CTL" -s "$DEC_SOCK" sa add "${sa[@]}" spi 0x1003 \
			enc 'cbc(aes)' - auth-trunc 'hmac(sha256)' - 128 ||
		{ fail "sa add with both keys from stdin: $(tail -2 "$UET_LOG")"; return; }
	# Equal but for what tells SAs apart.
	a=$(dctl_out -j sa show handle 1 | jq -cS 'del(.handle, .spi, .slot, .add_time, .use_time)')
	b=$(dctl_out -j sa show handle 2 | jq -cS 'del(.handle, .spi, .slot, .add_time, .use_time)')
	[ -n "$a" ] && [ "$a" = "$b" ] || fail "SA from @FILE differs: $b, want $a" || return
	p1=$(hexof "key from a file") p2=$(hexof "keys from stdin")
	esp "${tun[@]}" --suite gcm --key "$kgcm" --spi 0x1002 --payload "$p1" --seq 1 &&
		dec_expect_rx 5000 v4 "$p1" || return
	esp "${tun[@]}" --suite cbc-sha256 --key "$kaes" --auth-key "$ksha" --spi 0x1003 \
		--payload "$p2" --seq 1 && dec_expect_rx 5000 v4 "$p2" || return
	dstat_is DecapOk 2 || return
	# Refusals name the source, never the key; nothing is added.
	nsx "$UET_NS_GW" "$UET_CTL" -s "$DEC_SOCK" sa add "${sa[@]}" spi 0x1004 \
		aead 'rfc4106(gcm(aes))' "@$UET_TMP/none" 128 >"$UET_TMP/out" 2>"$UET_TMP/err" </dev/null
	[ $? = 2 ] && grep -qF "aead: cannot open key file \"$UET_TMP/none\"" "$UET_TMP/err" ||
		fail "missing key file: $(cat "$UET_TMP/err")" || return
	nsx "$UET_NS_GW" "$UET_CTL" -s "$DEC_SOCK" sa add "${sa[@]}" spi 0x1004 \
		aead 'rfc4106(gcm(aes))' - 128 >"$UET_TMP/out" 2>"$UET_TMP/err" </dev/null
	[ $? = 2 ] && grep -qF "aead: no KEY in standard input" "$UET_TMP/err" ||
		fail "empty stdin: $(cat "$UET_TMP/err")" || return
	[ "$(dctl_out -j sa list | jq length)" = 3 ] || fail "a refused add left an SA"
}

test_ctl_no_daemon() {
	local cmd

	ctl_prepare || return
	mkdir -p "${CTL_SOCK%/*}"
	for cmd in "sa list" "sa show handle 1" "sa flush" "parser list" "stats" "link list" "monitor"; do
		# shellcheck disable=SC2086 # the command is several words
		ctl_refused 1 "udpespd is not running (no socket at $CTL_SOCK)" -- $cmd || return
	done
	ctl_refused 1 "udpespd is not running (no socket at $CTL_SOCK)" -- \
		sa add "${IN4[@]}" spi 0x1001 "${GCM[@]}" || return
	# A socket file that nobody listens on, as a killed udpespd leaves.
	"$PYTHON" -c 'import socket, sys; socket.socket(socket.AF_UNIX).bind(sys.argv[1])' "$CTL_SOCK" ||
		{ fail "cannot create a stale socket"; return; }
	ctl_refused 1 "udpespd is not running (nothing listens at $CTL_SOCK)" -- sa list || return
	# The default socket, named as such.
	if [ ! -e /run/udpesp/udpespd.sock ]; then
		nsx "$UET_NS_GW" "$UET_CTL" parser list >"$CTL_DIR/stdout" 2>"$CTL_DIR/stderr"
		[ $? = 1 ] && grep -qF "udpespd is not running (no socket at /run/udpesp/udpespd.sock)" "$CTL_DIR/stderr" ||
			fail "without -s: $(ctl_stderr)" || return
	fi
	ctl_refused 1 "no udpesp maps under $CTL_DIR/none" -- -P "$CTL_DIR/none" stats &&
		ctl_keys_hidden
}

test_ctl_usage_and_help() {
	local cmd

	ctl_prepare || return
	# No daemon: "help" never needs one.
	for cmd in help -h --help "sa help" "sa add help" "sa add-batch help" "sa delete help" \
		"sa show help" "sa list help" "sa flush help" "link help" "link attach help" \
		"link detach help" "link list help" "parser help" "parser list help" "stats help" \
		"stats show help" "monitor help" "-j sa help"; do
		# shellcheck disable=SC2086
		ctl $cmd
		[ "$CTL_RC" = 0 ] && grep -q '^Usage: udpespctl' "$CTL_DIR/stdout" && [ ! -s "$CTL_DIR/stderr" ] ||
			fail "udpespctl $cmd: exit $CTL_RC, stdout \"$(head -n 1 "$CTL_DIR/stdout")\", stderr \"$(ctl_stderr)\"" || return
	done
	ctl -V && grep -q '^udpespctl [0-9.]* (control protocol [0-9]*, map ABI [0-9]*)$' "$CTL_DIR/stdout" ||
		fail "udpespctl -V: $(ctl_stdout)" || return

	# Unknown objects and commands: status 2, the problem, then the usage.
	ctl_usage_error 'object "frob" is unknown' frob &&
		ctl_usage_error 'command "frob" is unknown' sa frob &&
		ctl_usage_error 'command "frob" is unknown' link frob &&
		ctl_usage_error 'command "frob" is unknown' parser frob &&
		ctl_usage_error 'command "frob" is unknown' stats frob &&
		ctl_usage_error 'monitor takes no command, got "frob"' monitor frob &&
		ctl_usage_error 'option "-x" is unknown' -x sa list || return
	ctl
	[ "$CTL_RC" = 2 ] && grep -q '^Usage: udpespctl' "$CTL_DIR/stderr" ||
		fail "udpespctl without arguments: exit $CTL_RC, stderr $(ctl_stderr)" || return

	# Other usage errors: status 2 before any contact with udpespd.
	ctl_refused 2 '"-s" needs an argument' -- -s &&
		ctl_refused 2 '"dir" is required' -- sa add &&
		ctl_refused 2 'dir: expected in or out, got "sideways"' -- sa add dir sideways &&
		ctl_refused 2 'expected handle H, or dst ADDR spi SPI' -- sa delete &&
		ctl_refused 2 'unexpected "extra"' -- sa list extra &&
		ctl_refused 2 'unexpected "extra"' -- sa flush extra &&
		ctl_refused 2 'unexpected "extra"' -- parser list extra &&
		ctl_refused 2 'unexpected "extra"' -- stats show extra &&
		ctl_refused 2 'add-batch takes one FILE' -- sa add-batch &&
		ctl_refused 2 'add-batch takes one FILE' -- sa add-batch a b &&
		ctl_refused 2 '"spi" is given twice' -- sa add "${IN4[@]}" spi 0x1001 spi 0x1002 "${GCM[@]}" &&
		ctl_refused 2 'dev: no device "uet-nosuch"' -- sa add "${IN4[@]}" spi 0x1001 "${GCM[@]}" dev uet-nosuch &&
		ctl_refused 2 '"a" is ambiguous: aead, auth, auth-trunc' -- sa add "${IN4[@]}" a x &&
		ctl_refused 2 'unexpected "x", try "udpespctl link help"' -- link attach dev uet-gw x &&
		ctl_keys_hidden
}

# ctl_usage_error TEXT ARG...: status 2, TEXT on stderr, usage after it.
ctl_usage_error() {
	local text=$1
	shift
	ctl "$@"
	[ "$CTL_RC" = 2 ] && [ ! -s "$CTL_DIR/stdout" ] &&
		head -n 1 "$CTL_DIR/stderr" | grep -q "^Error: .*$text" &&
		grep -q '^Usage: udpespctl' "$CTL_DIR/stderr" ||
		fail "udpespctl $*: exit $CTL_RC, want 2 with \"$text\" and the usage; stderr: $(ctl_stderr)"
}
