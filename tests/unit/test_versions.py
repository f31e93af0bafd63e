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

"""OS::Qinling::Version and OS::Qinling::Alias, and webhooks on an alias,
on Heat's engine against the fake Qinling: the schema rules, and the traps
of the real server (Qinling 5.0.0) caught before any write."""
import copy

from heat_qinling import package
from tests.unit import base

CODE = {'hello_world.py': 'def main(**kw):\n    return "v1"\n'}
NEW_CODE = {'hello_world.py': 'def main(**kw):\n    return "v2"\n'}


def stack_template(resources):
    return {'heat_template_version': '2018-08-31',
            'resources': copy.deepcopy(resources)}


FUNCTION = {'type': 'OS::Qinling::Function',
            'properties': {'runtime': 'python3', 'entry': 'hello_world.main',
                           'files': CODE}}
VERSION = {'type': 'OS::Qinling::Version',
           'properties': {'function': {'get_resource': 'fn'},
                          'code_md5sum': {'get_attr': ['fn', 'code',
                                                       'md5sum']},
                          'description': 'first'}}


class VersionsTestCase(base.QinlingStackTestCase):

    def outside_function(self, name='outside', code=CODE):
        """A function made outside any stack."""
        function_id = self.ctx.clients.client_plugin(
            'qinling').create_function(
                code={'source': 'package'}, package=package.build_zip(code),
                runtime=self.runtime_id, name=name,
                entry='hello_world.main').id
        del self.qinling.requests[:]
        return function_id

    def publish(self, function_id, text):
        """New code and a new version of an outside function."""
        plugin = self.ctx.clients.client_plugin('qinling')
        plugin.update_function(function_id, code={'source': 'package'},
                               package=package.build_zip(
                                   {'hello_world.py': text}))
        return plugin.create_version(function_id, '').version_number

    def run_stack(self, tmpl, stk=None, expected=None, name='seed'):
        new = self.parse_stack(tmpl, name=name)
        if stk is None:
            stk = new
            stk.store()
            stk.create()
        else:
            stk.update(new)
        if expected:
            self.assertEqual(expected, stk.state, stk.status_reason)
        return stk

    def version_posts(self):
        return [r for r in self.qinling.write_requests()
                if r[0] == 'POST' and r[1].endswith('/versions')]


class VersionTest(VersionsTestCase):

    def test_create_publishes_version_and_attributes(self):
        stk = self.create(self.parse_stack(stack_template(
            {'fn': FUNCTION, 'ver': VERSION})))
        function_id = stk['fn'].resource_id
        stored = self.qinling.versions[(function_id, 1)]
        ver = stk['ver']
        self.assertEqual('%s/1' % function_id, ver.resource_id)
        self.assertEqual((1, function_id, stored['id'], 'first', 0),
                         tuple(ver.FnGetAtt(a) for a in (
                             'version_number', 'function_id', 'version_id',
                             'description', 'count')))
        stored['count'] = 4
        self.assertEqual(4, ver.FnGetAtt('count'))

    def test_code_change_publishes_new_version_and_deletes_old(self):
        tmpl = stack_template({'fn': FUNCTION, 'ver': VERSION})
        stk = self.create(self.parse_stack(tmpl))
        function_id = stk['fn'].resource_id
        tmpl['resources']['fn']['properties']['files'] = NEW_CODE
        stk.update(self.parse_stack(tmpl))
        self.assertCompletes(stk, stk.UPDATE)
        self.assertEqual('%s/2' % function_id, stk['ver'].resource_id)
        self.assertEqual([(function_id, 2)], list(self.qinling.versions))

    def test_retain_keeps_replaced_versions_until_function_goes(self):
        tmpl = stack_template({'fn': FUNCTION, 'ver': VERSION})
        tmpl['resources']['ver']['deletion_policy'] = 'Retain'
        stk = self.create(self.parse_stack(tmpl))
        function_id = stk['fn'].resource_id
        tmpl['resources']['fn']['properties']['files'] = NEW_CODE
        stk.update(self.parse_stack(tmpl))
        self.assertCompletes(stk, stk.UPDATE)
        self.assertEqual([(function_id, 1), (function_id, 2)],
                         sorted(self.qinling.versions))
        stk.delete()
        self.assertCompletes(stk, stk.DELETE)
        self.assertEqual({}, self.qinling.versions)
        self.assertEqual({}, self.qinling.leftovers())

    def test_description_only_change_fails_without_writing(self):
        tmpl = stack_template({'fn': FUNCTION, 'ver': VERSION})
        stk = self.create(self.parse_stack(tmpl))
        del self.qinling.requests[:]
        tmpl['resources']['ver']['properties']['description'] = 'other'
        stk.update(self.parse_stack(tmpl))
        self.assertFailsWith(stk, stk.UPDATE, 'cannot change the description',
                             'Put back the previous description')
        self.assertEqual([], self.qinling.write_requests())
        self.assertEqual(1, len(self.qinling.versions))

    def test_same_package_explains_the_403(self):
        function_id = self.outside_function()
        self.ctx.clients.client_plugin('qinling').create_version(
            function_id, '')
        tmpl = stack_template({'ver': {
            'type': 'OS::Qinling::Version',
            'properties': {'function': function_id}}})
        stk = self.run_stack(tmpl)
        self.assertFailsWith(stk, stk.CREATE, 'has not changed since its '
                             'latest version', 'Change the function\'s files')
        self.assertEqual(1, len(self.qinling.versions))

    def test_cap_of_ten_fails_before_the_post(self):
        function_id = self.outside_function()
        for n in range(10):
            self.publish(function_id, 'x = %d\ndef main(): pass\n' % n)
        plugin = self.ctx.clients.client_plugin('qinling')
        plugin.update_function(function_id, code={'source': 'package'},
                               package=package.build_zip(NEW_CODE))
        del self.qinling.requests[:]
        stk = self.run_stack(stack_template({'ver': {
            'type': 'OS::Qinling::Version',
            'properties': {'function': function_id}}}))
        self.assertFailsWith(stk, stk.CREATE, 'already has 10 versions',
                             '1, 2, 3, 4, 5, 6, 7, 8, 9, 10',
                             'Delete versions that are no longer needed')
        self.assertEqual([], self.version_posts())

    def test_md5_not_the_functions_fails_validation(self):
        function_id = self.outside_function()
        stk = self.parse_stack(stack_template({'ver': {
            'type': 'OS::Qinling::Version',
            'properties': {'function': function_id,
                           'code_md5sum': '0' * 32}}}))
        self.assertValidationFails(stk, 'properties.code_md5sum',
                                   'not %s' % ('0' * 32),
                                   '{get_attr: [<function>, code, md5sum]}')

    def test_md5_must_look_like_one(self):
        function_id = self.outside_function()
        stk = self.parse_stack(stack_template({'ver': {
            'type': 'OS::Qinling::Version',
            'properties': {'function': function_id,
                           'code_md5sum': 'abc'}}}))
        self.assertValidationFails(stk, 'properties.code_md5sum',
                                   '32 lowercase hexadecimal digits')

    def test_description_longer_than_255_fails_validation(self):
        function_id = self.outside_function()
        stk = self.parse_stack(stack_template({'ver': {
            'type': 'OS::Qinling::Version',
            'properties': {'function': function_id,
                           'description': 'x' * 256}}}))
        self.assertValidationFails(stk, 'properties.description', '255')

    def test_image_function_cannot_be_versioned(self):
        function = self.ctx.clients.client_plugin('qinling').create_function(
            code={'source': 'image', 'image': 'busybox'}, name='img')
        del self.qinling.requests[:]
        stk = self.parse_stack(stack_template({'ver': {
            'type': 'OS::Qinling::Version',
            'properties': {'function': function.id}}}))
        self.assertValidationFails(stk, 'properties.function',
                                   '"image" code', '("files")')

    def test_unknown_function_fails_validation(self):
        stk = self.parse_stack(stack_template({'ver': {
            'type': 'OS::Qinling::Version',
            'properties': {'function': 'nope'}}}))
        self.assertValidationFails(stk, 'properties.function', 'nope')

    def test_reused_number_is_noticed_and_not_deleted(self):
        function_id = self.outside_function()
        self.publish(function_id, 'a = 1\n')
        tmpl = stack_template({'ver': {
            'type': 'OS::Qinling::Version',
            'properties': {'function': function_id}}})
        plugin = self.ctx.clients.client_plugin('qinling')
        plugin.update_function(function_id, code={'source': 'package'},
                               package=package.build_zip(NEW_CODE))
        stk = self.create(self.parse_stack(tmpl))
        self.assertEqual('%s/2' % function_id, stk['ver'].resource_id)
        # Deleted outside Heat; the next version takes number 2 again.
        plugin.delete_version(function_id, 2)
        plugin.update_function(function_id, code={'source': 'package'},
                               package=package.build_zip(CODE))
        other = plugin.create_version(function_id, 'not ours')
        self.assertEqual(2, other.version_number)
        stk.check()
        self.assertFailsWith(stk, stk.CHECK, 'deleted outside Heat',
                             other.id)
        stk.delete()
        self.assertCompletes(stk, stk.DELETE)
        self.assertEqual(other.id,
                         self.qinling.versions[(function_id, 2)]['id'])

    def test_delete_refused_names_alias_outside_stack(self):
        stk = self.create(self.parse_stack(stack_template(
            {'fn': FUNCTION, 'ver': VERSION})))
        function_id = stk['fn'].resource_id
        self.qinling.add_alias('prod', function_id, 1)
        stk.delete()
        self.assertFailsWith(stk, stk.DELETE, 'Version 1 of Qinling '
                             'function %s is still in use by alias(es) prod'
                             % function_id)
        self.qinling.aliases.clear()
        stk.delete()
        self.assertCompletes(stk, stk.DELETE)
        self.assertEqual({}, self.qinling.leftovers())

    def test_check_and_delete_when_function_is_gone(self):
        stk = self.create(self.parse_stack(stack_template(
            {'fn': FUNCTION, 'ver': VERSION})))
        stk.check()
        self.assertCompletes(stk, stk.CHECK)
        self.qinling.functions.clear()
        self.qinling.versions.clear()
        stk.delete()
        self.assertCompletes(stk, stk.DELETE)

    def test_live_state(self):
        stk = self.create(self.parse_stack(stack_template(
            {'fn': FUNCTION, 'ver': VERSION})))
        ver = stk['ver']
        live = ver.get_live_state(ver.properties)
        self.assertEqual((stk['fn'].resource_id, 'first'),
                         (live['function'], live['description']))


ALIAS = {'type': 'OS::Qinling::Alias',
         'properties': {'function': {'get_resource': 'fn'},
                        'function_version': {'get_attr': [
                            'ver', 'version_number']}}}


class AliasTestCase(VersionsTestCase):

    def setUp(self):
        super().setUp()
        # An outside function with versions 1 and 2.
        self.function_id = self.outside_function()
        self.publish(self.function_id, 'a = 1\n')
        self.publish(self.function_id, 'a = 2\n')
        del self.qinling.requests[:]

    def alias_template(self, **props):
        props.setdefault('function', self.function_id)
        return stack_template({'alias': {'type': 'OS::Qinling::Alias',
                                         'properties': props}})


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
        stk = self.create(self.parse_stack(stack_template({
            'first': {'type': 'OS::Qinling::Alias',
                      'properties': {'function': self.function_id,
                                     'function_version': 2}}})))
        del self.qinling.requests[:]
        tmpl = stack_template({
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


class AliasWebhookTestCase(VersionsTestCase):

    def setUp(self):
        super().setUp()
        self.function_id = self.outside_function()
        self.publish(self.function_id, 'a = 1\n')
        self.publish(self.function_id, 'a = 2\n')
        self.qinling.add_alias('live', self.function_id, 1)
        del self.qinling.requests[:]

    def hook_template(self, **props):
        return stack_template({'hook': {'type': 'OS::Qinling::Webhook',
                                        'properties': props}})


class WebhookTargetTest(AliasWebhookTestCase):
    """A webhook names exactly one of function or function_alias."""

    scenarios = [
        ('neither', dict(with_function=False, with_alias=False)),
        ('function_and_alias', dict(with_function=True, with_alias=True)),
    ]

    def test_exactly_one_target(self):
        props = {}
        if self.with_function:
            props['function'] = self.function_id
        if self.with_alias:
            props['function_alias'] = 'live'
        stk = self.parse_stack(self.hook_template(**props))
        self.assertValidationFails(stk, 'exactly one of "function"',
                                   '"function_alias"')


class AliasWebhookTest(AliasWebhookTestCase):

    def test_webhook_on_alias_and_its_attributes(self):
        stk = self.create(self.parse_stack(self.hook_template(
            function_alias='live')))
        hook = stk['hook']
        webhook = self.qinling.webhooks[hook.resource_id]
        self.assertEqual((None, None, 'live'),
                         (webhook['function_id'], webhook['function_version'],
                          webhook['function_alias']))
        self.assertEqual((self.function_id, 1, 'live'),
                         tuple(hook.FnGetAtt(a) for a in (
                             'function_id', 'function_version',
                             'function_alias')))
        live = hook.get_live_state(hook.properties)
        self.assertEqual(('live', None), (live['function_alias'],
                                          live['function']))

    def test_switches_keep_webhook_id_and_description_update_works(self):
        stk = self.create(self.parse_stack(self.hook_template(
            function=self.function_id, function_version=2)))
        hook_id = stk['hook'].resource_id
        for props in ({'function_alias': 'live'},
                      {'function_alias': 'live', 'description': 'new'},
                      {'function': self.function_id, 'function_version': 2},
                      {'function_alias': 'live', 'description': 'x'}):
            stk.update(self.parse_stack(self.hook_template(**props)))
            self.assertCompletes(stk, stk.UPDATE)
            self.assertEqual(hook_id, stk['hook'].resource_id)
            webhook = self.qinling.webhooks[hook_id]
            self.assertEqual(
                (props.get('function_alias'), props.get('function'),
                 props.get('function_version'),
                 props.get('description', '')),
                (webhook['function_alias'], webhook['function_id'],
                 webhook['function_version'], webhook['description']))
        self.assertEqual([hook_id], list(self.qinling.webhooks))

    def test_invocations_follow_the_alias(self):
        stk = self.create(self.parse_stack(self.hook_template(
            function_alias='live')))
        url = stk['hook'].FnGetAtt('webhook_url')
        import requests
        requests.post(url, json={})
        self.qinling.aliases['live']['function_version'] = 2
        requests.post(url, json={})
        self.assertEqual([1, 2], [e['function_version'] for e in
                                  self.qinling.executions.values()])

    def test_version_only_with_function(self):
        stk = self.parse_stack(self.hook_template(function_alias='live',
                                                  function_version=2))
        self.assertValidationFails(stk, 'properties.function_version',
                                   'only used with "function"')

    def test_unknown_alias(self):
        stk = self.parse_stack(self.hook_template(function_alias='nope'))
        self.assertValidationFails(stk, 'properties.function_alias',
                                   'nope')

    def test_check_fails_when_alias_is_gone(self):
        stk = self.create(self.parse_stack(self.hook_template(
            function_alias='live')))
        stk.check()
        self.assertCompletes(stk, stk.CHECK)
        del self.qinling.aliases['live']
        stk.check()
        self.assertFailsWith(stk, stk.CHECK, 'runs alias live, which is gone')


class LoadingTest(base.QinlingStackTestCase):

    def test_types_and_alias_constraint_are_registered(self):
        from heat.engine import resources

        from heat_qinling import constraints
        from heat_qinling.resources import alias
        from heat_qinling.resources import version
        env = resources.global_env()
        self.assertIs(version.QinlingVersion,
                      env.registry.get_class('OS::Qinling::Version'))
        self.assertIs(alias.QinlingAlias,
                      env.registry.get_class('OS::Qinling::Alias'))
        self.assertIs(constraints.AliasConstraint,
                      env.get_constraint('qinling.alias'))
        types = env.get_types(self.ctx)
        self.assertIn('OS::Qinling::Version', types)
        self.assertIn('OS::Qinling::Alias', types)
