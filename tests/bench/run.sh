#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
#
# `make bench`: every receive path against its baselines and ceilings in
# one run, then the SA table, SA installs and the XDP cost on other
# traffic. Each part is its own program; this script runs them in a fixed
# time budget, gathers what they append to one JSON-lines file and writes
#
#   build/bench/results.json  {"machine": {...}, "results": [{...}, ...]}
#   build/bench/pps.png       packets per second by inner size, per path
#   build/bench/summary.txt   the tables printed at the end
#
# Parts (each one cleans up its own namespaces and mounts, also when
# interrupted; this script stops the running one on Ctrl-C):
#   bench_paths      af_xdp, kfunc, socket, xdp_drop, rxdrop, crypto, cleartext
#   ipsec_iperf.sh   iperf3 in clear and through strongSwan kernel-libipsec and
#                    udpesp (--gso on and off), 1 and 4 streams, both ways
#   bench_xdp        XDP cost of non-ESP traffic, lookup at 1 and 1,000,000 SAs
#   bench_sa_install SAs per second through the control socket
#
# BENCH_QUICK=1: fewer rounds and frames (under 2 minutes); the default
# stays under 10. BENCH_PARTS="paths iperf xdp sa" picks parts.
set -u

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
BUILD=$ROOT/${BUILD:-build}
OUT=$BUILD/bench
QUICK=${BENCH_QUICK:-0}
PARTS=${BENCH_PARTS:-paths iperf xdp sa}
export BENCH_QUICK=$QUICK

[ "$(id -u)" -eq 0 ] || { echo "make bench: needs root (XDP, namespaces, bpffs)" >&2; exit 1; }
for f in udpespd udpespctl udpesp.bpf.o tests/bench_paths tests/bench_xdp tests/bench_sa_install; do
	[ -e "$BUILD/$f" ] || { echo "make bench: $BUILD/$f missing: run make" >&2; exit 1; }
done
mkdir -p "$OUT"
PARTS_JSON=$OUT/parts.jsonl
: >"$PARTS_JSON"
export BENCH_JSON=$PARTS_JSON
T0=$(date +%s)

CHILD=
stop() {
	[ -n "$CHILD" ] && kill -TERM "$CHILD" 2>/dev/null && wait "$CHILD" 2>/dev/null
	echo "make bench: interrupted; partial results in $PARTS_JSON" >&2
	exit 130
}
trap stop INT TERM HUP

# part NAME LOG CMD...: run one part in the background (so a signal reaches
# this script at once), its output on the terminal and in LOG.
part() {
	local name=$1 log=$OUT/$2 rc
	shift 2
	printf '\n=== %s (%ds so far) ===\n' "$name" $(($(date +%s) - T0))
	"$@" > >(tee "$log") 2>"$log.err" &
	CHILD=$!
	wait "$CHILD"
	rc=$?
	CHILD=
	if [ $rc -ne 0 ]; then
		echo "make bench: $name failed (exit $rc):" >&2
		tail -n 5 "$log.err" >&2
		jq -cn --arg p "$name" --arg e "exit $rc: $(tail -n 1 "$log.err")" \
			'{part: $p, error: $e}' >>"$PARTS_JSON"
	fi
	return 0
}

want() { [[ " $PARTS " == *" $1 "* ]]; }

if want paths; then
	part "receive paths (bench_paths)" paths.txt "$BUILD/tests/bench_paths"
fi
if want iperf; then
	part "iperf3 through strongSwan and udpesp" iperf.txt "$ROOT/tests/bench/ipsec_iperf.sh"
fi
if want xdp; then
	# 1,000,000 SAs loaded twice a round: fewer runs per measurement keep it short.
	if [ "$QUICK" = 1 ]; then xr=(BENCH_ROUNDS=1 BENCH_REPEAT=200000); else xr=(BENCH_ROUNDS=3 BENCH_REPEAT=500000); fi
	part "XDP cost and SA table scale (bench_xdp)" xdp.txt env "${xr[@]}" "$BUILD/tests/bench_xdp"
fi
if want sa; then
	if [ "$QUICK" = 1 ]; then sr=(BENCH_ROUNDS=1 BENCH_SA_TOTAL=20000 BENCH_SA_ONE=2000); else sr=(BENCH_ROUNDS=1 BENCH_SA_TOTAL=100000 BENCH_SA_ONE=5000); fi
	part "SA installs (bench_sa_install)" sa.txt env "${sr[@]}" "$BUILD/tests/bench_sa_install"
fi

# ---- results.json ----
ver() { dpkg-query -W -f='${Version}' "$1" 2>/dev/null || echo unknown; }
machine=$(jq -n \
	--arg kernel "$(uname -r)" \
	--arg cpu "$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n 1)" \
	--argjson cores "$(nproc)" \
	--argjson mem_kib "$(sed -n 's/^MemTotal: *\([0-9]*\).*/\1/p' /proc/meminfo)" \
	--arg ipsecmb "$(ver libipsec-mb1)" --arg openssl "$(ver libssl3)" \
	--arg strongswan "$(ver strongswan-charon)" --arg iperf3 "$(ver iperf3)" \
	--arg date "$(date -u +%Y-%m-%dT%H:%M:%SZ)" \
	--arg commit "$(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo unknown)" \
	--arg quick "$QUICK" --argjson seconds $(($(date +%s) - T0)) \
	'{kernel: $kernel, cpu: $cpu, cores: $cores, memory_kib: $mem_kib,
	  crypto: {"intel-ipsec-mb": $ipsecmb, openssl: $openssl},
	  strongswan: $strongswan, iperf3: $iperf3, date: $date, commit: $commit,
	  bench_quick: ($quick == "1"), bench_seconds: $seconds}')
jq -s --argjson m "$machine" '{machine: $m, results: .}' "$PARTS_JSON" >"$OUT/results.json" ||
	{ echo "make bench: cannot assemble results.json" >&2; exit 1; }

# ---- the summary table ----
R=$OUT/results.json
{
	echo
	echo "=== udpesp make bench: summary (AES-GCM-128, kpps of inner packets delivered) ==="
	printf '%-10s %22s %22s %22s\n' path "64 B" "512 B" "1400 B"
	printf '%-10s %22s %22s %22s\n' "" "kpps (udpesp ÷ it)" "kpps (udpesp ÷ it)" "kpps (udpesp ÷ it)"
	for p in af_xdp kfunc socket xdp_drop rxdrop crypto cleartext; do
		printf '%-10s' "$p"
		for z in 64 512 1400; do
			v=$(jq -r --arg p "$p" --argjson z "$z" '
				[.results[] | select(.path == $p and .suite == "aes-gcm-128" and .payload == $z)][0] |
				if . == null then "-"
				elif .error then "unavailable"
				elif .af_xdp_ratio then "\(.pps / 1000 | floor) (\(.af_xdp_ratio * 100 | round / 100))"
				else "\(.pps / 1000 | floor)" end' "$R")
			printf ' %22s' "$v"
		done
		echo
	done
	jq -r '.results[] | select(.path == "kfunc" and .error) | "kfunc, \(.suite) \(.payload) B: unavailable: \(.error)"' "$R"
	echo "udpesp ÷ it: the AF_XDP path's packets per second over this path's, same run"
	echo "(socket: baseline; xdp_drop, rxdrop, crypto, cleartext: ceilings, where the ratio is at"
	echo "most 1; cleartext: the same inner packets unencrypted to the same UDP socket)."
	echo
	echo "Other suites, 1400 B (kpps):"
	jq -r '.results[] | select(.suite != "aes-gcm-128" and .payload == 1400 and (.error | not)) |
		"  \(.suite) \(.path): \(.pps / 1000 | floor)" + (if .af_xdp_ratio then " (udpesp ÷ it \(.af_xdp_ratio * 100 | round / 100))" else "" end)' "$R"
	echo
	jq -r '
		([.results[] | select(.path == "strongswan")][0]) as $s |
		([.results[] | select(.path == "udpesp_iperf")][0]) as $u |
		([.results[] | select(.path == "udpesp_iperf_kfunc")][0]) as $k |
		def mb(x): if x == null then "-" elif x.error then "unavailable (\(x.error))" else "\(x.mbps) Mbit/s" end;
		"iperf3 through a NAPT: strongSwan libipsec \(mb($s)), udpesp AF_XDP \(mb($u))" +
		(if ($s.mbps and $u.mbps) then " (÷ strongSwan \($u.mbps / $s.mbps * 100 | round / 100))" else "" end) +
		", udpesp kfunc \(mb($k))" +
		(if ($s.mbps and $k.mbps) then " (÷ strongSwan \($k.mbps / $s.mbps * 100 | round / 100))" else "" end)' "$R"
	jq -r '
		def m(p; s; d): [.results[] | select(.path == p and .streams == s and .direction == d and .mbps)][0].mbps;
		def r(a; b): if a and b then (a / b * 100 | round / 100 | tostring) else "-" end;
		if ([.results[] | select(.path == "cleartext")] | length) == 0 then empty else
		"iperf3 Mbit/s, same run: cleartext strongswan gso-on gso-off | on÷clear on÷swan off÷clear off÷swan",
		(([1, 4][]) as $s | (["up", "down"][]) as $d |
		 [m("cleartext"; $s; $d), m("strongswan"; $s; $d), m("udpesp_iperf"; $s; $d),
		  m("udpesp_iperf_gso_off"; $s; $d)] as $v |
		 "  \($s) stream(s) \($d): \($v | map(. // "-" | tostring) | join(" ")) | \(r($v[2]; $v[0])) \(r($v[2]; $v[1])) \(r($v[3]; $v[0])) \(r($v[3]; $v[1]))") end' "$R"
	jq -r '.results[] | select(.path == "sa_lookup_scale") |
		"SA lookup in XDP: \(.ns_per_pkt[0]) ns at 1 SA, \(.ns_per_pkt[1]) ns at 1,000,000 SAs (ratio \(.ratio))"' "$R"
	jq -r '.results[] | select(.path == "sa_memory") | "SA map memory: \(.bytes_per_sa) bytes per SA slot at max_sa \(.max_sa)"' "$R" | tail -n 1
	jq -r '.results[] | select(.path == "xdp_classify" and (.case == "1" or .case == "2")) |
		"XDP on non-ESP (\(.packet)): \(.ns_per_pkt) ns vs bare \(.bare_ns_per_pkt) ns (\(.ratio)x)"' "$R"
	jq -r '.results[] | select(.path == "sa_install") |
		"SA installs, \(.sas_per_msg) per message: \(.sas_per_s) SAs/s (udpespd \(.daemon_cpu_us_per_sa) us CPU per SA)"' "$R"
	echo
	echo "Aims (reported, not asserted):"
	jq -r '
		def one(p; z): [.results[] | select(.path == p and .suite == "aes-gcm-128" and .payload == z)][0];
		def met(c): if c then "met" else "not met" end;
		(one("socket"; 64)) as $so | (one("rxdrop"; 64)) as $rx |
		([.results[] | select(.path == "sa_lookup_scale")][0]) as $l |
		([.results[] | select(.path == "strongswan")][0]) as $s |
		([.results[] | select(.path == "udpesp_iperf")][0]) as $u |
		(if $so.af_xdp_ratio then "  AF_XDP >= 3x socket at 64 B: \($so.af_xdp_ratio * 100 | round / 100)x -> \(met($so.af_xdp_ratio >= 3))" else "  AF_XDP vs socket: not measured" end),
		(if $rx.af_xdp_ratio then "  AF_XDP >= 50% of rxdrop at 64 B: \($rx.af_xdp_ratio * 100 | round)% -> \(met($rx.af_xdp_ratio >= 0.5))" else "  AF_XDP vs rxdrop: not measured" end),
		(if $l then "  lookup at 1,000,000 SAs within 1.2x of 1 SA: \($l.ratio)x -> \(met($l.ratio <= 1.2))" else "  SA lookup: not measured" end),
		(if ($s.mbps and $u.mbps) then "  udpesp iperf3 above strongSwan libipsec: \($u.mbps) vs \($s.mbps) Mbit/s -> \(met($u.mbps > $s.mbps))" else "  iperf3 comparison: not measured" end)' "$R"
	echo
	echo "Written: $R, $OUT/pps.png ($(($(date +%s) - T0)) s in all)"
} | tee "$OUT/summary.txt"

# ---- the plot ----
if command -v gnuplot >/dev/null; then
	dat=$OUT/pps.dat
	: >"$dat"
	for p in af_xdp kfunc socket xdp_drop rxdrop crypto cleartext; do
		rows=$(jq -r --arg p "$p" '.results[] | select(.path == $p and .suite == "aes-gcm-128" and .pps) | "\(.payload) \(.pps / 1000)"' "$R")
		[ -n "$rows" ] && printf '"%s"\n%s\n\n\n' "$p" "$rows" >>"$dat"
	done
	gnuplot <<-EOF 2>"$OUT/gnuplot.err" || echo "make bench: gnuplot failed (see $OUT/gnuplot.err)" >&2
		set terminal pngcairo size 900,560 font ",11" noenhanced
		set output "$OUT/pps.png"
		set title "udpesp make bench: inner packets delivered per second (AES-GCM-128, $(nproc) CPUs, kernel $(uname -r))"
		set xlabel "inner packet size (bytes)"
		set ylabel "thousand packets per second"
		set logscale x
		set xtics ("64" 64, "512" 512, "1400" 1400)
		set logscale y
		set key outside right
		set grid ytics
		plot for [i=0:*] "$dat" index i using 1:2 with linespoints lw 2 pt 7 title columnheader(1)
	EOF
else
	echo "make bench: gnuplot not installed (make deps): no plot" >&2
fi
exit 0
