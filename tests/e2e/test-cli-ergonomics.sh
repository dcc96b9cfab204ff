# A first-time user's CLI: --version everywhere, did-you-mean for a mistyped command, file
# completion, `scripts/install.sh` (what `make install` runs) putting `stargraph` on PATH.
set -u
source "$(dirname "$0")/lib.sh"
sg="$STARGRAPH"
repo="$(cd "$EXAMPLES/.." && pwd)"

version=$("$sg" --version); rc=$?
expect_eq "$rc" 0 "--version exit code"
echo "$version" | grep -qE '^[0-9]+\.[0-9]+\.[0-9]+$' || fail "--version prints MAJOR.MINOR.PATCH: $version"

"$sg" rnu examples/hello.yaml >out.txt 2>err.txt; rc=$?
expect_eq "$rc" 2 "mistyped command exit code"
grep -q "unknown command 'rnu'; did you mean 'run'?" err.txt || fail "did-you-mean: $(cat err.txt)"
[ -s out.txt ] && fail "a mistyped command printed to stdout: $(cat out.txt)"
"$sg" replya run-x 2>err.txt; expect_eq "$?" 2 "mistyped replay exit code"
grep -q "did you mean 'replay'?" err.txt || fail "did-you-mean replay: $(cat err.txt)"
"$sg" frobnicate 2>err.txt; expect_eq "$?" 2 "unknown command exit code"
grep -q "the commands are run, resume" err.txt || fail "unknown command lists the commands: $(cat err.txt)"
"$sg" run --help >/dev/null 2>&1; expect_eq "$?" 0 "subcommand help still works"

# On a terminal, a step shows when it starts, then is rewritten with its transition and time.
if command -v script >/dev/null; then
  script -qec "$sg run $EXAMPLES/pipeline.yaml --inputs message=hi --checkpoint tty.sqlite" /dev/null >tty.txt 2>&1
  grep -qaF "$(printf '  step 0  node_a  \xe2\x80\xa6\r\033[2K  step 0  node_a  \xe2\x86\x92 goto node_b  ')" tty.txt \
    || fail "progress on a terminal: $(cat -A tty.txt | head -5)"
  grep -qaE "step 2  node_c  .* halt .*  [0-9]+ ms" tty.txt || fail "progress shows elapsed time: $(cat -A tty.txt | head -5)"
fi
"$sg" run "$EXAMPLES/pipeline.yaml" --inputs message=hi --checkpoint pipe.sqlite >/dev/null 2>pipe.txt
grep -q "step 0" pipe.txt && fail "progress printed when stderr is not a terminal: $(cat pipe.txt)"

# Each default is stated once in help.
for command in run replay serve inspect; do
  "$sg" "$command" --help >help.txt 2>&1
  grep -E '\(default: [^)]*\).*\(default:' help.txt && fail "$command --help states a default twice"
done

# Completion scripts complete files for the graph, --manifest, --db and --mutation.
"$sg" --generate-completion-script bash >completion.bash || fail "no bash completion script"
for option in --manifest --db --mutation; do
  grep -A2 "'$option')" completion.bash | grep -q -- "-f" || fail "bash completion of $option does not complete files"
done
"$sg" --generate-completion-script zsh | grep -q ':graph:_files' || fail "zsh completion of the graph argument"

# The installed layout: stargraph on PATH finds its plugins and manifest beside it.
bash "$repo/scripts/install.sh" "$PWD/prefix" "$(dirname "$sg")" >install.log 2>&1 || fail "install: $(cat install.log)"
[ -x prefix/bin/stargraph ] || fail "no prefix/bin/stargraph: $(ls -R prefix)"
expect_eq "$(PATH="$PWD/prefix/bin:$PATH" stargraph --version)" "$version" "installed --version"
# A user's project folder with its own copy of the default manifest: the bare library names
# resolve beside the installed binary, not from this repository's build.
mkdir project && cp -r "$repo/manifests" "$repo/examples" project/ && cd project || fail "no project folder"
PATH="$OLDPWD/prefix/bin:$PATH" stargraph plugins >plugins.txt 2>&1 || fail "installed plugins: $(cat plugins.txt)"
grep -q "prefix/lib/stargraph/libStargraphHello.so" plugins.txt || fail "installed plugins not loaded from the prefix: $(cat plugins.txt)"
PATH="$OLDPWD/prefix/bin:$PATH" stargraph run demo:greet-and-shout --inputs name=ada --no-summary >run.txt 2>&1 \
  || fail "installed run: $(cat run.txt)"
cd "$OLDPWD" || fail "cd back"

# /health and /openapi.json report the same version; HEAD answers like GET without a body.
"$sg" serve --port 0 --db serve.sqlite 2>serve.log & serve_pid=$!
await_serve
expect_eq "$(curl -sS "$base/health" | jq -r .version)" "$version" "/health version"
expect_eq "$(curl -sS "$base/openapi.json" | jq -r .info.version)" "$version" "openapi info.version"
head=$(curl -sS -I "$base/v1/runs" -o /dev/null -w '%{http_code} %{size_download}')
expect_eq "$head" "200 0" "HEAD /v1/runs"
problem=$(curl -sS "$base/v1/runs?limt=1")
expect_eq "$(echo "$problem" | jq -r .type)" "tag:stargraph.dev,2026:problem/unknown-query-parameter" "unknown query parameter type"
kill "$serve_pid"; wait "$serve_pid" 2>/dev/null
exit 0
