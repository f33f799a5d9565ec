# The two commands README.md promises: `make serve` and `make test`. Both are safe to run twice.
VENV := .venv
BIN := $(VENV)/bin

.PHONY: serve test install

$(BIN)/kbsearch: setup.cfg pyproject.toml
	python3 -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e '.[test]'
	touch $@

install: $(BIN)/kbsearch

# Exit status 1 means some articles were rejected (listed above it); the rest is served.
serve: install
	$(BIN)/kbsearch reindex --incremental || [ $$? -eq 1 ]
	$(BIN)/kbsearch serve

test: install
	$(BIN)/python -m pytest
