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

"""The Heat resource types of heat-qinling."""
from heat_qinling.resources import alias
from heat_qinling.resources import event_alarm
from heat_qinling.resources import function
from heat_qinling.resources import job
from heat_qinling.resources import runtime
from heat_qinling.resources import version
from heat_qinling.resources import webhook

MODULES = (function, webhook, version, alias, job, runtime, event_alarm)


def resource_mapping():
    mapping = {}
    for module in MODULES:
        mapping.update(module.resource_mapping())
    return mapping
