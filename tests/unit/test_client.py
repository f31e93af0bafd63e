"""The qinling client plugin: lookups, error handling and the work-arounds
for python-qinlingclient 5.1.1, checked on the wire against the fake."""
from keystoneauth1 import session as ks_session
from keystoneauth1 import token_endpoint
from oslo_config import cfg
from qinlingclient.common import exceptions as qinling_exc
from qinlingclient.v1 import client as qinling_client

from heat.common import exception

from heat_qinling import client as qinling_plugin
from tests.unit import base


class ClientPluginTest(base.QinlingStackTestCase):

    def setUp(self):
        super().setUp()
        self.plugin = self.ctx.clients.client_plugin('qinling')

    def raw_client(self):
        """python-qinlingclient as it ships, on the same fake."""
        session = ks_session.Session(
            auth=token_endpoint.Token(self.qinling.url, 'token'))
        return qinling_client.Client(self.qinling.url, session=session)

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

    def test_server_errors_qinlingclient_cannot_parse(self):
        for body, content_type, crash, message in (
                (b'', None, KeyError, 'see the qinling-api log'),
                (b'Internal Server Error', 'text/plain', TypeError,
                 'Internal Server Error'),
                (b'', 'text/plain', None, 'see the qinling-api log')):
            self.qinling.fail_next('GET', '^/v1/runtimes$', 500, body,
                                   content_type)
            if crash is not None:
                self.assertRaises(crash, self.raw_client().runtimes.list)
                self.qinling.fail_next('GET', '^/v1/runtimes$', 500, body,
                                       content_type)
            ex = self.assertRaises(qinling_exc.HTTPInternalServerError,
                                   self.plugin.client().runtimes.list)
            self.assertIn(message, str(ex))
            self.assertIn('HTTP 500', str(ex))

    def test_error_classification(self):
        for status, check in ((404, self.plugin.is_not_found),
                              (409, self.plugin.is_conflict),
                              (413, self.plugin.is_over_limit)):
            self.qinling.fail_next('GET', '^/v1/functions$', status,
                                   b'{"faultstring": "nope"}',
                                   'application/json')
            ex = self.assertRaises(qinling_exc.HTTPException,
                                   self.plugin.client().functions.list)
            self.assertTrue(check(ex), status)
            self.assertIn('nope', str(ex))
            self.assertTrue(self.plugin.is_client_exception(ex))
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

    def test_delete_in_use_names_what_holds_the_function(self):
        function_id = self.add_function('fn')
        job_id = self.qinling.add_job(function_id)
        webhook = self.plugin.client().webhooks.create(function_id)
        ex = self.assertRaises(qinling_plugin.FunctionInUse,
                               self.plugin.delete_function, function_id)
        self.assertIn('webhook(s) %s' % webhook.id, str(ex))
        self.assertIn('job(s) %s' % job_id, str(ex))
        self.assertIn('Qinling said: The function is still associated',
                      str(ex))
        self.assertIn(function_id, self.qinling.functions)

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
        # Names are unique in a project; an admin sees other projects' too.
        first = self.add_function('fn')
        self.qinling.functions[first]['project_id'] = 'other-project'
        second = self.add_function('fn')
        ex = self.assertRaises(qinling_plugin.AmbiguousName,
                               self.plugin.get_function_id, 'fn')
        self.assertIn(first, str(ex))
        self.assertIn(second, str(ex))

    def test_runtime_lookup_by_name_or_id(self):
        self.assertEqual(self.runtime_id,
                         self.plugin.get_runtime_id('python3'))
        self.assertEqual(self.runtime_id,
                         self.plugin.get_runtime_id(self.runtime_id))

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
