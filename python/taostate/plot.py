"""Pictures of a chain as PNG files (the extra ``taostate[plot]``: matplotlib, plus polars).

Each function draws one figure of `WIDTH` × `HEIGHT` pixels with matplotlib's Agg renderer (no
display, no pyplot global state) and returns the path it wrote. matplotlib is imported only when
one is called, so `import taostate` works without it.

- `issuance(chain)`: total issuance and block emission over blocks, with the halving thresholds
  (docs/ruleset.md §2: the block emission halves each time issuance crosses 21M·(1 − 2⁻ʰ)).
- `emission(chain)`: each subnet's emission value per block over blocks, stacked.
- `metagraph(state, netuid)`: incentive and dividends by uid at one block.
- `history(frame, netuid, field)`: one line per uid over the blocks of a `history()` frame.
- `whatif(main, fork, netuid)`: incentive and dividends per uid on the main line and on a fork.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Any

import numpy as np

from .errors import MissingExtra, UnknownField

if TYPE_CHECKING:
    import polars as pl

    from .queries import Queries

WIDTH, HEIGHT, DPI = 1200, 600, 100
S_MAX_TAO = 21_000_000
RAO = 1e9
Path = str | os.PathLike[str]
# u16 fields stored out of 65535, drawn as shares
_U16_SHARES = {"rank", "trust", "consensus", "incentive", "dividends", "validator_trust"}


def _figure(rows: int = 1, cols: int = 1) -> tuple[Any, Any]:
    try:
        from matplotlib.backends.backend_agg import FigureCanvasAgg
        from matplotlib.figure import Figure
    except ImportError as e:
        raise MissingExtra("pictures need matplotlib: pip install 'taostate[plot]'") from e
    fig = Figure(figsize=(WIDTH / DPI, HEIGHT / DPI), dpi=DPI, layout="constrained")
    FigureCanvasAgg(fig)
    axes = fig.subplots(rows, cols, squeeze=False)
    return fig, axes


def _save(fig: Any, path: Path) -> str:
    out = os.fspath(path)
    fig.savefig(out, format="png", dpi=DPI)
    return out


def _every(src: Any, points: int = 600) -> int:
    return max(1, int(src._committed_head() - src._first_block()) // points)


def issuance(chain: Any, path: Path = "issuance.png") -> str:
    """Total issuance and block emission of `chain` (a Chain or Fork) over its blocks."""
    frame = chain.chain_series(["total_issuance", "block_emission"], every=_every(chain))
    fig, ax = _figure()
    a = ax[0][0]
    blocks = frame["block"].to_numpy()
    issued = frame["total_issuance"].to_numpy() / RAO
    a.plot(blocks, issued, color="tab:blue", label="total issuance")
    a.set_xlabel("block")
    a.set_ylabel("total issuance (τ)")
    top = float(issued.max()) if len(issued) else 0.0
    for h in range(1, 8):
        threshold = S_MAX_TAO * (1 - 0.5 ** h)
        if threshold <= top * 1.2:
            a.axhline(threshold, color="tab:red", linestyle="--", linewidth=0.8)
        else:
            a.annotate(f"next halving when issuance reaches {threshold:,.0f} τ "
                       f"(block emission → {0.5 ** h:g} τ)", xy=(0.02, 0.5),
                       xycoords="axes fraction", va="top", fontsize=9, color="tab:red")
            break
    b = a.twinx()
    b.step(blocks, frame["block_emission"].to_numpy() / RAO, color="tab:orange",
           where="post", label="block emission")
    b.set_ylabel("block emission (τ per block)")
    b.set_ylim(bottom=0)
    a.set_title(f"issuance and block emission, blocks {blocks[0] if len(blocks) else 0}–"
                f"{blocks[-1] if len(blocks) else 0}")
    lines = a.get_lines()[:1] + b.get_lines()
    a.legend(lines, [x.get_label() for x in lines], loc="lower right")
    return _save(fig, path)


def emission(chain: Any, path: Path = "emission.png") -> str:
    """Each subnet's emission value (τ per block) over blocks, stacked."""
    frame = chain.subnet_series(fields=["emission_value"], every=_every(chain))
    fig, ax = _figure()
    a = ax[0][0]
    if frame.height:
        wide = frame.pivot(on="netuid", index="block", values="emission_value").sort("block")
        wide = wide.fill_null(0)
        nets = [c for c in wide.columns if c != "block"]
        a.stackplot(wide["block"].to_numpy(), *[wide[c].to_numpy() / RAO for c in nets],
                    labels=[f"subnet {c}" for c in nets])
        a.legend(loc="upper left", fontsize=8, ncols=max(1, len(nets) // 8))
    a.set_xlabel("block")
    a.set_ylabel("emission value (τ per block)")
    a.set_title("emission per subnet (root epoch's EmissionValues), stacked")
    return _save(fig, path)


def metagraph(state: Queries, netuid: int, path: Path = "metagraph.png") -> str:
    """Incentive and dividends by uid of subnet `netuid` in `state` (chain, view or fork)."""
    mg = state.metagraph(netuid)
    fig, ax = _figure(2, 1)
    uids = np.arange(mg.n)
    for a, values, name, color in ((ax[0][0], mg.incentive, "incentive", "tab:green"),
                                   (ax[1][0], mg.dividends, "dividends", "tab:purple")):
        a.bar(uids, values, color=color)
        a.set_ylabel(name)
        a.set_xlim(-0.5, max(mg.n, 1) - 0.5)
    ax[1][0].set_xlabel("uid")
    ax[0][0].set_title(f"subnet {netuid} at block {mg.block}: incentive and dividends by uid")
    return _save(fig, path)


def history(frame: pl.DataFrame, netuid: int, field: str, path: Path = "history.png") -> str:
    """One line per uid: `field` of subnet `netuid` over the blocks of a `history()` frame."""
    if field not in frame.columns or field in ("block", "netuid", "uid", "hotkey", "coldkey"):
        raise UnknownField(f"the frame has no field {field!r}: it has {frame.columns}")
    sub = frame.filter(frame["netuid"] == netuid).sort("block")
    share = field in _U16_SHARES
    fig, ax = _figure()
    a = ax[0][0]
    drawn = 0
    for (uid,), rows in sub.group_by(["uid"], maintain_order=True):
        values = rows[field].cast(float).to_numpy()
        if not values.any():
            continue  # a uid that is always 0 would only hide the axis
        a.plot(rows["block"].to_numpy(), values / 65535 if share else values, linewidth=1,
               marker="o", markersize=3, label=f"uid {uid}")
        drawn += 1
    if 0 < drawn <= 16:
        a.legend(loc="upper left", fontsize=8, ncols=2)
    a.set_xlabel("block")
    a.set_ylabel(f"{field} (share of 1)" if share else field)
    a.set_title(f"subnet {netuid}: {field} per uid over {sub['block'].n_unique()} samples "
                f"({drawn} uids not always 0)")
    return _save(fig, path)


def whatif(main: Queries, fork: Queries, netuid: int, path: Path = "whatif.png", *,
           label: str = "fork") -> str:
    """Incentive and dividends per uid of subnet `netuid`: the main line and the fork side by side."""
    ma, mb = main.metagraph(netuid), fork.metagraph(netuid)
    n = max(ma.n, mb.n)
    fig, ax = _figure(2, 1)
    width = 0.4
    uids = np.arange(n)
    for a, name in ((ax[0][0], "incentive"), (ax[1][0], "dividends")):
        va = np.zeros(n)
        vb = np.zeros(n)
        va[:ma.n] = getattr(ma, name)
        vb[:mb.n] = getattr(mb, name)
        a.bar(uids - width / 2, va, width, label=f"main (block {ma.block})", color="tab:blue")
        a.bar(uids + width / 2, vb, width, label=f"{label} (block {mb.block})", color="tab:orange")
        a.set_ylabel(name)
        a.set_xlim(-0.5, max(n, 1) - 0.5)
        a.legend(loc="upper right", fontsize=8)
    ax[1][0].set_xlabel("uid")
    ax[0][0].set_title(f"subnet {netuid}: main line and {label}")
    return _save(fig, path)
