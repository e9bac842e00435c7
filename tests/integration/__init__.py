"""Tests of each adapter against the real thing it adapts to."""
