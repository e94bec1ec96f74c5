#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
#
# `make demo`: strongSwan negotiates, udpesp carries the ESP.
#
#   client ──veth── nat (nftables masquerade) ──veth── gateway
#   inner 203.0.113.2                                  inner 203.0.113.1
#   198.51.100.130/25   198.51.100.129 | 192.0.2.2     192.0.2.1
#
# The gateway runs udpespd (udpesp attached with `ip link`) and charon with
# the kernel-udpesp plugin; the client, behind the NAPT, is strongSwan with
# its own userspace ESP (kernel-libipsec): an implementation nobody here
# wrote. They negotiate IKEv2 with a PSK generated now (configuration files
# 0600 in a 0700 directory, the key never printed); then ping and iperf3 go
# through the tunnel, the CHILD_SA is rekeyed under traffic, and both
# charon's and udpesp's views are shown. Everything lives in network
# namespaces and private mount namespaces and is removed on exit, also on
# Ctrl-C or failure. `make demo-manual` is the hand-keyed walk-through.
set -u

# shellcheck source=tests/e2e/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/../e2e/lib.sh"
# shellcheck source=tests/demo/demo_lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/demo_lib.sh"

NS_CLIENT=$UET_PREFIX-client
NS_NAT=$UET_PREFIX-nat
NS_GW=$UET_PREFIX-gw
PIN_GW=$UET_BPFFS/tc/globals
DAEMON=$UET_ROOT/build/udpespd
PLUGIN=$UET_ROOT/build/libstrongswan-kernel-udpesp.so
CHARON=${CHARON:-/usr/lib/ipsec/charon}
PLUGDIR=/usr/lib/ipsec/plugins
DEMO_TIME=${DEMO_TIME:-4}

gw_ctl() { nsx "$NS_GW" "$UET_CTL" -s "$UET_TMP/gw.sock" "$@"; }
# swanctl with only the plugins it needs here (Debian's list names absent ones).
vici() {
	local side=$1
	shift
	STRONGSWAN_CONF=$UET_TMP/swanctl-only.conf swanctl "$@" --uri "unix://$UET_TMP/$side/charon.vici"
}

demo_down() {
	local ns
	uet_kill_pids
	for ns in "$NS_CLIENT" "$NS_NAT" "$NS_GW"; do
		[ -e "/run/netns/$ns" ] && ip netns del "$ns" 2>/dev/null
	done
	[ -n "$UET_TMP" ] && rm -rf "$UET_TMP"
	UET_TMP=
}

# conf SIDE KERNEL_PLUGIN LOCAL REMOTE LOCAL_TS REMOTE_TS: $UET_TMP/SIDE/*.conf
conf() {
	local d=$UET_TMP/$1 other
	other=$([ "$1" = client ] && echo gw || echo client)
	mkdir -m 700 "$d" || return
	(
		umask 077
		cat >"$d/strongswan.conf" <<-EOF
			charon {
			    load_modular = no
			    load = random nonce openssl pem pkcs1 x509 pubkey kdf $2 kernel-netlink socket-default vici
			    plugins {
			        vici { socket = unix://$d/charon.vici }
			        kernel-udpesp { socket = $UET_TMP/gw.sock }
			    }
			    filelog { demo { path = $d/charon.log
			        default = 1
			        flush_line = yes } }
			    syslog { daemon { default = -1 } }
			}
		EOF
		cat >"$d/swanctl.conf" <<-EOF
			connections {
			    demo {
			        local_addrs = $3
			        remote_addrs = $4
			        encap = yes
			        proposals = aes128gcm16-prfsha256-ecp256
			        local { auth = psk
			            id = $1.demo.example }
			        remote { auth = psk
			            id = $other.demo.example }
			        children { demo { local_ts = $5
			            remote_ts = $6
			            esp_proposals = aes128gcm16 } }
			    }
			}
			secrets { ike-demo { id-a = client.demo.example
			    id-b = gw.demo.example
			    secret = $PSK } }
		EOF
	)
}

# charon_up SIDE NS: charon with a private /run and plugin directory.
charon_up() {
	local d=$UET_TMP/$1
	uet_echo nsenter --net="/run/netns/$2" unshare --mount env STRONGSWAN_CONF="$d/strongswan.conf" "$CHARON"
	nsenter --net="/run/netns/$2" -- unshare --mount --propagation private -- \
		sh -c 'mount -t tmpfs -o mode=0755 tmpfs /run &&
			mount --bind "$2" /usr/lib/ipsec/plugins &&
			exec env STRONGSWAN_CONF="$0" "$1"' \
		"$d/strongswan.conf" "$CHARON" "$UET_TMP/plugins" >>"$d/charon.out" 2>&1 &
	UET_PIDS+=($!)
	uet_wait 10 test -S "$d/charon.vici" || die "charon ($1) did not start"
	vici "$1" --load-all --file "$d/swanctl.conf" >>"$UET_LOG" 2>&1 || die "swanctl --load-all ($1)"
}

# The gateway's CHILD_SA SPIs and counters, as charon reports them.
child() { vici gw --list-sas --raw 2>>"$UET_LOG" | grep -o "$1=[0-9a-f]*" | head -1 | cut -d= -f2; }

[ "$(id -u)" -eq 0 ] || die "needs root (XDP, network namespaces, bpffs)"
uet_enter_mntns "$@" || die "$REASON"
cd "$UET_ROOT" || exit 1
trap demo_down EXIT
trap 'echo "interrupted" >&2; exit 130' INT
trap 'exit 143' TERM
uet_tmp_init || die "mktemp failed"
chmod 700 "$UET_TMP"
echo "swanctl { load = random nonce openssl pem pkcs1 x509 pubkey }" >"$UET_TMP/swanctl-only.conf"
UET_LOG=$UET_TMP/demo.log
missing=$(uet_missing_tools ip bpftool jq nsenter unshare nft ping iperf3 mount swanctl)
[ -z "$missing" ] || die "missing tools: $missing (make deps)"
[ -e "$UET_OBJ" ] && [ -x "$UET_CTL" ] && [ -x "$DAEMON" ] || die "build/ is incomplete: run make"
[ -e "$PLUGIN" ] || die "$PLUGIN not built: make deps fetches strongSwan's source, then make"
[ -x "$CHARON" ] && [ -e "$PLUGDIR/libstrongswan-kernel-libipsec.so" ] ||
	die "strongSwan's charon and kernel-libipsec are needed (make deps)"
uet_bpffs_mount || die "$REASON"

say "1. Three network namespaces: a client behind a NAPT, the NAPT, a gateway (documentation addresses)."
uet_napt3_up "$NS_CLIENT" "$NS_NAT" "$NS_GW" || die "cannot build the namespaces"
echo "   client $CLIENT_OUT -> nat $NAT_IN | $NAT_OUT -> gateway $GW_OUT"
run nsx "$NS_NAT" nft add table ip nat
run nsx "$NS_NAT" nft add chain ip nat post '{ type nat hook postrouting priority 100; }'
run nsx "$NS_NAT" nft add rule ip nat post oifname n1 masquerade random
{
	ip -n "$NS_CLIENT" addr add "$CLIENT_INNER/32" dev lo &&
		ip -n "$NS_GW" addr add "$GW_INNER/32" dev lo &&
		for ns in "$NS_CLIENT" "$NS_GW"; do
			nsx "$ns" sysctl -qw net.ipv4.conf.all.rp_filter=0 net.ipv4.conf.default.rp_filter=0
		done
} >>"$UET_LOG" 2>&1 || die "inner addresses"

say "2. The gateway: udpesp attached with iproute2, udpespd adopting its maps:"
run nsenter --net="/run/netns/$NS_GW" ip link set dev g0 xdp obj "$UET_OBJ" sec xdp
uet_echo nsenter --net="/run/netns/$NS_GW" "$DAEMON" --foreground --pin-dir "$PIN_GW" --socket "$UET_TMP/gw.sock"
nsenter --net="/run/netns/$NS_GW" -- "$DAEMON" --foreground --pin-dir "$PIN_GW" \
	--socket "$UET_TMP/gw.sock" --log "$UET_TMP/gw.log" &
UET_PIDS+=($!)
uet_wait 10 test -S "$UET_TMP/gw.sock" || die "udpespd did not start"
uet_wait 10 grep -q "AF_XDP worker" "$UET_TMP/gw.log" || die "no AF_XDP worker on the gateway"
nsx "$NS_GW" sysctl -qw net.ipv4.conf.udpesp0.rp_filter=0 >>"$UET_LOG" 2>&1

say "3. strongSwan on both ends (a fresh PSK, files 0600; the gateway's plugin directory has kernel-udpesp):"
mkdir -p "$UET_TMP/plugins" && cp -a "$PLUGDIR"/. "$UET_TMP/plugins"/ && cp "$PLUGIN" "$UET_TMP/plugins/" ||
	die "cannot prepare the plugin directory"
PSK=0x$(od -An -tx1 -N32 /dev/urandom | tr -d ' \n')
conf gw kernel-udpesp "$GW_OUT" "%any" "$GW_INNER/32" "$CLIENT_INNER/32" || die "gateway configuration"
conf client kernel-libipsec "$CLIENT_OUT" "$GW_OUT" "$CLIENT_INNER/32" "$GW_INNER/32" || die "client configuration"
PSK=
charon_up gw "$NS_GW"
charon_up client "$NS_CLIENT"
grep -h "kernel-udpesp" "$UET_TMP/gw/charon.log" | head -2 | sed 's/^/   gateway charon: /'

say "4. The client initiates IKEv2 through the NAPT:"
run vici client --initiate --child demo --timeout 20
run vici gw --list-sas
echo "   ... and the same SAs in udpesp, installed by charon:"
run gw_ctl sa list

say "5. Through the tunnel: ping, then iperf3 (TCP, ${DEMO_TIME} s) from the client to the gateway:"
run nsx "$NS_CLIENT" ping -c 3 -i 0.2 -W 5 -I "$CLIENT_INNER" "$GW_INNER"
iperf_run() {
	nsenter --net="/run/netns/$NS_GW" -- iperf3 -s -1 -B "$GW_INNER" >>"$UET_LOG" 2>&1 &
	UET_PIDS+=($!)
	uet_wait 5 sh -c "nsenter --net=/run/netns/$NS_GW ss -ltn | grep -q '$GW_INNER:5201'" || die "iperf3 server"
	nsx "$NS_CLIENT" timeout $((DEMO_TIME + 15)) iperf3 -c "$GW_INNER" -B "$CLIENT_INNER" \
		-t "$DEMO_TIME" -f m >"$UET_TMP/iperf.out" 2>&1
}
uet_echo nsenter --net="/run/netns/$NS_CLIENT" iperf3 -c "$GW_INNER" -B "$CLIENT_INNER" -t "$DEMO_TIME"
iperf_run || { cat "$UET_TMP/iperf.out"; die "iperf3 failed"; }
grep -E "sender|receiver" "$UET_TMP/iperf.out" | sed 's/^/   /'

say "6. A CHILD_SA rekey under traffic (iperf3 again; the gateway rekeys halfway):"
SPI0=$(child spi-in)
iperf_run &
IPERF=$!
sleep $((DEMO_TIME / 2))
run vici gw --rekey --child demo
wait $IPERF || { cat "$UET_TMP/iperf.out"; die "iperf3 across the rekey failed"; }
grep -E "receiver" "$UET_TMP/iperf.out" | sed 's/^/   /'
uet_wait 10 sh -c "[ \"\$(nsenter --net=/run/netns/$NS_GW $UET_CTL -j -s $UET_TMP/gw.sock sa list | jq length)\" = 2 ]" ||
	die "the old SAs did not leave udpesp"
SPI1=$(child spi-in)
[ -n "$SPI1" ] && [ "$SPI1" != "$SPI0" ] || die "the CHILD_SA was not rekeyed"
echo "   inbound SPI $SPI0 -> $SPI1; udpesp holds only the new pair:"
run gw_ctl sa list

say "7. charon's counters come from udpesp (kernel-udpesp's per-SA query):"
run vici gw --list-sas
IN_P=$(child packets-in)
H_IN=$(gw_ctl -j sa list | jq -r --argjson s "$((16#$SPI1))" '.[] | select(.spi == $s) | .handle')
U_P=$(gw_ctl -j stats | jq -r --argjson h "$H_IN" '.sa[] | select(.handle == $h) | .packets')
echo "   inbound SA $SPI1: swanctl packets-in $IN_P, udpespctl stats handle $H_IN packets $U_P"
[ "$IN_P" = "$U_P" ] && [ "${U_P:-0}" -gt 0 ] || die "charon's and udpesp's counters differ"

say "What you saw: charon negotiated IKEv2 with a strongSwan client behind a NAPT and
installed its CHILD_SA in udpesp through the kernel-udpesp plugin: SPIs from udpespd,
routes into udpesp0, the NAT's port from IKE. udpesp_xdp took the client's ESP off the
wire in XDP, udpespd's workers decrypted it, and the replies left through udpesp0 as
ESP in UDP. The rekey replaced both SAs under traffic; charon's counters are udpesp's.
Everything is removed now."
