# Helpers for e2e tests: fail with a message, assert equality, pull run ids.
fail() { echo "FAIL: $*" >&2; exit 1; }
expect_eq() { [ "$1" == "$2" ] || fail "$3: expected '$2', got '$1'"; }
run_id_of() { tail -1 | awk '{print $1}' | cut -d= -f2; }
