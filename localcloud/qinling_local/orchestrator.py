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

"""The local executor: a Qinling orchestrator that runs functions as local
processes.

It takes the place of Qinling's Kubernetes orchestrator inside the real
qinling-engine. A "pod" is a worker process
(``localcloud.qinling_local.worker``) that plays the python3 runtime image.
There is one worker per function version, started on demand and reused while it
lives; it serves concurrent executions itself (each in a forked child), so a
scale-up while a worker lives hands back that same worker. ``create_pool`` only
checks that the image is a python3 runtime: every worker can serve any python3
function. As Qinling keeps a pool of idle pods per runtime, the executor keeps
``spare_workers`` idle workers (one by default): a function version that needs
a worker takes a spare, started and listening, and pays no interpreter start.
A new spare starts ``spare_worker_delay`` seconds later, and only once the
machine's CPUs are mostly idle: the burst of API calls that created the
function (a stack's other resources) does not wait for an interpreter start.
Image-type functions would need a container engine and end in ``error``.

Every worker is recorded in ``<work_dir>/<name>/worker.json`` (PID, kernel
start time, function, version, URL). Workers are stopped only through these
records: on ``delete_function``/``delete_worker``/``delete_pool``, on engine
shutdown, and, for leftovers of an engine that died, when the next engine
starts. Whenever workers go away without Qinling asking (shutdown, leftovers, a
crash), their etcd keys are deleted too, so the engine never sends executions
to a dead service URL.
"""
import json
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
import uuid

from oslo_config import cfg
from oslo_log import log as logging
import requests

from qinling.engine import utils as engine_utils
from qinling import exceptions as exc
from qinling.orchestrator import base
from qinling.utils import etcd_util

from localcloud import util

LOG = logging.getLogger(__name__)

OPTS_GROUP = 'local_executor'
OPTS = [
    cfg.StrOpt('work_dir', required=True,
               help='Directory for the workers: records, packages, logs.'),
    cfg.FloatOpt('worker_start_timeout', default=15.0,
                 help='Seconds to wait for a new worker to listen.'),
    cfg.FloatOpt('monitor_interval', default=2.0,
                 help='Seconds between checks for workers that died.'),
    cfg.IntOpt('spare_workers', default=1, min=0,
               help='Idle workers kept started for the next function '
                    'version that needs one.'),
    cfg.FloatOpt('spare_worker_delay', default=1.0, min=0,
                 help='Seconds after a spare is taken (or the engine '
                      'starts) before the next one may start; it then waits '
                      'until the machine\'s CPUs are mostly idle (at most '
                      '%g s).' % util.IDLE_CPUS_TIMEOUT),
]
RUNTIME_IMAGE_HINT = 'python3'
# The directory holding the localcloud package, for the workers' ``python -m``.
CODE_ROOT = os.path.dirname(
    os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
)
STOP_GRACE = 5.0


def register_opts(conf):
    conf.register_opts(OPTS, group=OPTS_GROUP)


def process_start_time(pid):
    """Kernel start time of ``pid`` (to tell our process from a reused PID), or
    None."""
    stat = util.proc_stat(pid)
    return stat.starttime if util.proc_alive(stat) else None


class Worker:
    """One worker process serving one function version, or a spare (no
    function yet)."""

    def __init__(
        self,
        name,
        work_dir,
        function_id,
        function_version,
        runtime_id,
        pid=None,
        start_time=None,
        url=None,
        process=None,
    ):
        self.name = name
        self.work_dir = work_dir
        self.function_id = function_id
        self.function_version = function_version
        self.runtime_id = runtime_id
        self.pid = pid
        self.start_time = start_time
        self.url = url
        self.process = process  # Popen when this engine started it
        self.stopping = False

    @property
    def spare(self):
        return self.function_id is None

    def serves(self):
        """What the worker serves, for log lines."""
        if self.spare:
            return 'no function yet (a spare)'
        return 'function %s(version %s)' % (self.function_id,
                                            self.function_version)

    @property
    def record_path(self):
        return os.path.join(self.work_dir, 'worker.json')

    def save(self):
        record = {k: getattr(self, k) for k in (
            'name', 'function_id', 'function_version', 'runtime_id', 'pid',
            'start_time', 'url')}
        util.write_file(self.record_path, json.dumps(record))

    @classmethod
    def load(cls, work_dir):
        with open(os.path.join(work_dir, 'worker.json')) as f:
            record = json.load(f)
        return cls(work_dir=work_dir, **record)

    def alive(self):
        if self.process is not None:
            return self.process.poll() is None
        return (
            bool(self.pid) and process_start_time(self.pid) == self.start_time
        )

    def stop(self):
        """SIGTERM, then SIGKILL after a grace period; only if it is still our
        process."""
        if not self.alive():
            return
        os.kill(self.pid, signal.SIGTERM)
        deadline = time.monotonic() + STOP_GRACE
        while self.alive() and time.monotonic() < deadline:
            time.sleep(0.05)
        if self.alive():
            os.kill(self.pid, signal.SIGKILL)
        if self.process is not None:
            self.process.wait()


class LocalProcessOrchestrator(base.OrchestratorBase):
    """Qinling orchestrator plugin backed by local worker processes."""

    def __init__(self, conf, qinling_endpoint):
        self.conf = conf
        self.qinling_endpoint = qinling_endpoint
        self.work_dir = conf.local_executor.work_dir
        self.logs_dir = os.path.join(self.work_dir, 'logs')
        os.makedirs(self.logs_dir, exist_ok=True)
        self.session = requests.Session()
        self._workers = {}
        self._lock = threading.RLock()
        self._stopping = threading.Event()
        self._spares_due = False
        self._reap_leftovers()
        self._monitor = threading.Thread(
            target=self._watch_workers,
            name='local-executor-monitor',
            daemon=True,
        )
        self._monitor.start()
        self._start_spares_later()

    # -- runtimes ("pools") ------------------------------------------------
    def create_pool(self, name, image, trusted=True, **kwargs):
        self._check_image(image)
        LOG.info(
            'Runtime %s (image %s) served by local python3 workers.',
            name,
            image,
        )

    def delete_pool(self, name, **kwargs):
        self._stop_where(lambda w: w.runtime_id == name)

    def update_pool(self, name, image=None, **kwargs):
        try:
            self._check_image(image)
        except exc.OrchestratorException as e:
            LOG.error('Refusing runtime %s update: %s', name, e)
            return False
        return True

    def get_pool(self, name, **kwargs):
        # The spares serve any python3 runtime.
        with self._lock:
            live = [w for w in self._workers.values() if w.alive()]
        return {'total': sum(1 for w in live if w.runtime_id == name),
                'available': sum(1 for w in live if w.spare and w.url)}

    @staticmethod
    def _check_image(image):
        if image and RUNTIME_IMAGE_HINT not in image.lower():
            raise exc.OrchestratorException(
                'The local executor runs only the python3 runtime, not'
                ' image %s.' % image
            )

    # -- functions ---------------------------------------------------------
    def prepare_execution(self, function_id, function_version, rlimit=None,
                          image=None, identifier=None, labels=None, input=None,
                          **kwargs):
        if image:
            raise exc.OrchestratorException(
                'Image type functions need a container engine; the local'
                ' executor runs package functions only.'
            )
        worker = self._ensure_worker(function_id, function_version, identifier)
        return worker.name, worker.url

    def run_execution(
        self,
        execution_id,
        function_id,
        function_version,
        rlimit=None,
        input=None,
        identifier=None,
        service_url=None,
        entry='main.main',
        trust_id=None,
        timeout=None,
        **kwargs,
    ):
        if not service_url:
            return False, {
                'output': 'Image type functions are not supported by '
                'the local executor.'
            }
        data = engine_utils.get_request_data(
            self.conf,
            function_id,
            function_version,
            execution_id,
            rlimit,
            input,
            entry,
            trust_id,
            self.qinling_endpoint,
            timeout,
        )
        return engine_utils.url_request(
            self.session, '%s/execute' % service_url, body=data
        )

    def delete_function(self, function_id, function_version, **kwargs):
        self._stop_where(lambda w: (w.function_id, w.function_version) ==
                         (function_id, function_version))

    def scaleup_function(self, function_id, function_version, identifier=None,
                         count=1, **kwargs):
        worker = self._ensure_worker(function_id, function_version, identifier)
        self._prefetch(worker)
        return [worker.name], worker.url

    def _prefetch(self, worker):
        """Have a worker download its package now, with the token of the
        request that scaled it up (a function or version create), so the first
        execution does not wait for it. Best effort: the first execution
        downloads anyway."""
        try:
            from qinling import context
            token = context.get_ctx().auth_token
        except Exception:  # no request context: nothing to download with
            return
        if not token or not worker.url:
            return
        path = (
            'functions/%s' % worker.function_id
            if not worker.function_version
            else 'functions/%s/versions/%s'
            % (worker.function_id, worker.function_version)
        )
        url = '%s/v1/%s?download=true' % (
            self.qinling_endpoint.rstrip('/'),
            path,
        )

        def prefetch():
            try:
                self.session.post('%s/prefetch' % worker.url, timeout=(3, 60),
                                  json={'download_url': url, 'token': token})
            except Exception as e:  # the first execution downloads instead
                LOG.info('Worker %s could not prefetch its package: %s',
                         worker.name, e)

        threading.Thread(target=prefetch, name='prefetch-' + worker.name,
                         daemon=True).start()

    def delete_worker(self, worker_name, **kwargs):
        self._stop_where(lambda w: w.name == worker_name)

    def shutdown(self):
        """Stop every worker (engine shutdown) and forget their service
        URLs."""
        self._stopping.set()
        with self._lock:
            workers = list(self._workers.values())
        for worker in workers:
            self._stop(worker)
            self._forget_service_url(worker)
        LOG.info('Local executor stopped %d worker(s).', len(workers))

    def live_worker_url(self, function_id, function_version):
        """The URL of the live worker of a function version, or None."""
        with self._lock:
            for worker in self._workers.values():
                if ((worker.function_id, worker.function_version) ==
                        (function_id, function_version) and worker.url
                        and not worker.stopping and worker.alive()):
                    return worker.url
        return None

    def is_live_worker_url(self, url):
        with self._lock:
            return any(w.url == url and not w.stopping and w.alive()
                       for w in self._workers.values())

    # -- workers -----------------------------------------------------------
    def _ensure_worker(self, function_id, function_version, runtime_id):
        with self._lock:
            for worker in self._workers.values():
                if ((worker.function_id, worker.function_version) ==
                        (function_id, function_version) and worker.alive()):
                    return worker
            worker = self._take_spare(function_id, function_version,
                                      runtime_id)
            if worker is not None:
                return worker
            return self._spawn(function_id, function_version, runtime_id)

    def _take_spare(self, function_id, function_version, runtime_id):
        """A spare that now serves the function version, or None."""
        with self._lock:
            spare = next((w for w in self._workers.values()
                          if w.spare and w.url and not w.stopping
                          and w.alive()), None)
            if spare is None:
                return None
            spare.function_id = function_id
            spare.function_version = function_version
            spare.runtime_id = runtime_id
            spare.save()
        LOG.info('Spare worker %s (pid %d) now serves function %s(version '
                 '%s).', spare.name, spare.pid, function_id, function_version)
        self._start_spares_later()
        return spare

    def _start_spares_later(self):
        with self._lock:
            if self._spares_due or not self.conf.local_executor.spare_workers:
                return
            self._spares_due = True
        timer = threading.Timer(self.conf.local_executor.spare_worker_delay,
                                self._start_spares)
        timer.daemon = True
        timer.start()

    def _start_spares(self):
        util.wait_for_idle_cpus(stopped=self._stopping)
        with self._lock:
            self._spares_due = False
            missing = self.conf.local_executor.spare_workers - sum(
                1 for w in self._workers.values() if w.spare and w.alive())
        for _ in range(missing):
            if self._stopping.is_set():
                return
            try:
                self._spawn(None, None, None)
            except exc.OrchestratorException as e:
                LOG.warning('No spare worker: %s', e)
                return

    def _spawn(self, function_id, function_version, runtime_id):
        started = time.monotonic()
        suffix = uuid.uuid4().hex[:8]
        if function_id is None:
            name = 'local-spare-%s' % suffix
        else:
            name = 'local-%s-%s-%s' % (function_id[:8], function_version,
                                       suffix)
        work_dir = os.path.join(self.work_dir, name)
        os.makedirs(work_dir)
        env = dict(os.environ)
        env['PYTHONPATH'] = os.pathsep.join(
            p for p in (CODE_ROOT, env.get('PYTHONPATH')) if p)
        with open(os.path.join(self.logs_dir, name + '.log'), 'ab') as log:
            process = subprocess.Popen(
                [sys.executable, '-m', 'localcloud.qinling_local.worker',
                 '--work-dir', work_dir],
                cwd=work_dir, env=env, stdin=subprocess.DEVNULL, stdout=log,
                stderr=subprocess.STDOUT, close_fds=True)
        worker = Worker(
            name,
            work_dir,
            function_id,
            function_version,
            runtime_id,
            pid=process.pid,
            start_time=process_start_time(process.pid),
            process=process,
        )
        worker.save()
        with self._lock:
            self._workers[name] = worker
        port_file = os.path.join(work_dir, 'port')
        deadline = started + self.conf.local_executor.worker_start_timeout
        while not os.path.exists(port_file):
            if process.poll() is not None or time.monotonic() > deadline:
                self._stop(worker)
                raise exc.OrchestratorException(
                    'Worker for %s did not start; see %s.'
                    % (worker.serves(),
                       os.path.join(self.logs_dir, name + '.log')))
            time.sleep(0.01)
        with open(port_file) as f:
            worker.url = 'http://127.0.0.1:%s' % f.read().strip()
        worker.save()
        LOG.info('Started worker %s (pid %d) at %s for %s in %.2f s.', name,
                 worker.pid, worker.url, worker.serves(),
                 time.monotonic() - started)
        return worker

    def _stop_where(self, predicate):
        with self._lock:
            doomed = [w for w in self._workers.values() if predicate(w)]
        for worker in doomed:
            self._stop(worker)

    def _stop(self, worker):
        worker.stopping = True
        try:
            worker.stop()
        except ProcessLookupError:
            pass
        with self._lock:
            self._workers.pop(worker.name, None)
        shutil.rmtree(worker.work_dir, ignore_errors=True)
        LOG.info('Stopped worker %s (pid %s) of %s.', worker.name,
                 worker.pid, worker.serves())

    @staticmethod
    def _forget_service_url(worker):
        if worker.spare:
            return
        try:
            etcd_util.delete_function(
                worker.function_id, worker.function_version
            )
        except Exception as e:  # etcd down: the next engine start retries
            LOG.warning(
                'Could not delete etcd keys of function %s(version %s): %s',
                worker.function_id,
                worker.function_version,
                e,
            )

    def _reap_leftovers(self):
        """Stop workers recorded by an engine that is gone, and drop their etcd
        keys."""
        for entry in sorted(os.listdir(self.work_dir)):
            path = os.path.join(self.work_dir, entry)
            if not os.path.isfile(os.path.join(path, 'worker.json')):
                continue
            try:
                worker = Worker.load(path)
            except (OSError, ValueError, TypeError) as e:
                LOG.warning('Unreadable worker record in %s: %s', path, e)
                shutil.rmtree(path, ignore_errors=True)
                continue
            LOG.info(
                'Cleaning up worker %s left by a previous engine.', worker.name
            )
            self._stop(worker)
            self._forget_service_url(worker)

    def _watch_workers(self):
        """Forget workers that died on their own, so the next execution starts
        anew."""
        while not self._stopping.wait(
            self.conf.local_executor.monitor_interval
        ):
            with self._lock:
                dead = [w for w in self._workers.values()
                        if not w.stopping and not w.alive()]
            for worker in dead:
                LOG.warning(
                    'Worker %s of %s died (exit %s).',
                    worker.name,
                    worker.serves(),
                    worker.process and worker.process.returncode,
                )
                # Keys first: once the worker is forgotten, an execution may
                # look them up.
                self._forget_service_url(worker)
                self._stop(worker)
            if any(w.spare for w in dead):
                self._start_spares_later()
