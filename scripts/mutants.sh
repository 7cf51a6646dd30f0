#!/bin/bash
# Hand-written mutations of convlat's invariants, each of which a test must kill: see
# scripts/mutants.py for the list and docs/testing.md for the last table and its timing.
exec /usr/bin/python3 "$(dirname "$0")/mutants.py" "$@"
