"""Shared test configuration: Hypothesis profiles.

Profiles: ``ci`` (derandomized: every run draws the same examples) and ``dev`` (random, with
Hypothesis' example database). ``ci`` is the default so that ``make test`` is deterministic;
choose another with ``HYPOTHESIS_PROFILE=dev``.
"""

import os

from hypothesis import settings

settings.register_profile(
    "ci", derandomize=True, deadline=None, max_examples=200, print_blob=True, database=None
)
settings.register_profile("dev", deadline=None, max_examples=200, print_blob=True)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))
