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

"""templates/examples/blue-green.yaml on Heat's engine: each code change
publishes a version, promotion and roll-back are a one-parameter update, and
the webhook URL the event alarm calls never changes."""
from heat.engine import service
from heat.engine import stack as heat_stack

from tests.unit import base

NAME = 'examples/blue-green.yaml'
V2_CODE = "def main(name='World', **kwargs):\n    return 'Hi, %s' % name\n"


def template(code=None):
    """The example; ``code``, if given, replaces its function's code."""
    tmpl = base.read_template(NAME)
    if code is not None:
        tmpl['resources']['function']['properties']['files'] = {
            'hello_world.py': code}
    return tmpl


class BlueGreenTest(base.QinlingStackTestCase):

    def stack(self, params=None, code=None):
        return self.parse_stack(template(code), params=params, name='bg')

    def update(self, stk, params=None, code=None):
        # Later updates on a freshly loaded stack, as heat-engine does:
        # Heat's legacy engine cannot update one Stack object twice after a
        # replacement with depends_on.
        if stk.action == stk.UPDATE:
            stk = heat_stack.Stack.load(self.ctx, stack_id=stk.id)
        stk.update(self.stack(params, code))
        self.assertCompletes(stk, stk.UPDATE)
        return stk

    def outputs(self, stk):
        # What the outputs show, read from the fake (the e2e tests read the
        # outputs themselves).
        url = self.qinling.url + '/v1/webhooks/%s/invoke'
        alias = stk['live'].resource_id
        return {
            'webhook_url': url % stk['webhook'].resource_id,
            'candidate_url': url % stk['candidate_webhook'].resource_id,
            'latest_version': int(stk['release'].resource_id.split('/')[1]),
            'live_version': self.qinling.aliases[alias]['function_version'],
            'alias_name': alias,
            'function_id': stk['function'].resource_id,
        }

    def test_template_validates_with_defaults_and_writes_nothing(self):
        self.stack().validate()
        self.assertEqual([], self.qinling.write_requests())
        self.assertEqual([], self.aodh.write_requests())

    def test_engine_validation_returns_the_form(self):
        tmpl = base.read_template(NAME)
        result = service.EngineService('a-host', 'a-topic').validate_template(
            self.ctx, tmpl, files={})
        self.assertNotIn('Error', result)
        live = result['Parameters']['live_version']
        self.assertEqual((1, 0, 'Live version'),
                         (live['Default'], live['MinValue'], live['Label']))
        for param, schema in tmpl['parameters'].items():
            self.assertTrue(schema.get('description'), param)
            self.assertTrue(schema.get('constraints'), param)
        self.assertEqual(sorted(tmpl['parameters']), sorted(
            p for g in tmpl['parameter_groups'] for p in g['parameters']))
        for output, schema in tmpl['outputs'].items():
            self.assertTrue(schema.get('description'), output)
        self.assertEqual([], self.qinling.write_requests())

    def test_publish_promote_roll_back_delete(self):
        stk = self.create(self.stack())
        out = self.outputs(stk)
        fid, alias = out['function_id'], out['alias_name']
        self.assertEqual((1, 1), (out['latest_version'],
                                  out['live_version']))
        self.assertEqual({'function_id': fid, 'function_version': 1},
                         {k: self.qinling.aliases[alias][k]
                          for k in ('function_id', 'function_version')})
        [alarm] = self.aodh.alarms.values()
        self.assertEqual([out['webhook_url']], alarm['alarm_actions'])
        self.assertTrue(alarm['repeat_actions'])

        # New code: version 2 is published, version 1 stays live.
        stk = self.update(stk, code=V2_CODE)
        after = self.outputs(stk)
        self.assertEqual((2, 1), (after['latest_version'],
                                  after['live_version']))
        self.assertEqual([(fid, 1), (fid, 2)], sorted(self.qinling.versions))
        self.assertEqual(out['webhook_url'], after['webhook_url'])
        self.assertEqual(out['candidate_url'], after['candidate_url'])
        candidate = after['candidate_url'].split('/')[-2]
        self.assertEqual(2, self.qinling.webhooks[candidate][
            'function_version'])

        # Promote, then roll back: only the alias changes.
        for live in (2, 1):
            del self.qinling.requests[:]
            stk = self.update(stk, params={'live_version': live},
                              code=V2_CODE)
            self.assertEqual(live, self.outputs(stk)['live_version'])
            self.assertEqual(live, self.qinling.aliases[alias][
                'function_version'])
            self.assertEqual([('PUT', '/v1/aliases/' + alias, 200)],
                             self.qinling.write_requests())
            self.assertEqual(out['webhook_url'],
                             self.outputs(stk)['webhook_url'])

        stk = heat_stack.Stack.load(self.ctx, stack_id=stk.id)
        stk.delete()
        self.assertCompletes(stk, stk.DELETE)
        self.assertEqual({}, self.qinling.leftovers())
        self.assertEqual({}, self.qinling.versions)
        self.assertEqual({}, self.aodh.leftovers())

    def test_promoting_an_unpublished_version_fails_before_writing(self):
        stk = self.create(self.stack())
        del self.qinling.requests[:]
        stk.update(self.stack(params={'live_version': 5}))
        self.assertEqual((stk.UPDATE, stk.FAILED), stk.state)
        self.assertIn('has no version 5 (its versions: 1)',
                      stk.status_reason)
        self.assertEqual([], self.qinling.write_requests())
