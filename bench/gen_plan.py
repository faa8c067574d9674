"""Write a generated nationwide-shaped plan to files, as a user's plan directory.

    .venv/bin/python bench/gen_plan.py --people 35000 --out /tmp/plan

The shape is `drill.engine.synthetic.synthetic_plan` (prefecture desks, then municipalities
of ten roles, each role a holder and one deputy, so people = 2 × contacts), written as
plan.yaml, contacts/ (people and roles split over several files, as a large organisation
keeps them), one scenario and one playbook. Numbers are the fictional 090-00XX-XXXX range
and addresses end in .example: a sample plan, which can never reach a real provider.
Benches read it back through `drillkit validate` and `drillkit run --simulate`.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

import yaml

from drill.engine.synthetic import synthetic_plan
from drill.plan.models import ContactsFile, PlanFile

__all__ = ["write_plan"]

PER_MUNICIPALITY = 10
PREFECTURES = 47


def _dump(data: Any) -> str:
    return yaml.safe_dump(data, allow_unicode=True, sort_keys=False, width=100)


def _plain(model: Any) -> Any:
    return model.model_dump(mode="json", exclude_defaults=True, by_alias=True)


def write_plan(people: int, out: Path, files: int = 12) -> Path:
    """Write a plan of about `people` people (an even number) to `out`; returns `out`."""
    contacts = max(2, people // 2)
    prefectures = min(PREFECTURES, max(1, contacts // 20))
    municipalities = max(1, -(-(contacts - prefectures) // PER_MUNICIPALITY))
    plan = synthetic_plan(municipalities, PER_MUNICIPALITY, prefectures=prefectures)
    for folder in ("contacts", "scenarios", "playbooks"):
        (out / folder).mkdir(parents=True, exist_ok=True)
    plan_file = PlanFile(plan=plan.info, sites=plan.sites, targets=plan.targets)
    (out / "plan.yaml").write_text(_dump(_plain(plan_file)), encoding="utf-8")
    chunks = max(1, files)
    for name, items in (("people", plan.people), ("roles", plan.roles)):
        size = -(-len(items) // chunks)
        for n in range(chunks):
            part = items[n * size : (n + 1) * size]
            if part:
                model = ContactsFile(**{name: part})
                text = _dump(_plain(model))
                (out / "contacts" / f"{name}-{n + 1:02d}.yaml").write_text(text, "utf-8")
    trees = _plain(ContactsFile(trees=plan.trees))
    (out / "contacts" / "trees.yaml").write_text(_dump(trees), encoding="utf-8")
    owner = plan.roles[0].id  # the builder's playbook names a placeholder owner
    for scenario in plan.scenarios:
        text = _dump(_plain(scenario))
        (out / "scenarios" / f"{scenario.id}.yaml").write_text(text, encoding="utf-8")
    for playbook in plan.playbooks:
        data = _plain(playbook)
        for step in data.get("steps", []):
            step["owner"] = owner
        (out / "playbooks" / f"{playbook.id}.yaml").write_text(_dump(data), encoding="utf-8")
    return out


def main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--people", type=int, default=35_000, help="people in the plan")
    parser.add_argument("--out", type=Path, required=True, help="plan directory to write")
    parser.add_argument("--files", type=int, default=12, help="contacts files per kind")
    args = parser.parse_args(argv)
    write_plan(args.people, args.out, args.files)
    print(args.out)


if __name__ == "__main__":
    main(sys.argv[1:])
