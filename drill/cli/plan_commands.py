"""Plan commands: `validate`, `tree`, `schema`, `explain`."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import click
from rich.markup import escape
from rich.tree import Tree

from drill.cli.console import err, out, print_json
from drill.plan import CODES, LoadedPlan, Plan, PlanError, Severity, load_plan, sample_plan_dir
from drill.plan.contact import display_number, mask_number
from drill.plan.models import ContactsFile, ContactTree, PlanFile, Playbook, Scenario
from drill.words import words

__all__ = ["COMMANDS", "plan_argument", "resolve_plan_dir"]

plan_argument = click.argument(
    "path", required=False, type=click.Path(path_type=Path, file_okay=True, dir_okay=True)
)


def resolve_plan_dir(path: Path | None) -> Path:
    """The plan directory a command works on: PATH, else the bundled sample plan."""
    return path if path is not None else sample_plan_dir()


def _summary(loaded: LoadedPlan) -> dict[str, Any]:
    plan = loaded.plan
    info = plan.info
    return {
        "organisation": info.organisation.ja,
        "title": info.title.ja,
        "version": info.version,
        "approved_on": info.approved_on.isoformat(),
        "sample": info.sample,
        "counts": {
            "people": len(plan.people),
            "roles": len(plan.roles),
            "outside_agencies": sum(1 for r in plan.roles if r.agency is not None),
            "roles_without_deputy": sum(1 for r in plan.roles if not r.deputies),
            "sites": len(plan.sites),
            "regional_centres": sum(1 for s in plan.sites if s.regional_centre),
            "trees": len(plan.trees),
            "scenarios": len(plan.scenarios),
            "playbooks": len(plan.playbooks),
            "targets": len(plan.targets),
        },
    }


@click.command()
@plan_argument
@click.option("--strict", is_flag=True, help="Exit 1 when there are warnings.")
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON.")
def validate(path: Path | None, strict: bool, as_json: bool) -> None:
    """Check a plan directory: errors and lint warnings with file, line, key and fix.

    Exit codes: 0 OK, 1 warnings with --strict, 2 errors.
    """
    root = resolve_plan_dir(path)
    try:
        loaded = load_plan(root)
    except PlanError as exc:
        if as_json:
            print_json({"ok": False, "findings": [f.as_dict(exc.root) for f in exc.findings]})
        else:
            for finding in exc.findings:
                _print_finding(finding.render(exc.root), finding.severity)
            errors = sum(1 for f in exc.findings if f.severity is Severity.ERROR)
            err.print(
                f"[bold red]{_plural(errors, 'error')}[/] — the plan cannot be used until "
                "they are fixed. `drillkit explain CODE` says more about each code."
            )
        sys.exit(2)
    warnings = loaded.warnings
    root_dir = loaded.plan.root
    if as_json:
        print_json(
            {
                "ok": True,
                "summary": _summary(loaded),
                "findings": [f.as_dict(root_dir) for f in warnings],
            }
        )
    else:
        summary = _summary(loaded)
        counts = summary["counts"]
        out.print(
            f"[bold green]OK[/] {escape(summary['organisation'])} {escape(summary['title'])}"
            f" (version {escape(summary['version'])}, approved {summary['approved_on']})"
        )
        out.print(
            f"  people {counts['people']} · roles {counts['roles']} "
            f"(outside agencies {counts['outside_agencies']}) · sites {counts['sites']} "
            f"(regional centres {counts['regional_centres']}) · trees {counts['trees']} · "
            f"scenarios {counts['scenarios']} · playbooks {counts['playbooks']} · "
            f"targets {counts['targets']}"
        )
        if summary["sample"]:
            out.print("  sample plan: it can never be sent through a real provider")
        for finding in warnings:
            _print_finding(finding.render(root_dir), finding.severity)
        out.print(f"  {_plural(len(warnings), 'warning')}")
    if strict and warnings:
        sys.exit(1)


def _plural(count: int, noun: str) -> str:
    """`1 warning`, `2 warnings`, `no warnings`: never "1 warning(s)"."""
    if count == 0:
        return f"no {noun}s"
    return f"{count} {noun}" if count == 1 else f"{count} {noun}s"


def _print_finding(text: str, severity: Severity) -> None:
    style = "red" if severity is Severity.ERROR else "yellow"
    err.print(f"[{style}]{escape(text)}[/]", soft_wrap=True)  # one finding per line, greppable


@click.command()
@plan_argument
@click.option("--tree", "tree_id", help="Only this tree (id).")
@click.option(
    "--show-numbers", is_flag=True, help="Show phone numbers in full (masked by default)."
)
@click.option("--lang", type=click.Choice(["ja", "en"]), default=None, help="Language of names.")
@click.option("--json", "as_json", is_flag=True, help="Print the trees as JSON.")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["text", "html", "pdf"]),
    default="text",
    help="html or pdf: the printable A4 paper tree, numbers in full.",
)
@click.option(
    "--out", "out_file", type=click.Path(path_type=Path, dir_okay=False), help="File for html/pdf."
)
def tree(
    path: Path | None,
    tree_id: str | None,
    show_numbers: bool,
    lang: str | None,
    as_json: bool,
    fmt: str,
    out_file: Path | None,
) -> None:
    """Draw the contact trees (緊急時連絡網): levels, roles, holders, deputies, channels."""
    loaded = load_plan(resolve_plan_dir(path), lint=False)
    plan = loaded.plan
    language = lang or plan.info.language
    trees = list(plan.trees)
    if tree_id is not None:
        if not plan.has("tree", tree_id):
            from drill.plan.findings import did_you_mean

            hint = did_you_mean(tree_id, [t.id for t in trees])
            raise PlanError.simple(
                f"no tree '{tree_id}'", hint or f"trees: {', '.join(t.id for t in trees)}"
            )
        trees = [plan.tree(tree_id)]
    if as_json:
        print_json([_tree_json(plan, t, show_numbers) for t in trees])
        return
    if fmt != "text":
        from drill.cli.report_commands import write_paper_tree

        written = write_paper_tree(plan, [t.id for t in trees], language, fmt, out_file)
        if written is not None:
            click.echo(str(written))
        return
    for contact_tree in trees:
        out.print(_tree_widget(plan, contact_tree, show_numbers, language))
    if not show_numbers:
        out.print(f"[dim]{escape(words(language).cli('tree.masked'))}[/]")


def _point_text(address: str, show: bool) -> str:
    if "@" in address:
        return address
    return display_number(address) if show else mask_number(address)


def _tree_json(plan: Plan, contact_tree: ContactTree, show: bool) -> dict[str, Any]:
    return {
        "id": contact_tree.id,
        "name": contact_tree.name.model_dump(),
        "scope": contact_tree.scope,
        "levels": [
            {
                "id": level.id,
                "name": level.name.model_dump(),
                "mode": level.mode,
                "required": level.required,
                "ack_timeout_minutes": level.ack_timeout_minutes,
                "retries": level.retries,
                "channels": list(level.channels),
                "members": [
                    {
                        "ref": member.ref,
                        "site": plan.site_of(member),
                        "candidates": [
                            {
                                "person": person.id,
                                "name": person.name,
                                "channels": [
                                    {"kind": p.kind.value, "address": _point_text(p.address, show)}
                                    for p in person.channels
                                ],
                            }
                            for person in plan.candidates(member.ref)
                        ],
                    }
                    for member in level.members
                ],
            }
            for level in contact_tree.levels
        ],
    }


def _tree_widget(plan: Plan, contact_tree: ContactTree, show: bool, language: str) -> Tree:
    w = words(language)
    scope = w.cli(f"tree.{contact_tree.scope}")
    sep = "、" if w.lang == "ja" else ", "
    name = escape(contact_tree.name.get(language))
    root = Tree(
        f"[bold]{name}[/]（{scope}{sep}{contact_tree.id}）"
        if w.lang == "ja"
        else f"[bold]{name}[/] ({scope}{sep}{contact_tree.id})"
    )
    for number, level in enumerate(contact_tree.levels, start=1):
        if str(level.required) in ("all", "any"):
            required = w.cli(f"tree.required_{level.required}")
        else:
            required = w.cli("tree.required_n", n=level.required)
        about = w.cli(
            "tree.level",
            mode=w.cli(f"tree.{level.mode}"),
            required=required,
            wait=w.minutes(level.ack_timeout_minutes),
            retries=level.retries,
            channels=" → ".join(w.channel(c) for c in level.channels),
        )
        about = f"（{about}）" if w.lang == "ja" else f" ({about})"
        branch = root.add(
            f"[bold cyan]{number}. {escape(level.name.get(language))}[/][dim]{escape(about)}[/]"
        )
        for member in level.members:
            site = plan.site_of(member)
            site_text = (
                f" [magenta]@{escape(plan.site(site).name.get(language))}[/]" if site else ""
            )
            if plan.is_role(member.ref):
                role = plan.role(member.ref)
                node = branch.add(f"{escape(role.name.get(language))}{site_text}")
            else:
                node = branch.add(f"{escape(plan.person(member.ref).name)}{site_text}")
            for index, person in enumerate(plan.candidates(member.ref)):
                label = w.cli("tree.holder") if index == 0 else w.cli("tree.deputy", n=index)
                points = sep.join(
                    f"{w.channel(p.kind.value)} {_point_text(p.address, show)}"
                    for p in person.channels
                )
                node.add(
                    f"[green]{escape(label)}[/] {escape(person.name)} [dim]{escape(points)}[/]"
                )
    return root


_SCHEMAS: dict[str, Any] = {
    "plan": PlanFile,
    "contacts": ContactsFile,
    "scenario": Scenario,
    "playbook": Playbook,
}


@click.command()
@click.option("--kind", type=click.Choice(sorted(_SCHEMAS)), help="Only this kind of file.")
@click.option(
    "--out",
    "out_dir",
    type=click.Path(path_type=Path, file_okay=False),
    help="Write drillkit-<kind>.schema.json files into this directory.",
)
def schema(kind: str | None, out_dir: Path | None) -> None:
    """JSON Schema of the plan files, for editor completion and checking.

    With the YAML language server (VS Code's YAML extension, Neovim yaml-ls) put a first
    line like `# yaml-language-server: $schema=../schemas/drillkit-contacts.schema.json`
    in each file, or map globs to the schemas in the editor's settings.
    """
    kinds = [kind] if kind else sorted(_SCHEMAS)
    schemas = {k: _SCHEMAS[k].model_json_schema() for k in kinds}
    if out_dir is not None:
        out_dir.mkdir(parents=True, exist_ok=True)
        for k, value in schemas.items():
            target = out_dir / f"drillkit-{k}.schema.json"
            target.write_text(
                json.dumps(value, ensure_ascii=False, indent=2) + "\n", encoding="utf-8"
            )
            click.echo(str(target))
        return
    print_json(schemas[kinds[0]] if kind else schemas)


@click.command()
@click.argument("code", required=False)
@click.option("--json", "as_json", is_flag=True, help="Print as JSON.")
def explain(code: str | None, as_json: bool) -> None:
    """Explain a finding code (DK-E004, DK-W001, …); without CODE, list them all."""
    if code is None:
        if as_json:
            print_json(
                {
                    c: {"title": v.title, "explanation": v.explanation, "fix": v.fix}
                    for c, v in CODES.items()
                }
            )
            return
        for name, value in CODES.items():
            out.print(f"[bold]{name}[/] {escape(value.title)}")
        return
    key = code.upper()
    if not key.startswith("DK-"):
        key = "DK-" + key
    if key not in CODES:
        from drill.plan.findings import did_you_mean

        raise PlanError.simple(
            f"no finding code '{code}'",
            did_you_mean(key, CODES) or "`drillkit explain` lists the codes",
        )
    value = CODES[key]
    if as_json:
        print_json(
            {"code": key, "title": value.title, "explanation": value.explanation, "fix": value.fix}
        )
        return
    out.print(f"[bold]{key}[/] {escape(value.title)}\n{escape(value.explanation)}")
    if value.fix:
        out.print(f"[green]What to do:[/] {escape(value.fix)}")


COMMANDS = [validate, tree, schema, explain]
