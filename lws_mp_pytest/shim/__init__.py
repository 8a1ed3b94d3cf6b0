"""Modules put first on MicroPython's path for the tests (pytest.py)."""
