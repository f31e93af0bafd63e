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

"""etcd 3.4 from Debian's etcd-server: one member on 127.0.0.1 for Qinling's
locks."""

import json
import os
import urllib.request

from localcloud.services import base

ETCD = '/usr/bin/etcd'


class Etcd(base.Service):
    """A single-member etcd with its data in the state dir."""

    name = 'etcd'
    order = 20
    backing = True
    apt_packages = ('etcd-server',)
    apt_probes = (ETCD,)
    ports = {'etcd': 379, 'etcd-peer': 380}

    def processes(self, cloud):
        client = cloud.url('etcd')
        peer = cloud.url('etcd-peer')
        member = 'localcloud%d' % cloud.base_port
        return [base.Process('etcd', [
            ETCD, '--name', member,
            '--data-dir', os.path.join(cloud.service_dir(self.name), 'data'),
            '--listen-client-urls', client, '--advertise-client-urls', client,
            '--listen-peer-urls', peer, '--initial-advertise-peer-urls', peer,
            '--initial-cluster', '%s=%s' % (member, peer),
            '--initial-cluster-state', 'new',
        ])]

    def healthy(self, cloud):
        try:
            with urllib.request.urlopen(
                cloud.url('etcd', '/health'), timeout=2
            ) as resp:
                return json.load(resp).get('health') == 'true'
        except (OSError, ValueError):
            return False
