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

"""Self-tests: drive the fakes through the real Qinling and Aodh clients."""

import concurrent.futures
import hashlib
import io
import json
import uuid
import zipfile

from aodhclient import exceptions as aodh_exc
from aodhclient.v2 import client as aodh_client
from keystoneauth1 import session
from keystoneauth1 import token_endpoint
from oslotest import base
from qinlingclient.common import exceptions as qinling_exc
from qinlingclient.v1 import client as qinling_client
import requests
import testscenarios

from tests.fakes import aodh
from tests.fakes import contract
from tests.fakes import qinling


def _zip(text='def main(**kw):\n    return kw\n'):
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, 'w') as archive:
        archive.writestr('main.py', text)
    return buf.getvalue()


def _session(url):
    return session.Session(auth=token_endpoint.Token(url, 'fake-token'))


class FakeQinlingTestCase(base.BaseTestCase):
    """A fake Qinling with one runtime, driven by python-qinlingclient."""

    def setUp(self):
        super().setUp()
        self.fake = self.useFixture(qinling.FakeQinling())
        self.client = qinling_client.Client(self.fake.url,
                                            session=_session(self.fake.url))
        self.runtime_id = self.fake.add_runtime()

    def _create(self, package=None, **kwargs):
        return self.client.functions.create(
            {'source': 'package'}, runtime=self.runtime_id,
            package=io.BytesIO(package or _zip()), **kwargs)

    def _raises(self, exc_class, message, call, *args, **kwargs):
        error = self.assertRaises(exc_class, call, *args, **kwargs)
        self.assertEqual(message, error.details)
        return error


class FunctionCreateValidationTest(testscenarios.WithScenarios,
                                   FakeQinlingTestCase):
    """Each invalid create answers Qinling's error and writes nothing."""

    scenarios = [
        ('cpu', dict(
            error=qinling_exc.HTTPBadRequest, kwargs={'cpu': 99},
            message='cpu resource limitation not within the allowable '
                    'range: 100 ~ 300(millicpu).')),
        ('memory', dict(
            error=qinling_exc.HTTPBadRequest,
            kwargs={'memory_size': 'lots'},
            message='Invalid memory resource specified. An integer is '
                    'required.')),
        ('md5_mismatch', dict(
            error=qinling_exc.HTTPBadRequest, code={'md5sum': 'x'},
            message='Package md5 mismatch.')),
        ('not_a_zip', dict(
            error=qinling_exc.HTTPBadRequest, package=b'not a zip',
            message='Package is not a valid ZIP package.')),
        ('runtime_not_available', dict(
            error=qinling_exc.HTTPBadRequest, runtime_status='creating',
            message='Runtime %(runtime)s is not available.')),
        ('runtime_missing', dict(
            error=qinling_exc.HTTPNotFound, runtime='missing',
            message='Runtime not found [id=missing]')),
    ]
    kwargs = {}
    code = {}
    package = None
    runtime_status = None
    runtime = None

    def test_rejected_nothing_written(self):
        if self.runtime_status:
            self.fake.runtimes[self.runtime_id]['status'] = (
                self.runtime_status)
        runtime = self.runtime or self.runtime_id
        self._raises(self.error, self.message % {'runtime': runtime},
                     self.client.functions.create,
                     dict({'source': 'package'}, **self.code),
                     runtime=runtime,
                     package=io.BytesIO(self.package or _zip()),
                     **self.kwargs)
        self.assertEqual({}, self.fake.leftovers())


class FakeQinlingTest(FakeQinlingTestCase):

    def test_runtime_becomes_available_or_error(self):
        runtime = self.client.runtimes.create('python3')
        self.assertEqual('creating', runtime.status)
        self.assertEqual('available',
                         self.client.runtimes.get(runtime.id).status)
        self.fake.runtime_outcome = 'error'
        runtime = self.client.runtimes.create('python3')
        self.assertEqual('error', self.client.runtimes.get(runtime.id).status)

    def test_runtime_delete_in_use_is_403_wsme(self):
        function = self._create()
        response = requests.delete('%s/v1/runtimes/%s'
                                   % (self.fake.url, self.runtime_id))
        self.assertEqual(403, response.status_code)
        self.assertEqual({'faultcode': 'Client', 'debuginfo': None,
                          'faultstring': 'Runtime %s is still in use.'
                          % self.runtime_id}, response.json())
        self.client.functions.delete(function.id)
        self.client.runtimes.delete(self.runtime_id)
        self.assertEqual('deleting',
                         self.client.runtimes.get(self.runtime_id).status)
        self.assertRaises(qinling_exc.HTTPNotFound,
                          self.client.runtimes.get, self.runtime_id)

    def test_function_create_get_list_download(self):
        package = _zip()
        function = self._create(package, name='f', cpu=200, timeout=10)
        md5 = hashlib.md5(package).hexdigest()
        self.assertEqual({'source': 'package', 'md5sum': md5}, function.code)
        got = self.client.functions.get(function.id)
        self.assertEqual((200, 33554432, 10, 'main.main', 0),
                         (got.cpu, got.memory_size, got.timeout, got.entry,
                          got.latest_version))
        listed = self.client.functions.list()[0]
        self.assertEqual({'source': 'package', 'md5sum': md5},
                         json.loads(listed.code))
        download = self.client.functions.get(function.id, download=True)
        self.assertEqual(package, download.content)

    def test_function_create_urlencoded_image(self):
        response = requests.post(self.fake.url + '/v1/functions', data={
            'code': json.dumps({'source': 'image', 'image': 'busybox'})})
        self.assertEqual(201, response.status_code)
        self.assertIsNone(response.json()['entry'])

    def test_function_update(self):
        function = self._create()
        new_package = _zip('def main():\n    return 2\n')
        updated = self.client.functions.update(
            function.id, package=io.BytesIO(new_package), entry='main.main')
        self.assertEqual(hashlib.md5(new_package).hexdigest(),
                         updated.code['md5sum'])
        http = self.client.http_client
        url = '/v1/functions/%s' % function.id
        self._raises(qinling_exc.HTTPBadRequest,
                     'The function code checksum is not changed.',
                     http.request, url, 'PUT', data={'code': json.dumps(
                         updated.code)}, files={'package': new_package})
        self._raises(qinling_exc.HTTPBadRequest,
                     'The function code type can not be changed.',
                     http.request, url, 'PUT', data={'code': json.dumps(
                         {'source': 'image', 'image': 'x'})})
        renamed = self.client.functions.update(function.id, name='new')
        self.assertEqual('new', renamed.name)
        self.assertIsNotNone(renamed.updated_at)

    def test_function_delete_blocked_then_404(self):
        function = self._create()
        webhook = self.client.webhooks.create(function.id)
        self.fake.add_alias('live', function.id)
        job = self.fake.add_job(function.id)
        self.assertEqual([job], [j.id for j in self.client.jobs.list()])
        for blocker, message in (
                (lambda: self.fake.jobs.pop(job), 'running job(s)'),
                (lambda: self.client.webhooks.delete(webhook.id),
                 'webhook(s)'),
                (lambda: self.client.function_aliases.delete('live'),
                 'function alias(es)')):
            self._raises(qinling_exc.HTTPForbidden,
                         'The function is still associated with %s.'
                         % message, self.client.functions.delete, function.id)
            blocker()
        self.client.functions.delete(function.id)
        response = requests.get('%s/v1/functions/%s'
                                % (self.fake.url, function.id))
        self.assertEqual((404, {'faultstring': 'Function not found [id=%s]'
                                % function.id}),
                         (response.status_code, response.json()))
        self.assertEqual({}, self.fake.leftovers())
        deletes = [r[1] for r in self.fake.write_requests()
                   if r[0] == 'DELETE' and r[2] == 204]
        self.assertEqual(['/v1/webhooks/' + webhook.id, '/v1/aliases/live',
                          '/v1/functions/' + function.id], deletes)

    def test_versions_and_alias_duplicates(self):
        function = self._create()
        version = self.client.function_versions.create(function.id)
        self.assertEqual(1, version.version_number)
        self._raises(qinling_exc.HTTPForbidden,
                     'Function package not changed since the latest '
                     'version 1.', self.client.function_versions.create,
                     function.id)
        self.client.function_aliases.create('a', function.id, 1)
        self._raises(qinling_exc.HTTPBadRequest,
                     "Duplicate entry for function_aliases: ['name']",
                     self.client.function_aliases.create, 'a', function.id)
        self._raises(qinling_exc.HTTPForbidden,
                     'The function version is still associated with alias.',
                     self.client.function_versions.delete, function.id, 1)

    # -- versions, aliases and alias-bound webhooks (issue 7) -------------
    # Each test pins a behaviour of the real 5.0.0 server that the plugin
    # works around.

    def _new_code(self, function, text):
        self.client.functions.update(function.id,
                                     package=io.BytesIO(_zip(text)))

    def test_version_only_from_new_code_compared_with_latest(self):
        function = self._create(_zip('A'))
        self.assertEqual(1, self.client.function_versions.create(
            function.id).version_number)
        self._new_code(function, 'B')
        self.assertEqual(2, self.client.function_versions.create(
            function.id).version_number)
        self._new_code(function, 'A')   # same as v1, not as the latest
        self.assertEqual(3, self.client.function_versions.create(
            function.id).version_number)
        self._raises(qinling_exc.HTTPForbidden,
                     'Function package not changed since the latest '
                     'version 3.', self.client.function_versions.create,
                     function.id)

    def test_version_cap_and_non_package(self):
        function = self._create()
        for n in range(qinling.MAX_VERSIONS):
            self._new_code(function, str(n))
            self.client.function_versions.create(function.id)
        self._new_code(function, 'eleventh')
        self._raises(qinling_exc.HTTPForbidden,
                     'Can not exceed maximum number(10) of versions',
                     self.client.function_versions.create, function.id)
        image = self.client.functions.create(
            {'source': 'image', 'image': 'busybox'})
        self._raises(qinling_exc.HTTPForbidden,
                     'Function versioning only allowed for package type '
                     'function.', self.client.function_versions.create,
                     image.id)

    def test_version_number_reused_after_delete_of_latest(self):
        function = self._create(_zip('A'))
        for text in ('B', 'C'):
            self.client.function_versions.create(function.id)
            self._new_code(function, text)
        v3 = self.client.function_versions.create(function.id)
        self.client.function_versions.delete(function.id, 2)
        self.client.function_versions.delete(function.id, 3)
        # latest_version went 3 -> 2 (version 2 is gone): the next is 3
        # again, with a new ID, and the "not changed" check is skipped.
        self.assertEqual(2, self.client.functions.get(
            function.id).latest_version)
        again = self.client.function_versions.create(function.id)
        self.assertEqual(3, again.version_number)
        self.assertNotEqual(v3.id, again.id)
        self.assertEqual([1, 3], [v.version_number for v in
                                  self.client.function_versions.list(
                                      function.id)])

    def test_alias_checks_neither_version_nor_target_on_update(self):
        function = self._create()
        missing = self.client.function_aliases.create('a', function.id, 9)
        self.assertEqual(9, missing.function_version)
        response = requests.post(self.fake.url + '/v1/aliases', json={
            'name': 'b', 'function_id': function.id})
        self.assertEqual((201, 0), (response.status_code,
                                    response.json()['function_version']))
        self._raises(qinling_exc.HTTPBadRequest,
                     "Duplicate entry for function_aliases: "
                     "['function_id']",
                     self.client.function_aliases.create, 'c', function.id,
                     0)
        response = requests.put(self.fake.url + '/v1/aliases/a',
                                json={'function_version': 0})
        self.assertEqual((500, 'Server'), (response.status_code,
                                           response.json()['faultcode']))
        self.assertIn('IntegrityError', response.json()['faultstring'])
        self.assertEqual(9, self.client.function_aliases.get(
            'a').function_version)

    def test_alias_delete_not_refused_webhook_then_404(self):
        function = self._create()
        self.client.function_aliases.create('live', function.id)
        webhook = self.client.webhooks.create(None, function_alias='live')
        self.client.function_aliases.delete('live')
        response = requests.post(webhook.webhook_url)
        self.assertEqual((404, {'faultstring':
                                'FunctionAlias not found [name=live]'}),
                         (response.status_code, response.json()))

    def test_webhook_on_alias_follows_it_and_description_update_404s(self):
        function = self._create(_zip('A'))
        self.client.function_versions.create(function.id)
        self._new_code(function, 'B')
        self.client.function_versions.create(function.id)
        self.client.function_aliases.create('live', function.id, 1)
        webhook = self.client.webhooks.create(None, function_alias='live',
                                              description='d')
        self.assertEqual((None, None, 'live'),
                         (webhook.function_id, webhook.function_version,
                          webhook.function_alias))

        def invoked_version():
            execution_id = requests.post(webhook.webhook_url).json()[
                'execution_id']
            return self.client.function_executions.get(
                execution_id).function_version
        self.assertEqual(1, invoked_version())
        self.client.function_aliases.update('live', function_version=2)
        self.assertEqual(2, invoked_version())
        # Work-around for the 404 of a description-only PUT
        # (AliasWebhookUpdateTest): through the alias's target, then back.
        self.client.webhooks.update(webhook.id, function_id=function.id,
                                    function_version=2)
        back = self.client.webhooks.update(webhook.id, function_alias='live',
                                           description='e')
        self.assertEqual((webhook.id, None, 'live', 'e'),
                         (back.id, back.function_id, back.function_alias,
                          back.description))
        # A switch to a function clears the alias.
        direct = self.client.webhooks.update(webhook.id,
                                             function_id=function.id,
                                             function_version=0)
        self.assertEqual((function.id, 0, None),
                         (direct.function_id, direct.function_version,
                          direct.function_alias))

    def test_webhook_invoke_records_execution(self):
        function = self._create()
        webhook = self.client.webhooks.create(function.id)
        self.assertEqual('%s/v1/webhooks/%s/invoke'
                         % (self.fake.url, webhook.id), webhook.webhook_url)
        response = requests.post(webhook.webhook_url, json={'name': 'heat'})
        self.assertEqual(202, response.status_code)
        execution = self.client.function_executions.get(
            response.json()['execution_id'])
        self.assertEqual(('{"name": "heat"}', 'running', False),
                         (execution.input, execution.status, execution.sync))
        self.assertEqual(1, self.client.functions.get(function.id).count)
        self.assertEqual(1, len(self.client.function_executions.list(
            function_id=function.id)))

    def test_webhook_without_version_cannot_be_invoked(self):
        function = self._create()
        response = requests.post(self.fake.url + '/v1/webhooks',
                                 json={'function_id': function.id})
        self.assertIsNone(response.json()['function_version'])
        invoked = requests.post(response.json()['webhook_url'])
        self.assertEqual((500, b''), (invoked.status_code, invoked.content))

    def test_webhook_validation(self):
        self._raises(qinling_exc.HTTPBadRequest,
                     'Either function_alias or function_id must be provided.',
                     self.client.webhooks.create, None)
        self._raises(qinling_exc.HTTPBadRequest,
                     'Unknown attribute for argument webhook: bogus',
                     self.client.http_client.json_request, '/v1/webhooks',
                     'POST', data={'bogus': 1})

    def test_fail_next(self):
        self.fake.fail_next('get', r'/v1/functions$', 500)
        error = self.assertRaises(qinling_exc.HTTPInternalServerError,
                                  self.client.functions.list)
        self.assertEqual('HTTPInternalServerError', error.details)
        self.fake.fail_next('POST', 'functions', 503, b'{"faultstring": "x"}',
                            'application/json')
        self._raises(qinling_exc.HTTPServiceUnavailable, 'x', self._create)
        self.assertEqual([], self.client.functions.list())
        self.assertEqual([('GET', '/v1/functions', 500),
                          ('POST', '/v1/functions', 503),
                          ('GET', '/v1/functions', 200)],
                         self.fake.requests)

    def test_concurrent_requests(self):
        url = '%s/v1/runtimes/%s' % (self.fake.url, self.runtime_id)
        with concurrent.futures.ThreadPoolExecutor(8) as pool:
            codes = list(pool.map(lambda _: requests.get(url).status_code,
                                  range(16)))
        self.assertEqual([200] * 16, codes)


class AliasWebhookUpdateTest(testscenarios.WithScenarios,
                             FakeQinlingTestCase):
    """A description-only PUT of a webhook on an alias 404s.

    Qinling reads the webhook's NULL function_id, with or without the alias
    in the body.
    """

    scenarios = [
        ('description', dict(body={'description': 'e'})),
        ('description_and_alias', dict(
            body={'description': 'e', 'function_alias': 'live'})),
    ]

    def test_404s_and_changes_nothing(self):
        function = self._create()
        self.client.function_versions.create(function.id)
        self.client.function_aliases.create('live', function.id, 1)
        webhook = self.client.webhooks.create(None, function_alias='live',
                                              description='d')
        self._raises(qinling_exc.HTTPNotFound, 'Function not found [id=None]',
                     self.client.webhooks.update, webhook.id, **self.body)
        self.assertEqual('d', self.client.webhooks.get(webhook.id).description)


class FakeAodhTestCase(base.BaseTestCase):

    # What Heat 27's OS::Aodh::EventAlarm sends for a small template.
    HEAT_PROPS = {'name': 'stack-alarm-abc', 'type': 'event',
                  'description': None, 'enabled': True,
                  'alarm_actions': ['http://127.0.0.1:1/v1/webhooks/x/invoke'],
                  'ok_actions': [], 'insufficient_data_actions': [],
                  'repeat_actions': False, 'severity': 'low',
                  'time_constraints': [],
                  'event_rule': {'event_type': 'compute.instance.create*',
                                 'query': [{'field': 'traits.project_id',
                                            'op': 'eq', 'type': 'string',
                                            'value': 'p1'}]}}

    def setUp(self):
        super().setUp()
        self.fake = self.useFixture(aodh.FakeAodh())
        self.client = aodh_client.Client(
            session=_session(self.fake.url), endpoint_override=self.fake.url)


class FakeAodhTest(FakeAodhTestCase):

    def test_create_get_update_delete(self):
        alarm = self.client.alarm.create(dict(self.HEAT_PROPS))
        self.assertEqual(('insufficient data', 'Alarm when compute.instance.'
                          'create* event occurred.', 'fake-project'),
                         (alarm['state'], alarm['description'],
                          alarm['project_id']))
        alarm_id = alarm['alarm_id']
        self.assertEqual(alarm, self.client.alarm.get(alarm_id))
        updated = self.client.alarm.update(alarm_id, {'enabled': False})
        self.assertFalse(updated['enabled'])
        self.assertEqual('compute.instance.create*',
                         updated['event_rule']['event_type'])
        self.assertEqual({'alarms': [alarm_id]}, self.fake.leftovers())
        self.client.alarm.delete(alarm_id)
        error = self.assertRaises(aodh_exc.NotFound, self.client.alarm.get,
                                  alarm_id)
        self.assertEqual('Alarm %s not found in project fake-project'
                         % alarm_id, error.message)
        self.assertEqual(['POST', 'GET', 'GET', 'PUT', 'DELETE', 'GET'],
                         [r[0] for r in self.fake.requests])
        self.assertEqual({}, self.fake.leftovers())


class AlarmValidationTest(testscenarios.WithScenarios, FakeAodhTestCase):
    """Each invalid alarm answers Aodh's 400 and writes nothing."""

    scenarios = [
        ('no_event_rule', dict(
            change={'event_rule': None},
            message='event_rule must be set for event type alarm')),
        ('unsupported_action', dict(
            change={'alarm_actions': ['ftp://x']},
            message='Unsupported action ftp://x')),
        ('bad_operator', dict(
            change={'event_rule': {'query': [{'field': 'f', 'op': 'like',
                                              'value': 'v'}]}},
            message="Invalid input for field/attribute op. Value: 'like'. "
                    "Value should be one of: lt, le, eq, ne, ge, gt")),
        ('unknown_attribute', dict(
            change={'bogus': 1},
            message='Unknown attribute for argument data: bogus')),
    ]

    def test_rejected_nothing_written(self):
        error = self.assertRaises(aodh_exc.BadRequest,
                                  self.client.alarm.create,
                                  dict(self.HEAT_PROPS, **self.change))
        self.assertEqual(self.message, error.message)
        self.assertEqual({}, self.fake.leftovers())
        self.assertEqual([400], [r[2] for r in self.fake.write_requests()])


class QinlingContractTest(contract.QinlingContract, FakeQinlingTestCase):
    """The behaviours the e2e suite checks on the real Qinling too."""

    runtime_image = 'openstackqinling/python3-runtime'

    def setUp(self):
        super().setUp()
        # No auth: the same client is a member's and an admin's.
        self.admin = self.client

    @staticmethod
    def unique_name(prefix):
        return '%s-%s' % (prefix, uuid.uuid4().hex[:8])

    def wait_until(self, predicate, what):
        # The fake's runtimes are available from their first GET.
        self.assertTrue(predicate(), what)
