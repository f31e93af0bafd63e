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

"""An alarm that names a webhook resource in its actions (``alarm_actions:
[hook]`` with ``depends_on``) on the stack objects heat-engine's convergence
engine builds: resources made from the template, without a resource_id, plus
the node data of what they depend on."""
from heat.engine import stack as heat_stack

from tests.unit import base

BARE = {
    'heat_template_version': '2018-08-31',
    'resources': {
        'function': {
            'type': 'OS::Qinling::Function',
            'properties': {
                'runtime': 'python3', 'entry': 'hello_world.main',
                'files': {'hello_world.py': 'def main(**kw):\n    pass\n'}}},
        'hook': {
            'type': 'OS::Qinling::Webhook',
            'properties': {'function': {'get_resource': 'function'}}},
        'alarm': {
            'type': 'OS::Aodh::EventAlarm',
            'depends_on': ['hook'],
            'properties': {'event_type': 'compute.instance.create.end',
                           'alarm_actions': ['hook']}},
    },
}


class BareNameWiringTest(base.QinlingStackTestCase):

    def test_alarm_url_resolves_without_a_loaded_resource_id(self):
        stk = self.create(self.parse_stack(BARE, name='bare'))
        [webhook] = self.qinling.webhooks.values()
        url = '%s/v1/webhooks/%s/invoke' % (self.qinling.url, webhook['id'])
        [alarm] = self.aodh.alarms.values()
        self.assertEqual([url], alarm['alarm_actions'])

        # What the alarm's worker gets: the webhook's node data only.
        worker_stack = heat_stack.Stack.load(
            self.ctx, stack_id=stk.id,
            cache_data={'hook': stk['hook'].node_data()})
        hook = worker_stack['hook']
        self.assertIsNone(hook.resource_id)
        self.assertEqual(url, hook.FnGetAtt('AlarmUrl'))
        self.assertEqual(
            [url], worker_stack['alarm'].actions_to_urls(
                {'alarm_actions': ['hook']})['alarm_actions'])

    def test_alarm_url_of_a_webhook_not_created_is_none(self):
        stk = self.parse_stack(BARE, name='bare-new')
        stk.store()
        worker_stack = heat_stack.Stack.load(self.ctx, stack_id=stk.id,
                                             cache_data={})
        self.assertIsNone(worker_stack['hook'].FnGetAtt('AlarmUrl'))
        self.assertEqual([], self.qinling.requests)
