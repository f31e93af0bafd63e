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

"""The first run, as a user meets it: ``tools/localcloud demo`` on a fresh
state dir with empty caches (cold) and with warm ones (a second clone on the
same machine), ``up`` after ``down``; and the older parts of the same kind
(cold and warm ``up`` of the measured cloud, ``demo`` on it)."""
import os
import re
import shutil
import subprocess
import time

from localcloud.bench import common
from localcloud import config

say = common.say

# issue 22's goals, seconds
COLD_DEMO_GOAL_S = 150
WARM_DEMO_GOAL_S = 90
UP_AFTER_DOWN_GOAL_S = 15
# earlier rounds' goal
DEMO_GOAL_S = 20
# what the demo prints once the execution has run (localcloud.demo)
DEMO_OUTPUT = 'Hello, World'
# the first-run clouds sit this far above the measured cloud's base port
# (every service port offset of one cloud, 0-674, misses the other's)
FIRST_RUN_PORT_SHIFT = 100
STEP_LINE = re.compile(r'^localcloud: (.+?):? done in ([0-9.]+) s', re.M)


def launcher(cloud, *argv, log, env=None, watch=None):
    """Run tools/localcloud for ``cloud``, its output appended to ``log``;
    return seconds, and the seconds until a line holding ``watch`` was
    printed (None without one)."""
    cmd = [
        common.LAUNCHER,
        '--state-dir',
        cloud.state_dir,
        '--base-port',
        str(cloud.base_port),
    ]
    cmd += list(argv)
    seen = None
    started = time.monotonic()
    with open(log, 'a') as out:
        out.write('\n$ %s\n' % ' '.join(cmd))
        out.flush()
        proc = subprocess.Popen(
            cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL, text=True, errors='replace',
            env=dict(os.environ, **(env or {})))
        for line in proc.stdout:
            if watch and seen is None and watch in line:
                seen = time.monotonic() - started
            out.write(line)
            out.flush()   # the log shows how far a long run has come
        code = proc.wait()
    took = time.monotonic() - started
    if code != 0:
        raise common.BenchmarkError(
            '`tools/localcloud %s` failed (exit %d); see %s'
            % (' '.join(argv), code, log)
        )
    return took, seen


def slowest_steps(log, since, count=6):
    """The ``count`` slowest steps the launcher printed in ``log`` after
    byte ``since``: [(step, seconds)]."""
    with open(log, errors='replace') as f:
        f.seek(since)
        found = [(what, float(s)) for what, s in STEP_LINE.findall(f.read())]
    return sorted(found, key=lambda x: -x[1])[:count]


def du_mib(path):
    total = 0
    for root, _, files in os.walk(path):
        for name in files:
            try:
                total += os.lstat(os.path.join(root, name)).st_blocks * 512
            except OSError:
                pass
    return total / 2 ** 20


def cold_up(cloud, log, results):
    """``up`` on an empty state dir, with the user's caches."""
    if os.path.exists(os.path.join(cloud.state_dir, 'venv')):
        raise common.BenchmarkError(
            'cold-up needs an empty state dir, and %s has a venv;'
            ' use another --state-dir or `tools/localcloud --state-dir %s'
            ' destroy`' % (cloud.state_dir, cloud.state_dir)
        )
    pip_cache = os.path.expanduser('~/.cache/pip')
    say(
        'cold up: tools/localcloud up on the empty state dir %s (pip cache %s:'
        ' %.0f MiB) ...'
        % (
            cloud.state_dir,
            pip_cache,
            du_mib(pip_cache) if os.path.isdir(pip_cache) else 0,
        )
    )
    took, _ = launcher(cloud, 'up', log=log)
    results['cold_up_s'] = round(took, 1)
    results['state_dir_mib'] = round(du_mib(cloud.state_dir))
    say('cold up: %.1f s; state dir %d MiB' % (took, results['state_dir_mib']))


def warm_up(cloud, log, results):
    """``up`` of a healthy cloud, ``down``, ``up`` again."""
    took, _ = launcher(cloud, 'up', log=log)
    results['warm_up_s'] = round(took, 1)
    say('warm up (everything healthy): %.1f s' % took)
    took, _ = launcher(cloud, 'down', log=log)
    results['down_s'] = round(took, 1)
    say('down: %.1f s' % took)
    took, _ = launcher(cloud, 'up', log=log)
    results['up_after_down_s'] = round(took, 1)
    say('up after down (state kept, processes stopped): %s'
        % common.goal(round(took, 1), UP_AFTER_DOWN_GOAL_S, 's'))


def demo(cloud, log, results):
    """``demo`` on the measured cloud, already up."""
    took, _ = launcher(cloud, 'demo', log=log)
    results['demo_s'] = round(took, 1)
    say('demo (cloud already up): %s'
        % common.goal(round(took, 1), DEMO_GOAL_S, 's'))


# -- the first run: throwaway clouds of their own ---------------------------
class FirstRun:
    """The throwaway clouds and caches of the cold and warm demos:
    ``<state dir>/first-run/{cold,warm,cache}``, at the measured cloud's base
    port + ``FIRST_RUN_PORT_SHIFT``; one cloud at a time."""

    def __init__(self, cloud, log, keep=False):
        self.root = os.path.join(cloud.state_dir, 'first-run')
        self.base_port = cloud.base_port + FIRST_RUN_PORT_SHIFT
        self.cache = None    # the cold demo's caches, warm once it ran
        self.log = log
        self.keep = keep

    def cloud(self, name):
        state_dir = os.path.join(self.root, name)
        if os.path.exists(state_dir):
            # a leftover of an interrupted run: its processes, then its files
            launcher(config.Cloud(state_dir, self.base_port), 'destroy',
                     log=self.log)
        return config.Cloud(state_dir=state_dir, base_port=self.base_port)

    def fresh_cache(self):
        self.cache = os.path.join(self.root, 'cache')
        shutil.rmtree(self.cache, ignore_errors=True)
        os.makedirs(self.cache)
        return self.cache_env()

    def cache_env(self):
        if not self.cache:
            return {}     # the user's own caches
        return {
            'UV_CACHE_DIR': os.path.join(self.cache, 'uv'),
            'PIP_CACHE_DIR': os.path.join(self.cache, 'pip'),
            'XDG_CACHE_HOME': self.cache,
        }

    def done_with(self, cloud):
        if self.keep:
            launcher(cloud, 'down', log=self.log)
            say('first run: left %s (stopped); --keep' % cloud.state_dir)
        else:
            launcher(cloud, 'destroy', log=self.log)

    def close(self):
        if not self.keep:
            shutil.rmtree(self.root, ignore_errors=True)


def _demo(first, cloud, env, what):
    since = os.path.getsize(first.log) if os.path.exists(first.log) else 0
    say('%s: tools/localcloud demo on the fresh state dir %s, base port %d'
        ' ...' % (what, cloud.state_dir, cloud.base_port))
    took, output_at = launcher(cloud, 'demo', log=first.log, env=env,
                               watch=DEMO_OUTPUT)
    if output_at is None:
        raise common.BenchmarkError(
            '%s: the demo never printed %r; see %s'
            % (what, DEMO_OUTPUT, first.log))
    steps = slowest_steps(first.log, since)
    say('%s: slowest steps: %s' % (what, '; '.join(
        '%s %.1f s' % step for step in steps) or 'none printed'))
    return round(output_at, 1), round(took, 1), steps


def cold_demo(first, results):
    """``tools/localcloud demo`` on a fresh state dir with empty uv and pip
    caches (``UV_CACHE_DIR``, ``PIP_CACHE_DIR``, ``XDG_CACHE_HOME`` in a fresh
    dir of its own); apt packages as the machine has them, apt lists not
    updated. Timed until the demo prints the execution's output."""
    cloud = first.cloud('cold')
    env = first.fresh_cache()
    try:
        output_at, took, steps = _demo(first, cloud, env, 'cold demo')
    finally:
        first.done_with(cloud)
    results['cold_demo_s'] = output_at
    results['cold_demo_exit_s'] = took
    results['cold_demo_steps'] = steps
    say('cold demo (fresh state dir, empty caches) to %r: %s; the command'
        ' exited at %.1f s (load %s)'
        % (DEMO_OUTPUT, common.goal(output_at, COLD_DEMO_GOAL_S, 's'), took,
           common.loadavg()))


def warm_demo(first, results):
    """``tools/localcloud demo`` on a second fresh state dir with warm caches
    (the cold demo's if it ran, else the user's own); then ``down`` and
    ``up``."""
    cloud = first.cloud('warm')
    env = first.cache_env()
    try:
        output_at, took, steps = _demo(first, cloud, env, 'warm demo')
        results['warm_demo_s'] = output_at
        results['warm_demo_exit_s'] = took
        results['warm_demo_steps'] = steps
        say('warm demo (second fresh state dir, %s caches) to %r: %s; the'
            ' command exited at %.1f s (load %s)'
            % ('the cold demo\'s' if first.cache else 'the user\'s',
               DEMO_OUTPUT, common.goal(output_at, WARM_DEMO_GOAL_S, 's'),
               took, common.loadavg()))
        took, _ = launcher(cloud, 'down', log=first.log, env=env)
        results['first_run_down_s'] = round(took, 1)
        took, _ = launcher(cloud, 'up', log=first.log, env=env)
        results['warm_demo_up_after_down_s'] = round(took, 1)
        say('up after down (the warm demo\'s cloud, state kept): %s; down'
            ' took %.1f s (load %s)'
            % (common.goal(round(took, 1), UP_AFTER_DOWN_GOAL_S, 's'),
               results['first_run_down_s'], common.loadavg()))
    finally:
        first.done_with(cloud)
