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

"""OS::Qinling::EventAlarm on Heat's engine: a query Aodh's event evaluator
cannot use is refused by template validation, stack validation, create and
update, before anything reaches Aodh; a good one makes the same alarm as
OS::Aodh::EventAlarm; and the operator's opt-in (OS::Aodh::EventAlarm
mapped to it) checks raw alarms the same way."""
import copy
import json

from heat.engine import service
import testscenarios

from tests.unit import base

load_tests = testscenarios.load_tests_apply_scenarios

EVENT_TRIGGER = 'triggers/event.yaml'
GOOD = [{'field': 'traits.size', 'op': 'ge', 'type': 'integer',
         'value': '10'}]
BAD_QUERIES = [
    ('boolean', dict(
        query=[{'field': 'traits.is_public', 'op': 'eq', 'type': 'boolean',
                'value': 'true'}],
        fragments=['properties.query', 'query[0] (traits.is_public)',
                   'type "boolean" silences every event alarm',
                   'use type string'])),
    ('field without traits.', dict(
        query=[{'field': 'display_name', 'op': 'eq', 'value': 'web1'}],
        fragments=['properties.query', 'not a trait',
                   '"traits.display_name"'])),
    ('unknown op', dict(
        query=[{'field': 'traits.size', 'op': 'like', 'type': 'integer',
                'value': '1'}],
        fragments=['query[0].op', '"like" is not an allowed value',
                   '["le", "ge", "eq", "lt", "gt", "ne"]'])),
    ('datetime', dict(
        query=[{'field': 'traits.launched_at', 'op': 'gt',
                'type': 'datetime', 'value': '2026-01-01T00:00:00'}],
        fragments=['type "datetime"'])),
    ('integer that is not', dict(
        query=[{'field': 'traits.size', 'op': 'ge', 'type': 'integer',
                'value': 'ten'}],
        fragments=['value "ten" is not a number of type integer'])),
]
RAW_ALARM = {
    'heat_template_version': '2018-08-31',
    'resources': {'alarm': {
        'type': 'OS::Aodh::EventAlarm',
        'properties': {'event_type': 'compute.instance.create.end',
                       'query': BAD_QUERIES[0][1]['query']}}},
}
OPT_IN = {'resource_registry': {
    'OS::Aodh::EventAlarm': 'OS::Qinling::EventAlarm'}}


class EventTriggerTestCase(base.QinlingStackTestCase):

    def setUp(self):
        super().setUp()
        self.function_id = self.add_function('existing-fn')

    def params(self, query):
        return {'function': 'existing-fn',
                'event_type': 'volume.create.end',
                'query': json.dumps(query)}

    def trigger(self, query, name='trigger'):
        return self.parse_stack(base.read_template(EVENT_TRIGGER),
                                params={'parameters': self.params(query)},
                                name=name)


class BadQueryTest(EventTriggerTestCase):
    """Each query Aodh cannot use fails every validation, naming it."""

    scenarios = BAD_QUERIES

    def test_template_validate_refuses_it(self):
        # openstack orchestration template validate --parameter query=...
        engine = service.EngineService('a-host', 'a-topic')
        result = engine.validate_template(
            self.ctx, base.read_template(EVENT_TRIGGER),
            params={'parameters': self.params(self.query)})
        self.assertIn('Error', result)
        for fragment in self.fragments:
            self.assertIn(fragment, result['Error'])
        self.assertEqual([], self.qinling.write_requests())
        self.assertEqual([], self.aodh.write_requests())

    def test_stack_validation_refuses_it(self):
        # what stack create and preview run before they create anything
        self.assertValidationFails(self.trigger(self.query), *self.fragments)

    def test_update_to_it_is_refused_and_keeps_the_alarm(self):
        stk = self.create(self.trigger(GOOD))
        [alarm_id] = self.aodh.alarms
        del self.aodh.requests[:]
        stk.update(self.trigger(self.query))
        self.assertFailsWith(stk, stk.UPDATE, self.fragments[-1])
        self.assertEqual([], self.aodh.write_requests())
        self.assertEqual(
            GOOD, self.aodh.alarms[alarm_id]['event_rule']['query'])
        # the next good update brings the stack back, same alarm
        stk.update(self.trigger(GOOD + GOOD))
        self.assertCompletes(stk, stk.UPDATE)
        self.assertEqual([alarm_id], list(self.aodh.alarms))


class GoodQueryTest(EventTriggerTestCase):

    def test_creates_the_alarm_aodh_would(self):
        stk = self.create(self.trigger(GOOD))
        [alarm] = self.aodh.alarms.values()
        self.assertEqual('event', alarm['type'])
        self.assertEqual({'event_type': 'volume.create.end', 'query': GOOD},
                         alarm['event_rule'])
        self.assertEqual('OS::Qinling::EventAlarm', stk['alarm'].type())
        self.assertEqual(alarm['alarm_id'],
                         stk.outputs['alarm_id'].get_value())

    def test_query_known_only_at_create_is_checked_then(self):
        # a value from another resource is unknown when the stack is
        # validated: the check runs again before the alarm is written
        tmpl = copy.deepcopy(base.read_template(EVENT_TRIGGER))
        tmpl['resources']['alarm']['properties']['query'] = [{
            'field': 'traits.function', 'op': 'eq', 'type': 'boolean',
            'value': {'get_attr': ['webhook', 'function_id']}}]
        stk = self.parse_stack(
            tmpl, params={'parameters': self.params([])})
        stk.validate()
        stk.store()
        stk.create()
        self.assertFailsWith(stk, stk.CREATE, 'type "boolean"')
        self.assertEqual([], self.aodh.write_requests())


class OperatorOptInTest(base.QinlingStackTestCase):
    """Raw OS::Aodh::EventAlarm resources, with and without the opt-in."""

    def test_heat_alone_lets_the_silencing_query_reach_aodh(self):
        # why the opt-in exists: Heat and Aodh's API accept it
        stk = self.parse_stack(copy.deepcopy(RAW_ALARM))
        stk.validate()
        self.create(stk)
        [alarm] = self.aodh.alarms.values()
        self.assertEqual('boolean', alarm['event_rule']['query'][0]['type'])

    def test_mapped_type_refuses_it_before_aodh(self):
        stk = self.parse_stack(copy.deepcopy(RAW_ALARM), params=OPT_IN)
        self.assertValidationFails(stk, 'resources.alarm.properties.query',
                                   'type "boolean"')

    def test_mapped_type_creates_good_alarms(self):
        tmpl = copy.deepcopy(RAW_ALARM)
        tmpl['resources']['alarm']['properties']['query'] = GOOD
        stk = self.create(self.parse_stack(tmpl, params=OPT_IN))
        self.assertEqual('OS::Aodh::EventAlarm', stk['alarm'].type())
        [alarm] = self.aodh.alarms.values()
        self.assertEqual(GOOD, alarm['event_rule']['query'])
