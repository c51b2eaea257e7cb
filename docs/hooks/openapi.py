"""MkDocs hook: the HTTP API reference, made from the server's own OpenAPI schema at every
build, so the page cannot drift from the code.

The schema comes from the django-ninja API (``kuro.server.api``) in a subprocess with a
scratch data directory (Django is set up there, never in the MkDocs process). It is
published beside the page as ``openapi.json`` and rendered as Markdown in place of the
marker line in ``http-api.md``: one section per tag with each operation's parameters,
body and answers, then every schema as a table of its fields.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from typing import Any

from mkdocs.structure.files import File

MARKER = "<!-- openapi-reference -->"
PAGE = "http-api.md"
SCHEMA_FILE = "openapi.json"
# The bounds of a 64-bit integer (steps, ids) are noise in a table; other bounds are limits.
INT64 = (-(2**63), 2**63 - 1)

_GENERATE = """
import json, django
django.setup()
from kuro.server.api import api
print(json.dumps(api.get_openapi_schema(path_prefix="/api/v1/")))
"""

_schema: dict[str, Any] | None = None


def openapi_schema() -> dict[str, Any]:
    """The OpenAPI schema of the API as the server publishes it at /api/v1/openapi.json."""
    with tempfile.TemporaryDirectory(prefix="kuro-docs-") as data_dir:
        env = {k: v for k, v in os.environ.items() if not k.startswith("KURO_")}
        env.update(DJANGO_SETTINGS_MODULE="kuro.server.settings", KURO_DATA_DIR=data_dir)
        done = subprocess.run(
            [sys.executable, "-c", _GENERATE],
            env=env,
            cwd=data_dir,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
    if done.returncode != 0:
        raise RuntimeError(f"the OpenAPI schema could not be generated:\n{done.stderr}")
    return json.loads(done.stdout)


def on_pre_build(config: Any) -> None:
    global _schema
    _schema = openapi_schema()


def on_files(files: Any, config: Any) -> Any:
    assert _schema is not None
    files.append(File.generated(config, SCHEMA_FILE, content=json.dumps(_schema, indent=2)))
    return files


def on_page_markdown(markdown: str, page: Any, config: Any, files: Any) -> str:
    if page.file.src_uri != PAGE:
        return markdown
    if MARKER not in markdown:
        raise RuntimeError(f"{PAGE} lost its marker line {MARKER}")
    assert _schema is not None
    return markdown.replace(MARKER, render(_schema))


# Rendering ---------------------------------------------------------------------------------


def anchor(name: str) -> str:
    return f"schema-{name.lower()}"


def ref_name(ref: str) -> str:
    return ref.rsplit("/", 1)[-1]


def type_of(schema: dict[str, Any]) -> str:
    """A schema as a short readable type, linking named schemas."""
    if "$ref" in schema:
        name = ref_name(schema["$ref"])
        return f"[{name}](#{anchor(name)})"
    for key in ("anyOf", "oneOf"):
        if key in schema:
            return " or ".join(dict.fromkeys(type_of(option) for option in schema[key]))
    if "allOf" in schema and len(schema["allOf"]) == 1:
        return type_of(schema["allOf"][0])
    if "enum" in schema:
        return " or ".join(f"`{json.dumps(value)}`" for value in schema["enum"])
    if "const" in schema:
        return f"`{json.dumps(schema['const'])}`"
    kind = schema.get("type")
    if kind == "array":
        items = schema.get("items")
        return f"list of {inner(items)}" if items else "list"
    if kind == "object" or "additionalProperties" in schema:
        values = schema.get("additionalProperties")
        if isinstance(values, dict) and values:
            return f"object of {inner(values)}"
        return "object"
    if kind is None:
        return "any JSON value"
    if isinstance(kind, list):
        return " or ".join(kind)
    fmt = schema.get("format")
    return f"{kind} ({fmt})" if fmt else kind


def inner(schema: dict[str, Any]) -> str:
    """The type of a list's items or an object's values, bracketed when it is a choice."""
    text = type_of(schema)
    return f"({text})" if " or " in text else text


def constraints(schema: dict[str, Any]) -> list[str]:
    """The limits a value must keep (string lengths, bounds, list sizes), in words."""
    found: list[str] = []
    for option in [schema, *schema.get("anyOf", [])]:
        if option.get("minLength") == 1:
            found.append("not empty")
        elif "minLength" in option:
            found.append(f"at least {option['minLength']} characters")
        if "maxLength" in option:
            found.append(f"at most {option['maxLength']:,} characters")
        if "minimum" in option and option["minimum"] != INT64[0]:
            found.append(f"≥ {option['minimum']}")
        if "exclusiveMinimum" in option:
            found.append(f"> {option['exclusiveMinimum']}")
        if "maximum" in option and option["maximum"] != INT64[1]:
            found.append(f"≤ {option['maximum']}")
        if "exclusiveMaximum" in option:
            found.append(f"< {option['exclusiveMaximum']}")
        if "minItems" in option:
            found.append(f"at least {option['minItems']:,} items")
        if "maxItems" in option:
            found.append(f"at most {option['maxItems']:,} items")
        if "pattern" in option:
            found.append(f"matches `{option['pattern']}`")
    return found


def cell(text: str) -> str:
    """Text fit for one Markdown table cell."""
    return " ".join(text.split()).replace("|", "\\|")


def notes(schema: dict[str, Any]) -> str:
    parts = []
    if schema.get("description"):
        parts.append(cell(schema["description"]))
    parts.extend(constraints(schema))
    if "default" in schema:
        parts.append(f"default `{json.dumps(schema['default'])}`")
    return "; ".join(parts)


def body_schema(content: dict[str, Any]) -> tuple[str, dict[str, Any]] | None:
    for media, described in content.items():
        return media, described.get("schema", {})
    return None


def render_operation(method: str, path: str, operation: dict[str, Any]) -> list[str]:
    lines = [f"### {method.upper()} {path}", ""]
    summary = operation.get("summary", "")
    description = operation.get("description", "").strip()
    lines.append(f"**{summary}.** {description}" if description else f"**{summary}.**")
    lines.append("")
    parameters = operation.get("parameters", [])
    if parameters:
        lines += [
            "| parameter | in | type | required | notes |",
            "| --- | --- | --- | --- | --- |",
        ]
        for parameter in parameters:
            schema = parameter.get("schema", {})
            note = notes({**schema, "description": parameter.get("description", "")})
            lines.append(
                f"| `{parameter['name']}` | {parameter['in']} | {cell(type_of(schema))} | "
                f"{'yes' if parameter.get('required') else 'no'} | {note} |"
            )
        lines.append("")
    body = operation.get("requestBody")
    if body:
        found = body_schema(body.get("content", {}))
        if found:
            media, schema = found
            required = ", required" if body.get("required") else ""
            lines += [f"**Body** (`{media}`{required}): {type_of(schema)}", ""]
    answers, errors = [], []
    for status, response in operation.get("responses", {}).items():
        found = body_schema(response.get("content", {}))
        kind = type_of(found[1]) if found else "no body"
        if status.startswith(("4", "5")):
            errors.append((status, kind))
        else:
            answers.append(f"`{status}` {response.get('description', '')}: {kind}")
    lines.append("**Answers**: " + "; ".join(answers))
    if errors:
        kinds = " or ".join(dict.fromkeys(kind for _, kind in errors))
        statuses = " ".join(f"`{status}`" for status, _ in errors)
        lines.append(f"<br>**Errors** {statuses}: {kinds}")
    lines.append("")
    return lines


def render_schema(name: str, schema: dict[str, Any]) -> list[str]:
    lines = [f"### {name} {{#{anchor(name)}}}", ""]
    if schema.get("description"):
        lines += [schema["description"].strip(), ""]
    properties = schema.get("properties")
    if not properties:
        return [*lines, f"Type: {type_of(schema)}", ""]
    required = set(schema.get("required", []))
    lines += ["| field | type | required | notes |", "| --- | --- | --- | --- |"]
    for field, field_schema in properties.items():
        lines.append(
            f"| `{field}` | {cell(type_of(field_schema))} | "
            f"{'yes' if field in required else 'no'} | {notes(field_schema)} |"
        )
    return [*lines, ""]


def render(schema: dict[str, Any]) -> str:
    """The whole reference: operations grouped by tag, then the schemas."""
    by_tag: dict[str, list[tuple[str, str, dict[str, Any]]]] = {}
    for path, operations in schema.get("paths", {}).items():
        for method, operation in operations.items():
            tag = (operation.get("tags") or ["other"])[0]
            by_tag.setdefault(tag, []).append((method, path, operation))
    lines = []
    for tag, operations in by_tag.items():
        lines += [f"## {tag.capitalize()}", ""]
        for method, path, operation in operations:
            lines += render_operation(method, path, operation)
    lines += ["## Schemas", ""]
    for name, component in schema.get("components", {}).get("schemas", {}).items():
        lines += render_schema(name, component)
    return "\n".join(lines)
