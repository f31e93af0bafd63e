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

"""OS::Qinling::EventAlarm."""
from heat.engine import function
from heat.engine.resources.openstack.aodh import alarm as aodh_alarm
from heat.engine import support

from heat_qinling import event_query
from heat_qinling.resources import validation


class EventAlarm(validation.ValuesValidatedEarly, aodh_alarm.EventAlarm):
    """An OS::Aodh::EventAlarm whose query Aodh's event evaluator can use.

    The same properties and attributes as ``OS::Aodh::EventAlarm``, and the
    same alarm in Aodh. What differs: template validation, preview and
    create refuse, before Aodh sees it, a query that Heat and Aodh's API
    accept but Aodh's event evaluator cannot use: a condition of type
    ``boolean`` (while an alarm with one exists, Aodh evaluates no event of
    its project, so every event alarm of the project stays silent), a
    ``field`` that is not ``traits.<name>`` (the alarm would never fire),
    type ``datetime`` or a value that is not a number of its type (Aodh's
    API refuses them once the other resources exist). The message names the
    condition and what to write instead.

    The trigger templates of heat-qinling use it for the queries users
    write. An operator can have every ``OS::Aodh::EventAlarm`` of the cloud
    checked so, by mapping that type to this one in Heat's global
    environment (``environment_dir``)::

      resource_registry:
        "OS::Aodh::EventAlarm": "OS::Qinling::EventAlarm"

    After a refused update the alarm is left as it was; the next good
    update changes it in place (it is replaced only if it is gone).
    """

    support_status = support.SupportStatus(version='1.0.0')

    def validate_values(self):
        if self._query_depends_on_new_resources():
            return  # checked again at create, when it is known
        self._check_query(self.properties[self.QUERY])

    def _query_depends_on_new_resources(self):
        snippet = self.t.properties(self.properties_schema,
                                    self.context).data.get(self.QUERY)
        return any(rsrc.action == rsrc.INIT
                   for rsrc in function.dependencies(snippet))

    def _check_query(self, query):
        found = event_query.problems(query)
        if found:
            raise self.property_error(self.QUERY, ' '.join(found))

    def needs_replace_failed(self):
        # A refused query leaves the alarm as it was in Aodh: the next good
        # update changes it in place. Replace it only when it is gone.
        if not self.resource_id:
            return True
        with self.client_plugin().ignore_not_found:
            self._show_resource()
            return False
        return True

    def handle_create(self):
        self._check_query(self.properties[self.QUERY])
        return super(EventAlarm, self).handle_create()

    def handle_update(self, json_snippet, tmpl_diff, prop_diff):
        if self.QUERY in prop_diff:
            self._check_query(prop_diff[self.QUERY])
        return super(EventAlarm, self).handle_update(json_snippet, tmpl_diff,
                                                     prop_diff)


def resource_mapping():
    return {'OS::Qinling::EventAlarm': EventAlarm}
