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

"""OS::Qinling::Runtime on Heat's engine against the fake Qinling: its
lifecycle and the traps of Qinling 5.0.0's runtime API."""
import fixtures
from oslo_config import fixture as config_fixture
from oslotest import base as oslotest_base

from heat.common import exception
from heat.common import policy
from heat.tests import utils

from tests.unit import base

IMAGE = 'openstackqinling/python3-runtime'


def runtime_template(with_function=False, **props):
    rt = {'image': IMAGE}
    rt.update(props)
    tmpl = {
        'heat_template_version': '2018-08-31',
        'resources': {'rt': {'type': 'OS::Qinling::Runtime',
                             'properties': rt}},
    }
    if with_function:
        tmpl['resources']['fn'] = {
            'type': 'OS::Qinling::Function',
            'properties': {'runtime': {'get_resource': 'rt'},
                           'entry': 'main.main',
                           'files': {'main.py': 'def main():\n    pass\n'}}}
    return tmpl


class RuntimeTest(base.QinlingStackTestCase):

    def rt_stack(self, **props):
        return self.parse_stack(runtime_template(**props), name='rts')

    def runtime(self, stk):
        return self.qinling.runtimes[stk['rt'].resource_id]

    def test_create_waits_for_available(self):
        stk = self.create(self.rt_stack(description='d', is_public=False,
                                        trusted=False))
        runtime = self.runtime(stk)
        self.assertEqual(('available', IMAGE, 'd', False, False),
                         (runtime['status'], runtime['image'],
                          runtime['description'], runtime['is_public'],
                          runtime['trusted']))
        self.assertTrue(runtime['name'].startswith('rts-rt-'))
        self.assertEqual('available', stk['rt'].FnGetAtt('status'))

    def test_function_on_the_new_runtime(self):
        stk = self.create(self.rt_stack(with_function=True))
        fn = self.qinling.functions[stk['fn'].resource_id]
        self.assertEqual(stk['rt'].resource_id, fn['runtime_id'])
        stk.delete()
        self.assertCompletes(stk, stk.DELETE)
        self.assertEqual([self.runtime_id], list(self.qinling.runtimes))

    def test_create_fails_when_runtime_goes_to_error(self):
        self.qinling.runtime_outcome = 'error'
        stk = self.rt_stack(image='not/a-runtime')
        stk.store()
        stk.create()
        self.assertEqual((stk.CREATE, stk.FAILED), stk.state)
        self.assertIn('could not set up image not/a-runtime',
                      stk.status_reason)

    def test_image_update_waits_for_available(self):
        stk = self.create(self.rt_stack())
        runtime_id = stk['rt'].resource_id
        stk.update(self.rt_stack(image='other/python3', name='renamed'))
        self.assertCompletes(stk, stk.UPDATE)
        self.assertEqual(runtime_id, stk['rt'].resource_id)
        self.assertEqual(('other/python3', 'renamed', 'available'),
                         (self.runtime(stk)['image'],
                          self.runtime(stk)['name'],
                          self.runtime(stk)['status']))

    def test_image_rolled_back_fails_the_update(self):
        stk = self.create(self.rt_stack())
        self.qinling.runtime_outcome = 'error'
        stk.update(self.rt_stack(image='not/a-runtime'))
        self.assertEqual((stk.UPDATE, stk.FAILED), stk.state)
        self.assertIn('to image not/a-runtime and kept %s'
                      % IMAGE, stk.status_reason)

    def test_image_update_with_functions_names_them(self):
        stk = self.create(self.rt_stack())
        fn = self.create(self.parse_stack({
            'heat_template_version': '2018-08-31',
            'resources': {'fn': {'type': 'OS::Qinling::Function',
                                 'properties': {
                                     'runtime': stk['rt'].resource_id,
                                     'entry': 'main.main',
                                     'files': {'main.py': 'x = 1\n'}}}}},
            name='user'))['fn'].resource_id
        stk.update(self.rt_stack(image='other/python3'))
        self.assertEqual((stk.UPDATE, stk.FAILED), stk.state)
        self.assertIn('still used by function(s) %s' % fn,
                      stk.status_reason)
        self.assertIn('cannot be given a new image', stk.status_reason)

    def test_replaced_on_is_public_or_trusted(self):
        stk = self.create(self.rt_stack())
        old = stk['rt'].resource_id
        stk.update(self.rt_stack(is_public=False))
        self.assertCompletes(stk, stk.UPDATE)
        self.assertNotEqual(old, stk['rt'].resource_id)
        self.assertNotIn(old, self.qinling.runtimes)

    def test_delete_refused_while_functions_use_it(self):
        stk = self.create(self.rt_stack())
        runtime_id = stk['rt'].resource_id
        fn = self.add_function('user')
        self.qinling.functions[fn]['runtime_id'] = runtime_id
        stk.delete()
        self.assertEqual((stk.DELETE, stk.FAILED), stk.state)
        self.assertIn('still used by function(s) %s' % fn,
                      stk.status_reason)
        del self.qinling.functions[fn]
        stk.delete()
        self.assertCompletes(stk, stk.DELETE)
        self.assertEqual([self.runtime_id], list(self.qinling.runtimes))

    def test_check_and_live_state(self):
        stk = self.create(self.rt_stack(description='d'))
        rsrc = stk['rt']
        self.assertEqual({'description': 'd', 'image': IMAGE,
                          'is_public': True, 'trusted': True},
                         rsrc.get_live_state(rsrc.properties))
        stk.check()
        self.assertEqual((stk.CHECK, stk.COMPLETE), stk.state)
        self.runtime(stk)['status'] = 'error'
        stk.check()
        self.assertFailsWith(stk, stk.CHECK, '"error", not "available"')


class RuntimePolicyTest(oslotest_base.BaseTestCase):
    """What heat-engine checks before it creates or updates a stack."""

    def setUp(self):
        super().setUp()
        empty = self.useFixture(fixtures.TempDir()).path
        self.useFixture(config_fixture.Config()).conf(
            args=['--config-dir', empty])

    def test_only_admins_may_use_the_type(self):
        enforcer = policy.ResourceEnforcer()
        member = utils.dummy_context(roles=['member', 'reader'])
        ex = self.assertRaises(exception.Forbidden, enforcer.enforce,
                               member, 'OS::Qinling::Runtime',
                               is_registered_policy=True)
        self.assertIn('OS::Qinling::Runtime', str(ex))
        admin = utils.dummy_context(roles=['admin', 'member', 'reader'])
        self.assertTrue(enforcer.enforce(admin, 'OS::Qinling::Runtime',
                                         is_registered_policy=True))
        # The plugin's other types stay open to members.
        self.assertTrue(enforcer.enforce(member, 'OS::Qinling::Job',
                                         is_registered_policy=True))
