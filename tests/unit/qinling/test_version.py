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


"""OS::Qinling::Version on Heat's engine against the fake Qinling: the
schema rules, and the traps of the real server (Qinling 5.0.0) caught
before any write."""
from heat_qinling import package
from tests.unit.qinling import common


class VersionTest(common.VersionsTestCase):

    def test_create_publishes_version_and_attributes(self):
        stk = self.create(self.parse_stack(common.stack_template(
            {'fn': common.FUNCTION, 'ver': common.VERSION})))
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
        tmpl = common.stack_template({'fn': common.FUNCTION,
                                      'ver': common.VERSION})
        stk = self.create(self.parse_stack(tmpl))
        function_id = stk['fn'].resource_id
        tmpl['resources']['fn']['properties']['files'] = common.NEW_CODE
        stk.update(self.parse_stack(tmpl))
        self.assertCompletes(stk, stk.UPDATE)
        self.assertEqual('%s/2' % function_id, stk['ver'].resource_id)
        self.assertEqual([(function_id, 2)], list(self.qinling.versions))

    def test_retain_keeps_replaced_versions_until_function_goes(self):
        tmpl = common.stack_template({'fn': common.FUNCTION,
                                      'ver': common.VERSION})
        tmpl['resources']['ver']['deletion_policy'] = 'Retain'
        stk = self.create(self.parse_stack(tmpl))
        function_id = stk['fn'].resource_id
        tmpl['resources']['fn']['properties']['files'] = common.NEW_CODE
        stk.update(self.parse_stack(tmpl))
        self.assertCompletes(stk, stk.UPDATE)
        self.assertEqual([(function_id, 1), (function_id, 2)],
                         sorted(self.qinling.versions))
        stk.delete()
        self.assertCompletes(stk, stk.DELETE)
        self.assertEqual({}, self.qinling.versions)
        self.assertEqual({}, self.qinling.leftovers())

    def test_description_only_change_fails_without_writing(self):
        tmpl = common.stack_template({'fn': common.FUNCTION,
                                      'ver': common.VERSION})
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
        tmpl = common.stack_template({'ver': {
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
                               package=package.build_zip(common.NEW_CODE))
        del self.qinling.requests[:]
        stk = self.run_stack(common.stack_template({'ver': {
            'type': 'OS::Qinling::Version',
            'properties': {'function': function_id}}}))
        self.assertFailsWith(stk, stk.CREATE, 'already has 10 versions',
                             '1, 2, 3, 4, 5, 6, 7, 8, 9, 10',
                             'Delete versions that are no longer needed')
        self.assertEqual([], self.version_posts())

    def test_md5_not_the_functions_fails_validation(self):
        function_id = self.outside_function()
        stk = self.parse_stack(common.stack_template({'ver': {
            'type': 'OS::Qinling::Version',
            'properties': {'function': function_id,
                           'code_md5sum': '0' * 32}}}))
        self.assertValidationFails(stk, 'properties.code_md5sum',
                                   'not %s' % ('0' * 32),
                                   '{get_attr: [<function>, code, md5sum]}')

    def test_md5_must_look_like_one(self):
        function_id = self.outside_function()
        stk = self.parse_stack(common.stack_template({'ver': {
            'type': 'OS::Qinling::Version',
            'properties': {'function': function_id,
                           'code_md5sum': 'abc'}}}))
        self.assertValidationFails(stk, 'properties.code_md5sum',
                                   '32 lowercase hexadecimal digits')

    def test_description_longer_than_255_fails_validation(self):
        function_id = self.outside_function()
        stk = self.parse_stack(common.stack_template({'ver': {
            'type': 'OS::Qinling::Version',
            'properties': {'function': function_id,
                           'description': 'x' * 256}}}))
        self.assertValidationFails(stk, 'properties.description', '255')

    def test_image_function_cannot_be_versioned(self):
        function = self.ctx.clients.client_plugin('qinling').create_function(
            code={'source': 'image', 'image': 'busybox'}, name='img')
        del self.qinling.requests[:]
        stk = self.parse_stack(common.stack_template({'ver': {
            'type': 'OS::Qinling::Version',
            'properties': {'function': function.id}}}))
        self.assertValidationFails(stk, 'properties.function',
                                   '"image" code', '("files")')

    def test_unknown_function_fails_validation(self):
        stk = self.parse_stack(common.stack_template({'ver': {
            'type': 'OS::Qinling::Version',
            'properties': {'function': 'nope'}}}))
        self.assertValidationFails(stk, 'properties.function', 'nope')

    def test_reused_number_is_noticed_and_not_deleted(self):
        function_id = self.outside_function()
        self.publish(function_id, 'a = 1\n')
        tmpl = common.stack_template({'ver': {
            'type': 'OS::Qinling::Version',
            'properties': {'function': function_id}}})
        plugin = self.ctx.clients.client_plugin('qinling')
        plugin.update_function(function_id, code={'source': 'package'},
                               package=package.build_zip(common.NEW_CODE))
        stk = self.create(self.parse_stack(tmpl))
        self.assertEqual('%s/2' % function_id, stk['ver'].resource_id)
        # Deleted outside Heat; the next version takes number 2 again.
        plugin.delete_version(function_id, 2)
        plugin.update_function(function_id, code={'source': 'package'},
                               package=package.build_zip(common.CODE))
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
        stk = self.create(self.parse_stack(common.stack_template(
            {'fn': common.FUNCTION, 'ver': common.VERSION})))
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
        stk = self.create(self.parse_stack(common.stack_template(
            {'fn': common.FUNCTION, 'ver': common.VERSION})))
        stk.check()
        self.assertCompletes(stk, stk.CHECK)
        self.qinling.functions.clear()
        self.qinling.versions.clear()
        stk.delete()
        self.assertCompletes(stk, stk.DELETE)

    def test_live_state(self):
        stk = self.create(self.parse_stack(common.stack_template(
            {'fn': common.FUNCTION, 'ver': common.VERSION})))
        ver = stk['ver']
        live = ver.get_live_state(ver.properties)
        self.assertEqual((stk['fn'].resource_id, 'first'),
                         (live['function'], live['description']))


ALIAS = {'type': 'OS::Qinling::Alias',
         'properties': {'function': {'get_resource': 'fn'},
                        'function_version': {'get_attr': [
                            'ver', 'version_number']}}}
