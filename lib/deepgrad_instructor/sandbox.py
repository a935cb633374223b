"""A sandboxed Jupyter kernel for grading (issue 12, part 1): bubblewrap, IPC sockets, limits.

nbgrader runs every submission in a kernel with the instructor's permissions, inside the
course directory. :class:`SandboxedKernelManager` starts that kernel under ``bwrap`` instead:

- it sees, read-only, only what Python needs: ``/usr`` (and the ``/lib*``, ``/bin`` links),
  a few files of ``/etc`` (loader, fonts, time zone), the venv (``sys.prefix``), the base
  interpreter (``sys.base_prefix``) and the deepgrad library's source directory (``lib/``,
  an editable install);
- read-write, it sees a *scratch copy* of the directory nbgrader runs it in (the student's
  autograded folder without its notebooks, bound at its own path, which is also the
  working directory), a private
  ``HOME`` and ``/tmp`` (tmpfs), a scratch copy of the Numba cache of ``deepgrad.kernels``
  (Numba loads a cache only from a directory it can write to, and the real one must not be
  writable: a pickled cache entry is code the next kernel would run), and the directory of
  its connection file and IPC sockets;
- nothing else of the course: not ``source/``, not ``gradebook.db``, not the other
  submissions, not the instructor's home; no network (``--unshare-all``: net, pid, ipc, uts,
  cgroup, user), so the kernel talks to the grader over Jupyter's IPC transport (socket
  files), not TCP loopback;
- limits: the memory in use (1 GB by default; tmpfs files count) in a ``memory`` cgroup,
  processes in a ``pids`` cgroup (both below the grader's own cgroup, v1 or v2, when it may
  create them), and by ``prlimit(1)`` on the command that execs ``bwrap`` (inherited by the
  kernel; not a ``preexec_fn``, which is unsafe in the grader's threaded process): address
  space (``RLIMIT_AS``, 3 GB, a backstop: it counts reservations, and an honest kernel
  reserves about twice what it uses), CPU seconds for the whole notebook (``RLIMIT_CPU``),
  processes (``RLIMIT_NPROC``; Linux does not enforce it for a real root, hence the
  cgroup), no core dumps. What the cgroups saw (peak memory, a kill at the memory cap,
  refused forks) is read when the kernel is cleaned up (:class:`KernelRun`);
- an audit hook in the kernel (:mod:`.audited_kernel`) reports file access outside the
  mounts, sockets and new processes on a pipe; :class:`SandboxedExecute` stores all of it in
  the notebook's metadata (``deepgrad.sandbox``, and flags by cell in ``deepgrad.flags``);
- interrupts go as messages on the control channel (``--new-session`` puts the kernel out
  of the process group a signal would reach); nbgrader's per-cell timeout is unchanged;
- a grading kernel is killed when its notebook is done (``shutdown_kernel="immediate"``):
  its state is thrown away, and an orderly exit spent ~0.8 s of a student's ~1.8 s
  grading overhead on Python's last garbage collection and jupyter_client's 0.1 s polls
  (docs/benchmarks.md, "Grading a class"). :class:`PromptKernelClient` skips
  jupyter_client's 0.2 s of waiting for silence on IOPub after the kernel's first reply.

Where ``bwrap`` cannot run (not installed, or no user namespaces), the manager starts the
plain kernel, sets ``sandboxed = False`` and logs ``UNSANDBOXED`` (and :data:`RUNS` records
every start, for reports, which say UNSANDBOXED for that student).

Turning it on for nbgrader's autograde: ``c.Execute.kernel_manager_class = ...`` does NOT
work in nbgrader 0.9.6 (``Execute.__init__`` passes ``kernel_manager_class=
AsyncKernelManager`` as a keyword argument, which beats the configuration). Autograde must
run :class:`SandboxedExecute` in place of ``Execute``; in ``nbgrader_config.py``::

    from deepgrad_instructor.sandbox import use_sandbox
    use_sandbox(c)

(``c.Execute.timeout`` and the other ``Execute`` settings still apply: the subclass reads
its parents' configuration sections). Limits: ``c.SandboxedKernelManager.memory_limit =
2 * 1024**3``, ``.address_space_limit``, ``.cpu_limit``, ``.process_limit``,
``.require_sandbox``.
"""

from __future__ import annotations

import functools
import json
import logging
import os
import shutil
import subprocess
import sys
import sysconfig
import tempfile
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Sequence

from jupyter_client.asynchronous import AsyncKernelClient
from jupyter_client.manager import AsyncKernelManager
from traitlets import Bool, Integer, Unicode, default

__all__ = ["bwrap_available", "sandbox_command", "Limits", "kernel_cgroups", "cgroup_usage",
           "KernelRun", "PromptKernelClient", "SandboxedKernelManager", "SandboxedExecute", "record_runs",
           "use_sandbox", "RUNS", "UNSANDBOXED"]

log = logging.getLogger(__name__)

UNSANDBOXED = "UNSANDBOXED"
SANDBOX_HOME = "/home/student"
# Files and folders of /etc the loader, Python, matplotlib (fontconfig) and numba use.
ETC = ["ld.so.cache", "ld.so.conf", "ld.so.conf.d", "localtime", "timezone", "fonts",
       "nsswitch.conf", "passwd", "group", "mime.types", "alternatives", "ssl",
       "ca-certificates", "os-release", "matplotlibrc"]
# Top-level links or folders of a merged-/usr system.
ROOT_DIRS = ["bin", "sbin", "lib", "lib32", "lib64", "libx32"]
# Environment variables passed into the kernel (everything else of the grader's
# environment stays out: it may hold tokens or paths).
ENV_KEEP = ("LANG", "LC_ALL", "LC_CTYPE", "TZ", "OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS",
            "OMP_WAIT_POLICY", "MKL_NUM_THREADS", "MPLBACKEND", "PYDEVD_DISABLE_FILE_VALIDATION",
            "PYTHONHASHSEED", "JPY_SESSION_NAME")
ENV_PREFIXES = ("NUMBA_", "DEEPGRAD_")



@dataclass
class KernelRun:
    """One grading kernel's life, as data: how it ran, in which folder, and what its
    cgroups saw (:func:`cgroup_usage`, filled in when it is cleaned up)."""

    kernel_id: str
    sandboxed: bool
    reason: str = ""            # why it ran unsandboxed
    folder: str = ""            # nbgrader's folder (autograded/<student>/<assignment>)
    memory_limit: int = 0       # bytes in use, 0 when no memory cgroup capped it
    usage: dict = field(default_factory=dict)
    events: list = field(default_factory=list)  # the audit hook's (audited_kernel)

    def flags(self) -> dict[int | None, list[str]]:
        """What the sandbox saw that an honest notebook never does, as flags by the
        execution count of the cell it happened in (None: the kernel as a whole)."""
        out: dict[int | None, list[str]] = {}
        for e in self.events:
            flag = AUDIT_FLAGS.get(e.get("event"))
            cell = e.get("cell") if isinstance(e.get("cell"), int) else None
            if flag and flag not in out.setdefault(cell, []):
                out[cell].append(flag)
        if self.usage.get("oom_kills"):
            out.setdefault(None, []).append(
                f"killed at the memory limit ({format_bytes(self.memory_limit)})")
        if self.usage.get("fork_denials"):
            out.setdefault(None, []).append("hit the process limit")
        return {k: v for k, v in out.items() if v}

    def summary(self) -> dict:
        """As stored in the autograded notebook (``metadata.deepgrad.sandbox``)."""
        return {"sandboxed": self.sandboxed, "reason": self.reason,
                "memory_limit": self.memory_limit, "usage": self.usage,
                "events": self.events}


def format_bytes(n: int) -> str:
    """``n`` bytes as "1 GB" or "300 MB"."""
    return f"{n / 1024**3:g} GB" if n % 1024**3 == 0 else f"{n / 1024**2:.0f} MB"


# The audit hook's events (audited_kernel) as flags.
AUDIT_FLAGS = {"open": "opens files outside its folder",
               "listdir": "lists folders outside its folder",
               "socket": "opens a network socket",
               "fork": "starts processes", "system": "starts processes",
               "process": "starts processes", "exec": "starts processes",
               "kill": "signals another process"}


# Every kernel start of this process, in order.
RUNS: list[KernelRun] = []


@functools.lru_cache(maxsize=None)
def bwrap_available() -> tuple[bool, str]:
    """(True, "") when ``bwrap`` runs a sandbox like the kernel's here (user and network
    namespaces), else (False, the reason). Run once per process."""
    exe = shutil.which("bwrap")
    if exe is None:
        return False, "bwrap is not installed (Debian package bubblewrap)"
    cmd = [exe, "--unshare-all", "--die-with-parent", "--new-session",
           "--ro-bind", "/", "/", "--dev", "/dev", "--proc", "/proc", "true"]
    try:
        r = subprocess.run(cmd, capture_output=True, text=True, timeout=30)
    except (OSError, subprocess.TimeoutExpired) as exc:
        return False, f"bwrap failed to run: {exc}"
    if r.returncode != 0:
        return False, f"bwrap cannot create a sandbox here: {r.stderr.strip()}"
    return True, ""


@dataclass(frozen=True)
class Limits:
    memory: int = 1024**3          # bytes of memory in use (memory cgroup; tmpfs included)
    address_space: int = 3 * 1024**3  # bytes of address space (RLIMIT_AS), a backstop
    cpu: int = 900                 # CPU seconds for the kernel's whole life (RLIMIT_CPU)
    processes: int = 256           # RLIMIT_NPROC and pids.max of the kernel's cgroup


def _library_dirs() -> list[Path]:
    """The source folders of deepgrad (an editable install: ``lib/`` of the repository)."""
    import deepgrad
    return [Path(deepgrad.__file__).resolve().parents[1]]


def _kernels_cache() -> Path:
    import deepgrad
    return Path(deepgrad.__file__).resolve().parent / "kernels" / "__pycache__"


def _ro_binds() -> list[str]:
    args: list[str] = []
    root = Path("/")
    for name in ROOT_DIRS:
        p = root / name
        if p.is_symlink():
            args += ["--symlink", os.readlink(p), str(p)]
        elif p.is_dir():
            args += ["--ro-bind", str(p), str(p)]
    args += ["--ro-bind", "/usr", "/usr"]
    for name in ETC:
        p = Path("/etc") / name
        if p.exists():
            args += ["--ro-bind", str(p), str(p)]
    seen: set[str] = set()
    for p in [Path(sys.prefix), Path(sys.base_prefix), Path(sysconfig.get_paths()["stdlib"]),
              *_library_dirs()]:
        p = p.resolve()
        if str(p).startswith("/usr/") or any(str(p).startswith(s + "/") or str(p) == s
                                             for s in seen):
            continue
        seen.add(str(p))
        args += ["--ro-bind", str(p), str(p)]
    # the venv's own python links to the base interpreter by its unresolved path too
    exe = Path(sys.executable)
    if exe.is_symlink():
        target = Path(os.path.realpath(exe))
        if not any(str(target).startswith(s + "/") for s in seen):
            args += ["--ro-bind", str(target), str(target)]
    return args


def sandbox_command(kernel_cmd: list[str], *, work: Path, work_at: Path, ipc_dir: Path,
                    numba_cache: Path | None = None, home: Path | None = None,
                    limits: Limits = Limits(), cgroups: Sequence[Path] = ()) -> list[str]:
    """The command that runs ``kernel_cmd`` in the sandbox.

    ``work`` (a scratch copy) is bound read-write at ``work_at`` (the working directory);
    ``ipc_dir`` (connection file, IPC sockets) read-write at its own path; ``numba_cache``
    (a scratch copy of deepgrad's kernel cache) read-write over the real cache; ``home``
    (with a matplotlib font list) at :data:`SANDBOX_HOME`. ``cgroups``: the kernel's
    cgroups (:func:`kernel_cgroups`), joined before anything else runs.
    """
    bwrap = shutil.which("bwrap") or "bwrap"
    args = [bwrap, "--unshare-all", "--unshare-user", "--disable-userns", "--die-with-parent",
            "--new-session", "--cap-drop", "ALL", "--hostname", "sandbox",
            # jupyter_client's launcher sets JPY_PARENT_PID; ipykernel polls its parent for
            # that pid, which the pid namespace does not show, and exits. --die-with-parent
            # ends the kernel with the grader instead. 1 is the value ipykernel does not
            # poll; with none it prints a console banner on the grader's terminal per kernel.
            "--setenv", "JPY_PARENT_PID", "1",
            # /tmp first: the binds below may lie under it (a venv or a course in /tmp,
            # as in a fresh clone), and a later tmpfs would hide them.
            "--tmpfs", "/tmp", *_ro_binds(), "--dev", "/dev", "--proc", "/proc"]
    if home is not None:
        args += ["--bind", str(home), SANDBOX_HOME]
    else:
        args += ["--tmpfs", SANDBOX_HOME]
    if numba_cache is not None:
        args += ["--bind", str(numba_cache), str(_kernels_cache())]
    args += ["--bind", str(work), str(work_at), "--bind", str(ipc_dir), str(ipc_dir),
             "--chdir", str(work_at), "--", *kernel_cmd]
    prlimit = shutil.which("prlimit") or "/usr/bin/prlimit"
    cmd = [prlimit, f"--as={limits.address_space}", f"--cpu={limits.cpu}",
           f"--nproc={limits.processes}", "--core=0", "--", *args]
    if cgroups:
        join = " && ".join(f'echo $$ > "{cg}/cgroup.procs"' for cg in cgroups)
        cmd = ["/bin/sh", "-c", f'{join} && exec "$@"', "sh", *cmd]
    return cmd


def _own_cgroup(controller: str) -> str:
    """This process's cgroup path in ``controller``'s hierarchy (v1), or its v2 path
    (``controller`` "")."""
    for line in Path("/proc/self/cgroup").read_text().splitlines():
        _, names, path = line.split(":", 2)
        if (controller in names.split(",")) if controller else names == "":
            return path.lstrip("/")
    raise LookupError(controller)


def _cgroup_parents() -> list[tuple[frozenset, bool, Path]]:
    """Where the kernel's cgroups can go: (controllers, v2?, parent), one per v1 hierarchy
    (memory, pids) or one for v2, always below this process's own cgroup (whose limits
    still apply)."""
    root = Path("/sys/fs/cgroup")
    found = []
    try:
        if (root / "cgroup.controllers").exists():  # pure v2
            parent = root / _own_cgroup("")
            on = {"memory", "pids"} & set((parent / "cgroup.subtree_control").read_text().split())
            if on:
                found.append((frozenset(on), True, parent))
        else:
            for controller in ("memory", "pids"):
                if (root / controller / "cgroup.procs").exists():
                    found.append((frozenset([controller]), False,
                                  root / controller / _own_cgroup(controller)))
    except (OSError, LookupError):
        pass
    return found


def _cgroup_limits(controllers: frozenset, v2: bool, limits: Limits) -> list[tuple[str, int, bool]]:
    """(file, value, required) to write in a new cgroup: the optional ones keep swap out
    where swap is accounted."""
    files = []
    if "memory" in controllers:
        files += ([("memory.max", limits.memory, True), ("memory.swap.max", 0, False)] if v2
                  else [("memory.limit_in_bytes", limits.memory, True),
                        ("memory.memsw.limit_in_bytes", limits.memory, False)])
    if "pids" in controllers:
        files.append(("pids.max", limits.processes, True))
    return files


def kernel_cgroups(name: str, limits: Limits) -> list[Path]:
    """New cgroups for one kernel (v1: one per controller, memory and pids; v2: one), with
    the memory in use capped at ``limits.memory`` (tmpfs included) and the processes at
    ``limits.processes``. Empty when this process may not create them."""
    made = []
    for controllers, v2, parent in _cgroup_parents():
        cg = parent / name
        try:
            cg.mkdir()
        except OSError:
            continue
        try:
            for file, value, required in _cgroup_limits(controllers, v2, limits):
                try:
                    (cg / file).write_text(str(value))
                except OSError:
                    if required:
                        raise
            made.append(cg)
        except OSError:
            _remove_cgroup(cg)
    return made


def _is_memory(cg: Path) -> bool:
    return (cg / "memory.max").exists() or (cg / "memory.limit_in_bytes").exists()


def _read_events(path: Path) -> dict[str, int]:
    try:
        return {k: int(v) for k, v in (line.split() for line in path.read_text().splitlines())
                if v.isdigit()}
    except (OSError, ValueError):
        return {}


def cgroup_usage(cgroups: Sequence[Path]) -> dict[str, int]:
    """What the kernel's cgroups saw: ``peak_memory`` (bytes), ``oom_kills`` (processes the
    memory cap killed) and ``fork_denials`` (process starts the pids cap refused)."""
    out = {"peak_memory": 0, "oom_kills": 0, "fork_denials": 0}
    for cg in cgroups:
        for peak in ("memory.max_usage_in_bytes", "memory.peak"):
            try:
                out["peak_memory"] = max(out["peak_memory"], int((cg / peak).read_text()))
            except (OSError, ValueError):
                pass
        for events in ("memory.oom_control", "memory.events"):
            out["oom_kills"] += _read_events(cg / events).get("oom_kill", 0)
        out["fork_denials"] += _read_events(cg / "pids.events").get("max", 0)
    return out


def _kernel_env(env: dict[str, str]) -> dict[str, str]:
    keep = {k: v for k, v in env.items()
            if k in ENV_KEEP or k.startswith(ENV_PREFIXES)}
    keep.update({"HOME": SANDBOX_HOME, "TMPDIR": "/tmp", "USER": "student",
                 "PATH": f"{Path(sys.executable).parent}:/usr/local/bin:/usr/bin:/bin",
                 "MPLCONFIGDIR": f"{SANDBOX_HOME}/.config/matplotlib",
                 "VIRTUAL_ENV": sys.prefix, "PYTHONNOUSERSITE": "1"})
    # glibc reserves 64 MB of address space per thread's malloc arena; an idle kernel has
    # ~12 threads, and RLIMIT_AS counts reservations, not memory used
    keep.setdefault("MALLOC_ARENA_MAX", env.get("MALLOC_ARENA_MAX", "2"))
    return keep


def _matplotlib_fontlist() -> Path | None:
    try:
        import matplotlib
        d = Path(matplotlib.get_cachedir())
    except Exception:
        return None
    found = sorted(d.glob("fontlist-v*.json"))
    return found[-1] if found else None


class PromptKernelClient(AsyncKernelClient):
    """jupyter_client's async client, ready as soon as the kernel has answered
    ``kernel_info`` on the shell channel and IOPub delivers.

    jupyter_client's own ``wait_for_ready`` then drains IOPub until it has been silent for
    0.2 s, every kernel start. Nothing needs that: nbclient reads only the IOPub messages
    whose parent is the request it is waiting for (and leaves its own ``kernel_info``'s
    status messages unread as well)."""

    async def _async_wait_for_ready(self, timeout: float | None = None) -> None:
        import time
        from queue import Empty
        deadline = time.monotonic() + (float("inf") if timeout is None else timeout)
        while True:
            self.kernel_info()
            try:
                msg = await self.shell_channel.get_msg(timeout=1)
            except Empty:
                msg = None
            if msg is not None and msg["msg_type"] == "kernel_info_reply":
                try:  # IOPub connected: the reply's status messages come through
                    await self.iopub_channel.get_msg(timeout=0.2)
                except Empty:
                    pass
                else:
                    self._handle_kernel_info_reply(msg)
                    return
            if not await self._async_is_alive():
                raise RuntimeError("Kernel died before replying to kernel_info")
            if time.monotonic() > deadline:
                raise RuntimeError(f"Kernel didn't respond in {timeout:.0f} seconds")

    wait_for_ready = _async_wait_for_ready


class SandboxedKernelManager(AsyncKernelManager):
    """nbclient's kernel manager, starting the kernel under bubblewrap (module docstring).

    ``sandboxed`` says how the last kernel ran (None before a start); ``unsandboxed_reason``
    why it did not, when it did not."""

    memory_limit = Integer(Limits.memory, help="memory the kernel may use, bytes (its memory "
                           "cgroup; tmpfs included)").tag(config=True)
    address_space_limit = Integer(Limits.address_space, help="RLIMIT_AS of the kernel, bytes "
                                  "(a backstop, and the only cap where no memory cgroup "
                                  "can be made)").tag(config=True)
    cpu_limit = Integer(Limits.cpu, help="RLIMIT_CPU of the kernel, seconds").tag(config=True)
    process_limit = Integer(Limits.processes,
                            help="RLIMIT_NPROC and pids.max of the kernel").tag(config=True)
    require_sandbox = Bool(False, help="refuse to start a kernel when bwrap cannot run "
                           "(default: run it unsandboxed and say so)").tag(config=True)
    sandbox_root = Unicode("", help="where the per-kernel scratch folders go "
                           "(default: the system temp dir)").tag(config=True)

    @default("transport")
    def _default_transport(self):
        return "ipc"

    @default("client_class")
    def _default_client_class(self):
        return f"{__name__}.PromptKernelClient"

    @default("client_factory")
    def _default_client_factory(self):
        return PromptKernelClient

    async def _async_wait(self, pollinterval: float = 0.01) -> None:
        # a killed kernel is gone within milliseconds; jupyter_client polls every 0.1 s
        await super()._async_wait(pollinterval=pollinterval)

    def __init__(self, **kw):
        super().__init__(**kw)
        self.sandboxed: bool | None = None
        self.unsandboxed_reason = ""
        self._scratch: Path | None = None
        self._cgroups: list[Path] = []
        self._audit: int | None = None  # read end of the audit hook's pipe
        self.run: KernelRun | None = None

    @property
    def limits(self) -> Limits:
        return Limits(self.memory_limit, self.address_space_limit, self.cpu_limit,
                      self.process_limit)

    async def _async_pre_start_kernel(self, **kw):
        if self._scratch is None:
            self._scratch = Path(tempfile.mkdtemp(prefix="deepgrad-kernel-",
                                                  dir=self.sandbox_root or None))
            ipc = self._scratch / "ipc"
            ipc.mkdir()
            # IPC endpoints are "<ip>-<port>" socket files; the connection file beside them
            self.ip = str(ipc / "kernel")
            self.connection_file = str(ipc / "kernel.json")
        # interrupts as control messages: a signal to the process group would not reach a
        # kernel in its own session (bwrap --new-session)
        self.kernel_spec.interrupt_mode = "message"
        return await super()._async_pre_start_kernel(**kw)

    async def _async_launch_kernel(self, kernel_cmd, **kw):
        ok, why = bwrap_available()
        if not ok and self.require_sandbox:
            raise RuntimeError(f"no sandbox for the grading kernel: {why}")
        self.sandboxed, self.unsandboxed_reason = ok, why
        if self.run is None:  # a restart is the same run
            self.run = KernelRun(self.kernel_id or "", ok, why, folder=str(kw.get("cwd") or ""))
            RUNS.append(self.run)
        if not ok:
            self.log.warning("%s: grading kernel %s runs without a sandbox (%s)",
                             UNSANDBOXED, self.kernel_id, why)
            return await super()._async_launch_kernel(kernel_cmd, **kw)
        assert self._scratch is not None
        work = self._scratch / "work"
        if kw.get("cwd"):  # nbclient's resources["metadata"]["path"]: nbgrader's folder
            cwd = Path(kw["cwd"]).resolve()
            if not work.exists():  # a restart keeps the scratch copy
                # without notebooks: nbgrader's copy of the one being graded has its test
                # cells restored from the gradebook, hidden tests included (nbclient sends
                # the kernel each cell; it never needs the file). Symlinks stay links (their
                # targets outside are not in the sandbox).
                shutil.copytree(cwd, work, symlinks=True,
                                ignore=shutil.ignore_patterns("*.ipynb"))
        else:  # no folder given: an empty one, not a copy of wherever this process runs
            cwd = Path(SANDBOX_HOME) / "work"
            work.mkdir(exist_ok=True)
        home = self._scratch / "home"
        (home / ".config" / "matplotlib").mkdir(parents=True, exist_ok=True)
        fontlist = _matplotlib_fontlist()
        if fontlist is not None:
            shutil.copy2(fontlist, home / ".config" / "matplotlib" / fontlist.name)
        cache = self._scratch / "numba-cache"
        real_cache = _kernels_cache()
        if real_cache.is_dir() and not cache.exists():
            shutil.copytree(real_cache, cache)
        if not self._cgroups:
            self._cgroups = kernel_cgroups(f"deepgrad-kernel-{uuid.uuid4().hex[:12]}",
                                           self.limits)
            if any(_is_memory(cg) for cg in self._cgroups):
                self.run.memory_limit = self.memory_limit
            else:
                self.log.warning("grading kernel %s: no memory cgroup here, only its address "
                                 "space is capped (%d bytes)", self.kernel_id,
                                 self.address_space_limit)
        cmd = sandbox_command(_audited(kernel_cmd), work=work, work_at=cwd,
                              ipc_dir=self._scratch / "ipc",
                              numba_cache=cache if cache.exists() else None, home=home,
                              limits=self.limits, cgroups=self._cgroups)
        env = _kernel_env(kw.get("env") or dict(os.environ))
        if self._audit is None:
            self._audit, write_end = os.pipe()
            os.set_inheritable(write_end, True)
        else:  # a restart: a new write end on the same pipe is not possible, go without
            write_end = None
        if write_end is not None:
            env["DEEPGRAD_AUDIT_FD"] = str(write_end)
            env["DEEPGRAD_AUDIT_ALLOW"] = os.pathsep.join(_mount_points(cmd))
            env["DEEPGRAD_AUDIT_DENY"] = str(_course_root(cwd) or "")
            kw["pass_fds"] = (write_end,)  # Popen closes every other descriptor
        kw["env"] = env
        kw["cwd"] = str(self._scratch)
        self.log.debug("sandboxed kernel: %s", cmd)
        try:
            return await super()._async_launch_kernel(cmd, **kw)
        finally:
            if write_end is not None:
                os.close(write_end)  # the kernel has its copy

    async def _async_cleanup_resources(self, restart: bool = False) -> None:
        await super()._async_cleanup_resources(restart=restart)
        if restart:
            return
        if self._audit is not None:
            self.run.events = _read_audit(self._audit)
            os.close(self._audit)
            self._audit = None
        if self._cgroups:
            self.run.usage = cgroup_usage(self._cgroups)
            for cg in self._cgroups:
                _remove_cgroup(cg)
            self._cgroups = []
        if self._scratch is not None:
            shutil.rmtree(self._scratch, ignore_errors=True)
            self._scratch = None

    cleanup_resources = _async_cleanup_resources


def _audited(kernel_cmd: list[str]) -> list[str]:
    """``kernel_cmd`` with ipykernel's launcher replaced by :mod:`.audited_kernel`."""
    cmd = list(kernel_cmd)
    for i in range(len(cmd) - 1):
        if cmd[i] == "-m" and cmd[i + 1] == "ipykernel_launcher":
            cmd[i + 1] = "deepgrad_instructor.audited_kernel"
            break
    return cmd


def _mount_points(cmd: list[str]) -> list[str]:
    """Every path the sandbox of ``cmd`` (:func:`sandbox_command`) mounts: what is inside
    them is the kernel's to read; everything else does not exist in there (``/etc`` too:
    only some of its files are mounted, and IPython looks for the others at start)."""
    out = ["/etc"]
    start = next(i for i, a in enumerate(cmd) if os.path.basename(a) == "bwrap")
    for i in range(start, len(cmd)):
        a = cmd[i]
        if a in ("--ro-bind", "--bind", "--symlink"):
            out.append(cmd[i + 2])
        elif a in ("--tmpfs", "--dev", "--proc"):
            out.append(cmd[i + 1])
        elif a == "--":
            break
    return out


def _course_root(folder: Path) -> Path | None:
    """The course ``folder`` lies in (the nearest folder above it with
    ``nbgrader_config.py`` or ``gradebook.db``): inside it, only what the sandbox mounts
    is the kernel's, even where a broader mount (``/tmp``) covers it."""
    for d in Path(folder).parents:
        if (d / "nbgrader_config.py").exists() or (d / "gradebook.db").exists():
            return d
    return None


def _read_audit(fd: int) -> list[dict]:
    """The audit hook's events, read from the pipe after the kernel has ended."""
    os.set_blocking(fd, False)
    data = b""
    while True:
        try:
            chunk = os.read(fd, 65536)
        except BlockingIOError:
            break
        if not chunk:
            break
        data += chunk
    events = []
    for line in data.decode("utf-8", "replace").splitlines():
        try:
            e = json.loads(line)
        except ValueError:
            continue
        if isinstance(e, dict):
            events.append(e)
    return events


def _remove_cgroup(cg: Path) -> None:
    import time
    for _ in range(50):
        try:
            cg.rmdir()
            return
        except FileNotFoundError:
            return
        except OSError:  # processes still exiting
            time.sleep(0.02)
    log.warning("could not remove the kernel's cgroup %s", cg)


def _execute_base():
    from nbgrader.preprocessors import Execute
    return Execute


class SandboxedExecute(_execute_base()):
    """nbgrader's ``Execute`` preprocessor with :class:`SandboxedKernelManager` (see the
    module docstring for why a subclass, not a configuration value)."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("kernel_manager_class", SandboxedKernelManager)
        kwargs.setdefault("shutdown_kernel", "immediate")  # see the module docstring
        super().__init__(*args, **kwargs)
        self._runs: list = []  # the kernel managers this preprocessor made

    def create_kernel_manager(self):
        km = super().create_kernel_manager()
        self._runs.append(km)  # its run exists once it has started
        return km

    def preprocess(self, nb, resources=None, km=None):
        self._runs = []
        try:
            return super().preprocess(nb, resources, km)
        finally:
            runs = [m.run for m in self._runs if getattr(m, "run", None) is not None]
            if runs:
                record_runs(nb, runs)


def record_runs(nb, runs: Sequence[KernelRun]) -> None:
    """Store what the grading kernel(s) of ``nb`` saw in its metadata: ``deepgrad.sandbox``
    (the last run's :meth:`KernelRun.summary`) and the flags, under the grade id of the
    cell they happened in (or ``"notebook"``) in ``deepgrad.flags``."""
    meta = nb.metadata.setdefault("deepgrad", {})
    meta["sandbox"] = runs[-1].summary()
    flags = meta.setdefault("flags", {})
    by_count = {c.get("execution_count"): c for c in nb.cells if c.cell_type == "code"}
    for run in runs:
        for count, found in run.flags().items():
            cell = by_count.get(count) if count is not None else None
            key = "notebook"
            if cell is not None:
                key = (cell.metadata.get("nbgrader", {}).get("grade_id")
                       or f"cell {nb.cells.index(cell) + 1}")
            flags[key] = flags.get(key, []) + [f for f in found if f not in flags.get(key, [])]
    if not flags:
        del meta["flags"]


def use_sandbox(c, on: bool = True) -> None:
    """Make nbgrader's autograde (configuration ``c`` of ``nbgrader_config.py``) run every
    submission in a :class:`SandboxedKernelManager` kernel: its preprocessor list with
    ``Execute`` replaced by :class:`SandboxedExecute`, the rest unchanged. ``on=False``
    undoes it (plain ``Execute``: every report then says UNSANDBOXED)."""
    from nbgrader.converters import Autograde
    from nbgrader.preprocessors import Execute
    current = c.Autograde.get("autograde_preprocessors")
    if current is None or not isinstance(current, list):
        current = list(Autograde.class_traits()["autograde_preprocessors"].default())
    old, new = (Execute, SandboxedExecute) if on else (SandboxedExecute, Execute)
    c.Autograde.autograde_preprocessors = [new if p is old else p for p in current]
