"""The words of `drillkit oncall`: who is on duty (当番) and who is away (不在)."""

from __future__ import annotations

__all__ = ["DUTY"]

DUTY: dict[str, tuple[str, str]] = {
    # (ja, en)
    "title": ("当番と不在（{at} 現在）", "On duty and away (as of {at})"),
    "no_rotation": (
        "輪番の役割はありません（連絡先一覧の役割に rotation を書くと当番を輪番にできます）。",
        "No role rotates (give a role a `rotation` in the contacts to make it a duty rota).",
    ),
    "role": ("役割", "Role"),
    "now": ("当番", "On duty"),
    "until": ("交代", "Until"),
    "next": ("次の当番", "Next"),
    "override": ("（臨時）", " (override)"),
    "holder_away": ("不在: {reason}。代理者を呼び出します", "away: {reason}; the deputy is paged"),
    "away_title": ("不在の人（今後{days}日以内を含む）", "Away (now, or within {days} days)"),
    "nobody_away": ("不在の人はいません。", "Nobody is marked away."),
    "person": ("氏名", "Person"),
    "reason": ("理由", "Why"),
    "period": ("期間", "Period"),
    "roles": ("役割", "Roles"),
    "away_now": ("不在中", "away now"),
    "line": (
        "当番: {role} は {person}（{until} まで）",
        "On duty: {role} is {person} (until {until})",
    ),
}
