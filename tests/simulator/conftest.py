"""Synthesis test fixtures: the scripted synth model of test_synth_scripted."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.simulator.test_synth_scripted import ScriptedModel


@pytest.fixture
def scripted() -> Iterator[ScriptedModel]:
    model = ScriptedModel()
    yield model
    model.close()
