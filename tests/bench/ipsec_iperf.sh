#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
#
# Part of `make bench`: iperf3 (TCP, 1 and 4 streams, client -> gateway
# "up" and gateway -> client "down") across a NAPT: first in clear (the
# ceiling: the same namespaces and NAPT, no IPsec), then through
# strongSwan's userspace ESP (charon with the kernel-libipsec plugin,
# IKEv2, PSK, NAT-T forced, AES-GCM-128), then through udpesp on both ends
# (static AES-GCM-128 SAs, as make demo) with udpespd --gso on and with
# --gso off, and once (1 stream, up) with the inbound SAs on the kfunc
# backend, in the same three namespaces:
#
#   client ──veth── nat (nftables masquerade) ──veth── gateway
#   inner 203.0.113.2                                  inner 203.0.113.1
#   198.51.100.130/25   198.51.100.129 | 192.0.2.2     192.0.2.1
#
# Each charon runs in its namespace's network namespace and in a mount
# namespace of its own (tmpfs on /run for its pid file), reads a
# strongswan.conf of its own (STRONGSWAN_CONF) that loads only the plugins
# it needs, and listens on its own VICI socket. Nothing leaves the
# namespaces: they have no route anywhere else. Configurations with the
# PSK are mode 0600 in a 0700 directory; the keys are never printed.
#
# Prints one line per run and a table of ratios (udpesp ÷ cleartext,
# udpesp ÷ strongSwan); with BENCH_JSON appends a result object for each
# ("path": "cleartext" | "strongswan" | "udpesp_iperf" (--gso on) |
# "udpesp_iperf_gso_off" | "udpesp_iperf_kfunc", "streams", "direction",
# "mbps", "cores_per_gbps": CPU of both iperf3 and the tunnel's daemons
# per Gbit/s), or one with "error" when a tunnel could not be built.
# BENCH_IPERF_TIME (seconds per run, default 5; BENCH_QUICK=1: 2).
# Everything is removed on exit, also on Ctrl-C.
set -u

# shellcheck source=tests/e2e/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/../e2e/lib.sh"

NS_CLIENT=$UET_PREFIX-bc
NS_NAT=$UET_PREFIX-bn
NS_GW=$UET_PREFIX-bg
PIN_CLIENT=$UET_BPFFS/client/tc/globals
PIN_GW=$UET_BPFFS/tc/globals
DAEMON=$UET_ROOT/build/udpespd
CHARON=${CHARON:-/usr/lib/ipsec/charon}
if [ "${BENCH_QUICK:-}" = 1 ]; then T=${BENCH_IPERF_TIME:-2}; else T=${BENCH_IPERF_TIME:-5}; fi

json() { [ -n "${BENCH_JSON:-}" ] && echo "$1" >>"$BENCH_JSON"; return 0; }
# result PATH MBPS|"" ERROR [STREAMS DIRECTION]: one line for people, one
# object for the JSON; MBPS[PATH,STREAMS,DIRECTION] for the ratios.
declare -A MBPS CPU
result() {
	local st=${4:-1} dir=${5:-up} cpu=null
	[ -s "$UET_TMP/last.cpu" ] && cpu=$(cat "$UET_TMP/last.cpu")
	rm -f "$UET_TMP/last.cpu"
	if [ -n "$2" ]; then
		MBPS[$1,$st,$dir]=$2
		CPU[$1,$st,$dir]=$cpu
		printf '  %-22s %d stream%s %-4s %8.0f Mbit/s, %5s cores per Gbit/s (iperf3 TCP, %s s, receiver)\n' \
			"$1" "$st" "$([ "$st" = 1 ] && echo " " || echo s)" "$dir" "$2" "$cpu" "$T"
		json "{\"path\": \"$1\", \"suite\": \"aes-gcm-128\", \"mbps\": $2, \"seconds\": $T, \"streams\": $st, \"direction\": \"$dir\", \"cores_per_gbps\": $cpu}"
	else
		printf '  %-22s unavailable: %s\n' "$1" "$3"
		json "$(jq -cn --arg p "$1" --arg e "$3" '{path: $p, suite: "aes-gcm-128", error: $e}')"
	fi
}
log_tail() { for f in "$@"; do [ -s "$f" ] && tail -n 5 "$f" | sed 's/^/    | /' >&2; done; }

down() {
	local ns
	uet_kill_pids
	for ns in "$NS_CLIENT" "$NS_NAT" "$NS_GW"; do
		[ -e "/run/netns/$ns" ] && ip netns del "$ns" 2>/dev/null
	done
	mountpoint -q "$UET_BPFFS" && umount "$UET_BPFFS" 2>/dev/null
	[ -n "$UET_TMP" ] && rm -rf "$UET_TMP"
	UET_TMP=
}

[ "$(id -u)" -eq 0 ] || { echo "ipsec_iperf: needs root" >&2; exit 1; }
uet_enter_mntns "$@" || { echo "ipsec_iperf: $REASON" >&2; exit 1; }
trap down EXIT
trap 'echo "interrupted" >&2; exit 130' INT
trap 'exit 143' TERM
uet_tmp_init || exit 1
chmod 700 "$UET_TMP"
UET_LOG=$UET_TMP/ipsec_iperf.log
missing=$(uet_missing_tools ip nft iperf3 jq nsenter unshare swanctl)
[ -z "$missing" ] || { echo "ipsec_iperf: missing tools: $missing (make deps)" >&2; exit 1; }

# ---- the three namespaces ----
{
	uet_napt3_up "$NS_CLIENT" "$NS_NAT" "$NS_GW" &&
		nsx "$NS_NAT" nft add table ip nat &&
		nsx "$NS_NAT" nft add chain ip nat post '{ type nat hook postrouting priority 100; }' &&
		nsx "$NS_NAT" nft add rule ip nat post oifname n1 masquerade &&
		for ns in "$NS_CLIENT" "$NS_GW"; do
			nsx "$ns" sysctl -qw net.ipv4.conf.all.rp_filter=0 net.ipv4.conf.default.rp_filter=0
		done
} >>"$UET_LOG" 2>&1 || { echo "ipsec_iperf: cannot build the namespaces" >&2; log_tail "$UET_LOG"; exit 1; }

# iperf3 NAME [STREAMS [up|down [SERVER CLIENT]]]: the gateway's server on
# SERVER (default the inner address), then the client from CLIENT for $T
# seconds, STREAMS TCP streams, down: the gateway sends (-R); prints Mbit/s.
iperf() {
	local out=$UET_TMP/iperf-$1.json mbps srv=${4:-$GW_INNER} cli=${5:-$CLIENT_INNER} rev=() c0
	[ "${3:-up}" = down ] && rev=(-R)
	rm -f "$UET_TMP/last.cpu"
	c0=$(tunnel_ticks)
	nsenter --net="/run/netns/$NS_GW" -- iperf3 -s -1 -B "$srv" >>"$UET_LOG" 2>&1 &
	UET_PIDS+=($!)
	uet_wait 5 sh -c "nsenter --net=/run/netns/$NS_GW ss -ltn | grep -q '$srv:5201'" || return 1
	# Bounded even if the tunnel breaks mid-test.
	nsx "$NS_CLIENT" timeout $((T + 15)) iperf3 -c "$srv" -B "$cli" -t "$T" -P "${2:-1}" \
		"${rev[@]}" --connect-timeout 5000 -J >"$out" 2>>"$UET_LOG" ||
		return 1
	mbps=$(jq '.end.sum_received.bits_per_second / 1e6 | floor' "$out") || return 1
	[ "$mbps" -gt 0 ] 2>/dev/null || return 1
	# CPU: both iperf3 (their own report) and the tunnel's daemons, in
	# cores per Gbit/s; packets the kernel handles in ksoftirqd, not in
	# these processes' system calls, are not counted.
	awk -v t0="$c0" -v t1="$(tunnel_ticks)" -v hz="$(getconf CLK_TCK)" -v mbps="$mbps" \
		-v ip="$(jq '.end.cpu_utilization_percent | .host_total + .remote_total' "$out")" \
		-v secs="$(jq '.end.sum_received.seconds' "$out")" \
		'BEGIN { printf "%.2f", (ip / 100 + (t1 - t0) / hz / secs) / (mbps / 1000) }' >"$UET_TMP/last.cpu"
	echo "$mbps"
}

# CPU ticks (user + system) of the tunnel's processes so far.
tunnel_ticks() {
	local p sum=0
	for p in $(cat "$UET_TMP/tunnel.pids" 2>/dev/null); do
		[ -r "/proc/$p/stat" ] && sum=$((sum + $(awk '{ print $14 + $15 }' "/proc/$p/stat")))
	done
	echo $sum
}

# ---- strongSwan, kernel-libipsec ----

# charon_conf SIDE LOCAL_ADDR REMOTE_ADDR LOCAL_TS REMOTE_TS: its files under $UET_TMP/SIDE.
charon_conf() {
	local d=$UET_TMP/$1
	mkdir -m 700 "$d"
	(
		umask 077
		cat >"$d/strongswan.conf" <<-EOF
			charon {
			    load_modular = no
			    load = random nonce openssl pem pkcs1 x509 pubkey kdf kernel-libipsec kernel-netlink socket-default vici
			    port = 500
			    port_nat_t = 4500
			    retransmit_tries = 3
			    plugins {
			        vici { socket = unix://$d/charon.vici }
			        kernel-libipsec { allow_peer_ts = no }
			    }
			    filelog { bench { path = $d/charon.log
			        default = 1
			        ike = 1 } }
			    syslog { daemon { default = -1 } }
			}
			swanctl { plugins { } }
		EOF
		cat >"$d/swanctl.conf" <<-EOF
			connections {
			    bench {
			        version = 2
			        local_addrs = $2
			        remote_addrs = $3
			        encap = yes
			        proposals = aes128gcm16-prfsha256-ecp256
			        local { auth = psk
			            id = $1.bench.example }
			        remote { auth = psk
			            id = $([ "$1" = client ] && echo gw || echo client).bench.example }
			        children {
			            bench {
			                local_ts = $4
			                remote_ts = $5
			                esp_proposals = aes128gcm16
			                mode = tunnel
			            }
			        }
			    }
			}
			secrets {
			    ike-bench {
			        id-a = client.bench.example
			        id-b = gw.bench.example
			        secret = $PSK
			    }
			}
		EOF
	)
}

# charon_start SIDE NS: charon in NS with a private /run, its own config and socket.
charon_start() {
	local d=$UET_TMP/$1
	nsenter --net="/run/netns/$2" -- unshare --mount --propagation private -- \
		sh -c 'mount -t tmpfs -o mode=0755 tmpfs /run && exec env STRONGSWAN_CONF="$0" "$1"' \
		"$d/strongswan.conf" "$CHARON" >>"$d/charon.out" 2>&1 &
	UET_PIDS+=($!)
	echo $! >>"$UET_TMP/tunnel.pids"
	uet_wait 10 test -S "$d/charon.vici" || return 1
	swanctl --load-all --file "$d/swanctl.conf" --uri "unix://$d/charon.vici" >>"$UET_LOG" 2>&1
}

strongswan() {
	[ -x "$CHARON" ] || { REASON="$CHARON not installed (make deps)"; return 1; }
	[ -e /usr/lib/ipsec/plugins/libstrongswan-kernel-libipsec.so ] ||
		{ REASON="kernel-libipsec plugin not installed (libcharon-extra-plugins)"; return 1; }
	PSK=0x$(od -An -tx1 -N32 /dev/urandom | tr -d ' \n')
	charon_conf client "$CLIENT_OUT" "$GW_OUT" "$CLIENT_INNER/32" "$GW_INNER/32"
	charon_conf gw "$GW_OUT" "%any" "$GW_INNER/32" "$CLIENT_INNER/32"
	PSK=
	ip -n "$NS_CLIENT" addr add "$CLIENT_INNER/32" dev lo &&
		ip -n "$NS_GW" addr add "$GW_INNER/32" dev lo || { REASON="inner addresses"; return 1; }
	charon_start gw "$NS_GW" || { REASON="charon (gateway) did not start"; return 1; }
	charon_start client "$NS_CLIENT" || { REASON="charon (client) did not start"; return 1; }
	swanctl --initiate --child bench --timeout 20 --uri "unix://$UET_TMP/client/charon.vici" \
		>>"$UET_LOG" 2>&1 || { REASON="IKEv2 negotiation failed"; return 1; }
	# NAT-T must be in use: the gateway sees the NAPT's address and port.
	swanctl --list-sas --uri "unix://$UET_TMP/gw/charon.vici" 2>>"$UET_LOG" | tee -a "$UET_LOG" |
		grep -q "$NAT_OUT\\[4500\\]\\|$NAT_OUT\\[[0-9]*\\].*NAT" ||
		{ REASON="the IKE_SA did not go through the NAPT on 4500"; return 1; }
	SS_MBPS=$(iperf strongswan) || { REASON="iperf3 through the libipsec tunnel failed"; return 1; }
}

# matrix PATH [SERVER CLIENT]: iperf3 with 1 and 4 streams, up and down.
# The first run (1 stream, up) is done already: its Mbit/s in $3.
matrix() {
	local st dir v
	result "$1" "$2" "" 1 up
	for st in 1 4; do
		for dir in up down; do
			[ "$st$dir" = 1up ] && continue
			if v=$(iperf "$1-$st-$dir" "$st" "$dir" "${@:3}"); then
				result "$1" "$v" "" "$st" "$dir"
			else
				result "$1" "" "iperf3 ($st streams, $dir) failed" "$st" "$dir"
			fi
		done
	done
}

strongswan_down() {
	uet_kill_pids
	rm -f "$UET_TMP/tunnel.pids"
	ip -n "$NS_CLIENT" addr del "$CLIENT_INNER/32" dev lo 2>/dev/null
	ip -n "$NS_GW" addr del "$GW_INNER/32" dev lo 2>/dev/null
	# charon's routes and ipsec0 die with it; flush what may be left.
	for ns in "$NS_CLIENT" "$NS_GW"; do
		ip -n "$ns" route flush table 220 2>/dev/null
		ip -n "$ns" rule del table 220 2>/dev/null
	done
	return 0
}

# ---- udpesp on both ends ----

udpesp_ctl() { nsx "$1" "$UET_CTL" -s "$UET_TMP/$2.sock" "${@:3}" >>"$UET_LOG" 2>&1; }

UD_PIDS=()
udpesp() {
	[ -e "$UET_OBJ" ] && [ -x "$UET_CTL" ] && [ -x "$DAEMON" ] || { REASON="build/ is incomplete: run make"; return 1; }
	uet_bpffs_mount || return 1
	mkdir -p "$UET_BPFFS/client"
	env TC_BPF_MNT="$UET_BPFFS/client" nsenter --net="/run/netns/$NS_CLIENT" \
		ip link set dev c0 xdp obj "$UET_OBJ" sec xdp >>"$UET_LOG" 2>&1 &&
		nsenter --net="/run/netns/$NS_GW" ip link set dev g0 xdp obj "$UET_OBJ" sec xdp \
			>>"$UET_LOG" 2>&1 || { REASON="ip link set xdp failed"; return 1; }
	udpesp_daemons on || return 1
	UE_MBPS=$(iperf udpesp) || { REASON="iperf3 through udpesp failed"; return 1; }
}

# udpesp_daemons on|off: (re)start both udpespd with --gso on or off, SAs
# on the AF_XDP backend, inner addresses (udpesp0 is new each time).
udpesp_daemons() {
	local side ns pin pid
	for pid in "${UD_PIDS[@]}"; do
		kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null
	done
	UD_PIDS=()
	rm -f "$UET_TMP/tunnel.pids"
	for side in client gw; do
		ns=$NS_GW pin=$PIN_GW
		[ $side = client ] && ns=$NS_CLIENT pin=$PIN_CLIENT
		rm -f "$UET_TMP/$side.sock"
		nsenter --net="/run/netns/$ns" -- "$DAEMON" --foreground --pin-dir "$pin" \
			--socket "$UET_TMP/$side.sock" --log "$UET_TMP/$side.log" --gso "$1" &
		UET_PIDS+=($!)
		UD_PIDS+=($!)
		echo $! >>"$UET_TMP/tunnel.pids"
		uet_wait 10 test -S "$UET_TMP/$side.sock" || { REASON="udpespd ($side) did not start"; return 1; }
	done
	udpesp_sas xsk || return 1
	ip -n "$NS_CLIENT" addr add "$CLIENT_INNER/24" dev udpesp0 &&
		ip -n "$NS_GW" addr add "$GW_INNER/24" dev udpesp0 || { REASON="cannot address udpesp0"; return 1; }
}

# udpesp_sas OFFLOAD: one SA per direction on each end, fresh keys; the
# inbound ones on backend OFFLOAD. Replaces what was there.
udpesp_sas() {
	local k_up k_down
	udpesp_ctl "$NS_GW" gw sa flush && udpesp_ctl "$NS_CLIENT" client sa flush ||
		{ REASON="udpespctl sa flush failed"; return 1; }
	k_up=0x$(od -An -tx1 -N20 /dev/urandom | tr -d ' \n')
	k_down=0x$(od -An -tx1 -N20 /dev/urandom | tr -d ' \n')
	local aead=(aead 'rfc4106(gcm(aes))') up=(sel src "$CLIENT_INNER/32" dst "$GW_INNER/32")
	local dn=(sel src "$GW_INNER/32" dst "$CLIENT_INNER/32") off=(offload "$1")
	udpesp_ctl "$NS_GW" gw sa add dir in src "$NAT_OUT" dst "$GW_OUT" spi 0xc001 mode tunnel \
		"${aead[@]}" "$k_up" 128 encap espinudp 4500 4500 0.0.0.0 replay-window 128 "${up[@]}" \
		"${off[@]}" &&
		udpesp_ctl "$NS_GW" gw sa add dir out src "$GW_OUT" dst "$NAT_OUT" spi 0x9001 mode tunnel \
			"${aead[@]}" "$k_down" 128 encap espinudp 4500 4500 0.0.0.0 "${dn[@]}" &&
		udpesp_ctl "$NS_CLIENT" client sa add dir in src "$GW_OUT" dst "$CLIENT_OUT" spi 0x9001 \
			mode tunnel "${aead[@]}" "$k_down" 128 encap espinudp 4500 4500 0.0.0.0 \
			replay-window 128 "${dn[@]}" "${off[@]}" &&
		udpesp_ctl "$NS_CLIENT" client sa add dir out src "$CLIENT_OUT" dst "$GW_OUT" spi 0xc001 \
			mode tunnel "${aead[@]}" "$k_up" 128 encap espinudp 4500 4500 0.0.0.0 "${up[@]}" ||
		{ REASON="udpespctl sa add (offload $1) failed: $(tail -n 1 "$UET_LOG")"; return 1; }
}

echo "iperf3 through a NAPT, TCP, AES-GCM-128, $T s each (up: client -> gateway):"
CT_MBPS=$(iperf cleartext 1 up "$GW_OUT" "$CLIENT_OUT") && matrix cleartext "$CT_MBPS" "$GW_OUT" "$CLIENT_OUT" ||
	result cleartext "" "iperf3 without IPsec failed"
SS_MBPS= UE_MBPS=
if strongswan; then matrix strongswan "$SS_MBPS"; else
	result strongswan "" "$REASON"
	log_tail "$UET_TMP/client/charon.log" "$UET_TMP/gw/charon.log" "$UET_LOG"
fi
strongswan_down
if udpesp; then matrix udpesp_iperf "$UE_MBPS"; else
	result udpesp_iperf "" "$REASON"
	log_tail "$UET_TMP/gw.log" "$UET_LOG"
fi
UK_MBPS=
if [ -n "$UE_MBPS" ]; then
	REASON=
	if udpesp_sas kfunc && UK_MBPS=$(iperf udpesp-kfunc); then
		result udpesp_iperf_kfunc "$UK_MBPS"
	else
		UK_MBPS=
		result udpesp_iperf_kfunc "" "${REASON:-iperf3 through udpesp (kfunc) failed}"
	fi
	REASON=
	if udpesp_daemons off && UO_MBPS=$(iperf udpesp-gso-off); then
		matrix udpesp_iperf_gso_off "$UO_MBPS"
	else
		result udpesp_iperf_gso_off "" "${REASON:-iperf3 through udpesp (--gso off) failed}"
	fi
fi

# The ratios, each from this run: udpesp ÷ cleartext, udpesp ÷ strongSwan.
ratio() {
	local a=${MBPS[$1]:-} b=${MBPS[$2]:-}
	if [ -n "$a" ] && [ -n "$b" ]; then awk -v a="$a" -v b="$b" 'BEGIN { printf "%.2f", a / b }'; else echo -; fi
}
echo
echo "Mbit/s (same run)        cleartext strongswan  gso on gso off | on÷clear on÷swan off÷clear off÷swan"
for st in 1 4; do
	for dir in up down; do
		k=$st,$dir
		printf '  %d stream%s %-4s        %9s %10s %7s %7s | %8s %7s %9s %8s\n' "$st" \
			"$([ "$st" = 1 ] && echo " " || echo s)" "$dir" "${MBPS[cleartext,$k]:--}" \
			"${MBPS[strongswan,$k]:--}" "${MBPS[udpesp_iperf,$k]:--}" \
			"${MBPS[udpesp_iperf_gso_off,$k]:--}" \
			"$(ratio "udpesp_iperf,$k" "cleartext,$k")" "$(ratio "udpesp_iperf,$k" "strongswan,$k")" \
			"$(ratio "udpesp_iperf_gso_off,$k" "cleartext,$k")" \
			"$(ratio "udpesp_iperf_gso_off,$k" "strongswan,$k")"
	done
done
echo "cores per Gbit/s         cleartext strongswan  gso on gso off   (iperf3 + the tunnel's daemons)"
for st in 1 4; do
	for dir in up down; do
		k=$st,$dir
		printf '  %d stream%s %-4s        %9s %10s %7s %7s\n' "$st" "$([ "$st" = 1 ] && echo " " || echo s)" \
			"$dir" "${CPU[cleartext,$k]:--}" "${CPU[strongswan,$k]:--}" "${CPU[udpesp_iperf,$k]:--}" \
			"${CPU[udpesp_iperf_gso_off,$k]:--}"
	done
done
echo "  aims (reported, not asserted): udpesp (gso on) >= 0.5 of cleartext and >= 5x strongSwan"
exit 0
