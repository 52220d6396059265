"""The YAML half of programs.safeload (imported only when a YAML file is read)."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

import yaml

from programs.safeload import DEFAULT_MAX_DEPTH, LoadError, _too_deep, quote

_MERGE_TAG = "tag:yaml.org,2002:merge"


class SafeYamlLoader(yaml.SafeLoader):
    """yaml.SafeLoader refusing anchors, aliases, merge keys and explicit tags at compose time,
    refusing a key given twice, capping the depth while composing, numbers exact as Decimal."""

    field = "file"
    max_depth = DEFAULT_MAX_DEPTH

    def __init__(self, stream: str) -> None:
        super().__init__(stream)
        self._depth = 0

    def refuse(self, rule: str, event: Any, en: str, zh: str) -> LoadError:
        line = event.start_mark.line + 1
        return LoadError(self.field, rule, f"{en} at line {line}", f"YAML第{line}行{zh}")

    def compose_node(self, parent: Any, index: Any) -> Any:
        event = self.peek_event()
        if isinstance(event, yaml.AliasEvent):
            raise self.refuse(
                "yaml_alias",
                event,
                f"YAML alias *{quote(event.anchor)[1:-1]} is not allowed",
                f"使用了锚点别名（*{quote(event.anchor)[1:-1]}），不允许使用",
            )
        anchor = getattr(event, "anchor", None)
        if anchor is not None:
            raise self.refuse(
                "yaml_alias",
                event,
                f"YAML anchor &{quote(anchor)[1:-1]} is not allowed",
                f"使用了锚点（&{quote(anchor)[1:-1]}），不允许使用",
            )
        tag = getattr(event, "tag", None)
        if tag is not None and tag != "!":
            raise self.refuse(
                "yaml_tag",
                event,
                f"YAML tag {quote(tag)} is not allowed",
                f"使用了标签{quote(tag)}，不允许使用",
            )
        nests = isinstance(event, yaml.SequenceStartEvent | yaml.MappingStartEvent)
        if nests:
            self._depth += 1
            if self._depth > self.max_depth:
                line = event.start_mark.line + 1
                raise _too_deep(self.field, self.max_depth, line)
        try:
            return super().compose_node(parent, index)
        finally:
            if nests:
                self._depth -= 1

    def construct_mapping(self, node: Any, deep: bool = False) -> Any:
        seen: set[Any] = set()
        for key_node, _value_node in node.value:
            if key_node.tag == _MERGE_TAG:
                line = key_node.start_mark.line + 1
                raise LoadError(
                    self.field,
                    "yaml_merge",
                    f"YAML merge key << is not allowed at line {line}",
                    f"YAML第{line}行使用了合并键<<，不允许使用",
                )
            key = self.construct_object(key_node, deep=deep)
            try:
                duplicate = key in seen
                seen.add(key)
            except TypeError:
                line = key_node.start_mark.line + 1
                raise LoadError(
                    self.field, "syntax", f"a key at line {line} is not a plain value"
                ) from None
            if duplicate:
                line = key_node.start_mark.line + 1
                raise LoadError(
                    self.field,
                    "duplicate_key",
                    f"key {quote(key)} appears twice (YAML line {line})",
                    f"键“{quote(key)[1:-1]}”重复出现（YAML第{line}行）",
                )
        return super().construct_mapping(node, deep=deep)


class _ExactYamlLoader(SafeYamlLoader):
    pass


def _yaml_decimal(loader: yaml.SafeLoader, node: Any) -> Any:
    text = str(loader.construct_scalar(node)).replace("_", "")
    try:
        value = Decimal(text)
    except InvalidOperation:
        return loader.construct_yaml_float(node)  # .inf / .nan: left to the field's own check
    return value if value.is_finite() else float(value)


_ExactYamlLoader.add_constructor("tag:yaml.org,2002:float", _yaml_decimal)


def load_yaml(text: str, field: str, max_depth: int, exact: bool) -> Any:
    base = _ExactYamlLoader if exact else SafeYamlLoader
    loader_class = type("_Loader", (base,), {"field": field, "max_depth": max_depth})
    loader = loader_class(text)
    try:
        return loader.get_single_data()
    except LoadError:
        raise
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1} column {mark.column + 1}" if mark is not None else ""
        where_zh = f"第{mark.line + 1}行第{mark.column + 1}列" if mark is not None else ""
        problem = getattr(exc, "problem", None) or type(exc).__name__
        raise LoadError(
            field,
            "syntax",
            f"invalid YAML{where}: {quote(problem)[1:-1]}",
            f"YAML格式错误{where_zh}",
        ) from None
    except (ValueError, RecursionError) as exc:
        raise LoadError(field, "number", f"a value cannot be read: {quote(str(exc))}") from None
    finally:
        loader.dispose()
