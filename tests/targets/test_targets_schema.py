"""The JSON Schema shipped with the package: what an editor validates a targets file against."""

from __future__ import annotations

import json

from ruamel.yaml import YAML

from kpi_pipeline.config.package_data import example_targets, targets_schema
from kpi_pipeline.targets.schema import TargetsFile, schema_text


def test_the_shipped_schema_is_the_one_the_specs_generate() -> None:
    # after changing a spec: python -m kpi_pipeline.targets.schema
    assert targets_schema().read_text(encoding="utf-8") == schema_text()


def test_the_example_file_names_the_schema_for_editors() -> None:
    first_line = example_targets().read_text(encoding="utf-8").splitlines()[0]
    assert first_line == f"# yaml-language-server: $schema={targets_schema().name}"
    assert (example_targets().parent / targets_schema().name).exists()  # found beside it


def test_the_example_file_satisfies_the_schema_model() -> None:
    data = YAML(typ="safe").load(example_targets().read_text(encoding="utf-8"))
    parsed = TargetsFile.model_validate(data)
    assert parsed.kgis and parsed.kpis


def test_the_schema_names_every_top_level_field_and_refuses_unknown_ones() -> None:
    schema = json.loads(targets_schema().read_text(encoding="utf-8"))
    assert {"timezone", "kgis", "kpis", "periods", "metrics", "measures"} <= set(schema["properties"])
    assert schema["required"] == ["kgis"]
    assert schema["additionalProperties"] is False
