# Evident: build, test and benchmark.
GO ?= go

.PHONY: build test fuzz bench generate vet

build: ## the evident binary in bin/
	$(GO) build -o bin/evident ./cmd/evident

test: ## the whole test suite, with the race detector
	$(GO) test -race -timeout 30m ./...

fuzz: ## run every fuzz target briefly (FUZZTIME per target)
	scripts/fuzz.sh $(or $(FUZZTIME),10s)

bench: ## Go benchmarks and the command-level benchmarks of BENCHMARKS.md
	$(GO) test -run '^$$' -bench . -benchtime 1x ./... | tee bench-go.txt
	scripts/bench.sh

generate: ## regenerate deepcopy code and CRDs from api/v1
	$(GO) generate ./api/...

vet:
	$(GO) vet ./...
	test -z "$$(gofmt -l $$(git ls-files '*.go'))"
