# Two commands a new user needs: `make demo` and `make test` (see README).
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
DEMO   := .stale-demo
# torch first, pinned to the CPU build: anything that pulls in sentence-transformers
# afterwards finds it satisfied instead of downloading CUDA wheels.
TORCH  := torch==2.13.0

.PHONY: install demo test lint typecheck unit clean bench-filter bench-embed bench-quality bench-scale fuzz-long

install: $(STAMP)

# pip's log goes to a file and is shown only when the install fails.
$(STAMP): pyproject.toml
	@echo "installing into $(VENV) (first time: about 2 minutes)"
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	@$(BIN)/pip install --disable-pip-version-check $(TORCH) > $(VENV)/pip.log 2>&1 \
		|| { tail -n 40 $(VENV)/pip.log; exit 1; }
	@$(BIN)/pip install --disable-pip-version-check -e '.[embed,dev]' >> $(VENV)/pip.log 2>&1 \
		|| { tail -n 40 $(VENV)/pip.log; exit 1; }
	@touch $(STAMP)

demo: $(STAMP)
	@$(BIN)/python examples/acme/build.py $(DEMO)
	@echo "== stale scan (exit code 1 means: stale pages found) =="
	@$(BIN)/stale scan --wiki $(DEMO)/wiki --repo $(DEMO)/acme-billing --store $(DEMO)/stale.db; test $$? -le 1
	@echo
	@echo "== stale report =="
	@$(BIN)/stale report --store $(DEMO)/stale.db --format markdown
	@echo "== stale check deploy.md =="
	@$(BIN)/stale check deploy.md --store $(DEMO)/stale.db; test $$? -le 1

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: $(STAMP)
	$(BIN)/mypy

unit: $(STAMP)
	$(BIN)/pytest -q

test: lint typecheck unit

# Per-document cost of the retrieval filter vs. one faiss search (docs/filter.md).
bench-filter: $(STAMP)
	$(BIN)/python -m bench.filter

# Embedding throughput, re-scan vs full scan, approximate-index recall (docs/semantic.md).
bench-embed: $(STAMP)
	$(BIN)/python -m bench.embed

# Deep fuzzing: the hypothesis suites with 20000 random examples per property (new
# inputs each run; failures are kept in .hypothesis/ and replayed first), then the
# ReDoS bench at 1 MB. Hours, not minutes; see docs/security.md.
FUZZ_EXAMPLES ?= 20000
fuzz-long: $(STAMP)
	STALE_FUZZ_EXAMPLES=$(FUZZ_EXAMPLES) $(BIN)/pytest -q -x tests/test_fuzz_extract.py tests/test_fuzz_codebase.py tests/test_fuzz_regressions.py
	$(BIN)/python -m bench.redos

# Full scan, re-scan and memory at scale (docs/cron.md); PAGES/FILES to resize.
PAGES ?= 100000
FILES ?= 20000
bench-scale: $(STAMP)
	$(BIN)/python -m bench.scale --pages $(PAGES) --files $(FILES)

# Quality benchmark on the generated Northwind corpus (see bench/quality.py).
bench-quality: $(STAMP)
	$(BIN)/python -m bench.quality

clean:
	rm -rf $(DEMO) .stale .pytest_cache .mypy_cache .ruff_cache
