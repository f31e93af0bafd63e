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

"""Processes and CPUs: ``/proc/<pid>/stat``, the machine's CPU load, the
user the cloud runs as.

Standard library only: the Qinling runtime (in Qinling's venv) uses it.
"""
import collections
import os
import pwd
import threading
import time


def os_user():
    """The name of the user the cloud runs as (the services' processes and
    files belong to it)."""
    return pwd.getpwuid(os.getuid()).pw_name


ProcStat = collections.namedtuple('ProcStat', 'state ppid pgrp starttime')


def proc_stat(pid):
    """``ProcStat`` of ``pid`` from ``/proc/<pid>/stat``, or None if there is
    none.

    ``starttime`` (clock ticks after boot) tells a process from a later one
    that got the same PID.
    """
    try:
        with open('/proc/%d/stat' % pid) as f:
            data = f.read()
    except OSError:
        return None
    # the command name (field 2) may contain spaces and parens: split after its
    # last ')'
    fields = data[data.rindex(')') + 2:].split()
    return ProcStat(fields[0], int(fields[1]), int(fields[2]), int(fields[19]))


def proc_alive(stat):
    """Whether a ``proc_stat`` result is a live process (not a zombie, not
    gone)."""
    return stat is not None and stat.state not in ('Z', 'X')


def cpu_times(path='/proc/stat'):
    """(busy, total) clock ticks of all the machine's CPUs since boot."""
    with open(path) as f:
        ticks = [int(t) for t in f.readline().split()[1:9]]
    idle = ticks[3] + ticks[4]  # idle, iowait
    return sum(ticks) - idle, sum(ticks)


# warm-up work (a spare worker, a token fetched ahead) waits at most this long
IDLE_CPUS_TIMEOUT = 30.0


def wait_for_idle_cpus(busy_below=0.3, window=0.5, timeout=IDLE_CPUS_TIMEOUT,
                       stopped=None, read=cpu_times):
    """Wait until the machine's CPUs were busy less than ``busy_below`` (a
    fraction of all of them) over the last ``window`` seconds, for work that
    must not slow what users wait for. True once idle; False after
    ``timeout`` seconds or once the event ``stopped`` is set.
    """
    stopped = stopped or threading.Event()
    deadline = time.monotonic() + timeout
    before = read()
    while not stopped.wait(window):
        after = read()
        total = after[1] - before[1]
        if total > 0 and (after[0] - before[0]) / total < busy_below:
            return True
        if time.monotonic() >= deadline:
            return False
        before = after
    return False
