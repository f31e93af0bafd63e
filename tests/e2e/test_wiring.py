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

"""The two ways README shows to put a webhook into an alarm's actions, on
Heat's default (convergence) engine: ``{get_attr: [hook, webhook_url]}`` (the
seed template, tests/e2e/test_seed_chain.py) and the bare resource name with
``depends_on``, resolved through the webhook's hidden ``AlarmUrl`` attribute,
at create and at an update that changes the actions."""
import os

import fixtures

from tests.e2e import base

BARE = '''\
heat_template_version: 2018-08-31
resources:
  function:
    type: OS::Qinling::Function
    properties:
      runtime: python3
      entry: hello_world.main
      files:
        hello_world.py: |
          def main(name='World', **kwargs):
              return 'Hello, %s' % name
  hook:
    type: OS::Qinling::Webhook
    properties: {function: {get_resource: function}}
  alarm:
    type: OS::Aodh::EventAlarm
    depends_on: [hook]
    properties:
      event_type: compute.instance.create.end
      alarm_actions: [hook]
outputs:
  function_id: {value: {get_resource: function}}
  alarm_id: {value: {get_resource: alarm}}
  webhook_url: {value: {get_attr: [hook, webhook_url]}}
'''
# The update: a second webhook, named in the actions too.
BARE_TWO_HOOKS = (BARE.replace('''  alarm:
''', '''  hook2:
    type: OS::Qinling::Webhook
    properties: {function: {get_resource: function}}
  alarm:
''').replace('depends_on: [hook]', 'depends_on: [hook, hook2]')
    .replace('alarm_actions: [hook]', 'alarm_actions: [hook, hook2]')
    + '''  webhook2_url: {value: {get_attr: [hook2, webhook_url]}}
''')


class BareNameWiringTest(base.E2ETestCase):

    def test_bare_name_resolves_at_create_and_update(self):
        tmp = self.useFixture(fixtures.TempDir()).path
        path, path2 = os.path.join(tmp, 'bare.yaml'), os.path.join(
            tmp, 'bare2.yaml'
        )
        for name, text in ((path, BARE), (path2, BARE_TWO_HOOKS)):
            with open(name, 'w') as f:
                f.write(text)
        stack = self.create_stack('e2e-bare', path=path)
        out = self.outputs(stack)
        alarm = self.aodh.alarm.get(out['alarm_id'])
        self.assertEqual([out['webhook_url']], alarm['alarm_actions'])

        # an update that changes the actions resolves the names again
        stack = self.update_stack(stack, path=path2)
        out = self.outputs(stack)
        self.assertTrue(out['webhook2_url'])
        alarm = self.aodh.alarm.get(out['alarm_id'])
        self.assertEqual(sorted([out['webhook_url'], out['webhook2_url']]),
                         sorted(alarm['alarm_actions']))

        self.wait_until_alarms_cached()
        self.emit('compute.instance.create.end', name='bare')
        # one POST per action: both webhooks run the function
        executions = self.wait_for_executions(out['function_id'], 2)
        for execution in executions:
            self.assertSucceeded(execution, 'Hello, World')
