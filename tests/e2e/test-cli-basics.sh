# The CLI's contract: last stdout line, exit codes, validation, inspect, HITL resume.
set -u
source "$(dirname "$0")/lib.sh"
sg="$STARGRAPH"

out=$("$sg" run "$EXAMPLES/hello.yaml" --inputs message=hello); rc=$?
expect_eq "$rc" 0 "hello exit code"
expect_eq "$(echo "$out" | tail -1 | sed 's/run_id=run-[0-9a-f-]*/run_id=X/')" "run_id=X status=done" "hello last line"
[ -f .stargraph/stargraph.sqlite ] || fail "default database was not created"

run_id=$(echo "$out" | run_id_of)
steps=$("$sg" inspect "$run_id" --json | jq -r '[.steps[].node] | join(",")')
expect_eq "$steps" "node_a,node_b" "hello steps"
expect_eq "$("$sg" inspect "$run_id" --step 0 --json | jq -r '.state.message')" "hello" "message at step 0"

"$sg" run "$EXAMPLES/hello.yaml" --inputs nosuch=1 >/dev/null 2>err.txt; rc=$?
expect_eq "$rc" 2 "unknown input exit code"
grep -q "unknown input 'nosuch'" err.txt || fail "unknown input message: $(cat err.txt)"

printf 'ir_version: "1.0.0"\nid: x\nnodes:\n  - id: a\n    kind: nope\n' > bad.yaml
"$sg" validate bad.yaml 2>err.txt; rc=$?
expect_eq "$rc" 2 "validate bad exit code"
grep -q "bad.yaml:5:" err.txt || fail "validate message lacks file:line: $(cat err.txt)"
# A duration no clock can reach is refused by validate and run (exit 2), never a crash.
printf 'ir_version: "1.0.0"\nid: huge\nnodes:\n  - {id: a, kind: delay, config: {ms: 9007199254740991}}\n' > huge.yaml
"$sg" validate huge.yaml >/dev/null 2>err.txt; expect_eq "$?" 2 "validate of a huge delay"
grep -q "must be at most" err.txt || fail "huge delay message: $(cat err.txt)"
"$sg" run huge.yaml >/dev/null 2>&1; expect_eq "$?" 2 "run of a huge delay"
"$sg" validate "$EXAMPLES/hello.yaml" | grep -qE '^ok run:hello sha256:[0-9a-f]{64}$' || fail "validate ok line"
# SQLite's process settings are made at start, before any thread uses SQLite (SQLiteProcessSettings).
STARGRAPH_LOG_LEVEL=debug "$sg" validate "$EXAMPLES/hello.yaml" >/dev/null 2>err.txt
grep -q "SQLite runs in multi-thread mode with memory statistics off" err.txt || fail "SQLite settings: $(cat err.txt)"

out=$("$sg" run "$EXAMPLES/hitl-graph.yaml" --inputs message=hello --no-summary); rc=$?
expect_eq "$rc" 3 "hitl exit code"
hitl=$(echo "$out" | run_id_of)
expect_eq "$(echo "$out" | tail -1 | awk '{print $2}')" "status=awaiting_input" "hitl status"
"$sg" resume "$hitl" --response '{"reply": 42}' >/dev/null 2>err.txt; rc=$?
expect_eq "$rc" 2 "bad response exit code"
out=$("$sg" resume "$hitl" --response '{"reply": "blue"}' --no-summary); rc=$?
expect_eq "$rc" 0 "resume exit code"
expect_eq "$(echo "$out" | tail -1 | awk '{print $2}')" "status=done" "hitl after response"
expect_eq "$("$sg" inspect "$hitl" --json | jq -r '[.steps[].node] | join(",")')" "pre,post" "hitl steps"
expect_eq "$("$sg" inspect "$hitl" --json | jq -r '.state.reply')" "blue" "reply in state"

# `stargraph runs` lists the database's runs newest first, filtered; a run id it cannot find
# points there.
listed=$("$sg" runs --json)
expect_eq "$(echo "$listed" | jq -r '.total')" "2" "runs total"
expect_eq "$(echo "$listed" | jq -r '.items[0].run_id')" "$hitl" "newest run first"
expect_eq "$("$sg" runs --status awaiting_input --json | jq -r '.total')" "0" "no run awaits input"
expect_eq "$("$sg" runs --graph run:hello --json | jq -r '.items[].run_id')" "$run_id" "runs of one graph"
table=$("$sg" runs --limit 1)
expect_eq "$(echo "$table" | head -1 | awk '{print $1, $2, $3}')" "RUN_ID STATUS GRAPH" "runs table header"
echo "$table" | grep -q "^$hitl  done" || fail "runs table row: $table"
echo "$table" | grep -q "(1 of 2 runs; pass --limit to see more)" || fail "runs table footer: $table"
"$sg" runs --status bogus >/dev/null 2>&1; expect_eq "$?" 2 "runs with an unknown status"
"$sg" inspect run-does-not-exist >/dev/null 2>err.txt; expect_eq "$?" 2 "inspect of an unknown run"
grep -q "no run 'run-does-not-exist' in this database; list runs with \`stargraph runs\`" err.txt \
    || fail "unknown run message: $(cat err.txt)"
"$sg" runs --db nowhere.sqlite >/dev/null 2>err.txt; expect_eq "$?" 2 "runs on a missing database"
grep -q "pass the --db path of an existing database" err.txt || fail "missing database message: $(cat err.txt)"
# The --db value's scheme picks the store: `sqlite:` names the same file as the bare path; a
# scheme no store answers is a usage error naming the known ones, repeats no password, and
# creates nothing (a `mysql:` folder would be a path taken literally). A PostgreSQL server that
# cannot be reached is named, without the password, and nothing is created either.
expect_eq "$("$sg" runs --db "sqlite:.stargraph/stargraph.sqlite" --json | jq -r '.total')" "2" "runs through a sqlite: URL"
url=mysql://stargraph:s3cret@127.0.0.1:3306/runs
for args in "runs --db $url" "inspect $run_id --db $url" "run $EXAMPLES/hello.yaml --checkpoint $url"; do
    "$sg" $args >/dev/null 2>err.txt; expect_eq "$?" 2 "$args: exit code"
    grep -q "unknown database scheme 'mysql:'.*sqlite:.*postgresql:" err.txt || fail "unknown scheme message: $(cat err.txt)"
    grep -q "s3cret" err.txt && fail "the password was repeated: $(cat err.txt)"
done
[ -e mysql: ] && fail "an unknown scheme created a folder"
"$sg" runs --db postgresql://stargraph:s3cret@127.0.0.1:1/runs >/dev/null 2>err.txt && fail "runs on an unreachable PostgreSQL succeeded"
grep -q "cannot open the stargraph database at postgresql://stargraph@127.0.0.1:1/runs" err.txt || fail "unreachable PostgreSQL message: $(cat err.txt)"
grep -q "s3cret" err.txt && fail "the password was repeated: $(cat err.txt)"
[ -e postgresql: ] && fail "a PostgreSQL URL created a folder"
# STARGRAPH_DB names the database when no --db (or --checkpoint) is given; the flag wins.
STARGRAPH_DB=sqlite:other.sqlite "$sg" run "$EXAMPLES/hello.yaml" --inputs message=env >/dev/null || fail "run on STARGRAPH_DB"
[ -f other.sqlite ] || fail "STARGRAPH_DB did not name the database run wrote"
expect_eq "$(STARGRAPH_DB=other.sqlite "$sg" runs --json | jq -r '.total')" "1" "runs on STARGRAPH_DB"
expect_eq "$(STARGRAPH_DB=other.sqlite "$sg" runs --db .stargraph/stargraph.sqlite --json | jq -r '.total')" "2" "--db wins over STARGRAPH_DB"
STARGRAPH_DB=$url "$sg" runs >/dev/null 2>err.txt; expect_eq "$?" 2 "runs on an unknown scheme from STARGRAPH_DB"
STARGRAPH_DB=$url "$sg" runs --help 2>&1 | grep -q "s3cret" && fail "--help repeated the password of STARGRAPH_DB"

"$sg" inspect run-does-not-exist --db nowhere.sqlite >/dev/null 2>err.txt; rc=$?
expect_eq "$rc" 2 "inspect on missing db"
[ -e nowhere.sqlite ] && fail "inspect created a database"
"$sg" run --bogus-flag >/dev/null 2>&1; expect_eq "$?" 2 "usage error exit code"
printf 'plugins:\n  - name: x\n' > bad-manifest.yaml
"$sg" run "$EXAMPLES/hello.yaml" --manifest bad-manifest.yaml >/dev/null 2>err.txt; rc=$?
expect_eq "$rc" 2 "run with a bad manifest"
grep -q "bad-manifest.yaml:2:" err.txt || fail "bad manifest message lacks file:line: $(cat err.txt)"

# The host's own kinds (write_artifact, broker) are known to the CLI as to serve: validate checks
# their config, and a CLI run stores its artifact beside the database (where serve serves it).
cat > artifact.yaml <<'YAML'
ir_version: "1.0.0"
id: "cli:artifact"
nodes:
  - {id: save, kind: write_artifact, config: {name: note.txt, content_field: body, output_field: note}}
state_schema: {body: str, note: str}
rules:
  - {id: stop, when: {node: save}, then: [{kind: halt, reason: saved}]}
YAML
cat > broker.yaml <<'YAML'
ir_version: "1.0.0"
id: "cli:broker"
nodes:
  - {id: ask, kind: broker, config: {agent_id_field: agent, intent_field: intent, purpose: triage, output_field: data}}
state_schema: {agent: str, intent: str, data: dict}
rules: []
YAML
"$sg" validate artifact.yaml broker.yaml >ok.txt 2>err.txt; rc=$?
expect_eq "$rc" 0 "validate host kinds exit code ($(cat err.txt))"
expect_eq "$(wc -l < ok.txt | tr -d ' ')" 2 "validate host kinds ok lines"
sed 's/content_field: body, //' artifact.yaml > artifact-bad.yaml
"$sg" validate artifact-bad.yaml 2>err.txt; rc=$?
expect_eq "$rc" 2 "validate bad write_artifact config"
grep -q "content_field" err.txt || fail "write_artifact config error: $(cat err.txt)"
out=$("$sg" run artifact.yaml --inputs body=from-the-cli --no-summary); rc=$?
expect_eq "$rc" 0 "write_artifact run exit code"
note=$("$sg" inspect "$(echo "$out" | run_id_of)" --json | jq -r '.state.note')
expect_eq "$(cat ".stargraph/artifacts/${note#sha256:}")" "from-the-cli" "artifact content beside the database"
out=$("$sg" run broker.yaml --inputs agent=a1 --inputs intent=x --no-summary 2>&1); rc=$?
expect_eq "$rc" 1 "broker run without a nautilus config fails"
expect_eq "$("$sg" inspect "$(echo "$out" | run_id_of)" --json | jq -r '.error_class')" "BrokerUnconfigured" "broker soft-fail class"

# A command that only reads runs starts no broker: with a nautilus config found, inspect creates
# neither the broker's signing key nor its audit log.
mkdir -p config && cp "$EXAMPLES/broker/nautilus.yaml" config/
"$sg" inspect "$run_id" >/dev/null 2>err.txt || fail "inspect with a nautilus config: $(cat err.txt)"
if [ -e config/keys ] || [ -e config/audit ]; then fail "inspect started the broker: $(ls config)"; fi
exit 0
