"""Helpers for the tests, by concern; conftest.py holds only fixtures built from them.

Test modules import from here, never conftest itself nor another test module."""
