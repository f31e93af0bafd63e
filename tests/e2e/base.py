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

"""Base class of the end-to-end tests: real clients against an already running
local cloud (``tools/localcloud up``).

The cloud is found like the CLI finds it: ``LOCALCLOUD_STATE_DIR`` and
``LOCALCLOUD_BASE_PORT``. If it is not up, every test fails saying so; nothing
is skipped. Stacks are created as a member user with python-heatclient (the
same calls ``openstack stack create`` makes) and each one is deleted in a
cleanup. Waits are bounded and their timeouts name what was awaited; nothing
asserts on time.

Each test has a Keystone project and a user of its own, with the demo user's
roles (made on first use, kept for the next run; a browser test's are its
class's, whose browser logs in once): in a test, "demo"
(``self.cloud.credentials('demo')``, ``clients.run_cli(..., who='demo')``,
the Horizon login) is that user, so that ``tools/run-tests`` can run tests at
the same time: one test's stacks, functions and alarms never show in
another's listings and never fire for another's events.
"""
import contextlib
import hashlib
import io
import json
import os
import re
import signal
import time
import uuid

from oslotest import base

from localcloud import clients
from localcloud import config
from localcloud import events
from localcloud import lifecycle

REPO = os.path.dirname(
    os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
)
TEMPLATES = os.path.join(REPO, 'templates')
SEED_TEMPLATE = os.path.join(TEMPLATES, 'function-webhook-event-alarm.yaml')
SEED_GET_FILE_TEMPLATE = os.path.join(
    TEMPLATES, 'function-webhook-event-alarm-get-file.yaml'
)
SEED_EVENT = 'compute.instance.create.end'
STACK_TIMEOUT = 180
EXECUTION_TIMEOUT = 60
# how long an event that should not fire gets to prove it does not, once a
# positive control event has shown that the path works (measured here: event to
# webhook POST < 0.2 s)
QUIET_PERIOD = 5

_cloud_state = {}


def running_cloud():
    """(cloud, None) or (None, reason), checked once per test process."""
    if 'result' not in _cloud_state:
        cloud = config.Cloud()
        reason = None
        try:
            if not os.path.isdir(cloud.state_dir):
                raise LookupError('its state dir does not exist')
            table, ok = lifecycle.rows(cloud, cloud.services())
            if not table:
                reason = 'no service is recorded'
            elif not ok:
                reason = 'not healthy: ' + ', '.join(
                    '%s %s' % (row[1], row[5])
                    for row in table
                    if row[5] != 'healthy'
                )
        except (
            Exception
        ) as exc:  # noqa: BLE001 - any failure means: not usable
            reason = '%s: %s' % (type(exc).__name__, exc)
        _cloud_state['result'] = (None if reason else cloud, reason, cloud)
    cloud, reason, probed = _cloud_state['result']
    if reason:
        reason = (
            'the local cloud (state dir %s, base port %d) is not up (%s).'
            ' Start it with `tools/localcloud up` (with the same'
            ' LOCALCLOUD_STATE_DIR and LOCALCLOUD_BASE_PORT) before running'
            ' the end-to-end tests.'
            % (probed.state_dir, probed.base_port, reason)
        )
    return cloud, reason


_accounts = {}
_admin = {}


def account_name(owner_id):
    """The user's and the project's name for a test (or class) id.

    ``e2e-`` and the id without ``tests.``, cut to Keystone's 64 characters
    for a project's name with a hash of the whole id at the end.
    """
    name = re.sub(r'[^A-Za-z0-9_.-]+', '_', owner_id)
    name = 'e2e-' + re.sub(r'^tests\.(e2e|browser)\.(test_)?', '', name)
    if len(name) > 64:
        digest = hashlib.sha1(owner_id.encode()).hexdigest()[:8]
        name = '%s-%s' % (name[:55], digest)
    return name


class OwnCloud(config.Cloud):
    """The cloud as one test (or class) sees it: "demo" is its own user.

    Only ``credentials('demo')`` differs (and so every client, CLI and login
    made from it): the cloud's own demo user, which ``up`` registers, stays
    the cloud's, so that ``lifecycle.up(self.cloud)`` changes no account.
    """

    def __init__(self, cloud, user, project):
        self.__dict__.update(vars(cloud))
        self.test_user, self.test_project = user, project

    def credentials(self, who='demo'):
        creds = super().credentials(who)
        if who == 'demo':
            creds.update(username=self.test_user,
                         password=self.secret(self.test_user),
                         project_name=self.test_project)
        return creds


def own_cloud(cloud, owner_id):
    """The cloud as the test (or class) ``owner_id`` sees it.

    Its user and project are created as admin unless they exist; the user's
    password is a secret of the cloud's state dir like every other.
    """
    key = (cloud.state_dir, owner_id)
    if key not in _accounts:
        name = account_name(owner_id)
        ensure_account(cloud, name, owner_id)
        _accounts[key] = OwnCloud(cloud, name, name)
    return _accounts[key]


def ensure_account(cloud, name, owner_id):
    """A user and a project called ``name``, with the demo user's roles.

    An existing user is left as it is: setting its password again would
    revoke the tokens of a test of the same class in another worker.
    """
    from keystoneauth1 import exceptions as ks_exc
    from keystoneclient.v3 import client

    if cloud.state_dir not in _admin:   # one admin client per process
        ks = client.Client(session=clients.session(cloud, 'admin'),
                           interface='public')
        roles = {r.name: r for r in ks.roles.list()}
        _admin[cloud.state_dir] = ks, [roles[r] for r in cloud.demo_roles]
    ks, roles = _admin[cloud.state_dir]

    def ensure(manager, name, **fields):
        def find():
            return next((x for x in manager.list(name=name, domain='default')
                         if x.name == name), None)
        # another worker may make it at the same moment
        try:
            return find() or manager.create(name=name, domain='default',
                                            **fields)
        except ks_exc.Conflict:
            return find()

    project = ensure(ks.projects, name,
                     description='end-to-end test %s' % owner_id)
    user = ensure(ks.users, name, password=cloud.secret(name),
                  default_project=project)
    for role in roles:
        ks.roles.grant(role, user=user, project=project)


def decode(value):
    """Qinling returns some JSON fields as strings (input, result)."""
    if isinstance(value, str):
        try:
            return json.loads(value)
        except ValueError:
            return value
    return value


class E2ETestCase(base.BaseTestCase):
    """Talks to the local cloud as its own user (as admin if need be)."""

    def setUp(self):
        super().setUp()
        cloud, reason = running_cloud()
        if reason:
            self.fail(reason)
        owner = self.account_owner()
        self.cloud = cloud = own_cloud(cloud, owner) if owner else cloud
        self.session = clients.session(cloud, 'demo')
        self.heat = clients.heat(cloud, sess=self.session)
        self.qinling = clients.qinling(cloud, sess=self.session)
        self.aodh = clients.aodh(cloud, sess=self.session)
        self.project_id = self.session.get_project_id()

    def account_owner(self):
        """Whose Keystone user and project this test uses: its own.

        None: the cloud's demo user's, for a class that runs what a user
        runs with the defaults; no other test uses them.
        """
        return self.id()

    # -- stacks ------------------------------------------------------------
    def unique_name(self, prefix):
        return '%s-%s' % (prefix, uuid.uuid4().hex[:8])

    def template_contents(self, path=SEED_TEMPLATE):
        """(template, files) as heatclient reads them for ``-t path``."""
        from heatclient.common import template_utils
        files, template = template_utils.get_template_contents(
            template_file=path
        )
        return template, files

    def create_stack(
        self,
        prefix='e2e',
        path=SEED_TEMPLATE,
        files=None,
        parameters=None,
        rollback=False,
        expected='CREATE_COMPLETE',
    ):
        """Create a stack, delete it in cleanup, wait for ``expected``."""
        template, template_files = self.template_contents(path)
        template_files.update(files or {})
        name = self.unique_name(prefix)
        created = self.heat.stacks.create(
            stack_name=name, template=template, files=template_files,
            parameters=parameters or {}, disable_rollback=not rollback)
        stack_id = created['stack']['id']
        self.addCleanup(self.delete_stack, stack_id)
        return self.wait_stack(stack_id, expected)

    def update_stack(
        self, stack, files=None, parameters=None, path=SEED_TEMPLATE
    ):
        template, template_files = self.template_contents(path)
        template_files.update(files or {})
        self.heat.stacks.update(
            stack.id,
            template=template,
            files=template_files,
            parameters=parameters or {},
        )
        return self.wait_stack(stack.id, 'UPDATE_COMPLETE')

    def wait_stack(self, stack_id, expected, timeout=STACK_TIMEOUT):
        """Wait until the stack leaves IN_PROGRESS; assert ``expected``."""
        def settled():
            stack = self.heat.stacks.get(stack_id)
            return (
                None if stack.stack_status.endswith('_IN_PROGRESS') else stack
            )
        stack = clients.wait_for(
            settled,
            timeout,
            'stack %s to reach %s' % (stack_id, expected),
            interval=0.5,
        )
        self.assertEqual(
            expected, stack.stack_status, stack.stack_status_reason
        )
        return stack

    def delete_stack(self, stack_id, timeout=STACK_TIMEOUT):
        """Delete and wait until gone; a stack that is gone already is fine."""
        from heatclient import exc as heat_exc

        def deleted():
            try:
                stack = self.heat.stacks.get(stack_id)
            except heat_exc.HTTPNotFound:
                return True
            return stack.stack_status == 'DELETE_COMPLETE'
        # Heat 27 answers 500 to a DELETE of a stack that is DELETE_COMPLETE
        # and not purged yet (its credentials are gone): ask first.
        if deleted():
            return
        try:
            self.heat.stacks.delete(stack_id)
        except heat_exc.HTTPNotFound:
            return
        except heat_exc.HTTPBadRequest:
            if not deleted():
                raise
            return

        def gone():
            try:
                stack = self.heat.stacks.get(stack_id)
            except heat_exc.HTTPNotFound:
                return True
            if stack.stack_status == 'DELETE_FAILED':
                raise AssertionError('stack %s DELETE_FAILED: %s'
                                     % (stack_id, stack.stack_status_reason))
            return stack.stack_status == 'DELETE_COMPLETE'
        clients.wait_for(
            gone, timeout, 'stack %s to be deleted' % stack_id, interval=0.5
        )

    @staticmethod
    def outputs(stack):
        return {o['output_key']: o['output_value'] for o in stack.outputs}

    # -- faults: stop, kill and restart this cloud's own processes ---------
    def stop_process(self, name):
        """Stop one recorded process of this cloud (SIGTERM, then SIGKILL)."""
        self.assertTrue(
            self.cloud.supervisor.stop(name), '%s was not running' % name
        )

    def kill_process(self, name):
        """SIGKILL the recorded process group of ``name``, as a crash would."""
        sup = self.cloud.supervisor
        self.assertIsNotNone(sup.running(name), '%s is not running' % name)
        os.killpg(sup.record(name)['pgid'], signal.SIGKILL)
        clients.wait_for(
            lambda: sup.running(name) is None, 30, '%s to die' % name
        )

    def start_missing(self):
        """``tools/localcloud up``: start what is not running."""
        with contextlib.redirect_stdout(io.StringIO()):
            lifecycle.up(self.cloud)

    def keep_cloud_up(self):
        """Restart whatever a fault test stopped, even when the test fails."""
        self.addCleanup(self.start_missing)

    def inventory(self):
        """IDs of the test project's functions, webhooks and alarms."""
        return (sorted(f.id for f in self.qinling.functions.list()),
                sorted(w.id for w in self.qinling.webhooks.list()),
                sorted(a['alarm_id'] for a in self.aodh.alarm.list()))

    def start_stack(self, prefix, path=SEED_TEMPLATE, parameters=None):
        """Send a stack create and return its ID at once (no wait)."""
        template, files = self.template_contents(path)
        created = self.heat.stacks.create(
            stack_name=self.unique_name(prefix),
            template=template,
            files=files,
            parameters=parameters or {},
            disable_rollback=True,
        )
        stack_id = created['stack']['id']
        self.addCleanup(self.delete_stack, stack_id)
        return stack_id

    def wait_resource_status(
        self, stack_id, resource, status, timeout=STACK_TIMEOUT
    ):
        """Wait until the stack's ``resource`` reports ``status``.

        ``status`` is one status (e.g. CREATE_IN_PROGRESS) or a tuple of them.
        """
        statuses = (status,) if isinstance(status, str) else tuple(status)

        def reached():
            try:
                rsrc = self.heat.resources.get(stack_id, resource)
            except Exception:  # noqa: BLE001 - not there yet
                return None
            return rsrc if rsrc.resource_status in statuses else None
        return clients.wait_for(reached, timeout, '%s of stack %s to be %s'
                                % (resource, stack_id, ' or '.join(statuses)),
                                interval=0.05)

    def wait_settled(self, stack_id, timeout=STACK_TIMEOUT):
        """The stack once it is no longer IN_PROGRESS."""
        def settled():
            stack = self.heat.stacks.get(stack_id)
            return (
                None if stack.stack_status.endswith('_IN_PROGRESS') else stack
            )
        return clients.wait_for(
            settled, timeout, 'stack %s to settle' % stack_id, interval=0.5
        )

    # -- events and executions --------------------------------------------
    def wait_until_alarms_cached(self):
        """Let aodh-listener's per-project alarm cache expire once.

        It then sees every alarm made before this call.
        """
        time.sleep(clients.alarm_cache_ttl(self.cloud) + 0.5)

    def emit(self, event_type=SEED_EVENT, project_id=None, payload=None,
             **fields):
        """Send the notification the service of ``event_type`` sends.

        For a server, volume... of the test's project by default; Ceilometer
        turns it into the event Aodh sees. ``fields`` as
        ``localcloud.events.build`` takes them. Returns the
        ``events.Notification``: its message_id is the event's.
        """
        return events.emit(self.cloud, event_type,
                           project_id or self.project_id, payload=payload,
                           **fields)

    def wait_for_executions(
        self, function_id, count=1, timeout=EXECUTION_TIMEOUT
    ):
        """The function's executions (oldest first) once ``count`` finished."""
        return clients.wait_for(
            lambda: clients.finished_executions(
                self.qinling, function_id, count
            ),
            timeout,
            '%d finished execution(s) of function %s' % (count, function_id),
        )

    def assertSucceeded(self, execution, output):
        result = decode(execution.result) or {}
        self.assertEqual(
            'success',
            execution.status,
            'execution %s: %s' % (execution.id, result),
        )
        self.assertEqual(output, result.get('output'))
