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

"""Small helpers shared by the service modules and the CLI: timed steps,
probes, ini rendering, atomic file writes, /proc/<pid>/stat, apt packages, and
the main venv.

Standard library only: the Qinling runtime (``qinling_local/``, in its own
venv) uses it too.
"""
import collections
import configparser
import contextlib
import fcntl
import hashlib
import io
import json
import os
import pwd
import shutil
import socket
import stat
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request

MAIN_VENV_REQUIREMENTS = [
    'keystone==30.0.0',
    'openstack-heat==27.0.1',
    'aodh==23.0.0',
    # its notification agent (event pipeline only): services/ceilometer.py
    'ceilometer==27.0.0',
    'python-openstackclient',
    'python-heatclient',
    'aodhclient',
    'gunicorn',
    'oslotest',
    'stestr',
    'requests-mock',
    'selenium',
    'testscenarios',
    'PyMySQL',  # Keystone, Heat and Aodh reach MariaDB through it
    'pymemcache',  # Keystone's cache (oslo.cache's dogpile.cache.pymemcache)
]
# Into heat-engine's venv as doc/source/install.rst installs it: without its
# declared requirements, whose PrettyTable<0.8 would downgrade PrettyTable
# under Heat (a real heat-engine keeps the release's PrettyTable 3).
MAIN_VENV_NO_DEPS = ['python-qinlingclient==5.1.1']

# The `openstack` CLI users get from `tools/localcloud env`: only the clients
# this project's users need. In the main venv the CLI loads the OSC plugins of
# everything Heat requires (4-5 s per command, and blazarclient's plugin
# warns).
CLIENT_VENV_REQUIREMENTS = [
    'python-openstackclient', 'python-heatclient', 'aodhclient',
    'python-qinlingclient==5.1.1',
]


def say(msg):
    # one write per line: services start in threads
    sys.stdout.write('localcloud: %s\n' % msg)
    sys.stdout.flush()


@contextlib.contextmanager
def step(what):
    """Print what a long step does and how long it took."""
    say(what + ' ...')
    started = time.monotonic()
    yield
    say('%s: done in %.1f s' % (what, time.monotonic() - started))


def run(argv, what=None, env=None, cwd=None, check=True):
    """Run a short command; on failure raise with its output. Returns
    CompletedProcess."""
    full_env = dict(os.environ)
    full_env.update(env or {})
    proc = subprocess.run(
        [str(a) for a in argv],
        env=full_env,
        cwd=cwd,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
    )
    if check and proc.returncode != 0:
        raise RuntimeError('%s failed (exit %d): %s\n%s%s' % (
            what or argv[0], proc.returncode, ' '.join(map(str, argv)),
            proc.stdout[-3000:], proc.stderr[-3000:]))
    return proc


def http_status(url, timeout=2):
    """HTTP status code of a GET (4xx/3xx count as answers), or None if nothing
    answers."""
    class NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args, **kwargs):
            return None
    opener = urllib.request.build_opener(NoRedirect)
    try:
        with opener.open(url, timeout=timeout) as resp:
            return resp.status
    except urllib.error.HTTPError as exc:
        return exc.code
    except (OSError, ValueError):
        return None


def http_ok(url, timeout=2):
    status = http_status(url, timeout)
    return status is not None and status < 500


def tcp_open(host, port, timeout=1):
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return True
    except OSError:
        return False


def write_ini(path, sections):
    """Render ``{section: {key: value}}`` to an ini file (values str()-ed, no
    interpolation)."""
    parser = configparser.RawConfigParser()
    parser.optionxform = str
    for section, options in sections.items():
        if section != 'DEFAULT':
            parser.add_section(section)
        for key, value in options.items():
            if value is None:
                continue
            if isinstance(value, bool):
                value = 'true' if value else 'false'
            parser.set(section, key, str(value))
    write_file(path, None, writer=parser.write)


def write_file(path, text, mode=0o644, writer=None):
    """Write atomically (tmp + rename) with ``mode``; ``writer(f)``, if
    given, writes the text instead.

    A file that already has this text and mode is left alone: rewriting it
    would change its directory's mtime on every ``up``, and stevedore keys
    its entry-point cache on the mtimes of ``sys.path``, where gunicorn and
    ``python -m`` put the service's directory.
    """
    if writer:
        buf = io.StringIO()
        writer(buf)
        text = buf.getvalue()
    try:
        with open(path) as f:
            unchanged = (f.read() == text and
                         stat.S_IMODE(os.fstat(f.fileno()).st_mode) == mode)
    except (FileNotFoundError, UnicodeDecodeError):
        unchanged = False
    if unchanged:
        return
    os.makedirs(os.path.dirname(path), exist_ok=True)
    tmp = path + '.tmp'
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode)
    with os.fdopen(fd, 'w') as f:
        f.write(text)
    os.chmod(tmp, mode)
    os.replace(tmp, path)


def os_user():
    """The name of the user the cloud runs as (the services' processes and
    files belong to it)."""
    return pwd.getpwuid(os.getuid()).pw_name


ProcStat = collections.namedtuple('ProcStat', 'state ppid pgrp starttime')


def proc_stat(pid):
    """``ProcStat`` of ``pid`` from ``/proc/<pid>/stat``, or None if there is
    none.

    ``starttime`` (clock ticks after boot) tells a process from a later one
    that got the same PID.
    """
    try:
        with open('/proc/%d/stat' % pid) as f:
            data = f.read()
    except OSError:
        return None
    # the command name (field 2) may contain spaces and parens: split after its
    # last ')'
    fields = data[data.rindex(')') + 2:].split()
    return ProcStat(fields[0], int(fields[1]), int(fields[2]), int(fields[19]))


def proc_alive(stat):
    """Whether a ``proc_stat`` result is a live process (not a zombie, not
    gone)."""
    return stat is not None and stat.state not in ('Z', 'X')


def cpu_times(path='/proc/stat'):
    """(busy, total) clock ticks of all the machine's CPUs since boot."""
    with open(path) as f:
        ticks = [int(t) for t in f.readline().split()[1:9]]
    idle = ticks[3] + ticks[4]  # idle, iowait
    return sum(ticks) - idle, sum(ticks)


# warm-up work (a spare worker, a token fetched ahead) waits at most this long
IDLE_CPUS_TIMEOUT = 30.0


def wait_for_idle_cpus(busy_below=0.3, window=0.5, timeout=IDLE_CPUS_TIMEOUT,
                       stopped=None, read=cpu_times):
    """Wait until the machine's CPUs were busy less than ``busy_below`` (a
    fraction of all of them) over the last ``window`` seconds, for work that
    must not slow what users wait for. True once idle; False after
    ``timeout`` seconds or once the event ``stopped`` is set.
    """
    stopped = stopped or threading.Event()
    deadline = time.monotonic() + timeout
    before = read()
    while not stopped.wait(window):
        after = read()
        total = after[1] - before[1]
        if total > 0 and (after[0] - before[0]) / total < busy_below:
            return True
        if time.monotonic() >= deadline:
            return False
        before = after
    return False


class Marker:
    """A file recording that an idempotent step ran with a given input
    (fingerprint)."""

    def __init__(self, path, data=''):
        self.path = path
        self.fingerprint = hashlib.sha256(
            json.dumps(data, sort_keys=True, default=str).encode()).hexdigest()

    def done(self):
        try:
            with open(self.path) as f:
                return f.read().strip() == self.fingerprint
        except FileNotFoundError:
            return False

    def mark(self):
        write_file(self.path, self.fingerprint + '\n')


_APT_LOCK = threading.Lock()


def ensure_apt(packages, probes):
    """apt-get install ``packages`` unless every path in ``probes`` exists
    already.

    Services install in threads; apt-get runs one at a time (``apt-get update``
    does not wait for the lists lock the way install waits for dpkg's).
    """
    with _APT_LOCK:
        if all(os.path.exists(p) for p in probes):
            return
        _apt_install(packages)


def _apt_install(packages):
    with step('apt-get install %s' % ' '.join(packages)):
        env = {'DEBIAN_FRONTEND': 'noninteractive'}
        # another install may be running
        wait_for_lock = ['-o', 'DPkg::Lock::Timeout=300']
        run(
            ['apt-get', 'update', '-q'] + wait_for_lock,
            'apt-get update',
            env=env,
        )
        run(
            ['apt-get', 'install', '-y', '-q', '--no-install-recommends']
            + wait_for_lock
            + packages,
            'apt-get install',
            env=env,
        )


def ensure_venv(path, what):
    """``python -m venv path`` unless it has a python already."""
    if not os.path.exists(os.path.join(path, 'bin', 'python')):
        with step('creating the %s venv %s' % (what, path)):
            python = os.environ.get('LOCALCLOUD_PYTHON') or sys.executable
            base = getattr(sys, '_base_executable', None) or python
            run([base, '-m', 'venv', path], 'python -m venv')


# The client venv's ``openstack``: the console script pip writes, with two
# changes to what it imports on every call (about 1500 modules):
#
# * the cyclic garbage collector's first threshold is raised. At Python's
#   default (700 allocations) the collector walks the growing heap again and
#   again while the CLI imports. Twelve interleaved runs of ``openstack
#   --version`` here: median 1.86 s with this, 2.07 s with pip's script.
#   Cycles are still collected, after 50000 allocations instead of 700.
# * ``cliff.interactive`` is loaded lazily. cliff defers it (and cmd2,
#   prompt_toolkit and rich under it, about 0.2 s) to interactive mode, but
#   osc-lib's shell imports it at the top for a type annotation only. Lazily
#   it loads when cliff's ``App.interact`` first uses it.
CLI_LAUNCHER = """\
#!{python}
# Written by localcloud (localcloud/util.py, CLI_LAUNCHER), not by pip.
import gc
import importlib.util
import sys

gc.set_threshold(50000, 20, 20)


def import_lazily(name):
    try:
        spec = importlib.util.find_spec(name)
    except ImportError:  # its package is gone: nothing to defer
        return
    if spec is None or spec.loader is None:
        return
    spec.loader = importlib.util.LazyLoader(spec.loader)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    parent, _, child = name.rpartition('.')
    setattr(sys.modules[parent], child, module)


import_lazily('cliff.interactive')

from openstackclient.shell import main  # noqa: E402

if __name__ == '__main__':
    sys.exit(main())
"""


def ensure_client_venv(cloud):
    """``<state>/client-venv``: the openstack CLI with the clients users
    need, started by ``CLI_LAUNCHER``."""
    ensure_venv(cloud.client_venv, 'client')
    python = os.path.join(cloud.client_venv, 'bin', 'python')
    launcher = CLI_LAUNCHER.format(python=python)
    marker = Marker(
        os.path.join(cloud.client_venv, '.localcloud-requirements'),
        {'requirements': CLIENT_VENV_REQUIREMENTS, 'launcher': launcher},
    )
    if marker.done():
        return
    with step('installing the openstack CLI and clients into the client venv'):
        run(
            [
                python,
                '-m',
                'pip',
                '--disable-pip-version-check',
                '-q',
                'install',
            ]
            + CLIENT_VENV_REQUIREMENTS,
            'pip install (client venv)',
        )
    write_file(os.path.join(cloud.client_venv, 'bin', 'openstack'), launcher,
               mode=0o755)
    marker.mark()


def ensure_main_venv(cloud):
    """The main venv with Keystone, Heat, Aodh, Ceilometer, clients and the
    plugin (editable)."""
    ensure_venv(cloud.venv, 'main')
    setup_cfg = os.path.join(cloud.repo_dir, 'setup.cfg')
    plugin = os.path.exists(setup_cfg)
    marker = Marker(os.path.join(cloud.venv, '.localcloud-requirements'),
                    {'requirements': MAIN_VENV_REQUIREMENTS,
                     'no-deps': MAIN_VENV_NO_DEPS, 'plugin': plugin,
                     'setup.cfg': plugin and open(setup_cfg).read()})
    if marker.done():
        return
    pip = [cloud.python, '-m', 'pip', '--disable-pip-version-check', '-q']
    with step(
        'installing Keystone, Heat, Aodh, Ceilometer and clients into the'
        ' main venv'
    ):
        run(
            pip + ['install'] + MAIN_VENV_REQUIREMENTS,
            'pip install (main venv)',
        )
        run(
            pip + ['install', '--no-deps'] + MAIN_VENV_NO_DEPS,
            'pip install --no-deps (main venv)',
        )
    if plugin:
        with step(
            'installing the heat-qinling plugin (editable) into the main venv'
        ):
            run(
                pip + ['install', '-e', cloud.repo_dir],
                'pip install -e (plugin)',
            )
    marker.mark()


def rmtree(path):
    shutil.rmtree(path, ignore_errors=True)


@contextlib.contextmanager
def file_lock(path):
    """Hold an exclusive flock on ``path`` (created if missing) for the
    block."""
    with open(path, 'a') as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)
