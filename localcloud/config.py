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

"""Where everything of the local cloud lives: state dir, ports, secrets,
credentials.

``Cloud`` is the one object every service module, the supervisor and the CLI
share. All paths it hands out are plain ``str`` (configparser and subprocess
want strings).
"""
import json
import os
import secrets
import string

from localcloud.util import files

DEFAULT_BASE_PORT = 17000

SECRET_ALPHABET = string.ascii_letters + string.digits
SECRET_LENGTH = 32   # heat's auth_encryption_key must be exactly 32 chars

REPO_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


class Cloud:
    """Paths, ports, URLs, secrets and credentials of one local cloud (one
    state dir)."""

    host = '127.0.0.1'
    region = 'RegionOne'
    domain = 'Default'
    admin_user = 'admin'
    admin_project = 'admin'
    demo_user = 'demo'
    demo_project = 'demo'
    demo_roles = ('member', 'heat_stack_owner')
    service_project = 'service'
    rabbit_user = 'localcloud'

    def __init__(self, state_dir=None, base_port=None):
        self.repo_dir = REPO_DIR
        state_dir = (state_dir or os.environ.get('LOCALCLOUD_STATE_DIR')
                     or os.path.join(self.repo_dir, '.localcloud'))
        self.state_dir = os.path.abspath(state_dir)
        self.base_port = int(
            base_port
            or os.environ.get('LOCALCLOUD_BASE_PORT')
            or DEFAULT_BASE_PORT
        )

    # -- paths -------------------------------------------------------------
    def service_dir(self, name):
        """``<state>/<name>``, created on first use."""
        path = os.path.join(self.state_dir, name)
        os.makedirs(path, exist_ok=True)
        return path

    @property
    def log_dir(self):
        return self.service_dir('logs')

    def log_path(self, process_name):
        return os.path.join(self.log_dir, process_name + '.log')

    @property
    def pid_dir(self):
        return self.service_dir('pids')

    @property
    def venv(self):
        return os.path.join(self.state_dir, 'venv')

    def venv_bin(self, exe):
        return os.path.join(self.venv, 'bin', exe)

    @property
    def python(self):
        return self.venv_bin('python')

    @property
    def client_venv(self):
        """The users' ``openstack`` CLI, apart from the services' venvs."""
        return os.path.join(self.state_dir, 'client-venv')

    def client_bin(self, exe):
        return os.path.join(self.client_venv, 'bin', exe)

    # -- ports and URLs ----------------------------------------------------
    def port(self, name):
        """Base port + the offset the service owning listener ``name`` declares
        (its ``ports``); env LOCALCLOUD_PORT_<NAME> wins."""
        override = os.environ.get(
            'LOCALCLOUD_PORT_' + name.upper().replace('-', '_')
        )
        if override:
            return int(override)
        from localcloud import services
        try:
            return self.base_port + services.port_offsets()[name]
        except KeyError:
            raise KeyError(
                'no port offset for %r; add it to the ports of its service '
                'in localcloud/services/' % name
            ) from None

    def url(self, name, path=''):
        return 'http://%s:%d%s' % (self.host, self.port(name), path)

    @property
    def keystone_url(self):
        return self.url('keystone', '/v3')

    @property
    def transport_url(self):
        return 'rabbit://%s:%s@%s:%d/' % (
            self.rabbit_user,
            self.secret('rabbit'),
            self.host,
            self.port('rabbitmq'),
        )

    # -- secrets and credentials ------------------------------------------
    @property
    def secrets_path(self):
        return os.path.join(self.state_dir, 'secrets.json')

    def secret(self, name):
        """A random 32-char alphanumeric secret, made once and kept in
        secrets.json (0600)."""
        os.makedirs(self.state_dir, exist_ok=True)
        with files.file_lock(self.secrets_path + '.lock'):
            stored = {}
            if os.path.exists(self.secrets_path):
                with open(self.secrets_path) as f:
                    stored = json.load(f)
            if name not in stored:
                stored[name] = ''.join(secrets.choice(SECRET_ALPHABET)
                                       for _ in range(SECRET_LENGTH))
                files.write_file(
                    self.secrets_path,
                    json.dumps(stored, indent=1, sort_keys=True),
                    mode=0o600,
                )
            return stored[name]

    def credentials(self, who='demo'):
        """Keystone password-auth dict for 'admin', 'demo' or a service user
        name."""
        if who == 'admin':
            user, project = self.admin_user, self.admin_project
        elif who == 'demo':
            user, project = self.demo_user, self.demo_project
        else:
            user, project = who, self.service_project
        return {
            'auth_url': self.keystone_url,
            'username': user,
            'password': self.secret(user),
            'project_name': project,
            'user_domain_name': self.domain,
            'project_domain_name': self.domain,
        }

    # -- services and processes -------------------------------------------
    def services(self):
        """Service instances in start order (a broken service module
        raises)."""
        from localcloud import services
        return services.load_services()

    def service(self, name):
        """The service named ``name``; KeyError if the cloud has none."""
        for service in self.services():
            if service.name == name:
                return service
        raise KeyError('the cloud has no service %r' % name)

    @property
    def supervisor(self):
        from localcloud import supervisor
        return supervisor.Supervisor(self.pid_dir)

    def __repr__(self):
        return 'Cloud(state_dir=%r, base_port=%d)' % (
            self.state_dir,
            self.base_port,
        )
