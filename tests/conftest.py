"""Tests run without modfix's result cache (tests/test_cache.py turns it on where it is the subject):
files rewritten within one timestamp tick must never be judged unchanged by a cache from another test."""
import pytest


@pytest.fixture(autouse=True)
def _no_result_cache(monkeypatch):
    monkeypatch.setenv("MODFIX_NO_CACHE", "1")
