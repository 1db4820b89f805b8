#!/usr/bin/env bash
# Builds with ThreadSanitizer (into build-tsan/, or $PTC_TSAN_BUILD_DIR) and runs the tests of
# every part of ptc whose synchronisation TSan can see. Any report fails the run.
#
#   - the HTTP layer (samplers/http: the Beast client and its connection pools, the HTTP backend's
#     retries, hedging and cancellation, the circuit breaker, retry budget, outlier detection, the
#     SSE parser, the fake HTTP server) and the Anthropic and OpenAI backends on top of it (against
#     fake servers and against ptc-simulator over loopback);
#   - ptc-simulator and ptc-fake-backend (Asio/Beast servers);
#   - admission control and tenants (service/admission);
#   - the Run (service/run.cc: fan-out, stop rules, ledger, cancel and drain) driven directly,
#     many at once on several io threads, without gRPC (tests/service/run_test.cc);
#   - the aggregators and stop rules, the learned scorer and its model store (background reloads),
#     thinking policies and their store, the simulated model, and common/ (token bucket, dataset).
#
# These synchronise with std::mutex / std::condition_variable (pthread, intercepted by TSan) and
# Asio strands (header-only, so instrumented here). TSan needs every library that synchronises to
# be instrumented, and Debian's gRPC, protobuf and Abseil are not. So these are left out:
#   - the gRPC service tests (tests/service: service, tls, access, drain, usc, fault suite, auto
#     compute) and everything that runs a server in-process (bench/eval, service/client): gRPC
#     hands calls, messages and reactors between its threads through completion queues and
#     absl-based locks inside libgrpc, so TSan reports hundreds of races per test in protobuf
#     parsing, gRPC headers and ptc's reactors that gRPC orders (only broad suppressions would
#     silence them).
# Tests hand results to the test thread with std primitives (tests/common/test_notification.h),
# not absl::Notification, whose Notify/Wait live in the uninstrumented libabsl_synchronization.
# What TSan still cannot see in the tests that run (absl::Status's reference count) is in
# tests/tsan.supp.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/install-deps.sh
build="${PTC_TSAN_BUILD_DIR:-build-tsan}"
launcher=()
command -v ccache >/dev/null && launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache)
# -Wno-tsan: GCC warns that std::atomic_thread_fence (used inside Boost) is not modelled by TSan.
cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DPTC_WERROR=ON \
  -DPTC_SANITIZE=thread -DCMAKE_CXX_FLAGS=-Wno-tsan "${launcher[@]}" "$@" >/dev/null
targets=(
  # the two longest first (under TSan: sim_model_test about 60 s, simulator_test about 20 s), so
  # that the two-at-a-time run below does not end on one of them alone
  sim_model_test simulator_test
  # HTTP layer and the backends on it
  fake_http_server_test sse_parser_test circuit_breaker_test retry_budget_test
  outlier_detector_test http_client_test http_backend_test anthropic_backend_test
  openai_backend_test openai_fake_server_test openai_simulator_test
  # Asio servers: ptc-simulator (simulator_test, above), ptc-fake-backend
  fake_backend_test
  # admission and tenants; Runs without gRPC
  admission_test run_test
  # aggregators, stop rules, learned scorer and model store, thinking policies, simulated model
  tally_test majority_test stop_rules_test confidence_test verifier_test usc_test extract_test
  learned_test compute_test sim_backend_test
  # common: token bucket, dataset, CSV, flags
  common_test
)
cmake --build "$build" -j "${PTC_BUILD_JOBS:-2}" --target "${targets[@]}"
export TSAN_OPTIONS="halt_on_error=1:second_deadlock_stack=1:exitcode=66:suppressions=$PWD/tests/tsan.supp"
# XGBoost parallelises inside libxgboost with OpenMP, and Debian's libgomp is not instrumented:
# its barriers are invisible, so a model load would show races between XGBoost's own worker
# threads and the caller. One OpenMP thread runs those regions on the caller (ptc predicts with
# nthread = 1 anyway).
export OMP_NUM_THREADS=1
# Each binary whole (its cases in one process, as in the plain suite), two at a time; a failing
# binary's output is printed.
for t in "${targets[@]}"; do
  find "$build/tests" -type f -name "$t" -perm -u+x | grep -q . || { echo "no binary $t" >&2; exit 1; }
done
printf '%s\n' "${targets[@]}" | xargs -P "${PTC_TEST_JOBS:-2}" -I{} bash -c '
  bin=$(find "$1/tests" -type f -name "$2" -perm -u+x | head -1)
  log=$(mktemp)
  start=$SECONDS
  if (cd "$(dirname "$bin")" && timeout 900 "./$2" --gtest_brief=1) >"$log" 2>&1; then
    echo "ok   $2 ($((SECONDS - start)) s)"
    rm -f "$log"
  else
    cat "$log"
    echo "FAIL $2" >&2
    rm -f "$log"
    exit 255
  fi' _ "$build" {}
echo "ThreadSanitizer: ${#targets[@]} test binaries passed"
