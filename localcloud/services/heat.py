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

"""Heat 27: heat-api (gunicorn) and heat-engine (two workers), with the
heat-qinling plugin.

Heat loads resource types only from ``plugin_dirs``; we point it at
``<venv>/lib/heat``, where a regular install of the plugin puts its one-line
module (pbr data_files). An editable install does not, so ``install`` copies
that module there.

``configure`` also installs the trigger catalog cloud-wide with the code of
``heat-qinling-install-catalog``, the command doc/source/install.rst gives an
operator: the templates of ``templates/triggers/`` into
``<template_dir>/qinling/`` and an ``environment.d`` file mapping each
``Qinling::Trigger::*`` type to its ``file://`` URL, as Heat's own
``default.yaml`` maps ``AWS::CloudWatch::Alarm``. So the types work from
Horizon and from any stack without ``-e``. The plugin is installed editable
here, which installs no data files, so the source is the checkout's
``templates/`` (the command's ``--source``).
"""
import os
import shutil

from localcloud.services import base
from localcloud.services import common
from localcloud.util import files
from localcloud.util import probes
from localcloud.util import steps

PLUGIN_MODULE = os.path.join('etc', 'heat-plugin', 'heat_qinling_plugin.py')
TEMPLATES = 'templates'


class Heat(base.Service):
    """Orchestration, with OS::Qinling::* types from the plugin."""

    name = 'heat'
    order = 70
    ports = {'heat-api': 4}
    venv = base.MAIN_VENV
    requirements = ('openstack-heat==27.0.1', 'PyMySQL', 'gunicorn')
    # As doc/source/install.rst installs it into heat-engine's venv: without
    # its declared requirements, whose PrettyTable<0.8 would downgrade
    # PrettyTable under Heat (a real heat-engine keeps the release's
    # PrettyTable 3).
    requirements_no_deps = ('python-qinlingclient==5.1.1',)
    # Heat's stack-user domain and its admin (stack_user_domain_name,
    # stack_domain_admin)
    stack_user_domain = 'heat'
    stack_domain_admin = 'heat_domain_admin'

    def conf_path(self, cloud):
        # ~/heat.conf with HOME = this dir: how heat.wsgi.api (no config
        # argument) finds it
        return os.path.join(cloud.service_dir(self.name), 'heat.conf')

    def plugin_dir(self, cloud):
        return os.path.join(cloud.venv, 'lib', 'heat')

    def template_dir(self, cloud):
        return os.path.join(cloud.venv, 'etc', 'heat', 'templates')

    def environment_dir(self, cloud):
        return os.path.join(cloud.venv, 'etc', 'heat', 'environment.d')

    def editable_requirements(self, cloud):
        """The heat-qinling plugin from this checkout, editable."""
        if os.path.exists(os.path.join(cloud.repo_dir, 'setup.cfg')):
            return [cloud.repo_dir]
        return []

    def install(self, cloud):
        self._install_plugin_module(cloud)

    def configure(self, cloud):
        d = cloud.service_dir(self.name)
        keystone_root = cloud.url('keystone')
        files.write_ini(
            self.conf_path(cloud),
            {
                'DEFAULT': {
                    'transport_url': cloud.transport_url,
                    'auth_encryption_key': cloud.secret(
                        'heat_auth_encryption_key'
                    ),
                    'stack_user_domain_name': self.stack_user_domain,
                    'stack_domain_admin': self.stack_domain_admin,
                    'stack_domain_admin_password': cloud.secret(
                        self.stack_domain_admin
                    ),
                    'plugin_dirs': self.plugin_dir(cloud),
                    'environment_dir': self.environment_dir(cloud),
                    'template_dir': self.template_dir(cloud),
                    # production runs several engines: stacks are shared
                    # between them
                    'num_engine_workers': 2,
                    'region_name_for_services': cloud.region,
                    # heat-api waits for the engine's answer to stack create
                    # (template validation, trust, store): oslo.messaging's 60
                    # s ran out in a burst of 10 creates on the busy 2-core
                    # machine, and the API answered 500 while the engine went
                    # on and created the stack
                    'rpc_response_timeout': 180,
                    'use_stderr': True,
                    # Every update reads each resource's live state, so one
                    # update re-creates whatever was deleted outside Heat (the
                    # Aodh alarm too). ``stack update --converge`` alone does
                    # not do it in Heat 27's convergence engine: the flag
                    # reaches only the resources that nothing depends on.
                    'observe_on_update': True,
                },
                'database': {'connection': common.database_url(cloud, 'heat')},
                # As kolla-ansible configures heat.conf: oslo.cache on
                # memcached, which Heat's resource finders (MEMOIZE_FINDER:
                # a Qinling runtime or function looked up by name) use.
                # Without it every lookup asks Qinling again, so a rollback
                # that runs while qinling-api restarts keeps a runtime's name
                # in place of its ID and replaces the function.
                'cache': {
                    'enabled': True,
                    'backend': 'dogpile.cache.pymemcache',
                    'memcache_servers': common.memcache_servers(cloud),
                },
                'paste_deploy': {
                    'api_paste_config': os.path.join(
                        cloud.venv, 'etc', 'heat', 'api-paste.ini'
                    )
                },
                'keystone_authtoken': common.keystone_authtoken(cloud, 'heat'),
                'trustee': common.password_auth(cloud, 'heat', project=False),
                'clients': {'endpoint_type': 'public'},
                'clients_keystone': {'auth_uri': keystone_root},
                'ec2authtoken': {'auth_uri': cloud.keystone_url},
                'oslo_concurrency': {'lock_path': os.path.join(d, 'locks')},
            },
        )
        common.gunicorn_conf(cloud, d, cloud.port('heat-api'),
                             'heat.wsgi.api:application', {'HOME': d})
        self._install_trigger_catalog(cloud)

    def databases(self, cloud):
        return ['heat']

    def db_sync_commands(self, cloud):
        return [('heat-manage db_sync', [
            cloud.venv_bin('heat-manage'), '--config-file',
            self.conf_path(cloud), 'db_sync'])]

    def _install_trigger_catalog(self, cloud):
        from heat_qinling import catalog
        catalog.install(os.path.join(cloud.repo_dir, TEMPLATES),
                        self.template_dir(cloud), self.environment_dir(cloud))

    def _install_plugin_module(self, cloud):
        source = os.path.join(cloud.repo_dir, PLUGIN_MODULE)
        target = os.path.join(
            self.plugin_dir(cloud), os.path.basename(PLUGIN_MODULE)
        )
        if not os.path.exists(source) or (
            os.path.exists(target)
            and open(source).read() == open(target).read()
        ):
            return
        os.makedirs(self.plugin_dir(cloud), exist_ok=True)
        shutil.copyfile(source, target)
        steps.say('heat: plugin module copied to %s' % target)

    def processes(self, cloud):
        d = cloud.service_dir(self.name)
        return [
            base.Process('heat-api', [cloud.venv_bin('gunicorn')], cwd=d),
            base.Process(
                'heat-engine',
                [
                    cloud.venv_bin('heat-engine'),
                    '--config-file',
                    self.conf_path(cloud),
                ],
                cwd=d,
            ),
        ]

    def healthy(self, cloud):
        # the engine declares its RPC queue 'engine' once it serves (fresh
        # broker per up)
        return (probes.http_ok(cloud.url('heat-api', '/'))
                and common.queue_exists(cloud, 'engine'))

    def catalog(self, cloud):
        return [base.CatalogEntry('orchestration', 'heat',
                                  cloud.url('heat-api', '/v1/%(tenant_id)s'))]

    def service_users(self, cloud):
        return [('heat', cloud.secret('heat'))]

    def domain_admins(self, cloud):
        return [(self.stack_user_domain,
                 'Owns the users Heat creates for stacks',
                 self.stack_domain_admin,
                 cloud.secret(self.stack_domain_admin))]
