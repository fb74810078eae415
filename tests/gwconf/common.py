"""Fixture lookup shared by the case files."""
import os

from ipld import Fixture

FIXTURES = os.path.join(os.path.dirname(os.path.abspath(__file__)), "fixtures")
_cache = {}


def fixture_path(rel):
    return os.path.join(FIXTURES, rel)


def fx(rel):
    """The fixture CAR at fixtures/rel (parsed once)."""
    if rel not in _cache:
        _cache[rel] = Fixture(fixture_path(rel))
    return _cache[rel]
