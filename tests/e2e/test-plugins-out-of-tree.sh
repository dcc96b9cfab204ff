# docs/plugins.md for real: the Swift and C walkthroughs' code blocks (marked `file:`) are
# written to a temp folder, built out of tree, pinned in a manifest, loaded and run.
set -u
source "$(dirname "$0")/lib.sh"
sg="$STARGRAPH"
repo="$(cd "$EXAMPLES/.." && pwd)"
work="$(pwd)"

# Extract every ```swift / ```c block whose first two lines name a file.
awk -v root="$work" '
  /^```(swift|c)$/ { inside = 1; count = 0; body = ""; file = ""; next }
  /^```$/ && inside {
    if (file != "") { path = root "/" file; dir = path; sub(/\/[^\/]*$/, "", dir); system("mkdir -p \"" dir "\""); printf "%s", body > path; close(path) }
    inside = 0; next
  }
  inside {
    count++
    if (count <= 2 && match($0, /file: [^ ]+/)) { file = substr($0, RSTART + 6, RLENGTH - 6) }
    body = body $0 "\n"
  }' "$repo/docs/plugins.md"
[ -f Package.swift ] && [ -f Sources/Wordplay/Wordplay.swift ] && [ -f upper.c ] || fail "walkthrough files not extracted: $(ls -R)"

# Swift, as the docs say: only the path placeholder is replaced, by a clone under another name
# (the dependency's identity is the SDK folder's, not the clone's).
ln -s "$repo" "$work/my-stargraph-checkout"
sed -i "s|/path/to/stargraph-host|$work/my-stargraph-checkout|" Package.swift
swift build --scratch-path "$work/.scratch" >build.log 2>&1 || { tail -30 build.log; fail "out-of-tree Swift plugin did not build"; }
swift_lib="$work/.scratch/debug/libWordplay.so"
[ -f "$swift_lib" ] || fail "no $swift_lib"
# The SDK package alone: no remote package resolved or checked out.
packages=$(swift package --scratch-path "$work/.scratch" show-dependencies --format json | jq '[.. | objects | .identity? // empty] | unique | length')
echo "out-of-tree Swift plugin: $packages packages (itself and the SDK), build folder $(du -sh "$work/.scratch" | cut -f1)"
expect_eq "$packages" 2 "packages resolved by the out-of-tree plugin"
[ -d "$work/.scratch/checkouts" ] && [ -n "$(ls -A "$work/.scratch/checkouts")" ] && fail "remote packages checked out: $(ls "$work/.scratch/checkouts")"
nm -D "$swift_lib" | grep -q " T stargraph_plugin_v1$" || fail "entry symbol not exported"
nm -D "$swift_lib" | grep -qi "StargraphHost" && fail "the plugin links the host library"

# C: one header, one compiler call.
cc -shared -fPIC -O2 -I "$repo/Sources/PluginABI/include" upper.c -o libupper.so || fail "C plugin did not build"

cat > plugins.yaml <<YAML
plugins:
  - name: wordplay
    library: $swift_lib
    sha256: $(sha256sum "$swift_lib" | cut -d' ' -f1)
  - name: upper
    library: libupper.so
    sha256: $(sha256sum libupper.so | cut -d' ' -f1)
YAML
out=$("$sg" plugins --manifest plugins.yaml); rc=$?
expect_eq "$rc" 0 "plugins exit code"
echo "$out" | grep -q "kinds   wordplay.reverse (pure), wordplay.dice (side_effecting)" || fail "wordplay kinds: $out"
echo "$out" | grep -q "kinds   upper.ping (side_effecting)" || fail "upper kinds: $out"

out=$("$sg" run --manifest plugins.yaml wordplay:reverse --inputs text=stargraph --no-summary); rc=$?
expect_eq "$rc" 0 "Swift plugin graph exit code"
run_id=$(echo "$out" | run_id_of)
expect_eq "$("$sg" inspect "$run_id" --step 1 --json | jq -r '.state.reversed')" "hpargrats" "reversed text"
roll=$("$sg" inspect "$run_id" --step 1 --json | jq -r '.state.roll')
[ "$roll" -ge 1 ] && [ "$roll" -le 20 ] || fail "roll out of range: $roll"
expect_eq "$("$sg" inspect "$run_id" --step 1 --json | jq -r '.effects[0].op')" "random" "dice randomness recorded"

out=$("$sg" run --manifest plugins.yaml upper:ping --inputs text=stargraph --no-summary); rc=$?
expect_eq "$rc" 0 "C plugin graph exit code"
step=$("$sg" inspect "$(echo "$out" | run_id_of)" --step 0 --json)
expect_eq "$(echo "$step" | jq -r '.effects[0].op')" "now" "C plugin clock recorded"
expect_eq "$(echo "$step" | jq -r '(.effects[0].value | tostring) == .state.pong')" "true" "pong is the recorded time"
expect_eq "$(echo "$step" | jq -r '.state.upper')" "STARGRAPH" "C plugin read text and wrote upper (stargraph_json.h)"
exit 0
