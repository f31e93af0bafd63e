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

"""The local cloud's Qinling: code that runs inside the Qinling venv, never in
the main venv's processes. (Named apart from Qinling's own "runtimes", the
function images.)

- ``api`` and ``engine``: launchers for the real qinling-api and qinling-engine
  5.0.0 (Python 3.11 shims, our orchestrator in place of Kubernetes).
- ``fixes``: changes to Qinling's behaviour the local cloud needs (trust
  tokens reused, workers started early, the live worker's shortcut, ...).
- ``instrumentation``: the benchmark's timing lines, silent until the
  benchmark asks (``tools/benchmark`` reads its switch-file name: that module
  is standard library only at import).
- ``orchestrator``: the local-process executor, a Qinling orchestrator plugin.
- ``worker``: one HTTP server per function version, playing Qinling's python3
  runtime.

Of the rest of ``localcloud`` only ``localcloud.util`` (standard library only)
is imported here; the worker uses only the standard library (plus
keystoneauth1, lazily, when the engine hands it trust credentials).
"""
