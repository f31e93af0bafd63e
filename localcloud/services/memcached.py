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

"""memcached from Debian: Keystone's cache (``[cache]`` of oslo.cache), as
devstack runs it.

Without it every token validation and every token issue in Keystone reads the
user, the project, the role assignments and the catalog from MariaDB: 0.1-0.4 s
a request on two cores, and a stack of one seed chain makes a dozen.
"""
import os
import socket

from localcloud.services import base
from localcloud.util import proc

MEMCACHED = '/usr/bin/memcached'
MEMORY_MB = 64


class Memcached(base.Service):
    """One memcached on the cloud's host, nothing on disk."""

    name = 'memcached'
    order = 35
    backing = True
    apt_packages = ('memcached',)
    apt_probes = (MEMCACHED,)
    ports = {'memcached': 211}

    def processes(self, cloud):
        argv = [MEMCACHED, '-l', cloud.host, '-p', str(cloud.port(self.name)),
                '-U', '0', '-m', str(MEMORY_MB)]
        if os.geteuid() == 0:  # memcached refuses root without -u
            argv += ['-u', proc.os_user()]
        return [base.Process('memcached', argv)]

    def healthy(self, cloud):
        try:
            with socket.create_connection(
                (cloud.host, cloud.port(self.name)), timeout=1
            ) as conn:
                conn.sendall(b'version\r\n')
                return conn.recv(64).startswith(b'VERSION ')
        except OSError:
            return False
