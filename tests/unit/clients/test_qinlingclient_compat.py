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

"""What heat_qinling/qinlingclient_compat.py relies on in python-qinlingclient.

Each test fails, naming the internal, when the installed library changes it.
"""
from importlib import metadata
import inspect

from keystoneclient import adapter as keystone_adapter
from packaging import specifiers
from qinlingclient.common import exceptions as qinling_exc
from qinlingclient.common import http as qinling_http
from qinlingclient.v1 import client as qinling_client
from qinlingclient.v1 import function as qinling_function
from qinlingclient.v1 import runtime as qinling_runtime

from heat_qinling import qinlingclient_compat
from tests.unit import base


class QinlingclientInternalsTest(base.QinlingStackTestCase):

    def assertInternal(self, present, internal):
        self.assertTrue(present, 'python-qinlingclient no longer has %s, '
                        'which heat_qinling/qinlingclient_compat.py relies '
                        'on' % internal)

    def test_installed_release_is_the_supported_one(self):
        version = metadata.version('python-qinlingclient')
        self.assertIn(version, specifiers.SpecifierSet(
            qinlingclient_compat.SUPPORTED_QINLINGCLIENT),
            'qinlingclient_compat was checked against '
            'python-qinlingclient%s, not %s' % (
                qinlingclient_compat.SUPPORTED_QINLINGCLIENT, version))

    def test_status_code_map(self):
        code_map = getattr(qinling_exc, '_code_map', None)
        self.assertInternal(isinstance(code_map, dict),
                            'qinlingclient.common.exceptions._code_map')
        for status in (400, 403, 404, 409, 500):
            self.assertInternal(
                issubclass(code_map.get(status, object),
                           qinling_exc.HTTPException),
                'qinlingclient.common.exceptions._code_map[%d]' % status)

    def test_one_keystone_adapter_shared_by_the_managers(self):
        self.assertInternal(
            issubclass(qinling_http.SessionClient, keystone_adapter.Adapter),
            'qinlingclient.common.http.SessionClient as a keystoneclient '
            'Adapter')
        client = qinling_client.Client(session=self.ctx.keystone_session,
                                       service_type='function-engine')
        self.assertInternal(
            type(client.http_client) is qinling_http.SessionClient,
            'Client.http_client, a SessionClient')
        for manager in ('functions', 'runtimes', 'webhooks', 'jobs',
                        'function_versions', 'function_aliases'):
            self.assertInternal(
                getattr(client, manager).http_client is client.http_client,
                'Client.%s sharing Client.http_client' % manager)

    def test_adapter_methods_used_for_raw_calls(self):
        for method in ('request', 'json_request'):
            self.assertInternal(
                callable(getattr(qinling_http.SessionClient, method, None)),
                'SessionClient.%s' % method)

    def test_function_update_still_spreads_code(self):
        # The reason for put_function: once the library sends "code" as the
        # JSON field the server reads, the raw PUT can go.
        source = inspect.getsource(qinling_function.FunctionManager.update)
        self.assertIn('kwargs.update(code)', source,
                      'python-qinlingclient\'s FunctionManager.update no '
                      'longer spreads "code" into form fields: check '
                      'whether qinlingclient_compat.put_function is still '
                      'needed')

    def test_no_runtime_update_in_the_library(self):
        # The reason for put_runtime.
        self.assertFalse(
            hasattr(qinling_runtime.RuntimeManager, 'update'),
            'python-qinlingclient has RuntimeManager.update now: check '
            'whether qinlingclient_compat.put_runtime is still needed')
