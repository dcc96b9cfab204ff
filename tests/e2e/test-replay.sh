# `stargraph replay` and `inspect --diff` on the real binary: output contract, mutations, determinism, errors.
set -u
source "$(dirname "$0")/lib.sh"
sg="$STARGRAPH"

run_id=$("$sg" run "$EXAMPLES/pipeline.yaml" --inputs message=hello --no-summary | run_id_of)

out=$("$sg" replay "$run_id"); rc=$?
expect_eq "$rc" 0 "replay exit code"
echo "$out" | grep -qE '^cf_run_id=cf-[0-9a-f-]{36}$' || fail "replay stdout: $out"

diff=$("$sg" replay "$run_id" --diff 2>err.txt)
grep -qE '^cf_run_id=cf-' err.txt || fail "cf_run_id should go to stderr with --diff"
expect_eq "$(echo "$diff" | wc -l)" 1 "diff is one line"
expect_eq "$(echo "$diff" | jq -c '[.added_steps, .removed_steps, .state_deltas, .fact_deltas]')" '[[],[],{},{}]' "no-op diff"

cat > mutation.json <<JSON
{"state_overrides": {"message": "mutated"}, "facts_assert": [], "facts_retract": []}
JSON
diff=$("$sg" replay "$run_id" --mutation mutation.json --from-step 0 --diff 2>/dev/null)
expect_eq "$(echo "$diff" | jq -r '.state_deltas | keys | join(",")')" "0,1,2" "state_deltas steps"
expect_eq "$(echo "$diff" | jq -r '.state_deltas["0"].message.cf')" "mutated" "mutated value"

cf=$("$sg" replay "$run_id" --mutation mutation.json | head -1 | cut -d= -f2)
"$sg" inspect "$cf" | grep -q "parent  $run_id  forked at step 0" || fail "inspect shows the parent"
expect_eq "$("$sg" inspect "$cf" --json | jq -r .mutation.state_overrides.message)" "mutated" "inspect shows the mutation"
expect_eq "$("$sg" inspect "$run_id" --diff "$cf" | jq -r '.state_deltas["2"].message.parent')" "hello" "inspect --diff"

h1=$("$sg" replay "$run_id" --diff 2>/dev/null | jq -r .derived_hash)
h2=$("$sg" replay "$run_id" --diff 2>/dev/null | jq -r .derived_hash)
expect_eq "$h1" "$h2" "derived_hash is deterministic"
[ "$h1" != "$(echo "$diff" | jq -r .derived_hash)" ] || fail "a different mutation must give a different derived_hash"

runs_before=$("$sg" inspect "$run_id" --json | jq -c .)
"$sg" replay "$run_id" --from-step 3 >/dev/null 2>err.txt; expect_eq "$?" 2 "from-step past the end"
grep -q "outside run" err.txt || fail "from-step message: $(cat err.txt)"
"$sg" replay run-nope >/dev/null 2>&1; expect_eq "$?" 2 "missing run"
echo '{"state_overrides": {"nosuch": 1}}' > bad.json
"$sg" replay "$run_id" --mutation bad.json >/dev/null 2>err.txt; expect_eq "$?" 2 "bad mutation"
grep -q "nosuch" err.txt || fail "bad mutation message: $(cat err.txt)"
echo '{not json' > broken.json
"$sg" replay "$run_id" --mutation broken.json >/dev/null 2>&1; expect_eq "$?" 2 "malformed mutation file"
"$sg" replay "$run_id" --db missing.sqlite >/dev/null 2>&1; expect_eq "$?" 2 "missing database"
[ -e missing.sqlite ] && fail "replay created a database"
expect_eq "$("$sg" inspect "$run_id" --json | jq -c .)" "$runs_before" "parent unchanged"
# A fork that fails exits 1 (as `run` does) and says why on stderr; the fork is stored failed.
cat > gate.yaml <<YAML
ir_version: "1.0.0"
id: "e2e:gate"
nodes:
  - {id: check, kind: passthrough}
  - {id: refuse, kind: fail, config: {error_class: GateClosed, message: "the gate is closed"}}
  - {id: pass, kind: halt}
state_schema: {open: bool}
rules:
  - {id: closed, when: {node: check, open: false}, then: [{kind: goto, target: refuse}]}
  - {id: opened, when: {node: check, open: true}, then: [{kind: goto, target: pass}]}
YAML
gate_run=$("$sg" run gate.yaml --inputs open=true --no-summary | run_id_of)
echo '{"state_overrides": {"open": false}}' > close.json
out=$("$sg" replay "$gate_run" --mutation close.json 2>err.txt); rc=$?
expect_eq "$rc" 1 "replay exit code of a failed fork"
grep -q "the fork failed: GateClosed: " err.txt || fail "failed fork stderr: $(cat err.txt)"
gate_cf=$(echo "$out" | cut -d= -f2)
expect_eq "$("$sg" inspect "$gate_cf" --json | jq -r '.status + " " + .error_class')" "failed GateClosed" "failed fork stored"
"$sg" replay "$gate_run" >/dev/null 2>&1; expect_eq "$?" 0 "replay of the passing run"
exit 0
