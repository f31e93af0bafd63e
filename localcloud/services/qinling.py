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
import hashlib
import json
import os
import sys
import time

from localcloud import clients
from localcloud.services import base
from localcloud.services import common
from localcloud import util

REQUIREMENTS = os.path.join(
    os.path.dirname(os.path.dirname(os.path.abspath(__file__))),
    'qinling-requirements.txt',
)
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
    parallel_install = True  # a venv of its own

    # -- paths -------------------------------------------------------------
    def conf_path(self, cloud):
        return os.path.join(cloud.service_dir(self.name), 'qinling.conf')

    def work_dir(self, cloud):
        return os.path.join(cloud.service_dir(self.name), 'workers')

    def venv_python(self, cloud):
        return os.path.join(cloud.qinling_venv, 'bin', 'python')

    def url(self, cloud, path=''):
        return cloud.url('qinling-api', path)

    # -- install -----------------------------------------------------------
    def install(self, cloud):
        """The Qinling venv from the pinned requirements (skipped when they are
        in)."""
        with open(REQUIREMENTS, 'rb') as f:
            pins = hashlib.sha256(f.read()).hexdigest()
        marker = util.Marker(
            os.path.join(cloud.qinling_venv, '.localcloud-requirements'),
            {'requirements': pins},
        )
        if marker.done() and os.path.exists(self.venv_python(cloud)):
            return
        if not os.path.exists(self.venv_python(cloud)):
            with util.step(
                'qinling: creating the venv %s' % cloud.qinling_venv
            ):
                base_python = (
                    getattr(sys, '_base_executable', None) or sys.executable
                )
                util.run(
                    [base_python, '-m', 'venv', cloud.qinling_venv],
                    'python -m venv',
                )
        with util.step(
            'qinling: installing Qinling 5.0.0 and its pins into its venv'
        ):
            util.run(
                [
                    self.venv_python(cloud),
                    '-m',
                    'pip',
                    '--disable-pip-version-check',
                    '-q',
                    'install',
                    '-r',
                    REQUIREMENTS,
                ],
                'pip install (qinling venv)',
            )
        marker.mark()

    # -- configure ---------------------------------------------------------
    def configure(self, cloud):
        d = cloud.service_dir(self.name)
        port = cloud.port('qinling-api')
        # JSON is valid YAML; oslo.policy warns about files named .json.
        util.write_file(os.path.join(d, 'policy.yaml'),
                        json.dumps(POLICY, indent=1, sort_keys=True) + '\n')
        util.write_ini(
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
                'keystone_authtoken': {
                    'www_authenticate_uri': cloud.keystone_url,
                    'auth_url': cloud.keystone_url,
                    'auth_type': 'password',
                    'username': 'qinling',
                    'password': cloud.secret('qinling'),
                    'project_name': cloud.service_project,
                    'user_domain_name': cloud.domain,
                    'project_domain_name': cloud.domain,
                    'region_name': cloud.region,
                    'service_token_roles_required': True,
                },
                'oslo_policy': {'policy_file': os.path.join(d, 'policy.yaml')},
                'local_executor': {'work_dir': self.work_dir(cloud)},
            },
        )

    def databases(self, cloud):
        return ['qinling']

    def init(self, cloud):
        """The schema, by Qinling's own migrations (001 to 011)."""
        marker = util.Marker(
            os.path.join(cloud.service_dir(self.name), 'db-ready'),
            common.database_url(cloud, 'qinling'),
        )
        if not marker.done():
            with util.step('qinling: qinling-db-manage upgrade head'):
                util.run(
                    [
                        os.path.join(
                            cloud.qinling_venv, 'bin', 'qinling-db-manage'
                        ),
                        '--config-file',
                        self.conf_path(cloud),
                        'upgrade',
                        'head',
                    ],
                    'qinling-db-manage upgrade head',
                )
            marker.mark()

    def processes(self, cloud):
        env = {'PYTHONPATH': cloud.repo_dir}
        return [
            base.Process(
                name,
                [
                    self.venv_python(cloud),
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
        return util.http_status(
            self.url(cloud, '/')
        ) == 200 and self.engine_ready(cloud)

    def engine_ready(self, cloud):
        try:
            with open(os.path.join(self.work_dir(cloud), 'engine.ready')) as f:
                pid, start_time = (int(x) for x in f.read().split())
        except (OSError, ValueError):
            return False
        stat = util.proc_stat(pid)
        return util.proc_alive(stat) and stat.starttime == start_time

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
            util.say('qinling: runtime %s is %s (id %s)'
                     % (RUNTIME_NAME, runtime['status'], runtime['id']))
            return runtime['id']
        with util.step('qinling: runtime %s' % RUNTIME_NAME):
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
                    raise RuntimeError(
                        'runtime %s still %s after %d s'
                        % (runtime['id'], runtime['status'], RUNTIME_TIMEOUT)
                    )
                time.sleep(0.5)
                runtime = admin.get(
                    '%s/%s' % (runtimes_url, runtime['id'])
                ).json()
            if runtime['status'] != 'available':
                raise RuntimeError(
                    'runtime %s is in status %s; see the qinling-engine log'
                    % (runtime['id'], runtime['status'])
                )
            util.say(
                'qinling: runtime %s is available (id %s)'
                % (RUNTIME_NAME, runtime['id'])
            )
        return runtime['id']
