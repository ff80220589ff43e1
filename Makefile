# The two commands a newcomer needs: `make dev` and `make test`.
.PHONY: dev test setup build bench
dev:
	@scripts/dev.sh
test:
	@scripts/test.sh
setup:
	@scripts/setup.sh
build:
	@scripts/build.sh
bench:
	@scripts/bench.sh
