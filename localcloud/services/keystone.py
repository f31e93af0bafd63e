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

"""Keystone 30: MariaDB, fernet tokens, memcached as its cache, served by
gunicorn; registers the whole cloud.

``bootstrap`` puts into Keystone, idempotently, what every service of the cloud
declares (catalog entries, service users, the domains it owns with their
admins) plus the demo project/user and the roles.
"""
import grp
import os

from localcloud import clients
from localcloud.services import base
from localcloud.services import common
from localcloud.util import files
from localcloud.util import probes
from localcloud.util import proc
from localcloud.util import steps

# bcrypt cost of the password hashes Keystone stores. Keystone's default, 12,
# costs 240-480 ms of CPU per password login here, and Qinling logs in with a
# password on trust-scoped calls, Heat on every deferred-auth operation, the
# CLI on every command. 4 (bcrypt's minimum) is for this local cloud only:
# never in a real one. It applies to hashes written from then on: ``register``
# sets the passwords of the users it manages again once, when this changes.
PASSWORD_HASH_ROUNDS = 4

ROLES = ('admin', 'member', 'reader', 'heat_stack_owner', 'heat_stack_user')


class Keystone(base.Service):
    """Identity: the catalog and every user of the cloud."""

    name = 'keystone'
    order = 40
    identity = True
    requires = ('mariadb', 'memcached')  # starts while RabbitMQ boots
    ports = {'keystone': 0}
    venv = base.MAIN_VENV
    # PyMySQL: MariaDB's driver; pymemcache: oslo.cache's
    # dogpile.cache.pymemcache backend. pyOpenSSL (pysaml2's) is named so
    # that uv settles it before cryptography, as pip's resolver does: else uv
    # takes cryptography 51 first and then the newest pyOpenSSL without an
    # upper bound on it, 22.0.0, which does not import with it (pip: 26.4.0
    # with cryptography 50.0.2; uv with this name: the same).
    requirements = ('keystone==30.0.0', 'PyMySQL', 'pymemcache', 'gunicorn',
                    'pyOpenSSL')

    def conf_path(self, cloud):
        return os.path.join(cloud.service_dir(self.name), 'keystone.conf')

    def configure(self, cloud):
        d = cloud.service_dir(self.name)
        files.write_ini(
            self.conf_path(cloud),
            {
                'DEFAULT': {'use_stderr': True},
                'identity': {'password_hash_rounds': PASSWORD_HASH_ROUNDS},
                'database': {
                    'connection': common.database_url(cloud, 'keystone')
                },
                'token': {'provider': 'fernet'},
                # as devstack: tokens, assignments and the catalog cached
                # (validations went from 0.1-0.4 s to 10-100 ms here)
                'cache': {
                    'enabled': True,
                    'backend': 'dogpile.cache.pymemcache',
                    'memcache_servers': common.memcache_servers(cloud),
                },
                'fernet_tokens': {
                    'key_repository': os.path.join(d, 'fernet-keys')
                },
                'fernet_receipts': {
                    'key_repository': os.path.join(d, 'fernet-keys')
                },
                'credential': {
                    'key_repository': os.path.join(d, 'credential-keys')
                },
                'oslo_concurrency': {'lock_path': os.path.join(d, 'locks')},
            },
        )
        # Processes of one thread each, as devstack runs Keystone under uwsgi.
        # With one process of 4 threads, bursts of stack creates here got
        # "403 identity:create_trust ... request was made with domain scope"
        # now and then: a project-scoped request checked with the domain of a
        # concurrent domain-scoped one (Heat's stack-domain admin).
        common.gunicorn_conf(
            cloud,
            d,
            cloud.port(self.name),
            'keystone.wsgi.api:application',
            {'OS_KEYSTONE_CONFIG_FILES': self.conf_path(cloud)},
            workers=2,
            threads=1,
            preload=True,
        )

    def databases(self, cloud):
        return ['keystone']

    def db_sync_commands(self, cloud):
        """Schema, keys and the admin user/project/endpoint (once per
        database)."""
        manage = [
            cloud.venv_bin('keystone-manage'),
            '--config-file',
            self.conf_path(cloud),
        ]
        owner = ['--keystone-user', proc.os_user(),
                 '--keystone-group', grp.getgrgid(os.getgid()).gr_name]
        # the key repositories are files, not the database: made while
        # the schema migrates (each command is seconds of Python start-up)
        return [
            [('keystone-manage db_sync', manage + ['db_sync']),
             ('keystone-manage fernet_setup',
              manage + ['fernet_setup'] + owner),
             ('keystone-manage credential_setup',
              manage + ['credential_setup'] + owner)],
            ('keystone-manage bootstrap', manage + [
                'bootstrap',
                '--bootstrap-password', cloud.secret(cloud.admin_user),
                '--bootstrap-username', cloud.admin_user,
                '--bootstrap-project-name', cloud.admin_project,
                '--bootstrap-role-name', 'admin',
                '--bootstrap-service-name', 'keystone',
                '--bootstrap-admin-url', cloud.keystone_url,
                '--bootstrap-internal-url', cloud.keystone_url,
                '--bootstrap-public-url', cloud.keystone_url,
                '--bootstrap-region-id', cloud.region,
            ]),
        ]

    def db_sync_key(self, cloud):
        return [cloud.keystone_url]

    def processes(self, cloud):
        return [base.Process('keystone', [cloud.venv_bin('gunicorn')],
                             cwd=cloud.service_dir(self.name))]

    def healthy(self, cloud):
        return probes.http_status(cloud.url(self.name, '/v3')) == 200

    def catalog(self, cloud):
        return [base.CatalogEntry('identity', 'keystone', cloud.keystone_url)]

    def bootstrap(self, cloud):
        spec = registration_spec(cloud)
        marker = files.Marker(
            os.path.join(cloud.service_dir(self.name), 'registered'),
            [spec, common.database_url(cloud, 'keystone')],
        )
        if marker.done():
            return
        with steps.step(
            'keystone: registering catalog, service users, demo project'
        ):
            register(cloud, spec)
        marker.mark()


def registration_spec(cloud):
    """Everything bootstrap puts into Keystone, as plain data (its hash is the
    marker)."""
    catalog, users, domains = [], [], []
    for service in cloud.services():
        catalog += [
            (e.service_type, e.service_name, e.url)
            for e in service.catalog(cloud)
        ]
        users += [list(u) for u in service.service_users(cloud)]
        domains += [list(d) for d in service.domain_admins(cloud)]
    return {
        'catalog': sorted(catalog),
        'service_users': sorted(users),
        'demo': [
            cloud.demo_user,
            cloud.demo_project,
            list(cloud.demo_roles),
            cloud.secret(cloud.demo_user),
        ],
        'domains': sorted(domains),
        'roles': list(ROLES),
        'password_hash_rounds': PASSWORD_HASH_ROUNDS,
    }


def register(cloud, spec):
    """Create what ``spec`` names unless it exists (main venv only)."""
    from keystoneclient.v3 import client

    ks = client.Client(
        session=clients.session(cloud, 'admin'), interface='public'
    )

    def find(manager, name, **filters):
        found = [
            x for x in manager.list(name=name, **filters) if x.name == name
        ]
        return found[0] if found else None

    def ensure(manager, name, create=None, **filters):
        return find(manager, name, **filters) or (create or manager.create)(
            name=name, **filters
        )

    def ensure_user(name, password, domain, **extra):
        """The user, created, or with its password set again (re-hashed with
        the current rounds: register runs only when the spec changed)."""
        user = find(ks.users, name, domain=domain)
        if user is None:
            return ks.users.create(name=name, domain=domain, password=password,
                                   **extra)
        ks.users.update(user, password=password)
        return user

    def grant(role, user, project=None, domain=None):
        try:
            ks.roles.check(role, user=user, project=project, domain=domain)
        except Exception:
            ks.roles.grant(role, user=user, project=project, domain=domain)

    default = ks.domains.get('default')
    roles = {r: ensure(ks.roles, r) for r in spec['roles']}
    projects = {p: ensure(ks.projects, p, domain=default)
                for p in (cloud.service_project, cloud.demo_project)}

    for username, password in spec['service_users']:
        user = ensure_user(username, password, default,
                           default_project=projects[cloud.service_project])
        grant(roles['admin'], user, project=projects[cloud.service_project])

    demo_user, demo_project, demo_roles, demo_password = spec['demo']
    user = ensure_user(demo_user, demo_password, default,
                       default_project=projects[demo_project])
    for role in demo_roles:
        grant(roles[role], user, project=projects[demo_project])

    for name, description, admin, password in spec['domains']:
        domain = find(ks.domains, name) or ks.domains.create(
            name=name, description=description)
        user = ensure_user(admin, password, domain)
        grant(roles['admin'], user, domain=domain)

    region = cloud.region
    for service_type, service_name, url in spec['catalog']:
        services = [
            s
            for s in ks.services.list(type=service_type)
            if s.name == service_name
        ]
        service = services[0] if services else ks.services.create(
            name=service_name, type=service_type, enabled=True)
        existing = {e.interface: e for e in ks.endpoints.list(service=service)
                    if e.region_id == region}
        for interface in ('public', 'internal', 'admin'):
            endpoint = existing.get(interface)
            if endpoint is None:
                ks.endpoints.create(
                    service=service,
                    url=url,
                    interface=interface,
                    region=region,
                    enabled=True,
                )
            elif endpoint.url != url:
                ks.endpoints.update(endpoint, url=url)
