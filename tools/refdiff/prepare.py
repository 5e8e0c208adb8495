"""Prepare a checkout of the reference chain (opentensor/subtensor at f7b34e3ac8a3, Nov 2023) so
that its pallets and test mock build on today's stable Rust from crates.io alone.

No source file of the reference is edited: only the two pallet manifests are rewritten (git
dependencies on substrate branch `polkadot-v0.9.39` -> the crates.io releases of the weekly master
snapshot of 2023-03-05, which is that branch's code), a workspace manifest is written at the root,
and the refdiff harness is copied in as a test of `pallet-subtensor`.

    python tools/refdiff/prepare.py REF     # REF: the reference checkout
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent

# substrate crate -> the crates.io version published from the 2023-03-05 master snapshot
REGISTRY = {
    "frame-support": "=19.0.0",
    "frame-system": "=19.0.0",
    "frame-benchmarking": "=19.0.0",
    "pallet-balances": "=19.0.0",
    "pallet-utility": "=19.0.0",
    "pallet-membership": "=19.0.0",
    "pallet-transaction-payment": "=19.0.0",
    "sp-core": "=18.0.0",
    "sp-io": "=20.0.0",
    "sp-runtime": "=21.0.0",
    "sp-std": "=7.0.0",
    "sp-version": "=19.0.0",
    "sp-tracing": "=9.0.0",
    "substrate-fixed": "=0.5.9",
}

WORKSPACE = """[workspace]
members = ["pallets/subtensor", "pallets/collective"]
resolver = "1"

[profile.release]
panic = "unwind"

# As the reference does: unoptimised, its PoW tests run for more than ten minutes.
[profile.test]
opt-level = 3
"""


def rewrite_manifest(path: Path) -> None:
    out = []
    for line in path.read_text().splitlines():
        m = re.match(r"^([A-Za-z0-9_-]+)\s*=\s*\{(.*)\}\s*$", line)
        if m and m.group(1) in REGISTRY and "git" in m.group(2):
            name, body = m.group(1), m.group(2)
            body = re.sub(r",?\s*git\s*=\s*['\"][^'\"]*['\"]", "", body)
            body = re.sub(r",?\s*(branch|tag)\s*=\s*['\"][^'\"]*['\"]", "", body)
            body = re.sub(r",?\s*version\s*=\s*['\"][^'\"]*['\"]", "", body)
            body = body.strip().strip(",").strip()
            body = f'version = "{REGISTRY[name]}"' + (", " + body if body else "")
            line = f"{name} = {{ {body} }}"
        if line.startswith("parity-util-mem"):
            continue  # an unused dev-dependency that no longer builds
        line = line.replace('"frame-benchmarking/std"', '"frame-benchmarking?/std"')
        out.append(line)
    path.write_text("\n".join(out) + "\n")


def main(ref: Path) -> None:
    for manifest in ("pallets/subtensor/Cargo.toml", "pallets/collective/Cargo.toml"):
        rewrite_manifest(ref / manifest)
    (ref / "Cargo.toml").write_text(WORKSPACE)
    harness = ref / "pallets/subtensor/tests/refdiff.rs"
    shutil.copy(HERE / "harness.rs", harness)
    manifest = ref / "pallets/subtensor/Cargo.toml"
    text = manifest.read_text()
    if "serde_json" not in text:
        text = text.replace("[dev-dependencies]\n", '[dev-dependencies]\nserde_json = "1"\n', 1)
        manifest.write_text(text)
    # substrate-bip39 0.4.6 brings a second schnorrkel: keep the one these crates were built with.
    subprocess.run(["cargo", "generate-lockfile"], cwd=ref, check=True)
    subprocess.run(
        ["cargo", "update", "-p", "substrate-bip39", "--precise", "0.4.4"], cwd=ref, check=True
    )


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    main(Path(sys.argv[1]))
