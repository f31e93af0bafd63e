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

"""Stack lifecycle of the seed chain on the local cloud: update in place,
delete, and rollback of a failed create, checked through the Qinling and Aodh
APIs."""
import os
import shutil

from aodhclient import exceptions as aodh_exc
import fixtures
from qinlingclient.common import exceptions as qinling_exc

from localcloud import clients
from tests.e2e import base

NEW_CODE = '''\
def main(name='World', **kwargs):
    return 'Goodbye, %s' % name
'''

# The seed chain twice, as nested stacks: ``bad`` starts only once ``good`` is
# complete, so the rollback has a whole chain in Qinling and Aodh to remove.
ROLLBACK_TEMPLATE = '''\
heat_template_version: 2018-08-31
parameters:
  bad_runtime: {type: string}
resources:
  good:
    type: %(seed)s
  bad:
    type: %(seed)s
    depends_on: good
    properties:
      runtime: {get_param: bad_runtime}
'''
# The local executor serves only python3 runtime images: Qinling's engine marks
# a runtime of any other image ``error``, a real "not available" runtime.
UNAVAILABLE_IMAGE = 'localcloud/no-such-runtime'


class UpdateTest(base.E2ETestCase):

    def test_code_update_keeps_function_and_webhook(self):
        # the get_file twin of the seed: the one whose code a CLI user edits
        stack = self.create_stack(
            'e2e-update', path=base.SEED_GET_FILE_TEMPLATE
        )
        before = self.outputs(stack)
        md5_before = self.qinling.functions.get(before['function_id']).code[
            'md5sum'
        ]

        # what a user does: edit a copy of the templates, then stack update -t
        copy = os.path.join(
            self.useFixture(fixtures.TempDir()).path, 'templates'
        )
        shutil.copytree(base.TEMPLATES, copy)
        with open(os.path.join(copy, 'functions', 'hello_world.py'), 'w') as f:
            f.write(NEW_CODE)
        stack = self.update_stack(
            stack,
            path=os.path.join(
                copy, os.path.basename(base.SEED_GET_FILE_TEMPLATE)
            ),
        )

        after = self.outputs(stack)
        self.assertEqual(before['function_id'], after['function_id'])
        self.assertEqual(before['webhook_url'], after['webhook_url'])
        self.assertEqual(before['alarm_id'], after['alarm_id'])
        self.assertNotEqual(
            md5_before,
            self.qinling.functions.get(after['function_id']).code['md5sum'],
        )

        self.wait_until_alarms_cached()
        self.emit(name='after-update')
        [execution] = self.wait_for_executions(after['function_id'])
        self.assertSucceeded(execution, 'Goodbye, World')


class DeleteTest(base.E2ETestCase):

    def test_delete_removes_function_webhook_and_alarm(self):
        stack = self.create_stack('e2e-delete')
        out = self.outputs(stack)
        webhook_id = out['webhook_url'].rstrip('/').split('/')[-2]
        self.assertEqual(out['function_id'],
                         self.qinling.webhooks.get(webhook_id).function_id)

        self.delete_stack(stack.id)

        self.assertRaises(qinling_exc.HTTPException,
                          self.qinling.functions.get, out['function_id'])
        self.assertRaises(
            qinling_exc.HTTPException, self.qinling.webhooks.get, webhook_id
        )
        self.assertRaises(
            aodh_exc.NotFound, self.aodh.alarm.get, out['alarm_id']
        )
        self.assertNotIn(
            out['function_id'], [f.id for f in self.qinling.functions.list()]
        )
        self.assertNotIn(
            webhook_id, [w.id for w in self.qinling.webhooks.list()]
        )
        self.assertNotIn(
            out['alarm_id'], [a['alarm_id'] for a in self.aodh.alarm.list()]
        )


class RollbackTest(base.E2ETestCase):

    def unavailable_runtime(self):
        """A public runtime the test owns, in status ``error`` (as admin)."""
        admin = clients.qinling(self.cloud, 'admin')
        runtime = admin.runtimes.create(
            image=UNAVAILABLE_IMAGE,
            name=self.unique_name('e2e-unavailable'),
            is_public=True,
        )
        self.addCleanup(admin.runtimes.delete, runtime.id)
        runtime = clients.wait_for(
            lambda: [
                r
                for r in [admin.runtimes.get(runtime.id)]
                if r.status != 'creating'
            ],
            30,
            'runtime %s to leave creating' % runtime.id,
        )[0]
        self.assertEqual('error', runtime.status)
        return runtime

    def inventory(self):
        return (sorted(f.id for f in self.qinling.functions.list()),
                sorted(w.id for w in self.qinling.webhooks.list()),
                sorted(a['alarm_id'] for a in self.aodh.alarm.list()))

    def test_failed_create_rolls_back_everything(self):
        runtime = self.unavailable_runtime()
        before = self.inventory()
        tmpdir = self.useFixture(fixtures.TempDir()).path
        path = os.path.join(tmpdir, 'two-chains.yaml')
        with open(path, 'w') as f:
            f.write(ROLLBACK_TEMPLATE % {'seed': base.SEED_TEMPLATE})

        stack = self.create_stack('e2e-rollback', path=path, rollback=True,
                                  parameters={'bad_runtime': runtime.id},
                                  expected='ROLLBACK_COMPLETE')

        events = self.heat.events.list(stack.id)
        states = {(e.resource_name, e.resource_status) for e in events}
        self.assertIn(('good', 'CREATE_COMPLETE'), states)
        self.assertIn(('bad', 'CREATE_FAILED'), states)
        reasons = ' '.join(e.resource_status_reason or '' for e in events
                           if e.resource_name == 'bad')
        self.assertIn('not available', reasons)
        self.assertEqual(before, self.inventory())
