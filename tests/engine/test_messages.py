"""What people receive: the scenario's template rendered for them, in their language."""

from __future__ import annotations

from types import SimpleNamespace

from drill.engine.notifier import Page


async def test_each_page_carries_the_rendered_message_in_the_persons_language(
    kit: SimpleNamespace,
) -> None:
    b = kit.PlanBuilder(organisation="サンプル市")
    b.site("north", "北部支所")
    b.person("yamada", name="山田 太郎", site="north")
    b.person("smith", name="John Smith", language="en")
    b.role("north", "yamada", site="north", name="北部支所セキュリティ責任者")
    b.level("t", "first", ["north", "smith"], timeout=5)
    h = kit.Harness(b.build())
    await h.runner.run_until(0)

    pages: dict[str, Page] = {p.person_id: p for p in h.notifier.sent}
    ja = pages["yamada"].message
    assert "山田 太郎様" in ja.voice and "北部支所セキュリティ責任者として" in ja.voice
    assert "10:05までに" in ja.voice  # 10:00 in Tokyo + 5 minutes
    assert "北部支所" in ja.email_body and "開始 10:00" in ja.email_body
    assert "\n" not in ja.email_subject
    en = pages["smith"].message
    assert en.voice.startswith("Test City, Contact tree drill. John Smith")
    assert "acknowledge by 10:05" in en.sms
    # The drill marker is the channel's job, so no template can remove it.
    assert all("訓練】" not in p.message.voice for p in pages.values())
    assert pages["yamada"].role_id == "north" and pages["yamada"].role_name is not None
    assert pages["smith"].role_id is None and pages["smith"].role_name is None
    assert pages["yamada"].deadline == h.clock.now().replace(minute=5)
