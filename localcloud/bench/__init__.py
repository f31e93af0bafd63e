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

"""``tools/benchmark``: figures of the local cloud and the plugin.

- ``cli``: the command line (parts, options, the table of goals);
- ``common``: paths, printing, the load average, the goal format;
- ``machine``: what the figures were measured on;
- ``logs``: the parsers of the cloud's logs (qinling-api's access log,
  heat-engine's stack timeline, the ``localcloud-timing`` lines);
- ``templates``: the HOT templates the stacks part creates;
- one module per part: ``firstrun`` (cold and warm demo, up after down, cold
  and warm up, demo), ``openstack_cli``, ``stacks``, ``latency``, ``memory``.

``python -m localcloud.bench`` runs ``cli.main``.
"""
