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

"""A worker of the local executor: plays Qinling's python3 runtime for one
function version.

It speaks the protocol the Qinling engine uses with the python3 runtime image:

  GET  /ping     -> 200 "pong"
  POST /prefetch {download_url, token?} -> 200 once the package is in
                 (the local executor's own addition: see Package)
  POST /execute  {execution_id, download_url, token?, entry, input, timeout,
                  cpu, memory_size, auth_url?, username?, password?,
                  trust_id?}
                 -> {"output", "duration", "logs", "success"}

The package is downloaded (with the token the engine passes) and unzipped once
per worker: a function update makes Qinling delete the function's workers, so a
worker never serves stale code. Every execution runs in a child forked from
this server, so a crash, a timeout or a leak of the function cannot harm the
worker, and module state never leaks from one execution into the next (the
runtime image does the same).

The function gets ``entry`` (``module.function``, split on the last dot) called
with the input as keyword arguments; a non-object input becomes the first
positional argument. ``context`` is injected as ``{'os_session': <keystoneauth
session or None>}``: with Keystone auth on, a session scoped to the function's
trust (as the runtime image builds it from the credentials the engine sends),
built when the function first uses it. stdout and stderr are the execution's
log.

Limits, without a container (see ``apply_limits``):
- timeout: enforced here; the child's process group is killed and the output is
  "Function execution timeout.".
- memory_size: RLIMIT_DATA = the forked child's data size at start +
  memory_size. A CPython interpreter alone is bigger than the smallest
  memory_size (32 MiB), so the limit counts only what the function allocates on
  top of the runtime, like the runtime image's cgroup, which is not charged for
  pages the child inherits. Going over it raises MemoryError inside the
  function (an ordinary failed execution).
- cpu (millicpu): not enforced as a share; it would need a cgroup of our own,
  and the cgroup tree here belongs to the sandbox. RLIMIT_CPU caps the CPU time
  of a run at its timeout (+1 s) instead, which also stops busy threads the
  wall clock misses.
- open files 1024 and written file size 100 MiB per run, so a runaway function
  cannot exhaust descriptors or fill the disk.
"""

import argparse
import compileall
import ctypes
from http import server as http_server
import importlib
import io
import json
import math
import multiprocessing
import os
import resource
import shutil
import signal
import sys
import threading
import time
import traceback
import urllib.request
import zipfile

from localcloud import util

TIMEOUT_OUTPUT = 'Function execution timeout.'
KILLED_OUTPUT = ('Function execution failed because of too much resource '
                 'consumption.')
DOWNLOAD_ERROR = 'Failed to download function package from %s, error: %s'
DEFAULT_TIMEOUT = 5
DEFAULT_ENTRY = 'main.main'
MAX_OPEN_FILES = 1024
MAX_FILE_SIZE = 100 * 1024 * 1024
DOWNLOAD_TIMEOUT = 30
ORPHAN_CHECK_INTERVAL = 2.0
PR_SET_PDEATHSIG = 1

_FORK = multiprocessing.get_context('fork')


class Package:
    """The function's code: downloaded and unzipped on first use, then
    reused."""

    def __init__(self, work_dir):
        self.dir = os.path.join(work_dir, 'package')
        self._lock = threading.Lock()
        self._ready = False

    def ensure(self, download_url, token=None):
        """The unzipped package directory; downloads it the first time."""
        with self._lock:
            if not self._ready:
                request = urllib.request.Request(download_url)
                if token:
                    request.add_header('X-Auth-Token', token)
                with urllib.request.urlopen(
                    request, timeout=DOWNLOAD_TIMEOUT
                ) as resp:
                    data = resp.read()
                staging = self.dir + '.new'
                shutil.rmtree(staging, ignore_errors=True)
                with zipfile.ZipFile(io.BytesIO(data)) as archive:
                    archive.extractall(staging)
                shutil.rmtree(self.dir, ignore_errors=True)
                os.rename(staging, self.dir)
                self._ready = True
            return self.dir


def split_input(value):
    """(args, kwargs) for the function from the execution input the engine
    sends.

    Qinling stores a JSON object input as a dict and anything else as
    ``{'__function_input': value}``; the latter is the first positional
    argument.
    """
    if value is None:
        return [], {}
    if not isinstance(value, dict):
        return [value], {}
    kwargs = dict(value)
    if '__function_input' in kwargs:
        return [kwargs.pop('__function_input')], kwargs
    return [], kwargs


def split_entry(entry):
    """('module', 'function') from 'package.module.function'."""
    module_name, _, function_name = (entry or DEFAULT_ENTRY).rpartition('.')
    if not module_name or not function_name:
        raise ValueError(
            'Invalid function entry %r: expected "module.function".' % entry
        )
    return module_name, function_name


def trust_session(params):
    """A keystoneauth session scoped to the function's trust, or None without
    auth.

    With auth it is a ``LazySession``: keystoneauth1 is imported and the
    session built in the execution's child, on the function's first use of it,
    so a function that never calls OpenStack pays nothing for it (importing
    keystoneauth1 alone took 1-3 s of a first execution on a loaded machine).
    """
    if not params.get('auth_url'):
        return None
    return LazySession(params)


class LazySession:
    """Stands for the keystoneauth ``Session`` it builds on first attribute
    use."""

    def __init__(self, params):
        self._params = dict(params)
        self._session = None

    def _build(self):
        from keystoneauth1.identity import generic
        from keystoneauth1 import session
        params = self._params
        auth = generic.Password(
            auth_url=params['auth_url'], username=params.get('username'),
            password=params.get('password'), trust_id=params.get('trust_id'),
            user_domain_name='Default')
        return session.Session(auth=auth)

    def __getattr__(self, name):
        if name.startswith('_'):
            raise AttributeError(name)
        if self._session is None:
            self._session = self._build()
        return getattr(self._session, name)


def data_size():
    """This process's VmData in bytes (the memory RLIMIT_DATA counts)."""
    with open('/proc/self/status') as status:
        for line in status:
            if line.startswith('VmData:'):
                return int(line.split()[1]) * 1024
    return 0


def apply_limits(timeout, memory_size):
    """Resource limits of one execution child (see the module docstring)."""
    cpu_seconds = int(math.ceil(timeout)) + 1
    resource.setrlimit(resource.RLIMIT_CPU, (cpu_seconds, cpu_seconds + 1))
    if memory_size:
        limit = data_size() + int(memory_size)
        resource.setrlimit(resource.RLIMIT_DATA, (limit, limit))
    resource.setrlimit(
        resource.RLIMIT_NOFILE, (MAX_OPEN_FILES, MAX_OPEN_FILES)
    )
    resource.setrlimit(resource.RLIMIT_FSIZE, (MAX_FILE_SIZE, MAX_FILE_SIZE))


def die_with_parent():
    """Ask the kernel to SIGKILL this process when the worker goes away (Linux
    only)."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    except (OSError, AttributeError):
        pass


def _json_safe(value):
    try:
        json.dumps(value)
        return value
    except (TypeError, ValueError):
        return str(value)


def run_function(execution_id, package_dir, entry, args, kwargs, limits,
                 log_path, result_path):
    """Body of the execution child: limits, log capture, import, call, result
    file."""
    # its own group, so a timeout also kills what the function started
    os.setpgrp()
    die_with_parent()
    log_fd = os.open(log_path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    os.dup2(log_fd, 1)
    os.dup2(log_fd, 2)
    os.close(log_fd)
    sys.stdout = io.TextIOWrapper(
        io.FileIO(1, 'w', closefd=False), line_buffering=True
    )
    sys.stderr = sys.stdout
    result = {'success': False, 'output': None}
    print('Start execution: %s' % execution_id)
    try:
        apply_limits(**limits)
        module_name, function_name = split_entry(entry)
        sys.path.insert(0, package_dir)
        function = getattr(importlib.import_module(module_name), function_name)
        result = {
            'success': True,
            'output': _json_safe(function(*args, **kwargs)),
        }
    except (Exception, SystemExit) as exc:
        traceback.print_exc()
        result = {'success': False, 'output': str(exc)}
    finally:
        print('Finished execution: %s' % execution_id)
        sys.stdout.flush()
        with open(result_path, 'w') as f:
            json.dump(result, f)


def _kill_group(pgid):
    try:
        os.killpg(pgid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass


def _read_and_remove(path):
    try:
        with open(path, errors='replace') as f:
            return f.read()
    except FileNotFoundError:
        return None
    finally:
        try:
            os.unlink(path)
        except FileNotFoundError:
            pass


def execute(params, package, runs_dir):
    """Run one execution; returns (http_status, response body dict)."""
    execution_id = params['execution_id']
    download_url = params.get('download_url')
    try:
        package_dir = package.ensure(download_url, params.get('token'))
    except (
        Exception
    ) as exc:  # any download or unzip failure fails the execution
        return 500, {
            'output': DOWNLOAD_ERROR % (download_url, exc),
            'duration': 0,
            'logs': '',
            'success': False,
        }

    args, kwargs = split_input(params.get('input'))
    logs_prefix = ''
    try:
        session = trust_session(params)
    except (
        Exception
    ) as exc:  # the function still runs, like the runtime image's
        session = None
        logs_prefix = (
            'WARNING: no OpenStack session for the function: %s\n' % exc
        )
    kwargs['context'] = {'os_session': session}
    timeout = params.get('timeout') or DEFAULT_TIMEOUT
    limits = {'timeout': timeout, 'memory_size': params.get('memory_size')}
    log_path = os.path.join(runs_dir, '%s.log' % execution_id)
    result_path = os.path.join(runs_dir, '%s.json' % execution_id)

    started = time.monotonic()
    child = _FORK.Process(target=run_function, args=(
        execution_id, package_dir, params.get('entry'), args, kwargs, limits,
        log_path, result_path))
    child.start()
    child.join(timeout)
    # join() returns before the timeout only once the child has exited, but
    # is_alive() can still say True then: executions run in threads, and
    # another thread's Process.start() may reap this child first (its
    # _cleanup() polls every child), which makes our waitpid fail with
    # ECHILD. The clock decides, and the result file the child wrote.
    timed_out = child.is_alive() and time.monotonic() - started >= timeout
    if timed_out:
        # still unreaped, so its PID (= its group id) cannot be anyone else's
        _kill_group(child.pid)
    child.join()
    duration = round(time.monotonic() - started, 3)

    logs = logs_prefix + (_read_and_remove(log_path) or '')
    result_text = _read_and_remove(result_path)
    if timed_out:
        output, success = TIMEOUT_OUTPUT, False
    elif result_text:
        result = json.loads(result_text)
        output, success = result['output'], result['success']
    else:
        # killed by a limit (SIGXCPU, SIGXFSZ, SIGKILL) before it could answer
        output, success = KILLED_OUTPUT, False
        logs += (
            '\nExecution process ended with exit code %s.\n' % child.exitcode
        )
    return 200, {'output': output, 'duration': duration, 'logs': logs,
                 'success': success}


class Handler(http_server.BaseHTTPRequestHandler):
    """/ping and /execute; the server object carries ``package`` and
    ``runs_dir``."""

    server_version = 'qinling-local-worker/1'

    def _reply(self, status, body, content_type='application/json'):
        data = body if isinstance(body, bytes) else body.encode()
        self.send_response(status)
        self.send_header('Content-Type', content_type)
        self.send_header('Content-Length', str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self):
        if self.path == '/ping':
            self._reply(200, b'pong', 'text/plain')
        else:
            self._reply(404, b'{}')

    def do_POST(self):
        if self.path == '/prefetch':
            self._prefetch()
            return
        if self.path != '/execute':
            self._reply(404, b'{}')
            return
        try:
            length = int(self.headers.get('Content-Length') or 0)
            params = json.loads(self.rfile.read(length) or b'{}')
            params['execution_id']
        except (ValueError, KeyError, TypeError) as exc:
            self._reply(
                400,
                json.dumps(
                    {
                        'output': 'Bad request: %s' % exc,
                        'duration': 0,
                        'logs': '',
                        'success': False,
                    }
                ),
            )
            return
        status, body = execute(
            params, self.server.package, self.server.runs_dir
        )
        self._reply(status, json.dumps(body))

    def _prefetch(self):
        """Download the package before the first execution needs it, and
        compile it (``warm_package``)."""
        try:
            length = int(self.headers.get('Content-Length') or 0)
            params = json.loads(self.rfile.read(length) or b'{}')
            package_dir = self.server.package.ensure(
                params['download_url'], params.get('token')
            )
        except Exception as exc:  # the first execution tries again
            self._reply(500, json.dumps({'error': str(exc)}))
            return
        warm_package(package_dir)
        self._reply(200, b'{}')

    def log_message(self, fmt, *args):
        sys.stdout.write('%s %s\n' % (time.strftime('%H:%M:%S'), fmt % args))
        sys.stdout.flush()


def warm_package(package_dir):
    """Byte-compile the package: each execution imports the function in a
    fresh child, which finds the bytecode instead of compiling the source
    (the first child would compile it and every later one read its cache;
    now none compiles). Best effort."""
    try:
        compileall.compile_dir(package_dir, quiet=2)
    except Exception:  # the child compiles instead
        pass


def _noop():
    pass


def warm_fork():
    """One empty child, so the first execution does not pay for what the
    first fork of this process does once (multiprocessing's lazy imports and
    its helper state)."""
    child = _FORK.Process(target=_noop)
    child.start()
    child.join(5)


def exit_when_orphaned(parent_pid):
    """Stop the worker when the engine that started it is gone."""
    while True:
        time.sleep(ORPHAN_CHECK_INTERVAL)
        if os.getppid() != parent_pid:
            os._exit(0)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        '--work-dir',
        required=True,
        help='where the package, execution files and the port file go',
    )
    parser.add_argument('--host', default='127.0.0.1')
    parser.add_argument('--port', type=int, default=0, help='0: any free port')
    options = parser.parse_args(argv)

    runs_dir = os.path.join(options.work_dir, 'runs')
    os.makedirs(runs_dir, exist_ok=True)
    server = http_server.ThreadingHTTPServer(
        (options.host, options.port), Handler)
    server.daemon_threads = True
    server.package = Package(options.work_dir)
    server.runs_dir = runs_dir
    # The orchestrator waits for this file: the port is known only once bound.
    port_file = os.path.join(options.work_dir, 'port')
    util.write_file(port_file, str(server.server_address[1]))
    threading.Thread(target=exit_when_orphaned, args=(os.getppid(),),
                     daemon=True).start()
    threading.Thread(target=warm_fork, daemon=True).start()
    print(
        'worker listening on http://%s:%d' % server.server_address, flush=True
    )
    server.serve_forever()


if __name__ == '__main__':
    main()
