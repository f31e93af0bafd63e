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

"""Qinling 5.0.0 (function engine): the real qinling-api and qinling-engine, in
their own venv, with the local-process executor in place of Kubernetes.

Two processes like production, talking over RabbitMQ: qinling-api (Keystone
auth on, job handler on) and qinling-engine (our orchestrator, see
``localcloud/qinling_local/``). etcd holds the worker locks and service URLs;
MariaDB the database (schema by ``qinling-db-manage upgrade head``); function
packages live under the service dir.
"""
import json
import os
import time

from localcloud import clients
from localcloud import exceptions
from localcloud.services import base
from localcloud.services import common
from localcloud.util import files
from localcloud.util import probes
from localcloud.util import proc
from localcloud.util import steps

# Qinling 5.0.0's venv (<state>/qinling-venv). Qinling is retired upstream
# (2020); the main venv's libraries are far too new for it, so it gets its
# own venv with every version pinned. The pins that matter:
#   oslo.context 3.4.0      Qinling builds contexts with user=/tenant= (gone
#                           in 4.x: webhook invoke and jobs then fail with 500)
#   oslo.messaging 13.0.0   the newest that works with oslo.context<4
#   tenacity 7.0.0          the engine calls Retrying.call (gone in 8.x)
#   SQLAlchemy 1.3.24       built from source on Python 3.11; with oslo.db
#                           10.0.0 and sqlalchemy-migrate 0.13.0
#   python-keystoneclient   imported by Qinling but missing from its
#                           requirements
#   setuptools 80.9.0       sqlalchemy-migrate imports pkg_resources (gone
#                           in setuptools 81+)
# The rest is the resolved set, frozen so CI installs exactly what was
# tested.
PINS = """
setuptools==80.9.0
aiohappyeyeballs==2.7.1
aiohttp==3.14.5
aiohttp-retry==2.9.1
aiosignal==1.4.0
alembic==1.14.1
amqp==5.4.2
annotated-types==0.8.0
attrs==26.1.0
babel==2.18.0
bcrypt==5.0.0
cachetools==8.0.2
certifi==2026.10.19.post1
charset-normalizer==3.5.3
cotyledon==2.2.0
croniter==7.0.0
debtcollector==3.1.0
decorator==5.3.1
dnspython==2.9.2
dogpile.cache==1.5.0
durationpy==0.11
etcd3gw==2.7.0
eventlet==0.41.3
fasteners==0.20
frozenlist==1.8.0
futurist==3.5.0
greenlet==3.5.6
idna==3.20
importlib_metadata==10.2.0
iso8601==2.1.0
Jinja2==3.1.6
keystoneauth1==5.18.1
keystonemiddleware==13.0.1
kombu==5.7.0
kubernetes==37.0.2
lazy-importer==0.1.0
Mako==1.4.3
MarkupSafe==3.0.4
msgpack==1.2.4
multidict==7.2.1
netaddr==1.3.0
oauthlib==4.0.1
os-service-types==1.9.0
oslo.cache==4.3.0
oslo.concurrency==7.6.1
oslo.config==10.7.0
oslo.context==3.4.0
oslo.db==10.0.0
oslo.i18n==6.9.0
oslo.log==8.3.2
oslo.messaging==13.0.0
oslo.metrics==0.17.0
oslo.middleware==8.2.0
oslo.policy==6.0.1
oslo.serialization==5.11.0
oslo.service==4.8.0
oslo.upgradecheck==2.8.0
oslo.utils==10.2.0
packaging==26.4
Paste==3.10.1
PasteDeploy==3.1.0
pbr==7.1.3
pecan==1.8.0
prettytable==0.7.2
prometheus_client==0.26.0
propcache==0.5.4
psutil==7.2.2
pycadf==4.1.0
pydantic==2.14.4
pydantic_core==2.50.5
PyJWT==2.15.1
PyMySQL==1.2.4
pyparsing==3.3.3
python-dateutil==4.0.0
python-keystoneclient==6.0.0
python-swiftclient==4.11.0
PyYAML==6.0.4
qinling==5.0.0
repoze-lru==0.8
requests==2.34.2
requests-oauthlib==2.0.0
rfc3986==2.0.0
Routes==2.5.1
setproctitle==1.3.8
simplegeneric==0.8.1
six==1.17.0
SQLAlchemy==1.3.24
sqlalchemy-migrate==0.13.0
sqlparse==0.6.1
statsd==4.0.1
stevedore==5.10.0
Tempita==0.6.0
tenacity==7.0.0
testresources==2.1.2
testscenarios==0.7.0
typing-inspection==0.4.5
typing_extensions==4.16.0
tzdata==2026.6
urllib3==2.8.0
vine==5.1.0
WebOb==1.8.11
websocket-client==1.9.2
wrapt==2.5.2
WSME==0.13.0
yappi==1.7.6
yarl==1.25.1
zipp==4.1.2
""".split()
RUNTIME_NAME = 'python3'
RUNTIME_IMAGE = 'openstackqinling/python3-runtime'
RUNTIME_TIMEOUT = 60
# A sync execution is one RPC call from api to engine; room for the longest
# allowed function timeout (300 s, [resource_limits]) instead of
# oslo.messaging's 60 s.
RPC_RESPONSE_TIMEOUT = 330

ADMIN = 'rule:context_is_admin'
# Qinling's upstream default policy (its 5.0.0 wheel ships no policy file).
POLICY = {
    'context_is_admin': 'role:admin or is_admin:1',
    'owner': 'project_id:%(project_id)s',
    'admin_or_owner': 'rule:context_is_admin or rule:owner',
    'default': 'rule:admin_or_owner',
    'runtime:create': ADMIN,
    'runtime:update': ADMIN,
    'runtime:delete': ADMIN,
    'function:get_all:all_projects': ADMIN,
    'function_worker:get_all': ADMIN,
    'function:scale_up': ADMIN,
    'function:scale_down': ADMIN,
    'function:detach': ADMIN,
    'function_version:get_all:all_projects': ADMIN,
    'function_version:scale_up': ADMIN,
    'function_version:scale_down': ADMIN,
    'function_version:detach': ADMIN,
    'execution:get_all:all_projects': ADMIN,
    'webhook:get_all:all_projects': ADMIN,
    'job:get_all:all_projects': ADMIN,
}


class Qinling(base.Service):
    """qinling-api + qinling-engine with the local executor."""

    name = 'qinling'
    order = 60
    ports = {'qinling-api': 70}
    start_timeout = 90
    venv = 'qinling-venv'
    requirements = tuple(PINS)

    # -- paths -------------------------------------------------------------
    def conf_path(self, cloud):
        return os.path.join(cloud.service_dir(self.name), 'qinling.conf')

    def work_dir(self, cloud):
        return os.path.join(cloud.service_dir(self.name), 'workers')

    def url(self, cloud, path=''):
        return cloud.url('qinling-api', path)

    # -- configure ---------------------------------------------------------
    def configure(self, cloud):
        d = cloud.service_dir(self.name)
        port = cloud.port('qinling-api')
        # JSON is valid YAML; oslo.policy warns about files named .json.
        files.write_file(
            os.path.join(d, 'policy.yaml'),
            json.dumps(POLICY, indent=1, sort_keys=True) + '\n')
        files.write_ini(
            self.conf_path(cloud),
            {
                'DEFAULT': {
                    'qinling_endpoint': self.url(cloud),
                    'transport_url': cloud.transport_url,
                    'rpc_response_timeout': RPC_RESPONSE_TIMEOUT,
                    'use_stderr': True,
                    # oslo.service's eventlet server holds a green thread per
                    # open client connection, 100 at most, idle keep-alive ones
                    # for up to 900 s: Heat creating 30 functions at once
                    # filled the pool and the API stopped answering. One
                    # request per connection frees each thread at once.
                    'wsgi_keep_alive': False,
                    'client_socket_timeout': 60,
                },
                'api': {
                    'host': cloud.host,
                    'port': port,
                    'api_workers': 1,
                    'enable_job_handler': True,
                },
                'pecan': {'auth_enable': True},
                'database': {
                    'connection': common.database_url(cloud, 'qinling')
                },
                'storage': {'file_system_dir': os.path.join(d, 'packages')},
                'etcd': {
                    'host': cloud.host,
                    'port': cloud.port('etcd'),
                    'protocol': 'http',
                },
                'keystone_authtoken': common.keystone_authtoken(
                    cloud, 'qinling'),
                'oslo_policy': {'policy_file': os.path.join(d, 'policy.yaml')},
                'local_executor': {'work_dir': self.work_dir(cloud)},
            },
        )

    def databases(self, cloud):
        return ['qinling']

    def db_sync_commands(self, cloud):
        """The schema, by Qinling's own migrations (001 to 011)."""
        return [('qinling-db-manage upgrade head', [
            self.venv_bin(cloud, 'qinling-db-manage'),
            '--config-file', self.conf_path(cloud), 'upgrade', 'head'])]

    def processes(self, cloud):
        env = {'PYTHONPATH': cloud.repo_dir}
        return [
            base.Process(
                name,
                [
                    self.venv_bin(cloud, 'python'),
                    '-m',
                    'localcloud.qinling_local.' + module,
                    '--config-file',
                    self.conf_path(cloud),
                ],
                env=env,
                cwd=cloud.service_dir(self.name),
            )
            for name, module in (
                ('qinling-api', 'api'),
                ('qinling-engine', 'engine'),
            )
        ]

    # -- health ------------------------------------------------------------
    def healthy(self, cloud):
        """The API answers GET / and the engine has started its RPC server."""
        return probes.http_status(
            self.url(cloud, '/')
        ) == 200 and self.engine_ready(cloud)

    def engine_ready(self, cloud):
        try:
            with open(os.path.join(self.work_dir(cloud), 'engine.ready')) as f:
                pid, start_time = (int(x) for x in f.read().split())
        except (OSError, ValueError):
            return False
        stat = proc.proc_stat(pid)
        return proc.proc_alive(stat) and stat.starttime == start_time

    # -- Keystone registration and bootstrap ------------------------------
    def catalog(self, cloud):
        return [
            base.CatalogEntry('function-engine', 'qinling', self.url(cloud))
        ]

    def service_users(self, cloud):
        return [('qinling', cloud.secret('qinling'))]

    def bootstrap(self, cloud):
        """Ensure the public runtime ``python3`` exists and is available (as
        admin)."""
        admin = clients.session(cloud, 'admin')
        runtimes_url = self.url(cloud, '/v1/runtimes')
        found = [r for r in admin.get(runtimes_url).json()['runtimes']
                 if r['name'] == RUNTIME_NAME]
        runtime = found[0] if found else None
        if runtime and runtime['status'] == 'available':
            steps.say('qinling: runtime %s is %s (id %s)'
                      % (RUNTIME_NAME, runtime['status'], runtime['id']))
            return runtime['id']
        with steps.step('qinling: runtime %s' % RUNTIME_NAME):
            if runtime is None:
                runtime = admin.post(
                    runtimes_url,
                    json={
                        'name': RUNTIME_NAME,
                        'image': RUNTIME_IMAGE,
                        'is_public': True,
                        'description': (
                            'Python 3 functions, run by the local executor'
                        ),
                    },
                ).json()
            deadline = time.monotonic() + RUNTIME_TIMEOUT
            while runtime['status'] not in ('available', 'error'):
                if time.monotonic() > deadline:
                    raise exceptions.ServiceError(
                        'runtime %s still %s after %d s'
                        % (runtime['id'], runtime['status'], RUNTIME_TIMEOUT)
                    )
                time.sleep(0.5)
                runtime = admin.get(
                    '%s/%s' % (runtimes_url, runtime['id'])
                ).json()
            if runtime['status'] != 'available':
                raise exceptions.ServiceError(
                    'runtime %s is in status %s; see the qinling-engine log'
                    % (runtime['id'], runtime['status'])
                )
            steps.say(
                'qinling: runtime %s is available (id %s)'
                % (RUNTIME_NAME, runtime['id'])
            )
        return runtime['id']
