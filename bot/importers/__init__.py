"""Importers: a Pager config made from another paging service's setup, read from its REST API."""
