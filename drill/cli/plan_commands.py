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
from drill.plan.schema import json_schema
from drill.words import words
from drill.words.findings import FindingWords, finding_words

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
@click.option(
    "--lang",
    type=click.Choice(["ja", "en"]),
    default=None,
    help="Language of the findings (default: Japanese; DRILLKIT_LANG). JSON stays English.",
)
def validate(path: Path | None, strict: bool, as_json: bool, lang: str | None) -> None:
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
            say = finding_words(_language(lang))
            for finding in exc.findings:
                _print_finding(say.line(finding, exc.root), finding.severity)
            errors = sum(1 for f in exc.findings if f.severity is Severity.ERROR)
            total = say.frame("errors.one" if errors == 1 else "errors.many", count=errors)
            gap = "" if say.ja else " "
            err.print(f"[bold red]{escape(total)}[/]{gap}{escape(say.frame('errors.explain'))}")
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
        language = _language(lang)
        say = finding_words(language)
        summary = _summary(loaded)
        info = loaded.plan.info
        approved = words(language).date(info.approved_on) if say.ja else summary["approved_on"]
        ok = say.frame(
            "ok",
            organisation=escape(summary["organisation"]),
            title=escape(summary["title"]),
            version=escape(summary["version"]),
            approved=approved,
        )
        out.print(f"[bold green]{escape(say.frame('ok.head'))}[/]{ok}")
        out.print(escape(say.frame("counts", **summary["counts"])))
        if summary["sample"]:
            out.print(escape(say.frame("sample")))
        for finding in warnings:
            _print_finding(say.line(finding, root_dir), finding.severity)
        count = len(warnings)
        key = "warnings.none" if not count else "warnings.one" if count == 1 else "warnings.many"
        out.print(escape(say.frame(key, count=count)))
    if strict and warnings:
        sys.exit(1)


def _unknown(kind: str, name: str, choices: list[str], say: FindingWords) -> PlanError:
    """The error for a name the user typed that the plan does not have."""
    from drill.plan.findings import nearest

    close = nearest(name, choices)
    message = say.frame(f"{kind}.unknown", name=name)
    if close is not None:
        fix = say.frame("did_you_mean", nearest=close)
    else:
        fix = say.frame(f"{kind}.choices", choices=("、" if say.ja else ", ").join(choices))
    error = PlanError.simple(message, fix)
    error.title = say.frame("plan_error")
    if say.ja:
        error.message = f"{message}。{fix}"
    return error


def _language(option: str | None) -> str:
    """The language of the plan check: `--lang`, then DRILLKIT_LANG, then the console's
    saved choice, then Japanese (as `run` and `init` choose theirs)."""
    from drill.tui.settings import initial_language  # one small JSON file; no Textual

    return initial_language(option)


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
            raise _unknown("tree", tree_id, [t.id for t in trees], finding_words(_language(lang)))
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
    schemas = {k: json_schema(_SCHEMAS[k]) for k in kinds}
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
@click.option("--json", "as_json", is_flag=True, help="Print as JSON (English).")
@click.option(
    "--lang",
    type=click.Choice(["ja", "en"]),
    default=None,
    help="Language of the explanation (default: Japanese; DRILLKIT_LANG).",
)
def explain(code: str | None, as_json: bool, lang: str | None) -> None:
    """Explain a finding code (DK-E004, DK-W001, …); without CODE, list them all."""
    say = finding_words(_language(lang))
    if code is None:
        if as_json:
            print_json(
                {
                    c: {"title": v.title, "explanation": v.explanation, "fix": v.fix}
                    for c, v in CODES.items()
                }
            )
            return
        for name in CODES:
            out.print(f"[bold]{name}[/] {escape(say.title(name))}")
        return
    key = code.upper()
    if not key.startswith("DK-"):
        key = "DK-" + key
    if key not in CODES:
        raise _unknown("code", key, list(CODES), say)
    value = CODES[key]
    if as_json:
        print_json(
            {"code": key, "title": value.title, "explanation": value.explanation, "fix": value.fix}
        )
        return
    out.print(f"[bold]{key}[/] {escape(say.title(key))}\n{escape(say.explanation(key))}")
    fix = say.code_fix(key)
    if fix:
        out.print(f"[green]{escape(say.frame('fix'))}:[/] {escape(fix)}")


COMMANDS = [validate, tree, schema, explain]
