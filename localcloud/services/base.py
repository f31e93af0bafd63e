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
``order``, whether it is a ``backing`` service or the ``identity`` service,
which backing services it ``requires``, its ``ports``, its ``start_timeout``,
what it installs (``apt_packages``, its ``venv`` and the ``requirements``
pinned there). Its methods are the steps the lifecycle module
(``localcloud.lifecycle``) runs, in this order:

- install: its Debian packages and its venv's requirements, by the lifecycle
  from the facts above (one apt transaction, one venv helper); ``install``
  adds what pins cannot say (a file copied into the venv);
- ``configure``: writes its files, nothing else;
- ``init``: one-time setup before its processes start, with the backing
  services up: data dirs, keys; then ``db_sync_commands``, run once per
  database by ``common.db_sync``;
- ``processes``: what the supervisor starts (the *start* step);
- ``healthy``: a quick probe;
- ``bootstrap``: one-time setup once healthy (users, runtimes); ``catalog``,
  ``service_users``, ``domain_admins`` and ``databases`` are what Keystone
  and MariaDB set up for it.

A service module imports ``base``, ``common``, ``localcloud.util`` and
``localcloud.clients``, never another service module. The supervisor knows
processes, not OpenStack.
"""
import dataclasses
import os

DEFAULT_START_TIMEOUT = 120
# the venv of Keystone, Heat, Aodh, Ceilometer, the clients and the tests
# (``<state>/venv``, also the CLI's own interpreter)
MAIN_VENV = 'venv'


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
    # the identity service: every other service that is not backing
    # bootstraps after its bootstrap (which registers their users and
    # catalog entries)
    identity = False
    # Debian packages, installed in the cloud's one apt transaction unless
    # every path of ``apt_probes`` exists
    apt_packages = ()
    apt_probes = ()
    # the venv its processes run from, a directory name under the state dir
    # (MAIN_VENV or one of its own), and the requirements it pins there
    # (pip's syntax; the main venv gets the union of its services');
    # ``requirements_no_deps`` go in without their declared dependencies
    venv = None
    requirements = ()
    requirements_no_deps = ()

    # -- paths -------------------------------------------------------------
    def venv_dir(self, cloud):
        """``<state>/<venv>``, or None if it has no venv."""
        return os.path.join(cloud.state_dir, self.venv) if self.venv else None

    def venv_bin(self, cloud, exe):
        return os.path.join(self.venv_dir(cloud), 'bin', exe)

    def editable_requirements(self, cloud):
        """Local source trees installed editable into its venv."""
        return []

    # -- steps -------------------------------------------------------------
    def install(self, cloud):
        """Idempotent, after its apt packages and its venv are in: what the
        facts cannot say. Fast when done already."""

    def configure(self, cloud):
        """Render config files under cloud.service_dir(self.name); files
        only."""

    def databases(self, cloud):
        """Names of the MariaDB databases it needs (each gets a user of that
        name)."""
        return []

    def init(self, cloud):
        """Idempotent one-time setup before its processes start, with the
        backing services (bus, key-value store, database) up: data dirs,
        keys (the schema: ``db_sync_commands``)."""

    def db_sync_commands(self, cloud):
        """[(what, argv)]: its schema migrations (and what goes with them),
        run once per database by ``common.db_sync`` after ``init``, in
        order; a list of (what, argv) in the place of one runs at once."""
        return []

    def db_sync_key(self, cloud):
        """What the database steps depend on besides its databases' URLs:
        when it changes, they run again."""
        return []

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

    def domain_admins(self, cloud):
        """Keystone domains it owns, each with an admin user:
        [(domain, description, username, password)]."""
        return []

    def access_hint(self, cloud):
        """One line telling a user how to reach it (``up``, ``env`` and the
        demo print it), or None."""
        return None
