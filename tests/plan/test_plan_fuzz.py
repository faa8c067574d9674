"""Property: whatever YAML a user writes, loading ends in a valid plan or a PlanError.

Also a seeded hostile fuzzer (run as a worker process by the last test): numbers, templates,
alias bombs, people counts against the limits, special files, bad limit settings and byte
edits, each through `drillkit validate`, failing on a traceback, a hang or memory.
"""

from __future__ import annotations

import json
import os
import queue
import random
import shutil
import subprocess
import sys
import tempfile
import threading
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from drill.plan import PlanError, load_plan
from drill.plan.templates import TemplateProblem, check_template

MINIMAL = Path(__file__).parent / "fixtures" / "minimal"
FILES = sorted(str(p.relative_to(MINIMAL)) for p in MINIMAL.rglob("*.yaml"))
RAN = {"random": 0, "mutated": 0}

scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(allow_nan=True),
    st.text(max_size=20),
    st.sampled_from(["${NOPE}", "095-000-0001", "2026-02-30", "!!", "*a"]),
    st.dates().map(str),
)
documents = st.recursive(
    scalars,
    lambda inner: (
        st.lists(inner, max_size=4)
        | st.dictionaries(
            st.sampled_from(
                [
                    "id",
                    "name",
                    "people",
                    "roles",
                    "trees",
                    "levels",
                    "members",
                    "plan",
                    "kind",
                    "steps",
                    "voice",
                    "holder",
                    "deputies",
                    "channels",
                    "title",
                ]
            )
            | st.text(max_size=8),
            inner,
            max_size=4,
        )
    ),
    max_leaves=25,
)


def _load(root: Path) -> None:
    try:
        load_plan(root)
    except PlanError as exc:
        assert exc.findings, "a PlanError always says what is wrong"
        for finding in exc.findings:
            assert finding.render(root)


def _copy() -> Path:
    root = Path(tempfile.mkdtemp(prefix="drillkit-fuzz-")) / "plan"
    shutil.copytree(MINIMAL, root)
    return root


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(file=st.sampled_from(FILES), document=documents)
def test_random_yaml_ends_in_plan_or_plan_error(file: str, document: object) -> None:
    root = _copy()
    try:
        (root / file).write_text(yaml.safe_dump(document, allow_unicode=True), encoding="utf-8")
        _load(root)
        RAN["random"] += 1
    finally:
        shutil.rmtree(root.parent)


@settings(max_examples=250, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    file=st.sampled_from(FILES),
    edits=st.lists(
        st.tuples(
            st.integers(0, 10_000),
            st.integers(0, 6),
            st.sampled_from(
                [
                    "",
                    ":",
                    "- ",
                    "  ",
                    "\t",
                    "[",
                    "{",
                    "}",
                    "&a ",
                    "*a",
                    "!!python/name:os.system ",
                    "\n",
                    "'",
                    '"',
                    "#",
                    "<<: *a\n",
                    "${X}",
                    "０",
                    "\x00",
                    "\ufeff",
                ]
            ),
        ),
        min_size=1,
        max_size=5,
    ),
)
def test_mutated_yaml_ends_in_plan_or_plan_error(
    file: str, edits: list[tuple[int, int, str]]
) -> None:
    root = _copy()
    try:
        text = (root / file).read_text(encoding="utf-8")
        for position, cut, insert in edits:
            at = position % (len(text) + 1)
            text = text[:at] + insert + text[at + cut :]
        (root / file).write_bytes(text.encode("utf-8", "surrogatepass"))
        _load(root)
        RAN["mutated"] += 1
    finally:
        shutil.rmtree(root.parent)


def test_fuzz_ran_the_cases_it_claims() -> None:
    # Runs after the two properties in file order; documents how many cases ran.
    print(f"fuzzed plans: {RAN['random']} random documents, {RAN['mutated']} mutated files")
    assert RAN["random"] >= 100 and RAN["mutated"] >= 200


def test_a_full_width_number_in_a_placeholder_is_a_clear_error() -> None:
    """Found by the fuzzer: Jinja hands `０e０` to Python's own parser, whose SyntaxError
    must become a plan error, not a traceback."""
    with pytest.raises(TemplateProblem, match="syntax error"):
        check_template("【訓練】{{ ０e０ }}")


# --- the seeded hostile fuzzer: plans an attacker or a careless user writes, through the CLI
#
# Each case builds a plan from the minimal fixture with one hostile kind of input and runs
# `drillkit validate` on it (the real CLI, in-process, in one worker subprocess, so a
# thousand cases fit in a minute). The parent watches the worker: a case that takes more
# than 5 s, a worker whose resident memory passes 500 MiB, a traceback, or an exit code
# other than 0/1/2 (70 is the unexpected-error handler) fails the test, naming the case.

HOSTILE_SEED = 13
HOSTILE_CASES = 1_000
CASE_SECONDS = 5.0
MAX_RSS_MIB = 500

_NUMBER_KEYS = [
    ("scenarios/theft.yaml", ("injects", 0, "at_minutes")),
    ("plan.yaml", ("targets", 0, "within_minutes")),
    ("playbooks/theft.yaml", ("steps", 0, "target_minutes")),
    ("contacts/trees.yaml", ("trees", 0, "levels", 0, "ack_timeout_minutes")),
    ("contacts/trees.yaml", ("trees", 0, "levels", 0, "retries")),
    ("contacts/trees.yaml", ("trees", 0, "levels", 0, "required")),
]
_NUMBERS = [
    ".inf",
    "-.inf",
    ".nan",
    "1e308",
    "1e999",
    "-1",
    "0",
    "100000000000000000000",
    "0x7fffffffffffffff",
    "1_000_000",
    "'10'",
    "9" * 5000,
]
_TEMPLATES = [
    "{% for i in range(999999999) %}x{% endfor %}",
    "{{ 'x' * 999999999 }}",
    "{{ 9 ** 9 ** 9 }}",
    "{{ person * 99999999 }}",
    "{{ person|center(999999999) }}",
    "{{ person.__class__.__mro__ }}",
    "{{ lipsum(999999) }}",
    "{% set a = person ~ person %}{{ a }}",
    "{% macro m() %}{{ m() }}{% endmacro %}{{ m() }}",
    "{{ range(10)|list }}",
    "{{ person[::-1] }}",
    "{% if person %}{{ person|upper }}{% endif %}",
    "{{ person|truncate(5) }} {{ role|default('—') }}",
    "{{ ０e０ }}",
    "{{",
    "{{ person ~ role ~ site ~ scenario ~ deadline ~ started }}",
    "x" * 25_000,
    "{{ person }}" * 3_000,
]
_SPECIALS = [
    "fifo",
    "loop",
    "dangling",
    "dir.yaml",
    "dev-zero",
    "env-dir",
    "env-fifo",
    "plan-fifo",
    "contacts-file",
]
KINDS = ["number", "template", "alias", "people", "special", "env", "mutation"]


def _set_key(text: str, path: tuple[str | int, ...], value: str) -> str:
    data = yaml.safe_load(text)
    node = data
    for part in path[:-1]:
        node = node[part]
    node[path[-1]] = "@@VALUE@@"
    dumped = yaml.safe_dump(data, allow_unicode=True, sort_keys=False, width=10_000)
    return dumped.replace("'@@VALUE@@'", value)


def _alias_bomb(rng: random.Random) -> str:
    width, depth = rng.randint(2, 12), rng.randint(2, 10)
    lines = ["a0: &a0 [x" + ", x" * (width - 1) + "]"]
    for level in range(1, depth):
        items = ", ".join(f"*a{level - 1}" for _ in range(width))
        lines.append(f"a{level}: &a{level} [{items}]")
    return "\n".join(lines) + "\n"


def _hostile_case(rng: random.Random, kind: str, root: Path) -> dict[str, str]:
    """Write one hostile plan under `root`; return the environment it runs with."""
    env: dict[str, str] = {}
    if kind == "number":
        file, path = rng.choice(_NUMBER_KEYS)
        target = root / file
        target.write_text(_set_key(target.read_text("utf-8"), path, rng.choice(_NUMBERS)), "utf-8")
    elif kind == "template":
        key = rng.choice(["voice", "sms", "email_subject", "email_body"])
        template = rng.choice(_TEMPLATES)
        if rng.random() < 0.3:
            template = rng.choice(_TEMPLATES) + rng.choice(_TEMPLATES)
        target = root / "scenarios/theft.yaml"
        text = target.read_text("utf-8")
        target.write_text(_set_key(text, ("messages", "ja", key), json.dumps(template)), "utf-8")
    elif kind == "alias":
        target = root / "contacts" / rng.choice(["people.yaml", "bomb.yaml"])
        if rng.random() < 0.5:
            text = _alias_bomb(rng)
        else:  # honest reuse: one anchored mapping merged into many people
            count = rng.randint(1, 200)
            text = "people:\n  - &base {id: m0, name: 職員, channels: [{email: m@town.example}]}\n"
            text += "".join(f"  - {{<<: *base, id: m{i}}}\n" for i in range(1, count))
            target = root / "contacts/extra.yaml"
        target.write_text(text, "utf-8")
    elif kind == "people":
        count = rng.randint(0, 400)
        env["DRILLKIT_MAX_PEOPLE"] = str(rng.randint(1, 500))
        (root / "contacts/many.yaml").write_text(
            "people:\n"
            + "".join(
                f"  - {{id: p{i}, name: 職員{i}, channels: [{{email: p{i}@town.example}}]}}\n"
                for i in range(count)
            ),
            "utf-8",
        )
        if rng.random() < 0.2:
            env["DRILLKIT_MAX_PLAN_MB"] = "1"
            (root / "contacts/pad.yaml").write_text("# " + "x" * 1_100_000 + "\n", "utf-8")
    elif kind == "special":
        special = rng.choice(_SPECIALS)
        contacts = root / "contacts"
        if special == "fifo":
            os.mkfifo(contacts / "fifo.yaml")
        elif special == "loop":
            (contacts / "loop.yaml").symlink_to("loop.yaml")
        elif special == "dangling":
            (contacts / "gone.yaml").symlink_to("nowhere.yaml")
        elif special == "dir.yaml":
            (contacts / "dir.yaml").mkdir()
        elif special == "dev-zero":
            (contacts / "zero.yaml").symlink_to("/dev/zero")
        elif special == "env-dir":
            (root / ".env").mkdir()
        elif special == "env-fifo":
            os.mkfifo(root / ".env")
        elif special == "plan-fifo":
            (root / "plan.yaml").unlink()
            os.mkfifo(root / "plan.yaml")
        else:
            shutil.rmtree(contacts)
            contacts.write_text("people: []\n", "utf-8")
    elif kind == "env":
        env[rng.choice(["DRILLKIT_MAX_PEOPLE", "DRILLKIT_MAX_PLAN_MB"])] = rng.choice(
            ["lots", "-1", "0", "1e9", "", "99999999999999999999", "７"]
        )
    else:  # mutation: the byte edits of the property above, several at once
        file = root / rng.choice(FILES)
        text = file.read_text("utf-8")
        inserts = ["", ":", "- ", "[", "{", "&a ", "*a", "!!python/name:os.system ", "\n"]
        inserts += ["'", "<<: *a\n", "${X}", "０", "\x00", ".inf", "{{ 'x'*9999999 }}"]
        for _ in range(rng.randint(1, 5)):
            at = rng.randint(0, len(text))
            text = text[:at] + rng.choice(inserts) + text[at + rng.randint(0, 6) :]
        file.write_bytes(text.encode("utf-8", "surrogatepass"))
    return env


def _worker(seed: int, cases: int, workdir: Path) -> None:
    """Run the cases one by one, printing `start N KIND` / `done N CODE` lines (and a
    `fail N ...` line for a traceback or a bad exit code)."""
    import contextlib
    import io
    import traceback

    from drill.cli import cli

    rng = random.Random(seed)
    for number in range(cases):
        kind = KINDS[number % len(KINDS)]
        root = workdir / f"case-{number}"
        shutil.copytree(MINIMAL, root)
        saved = dict(os.environ)
        env = _hostile_case(rng, kind, root)
        print(f"start {number} {kind}", flush=True)
        os.environ.update(env)
        buffer = io.StringIO()
        code: object = None
        try:
            with contextlib.redirect_stdout(buffer), contextlib.redirect_stderr(buffer):
                cli.main(["validate", str(root)], prog_name="drillkit", standalone_mode=True)
        except SystemExit as exc:
            code = exc.code
        except BaseException:
            code = "raised"
            buffer.write(traceback.format_exc())
        finally:
            os.environ.clear()
            os.environ.update(saved)
        output = buffer.getvalue()
        if code not in (0, 1, 2, None) or "Traceback" in output:
            detail = json.dumps({"env": env, "code": code, "output": output[-2_000:]})
            print(f"fail {number} {kind} {detail}", flush=True)
        print(f"done {number} {code}", flush=True)
        shutil.rmtree(root, ignore_errors=True)


def _peak_rss_mib(pid: int) -> float:
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return 0.0
    for line in status.splitlines():
        if line.startswith("VmHWM:"):  # the peak resident set size
            return int(line.split()[1]) / 1024
    return 0.0


@pytest.mark.skipif(not Path("/proc/self/status").exists(), reason="reads /proc for memory")
def test_seeded_hostile_plans_through_the_cli(tmp_path: Path) -> None:
    process = subprocess.Popen(
        [
            sys.executable,
            __file__,
            "--worker",
            str(HOSTILE_SEED),
            str(HOSTILE_CASES),
            str(tmp_path),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    assert process.stdout is not None
    lines: queue.Queue[str | None] = queue.Queue()

    def pump() -> None:
        assert process.stdout is not None
        for line in process.stdout:
            lines.put(line)
        lines.put(None)

    threading.Thread(target=pump, daemon=True).start()
    failures: list[str] = []
    started: dict[int, str] = {}
    done = 0
    peak = 0.0
    current: str | None = None
    try:
        while True:
            try:
                line = lines.get(timeout=CASE_SECONDS)
            except queue.Empty:
                failures.append(f"case {current} hung for more than {CASE_SECONDS:g} s")
                break
            peak = max(peak, _peak_rss_mib(process.pid))
            if line is None:
                break
            word, _, rest = line.partition(" ")
            if word == "start":
                current = rest.strip()
                number, kind = rest.split()
                started[int(number)] = kind
            elif word == "done":
                done += 1
            elif word == "fail":
                failures.append(rest.strip())
            elif line.strip():
                failures.append(f"worker said: {line.strip()}")
            if peak > MAX_RSS_MIB:
                failures.append(f"case {current}: the worker reached {peak:.0f} MiB")
                break
    finally:
        process.kill()
        process.wait()
    kinds = sorted(set(started.values()))
    print(
        f"hostile plans: {done} cases through `drillkit validate`, kinds {kinds}, "
        f"peak RSS {peak:.0f} MiB, failures {len(failures)}"
    )
    assert failures == []
    assert done == HOSTILE_CASES and kinds == sorted(KINDS)


if __name__ == "__main__" and sys.argv[1:2] == ["--worker"]:
    _worker(int(sys.argv[2]), int(sys.argv[3]), Path(sys.argv[4]))
