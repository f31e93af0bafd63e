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

"""The local cloud's fixes to Qinling 5.0.0 (``qinling_local.fixes``).

Needs Qinling importable, so it runs in the Qinling venv (skipped where
Qinling is not installed; an import error of anything else, the module under
test first, is an error):
    .localcloud/qinling-venv/bin/python -m unittest \
        tests.localcloud.test_qinling_fixes
"""
import datetime
import http.server
import importlib.util
import inspect
import json
import threading
import unittest
from unittest import mock

if importlib.util.find_spec('qinling') is not None:   # the Qinling venv
    from keystoneauth1 import access
    from oslo_config import cfg
    import pecan
    from pecan import rest as pecan_rest
    from pecan import util as pecan_util
    from qinling import config
    from qinling import context
    from qinling.engine import default_engine
    from qinling.utils import etcd_util
    from qinling.utils.openstack import keystone
    import webob

    from localcloud.qinling_local import fixes
else:
    fixes = None

FUNCTION = '4f1a1d2e-0000-4000-8000-000000000001'


def trust_client(expires_in):
    """What keystoneclient's Client(trust_id=...) offers: an auth_ref."""
    expires = (datetime.datetime.utcnow()
               + datetime.timedelta(seconds=expires_in))
    token = {'token': {'expires_at': expires.isoformat() + 'Z',
                       'methods': ['password'], 'user': {'id': 'qinling'}}}
    return mock.Mock(auth_ref=access.create(body=token, auth_token='t'))


@unittest.skipIf(fixes is None, 'needs the Qinling venv')
class TrustClientReuseTest(unittest.TestCase):

    def setUp(self):
        original = keystone.get_trust_client
        self.addCleanup(setattr, keystone, 'get_trust_client', original)

    def patched(self, lifetimes):
        made = []

        def login(trust_id):
            made.append(trust_id)
            return trust_client(lifetimes.pop(0))

        keystone.get_trust_client = login
        fixes.reuse_trust_clients()
        return made

    def test_one_login_per_trust_while_the_token_is_fresh(self):
        made = self.patched([3600, 3600])
        first = keystone.get_trust_client('trust-a')
        self.assertIs(first, keystone.get_trust_client('trust-a'))
        keystone.get_trust_client('trust-b')
        self.assertEqual(['trust-a', 'trust-b'], made)

    def test_a_new_login_when_the_token_is_near_expiry(self):
        made = self.patched([fixes.TRUST_TOKEN_STALE - 10, 3600])
        keystone.get_trust_client('trust-a')
        keystone.get_trust_client('trust-a')
        self.assertEqual(['trust-a', 'trust-a'], made)


class KeystoneRecorder(http.server.BaseHTTPRequestHandler):
    """A Keystone that records each request and answers trust calls."""

    def _answer(self, status, body=None):
        self.server.requests.append(
            (self.command, self.path, self.headers.get('X-Auth-Token')))
        data = json.dumps(body).encode() if body is not None else b''
        self.send_response(status)
        self.send_header('Content-Type', 'application/json')
        self.send_header('Content-Length', str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_POST(self):
        length = int(self.headers.get('Content-Length') or 0)
        trust = json.loads(self.rfile.read(length) or b'{}').get('trust', {})
        self._answer(201, {'trust': dict(trust, id='trust-1')})

    def do_DELETE(self):
        self._answer(204)

    def log_message(self, *args):
        pass


@unittest.skipIf(fixes is None, 'needs the Qinling venv')
class TrustsWithTheCallersTokenTest(unittest.TestCase):

    def setUp(self):
        server = http.server.HTTPServer(('127.0.0.1', 0), KeystoneRecorder)
        server.requests = []
        self.requests = server.requests
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        self.addCleanup(server.server_close)
        self.addCleanup(server.shutdown)
        cfg.CONF.set_override(
            'www_authenticate_uri',
            'http://127.0.0.1:%d/v3' % server.server_address[1],
            'keystone_authtoken')
        self.addCleanup(cfg.CONF.clear_override, 'www_authenticate_uri',
                        'keystone_authtoken')
        original = keystone.get_user_client
        self.addCleanup(setattr, keystone, 'get_user_client', original)
        fixes.trusts_with_the_callers_token()
        context.set_ctx(context.Context(
            auth_token='callers-token', user_id='u1', project_id='p1',
            roles=['member']))
        self.addCleanup(context.set_ctx, None)

    def test_trust_create_sends_the_callers_token_and_nothing_else(self):
        with mock.patch.object(keystone, 'get_service_client',
                               return_value=mock.Mock(user_id='qinling')):
            trust = keystone.create_trust()
        self.assertEqual('trust-1', trust.id)
        self.assertEqual(
            [('POST', '/v3/OS-TRUST/trusts', 'callers-token')],
            self.requests)

    def test_trust_delete_sends_the_callers_token_and_nothing_else(self):
        keystone.delete_trust('trust-1')
        self.assertEqual(
            [('DELETE', '/v3/OS-TRUST/trusts/trust-1', 'callers-token')],
            self.requests)


@unittest.skipIf(fixes is None, 'needs the Qinling venv')
class LiveWorkerShortcutTest(unittest.TestCase):

    def setUp(self):
        cfg.CONF.register_opts(config.engine_opts, group=config.ENGINE_GROUP)
        engine = default_engine.DefaultEngine
        for owner, name in ((engine, 'function_load_check'),
                            (etcd_util, 'get_service_url')):
            self.addCleanup(setattr, owner, name, getattr(owner, name))
        self.executor = mock.Mock()
        fixes.skip_load_check_for_live_workers(self.executor)

    def test_a_live_worker_needs_no_etcd_lock(self):
        self.executor.live_worker_url.return_value = 'http://127.0.0.1:4242'
        with mock.patch.object(etcd_util, 'get_worker_lock') as lock:
            url = default_engine.DefaultEngine.function_load_check(
                mock.Mock(), FUNCTION, 0, 'runtime')
        self.assertEqual('http://127.0.0.1:4242', url)
        lock.assert_not_called()

    def test_without_a_live_worker_qinling_checks_the_load(self):
        self.executor.live_worker_url.return_value = None
        with mock.patch.object(etcd_util, 'get_worker_lock') as lock, \
                mock.patch.object(etcd_util, 'get_workers',
                                  return_value=['worker']), \
                mock.patch.object(default_engine.db_api, 'get_executions',
                                  return_value=[]):
            held = lock.return_value.__enter__.return_value
            held.is_acquired.return_value = True
            url = default_engine.DefaultEngine.function_load_check(
                mock.Mock(), FUNCTION, 0, 'runtime')
        self.assertIsNone(url)   # one worker, no load: Qinling scales nothing
        lock.assert_called_once_with(FUNCTION, 0)


if fixes is not None:
    class Things(pecan_rest.RestController):

        @pecan.expose('json')
        def get_all(self, **filters):
            return {'filters': filters}

        @pecan.expose('json')
        def get_one(self, thing_id, **options):
            return {'id': thing_id, 'options': options}

    class Root(object):
        things = Things()


@unittest.skipIf(fixes is None, 'needs the Qinling venv')
class ControllerArgspecCacheTest(unittest.TestCase):

    def setUp(self):
        self.addCleanup(setattr, pecan_util, '_getargspec',
                        pecan_util._getargspec)
        self.app = pecan.make_app(Root())

    def answers(self):
        return [webob.Request.blank(path).get_response(self.app).json
                for path in ('/things?colour=red', '/things/t1',
                             '/things/t2?detail=yes')]

    def test_routes_as_pecan_does_and_reads_each_spec_once(self):
        expected = self.answers()
        fixes.cache_controller_argspecs()
        with mock.patch('inspect.getfullargspec',
                        side_effect=inspect.getfullargspec) as read:
            self.assertEqual(expected, self.answers())
            first = read.call_count
            self.assertEqual(expected, self.answers())
        self.assertGreater(first, 0)
        self.assertEqual(first, read.call_count)
        self.assertEqual(
            [{'filters': {'colour': 'red'}}, {'id': 't1', 'options': {}},
             {'id': 't2', 'options': {'detail': 'yes'}}],
            expected)


if __name__ == '__main__':
    unittest.main()
