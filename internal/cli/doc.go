// Package cli implements the evident command line: one file per
// subcommand, each a thin layer that parses flags, calls the packages that
// do the work, and prints their results as a table, JSON or YAML.
package cli
