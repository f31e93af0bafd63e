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

"""The local cloud's HTTP APIs serve one request per connection.

A server that closes a kept-alive connection once it has been idle for its
timeout races the client's next request on that connection: the request is
lost and the call fails with "Remote end closed connection without response".
requests and keystoneauth do not retry it (heat-engine's clients included), and
one CI run lost two browser tests so. Every API therefore answers with
``Connection: close``, and no client keeps a connection the server may drop.
"""
import requests
import testscenarios

from localcloud.services import horizon
from tests.e2e import base

load_tests = testscenarios.load_tests_apply_scenarios


class OneRequestPerConnectionTest(base.E2ETestCase):

    scenarios = [
        (name, {'service': name, 'path': path})
        for name, path in (
            ('keystone', '/v3'),
            ('heat-api', '/'),
            ('aodh-api', '/'),
            ('qinling-api', '/'),
            ('horizon', horizon.WEBROOT),
        )
    ]

    def test_answer_closes_the_connection(self):
        url = self.cloud.url(self.service, self.path)
        with requests.Session() as session:
            resp = session.get(url, allow_redirects=False, timeout=30)
        self.assertLess(resp.status_code, 500, url)
        self.assertEqual('close', resp.headers.get('Connection', '').lower(),
                         '%s kept the connection open: %s' % (url,
                                                              resp.headers))
