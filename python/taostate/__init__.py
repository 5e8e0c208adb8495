"""taostate: an event-sourced state engine for a Bittensor-style chain (ruleset finney-2023).

Amounts are int rao everywhere (1 TAO = 10**9 rao). See README.md for a walk-through.
"""

from __future__ import annotations

from . import errors, frames, plot, rules, tx, yuma
from .accounts import AccountId, account
from .balance import RAO_PER_TAO, TAO, Balance
from .chain import Chain, Genesis, Receipt, View
from .genesis import NeuronImport, SubnetImport
from .errors import InvalidTransaction, LogError, ReplayDivergence, TaoStateError, TxRejected
from . import queries
from .fork import Fork, Rejected
from .frames import diff
from .queries import Metagraph
from .sweep import Scenario, sweep

__all__ = [
    "RAO_PER_TAO",
    "TAO",
    "AccountId",
    "Balance",
    "Chain",
    "Fork",
    "Genesis",
    "NeuronImport",
    "SubnetImport",
    "InvalidTransaction",
    "LogError",
    "Metagraph",
    "Receipt",
    "Rejected",
    "Scenario",
    "ReplayDivergence",
    "TaoStateError",
    "TxRejected",
    "View",
    "account",
    "diff",
    "errors",
    "frames",
    "plot",
    "rules",
    "sweep",
    "tx",
    "yuma",
]
