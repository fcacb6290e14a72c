import pytest

from tests.frontend.frontend_support import ensure_built


@pytest.fixture(scope="session")
def frontend_dist():
    """frontend/dist, rebuilt only when a source is newer (and `npm ci` only on a new lock)."""
    return ensure_built()
