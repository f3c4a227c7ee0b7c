#!/usr/bin/env python3
"""Write docs/guide/api.md, the API reference, from the public modules' docstrings.

    .venv/bin/python scripts/gen_api_docs.py           # rewrite docs/guide/api.md
    .venv/bin/python scripts/gen_api_docs.py --check   # exit 1 if it is out of date

The public API is each module's `__all__` (plus the devtools' row and test-case
types, which their functions return or take). Every name gets its signature
(from `inspect`) and its docstring as written; a class also gets its public
methods and properties, its own and those of its Ember base classes. Names
re-exported from torchao are listed with where they come from, not their
documentation, which belongs to torchao. tests/python/test_docs_guide.py
fails when the file differs from what this script writes.
"""

from __future__ import annotations

import argparse
import importlib
import inspect
import pprint
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "docs" / "guide" / "api.md"

# (module, names): None takes the module's __all__. Submodules listed in a
# parent's __all__ (ember.runtime in ember's) get their own section instead.
SECTIONS: list[tuple[str, list[str] | None]] = [
    ("ember", None),
    ("ember.runtime", None),
    ("ember.partitioners", None),
    ("ember.quantizer", None),
    ("ember.devtools", None),
    ("ember.devtools.inspector", ["InstructionRow", "SourceRow"]),
    ("ember.devtools.bundled_program.config", None),
    ("ember.devtools.bundled_program.serialize", None),
    ("ember.llm", None),
]

HEADER = """\
# API reference

Generated from the docstrings by `scripts/gen_api_docs.py`: do not edit this page, edit
the docstring and run the script again (`tests/python/test_docs_guide.py` fails while the
two differ). The public API of each module is its `__all__`. The guide's other pages show
these in use; [README](README.md) lists them.
"""


WIDTH = 100


class _Text:
    """An annotation written as a string (`from __future__ import annotations`),
    shown without the quotes repr would give it."""

    def __init__(self, text: str):
        self.text = text

    def __repr__(self) -> str:
        return self.text


def _plain(annotation: Any) -> Any:
    return _Text(annotation) if isinstance(annotation, str) else annotation


def _signature(name: str, obj: Any, method: bool = False, is_class: bool = False) -> str:
    """`name(a: int, b=1) -> str`, wrapped at WIDTH columns, one parameter per
    line then; `name` alone when inspect finds no signature (a builtin's).
    `method` drops the first parameter (self, cls); a class shows no return."""
    try:
        sig = inspect.signature(obj)
    except (TypeError, ValueError):
        return name
    params = list(sig.parameters.values())[1 if method else 0:]
    # The separators as inspect.Signature.__str__ places them.
    parts: list[str] = []
    kw_only_star, pos_only_slash = True, False
    for p in params:
        p = p.replace(annotation=_plain(p.annotation))
        if p.kind == p.POSITIONAL_ONLY:
            pos_only_slash = True
        elif pos_only_slash:
            parts.append("/")
            pos_only_slash = False
        if p.kind == p.VAR_POSITIONAL:
            kw_only_star = False
        elif p.kind == p.KEYWORD_ONLY and kw_only_star:
            parts.append("*")
            kw_only_star = False
        parts.append(str(p))
    if pos_only_slash:
        parts.append("/")
    ret = sig.return_annotation
    tail = ")" if is_class or ret is sig.empty else f") -> {_plain(ret)!r}"
    one_line = f"{name}({', '.join(parts)}{tail}"
    if len(one_line) <= WIDTH or not parts:
        return one_line
    indent = " " * (len(name) + 1)
    text = f"{name}(" + f",\n{indent}".join(parts)
    last = len(text) - text.rfind("\n") - 1
    return text + (tail if last + len(tail) <= WIDTH else f"\n{indent[:-1]}{tail}")


def _doc(obj: Any) -> str:
    """The object's own docstring ("" if it has none: an inherited one, such as
    Exception's, is not the object's), dedented by the indentation of its
    definition, so that indented examples keep their place."""
    target = obj.fget if isinstance(obj, property) else obj
    raw = target.__dict__.get("__doc__") if isinstance(target, type) else target.__doc__
    if not raw:
        return ""
    indent = 0
    if not inspect.ismodule(target):
        try:
            first = inspect.getsourcelines(target)[0][0]
            indent = len(first) - len(first.lstrip()) + 4
        except (OSError, TypeError):
            return inspect.cleandoc(raw)
    lines = raw.expandtabs().split("\n")
    lines = [lines[0].strip()] + [
        line[min(indent, len(line) - len(line.lstrip())):].rstrip() for line in lines[1:]]
    return "\n".join(lines).strip("\n")


def _is_ember(obj: Any) -> bool:
    return (getattr(obj, "__module__", None) or "").split(".")[0] == "ember"


def _members(cls: type) -> list[tuple[str, Any, bool]]:
    """(name, member, is_method) for the public methods and properties of
    `cls` and of its Ember base classes, the definition nearest to `cls`
    winning. A staticmethod is no method: it keeps its first parameter."""
    seen: dict[str, tuple[Any, bool]] = {}
    for base in cls.__mro__:
        if not _is_ember(base):
            continue
        for name, value in vars(base).items():
            if name.startswith("_") or name in seen:
                continue
            if isinstance(value, staticmethod):
                seen[name] = (value.__func__, False)
            elif isinstance(value, classmethod):
                seen[name] = (value.__func__, True)
            elif inspect.isfunction(value) or isinstance(value, property):
                seen[name] = (value, inspect.isfunction(value))
    return [(name, *seen[name]) for name in sorted(seen)]


def _entry(title: str, signature: str, doc: str) -> list[str]:
    """A heading, then the signature and the docstring as plain text: docstrings
    are written as text, not Markdown."""
    body = signature + ("\n\n" + doc if doc else "")
    return [title, "", "```text", body, "```", ""]


def _render_class(qualname: str, cls: type) -> list[str]:
    short = qualname.rsplit(".", 1)[1]
    lines = _entry(f"### class `{qualname}`", _signature(f"class {short}", cls, is_class=True),
                   _doc(cls))
    for name, member, is_method in _members(cls):
        if isinstance(member, property):
            lines += _entry(f"#### `{short}.{name}`", f"property {name}", _doc(member))
        else:
            lines += _entry(f"#### `{short}.{name}`", _signature(name, member, is_method),
                            _doc(member))
    return lines


def _render(module_name: str, name: str, obj: Any) -> list[str]:
    qualname = f"{module_name}.{name}"
    if inspect.ismodule(obj):
        return []  # a submodule: its own section
    if not _is_ember(obj) and (inspect.isclass(obj) or callable(obj)):
        origin = f"{obj.__module__}.{obj.__qualname__}"
        return [f"### `{qualname}`", "", f"Re-exported from torchao: `{origin}`",
                "(its documentation is torchao's).", ""]
    if inspect.isclass(obj):
        return _render_class(qualname, obj)
    if callable(obj):
        return _entry(f"### `{qualname}`", _signature(name, obj), _doc(obj))
    value = pprint.pformat(obj, width=WIDTH, sort_dicts=False)
    return _entry(f"### `{qualname}`", f"{name} =\n{value}", "")


def render() -> str:
    """The whole page, as the script writes it."""
    lines = [HEADER]
    for module_name, names in SECTIONS:
        module = importlib.import_module(module_name)
        lines += [f"## `{module_name}`", ""]
        if module.__doc__:
            lines += ["```text", _doc(module), "```", ""]
        for name in names if names is not None else module.__all__:
            lines += _render(module_name, name, getattr(module, name))
    return "\n".join(lines).rstrip("\n") + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true",
                        help=f"exit 1 if {OUT.relative_to(ROOT)} is not what it would write")
    args = parser.parse_args(argv)
    text = render()
    if args.check:
        if not OUT.is_file() or OUT.read_text() != text:
            print(f"{OUT.relative_to(ROOT)} is out of date: run scripts/gen_api_docs.py",
                  file=sys.stderr)
            return 1
        return 0
    OUT.write_text(text)
    print(f"wrote {OUT.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
