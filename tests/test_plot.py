"""Pictures: every plot of the API and the CLI writes a PNG of the documented size."""

from __future__ import annotations

import json
import os
import struct
import subprocess
import sys
from collections.abc import Iterator

import pytest

import taostate as ts
from taostate import plot
from taostate.cli import main as cli
from taostate.errors import UnknownField
from taostate.synth import SynthConfig
from synth_chain import build

SMALL = SynthConfig(subnets=3, uids=12, validators=3, blocks=700, tempo=49, users=16, seed=2,
                    snapshot_every=200, governance_every=10_000)


@pytest.fixture(scope="module")
def synth(tmp_path_factory: pytest.TempPathFactory) -> str:
    return build(str(tmp_path_factory.mktemp("plot")), SMALL)


@pytest.fixture(scope="module")
def chain(synth: str) -> Iterator[ts.Chain]:
    with ts.Chain.open(synth, readonly=True) as c:
        yield c


def png_size(path: str) -> tuple[int, int]:
    """(width, height) from a PNG's IHDR chunk; fails unless the file is a PNG."""
    with open(path, "rb") as f:
        head = f.read(24)
    assert head[:8] == b"\x89PNG\r\n\x1a\n", f"{path} is not a PNG"
    assert head[12:16] == b"IHDR"
    width, height = struct.unpack(">II", head[16:24])
    return int(width), int(height)


def check_png(path: str) -> None:
    assert os.path.getsize(path) > 5_000, "an empty picture"
    assert png_size(path) == (plot.WIDTH, plot.HEIGHT)


def test_api_plots(chain: ts.Chain, tmp_path: object) -> None:
    d = str(tmp_path)
    check_png(plot.issuance(chain, os.path.join(d, "i.png")))
    check_png(plot.emission(chain, os.path.join(d, "e.png")))
    check_png(plot.metagraph(chain.at(600), 1, os.path.join(d, "m.png")))
    frame = chain.history(1, ["dividends"])
    check_png(plot.history(frame, 1, "dividends", os.path.join(d, "h.png")))
    with pytest.raises(UnknownField):
        plot.history(frame, 1, "incentive", os.path.join(d, "x.png"))
    assert not os.path.exists(os.path.join(d, "x.png"))
    with chain.fork(at=500, hyperparameters={1: {"kappa": 40_000}}) as fork:
        fork.replay(chain)
        check_png(plot.whatif(chain, fork, 1, os.path.join(d, "w.png")))


def test_cli_plots_and_whatif(synth: str, tmp_path: object, capsys: pytest.CaptureFixture[str]) -> None:
    d = str(tmp_path)
    for kind, extra in (("issuance", []), ("emission", []), ("metagraph", ["--netuid", "2"]),
                        ("history", ["--netuid", "1", "--field", "dividends"])):
        out = os.path.join(d, f"{kind}.png")
        assert cli(["plot", synth, kind, *extra, "-o", out]) == 0
        check_png(out)
    assert cli(["plot", synth, "metagraph"]) == 2  # --netuid missing
    capsys.readouterr()
    out = os.path.join(d, "whatif.png")
    assert cli(["whatif", synth, "--at", "300", "--set", "1.kappa=40000", "--blocks", "300",
                "--plot", out, "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["head"] == 600 and data["netuid"] == 1 and data["overrides"] == {"1": {"kappa": 40000}}
    assert data["main"] != data["fork"]
    check_png(out)
    assert cli(["whatif", synth, "--at", "300", "--set", "1.kapa=4", "--blocks", "10"]) == 2
    assert "UnknownHyperparameter" in capsys.readouterr().err


def test_import_taostate_works_without_matplotlib_and_polars() -> None:
    code = ("import sys; sys.modules['matplotlib'] = None; sys.modules['polars'] = None\n"
            "import taostate as ts\n"
            "from taostate.errors import MissingExtra\n"
            "c = ts.Chain.ephemeral(ts.Genesis(balances={ts.account('a'): 10**12}, sudo=ts.account('a')))\n"
            "c.step(2)\n"
            "f = c.fork(at=1); f.step(); assert f.head == 2\n"
            "try:\n    c.chain_series()\nexcept MissingExtra as e:\n    print('frames:', e)\n"
            "try:\n    ts.plot.metagraph(c, 0)\nexcept MissingExtra as e:\n    print('plot:', e)\n"
            "c.close()\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert "frames: data frames need polars: pip install 'taostate[frames]'" in out
    assert "plot: pictures need matplotlib: pip install 'taostate[plot]'" in out
