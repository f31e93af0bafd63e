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

"""Blue/green releases on the local cloud (templates/examples/blue-green.yaml):
publish v1, an alias on v1, a webhook on the alias, an event runs v1; new code
publishes v2; moving the alias makes the same URL run v2; moving it back rolls
back; deleting the stack leaves nothing. Then the inputs the plugin refuses
before Qinling sees them."""
import io
import json
import os
import shutil

import fixtures
from heatclient import exc as heat_exc
from qinlingclient.common import exceptions as qinling_exc
import requests

from heat_qinling import package
from localcloud import clients
from tests.e2e import base

EXAMPLE = os.path.join('examples', 'blue-green.yaml')
V2_CODE = '''\
def main(name='World', **kwargs):
    return 'Goodbye, %s' % name
'''


class TolerantWaits(base.E2ETestCase):

    def wait_stack(self, stack_id, expected, timeout=base.STACK_TIMEOUT):
        """base.wait_stack, through a Heat 27 race.

        A stack GET while an update replaces resource properties can answer
        404 "ResourcePropertiesData with id N not found" (seen on sqlite).
        """
        def settled():
            try:
                stack = self.heat.stacks.get(stack_id)
            except heat_exc.HTTPNotFound as ex:
                if 'ResourcePropertiesData' in str(ex):
                    return None
                raise
            if stack.stack_status.endswith('_IN_PROGRESS'):
                return None
            return stack
        stack = clients.wait_for(settled, timeout, 'stack %s to reach %s'
                                 % (stack_id, expected), interval=0.5)
        self.assertEqual(expected, stack.stack_status,
                         stack.stack_status_reason)
        return stack


class BlueGreenTest(TolerantWaits):

    def templates_copy(self):
        """A copy of templates/ that the test may edit, and its example."""
        copy = os.path.join(self.useFixture(fixtures.TempDir()).path, 't')
        shutil.copytree(base.TEMPLATES, copy)
        return copy, os.path.join(copy, EXAMPLE)

    def run_once(self, url, function_id, count):
        """POST to url; the function's executions once ``count`` exist."""
        self.assertEqual(202, requests.post(url, json={}).status_code)
        return self.wait_for_executions(function_id, count)

    def test_publish_event_promote_roll_back_delete(self):
        tmpl_dir, path = self.templates_copy()
        stack = self.create_stack('e2e-bg', path=path)
        out = self.outputs(stack)
        fid, url = out['function_id'], out['webhook_url']
        self.assertEqual((1, 1), (out['latest_version'],
                                  out['live_version']))
        alias = self.qinling.function_aliases.get(out['alias_name'])
        self.assertEqual((fid, 1), (alias.function_id,
                                    alias.function_version))

        # An event runs v1 through the alias.
        self.wait_until_alarms_cached()
        self.emit(name='blue')
        [first] = self.wait_for_executions(fid, 1)
        self.assertEqual(1, first.function_version)
        self.assertSucceeded(first, 'Hello, World')

        # New code: v2 is published, the live URL still runs v1.
        with open(os.path.join(tmpl_dir, 'functions', 'hello_world.py'),
                  'w') as f:
            f.write(V2_CODE)
        stack = self.update_stack(stack, path=path)
        out2 = self.outputs(stack)
        self.assertEqual((2, 1), (out2['latest_version'],
                                  out2['live_version']))
        self.assertEqual((url, out['candidate_url']),
                         (out2['webhook_url'], out2['candidate_url']))
        self.assertEqual([1, 2], sorted(
            v.version_number
            for v in self.qinling.function_versions.list(fid)))
        candidate = self.run_once(out2['candidate_url'], fid, 2)[-1]
        self.assertEqual(2, candidate.function_version)
        self.assertSucceeded(candidate, 'Goodbye, World')

        # Promote: one parameter; the same URL (and event) now run v2.
        stack = self.update_stack(stack, path=path,
                                  parameters={'live_version': 2})
        self.assertEqual((url, 2), (self.outputs(stack)['webhook_url'],
                                    self.outputs(stack)['live_version']))
        self.emit(name='green')
        promoted = self.wait_for_executions(fid, 3)[-1]
        self.assertEqual(2, promoted.function_version)
        self.assertSucceeded(promoted, 'Goodbye, World')

        # Roll back: the same URL runs v1 again.
        stack = self.update_stack(stack, path=path,
                                  parameters={'live_version': 1})
        rolled_back = self.run_once(url, fid, 4)[-1]
        self.assertEqual(1, rolled_back.function_version)
        self.assertSucceeded(rolled_back, 'Hello, World')

        # Deleting the stack leaves nothing, retained versions included.
        webhook_ids = [u.split('/')[-2] for u in (url, out['candidate_url'])]
        self.delete_stack(stack.id)
        self.assertNotIn(fid, [f.id for f in self.qinling.functions.list()])
        self.assertNotIn(out['alias_name'], [
            a.name for a in self.qinling.function_aliases.list()])
        self.assertFalse(set(webhook_ids) & {
            w.id for w in self.qinling.webhooks.list()})
        self.assertNotIn(out['alarm_id'], [
            a['alarm_id'] for a in self.aodh.alarm.list()])


class RejectedInputTest(TolerantWaits):
    """Refused before any write, with a message that names the fix."""

    def setUp(self):
        super().setUp()
        self.function_id = self.outside_function()

    def outside_function(self):
        code = {'hello_world.py': 'def main(**kw):\n    return 1\n'}
        runtime = [r.id for r in self.qinling.runtimes.list()
                   if r.name == 'python3'][0]
        function = self.qinling.functions.create(
            {'source': 'package'}, runtime=runtime,
            package=io.BytesIO(package.build_zip(code)),
            name=self.unique_name('e2e-bg-fn'), entry='hello_world.main')
        self.addCleanup(self.qinling.functions.delete, function.id)
        self.qinling.function_versions.create(function.id)
        return function.id

    def outside_alias(self, version):
        name = self.unique_name('e2e-bg-alias')
        self.qinling.function_aliases.create(name, self.function_id,
                                             version)
        self.addCleanup(self.qinling.function_aliases.delete, name)
        return name

    def inventory(self):
        """This test's function's aliases and webhooks.

        Tests may run in parallel in the same project.
        """
        return (sorted((a.name, a.function_version)
                       for a in self.qinling.function_aliases.list()
                       if a.function_id == self.function_id),
                sorted(w.id for w in self.qinling.webhooks.list()
                       if w.function_id == self.function_id))

    def alias_template(self, **props):
        tmpl = {'heat_template_version': '2018-08-31',
                'resources': {'alias': {'type': 'OS::Qinling::Alias',
                                        'properties': props}}}
        props.setdefault('function', self.function_id)
        return tmpl

    def assertRejected(self, template, *fragments):
        before = self.inventory()
        for call in (
                lambda: self.heat.stacks.validate(template=template),
                lambda: self.heat.stacks.preview(
                    stack_name=self.unique_name('e2e-bg-preview'),
                    template=template)):
            ex = self.assertRaises(heat_exc.HTTPBadRequest, call)
            for fragment in fragments:
                self.assertIn(fragment, str(ex))
        self.assertEqual(before, self.inventory())

    def test_nonexistent_version(self):
        self.assertRejected(self.alias_template(function_version=5),
                            'resources.alias.properties.function_version',
                            'has no version 5 (its versions: 1)',
                            'or 0 for the latest code')

    def test_duplicate_alias_target(self):
        other = self.outside_alias(1)
        self.assertRejected(self.alias_template(function_version=1),
                            'Alias %s already points at version 1' % other,
                            'one alias per function version')

    def test_alias_in_use_is_not_deleted(self):
        stack = self.create_stack(
            'e2e-bg-inuse', path=self.write(self.alias_template(
                function_version=1)))
        name = self.heat.resources.get(stack.id, 'alias').physical_resource_id
        webhook = self.qinling.webhooks.create(None, function_alias=name)
        self.addCleanup(self.delete_quietly, self.qinling.webhooks,
                        webhook.id)
        self.heat.stacks.delete(stack.id)
        failed = self.wait_stack(stack.id, 'DELETE_FAILED')
        self.assertIn('alias %s is still in use by webhook(s) %s'
                      % (name, webhook.id), failed.stack_status_reason)
        self.assertEqual(name, self.qinling.function_aliases.get(name).name)
        self.assertEqual(202, requests.post(webhook.webhook_url,
                                            json={}).status_code)
        self.qinling.webhooks.delete(webhook.id)
        self.delete_stack(stack.id)
        self.assertNotIn(name, [a.name for a in
                                self.qinling.function_aliases.list()])

    @staticmethod
    def delete_quietly(manager, *args):
        try:
            manager.delete(*args)
        except qinling_exc.HTTPNotFound:
            pass

    def write(self, template):
        path = os.path.join(self.useFixture(fixtures.TempDir()).path,
                            'alias.yaml')
        with open(path, 'w') as f:
            json.dump(template, f)
        return path


class AliasWebhookUpdateTest(RejectedInputTest):
    """A webhook switches between an alias and a function, in place.

    It also changes its description while on an alias (Qinling answers that
    PUT with 404), all in place: same webhook, same URL.
    """

    test_nonexistent_version = None
    test_duplicate_alias_target = None
    test_alias_in_use_is_not_deleted = None

    def hook_template(self, **props):
        return {'heat_template_version': '2018-08-31',
                'resources': {'hook': {'type': 'OS::Qinling::Webhook',
                                       'properties': props}}}

    def test_switch_and_describe_in_place(self):
        alias = self.outside_alias(1)
        stack = self.create_stack('e2e-bg-hook', path=self.write(
            self.hook_template(function_alias=alias, description='a')))
        hook_id = self.heat.resources.get(stack.id,
                                          'hook').physical_resource_id
        url = self.qinling.webhooks.get(hook_id).webhook_url
        for props in ({'function_alias': alias, 'description': 'b'},
                      {'function': self.function_id, 'function_version': 1},
                      {'function_alias': alias, 'description': 'c'}):
            stack = self.update_stack(stack, path=self.write(
                self.hook_template(**props)))
            self.assertEqual(hook_id, self.heat.resources.get(
                stack.id, 'hook').physical_resource_id)
            webhook = self.qinling.webhooks.get(hook_id)
            self.assertEqual(url, webhook.webhook_url)
            self.assertEqual(
                (props.get('function_alias'), props.get('function'),
                 props.get('description', '')),
                (webhook.function_alias, webhook.function_id,
                 webhook.description or ''))
