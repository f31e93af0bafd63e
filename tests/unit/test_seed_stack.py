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

"""The seed template's whole lifecycle on Heat's engine: what a user relies
on when running function-webhook-event-alarm.yaml."""
import copy

from heat_qinling import package
from tests.unit import base

SEED = 'function-webhook-event-alarm.yaml'
SEED_GET_FILE = 'function-webhook-event-alarm-get-file.yaml'
NEW_CODE = "def main(name='World', **kwargs):\n    return 'Hi, %s' % name\n"


class SeedStackTest(base.QinlingStackTestCase):

    def only(self, table):
        self.assertEqual(1, len(table), table)
        return next(iter(table.values()))

    def test_create_wires_function_webhook_and_alarm(self):
        stk = self.create(self.seed_stack())

        function = self.only(self.qinling.functions)
        self.assertEqual(self.runtime_id, function['runtime_id'])
        self.assertEqual('hello_world.main', function['entry'])
        self.assertEqual(5, function['timeout'])
        self.assertTrue(function['name'].startswith('seed-function-'))
        files = base.read_template(SEED)['resources']['function'][
            'properties']['files']
        self.assertEqual(files, package.read_zip(
            self.qinling.packages[function['id']]))
        self.assertEqual({'source': 'package', 'md5sum': package.md5sum(
            package.build_zip(files))}, function['code'])

        webhook = self.only(self.qinling.webhooks)
        self.assertEqual(function['id'], webhook['function_id'])
        self.assertEqual(0, webhook['function_version'])
        url = '%s/v1/webhooks/%s/invoke' % (self.qinling.url, webhook['id'])

        alarm = self.only(self.aodh.alarms)
        self.assertEqual([url], alarm['alarm_actions'])
        self.assertEqual('event', alarm['type'])
        self.assertEqual('compute.instance.create.end',
                         alarm['event_rule']['event_type'])
        # Every matching event runs the function, by default.
        self.assertTrue(alarm['repeat_actions'])

        self.assertEqual({'function_id': function['id'], 'webhook_url': url,
                          'alarm_id': alarm['alarm_id']},
                         {o: stk.outputs[o].get_value()
                          for o in ('function_id', 'webhook_url',
                                    'alarm_id')})

    def test_create_reads_only_what_it_cannot_know(self):
        # With Heat's finder cache on ([cache] enabled in heat.conf).
        self.useFixture(base.FinderCache())
        stk = self.seed_stack()
        stk.store()
        stk.create()
        self.assertCompletes(stk, stk.CREATE)
        function_id = stk['function'].resource_id
        # The runtime's name is looked up once for its constraint and its
        # translation into an ID, the function once for the webhook's; the
        # listing is the webhook's create marker; the alarm's URL comes from
        # the answer to the webhook's POST.
        self.assertEqual(
            [('GET', '/v1/runtimes'), ('POST', '/v1/functions'),
             ('GET', '/v1/functions/%s' % function_id),
             ('GET', '/v1/webhooks'), ('POST', '/v1/webhooks')],
            [(method, path) for method, path, status
             in self.qinling.requests])
        self.assertEqual(
            [stk['webhook'].FnGetAtt('webhook_url')],
            self.only(self.aodh.alarms)['alarm_actions'])

    def test_event_type_parameter_reaches_the_alarm(self):
        self.create(self.seed_stack(
            params={'event_type': 'compute.instance.delete.end'}))
        alarm = self.only(self.aodh.alarms)
        self.assertEqual('compute.instance.delete.end',
                         alarm['event_rule']['event_type'])

    def test_repeat_actions_false_means_first_event_only(self):
        self.create(self.seed_stack(params={'repeat_actions': False}))
        self.assertFalse(self.only(self.aodh.alarms)['repeat_actions'])

    def test_delete_removes_alarm_then_webhook_then_function(self):
        stk = self.create(self.seed_stack())
        # One log for both services keeps the order across them.
        self.qinling.requests = self.aodh.requests = log = []
        stk.delete()
        self.assertCompletes(stk, stk.DELETE)
        self.assertEqual(['alarms', 'webhooks', 'functions'],
                         [path.split('/')[2] for method, path, status in log
                          if method == 'DELETE'])
        self.assertEqual({}, self.qinling.leftovers())
        self.assertEqual({}, self.aodh.leftovers())

    def test_delete_sends_qinling_its_two_deletes_and_nothing_else(self):
        stk = self.create(self.seed_stack())
        function_id = stk['function'].resource_id
        webhook_id = stk['webhook'].resource_id
        del self.qinling.requests[:]
        stk.delete()
        self.assertCompletes(stk, stk.DELETE)
        # Qinling's function delete is done when it answers: no GET to
        # confirm it; the orphan alarm check needs no GET of the webhook.
        self.assertEqual(
            [('DELETE', '/v1/webhooks/%s' % webhook_id, 204),
             ('DELETE', '/v1/functions/%s' % function_id, 204)],
            self.qinling.requests)

    def test_update_code_in_place_keeps_function_and_webhook_url(self):
        stk = self.create(self.seed_stack(template_name=SEED_GET_FILE))
        function_id = stk['function'].resource_id
        url = stk.outputs['webhook_url'].get_value()
        updated = self.seed_stack(template_name=SEED_GET_FILE)
        updated.t.files['functions/hello_world.py'] = NEW_CODE
        stk.update(updated)
        self.assertCompletes(stk, stk.UPDATE)
        self.assertEqual(function_id, stk['function'].resource_id)
        self.assertEqual(url, stk.outputs['webhook_url'].get_value())
        self.assertEqual({'hello_world.py': NEW_CODE}, package.read_zip(
            self.qinling.packages[function_id]))
        self.assertEqual(1, len(self.qinling.functions))
        self.assertEqual([url], self.only(self.aodh.alarms)['alarm_actions'])

    def test_update_limits_only_sends_no_package(self):
        stk = self.create(self.seed_stack())
        md5 = self.only(self.qinling.functions)['code']['md5sum']
        del self.qinling.requests[:]
        stk.update(self.seed_stack(params={'function_timeout': 30}))
        self.assertCompletes(stk, stk.UPDATE)
        function = self.only(self.qinling.functions)
        self.assertEqual(30, function['timeout'])
        self.assertEqual(md5, function['code']['md5sum'])
        self.assertEqual(
            [('PUT', '/v1/functions/%s' % function['id'], 200)],
            self.qinling.write_requests())

    def test_update_runtime_replaces_function_and_keeps_webhook_url(self):
        stk = self.create(self.seed_stack())
        old_id = stk['function'].resource_id
        url = stk.outputs['webhook_url'].get_value()
        new_runtime = self.qinling.add_runtime(name='python3-new')
        stk.update(self.seed_stack(params={'runtime': 'python3-new'}))
        self.assertCompletes(stk, stk.UPDATE)
        function = self.only(self.qinling.functions)
        self.assertNotEqual(old_id, function['id'])
        self.assertEqual(new_runtime, function['runtime_id'])
        webhook = self.only(self.qinling.webhooks)
        self.assertEqual(function['id'], webhook['function_id'])
        self.assertEqual(url, stk.outputs['webhook_url'].get_value())

    def test_check_passes_then_fails_when_runtime_is_unavailable(self):
        stk = self.create(self.seed_stack())
        stk.check()
        self.assertCompletes(stk, stk.CHECK)
        self.qinling.runtimes[self.runtime_id]['status'] = 'error'
        stk.check()
        self.assertFailsWith(stk, stk.CHECK, '"error", not "available"')

    def test_check_fails_when_webhook_deleted_outside_heat(self):
        stk = self.create(self.seed_stack())
        self.qinling.webhooks.clear()
        stk.check()
        self.assertEqual((stk.CHECK, stk.FAILED), stk.state)
        self.assertIn('Qinling webhook %s is gone'
                      % stk['webhook'].resource_id, stk.status_reason)

    def test_suspend_disables_alarm_and_resume_enables_it(self):
        stk = self.create(self.seed_stack())
        stk.suspend()
        self.assertCompletes(stk, stk.SUSPEND)
        self.assertFalse(self.only(self.aodh.alarms)['enabled'])
        stk.resume()
        self.assertCompletes(stk, stk.RESUME)
        self.assertTrue(self.only(self.aodh.alarms)['enabled'])

    def test_failed_create_rolls_back_and_leaves_nothing(self):
        self.aodh.fail_next('POST', '^/v2/alarms$', 503,
                            body='{"error_message": "try later"}',
                            content_type='application/json')
        stk = self.seed_stack(disable_rollback=False)
        stk.store()
        stk.create()
        self.assertCompletes(stk, stk.ROLLBACK)
        self.assertEqual({}, self.qinling.leftovers())
        self.assertEqual({}, self.aodh.leftovers())
        self.assertIn(('DELETE', '/v1/webhooks/'),
                      [(m, p[:13]) for m, p, s in self.qinling.requests])

    def test_unavailable_runtime_fails_create_with_qinling_reason(self):
        self.qinling.runtimes[self.runtime_id]['status'] = 'error'
        stk = self.seed_stack()
        stk.store()
        stk.create()
        self.assertEqual((stk.CREATE, stk.FAILED), stk.state)
        self.assertIn('Runtime %s is not available' % self.runtime_id,
                      stk.status_reason)
        self.assertEqual({}, self.qinling.leftovers())
        self.assertEqual({}, self.aodh.leftovers())

    def test_delete_fails_naming_an_alias_made_outside_the_stack(self):
        stk = self.create(self.seed_stack())
        function_id = stk['function'].resource_id
        self.qinling.add_alias('prod', function_id)
        stk.delete()
        self.assertFailsWith(stk, stk.DELETE, 'still in use by alias(es) prod')
        self.assertIn(function_id, self.qinling.functions)
        # Once the user removes what holds it, delete goes through.
        self.qinling.aliases.clear()
        stk.delete()
        self.assertCompletes(stk, stk.DELETE)
        self.assertEqual({}, self.qinling.leftovers())

    def test_delete_when_everything_is_already_gone(self):
        stk = self.create(self.seed_stack())
        self.qinling.webhooks.clear()
        self.qinling.functions.clear()
        self.aodh.alarms.clear()
        stk.delete()
        self.assertCompletes(stk, stk.DELETE)

    def test_function_attributes(self):
        stk = self.create(self.seed_stack())
        fn = stk['function']
        function = self.only(self.qinling.functions)
        for attr, value in (('runtime_id', self.runtime_id),
                            ('entry', 'hello_world.main'),
                            ('code', function['code']),
                            ('count', 0), ('latest_version', 0),
                            ('cpu', 100), ('memory_size', 33554432),
                            ('timeout', 5),
                            ('project_id', function['project_id'])):
            self.assertEqual(value, fn.FnGetAtt(attr), attr)
        self.assertEqual(function['id'], fn.FnGetAtt('show')['id'])
        function['count'] = 3
        self.assertEqual(3, fn.FnGetAtt('count'))

    def test_webhook_attributes(self):
        stk = self.create(self.seed_stack())
        hook = stk['webhook']
        webhook = self.only(self.qinling.webhooks)
        self.assertEqual(webhook['function_id'], hook.FnGetAtt('function_id'))
        self.assertEqual(0, hook.FnGetAtt('function_version'))
        self.assertEqual(hook.FnGetAtt('webhook_url'),
                         hook.FnGetAtt('show')['webhook_url'])


class AlarmByResourceNameTest(base.QinlingStackTestCase):

    def test_alarm_action_naming_the_webhook_resource(self):
        tmpl = copy.deepcopy(base.read_template(SEED))
        alarm = tmpl['resources']['alarm']
        alarm['properties']['alarm_actions'] = ['webhook']
        alarm['depends_on'] = ['webhook']
        stk = self.create(self.parse_stack(
            tmpl, files=base.template_files(SEED)))
        url = stk['webhook'].FnGetAtt('webhook_url')
        alarm = next(iter(self.aodh.alarms.values()))
        self.assertEqual([url], alarm['alarm_actions'])
        self.assertIn('/v1/webhooks/', url)
