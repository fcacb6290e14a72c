from tests.models.intel_support import fast_venue, regime_labels  # noqa: F401 - fixtures
