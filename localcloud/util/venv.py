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

"""Venvs: made with ``LOCALCLOUD_PYTHON`` (default: this interpreter's base
Python), filled from pins, skipped when the pins are in."""
import os
import sys

from localcloud.util import files
from localcloud.util import steps

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


def base_python():
    """The interpreter venvs are made with: ``LOCALCLOUD_PYTHON`` if set,
    else the one this venv (or this interpreter) was made from."""
    return (os.environ.get('LOCALCLOUD_PYTHON')
            or getattr(sys, '_base_executable', None) or sys.executable)


def ensure_venv(path, what):
    """``python -m venv path`` unless it has a python already."""
    if not os.path.exists(os.path.join(path, 'bin', 'python')):
        with steps.step('creating the %s venv %s' % (what, path)):
            steps.run([base_python(), '-m', 'venv', path], 'python -m venv')


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
# Written by localcloud (localcloud/util/venv.py, CLI_LAUNCHER), not by pip.
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
    marker = files.Marker(
        os.path.join(cloud.client_venv, '.localcloud-requirements'),
        {'requirements': CLIENT_VENV_REQUIREMENTS, 'launcher': launcher},
    )
    if marker.done():
        return
    with steps.step(
        'installing the openstack CLI and clients into the client venv'
    ):
        steps.run(
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
    files.write_file(os.path.join(cloud.client_venv, 'bin', 'openstack'),
                     launcher, mode=0o755)
    marker.mark()


def ensure_main_venv(cloud):
    """The main venv with Keystone, Heat, Aodh, Ceilometer, clients and the
    plugin (editable)."""
    ensure_venv(cloud.venv, 'main')
    setup_cfg = os.path.join(cloud.repo_dir, 'setup.cfg')
    plugin = os.path.exists(setup_cfg)
    marker = files.Marker(os.path.join(cloud.venv, '.localcloud-requirements'),
                          {'requirements': MAIN_VENV_REQUIREMENTS,
                           'no-deps': MAIN_VENV_NO_DEPS, 'plugin': plugin,
                           'setup.cfg': plugin and open(setup_cfg).read()})
    if marker.done():
        return
    pip = [cloud.python, '-m', 'pip', '--disable-pip-version-check', '-q']
    with steps.step(
        'installing Keystone, Heat, Aodh, Ceilometer and clients into the'
        ' main venv'
    ):
        steps.run(
            pip + ['install'] + MAIN_VENV_REQUIREMENTS,
            'pip install (main venv)',
        )
        steps.run(
            pip + ['install', '--no-deps'] + MAIN_VENV_NO_DEPS,
            'pip install --no-deps (main venv)',
        )
    if plugin:
        with steps.step(
            'installing the heat-qinling plugin (editable) into the main venv'
        ):
            steps.run(
                pip + ['install', '-e', cloud.repo_dir],
                'pip install -e (plugin)',
            )
    marker.mark()
