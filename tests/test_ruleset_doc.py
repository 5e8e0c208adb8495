"""The project's documents answer every citation the code makes.

Code comments cite the ruleset as ``docs/ruleset.md §N`` or just ``§N`` (sections with their
sub-numbers, e.g. ``§4.2``), the API contract as ``docs/design.md §N``, and deliberate deviations
from the reference chain by their id (``D-issuance``). Each must name something that exists.
"""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RULESET = ROOT / "docs" / "ruleset.md"
DESIGN = ROOT / "docs" / "design.md"
# Where citations live; docs/ itself is checked for its own cross-references below.
CODE_DIRS = ("rust", "python", "tests", "bench")
SUFFIXES = {".rs", ".py", ".pyi", ".md", ".toml"}

HEADING = re.compile(r"^#{2,4} (\d+(?:\.\d+)*)\.? ", re.M)
# A section number after "§", optionally preceded by the document it belongs to.
CITATION = re.compile(
    r"(?:(docs/(?:ruleset|design)\.md|SPEC(?:\.md)?|RULES(?:\.md)?) )?§(\d+(?:\.\d+)*)"
)
DEVIATION_ROW = re.compile(r"^\| `(D-[a-z0-9-]+)` \|", re.M)
DEVIATION_CITED = re.compile(r"`(D-[a-z0-9-]+)`")


def _sections(path: Path) -> set[str]:
    return set(HEADING.findall(path.read_text(encoding="utf-8")))


def _code_files() -> list[Path]:
    files: list[Path] = []
    for d in CODE_DIRS:
        for p in sorted((ROOT / d).rglob("*")):
            if p.is_file() and p.suffix in SUFFIXES and "target" not in p.parts:
                files.append(p)
    return files


def _citations() -> list[tuple[str, int, str | None, str]]:
    """(file, line, document or None for a bare §, section number) of every citation."""
    found: list[tuple[str, int, str | None, str]] = []
    for p in _code_files():
        for no, line in enumerate(p.read_text(encoding="utf-8").splitlines(), 1):
            for m in CITATION.finditer(line):
                found.append((str(p.relative_to(ROOT)), no, m.group(1), m.group(2)))
    return found


def test_ruleset_keeps_the_section_numbers_code_relies_on() -> None:
    sections = _sections(RULESET)
    # The top-level chapters 0–15 and a sample of sub-sections cited all over the code.
    assert {str(k) for k in range(16)} <= sections
    sample = {"0.3", "1.1", "1.2", "4.2", "4.3", "5.2", "6.3", "8.4", "9.4", "13.3", "15.13"}
    assert sample <= sections


def test_every_ruleset_citation_resolves() -> None:
    sections = _sections(RULESET)
    cites = [c for c in _citations() if c[2] is None or c[2] == "docs/ruleset.md"]
    assert len(cites) > 300  # the code cites the ruleset densely; an empty scan is a bug here
    missing = [f"{f}:{n}: §{s}" for f, n, _, s in cites if s not in sections]
    assert not missing, "citations without a section in docs/ruleset.md:\n" + "\n".join(missing)


def test_every_design_citation_resolves() -> None:
    sections = _sections(DESIGN)
    cites = [c for c in _citations() if c[2] == "docs/design.md"]
    assert cites
    missing = [f"{f}:{n}: §{s}" for f, n, _, s in cites if s not in sections]
    assert not missing, "citations without a section in docs/design.md:\n" + "\n".join(missing)


def test_no_citation_of_documents_outside_the_checkout() -> None:
    outside = [
        f"{f}:{n}: {d} §{s}" for f, n, d, s in _citations() if d and not d.startswith("docs/")
    ]
    assert not outside, "cite docs/ruleset.md or docs/design.md instead:\n" + "\n".join(outside)


def test_docs_cross_references_resolve() -> None:
    ruleset, design = _sections(RULESET), _sections(DESIGN)
    for doc, own in ((RULESET, ruleset), (DESIGN, design)):
        for m in CITATION.finditer(doc.read_text(encoding="utf-8")):
            named = {"docs/ruleset.md": ruleset, "docs/design.md": design}
            target = named.get(m.group(1) or "", own)
            assert m.group(2) in target, f"{doc.name}: {m.group(0)} does not resolve"


def test_deviation_ids_are_unique_and_every_cited_id_exists() -> None:
    text = RULESET.read_text(encoding="utf-8")
    chapter1 = text.split("\n## 1. ", 1)[1].split("\n## 2. ", 1)[0]
    rows = DEVIATION_ROW.findall(chapter1)
    assert len(rows) == len(set(rows)) and "D-issuance" in rows
    cited = {
        m
        for p in [RULESET, DESIGN, *_code_files()]
        for m in DEVIATION_CITED.findall(p.read_text(encoding="utf-8"))
    }
    unknown = sorted(cited - set(rows))
    assert not unknown, f"deviation ids without a row in §1: {unknown}"
