#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
#
# Every option a program's --help prints is in its man page, in the
# SYNOPSIS and under OPTIONS, so the pages cannot drift from the programs
# again. One TAP-like line per program and option, then
#   N passed, N failed, N skipped
# Usage: tests/docs/man_options.sh [BUILD]    (unprivileged)
set -u
cd "$(dirname "$0")/../.." || exit 1
BUILD=${1:-${BUILD:-build}}
passed=0 failed=0 skipped=0

# The text of section NAME (.SH NAME up to the next .SH) of a man page,
# roff escapes for hyphens and fonts removed.
man_section() {
	sed -n "/^\.SH $2\$/,/^\.SH /p" "$1" | sed -e 's/\\-/-/g' -e 's/\\f[BIRP]//g'
}

# The options --help names: "--socket" from udpespd's "[--socket PATH]",
# "-j" and "-json" from udpespctl's "-j[son]" (iproute2's style: the long
# name is the short one continued).
help_options() {
	"$1" --help 2>&1 | grep -oE -- '(^|[^A-Za-z0-9-])--?[A-Za-z][a-z-]*(\[[a-z-]+\])?' |
		sed -E -e 's/^[^-]+//' -e 's/^(-[A-Za-z])\[([a-z-]+)\]$/\1 \L\1\2/' | tr ' ' '\n' | sort -u
}

# has TEXT OPTION: OPTION appears in TEXT as a word of its own.
has() { grep -qE -- "(^|[^A-Za-z0-9-])$2([^A-Za-z0-9-]|\$)" <<<"$1"; }

check() {
	local prog=$1 page=$2 bin=$BUILD/$1 synopsis options opt n=0
	if [ ! -x "$bin" ]; then
		echo "not ok - $prog: $bin not built (run make)"
		failed=$((failed + 1))
		return
	fi
	synopsis=$(man_section "$page" SYNOPSIS)
	options=$(man_section "$page" OPTIONS)
	while read -r opt; do
		[ -n "$opt" ] || continue
		n=$((n + 1))
		# A long spelling of a short option (-json of -j) needs OPTIONS only.
		if { has "$synopsis" "$opt" || [[ "$opt" =~ ^-[a-z][a-z-]+$ ]]; } &&
			has "$options" "$opt"; then
			echo "ok - $prog: $opt in $page"
			passed=$((passed + 1))
		else
			echo "not ok - $prog: $opt, which --help prints, is missing from $page" \
				"($(has "$synopsis" "$opt" || echo -n 'SYNOPSIS ')$(has "$options" "$opt" || echo -n 'OPTIONS'))"
			failed=$((failed + 1))
		fi
	done < <(help_options "$bin")
	# --help printing nothing that looks like an option is a failure too.
	if [ "$n" -lt 3 ]; then
		echo "not ok - $prog: only $n options found in --help"
		failed=$((failed + 1))
	fi
}

check udpespd docs/udpespd.8
check udpespctl docs/udpespctl.8
echo "$passed passed, $failed failed, $skipped skipped"
[ "$failed" -eq 0 ]
