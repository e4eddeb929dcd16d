# One command each, on a fresh machine (registries only):
#   make demo   set up, then build the demo gallery into demo/build/
#   make test   set up, then run the whole test suite
#   make bench  run the benchmarks (after setup)
.PHONY: setup demo test bench serve clean

setup:
	bash scripts/setup

demo: setup
	.venv/bin/imaudible-site build demo

serve: setup
	.venv/bin/imaudible-site serve demo

# audiocraft's pins cannot resolve beside the main venv, so its backend is tested in a venv of its own
# first; the main suite runs last.
test: setup
	sh tests/models/audiocraft_venv.sh .venv-audiocraft
	.venv/bin/python -m pytest -q

bench:
	bash benchmarks/run

clean:
	rm -rf demo/build dist .pytest_cache test-artifacts
