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

"""What several service modules share (devstack's ``functions-common``):
the gunicorn configuration of the WSGI services, the ``keystone_authtoken``
section and password auth of a service user, the database URL of a service
and the one step that runs its migrations, the cache servers, and whether a
queue exists on the cloud's broker and how many consumers it has.

Service modules import this module, never each other. Keystone sessions (as
admin or demo) come from ``localcloud.clients.session``.
"""
import concurrent.futures
import os

from localcloud.util import files
from localcloud.util import steps

GUNICORN_CONF = '''\
# rendered by localcloud; keystone parses sys.argv, so gunicorn gets no flags
bind = "{host}:{port}"
workers = {workers}
threads = {threads}
worker_class = "gthread"
wsgi_app = "{app}"
raw_env = {raw_env!r}
accesslog = "-"
# gunicorn's default format plus the time the request took (seconds)
access_log_format = '%(h)s %(l)s %(u)s %(t)s "%(r)s" %(s)s %(b)s %(L)s'
errorlog = "-"
timeout = 120
# one request per connection: a kept-alive connection that gunicorn closes
# after its idle timeout races the client's next request on it, which then
# fails with "Remote end closed connection without response" (requests and
# keystoneauth do not retry it)
keepalive = 0
preload_app = {preload}
'''


def gunicorn_conf(cloud, service_dir, port, app, env, workers=1, threads=4,
                  preload=False):
    """Render ``<service_dir>/gunicorn.conf.py``; gunicorn, started in
    ``service_dir``, reads it from there. ``preload``: the master loads the
    app once and forks the workers from it (their start costs one load of
    CPU, not one each)."""
    files.write_file(
        os.path.join(service_dir, 'gunicorn.conf.py'),
        GUNICORN_CONF.format(
            host=cloud.host,
            port=port,
            app=app,
            workers=workers,
            threads=threads,
            preload=preload,
            raw_env=['%s=%s' % kv for kv in sorted(env.items())],
        ),
    )


def password_auth(cloud, user, project=True):
    """keystoneauth's password options for service user ``user`` (on the
    service project unless ``project`` is false), as oslo.config sections
    take them."""
    auth = {
        'auth_type': 'password',
        'auth_url': cloud.keystone_url,
        'username': user,
        'password': cloud.secret(user),
        'user_domain_name': cloud.domain,
    }
    if project:
        auth.update(project_name=cloud.service_project,
                    project_domain_name=cloud.domain,
                    region_name=cloud.region)
    return auth


def keystone_authtoken(cloud, user):
    """The ``[keystone_authtoken]`` section of a service whose service user
    is ``user``: keystonemiddleware validates tokens as that user and
    requires the service role of service tokens."""
    section = password_auth(cloud, user)
    section.update({'www_authenticate_uri': cloud.keystone_url,
                    'service_token_roles_required': True})
    return section


def db_sync(cloud, service):
    """Run the service's ``db_sync_commands`` once per database: again only
    when its databases' URLs or its ``db_sync_key`` change (marker
    ``<state>/<service>/db-ready``). A list of commands in their place
    runs at once (each in a thread), before the next entry."""
    commands = service.db_sync_commands(cloud)
    if not commands:
        return
    groups = [c if isinstance(c, list) else [c] for c in commands]
    marker = files.Marker(
        os.path.join(cloud.service_dir(service.name), 'db-ready'),
        [[database_url(cloud, n) for n in service.databases(cloud)],
         service.db_sync_key(cloud)])
    if marker.done():
        return
    with steps.step('%s: %s' % (service.name, ', '.join(
            what for group in groups for what, _ in group))):
        for group in groups:
            if len(group) == 1:
                steps.run(group[0][1], group[0][0])
                continue
            with concurrent.futures.ThreadPoolExecutor(len(group)) as pool:
                for future in [pool.submit(steps.run, argv, what)
                               for what, argv in group]:
                    future.result()
    marker.mark()


def db_secret(name):
    """The secrets.json key of the password of database user ``name``."""
    return 'mariadb_' + name


def database_url(cloud, name):
    """oslo.db's connection URL for database ``name`` (user ``name``), via
    PyMySQL."""
    return 'mysql+pymysql://%s:%s@%s:%d/%s?charset=utf8' % (
        name,
        cloud.secret(db_secret(name)),
        cloud.host,
        cloud.port('mariadb'),
        name,
    )


def memcache_servers(cloud):
    """oslo.cache's ``memcache_servers``: the cloud's memcached."""
    return '%s:%d' % (cloud.host, cloud.port('memcached'))


def queue_consumers(cloud, queue):
    """How many consumers ``queue`` has on the cloud's broker; -1 if it is
    not declared (passive declare; main venv only)."""
    import kombu
    # kombu spells oslo.messaging's rabbit:// as amqp://
    url = 'amqp://' + cloud.transport_url.split('://', 1)[1]
    with kombu.Connection(url, connect_timeout=2) as conn:
        channel = conn.channel()
        try:
            return channel.queue_declare(queue=queue,
                                         passive=True).consumer_count
        except Exception:  # amqp NotFound closes the channel
            return -1


def queue_exists(cloud, queue):
    """Whether ``queue`` is declared on the cloud's broker."""
    return queue_consumers(cloud, queue) >= 0
