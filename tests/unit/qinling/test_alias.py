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


"""OS::Qinling::Alias on Heat's engine against the fake Qinling: the
schema rules, and the traps of the real server (Qinling 5.0.0) caught
before any write."""
from tests.unit.qinling import common


class AliasTestCase(common.VersionsTestCase):

    def setUp(self):
        super().setUp()
        # An outside function with versions 1 and 2.
        self.function_id = self.outside_function()
        self.publish(self.function_id, 'a = 1\n')
        self.publish(self.function_id, 'a = 2\n')
        del self.qinling.requests[:]

    def alias_template(self, **props):
        props.setdefault('function', self.function_id)
        return common.stack_template(
            {'alias': {'type': 'OS::Qinling::Alias', 'properties': props}})


class AliasNameRulesTest(AliasTestCase):

    scenarios = [
        ('slash', dict(alias_name='a/b', fragment='letters, digits')),
        ('of_256', dict(alias_name='x' * 256, fragment='255')),
        ('empty', dict(alias_name='', fragment='min: 1')),
    ]

    def test_name_rules(self):
        stk = self.parse_stack(self.alias_template(name=self.alias_name))
        self.assertValidationFails(stk, 'properties.name', self.fragment)


class AliasTest(AliasTestCase):

    def test_create_with_generated_name_and_attributes(self):
        stk = self.create(self.parse_stack(self.alias_template(
            function_version=1, description='live')))
        alias = stk['alias']
        self.assertTrue(alias.resource_id.startswith('seed-alias-'))
        stored = self.qinling.aliases[alias.resource_id]
        self.assertEqual((self.function_id, 1, 'live'),
                         (stored['function_id'], stored['function_version'],
                          stored['description']))
        self.assertEqual((alias.resource_id, stored['id'], self.function_id,
                          1, 'live'),
                         tuple(alias.FnGetAtt(a) for a in (
                             'name', 'alias_id', 'function_id',
                             'function_version', 'description')))
        self.assertEqual(alias.resource_id, alias.FnGetRefId())

    def test_default_version_is_latest_code(self):
        stk = self.create(self.parse_stack(self.alias_template(name='tip')))
        self.assertEqual(0, self.qinling.aliases['tip']['function_version'])
        self.assertEqual('tip', stk['alias'].resource_id)

    def test_retarget_in_place_and_back(self):
        stk = self.create(self.parse_stack(self.alias_template(
            function_version=1)))
        name = stk['alias'].resource_id
        for version in (2, 1, 0):
            stk.update(self.parse_stack(self.alias_template(
                function_version=version)))
            self.assertCompletes(stk, stk.UPDATE)
            self.assertEqual(name, stk['alias'].resource_id)
            self.assertEqual(version,
                             self.qinling.aliases[name]['function_version'])
        self.assertEqual(1, len(self.qinling.aliases))

    def test_nonexistent_version_fails_validation_naming_the_fix(self):
        stk = self.parse_stack(self.alias_template(function_version=7))
        self.assertValidationFails(
            stk, 'properties.function_version', 'has no version 7',
            'its versions: 1, 2', 'or 0 for the latest code')

    def test_nonexistent_version_in_update_fails_before_put(self):
        stk = self.create(self.parse_stack(self.alias_template(
            function_version=1)))
        del self.qinling.requests[:]
        tmpl = self.alias_template(function_version=7)
        # A stack update validates the new template first.
        new = self.parse_stack(tmpl)
        stk.update(new)
        self.assertFailsWith(stk, stk.UPDATE, 'has no version 7')
        self.assertEqual([], self.qinling.write_requests())

    def test_duplicate_target_fails_validation_naming_the_alias(self):
        self.qinling.add_alias('prod', self.function_id, 2)
        del self.qinling.requests[:]
        stk = self.parse_stack(self.alias_template(function_version=2))
        self.assertValidationFails(
            stk, 'properties.function_version', 'Alias prod already points '
            'at version 2', 'one alias per function version', 'move prod')

    def test_duplicate_target_at_create_fails_before_post(self):
        # The target is only known once the stack runs.
        stk = self.create(self.parse_stack(common.stack_template({
            'first': {'type': 'OS::Qinling::Alias',
                      'properties': {'function': self.function_id,
                                     'function_version': 2}}})))
        del self.qinling.requests[:]
        tmpl = common.stack_template({
            'num': {'type': 'OS::Heat::Value',
                    'properties': {'type': 'number', 'value': 2}},
            'second': {'type': 'OS::Qinling::Alias',
                       'properties': {'function': self.function_id,
                                      'function_version': {'get_attr': [
                                          'num', 'value']}}}})
        other = self.run_stack(tmpl, name='other')
        self.assertFailsWith(other, other.CREATE, 'Alias %s already points'
                             % stk['first'].resource_id)
        self.assertEqual([], self.qinling.write_requests())

    def test_retarget_onto_occupied_target_fails_before_the_500(self):
        self.qinling.add_alias('prod', self.function_id, 2)
        stk = self.create(self.parse_stack(self.alias_template(
            function_version=1)))
        del self.qinling.requests[:]
        stk.update(self.parse_stack(self.alias_template(
            function_version=2)))
        self.assertFailsWith(stk, stk.UPDATE, 'Alias prod already points')
        self.assertEqual([], self.qinling.write_requests())

    def test_version_must_be_at_least_0(self):
        stk = self.parse_stack(self.alias_template(function_version=-1))
        self.assertValidationFails(stk, 'properties.function_version',
                                   'at least 0')

    def test_name_taken_in_project_is_explained(self):
        self.qinling.add_alias('prod', self.function_id, 2)
        stk = self.run_stack(self.alias_template(name='prod',
                                                 function_version=1))
        self.assertFailsWith(stk, stk.CREATE, 'already exists',
                             'Choose another name')

    def test_delete_refused_while_webhook_or_job_uses_it(self):
        stk = self.create(self.parse_stack(self.alias_template(
            function_version=1)))
        name = stk['alias'].resource_id
        client = self.ctx.clients.client('qinling')
        webhook = client.webhooks.create(None, function_alias=name)
        job = self.qinling.add_job(None, function_alias=name)
        stk.delete()
        self.assertFailsWith(stk, stk.DELETE, 'alias %s is still in use by '
                             'webhook(s) %s; job(s) %s' % (name, webhook.id,
                                                           job))
        self.assertIn(name, self.qinling.aliases)
        client.webhooks.delete(webhook.id)
        self.qinling.jobs[job]['status'] = 'done'
        stk.delete()
        self.assertCompletes(stk, stk.DELETE)
        self.assertNotIn(name, self.qinling.aliases)

    def test_check_fails_when_alias_deleted_outside(self):
        stk = self.create(self.parse_stack(self.alias_template(
            function_version=1)))
        stk.check()
        self.assertCompletes(stk, stk.CHECK)
        name = stk['alias'].resource_id
        self.qinling.aliases.clear()
        stk.check()
        self.assertFailsWith(stk, stk.CHECK,
                             'Qinling alias %s is gone' % name, '--converge')
        stk.delete()
        self.assertCompletes(stk, stk.DELETE)

    def test_live_state_sees_a_move_outside_heat(self):
        stk = self.create(self.parse_stack(self.alias_template(
            function_version=1)))
        alias = stk['alias']
        self.qinling.aliases[alias.resource_id]['function_version'] = 2
        live = alias.get_live_state(alias.properties)
        self.assertEqual((self.function_id, 2, ''),
                         (live['function'], live['function_version'],
                          live['description']))
