# Two commands on a fresh machine with Python 3.11:  make run   and   make test
VENV    := .venv
PY      := $(VENV)/bin/python
STAMP   := $(VENV)/.installed-stamp
YEAR    ?= $(shell date +%Y)
PYTHON  ?= python3
LIBERATION := /usr/share/fonts/truetype/liberation2

.PHONY: run serve test bench libreoffice chromium clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[test]'
	touch $(STAMP)

## make run: validate the embedded default plan, then write this year's report pack under output/
run: $(STAMP)
	$(VENV)/bin/kehoach validate
	$(VENV)/bin/kehoach pack --year $(YEAR)

## make serve: the office's web app on http://127.0.0.1:8000 (stop with Ctrl+C); add an account first:
## .venv/bin/kehoach user add TÊN
serve: $(STAMP)
	$(VENV)/bin/kehoach serve

## make test: the whole test suite (installs LibreOffice for the PDF checks and chromium for the browser tests when
## they are missing)
test: $(STAMP) libreoffice chromium
	$(VENV)/bin/ruff check .
	$(VENV)/bin/pytest -q

## make bench: throughput and memory figures (see benchmarks/run.py); not part of the tests
bench: $(STAMP)
	$(PY) -m compileall -q generator  # cold start as installed (bytecode written even if PYTHONDONTWRITEBYTECODE is set)
	$(PY) benchmarks/run.py

## LibreOffice for the PDF checks, and python3-uno for the tests that type into forms with it (tests/lo_uno.py)
libreoffice:
	@command -v soffice >/dev/null 2>&1 && test -f $(LIBERATION)/LiberationSerif-Regular.ttf || { \
	  echo "Cài LibreOffice và phông Liberation (thay Times New Roman) cho các bài kiểm tra PDF..."; \
	  apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y libreoffice-writer-nogui libreoffice-calc-nogui fonts-liberation2; }
	@/usr/bin/python3 -c "import uno" >/dev/null 2>&1 || { \
	  echo "Cài python3-uno cho các bài kiểm tra gõ biểu mẫu bằng LibreOffice..."; \
	  apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y python3-uno; }

## Debian's chromium for the browser tests (tests/browser.py drives it through Playwright; no browser is downloaded)
chromium:
	@test -x /usr/bin/chromium || { \
	  echo "Cài chromium cho các bài kiểm tra trên trình duyệt..."; \
	  apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y chromium; }

clean:
	rm -rf output $(VENV)
