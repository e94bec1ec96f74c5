#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
#
# The HAVE_* lines of swan_config.h against the installed libstrongswan:
# where configure found a libc function, the library imports it; where it
# did not, the library carries its own replacement. A mismatch changes
# inline code or declarations in the headers the plugin compiles against.
# Usage: check_config.sh CONFIG_H [LIBSTRONGSWAN]
set -u
cfg=$1
lib=${2:-/usr/lib/ipsec/libstrongswan.so.0}
[ -r "$lib" ] || { echo "check_config: $lib missing (strongswan-charon not installed?)" >&2; exit 1; }
syms=$(nm -D "$lib") || exit 1
fail=0
# macro, symbol, U = imported from libc when defined, T = own when undefined
while read -r macro sym; do
	defined=0
	grep -qE "^#define $macro\b" "$cfg" && defined=1
	if grep -qE "^ +U $sym(@|$)" <<<"$syms"; then have=1
	elif grep -qE " T $sym$" <<<"$syms"; then have=0
	else have=$defined; fi # not referenced at all: nothing to compare
	if [ "$defined" != "$have" ]; then
		echo "check_config: $cfg has $macro $([ $defined = 1 ] && echo defined || echo undefined), but $lib $([ $have = 1 ] && echo imports || echo defines) $sym" >&2
		fail=1
	fi
done <<'LIST'
HAVE_CLOSEFROM closefrom
HAVE_SIGWAITINFO sigwaitinfo
HAVE_CONDATTR_CLOCK_MONOTONIC pthread_condattr_setclock
HAVE_CLOCK_GETTIME clock_gettime
HAVE_EXPLICIT_BZERO explicit_bzero
HAVE_MEMRCHR memrchr
HAVE_FMEMOPEN fmemopen
LIST
exit $fail
