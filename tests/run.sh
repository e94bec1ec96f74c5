#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
#
# Runs udpesp's test suites and ends with one line:
#   N passed, N failed, N skipped
# Usage: tests/run.sh [unit] [unit-openssl] [bpf] [docs] [fuzz] [unit-asan] [e2e]
#        (default: all)
# unit-openssl: the ESP crypto tests against the OpenSSL backend, built
# when unit runs them against intel-ipsec-mb (make CRYPTO=ipsecmb).
# docs: every option --help prints is in the man page (tests/docs/).
# fuzz: each libFuzzer harness (make fuzz-build) over its seed corpus
# plus FUZZ_RUNS mutated inputs, a fixed count, not a time.
# unit-asan: the unit suite built with ASan+UBSan (make asan).
set -u
cd "$(dirname "$0")/.." || exit 1
BUILD=${BUILD:-build}
suites=("$@")
[ ${#suites[@]} -eq 0 ] && suites=(unit unit-openssl bpf docs fuzz unit-asan e2e)

passed=0 failed=0 skipped=0
tapdir=$(mktemp -d)
trap 'rm -rf "$tapdir"' EXIT

# Criterion binary -> counts from its TAP report; its own output goes to the terminal.
run_criterion() {
	local name=$1 bin=$2 tap="$tapdir/$1.tap" p f s
	if [ ! -x "$bin" ]; then
		echo "FAIL $name: $bin not built (run make)"
		failed=$((failed + 1))
		return
	fi
	echo "=== $name: $bin"
	"$bin" --tap="$tap" --jobs=1 >/dev/null 2>"$tapdir/$name.err"
	local rc=$?
	if [ ! -s "$tap" ]; then
		echo "FAIL $name: no TAP report (exit status $rc)"
		tail -20 "$tapdir/$name.err"
		failed=$((failed + 1))
		return
	fi
	grep -E '^(not ok|ok)' "$tap" | sed -e 's/^/  /'
	s=$(grep -cE '^ok .*# SKIP' "$tap")
	p=$(( $(grep -cE '^ok ' "$tap") - s ))
	f=$(grep -cE '^not ok' "$tap")
	if [ "$f" -gt 0 ] || { [ $rc -ne 0 ] && [ "$f" -eq 0 ]; }; then
		# Show the assertion messages of failures (and crashes outside any test).
		grep -E '^\[(----|FAIL)\]|Assertion|CRASH|signal' "$tapdir/$name.err" | head -50
		[ "$f" -eq 0 ] && f=1
	fi
	echo "--- $name: $p passed, $f failed, $s skipped"
	passed=$((passed + p)) failed=$((failed + f)) skipped=$((skipped + s))
}

# Every harness tests/fuzz/fuzz_NAME.c: its corpus, then FUZZ_RUNS new
# inputs. A crash, a leak or a sanitizer report fails it.
run_fuzz() {
	local src name bin log
	for src in tests/fuzz/fuzz_*.c; do
		name=$(basename "$src" .c)
		bin=$BUILD/fuzz/$name log=$tapdir/$name.log
		if [ ! -x "$bin" ]; then
			echo "FAIL $name: $bin not built (make fuzz-build)"
			failed=$((failed + 1))
			continue
		fi
		if "$bin" -runs="${FUZZ_RUNS:-20000}" -seed=1 \
			-artifact_prefix="$tapdir/$name-" \
			"tests/fuzz/corpus/${name#fuzz_}" >"$log" 2>&1; then
			echo "  ok $name: $(grep -oE 'Done [0-9]+ runs' "$log")"
			passed=$((passed + 1))
		else
			echo "FAIL $name"
			grep -E 'ERROR|SUMMARY|runtime error|Test unit' "$log" | head -10
			failed=$((failed + 1))
		fi
	done
}

run_e2e() {
	local out="$tapdir/e2e.out" line
	echo "=== e2e: tests/e2e/run.sh"
	tests/e2e/run.sh 2>&1 | tee "$out"
	line=$(grep -E '^[0-9]+ passed, [0-9]+ failed' "$out" | tail -1)
	if [ -z "$line" ]; then
		echo "FAIL e2e: runner printed no summary"
		failed=$((failed + 1))
		return
	fi
	read -r p _ f _ s _ <<<"$(echo "$line" | tr -d ',')"
	passed=$((passed + p)) failed=$((failed + f)) skipped=$((skipped + ${s:-0}))
}

# A script that prints "ok"/"not ok" lines and ends with "N passed, N failed, N skipped".
run_script() {
	local name=$1 out="$tapdir/$1.out" line p f s
	shift
	echo "=== $name: $*"
	"$@" >"$out" 2>&1
	sed -e 's/^/  /' "$out"
	line=$(grep -E '^[0-9]+ passed, [0-9]+ failed' "$out" | tail -1)
	if [ -z "$line" ]; then
		echo "FAIL $name: printed no summary"
		failed=$((failed + 1))
		return
	fi
	read -r p _ f _ s _ <<<"$(echo "$line" | tr -d ',')"
	echo "--- $name: $line"
	passed=$((passed + p)) failed=$((failed + f)) skipped=$((skipped + ${s:-0}))
}

for suite in "${suites[@]}"; do
	case $suite in
	unit) run_criterion unit "$BUILD/tests/unit_tests" ;;
	unit-openssl)
		if [ -x "$BUILD/tests/unit_tests_openssl" ]; then
			run_criterion unit-openssl "$BUILD/tests/unit_tests_openssl"
		else
			echo "SKIP unit-openssl: not built (make CRYPTO=openssl has one backend)"
			skipped=$((skipped + 1))
		fi ;;
	bpf) run_criterion bpf "$BUILD/tests/bpf_tests" ;;
	docs) run_script docs tests/docs/man_options.sh "$BUILD" ;;
	fuzz) run_fuzz ;;
	unit-asan)
		ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 \
		UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
			run_criterion unit-asan "$BUILD/asan/tests/unit_tests" ;;
	e2e) run_e2e ;;
	*) echo "unknown suite: $suite" >&2; exit 2 ;;
	esac
done

echo "$passed passed, $failed failed, $skipped skipped"
[ "$failed" -eq 0 ]
