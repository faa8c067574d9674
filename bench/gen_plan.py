"""Write a nationwide-style plan directory for benchmarks (a generator; it measures nothing).

The plan has the shape of a national roll-call drill: a desk at each of the 47
prefectures, then every municipality's ten roles (住基ネット統括責任者, セキュリティ責任者, …),
each role with a holder and one deputy, so contacts = people / 2. People and roles are
split by regional block over 14 contacts files (a block of more than 5,000 people in
parts), and the tree is in a file of its own, as an
organisation that keeps one file per block would write them. Names are Japanese (kanji
and kana); every number is in the unassignable ranges of a sample plan (090-00XX-XXXX,
070/080 likewise, 095-000-XXXX for the prefecture desks) and every address is under
`.example`, so the plan is marked `sample: true` and can never reach a real provider.

    .venv/bin/python bench/gen_plan.py --people 35000 --out /tmp/nationwide
    .venv/bin/drillkit validate /tmp/nationwide
    .venv/bin/drillkit run nationwide --plan /tmp/nationwide --simulate --no-report

The same `--people` and `--seed` always write the same files.
"""

from __future__ import annotations

import argparse
import random
import sys
from collections.abc import Iterator
from pathlib import Path

__all__ = ["write_plan"]

# (kanji, kana, romaji): common family names.
FAMILY = [
    ("佐藤", "さとう", "sato"),
    ("鈴木", "すずき", "suzuki"),
    ("高橋", "たかはし", "takahashi"),
    ("田中", "たなか", "tanaka"),
    ("伊藤", "いとう", "ito"),
    ("渡辺", "わたなべ", "watanabe"),
    ("山本", "やまもと", "yamamoto"),
    ("中村", "なかむら", "nakamura"),
    ("小林", "こばやし", "kobayashi"),
    ("加藤", "かとう", "kato"),
    ("吉田", "よしだ", "yoshida"),
    ("山田", "やまだ", "yamada"),
    ("佐々木", "ささき", "sasaki"),
    ("山口", "やまぐち", "yamaguchi"),
    ("松本", "まつもと", "matsumoto"),
    ("井上", "いのうえ", "inoue"),
    ("木村", "きむら", "kimura"),
    ("林", "はやし", "hayashi"),
    ("斎藤", "さいとう", "saito"),
    ("清水", "しみず", "shimizu"),
    ("山崎", "やまざき", "yamazaki"),
    ("森", "もり", "mori"),
    ("池田", "いけだ", "ikeda"),
    ("橋本", "はしもと", "hashimoto"),
    ("阿部", "あべ", "abe"),
    ("石川", "いしかわ", "ishikawa"),
    ("山下", "やました", "yamashita"),
    ("中島", "なかじま", "nakajima"),
    ("石井", "いしい", "ishii"),
    ("小川", "おがわ", "ogawa"),
    ("前田", "まえだ", "maeda"),
    ("岡田", "おかだ", "okada"),
    ("長谷川", "はせがわ", "hasegawa"),
    ("藤田", "ふじた", "fujita"),
    ("後藤", "ごとう", "goto"),
    ("近藤", "こんどう", "kondo"),
    ("村上", "むらかみ", "murakami"),
    ("遠藤", "えんどう", "endo"),
    ("青木", "あおき", "aoki"),
    ("坂本", "さかもと", "sakamoto"),
]
GIVEN = [
    ("太郎", "たろう", "taro"),
    ("一郎", "いちろう", "ichiro"),
    ("健太", "けんた", "kenta"),
    ("翔太", "しょうた", "shota"),
    ("大輔", "だいすけ", "daisuke"),
    ("拓也", "たくや", "takuya"),
    ("直樹", "なおき", "naoki"),
    ("誠", "まこと", "makoto"),
    ("浩", "ひろし", "hiroshi"),
    ("隆", "たかし", "takashi"),
    ("亮", "りょう", "ryo"),
    ("修", "おさむ", "osamu"),
    ("雅樹", "まさき", "masaki"),
    ("和也", "かずや", "kazuya"),
    ("健一", "けんいち", "kenichi"),
    ("花子", "はなこ", "hanako"),
    ("陽子", "ようこ", "yoko"),
    ("美咲", "みさき", "misaki"),
    ("由美", "ゆみ", "yumi"),
    ("恵子", "けいこ", "keiko"),
    ("真由美", "まゆみ", "mayumi"),
    ("彩", "あや", "aya"),
    ("舞", "まい", "mai"),
    ("智子", "ともこ", "tomoko"),
    ("久美子", "くみこ", "kumiko"),
    ("裕子", "ゆうこ", "yuko"),
    ("直子", "なおこ", "naoko"),
    ("明美", "あけみ", "akemi"),
    ("千尋", "ちひろ", "chihiro"),
    ("愛", "あい", "ai"),
]
# (kanji, romaji, regional block): the 47 prefectures in their usual order.
PREFECTURES = [
    ("北海道", "hokkaido", "hokkaido"),
    ("青森県", "aomori", "tohoku-north"),
    ("岩手県", "iwate", "tohoku-north"),
    ("秋田県", "akita", "tohoku-north"),
    ("宮城県", "miyagi", "tohoku-south"),
    ("山形県", "yamagata", "tohoku-south"),
    ("福島県", "fukushima", "tohoku-south"),
    ("茨城県", "ibaraki", "kanto-north"),
    ("栃木県", "tochigi", "kanto-north"),
    ("群馬県", "gunma", "kanto-north"),
    ("埼玉県", "saitama", "kanto-south"),
    ("千葉県", "chiba", "kanto-south"),
    ("東京都", "tokyo", "kanto-south"),
    ("神奈川県", "kanagawa", "kanto-south"),
    ("新潟県", "niigata", "hokuriku"),
    ("富山県", "toyama", "hokuriku"),
    ("石川県", "ishikawa", "hokuriku"),
    ("福井県", "fukui", "hokuriku"),
    ("山梨県", "yamanashi", "koshinetsu"),
    ("長野県", "nagano", "koshinetsu"),
    ("岐阜県", "gifu", "tokai"),
    ("静岡県", "shizuoka", "tokai"),
    ("愛知県", "aichi", "tokai"),
    ("三重県", "mie", "tokai"),
    ("滋賀県", "shiga", "kinki-east"),
    ("京都府", "kyoto", "kinki-east"),
    ("奈良県", "nara", "kinki-east"),
    ("大阪府", "osaka", "kinki-west"),
    ("兵庫県", "hyogo", "kinki-west"),
    ("和歌山県", "wakayama", "kinki-west"),
    ("鳥取県", "tottori", "chugoku"),
    ("島根県", "shimane", "chugoku"),
    ("岡山県", "okayama", "chugoku"),
    ("広島県", "hiroshima", "chugoku"),
    ("山口県", "yamaguchi", "chugoku"),
    ("徳島県", "tokushima", "shikoku"),
    ("香川県", "kagawa", "shikoku"),
    ("愛媛県", "ehime", "shikoku"),
    ("高知県", "kochi", "shikoku"),
    ("福岡県", "fukuoka", "kyushu-north"),
    ("佐賀県", "saga", "kyushu-north"),
    ("長崎県", "nagasaki", "kyushu-north"),
    ("熊本県", "kumamoto", "kyushu-north"),
    ("大分県", "oita", "kyushu-south"),
    ("宮崎県", "miyazaki", "kyushu-south"),
    ("鹿児島県", "kagoshima", "kyushu-south"),
    ("沖縄県", "okinawa", "kyushu-south"),
]
# (id, ja, en, critical): the roles every municipality keeps.
ROLES = [
    ("chief", "住基ネット統括責任者", "Juki-net chief officer", True),
    ("security", "セキュリティ責任者", "Security officer", True),
    ("system", "システム管理責任者", "System manager", False),
    ("sysadmin", "システム管理者", "System administrator", False),
    ("data", "個人情報等管理責任者", "Personal-data manager", False),
    ("access", "アクセス管理責任者", "Access manager", False),
    ("counter", "市民課窓口責任者", "Citizen services lead", False),
    ("site", "拠点管理責任者", "Site manager", False),
    ("vendor-desk", "保守業者連絡担当", "Vendor liaison", False),
    ("record", "記録担当", "Recorder", False),
]
PER_MUNICIPALITY = len(ROLES)
# People per contacts file at most (a block with more is split in parts), so that a large
# plan stays within the loader's limit of values per file.
PER_FILE = 5_000
SUFFIXES = ["市", "町", "村", "市", "町"]


class _Numbers:
    """Unassignable mobile numbers, 090-00XX-XXXX, then 080-00…, then 070-00…"""

    def __init__(self) -> None:
        self.serial = 0

    def mobile(self) -> str:
        prefix = ("090", "080", "070")[self.serial // 1_000_000]
        rest = self.serial % 1_000_000
        self.serial += 1
        return f"{prefix}-00{rest // 10_000:02d}-{rest % 10_000:04d}"


def _q(text: str) -> str:
    """A double-quoted YAML scalar."""
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _person(
    rng: random.Random, serial: int, site: str, mobile: str, fixed: str | None
) -> tuple[str, list[str]]:
    """A person's id and YAML lines: a Japanese name, a mobile, an address, maybe a desk."""
    family, fkana, froman = rng.choice(FAMILY)
    given, gkana, groman = rng.choice(GIVEN)
    person_id = f"{froman}-{groman}-{serial:06d}"
    return person_id, list(
        _person_lines(person_id, family, given, fkana, gkana, site, mobile, fixed)
    )


def _person_lines(
    person_id: str,
    family: str,
    given: str,
    fkana: str,
    gkana: str,
    site: str,
    mobile: str,
    fixed: str | None,
) -> Iterator[str]:
    yield f"  - id: {person_id}"
    yield f"    name: {family} {given}"
    yield f"    kana: {fkana} {gkana}"
    yield f"    site: {site}"
    yield "    channels:"
    if fixed is not None:
        yield f"      - voice: {fixed}"
        yield "        label: 庁舎"
    yield f"      - voice: {mobile}"
    yield "        label: 携帯"
    yield f"      - sms: {mobile}"
    yield "        label: 携帯"
    yield f"      - email: {person_id}@{site}.lg.example"
    yield "        label: 庁内メール"


def _role(
    role_id: str, ja: str, en: str, site: str, holder: str, deputy: str, critical: bool
) -> Iterator[str]:
    yield f"  - id: {role_id}"
    yield "    name:"
    yield f"      ja: {_q(ja)}"
    yield f"      en: {_q(en)}"
    yield f"    site: {site}"
    yield f"    holder: {holder}"
    yield f"    deputies: [{deputy}]"
    if critical:
        yield "    critical: true"


def write_plan(people: int, out: Path, seed: int = 2026) -> dict[str, int]:
    """Write the plan for about `people` people into `out`; returns what was written."""
    rng = random.Random(seed)
    numbers = _Numbers()
    contacts = max(len(PREFECTURES) + 1, people // 2)
    prefectures = len(PREFECTURES)
    municipal_roles = contacts - prefectures
    municipalities = -(-municipal_roles // PER_MUNICIPALITY)
    for folder in ("contacts", "scenarios", "playbooks"):
        (out / folder).mkdir(parents=True, exist_ok=True)

    # Municipality m belongs to prefecture m % 47, so every prefecture has some.
    blocks: dict[str, list[int]] = {}
    for p, (_, _, block) in enumerate(PREFECTURES):
        blocks.setdefault(block, []).append(p)
    muni_of_pref: dict[int, list[int]] = {p: [] for p in range(prefectures)}
    for m in range(municipalities):
        muni_of_pref[m % prefectures].append(m)

    site_lines: list[str] = []
    prefecture_roles: list[str] = []
    municipal_role_ids: list[str] = []
    owner_role = ""
    serial = 0
    written_people = 0
    role_budget = municipal_roles

    def flush(block: str, part: int, lines: list[str], role_lines: list[str]) -> None:
        name = f"{len(files_written) + 1:02d}-{block}" + (f"-{part}" if part > 1 else "")
        files_written.append(name)
        header = f"# 全国訓練（生成） 連絡先: {block}（架空の人物・番号・アドレス）"
        (out / "contacts" / f"{name}.yaml").write_text(
            "\n".join([header, "people:", *lines, "roles:", *role_lines]) + "\n",
            encoding="utf-8",
        )

    files_written: list[str] = []
    for block, prefs in blocks.items():
        part, part_start = 1, serial
        lines: list[str] = []
        role_lines: list[str] = []
        for p in prefs:
            pref_ja, pref_en, _ = PREFECTURES[p]
            pref_site = f"pref-{pref_en}"
            site_lines += [
                f"  - id: {pref_site}",
                f"    name: {{ja: {pref_ja} 市町村課, en: {pref_en.title()} Prefecture}}",
                "    regional_centre: false",
            ]
            ids: list[str] = []
            for _ in range(2):
                serial += 1
                fixed = f"095-000-{2 * p + len(ids):04d}"  # the desk's landline
                person_id, person = _person(rng, serial, pref_site, numbers.mobile(), fixed)
                lines += person
                ids.append(person_id)
            role_id = f"{pref_site}-desk"
            prefecture_roles.append(role_id)
            owner_role = owner_role or role_id
            role_lines += _role(
                role_id,
                f"{pref_ja} 市町村課 住基ネット担当",
                f"{pref_en.title()} Prefecture desk",
                pref_site,
                ids[0],
                ids[1],
                False,
            )
            for m in muni_of_pref[p]:
                site = f"m{m:04d}"
                name = f"{pref_ja[:-1] if len(pref_ja) > 3 else pref_ja}第{m // prefectures + 1}"
                name += SUFFIXES[m % len(SUFFIXES)]
                site_lines += [
                    f"  - id: {site}",
                    f"    name: {{ja: {name}, en: Municipality {m + 1}}}",
                ]
                for suffix, ja, en, critical in ROLES:
                    if role_budget == 0:
                        break
                    role_budget -= 1
                    ids = []
                    for _ in range(2):
                        serial += 1
                        person_id, person = _person(rng, serial, site, numbers.mobile(), None)
                        lines += person
                        ids.append(person_id)
                    role_id = f"{site}-{suffix}"
                    municipal_role_ids.append(role_id)
                    role_lines += _role(role_id, f"{name} {ja}", en, site, ids[0], ids[1], critical)
                if serial - part_start >= PER_FILE:
                    flush(block, part, lines, role_lines)
                    part, part_start, lines, role_lines = part + 1, serial, [], []
        if lines or role_lines:
            flush(block, part, lines, role_lines)
        written_people = serial

    quorum = max(1, int(len(municipal_role_ids) * 0.9))
    tree = [
        "# 全国訓練（生成） 連絡網: 都道府県の窓口、続いて全市区町村",
        "trees:",
        "  - id: nation",
        "    name: {ja: 全国 住基ネット緊急時連絡網, en: Nationwide contact tree}",
        "    scope: external",
        "    levels:",
        "      - id: prefectures",
        "        name: {ja: 都道府県への連絡, en: Prefectures}",
        "        ack_timeout_minutes: 5",
        "        retries: 0",
        "        members:",
        *(f"          - {role}" for role in prefecture_roles),
        "      - id: municipalities",
        "        name: {ja: 市区町村への連絡, en: Municipalities}",
        f"        required: {quorum}",
        "        ack_timeout_minutes: 5",
        "        retries: 0",
        "        channels: [voice, sms]",
        "        members:",
        *(f"          - {role}" for role in municipal_role_ids),
    ]
    (out / "contacts" / f"{len(files_written) + 1:02d}-trees.yaml").write_text(
        "\n".join(tree) + "\n", encoding="utf-8"
    )
    (out / "plan.yaml").write_text(
        "\n".join(
            [
                "# 全国訓練（生成）: drillkit のベンチマーク用の架空の計画です。",
                "plan:",
                "  organisation: {ja: 全国訓練協議会, en: Nationwide Drill Council}",
                "  title: {ja: 住基ネット全国緊急時連絡網訓練計画（生成）, "
                "en: Nationwide Juki-net contact tree drill (generated)}",
                '  version: "bench"',
                "  approved_on: 2026-04-01",
                "  timezone: Asia/Tokyo",
                "  language: ja",
                "  sample: true",
                "sites:",
                *site_lines,
                "targets:",
                "  - id: prefectures-20min",
                "    name: {ja: 都道府県への連絡 20分以内, en: Prefectures within 20 minutes}",
                "    metric: level_completed",
                "    within_minutes: 20",
                "    tree: nation",
                "    level: prefectures",
                "  - id: share-90",
                "    name: {ja: 9割が60分以内に応答, en: 90 % acknowledge within 60 minutes}",
                "    metric: share_acknowledged",
                "    within_minutes: 60",
                "    share: 0.9",
                "",
            ]
        ),
        encoding="utf-8",
    )
    (out / "scenarios" / "nationwide.yaml").write_text(
        """\
# 全国訓練（生成）
id: nationwide
kind: drill
title: {ja: 住基ネット全国連絡網訓練, en: Nationwide contact tree drill}
trees: [nation]
playbook: nationwide
targets: [prefectures-20min, share-90]
injects:
  - at_minutes: 0
    text: {ja: 訓練開始, en: Drill started}
  - at_minutes: 30
    text: {ja: 中間報告, en: Interim report}
messages:
  ja:
    voice: "{{ organisation }}の{{ scenario }}です。{{ person }}様、{{ role }}として{{ deadline }}までに応答してください。"
    sms: "連絡網訓練：応答を"
    email_subject: "{{ organisation }} {{ scenario }}（{{ role }}）"
    email_body: "{{ person }} 様\\n{{ role }}として{{ deadline }}までに応答してください。\\n"
  en:
    voice: "{{ organisation }}, {{ scenario }}. {{ person }}, acknowledge by {{ deadline }}."
    sms: "{{ scenario }}: acknowledge"
    email_subject: "{{ organisation }} {{ scenario }} ({{ role }})"
    email_body: "Dear {{ person }},\\nacknowledge by {{ deadline }}.\\n"
""",
        encoding="utf-8",
    )
    (out / "playbooks" / "nationwide.yaml").write_text(
        f"""\
# 全国訓練（生成）の手順
id: nationwide
title: {{ja: 全国訓練の手順, en: Nationwide drill procedure}}
steps:
  - id: report
    title: {{ja: 中間報告, en: Interim report}}
    owner: {owner_role}
    target_minutes: 30
  - id: summary
    title: {{ja: 結果の取りまとめ, en: Summary}}
    owner: {owner_role}
    target_minutes: 60
    depends_on: [report]
""",
        encoding="utf-8",
    )
    return {
        "people": written_people,
        "contacts": len(prefecture_roles) + len(municipal_role_ids),
        "municipalities": municipalities,
        "files": len(files_written) + 1,
    }


def main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--people", type=int, default=35_000, help="about how many people")
    parser.add_argument("--out", type=Path, required=True, help="the plan directory to write")
    parser.add_argument("--seed", type=int, default=2026, help="seed of the names")
    args = parser.parse_args(argv)
    written = write_plan(args.people, args.out, args.seed)
    print(
        f"{args.out}: {written['people']:,} people, {written['contacts']:,} contacts, "
        f"{written['municipalities']:,} municipalities, {written['files']} contacts files"
    )


if __name__ == "__main__":
    main(sys.argv[1:])
