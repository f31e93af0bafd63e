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

"""RabbitMQ from Debian's rabbitmq-server, run as a private node of this cloud.

Own HOME (Erlang cookie), node name, AMQP/dist/epmd ports, mnesia and log dirs,
and no plugins. epmd is started by us in the foreground first, so the broker
finds it and does not spawn a daemonised one that would outlive ``down``.

The broker's own applications (``rabbit``, ``ra``, ``osiris``...) live in the
same directory as its 40 optional plugins, and at every boot RabbitMQ reads
them all, the plugins' configuration schemas included, although it enables
none here. Its ``RABBITMQ_PLUGINS_DIR`` is a directory of links to the
applications ``rabbit`` requires (transitively, from their ``.app`` files)
instead: in six interleaved pairs its boot took 0.4-1.3 s less CPU (4.4-5.9 s
against 5.2-6.3 s here), and every service of the bus waits for that boot.
"""
import glob
import os
import re

from localcloud import exceptions
from localcloud.services import base
from localcloud.util import files
from localcloud.util import probes
from localcloud.util import steps

RABBIT_LIB = '/usr/lib/rabbitmq/bin'
EPMD = '/usr/bin/epmd'
# Debian's rabbitmq-server: the broker's applications and the plugins
PLUGINS_GLOB = '/usr/lib/rabbitmq/lib/rabbitmq_server-*/plugins'

_APP_ENTRY = re.compile(r'^(?P<app>[a-z][a-z0-9_]*)-[0-9][^/]*$')
_REQUIRED_APPS = re.compile(r'\{\s*applications\s*,\s*\[([^\]]*)\]')


def broker_entries(plugins_dir, root='rabbit'):
    """The entries of ``plugins_dir`` (``<app>-<version>`` directories) that
    application ``root`` needs: itself and the applications its ``.app``
    file requires, transitively. Applications that are not there (Erlang's
    own: kernel, ssl...) are Erlang's, not the plugins dir's."""
    entries = {}
    for entry in os.listdir(plugins_dir):
        match = _APP_ENTRY.match(entry)
        if match and os.path.isdir(os.path.join(plugins_dir, entry)):
            entries[match.group('app')] = entry
    if root not in entries:
        raise exceptions.ServiceError('no %s application in %s'
                                      % (root, plugins_dir))
    needed, todo = set(), [root]
    while todo:
        app = todo.pop()
        if app in needed or app not in entries:
            continue
        needed.add(app)
        app_file = os.path.join(plugins_dir, entries[app], 'ebin',
                                app + '.app')
        with open(app_file) as f:
            required = _REQUIRED_APPS.search(f.read())
        if required:
            todo += [a.strip() for a in required.group(1).split(',')
                     if a.strip()]
    return sorted(entries[app] for app in needed)


def link_dir(path, targets):
    """Make ``path`` a directory of exactly these symlinks
    (``{name: target}``), leaving links that are already right alone."""
    os.makedirs(path, exist_ok=True)
    for name in os.listdir(path):
        link = os.path.join(path, name)
        if name not in targets or os.readlink(link) != targets[name]:
            os.unlink(link)
    for name, target in targets.items():
        if not os.path.lexists(os.path.join(path, name)):
            os.symlink(target, os.path.join(path, name))


class RabbitMQ(base.Service):
    """The oslo.messaging transport of Aodh and Heat."""

    name = 'rabbitmq'
    order = 10
    backing = True
    apt_packages = ('rabbitmq-server',)
    apt_probes = (RABBIT_LIB + '/rabbitmq-server', EPMD)
    ports = {'rabbitmq': 672, 'rabbitmq-dist': 673, 'epmd': 674}

    def node(self, cloud):
        return 'localcloud%d@localhost' % cloud.base_port

    def env(self, cloud):
        d = cloud.service_dir(self.name)
        return {
            'HOME': os.path.join(d, 'home'),
            'RABBITMQ_NODENAME': self.node(cloud),
            'RABBITMQ_NODE_IP_ADDRESS': cloud.host,
            'RABBITMQ_NODE_PORT': str(cloud.port('rabbitmq')),
            'RABBITMQ_DIST_PORT': str(cloud.port('rabbitmq-dist')),
            'ERL_EPMD_PORT': str(cloud.port('epmd')),
            'ERL_EPMD_ADDRESS': cloud.host,
            'RABBITMQ_MNESIA_BASE': os.path.join(d, 'mnesia'),
            'RABBITMQ_LOG_BASE': os.path.join(d, 'log'),
            'RABBITMQ_PID_FILE': os.path.join(d, 'rabbitmq.pid'),
            'RABBITMQ_ENABLED_PLUGINS_FILE': os.path.join(
                d, 'enabled_plugins'
            ),
            'RABBITMQ_CONFIG_FILE': os.path.join(d, 'rabbitmq.conf'),
            'RABBITMQ_ADVANCED_CONFIG_FILE': os.path.join(
                d, 'advanced.config'
            ),
            'RABBITMQ_CONF_ENV_FILE': os.path.join(d, 'rabbitmq-env.conf'),
            'RABBITMQ_PLUGINS_DIR': os.path.join(d, 'plugins'),
            # Erlang's schedulers spin while they wait for work: on a shared
            # 2-core machine that is CPU the other services need. RabbitMQ
            # recommends turning it off on shared or virtualised hosts.
            'RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS': (
                '+sbwt none +sbwtdcpu none +sbwtdio none'),
        }

    # whether configure found no data of the node: its first boot makes the
    # cloud's user
    new_node = False

    def configure(self, cloud):
        d = cloud.service_dir(self.name)
        self.new_node = not os.path.exists(
            os.path.join(d, 'mnesia', self.node(cloud)))
        for sub in ('home', 'mnesia', 'log'):
            os.makedirs(os.path.join(d, sub), exist_ok=True)
        plugins = sorted(glob.glob(PLUGINS_GLOB))
        if not plugins:
            raise exceptions.ServiceError(
                'no RabbitMQ plugins dir (%s): is rabbitmq-server installed?'
                % PLUGINS_GLOB)
        link_dir(os.path.join(d, 'plugins'),
                 {entry: os.path.join(plugins[-1], entry)
                  for entry in broker_entries(plugins[-1])})
        files.write_file(os.path.join(d, 'enabled_plugins'), '[].\n')
        files.write_file(os.path.join(d, 'advanced.config'), '[].\n')
        files.write_file(
            os.path.join(d, 'rabbitmq-env.conf'),
            '# settings come from the environment\n',
        )
        files.write_file(os.path.join(d, 'rabbitmq.conf'), '\n'.join([
            'log.console = true',
            'log.console.level = info',
            'log.file = false',
            # small CI disks must not block publishers
            'disk_free_limit.absolute = 50MB',
            # A new node's first boot creates the cloud's user (full rights
            # on '/') instead of guest: no rabbitmqctl at all (each call
            # boots an Erlang VM, 1-2 s of CPU; bootstrap made five).
            'default_user = %s' % cloud.rabbit_user,
            'default_pass = %s' % cloud.secret('rabbit'),
            'default_vhost = /',
            'default_permissions.configure = .*',
            'default_permissions.read = .*',
            'default_permissions.write = .*',
            '']), mode=0o600)

    def processes(self, cloud):
        env = self.env(cloud)
        return [
            base.Process(
                'epmd',
                [
                    EPMD,
                    '-port',
                    str(cloud.port('epmd')),
                    '-address',
                    cloud.host,
                ],
                env=env,
            ),
            base.Process(
                'rabbitmq',
                [RABBIT_LIB + '/rabbitmq-server'],
                env=env,
                cwd=env['HOME'],
            ),
        ]

    def healthy(self, cloud):
        return probes.tcp_open(cloud.host, cloud.port('rabbitmq'))

    def ctl(self, cloud, *args, check=True):
        return steps.run(
            [RABBIT_LIB + '/rabbitmqctl', '-n', self.node(cloud)] + list(args),
            'rabbitmqctl ' + args[0],
            env=self.env(cloud),
            check=check,
        )

    def bootstrap(self, cloud):
        """The cloud's user with full rights on '/'; guest removed. A new
        node made it at its first boot (``default_user``); a node made before
        that gets it from rabbitmqctl."""
        password = cloud.secret('rabbit')
        marker = files.Marker(
            os.path.join(
                cloud.service_dir(self.name), 'mnesia', 'localcloud-users'
            ),
            [cloud.rabbit_user, password],
        )
        if marker.done():
            return
        if self.new_node:
            # made by its first boot from rabbitmq.conf (healthy: booted)
            marker.mark()
            return
        with steps.step('rabbitmq: creating user %s' % cloud.rabbit_user):
            self.ctl(cloud, 'await_startup')
            users = self.ctl(
                cloud, 'list_users', '-q', '--formatter', 'json'
            ).stdout
            if '"%s"' % cloud.rabbit_user in users:
                self.ctl(cloud, 'change_password', cloud.rabbit_user, password)
            else:
                self.ctl(cloud, 'add_user', cloud.rabbit_user, password)
            self.ctl(
                cloud,
                'set_permissions',
                '-p',
                '/',
                cloud.rabbit_user,
                '.*',
                '.*',
                '.*',
            )
            if '"guest"' in users:
                self.ctl(cloud, 'delete_user', 'guest')
        marker.mark()
