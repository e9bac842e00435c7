"""`python -m bot` is the `pager` command."""

from bot.cli import main

main()
