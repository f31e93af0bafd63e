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

"""The local executor (Qinling orchestrator plugin): worker lifecycle, with
etcd faked.

Needs Qinling importable, so it runs in the Qinling venv and is skipped
where Qinling is not installed (an import error of the module under test is
an error, never a skip). ``tools/run-tests`` runs it with the Qinling venv's
python::

    python -m unittest tests.localcloud.test_qinling_orchestrator
"""

import importlib.util
import os
import shutil
import signal
import tempfile
import time
import types
import unittest
from unittest import mock
import urllib.request

if importlib.util.find_spec('qinling') is not None:   # the Qinling venv
    from localcloud.qinling_local import orchestrator
    from qinling import exceptions as qinling_exc
else:
    orchestrator = None

FUNCTION = '4f1a1d2e-0000-4000-8000-000000000001'
OTHER = '4f1a1d2e-0000-4000-8000-000000000002'


def wait_for(check, timeout=5.0):
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.05)
    return True


def pid_alive(pid):
    return orchestrator.process_start_time(pid) is not None


class ExecutorTestCase(unittest.TestCase):
    """An executor on a temporary work dir, without spare workers."""

    def setUp(self):
        self.work_dir = tempfile.mkdtemp(prefix='qinling-orchestrator-test-')
        self.addCleanup(shutil.rmtree, self.work_dir, True)
        self.conf = types.SimpleNamespace(
            local_executor=types.SimpleNamespace(
                work_dir=self.work_dir,
                worker_start_timeout=15.0,
                monitor_interval=0.1,
                spare_workers=0,
                spare_worker_delay=0.0,
            )
        )
        patcher = mock.patch.object(orchestrator.etcd_util, 'delete_function')
        self.etcd_delete = patcher.start()
        self.addCleanup(patcher.stop)
        self.executor = self.make_executor()

    def make_executor(self):
        executor = orchestrator.LocalProcessOrchestrator(
            self.conf, 'http://127.0.0.1:9'
        )
        self.addCleanup(executor.shutdown)
        return executor

    def ping(self, url):
        with urllib.request.urlopen(url + '/ping', timeout=5) as resp:
            return resp.read()


@unittest.skipIf(orchestrator is None, 'Qinling is not importable here')
class LocalProcessOrchestratorTest(ExecutorTestCase):

    def test_scale_up_starts_one_worker_per_function_version(self):
        names, url = self.executor.scaleup_function(
            FUNCTION, 0, identifier='rt'
        )
        self.assertEqual(b'pong', self.ping(url))
        self.assertEqual(
            (names, url),
            self.executor.scaleup_function(
                FUNCTION, 0, identifier='rt', count=3
            ),
        )
        self.assertEqual(
            (names[0], url),
            self.executor.prepare_execution(FUNCTION, 0, identifier='rt'),
        )
        _, other_version = self.executor.scaleup_function(
            FUNCTION, 1, identifier='rt'
        )
        _, other_function = self.executor.scaleup_function(
            OTHER, 0, identifier='rt'
        )
        self.assertEqual(3, len({url, other_version, other_function}))
        self.assertEqual(
            {'total': 3, 'available': 0}, self.executor.get_pool('rt')
        )

    def test_delete_function_stops_only_its_workers(self):
        (name,), _ = self.executor.scaleup_function(
            FUNCTION, 0, identifier='rt'
        )
        _, other_url = self.executor.scaleup_function(
            OTHER, 0, identifier='rt'
        )
        worker = self.executor._workers[name]
        self.executor.delete_function(FUNCTION, 0)
        self.assertFalse(pid_alive(worker.pid))
        self.assertFalse(os.path.exists(worker.work_dir))
        self.assertEqual(b'pong', self.ping(other_url))

    def test_delete_worker_and_pool(self):
        (name,), _ = self.executor.scaleup_function(
            FUNCTION, 0, identifier='rt'
        )
        (other,), _ = self.executor.scaleup_function(
            OTHER, 0, identifier='rt2'
        )
        pids = {n: self.executor._workers[n].pid for n in (name, other)}
        self.executor.delete_worker(name)
        self.executor.delete_pool('rt2')
        self.assertFalse(pid_alive(pids[name]))
        self.assertFalse(pid_alive(pids[other]))
        self.assertEqual({}, self.executor._workers)

    def test_shutdown_stops_workers_and_forgets_service_urls(self):
        (name,), _ = self.executor.scaleup_function(
            FUNCTION, 2, identifier='rt'
        )
        pid = self.executor._workers[name].pid
        self.executor.shutdown()
        self.assertFalse(pid_alive(pid))
        self.etcd_delete.assert_called_once_with(FUNCTION, 2)

    def test_next_engine_cleans_up_leftovers(self):
        (name,), _ = self.executor.scaleup_function(
            FUNCTION, 0, identifier='rt'
        )
        worker = self.executor._workers[name]
        # the old engine "dies": no monitor, no shutdown
        self.executor._stopping.set()
        self.executor._workers.clear()
        self.make_executor()
        self.assertFalse(pid_alive(worker.pid))
        # reap it: the test process stands in for the old engine
        worker.process.wait()
        self.etcd_delete.assert_called_once_with(FUNCTION, 0)
        self.assertEqual(['logs'], os.listdir(self.work_dir))

    def test_a_worker_that_dies_is_forgotten(self):
        (name,), url = self.executor.scaleup_function(
            FUNCTION, 0, identifier='rt'
        )
        os.kill(self.executor._workers[name].pid, signal.SIGKILL)
        self.assertTrue(wait_for(lambda: name not in self.executor._workers))
        self.etcd_delete.assert_called_once_with(FUNCTION, 0)
        (new_name,), new_url = self.executor.scaleup_function(
            FUNCTION, 0, identifier='rt'
        )
        self.assertNotEqual(name, new_name)
        self.assertEqual(b'pong', self.ping(new_url))

    def test_only_python3_runtimes(self):
        self.executor.create_pool('rt', 'openstackqinling/python3-runtime')
        self.assertRaises(
            qinling_exc.OrchestratorException,
            self.executor.create_pool,
            'rt',
            'openstackqinling/nodejs-runtime',
        )
        self.assertFalse(self.executor.update_pool('rt', image='nodejs'))
        self.assertTrue(self.executor.update_pool('rt', image='python3'))
        self.assertRaises(
            qinling_exc.OrchestratorException,
            self.executor.prepare_execution,
            FUNCTION,
            0,
            image='busybox',
        )


@unittest.skipIf(orchestrator is None, 'Qinling is not importable here')
class SpareWorkerTest(ExecutorTestCase):
    """One spare worker, started at once (no delay)."""

    def make_executor(self):
        self.conf.local_executor.spare_workers = 1
        # the machine running the tests may be busy: spares start at once
        patcher = mock.patch.object(orchestrator.util, 'wait_for_idle_cpus',
                                    return_value=True)
        self.idle_wait = patcher.start()
        self.addCleanup(patcher.stop)
        return super().make_executor()

    def spare(self):
        """The executor's spare once it listens (None after 10 s)."""
        found = []

        def listening():
            found[:] = [w for w in list(self.executor._workers.values())
                        if w.spare and w.url]
            return found
        return found[0] if wait_for(listening, 10) else None

    def test_a_function_takes_the_started_spare_then_a_new_one_starts(self):
        spare = self.spare()
        self.assertEqual({'total': 0, 'available': 1},
                         self.executor.get_pool('rt'))
        (name,), url = self.executor.scaleup_function(
            FUNCTION, 0, identifier='rt')
        self.assertEqual((spare.name, spare.url), (name, url))
        self.assertEqual(b'pong', self.ping(url))
        record = orchestrator.Worker.load(spare.work_dir)
        self.assertEqual((FUNCTION, 0, 'rt', spare.pid),
                         (record.function_id, record.function_version,
                          record.runtime_id, record.pid))
        self.assertEqual((name, url), self.executor.prepare_execution(
            FUNCTION, 0, identifier='rt'))
        new = self.spare()
        self.assertIsNotNone(new)
        self.assertTrue(self.idle_wait.called)
        self.assertNotEqual(spare.pid, new.pid)
        self.assertTrue(wait_for(lambda: self.executor.get_pool('rt') == {
            'total': 1, 'available': 1}))

    def test_a_spare_that_dies_is_replaced_and_names_no_function(self):
        spare = self.spare()
        os.kill(spare.pid, signal.SIGKILL)
        self.assertTrue(wait_for(lambda: (self.spare() or spare).pid !=
                                 spare.pid, 10))
        self.etcd_delete.assert_not_called()

    def test_shutdown_stops_the_spare(self):
        spare = self.spare()
        self.executor.shutdown()
        self.assertFalse(pid_alive(spare.pid))
        self.etcd_delete.assert_not_called()
        self.assertEqual(['logs'], os.listdir(self.work_dir))


if __name__ == '__main__':
    unittest.main()
