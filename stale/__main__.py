"""`python -m stale`: the command line."""

from stale.cli import main

main()
