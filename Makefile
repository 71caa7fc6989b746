# Two commands a fresh machine needs (Python 3.11+ and make):
#   make report   set up .venv, load data_samples/, write reports/<latest complete month>/
#   make test     set up .venv, run the whole test suite
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
DB     := build/sample.duckdb
MONTH  ?= latest
# make lab: JupyterLab on notebooks/ with the sample database; no news, no update check, no extension
# listing from PyPI (privacy offices are often offline); notebooks open unmodified (gdpr_analytics/lab.py);
# jupysql-plugin's widget connector and its settings plugin off (.jupyterlab/app-settings/page_config.json:
# without ipywidgets they only log errors in the browser console). LAB_ARGS adds options (e.g. --allow-root)
LAB_ARGS ?=

.PHONY: install install-spark report test sample bench clean lab

install: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e '.[test]'
	touch $@

# The extra `spark` (pyspark with its Spark Connect client): the tests run every rule on both engines.
# Spark's local mode also needs Java 17+ (.ci/run installs Debian's openjdk-17-jre-headless).
install-spark: $(VENV)/.installed-spark

# One pip run for both extras on a fresh machine (a run for `.[test]` and another adding pyspark resolved
# everything twice: 89 s against 53 s here). --no-compile: Python compiles a module when it is first imported,
# so only what runs is compiled, not every module of every dependency.
$(VENV)/.installed-spark: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --no-compile --disable-pip-version-check -e '.[test,spark]'
	touch $(VENV)/.installed $@

report: install
	@mkdir -p build
	$(BIN)/gdpr-analytics load --source data_samples --db $(DB)
	$(BIN)/gdpr-analytics report --db $(DB) --month $(MONTH) --out reports

lab: install
	@mkdir -p build
	$(BIN)/gdpr-analytics load --source data_samples --db $(DB)
	cd notebooks && JUPYTERLAB_SETTINGS_DIR=$(CURDIR)/.jupyterlab/user-settings \
	    JUPYTERLAB_WORKSPACES_DIR=$(CURDIR)/build/lab-workspaces \
	    $(abspath $(BIN))/jupyter lab --LabApp.news_url=None \
	    --LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate \
	    --LabApp.extension_manager=readonly --LabApp.app_settings_dir=$(CURDIR)/.jupyterlab/app-settings \
	    --ServerApp.contents_manager_class=gdpr_analytics.lab.NotebookContents $(LAB_ARGS)

# Two workers (pytest-xdist); every test that starts a JVM runs on one of them, every other file on one, the
# longest groups first (tests/conftest.py).
# One part quickly: .venv/bin/python -m pytest tests/analysis -m "not slow" (README: Tests).
TEST_ARGS ?= -n 2 --dist loadgroup --no-loadscope-reorder
test: install-spark
	$(BIN)/python -m pytest $(TEST_ARGS)

# Regenerates the committed sample byte for byte (tests/sample/test_sample.py checks it).
sample: install
	$(BIN)/gdpr-analytics sample --out data_samples

# Issue 7's benchmark at 1M customers / 50M events / 24 months (long: run it on an idle machine).
# Smaller: make bench BENCH_ARGS="--customers 20000 --events 1000000". See README, Benchmarks.
bench: install-spark
	$(BIN)/python benchmarks/run.py $(BENCH_ARGS)

clean:
	rm -rf build $(VENV)
