"""`python -m fleetgen` runs the CLI."""

from fleetgen.cli import run

run()
