"""What people receive: the scenario's template rendered for them, in their language."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from drill.engine.notifier import Page
from drill.plan.templates import compile_template, plain_pieces


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


_VALUES = {
    "person": "山田 太郎",
    "role": "北部支所 <セキュリティ> 責任者 & {{ x }}",
    "site": "北部支所",
    "scenario": "訓練 {% if %}",
    "organisation": "サンプル市",
    "deadline": "10:05",
    "started": "10:00",
    "callback": "システム管理者　渡辺 健二（095-000-1234）",
}


@pytest.mark.parametrize(
    "source",
    [
        "{{ organisation }}の{{ scenario }}です。{{ person }}様、{{ deadline }}までに",
        "{{person}}{{role}}\n\n{{ site }}\r\nend\n",
        "Dear {{ person }},\n  acknowledge by {{ deadline }}.\n\n",
        "no placeholder at all",
        "",
        "{{ callback }}{{ started }}\x00{{ person }}",
        "{# a comment #}{{ person }} {% raw %}{{ not a placeholder }}{% endraw %}",
        "{{ person }}{% if site %}（{{ site }}）{% endif %}",
        "{{ person | upper }} {{ role[:3] }} {{ 'x' ~ site }}",
    ],
)
def test_a_plain_template_is_joined_exactly_as_the_sandbox_renders_it(source: str) -> None:
    """Pages of text and placeholders skip Jinja's context (a nationwide drill renders
    tens of thousands); the text must be what the sandbox would have rendered."""
    pieces = plain_pieces(source)
    rendered = compile_template(source).render(**_VALUES)
    if pieces is None:
        assert "{%" in source or "|" in source or "~" in source  # only richer templates
        return
    assert "".join(_VALUES[p] if is_name else p for is_name, p in pieces) == rendered


async def test_pages_of_a_template_with_if_are_rendered_by_the_sandbox(
    kit: SimpleNamespace,
) -> None:
    b = kit.PlanBuilder(organisation="サンプル市")
    b.site("north", "北部支所")
    b.person("yamada", name="山田 太郎", site="north")
    b.person("sato", name="佐藤 花子")
    b.role("north", "yamada", site="north")
    b.level("t", "first", ["north", "sato"], timeout=5)
    plan = b.build()
    scenario = plan.scenarios[0]
    ja = scenario.messages.ja.model_copy(
        update={"voice": "{{ person }}様{% if site %}（{{ site }}）{% endif %}"}
    )
    messages = scenario.messages.model_copy(update={"ja": ja})
    plan = plan.model_copy(
        update={"scenarios": (scenario.model_copy(update={"messages": messages}),)}
    )
    h = kit.Harness(plan)
    await h.runner.run_until(0)
    voices = {p.person_id: p.message.voice for p in h.notifier.sent}
    assert voices == {"yamada": "山田 太郎様（北部支所）", "sato": "佐藤 花子様"}
