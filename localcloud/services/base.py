"""The contract every local-cloud service module implements.

A service knows how to install, configure, start and health-check itself and
nothing about the internals of the others. The supervisor knows processes,
not OpenStack; the CLI walks the services in order.
"""
import dataclasses


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
    """Base class; subclasses override what they need."""

    name = None          # e.g. 'keystone'
    port_offset = None   # port = cloud.port(name) (base port + offset, overridable)
    # True when install() touches nothing the main venv's install does (apt
    # packages, a venv of its own): it then runs at the same time as the other
    # installs; else after the main venv is ready.
    parallel_install = False

    def install(self, cloud):
        """Idempotent: apt packages, venv contents. Fast when done already."""

    def configure(self, cloud):
        """Render config files under cloud.service_dir(self.name)."""

    def databases(self, cloud):
        """Names of the MariaDB databases it needs (each gets a user of that name)."""
        return []

    def init(self, cloud):
        """Idempotent one-time setup before its processes start, with the backing
        services (bus, key-value store, database) up: schema migrations, keys."""

    def processes(self, cloud):
        """The list of Process objects to run, in start order."""
        return []

    def healthy(self, cloud):
        """Quick, non-blocking check that the service answers."""
        return True

    def bootstrap(self, cloud):
        """Idempotent one-time setup after it is healthy (db, users, runtime)."""

    def catalog(self, cloud):
        """CatalogEntry list for Keystone."""
        return []

    def service_users(self, cloud):
        """Keystone service users as [(username, password)], admin on 'service'."""
        return []
