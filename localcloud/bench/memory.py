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

"""Part ``memory``: resident memory of every recorded process and its
children, against the 2 GiB the whole cloud may use."""
import os

from localcloud.bench import common
from localcloud import util

say = common.say


def _children_map():
    children = {}
    for entry in os.listdir('/proc'):
        stat = util.proc_stat(int(entry)) if entry.isdigit() else None
        if stat is not None:
            children.setdefault(stat.ppid, []).append(int(entry))
    return children


def _memory_kib(pid):
    """(RSS, PSS) of one process in KiB.

    RSS counts every page a process maps, so the pages that forked workers
    share with their parent (heat-engine, Keystone, Aodh, Horizon, gunicorn)
    are counted once per process; PSS splits each shared page among its
    sharers, so the PSS of all processes adds up to the memory they really
    occupy.
    """
    rss = pss = 0
    try:
        with open('/proc/%d/smaps_rollup' % pid) as f:
            for line in f:
                if line.startswith('Rss:'):
                    rss = int(line.split()[1])
                elif line.startswith('Pss:'):
                    pss = int(line.split()[1])
    except OSError:
        pass
    return rss, pss


MEMORY_GOAL_MIB = 2048


def trees(cloud):
    """[(service name, process name, [PIDs])]: every recorded process that
    runs, with its descendants."""
    sup = cloud.supervisor
    children = _children_map()
    found = []
    for service in cloud.services():
        for proc in service.processes(cloud):
            pid = sup.running(proc.name)
            if not pid:
                continue
            tree, todo = [], [pid]
            while todo:
                p = todo.pop()
                tree.append(p)
                todo += children.get(p, [])
            found.append((service.name, proc.name, tree))
    return found


def cpu_seconds(pid):
    """User + system CPU seconds of ``pid`` and of its children it waited
    for (a worker's execution children), or 0 if it is gone."""
    try:
        with open('/proc/%d/stat' % pid) as f:
            data = f.read()
    except OSError:
        return 0.0
    fields = data[data.rindex(')') + 2:].split()
    return sum(int(t) for t in fields[11:15]) / os.sysconf('SC_CLK_TCK')


def run(cloud, results):
    """RSS and PSS of every recorded process plus its descendants, per service
    and in total."""
    rows, total_rss, total_pss = [], 0, 0
    for service_name, proc_name, tree in trees(cloud):
        sizes = [_memory_kib(p) for p in tree]
        rss = sum(r for r, _ in sizes) / 1024
        pss = sum(p for _, p in sizes) / 1024
        total_rss += rss
        total_pss += pss
        rows.append({'service': service_name, 'process': proc_name,
                     'processes': len(tree), 'rss_mib': round(rss),
                     'pss_mib': round(pss)})
        say(
            'memory: %-9s %-15s %2d process(es) RSS %5.0f MiB, PSS'
            ' %5.0f MiB' % (service_name, proc_name, len(tree), rss, pss)
        )
    results['memory'] = {
        'total_mib': round(total_pss),
        'total_pss_mib': round(total_pss),
        'total_rss_mib': round(total_rss),
        'processes': rows,
    }
    say(
        'memory: the whole cloud occupies %.0f MiB (sum of PSS; %d processes;'
        ' the goal: at most %d MiB); the sum of their RSS, which counts pages'
        ' shared by forked workers once per process, is %.0f MiB'
        % (total_pss, sum(r['processes'] for r in rows), MEMORY_GOAL_MIB,
           total_rss)
    )
