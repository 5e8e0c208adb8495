# taostate — two commands for a fresh machine:  `make demo`  and  `make test`.
PY ?= python3
PIP ?= $(PY) -m pip

.PHONY: help install install-test demo test test-rust test-python lint bench

help: ## list targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | sed 's/:.*## /\t/'

install: ## build the Rust core (release) and install the package with its dependencies
	$(PIP) install --quiet --upgrade pip 'maturin>=1.9.4,<2'
	$(PIP) install --quiet .

install-test: ## install the package with the test dependencies
	$(PIP) install --quiet --upgrade pip 'maturin>=1.9.4,<2'
	$(PIP) install --quiet '.[test]'

demo: install ## build a small synthetic chain, replay it from the log, show a metagraph
	$(PY) -m taostate demo

test: install-test lint test-rust test-python ## install and run every test (lint, Rust, Python)

test-rust: ## Rust core unit tests (no interpreter)
	cargo test --quiet

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
	cargo bench --bench epoch_core
