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


"""OS::Qinling::Webhook on Heat's engine against the fake Qinling: bad
input rejected at validation time, before anything is written; a webhook
that runs an alias, a function or a version of it."""
from tests.unit import base
from tests.unit.qinling import common


class WebhookTestCase(base.QinlingStackTestCase):

    def webhook_template(self, **props):
        return {
            'heat_template_version': '2018-08-31',
            'resources': {
                'hook': {'type': 'OS::Qinling::Webhook',
                         'properties': props},
            },
        }


class WebhookVersionValidationTest(WebhookTestCase):

    scenarios = [
        ('negative', dict(version=-1,
                          fragment='must be an integer of at least 0')),
        ('not_a_number', dict(version='latest', fragment='latest')),
    ]

    def test_version_must_be_integer_at_least_0(self):
        function_id = self.add_function('existing')
        stk = self.parse_stack(self.webhook_template(
            function=function_id, function_version=self.version))
        self.assertValidationFails(
            stk, 'properties.function_version', self.fragment)


class WebhookExistingFunctionTest(WebhookTestCase):
    """An existing function, named by its name or its ID, passes."""

    scenarios = [
        ('by_name', dict(by_id=False)),
        ('by_id', dict(by_id=True)),
    ]

    def test_existing_function_passes(self):
        function_id = self.add_function('existing')
        ref = function_id if self.by_id else 'existing'
        self.parse_stack(self.webhook_template(function=ref)).validate()
        self.assertEqual([], self.qinling.write_requests())


class WebhookValidationTest(WebhookTestCase):

    def test_unknown_function(self):
        stk = self.parse_stack(self.webhook_template(function='no-such-fn'))
        self.assertValidationFails(stk, 'properties.function', 'no-such-fn',
                                   'could not be found')


class AliasWebhookTestCase(common.VersionsTestCase):

    def setUp(self):
        super().setUp()
        self.function_id = self.outside_function()
        self.publish(self.function_id, 'a = 1\n')
        self.publish(self.function_id, 'a = 2\n')
        self.qinling.add_alias('live', self.function_id, 1)
        del self.qinling.requests[:]

    def hook_template(self, **props):
        return common.stack_template(
            {'hook': {'type': 'OS::Qinling::Webhook', 'properties': props}})


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


class OrphanAlarmTest(base.QinlingStackTestCase):
    """A webhook's delete removes only the alarms Heat lost that call it.

    heat_internals.delete_orphan_alarms: alarms of this stack (named
    "<stack>-...") with this webhook's URL in their actions.
    """

    def alarm(self, name, url):
        alarm_id = 'alarm-%s' % name
        self.aodh.alarms[alarm_id] = {'alarm_id': alarm_id, 'name': name,
                                      'alarm_actions': [url]}
        return alarm_id

    def test_only_this_stacks_alarms_that_call_this_webhook(self):
        stk = self.create(self.parse_stack(common.stack_template({
            'fn': common.FUNCTION,
            'hook': {'type': 'OS::Qinling::Webhook',
                     'properties': {'function': {'get_resource': 'fn'}}}})))
        url = stk['hook'].FnGetAtt('webhook_url')
        other_url = url.replace(stk['hook'].resource_id, 'another-webhook')
        lost = self.alarm('seed-alarm-lost', url)
        kept = [self.alarm('seed-alarm-other-url', other_url),
                self.alarm('seed2-alarm-same-url', url),
                self.alarm('made-outside-heat', url),
                self.alarm('seed-alarm-query', url + '?x=1')]
        stk.delete()
        self.assertCompletes(stk, stk.DELETE)
        self.assertNotIn(lost, self.aodh.alarms)
        self.assertEqual(sorted(kept), sorted(self.aodh.alarms))


class WebhookFunctionLookupUnansweredTest(WebhookTestCase):

    def test_function_by_name_unanswered_fails_and_changes_nothing(self):
        # as for a function's runtime (test_failed_updates): the function's
        # name, left as given when Qinling did not answer its lookup, is
        # no other function; the webhook and its URL stay as they are
        from heat.common import exception
        from heat.engine import scheduler
        function_id = self.add_function('named-fn')
        stk = self.create(self.parse_stack(self.webhook_template(
            function='named-fn', description='one')))
        hook = stk['hook']
        webhook_id = hook.resource_id
        updated = self.parse_stack(self.webhook_template(
            function='named-fn', description='two'))
        del self.qinling.requests[:]
        self.qinling.fail_next('GET', '^/v1/functions$', 503,
                               'Service Unavailable')
        ex = self.assertRaises(
            exception.ResourceFailure, scheduler.TaskRunner(
                hook.update, updated.t.resource_definitions(updated)['hook']))
        self.assertIn('Qinling did not answer when function "named-fn" was '
                      'looked up', str(ex))
        self.assertEqual((hook.UPDATE, hook.FAILED), hook.state)
        self.assertEqual([], self.qinling.write_requests())
        self.assertEqual([webhook_id], list(self.qinling.webhooks))
        self.assertEqual(function_id,
                         self.qinling.webhooks[webhook_id]['function_id'])
