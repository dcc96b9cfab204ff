# Stargraph Host — the README's two commands are `make serve` and `make test`.
SWIFT ?= swift
BIN = .build/debug/stargraph
RELEASE_BIN = .build-release/release/stargraph

.PHONY: deps test-deps build serve run test unit e2e bench release install uninstall

deps:
	@bash scripts/bootstrap.sh

build: deps
	$(SWIFT) build

# The release build (docs/release.md): static Swift runtime, functions placed in the order serve
# first uses them. Into .build-release/release; the benchmarks measure it.
release: deps
	bash scripts/release/build.sh

# `stargraph` on PATH: the release binary into $(PREFIX)/bin, the in-tree plugins and the default
# manifest into $(PREFIX)/lib/stargraph, where the installed binary finds them (docs/plugins.md).
PREFIX ?= /usr/local
install: release
	bash scripts/install.sh "$(PREFIX)"

uninstall:
	rm -rf "$(PREFIX)/bin/stargraph" "$(PREFIX)/lib/stargraph"

# The main job: serve the default manifest (manifests/default.yaml) on the default SQLite
# database (./.stargraph/stargraph.sqlite) at http://127.0.0.1:8000.
serve: build
	$(BIN) serve

# Run the example graph once on the default database, then inspect it.
run: build
	$(BIN) run examples/hello.yaml --inputs message=hello
	$(BIN) inspect $$($(BIN) run examples/hello.yaml --inputs message=hello --no-summary | tail -1 | awk '{print $$1}' | cut -d= -f2)

# Everything CI checks: unit and ABI tests (swift test), then end-to-end scripts on the real binary.
# Tests run one at a time: several assert real concurrency (group commit, plugin overlap), which
# needs the 2-core machine's worker threads free rather than busy with other suites. Every test is
# a Swift Testing test, so XCTest's runner (which would report "Executed 0 tests") is off.
SWIFT_TEST = $(SWIFT) test --skip-build --no-parallel --disable-xctest

# The PostgreSQL store's tests run against a throwaway cluster (scripts/with-test-postgres.sh).
test: test-deps
	$(SWIFT) build --build-tests
	bash scripts/with-test-postgres.sh sh -c '$(SWIFT_TEST) && bash tests/e2e/run-all.sh $(BIN)'

unit: test-deps
	$(SWIFT) build --build-tests
	bash scripts/with-test-postgres.sh $(SWIFT_TEST)

test-deps:
	@bash scripts/bootstrap.sh test

e2e: build test-deps
	bash scripts/with-test-postgres.sh bash tests/e2e/run-all.sh $(BIN)

# Benchmarks print figures; they assert nothing about speed.
bench: release
	.build-release/release/stargraph-bench examples
	bash scripts/bench-cold-start.sh $(RELEASE_BIN)

.PHONY: bench-serve fuzz

# Server benchmark (release build): runs/s over 8 keep-alive connections, POST latency, CPU
# per run, RSS. BENCH_BIN=path measures another build of `stargraph` instead.
bench-serve: deps
	BENCH_BIN=$(BENCH_BIN) bash scripts/bench-serve.sh

# Schemathesis against the live server's /openapi.json (not part of `make test`).
fuzz: deps
	bash scripts/fuzz-api.sh
