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

"""The benchmark's timing hooks in Qinling (``qinling_local.instrumentation``):
silent unless the benchmark's switch file exists.

The switch needs only the standard library; the hooks need Qinling, so they
run in the Qinling venv (skipped where Qinling is not installed; an import
error of the module under test is an error):
    .localcloud/qinling-venv/bin/python -m unittest \
        tests.localcloud.test_qinling_instrumentation
"""
import importlib.util
import os
import tempfile
import unittest
from unittest import mock

from localcloud.qinling_local import instrumentation

QINLING = importlib.util.find_spec('qinling') is not None
if QINLING:   # the Qinling venv
    from qinling.engine import default_engine
    from qinling.engine import utils as engine_utils
    from qinling.utils import executions
    from qinling.utils.openstack import keystone


class SwitchTest(unittest.TestCase):

    def setUp(self):
        tmp = tempfile.TemporaryDirectory()
        self.addCleanup(tmp.cleanup)
        self.path = instrumentation.switch_file(tmp.name)
        self.now = 100.0
        self.switch = instrumentation.Switch(self.path, clock=lambda: self.now)

    def test_off_without_the_file(self):
        self.assertFalse(self.switch.on())

    def test_on_with_the_file_seen_within_a_second(self):
        self.assertFalse(self.switch.on())
        open(self.path, 'w').close()
        self.now += 0.5
        self.assertFalse(self.switch.on())   # not looked at again yet
        self.now += 0.5
        self.assertTrue(self.switch.on())
        os.unlink(self.path)
        self.now += 1
        self.assertFalse(self.switch.on())


class Hooks(unittest.TestCase):

    def setUp(self):
        tmp = tempfile.TemporaryDirectory()
        self.addCleanup(tmp.cleanup)
        self.dir = tmp.name
        self.log = mock.Mock()
        patcher = mock.patch.object(instrumentation, '_log',
                                    return_value=self.log)
        patcher.start()
        self.addCleanup(patcher.stop)

    def switch_on(self):
        open(instrumentation.switch_file(self.dir), 'w').close()

    def lines(self):
        return [call.args[0] % call.args[1:]
                for call in self.log.info.call_args_list]


@unittest.skipUnless(QINLING, 'needs the Qinling venv')
class ApiHooksTest(Hooks):

    def setUp(self):
        super().setUp()
        for owner, name in ((executions, 'create_execution'),
                            (keystone, 'create_trust_context')):
            self.addCleanup(setattr, owner, name, getattr(owner, name))
        executions.create_execution = mock.Mock(
            return_value=mock.Mock(id='e1'))
        keystone.create_trust_context = mock.Mock(return_value='ctx')

    def invoke(self):
        # as the webhook controller: the trust context, then the execution
        self.assertEqual('ctx', keystone.create_trust_context('t', 'p'))
        return executions.create_execution('engine', {'function_id': 'f'})

    def test_silent_while_the_benchmark_does_not_ask(self):
        instrumentation.install_api_hooks(self.dir)
        self.assertEqual('e1', self.invoke().id)
        self.assertEqual([], self.lines())

    def test_one_line_per_invoke_when_asked(self):
        self.switch_on()
        instrumentation.install_api_hooks(self.dir)
        self.invoke()
        [line] = self.lines()
        self.assertRegex(line, r'^localcloud-timing webhook-invoke '
                         r'execution=e1 function=f received=[0-9.]+ '
                         r'cast=[0-9.]+$')


@unittest.skipUnless(QINLING, 'needs the Qinling venv')
class EngineHooksTest(Hooks):

    def setUp(self):
        super().setUp()
        engine = default_engine.DefaultEngine
        for owner, name in ((engine, 'create_execution'),
                            (engine_utils, 'url_request')):
            self.addCleanup(setattr, owner, name, getattr(owner, name))
        engine_utils.url_request = mock.Mock(return_value=(True, {}))

        def create_execution(self, ctx, execution_id, function_id,
                             function_version, runtime_id, input=None):
            return engine_utils.url_request('session', 'http://w/execute')

        engine.create_execution = create_execution

    def execute(self):
        return default_engine.DefaultEngine.create_execution(
            mock.Mock(), 'ctx', 'e1', 'f', 0, 'r')

    def test_silent_while_the_benchmark_does_not_ask(self):
        instrumentation.install_engine_hooks(self.dir)
        self.assertEqual((True, {}), self.execute())
        self.assertEqual([], self.lines())

    def test_the_worker_request_and_the_commit_when_asked(self):
        self.switch_on()
        instrumentation.install_engine_hooks(self.dir)
        self.assertEqual((True, {}), self.execute())
        [line] = self.lines()
        fields = dict(f.split('=') for f in line.split()[2:])
        self.assertEqual(('e1', 'f'), (fields['execution'],
                                       fields['function']))
        times = [float(fields[k]) for k in ('received', 'worker_sent',
                                            'worker_done', 'committed')]
        self.assertEqual(sorted(times), times)
        self.assertGreater(times[1], 0)


if __name__ == '__main__':
    unittest.main()
