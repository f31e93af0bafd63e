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

"""Aodh 23: API (gunicorn), listener (event alarms) and notifier, MariaDB +
RabbitMQ."""
import configparser
import os

from localcloud.services import base
from localcloud.services import common
from localcloud.util import files
from localcloud.util import probes

# Aodh's production default is 60 s: a new or re-armed event alarm is ignored
# by the listener until its per-project cache expires. 1 s keeps the local
# cloud responsive.
DEFAULT_EVENT_ALARM_CACHE_TTL = '1'
EVENT_QUEUE = 'alarm.all.sample'


class Aodh(base.Service):
    """Alarming: event alarms whose http actions call Qinling webhooks."""

    name = 'aodh'
    order = 50
    ports = {'aodh-api': 42}
    venv = base.MAIN_VENV
    requirements = ('aodh==23.0.0', 'PyMySQL', 'gunicorn')

    def conf_path(self, cloud, which='aodh'):
        return os.path.join(cloud.service_dir(self.name), which + '.conf')

    def event_alarm_cache_ttl(self, cloud):
        """aodh-listener's ``event_alarm_cache_ttl`` as rendered in its
        aodh.conf (s): how long a new event alarm may miss events."""
        parser = configparser.RawConfigParser()
        parser.read(self.conf_path(cloud))
        return float(parser.get('DEFAULT', 'event_alarm_cache_ttl',
                                fallback='60'))

    def configure(self, cloud):
        d = cloud.service_dir(self.name)
        ttl = os.environ.get(
            'LOCALCLOUD_AODH_EVENT_ALARM_CACHE_TTL',
            DEFAULT_EVENT_ALARM_CACHE_TTL,
        )
        files.write_ini(
            self.conf_path(cloud),
            {
                'DEFAULT': {
                    'transport_url': cloud.transport_url,
                    'event_alarm_cache_ttl': ttl,
                    'record_history': True,
                    'use_stderr': True,
                },
                'database': {'connection': common.database_url(cloud, 'aodh')},
                'api': {
                    'auth_mode': 'keystone',
                    'host': cloud.host,
                    'port': cloud.port('aodh-api'),
                },
                'keystone_authtoken': common.keystone_authtoken(cloud, 'aodh'),
                'service_credentials': dict(
                    common.password_auth(cloud, 'aodh'), interface='public'
                ),
                'listener': {
                    'workers': 1,
                    'event_alarm_topic': 'alarm.all',
                    'batch_size': 1,
                },
                'notifier': {'workers': 1, 'batch_size': 1},
                'oslo_concurrency': {'lock_path': os.path.join(d, 'locks')},
            },
        )
        # Only the listener runs one event at a time (so repeat_actions=false
        # fires once); the notifier keeps its thread pool for slow webhooks.
        files.write_ini(self.conf_path(cloud, 'listener'), {
            'DEFAULT': {'executor_thread_pool_size': 1}})
        # aodh.wsgi.api takes no config path: oslo.config finds ~/aodh.conf
        common.gunicorn_conf(cloud, d, cloud.port('aodh-api'),
                             'aodh.wsgi.api:application', {'HOME': d})

    def databases(self, cloud):
        return ['aodh']

    def db_sync_commands(self, cloud):
        return [('aodh-dbsync', [cloud.venv_bin('aodh-dbsync'),
                                 '--config-file', self.conf_path(cloud)])]

    def processes(self, cloud):
        d = cloud.service_dir(self.name)
        conf = ['--config-file', self.conf_path(cloud)]
        return [
            base.Process('aodh-api', [cloud.venv_bin('gunicorn')], cwd=d),
            base.Process(
                'aodh-listener',
                [cloud.venv_bin('aodh-listener')]
                + conf
                + ['--config-file', self.conf_path(cloud, 'listener')],
                cwd=d,
            ),
            base.Process(
                'aodh-notifier',
                [cloud.venv_bin('aodh-notifier')] + conf,
                cwd=d,
            ),
        ]

    def healthy(self, cloud):
        # events sent before the listener declared its queue are dropped: wait
        # for it
        if not probes.http_ok(cloud.url('aodh-api', '/')):
            return False
        return common.queue_exists(cloud, EVENT_QUEUE)

    def catalog(self, cloud):
        return [base.CatalogEntry('alarming', 'aodh', cloud.url('aodh-api'))]

    def service_users(self, cloud):
        return [('aodh', cloud.secret('aodh'))]
