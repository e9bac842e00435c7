"""Driven adapters: what the pager talks to (database, timer, senders, clock)."""
