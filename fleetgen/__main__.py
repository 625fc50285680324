"""`python -m fleetgen` runs the CLI."""

from fleetgen.cli import main

main()
