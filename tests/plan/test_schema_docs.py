"""`drillkit schema` describes fields from their docstrings exactly as pydantic would."""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

from drill.plan.models import ContactsFile, PlanFile, Playbook, Scenario
from drill.plan.schema import json_schema

Code = Annotated[str, Field(description="A code, described by its type.")]


def _models(docstrings: bool) -> type[BaseModel]:
    """The same models, with or without pydantic reading their docstrings."""
    config = ConfigDict(extra="forbid", frozen=True, use_attribute_docstrings=docstrings)

    class Leaf(BaseModel):
        """A leaf."""

        model_config = config

        name: str
        """The leaf's name."""
        code: Code
        """Not used: the type describes the field."""
        weight: int = Field(default=1, description="Said by the field.")
        """Not used either."""
        bare: int = 0

    class Base(BaseModel):
        model_config = ConfigDict(
            extra="forbid", frozen=True, use_attribute_docstrings=docstrings, populate_by_name=True
        )

        start: str = Field(alias="from")
        """Where it starts (an aliased field)."""
        kept: str = ""
        """Inherited with its docstring."""
        redeclared: str = ""
        """The base's word, replaced below."""

    class Root(Base):
        """The root."""

        model_config = config

        redeclared: str = "x"
        leaf: Leaf
        """A nested model, by reference."""
        maybe: Leaf | None = None
        """An optional nested model."""
        leaves: tuple[Leaf, ...] = ()
        """Many."""
        code: Code | None = None
        """An optional coded value."""

    return Root


def test_descriptions_match_pydantic_reading_the_docstrings() -> None:
    expected = _models(docstrings=True).model_json_schema()
    assert json_schema(_models(docstrings=False)) == expected
    root = expected["properties"]
    assert root["from"]["description"] == "Where it starts (an aliased field)."
    assert root["kept"]["description"] == "Inherited with its docstring."
    assert "description" not in root["redeclared"]
    assert expected["$defs"]["Leaf"]["properties"]["code"]["description"] == (
        "A code, described by its type."
    )


def test_every_plan_file_schema_describes_its_fields() -> None:
    for model in (ContactsFile, PlanFile, Playbook, Scenario):
        schema = json_schema(model)
        assert schema["$defs"], model
        for name, definition in [(model.__name__, schema), *schema["$defs"].items()]:
            for field, value in definition.get("properties", {}).items():
                assert "description" in value, f"{name}.{field} has no description"
