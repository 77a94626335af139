// Package app wires Evident's long-running processes: `evident serve` (the
// store, audit sources, scheduler and HTTP API) and `evident demo`. It is
// the only package that imports all the others.
package app
