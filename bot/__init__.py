"""How the world drives the pager, and where it is wired."""
