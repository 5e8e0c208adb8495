# taostate — two commands for a fresh machine:  `make demo`  and  `make test`.
PY ?= python3
PIP ?= $(PY) -m pip

.PHONY: help install install-test demo test test-rust test-python lint bench pictures refdiff

help: ## list targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | sed 's/:.*## /\t/'

install: ## build the Rust core (release) and install the package with its dependencies
	$(PIP) install --quiet --upgrade pip 'maturin>=1.9.4,<2'
	$(PIP) install --quiet .

install-test: ## install the package with the test dependencies and the optional extras (frames, plot, dask, the bittensor SDK)
	$(PIP) install --quiet --upgrade pip 'maturin>=1.9.4,<2'
	$(PIP) install --quiet '.[test,frames,plot,dask,bittensor]'

demo: install ## build a small synthetic chain, replay it from the log, show a metagraph
	$(PY) -m taostate demo

test: install-test lint test-rust test-python ## install and run every test (lint, Rust, Python)

test-rust: ## Rust core unit tests (no interpreter), then the epoch's on the AVX2 kernels
	cargo test --quiet
	@# valgrind's virtual CPU has AVX2 but no AVX-512: the same epoch tests then run the kernels'
	@# AVX2 versions and portable fallbacks, which an AVX-512 machine never executes.
	@if command -v valgrind >/dev/null; then \
	  CARGO_TARGET_X86_64_UNKNOWN_LINUX_GNU_RUNNER="valgrind --tool=none -q --error-exitcode=1" \
	    cargo test --quiet --release --lib yuma; \
	else echo "NOT RUN: the AVX2 kernel tests need valgrind (apt install valgrind)"; fi

test-python: ## Python tests (pytest + hypothesis, profile from HYPOTHESIS_PROFILE, default ci)
	cd tests && $(PY) -m pytest -q -p no:cacheprovider .

lint: ## formatting, clippy, mypy, stub check
	cargo fmt --all -- --check
	cargo clippy --all-targets -- -D warnings
	cargo clippy --all-targets --features python -- -D warnings
	$(PY) -m mypy
	$(PY) -m mypy.stubtest taostate._core

bench: install ## benchmarks (see bench/README.md)
	$(PY) bench/bench_replay.py
	$(PY) bench/bench_epoch.py
	$(PIP) install --quiet 'polars>=1.0'  # bench_frames.py needs the frames extra
	$(PY) bench/bench_frames.py
	cargo bench --bench epoch_core

pictures: ## redraw the README's pictures (docs/*.png) from the demo chain (needs taostate[plot])
	@d=$$(mktemp -d) && $(PY) -m taostate synth $$d/chain --subnets 4 --uids 32 --blocks 2000 --seed 7 --json \
	  && $(PY) -m taostate whatif $$d/chain --at 1000 --set 1.kappa=50000 --blocks 1000 --plot docs/whatif-kappa.png \
	  && $(PY) -m taostate plot $$d/chain history --netuid 1 --field dividends -o docs/history-dividends.png; \
	  rc=$$?; rm -rf $$d; exit $$rc

# Differential run against the reference chain's own pallet (README "Differential testing against
# the reference"); needs a checkout of opentensor/subtensor at f7b34e3ac8a3, so not part of `test`.
REFDIFF_ARGS ?= --random 6000 --max-blocks 12 --max-txs 8 --synth 40 --synth-blocks 400 --seed 1
refdiff: ## compare taostate with the reference pallet: make refdiff REF=path/to/subtensor
	@test -n "$(REF)" || (echo "usage: make refdiff REF=path/to/subtensor-checkout" && exit 2)
	grep -q 'pallets/collective"]' $(REF)/Cargo.toml 2>/dev/null || $(PY) tools/refdiff/prepare.py $(REF)
	cp tools/refdiff/harness.rs $(REF)/pallets/subtensor/tests/refdiff.rs
	cd $(REF) && cargo test -p pallet-subtensor --test refdiff --no-run -j 2
	$(PY) tools/refdiff/refdiff.py run --ref $(REF) $(REFDIFF_ARGS)
