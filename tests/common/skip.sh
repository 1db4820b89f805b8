#!/bin/sh
# Sourced by test scripts. skip_test MESSAGE: the test cannot run here (a tool or a document is
# missing), so it is skipped (exit 77, which ctest reports as skipped) -- or it fails when
# PTC_REQUIRE_TEST_TOOLS=1. CI sets that, so a missing tool never passes there as a skip.
skip_test() {
  if [ "${PTC_REQUIRE_TEST_TOOLS:-0}" = 1 ]; then
    echo "FAIL (PTC_REQUIRE_TEST_TOOLS=1): $*"
    exit 1
  fi
  echo "SKIP: $*"
  exit 77
}
