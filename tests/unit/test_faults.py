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

"""Faults: an interrupted create, objects deleted outside Heat, bad input.

Each test drives Heat's engine against the fake Qinling and Aodh servers and
asserts on what is left in them.
"""
import base64
import copy
from unittest import mock

from keystoneauth1 import exceptions as ks_exceptions

from heat_qinling import client
from tests.unit import base

SEED = 'function-webhook-event-alarm.yaml'


def with_webhook(**props):
    tmpl = copy.deepcopy(base.FUNCTION_ONLY)
    tmpl['resources']['hook'] = {
        'type': 'OS::Qinling::Webhook',
        'properties': dict({'function': {'get_resource': 'fn'}}, **props)}
    return tmpl


class InterruptedCreateTest(base.QinlingStackTestCase):
    """The create reached Qinling, but Heat never stored the ID.

    A connection lost after Qinling answered leaves Heat's database in the
    same state as an engine killed at that moment: the resource has the
    marker recorded before the create and no resource_id.
    """

    def lose_answer(self, target):
        real = target.__func__ if hasattr(target, '__func__') else target

        def create_then_lose(*args, **kwargs):
            real(*args, **kwargs)
            raise ks_exceptions.ConnectFailure('connection lost')
        return create_then_lose

    def failed_seed(self, resource):
        stk = self.seed_stack()
        stk.store()
        stk.create()
        self.assertEqual((stk.CREATE, stk.FAILED), stk.state)
        self.assertIsNone(stk[resource].resource_id)
        return stk

    def test_delete_finds_function_by_its_name(self):
        with mock.patch.object(
                client.QinlingClientPlugin, 'create_function',
                self.lose_answer(client.QinlingClientPlugin.create_function)):
            stk = self.failed_seed('function')
        self.assertEqual(1, len(self.qinling.functions))
        stk.delete()
        self.assertCompletes(stk, stk.DELETE)
        self.assertEqual({}, self.qinling.leftovers())
        self.assertEqual({}, self.aodh.leftovers())

    def test_delete_finds_webhook_by_its_fields(self):
        from qinlingclient.v1 import webhook as qinling_webhook
        real = qinling_webhook.WebhookManager.create
        with mock.patch.object(qinling_webhook.WebhookManager, 'create',
                               self.lose_answer(real)):
            stk = self.failed_seed('webhook')
        self.assertEqual(1, len(self.qinling.webhooks))
        stk.delete()
        self.assertCompletes(stk, stk.DELETE)
        self.assertEqual({}, self.qinling.leftovers())

    def test_webhook_that_existed_before_is_not_taken_for_ours(self):
        stk = self.create(self.seed_stack())
        function_id = stk['function'].resource_id
        ours = stk['webhook'].resource_id
        description = stk['webhook'].properties['description']
        outside = self.ctx.clients.client('qinling').webhooks.create(
            function_id=function_id, function_version=0,
            description=description)
        # Our webhook as an interrupted create leaves it, with an identical
        # webhook made outside the stack before it.
        hook = stk['webhook']
        hook.resource_id_set(None)
        hook.create_sending({'function_id': function_id,
                             'function_version': 0,
                             'description': description,
                             'known': [outside.id]})
        stk.delete()
        # The outside webhook stays, and holds the function.
        self.assertFailsWith(stk, stk.DELETE, outside.id)
        self.assertEqual([outside.id], list(self.qinling.webhooks))
        self.assertNotIn(ours, self.qinling.webhooks)

    def test_webhook_delete_removes_alarm_whose_id_heat_lost(self):
        stk = self.create(self.seed_stack())
        # Heat's alarm stores no marker: as an engine killed after the
        # alarm create leaves it.
        stk['alarm'].resource_id_set(None)
        outside = self.ctx.clients.client('aodh').alarm.create({
            'name': 'not-of-this-stack', 'type': 'event',
            'event_rule': {'event_type': 'x'},
            'alarm_actions': [stk.outputs['webhook_url'].get_value()]})
        stk.delete()
        self.assertCompletes(stk, stk.DELETE)
        self.assertEqual([outside['alarm_id']], list(self.aodh.alarms))
        self.assertEqual({}, self.qinling.leftovers())

    def test_update_takes_back_what_the_interrupted_create_made(self):
        with mock.patch.object(
                client.QinlingClientPlugin, 'create_function',
                self.lose_answer(client.QinlingClientPlugin.create_function)):
            stk = self.failed_seed('function')
        [made] = list(self.qinling.functions)
        stk.update(self.seed_stack())
        self.assertCompletes(stk, stk.UPDATE)
        self.assertEqual(made, stk['function'].resource_id)
        self.assertEqual([made], list(self.qinling.functions))
        [webhook] = self.qinling.webhooks.values()
        self.assertEqual(made, webhook['function_id'])

    def test_taken_name_is_refused_and_the_namesake_kept(self):
        # Qinling would make a second function of the name; the plugin
        # refuses it at validation, and again before the create (the name
        # was free at validation, taken when the create came).
        tmpl = copy.deepcopy(base.FUNCTION_ONLY)
        tmpl['resources']['fn']['properties']['name'] = 'taken'
        stk = self.parse_stack(tmpl)
        stk.validate()
        taken = self.add_function('taken')
        self.assertValidationFails(self.parse_stack(tmpl),
                                   'properties.name', taken,
                                   'already named "taken"')
        stk.store()
        stk.create()
        self.assertFailsWith(stk, stk.CREATE, 'properties.name',
                             'already named "taken"')
        self.assertEqual([], self.qinling.write_requests())
        stk.delete()
        self.assertEqual((stk.DELETE, stk.COMPLETE), stk.state)
        self.assertEqual(['taken'], [f['name'] for f in
                                     self.qinling.functions.values()])


class DeletedOutsideHeatTest(base.QinlingStackTestCase):

    def test_one_update_recreates_function_and_webhook(self):
        stk = self.create(self.seed_stack())
        old_function = stk['function'].resource_id
        self.qinling.webhooks.clear()
        self.qinling.functions.clear()
        stk.update(self.seed_stack())
        self.assertCompletes(stk, stk.UPDATE)
        [function] = self.qinling.functions.values()
        [webhook] = self.qinling.webhooks.values()
        self.assertNotEqual(old_function, function['id'])
        self.assertEqual(function['id'], webhook['function_id'])
        [alarm] = self.aodh.alarms.values()
        self.assertEqual([stk.outputs['webhook_url'].get_value()],
                         alarm['alarm_actions'])
        self.assertIn(webhook['id'], alarm['alarm_actions'][0])
        self.assertNotIn(('PUT', '/v1/webhooks/'),
                         [(m, p[:13]) for m, p, s in self.qinling.requests])

    def test_one_converge_update_recreates_all_three(self):
        stk = self.create(self.seed_stack())
        self.qinling.webhooks.clear()
        self.qinling.functions.clear()
        self.aodh.alarms.clear()
        updated = self.seed_stack()
        updated.converge = True
        stk.converge = True
        stk.update(updated)
        self.assertCompletes(stk, stk.UPDATE)
        self.assertEqual(1, len(self.qinling.functions))
        self.assertEqual(1, len(self.qinling.webhooks))
        [alarm] = self.aodh.alarms.values()
        self.assertEqual([stk.outputs['webhook_url'].get_value()],
                         alarm['alarm_actions'])

    def test_update_of_a_gone_webhook_recreates_it(self):
        stk = self.create(self.parse_stack(with_webhook()))
        self.qinling.webhooks.clear()
        stk.update(self.parse_stack(with_webhook(description='new')))
        self.assertCompletes(stk, stk.UPDATE)
        [webhook] = self.qinling.webhooks.values()
        self.assertEqual('new', webhook['description'])

    def test_check_reports_every_missing_object(self):
        stk = self.create(self.seed_stack())
        function_id = stk['function'].resource_id
        webhook_id = stk['webhook'].resource_id
        self.qinling.webhooks.clear()
        self.qinling.functions.clear()
        self.aodh.alarms.clear()
        stk.check()
        self.assertEqual((stk.CHECK, stk.FAILED), stk.state)
        reason = stk.status_reason
        self.assertIn('Qinling function %s is gone' % function_id, reason)
        self.assertIn('--converge', reason)
        self.assertIn('webhook: gone (%s)' % webhook_id, reason)
        self.assertIn('alarm: gone (', reason)

    def test_check_of_webhook_whose_outside_function_is_gone(self):
        function_id = self.add_function('outside')
        stk = self.create(self.parse_stack({
            'heat_template_version': '2018-08-31',
            'resources': {'hook': {'type': 'OS::Qinling::Webhook',
                                   'properties': {'function': function_id}}},
        }))
        del self.qinling.functions[function_id]
        stk.check()
        self.assertEqual((stk.CHECK, stk.FAILED), stk.state)
        self.assertIn('Webhook %s runs function %s, which is gone'
                      % (stk['hook'].resource_id, function_id),
                      stk.status_reason)

    def test_check_reports_a_dependent_that_is_present(self):
        stk = self.create(self.parse_stack(with_webhook()))
        del self.qinling.functions[stk['fn'].resource_id]
        stk.check()
        self.assertFailsWith(stk, stk.CHECK, 'their state: hook: present')


class BadInputTestCase(base.QinlingStackTestCase):

    def fn(self, **props):
        tmpl = copy.deepcopy(base.FUNCTION_ONLY)
        tmpl['resources']['fn']['properties'].update(props)
        return self.parse_stack(tmpl)


class FileContentNotTextTest(BadInputTestCase):
    """Fails validation saying what the content is; nothing written."""

    scenarios = [
        ('number', dict(value=42, kind='a number')),
        ('list', dict(value=['a', 'b'], kind='a list')),
        ('map', dict(value={'a': 1}, kind='a map')),
        ('boolean', dict(value=True, kind='a boolean')),
    ]

    def test_file_content_not_text(self):
        self.assertValidationFails(
            self.fn(files={'hello_world.py': self.value}),
            'properties.files', 'file "hello_world.py" is %s' % self.kind,
            'get_file')


class FunctionNameAndDescriptionTest(BadInputTestCase):
    """Qinling's columns: 255 characters, no control characters."""

    scenarios = [
        ('name_of_256', dict(prop='name', value='n' * 256,
                             fragment='at most 255 characters')),
        ('description_of_70000', dict(prop='description', value='d' * 70000,
                                      fragment='at most 255 characters')),
        ('name_with_newline', dict(prop='name', value='bad\nname',
                                   fragment='control characters')),
        ('description_with_tab', dict(prop='description', value='tab\there',
                                      fragment='control characters')),
    ]

    def test_fails_validation_naming_the_property(self):
        self.assertValidationFails(self.fn(**{self.prop: self.value}),
                                   'properties.%s' % self.prop, self.fragment)


class WebhookDescriptionTest(base.QinlingStackTestCase):

    scenarios = [
        ('of_256', dict(value='d' * 256, fragment='at most 255')),
        ('with_escape', dict(value='a\x1bb', fragment='control characters')),
    ]

    def test_webhook_description(self):
        self.assertValidationFails(
            self.parse_stack(with_webhook(description=self.value)),
            'properties.description', self.fragment)


class BadInputTest(BadInputTestCase):
    """Every case fails validation naming the property; nothing written."""

    def test_binary_file_as_heatclient_sends_it(self):
        data = bytes(range(256)) * 4
        encoded = base64.encodebytes(data).decode('ascii')
        self.assertValidationFails(
            self.fn(files={'hello_world.py': 'def main(): pass\n',
                           'model.bin': encoded}),
            'properties.files', '"model.bin" is binary', 'base64',
            '"swift"', '"image"')

    def test_binary_file_as_raw_text(self):
        self.assertValidationFails(
            self.fn(files={'hello_world.py': 'def main(): pass\n',
                           'lib.so': '\x7fELF\x02\x01\x01\x00\x00'}),
            'properties.files', '"lib.so" is binary', 'Swift')

    def test_text_files_with_tabs_and_form_feeds_pass(self):
        files = {'hello_world.py': 'def main():\n\treturn 1\r\n\x0c\n',
                 'data.txt': 'QUJDREVGR0hJSktMTU5PUFFSU1RV\n'}
        self.fn(files=files).validate()
        self.assertEqual([], self.qinling.write_requests())

    def test_name_and_description_of_255_pass(self):
        self.fn(name='n' * 255, description='d' * 255).validate()

    def test_version_of_existing_function_must_exist(self):
        function_id = self.add_function('existing')
        tmpl = {'heat_template_version': '2018-08-31',
                'resources': {'hook': {
                    'type': 'OS::Qinling::Webhook',
                    'properties': {'function': function_id,
                                   'function_version': 3}}}}
        self.assertValidationFails(
            self.parse_stack(tmpl), 'properties.function_version',
            'has no version 3', 'its versions: none',
            'or 0 for the latest code')

    def test_version_of_function_made_by_the_stack(self):
        self.assertValidationFails(
            self.parse_stack(with_webhook(function_version=1)),
            'properties.function_version', 'fn has no version 1')

    def test_version_gone_at_create_fails_before_the_webhook_write(self):
        function_id = self.add_function('existing')
        self.qinling.versions[(function_id, 1)] = {
            'id': 'v1', 'function_id': function_id, 'version_number': 1}
        tmpl = {'heat_template_version': '2018-08-31',
                'resources': {'hook': {
                    'type': 'OS::Qinling::Webhook',
                    'properties': {'function': function_id,
                                   'function_version': 1}}}}
        stk = self.parse_stack(tmpl)
        stk.validate()
        del self.qinling.versions[(function_id, 1)]
        stk.store()
        stk.create()
        self.assertFailsWith(stk, stk.CREATE, 'has no version 1')
        self.assertEqual([], self.qinling.write_requests())
