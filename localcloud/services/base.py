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

"""The contract every local-cloud service module implements (devstack's
``lib/<service>``).

One module per service, one ``Service`` subclass in it. Its class attributes
are everything the rest of the local cloud knows about the service: its start
``order``, whether it is a ``backing`` service, which backing services it
``requires``, its ``ports`` and its ``start_timeout``. Its methods are the
steps the lifecycle module (``localcloud.lifecycle``) runs, in this order:

- ``install``: packages and venvs (idempotent);
- ``configure``: writes its files, nothing else;
- ``init``: one-time setup before its processes start, with the backing
  services up: data dirs, schema migrations, keys;
- ``processes``: what the supervisor starts (the *start* step);
- ``healthy``: a quick probe;
- ``bootstrap``: one-time setup once healthy (users, runtimes); ``catalog``,
  ``service_users`` and ``databases`` are what Keystone and MariaDB set up for
  it.

A service module imports ``base``, ``common`` and ``localcloud.util`` /
``localcloud.clients``, never another service module. The supervisor knows
processes, not OpenStack.
"""
import dataclasses

DEFAULT_START_TIMEOUT = 120


@dataclasses.dataclass
class Process:
    """One long-running OS process of a service, started by the supervisor."""
    name: str            # unique in the cloud: pid file, log file, status row
    argv: list           # foreground command (no daemonising)
    env: dict = dataclasses.field(default_factory=dict)  # added to os.environ
    cwd: str = None


@dataclasses.dataclass
class CatalogEntry:
    """A Keystone service + public/internal/admin endpoint at one URL."""
    service_type: str    # e.g. 'function-engine'
    service_name: str    # e.g. 'qinling'
    url: str


class Service:
    """Base class; subclasses set the facts and override the steps they
    need."""

    # -- facts -------------------------------------------------------------
    name = None          # e.g. 'keystone'
    # start order: lower first; bootstrap runs in this order, down in reverse
    order = None
    # the bus, the key-value store and the database: stopped after every
    # other service
    backing = False
    # names of the backing services that must be up (healthy, bootstrapped)
    # before this one is configured and started; None: all of them
    requires = None
    # listener name -> offset from the cloud's base port (cloud.port(name))
    ports = {}
    # seconds from its processes' start until it must be healthy
    start_timeout = DEFAULT_START_TIMEOUT
    # True when install() touches nothing the main venv's install does (apt
    # packages, a venv of its own): it then runs at the same time as the other
    # installs; else after the main venv is ready.
    parallel_install = False

    # -- steps -------------------------------------------------------------
    def install(self, cloud):
        """Idempotent: apt packages, venv contents. Fast when done already."""

    def configure(self, cloud):
        """Render config files under cloud.service_dir(self.name); files
        only."""

    def databases(self, cloud):
        """Names of the MariaDB databases it needs (each gets a user of that
        name)."""
        return []

    def init(self, cloud):
        """Idempotent one-time setup before its processes start, with the
        backing services (bus, key-value store, database) up: schema
        migrations, keys."""

    def processes(self, cloud):
        """The list of Process objects to run, in start order."""
        return []

    def healthy(self, cloud):
        """Quick, non-blocking check that the service answers."""
        return True

    def bootstrap(self, cloud):
        """Idempotent one-time setup after it is healthy (db, users,
        runtime)."""

    def catalog(self, cloud):
        """CatalogEntry list for Keystone."""
        return []

    def service_users(self, cloud):
        """Keystone service users as [(username, password)], admin on
        'service'."""
        return []
