# make demo   set everything up from scratch and run the demo curriculum
# make test   set everything up and run every Go and Python test
SHELL := /bin/bash
GO ?= go
export HF_HUB_OFFLINE := 1
export TRANSFORMERS_OFFLINE := 1
PY := .venv/bin/python

.PHONY: setup setup-gpu setup-encoders venv build demo smoke test test-go test-py lock clean

setup: build venv

# The worker's environment: created once per machine in a cache folder keyed
# by worker/requirements.lock and linked to .venv (see worker/setup_venv.sh).
venv:
	@bash worker/setup_venv.sh

# QLoRA (model.quantize: nf4) on a CUDA machine also needs bitsandbytes.
setup-gpu: setup
	$(PY) -m pip install --quiet -r worker/requirements-gpu.txt

# The larger encoder some scorer configs fine-tune (configs/scorers-mpnet.yaml).
setup-encoders: setup
	$(PY) -m pip install --quiet -r worker/requirements-encoders.txt

build:
	$(GO) build -o bin/pixel ./cmd/pixel

demo: setup
	./bin/pixel run

smoke: setup
	./bin/pixel run --config configs/smoke.yaml

test: setup test-go test-py

test-go:
	$(GO) vet ./...
	$(GO) test -timeout 30m ./...

test-py:
	PYTHONPATH=worker $(PY) -m pytest worker/tests -q

# Regenerate the full lock from worker/requirements.txt (needs the network).
lock:
	rm -rf /tmp/pixel-lock && python3 -m venv /tmp/pixel-lock
	/tmp/pixel-lock/bin/pip install -q -r worker/requirements.txt
	/tmp/pixel-lock/bin/pip freeze > worker/requirements.lock

clean:
	rm -rf bin runs .venv
