"""JSON Schema of the plan files, with each field described by its docstring.

The plan models document their fields with attribute docstrings. Pydantic can copy them
into the fields when each class is built (`use_attribute_docstrings`), but that reads and
parses every class's source: 40-70 ms of every command that loads a plan, for text that
only `drillkit schema` shows. So the models do not ask for it, and the schema is described
here, as pydantic would have: a field's description is the docstring under it in the
class that last declares it, unless the field gives one itself.
"""

from __future__ import annotations

import ast
import functools
import inspect
import itertools
import textwrap
from typing import Any

from pydantic import BaseModel
from pydantic.json_schema import GenerateJsonSchema, JsonSchemaValue
from pydantic_core import core_schema

__all__ = ["field_docs", "json_schema"]


def json_schema(model: type[BaseModel]) -> dict[str, Any]:
    """`model`'s JSON Schema (validation mode), every field described."""
    return model.model_json_schema(schema_generator=_Described)


class _Described(GenerateJsonSchema):
    def model_schema(self, schema: core_schema.ModelSchema) -> JsonSchemaValue:
        json_schema = super().model_schema(schema)
        cls = schema["cls"]
        properties = json_schema.get("properties")
        if not properties or not issubclass(cls, BaseModel):
            return json_schema
        docs = field_docs(cls)
        for name, field in cls.model_fields.items():
            key = field.alias if field.alias is not None else name
            value = properties.get(key)
            if name in docs and isinstance(value, dict) and "description" not in value:
                value["description"] = docs[name]
        return json_schema


@functools.cache
def field_docs(cls: type) -> dict[str, str]:
    """Each field's docstring, from the class in `cls`'s MRO that last declares the field."""
    docs: dict[str, str] = {}
    declared: set[str] = set()
    for klass in cls.__mro__:
        own = inspect.get_annotations(klass)
        if not own:
            continue
        written = _own_docs(klass)
        for name in own:
            if name not in declared:
                declared.add(name)
                if name in written:
                    docs[name] = written[name]
    return docs


@functools.cache
def _own_docs(cls: type) -> dict[str, str]:
    """The docstrings written under the fields in `cls`'s own body."""
    try:
        source = textwrap.dedent(inspect.getsource(cls))
    except (OSError, TypeError):
        return {}
    body = ast.parse(source).body
    if not body or not isinstance(body[0], ast.ClassDef):
        return {}
    docs: dict[str, str] = {}
    statements = body[0].body
    for statement, following in itertools.pairwise(statements):
        if (
            isinstance(statement, ast.AnnAssign)
            and isinstance(statement.target, ast.Name)
            and isinstance(following, ast.Expr)
            and isinstance(following.value, ast.Constant)
            and isinstance(following.value.value, str)
        ):
            docs[statement.target.id] = inspect.cleandoc(following.value.value)
    return docs
