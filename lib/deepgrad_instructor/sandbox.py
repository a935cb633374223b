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
- limits, set by ``prlimit(1)`` on the command that execs ``bwrap`` (inherited by the
  kernel; not a ``preexec_fn``, which is unsafe in the grader's threaded process): address
  space (``RLIMIT_AS``, 1 GB by default), CPU seconds for the whole notebook
  (``RLIMIT_CPU``), processes (``RLIMIT_NPROC``; the kernel does not enforce it for a real
  root, so the kernel also goes into a ``pids`` cgroup with ``pids.max`` when one can be
  created here), no core dumps;
- interrupts go as messages on the control channel (``--new-session`` puts the kernel out
  of the process group a signal would reach); nbgrader's per-cell timeout is unchanged.

Where ``bwrap`` cannot run (not installed, or no user namespaces), the manager starts the
plain kernel, sets ``sandboxed = False`` and logs ``UNSANDBOXED`` (and :data:`RUNS` records
every start, for reports).

Turning it on for nbgrader's autograde: ``c.Execute.kernel_manager_class = ...`` does NOT
work in nbgrader 0.9.6 (``Execute.__init__`` passes ``kernel_manager_class=
AsyncKernelManager`` as a keyword argument, which beats the configuration). Autograde must
run :class:`SandboxedExecute` in place of ``Execute``; in ``nbgrader_config.py``::

    from deepgrad_instructor.sandbox import use_sandbox
    use_sandbox(c)

(``c.Execute.timeout`` and the other ``Execute`` settings still apply: the subclass reads
its parents' configuration sections). Limits: ``c.SandboxedKernelManager.memory_limit =
2 * 1024**3``, ``.cpu_limit``, ``.process_limit``, ``.require_sandbox``.
"""

from __future__ import annotations

import functools
import logging
import os
import shutil
import subprocess
import sys
import sysconfig
import tempfile
import uuid
from dataclasses import dataclass
from pathlib import Path

from jupyter_client.manager import AsyncKernelManager
from traitlets import Bool, Integer, Unicode, default

__all__ = ["bwrap_available", "sandbox_command", "Limits", "SandboxedKernelManager",
           "SandboxedExecute", "use_sandbox", "RUNS", "UNSANDBOXED"]

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

# Every kernel start of this process: (kernel id, sandboxed?, why not).
RUNS: list[tuple[str, bool, str]] = []


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
    memory: int = 1024**3      # bytes of address space (RLIMIT_AS)
    cpu: int = 900             # CPU seconds for the kernel's whole life (RLIMIT_CPU)
    processes: int = 256       # RLIMIT_NPROC and pids.max of the kernel's cgroup


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
                    limits: Limits = Limits(), cgroup: Path | None = None) -> list[str]:
    """The command that runs ``kernel_cmd`` in the sandbox.

    ``work`` (a scratch copy) is bound read-write at ``work_at`` (the working directory);
    ``ipc_dir`` (connection file, IPC sockets) read-write at its own path; ``numba_cache``
    (a scratch copy of deepgrad's kernel cache) read-write over the real cache; ``home``
    (with a matplotlib font list) at :data:`SANDBOX_HOME`. ``cgroup``: a pids cgroup the
    command joins before anything else runs.
    """
    bwrap = shutil.which("bwrap") or "bwrap"
    args = [bwrap, "--unshare-all", "--unshare-user", "--disable-userns", "--die-with-parent",
            "--new-session", "--cap-drop", "ALL", "--hostname", "sandbox",
            # jupyter_client's launcher sets JPY_PARENT_PID; ipykernel polls its parent for
            # that pid, which the pid namespace does not show, and exits. --die-with-parent
            # ends the kernel with the grader instead.
            "--unsetenv", "JPY_PARENT_PID",
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
    cmd = [prlimit, f"--as={limits.memory}", f"--cpu={limits.cpu}",
           f"--nproc={limits.processes}", "--core=0", "--", *args]
    if cgroup is not None:
        cmd = ["/bin/sh", "-c", f'echo $$ > "{cgroup}/cgroup.procs" && exec "$@"', "sh", *cmd]
    return cmd


def _pids_cgroup(name: str, limit: int) -> Path | None:
    """A new ``pids`` cgroup (v1 or v2) with ``pids.max = limit``, or None when this process
    cannot create one."""
    for parent in (Path("/sys/fs/cgroup/pids"), Path("/sys/fs/cgroup")):
        if not (parent / "cgroup.procs").exists():
            continue
        if parent.name == "cgroup":  # v2: the pids controller must be on for children
            try:
                if "pids" not in (parent / "cgroup.subtree_control").read_text().split():
                    continue
            except OSError:
                continue
        cg = parent / name
        try:
            cg.mkdir()
            (cg / "pids.max").write_text(str(limit))
            return cg
        except OSError:
            try:
                cg.rmdir()
            except OSError:
                pass
    return None


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


class SandboxedKernelManager(AsyncKernelManager):
    """nbclient's kernel manager, starting the kernel under bubblewrap (module docstring).

    ``sandboxed`` says how the last kernel ran (None before a start); ``unsandboxed_reason``
    why it did not, when it did not."""

    memory_limit = Integer(Limits.memory, help="RLIMIT_AS of the kernel, bytes").tag(config=True)
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

    def __init__(self, **kw):
        super().__init__(**kw)
        self.sandboxed: bool | None = None
        self.unsandboxed_reason = ""
        self._scratch: Path | None = None
        self._cgroup: Path | None = None

    @property
    def limits(self) -> Limits:
        return Limits(self.memory_limit, self.cpu_limit, self.process_limit)

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
        RUNS.append((self.kernel_id or "", ok, why))
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
        if self._cgroup is None:
            self._cgroup = _pids_cgroup(f"deepgrad-kernel-{uuid.uuid4().hex[:12]}",
                                        self.process_limit)
        cmd = sandbox_command(kernel_cmd, work=work, work_at=cwd, ipc_dir=self._scratch / "ipc",
                              numba_cache=cache if cache.exists() else None, home=home,
                              limits=self.limits, cgroup=self._cgroup)
        kw["env"] = _kernel_env(kw.get("env") or dict(os.environ))
        kw["cwd"] = str(self._scratch)
        self.log.debug("sandboxed kernel: %s", cmd)
        return await super()._async_launch_kernel(cmd, **kw)

    async def _async_cleanup_resources(self, restart: bool = False) -> None:
        await super()._async_cleanup_resources(restart=restart)
        if restart:
            return
        if self._cgroup is not None:
            _remove_cgroup(self._cgroup)
            self._cgroup = None
        if self._scratch is not None:
            shutil.rmtree(self._scratch, ignore_errors=True)
            self._scratch = None

    cleanup_resources = _async_cleanup_resources


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
        super().__init__(*args, **kwargs)


def use_sandbox(c) -> None:
    """Make nbgrader's autograde (configuration ``c`` of ``nbgrader_config.py``) run every
    submission in a :class:`SandboxedKernelManager` kernel: its preprocessor list with
    ``Execute`` replaced by :class:`SandboxedExecute`, the rest unchanged."""
    from nbgrader.converters import Autograde
    from nbgrader.preprocessors import Execute
    current = c.Autograde.get("autograde_preprocessors")
    if current is None or not isinstance(current, list):
        current = list(Autograde.class_traits()["autograde_preprocessors"].default())
    c.Autograde.autograde_preprocessors = [SandboxedExecute if p is Execute else p
                                           for p in current]
