"""The parts of the composition root (bot/bootstrap.py): each side of the pager built from settings."""
