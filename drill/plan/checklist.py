"""The Ministry's self-inspection checklist (自己点検) items a drill can give evidence for.

Wording abridged from the checklist (seed 003). Scores: 3 運用している (operated: known to
staff and carried out), 2 整備している (in the rules only), 1 整備していない, 0 not applicable.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["CHECKLIST", "SCORES", "ChecklistItem"]


@dataclass(frozen=True, slots=True)
class ChecklistItem:
    """One item of the self-inspection checklist."""

    number: str
    ja: str
    en: str


CHECKLIST: dict[str, ChecklistItem] = {
    item.number: item
    for item in (
        ChecklistItem(
            "5-1", "緊急時対応計画書を整備している", "An emergency response plan is in place"
        ),
        ChecklistItem(
            "5-2",
            "庁内の緊急時連絡網を整備している",
            "An internal emergency contact tree is in place",
        ),
        ChecklistItem(
            "5-3",
            "庁外の関係機関との緊急連絡網を整備している",
            "A contact tree with outside agencies is in place",
        ),
        ChecklistItem(
            "16-3",
            "紛失・盗難時は直ちに報告させることとしている",
            "Loss or theft of an operator card is reported at once",
        ),
        ChecklistItem(
            "16-4",
            "紛失・盗難時は速やかに失効手続きをとることとしている",
            "A lost or stolen operator card is revoked promptly",
        ),
        ChecklistItem("18-1", "操作履歴をチェックしている", "Operation logs are checked"),
        ChecklistItem(
            "29-1",
            "障害を発見したときに、システム管理者に報告を行うこととしている",
            "Failures are reported to the system administrator",
        ),
        ChecklistItem(
            "29-2",
            "不正アクセスを発見したときに、システム管理者に報告を行うこととしている",
            "Unauthorized access is reported to the system administrator",
        ),
        ChecklistItem(
            "31-1",
            "障害からの回復をおこなう責任者及び担当者を定めている",
            "Those responsible for recovery from failures are named",
        ),
        ChecklistItem("31-2", "回復する手順を定めている", "The recovery procedure is defined"),
    )
}

SCORES: dict[int, tuple[str, str]] = {
    3: ("運用している", "operated"),
    2: ("整備している", "in the rules only"),
    1: ("整備していない", "not in place"),
    0: ("該当なし", "not applicable"),
}
