#!/usr/bin/env bash
# Builds the libFuzzer targets (tests/fuzz/, see docs/fuzzing.md) with clang, AddressSanitizer and
# UndefinedBehaviorSanitizer into build-fuzz/, then runs each fuzzer for SECONDS (default 60) on a
# scratch copy of its seed corpus under build-fuzz/fuzz-runs/ (the corpus in the repo is never
# written). Any crash, leak, timeout, out-of-memory or sanitizer report fails the run: the fuzzer
# and its reproducer are named, and the remaining fuzzers still run.
# Usage: scripts/fuzz.sh [SECONDS]
#   PTC_FUZZERS="sse_parser extract"  runs only those (default: every tests/fuzz/*_fuzzer.cc)
#   PTC_BUILD_JOBS                     build jobs (default 2)
#   PTC_FUZZ_JOBS                      fuzzers run at once (default 2)
set -euo pipefail
cd "$(dirname "$0")/.."
seconds="${1:-60}"
if ! [[ "$seconds" =~ ^[1-9][0-9]*$ ]]; then
  echo "usage: scripts/fuzz.sh [SECONDS]" >&2
  exit 2
fi
start=$(date +%s)

./scripts/install-deps.sh --fuzz
launcher=()
# ccache is optional: used when present, never installed here.
command -v ccache >/dev/null && launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache)
# PTC_SANITIZE instruments all of ptc's code (coverage for libFuzzer, ASan, UBSan); the fuzzers
# alone link libFuzzer (tests/fuzz/CMakeLists.txt).
cmake -S . -B build-fuzz -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_CXX_COMPILER=clang++ \
  -DPTC_FUZZ=ON -DPTC_BUILD_TESTS=OFF -DPTC_SANITIZE=fuzzer-no-link,address,undefined \
  "${launcher[@]}" >/dev/null
cmake --build build-fuzz -j "${PTC_BUILD_JOBS:-2}" --target ptc_fuzzers

if [ -n "${PTC_FUZZERS:-}" ]; then
  read -r -a fuzzers <<<"$PTC_FUZZERS"
else
  fuzzers=()
  for src in tests/fuzz/*_fuzzer.cc; do
    name=$(basename "$src")
    fuzzers+=("${name%_fuzzer.cc}")
  done
fi

# UBSan does not recover (-fno-sanitize-recover=undefined); libFuzzer saves the input of any report.
export ASAN_OPTIONS=detect_leaks=1:halt_on_error=1
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
# Runs one fuzzer to completion; its exit code goes to $run/exit.
fuzz_one() {
  local name=$1 binary="build-fuzz/tests/fuzz/${1}_fuzzer" run="build-fuzz/fuzz-runs/$1" code=0
  local args=(-max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1
              -artifact_prefix="$run/artifacts/")
  if [ -f "tests/fuzz/$name.dict" ]; then args+=(-dict="tests/fuzz/$name.dict"); fi
  "$binary" "${args[@]}" "$run/corpus" >"$run/log" 2>&1 || code=$?
  echo "$code" >"$run/exit"
}

# libFuzzer runs one process on one core, so PTC_FUZZ_JOBS fuzzers (default 2, the cores of the
# reference machine) run at once; each still gets its full SECONDS.
jobs="${PTC_FUZZ_JOBS:-2}"
for name in "${fuzzers[@]}"; do
  run="build-fuzz/fuzz-runs/$name"
  rm -rf "$run"
  mkdir -p "$run/corpus" "$run/artifacts"
  if [ -d "tests/fuzz/corpus/$name" ]; then cp -R "tests/fuzz/corpus/$name/." "$run/corpus/"; fi
  echo "fuzz: $name for ${seconds}s (log: $run/log)"
  while [ "$(jobs -rp | wc -l)" -ge "$jobs" ]; do wait -n || true; done
  fuzz_one "$name" &
done
wait

failed=()
for name in "${fuzzers[@]}"; do
  binary="build-fuzz/tests/fuzz/${name}_fuzzer"
  run="build-fuzz/fuzz-runs/$name"
  code=$(cat "$run/exit" 2>/dev/null || echo "unknown")
  if [ "$code" = 0 ]; then
    runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$run/log")
    rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$run/log")
    cov=$(grep -o 'DONE *cov: [0-9]*' "$run/log" | grep -o '[0-9]*$' || true)
    echo "fuzz: $name ok: ${runs:-?} runs, ${rate:-?} exec/s, coverage ${cov:-?} edges"
  else
    failed+=("$name")
    echo "fuzz: $name FAILED (exit $code); the report:"
    # From the first line of the report on; the progress lines before it say nothing.
    first=$(grep -n -m1 -E 'ERROR: (AddressSanitizer|LeakSanitizer|libFuzzer)|runtime error:|invariant violated|ALARM: working on the last Unit|out-of-memory' "$run/log" | cut -d: -f1 || true)
    sed -n "${first:-1},\$p" "$run/log" | head -n 80 | sed 's/^/  /'
    for artifact in "$run/artifacts"/*; do
      [ -e "$artifact" ] || continue
      echo "fuzz: $name reproducer: $artifact (run: $binary $artifact)"
    done
  fi
done

echo "fuzz: ${#fuzzers[@]} fuzzers, ${seconds}s each, $(($(date +%s) - start))s in all"
if [ ${#failed[@]} -gt 0 ]; then
  echo "fuzz: FAILED: ${failed[*]}" >&2
  exit 1
fi
