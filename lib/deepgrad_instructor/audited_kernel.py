"""The sandboxed grading kernel's entry point: an audit hook, then ipykernel as usual.

:class:`~deepgrad_instructor.sandbox.SandboxedKernelManager` starts the kernel as
``python -m deepgrad_instructor.audited_kernel -f CONNECTION_FILE`` instead of
``python -m ipykernel_launcher ...``. Before any student code runs, a :func:`sys.addaudithook`
hook (which no Python code can remove) reports what an honest notebook never does:

- opening a file, or listing a folder, outside what the sandbox mounts (the Python
  environment, the library, the student's folder, ``/tmp``, ``HOME``, ``/proc``, ``/dev``),
  or inside the course folder but outside the mounts in it (a course under ``/tmp``): in
  the sandbox such a path does not exist, so the attempt fails, and is reported;
- a network socket (``socket.connect`` / ``bind`` / ``sendto`` on an internet address);
- starting a process (``os.fork``, ``os.system``, ``subprocess.Popen``, ``os.exec*``,
  ``os.posix_spawn``) and signalling another process.

Each kind of event and path is reported once (at most :data:`MAX_EVENTS` in all) as a JSON
line ``{"event", "what", "cell"}`` (``cell``: IPython's execution count when it happened) on
a pipe whose write end the grader passes as file descriptor ``DEEPGRAD_AUDIT_FD``. The
grader reads it after the kernel has ended. The writes never block: a full pipe drops the
event. Student code could close or replace that descriptor, silencing later events;
it cannot reach what the sandbox hides either way, so the report is a courtesy to the
instructor, the sandbox is the protection.
"""

from __future__ import annotations

import json
import os
import sys

__all__ = ["MAX_EVENTS", "install", "main"]

MAX_EVENTS = 100
_PROCESS_EVENTS = {"os.fork": "fork", "os.forkpty": "fork", "os.system": "system",
                   "subprocess.Popen": "process", "os.exec": "exec",
                   "os.posix_spawn": "process", "os.spawn": "process"}


def install(fd: int, allowed: tuple[str, ...], course: str = "") -> None:
    """Add the audit hook: report to ``fd`` what touches paths outside the mount points
    ``allowed``, or inside the ``course`` folder but outside the mount points in it."""
    seen: set = set()
    busy = [False]
    allowed = tuple(a.rstrip("/") + "/" for a in allowed)
    course = course.rstrip("/") + "/" if course else ""
    inside_course = tuple(a for a in allowed if course and a.startswith(course))
    os.set_blocking(fd, False)
    write, join, normpath, getcwd = os.write, os.path.join, os.path.normpath, os.getcwd

    def outside(path) -> str | None:
        if isinstance(path, int) or path is None:
            return None
        if isinstance(path, bytes):
            path = path.decode("utf-8", "replace")
        path = os.fspath(path)
        # most opens (imports above all) name a clean absolute path: no getcwd, no normpath
        if not (path[:1] == "/" and "//" not in path and "/./" not in path
                and "/../" not in path and not path.endswith(("/.", "/.."))):
            path = normpath(join(getcwd(), path))
        slashed = path + "/"
        if not slashed.startswith(allowed):
            return path
        if course and slashed.startswith(course) and not slashed.startswith(inside_course):
            return path
        return None

    def cell() -> int | None:
        """The execution count of the cell running now (IPython counts the cell before
        running it), or None before the first cell."""
        shell = sys.modules.get("IPython")
        try:
            count = shell.get_ipython().execution_count - 1 if shell else 0
        except Exception:
            return None
        return count if count >= 1 else None

    def report(event: str, what: str) -> None:
        key = (event, what)
        if key in seen or len(seen) >= MAX_EVENTS:
            return
        count = cell()
        if count is None:  # the kernel starting, before any cell: not the student's code
            return
        seen.add(key)
        line = json.dumps({"event": event, "what": what, "cell": count}) + "\n"
        try:
            write(fd, line.encode())
        except OSError:  # full pipe, or the descriptor closed by the student's code
            pass

    def hook(event: str, args: tuple) -> None:
        if busy[0]:
            return
        busy[0] = True
        try:
            if event in ("open", "os.listdir", "os.scandir", "sqlite3.connect"):
                path = outside(args[0] if args else None)
                if path is not None:
                    report("listdir" if event.startswith("os.") else "open", path)
            elif event in ("socket.connect", "socket.bind", "socket.sendto"):
                address = args[-1]
                if isinstance(address, tuple):  # internet; a str is a unix socket path
                    report("socket", f"{event.split('.')[1]} {address[0]}:{address[1]}")
                else:
                    path = outside(address)
                    if path is not None:
                        report("socket", f"{event.split('.')[1]} {path}")
            elif event in _PROCESS_EVENTS:
                what = args[0] if args and isinstance(args[0], (str, bytes)) else ""
                report(_PROCESS_EVENTS[event], os.fsdecode(what) if what else "")
            elif event == "os.kill" and args and args[0] not in (0, os.getpid()):
                report("kill", f"pid {args[0]} signal {args[1]}")
        except Exception:  # never let the hook break the kernel
            pass
        finally:
            busy[0] = False

    sys.addaudithook(hook)


def main() -> None:
    fd = os.environ.pop("DEEPGRAD_AUDIT_FD", None)
    allowed = os.environ.pop("DEEPGRAD_AUDIT_ALLOW", "")
    course = os.environ.pop("DEEPGRAD_AUDIT_DENY", "")
    if fd is not None:
        install(int(fd), tuple(a for a in allowed.split(os.pathsep) if a), course)
    # no debugger in a grading kernel: ipykernel then does not import debugpy (~65 ms of a
    # kernel's ~250 ms start)
    sys.modules["debugpy"] = None
    import runpy
    sys.argv[0] = "ipykernel_launcher"
    runpy.run_module("ipykernel_launcher", run_name="__main__", alter_sys=True)


if __name__ == "__main__":
    main()
