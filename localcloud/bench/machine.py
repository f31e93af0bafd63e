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

"""The machine the figures were measured on."""
import os
import platform
import time


def machine():
    """nproc, RAM, CPU model, Python, OS: what the figures were measured on."""
    cpu = '?'
    try:
        with open('/proc/cpuinfo') as f:
            cpu = next(
                line.split(':', 1)[1].strip()
                for line in f
                if line.startswith('model name')
            )
    except (OSError, StopIteration):
        pass
    mem_kib = 0
    with open('/proc/meminfo') as f:
        for line in f:
            if line.startswith('MemTotal:'):
                mem_kib = int(line.split()[1])
    os_name = platform.platform()
    try:
        with open('/etc/os-release') as f:
            fields = dict(line.rstrip().split('=', 1) for line in f
                          if '=' in line)
            os_name = fields['PRETTY_NAME'].strip('"')
    except (OSError, KeyError):
        pass
    return {
        'nproc': os.cpu_count(),
        'ram_gib': round(mem_kib / 1024 / 1024, 1),
        'cpu': cpu,
        'cpu_reference_s': cpu_reference(),
        'python': platform.python_version(),
        'os': os_name,
        'kernel': platform.release(),
    }


def cpu_reference():
    """CPU seconds of a fixed pure-Python loop (best of three): the same
    machine class runs faster or slower from one day to the next (other
    tenants of the host), and every figure here scales with it."""
    best = None
    for _ in range(3):
        started = time.process_time()
        total = 0
        for i in range(2000000):
            total += i * i
        took = time.process_time() - started
        best = took if best is None else min(best, took)
    return round(best, 3)
