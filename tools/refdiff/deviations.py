"""The ruleset's deliberate deviations from the reference (docs/ruleset.md §1), as the differential
harness accounts for them: :data:`NORMALISATIONS` has one entry per id of that table (the exporter
and the comparer name these ids), :data:`ERROR_ALIASES` renames taostate's errors to the
reference's (D-error-names), and the two constants both sides' rules hinge on.
"""

from __future__ import annotations

from dataclasses import dataclass

ED = 500
REF_BLOCK_EMISSION = 1_000_000_000


@dataclass(frozen=True)
class Normalisation:
    """How the comparison accounts for one deviation. ``kind``: ``input`` (the exporter does not
    send the transaction to the reference and requires taostate to refuse it, or adapts the
    input both sides see), ``compare`` (a rule of the comparer explains a difference) or
    ``unobservable`` (nothing a history run here can show; ``how`` says why)."""

    kind: str
    how: str


NORMALISATIONS: dict[str, Normalisation] = {
    "D-halving": Normalisation("compare", "BlockEmission is not compared; a difference of "
                               "EmissionValues while taostate's BlockEmission ≠ 10^9 is explained "
                               "and ends the comparison of that history"),
    "D-issuance": Normalisation("compare", "the reference's TotalIssuance counter is not compared; "
                                "taostate's TotalIssuance must equal the reference's Σ free + Σ "
                                "stake + Σ SubnetLocked"),
    "D-fees": Normalisation("unobservable", "the harness dispatches calls directly, without the "
                            "transaction-payment extension, so the reference charges no fee either"),
    "D-existential": Normalisation("compare", "genesis balances below ED are dropped from both "
                                   "sides' input; a first difference in an outcome or a free "
                                   "balance that involves an amount below ED (reaping, keep-alive, "
                                   "destroyed dust) is explained and ends the comparison"),
    "D-swap-hotkey": Normalisation("input", "swap_hotkey is not sent; taostate must refuse it "
                                   "(CallNotSupported)"),
    "D-pow-hash": Normalisation("input", "register (PoW) and faucet are dropped from both sides' "
                                "input; registrations use burned/sudo/root registration"),
    "D-order": Normalisation("compare", "every map is compared keyed and sorted (netuids, uids, "
                             "accounts ascending); histories stay below 256 uids and subnets, where "
                             "the orders agree"),
    "D-param-bounds": Normalisation("input", "setting one of the degenerate values is not sent; "
                                    "taostate must refuse it"),
    "D-root-exp-abort": Normalisation("compare", "an EmissionValues difference at a block where "
                                      "taostate reported RootEpochAborted is explained and ends "
                                      "the comparison"),
    "D-total-issuance-setter": Normalisation("input", "setting total_issuance is not sent; taostate "
                                             "must refuse it"),
    "D-zero-max-uids": Normalisation("compare", "sudo_register refused by taostate with "
                                     "NetworkDoesNotExist on a subnet with MaxAllowedUids = 0 is "
                                     "explained and ends the comparison"),
    "D-proposal-hash": Normalisation("input", "a proposal's taostate hash is sent along with "
                                     "propose; the harness maps it to the reference's hash for "
                                     "vote, close and disapprove; proposals are compared by index"),
    "D-ownerless": Normalisation("input", "calls whose OwnerOrSudo check the all-zero account "
                                 "would pass in the reference are not sent when signed by it; "
                                 "taostate must refuse them"),
    "D-membership-calls": Normalisation("unobservable", "taostate has no such transactions, so "
                                        "no history contains one"),
    "D-sudo-register-cap": Normalisation("compare", "sudo_register refused by taostate with "
                                         "ArithmeticOverflow and accepted by the reference is "
                                         "explained and ends the comparison"),
    "D-sudo-mint": Normalisation("input", "sudo_set_balance and sudo_register_network are not "
                                 "sent: the 2023 chain has no such calls"),
    "D-events": Normalisation("unobservable", "events are not compared; the state is"),
    "D-proposable": Normalisation("input", "a propose whose inner transaction is not Sudo-kind "
                                  "with the all-zero origin is not sent; taostate must refuse it"),
    "D-prune-events": Normalisation("unobservable", "events are not compared; the state is"),
    "D-counter-saturate": Normalisation("unobservable", "needs 65 535 registrations in one "
                                        "interval; no history here comes close"),
    "D-checked-credit": Normalisation("compare", "a transaction refused by taostate with "
                                      "ArithmeticOverflow and accepted by the reference is "
                                      "explained and ends the comparison"),
    "D-work-length": Normalisation("unobservable", "register (PoW) is not exported (D-pow-hash)"),
    "D-generic-setter": Normalisation("input", "sudo_set_hyperparameter becomes the reference's "
                                      "sudo_set_<name>; a name with no reference setter, the wrong "
                                      "scope or a value that does not fit the type is not sent and "
                                      "taostate must refuse it"),
    "D-error-names": Normalisation("compare", "error names are compared through the renaming "
                                   "table ERROR_ALIASES"),
    "D-u64-blocks": Normalisation("input", "a propose whose end (block + duration) does not "
                                  "fit the real runtime's u32 block number is not sent (the "
                                  "reference's addition overflows); taostate's outcome is free"),
    "D-genesis": Normalisation("input", "the harness builds block 0 from taostate's genesis "
                               "record: the root network by the reference's own migration, "
                               "balances, triumvirate membership, global parameters by setters"),
}

# taostate name -> reference names it stands for (D-error-names)
ERROR_ALIASES: dict[str, set[str]] = {
    "BalanceBelowExistentialDeposit": {"ExistentialDeposit", "KeepAlive"},
    "AlreadySenateMember": {"AlreadyMember"}, "AlreadyTriumvirateMember": {"AlreadyMember"},
    "NotSenateMember": {"NotMember"}, "NotTriumvirateMember": {"NotMember"},
    "TooManySenateMembers": {"TooManyMembers"}, "TooManyTriumvirateMembers": {"TooManyMembers"},
    "BadOrigin": {"RequireSudo"},
    "InsufficientBalance": {"BalanceWithdrawalError"},
}
