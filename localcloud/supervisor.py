#    Licensed under the Apache License, Version 2.0 (the "License"); you may
#    not use this file except in compliance with the License. You may obtain
#    a copy of the License at
#
#         http://www.apache.org/licenses/LICENSE-2.0
#
#    Unless required by applicable law or agreed to in writing, software
#    distributed under the License is distributed on an "AS IS" BASIS, WITHOUT
#    WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied. See the
#    License for the specific language governing permissions and limitations
#    under the License.

"""Start, track and stop local OS processes by recorded PID; knows processes,
not OpenStack.

Each process runs detached in its own session (so its process group holds its
workers and children), appends stdout+stderr to its log, and is recorded in
``<pid_dir>/<name>.pid`` as JSON with its PID and kernel start time. A recorded
PID is only ever signalled when ``/proc/<pid>/stat`` still shows that start
time, so a PID reused by another program is left alone. Nothing is ever looked
up or killed by name.
"""
import json
import os
import signal
import subprocess
import time

from localcloud import exceptions
from localcloud.util import files
from localcloud.util import proc


SupervisorError = exceptions.SupervisorError


def _group_members(pgid):
    """Live (non-zombie) PIDs whose process group is ``pgid``."""
    members = []
    for entry in os.listdir('/proc'):
        if entry.isdigit():
            stat = proc.proc_stat(int(entry))
            if proc.proc_alive(stat) and stat.pgrp == pgid:
                members.append(int(entry))
    return members


def _reap(pid):
    """Collect the exit status if ``pid`` is our own child (no zombie left
    behind)."""
    try:
        os.waitpid(pid, os.WNOHANG)
    except ChildProcessError:
        pass


class Supervisor:
    """Processes of one local cloud, tracked through pid files in
    ``pid_dir``."""

    def __init__(self, pid_dir):
        self.pid_dir = pid_dir
        os.makedirs(pid_dir, exist_ok=True)

    def pid_path(self, name):
        return os.path.join(self.pid_dir, name + '.pid')

    def record(self, name):
        """The pid-file record (dict with pid, pgid, starttime, argv, log,
        started_at) or None."""
        try:
            with open(self.pid_path(name)) as f:
                return json.load(f)
        except (FileNotFoundError, ValueError):
            return None

    def names(self):
        """Names of all recorded processes."""
        return sorted(
            n[:-4] for n in os.listdir(self.pid_dir) if n.endswith('.pid')
        )

    def running(self, name):
        """The PID if the recorded process is alive and is still the one we
        started, else None."""
        rec = self.record(name)
        if not rec:
            return None
        stat = proc.proc_stat(rec['pid'])
        if proc.proc_alive(stat) and stat.starttime == rec['starttime']:
            return rec['pid']
        _reap(rec['pid'])
        return None

    def start(self, process, log_path):
        """Start ``process`` (a services.base.Process) detached; return its
        PID.

        Raises SupervisorError if a live process is already recorded under that
        name.
        """
        if self.running(process.name):
            raise SupervisorError('%s is already running (pid %d)'
                                  % (process.name, self.running(process.name)))
        os.makedirs(os.path.dirname(log_path), exist_ok=True)
        env = dict(os.environ)
        env.update({k: str(v) for k, v in (process.env or {}).items()})
        argv = [str(a) for a in process.argv]
        with open(log_path, 'ab') as log:
            log.write(
                (
                    '\n=== %s localcloud start %s: %s\n'
                    % (
                        time.strftime('%Y-%m-%d %H:%M:%S'),
                        process.name,
                        ' '.join(argv),
                    )
                ).encode()
            )
            log.flush()
            try:
                child = subprocess.Popen(
                    argv,
                    env=env,
                    cwd=process.cwd,
                    stdin=subprocess.DEVNULL,
                    stdout=log,
                    stderr=subprocess.STDOUT,
                    start_new_session=True,
                    close_fds=True,
                )
            except OSError as exc:
                raise SupervisorError('cannot start %s (%s): %s'
                                      % (process.name, argv[0], exc)) from exc
        stat = proc.proc_stat(child.pid)
        rec = {
            'pid': child.pid,
            'pgid': child.pid,
            'starttime': stat.starttime if stat else None,
            'argv': argv,
            'log': log_path,
            'started_at': time.time(),
        }
        files.write_file(self.pid_path(process.name), json.dumps(rec))
        # Forget the Popen object without a ResourceWarning; _reap collects the
        # status later.
        child.returncode = 0
        return child.pid

    def stop(self, name, timeout=10):
        """Stop one recorded process; see stop_many."""
        return bool(self.stop_many([name], timeout))

    def _our_group(self, rec):
        """The recorded process group if it is still ours, else None.

        Ours: the leader is alive with the recorded start time, or the leader
        is gone and members remain (Linux does not reuse a PID while it names a
        live group).
        """
        stat = proc.proc_stat(rec['pid'])
        if stat is not None and stat.starttime != rec['starttime']:
            return None  # the PID now belongs to another program
        if proc.proc_alive(stat) or _group_members(rec['pgid']):
            return rec['pgid']
        return None

    def stop_many(self, names, timeout=10):
        """SIGTERM the process groups of ``names`` (in that order), wait for
        all of them together up to ``timeout`` s, then SIGKILL what is left.
        Pid files are removed. Returns the names that had something to stop.
        """
        groups = {}
        for name in names:
            rec = self.record(name)
            pgid = rec and self._our_group(rec)
            if pgid:
                groups[name] = (pgid, rec['pid'])
                self._signal_group(pgid, rec['pid'], signal.SIGTERM)

        def left():
            for _, pid in groups.values():
                _reap(pid)
            return [
                n for n, (pgid, _) in groups.items() if _group_members(pgid)
            ]

        deadline = time.monotonic() + timeout
        while left() and time.monotonic() < deadline:
            time.sleep(0.1)
        for name in left():
            pgid, pid = groups[name]
            self._signal_group(pgid, pid, signal.SIGKILL)
        deadline = time.monotonic() + 5
        while left() and time.monotonic() < deadline:
            time.sleep(0.1)
        for name in names:
            try:
                os.unlink(self.pid_path(name))
            except FileNotFoundError:
                pass
        return list(groups)

    @staticmethod
    def _signal_group(pgid, leader, sig):
        try:
            os.killpg(pgid, sig)
        except ProcessLookupError:
            pass
        except PermissionError:
            # the group may be gone and its id reused by someone else: signal
            # only our leader
            try:
                os.kill(leader, sig)
            except ProcessLookupError:
                pass

    def annotate(self, name, **fields):
        """Add ``fields`` (e.g. ready_after) to the pid-file record of
        ``name``."""
        rec = self.record(name)
        if rec is None:
            return
        rec.update(fields)
        files.write_file(self.pid_path(name), json.dumps(rec))

    def wait_until(
        self, check, timeout, what, name=None, log_path=None, interval=0.2
    ):
        """Poll ``check()`` until truthy; return how long it took (s).

        ``name`` (one process name or a list): fail early if one of them dies.
        Errors name the log to read and show its last lines.
        """
        names = [name] if isinstance(name, str) else list(name or [])
        started = time.monotonic()
        while True:
            try:
                if check():
                    return time.monotonic() - started
            except Exception:  # a check that raises simply is not true yet
                pass
            dead = [n for n in names if not self.running(n)]
            if dead:
                log = log_path or (self.record(dead[0]) or {}).get('log')
                raise SupervisorError(
                    '%s exited while waiting for %s%s%s'
                    % (
                        dead[0],
                        what,
                        ' (see %s)' % log if log else '',
                        _tail(log),
                    )
                )
            if time.monotonic() - started > timeout:
                logs = [log_path] if log_path else [
                    (self.record(n) or {}).get('log') for n in names]
                logs = [log for log in logs if log]
                raise SupervisorError(
                    'timed out after %.0f s waiting for %s%s%s'
                    % (
                        timeout,
                        what,
                        ' (see %s)' % ', '.join(logs) if logs else '',
                        ''.join(_tail(log) for log in logs),
                    )
                )
            time.sleep(interval)


def _tail(log_path, lines=15):
    if not log_path or not os.path.exists(log_path):
        return ''
    with open(log_path, 'rb') as f:
        f.seek(max(0, os.path.getsize(log_path) - 8192))
        text = f.read().decode(errors='replace')
    return '\n--- last lines of %s ---\n%s' % (
        log_path,
        '\n'.join(text.splitlines()[-lines:]),
    )
