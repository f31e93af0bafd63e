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

"""Fixes to Qinling 5.0.0 that the local cloud applies at import time (Qinling
is retired, so they live here): behaviour the local cloud needs, each saying
what a real deployment would need. The benchmark's timing hooks are apart, in
``instrumentation``, and on only while the benchmark asks.

qinling-api (``apply_api_fixes``):

- ``reuse_trust_clients``: on every webhook invoke (and every job run) Qinling
  logs its service user into Keystone with a password to get a token scoped to
  the function's trust (``keystone.get_trust_client``). Keystone checks the
  password with bcrypt, 240-480 ms of CPU here: three quarters of an event's
  time. The client (and so the token) is now kept per trust until it is
  ``TRUST_TOKEN_STALE`` seconds from expiry. A real deployment needs the same
  (or a memcached-backed auth plugin cache).
- ``reuse_service_client``: each function create logs the service user in with
  its password only to learn its own user ID (the trustee of the function's
  trust); that client is now kept while its token is fresh.
- ``trusts_with_the_callers_token``: each function create and delete makes a
  Keystone client from the caller's token (``keystone.get_user_client``),
  which first trades that token for a new one scoped to the same project
  (``POST /v3/auth/tokens``, 50-70 ms here, about a third of a function's
  create) before it creates or deletes the function's trust. The caller's
  token is already scoped to that project and Keystone has just validated it,
  so the trust calls now send it as it is. A real deployment saves the same
  round trip.
- ``start_workers_early``: a worker starts when the first execution of a
  function version needs it, and that event pays the start (0.5-1 s). Once a
  package function or a new version of one is created, the API now asks the
  engine to scale it up (the RPC cast of ``POST .../scale_up``), so the worker
  is there before the first event. A real deployment would want this as an
  option: it trades idle pods for the first event's latency. The engine has the
  worker download the package with the creating request's token
  (``LocalProcessOrchestrator.scaleup_function``) and byte-compile it, and
  the trust's token is fetched once the machine's CPUs are mostly idle, or
  after ``EARLY_TOKEN_MAX_WAIT`` seconds at the latest.
- ``cache_controller_argspecs``: pecan 1.8 routes each request by reading
  the argument specs of the controller methods, and builds a new namedtuple
  class for every spec it reads (``pecan.compat.getargspec``): about a fifth
  of qinling-api's CPU per request. A method's spec does not change, so each
  is now read once. Any deployment of Qinling on pecan 1.8 would save the
  same.
- ``log_api_requests``: the access log Qinling hides (eventlet.wsgi.server at
  WARN), back at INFO.

qinling-engine (``apply_engine_fixes``, with the local executor):

- ``skip_load_check_for_live_workers``: per execution the engine takes an etcd
  lock, lists the workers in etcd, queries the running executions of the
  function, reads the service URL from etcd and GETs the worker's ``/ping``
  before it POSTs ``/execute`` (10-15 ms). Our worker serves concurrent
  executions itself and the executor knows whether it is alive, so while it is,
  the engine goes straight to ``/execute``. Kubernetes pods need the original
  path.
"""
import collections
import threading

from oslo_log import log as logging

from localcloud import util

LOG = logging.getLogger(__name__)

TRUST_TOKEN_STALE = 300  # seconds before expiry when a new token is fetched
TRUST_CACHE_SIZE = 1024
ARGSPEC_CACHE_SIZE = 1024
START_WORKER_DELAY = 0.2     # the create's transaction has committed by then
# seconds the early trust token waits at most for idle CPUs (one Keystone
# login: 30-90 ms of its CPU with the local cloud's password_hash_rounds)
EARLY_TOKEN_MAX_WAIT = 2.0


# -- qinling-api --------------------------------------------------------------
def reuse_trust_clients():
    from qinling.utils.openstack import keystone

    original = keystone.get_trust_client
    cache = collections.OrderedDict()
    lock = threading.Lock()

    def get_trust_client(trust_id):
        with lock:
            client = cache.get(trust_id)
        if client is not None:
            ref = client.auth_ref
            if ref is not None and not ref.will_expire_soon(TRUST_TOKEN_STALE):
                with lock:
                    cache.move_to_end(trust_id)
                return client
        client = original(trust_id)
        with lock:
            cache[trust_id] = client
            cache.move_to_end(trust_id)
            while len(cache) > TRUST_CACHE_SIZE:
                cache.popitem(last=False)
        return client

    get_trust_client.localcloud_patched = True
    keystone.get_trust_client = get_trust_client


def reuse_service_client():
    from qinling.utils.openstack import keystone

    original = keystone.get_service_client
    cache = {}

    def get_service_client():
        client = cache.get('client')
        ref = client.auth_ref if client is not None else None
        if ref is None or ref.will_expire_soon(TRUST_TOKEN_STALE):
            client = cache['client'] = original()
        return client

    keystone.get_service_client = get_service_client


def trusts_with_the_callers_token():
    from keystoneauth1 import session as ks_session
    from keystoneauth1 import token_endpoint
    from keystoneclient.v3 import client as ks_client
    from oslo_config import cfg
    from qinling import context
    from qinling.utils.openstack import keystone

    def get_user_client():
        auth = token_endpoint.Token(
            cfg.CONF.keystone_authtoken.www_authenticate_uri,
            context.get_ctx().auth_token)
        return ks_client.Client(session=ks_session.Session(auth=auth))

    keystone.get_user_client = get_user_client


def start_workers_early():
    import eventlet

    from qinling.api.controllers.v1 import function_version
    from qinling import context
    from qinling.db import api as db_api
    from qinling import rpc
    from qinling.utils import constants
    from qinling.utils.openstack import keystone

    def scale_up(ctx, function_id, version):
        context.set_ctx(ctx)  # a new green thread: the RPC cast sends it
        try:
            func = db_api.get_function(function_id, insecure=True)
            if func.code.get('source') != constants.PACKAGE_FUNCTION:
                return
            rpc.get_engine_client().scaleup_function(
                function_id, runtime_id=func.runtime_id, version=version)
            LOG.info('Asked the engine to start a worker for function %s'
                     '(version %s).', function_id, version)
        except Exception as e:  # rolled back or gone: nothing to start
            LOG.info('No early worker for function %s(version %s): %s',
                     function_id, version, e)
            return
        if func.trust_id:
            # The first webhook invoke then finds the trust's token cached.
            # Keystone's work for it waits until the CPUs are mostly idle, not
            # to slow the requests that made the function, but no longer than
            # EARLY_TOKEN_MAX_WAIT: on a busy machine the first event came
            # before it and paid for the token itself.
            util.wait_for_idle_cpus(timeout=EARLY_TOKEN_MAX_WAIT)
            try:
                keystone.get_trust_client(func.trust_id)
            except Exception as e:  # the first invoke fetches it instead
                LOG.info('No early token for the trust of function %s: %s',
                         function_id, e)

    create_function = db_api.create_function

    def create_function_then_start(values):
        func_db = create_function(values)
        if (values.get('code') or {}).get('source') == \
                constants.PACKAGE_FUNCTION:
            eventlet.spawn_after(START_WORKER_DELAY, scale_up,
                                 context.get_ctx(), func_db.id, 0)
        return func_db

    db_api.create_function = create_function_then_start

    controller = function_version.FunctionVersionsController
    create_version = controller._create_function_version

    def create_version_then_start(self, project_id, function_id, **kwargs):
        version = create_version(self, project_id, function_id, **kwargs)
        eventlet.spawn_after(START_WORKER_DELAY, scale_up, context.get_ctx(),
                             function_id, version.version_number)
        return version

    controller._create_function_version = create_version_then_start


def cache_controller_argspecs():
    import functools
    import inspect

    from pecan import util as pecan_util

    argspec_type = collections.namedtuple(
        'ArgSpec', 'args varargs keywords defaults')

    def read_argspec(func):
        args, varargs, keywords, defaults = inspect.getfullargspec(func)[:4]
        return argspec_type(args, varargs, keywords, defaults)

    cached = functools.lru_cache(maxsize=ARGSPEC_CACHE_SIZE)(read_argspec)

    def getargspec(func):
        try:
            return cached(func)
        except TypeError:  # an unhashable callable
            return read_argspec(func)

    # pecan.util.getargspec, which every router calls, reads specs with this
    pecan_util._getargspec = getargspec


def log_api_requests():
    """Qinling sets eventlet.wsgi.server to WARN, which hides the access log:
    one INFO line per request (method, path, status, time), for operators and
    for the benchmark's count of the calls Heat makes. Call after
    logging.setup."""
    import logging
    logging.getLogger('eventlet.wsgi.server').setLevel(logging.INFO)


def apply_api_fixes():
    reuse_trust_clients()
    reuse_service_client()
    trusts_with_the_callers_token()
    start_workers_early()
    cache_controller_argspecs()


# -- qinling-engine -----------------------------------------------------------
def skip_load_check_for_live_workers(executor):
    from qinling.engine import default_engine
    from qinling.engine import utils as engine_utils

    engine = default_engine.DefaultEngine
    load_check = engine.function_load_check

    def function_load_check(self, function_id, version, runtime_id):
        url = executor.live_worker_url(function_id, version)
        if url:
            return url
        return load_check(self, function_id, version, runtime_id)

    engine.function_load_check = function_load_check

    from qinling.utils import etcd_util
    get_service_url = etcd_util.get_service_url

    def live_or_stored_service_url(function_id, version=0):
        return (executor.live_worker_url(function_id, version)
                or get_service_url(function_id, version))

    etcd_util.get_service_url = live_or_stored_service_url

    url_request = engine_utils.url_request

    def direct_url_request(session, url, body=None):
        if executor.is_live_worker_url(url.rsplit('/', 1)[0]):
            try:
                res = session.post(url, json=body, timeout=(3, 180))
                return True, res.json()
            except Exception as e:  # as the original: a failed execution
                LOG.warning('Request to %s failed: %s; retrying with '
                            'Qinling\'s /ping and retries.', url, e)
        return url_request(session, url, body=body)

    engine_utils.url_request = direct_url_request


def apply_engine_fixes(executor):
    skip_load_check_for_live_workers(executor)
