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

"""The qinling client plugin: lookups, error handling and the work-arounds
for python-qinlingclient 5.1.1, checked on the wire against the fake."""
import fixtures
from keystoneauth1 import session as ks_session
from keystoneauth1 import token_endpoint
from oslo_config import cfg
from oslo_serialization import jsonutils
from qinlingclient.common import exceptions as qinling_exc
from qinlingclient.v1 import client as qinling_client

from heat.common import exception

from heat_qinling import exceptions as qinling_errors
from tests.unit import base


class PluginTestCase(base.QinlingStackTestCase):

    def setUp(self):
        super().setUp()
        self.plugin = self.ctx.clients.client_plugin('qinling')

    def raw_client(self):
        """python-qinlingclient as it ships, on the same fake."""
        session = ks_session.Session(
            auth=token_endpoint.Token(self.qinling.url, 'token'))
        return qinling_client.Client(self.qinling.url, session=session)


class UnparsableErrorTest(PluginTestCase):
    """Server errors that python-qinlingclient itself cannot parse."""

    scenarios = [
        ('empty', dict(body=b'', content_type=None, crash=KeyError,
                       message='see the qinling-api log')),
        ('text', dict(body=b'Internal Server Error',
                      content_type='text/plain', crash=TypeError,
                      message='Internal Server Error')),
        ('empty_text', dict(body=b'', content_type='text/plain', crash=None,
                            message='see the qinling-api log')),
    ]

    def fail_next(self):
        self.qinling.fail_next('GET', '^/v1/runtimes$', 500, self.body,
                               self.content_type)

    def test_plugin_raises_the_clients_exception_with_a_message(self):
        if self.crash is not None:
            self.fail_next()
            self.assertRaises(self.crash, self.raw_client().runtimes.list)
        self.fail_next()
        ex = self.assertRaises(qinling_exc.HTTPInternalServerError,
                               self.plugin.client().runtimes.list)
        self.assertIn(self.message, str(ex))
        self.assertIn('HTTP 500', str(ex))


class InternalsKeptOutTest(PluginTestCase):
    """Qinling's SQL and tracebacks stay out of the messages users see."""

    scenarios = [
        ('mysql_data_error', dict(message=(
            '(pymysql.err.DataError) (1264, "Out of range value for column '
            '\'count\' at row 1")\n[SQL: INSERT INTO jobs (id) VALUES '
            '(%(id)s)]'))),
        ('sqlite_integrity', dict(message=(
            '(sqlite3.IntegrityError) FOREIGN KEY constraint failed'))),
        ('traceback', dict(message=(
            'Traceback (most recent call last):\n  File "x.py", line 1'))),
    ]

    def test_replaced_by_a_pointer_to_the_log(self):
        self.qinling.fail_next(
            'GET', '^/v1/jobs$', 500,
            jsonutils.dumps({'faultcode': 'Server',
                             'faultstring': self.message}),
            'application/json')
        ex = self.assertRaises(qinling_exc.HTTPInternalServerError,
                               self.plugin.client().jobs.list)
        self.assertIn('qinling-api log', str(ex))
        for fragment in ('SQL', 'sqlite3', 'pymysql', 'Traceback'):
            self.assertNotIn(fragment, str(ex))


class ErrorClassificationTest(PluginTestCase):

    scenarios = [
        ('not_found', dict(status=404, check='is_not_found')),
        ('conflict', dict(status=409, check='is_conflict')),
        ('over_limit', dict(status=413, check='is_over_limit')),
    ]

    def test_status_is_classified(self):
        self.qinling.fail_next('GET', '^/v1/functions$', self.status,
                               b'{"faultstring": "nope"}',
                               'application/json')
        ex = self.assertRaises(qinling_exc.HTTPException,
                               self.plugin.client().functions.list)
        self.assertTrue(getattr(self.plugin, self.check)(ex))
        self.assertIn('nope', str(ex))
        self.assertTrue(self.plugin.is_client_exception(ex))


class ClientPluginTest(PluginTestCase):

    def add_swift_function(self):
        row = self.qinling._new(
            name='from-swift', description=None, runtime_id=self.runtime_id,
            entry='main.main', cpu=100, memory_size=33554432, timeout=5,
            count=0, latest_version=0,
            code={'source': 'swift',
                  'swift': {'container': 'code', 'object': 'v1.zip'}})
        self.qinling.functions[row['id']] = row
        return row

    # Errors ----------------------------------------------------------------

    def test_missing_function_is_only_not_found(self):
        ex = self.assertRaises(
            qinling_exc.HTTPException, self.plugin.client().functions.get,
            '2d4ec2a5-54b4-4e9d-b2a5-1ca7f1c4cf14')
        self.assertTrue(self.plugin.is_not_found(ex))
        self.assertFalse(self.plugin.is_conflict(ex))

    def test_duplicate_name_is_explained(self):
        function_id = self.add_function('fn')
        aliases = self.plugin.client().function_aliases
        aliases.create('prod', function_id)
        ex = self.assertRaises(qinling_exc.HTTPBadRequest, aliases.create,
                               'prod', function_id, function_version=1)
        self.assertIn('already exists in the project', str(ex))
        self.assertIn('Choose another name', str(ex))

    def test_duplicate_target_is_not_called_a_name(self):
        # MySQL names the key of the unique columns (function_id, version).
        self.qinling.fail_next(
            'POST', '^/v1/aliases$', 400, jsonutils.dumps({
                'faultcode': 'Client', 'faultstring': "Duplicate entry for "
                "function_aliases: ['function_id']"}), 'application/json')
        ex = self.assertRaises(
            qinling_exc.HTTPBadRequest,
            self.plugin.client().function_aliases.create, 'other',
            self.add_function('fn'))
        self.assertIn('would duplicate an existing object', str(ex))
        self.assertNotIn('name', str(ex).split('(Qinling')[0])

    def test_delete_in_use_names_what_holds_the_function(self):
        function_id = self.add_function('fn')
        job_id = self.qinling.add_job(function_id)
        webhook = self.plugin.client().webhooks.create(function_id)
        ex = self.assertRaises(qinling_errors.FunctionInUse,
                               self.plugin.delete_function, function_id)
        self.assertIn('webhook(s) %s' % webhook.id, str(ex))
        self.assertIn('job(s) %s' % job_id, str(ex))
        self.assertIn('Qinling said: The function is still associated',
                      str(ex))
        self.assertIn(function_id, self.qinling.functions)

    def test_delete_of_a_version_names_what_runs_that_version(self):
        # Jobs that are done no longer hold a version, and objects on
        # another version of the function are not named.
        function_id = self.add_function('fn')
        for number in (1, 2):
            self.qinling.versions[(function_id, number)] = {
                'id': 'v%d' % number, 'function_id': function_id,
                'version_number': number}
        webhook = self.plugin.client().webhooks.create(
            function_id, function_version=1)
        self.qinling.add_alias('prod', function_id, 1)
        running = self.qinling.add_job(function_id, function_version=1)
        done = self.qinling.add_job(function_id, status='done',
                                    function_version=1)
        other = self.qinling.add_job(function_id, function_version=2)
        ex = self.assertRaises(qinling_errors.VersionInUse,
                               self.plugin.delete_version, function_id, 1)
        self.assertIn('still in use by webhook(s) %s; alias(es) prod; '
                      'job(s) %s (running), so' % (webhook.id, running),
                      str(ex))
        self.assertNotIn(done, str(ex))
        self.assertNotIn(other, str(ex))
        self.assertIn((function_id, 1), self.qinling.versions)

    def test_unsupported_qinlingclient_fails_loudly(self):
        # A release without the internals qinlingclient_compat relies on is
        # refused by name instead of failing later in obscure ways.
        self.useFixture(fixtures.MockPatchObject(qinling_exc, '_code_map'))
        del qinling_exc._code_map
        plugin = self.make_context().clients.client_plugin('qinling')
        ex = self.assertRaises(exception.Error, plugin.client)
        self.assertIn('python-qinlingclient 5.1.1 is not supported', str(ex))
        self.assertIn('>=5.1.1,<5.2.0', str(ex))

    # Work-around: update drops swift code -----------------------------------

    def test_swift_code_update_reaches_the_server(self):
        function = self.add_swift_function()
        new_code = {'source': 'swift',
                    'swift': {'container': 'code', 'object': 'v2.zip'}}
        # qinlingclient spreads the code into fields the server ignores.
        self.raw_client().functions.update(function['id'], code=new_code)
        self.assertEqual('v1.zip', function['code']['swift']['object'])
        self.plugin.update_function(function['id'], code=new_code)
        self.assertEqual(new_code, function['code'])

    def test_package_update_sends_the_new_zip(self):
        function_id = self.add_function('fn')
        ex = self.assertRaises(
            qinling_exc.HTTPBadRequest, self.plugin.update_function,
            function_id, code={'source': 'package'}, package=b'not a zip',
            timeout=9)
        self.assertIn('not a valid ZIP', str(ex))
        data = base.package.build_zip({'main.py': 'def main(): pass'})
        self.plugin.update_function(function_id, code={'source': 'package'},
                                    package=data, timeout=9)
        self.assertEqual(data, self.qinling.packages[function_id])
        self.assertEqual(9, self.qinling.functions[function_id]['timeout'])

    # Lookups ---------------------------------------------------------------

    def test_function_lookup_by_name_or_id(self):
        function_id = self.add_function('fn')
        self.assertEqual(function_id, self.plugin.get_function_id('fn'))
        self.assertEqual(function_id, self.plugin.get_function_id(function_id))
        self.assertRaises(exception.EntityNotFound,
                          self.plugin.get_function_id, 'other')

    def test_ambiguous_function_name(self):
        # Qinling does not keep names unique (the plugin refuses a name
        # taken in the project), and an admin sees other projects' too.
        first = self.add_function('fn')
        second = self.add_function('fn')
        ex = self.assertRaises(exception.PhysicalResourceNameAmbiguity,
                               self.plugin.get_function_id, 'fn')
        self.assertIn('(fn)', str(ex))
        # Each one is still found by its ID.
        self.assertEqual(first, self.plugin.get_function_id(first))
        self.assertEqual(second, self.plugin.get_function_id(second))

    def test_runtime_lookup_by_name_or_id(self):
        self.assertEqual(self.runtime_id,
                         self.plugin.get_runtime_id('python3'))
        self.assertEqual(self.runtime_id,
                         self.plugin.get_runtime_id(self.runtime_id))

    def test_each_lookup_reads_without_heats_finder_cache(self):
        # Heat's default: [cache] enabled = False.
        function_id = self.add_function('fn')
        self.assertEqual(function_id, self.plugin.get_function_id('fn'))
        self.assertEqual(function_id, self.plugin.get_function_id('fn'))
        self.assertEqual(['/v1/functions', '/v1/functions'],
                         [path for method, path, status
                          in self.qinling.requests])

    def test_heats_finder_cache_looks_each_object_up_once(self):
        self.useFixture(base.FinderCache())
        function_id = self.add_function('fn')
        # A name, then the ID it was translated into (as Heat checks a
        # constraint), of a runtime and of a function: one GET each.
        self.assertEqual(self.runtime_id,
                         self.plugin.get_runtime_id('python3'))
        self.assertEqual(self.runtime_id,
                         self.plugin.get_runtime_id(self.runtime_id))
        self.assertEqual(function_id, self.plugin.get_function_id('fn'))
        self.assertEqual(function_id, self.plugin.get_function_id(function_id))
        self.assertEqual(['/v1/runtimes', '/v1/functions'],
                         [path for method, path, status
                          in self.qinling.requests])
        # The next action of the project uses the memo too (for
        # [resource_finder_cache] expiration_time, as Heat's own finders).
        plugin = self.make_context().clients.client_plugin('qinling')
        self.assertEqual(function_id, plugin.get_function_id('fn'))
        self.assertEqual(2, len(self.qinling.requests))
        # The memo is per project: names are.
        other = self.make_context()
        other.project_id = 'another_project'
        self.assertRaises(exception.EntityNotFound,
                          other.clients.client_plugin('qinling').
                          get_function_id, 'no-such-function')
        self.assertEqual(3, len(self.qinling.requests))

    # Endpoint selection -----------------------------------------------------

    def test_endpoint_follows_configured_interface_and_region(self):
        self.assertEqual(self.qinling.url,
                         self.plugin.client().http_client.get_endpoint())
        cfg.CONF.set_override('endpoint_type', 'internalURL',
                              group='clients')
        cfg.CONF.set_override('region_name_for_services', 'RegionTwo')
        token = self.ctx.auth_token_info
        service = token.add_service('function-engine', name='qinling')
        service.add_endpoint('internal', 'http://internal.two:7070',
                             region='RegionTwo')
        service.add_endpoint('public', 'http://public.two:7070',
                             region='RegionTwo')
        plugin = base.context_with_catalog(token).clients.client_plugin(
            'qinling')
        self.assertEqual('http://internal.two:7070',
                         plugin.client().http_client.get_endpoint())
        # [clients_qinling] wins over [clients].
        cfg.CONF.set_override('endpoint_type', 'publicURL',
                              group='clients_qinling')
        plugin = base.context_with_catalog(token).clients.client_plugin(
            'qinling')
        self.assertEqual('http://public.two:7070',
                         plugin.client().http_client.get_endpoint())
