"""Load a plan directory: YAML -> `${VAR}` substitution -> frozen models -> cross-file checks.

A plan directory holds `plan.yaml`, and `contacts/`, `scenarios/` and `playbooks/` with
YAML files. Every error found is collected, with its file, line and key, before a
`PlanError` is raised: a user fixes them all in one pass. Lint warnings come from
`drill.plan.lint` and are returned beside the plan; both name places through the
`drill.plan.locator.Locator` the loader fills while reading.

A file or an entry with errors does not hide the errors of the others: the entries that
are valid are kept and checked across files, and a reference to an entry that has errors
of its own is not reported a second time (`_Broken`). Limits (`drill.plan.limits`) stop
an oversized plan before it is parsed.
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import gc
import re
import stat
import types
import typing
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from drill.plan.checklist import CHECKLIST
from drill.plan.contact import is_fictional_address, is_fictional_number
from drill.plan.findings import (
    Finding,
    Param,
    PlanError,
    Severity,
    did_you_mean,
    format_path,
    nearest,
    os_params,
    params,
    suggest,
)
from drill.plan.limits import PlanLimits
from drill.plan.lint import lint_plan
from drill.plan.locator import Locator
from drill.plan.models import (
    ContactsFile,
    ContactTree,
    Contents,
    Person,
    Plan,
    PlanFile,
    PlanInfo,
    Playbook,
    Role,
    Scenario,
    Site,
    Target,
    Text,
)
from drill.plan.second_core import Aside, Prefetch
from drill.plan.source import (
    Document,
    environment_for,
    load_document,
    people_limit,
    substitute_env,
    too_large,
)

__all__ = ["LoadedPlan", "findings_from", "load_plan", "sample_plan_dir"]

PLAN_FILE = "plan.yaml"
_M = TypeVar("_M", bound=BaseModel)
_SP = TypeVar("_SP", Scenario, Playbook, ContactTree)
_FOLDERS = ("contacts", "scenarios", "playbooks")
# People and roles from which the lint runs beside the cross-file checks: below, it takes
# less time than the fork.
_LINT_ASIDE = 3_000


@dataclass(frozen=True)
class LoadedPlan:
    """A valid plan, with its lint findings and where everything was written."""

    plan: Plan
    findings: tuple[Finding, ...]
    locator: Locator

    @property
    def warnings(self) -> tuple[Finding, ...]:
        return tuple(f for f in self.findings if f.severity is not Severity.INFO)


def sample_plan_dir() -> Path:
    """The bundled sample plan: the repository root, or the copy inside the wheel."""
    package = Path(__file__).resolve().parent.parent
    for candidate in (package.parent, package / "_sample"):
        if (candidate / PLAN_FILE).is_file() and (candidate / "contacts").is_dir():
            return candidate
    raise PlanError(
        [
            Finding(
                "DK-E016",
                Severity.ERROR,
                "the bundled sample plan is missing",
                message_key="plan.no_sample",
            )
        ]
    )


def load_plan(directory: Path | str, *, lint: bool = True) -> LoadedPlan:
    """Load and check a plan directory; raise PlanError with every error found."""
    try:
        root = Path(directory).expanduser().resolve()
    except (OSError, RuntimeError) as exc:  # RuntimeError: a symlink loop (Python 3.11)
        raise PlanError(
            [
                Finding(
                    "DK-E016",
                    Severity.ERROR,
                    f"cannot open the plan directory: {exc}",
                    Path(directory),
                    fix="point drillkit at a plan directory that exists",
                    message_key="plan.no_directory",
                    fix_key="plan.no_directory.fix",
                    params=os_params(exc),
                )
            ]
        ) from None
    if root.is_file() and root.name in (PLAN_FILE, "plan.yml"):
        root = root.parent
    plan_file = root / PLAN_FILE
    if not _present(plan_file):
        raise PlanError(
            [
                Finding(
                    "DK-E016",
                    Severity.ERROR,
                    f"no {PLAN_FILE} in {root}",
                    root,
                    fix="point drillkit at a plan directory (plan.yaml, contacts/, scenarios/, "
                    "playbooks/), e.g. `drillkit validate path/to/plan`",
                    message_key="plan.no_plan_file",
                    fix_key="plan.no_plan_file.fix",
                    params=params(root=str(root)),
                )
            ],
            root,
        )
    with _cycle_collection_paused():
        return _Loader(root).load(lint=lint)


@contextlib.contextmanager
def _cycle_collection_paused() -> Iterator[None]:
    """Reading a plan allocates hundreds of thousands of objects that all stay alive, and
    each allocation burst makes Python's cycle collector rescan everything so far: about
    a third of the load of a large plan. Nothing here makes garbage cycles worth chasing."""
    if not gc.isenabled():
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        # What was allocated meanwhile is still counted as young: the first allocation
        # after `enable` would make the collector scan all of it (half a second for a
        # nationwide plan). Moved to the oldest generation instead, it is scanned only
        # by a full collection, as a long-lived plan should be.
        gc.freeze()
        gc.unfreeze()
        gc.enable()


class _Loader:
    def __init__(self, root: Path) -> None:
        self.root = root
        self.findings: list[Finding] = []
        self.locator = Locator()
        self.limits = PlanLimits.from_env()
        self.broken = _Broken()
        self.people_count = 0
        self.seen: dict[tuple[str, str], Path] = {}
        """The file of each id noted so far, by namespace and id (`_register`)."""
        self.prefetch: Prefetch | None = None
        self.env, env_findings = environment_for(root)
        self.findings.extend(env_findings)
        for i, problem in enumerate(self.limits.problems):
            # Limits made by hand may give the English text alone: it is still reported.
            name, raw = dict(enumerate(self.limits.problem_values)).get(i, ("", ""))
            self.findings.append(
                Finding(
                    "DK-E006",
                    Severity.ERROR,
                    problem,
                    fix="unset it or write a number",
                    message_key="limit.env" if name else None,
                    fix_key="limit.env.fix" if name else None,
                    params=params(name=name, value=raw, most=self.limits.most),
                )
            )

    def error(
        self,
        code: str,
        message: str,
        kind: str,
        item_id: str,
        *sub: str | int,
        fix: str | None = None,
        message_key: str | None = None,
        fix_key: str | None = None,
        params: tuple[tuple[str, Param], ...] = (),
    ) -> None:
        self.findings.append(
            self.locator.finding(
                code,
                Severity.ERROR,
                message,
                kind,
                item_id,
                *sub,
                fix=fix,
                message_key=message_key,
                fix_key=fix_key,
                params=params,
            )
        )

    # -- reading files ------------------------------------------------------------------

    def _document(self, file: Path) -> Document | None:
        document = self.prefetch.take(file) if self.prefetch is not None else None
        problems: list[Finding] = []
        if document is None:
            document, problems = load_document(file, self.limits)
        self.findings.extend(problems)
        if any(f.code == "DK-E017" for f in problems):
            raise PlanError(self.findings, self.root)  # over a limit: stop at once
        if document is None:
            return None
        self._count_people(document)
        self.findings.extend(substitute_env(document, self.env))
        self.locator.documents[file] = document
        return document

    def _validate(
        self, model: type[_M], document: Document, sample: bool, defaults: dict[str, Any]
    ) -> _M | None:
        data = document.data
        if data is None:
            data = {}
        if not isinstance(data, dict):
            self.findings.append(
                Finding(
                    "DK-E006",
                    Severity.ERROR,
                    "the file must be a mapping of keys",
                    document.file,
                    document.line_of(()),
                    fix=f"start the file with the keys of {model.__name__}",
                    message_key="yaml.not_mapping",
                    fix_key="yaml.not_mapping.fix",
                )
            )
            return None
        for key, value in defaults.items():
            data.setdefault(key, value)
        try:
            return model.model_validate(data, context={"sample": sample})
        except ValidationError as exc:
            self.findings.extend(findings_from(exc, model, document))
            return None

    def _count_people(self, document: Document) -> None:
        data = document.data
        people = data.get("people") if isinstance(data, dict) else None
        if not isinstance(people, list):
            return
        self.people_count += len(people)
        if self.people_count > self.limits.max_people:
            finding = people_limit(document.file, self.people_count, self.limits)
            line = document.line_of(("people",))
            self.findings.append(dataclasses.replace(finding, line=line))
            raise PlanError(self.findings, self.root)

    def _files(self, folder: str, *, quiet: bool = False) -> list[Path]:
        """The YAML files of `folder`; anything there that cannot be read (a symlink loop,
        a FIFO, a directory named x.yaml, no permission) is an error naming its path,
        never silently skipped."""
        directory = self.root / folder
        if not _present(directory):
            return []
        try:
            entries = list(directory.iterdir())
        except OSError as exc:
            if quiet:
                return []
            self.findings.append(
                Finding(
                    "DK-E001",
                    Severity.ERROR,
                    f"cannot list the folder {folder}/: {exc.strerror or exc}",
                    directory,
                    fix=f"make {folder}/ a readable directory of YAML files",
                    message_key="folder.unreadable",
                    fix_key="folder.unreadable.fix",
                    params=params(folder=folder, **dict(os_params(exc))),
                )
            )
            self.broken.unreadable(folder)
            return []
        return sorted(
            p
            for p in entries
            if p.suffix in (".yaml", ".yml") and not p.name.startswith(".") and _present(p)
        )

    def _check_size(self) -> None:
        """Stop at once when the plan's files together are over the size limit: a 50 MB
        plan answers in milliseconds instead of parsing for minutes."""
        total = 0
        for file in (
            self.root / PLAN_FILE,
            *(f for d in _FOLDERS for f in self._files(d, quiet=True)),
        ):
            try:
                info = file.stat()
            except OSError:
                continue  # reported with its path when it is read
            if stat.S_ISREG(info.st_mode):
                total += info.st_size
        if total > self.limits.max_bytes:
            self.findings.append(too_large(self.root, total, self.limits))
            raise PlanError(self.findings, self.root)

    # -- the whole plan -----------------------------------------------------------------

    def load(self, *, lint: bool) -> LoadedPlan:
        self._check_size()
        self.prefetch = Prefetch.start(self._files("contacts", quiet=True), self.limits)
        try:
            return self._load(lint=lint)
        finally:
            if self.prefetch is not None:
                self.prefetch.close()
                self.prefetch = None

    def _load(self, *, lint: bool) -> LoadedPlan:
        plan_doc = self._document(self.root / PLAN_FILE)
        sample = False
        if plan_doc is not None and isinstance(plan_doc.data, dict):
            info = plan_doc.data.get("plan")
            sample = isinstance(info, dict) and info.get("sample") is True
        plan_file = self._validate(PlanFile, plan_doc, sample, {}) if plan_doc else None
        if plan_file is None and plan_doc is not None:
            plan_file = _salvage_plan_file(plan_doc.data, sample, self.broken)

        contacts = _Contacts()
        for file in self._files("contacts"):
            document = self._document(file)
            if document is None:
                self.broken.unreadable("contacts")
                continue
            parsed = self._validate(ContactsFile, document, sample, {})
            places = None  # every entry kept: each one's index in the file is its own
            if parsed is None:
                parsed = _salvage_contacts(document.data, sample, self.broken)
                places = _FilePlaces(document, ("people", "roles", "trees"))
            # Noted now rather than with the rest of the plan: for a large plan, while the
            # second core still parses the later files.
            self._register_contacts(contacts, document, parsed, places)
            # The models hold all that is needed of it now: a nationwide plan's raw
            # contacts would double the memory the plan keeps while it is checked.
            document.data = None
        if self.prefetch is not None:
            self.prefetch.close()  # every contacts file it could have parsed is read
            self.prefetch = None
        scenarios = self._load_each("scenarios", Scenario, sample)
        playbooks = self._load_each("playbooks", Playbook, sample)

        if plan_file is None or plan_doc is None:
            raise PlanError(self.findings, self.root)

        # Checked across files even when some entries have errors, so that one pass shows
        # every error; the entries with errors are left out (see `_Broken`).
        plan = self._assemble(plan_doc, plan_file, contacts, scenarios, playbooks)
        for document in self.locator.documents.values():
            document.data = None  # as the contacts' above: only their lines are wanted now
        linting: Aside[list[Finding]] | None = None
        if plan is not None:
            if lint and len(plan.people) + len(plan.roles) >= _LINT_ASIDE:
                # The lint reads the plan alone, so a forked child runs its first part
                # meanwhile, and this process the second after the checks (about as long
                # together); if the references have errors, its findings are not wanted.
                linting = Aside.start(lambda: lint_plan(plan, self.locator, part=0))
            try:
                _CrossCheck(plan, self).run()
            except BaseException:
                if linting is not None:
                    linting.cancel()
                raise
            if linting is not None and _has_errors(self.findings):
                linting.cancel()
        if plan is None or _has_errors(self.findings):
            raise PlanError(self.findings, self.root)
        findings = list(self.findings)
        if lint and linting is None:
            findings.extend(lint_plan(plan, self.locator))
        elif linting is not None:
            try:
                later = lint_plan(plan, self.locator, part=1)
            except BaseException:
                linting.cancel()
                raise
            first = linting.result()  # None: the child failed; its part is done here
            findings.extend(first if first is not None else lint_plan(plan, self.locator, part=0))
            findings.extend(later)
        return LoadedPlan(plan, tuple(findings), self.locator)

    def _load_each(self, folder: str, model: type[_SP], sample: bool) -> list[tuple[Document, _SP]]:
        out: list[tuple[Document, _SP]] = []
        kind = folder.removesuffix("s")
        for file in self._files(folder):
            document = self._document(file)
            if document is None:
                self.broken.unreadable(folder)
                continue
            parsed = self._validate(model, document, sample, {"id": file.stem})
            if parsed is not None:
                out.append((document, parsed))
            else:
                data = document.data if isinstance(document.data, dict) else {}
                self.broken.add(kind, data.get("id", file.stem))
        return out

    def _register(
        self,
        kind: str,
        namespace: str,
        item_id: str,
        doc: Document,
        path: tuple[str | int, ...],
        findings: list[Finding] | None = None,
    ) -> bool:
        """Note where an entry is; False (and an error, in `findings` if given) when its id
        is taken."""
        seen = self.seen
        key = (namespace, item_id)
        if key in seen:
            line = doc.line_of(path)
            first = seen[key]
            first_place = self.locator.places.get((namespace, item_id))
            first_line = None
            if first_place is not None and first in self.locator.documents:
                first_line = self.locator.documents[first].line_of(first_place.path)
            where = f"{_rel(first, self.root)}:{first_line}" if first_line else str(first)
            (self.findings if findings is None else findings).append(
                Finding(
                    "DK-E008",
                    Severity.ERROR,
                    f"{kind} id '{item_id}' is already used ({where})",
                    doc.file,
                    line,
                    format_path((*path, "id")),
                    "give it an id of its own",
                    "dup.id",
                    "dup.id.fix",
                    params(kind=kind, id=item_id, where=where),
                )
            )
            return False
        seen[key] = doc.file
        if namespace != kind:
            self.locator.add(namespace, item_id, doc.file, path, kind)
        else:
            self.locator.add(namespace, item_id, doc.file, path)
        return True

    def _register_contacts(
        self,
        contacts: _Contacts,
        doc: Document,
        parsed: ContactsFile,
        places: _FilePlaces | None,
    ) -> None:
        """Note the people, roles and trees of one contacts file; the errors of ids taken
        wait in `contacts` for their turn (after those of plan.yaml's sites and targets).

        An entry is placed by its index in the file: its index in `parsed`, unless the file
        was salvaged without its broken entries (`places` then says where each kept one
        was written)."""
        register, taken = self._register, contacts.taken
        # People and roles share one namespace: a reference may name either.
        for k, person in enumerate(parsed.people):
            i = k if places is None else places.index("people", person.id)
            if register("person", "contact", person.id, doc, ("people", i), taken):
                contacts.people.append(person)
        for k, role in enumerate(parsed.roles):
            i = k if places is None else places.index("roles", role.id)
            if register("role", "contact", role.id, doc, ("roles", i), taken):
                contacts.roles.append(role)
        for k, tree in enumerate(parsed.trees):
            i = k if places is None else places.index("trees", tree.id)
            if register("tree", "tree", tree.id, doc, ("trees", i), taken):
                contacts.trees.append(tree)
                for j, level in enumerate(tree.levels):
                    self.locator.add(
                        "level", f"{tree.id}/{level.id}", doc.file, ("trees", i, "levels", j)
                    )

    def _assemble(
        self,
        plan_doc: Document,
        plan_file: PlanFile,
        contacts: _Contacts,
        scenarios: Sequence[tuple[Document, Scenario]],
        playbooks: Sequence[tuple[Document, Playbook]],
    ) -> Plan | None:
        register = self._register
        in_plan = _FilePlaces(plan_doc, ("sites", "targets"))
        for site in plan_file.sites:
            register("site", "site", site.id, plan_doc, in_plan("sites", site.id))
        for target in plan_file.targets:
            register("target", "target", target.id, plan_doc, in_plan("targets", target.id))
        self.findings.extend(contacts.taken)
        trees = contacts.trees
        kept_scenarios = [
            s for doc, s in scenarios if register("scenario", "scenario", s.id, doc, ())
        ]
        kept_playbooks = [
            p for doc, p in playbooks if register("playbook", "playbook", p.id, doc, ())
        ]
        for doc, playbook in playbooks:
            for j, step in enumerate(playbook.steps):
                self.locator.add("step", f"{playbook.id}/{step.id}", doc.file, ("steps", j))

        contents = plan_file.contents
        trees = self._select("tree", trees, contents.trees, plan_doc, "trees")
        kept_scenarios = self._select(
            "scenario", kept_scenarios, contents.scenarios, plan_doc, "scenarios"
        )
        kept_playbooks = self._select(
            "playbook", kept_playbooks, contents.playbooks, plan_doc, "playbooks"
        )
        return Plan(
            info=plan_file.plan,
            sites=plan_file.sites,
            targets=plan_file.targets,
            people=tuple(contacts.people),
            roles=tuple(contacts.roles),
            trees=tuple(trees),
            scenarios=tuple(kept_scenarios),
            playbooks=tuple(kept_playbooks),
            root=self.root,
        )

    def _select(
        self,
        kind: str,
        items: list[_SP],
        listed: tuple[str, ...] | None,
        plan_doc: Document,
        key: str,
    ) -> list[_SP]:
        if listed is None:
            return items
        by_id = {getattr(item, "id"): item for item in items}  # noqa: B009  (all have .id)
        for i, item_id in enumerate(listed):
            if item_id not in by_id:
                if self.broken.has((kind,), item_id):
                    continue  # its own file has errors, reported there
                self.broken.add(kind, item_id)  # reported here; not again where it is used
                fix, fix_key, close = suggest(
                    item_id,
                    by_id,
                    f"add the {kind} file or remove it from the list",
                    "ref.not_found.fix",
                )
                path = ("contents", key, i)
                self.findings.append(
                    Finding(
                        "DK-E007",
                        Severity.ERROR,
                        f"no {kind} '{item_id}' was found",
                        plan_doc.file,
                        plan_doc.line_of(path),
                        format_path(path),
                        fix,
                        "ref.not_found",
                        fix_key,
                        params(kind=kind, ref=item_id, nearest=close),
                    )
                )
        for item_id in by_id:
            if item_id not in listed:
                self.findings.append(
                    self.locator.finding(
                        "DK-W012",
                        Severity.WARNING,
                        f"{kind} '{item_id}' is not listed in plan.yaml contents.{key}",
                        kind,
                        item_id,
                        fix=f"add '{item_id}' to contents.{key} or delete it",
                        message_key="contents.unlisted",
                        fix_key="contents.unlisted.fix",
                        params=params(kind=kind, id=item_id, key=key),
                    )
                )
        return [by_id[item_id] for item_id in listed if item_id in by_id]


@dataclass
class _Contacts:
    """The people, roles and trees of the contacts files whose ids are the first of their
    kind, in order, and the errors of the ids already taken (`_Loader._register_contacts`)."""

    people: list[Person] = dataclasses.field(default_factory=list)
    roles: list[Role] = dataclasses.field(default_factory=list)
    trees: list[ContactTree] = dataclasses.field(default_factory=list)
    taken: list[Finding] = dataclasses.field(default_factory=list)


class _Broken:
    """Entries left out because they have errors of their own (and whole kinds left out
    because a file could not be read): a reference to one of them is not reported again,
    since the error that matters is already in the list."""

    _KINDS_OF_FOLDER: typing.ClassVar[dict[str, tuple[str, ...]]] = {
        "contacts": ("person", "role", "tree"),
        "scenarios": ("scenario",),
        "playbooks": ("playbook",),
        "plan": ("site", "target", "tree", "scenario", "playbook"),
    }

    def __init__(self) -> None:
        self.ids: set[tuple[str, str]] = set()
        self.kinds: set[str] = set()

    def add(self, kind: str, item_id: object) -> None:
        if isinstance(item_id, str):
            self.ids.add((kind, item_id))

    def unreadable(self, folder: str) -> None:
        self.kinds.update(self._KINDS_OF_FOLDER[folder])

    def has(self, kinds: Iterable[str], ref: str) -> bool:
        return any(kind in self.kinds or (kind, ref) in self.ids for kind in kinds)


class _FilePlaces:
    """Where each entry of a file's lists is, by id: its index in the file as written.

    A file with a broken entry is salvaged without it, so the kept entries' own indexes
    would point at the wrong lines after it. An id written twice is placed at each of its
    entries in turn (the second is the one reported as a duplicate)."""

    def __init__(self, doc: Document, keys: Iterable[str]) -> None:
        self.document = doc
        data = doc.data if isinstance(doc.data, dict) else {}
        self.indexes: dict[str, dict[object, list[int]]] = {}
        for key in keys:
            found: dict[object, list[int]] = {}
            raw = data.get(key)
            for i, item in enumerate(raw if isinstance(raw, list) else ()):
                if isinstance(item, dict):
                    found.setdefault(item.get("id"), []).append(i)
            self.indexes[key] = found

    def index(self, key: str, item_id: str) -> int:
        left = self.indexes[key].get(item_id)
        return left.pop(0) if left else 0

    def __call__(self, key: str, item_id: str) -> tuple[str, int]:
        return key, self.index(key, item_id)


def _salvage(model: type[_M], raw: Any, sample: bool, broken: _Broken, kind: str) -> tuple[_M, ...]:
    """The entries of a list that are valid on their own; the others are noted broken
    (their errors were reported with the whole file)."""
    if not isinstance(raw, list):
        if raw is not None:
            broken.kinds.add(kind)
        return ()
    kept: list[_M] = []
    for item in raw:
        try:
            kept.append(model.model_validate(item, context={"sample": sample}))
        except ValidationError:
            broken.add(kind, item.get("id") if isinstance(item, dict) else None)
            if not isinstance(item, dict) or not isinstance(item.get("id"), str):
                broken.kinds.add(kind)  # an entry without a usable id could be anyone
    return tuple(kept)


def _salvage_contacts(data: Any, sample: bool, broken: _Broken) -> ContactsFile:
    """The valid people, roles and trees of a contacts file that has errors."""
    if not isinstance(data, dict):
        broken.unreadable("contacts")
        data = {}
    return ContactsFile.model_construct(
        people=_salvage(Person, data.get("people"), sample, broken, "person"),
        roles=_salvage(Role, data.get("roles"), sample, broken, "role"),
        trees=_salvage(ContactTree, data.get("trees"), sample, broken, "tree"),
    )


def _salvage_plan_file(data: Any, sample: bool, broken: _Broken) -> PlanFile:
    """The valid sites, targets and contents of a plan.yaml that has errors; a stand-in
    for the plan's own details when they are the part with errors."""
    if not isinstance(data, dict):
        broken.unreadable("plan")
        data = {}
    try:
        info = PlanInfo.model_validate(data.get("plan"), context={"sample": sample})
    except ValidationError:
        info = PlanInfo.model_construct(
            organisation=Text(ja="?"),
            title=Text(ja="?"),
            version="?",
            approved_on=dt.date(2000, 1, 1),
            sample=sample,
        )
    try:
        contents = Contents.model_validate(data.get("contents") or {})
    except ValidationError:
        contents = Contents()
        broken.unreadable("plan")
    return PlanFile.model_construct(
        plan=info,
        sites=_salvage(Site, data.get("sites"), sample, broken, "site"),
        targets=_salvage(Target, data.get("targets"), sample, broken, "target"),
        contents=contents,
    )


def _present(path: Path) -> bool:
    """Whether anything is at `path` (a broken link or a loop counts: it is an error to
    report, not a file to skip)."""
    try:
        path.lstat()
    except (FileNotFoundError, NotADirectoryError):
        return False
    except OSError:
        return True
    return True


_REFERENCE_HINTS = 50
"""How many undefined references of one plan get a "did you mean" (the nearest id)."""


class _CrossCheck:
    """Checks that span files: references, cycles, vacancies, sample safety."""

    def __init__(self, plan: Plan, loader: _Loader) -> None:
        self.plan = plan
        self.loader = loader
        # The plan's ids by kind, looked up directly: a nationwide plan makes 100,000
        # references to check.
        self.index = plan._index
        self.hints_left = _REFERENCE_HINTS

    def ref(
        self, kinds: Iterable[str], ref: str, what: str, kind: str, item_id: str, *sub: str | int
    ) -> bool:
        kinds = tuple(kinds)
        for k in kinds:
            if ref in self.index[k]:
                return True
        if self.loader.broken.has(kinds, ref):
            return False  # it has errors of its own, already reported
        fix, fix_key, close = f"define {what} '{ref}' or correct the id", "ref.undefined.fix", ""
        if self.hints_left:
            # Past the first few dozen, undefined ids are a missing or emptied file, not
            # typos: each one's nearest id would only mislead (a neighbour's id), among
            # thousands of errors.
            self.hints_left -= 1
            choices: list[str] = []
            for k in kinds:
                choices.extend(self.plan._index[k])
            fix, fix_key, close = suggest(ref, choices, fix, fix_key)
        self.loader.error(
            "DK-E007",
            f"{what} '{ref}' is not defined",
            kind,
            item_id,
            *sub,
            fix=fix,
            message_key="ref.undefined",
            fix_key=fix_key,
            params=params(what=what, ref=ref, nearest=close),
        )
        return False

    def _holidays(self, role_id: str, person: str | None) -> None:
        """A rota's `holidays`: `skip`, or the person who holds a holiday's duty."""
        if person is None or self.plan.has("person", person):
            return
        fix, fix_key, close = suggest(
            person,
            ["skip", *self.plan._index["person"]],
            "write `skip` (no handover on a holiday) or the id of the person who holds "
            "the holidays' duty",
            "rota.holidays.fix",
        )
        self.loader.error(
            "DK-E007",
            f"'{person}' is neither `skip` nor a person of the plan",
            "role",
            role_id,
            "rotation",
            "holidays",
            fix=fix,
            message_key="rota.holidays",
            fix_key=fix_key,
            params=params(person=person, nearest=close),
        )

    def run(self) -> None:
        plan = self.plan
        people, roles, sites = self.index["person"], self.index["role"], self.index["site"]
        for role in plan.roles:
            holder = role.holder
            if holder is not None and holder not in people and holder not in roles:
                self.ref(("person", "role"), holder, "person or role", "role", role.id, "holder")
            for i, deputy in enumerate(role.deputies):
                if deputy in people or deputy in roles:
                    continue
                self.ref(
                    ("person", "role"), deputy, "person or role", "role", role.id, "deputies", i
                )
            if role.rotation is not None:
                rotation = role.rotation
                for i, person_id in enumerate(rotation.people):
                    self.ref(
                        ("person",), person_id, "person", "role", role.id, "rotation", "people", i
                    )
                for i, override in enumerate(rotation.overrides):
                    self.ref(
                        ("person",), override.person, "person", "role", role.id,
                        "rotation", "overrides", i, "person",
                    )  # fmt: skip
                self._holidays(role.id, rotation.holiday_person)
            if role.site is not None and role.site not in sites:
                self.ref(("site",), role.site, "site", "role", role.id, "site")
        for person in plan.people:
            if person.site is not None and person.site not in sites:
                self.ref(("site",), person.site, "site", "person", person.id, "site")
        self._deputy_cycles()
        for target in plan.targets:
            if target.tree is not None and self.ref(
                ("tree",), target.tree, "tree", "target", target.id, "tree"
            ):
                tree = plan.tree(target.tree)
                levels = [level.id for level in tree.levels]
                if target.level is not None and target.level not in levels:
                    fix, fix_key, close = suggest(
                        target.level, levels, f"use one of {levels}", "ref.use_one_of"
                    )
                    self.loader.error(
                        "DK-E007",
                        f"tree '{tree.id}' has no level '{target.level}'",
                        "target",
                        target.id,
                        "level",
                        fix=fix,
                        message_key="ref.no_level",
                        fix_key=fix_key,
                        params=params(
                            tree=tree.id, level=target.level, nearest=close, choices=tuple(levels)
                        ),
                    )
        for tree in plan.trees:
            level_ids: set[str] = set()
            for j, level in enumerate(tree.levels):
                if level.id in level_ids:
                    self.loader.error(
                        "DK-E008",
                        f"level id '{level.id}' appears twice",
                        "tree",
                        tree.id,
                        "levels",
                        j,
                        "id",
                        fix="give each level of a tree its own id",
                        message_key="dup.level",
                        fix_key="dup.level.fix",
                        params=params(id=level.id),
                    )
                level_ids.add(level.id)
                required = level.required
                if isinstance(required, int) and required > len(level.members):
                    self.loader.error(
                        "DK-E006",
                        f"requires {required} acknowledgements but has {len(level.members)} "
                        "members",
                        "tree",
                        tree.id,
                        "levels",
                        j,
                        "required",
                        fix="lower `required` or add members",
                        message_key="required.members",
                        fix_key="required.members.fix",
                        params=params(required=required, members=len(level.members)),
                    )
                for k, member in enumerate(level.members):
                    sub = ("levels", j, "members", k)
                    known = (
                        member.ref in roles
                        or member.ref in people
                        or self.ref(
                            ("role", "person"), member.ref, "role or person", "tree", tree.id, *sub
                        )
                    )
                    if known and not self._anyone_for(member.ref):
                        self.loader.error(
                            "DK-E014",
                            f"role '{member.ref}' has no holder and no deputy",
                            "tree",
                            tree.id,
                            *sub,
                            fix="name a holder or deputies for the role",
                            message_key="nobody.role",
                            fix_key="nobody.role.fix",
                            params=params(role=member.ref),
                        )
                    if member.site is not None and member.site not in sites:
                        self.ref(("site",), member.site, "site", "tree", tree.id, *sub, "site")
        for scenario in plan.scenarios:
            for i, tree_id in enumerate(scenario.trees):
                self.ref(("tree",), tree_id, "tree", "scenario", scenario.id, "trees", i)
            if scenario.playbook is not None:
                self.ref(
                    ("playbook",),
                    scenario.playbook,
                    "playbook",
                    "scenario",
                    scenario.id,
                    "playbook",
                )
            for i, target_id in enumerate(scenario.targets):
                self.ref(("target",), target_id, "target", "scenario", scenario.id, "targets", i)
            self._checklist(scenario.checklist, "scenario", scenario.id)
            self._notices(scenario)
        for playbook in plan.playbooks:
            step_ids = [step.id for step in playbook.steps]
            seen_steps: set[str] = set()
            for j, step in enumerate(playbook.steps):
                if step.id in seen_steps:
                    self.loader.error(
                        "DK-E008",
                        f"step id '{step.id}' appears twice",
                        "playbook",
                        playbook.id,
                        "steps",
                        j,
                        "id",
                        fix="give each step its own id",
                        message_key="dup.step",
                        fix_key="dup.step.fix",
                        params=params(id=step.id),
                    )
                seen_steps.add(step.id)
                if self.ref(
                    ("role",), step.owner, "role", "playbook", playbook.id, "steps", j, "owner"
                ) and not self._anyone_for(step.owner):
                    self.loader.error(
                        "DK-E014",
                        f"owner role '{step.owner}' is held by nobody",
                        "playbook",
                        playbook.id,
                        "steps",
                        j,
                        "owner",
                        fix="name a holder for the role, or choose another owner",
                        message_key="nobody.owner",
                        fix_key="nobody.owner.fix",
                        params=params(role=step.owner),
                    )
                for k, dep in enumerate(step.depends_on):
                    if dep not in step_ids:
                        fix, fix_key, close = suggest(
                            dep, step_ids, f"use one of {step_ids}", "ref.use_one_of"
                        )
                        self.loader.error(
                            "DK-E007",
                            f"step '{dep}' is not in this playbook",
                            "playbook",
                            playbook.id,
                            "steps",
                            j,
                            "depends_on",
                            k,
                            fix=fix,
                            message_key="ref.no_step",
                            fix_key=fix_key,
                            params=params(step=dep, nearest=close, choices=tuple(step_ids)),
                        )
                self._checklist(step.checklist, "playbook", playbook.id, "steps", j)
            self._step_cycles(playbook.id, {s.id: s.depends_on for s in playbook.steps})
        if plan.info.sample:
            self._sample_is_fictional()

    def _notices(self, scenario: Scenario) -> None:
        """A scenario's notices name its own trees, their levels and members, its own
        injects and playbook steps; one notice per level of a tree."""
        plan, sid = self.plan, scenario.id
        inject_ids: list[str] = []
        for i, inject in enumerate(scenario.injects):
            if inject.id is None:
                continue
            if inject.id in inject_ids:
                self.loader.error(
                    "DK-E008",
                    f"inject id '{inject.id}' appears twice",
                    "scenario",
                    sid,
                    "injects",
                    i,
                    "id",
                    fix="give each inject its own id",
                    message_key="dup.inject",
                    fix_key="dup.inject.fix",
                    params=params(id=inject.id),
                )
            inject_ids.append(inject.id)
        if scenario.callback is not None:
            self.ref(
                ("role", "person"), scenario.callback, "role or person", "scenario", sid, "callback"
            )
        steps: list[str] = []
        if scenario.playbook is not None and plan.has("playbook", scenario.playbook):
            steps = [step.id for step in plan.playbook(scenario.playbook).steps]
        seen: set[tuple[str, str]] = set()
        for i, notice in enumerate(scenario.notify):
            where = ("scenario", sid, "notify", i)
            if notice.tree not in scenario.trees:
                if any(not plan.has("tree", t) for t in scenario.trees):
                    continue  # the scenario's own `trees` has an error, reported there
                fix, fix_key, close = suggest(
                    notice.tree,
                    scenario.trees,
                    f"add it to `trees` or use one of {list(scenario.trees)}",
                    "ref.not_scenario_tree.fix",
                )
                self.loader.error(
                    "DK-E007",
                    f"tree '{notice.tree}' is not one of the scenario's trees",
                    *where,
                    "tree",
                    fix=fix,
                    message_key="ref.not_scenario_tree",
                    fix_key=fix_key,
                    params=params(tree=notice.tree, nearest=close, choices=scenario.trees),
                )
                continue
            if not plan.has("tree", notice.tree):
                continue  # reported with `trees`
            levels = {level.id: level for level in plan.tree(notice.tree).levels}
            level = levels.get(notice.level)
            if level is None:
                fix, fix_key, close = suggest(
                    notice.level, levels, f"use one of {list(levels)}", "ref.use_one_of"
                )
                self.loader.error(
                    "DK-E007",
                    f"tree '{notice.tree}' has no level '{notice.level}'",
                    *where,
                    "level",
                    fix=fix,
                    message_key="ref.no_level",
                    fix_key=fix_key,
                    params=params(
                        tree=notice.tree, level=notice.level, nearest=close, choices=tuple(levels)
                    ),
                )
                continue
            if (notice.tree, notice.level) in seen:
                self.loader.error(
                    "DK-E008",
                    f"level '{notice.level}' of tree '{notice.tree}' is named by two notices",
                    *where,
                    "level",
                    fix="name each level once; list all the members it pages in that notice",
                    message_key="dup.notice",
                    fix_key="dup.notice.fix",
                    params=params(tree=notice.tree, level=notice.level),
                )
            seen.add((notice.tree, notice.level))
            refs = [member.ref for member in level.members]
            for k, ref in enumerate(notice.members):
                if ref not in refs:
                    fix, fix_key, close = suggest(ref, refs, f"use one of {refs}", "ref.use_one_of")
                    self.loader.error(
                        "DK-E007",
                        f"'{ref}' is not a member of level '{notice.level}' of tree "
                        f"'{notice.tree}'",
                        *where,
                        "members",
                        k,
                        fix=fix,
                        message_key="ref.not_member",
                        fix_key=fix_key,
                        params=params(
                            ref=ref,
                            tree=notice.tree,
                            level=notice.level,
                            nearest=close,
                            choices=tuple(refs),
                        ),
                    )
            paged = len(notice.members) or len(refs)
            if isinstance(notice.required, int) and notice.required > paged:
                self.loader.error(
                    "DK-E006",
                    f"requires {notice.required} acknowledgements but pages {paged}",
                    *where,
                    "required",
                    fix="lower `required` or page more members",
                    message_key="required.paged",
                    fix_key="required.paged.fix",
                    params=params(required=notice.required, paged=paged),
                )
            if notice.at_inject is not None and notice.at_inject not in inject_ids:
                fix, fix_key, close = suggest(
                    notice.at_inject,
                    inject_ids,
                    "give the inject an `id:` and name it here",
                    "ref.no_inject.fix",
                )
                self.loader.error(
                    "DK-E007",
                    f"the scenario has no inject with id '{notice.at_inject}'",
                    *where,
                    "at_inject",
                    fix=fix,
                    message_key="ref.no_inject",
                    fix_key=fix_key,
                    params=params(inject=notice.at_inject, nearest=close),
                )
            if notice.after_step is not None and notice.after_step not in steps:
                fix, fix_key, close = suggest(
                    notice.after_step, steps, f"use one of {steps}", "ref.use_one_of"
                )
                self.loader.error(
                    "DK-E007",
                    f"the scenario's playbook has no step '{notice.after_step}'",
                    *where,
                    "after_step",
                    fix=fix,
                    message_key="ref.no_playbook_step",
                    fix_key=fix_key,
                    params=params(step=notice.after_step, nearest=close, choices=tuple(steps)),
                )

    def _anyone_for(self, ref: str) -> bool:
        """Whether someone can be paged for `ref`, giving the benefit of the doubt to a
        chain that runs through an entry with errors of its own."""
        if self.plan.candidates(ref):
            return True
        if not self.loader.broken.ids and not self.loader.broken.kinds:
            return False
        seen: set[str] = set()
        todo = [ref]
        while todo:
            name = todo.pop()
            if name in seen:
                continue
            seen.add(name)
            if self.loader.broken.has(("person", "role"), name):
                return True
            if self.plan.is_role(name):
                role = self.plan.role(name)
                holders = role.holders(None, self.plan.info.zone)
                todo.extend((*holders, *role.deputies))
        return False

    def _checklist(self, items: Sequence[str], kind: str, item_id: str, *sub: str | int) -> None:
        for i, number in enumerate(items):
            if number not in CHECKLIST:
                fix, fix_key, close = suggest(
                    number, CHECKLIST, f"use one of {', '.join(CHECKLIST)}", "ref.use_one_of"
                )
                self.loader.error(
                    "DK-E007",
                    f"'{number}' is not a checklist item drillkit knows",
                    kind,
                    item_id,
                    *sub,
                    "checklist",
                    i,
                    fix=fix,
                    message_key="ref.checklist",
                    fix_key=fix_key,
                    params=params(item=number, nearest=close, choices=tuple(CHECKLIST)),
                )

    def _deputy_cycles(self) -> None:
        roles = self.index["role"]
        edges = {
            role.id: [r for r in (role.holder, *role.deputies) if r and r in roles]
            for role in self.plan.roles
        }
        for cycle in _cycles(edges):
            self.loader.error(
                "DK-E009",
                "deputies form a cycle: " + " → ".join([*cycle, cycle[0]]),
                "role",
                cycle[0],
                "deputies",
                fix="name a person as deputy somewhere in the chain",
                message_key="cycle.deputies",
                fix_key="cycle.deputies.fix",
                params=params(cycle=(*cycle, cycle[0])),
            )

    def _step_cycles(self, playbook_id: str, edges: dict[str, tuple[str, ...]]) -> None:
        for cycle in _cycles({k: list(v) for k, v in edges.items()}):
            index = [s.id for s in self.plan.playbook(playbook_id).steps].index(cycle[0])
            self.loader.error(
                "DK-E009",
                "steps depend on each other in a cycle: " + " → ".join([*cycle, cycle[0]]),
                "playbook",
                playbook_id,
                "steps",
                index,
                "depends_on",
                fix="remove one dependency of the cycle",
                message_key="cycle.steps",
                fix_key="cycle.steps.fix",
                params=params(cycle=(*cycle, cycle[0])),
            )

    def _sample_is_fictional(self) -> None:
        for person in self.plan.people:
            for i, point in enumerate(person.channels):
                real = (
                    not is_fictional_address(point.address)
                    if point.email is not None
                    else not is_fictional_number(point.address)
                )
                if real:
                    self.loader.error(
                        "DK-E015",
                        "a sample plan may only hold fictional contact details",
                        "person",
                        person.id,
                        "channels",
                        i,
                        fix="use 095-000-XXXX, 090-00XX-XXXX or an address under .example",
                        message_key="sample.real",
                        fix_key="sample.real.fix",
                    )


def _cycles(edges: dict[str, list[str]]) -> list[list[str]]:
    """Each elementary cycle found by depth-first search, reported once."""
    found: list[list[str]] = []
    reported: set[frozenset[str]] = set()
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(node: str) -> None:
        state[node] = 1
        stack.append(node)
        for nxt in edges.get(node, []):
            if state.get(nxt) == 1:
                cycle = stack[stack.index(nxt) :]
                if frozenset(cycle) not in reported:
                    reported.add(frozenset(cycle))
                    found.append(cycle)
            elif nxt not in state:
                visit(nxt)
        stack.pop()
        state[node] = 2

    for node in edges:
        if node not in state:
            visit(node)
    return found


def _has_errors(findings: Iterable[Finding]) -> bool:
    return any(f.severity is Severity.ERROR for f in findings)


def _rel(file: Path, root: Path) -> str:
    try:
        return str(file.relative_to(root))
    except ValueError:
        return str(file)


_CODES_BY_TYPE = {
    "extra_forbidden": "DK-E004",
    "missing": "DK-E005",
    "phone_number": "DK-E011",
    "email_address": "DK-E012",
    "template": "DK-E013",
}


def findings_from(exc: ValidationError, model: type[BaseModel], doc: Document) -> list[Finding]:
    """`model`'s refusal of `doc` as findings: code, file, line, key, message and fix,
    with the keys and values the word catalogue says them with (`drill.words.findings`).
    Every YAML file the plan check reads (the plan's own, `calendar.yaml`) goes through it.
    """
    findings: list[Finding] = []
    for error in exc.errors(include_url=False):
        loc = _clean_loc(error["loc"])
        kind = error["type"]
        code = _CODES_BY_TYPE.get(kind, "DK-E006")
        key = format_path(loc) or None
        line = doc.line_of(loc)
        fix: str | None
        message_key: str | None = f"pydantic.{kind}"
        fix_key: str | None = None
        values = _ctx_params(error.get("ctx"))
        if kind == "extra_forbidden":
            name = str(loc[-1]) if loc else ""
            allowed = _fields_at(model, loc[:-1])
            hint = did_you_mean(name, allowed)
            fix = hint or (
                f"the keys here are: {', '.join(sorted(allowed))}" if allowed else "remove it"
            )
            message = f"unknown key '{name}'"
            message_key = "key.unknown"
            fix_key = (
                "did_you_mean" if hint else "key.unknown.fix" if allowed else "key.unknown.remove"
            )
            values = params(
                name=name, nearest=nearest(name, allowed), allowed=tuple(sorted(allowed))
            )
        elif kind == "missing":
            message = f"'{loc[-1]}' is required" if loc else "a value is required"
            fix = f"add '{loc[-1]}'" if loc else None
            message_key = "key.missing" if loc else "value.missing"
            fix_key = "key.missing.fix" if loc else None
            values = params(name=str(loc[-1]) if loc else None)
        else:
            message = error["msg"]
            message = message.removeprefix("Value error, ")
            fix = _fix_for(kind, error)
            given = (error.get("ctx") or {}).get("message_key")
            if isinstance(given, str):  # a model's own check named its message
                message_key = given
        findings.append(
            Finding(
                code,
                Severity.ERROR,
                message,
                doc.file,
                line,
                key,
                fix,
                message_key,
                fix_key,
                values,
            )
        )
    return findings


def _ctx_params(ctx: Any) -> tuple[tuple[str, Param], ...]:
    """pydantic's `ctx` of an error as a finding's params: numbers as they are, a choice
    (`'a', 'b' or 'c'`) as the list of its quoted ids, so no English `or` is passed on."""
    if not isinstance(ctx, dict):
        return ()
    out: list[tuple[str, Param]] = []
    for name, value in ctx.items():
        if isinstance(value, bool):
            continue
        if isinstance(value, int | float):
            out.append((str(name), value))
        elif isinstance(value, str):
            quoted = re.findall(r"'([^']*)'", value) if name == "expected" else []
            out.append((str(name), tuple(quoted) if quoted else value))
    return tuple(out)


def _clean_loc(loc: Sequence[int | str]) -> tuple[str | int, ...]:
    """Drop pydantic's union-branch labels from an error location."""
    out: list[str | int] = []
    for part in loc:
        if isinstance(part, str) and (
            part.startswith(("function-", "literal[", "constrained-", "tuple["))
            or part in ("int", "str", "float", "bool", "dict", "list")
        ):
            continue
        out.append(part)
    return tuple(out)


def _fix_for(kind: str, error: Any) -> str | None:
    ctx = error.get("ctx") or {}
    if kind == "literal_error" and "expected" in ctx:
        return f"write one of {ctx['expected']}"
    if kind == "finite_number":
        return "write a finite number (not .inf or .nan)"
    if kind in ("less_than_equal", "less_than"):
        bound = ctx.get("le", ctx.get("lt"))
        return f"write a number up to {bound:g}" if isinstance(bound, float) else None
    if kind.startswith(("int_", "float_")):
        return "write a number"
    if kind == "string_pattern_mismatch":
        return "ids use lower-case letters, digits, '-' and '_' (e.g. security-north)"
    if kind == "enum" and "expected" in ctx:
        return f"write one of {ctx['expected']}"
    if kind in ("date_from_datetime_parsing", "date_parsing", "date_type"):
        return "write the date as YYYY-MM-DD"
    if kind in ("tuple_type", "list_type"):
        return "write a list (one '- item' per line)"
    if kind in ("model_type", "dict_type"):
        return "write a mapping of keys"
    return None


def _fields_at(model: type[BaseModel], loc: Sequence[str | int]) -> list[str]:
    """The field names allowed at `loc` inside `model` (for 'did you mean')."""
    current: Any = model
    for part in loc:
        current = _unwrap(current, item=isinstance(part, int))
        if isinstance(part, int):
            continue
        if isinstance(current, type) and issubclass(current, BaseModel):
            field_info = current.model_fields.get(part)
            if field_info is None:
                return []
            current = field_info.annotation
        else:
            return []
    current = _unwrap(current, item=False)
    if isinstance(current, type) and issubclass(current, BaseModel):
        return list(current.model_fields)
    return []


def _unwrap(annotation: Any, *, item: bool) -> Any:
    """`tuple[X, ...]` -> X (for an index), `X | None` -> X."""
    for _ in range(4):
        origin = typing.get_origin(annotation)
        args = typing.get_args(annotation)
        if origin in (typing.Union, types.UnionType):
            models = [a for a in args if isinstance(a, type) and issubclass(a, BaseModel)]
            annotation = models[0] if models else args[0]
        elif item and origin in (tuple, list):
            annotation = args[0]
            item = False
        elif origin is typing.Annotated:
            annotation = args[0]
        else:
            break
    return annotation
