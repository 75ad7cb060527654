"""What the referrals models share: append-only rows, the project's one mechanism
(``foodbank/append_only.py``), under the name these models have always used."""

from foodbank.append_only import AppendOnlyModel as AppendOnly

__all__ = ["AppendOnly"]
