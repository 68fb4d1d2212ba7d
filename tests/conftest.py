"""Suite-wide test settings."""

from __future__ import annotations

import os

from hypothesis import settings

# Speed is measured by benchmarks, not by tests: no per-example deadline.
# Under CI the examples are derandomized so a run is reproducible.
settings.register_profile("default", deadline=None)
settings.register_profile("ci", deadline=None, derandomize=True)
settings.load_profile("ci" if os.environ.get("CI") else "default")
