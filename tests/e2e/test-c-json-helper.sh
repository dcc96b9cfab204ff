# stargraph_json.h, the header-only JSON helper for C plugins: the header compiles warning-free
# on its own (as Swift's Clang importer reads it), and tests/c/json_helper_test.c builds with
# -Werror and passes, under ASan/UBSan when the compiler has them. Needs no stargraph binary.
set -u
source "$(dirname "$0")/lib.sh"
repo="$(cd "$EXAMPLES/.." && pwd)"
include="$repo/Sources/PluginABI/include"
command -v cc >/dev/null || fail "no C compiler (cc) on PATH"

# The header alone, strict, with every compiler at hand (C11 and C++, as it promises both).
if command -v clang >/dev/null; then
  clang -fsyntax-only -Wall -Wextra -Wpedantic -Werror -std=c11 "$include/stargraph_json.h" \
    || fail "clang: stargraph_json.h is not warning-free C11"
  clang -fsyntax-only -Wall -Wextra -Wpedantic -Werror -std=c++17 -x c++-header "$include/stargraph_json.h" \
    || fail "clang: stargraph_json.h is not warning-free C++"
fi
cc -fsyntax-only -Wall -Wextra -Wpedantic -Werror -std=c11 "$include/stargraph_json.h" \
  || fail "cc: stargraph_json.h is not warning-free C11"

# Sanitizers when this compiler can build and run a program with them.
printf '#include <stdlib.h>\nint main(void) { char *p = malloc(4); p[0] = 0; int r = p[0]; free(p); return r; }\n' > probe.c
sanitize=()
if cc -fsanitize=address,undefined probe.c -o probe >/dev/null 2>&1 && ./probe >/dev/null 2>&1; then
  sanitize=(-O1 -g -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer)
else
  echo "note: cc cannot build with -fsanitize=address,undefined here; testing without sanitizers"
fi

flags=(-std=c11 -Wall -Wextra -Werror -I "$include")
cc "${flags[@]}" -O2 "$repo/tests/c/json_helper_test.c" -o json_helper_test \
  || fail "tests/c/json_helper_test.c did not build (-O2)"
./json_helper_test || fail "json_helper_test failed (-O2 build)"
if [ ${#sanitize[@]} -gt 0 ]; then
  cc "${flags[@]}" "${sanitize[@]}" "$repo/tests/c/json_helper_test.c" -o json_helper_test_san \
    || fail "tests/c/json_helper_test.c did not build with sanitizers"
  ./json_helper_test_san \
    || fail "json_helper_test failed under ASan/UBSan"
fi
exit 0
