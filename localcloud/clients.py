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

"""Clients of the local cloud as its users see it: the client venv with its
``openstack`` launcher, the ``openstack``/``aodh`` CLI environment,
keystoneauth sessions and the Heat, Qinling and Aodh python clients.

Shared by ``demo``, the benchmark and the end-to-end tests. Main venv only (the
clients are imported lazily so that the CLI's stdlib-only commands still work).
"""
import os
import shlex
import subprocess
import tempfile
import time

from localcloud import exceptions
from localcloud.util import files
from localcloud.util import venv

# The `openstack` CLI users get from `tools/localcloud env`: only the clients
# this project's users need. In the main venv the CLI loads the OSC plugins of
# everything Heat requires (4-5 s per command, and blazarclient's plugin
# warns).
CLI_REQUIREMENTS = (
    'python-openstackclient', 'python-heatclient', 'aodhclient',
    'python-qinlingclient==5.1.1',
)

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
# Written by localcloud (localcloud/clients.py, CLI_LAUNCHER), not by pip.
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


def ensure_cli(cloud, uv, compile_nice=None):
    """``<state>/client-venv``: the openstack CLI with the clients users
    need (``CLI_REQUIREMENTS``), started by ``CLI_LAUNCHER``; its bytecode
    compiled whole at ``compile_nice`` if given."""
    python = os.path.join(cloud.client_venv, 'bin', 'python')
    launcher = CLI_LAUNCHER.format(python=python)
    venv.ensure(
        uv, cloud.client_venv, 'client', CLI_REQUIREMENTS,
        extra={'launcher': launcher},
        after=lambda: files.write_file(cloud.client_bin('openstack'),
                                       launcher, mode=0o755),
        compile_nice=compile_nice)


def cli_env(cloud, who='demo'):
    """The OS_* variables (and PATH) that make the ``openstack`` CLI act as
    ``who``."""
    creds = cloud.credentials(who)
    return {
        'OS_AUTH_URL': creds['auth_url'],
        'OS_USERNAME': creds['username'],
        'OS_PASSWORD': creds['password'],
        'OS_PROJECT_NAME': creds['project_name'],
        'OS_USER_DOMAIN_NAME': creds['user_domain_name'],
        'OS_PROJECT_DOMAIN_NAME': creds['project_domain_name'],
        'OS_IDENTITY_API_VERSION': '3',
        'OS_REGION_NAME': cloud.region,
        'OS_INTERFACE': 'public',
        'OS_AUTH_TYPE': 'password',
    }


def run_cli(cloud, argv, who='demo', echo=True, check=True, cwd=None):
    """Run an OpenStack CLI (``openstack``, ``aodh``) from the client venv as
    ``who`` (the CLI ``tools/localcloud env`` puts on PATH).

    With ``echo`` the command line is printed as a user would type it and its
    standard output is shown as it comes. Standard error is kept apart and
    shown only when the command fails. Returns (exit code, stdout). Raises
    CommandFailed if ``check`` and the command fails.
    """
    env = dict(os.environ)
    # a user's own OS_* variables must not mix with the local cloud's
    for key in [k for k in env if k.startswith('OS_')]:
        del env[key]
    env.update(cli_env(cloud, who))
    env['PATH'] = (
        os.path.dirname(cloud.client_bin('openstack'))
        + os.pathsep
        + env.get('PATH', '')
    )
    env['PYTHONWARNINGS'] = 'ignore'
    if echo:
        print('$ ' + ' '.join(shlex.quote(str(a)) for a in argv), flush=True)
    with tempfile.TemporaryFile('w+') as stderr:
        proc = subprocess.Popen(
            [str(a) for a in argv],
            env=env,
            cwd=cwd or cloud.repo_dir,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=stderr,
            text=True,
        )
        lines = []
        for line in proc.stdout:
            lines.append(line)
            if echo:
                print(line, end='', flush=True)
        code = proc.wait()
        stderr.seek(0)
        errors = stderr.read()
    output = ''.join(lines)
    if code != 0 and echo and errors:
        print(errors, end='', flush=True)
    if check and code != 0:
        raise exceptions.CommandFailed('%s exited %d%s' % (
            ' '.join(map(str, argv[:4])), code,
            '' if echo else ':\n' + (output + errors)[-3000:]))
    return code, output


CommandFailed = exceptions.CommandFailed


def session(cloud, who='demo'):
    """A keystoneauth session with the password of ``who`` (demo, admin)."""
    from keystoneauth1.identity import v3
    from keystoneauth1 import session as ks_session
    return ks_session.Session(auth=v3.Password(**cloud.credentials(who)))


def heat(cloud, who='demo', sess=None):
    from heatclient import client as heat_client
    return heat_client.Client('1', session=sess or session(cloud, who),
                              interface='public', region_name=cloud.region)


def qinling(cloud, who='demo', sess=None):
    from qinlingclient.v1 import client as qinling_client
    return qinling_client.Client(
        session=sess or session(cloud, who),
        service_type='function-engine',
        endpoint_type='public',
        region_name=cloud.region,
    )


def aodh(cloud, who='demo', sess=None):
    from aodhclient.v2 import client as aodh_client
    return aodh_client.Client(
        session=sess or session(cloud, who),
        interface='public',
        region_name=cloud.region,
    )


def project_id(cloud, who='demo'):
    """The project id of ``who``'s token."""
    sess = session(cloud, who)
    return sess.get_project_id()


def alarm_cache_ttl(cloud):
    """aodh-listener's event_alarm_cache_ttl (s), as the Aodh service
    rendered it."""
    return cloud.service('aodh').event_alarm_cache_ttl(cloud)


def wait_for(check, timeout, what, interval=0.25):
    """Poll ``check()`` until it returns something truthy; return that value.

    Raises TimeoutError naming ``what`` after ``timeout`` s.
    """
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            raise TimeoutError(
                'timed out after %g s waiting for %s' % (timeout, what)
            )
        time.sleep(interval)


def executions(qinling_client, function_id):
    """The executions of one function, oldest first."""
    found = qinling_client.function_executions.list(function_id=function_id)
    return sorted(found, key=lambda e: (e.created_at or '', e.id))


def finished_executions(qinling_client, function_id, count=1, keep=None):
    """The function's executions (those ``keep`` accepts, if given) once at
    least ``count`` exist and none is running, else None."""
    found = [e for e in executions(qinling_client, function_id)
             if keep is None or keep(e)]
    if len(found) >= count and all(e.status != 'running' for e in found):
        return found
    return None


def log_tail(cloud, process, lines=30):
    """The last lines of a process log of the cloud, as text ('' if there is
    none)."""
    path = cloud.log_path(process)
    if not os.path.exists(path):
        return ''
    with open(path, 'rb') as f:
        f.seek(max(0, os.path.getsize(path) - 64 * 1024))
        text = f.read().decode(errors='replace')
    return '\n'.join(text.splitlines()[-lines:])
