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

"""The install test on every Python it covers (``tools/install-check``).

Builds the wheel once, then runs ``tests/install/check.py``, at once, for:

* ``py3.11``: Debian 12's ``/usr/bin/python3.11``, on this machine;
* ``py3.13``: Debian 13's ``python3`` (3.13): the default Python of the
  newest Debian release, and the newest Python 2026.2 requires projects to
  test (its tested runtimes: 3.11 to 3.13; 3.14 encouraged, not required);
* ``py3.14``, only when asked for (``--only py3.14``): Debian testing's
  ``python3`` (3.14), which Heat 27.0.1 declares too.

The Debian Pythons run in a minimal tree of that suite that debootstrap
builds from Debian's archive into the state dir (once; later runs reuse it),
with chroot in a private mount namespace, so nothing stays mounted.

The venvs are kept under ``<state>/install-check`` and rebuilt when the
Python, Heat's version or the constraints change; each run installs the
plugin into a fresh copy. Needs root for the Debian trees (debootstrap,
chroot, mounts); ``--only py3.11`` needs none.
"""
import argparse
import concurrent.futures
import functools
import os
import shutil
import subprocess
import sys
import time

REPO = os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))))
CONSTRAINTS = os.path.join('tests', 'install', 'upper-constraints-2026.2.txt')
CHECK = os.path.join('tests', 'install', 'check.py')
DEBIAN_MIRROR = 'http://deb.debian.org/debian'
# tag: Debian suite whose default python3 it is
DEBIAN_SUITES = {'py3.13': 'trixie', 'py3.14': 'forky'}
PYTHONS = ('py3.11', 'py3.13')
OPTIONAL = ('py3.14',)
HOST_CA_BUNDLE = '/etc/ssl/certs/ca-certificates.crt'
TREE_CA_BUNDLE = '/etc/ssl/certs/host-ca-certificates.crt'
PROXY_VARIABLES = ('http_proxy', 'https_proxy', 'no_proxy', 'HTTP_PROXY',
                   'HTTPS_PROXY', 'NO_PROXY')


def say(text):
    print('install-check: %s' % text, flush=True)


def build_wheel(out, log):
    shutil.rmtree(out, ignore_errors=True)
    start = time.time()
    with open(log, 'w') as f:
        subprocess.check_call(
            [sys.executable, '-m', 'pip', '--disable-pip-version-check',
             'wheel', '--no-deps', '-w', out, REPO], stdout=f,
            stderr=subprocess.STDOUT)
    wheel = [n for n in os.listdir(out) if n.endswith('.whl')]
    say('built %s in %.0f s' % (wheel[0], time.time() - start))
    return os.path.join(out, wheel[0])


def copy_source(target):
    """The tracked and new files, without the plugin's package.

    The tests run in this copy must import the installed package.
    """
    shutil.rmtree(target, ignore_errors=True)
    files = subprocess.check_output(
        ['git', 'ls-files', '-z', '--cached', '--others',
         '--exclude-standard'], cwd=REPO).decode().split('\0')
    for name in files:
        if not name or name.startswith('heat_qinling/'):
            continue
        src = os.path.join(REPO, name)
        if not os.path.isfile(src):
            continue
        dst = os.path.join(target, name)
        os.makedirs(os.path.dirname(dst), exist_ok=True)
        shutil.copy2(src, dst)


def ensure_debian_tree(suite, root, log):
    """A minimal Debian tree of suite with python3 and venv, built once."""
    python = os.path.join(root, 'usr', 'bin', 'python3')
    done = os.path.join(root, '.install-check-ready')
    if os.path.exists(done):
        return
    if not shutil.which('debootstrap'):
        say('installing debootstrap (apt)')
        with open(log, 'a') as f:
            subprocess.check_call(
                ['apt-get', '-o', 'DPkg::Lock::Timeout=300', 'install',
                 '-y', '-q', 'debootstrap'], stdout=f,
                stderr=subprocess.STDOUT)
    shutil.rmtree(root, ignore_errors=True)
    start = time.time()
    say('debootstrap %s (python3, python3-venv) into %s' % (suite, root))
    with open(log, 'a') as f:
        subprocess.check_call(
            ['debootstrap', '--variant=minbase',
             '--include=python3,python3-venv,ca-certificates', suite,
             root, DEBIAN_MIRROR], stdout=f, stderr=subprocess.STDOUT)
    if not os.path.exists(python):
        raise RuntimeError('debootstrap left no %s' % python)
    open(done, 'w').close()
    say('Debian %s tree ready in %.0f s' % (suite, time.time() - start))


def check_command(state, wheel, log):
    """The command of each Python's check, in a function that prepares it.

    Each check gets its own copy of the sources: the unit tests keep their
    results (``.stestr``) there.
    """
    commands = {'py3.11': lambda: host_command(state, wheel)}
    for tag, suite in DEBIAN_SUITES.items():
        commands[tag] = functools.partial(debian_command, tag, suite, state,
                                          wheel, log)
    return commands


def source_copy(state, tag):
    source = os.path.join(state, 'source', tag)
    copy_source(source)
    return source


def host_command(state, wheel):
    source = source_copy(state, 'py3.11')
    return [sys.executable, os.path.join(source, CHECK), '--tag', 'py3.11',
            '--python', '/usr/bin/python3.11',
            '--dir', os.path.join(state, 'py3.11'), '--wheel', wheel,
            '--source', source,
            '--constraints', os.path.join(source, CONSTRAINTS)], None


def debian_command(tag, suite, state, wheel, log):
    root = os.path.join(state, 'debian-' + suite)
    ensure_debian_tree(suite, root, log)
    source = '/source/' + tag
    source_copy(state, tag)
    shutil.copyfile('/etc/resolv.conf', os.path.join(root, 'etc',
                                                     'resolv.conf'))
    inside = '/install-check'
    mount = os.path.join(root, inside.lstrip('/'))
    os.makedirs(mount, exist_ok=True)
    # The wheel and the source copy are bind-mounted at /install-check; the
    # venvs stay in the tree (their paths are the tree's).
    script = (
        'set -e; mount --bind "$1" "$2/install-check"; '
        'mount -t proc proc "$2/proc"; mount --rbind /dev "$2/dev"; '
        'shift 2; exec chroot "$@"')
    env = {'PATH': '/usr/sbin:/usr/bin:/sbin:/bin', 'HOME': '/root',
           'LANG': 'C.UTF-8'}
    env.update((name, os.environ[name]) for name in PROXY_VARIABLES
               if name in os.environ)
    # pip in the tree trusts what this machine trusts (a proxy's CA, say).
    bundle = os.environ.get('PIP_CERT') or HOST_CA_BUNDLE
    if os.path.exists(bundle):
        shutil.copyfile(bundle, os.path.join(root, TREE_CA_BUNDLE.lstrip('/')))
        for name in ('PIP_CERT', 'SSL_CERT_FILE', 'REQUESTS_CA_BUNDLE'):
            env[name] = TREE_CA_BUNDLE
    return ['unshare', '--mount', '--propagation', 'private', '--', 'sh',
            '-c', script, 'sh', state, root, root, '/usr/bin/python3',
            inside + source + '/' + CHECK, '--tag', tag,
            '--python', '/usr/bin/python3', '--dir', '/var/lib/install-check',
            '--wheel', inside + '/' + os.path.relpath(wheel, state),
            '--source', inside + source,
            '--constraints', inside + source + '/' + CONSTRAINTS], env


def run_check(tag, prepare):
    """Prepare and run one Python's check; (exit status, its output)."""
    try:
        cmd, env = prepare()
    except (OSError, RuntimeError, subprocess.CalledProcessError) as exc:
        return 1, 'install-check[%s]: FAILED to prepare: %s\n' % (tag, exc)
    proc = subprocess.run(cmd, env=env, stdout=subprocess.PIPE,
                          stderr=subprocess.STDOUT)
    return proc.returncode, proc.stdout.decode(errors='replace')


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--state', required=True,
                        help='where the venvs and the Debian trees live')
    parser.add_argument('--only', choices=PYTHONS + OPTIONAL,
                        help='one Python only')
    args = parser.parse_args(argv)
    state = os.path.abspath(args.state)
    os.makedirs(state, exist_ok=True)
    start = time.time()
    log = os.path.join(state, 'build.log')
    failed = []
    try:
        wheel = build_wheel(os.path.join(state, 'dist'), log)
    except (OSError, RuntimeError, subprocess.CalledProcessError) as exc:
        say('FAILED: %s (log: %s)' % (exc, log))
        return 1
    # The Pythons at once: their venvs' installs wait on the network as
    # much as on the CPU. Each one's output is printed whole when it ends.
    commands = check_command(state, wheel, log)
    tags = [args.only] if args.only else list(PYTHONS)
    say('checking %s at once' % ', '.join(tags))
    with concurrent.futures.ThreadPoolExecutor(len(tags)) as pool:
        futures = {tag: pool.submit(run_check, tag, commands[tag])
                   for tag in tags}
        for tag in tags:
            rc, output = futures[tag].result()
            sys.stdout.write(output)
            sys.stdout.flush()
            if rc:
                failed.append(tag)
    say('%s in %.0f s' % ('FAILED on ' + ', '.join(failed) if failed
                          else 'passed', time.time() - start))
    return 1 if failed else 0


if __name__ == '__main__':
    sys.exit(main())
