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

"""The benchmark's timing hooks in qinling-api and qinling-engine: one INFO
line (``localcloud-timing``) per webhook invoke and per execution, with the
wall-clock times ``tools/benchmark`` turns into stage shares. No fix of
Qinling lives here (those are in ``fixes``).

The hooks are installed at start but log only while the benchmark asks: while
the file ``<qinling service dir>/benchmark-timing`` exists (the dir of
``qinling.conf``; ``switch_file``). Each hook looks at the file at most once a
second (``Switch``), so with the file absent a hook costs a clock read.

qinling-api (``install_api_hooks``):

- ``log_webhook_timing``: when the invoke began its work (the start of
  ``create_trust_context``, which the webhook controller calls first) and when
  the execution's RPC cast left (``executions.create_execution`` returned).

qinling-engine (``install_engine_hooks``, after ``fixes.apply_engine_fixes``):

- ``log_execution_timing``: when the engine took the execution, sent the
  worker its request and had the answer (around ``engine.utils.url_request``,
  the fixed one), and committed the final status.

Standard library only at import (``tools/benchmark`` reads ``SWITCH_FILE``
and ``switch_file`` from the main venv); Qinling and oslo.log are imported
where the hooks are installed.
"""
import os
import threading
import time

TIMING = 'localcloud-timing'
SWITCH_FILE = 'benchmark-timing'
SWITCH_RECHECK_S = 1.0


def switch_file(service_dir):
    """The file whose presence turns the timing lines on."""
    return os.path.join(service_dir, SWITCH_FILE)


class Switch:
    """Whether the benchmark asked for timing lines: the switch file exists,
    looked at no more than once every ``SWITCH_RECHECK_S`` seconds."""

    def __init__(self, path, clock=time.monotonic):
        self.path = path
        self.clock = clock
        self.checked = None
        self.value = False

    def on(self):
        now = self.clock()
        if self.checked is None or now - self.checked >= SWITCH_RECHECK_S:
            self.checked = now
            self.value = os.path.exists(self.path)
        return self.value


def _log():
    from oslo_log import log as logging
    return logging.getLogger(__name__)


# -- qinling-api --------------------------------------------------------------
def log_webhook_timing(switch):
    from qinling.utils import executions
    from qinling.utils.openstack import keystone

    log = _log()
    local = threading.local()
    create_execution = executions.create_execution

    def timed_create_execution(engine_client, params):
        received = getattr(local, 'received', None)
        local.received = None
        db_model = create_execution(engine_client, params)
        if received is not None:
            log.info('%s webhook-invoke execution=%s function=%s '
                     'received=%.6f cast=%.6f', TIMING, db_model.id,
                     params.get('function_id'), received, time.time())
        return db_model

    executions.create_execution = timed_create_execution

    # the webhook controller calls create_trust_context first: its start is
    # when the invoke began doing work
    create_trust_context = keystone.create_trust_context

    def timed_create_trust_context(trust_id, project_id):
        local.received = time.time() if switch.on() else None
        return create_trust_context(trust_id, project_id)

    keystone.create_trust_context = timed_create_trust_context


def install_api_hooks(service_dir):
    log_webhook_timing(Switch(switch_file(service_dir)))


# -- qinling-engine -----------------------------------------------------------
def log_execution_timing(switch):
    from qinling.engine import default_engine
    from qinling.engine import utils as engine_utils

    log = _log()
    local = threading.local()

    url_request = engine_utils.url_request

    def timed_url_request(session, url, body=None):
        timing = getattr(local, 'value', None)
        if timing is not None:
            timing['worker_sent'] = time.time()
        try:
            return url_request(session, url, body=body)
        finally:
            if timing is not None:
                timing['worker_done'] = time.time()

    engine_utils.url_request = timed_url_request

    engine = default_engine.DefaultEngine
    create_execution = engine.create_execution

    def timed_create_execution(self, ctx, execution_id, function_id,
                               function_version, runtime_id, input=None):
        if not switch.on():
            return create_execution(self, ctx, execution_id, function_id,
                                    function_version, runtime_id, input=input)
        local.value = timing = {'received': time.time()}
        try:
            return create_execution(self, ctx, execution_id, function_id,
                                    function_version, runtime_id, input=input)
        finally:
            local.value = None
            log.info('%s engine execution=%s function=%s received=%.6f '
                     'worker_sent=%.6f worker_done=%.6f committed=%.6f',
                     TIMING, execution_id, function_id, timing['received'],
                     timing.get('worker_sent', 0),
                     timing.get('worker_done', 0), time.time())

    engine.create_execution = timed_create_execution


def install_engine_hooks(service_dir):
    """After ``fixes.apply_engine_fixes``: the worker's request is timed
    around the fixed ``url_request``."""
    log_execution_timing(Switch(switch_file(service_dir)))
