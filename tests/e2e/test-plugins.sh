# Plugins end to end on the real binary: listing, graph ids, runs of plugin graphs, recorded
# host effects, manifest errors, sha256 pins, and the default-manifest lookup.
set -u
source "$(dirname "$0")/lib.sh"
sg="$STARGRAPH"
manifest="$EXAMPLES/../manifests/default.yaml"
build="$(dirname "$sg")"

out=$("$sg" plugins --manifest "$manifest"); rc=$?
expect_eq "$rc" 0 "plugins exit code"
echo "$out" | grep -q "^hello 1.0.0  abi 1.0$" || fail "hello not listed: $out"
echo "$out" | grep -q "^text 1.0.0  abi 1.0$" || fail "text not listed: $out"
echo "$out" | grep -q "kinds   hello.greet (pure), hello.stamp (side_effecting)" || fail "hello kinds: $out"
echo "$out" | grep -qE "^  sha256  [0-9a-f]{64}$" || fail "sha256 line: $out"
expect_eq "$("$sg" plugins --manifest "$manifest" --json | jq -r '[.plugins[].name] | join(",")')" "hello,text,demo" "plugin order"
expect_eq "$("$sg" plugins --manifest "$manifest" --json | jq -r '.plugins[2].graphs[0]')" "demo:greet-and-shout" "graph-only plugin"

ids=$("$sg" graphs --manifest "$manifest" | awk '{print $1}' | tr '\n' ' ')
expect_eq "$ids" "demo:greet-and-shout hello:greet-and-stamp run:hello-stargraph text:shout " "graph ids"
"$sg" graphs --manifest "$manifest" | grep -qE '^text:shout  sha256:[0-9a-f]{64}  plugin:text$' || fail "graphs line format"

# A graph of the graph-only plugin, using the Swift and the C plugin's kinds.
out=$("$sg" run --manifest "$manifest" demo:greet-and-shout --inputs name=Ada --no-summary); rc=$?
expect_eq "$rc" 0 "demo run exit code"
run_id=$(echo "$out" | run_id_of)
expect_eq "$("$sg" inspect "$run_id" --step 2 --json | jq -r '.state.shout')" "HI, ADA!!!" "shouted greeting"
step=$("$sg" inspect "$run_id" --step 3 --json)
expect_eq "$(echo "$step" | jq -r '.node')" "stamp" "step 3 node"
expect_eq "$(echo "$step" | jq -r '[.effects[].op] | join(",")')" "now,random,uuid" "recorded effects"
expect_eq "$(echo "$step" | jq -r '.effects[0].value == .state.stamped_ms and .effects[2].value == .state.ticket')" "true" "effects match state"

# A manifest graph by id, and a plain file path still work with a manifest.
"$sg" run --manifest "$manifest" run:hello-stargraph --inputs message=hi --no-summary | tail -1 | grep -q "status=done" || fail "manifest graph by id"
"$sg" run --manifest "$manifest" "$EXAMPLES/hello.yaml" --inputs message=hi --no-summary | tail -1 | grep -q "status=done" || fail "file graph with manifest"
"$sg" run --manifest "$manifest" no:such-graph >/dev/null 2>err.txt; expect_eq "$?" 2 "unknown graph id exit code"

# A plugin node failing fails the run (exit 1), not the process.
printf 'ir_version: "1.0.0"\nid: t\nnodes: [{id: n, kind: hello.greet}]\nstate_schema: {greeting: str}\n' > noname.yaml
out=$("$sg" run --manifest "$manifest" noname.yaml --json); rc=$?
expect_eq "$rc" 1 "failing plugin node exit code"
expect_eq "$(echo "$out" | head -1 | jq -r '.error_class')" "PluginError" "error class"

# Manifest errors are usage errors with file:line:column.
printf 'plugins:\n  - name: x\n    libary: y.so\n' > bad.yaml
"$sg" plugins --manifest bad.yaml >/dev/null 2>err.txt; rc=$?
expect_eq "$rc" 2 "bad manifest exit code"
grep -q "bad.yaml:3:5: unknown key 'libary'" err.txt || fail "bad manifest message: $(cat err.txt)"

# A wrong pin is refused before the library is opened; the right pin loads.
lib="$build/libStargraphText.so"
printf 'plugins: [{name: text, library: %s, sha256: %s}]\n' "$lib" "$(printf '0%.0s' {1..64})" > pinned.yaml
"$sg" run --manifest pinned.yaml text:shout >/dev/null 2>err.txt; rc=$?
expect_eq "$rc" 2 "pin mismatch exit code"
grep -q "plugin 'text' ($lib): sha256 mismatch" err.txt || fail "pin mismatch message: $(cat err.txt)"
printf 'plugins: [{name: text, library: %s, sha256: %s}]\n' "$lib" "$(sha256sum "$lib" | cut -d' ' -f1)" > pinned.yaml
"$sg" run --manifest pinned.yaml text:shout --inputs message=pinned --no-summary | tail -1 | grep -q "status=done" || fail "pinned run"

# Without --manifest, ./manifests/default.yaml is used when it exists (libraries found in the
# build folder); without it, only built-ins.
"$sg" graphs 2>err.txt | grep -q . && fail "graphs without a manifest should list nothing"
mkdir -p manifests && echo 'plugins: [{name: text, library: libStargraphText.so}]' > manifests/default.yaml
expect_eq "$("$sg" graphs | awk '{print $1}')" "text:shout" "default manifest lookup"
exit 0
