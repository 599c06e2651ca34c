"""Safe YAML loading that remembers where every key and value came from.

PyYAML's safe composer gives a node tree with start marks; we build plain Python data
from it with the safe constructor and keep a map from field path to (line, column), so
that schema errors can point at the exact spot in the file.
"""

import re
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from .errors import ContentError, Problem
from .locations import display_path

FieldPath = tuple[str | int, ...]

# Unicode's control characters (category Cc) other than tab, line feed and carriage return:
# invisible, never printable, and (NEL aside) refused by PyYAML's reader with a character
# offset rather than a line. They arrive pasted from terminals, PDFs and word processors.
CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")


@dataclass
class Positions:
    """1-based (line, column) of each value and each mapping key, by field path."""

    values: dict[FieldPath, tuple[int, int]] = field(default_factory=dict)
    keys: dict[FieldPath, tuple[int, int]] = field(default_factory=dict)

    def of(self, path: FieldPath, *, key: bool = False) -> tuple[int, int]:
        """Best position for a path: the key or value itself, else its nearest parent."""
        table = self.keys if key else self.values
        for depth in range(len(path), -1, -1):
            where = table.get(path[:depth]) or self.values.get(path[:depth])
            if where:
                return where
        return (1, 1)


def _mark(node: yaml.Node) -> tuple[int, int]:
    return (node.start_mark.line + 1, node.start_mark.column + 1)


def _build(node, path, constructor, positions, problems, filename):
    def problem(at, field_path, message: str) -> None:
        problems.append(Problem(filename, *_mark(at), format_path(field_path), message))

    positions.values[path] = _mark(node)
    if isinstance(node, yaml.MappingNode):
        result = {}
        for key_node, value_node in node.value:
            key = constructor.construct_object(key_node, deep=True)
            if not isinstance(key, str):
                problem(key_node, path, f"key {key!r} is not text; write keys as words")
                continue
            if key in result:
                problem(key_node, path + (key,), "key appears twice; keep only one")
            positions.keys[path + (key,)] = _mark(key_node)
            result[key] = _build(
                value_node, path + (key,), constructor, positions, problems, filename
            )
        return result
    if isinstance(node, yaml.SequenceNode):
        return [
            _build(item, path + (i,), constructor, positions, problems, filename)
            for i, item in enumerate(node.value)
        ]
    try:
        value = constructor.construct_object(node, deep=True)
    except ValueError:
        # e.g. 2026-02-30 matches YAML's date pattern but is no date: keep the text and
        # let the schema report it with its position.
        return node.value
    if isinstance(value, str):
        # A double-quoted escape (\a, \x1b, \0) puts a control character in the text.
        for ch in dict.fromkeys(CONTROL.findall(value)):
            problem(
                node,
                path,
                f"the text holds control character U+{ord(ch):04X}, written as an "
                "escape (such as \\a, \\e, \\0 or \\x07) in quotes; it cannot be "
                "printed, remove the escape",
            )
    return value


def load_yaml(path: Path) -> tuple[object, Positions, list[Problem]]:
    """Load one YAML file safely. Syntax errors raise ContentError with line and column."""
    filename = display_path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as error:
        raise ContentError(
            [
                Problem(
                    filename, 1, 1, "", f"not UTF-8 text ({error.reason}); save the file as UTF-8"
                )
            ]
        ) from None
    control = _control_problems(text, filename)
    if control:
        raise ContentError(control)
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        line, col = (mark.line + 1, mark.column + 1) if mark else (1, 1)
        reason = error.problem or error.context or "invalid YAML"
        if error.context and error.context_mark and error.problem_mark:
            start = error.context_mark
            reason += f" ({error.context} that starts at {start.line + 1}:{start.column + 1})"
        raise ContentError(
            [Problem(filename, line, col, "", f"YAML syntax error: {reason}")]
        ) from None
    positions, problems = Positions(), list[Problem]()
    if root is None:
        return None, positions, problems
    constructor = yaml.SafeLoader("")
    try:
        data = _build(root, (), constructor, positions, problems, filename)
    except yaml.constructor.ConstructorError as error:
        mark = error.problem_mark
        line, col = (mark.line + 1, mark.column + 1) if mark else (1, 1)
        raise ContentError(
            [Problem(filename, line, col, "", f"YAML error: {error.problem}")]
        ) from None
    return data, positions, problems


def _control_problems(text: str, filename: str) -> list[Problem]:
    """Every raw control character, by line and column, with the field it is in."""
    found = list(CONTROL.finditer(text))
    if not found:
        return []
    cleaned = CONTROL.sub(" ", text)
    fields = _scalar_spans(cleaned)
    problems = []
    for match in found:
        index = match.start()
        line = text.count("\n", 0, index) + 1
        column = index - (text.rfind("\n", 0, index) + 1) + 1
        # In a value, or just before one (where YAML skips the space it became).
        where = next(
            (
                path
                for start, end, path in fields
                if index < end and not cleaned[index:start].strip()
            ),
            None,
        )
        problems.append(
            Problem(
                filename,
                line,
                column,
                format_path(where) if where is not None else "",
                f"control character U+{ord(match.group()):04X} is not allowed: it is "
                "invisible and cannot be printed; delete it (if your editor does not show "
                "it, retype the text around this spot)",
            )
        )
    return problems


def _scalar_spans(text: str) -> list[tuple[int, int, FieldPath]]:
    """(start, end, field path) of every scalar value; none if the text is not YAML."""
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError:
        return []
    spans: list[tuple[int, int, FieldPath]] = []

    def walk(node, path: FieldPath) -> None:
        if isinstance(node, yaml.MappingNode):
            for key, value in node.value:
                walk(value, path + (str(key.value),))
        elif isinstance(node, yaml.SequenceNode):
            for i, item in enumerate(node.value):
                walk(item, path + (i,))
        elif node is not None:
            spans.append((node.start_mark.index, node.end_mark.index, path))

    walk(root, ())
    return spans


def format_path(path: FieldPath) -> str:
    """('warnings', 0, 'title') -> 'warnings[0].title'."""
    text = ""
    for part in path:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else part)
    return text
