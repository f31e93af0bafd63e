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

"""Part ``cli``: start-up of the ``openstack`` CLI users get from
``tools/localcloud env`` (client venv), and what it prints on stderr."""
import os
import resource
import statistics
import subprocess
import time

from localcloud.bench import common

say = common.say

# earlier rounds' goal for ``openstack --version`` (the CLI's start-up)
VERSION_GOAL_S = 1.5
loadavg = common.loadavg


def timed_cli(cloud, argv):
    """Seconds a CLI command of the client venv takes, and its stderr."""
    from localcloud import clients
    env = dict(os.environ)
    for key in [k for k in env if k.startswith('OS_')]:
        del env[key]
    env.update(clients.cli_env(cloud))
    env['PATH'] = (
        os.path.dirname(cloud.client_bin('openstack'))
        + os.pathsep
        + env['PATH']
    )
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.monotonic()
    proc = subprocess.run(
        argv, env=env, stdin=subprocess.DEVNULL, capture_output=True, text=True
    )
    took = time.monotonic() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if proc.returncode:
        raise common.BenchmarkError(
            '%s failed: %s' % (' '.join(argv), proc.stderr[-2000:])
        )
    cpu = (after.ru_utime - before.ru_utime) + (
        after.ru_stime - before.ru_stime
    )
    return took, proc.stderr, cpu


def run(cloud, results):
    """Start-up of the `openstack` CLI users get from `tools/localcloud
    env`."""
    rows = {}
    for argv in (['openstack', '--version'], ['openstack', 'stack', 'list'],
                 ['openstack', 'function', 'list']):
        times, cpus, warnings = [], [], ''
        for _ in range(3):
            took, stderr, cpu = timed_cli(cloud, argv)
            times.append(took)
            cpus.append(cpu)
            warnings = warnings or stderr.strip()
        rows[' '.join(argv)] = {
            'median_s': round(statistics.median(times), 2),
            'cpu_median_s': round(statistics.median(cpus), 2),
            'stderr': warnings[:200],
        }
        # CPU time (user + system) is what the command costs on an idle
        # machine, where it runs without waiting for a core
        say(
            'cli: `%s`: median of 3 %.2f s wall, %.2f s CPU; stderr: %s'
            ' (load %s)'
            % (
                ' '.join(argv),
                statistics.median(times),
                statistics.median(cpus),
                repr(warnings[:200]) if warnings else 'empty',
                loadavg(),
            )
        )
    results['cli'] = rows
