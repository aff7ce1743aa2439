import pytest

from config import limits as L

pytestmark = pytest.mark.redis  # Redis's storage under `make test-services`


def test_hit_counts_within_the_window_and_says_when_to_retry():
    L.clear()
    assert L.hit("2/minute", "a") is None
    assert L.hit("2/minute", "a") is None
    refused = L.hit("2/minute", "a")
    assert refused is not None and 1 <= refused.retry_after <= 60
    assert L.hit("2/minute", "b") is None
