# make bench: every "parley bench" scenario at the sizes docs/perf.md reports,
# reports under bench-results/ (see scripts/bench.sh for the sizes to override).
.PHONY: bench
bench:
	scripts/bench.sh
