#!/usr/bin/env bash
# Builds the tests of ptc's HTTP layer (samplers/http: the Beast client and its connection pools,
# the HTTP backend's retries, hedging and cancellation, the circuit breaker, the fake HTTP server)
# and of admission control (service/admission) with ThreadSanitizer into build-tsan/ and runs them.
# Any report fails the run.
#
# Only this part of the suite: TSan needs every library that synchronises to be instrumented, and
# Debian's gRPC and Abseil are not (absl::Mutex and gRPC's threads would show as races that are
# not there). These parts synchronise with std::mutex and Asio strands only (header-only, so
# instrumented here), and their tests use nothing from gRPC or absl's synchronisation. What TSan
# still cannot see (absl::Status's reference count) is in tests/tsan.supp.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/install-deps.sh
launcher=()
command -v ccache >/dev/null && launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache)
# -Wno-tsan: GCC warns that std::atomic_thread_fence (used inside Boost) is not modelled by TSan.
cmake -S . -B build-tsan -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DPTC_WERROR=ON \
  -DPTC_SANITIZE=thread -DCMAKE_CXX_FLAGS=-Wno-tsan "${launcher[@]}" "$@" >/dev/null
targets=(fake_http_server_test sse_parser_test circuit_breaker_test retry_budget_test
         outlier_detector_test http_client_test http_backend_test admission_test)
cmake --build build-tsan -j "${PTC_BUILD_JOBS:-2}" --target "${targets[@]}"
cd build-tsan
export TSAN_OPTIONS="halt_on_error=1:second_deadlock_stack=1:exitcode=66:suppressions=$PWD/../tests/tsan.supp"
ctest --output-on-failure -j "${PTC_TEST_JOBS:-2}" --timeout 900 \
  -R '^(FakeHttpServerTest|SseParserTest|CircuitBreakerTest|RetryBudgetTest|OutlierDetectorTest|HttpClientTest|HttpBackendTest|HttpBackendStatusTest|AdmissionControllerTest|TenantTest|TenantRegistryTest|ValidateTenantsTest)'
