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

"""The fake Qinling's contract (``tests/fakes/contract.py``), checked against
the real qinling-api 5.0.0 of the local cloud: the behaviours the plugin
guards against are Qinling's, not the fake's."""
from localcloud import clients
from tests.e2e import base
from tests.fakes import contract


class QinlingContractTest(contract.QinlingContract, base.E2ETestCase):

    # The local executor serves any image of the python3 runtime.
    runtime_image = 'localcloud/python3-runtime-contract'

    def setUp(self):
        super().setUp()
        self.client = self.qinling
        self.admin = clients.qinling(self.cloud, 'admin')
        [self.runtime_id] = [r.id for r in self.qinling.runtimes.list()
                             if r.name == 'python3']

    def wait_until(self, predicate, what):
        clients.wait_for(lambda: predicate() or None, base.STACK_TIMEOUT,
                         what, interval=0.5)
