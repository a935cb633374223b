"""The sandboxed grading kernel (deepgrad_instructor.sandbox; issue 12, part 1).

One sandboxed kernel is started in a fake course (source/, gradebook.db, another student's
submission, the student's autograded folder as the working directory) and probed from the
inside; then nbgrader's autograde grades the toy course with and without the sandbox and
must give the same scores. Skipped where bwrap cannot run (``make test`` installs it), except
the fallback test, which pretends it cannot.
"""

from __future__ import annotations

import asyncio
import socket
import sys
import textwrap
from pathlib import Path

import nbformat
import pytest

from deepgrad_instructor import sandbox
from deepgrad_instructor.sandbox import SandboxedKernelManager, bwrap_available

needs_bwrap = pytest.mark.skipif(not bwrap_available()[0],
                                 reason=f"no sandbox here: {bwrap_available()[1]}")


class Kernel:
    """A started kernel manager and a blocking client on it."""

    def __init__(self, cwd: Path, **limits):
        self.loop = asyncio.new_event_loop()
        self.km = SandboxedKernelManager(kernel_name="python3", **limits)
        self.loop.run_until_complete(self.km.start_kernel(cwd=str(cwd)))
        self.kc = self.km.blocking_client()
        self.kc.start_channels()
        self.kc.wait_for_ready(timeout=60)

    def run(self, code: str, timeout: float = 60) -> tuple[str, str]:
        """(stdout, "ename: evalue" or "") of ``code``."""
        out, err = [], []

        def hook(msg):
            if msg["msg_type"] == "stream":
                out.append(msg["content"]["text"])
            elif msg["msg_type"] == "error":
                err.append(f"{msg['content']['ename']}: {msg['content']['evalue']}")
        self.kc.execute_interactive(textwrap.dedent(code), timeout=timeout, output_hook=hook)
        return "".join(out), "".join(err)

    def alive(self) -> bool:
        return self.loop.run_until_complete(self.km.is_alive())

    def close(self):
        self.kc.stop_channels()
        self.loop.run_until_complete(self.km.shutdown_kernel(now=True))
        self.loop.close()


@pytest.fixture(scope="module")
def course(tmp_path_factory):
    root = tmp_path_factory.mktemp("sandbox_course")
    (root / "source" / "00_toy").mkdir(parents=True)
    (root / "source" / "00_toy" / "answers.txt").write_text("the solutions")
    (root / "gradebook.db").write_text("grades")
    (root / "submitted" / "bob" / "00_toy").mkdir(parents=True)
    (root / "submitted" / "bob" / "00_toy" / "toy.ipynb").write_text("bob's work")
    work = root / "autograded" / "alice" / "00_toy"
    work.mkdir(parents=True)
    (work / "data.txt").write_text("alice's data")
    (work / "toy.ipynb").write_text("hidden tests restored by nbgrader")
    return root


@pytest.fixture(scope="module")
def kernel(course):
    if not bwrap_available()[0]:
        pytest.skip(bwrap_available()[1])
    k = Kernel(course / "autograded" / "alice" / "00_toy", process_limit=64)
    yield k
    k.close()


@needs_bwrap
def test_kernel_runs_numpy_deepgrad_and_a_cached_numba_kernel(kernel):
    assert kernel.km.sandboxed is True and kernel.km.transport == "ipc"
    out, err = kernel.run("""
        import numpy as np
        import deepgrad
        from deepgrad.kernels import conv
        conv.precompile()
        s = conv._im2col.stats
        print(sum(s.cache_hits.values()), sum(s.cache_misses.values()))
        print(float(np.linalg.norm(np.ones((3, 4)))))
        """)
    assert not err
    hits, misses = map(int, out.split()[:2])
    assert hits > 0 and misses == 0  # loaded from the precompiled cache, not compiled
    assert out.split()[2] == str(float(12 ** 0.5))


@needs_bwrap
def test_the_numba_cache_takes_new_entries_but_the_real_one_cannot_change(course):
    """The kernel's Numba cache is a scratch copy: Numba's way of saving (a new file
    renamed over the old) works, and no write reaches the real cache, whose entries are
    code every later kernel would run."""
    entry = next(sandbox._kernels_cache().glob("*.nbc"))
    before = entry.read_bytes()
    k = Kernel(course / "autograded" / "alice" / "00_toy")
    try:
        out, err = k.run(f"""
            import os
            p = {str(entry)!r}
            print(len(open(p, "rb").read()))
            with open(p, "r+b") as f:
                f.write(b"poisoned")
            with open(p + ".tmp", "wb") as f:
                f.write(b"a new entry")
            os.replace(p + ".tmp", p)
            print(open(p, "rb").read())
            """)
    finally:
        k.close()
    assert not err, err
    assert out.splitlines() == [str(len(before)), "b'a new entry'"], out
    assert entry.read_bytes() == before


@needs_bwrap
def test_course_files_are_not_in_the_sandbox(kernel, course):
    paths = [course / "source" / "00_toy" / "answers.txt", course / "source",
             course / "gradebook.db", course / "submitted" / "bob" / "00_toy" / "toy.ipynb",
             Path(__file__), course / "autograded" / "alice" / "00_toy" / "toy.ipynb"]
    out, err = kernel.run(f"""
        for p in {[str(p) for p in paths]!r}:
            try:
                open(p).read()
                print("READ", p)
            except (FileNotFoundError, IsADirectoryError, PermissionError) as e:
                print(type(e).__name__, p)
        """)
    assert not err and "READ" not in out, out
    assert out.count("FileNotFoundError") == len(paths), out
    # of the instructor's home, at most the base interpreter's folder (bound read-only)
    home, base = Path.home(), Path(sys.base_prefix)
    allowed = sorted({base.relative_to(home).parts[0]} if base.is_relative_to(home) else [])
    out, err = kernel.run(f"import os; p = {str(home)!r}; "
                          "print(sorted(os.listdir(p)) if os.path.isdir(p) else [])")
    assert not err and set(eval(out)) <= set(allowed), out
    out, err = kernel.run("import os; print(open('data.txt').read(), os.getcwd())")
    assert out.split()[:2] == ["alice's", "data"] and out.split()[2] == str(
        course / "autograded" / "alice" / "00_toy")


@needs_bwrap
def test_no_network(kernel):
    listener = socket.socket()  # the grader's loopback is reachable from a plain kernel
    listener.bind(("127.0.0.1", 0))
    listener.listen()
    port = listener.getsockname()[1]
    try:
        out, err = kernel.run(f"""
            import socket
            for addr in [("127.0.0.1", {port}), ("1.1.1.1", 80), ("8.8.8.8", 53)]:
                s = socket.socket(); s.settimeout(3)
                try:
                    s.connect(addr); print("CONNECTED", addr)
                except OSError as e:
                    print(type(e).__name__)
            """)
    finally:
        listener.close()
    assert not err and "CONNECTED" not in out and len(out.split()) == 3, out


@needs_bwrap
def test_address_space_is_capped(kernel):
    out, err = kernel.run("""
        import numpy as np
        try:
            a = np.ones(4 * 1024**3 // 8)
            print("ALLOCATED")
        except MemoryError:
            print("MemoryError")
        """)
    assert out.strip() == "MemoryError", (out, err)
    assert kernel.run("print(1 + 1)")[0].strip() == "2"  # and the kernel lives on


def _has_memory_cgroup() -> bool:
    import uuid
    made = sandbox.kernel_cgroups(f"deepgrad-probe-{uuid.uuid4().hex[:8]}", sandbox.Limits())
    found = any(sandbox._is_memory(cg) for cg in made)
    for cg in made:
        sandbox._remove_cgroup(cg)
    return found


@needs_bwrap
def test_memory_in_use_is_capped_and_the_kill_is_reported(tmp_path):
    if not _has_memory_cgroup():
        pytest.skip("this process may not create a memory cgroup")
    k = Kernel(tmp_path, memory_limit=300 * 1024**2)
    try:
        k.kc.execute("import numpy as np\nkeep = [np.ones(50 * 1024**2 // 8) for _ in range(20)]")
        import time
        t0 = time.perf_counter()
        while k.alive() and time.perf_counter() - t0 < 30:
            time.sleep(0.2)
        assert not k.alive()
    finally:
        k.close()
    run = k.km.run if k.km.run is not None else sandbox.RUNS[-1]
    assert run.usage["oom_kills"] >= 1 and run.memory_limit == 300 * 1024**2
    assert run.flags()[None] == ["killed at the memory limit (300 MB)"]
    assert 250 * 1024**2 < run.usage["peak_memory"] <= 300 * 1024**2


@needs_bwrap
def test_the_audit_hook_reports_what_an_honest_notebook_never_does(course):
    k = Kernel(course / "autograded" / "alice" / "00_toy")
    try:
        out, err = k.run(f"""
            import numpy, deepgrad, os, socket, subprocess
            open("data.txt").read()       # the student's own folder: fine
            open("/tmp/scratch", "w").write("x")
            print(len(os.listdir(".")))
            """)
        assert not err, err
        out, err = k.run(f"""
            import os, socket, subprocess
            for path in ["../../../source", {str(course / "gradebook.db")!r}, "/"]:
                try:
                    os.listdir(path) if path != {str(course / "gradebook.db")!r} else open(path)
                except OSError:
                    pass
            try:
                socket.create_connection(("192.0.2.1", 80), timeout=1)
            except OSError:
                pass
            try:
                subprocess.run(["true"])
            except OSError:
                pass
            """)
        assert not err, err
    finally:
        k.close()
    run = k.km.run
    assert {(e["event"], e["what"]) for e in run.events} == {
        ("listdir", str(course / "source")), ("open", str(course / "gradebook.db")),
        ("listdir", "/"), ("socket", "connect 192.0.2.1:80"), ("process", "true")}
    # all in the second cell (its execution count), none in the honest first one
    assert list(run.flags().values()) == [["lists folders outside its folder",
                                           "opens files outside its folder",
                                           "opens a network socket", "starts processes"]]
    assert len({e["cell"] for e in run.events}) == 1


@needs_bwrap
def test_writes_stay_in_the_scratch_copy(kernel, course):
    work = course / "autograded" / "alice" / "00_toy"
    lib = Path(sandbox.__file__).resolve().parents[1]
    out, err = kernel.run(f"""
        for p in {[str(lib / "x.py"), str(Path(sys.prefix) / "x.py"), "/usr/x"]!r}:
            try:
                open(p, "w").write("x")
                print("WROTE", p)
            except OSError as e:
                print(type(e).__name__)
        # the course's path exists inside only as empty folders on the sandbox's own tmpfs
        # (when the course is under /tmp), so this write lands there, not in the course
        try:
            open({str(course / "gradebook.db")!r}, "w").write("forged")
        except OSError:
            pass
        open("result.txt", "w").write("ok")
        print(open("result.txt").read())
        """)
    assert not err and "WROTE" not in out and out.split()[-1] == "ok", out
    assert not (lib / "x.py").exists() and (course / "gradebook.db").read_text() == "grades"
    # the scratch copy is the kernel's own: nothing it writes lands in the course
    assert not (work / "result.txt").exists()


@needs_bwrap
def test_processes_are_capped_and_interrupts_arrive(kernel):
    out, err = kernel.run("""
        import subprocess
        ps = []
        try:
            for i in range(100):
                ps.append(subprocess.Popen(["sleep", "30"]))
        except OSError as e:
            print("LIMIT", type(e).__name__)
        for p in ps:
            p.kill(); p.wait()
        print(len(ps))
        """)
    assert "LIMIT" in out and int(out.split()[-1]) < 64, (out, err)
    # an interrupt is a control message (the kernel is in a session of its own)
    msg_id = kernel.kc.execute("while True: pass")
    import time
    time.sleep(1.0)
    kernel.loop.run_until_complete(kernel.km.interrupt_kernel())
    reply = kernel.kc.get_shell_msg(timeout=20)
    assert reply["parent_header"]["msg_id"] == msg_id
    assert reply["content"]["ename"] == "KeyboardInterrupt"


@needs_bwrap
def test_cpu_time_is_capped(tmp_path):
    k = Kernel(tmp_path, cpu_limit=3)
    try:
        k.kc.execute("while True: pass")
        import time
        t0 = time.perf_counter()
        while k.alive() and time.perf_counter() - t0 < 20:
            time.sleep(0.2)
        assert not k.alive()  # SIGXCPU, then SIGKILL at the hard limit
    finally:
        k.close()


def test_without_bwrap_the_kernel_runs_unsandboxed_and_says_so(tmp_path, monkeypatch):
    monkeypatch.setattr(sandbox, "bwrap_available", lambda: (False, "pretend"))
    before = len(sandbox.RUNS)
    k = Kernel(tmp_path)
    try:
        assert k.km.sandboxed is False and k.km.unsandboxed_reason == "pretend"
        assert [(r.kernel_id, r.sandboxed, r.reason) for r in sandbox.RUNS[before:]] == [
            (k.km.kernel_id, False, "pretend")]
        assert k.run("print(6 * 7)")[0].strip() == "42"
    finally:
        k.close()


# ---------------------------------------------------------------- nbgrader's autograde
@needs_bwrap
def test_autograde_scores_the_same_with_the_sandbox(tmp_path):
    from authoring.mutants import apply_mutants
    from authoring.submissions import build_solution
    from authoring.toy_course import ASSIGNMENT, MUTANTS, make_toy_course
    from deepgrad_instructor.course import open_api
    from deepgrad_instructor.cycle import nbgrader_ok, run_cycle
    from deepgrad_instructor.report import report

    scores = {}
    for kind in ("plain", "sandboxed"):
        course = make_toy_course(tmp_path / kind)
        if kind == "plain":  # the course's configuration turns it on
            with open(course / "nbgrader_config.py", "a") as f:
                f.write("\nuse_sandbox(c, on=False)\n")
        api = open_api(course)
        nbgrader_ok(api.generate_assignment(ASSIGNMENT, force=True), "generate_assignment")
        source = nbformat.read(str(course / "source" / ASSIGNMENT / "toy.ipynb"), 4)
        release = nbformat.read(str(course / "release" / ASSIGNMENT / "toy.ipynb"), 4)
        solution = build_solution(source, release)
        subs = {"solution": {"toy.ipynb": solution},
                "wrong": {"toy.ipynb": apply_mutants(solution, MUTANTS[2:3])}}
        before = len(sandbox.RUNS)
        cycle = run_cycle(course, ASSIGNMENT, subs, generate=False, api=api)
        assert all(r.success for r in cycle.runs.values()), cycle.runs
        runs = sandbox.RUNS[before:]
        assert [r.sandboxed for r in runs] == ([True, True] if kind == "sandboxed" else [])
        rows = report(course, ASSIGNMENT)
        scores[kind] = {r.student: r.cell_scores for r in rows}
        # the report says how each student was graded
        assert {r.sandboxed for r in rows} == {kind == "sandboxed"}
        assert all(r.status[0].startswith("UNSANDBOXED") == (kind == "plain") or
                   (kind == "sandboxed" and not r.status) for r in rows)
        meta = nbformat.read(str(course / "autograded" / "solution" / ASSIGNMENT / "toy.ipynb"),
                             4).metadata.get("deepgrad", {})
        assert ("sandbox" in meta) == (kind == "sandboxed") and not meta.get("flags")
        # and so does nbgrader's export (IntegrityCsvExport)
        import csv
        exported = list(csv.DictReader(cycle.grades_csv.open()))
        assert {r["student_id"]: r["sandboxed"] for r in exported} == {
            s: "yes" if kind == "sandboxed" else "NO" for s in subs}
        assert {r["flags"] for r in exported} == {""}
    assert scores["sandboxed"] == scores["plain"]
    assert scores["plain"]["solution"] != scores["plain"]["wrong"]


def test_tmp_is_mounted_before_the_binds_that_may_lie_under_it(tmp_path):
    """A fresh clone in /tmp (CI) has its venv and lib/ there: a tmpfs /tmp mounted after
    their binds would hide them (every sandboxed kernel then died at start)."""
    cmd = sandbox.sandbox_command(["python"], work=tmp_path, work_at=tmp_path,
                                  ipc_dir=tmp_path)
    tmpfs = cmd.index("/tmp", cmd.index("--tmpfs"))
    binds = [i for i, a in enumerate(cmd) if a in ("--ro-bind", "--bind")]
    assert binds and tmpfs < min(binds)
