"""The README's walk-through runs as written (tried as a new user would)."""

from __future__ import annotations

import pathlib
import re

import taostate as ts


def test_readme_example_runs() -> None:
    text = (pathlib.Path(__file__).parent.parent / "README.md").read_text()
    code = re.search(r"```python\n(.*?)```", text, re.S)
    assert code is not None
    env: dict[str, object] = {}
    exec(compile(code.group(1), "README.md", "exec"), env)  # noqa: S102
    chain = env["chain"]
    assert isinstance(chain, ts.Chain)
