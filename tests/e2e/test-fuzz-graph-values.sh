# Fuzz: graphs whose durations and counts take extreme and malformed values (huge integers, 2^53
# and 2^64 neighbours, negatives, fractions, infinities, NaN, hex, strings, lists) in every
# numeric field (`delay` ms, interrupt timeout, retry backoff_ms and max_attempts, max_steps).
# `validate` never crashes: exit 0, or 2 naming file:line:column. Every graph it accepts runs
# without a crash (a run may wait on a long delay: it is stopped after 1 s).
set -u
source "$(dirname "$0")/lib.sh"
sg="$STARGRAPH"

python3 - <<'EOF'
import random
random.seed(20261203)
values = ["0", "-1", "1", "3", "0.5", "1.5e3", "2147483647", "2147483648", "9007199254740991",
          "9007199254740993", "9223372036854775807", "9223372036854775808", "18446744073709551616",
          "1e308", "1e309", "-1e309", ".inf", "-.inf", ".nan", "0x10", "1_000", "'12'", "''", "null",
          "[1]", "{a: 1}", "true", "9" * 400, "2592000000", "2592000", "2592001", "-0"]
fields = ["delay_ms", "timeout", "backoff_ms", "max_attempts", "max_steps"]
valid = ["0", "1", "3", "2592000", "1_000", "9007199254740991"]
for number in range(160):
    chosen = {field: random.choice(values + valid) for field in random.sample(fields, random.randint(1, 2))}
    delay = chosen.get("delay_ms", "5")
    lines = ['ir_version: "1.0.0"', f'id: "fuzz:g{number}"']
    if "max_steps" in chosen: lines.append(f"max_steps: {chosen['max_steps']}")
    lines += ["nodes:", f"  - {{id: wait, kind: delay, config: {{ms: {delay}}}}}", "  - {id: done, kind: halt}",
              "state_schema:", "  reply: str", "rules:"]
    if "backoff_ms" in chosen or "max_attempts" in chosen:
        retry = ["kind: retry", "target: wait"]
        if "backoff_ms" in chosen: retry.append(f"backoff_ms: {chosen['backoff_ms']}")
        if "max_attempts" in chosen: retry.append(f"max_attempts: {chosen['max_attempts']}")
        then = "{" + ", ".join(retry) + "}"
    elif "timeout" in chosen:
        then = "{kind: interrupt, prompt: p, timeout: " + chosen["timeout"] + "}"
    else:
        then = "{kind: goto, target: done}"
    lines += ["  - {id: route, when: {node: wait}, then: [" + then + "]}"]
    open(f"g{number}.yaml", "w").write("\n".join(lines) + "\n")
EOF

accepted=0; refused=0
for graph in g*.yaml; do
  "$sg" validate "$graph" >out.txt 2>err.txt; rc=$?
  case "$rc" in
    0) accepted=$((accepted + 1))
       timeout -k 2 1 "$sg" run "$graph" --checkpoint fuzz.sqlite --no-summary >run.txt 2>&1; run_rc=$?
       # 0 done, 1 failed, 3 waiting; 124 is the 1 s stop of a run that waits on a long delay.
       case "$run_rc" in 0|1|3|124) ;; *) fail "run of $graph exited $run_rc: $(cat "$graph") $(tail -3 run.txt)" ;; esac ;;
    2) refused=$((refused + 1))
       grep -qE "^$graph:[0-9]+:[0-9]+: " err.txt || fail "validate refused $graph without file:line:column: $(cat err.txt)" ;;
    *) fail "validate of $graph exited $rc (a crash?): $(cat "$graph") $(cat err.txt)" ;;
  esac
done
echo "fuzzed 160 graphs: $accepted accepted and run, $refused refused with file:line:column"
[ "$accepted" -gt 10 ] && [ "$refused" -gt 10 ] || fail "the fuzz did not reach both outcomes ($accepted accepted, $refused refused)"
exit 0
