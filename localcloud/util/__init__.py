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

"""Helpers of the local cloud, one module per concern:

- ``steps``: timed steps (``say``, ``step``, ``timings``) and short
  commands (``run``);
- ``probes``: does a port or a URL answer (``tcp_open``, ``http_status``);
- ``files``: atomic writes, ini rendering, markers, locks;
- ``proc``: ``/proc/<pid>/stat``, CPU load, the user the cloud runs as;
- ``apt``: Debian packages;
- ``venv``: venvs and what goes into them.

Standard library only: ``qinling_local`` (in Qinling's venv) imports
``files`` and ``proc``. The names below are those it (and the benchmark and
the browser tests) reached as ``util.<name>`` before the split; they stay
importable from here until those callers import the modules above.
"""
from localcloud.util.apt import ensure_apt  # noqa: F401
from localcloud.util.files import write_file  # noqa: F401
from localcloud.util.proc import IDLE_CPUS_TIMEOUT  # noqa: F401
from localcloud.util.proc import proc_alive  # noqa: F401
from localcloud.util.proc import proc_stat  # noqa: F401
from localcloud.util.proc import wait_for_idle_cpus  # noqa: F401
