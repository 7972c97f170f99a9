import pytest

from groupconv.kernels import harmonic


@pytest.fixture(autouse=True)
def _fresh_zero_block_reports():
    """Each test sees the zero-block warnings of its own bases (they are reported once per process)."""
    harmonic._REPORTED.clear()
    yield
    harmonic._REPORTED.clear()
