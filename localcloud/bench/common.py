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

"""What every part of the benchmark shares: where the cloud and the seed
are, how a line is printed, the load average next to each figure."""
import os

from localcloud import config

DEFAULT_BASE_PORT = 19000
# not under /tmp: stevedore keeps no entry-point cache for an interpreter there
# (localcloud/README.rst, "State dir"), and a user's cloud lives in the repo
DEFAULT_STATE_DIR = os.path.join(
    os.environ.get('XDG_CACHE_HOME') or os.path.expanduser('~/.cache'),
    'heat-qinling-benchmark')
LAUNCHER = os.path.join(config.REPO_DIR, 'tools', 'localcloud')
SEED = os.path.join(
    config.REPO_DIR, 'templates', 'function-webhook-event-alarm.yaml'
)
# a compute.instance.* type of the benchmark's own: Ceilometer converts it
# as a Nova event, and no other alarm (the demo's) fires on it
BENCH_EVENT = 'compute.instance.benchmark.end'


class BenchmarkError(Exception):
    """A part cannot go on; the message says why (the CLI prints it and
    exits 1)."""


def say(msg):
    print('benchmark: %s' % msg, flush=True)


def loadavg():
    with open('/proc/loadavg') as f:
        return ' '.join(f.read().split()[:3])


def goal(value, limit, unit):
    """'<value> <unit> (goal <= <limit> <unit>: met)' for a figure with an
    upper bound."""
    return '%s %s (goal <= %s %s: %s)' % (
        value, unit, limit, unit, 'met' if value <= limit else 'NOT met')
