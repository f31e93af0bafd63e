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

"""Horizon 27 + heat-dashboard 16: the dashboard, served like a deployment
serves it.

Own venv (``<state>/horizon-venv``: Django and Horizon's pins stay out of the
main venv), gunicorn for the Django app, WhiteNoise (a WSGI wrapper) for the
static files that ``collectstatic`` + ``compress`` put under
``<state>/horizon/static`` in its init step. That step runs only when the venv
or the rendered settings changed, so a warm ``up`` starts Horizon in seconds.

Everything Horizon reads is rendered here, into the venv's
``openstack_dashboard/local`` (the place a deployment puts it):
``local_settings.py``, heat-dashboard's enabled files and settings snippet, its
policy files, and one enabled file of ours that makes Project > Orchestration >
Stacks the landing page (the default Project > Overview needs a compute
service, which this cloud has not).
"""
import glob
import hashlib
import os
import shutil

from localcloud import exceptions
from localcloud.services import base
from localcloud.services import common
from localcloud.util import files
from localcloud.util import probes
from localcloud.util import steps

WEBROOT = '/'
WSGI_MODULE = 'localcloud_horizon_wsgi'

LOCAL_SETTINGS = '''\
# rendered by localcloud (localcloud/services/horizon.py); edits are
# overwritten
DEBUG = False
ALLOWED_HOSTS = [{host!r}, 'localhost']
SECRET_KEY = {secret_key!r}
WEBROOT = {webroot!r}
STATIC_ROOT = {static_root!r}
COMPRESS_ENABLED = True
COMPRESS_OFFLINE = True

OPENSTACK_HOST = {host!r}
OPENSTACK_KEYSTONE_URL = {keystone_url!r}
OPENSTACK_KEYSTONE_DEFAULT_DOMAIN = {domain!r}
OPENSTACK_KEYSTONE_DEFAULT_ROLE = 'member'
OPENSTACK_ENDPOINT_TYPE = 'publicURL'

# no memcached: the session lives in a signed cookie, the cache in the process
SESSION_ENGINE = 'django.contrib.sessions.backends.signed_cookies'
CACHES = {{'default': {{'BACKEND':
                       'django.core.cache.backends.locmem.LocMemCache'}}}}

TIME_ZONE = 'UTC'
LOGGING = {{
    'version': 1,
    'disable_existing_loggers': False,
    'handlers': {{'console': {{'class': 'logging.StreamHandler'}}}},
    'root': {{'handlers': ['console'], 'level': 'WARNING'}},
}}
'''

# Project > Orchestration > Stacks is where a user lands after login.
LANDING_PANEL = '''\
# rendered by localcloud: the landing page is Orchestration > Stacks
PANEL = 'stacks'
PANEL_DASHBOARD = 'project'
PANEL_GROUP = 'orchestration'
DEFAULT_PANEL = 'stacks'
'''

WSGI = '''\
# rendered by localcloud: Horizon's Django app, static files served by
# WhiteNoise
import os

os.environ.setdefault('DJANGO_SETTINGS_MODULE', 'openstack_dashboard.settings')

from django.core.wsgi import get_wsgi_application  # noqa: E402
from whitenoise import WhiteNoise  # noqa: E402

application = WhiteNoise(get_wsgi_application(), root={static_root!r},
                         prefix={static_url!r}, max_age=3600)
'''


def url(cloud):
    """The dashboard's address as a user types it."""
    return cloud.url('horizon', WEBROOT)


def login_hint(cloud):
    """One line: where Horizon is and how to log in as the demo user."""
    return 'Horizon: %s  (domain %s, user %s, password %s)' % (
        url(cloud),
        cloud.domain,
        cloud.demo_user,
        cloud.secret(cloud.demo_user),
    )


class Horizon(base.Service):
    """The dashboard with the Orchestration panels."""

    name = 'horizon'
    order = 80
    requires = ()  # no database (signed-cookie sessions), no bus
    ports = {'horizon': 80}
    venv = 'horizon-venv'
    requirements = ('horizon==27.*', 'heat-dashboard==16.*', 'gunicorn',
                    'whitenoise')

    # -- paths -------------------------------------------------------------
    def site_packages(self, cloud):
        found = glob.glob(
            os.path.join(self.venv_dir(cloud), 'lib', 'python3*',
                         'site-packages')
        )
        if not found:
            raise exceptions.ServiceError(
                'no site-packages in %s; run tools/localcloud install'
                % self.venv_dir(cloud)
            )
        return found[0]

    def static_root(self, cloud):
        return os.path.join(cloud.service_dir(self.name), 'static')

    # -- configure ---------------------------------------------------------
    def rendered_files(self, cloud):
        """{path: text} of everything Horizon reads that we write."""
        site = self.site_packages(cloud)
        dashboard = os.path.join(site, 'openstack_dashboard')
        heat_dashboard = os.path.join(site, 'heat_dashboard')
        local = os.path.join(dashboard, 'local')
        static_root = self.static_root(cloud)
        rendered = {
            os.path.join(local, 'local_settings.py'): LOCAL_SETTINGS.format(
                host=cloud.host,
                secret_key=cloud.secret('horizon'),
                webroot=WEBROOT,
                static_root=static_root,
                keystone_url=cloud.keystone_url,
                domain=cloud.domain,
            ),
            os.path.join(
                local, 'enabled', '_9001_localcloud_landing_stacks.py'
            ): LANDING_PANEL,
            os.path.join(
                cloud.service_dir(self.name), WSGI_MODULE + '.py'
            ): WSGI.format(
                static_root=static_root, static_url=WEBROOT + 'static/'
            ),
        }
        # heat-dashboard's own files, where its install guide puts them
        copies = [
            (p, os.path.join(local, 'enabled', os.path.basename(p)))
            for p in glob.glob(
                os.path.join(heat_dashboard, 'enabled', '_16*.py')
            )
        ]
        copies += [
            (
                os.path.join(
                    heat_dashboard,
                    'local_settings.d',
                    '_1699_orchestration_settings.py',
                ),
                os.path.join(
                    local,
                    'local_settings.d',
                    '_1699_orchestration_settings.py',
                ),
            ),
            (
                os.path.join(heat_dashboard, 'conf', 'heat_policy.yaml'),
                os.path.join(dashboard, 'conf', 'heat_policy.yaml'),
            ),
            (
                os.path.join(
                    heat_dashboard, 'conf', 'default_policies', 'heat.yaml'
                ),
                os.path.join(
                    dashboard, 'conf', 'default_policies', 'heat.yaml'
                ),
            ),
        ]
        for source, target in copies:
            with open(source) as f:
                rendered[target] = f.read()
        return rendered

    def configure(self, cloud):
        d = cloud.service_dir(self.name)
        rendered = self.rendered_files(cloud)
        for path, text in sorted(rendered.items()):
            files.write_file(path, text)
        common.gunicorn_conf(
            cloud,
            d,
            cloud.port(self.name),
            WSGI_MODULE + ':application',
            {'DJANGO_SETTINGS_MODULE': 'openstack_dashboard.settings'},
            workers=1,
            threads=4,
        )

    def init(self, cloud):
        """collectstatic + offline compress, only when the venv or the settings
        changed."""
        rendered = self.rendered_files(cloud)
        with open(
            os.path.join(self.venv_dir(cloud), '.localcloud-requirements')
        ) as f:
            installed = f.read()
        marker = files.Marker(
            os.path.join(cloud.service_dir(self.name), 'static-ready'),
            {
                'venv': installed,
                'files': {
                    p: hashlib.sha256(t.encode()).hexdigest()
                    for p, t in rendered.items()
                },
            },
        )
        if marker.done() and os.path.isdir(self.static_root(cloud)):
            return
        admin = [self.venv_bin(cloud, 'django-admin')]
        env = {'DJANGO_SETTINGS_MODULE': 'openstack_dashboard.settings'}
        with steps.step('horizon: collecting and compressing static files'):
            shutil.rmtree(self.static_root(cloud), ignore_errors=True)
            steps.run(
                admin + ['collectstatic', '--noinput'],
                'django-admin collectstatic',
                env=env,
            )
            steps.run(
                admin + ['compress', '--force'],
                'django-admin compress',
                env=env,
            )
        marker.mark()

    def processes(self, cloud):
        return [base.Process('horizon', [self.venv_bin(cloud, 'gunicorn')],
                             cwd=cloud.service_dir(self.name))]

    def access_hint(self, cloud):
        return login_hint(cloud)

    def healthy(self, cloud):
        return (
            probes.http_status(cloud.url(self.name, WEBROOT + 'auth/login/'))
            == 200
        )
