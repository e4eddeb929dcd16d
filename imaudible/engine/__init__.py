"""The generic stage engine: stage declarations (`stage`), the plan (`plan`), the runner that keys, caches,
batches and isolates failures (`runner`), the executors it hands work to (`executors`), the cache
(`cache`) and the build report (`report`). It knows no stage by name: those live in `imaudible.stages`."""
