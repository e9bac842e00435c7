"""The pager's domain: pure model, events, ports and use cases. No I/O, no clock, no framework."""
