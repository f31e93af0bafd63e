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
it resolves the same requirements against the same index (PyPI) and keeps
``--no-deps`` installs apart as pip did. Unlike pip it compiles no
bytecode. A process that finds none compiles each module it imports, and
writes it back unless ``PYTHONDONTWRITEBYTECODE`` is set (it is in some
shells and CI jobs): then every start compiles everything again. So the
launchers (``tools/localcloud``, ``tools/run-tests``, ``tools/benchmark``)
unset it for the cloud, whose processes write the bytecode of what they
import, once; ``ensure`` compiles a whole venv (``compileall``) only where
asked (the main venv, which Keystone's first commands start from at once).
uv's cache is its own under the user's cache dir (``~/.cache/uv``) unless
``LOCALCLOUD_UV_CACHE`` or ``UV_CACHE_DIR`` names another.
"""
import os
import sys

from localcloud import exceptions
from localcloud.util import files
from localcloud.util import steps

# uv itself, into the main venv with pip (the one pip install left)
UV_REQUIREMENT = 'uv'
MARKER = '.localcloud-requirements'
# the bytecode of the requirements the marker above names is in
BYTECODE_MARKER = '.localcloud-bytecode'
# An editable install needs neither the ChangeLog nor the AUTHORS file that
# pbr writes from the whole git history at each build (seconds here).
PBR_ENV = {'SKIP_WRITE_GIT_CHANGELOG': '1', 'SKIP_GENERATE_AUTHORS': '1'}


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


def ensurepip_wheels():
    """The wheels that ``python -m venv`` puts into a venv (ensurepip's
    bundled pip, and setuptools up to Python 3.11) of the Python venvs are
    made with; [] if it has none."""
    found = steps.run([base_python(), '-c', (
        'import ensurepip, glob, os; print("\\n".join(sorted(glob.glob('
        'os.path.join(os.path.dirname(ensurepip.__file__), "_bundled", '
        '"*.whl")))))')], 'ensurepip wheels', check=False)
    return found.stdout.split() if found.returncode == 0 else []


def ensure_uv(main_venv):
    """``<main venv>/bin/uv``, with pip and setuptools as ``python -m venv``
    puts them in (``tools/localcloud`` makes the venv without them:
    ensurepip runs pip once for itself, then again for uv), installed by the
    pip of the Python the venv was made from (``pip --python``) if missing;
    returns its path. Without that pip: ensurepip, then the venv's pip."""
    uv = os.path.join(main_venv, 'bin', 'uv')
    if os.path.exists(uv):
        return uv
    python = os.path.join(main_venv, 'bin', 'python')
    with steps.step('installing pip and uv into the main venv'):
        if not os.path.exists(os.path.join(main_venv, 'bin', 'pip')):
            try:
                steps.run([base_python(), '-m', 'pip', '--python', python,
                           '--disable-pip-version-check', '-q', 'install']
                          + (ensurepip_wheels() or ['pip'])
                          + [UV_REQUIREMENT], 'pip install pip uv')
            except exceptions.CommandFailed:
                steps.run([python, '-m', 'ensurepip', '-q'], 'ensurepip')
        if not os.path.exists(uv):
            steps.run([python, '-m', 'pip', '--disable-pip-version-check',
                       '-q', 'install', UV_REQUIREMENT], 'pip install uv')
    return uv


def ensure_venv(uv, path, what):
    """A venv at ``path`` as ``python -m venv`` makes it (ensurepip's pip
    and setuptools in it, put there by uv) unless it has a python
    already."""
    if os.path.exists(os.path.join(path, 'bin', 'python')):
        return
    with steps.step('creating the %s venv %s' % (what, path)):
        wheels = ensurepip_wheels()
        if not wheels:  # a Python without ensurepip: uv's own seed
            steps.run([uv, 'venv', '-q', '--seed', '--allow-existing',
                       '--python', base_python(), path],
                      'uv venv (%s)' % what, env=uv_env())
            return
        steps.run([base_python(), '-m', 'venv', '--without-pip', path],
                  'python -m venv --without-pip (%s)' % what)
        steps.run([uv, 'pip', 'install', '-q', '--python',
                   os.path.join(path, 'bin', 'python')] + wheels,
                  'uv pip install %s (%s venv)'
                  % (' '.join(map(os.path.basename, wheels)), what),
                  env=uv_env())


def ensure(uv, path, what, requirements, no_deps=(), editable=(),
           extra=None, after=None, compile_nice=None):
    """The venv at ``path`` with ``requirements`` (then ``no_deps`` without
    their dependencies, then the ``editable`` source trees), unless its
    marker says exactly these are in. ``after()``, if given, runs once
    they are, before the marker is written; ``extra`` is more of what the
    marker depends on. Then, if ``compile_nice`` is given, its bytecode
    (``compile_bytecode``, at that niceness)."""
    ensure_venv(uv, path, what)
    wanted = {
        'requirements': sorted(requirements), 'no-deps': sorted(no_deps),
        'editable': {p: _setup_cfg(p) for p in editable}, 'extra': extra}
    marker = files.Marker(os.path.join(path, MARKER), wanted)
    if not marker.done():
        _install(uv, path, what, requirements, no_deps, editable, after)
        marker.mark()
    if compile_nice is not None:
        compile_bytecode(path, what, wanted, compile_nice)


def _install(uv, path, what, requirements, no_deps, editable, after):
    python = os.path.join(path, 'bin', 'python')
    pip = [uv, 'pip', 'install', '-q', '--python', python]
    with steps.step('%s venv: uv pip install %d requirements'
                    % (what, len(requirements) + len(no_deps)
                       + len(editable))):
        # one resolution for the pins and the editable trees (whose own
        # requirements are lower bounds the pins meet), the trees built
        # while the wheels download
        args = list(requirements)
        for tree in editable:
            args += ['-e', tree]
        if args:
            steps.run(pip + args, 'uv pip install (%s venv)' % what,
                      env=dict(uv_env(), **PBR_ENV))
        if no_deps:
            steps.run(pip + ['--no-deps'] + list(no_deps),
                      'uv pip install --no-deps (%s venv)' % what,
                      env=uv_env())
    if after:
        after()


def compile_bytecode(path, what, installed, nice=0):
    """Compile every module under the venv's ``lib`` once per set of
    ``installed`` requirements (compileall skips what is up to date), at
    the niceness ``nice`` (a venv whose services wait less for it yields the
    CPU to one they wait for).
    Best effort: a module that does not compile (a template, Python 2
    code) is left to its importer, as pip left it."""
    marker = files.Marker(os.path.join(path, BYTECODE_MARKER), installed)
    if marker.done():
        return
    with steps.step('%s venv: compiling bytecode' % what):
        try:
            steps.run((['nice', '-n', str(nice)] if nice else [])
                      + [os.path.join(path, 'bin', 'python'), '-m',
                         'compileall', '-q', '-q', '-j', '0',
                         os.path.join(path, 'lib')],
                      'compileall (%s venv)' % what, check=False)
        except OSError as exc:  # no python to run: its importers compile
            steps.say('%s venv: no bytecode compiled (%s)' % (what, exc))
            return
    marker.mark()


def _setup_cfg(tree):
    try:
        with open(os.path.join(tree, 'setup.cfg')) as f:
            return f.read()
    except FileNotFoundError:
        return None
