#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
#
# Fetch the source package of the installed strongSwan into BUILD/strongswan
# (BUILD/strongswan/src -> the unpacked tree) so that the charon plugin can
# be compiled against its headers: Debian ships no strongSwan -dev package.
#
# apt runs with a private configuration under BUILD/strongswan/apt: a
# deb-src list derived from the system's Debian entries (same mirror, same
# suites, same keyring), its own lists and cache directories. The system's
# sources, lists and cache are never written.
#
# Idempotent: when the tree of the installed version is already there it
# returns at once. Exit status 0 with the tree in place, 1 with a message.
set -u

BUILD=${1:-build}
TOP=$BUILD/strongswan
APT=$TOP/apt
PKG=strongswan-charon

die() { echo "deps: strongSwan source: $*" >&2; exit 1; }

ver=$(dpkg-query -W -f='${source:Version}' "$PKG" 2>/dev/null) ||
	die "$PKG is not installed (make deps installs it)"
src=$(dpkg-query -W -f='${source:Package}' "$PKG")
upstream=${ver#*:}
upstream=${upstream%-*}

if [ -f "$TOP/VERSION" ] && [ -d "$TOP/src/src/libcharon" ] &&
	[ "$(head -n1 "$TOP/VERSION")" = "$ver" ]; then
	echo "deps: strongSwan $ver source already in $TOP/src ($(sed -n 2p "$TOP/VERSION"))"
	exit 0
fi
command -v dpkg-source >/dev/null || die "dpkg-source missing (package dpkg-dev)"

. /etc/os-release 2>/dev/null
codename=${VERSION_CODENAME:-}
[ -n "$codename" ] || die "no VERSION_CODENAME in /etc/os-release"

rm -rf "$APT"
mkdir -p "$APT/sources.list.d" "$APT/lists/partial" "$APT/cache/archives/partial" ||
	die "cannot create $APT"
: >"$APT/empty.list"

# The system's Debian entries (one-line and deb822 forms) as deb-src lines,
# only for the release's own suites: third-party repositories rarely have
# sources, and one missing index fails the whole update.
{
	for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
		[ -f "$f" ] || continue
		awk -v c="$codename" '
			$1 == "deb" {
				opts = ""; i = 2
				if ($2 ~ /^\[/) { while ($i !~ /\]$/) { opts = opts " " $i; i++ }
					opts = opts " " $i; i++ }
				uri = $i; suite = $(i + 1)
				if (suite != c && suite != c "-updates" && suite != c "-security") next
				comps = ""; for (j = i + 2; j <= NF; j++) comps = comps " " $j
				print "deb-src" opts " " uri " " suite comps
			}' "$f"
	done
	for f in /etc/apt/sources.list.d/*.sources; do
		[ -f "$f" ] || continue
		awk -v c="$codename" '
			function flush(   n, s, i, out) {
				if (types ~ /(^| )deb( |$)/ && uris != "" && enabled != "no") {
					n = split(suites, s, " ")
					for (i = 1; i <= n; i++) {
						if (s[i] != c && s[i] != c "-updates" &&
						    s[i] != c "-security") continue
						out = "deb-src"
						if (signed != "") out = out " [signed-by=" signed "]"
						print out " " uris " " s[i] " " comps
					}
				}
				types = uris = suites = comps = signed = enabled = ""
			}
			/^[ \t]*#/ { next }
			/^[ \t]*$/ { flush(); next }
			{
				key = tolower($1); sub(/:$/, "", key)
				val = $0; sub(/^[^:]*:[ \t]*/, "", val)
				if (key == "types") types = val
				else if (key == "uris") uris = val
				else if (key == "suites") suites = val
				else if (key == "components") comps = val
				else if (key == "signed-by") signed = val
				else if (key == "enabled") enabled = tolower(val)
			}
			END { flush() }' "$f"
	done
} | sort -u >"$APT/sources.list.d/udpesp-src.list"
[ -s "$APT/sources.list.d/udpesp-src.list" ] ||
	die "no Debian $codename entry in /etc/apt/sources.list* to take the mirror from"

abs=$(cd "$APT" && pwd)
aptopts=(-o "Dir::Etc::sourcelist=$abs/empty.list" -o "Dir::Etc::sourceparts=$abs/sources.list.d"
	-o "Dir::State::Lists=$abs/lists" -o "Dir::Cache=$abs/cache"
	-o "Dir::Cache::pkgcache=" -o "Dir::Cache::srcpkgcache="
	-o Debug::NoLocking=1 -o APT::Sandbox::User="$(id -un)" -q)

echo "deps: fetching the $src $ver source package (mirror from /etc/apt, private lists in $APT)"
apt-get "${aptopts[@]}" update >"$APT/update.log" 2>&1 || {
	tail -n 5 "$APT/update.log" >&2
	die "apt-get update of the deb-src index failed (no route to the mirror?)"
}

# The installed version first. A mirror may lack it (a snapshot proxy can
# hold an older security update only): then the newest one of the same
# upstream release, whose headers are the same, and say so.
want=("$ver")
while read -r v; do
	[ "$v" != "$ver" ] && want+=("$v")
done < <(apt-cache "${aptopts[@]}" showsrc "$src" 2>/dev/null |
	awk -v u="$upstream" '/^Version: / { v = $2; w = v; sub(/^[0-9]+:/, "", w)
		sub(/-[^-]*$/, "", w); if (w == u) print v }' | sort -rV)

got=
rm -rf "$TOP/tree"
mkdir -p "$TOP/tree"
for v in "${want[@]}"; do
	if (cd "$TOP/tree" && apt-get "${aptopts[@]}" source "$src=$v") >"$APT/source.log" 2>&1; then
		got=$v
		break
	fi
	echo "deps: $src $v: not downloadable from the mirror ($(grep -m1 -oE '[0-9]{3} +[A-Z][A-Za-z ]*[a-z]' "$APT/source.log" || echo "see $APT/source.log"))" >&2
done
[ -n "$got" ] || die "no $src $upstream source package on the mirror (tried: ${want[*]})"
[ "$got" = "$ver" ] ||
	echo "deps: WARNING: installed $ver, using the source of $got (same upstream release $upstream)" >&2

dir=$(find "$TOP/tree" -mindepth 1 -maxdepth 1 -type d -name "$src-*" | head -n1)
[ -n "$dir" ] && [ -d "$dir/src/libcharon" ] || die "unpacked tree not found under $TOP/tree"
ln -sfn "tree/$(basename "$dir")" "$TOP/src"
printf '%s\n%s\n' "$ver" "source $got" >"$TOP/VERSION"
echo "deps: strongSwan $got source in $TOP/src"
