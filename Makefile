# The two commands a newcomer needs: `make dev` and `make test`.
.PHONY: dev test setup build build-prod deploy-check bench
dev:
	@scripts/dev.sh
test:
	@scripts/test.sh
setup:
	@scripts/setup.sh
build:
	@scripts/build.sh
# Production build (no dev-only code) and the dry-run deploy that proves it.
build-prod:
	@scripts/build.sh --prod
deploy-check:
	@scripts/deploy-check.sh
bench:
	@scripts/bench.sh
