"""Read a YAML file people write (targets, sites) so that every error can say ``file:line``.

ruamel's round-trip loader remembers where each key is. Keys brought in by a merge key
(``<<: *defaults``) are not in the item's own line table; :func:`line_of` finds them in the
anchored mapping, at the line where the value is written. Scalars ruamel cannot build
(``2026-02-30``, ``!!int abc``) are located instead of raising a bare ``ValueError``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.constructor import ConstructorError, RoundTripConstructor
from ruamel.yaml.error import MarkedYAMLError, YAMLError
from ruamel.yaml.nodes import ScalarNode
from ruamel.yaml.reader import ReaderError

from kpi_pipeline.config.textfile import TextFileError, read_utf8
from kpi_pipeline.errors import UserError

FieldPath = tuple[str | int, ...]


class YamlFileError(UserError):
    """The file cannot be read or parsed; ``line`` is 1-based or None."""

    def __init__(self, path: Path, line: int | None, reason: str) -> None:
        self.path, self.line, self.reason = path, line, reason
        super().__init__(f"{path}:{line}: {reason}" if line else f"{path}: {reason}")


class UnreadableDate(str):
    """A scalar shaped like a date that is not one (``2026-02-30``), kept as text so that the
    schema refuses it at its field path and line."""


class _UnreadableValue(ConstructorError):
    """A scalar ruamel could not build (``!!int abc``); reported at its line, not as a syntax error."""


class _Constructor(RoundTripConstructor):
    """ruamel's round-trip constructor, except that a scalar it cannot build, or a key that
    cannot be one (a list or mapping written as a key with ``?``), is located."""

    def check_mapping_key(self, node: Any, key_node: Any, mapping: Any, key: Any, value: Any) -> bool:
        try:
            return super().check_mapping_key(node, key_node, mapping, key, value)
        except TypeError:  # unhashable: ruamel cannot hold such a key
            problem = "a key must be a plain value, not a list or a mapping"
            raise _UnreadableValue(None, None, problem, key_node.start_mark) from None

    def construct_yaml_timestamp(self, node: Any, values: Any = None) -> Any:
        try:
            return super().construct_yaml_timestamp(node, values)
        except ValueError:
            return UnreadableDate(node.value)

    def construct_non_recursive_object(self, node: Any, tag: str | None = None) -> Any:
        if not isinstance(node, ScalarNode):
            return super().construct_non_recursive_object(node, tag)
        try:
            return super().construct_non_recursive_object(node, tag)
        except (ValueError, TypeError, KeyError, OverflowError) as exc:
            kind = str(tag or node.tag).rsplit(":", 1)[-1]
            problem = f"cannot read {node.value!r} as {kind} ({exc})"
            raise _UnreadableValue(None, None, problem, node.start_mark) from None


_Constructor.add_constructor("tag:yaml.org,2002:timestamp", _Constructor.construct_yaml_timestamp)


def load_yaml(path: Path, setting: str | None = None) -> Any:
    """The round-trip document of ``path``; :class:`YamlFileError` naming file and line otherwise."""
    try:
        text = read_utf8(path, setting)
    except TextFileError as exc:
        raise YamlFileError(path, exc.line, exc.reason) from None
    yaml = YAML(typ="rt")
    yaml.Constructor = _Constructor
    try:
        return yaml.load(text)
    except MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark is not None else None
        problem = exc.problem or exc.context or "invalid YAML"
        context = f" ({exc.context})" if exc.context and exc.problem else ""
        message = problem if isinstance(exc, _UnreadableValue) else f"YAML syntax error: {problem}{context}"
        raise YamlFileError(path, line, message) from None
    except ReaderError as exc:  # a control character YAML does not allow in text
        line = text[: exc.position].count("\n") + 1
        raise YamlFileError(path, line, f"YAML cannot contain the character {exc.character!r}") from None
    except YAMLError as exc:
        raise YamlFileError(path, 1, f"YAML error: {exc}") from None
    except RecursionError:
        raise YamlFileError(path, 1, "YAML syntax error: nested too deeply") from None


def field_label(path: FieldPath) -> str:
    """``("kpis", 1, "deadline")`` → ``kpis[1].deadline``."""
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def _owner(node: CommentedMap, key: Any) -> CommentedMap | None:
    """The mapping whose text holds ``key``: the node itself, else one it merges (depth first)."""
    if key in node.lc.data:
        return node
    for merged in getattr(node, "merge", ()) or ():
        found = _owner(merged, key) if isinstance(merged, CommentedMap) else None
        if found is not None:
            return found
    return None


def line_of(root: Any, path: FieldPath) -> int:
    """1-based line of the deepest node of ``path`` present in the YAML (its parent if missing)."""
    node, line = root, (root.lc.line + 1 if isinstance(root, CommentedMap | CommentedSeq) else 1)
    for part in path:
        if isinstance(node, CommentedMap) and part in node:
            owner = _owner(node, part)
            if owner is not None:
                line = owner.lc.key(part)[0] + 1
            node = node[part]
        elif isinstance(node, CommentedSeq) and isinstance(part, int) and 0 <= part < len(node):
            line = node.lc.item(part)[0] + 1
            node = node[part]
        else:
            break
    return line
