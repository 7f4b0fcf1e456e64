# The workbook's commands. `make lab` opens it, `make test` checks it (see README.md).
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
# CPU torch: this exact version, never a range (a range pulls a multi-GB CUDA build).
TORCH  ?= torch==2.13.0
# Notebooks and tests run at this size under `make test` (quick | lab | full).
TEST_SIZE ?= quick

.PHONY: lab test test-seed data book solutions sync ffmpeg clean-venv

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip

# torch first, alone: if torch is already importable (e.g. a conda GPU env), keep it.
$(VENV)/.installed: $(BIN)/python pyproject.toml requirements.txt
	$(BIN)/python -c "import torch" 2>/dev/null || $(BIN)/pip install -q "$(TORCH)"
	$(BIN)/pip install -q -e ".[dev]"
	$(BIN)/pip install -q --no-deps tinysoundfont  # its wheel asks for pyaudio (live playback only)
	touch $@

$(VENV)/.installed-lab: $(VENV)/.installed
	$(BIN)/pip install -q -e ".[dev,lab]"
	touch $@

# musdb/museval call ffmpeg/ffprobe even for WAV folders.
ffmpeg:
	@command -v ffprobe >/dev/null && command -v ffmpeg >/dev/null && exit 0; \
	if command -v apt-get >/dev/null && [ "$$(id -u)" = 0 ]; then \
	  echo "installing ffmpeg with apt-get"; \
	  (apt-get install -y -q ffmpeg >/dev/null 2>&1 || (apt-get update -q >/dev/null && apt-get install -y -q ffmpeg >/dev/null)); \
	elif command -v brew >/dev/null; then brew install ffmpeg; \
	else echo "ffmpeg is missing: install it first, e.g. 'sudo apt-get install ffmpeg' or 'conda install -c conda-forge ffmpeg'"; exit 1; fi

data: $(VENV)/.installed ffmpeg
	$(BIN)/seplib data

lab: $(VENV)/.installed-lab ffmpeg data
	$(BIN)/jupyter lab $(if $(filter 0,$(shell id -u)),--allow-root) notebooks/

# Two pytest workers, one thread each; a notebook runs whole on one worker (loadfile).
PYTEST := OMP_NUM_THREADS=1 SEPLIB_OFFLINE=1 $(BIN)/python -m pytest -n 2 --dist loadfile --nbval-lax --nbval-current-env -q
test: $(VENV)/.installed ffmpeg
	SEPLIB_SIZE=$(TEST_SIZE) $(PYTEST)

# The same notebooks on other songs: a synthetic set of another seed, read as a MUSDB folder,
# with its models and scores under build/seed-SEED/ (data/ is not touched). Their prose claims
# what holds on any songs, and this is how to check it.
SEED ?= 23
test-seed: $(VENV)/.installed ffmpeg
	$(BIN)/seplib data --size quick --seed $(SEED) --root build/seed-$(SEED)/synth-quick
	MUSDB_PATH=$(CURDIR)/build/seed-$(SEED)/synth-quick SEPLIB_DATA=$(CURDIR)/build/seed-$(SEED)/work \
	SEPLIB_SIZE=quick $(PYTEST) notebooks/

$(VENV)/.installed-book: $(VENV)/.installed
	$(BIN)/pip install -q -e ".[dev,book]"
	touch $@

# The notebooks as a static site under build/book/ (open build/book/index.html): each executed
# in a fresh kernel at SEPLIB_SIZE (default lab) with the shipped networks (nothing is trained),
# two side by side, copies under build/book-src/, rendered with
# Sphinx + MyST-NB: an index with the lessons, a page per notebook with previous/next links,
# math, figures and every audio player (the listening rooms' too; counts in players.json).
# A failing notebook is named, its page built up to the error, the others built; exit status 1.
book: $(VENV)/.installed-book ffmpeg
	SEPLIB_SIZE=$${SEPLIB_SIZE:-lab} $(BIN)/python book/build.py

# After editing a notebook's .py (or .ipynb), bring its pair up to date.
sync: $(VENV)/.installed
	$(BIN)/jupytext --sync notebooks/py/[0-9]*.py

clean-venv:
	rm -rf $(VENV)

# Instructor solutions: every notebook with its exercises answered and executed (quick size
# unless SEPLIB_SIZE says otherwise) under build/solutions/.
solutions: $(VENV)/.installed ffmpeg
	SEPLIB_SIZE=$${SEPLIB_SIZE:-quick} $(BIN)/python -m seplib.exercises.solutions --out build/solutions
