"""`python -m drill` runs the same CLI as the `drillkit` console script."""

from drill.cli import main

main()
