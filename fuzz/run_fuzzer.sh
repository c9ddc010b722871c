#!/usr/bin/env bash
# Builds the loader's fuzz target with clang++ and runs it for a set time.
#
#   fuzz/run_fuzzer.sh SECONDS [JOBS]
#
# SECONDS is the total fuzzing time. JOBS (default 1) is the number of fuzzing processes,
# and more than one uses libFuzzer's fork mode. The script configures its own build folder
# BUILD (SINAPSE_FUZZ_BUILD_DIR, default build-fuzz in the repository root) with the
# compiler SINAPSE_FUZZ_CXX (default clang++). It writes the seed corpus to
# BUILD/fuzz/seeds and keeps the inputs that add coverage in BUILD/fuzz/corpus, so a
# second run continues from the first. The libFuzzer log is BUILD/fuzz/fuzz.log.
#
# The exit status is 1 when libFuzzer reports a finding: a crash, a sanitizer report, an
# exception other than sinapse::Error, a timeout, a leak, or memory above the limits
# below. libFuzzer saves the input in BUILD/fuzz/findings/.
#
# To reproduce a finding: BUILD/fuzz/fuzz_load_model BUILD/fuzz/findings/crash-...
set -euo pipefail

usage() {
  echo "usage: $0 SECONDS [JOBS]" >&2
  echo "Builds fuzz_load_model and fuzzes the model loader for SECONDS seconds" >&2
  echo "with JOBS processes (default 1)." >&2
  exit 2
}

[[ $# -ge 1 && $# -le 2 ]] || usage
seconds=$1
jobs=${2:-1}
[[ $seconds =~ ^[1-9][0-9]*$ ]] || usage
[[ $jobs =~ ^[1-9][0-9]*$ ]] || usage

root=$(cd "$(dirname "$0")/.." && pwd)
build=${SINAPSE_FUZZ_BUILD_DIR:-$root/build-fuzz}
cxx=${SINAPSE_FUZZ_CXX:-clang++}

cmake -S "$root" -B "$build" -DCMAKE_CXX_COMPILER="$cxx" -DCMAKE_BUILD_TYPE=Release \
  -DSINAPSE_BUILD_FUZZERS=ON -DSINAPSE_BUILD_TESTS=OFF -DSINAPSE_BUILD_EXAMPLES=OFF \
  -DSINAPSE_INSTALL=OFF
cmake --build "$build" --target fuzz_load_model make_seed_corpus -j2

work=$build/fuzz
mkdir -p "$work/seeds" "$work/corpus" "$work/findings"
"$work/make_seed_corpus" "$work/seeds" >/dev/null
# A finding left by an earlier run would otherwise make this run fail too.
rm -f "$work/findings/"*

# The largest seed is about 10 KB, and -max_len leaves room for growth. A loader that
# checks the sizes in a file allocates about as much as the file, so libFuzzer reports a
# single allocation above -malloc_limit_mb, a process above -rss_limit_mb, and an input
# that runs longer than -timeout seconds. It also checks for leaks by default.
options=(
  -dict="$root/fuzz/sinapse_model.dict"
  -max_len=65536
  -malloc_limit_mb=64
  -rss_limit_mb=2048
  -timeout=10
  -use_value_profile=1
  -max_total_time="$seconds"
  -print_final_stats=1
  -artifact_prefix="$work/findings/"
)
if (( jobs > 1 )); then
  options+=(-fork="$jobs")
fi

# UBSan reports stop the program because of -fno-sanitize-recover=all. The stack trace
# shows where they come from.
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-halt_on_error=1:print_stacktrace=1}

echo "fuzz_load_model: fuzzing for $seconds s with $jobs job(s); log in $work/fuzz.log"
status=0
"$work/fuzz_load_model" "${options[@]}" "$work/corpus" "$work/seeds" >"$work/fuzz.log" 2>&1 ||
  status=$?
tail -n 40 "$work/fuzz.log"

findings=$(find "$work/findings" -type f | wc -l)
if (( status != 0 || findings != 0 )); then
  echo "fuzz_load_model: FAILED (exit status $status, $findings file(s) in $work/findings)" >&2
  exit 1
fi
echo "fuzz_load_model: no findings in $seconds s"
