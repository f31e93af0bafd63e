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

"""Venvs, one helper for all of them: made with ``LOCALCLOUD_PYTHON``
(default: the Python this one was made from), filled by ``uv pip install``
from the pins a service declares, skipped while a marker says the pins are
in.

uv (from PyPI, in the main venv) installs what pip would, in the same layout:
it resolves the same requirements against the same index (PyPI), keeps
``--no-deps`` and editable installs apart as pip did, and compiles bytecode as
pip does. Its cache is uv's own under the user's cache dir
(``~/.cache/uv``) unless ``LOCALCLOUD_UV_CACHE`` or ``UV_CACHE_DIR`` names
another.
"""
import os
import sys

from localcloud.util import files
from localcloud.util import steps

# uv itself, into the main venv with pip (the one pip install left)
UV_REQUIREMENT = 'uv'
MARKER = '.localcloud-requirements'


def base_python():
    """The interpreter venvs are made with: ``LOCALCLOUD_PYTHON`` if set,
    else the one this venv (or this interpreter) was made from."""
    return (os.environ.get('LOCALCLOUD_PYTHON')
            or getattr(sys, '_base_executable', None) or sys.executable)


def uv_env():
    """The environment of every uv call: its cache dir."""
    env = {}
    cache = os.environ.get('LOCALCLOUD_UV_CACHE')
    if cache:
        env['UV_CACHE_DIR'] = cache
    return env


def ensure_uv(main_venv):
    """``<main venv>/bin/uv``, installed with the main venv's pip if
    missing; returns its path."""
    uv = os.path.join(main_venv, 'bin', 'uv')
    if not os.path.exists(uv):
        with steps.step('installing uv into the main venv'):
            steps.run([os.path.join(main_venv, 'bin', 'python'), '-m', 'pip',
                       '--disable-pip-version-check', '-q', 'install',
                       UV_REQUIREMENT], 'pip install uv')
    return uv


def ensure_venv(uv, path, what):
    """A venv at ``path`` (with pip, as ``python -m venv`` makes it) unless
    it has a python already."""
    if not os.path.exists(os.path.join(path, 'bin', 'python')):
        with steps.step('creating the %s venv %s' % (what, path)):
            steps.run([uv, 'venv', '-q', '--seed', '--allow-existing',
                       '--python', base_python(), path],
                      'uv venv (%s)' % what, env=uv_env())


def ensure(uv, path, what, requirements, no_deps=(), editable=(),
           extra=None, after=None):
    """The venv at ``path`` with ``requirements`` (then ``no_deps`` without
    their dependencies, then the ``editable`` source trees), unless its
    marker says exactly these are in. ``after()``, if given, runs once
    they are, before the marker is written; ``extra`` is more of what the
    marker depends on."""
    ensure_venv(uv, path, what)
    marker = files.Marker(os.path.join(path, MARKER), {
        'requirements': sorted(requirements), 'no-deps': sorted(no_deps),
        'editable': {p: _setup_cfg(p) for p in editable}, 'extra': extra})
    if marker.done():
        return
    python = os.path.join(path, 'bin', 'python')
    pip = [uv, 'pip', 'install', '-q', '--compile-bytecode',
           '--python', python]
    with steps.step('%s venv: uv pip install %d requirements'
                    % (what, len(requirements) + len(no_deps)
                       + len(editable))):
        if requirements:
            steps.run(pip + list(requirements),
                      'uv pip install (%s venv)' % what, env=uv_env())
        if no_deps:
            steps.run(pip + ['--no-deps'] + list(no_deps),
                      'uv pip install --no-deps (%s venv)' % what,
                      env=uv_env())
        for tree in editable:
            steps.run(pip + ['-e', tree],
                      'uv pip install -e %s (%s venv)' % (tree, what),
                      env=uv_env())
    if after:
        after()
    marker.mark()


def _setup_cfg(tree):
    try:
        with open(os.path.join(tree, 'setup.cfg')) as f:
            return f.read()
    except FileNotFoundError:
        return None
