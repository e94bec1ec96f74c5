# SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
#
# What both demos (demo.sh, demo_ike.sh) print and how they stop: source
# it after tests/e2e/lib.sh.

say() { printf '\n%s\n' "$*"; }
run() { # run CMD...: print it, run it, stop the demo if it fails
	uet_echo "$@"
	"$@" || die "'$*' failed"
}
# The reason, then the end of every log the demo wrote (charon's too).
die() {
	echo "demo: FAILED: $*" >&2
	for f in "$UET_LOG" "$UET_TMP"/*.log "$UET_TMP"/*/charon.log; do
		[ -s "$f" ] && { echo "  --- $f" >&2; tail -n 15 "$f" | sed 's/^/  | /' >&2; }
	done
	exit 1
}
