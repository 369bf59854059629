"""The shared checks of samples.py report a failure as the tests' own asserts do."""

import pytest

pytest.register_assert_rewrite("tests.unit.adapters.samples")
