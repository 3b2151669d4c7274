# make run: install, build the index if missing or stale, serve the app on 127.0.0.1.
# make test: install, lint, run the whole suite.
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

export HF_HUB_OFFLINE := 1
export TRANSFORMERS_OFFLINE := 1
export HF_HUB_DISABLE_PROGRESS_BARS := 1

.PHONY: install browser run index test test-fast lint format clean bench bench-scale stress train qed-eval

install: $(STAMP)

$(STAMP): pyproject.toml constraints.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet -c constraints.txt "torch==2.13.0"
	$(BIN)/pip install --quiet -c constraints.txt -e ".[dev,qdrant,ray]"
	@test "$$($(BIN)/pip list 2>/dev/null | grep -ci nvidia)" = 0 || (echo "CUDA packages were installed; check the torch pin" && exit 1)
	touch $(STAMP)

index: install
	$(BIN)/qa index

run: index
	$(BIN)/python app.py

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

# The tests that need neither the model nor a server: seconds, for the edit-test loop.
test-fast: lint
	$(BIN)/python -m pytest -m "not slow" -q

format: install
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

# The browser tests drive Debian's chromium with Playwright (no browser download), and
# check accessibility with axe-core from npm (installed beside the venv).
AXE := $(VENV)/axe/node_modules/axe-core/axe.min.js
browser: $(AXE)
	@test -x /usr/bin/chromium || apt-get install -y -q chromium || (apt-get update -q && apt-get install -y -q chromium)

$(AXE):
	npm install --silent --no-audit --no-fund --prefix $(VENV)/axe axe-core@4

test: lint browser
	$(BIN)/python -m pytest

# Ratios against the bare model and bare FAISS, measured in the same run (about 10 minutes).
bench: install
	$(BIN)/python benchmarks/bench.py

# The stores at 1M passages (about an hour here; --no-store-add skips the folder store's
# real builds at 100k and 1M, most of that hour), then embedding in one process against a
# local Ray pool (about three minutes).
bench-scale: install
	$(BIN)/python benchmarks/scale.py
	$(BIN)/python benchmarks/workers.py

# Retrain the answer model (qa/models/) from QED's Natural Questions shards, cached
# outside the repo (eval/qed.py says where they come from); about two minutes.
QED_DATA ?= $(HOME)/.cache/corpus-qa/qed
train: install
	$(BIN)/python benchmarks/train_reader.py --data $(QED_DATA)

# The public held-out set: QED shard 05 as a corpus folder and question file, then qa eval on it.
qed-eval: install
	$(BIN)/python eval/qed.py --data $(QED_DATA) --out eval/qed-heldout
	$(BIN)/qa eval eval/qed-heldout/questions.jsonl eval/qed-heldout/questions-swapped.jsonl --corpus eval/qed-heldout/corpus --index eval/qed-heldout/index --exact-answer

# Minutes-long reliability runs: 100 SIGKILLs during rebuilds, 32 clients under load, then
# hostile files dropped into a corpus folder.
stress: install
	$(BIN)/python stress/crash.py
	$(BIN)/python stress/load.py
	$(BIN)/python stress/files.py

# What the index folder holds is listed in qa/index/format.py: everything built from the
# corpus goes; saved conversations, removed articles and set-aside damage are kept.
clean:
	rm -rf $(VENV) index/versions index/CURRENT index/cache.sqlite index/articles.sqlite index/models index/qdrant index/.lock
