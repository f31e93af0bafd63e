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

The Debian Pythons run in a minimal tree of that suite that mmdebstrap
builds from Debian's archive, once, under ``~/.cache/heat-qinling/
debian-trees`` (``HEAT_QINLING_DEBIAN_TREES``), with chroot in a private
mount namespace, so nothing stays mounted; their venvs stay in the state
dir.

The venvs are kept under ``<state>`` and rebuilt when the
Python, Heat's version or the constraints change; each run installs the
plugin into a fresh copy. Needs root for the Debian trees (mmdebstrap,
chroot, mounts); ``--only py3.11`` needs none.
"""
import argparse
import concurrent.futures
import fcntl
import functools
import os
import re
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
UNIT_COUNTS = re.compile(r'unit tests: (\d+) passed, \d+ skipped, '
                         r'(\d+) failed')
VENVS_INSIDE = '/var/lib/install-check'
APT_ATTEMPTS = 10
APT_RETRY_DELAY = 10  # seconds
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


def install_mmdebstrap(log):
    """apt-get update and install mmdebstrap, retried while locked.

    The local cloud's apt runs at the same time, and apt-get update does not
    wait for the lists lock.
    """
    say('installing mmdebstrap (apt)')
    env = dict(os.environ, DEBIAN_FRONTEND='noninteractive')
    wait = ['-o', 'DPkg::Lock::Timeout=300']
    for attempt in range(APT_ATTEMPTS):
        with open(log, 'a') as f:
            if (subprocess.call(['apt-get', 'update', '-q'] + wait, stdout=f,
                                stderr=subprocess.STDOUT, env=env) == 0 and
                    subprocess.call(['apt-get', 'install', '-y', '-q',
                                     '--no-install-recommends'] + wait +
                                    ['mmdebstrap'], stdout=f,
                                    stderr=subprocess.STDOUT, env=env) == 0):
                return
        time.sleep(APT_RETRY_DELAY)
    raise RuntimeError('apt-get could not install mmdebstrap (log: %s)'
                       % log)


def debian_trees():
    """Where the Debian trees live: outside the repository.

    A tree has device nodes, and /proc is mounted in it while it is built:
    nothing that walks the source tree (a build, a linter) should meet
    them. The trees are only read once built, so checkouts share them.
    """
    cache = os.environ.get('XDG_CACHE_HOME') or os.path.expanduser(
        os.path.join('~', '.cache'))
    return os.environ.get('HEAT_QINLING_DEBIAN_TREES') or os.path.join(
        cache, 'heat-qinling', 'debian-trees')


def ensure_debian_tree(suite, root, log):
    """A minimal Debian tree of suite with python3 and venv, built once."""
    os.makedirs(os.path.dirname(root), exist_ok=True)
    with open(root + '.lock', 'w') as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # another checkout may build it
        _ensure_debian_tree(suite, root, log)


def _ensure_debian_tree(suite, root, log):
    python = os.path.join(root, 'usr', 'bin', 'python3')
    done = os.path.join(root, '.install-check-ready')
    if os.path.exists(done):
        return
    if not shutil.which('mmdebstrap'):
        install_mmdebstrap(log)
    shutil.rmtree(root, ignore_errors=True)
    start = time.time()
    say('mmdebstrap %s (python3, python3-venv) into %s' % (suite, root))
    # mmdebstrap rather than debootstrap: apt resolves and downloads at
    # once (27 s against 76-162 s here), and it needs no script per suite.
    cmd = ['mmdebstrap', '--variant=minbase', '--format=directory',
           '--include=python3,python3-venv,ca-certificates', suite, root,
           DEBIAN_MIRROR]
    with open(log, 'a') as f:
        subprocess.check_call(cmd, stdout=f, stderr=subprocess.STDOUT)
    if not os.path.exists(python):
        raise RuntimeError('mmdebstrap left no %s' % python)
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


def copy_into_tree(src, root, path):
    """Copy a host file into a (shared) tree, replacing it atomically."""
    dst = os.path.join(root, path.lstrip('/'))
    tmp = '%s.%d.tmp' % (dst, os.getpid())
    shutil.copyfile(src, tmp)
    os.replace(tmp, dst)


def debian_command(tag, suite, state, wheel, log):
    root = os.path.join(debian_trees(), suite)
    ensure_debian_tree(suite, root, log)
    venvs = os.path.join(state, tag)
    os.makedirs(venvs, exist_ok=True)
    source = '/source/' + tag
    source_copy(state, tag)
    copy_into_tree('/etc/resolv.conf', root, '/etc/resolv.conf')
    inside = '/install-check'
    mount = os.path.join(root, inside.lstrip('/'))
    os.makedirs(mount, exist_ok=True)
    os.makedirs(os.path.join(root, VENVS_INSIDE.lstrip('/')), exist_ok=True)
    # In the tree: the state dir (wheel, sources) at /install-check, this
    # Python's venvs and pip cache at /var/lib/install-check (their paths are
    # the tree's), in a private mount namespace that ends with the check.
    script = (
        'set -e; mount --bind "$1" "$3/install-check"; '
        'mount --bind "$2" "$3%s"; '
        'mount -t proc proc "$3/proc"; mount --rbind /dev "$3/dev"; '
        'shift 3; exec chroot "$@"' % VENVS_INSIDE)
    env = {'PATH': '/usr/sbin:/usr/bin:/sbin:/bin', 'HOME': '/root',
           'LANG': 'C.UTF-8',
           'PIP_CACHE_DIR': VENVS_INSIDE + '/pip-cache'}
    env.update((name, os.environ[name]) for name in PROXY_VARIABLES
               if name in os.environ)
    # pip in the tree trusts what this machine trusts (a proxy's CA, say).
    bundle = os.environ.get('PIP_CERT') or HOST_CA_BUNDLE
    if os.path.exists(bundle):
        copy_into_tree(bundle, root, TREE_CA_BUNDLE)
        for name in ('PIP_CERT', 'SSL_CERT_FILE', 'REQUESTS_CA_BUNDLE'):
            env[name] = TREE_CA_BUNDLE
    return ['unshare', '--mount', '--propagation', 'private', '--', 'sh',
            '-c', script, 'sh', state, venvs, root, root, '/usr/bin/python3',
            inside + source + '/' + CHECK, '--tag', tag,
            '--python', '/usr/bin/python3', '--dir', VENVS_INSIDE,
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
        passed = failures = 0
        for tag in tags:
            rc, output = futures[tag].result()
            sys.stdout.write(output)
            sys.stdout.flush()
            if rc:
                failed.append(tag)
            counts = UNIT_COUNTS.findall(output)
            if counts:
                passed += int(counts[-1][0])
                failures += int(counts[-1][1])
            # the install's own checks count as one test per Python
            if rc and not (counts and int(counts[-1][1])):
                failures += 1
            elif not rc:
                passed += 1
    say('%s in %.0f s' % ('FAILED on ' + ', '.join(failed) if failed
                          else 'passed', time.time() - start))
    # Totals in stestr's words, which tools/run-tests adds up.
    print(' - Passed: %d\n - Failed: %d' % (passed, failures))
    return 1 if failed else 0


if __name__ == '__main__':
    sys.exit(main())
