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

"""MariaDB from Debian's mariadb-server: the one database server of the cloud.

A private instance: data dir, socket, pid file and log under
``<state>/mariadb``, TCP only on 127.0.0.1 at its own port.
``mariadb-install-db`` makes the data dir once; ``bootstrap`` gives root a
password from the secrets store (the install leaves root without one), drops
root's TCP accounts, and makes one database and one user per name that a
service lists in ``databases()``. Each service then makes its own schema with
its own migrations in its ``init`` step.
"""
import os

from localcloud.services import base
from localcloud.services import common
from localcloud.util import files
from localcloud.util import probes
from localcloud.util import proc
from localcloud.util import steps

MARIADBD = '/usr/sbin/mariadbd'
INSTALL_DB = '/usr/bin/mariadb-install-db'
CLIENT = '/usr/bin/mariadb'

MY_CNF = '''\
# rendered by localcloud
[mariadbd]
datadir = {data}
socket = {socket}
pid-file = {pid}
port = {port}
bind-address = {host}
skip-name-resolve
skip-log-bin
character-set-server = utf8mb4
collation-server = utf8mb4_general_ci
# heat-engine (2 workers), Keystone, Aodh and Qinling each keep a pool of up to
# 5 + 50 overflow connections (oslo.db's defaults); a burst of stacks opens
# many
max_connections = 1000
# small and idle most of the time: keep its memory small
innodb_buffer_pool_size = 64M
innodb_log_file_size = 32M
# commits reach the OS at once and the disk every second: a machine crash may
# lose the last second, a killed service loses nothing (a local cloud, not
# production)
innodb_flush_log_at_trx_commit = 2
'''


class MariaDB(base.Service):
    """The database of Keystone, Heat, Aodh and Qinling."""

    name = 'mariadb'
    order = 30
    backing = True
    apt_packages = ('mariadb-server',)
    apt_probes = (MARIADBD, INSTALL_DB, CLIENT)
    ports = {'mariadb': 306}

    def paths(self, cloud):
        d = cloud.service_dir(self.name)
        return {
            'dir': d,
            'data': os.path.join(d, 'data'),
            'socket': os.path.join(d, 'sock'),
            'pid': os.path.join(d, 'mariadbd.pid'),
            'cnf': os.path.join(d, 'my.cnf'),
        }

    def configure(self, cloud):
        p = self.paths(cloud)
        files.write_file(
            p['cnf'],
            MY_CNF.format(
                data=p['data'],
                socket=p['socket'],
                pid=p['pid'],
                port=cloud.port(self.name),
                host=cloud.host,
            ),
        )

    def init(self, cloud):
        """The data dir, once (``mariadb-install-db``)."""
        p = self.paths(cloud)
        if not os.path.isdir(os.path.join(p['data'], 'mysql')):
            with steps.step('mariadb: mariadb-install-db'):
                steps.run(
                    [
                        INSTALL_DB,
                        '--defaults-file=' + p['cnf'],
                        '--user=' + proc.os_user(),
                        '--auth-root-authentication-method=normal',
                        '--skip-test-db',
                    ],
                    'mariadb-install-db',
                )

    def processes(self, cloud):
        return [
            base.Process(
                'mariadb',
                [
                    MARIADBD,
                    '--defaults-file=' + self.paths(cloud)['cnf'],
                    '--user=' + proc.os_user(),
                ],
            )
        ]

    def healthy(self, cloud):
        return probes.tcp_open(
            cloud.host, cloud.port(self.name)
        ) and os.path.exists(self.paths(cloud)['socket'])

    def sql(self, cloud, statements, root_password=True):
        """Run SQL as root over the socket (the password goes in the
        environment)."""
        env = (
            {'MYSQL_PWD': cloud.secret('mariadb_root')}
            if root_password
            else {}
        )
        return steps.run(
            [
                CLIENT,
                '--no-defaults',
                '--socket=' + self.paths(cloud)['socket'],
                '-uroot',
                '--batch',
                '--skip-column-names',
                '-e',
                statements,
            ],
            'mariadb (SQL as root)',
            env=env,
        )

    def bootstrap(self, cloud):
        """Root's password, then a database and a user for each name in
        ``databases``."""
        names = sorted(
            {n for s in cloud.services() for n in s.databases(cloud)}
        )
        d = self.paths(cloud)['dir']
        spec = {
            'root': cloud.secret('mariadb_root'),
            'databases': {n: cloud.secret(common.db_secret(n)) for n in names},
        }
        root = files.Marker(
            os.path.join(d, 'data', 'localcloud-root'), spec['root']
        )
        marker = files.Marker(
            os.path.join(d, 'data', 'localcloud-databases'), spec
        )
        if marker.done():
            return
        with steps.step(
            'mariadb: databases and users for %s' % ', '.join(names)
        ):
            if not root.done():
                hosts = self.sql(
                    cloud,
                    "SELECT host FROM mysql.user WHERE user = 'root' "
                    "AND host <> 'localhost'",
                    root_password=False,
                ).stdout.split()
                self.sql(
                    cloud,
                    ''.join(
                        [
                            "ALTER USER 'root'@'localhost' IDENTIFIED BY '%s';"
                            % spec['root']
                        ]
                        + ["DROP USER 'root'@'%s';" % h for h in hosts]
                    ),
                    root_password=False,
                )
                root.mark()
            statements = []
            for name, password in spec['databases'].items():
                user = "'%s'@'%s'" % (name, cloud.host)
                statements += [
                    'CREATE DATABASE IF NOT EXISTS `%s` CHARACTER SET utf8;'
                    % name,
                    "CREATE USER IF NOT EXISTS %s IDENTIFIED BY '%s';"
                    % (user, password),
                    "ALTER USER %s IDENTIFIED BY '%s';" % (user, password),
                    'GRANT ALL PRIVILEGES ON `%s`.* TO %s;' % (name, user),
                ]
            self.sql(cloud, ''.join(statements))
        marker.mark()
