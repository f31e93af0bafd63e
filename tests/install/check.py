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

"""The install test for one Python: the plugin into a heat-engine environment.

Run by ``tests/install/run.py`` with the interpreter under test (the host's,
or Debian 13's inside a chroot), standard library only:

1. a venv with openstack-heat 27.0.1 installed under the cycle's
   upper-constraints, as kolla and devstack build heat-engine's environment
   (built once per interpreter, Heat version and constraints file, then
   copied for each run);
2. the ``pip install`` lines of ``doc/source/install.rst`` (the block after
   its ``.. install-commands`` comment), with the wheel for ``heat-qinling``
   and this test's constraints file for ``upper-constraints.txt``;
3. checks: no installed package changed version or went away; ``pip check``
   complains only about python-qinlingclient's own requirements; Heat's
   loader registers the seven types from the venv's ``lib/heat``, lists seven
   for an admin and six for a member; the catalog command installs the trigger
   types from the wheel's data files and Heat's environment loads them;
4. the plugin's unit tests, run against the installed package (the test
   libraries are installed after the comparison, under the same
   constraints).

Prints every version it checked; exits non-zero on the first failed check.
"""
import argparse
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time

HEAT = 'openstack-heat==27.0.1'
TYPES = ('OS::Qinling::Alias', 'OS::Qinling::EventAlarm',
         'OS::Qinling::Function', 'OS::Qinling::Job', 'OS::Qinling::Runtime',
         'OS::Qinling::Version', 'OS::Qinling::Webhook')
ADMIN_ONLY = ('OS::Qinling::Runtime',)
# Installed by the documented commands; everything else must be unchanged.
INSTALLED = ('heat-qinling', 'python-qinlingclient')
# Only the unit tests need these; installed after the comparison.
TEST_LIBRARIES = ('stestr', 'testscenarios', 'testtools', 'fixtures',
                  'oslotest')
MARKER = '.. install-commands'


class CheckFailed(Exception):
    pass


def say(tag, text):
    print('install-check[%s]: %s' % (tag, text), flush=True)


def run(cmd, log, **kwargs):
    """Run cmd with its output in log; raise CheckFailed with its tail."""
    with open(log, 'a') as f:
        f.write('$ %s\n' % ' '.join(cmd))
        f.flush()
        rc = subprocess.call(cmd, stdout=f, stderr=subprocess.STDOUT,
                             **kwargs)
    if rc != 0:
        with open(log) as f:
            tail = ''.join(line for line in f.readlines()[-40:]
                           if 'is ignored: it is neither' not in line)
        raise CheckFailed('%s exited %d; its output ends:\n%s'
                          % (' '.join(cmd), rc, tail))


def install_commands(rst_path):
    """The lines of the install.rst block that follows the marker comment."""
    with open(rst_path) as f:
        lines = f.read().splitlines()
    try:
        start = next(i for i, line in enumerate(lines)
                     if line.startswith(MARKER))
    except StopIteration:
        raise CheckFailed('%s has no %r comment' % (rst_path, MARKER))
    block = None
    commands = []
    for line in lines[start + 1:]:
        if block is None:
            if line.rstrip().endswith('::'):
                block = []
            continue
        if line.strip() and not line.startswith(' '):
            break
        if line.strip():
            commands.append(line.strip())
    if not commands:
        raise CheckFailed('no literal block after %r in %s'
                          % (MARKER, rst_path))
    return commands


def substitute(command, python, wheel, constraints):
    """A documented ``pip install`` line, runnable here."""
    words = command.split()
    if words[:2] != ['pip', 'install']:
        raise CheckFailed('install.rst command %r is not a pip install'
                          % command)
    out = [python, '-m', 'pip', '--disable-pip-version-check', 'install']
    for word in words[2:]:
        if word == 'heat-qinling':
            word = wheel
        elif word == 'upper-constraints.txt':
            word = constraints
        out.append(word)
    return out


def installed(python):
    """{normalised name: version} of the venv's distributions."""
    code = ('import importlib.metadata as m, json, re\n'
            'print(json.dumps({re.sub(r"[-_.]+", "-", '
            'd.metadata["Name"]).lower(): d.version '
            'for d in m.distributions()}))')
    return json.loads(subprocess.check_output([python, '-c', code]))


def base_key(python, constraints):
    with open(constraints, 'rb') as f:
        uc = hashlib.sha256(f.read()).hexdigest()
    version = subprocess.check_output(
        [python, '-c', 'import sys; print(sys.version)']).decode().strip()
    return json.dumps({'python': version, 'heat': HEAT, 'constraints': uc},
                      sort_keys=True)


def ensure_base(tag, python, base, constraints, log):
    """The venv of Heat under the constraints, rebuilt when its key changes.

    Returns True if it was built now (a cold run).
    """
    key_file = os.path.join(base, '.install-check-key')
    key = base_key(python, constraints)
    if os.path.exists(key_file) and open(key_file).read() == key:
        return False
    start = time.time()
    shutil.rmtree(base, ignore_errors=True)
    say(tag, 'building the heat-engine venv: %s under %s'
        % (HEAT, os.path.basename(constraints)))
    run([python, '-m', 'venv', base], log)
    run([os.path.join(base, 'bin', 'python'), '-m', 'pip',
         '--disable-pip-version-check', 'install', '-q', '-c', constraints,
         HEAT], log)
    with open(key_file, 'w') as f:
        f.write(key)
    say(tag, 'heat-engine venv built in %.0f s' % (time.time() - start))
    return True


LOADER = r'''
import json, os, sys
from oslo_service import backend
backend.init_backend(backend.BackendType.THREADING)
from keystoneauth1 import fixture as ks_fixture
from oslo_config import cfg
from heat.common import config  # noqa: registers Heat's options
from heat.engine import resources
from heat.tests import utils

env_dir, template_dir = sys.argv[1:3]
cfg.CONF([], project='heat', default_config_files=[])
cfg.CONF.set_override('plugin_dirs', [os.path.join(sys.prefix, 'lib', 'heat')])
cfg.CONF.set_override('environment_dir', env_dir)
cfg.CONF.set_override('template_dir', template_dir)
resources.initialise()
env = resources.global_env()

def context(roles):
    token = ks_fixture.V3Token(project_id='demo')
    token.add_service('function-engine').add_standard_endpoints(
        public='http://127.0.0.1:7070')
    token.add_service('alarming').add_standard_endpoints(
        public='http://127.0.0.1:8042')
    ctx = utils.dummy_context(tenant_id='demo', roles=roles)
    ctx.auth_token_info = token
    ctx.reload_auth_plugin()
    return ctx

registered = {}
for type_name in sorted(set(env.registry._registry)):
    if type_name.startswith(('OS::Qinling::', 'Qinling::')):
        info = env.registry.get_resource_info(type_name)
        value = info.value
        registered[type_name] = (
            '%s.%s' % (value.__module__, value.__name__)
            if isinstance(value, type) else str(value))
modules = {n: sys.modules[v.rsplit('.', 1)[0]].__file__
           for n, v in registered.items() if n.startswith('OS::')}
print(json.dumps({
    'registered': registered,
    'modules': modules,
    'admin': sorted(t for t in env.get_types(context(['admin', 'member']))
                    if t.startswith('OS::Qinling::')),
    'member': sorted(t for t in env.get_types(context(['member']))
                     if t.startswith('OS::Qinling::')),
}))
'''


def check_loader(tag, python, work, log):
    tmp = tempfile.mkdtemp(prefix='install-check-heat-')
    try:
        env_dir = os.path.join(tmp, 'environment.d')
        template_dir = os.path.join(tmp, 'templates')
        os.makedirs(env_dir)
        catalog = os.path.join(work, 'bin', 'heat-qinling-install-catalog')
        run([catalog, '--template-dir', template_dir,
             '--environment-dir', env_dir], log)
        out = subprocess.check_output(
            [python, '-c', LOADER, env_dir, template_dir],
            stderr=open(log, 'a'))
        result = json.loads(out.decode().strip().splitlines()[-1])
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    registered = result['registered']
    missing = [t for t in TYPES if t not in registered]
    if missing:
        raise CheckFailed('Heat did not register %s' % ', '.join(missing))
    site = os.path.realpath(work)
    outside = {t: path for t, path in result['modules'].items()
               if not os.path.realpath(path).startswith(site + os.sep)}
    if outside:
        raise CheckFailed('types loaded from outside the venv: %s' % outside)
    say(tag, "Heat's loader registers %d types from %s: %s" % (
        len(TYPES), os.path.join(work, 'lib', 'heat'),
        ', '.join(t.rsplit('::', 1)[1] for t in TYPES)))
    if result['admin'] != sorted(TYPES):
        raise CheckFailed('an admin is listed %s' % result['admin'])
    member = sorted(set(TYPES) - set(ADMIN_ONLY))
    if result['member'] != member:
        raise CheckFailed('a member is listed %s, not %s'
                          % (result['member'], member))
    say(tag, 'resource type list: %d types for an admin, %d for a member '
        '(no %s)' % (len(result['admin']), len(result['member']),
                     ', '.join(ADMIN_ONLY)))
    triggers = {t: url for t, url in registered.items()
                if t.startswith('Qinling::Trigger::')}
    if not triggers or not all(u.startswith('file://')
                               for u in triggers.values()):
        raise CheckFailed('the catalog types are not in Heat\'s global '
                          'environment: %s' % triggers)
    say(tag, 'heat-qinling-install-catalog: %d Qinling::Trigger::* types '
        'in the global environment, from the wheel\'s templates'
        % len(triggers))


def check_pip_check(tag, python, log):
    proc = subprocess.run(
        [python, '-m', 'pip', '--disable-pip-version-check', 'check'],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    lines = [line for line in proc.stdout.decode().splitlines()
             if line.strip()]
    with open(log, 'a') as f:
        f.write('$ pip check\n%s\n' % '\n'.join(lines))
    other = [line for line in lines
             if not line.startswith('python-qinlingclient 5.1.1 ')]
    if other:
        raise CheckFailed('pip check: %s' % '; '.join(other))
    say(tag, 'pip check: only python-qinlingclient\'s own requirements '
        'are unmet:')
    for line in lines:
        say(tag, '  %s' % line)


def install_test_libraries(python, constraints, log):
    run([python, '-m', 'pip', '--disable-pip-version-check', 'install',
         '-q', '-c', constraints] + list(TEST_LIBRARIES), log)


def run_unit_tests(tag, python, work, tests, log):
    env = dict(os.environ,
               HEAT_QINLING_TEST_PLUGIN_DIR=os.path.join(work, 'lib', 'heat'),
               PYTHONDONTWRITEBYTECODE='1')
    where = subprocess.check_output(
        [python, '-c', 'import heat_qinling; print(heat_qinling.__file__)'],
        cwd=tests, env=env).decode().strip()
    if not os.path.realpath(where).startswith(os.path.realpath(work)):
        raise CheckFailed('the tests would import heat_qinling from %s'
                          % where)
    say(tag, 'unit tests against %s' % os.path.dirname(where))
    shutil.rmtree(os.path.join(tests, '.stestr'), ignore_errors=True)
    proc = subprocess.run(
        [python, '-m', 'stestr', '--test-path', 'tests/unit', '--top-dir',
         '.', 'run'], cwd=tests, env=env, stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT)
    output = proc.stdout.decode(errors='replace')
    with open(log, 'a') as f:
        f.write(output)
    totals = dict((what, int(n)) for what, n in re.findall(
        r'^ - (Passed|Failed|Skipped): (\d+)$', output, re.M))
    # run.py adds these up for tools/run-tests
    say(tag, 'unit tests: %d passed, %d skipped, %d failed' % (
        totals.get('Passed', 0), totals.get('Skipped', 0),
        totals.get('Failed', 0)))
    if proc.returncode != 0:
        failing = re.findall(r'^\{\d+\} (\S+) \[[^\]]*\] \.\.\. FAILED$',
                             output, re.M)
        raise CheckFailed('unit tests failed: %s\n%s' % (
            ', '.join(failing), output[-3000:]))


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--tag', required=True)
    parser.add_argument('--python', required=True,
                        help='the interpreter heat-engine runs on')
    parser.add_argument('--dir', required=True,
                        help='where the venvs live (kept between runs)')
    parser.add_argument('--wheel', required=True)
    parser.add_argument('--source', required=True,
                        help='a copy of the repository without heat_qinling/')
    parser.add_argument('--constraints', required=True)
    args = parser.parse_args(argv)
    tag = args.tag
    os.makedirs(args.dir, exist_ok=True)
    # Python puts the working directory on sys.path: a source checkout there
    # (with its egg-info) would count as installed.
    os.chdir(args.dir)
    log = os.path.join(args.dir, 'install-check.log')
    open(log, 'w').close()
    base = os.path.join(args.dir, 'heat-venv')
    work = os.path.join(args.dir, 'test-venv')
    python = os.path.join(work, 'bin', 'python')
    start = time.time()
    try:
        cold = ensure_base(tag, args.python, base, args.constraints, log)
        shutil.rmtree(work, ignore_errors=True)
        shutil.copytree(base, work, symlinks=True)
        before = installed(python)
        say(tag, 'Python %s, %s packages: openstack-heat %s, prettytable '
            '%s, pip %s (%s)' % (
                subprocess.check_output(
                    [python, '-c', 'import platform; '
                     'print(platform.python_version())']).decode().strip(),
                len(before), before.get('openstack-heat'),
                before.get('prettytable'), before.get('pip'),
                'venv built now' if cold else 'venv reused'))
        rst = os.path.join(args.source, 'doc', 'source', 'install.rst')
        for command in install_commands(rst):
            say(tag, '$ %s' % command)
            run(substitute(command, python, args.wheel, args.constraints),
                log)
        after = installed(python)
        changed = {name: (version, after.get(name))
                   for name, version in before.items()
                   if after.get(name) != version}
        if changed:
            raise CheckFailed('the install changed installed packages: %s'
                              % ', '.join('%s %s -> %s' % (n, a, b)
                                          for n, (a, b) in changed.items()))
        added = sorted(set(after) - set(before))
        if added != sorted(INSTALLED):
            raise CheckFailed('expected to add %s, added %s'
                              % (', '.join(INSTALLED), ', '.join(added)))
        say(tag, 'added %s; none of the %d packages before changed version'
            % (', '.join('%s %s' % (n, after[n]) for n in added),
               len(before)))
        check_pip_check(tag, python, log)
        # The loader check builds request contexts with Heat's and
        # keystoneauth1's test helpers, which need the test libraries.
        install_test_libraries(python, args.constraints, log)
        check_loader(tag, python, work, log)
        run_unit_tests(tag, python, work, args.source, log)
    except (CheckFailed, OSError, subprocess.CalledProcessError) as exc:
        say(tag, 'FAILED: %s' % exc)
        say(tag, 'full log: %s' % log)
        return 1
    say(tag, 'passed in %.0f s' % (time.time() - start))
    return 0


if __name__ == '__main__':
    sys.exit(main())
